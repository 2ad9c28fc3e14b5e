//! Every number of every report, under many filter combinations, against an independent
//! computation over the same books held in Rust; and the CSV form parsed back against the JSON.

mod common;

use common::*;
use folio_native::body_json;
use serde_json::Value as Json;

const SEED: u64 = 0x5EED_F011;
const COUNT: usize = 3000;

fn fetch(app: &folio_native::TestApp, uri: &str) -> Json {
    let r = app.call(handler, get(uri));
    assert_eq!(r.status(), 200, "{uri}: {}", String::from_utf8_lossy(r.body()));
    assert_eq!(r.headers()["content-type"], "application/json", "{uri}");
    body_json(&r)
}

fn fetch_csv(app: &folio_native::TestApp, uri: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let sep = if uri.contains('?') { '&' } else { '?' };
    let r = app.call(handler, get(&format!("{uri}{sep}format=csv")));
    assert_eq!(r.status(), 200, "{uri}: {}", String::from_utf8_lossy(r.body()));
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/csv"), "{uri}");
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(r.body().as_slice());
    let header = reader.headers().unwrap().iter().map(String::from).collect();
    let rows = reader.records().map(|r| r.unwrap().iter().map(String::from).collect()).collect();
    (header, rows)
}

/// A CSV cell equals a JSON value: empty for null, the text for strings, the same number.
fn cell_equals(cell: &str, value: &Json) -> bool {
    match value {
        Json::Null => cell.is_empty(),
        Json::String(s) => cell == s,
        Json::Number(n) => cell.parse::<f64>().ok() == n.as_f64(),
        _ => false,
    }
}

/// CSV of a one-object report (summary) or an `items` report equals the JSON.
fn assert_csv_matches(uri: &str, json: &Json, csv: &(Vec<String>, Vec<Vec<String>>)) {
    let (header, rows) = csv;
    let objects: Vec<&Json> = match json.get("items") {
        Some(items) => items.as_array().unwrap().iter().collect(),
        None => vec![json],
    };
    assert_eq!(rows.len(), objects.len(), "{uri}: row count");
    for (row, object) in rows.iter().zip(objects) {
        let map = object.as_object().unwrap();
        let names: Vec<&String> = map.keys().collect();
        assert_eq!(header.len(), names.len(), "{uri}: columns {header:?} vs {names:?}");
        for (name, cell) in header.iter().zip(row) {
            let value = map.get(name).unwrap_or_else(|| panic!("{uri}: CSV column {name} not in JSON"));
            assert!(cell_equals(cell, value), "{uri}: {name}: CSV {cell:?} vs JSON {value}");
        }
    }
}

/// The prices CSV: bucket rows, then total, min, max and percentile rows.
fn assert_prices_csv_matches(uri: &str, json: &Json, csv: &(Vec<String>, Vec<Vec<String>>)) {
    let (header, rows) = csv;
    assert_eq!(header, &["row", "from_cents", "to_cents", "books", "price_cents"]);
    let histogram = json["histogram"].as_array().unwrap();
    assert_eq!(rows.len(), histogram.len() + 6, "{uri}");
    for (row, bucket) in rows.iter().zip(histogram) {
        assert_eq!(row[0], "bucket");
        assert!(cell_equals(&row[1], &bucket["from_cents"]), "{uri}");
        assert!(cell_equals(&row[2], &bucket["to_cents"]), "{uri}");
        assert!(cell_equals(&row[3], &bucket["books"]), "{uri}");
        assert_eq!(row[4], "");
    }
    let tail = &rows[histogram.len()..];
    assert_eq!(tail[0][0], "total");
    assert!(cell_equals(&tail[0][3], &json["books"]), "{uri}");
    for (row, name) in tail[1..].iter().zip(["min", "max", "p50", "p90", "p99"]) {
        assert_eq!(row[0], name);
        assert!(cell_equals(&row[4], &json[format!("{name}_cents")]), "{uri}: {name}");
    }
}

