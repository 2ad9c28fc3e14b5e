//! The HTTP surface: the report list, authentication and scope, parameter validation,
//! content negotiation and headers, routing errors, and a failing key-value store.

mod common;

use common::*;
use folio_core::Host;
use folio_native::{body_json, request, BrokenKv, ManualClock, MapConfig, NativeSql, OsRandom, TestApp};

const REPORTS: [&str; 5] = ["summary", "genres", "authors", "years", "prices"];

fn assert_problem(r: &folio_core::Response, status: u16) -> serde_json::Value {
    assert_eq!(r.status(), status, "{}", String::from_utf8_lossy(r.body()));
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let body = body_json(r);
    assert_eq!(body["status"], status);
    body
}

#[test]
fn the_list_names_every_report_and_each_one_is_served() {
    let app = app_with(&generate(1, 50));
    let r = app.call(handler, get("/api/reports"));
    assert_eq!(r.status(), 200);
    let body = body_json(&r);
    let items = body["items"].as_array().unwrap();
    let names: Vec<&str> = items.iter().map(|i| i["name"].as_str().unwrap()).collect();
    assert_eq!(names, REPORTS);
    for item in items {
        assert!(!item["title"].as_str().unwrap().is_empty());
        assert!(!item["description"].as_str().unwrap().is_empty());
        let path = format!("/api/reports/{}", item["name"].as_str().unwrap());
        assert_eq!(app.call(handler, get(&path)).status(), 200, "{path}");
    }
    assert_problem(&app.call(handler, get("/api/reports?format=csv")), 422);
}

#[test]
fn every_role_may_read_reports() {
    let app = app_with(&generate(2, 20));
    for role in ["reader", "editor", "admin"] {
        for path in ["/api/reports", "/api/reports/summary"] {
            assert_eq!(app.call(handler, get_as(role, path)).status(), 200, "{role} {path}");
        }
    }
}

#[test]
fn missing_bad_or_insufficient_tokens_are_refused() {
    let app = app_with(&generate(3, 20));
    for report in std::iter::once("").chain(REPORTS.iter().map(|r| &r[..])) {
        let path =
            if report.is_empty() { "/api/reports".to_string() } else { format!("/api/reports/{report}") };
        let r = app.call(handler, request("GET", &path).body(Vec::new()).unwrap());
        assert_problem(&r, 401);
        assert_eq!(r.headers()["www-authenticate"], "Bearer");

        let r = app.call(handler, get_as("forged", &path));
        assert_problem(&r, 401);
        assert_eq!(r.headers()["www-authenticate"], "Bearer error=\"invalid_token\"");

        let r = app.call(handler, get_as("no-reports", &path));
        assert_problem(&r, 403);
        assert!(r.headers()["www-authenticate"].to_str().unwrap().contains("read:reports"));
    }
    // Authentication comes before parameter checks: nothing is revealed to a stranger.
    let r = app.call(handler, request("GET", "/api/reports/prices?buckets=999").body(Vec::new()).unwrap());
    assert_problem(&r, 401);
}

#[test]
fn the_real_entry_point_uses_the_token_service() {
    // The token service refuses every token until it lands; `handle` must go through it.
    let app = app_with(&[]);
    assert_problem(&app.call(folio_reports::handle, get("/api/reports/summary")), 401);
}

