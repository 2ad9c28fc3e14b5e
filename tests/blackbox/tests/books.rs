//! The books catalogue over HTTP (API.md, "Books").

use folio_blackbox::{app, book_body, unique_email};
use serde_json::json;

fn editor() -> String {
    // A fresh self-registered account gets the signup_role, editor by default.
    app().login(&unique_email("editor")).access
}

#[test]
fn create_get_update_delete_with_etags() {
    let token = editor();
    let body = book_body("The Blackbox Book");
    let r = app().json("POST", "/api/books", Some(&token), &body);
    assert_eq!(r.status, 201, "{}", r.text());
    let location = r.header("location").expect("Location").to_string();
    let etag = r.header("etag").expect("ETag").to_string();
    let book = r.json();
    let id = book["id"].as_str().unwrap().to_string();
    assert!(location.ends_with(&id));
    assert_eq!(book["isbn"].as_str().unwrap().len(), 13);
    assert_eq!(book["version"], 1);

    let got = app().with_token("GET", &format!("/api/books/{id}"), &token);
    assert_eq!(got.status, 200);
    assert_eq!(got.header("etag"), Some(etag.as_str()));
    let auth = format!("Bearer {token}");
    let cached = app().call(
        "GET",
        &format!("/api/books/{id}"),
        &[("authorization", &auth), ("if-none-match", &etag)],
        b"",
    );
    assert_eq!(cached.status, 304);

    // A stale If-Match changes nothing.
    let mut replaced = body.clone();
    replaced["title"] = json!("Renamed");
    let put = |if_match: &str| {
        app().call(
            "PUT",
            &format!("/api/books/{id}"),
            &[("authorization", &auth), ("content-type", "application/json"), ("if-match", if_match)],
            replaced.to_string().as_bytes(),
        )
    };
    let ok = put(&etag);
    assert_eq!(ok.status, 200, "{}", ok.text());
    let new_etag = ok.header("etag").unwrap().to_string();
    assert_ne!(new_etag, etag);
    put(&etag).problem(412);
    assert_eq!(app().with_token("GET", &format!("/api/books/{id}"), &token).json()["title"], "Renamed");

    let patch = app().call(
        "PATCH",
        &format!("/api/books/{id}"),
        &[
            ("authorization", &auth),
            ("content-type", "application/merge-patch+json"),
            ("if-match", &new_etag),
        ],
        br#"{"pages": 400, "description": null}"#,
    );
    assert_eq!(patch.status, 200, "{}", patch.text());
    assert_eq!(patch.json()["pages"], 400);
    assert_eq!(patch.json()["title"], "Renamed");
    // Reads in between were served from the read cache (docs/books.md); none may hide a write.
    for _ in 0..2 {
        let again = app().with_token("GET", &format!("/api/books/{id}"), &token);
        assert_eq!(again.json()["pages"], 400);
        assert_eq!(again.header("etag"), patch.header("etag"));
    }

    // Tags compare character by character: the same number written another way is another tag.
    let current = patch.header("etag").unwrap().to_string();
    let version = current.trim_matches('"').trim_start_matches('v').to_string();
    // A `*` among tags is not "any" (only a lone `*` is): `"v0N", *` names no version of the book.
    for lookalike in [
        format!("\"v+{version}\""),
        format!("\"v0{version}\""),
        format!("\"V{version}\""),
        format!("\"v0{version}\", *"),
    ] {
        let del = app().call(
            "DELETE",
            &format!("/api/books/{id}"),
            &[("authorization", &auth), ("if-match", &lookalike)],
            b"",
        );
        assert_eq!(del.status, 412, "{lookalike}");
        let read = app().call(
            "GET",
            &format!("/api/books/{id}"),
            &[("authorization", &auth), ("if-none-match", &lookalike)],
            b"",
        );
        assert_eq!(read.status, 200, "{lookalike}");
    }

    let del = app().call(
        "DELETE",
        &format!("/api/books/{id}"),
        &[("authorization", &auth), ("if-match", &new_etag)],
        b"",
    );
    assert_eq!(del.status, 412, "the PATCH made that ETag stale");
    assert_eq!(app().with_token("DELETE", &format!("/api/books/{id}"), &token).status, 204);
    app().with_token("GET", &format!("/api/books/{id}"), &token).problem(404);
    app().with_token("DELETE", &format!("/api/books/{id}"), &token).problem(404);
}

