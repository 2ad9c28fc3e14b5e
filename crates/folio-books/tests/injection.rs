//! SQL and FTS5 injection attempts in every string field and every query parameter: stored and
//! matched literally, never a 500, never a changed schema.

mod common;

use common::*;
use folio_native::TestApp;
use serde_json::json;

const ATTACKS: [&str; 8] = [
    "'; DROP TABLE books; --",
    "Robert'); DELETE FROM books WHERE ('1'='1",
    "\" OR \"1\"=\"1",
    "1 OR 1=1",
    "x' UNION SELECT name, sql FROM sqlite_master --",
    "%' OR title LIKE '%",
    "NEAR(a b) OR title:* NOT \"x",
    "\\'; SELECT load_extension('x'); --",
];

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

#[test]
fn attacks_in_every_string_field_are_stored_literally() {
    let app = TestApp::new();
    for (n, attack) in ATTACKS.iter().enumerate() {
        let mut b = book(n as u64);
        for field in ["title", "author", "genre", "description"] {
            // genre is at most 50 characters; every attack fits.
            b[field] = json!(attack);
        }
        let created = create(&app, &b);
        let got = body(&get(&app, &format!("/api/books/{}", created["id"].as_str().unwrap()), "reader"));
        for field in ["title", "author", "genre", "description"] {
            assert_eq!(got[field], *attack, "{field}");
        }
        // The equality filters match the literal text, and only it.
        for param in ["author", "genre"] {
            let r = get(&app, &format!("/api/books?{param}={}&count=true", encode(attack)), "reader");
            assert_eq!(r.status(), 200, "{param}={attack}");
            let page = body(&r);
            assert_eq!(page["total"], 1, "{param}={attack}");
            assert_eq!(page["items"][0]["id"], created["id"]);
        }
    }
    assert_eq!(count_rows(&app), ATTACKS.len() as i64, "nothing was dropped or deleted");
}

#[test]
fn attacks_in_isbn_language_and_numbers_are_422() {
    let app = TestApp::new();
    for attack in ATTACKS {
        for field in ["isbn", "language", "published_year", "pages", "price_cents"] {
            let mut b = book(1);
            b[field] = json!(attack);
            let r = json_to(&app, "POST", "/api/books", "editor", &b);
            assert_eq!(error_fields(&r), vec![field.to_string()], "{field}={attack}");
        }
    }
    assert_eq!(count_rows(&app), 0);
}

#[test]
fn attacks_in_query_parameters_never_reach_sql_as_text() {
    let app = TestApp::new();
    let mut plain = book(1);
    plain["description"] = json!("nothing to see");
    create(&app, &plain);
    for attack in ATTACKS {
        let e = encode(attack);
        // Free text: searched for as words, literally.
        let r = get(&app, &format!("/api/books?q={e}"), "reader");
        assert!(r.status() == 200 || r.status() == 422, "q={attack}: {}", r.status());
        if r.status() == 200 {
            assert!(body(&r)["items"].as_array().unwrap().is_empty(), "q={attack} matched");
        }
        // Enumerated and numeric parameters are refused.
        for param in ["sort", "language", "year_min", "year_max", "limit", "count"] {
            let r = get(&app, &format!("/api/books?{param}={e}"), "reader");
            assert_eq!(r.status(), 422, "{param}={attack}");
        }
        // The cursor is opaque and signed.
        assert_eq!(get(&app, &format!("/api/books?cursor={e}"), "reader").status(), 400, "cursor={attack}");
        // Ids in the path are looked up literally.
        let path = format!("/api/books/{e}");
        assert_eq!(get(&app, &path, "reader").status(), 404, "id={attack}");
        assert_eq!(send(&app, req("DELETE", &path, "editor").body(vec![]).unwrap()).status(), 404);
        // Unknown parameter names are refused too.
        assert_eq!(get(&app, &format!("/api/books?{e}=1"), "reader").status(), 422);
    }
    assert_eq!(count_rows(&app), 1);
    // FTS5 operators typed as words are words: "NOT" is searched for, not applied.
    let mut op = book(2);
    op["title"] = json!("To be OR NOT to be");
    create(&app, &op);
    let r = body(&get(&app, "/api/books?q=NOT%20be&count=true", "reader"));
    assert_eq!(r["total"], 1);
    let r = body(&get(&app, "/api/books?q=nothing%20OR%20be&count=true", "reader"));
    assert_eq!(r["total"], 0, "OR is a word to find, not an operator");
}