#[test]
fn bad_parameters_are_422_naming_the_parameter() {
    let app = app_with(&generate(4, 20));
    let cases = [
        ("/api/reports/summary?year_min=2000&year_max=1999", "year_min"),
        ("/api/reports/summary?year_min=-1", "year_min"),
        ("/api/reports/summary?year_max=10000", "year_max"),
        ("/api/reports/summary?year_min=abc", "year_min"),
        ("/api/reports/summary?format=xml", "format"),
        ("/api/reports/summary?format=", "format"),
        ("/api/reports/summary?colour=red", "colour"),
        ("/api/reports/summary?limit=5", "limit"),
        ("/api/reports/summary?genre=%00", "genre"),
        ("/api/reports/summary?author=a%E2%80%AEb", "author"),
        ("/api/reports/summary?genre=a&genre=b", "genre"),
        ("/api/reports/genres?language=english", "language"),
        ("/api/reports/genres?language=e1", "language"),
        // Two letters that are no ISO 639-1 code: refused, as the book list refuses them.
        ("/api/reports/genres?language=zz", "language"),
        ("/api/reports/genres?buckets=3", "buckets"),
        ("/api/reports/authors?limit=0", "limit"),
        ("/api/reports/authors?limit=101", "limit"),
        ("/api/reports/authors?limit=ten", "limit"),
        ("/api/reports/years?bucket=century", "bucket"),
        ("/api/reports/prices?buckets=1", "buckets"),
        ("/api/reports/prices?buckets=51", "buckets"),
    ];
    for (uri, field) in cases {
        let body = assert_problem(&app.call(handler, get(uri)), 422);
        let fields: Vec<&str> =
            body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert!(fields.contains(&field), "{uri}: {fields:?}");
    }
    // A blank filter is no filter, as on the book list (a form's empty field), and a filter is
    // trimmed as the catalogue stores the field.
    let all = app.call(handler, get("/api/reports/summary"));
    assert_eq!(app.call(handler, get("/api/reports/summary?genre=&author=%20&language=")).body(), all.body());
    // Several bad parameters are reported together.
    let body =
        assert_problem(&app.call(handler, get("/api/reports/prices?buckets=0&format=pdf&year_min=-1")), 422);
    assert_eq!(body["errors"].as_array().unwrap().len(), 3, "{body}");
    let too_long = "x".repeat(201);
    assert_problem(&app.call(handler, get(&format!("/api/reports/authors?author={too_long}"))), 422);
    // The edges of every range are accepted.
    for uri in [
        "/api/reports/authors?limit=1",
        "/api/reports/authors?limit=100",
        "/api/reports/prices?buckets=2",
        "/api/reports/prices?buckets=50",
        "/api/reports/years?year_min=1450&year_max=1450",
        // The book list's year range: a year no book can have matches nothing.
        "/api/reports/years?year_min=0&year_max=9999",
        "/api/reports/summary?year_min=1000&year_max=1400",
        "/api/reports/summary?format=json",
    ] {
        assert_eq!(app.call(handler, get(uri)).status(), 200, "{uri}");
    }
}

#[test]
fn csv_is_served_for_the_format_parameter_or_accept() {
    let app = app_with(&generate(5, 100));
    let json = app.call(handler, get("/api/reports/genres"));
    assert_eq!(json.headers()["content-type"], "application/json");
    let vary = json.headers()["vary"].to_str().unwrap();
    assert!(vary.contains("Accept"), "{vary}");

    let by_param = app.call(handler, get("/api/reports/genres?format=csv"));
    let by_accept = app.call(
        handler,
        request("GET", "/api/reports/genres")
            .header("authorization", "Bearer reader")
            .header("accept", "text/csv")
            .body(Vec::new())
            .unwrap(),
    );
    for r in [&by_param, &by_accept] {
        assert_eq!(r.status(), 200);
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
        assert_eq!(r.headers()["content-disposition"], "attachment; filename=\"folio-genres.csv\"");
        let text = String::from_utf8(r.body().clone()).unwrap();
        assert!(text.starts_with("genre,books,share,average_price_cents,average_pages\r\n"), "{text}");
        // RFC 4180 quoting of a genre holding a comma and quotes.
        assert!(text.contains("\"Science \"\"Hard\"\", Fiction\""), "{text}");
    }
    assert_eq!(by_param.body(), by_accept.body());
    // The parameter wins over Accept.
    let r = app.call(
        handler,
        request("GET", "/api/reports/genres?format=json")
            .header("authorization", "Bearer reader")
            .header("accept", "text/csv")
            .body(Vec::new())
            .unwrap(),
    );
    assert_eq!(r.headers()["content-type"], "application/json");
}

