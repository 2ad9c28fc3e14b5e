//! Every error status of the books routes, each as problem+json, and every validation rule
//! through HTTP.

mod common;

use common::*;
use folio_native::TestApp;
use serde_json::{json, Value};

fn assert_problem(r: &folio_core::Response, status: u16) -> Value {
    assert_eq!(r.status(), status, "{}", String::from_utf8_lossy(r.body()));
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let b = body(r);
    assert_eq!(b["status"], status);
    b
}

#[test]
fn missing_and_invalid_tokens_are_401_with_challenges() {
    let app = TestApp::new();
    let r = get(&app, "/api/books", "");
    assert_problem(&r, 401);
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
    let r = get(&app, "/api/books/abc", "no-such-role");
    assert_problem(&r, 401);
    assert_eq!(r.headers()["www-authenticate"], "Bearer error=\"invalid_token\"");
    let r = json_to(&app, "POST", "/api/books", "", &book(1));
    assert_problem(&r, 401);
    assert_eq!(count_rows(&app), 0);
}

#[test]
fn the_real_token_service_is_wired_into_handle() {
    // folio-tokens decides; today it refuses every token, and `handle` must not let one in.
    let app = TestApp::new();
    let r = app.call(folio_books::handle, req("GET", "/api/books", "admin").body(vec![]).unwrap());
    assert_problem(&r, 401);
}

#[test]
fn unknown_ids_and_paths_are_404() {
    let app = TestApp::new();
    assert_problem(&get(&app, "/api/books/nope", "reader"), 404);
    assert_problem(&json_to(&app, "PUT", "/api/books/nope", "editor", &book(1)), 404);
    assert_problem(&merge_patch(&app, "/api/books/nope", "editor", &json!({"pages": 2}), None), 404);
    assert_problem(&send(&app, req("DELETE", "/api/books/nope", "editor").body(vec![]).unwrap()), 404);
    assert_problem(&get(&app, "/api/books/a/b", "reader"), 404);
    assert_eq!(count_rows(&app), 0, "a PUT to an unknown id creates nothing");
}

#[test]
fn wrong_methods_are_405_with_allow() {
    let app = TestApp::new();
    let r = send(&app, req("DELETE", "/api/books", "editor").body(vec![]).unwrap());
    assert_problem(&r, 405);
    assert_eq!(r.headers()["allow"], "GET, POST, HEAD, OPTIONS");
    let r = send(&app, req("POST", "/api/books/x", "editor").body(vec![]).unwrap());
    assert_problem(&r, 405);
    assert_eq!(r.headers()["allow"], "GET, PUT, PATCH, DELETE, HEAD, OPTIONS");
}

#[test]
fn malformed_json_is_400() {
    let app = TestApp::new();
    for raw in [&b"{"[..], b"", b"{\"title\": }", b"nope", b"\xff"] {
        let r = send(
            &app,
            req("POST", "/api/books", "editor")
                .header("content-type", "application/json")
                .body(raw.to_vec())
                .unwrap(),
        );
        assert_problem(&r, 400);
    }
    let r = send(
        &app,
        req("PATCH", "/api/books/x", "editor")
            .header("content-type", "application/merge-patch+json")
            .body(b"{".to_vec())
            .unwrap(),
    );
    assert_problem(&r, 400);
}

#[test]
fn oversized_bodies_are_413() {
    let app = TestApp::new();
    let mut big = book(1);
    big["description"] = json!("x".repeat(70 * 1024));
    assert_problem(&json_to(&app, "POST", "/api/books", "editor", &big), 413);
    let id = create(&app, &book(2))["id"].as_str().unwrap().to_string();
    assert_problem(&json_to(&app, "PUT", &format!("/api/books/{id}"), "editor", &big), 413);
    assert_problem(&merge_patch(&app, &format!("/api/books/{id}"), "editor", &big, None), 413);
}

#[test]
fn wrong_media_types_are_415() {
    let app = TestApp::new();
    let bytes = serde_json::to_vec(&book(1)).unwrap();
    for ct in [None, Some("text/plain"), Some("application/merge-patch+json")] {
        let mut b = req("POST", "/api/books", "editor");
        if let Some(ct) = ct {
            b = b.header("content-type", ct);
        }
        assert_problem(&send(&app, b.body(bytes.clone()).unwrap()), 415);
    }
    let id = create(&app, &book(1))["id"].as_str().unwrap().to_string();
    let r = send(
        &app,
        req("PATCH", &format!("/api/books/{id}"), "editor")
            .header("content-type", "application/json")
            .body(b"{\"pages\": 3}".to_vec())
            .unwrap(),
    );
    assert_problem(&r, 415);
    assert_eq!(r.headers()["accept-patch"], "application/merge-patch+json");
}

