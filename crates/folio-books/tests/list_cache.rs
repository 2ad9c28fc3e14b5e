//! The cache of list pages and searches (`GET /api/books`): a page asked again before the next
//! write comes from the key-value store, one round trip with the token check; never older than
//! an answered write; keyed by everything that shapes the page.

mod common;

use common::*;
use folio_books::{list_cache, read_cache};
use folio_core::{Kv, Sql, Value as SqlValue};
use folio_native::TestApp;
use serde_json::json;

/// An app that stores a page on every miss, so each test knows when one is stored.
fn app() -> TestApp {
    TestApp::new().with_var(read_cache::VARIABLE.name, "1")
}

fn retitle_behind_the_api(app: &TestApp, id: &str, title: &str) {
    app.sql()
        .execute("UPDATE books SET title = ? WHERE id = ?", &[SqlValue::from(title), SqlValue::from(id)])
        .unwrap();
}

fn titles(app: &TestApp, uri: &str) -> Vec<String> {
    let r = get(app, uri, "reader");
    assert_eq!(r.status(), 200, "{}", String::from_utf8_lossy(r.body()));
    body(&r)["items"].as_array().unwrap().iter().map(|b| b["title"].as_str().unwrap().to_string()).collect()
}

fn list_keys(app: &TestApp) -> usize {
    app.kv.keys().unwrap().iter().filter(|k| k.starts_with(list_cache::KEY_PREFIX)).count()
}

#[test]
fn a_repeated_page_comes_from_the_store_until_the_catalogue_changes() {
    let app = app();
    let id = create(&app, &book(1))["id"].as_str().unwrap().to_string();
    create(&app, &book(2));
    let uri = "/api/books?sort=title&limit=10&count=true";
    let first = get(&app, uri, "reader");
    assert_eq!(body(&first)["total"], 2);
    retitle_behind_the_api(&app, &id, "Zzz changed in SQL");
    let second = get(&app, uri, "reader");
    assert_eq!(second.body(), first.body(), "the second read is the cached page");
    assert_eq!(second.headers()["cache-control"], first.headers()["cache-control"]);
    assert_eq!(second.headers()["content-type"], "application/json");

    // An answered write retires the page: the next read is SQL's, the retitle included.
    create(&app, &book(3));
    assert_eq!(titles(&app, uri), ["Book 2", "Book 3", "Zzz changed in SQL"]);
}

#[test]
fn every_write_through_the_api_is_visible_to_the_next_page() {
    let app = app();
    let id = create(&app, &book(1))["id"].as_str().unwrap().to_string();
    let uri = "/api/books?q=book";
    assert_eq!(titles(&app, uri), ["Book 1"]);
    let r = merge_patch(&app, &format!("/api/books/{id}"), "editor", &json!({"title": "Renamed book"}), None);
    assert_eq!(r.status(), 200);
    assert_eq!(titles(&app, uri), ["Renamed book"]);
    let r = send(&app, req("DELETE", &format!("/api/books/{id}"), "editor").body(vec![]).unwrap());
    assert_eq!(r.status(), 204);
    assert!(titles(&app, uri).is_empty());
}

#[test]
fn pages_that_differ_in_anything_are_cached_apart() {
    let app = app();
    for n in 1..=5 {
        create(&app, &book(n));
    }
    let one = titles(&app, "/api/books?sort=title&limit=2");
    let desc = titles(&app, "/api/books?sort=-title&limit=2");
    let three = titles(&app, "/api/books?sort=title&limit=3");
    assert_eq!(one, ["Book 1", "Book 2"]);
    assert_eq!(desc, ["Book 5", "Book 4"]);
    assert_eq!(three, ["Book 1", "Book 2", "Book 3"]);
    // Walking the pages by cursor, through the cache, twice: every book once, both times.
    for _ in 0..2 {
        let mut seen = Vec::new();
        let mut uri = "/api/books?sort=title&limit=2".to_string();
        loop {
            let page = body(&get(&app, &uri, "reader"));
            seen.extend(
                page["items"].as_array().unwrap().iter().map(|b| b["title"].as_str().unwrap().to_string()),
            );
            match page["next_cursor"].as_str() {
                Some(c) => uri = format!("/api/books?sort=title&limit=2&cursor={}", urlencode(c)),
                None => break,
            }
        }
        assert_eq!(seen, ["Book 1", "Book 2", "Book 3", "Book 4", "Book 5"]);
    }
    let with_total = body(&get(&app, "/api/books?sort=title&limit=2&count=true", "reader"));
    assert_eq!(with_total["total"], 5, "a total asked for is never answered from a page without one");
    assert!(list_keys(&app) as u64 <= list_cache::SLOTS);
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[test]
fn a_cached_page_is_one_key_value_round_trip_and_still_needs_a_token() {
    let app = app();
    create(&app, &book(1));
    let list = |role: &str| {
        counting_round_trips(&app, req("GET", "/api/books?genre=Fiction", role).body(vec![]).unwrap())
    };
    // A miss: the session, the version and the slot in one batch, then SQL and the store.
    assert_eq!(list("reader"), (200, 1, 1));
    // A hit: that one batch and nothing else.
    assert_eq!(list("reader"), (200, 1, 0));
    // Cached or not, no token is a 401.
    assert_eq!(list("").0, 401);
}

#[test]
fn bad_queries_are_refused_as_before_and_the_cache_can_be_turned_off() {
    let app = app();
    let r = get(&app, "/api/books?limit=0&sort=nope", "reader");
    assert_eq!(error_fields(&r).len(), 2);
    let r = send(&app, req("GET", "/api/books?limit=0", "").body(vec![]).unwrap());
    assert_eq!(r.status(), 401, "the token is checked before the query");

    let off = TestApp::new().with_var(read_cache::VARIABLE.name, "0");
    create(&off, &book(1));
    assert_eq!(titles(&off, "/api/books"), ["Book 1"]);
    assert_eq!(list_keys(&off), 0);
}

#[test]
fn a_page_larger_than_the_limit_is_served_but_not_stored() {
    let app = app();
    let long = "x".repeat(9_000);
    for n in 1..=10 {
        let mut b = book(n);
        b["description"] = json!(long);
        create(&app, &b);
    }
    let r = get(&app, "/api/books?limit=10", "reader");
    assert_eq!(r.status(), 200);
    assert!(r.body().len() > list_cache::MAX_PAYLOAD);
    assert_eq!(list_keys(&app), 0);
    get(&app, "/api/books?limit=2", "reader");
    assert_eq!(list_keys(&app), 1, "a small page is stored");
}