#[test]
fn every_report_matches_an_independent_computation_under_every_filter() {
    let books = generate(SEED, COUNT);
    let app = app_with(&books);
    let combinations = filter_combinations(&books);
    let mut non_empty = 0;
    for filter in &combinations {
        let matching: Vec<&Book> = books.iter().filter(|b| filter.matches(b)).collect();
        if !matching.is_empty() {
            non_empty += 1;
        }

        let u = uri("summary", filter, "");
        let json = fetch(&app, &u);
        assert_eq!(json, expected_summary(&matching), "{u}");
        assert_csv_matches(&u, &json, &fetch_csv(&app, &u));

        let u = uri("genres", filter, "");
        let json = fetch(&app, &u);
        assert_eq!(json, expected_genres(&matching), "{u}");
        assert_csv_matches(&u, &json, &fetch_csv(&app, &u));

        for (extra, limit) in [("", 10), ("limit=1", 1), ("limit=3", 3), ("limit=100", 100)] {
            let u = uri("authors", filter, extra);
            let json = fetch(&app, &u);
            assert_eq!(json, expected_authors(&matching, limit), "{u}");
            assert_csv_matches(&u, &json, &fetch_csv(&app, &u));
        }

        for (extra, decade) in [("", false), ("bucket=year", false), ("bucket=decade", true)] {
            let u = uri("years", filter, extra);
            let json = fetch(&app, &u);
            assert_eq!(json, expected_years(&matching, decade), "{u}");
            assert_csv_matches(&u, &json, &fetch_csv(&app, &u));
        }

        for (extra, buckets) in [("", 10), ("buckets=2", 2), ("buckets=7", 7), ("buckets=50", 50)] {
            let u = uri("prices", filter, extra);
            let json = fetch(&app, &u);
            assert_eq!(json, expected_prices(&matching, buckets), "{u}");
            assert_prices_csv_matches(&u, &json, &fetch_csv(&app, &u));
        }
    }
    // The combinations really exercise the data: most of them select some books.
    assert!(non_empty >= combinations.len() - 3, "only {non_empty} combinations matched books");
}

#[test]
fn the_seeded_data_is_varied_enough_to_test_with() {
    let books = generate(SEED, COUNT);
    let all: Vec<&Book> = books.iter().collect();
    let genres = expected_genres(&all);
    // Uneven shares and every genre present.
    let items = genres["items"].as_array().unwrap();
    assert_eq!(items.len(), GENRES.len());
    assert!(items[0]["books"].as_u64() > items[items.len() - 1]["books"].as_u64());
    // Ties in price exist (the percentile walk must cope), and free books.
    let prices: std::collections::HashSet<i64> = books.iter().map(|b| b.price_cents).collect();
    assert!(prices.len() < books.len() / 2);
    assert!(prices.contains(&0));
    // Authors with names that need CSV quoting are in the data.
    assert!(books.iter().any(|b| b.author.contains(',')));
    assert!(books.iter().any(|b| b.author.contains('\n')));
}

#[test]
fn reports_on_an_empty_catalogue_are_empty_not_errors() {
    let app = app_with(&[]);
    let none: Vec<&Book> = Vec::new();
    assert_eq!(fetch(&app, "/api/reports/summary"), expected_summary(&none));
    assert_eq!(fetch(&app, "/api/reports/genres"), expected_genres(&none));
    assert_eq!(fetch(&app, "/api/reports/authors"), expected_authors(&none, 10));
    assert_eq!(fetch(&app, "/api/reports/years?bucket=decade"), expected_years(&none, true));
    assert_eq!(fetch(&app, "/api/reports/prices"), expected_prices(&none, 10));
    let s = fetch(&app, "/api/reports/summary");
    assert_eq!(s["books"], 0);
    assert!(s["average_price_cents"].is_null());
}

#[test]
fn a_single_price_fills_the_first_bucket_only() {
    let mut books = generate(7, 5);
    for b in &mut books {
        b.price_cents = 1999;
    }
    let app = app_with(&books);
    let json = fetch(&app, "/api/reports/prices?buckets=3");
    let all: Vec<&Book> = books.iter().collect();
    assert_eq!(json, expected_prices(&all, 3));
    assert_eq!(json["histogram"][0]["books"], 5);
    assert_eq!(json["p99_cents"], 1999);
}