#[test]
fn head_sends_headers_without_a_body() {
    let app = app_with(&generate(6, 30));
    let r = app.call(
        handler,
        request("HEAD", "/api/reports/summary")
            .header("authorization", "Bearer reader")
            .body(Vec::new())
            .unwrap(),
    );
    assert_eq!(r.status(), 200);
    assert!(r.body().is_empty());
    assert!(r.headers().contains_key("etag"));
}

#[test]
fn unknown_reports_are_404_and_other_methods_405() {
    let app = app_with(&[]);
    assert_problem(&app.call(handler, get("/api/reports/nothing")), 404);
    assert_problem(&app.call(handler, get("/api/reports/summary/extra")), 404);
    for path in ["/api/reports", "/api/reports/summary", "/api/reports/prices"] {
        let r = app.call(
            handler,
            request("POST", path).header("authorization", "Bearer admin").body(Vec::new()).unwrap(),
        );
        assert_problem(&r, 405);
        assert_eq!(r.headers()["allow"], "GET, HEAD, OPTIONS");
    }
}

#[test]
fn reports_are_still_served_when_the_key_value_store_fails() {
    let books = generate(8, 120);
    let sql = NativeSql::in_memory();
    let clock = ManualClock::now();
    let config = MapConfig::new();
    let host = Host { sql: &sql, kv: &BrokenKv, clock: &clock, random: &OsRandom, config: &config };
    insert(&host, &books);
    let r = handler(&host, get("/api/reports/summary"));
    assert_eq!(r.status(), 200);
    assert_eq!(body_json(&r), expected_summary(&books.iter().collect::<Vec<_>>()));
    // Without the store no version is known: no tag, and the answer must not be kept.
    assert!(!r.headers().contains_key("etag"));
    assert_eq!(r.headers()["cache-control"], "no-store");
}

#[test]
fn a_fresh_database_is_migrated_by_the_first_report() {
    let app = TestApp::new();
    let r = app.call(handler, get("/api/reports/summary"));
    assert_eq!(r.status(), 200);
    assert_eq!(body_json(&r)["books"], 0);
}

/// The records of a CSV answer, parsed back (header included).
fn csv_records(r: &folio_core::Response) -> Vec<Vec<String>> {
    assert_eq!(r.status(), 200, "{}", String::from_utf8_lossy(r.body()));
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(r.body().as_slice())
        .records()
        .map(|rec| rec.unwrap().iter().map(str::to_string).collect())
        .collect()
}

#[test]
fn csv_text_cells_that_a_spreadsheet_would_run_are_prefixed_and_json_is_not() {
    let formulas = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tTabbed", "\rReturn", "-1"];
    let mut books = generate(9, 3 * formulas.len());
    for (i, b) in books.iter_mut().enumerate() {
        b.author = formulas[i % formulas.len()].to_string();
    }
    books[0].genre = "=HYPERLINK(\"http://evil.example\")".into();
    let app = app_with(&books);

    let authors = csv_records(&app.call(handler, get("/api/reports/authors?format=csv&limit=100")));
    assert_eq!(authors[0], ["author", "books", "average_price_cents"]);
    let mut names: Vec<&str> = authors[1..].iter().map(|r| r[0].as_str()).collect();
    names.sort();
    let mut expected: Vec<String> = formulas.iter().map(|f| format!("'{f}")).collect();
    expected.sort();
    assert_eq!(names, expected);
    // Numbers are not text: the book counts stay numbers.
    assert!(authors[1..].iter().all(|r| r[1].parse::<i64>().unwrap() == 3), "{authors:?}");

    let genres = csv_records(&app.call(handler, get("/api/reports/genres?format=csv")));
    assert!(genres.iter().any(|r| r[0] == "'=HYPERLINK(\"http://evil.example\")"), "{genres:?}");
    assert!(genres[1..].iter().all(|r| !r[0].starts_with('=')), "{genres:?}");

    // JSON carries the names as stored.
    let json = body_json(&app.call(handler, get("/api/reports/authors?limit=100")));
    let mut stored: Vec<&str> =
        json["items"].as_array().unwrap().iter().map(|i| i["author"].as_str().unwrap()).collect();
    stored.sort();
    let mut raw = formulas.to_vec();
    raw.sort();
    assert_eq!(stored, raw);
}
