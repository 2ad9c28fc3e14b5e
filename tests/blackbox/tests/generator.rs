//! The generator over HTTP (API.md, "Generator").

use folio_blackbox::{app, unique_email};
use serde_json::json;

#[test]
fn preview_is_deterministic_and_writes_nothing() {
    let token = app().login(&unique_email("gen")).access;
    let a = app().with_token("GET", "/api/generator/preview?count=5&seed=42", &token);
    assert_eq!(a.status, 200, "{}", a.text());
    let b = app().with_token("GET", "/api/generator/preview?count=5&seed=42", &token);
    assert_eq!(a.body, b.body, "same seed, same bytes");
    let items = a.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 5);
    for book in &items {
        for field in
            ["title", "author", "genre", "isbn", "published_year", "pages", "price_cents", "language"]
        {
            assert!(!book[field].is_null(), "{field}: {book}");
        }
    }
    let c = app().with_token("GET", "/api/generator/preview?count=5&seed=43", &token);
    assert_ne!(a.body, c.body);
    for bad in ["count=0", "count=101", "count=5&seed=abc", "count=five"] {
        app().with_token("GET", &format!("/api/generator/preview?{bad}"), &token).problem(422);
    }
}

#[test]
fn runs_insert_books_with_unique_isbns_and_are_listed_newest_first() {
    let token = app().login(&unique_email("gen-run")).access;
    let before =
        app().with_token("GET", "/api/books?count=true&limit=1", &token).json()["total"].as_i64().unwrap();
    let seed = 7_000_000 + (std::process::id() as i64);
    let mut run_ids = Vec::new();
    for _ in 0..2 {
        // The same seed twice: ISBNs must stay unique against what is stored.
        let r = app().json("POST", "/api/generator/runs", Some(&token), &json!({"count": 250, "seed": seed}));
        assert_eq!(r.status, 201, "{}", r.text());
        let run = r.json();
        assert_eq!(run["count"], 250);
        assert_eq!(run["inserted"], 250);
        assert_eq!(run["seed"], seed);
        assert!(run["elapsed_ms"].is_i64() && run["created_at"].is_string());
        run_ids.push(run["id"].as_str().unwrap().to_string());
    }
    let after =
        app().with_token("GET", "/api/books?count=true&limit=1", &token).json()["total"].as_i64().unwrap();
    assert!(after >= before + 500, "{before} -> {after}");
    let runs = app().with_token("GET", "/api/generator/runs", &token).json();
    let listed: Vec<&str> =
        runs["items"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    let (first, second) = (
        listed.iter().position(|id| *id == run_ids[0]).unwrap(),
        listed.iter().position(|id| *id == run_ids[1]).unwrap(),
    );
    assert!(second < first, "newest first");
    let unseeded = app().json("POST", "/api/generator/runs", Some(&token), &json!({"count": 1}));
    assert_eq!(unseeded.status, 201);
    assert!(unseeded.json()["seed"].is_i64(), "a drawn seed is returned");
}

#[test]
fn run_bounds_are_enforced() {
    let token = app().login(&unique_email("gen-bounds")).access;
    for body in [
        json!({"count": 0}),
        json!({"count": 100001}),
        json!({"count": 5, "seed": 1.5}),
        json!({"count": 5, "x": 1}),
    ] {
        app().json("POST", "/api/generator/runs", Some(&token), &body).problem(422);
    }
    let reader = app().user_with_role("reader");
    app().json("POST", "/api/generator/runs", Some(&reader.access), &json!({"count": 1})).problem(403);
}