#[test]
fn validation_and_duplicates() {
    let token = editor();
    let body = book_body("Dup");
    assert_eq!(app().json("POST", "/api/books", Some(&token), &body).status, 201);
    // The same ISBN written with hyphens is still a duplicate.
    let isbn = body["isbn"].as_str().unwrap();
    let hyphenated = format!("{}-{}-{}", &isbn[..3], &isbn[3..9], &isbn[9..]);
    let mut again = book_body("Dup 2");
    again["isbn"] = json!(hyphenated);
    app().json("POST", "/api/books", Some(&token), &again).problem(409);

    let cases = [
        ("title", json!("")),
        ("isbn", json!("978-0-00-000000-0")),
        ("published_year", json!(1449)),
        ("pages", json!(0)),
        ("price_cents", json!(-1)),
        ("language", json!("xx")),
    ];
    for (field, value) in cases {
        let mut b = book_body("Invalid");
        b[field] = value;
        let p = app().json("POST", "/api/books", Some(&token), &b).problem(422);
        assert!(p["errors"].as_array().unwrap().iter().any(|e| e["field"] == field), "{field}: {p}");
    }
    let mut unknown = book_body("Unknown field");
    unknown["rating"] = json!(5);
    app().json("POST", "/api/books", Some(&token), &unknown).problem(422);

    // A member given twice says two things about one field: refused, not read one way or other.
    let once = book_body("Twice").to_string();
    let twice = once.replacen('{', r#"{"price_cents": -5, "#, 1);
    let auth = format!("Bearer {token}");
    let r = app().call(
        "POST",
        "/api/books",
        &[("content-type", "application/json"), ("authorization", &auth)],
        twice.as_bytes(),
    );
    let p = r.problem(422);
    assert_eq!(p["errors"][0]["field"], "price_cents", "{p}");
    assert_eq!(p["errors"][0]["message"], "given more than once", "{p}");

    // A number too large for any numeric type is valid JSON (RFC 8259 lets a parser limit the
    // range): a value out of range of its field, not a malformed body.
    let huge = book_body("Huge").to_string().replacen(r#""pages":345"#, r#""pages":1e400"#, 1);
    assert!(huge.contains("1e400"));
    let r = app().call(
        "POST",
        "/api/books",
        &[("content-type", "application/json"), ("authorization", &auth)],
        huge.as_bytes(),
    );
    let p = r.problem(422);
    assert_eq!(p["errors"][0]["field"], "pages", "{p}");
}

#[test]
fn list_walks_every_page_exactly_once() {
    let token = editor();
    let genre = format!("Genre{}", unique_email("g").len() + std::process::id() as usize);
    let mut ids = Vec::new();
    for i in 0..7 {
        let mut b = book_body(&format!("Paged {i}"));
        b["genre"] = json!(genre);
        let r = app().json("POST", "/api/books", Some(&token), &b);
        assert_eq!(r.status, 201, "{}", r.text());
        ids.push(r.json()["id"].as_str().unwrap().to_string());
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..10 {
        let mut path = format!("/api/books?genre={genre}&limit=3&sort=title&count=true");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={}", folio_blackbox::urlencode(c)));
        }
        let page = app().with_token("GET", &path, &token).json();
        assert_eq!(page["total"], 7);
        seen.extend(page["items"].as_array().unwrap().iter().map(|b| b["id"].as_str().unwrap().to_string()));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    seen.sort();
    ids.sort();
    assert_eq!(seen, ids);
    app().with_token("GET", "/api/books?cursor=forged-cursor", &token).problem(400);
    app().with_token("GET", "/api/books?limit=101", &token).problem(422);
}

/// A reader never waits for a writer, the first list page that hands out a cursor included:
/// the cursors' key is made with the schema (migration 0011), not by that page. Made by the page,
/// it needed the write lock, and a page asked for while a long write held it (a generator run)
/// answered 503 after the busy budget.
#[test]
fn the_first_cursor_is_handed_out_while_another_writer_holds_the_lock() {
    let instance = folio_blackbox::Instance::start(folio_blackbox::Launch::default());
    let app = &instance.app;
    let token = app.login(&unique_email("first-cursor")).access;
    for title in ["First of two", "Second of two"] {
        assert_eq!(app.json("POST", "/api/books", Some(&token), &book_body(title)).status, 201);
    }
    let db =
        rusqlite::Connection::open(instance.state_dir().join("sqlite_db.db")).expect("Spin's SQLite file");
    db.execute_batch("BEGIN IMMEDIATE").expect("the write lock");
    let started = std::time::Instant::now();
    let first = app.with_token("GET", "/api/books?limit=1", &token);
    assert_eq!(first.status, 200, "{}", first.text());
    let cursor = first.json()["next_cursor"].as_str().expect("a cursor to the second book").to_string();
    let next = app.with_token("GET", &format!("/api/books?limit=1&cursor={cursor}"), &token);
    assert_eq!(next.status, 200, "{}", next.text());
    assert_eq!(next.json()["items"].as_array().map(Vec::len), Some(1));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "the pages waited: {:?}",
        started.elapsed()
    );
    db.execute_batch("ROLLBACK").unwrap();
}

/// A write that changes nothing writes nothing: the book's tag and the reports' stay. A blank
/// `If-Match` is a condition no version meets. On an instance of its own: the reports' tag
/// follows every write to the catalogue, and the shared app has other tests writing.
#[test]
fn writes_that_change_nothing_keep_every_tag_and_a_blank_if_match_matches_nothing() {
    let instance = folio_blackbox::Instance::start(folio_blackbox::Launch::default());
    let app = || &instance.app;
    let token = app().login(&unique_email("unchanged")).access;
    let created = app().json("POST", "/api/books", Some(&token), &folio_blackbox::book_body("Unchanged"));
    let book = created.json();
    let path = format!("/api/books/{}", book["id"].as_str().unwrap());
    let report =
        || app().with_token("GET", "/api/reports/summary", &token).header("etag").unwrap().to_string();
    let report_before = report();
    let patch = |body: &str, if_match: &str| {
        app().call(
            "PATCH",
            &path,
            &[
                ("authorization", &format!("Bearer {token}")),
                ("content-type", "application/merge-patch+json"),
                ("if-match", if_match),
            ],
            body.as_bytes(),
        )
    };
    for body in ["{}".to_string(), format!(r#"{{"pages": {}}}"#, book["pages"])] {
        let r = patch(&body, "\"v1\"");
        assert_eq!((r.status, r.header("etag")), (200, Some("\"v1\"")), "{body}");
        assert_eq!(r.json(), book, "{body}");
    }
    assert_eq!(report(), report_before, "the reports' tag stays");
    let r = patch(r#"{"pages": 3}"#, "");
    r.problem(412);
    let r = patch(r#"{"pages": 3}"#, "\"v1\"");
    assert_eq!(r.header("etag"), Some("\"v2\""));
    assert_ne!(report(), report_before);
}

/// One name typed two ways (a composed `é`, or `e` and a combining accent) is one author: the
/// catalogue keeps text composed (NFC), so the filter finds both books under either spelling.
#[test]
fn an_author_typed_two_ways_is_one_author() {
    let token = editor();
    let tag = unique_email("nfc").replace(|c: char| !c.is_ascii_alphanumeric(), "");
    let composed = format!("Jos\u{e9} {tag}");
    let decomposed = format!("Jose\u{301} {tag}");
    for author in [&composed, &decomposed] {
        let mut body = book_body("Ensaio");
        body["author"] = json!(author);
        let r = app().json("POST", "/api/books", Some(&token), &body);
        assert_eq!(r.status, 201, "{}", r.text());
        assert_eq!(r.json()["author"], json!(composed));
    }
    for spelling in [&composed, &decomposed] {
        let query: String = url::form_urlencoded::byte_serialize(spelling.as_bytes()).collect();
        let page = app().with_token("GET", &format!("/api/books?author={query}"), &token);
        assert_eq!(page.status, 200, "{}", page.text());
        assert_eq!(page.json()["items"].as_array().unwrap().len(), 2, "{spelling:?}: {}", page.text());
    }
}

/// Integers in query strings are plain decimal digits: a sign on a positive number or on zero,
/// spaces, exponents are `422` naming the parameter, on every route that takes one.
#[test]
fn query_integers_must_be_written_as_plain_decimal_digits() {
    let token = app().user_with_role("reader").access;
    for path in [
        "/api/books?year_min=-0",
        "/api/books?year_min=%2B2000",
        "/api/books?limit=1e1",
        "/api/generator/preview?count=1&seed=-0",
        "/api/generator/preview?count=%201",
        "/api/reports/authors?limit=-0",
    ] {
        let r = app().with_token("GET", path, &token);
        let problem = r.problem(422);
        let field = problem["errors"][0]["field"].as_str().unwrap_or_default().to_string();
        assert!(path.contains(&format!("{field}=")), "{path}: {problem}");
    }
    assert_eq!(app().with_token("GET", "/api/books?year_min=0&limit=010", &token).status, 200);
}