#[test]
fn every_field_rule_is_enforced_and_reported_together() {
    let app = TestApp::new();
    let cases: Vec<(&str, Value)> = vec![
        ("title", json!("")),
        ("title", json!("   ")),
        ("title", json!("t".repeat(301))),
        ("title", json!(42)),
        ("author", json!("")),
        ("author", json!("a".repeat(201))),
        ("genre", json!("")),
        ("genre", json!("g".repeat(51))),
        ("isbn", json!("9780306406158")),
        ("isbn", json!("12345")),
        ("isbn", json!("4006381333931")),
        ("isbn", json!(9780306406157u64)),
        ("published_year", json!(1449)),
        ("published_year", json!(2000.5)),
        ("published_year", json!("2000")),
        ("pages", json!(0)),
        ("pages", json!(100_001)),
        ("price_cents", json!(-1)),
        ("price_cents", json!(100_000_001)),
        ("price_cents", json!(12.34)),
        ("language", json!("xx")),
        ("language", json!("english")),
        ("description", json!("d".repeat(10_001))),
        ("description", json!(5)),
    ];
    for (field, value) in cases {
        let mut b = book(1);
        b[field] = value.clone();
        let r = json_to(&app, "POST", "/api/books", "editor", &b);
        assert_eq!(error_fields(&r), vec![field.to_string()], "{field} = {value}");
        assert!(!body(&r)["errors"][0]["message"].as_str().unwrap().is_empty());
    }
    // Boundaries that are allowed.
    let mut edge = book(2);
    edge["title"] = json!("t".repeat(300));
    edge["author"] = json!("a".repeat(200));
    edge["genre"] = json!("g".repeat(50));
    edge["published_year"] = json!(1450);
    edge["pages"] = json!(100_000);
    edge["price_cents"] = json!(0);
    edge["description"] = json!("d".repeat(10_000));
    create(&app, &edge);
    let mut top = book(3);
    top["pages"] = json!(1);
    top["price_cents"] = json!(100_000_000);
    create(&app, &top);
    // Many bad fields at once, plus unknown and read-only members.
    let r = json_to(
        &app,
        "POST",
        "/api/books",
        "editor",
        &json!({"title": "", "pages": -1, "language": "zz", "id": "x", "version": 3, "extra": true}),
    );
    let fields = error_fields(&r);
    for f in [
        "title",
        "author",
        "genre",
        "isbn",
        "published_year",
        "pages",
        "price_cents",
        "language",
        "id",
        "version",
        "extra",
    ] {
        assert!(fields.contains(&f.to_string()), "{f} missing from {fields:?}");
    }
    assert_eq!(error_fields(&json_to(&app, "POST", "/api/books", "editor", &json!([book(4)]))), vec!["body"]);
    assert_eq!(count_rows(&app), 2);
}

#[test]
fn the_latest_year_follows_the_clock() {
    let app = TestApp::new();
    // 2026-06-01: next year is 2027.
    app.clock.set_ms(1_780_272_000_000);
    let mut b = book(1);
    b["published_year"] = json!(2027);
    create(&app, &b);
    b["published_year"] = json!(2028);
    b["isbn"] = json!(isbn(2));
    assert_eq!(error_fields(&json_to(&app, "POST", "/api/books", "editor", &b)), vec!["published_year"]);
    // A year on, 2028 is fine.
    app.clock.advance_secs(366 * 86_400);
    create(&app, &b);
}

#[test]
fn list_parameters_are_validated_as_422() {
    let app = TestApp::new();
    for query in [
        "limit=0",
        "limit=101",
        "limit=ten",
        "sort=id",
        "sort=-pages",
        "language=xx",
        "year_min=abc",
        "year_min=2000&year_max=1990",
        "count=yes",
        "q=%21%21%21",
        "colour=red",
        "genre=a&genre=b",
    ] {
        let r = get(&app, &format!("/api/books?{query}"), "reader");
        assert_problem(&r, 422);
        assert!(body(&r)["errors"].as_array().is_some_and(|e| !e.is_empty()), "{query}");
    }
    // Blank text filters filter nothing (docs/books.md), `language` as much as `author`.
    for query in [
        "limit=1",
        "limit=100",
        "sort=-price_cents",
        "language=EN",
        "count=true",
        "q=",
        "author=",
        "language=",
        "language=%20",
    ] {
        assert_eq!(get(&app, &format!("/api/books?{query}"), "reader").status(), 200, "{query}");
    }
    // Every bad parameter in one answer, an unknown one included; and text must be UTF-8.
    let r = get(&app, "/api/books?colour=red&limit=0&author=%FF&year_min=%2B2000", "reader");
    assert_problem(&r, 422);
    assert_eq!(error_fields(&r), vec!["colour", "author", "year_min", "limit"]);
}
