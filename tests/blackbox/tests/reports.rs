//! Report CSVs on real Spin: text cells a spreadsheet would run as formulas are defused
//! (issue 24, item 4; OWASP CSV injection), with author and genre names created through the API.

use folio_blackbox::{app, book_body, urlencode};

/// The records of a CSV answer (header included), read back with the `csv` crate.
fn records(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.expect("valid CSV").iter().map(str::to_string).collect())
        .collect()
}

#[test]
fn csv_cells_that_a_spreadsheet_would_run_are_prefixed_with_a_quote() {
    let app = app();
    let editor = app.user_with_role("editor");
    let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    // Tab and carriage return cannot start a name given to the API (names are trimmed and
    // control characters refused); the native tests write those straight into the table.
    let names =
        [format!("=1+{stamp}"), format!("+SUM(A{stamp})"), format!("-{stamp}+1"), format!("@cmd{stamp}")];
    for name in &names {
        let mut book = book_body("Formula");
        book["author"] = serde_json::json!(name);
        book["genre"] = serde_json::json!(format!("={stamp}"));
        let r = app.json("POST", "/api/books", Some(&editor.access), &book);
        assert_eq!(r.status, 201, "{}", r.text());
    }
    for name in &names {
        let path = format!("/api/reports/authors?format=csv&author={}", urlencode(name));
        let r = app.with_token("GET", &path, &editor.access);
        assert_eq!(r.status, 200, "{}", r.text());
        assert!(r.header("content-type").unwrap().starts_with("text/csv"));
        let rows = records(&r.text());
        assert_eq!(rows[0], ["author", "books", "average_price_cents"]);
        assert_eq!(rows[1][0], format!("'{name}"), "{rows:?}");
        assert_eq!(rows[1][1], "1", "numbers are left alone");
        // The JSON representation keeps the name as stored.
        let json = app.with_token("GET", &path.replace("format=csv&", ""), &editor.access).json();
        assert_eq!(json["items"][0]["author"], name.as_str());
    }
    let genres = app.with_token("GET", "/api/reports/genres?format=csv", &editor.access).text();
    let genre = format!("'={stamp}");
    assert!(records(&genres).iter().any(|row| row[0] == genre), "{genres}");
}

/// The reports read the catalogue filters as the book list does: one parameter, one meaning,
/// one `422`.
#[test]
fn report_filters_mean_what_they_mean_on_the_book_list() {
    let app = app();
    let reader = app.user_with_role("reader").access;
    for query in ["language=zz", "year_min=-1", "year_max=10000", "genre=%00"] {
        let list = app.with_token("GET", &format!("/api/books?{query}"), &reader);
        let report = app.with_token("GET", &format!("/api/reports/summary?{query}"), &reader);
        let field = |r: &folio_blackbox::Resp| r.problem(422)["errors"][0]["field"].clone();
        assert_eq!(field(&list), field(&report), "{query}");
    }
    for query in ["year_min=1000&year_max=1400", "language=EN", "genre=%20"] {
        assert_eq!(app.with_token("GET", &format!("/api/books?{query}"), &reader).status, 200, "{query}");
        assert_eq!(
            app.with_token("GET", &format!("/api/reports/summary?{query}"), &reader).status,
            200,
            "{query}"
        );
    }
}

/// The members API.md names: "books per year or decade" (each period named by its kind) and
/// "p50, p90, p99" (the same figures as the `_cents` members), with one author's books.
#[test]
fn years_name_their_period_and_prices_carry_the_contracts_percentile_names() {
    let app = app();
    let editor = app.user_with_role("editor");
    let author = format!("Period Author {}", std::process::id());
    for (year, price) in [(1987, 1000), (1989, 3000), (1994, 2000)] {
        let mut book = book_body("Period");
        book["author"] = serde_json::json!(author);
        book["published_year"] = serde_json::json!(year);
        book["price_cents"] = serde_json::json!(price);
        assert_eq!(app.json("POST", "/api/books", Some(&editor.access), &book).status, 201);
    }
    let author = urlencode(&author);
    let get = |path: String| {
        let r = app.with_token("GET", &path, &editor.access);
        assert_eq!(r.status, 200, "{}", r.text());
        r.json()
    };
    let years = get(format!("/api/reports/years?author={author}"));
    let years: Vec<_> =
        years["items"].as_array().unwrap().iter().map(|i| (i["year"].clone(), i["books"].clone())).collect();
    assert_eq!(years, [(1987.into(), 1.into()), (1989.into(), 1.into()), (1994.into(), 1.into())]);
    let decades = get(format!("/api/reports/years?bucket=decade&author={author}"));
    let items = decades["items"].as_array().unwrap();
    assert_eq!(
        items.iter().map(|i| (i["decade"].as_i64(), i["books"].as_i64())).collect::<Vec<_>>(),
        [(Some(1980), Some(2)), (Some(1990), Some(1))]
    );
    assert!(items.iter().all(|i| i.get("year").is_none()), "{decades}");
    let prices = get(format!("/api/reports/prices?author={author}"));
    for (short, long) in [("p50", "p50_cents"), ("p90", "p90_cents"), ("p99", "p99_cents")] {
        assert_eq!(prices[short], prices[long], "{prices}");
    }
    assert_eq!((prices["p50"].as_i64(), prices["p99"].as_i64()), (Some(2000), Some(3000)));
    let csv = app.with_token(
        "GET",
        &format!("/api/reports/years?bucket=decade&format=csv&author={author}"),
        &editor.access,
    );
    assert_eq!(records(&csv.text())[0], ["start", "end", "decade", "books"]);
}
