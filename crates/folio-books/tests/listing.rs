//! `GET /api/books`: keyset pagination under every sort while rows are inserted, filters,
//! `count`, search, and refusal of forged cursors.

mod common;

use std::collections::HashSet;

use common::*;
use folio_books::listing::Sort;
use folio_native::TestApp;
use serde_json::{json, Value};

const TITLES: [&str; 5] = ["Alpha", "beta", "Gamma", "Alpha", "Ωmega"];
const YEARS: [i64; 4] = [1999, 2005, 1999, 1450];
const PRICES: [i64; 3] = [500, 0, 500];
const GENRES: [&str; 3] = ["Fiction", "Poetry", "History"];
const LANGS: [&str; 2] = ["en", "fr"];

/// Seeds `n` books with many equal sort values (ties are where keysets go wrong) and, every
/// other book, the same `created_at` millisecond.
fn seed(app: &TestApp, n: u64, from: u64) -> Vec<Value> {
    (from..from + n)
        .map(|i| {
            if i % 2 == 0 {
                app.clock.advance_secs(1);
            }
            let u = i as usize;
            let mut b = book(i);
            b["title"] = json!(format!("{} {}", TITLES[u % 5], i % 3));
            b["published_year"] = json!(YEARS[u % 4]);
            b["price_cents"] = json!(PRICES[u % 3]);
            b["genre"] = json!(GENRES[u % 3]);
            b["language"] = json!(LANGS[u % 2]);
            b["author"] = json!(format!("Author {}", i % 4));
            create(app, &b)
        })
        .collect()
}

/// The sort value of a book as JSON, for ordering checks.
fn key(book: &Value, sort: Sort) -> Value {
    book[sort.key.column()].clone()
}

fn compare(a: &Value, b: &Value) -> std::cmp::Ordering {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_i64().cmp(&y.as_i64()),
        (Value::String(x), Value::String(y)) => x.cmp(y),
        _ => panic!("mixed sort values {a} {b}"),
    }
}

/// Walks every page of `query`, running `between` after each page; returns the books in order.
fn walk(app: &TestApp, query: &str, mut between: impl FnMut(usize)) -> Vec<Value> {
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for page in 0.. {
        assert!(page < 1000, "pagination does not end");
        let uri = match &cursor {
            Some(c) => format!("/api/books?{query}&cursor={c}"),
            None => format!("/api/books?{query}"),
        };
        let r = get(app, &uri, "reader");
        assert_eq!(r.status(), 200, "{uri}: {}", String::from_utf8_lossy(r.body()));
        let b = body(&r);
        seen.extend(b["items"].as_array().unwrap().iter().cloned());
        between(page);
        match b["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    seen
}

fn ids(books: &[Value]) -> Vec<String> {
    books.iter().map(|b| b["id"].as_str().unwrap().to_string()).collect()
}

fn assert_ordered(books: &[Value], sort: Sort) {
    for pair in books.windows(2) {
        let ord = compare(&key(&pair[0], sort), &key(&pair[1], sort))
            .then_with(|| pair[0]["id"].as_str().cmp(&pair[1]["id"].as_str()));
        let ord = if sort.descending { ord.reverse() } else { ord };
        assert_eq!(
            ord,
            std::cmp::Ordering::Less,
            "{} out of order: {} then {}",
            sort.name(),
            pair[0],
            pair[1]
        );
    }
}

#[test]
fn every_sort_returns_every_book_exactly_once_while_books_are_added() {
    for sort in Sort::all() {
        let app = TestApp::new();
        let initial = ids(&seed(&app, 40, 0));
        let mut next = 1000;
        let seen = walk(&app, &format!("sort={}&limit=7", sort.name()), |_| {
            // One book sorting before everything and one after, under every sort key.
            for (title, year, price) in [("0 first", 1450, 0), ("zzz last", 2026, 100_000_000)] {
                let mut b = book(next);
                b["title"] = json!(title);
                b["published_year"] = json!(year);
                b["price_cents"] = json!(price);
                create(&app, &b);
                next += 1;
            }
            app.clock.advance_secs(1);
        });
        let seen_ids = ids(&seen);
        let unique: HashSet<&String> = seen_ids.iter().collect();
        assert_eq!(unique.len(), seen_ids.len(), "{}: a book came twice", sort.name());
        for id in &initial {
            assert!(unique.contains(id), "{}: book {id} was skipped", sort.name());
        }
        assert_ordered(&seen, sort);
    }
}

/// Which seeded books a filter should return.
type Matcher = Box<dyn Fn(&Value) -> bool>;

#[test]
fn filters_combine_with_every_sort_and_count_gives_the_total() {
    let app = TestApp::new();
    let all = seed(&app, 60, 0);
    let filters: Vec<(&str, Matcher)> = vec![
        ("genre=Poetry", Box::new(|b: &Value| b["genre"] == "Poetry")),
        ("author=Author%202", Box::new(|b: &Value| b["author"] == "Author 2")),
        ("language=FR", Box::new(|b: &Value| b["language"] == "fr")),
        (
            "year_min=1999&year_max=2004",
            Box::new(|b: &Value| (1999..=2004).contains(&b["published_year"].as_i64().unwrap())),
        ),
        ("year_min=2000", Box::new(|b: &Value| b["published_year"].as_i64().unwrap() >= 2000)),
        (
            "genre=Fiction&language=en&year_max=2000",
            Box::new(|b: &Value| {
                b["genre"] == "Fiction"
                    && b["language"] == "en"
                    && b["published_year"].as_i64().unwrap() <= 2000
            }),
        ),
        ("q=alpha", Box::new(|b: &Value| b["title"].as_str().unwrap().starts_with("Alpha"))),
        ("q=GAMMA%20author", Box::new(|b: &Value| b["title"].as_str().unwrap().starts_with("Gamma"))),
        ("genre=None", Box::new(|_: &Value| false)),
    ];
    for (filter, matches) in &filters {
        let expected: HashSet<String> =
            ids(&all.iter().filter(|b| matches(b)).cloned().collect::<Vec<_>>()).into_iter().collect();
        for sort in Sort::all() {
            let seen = walk(&app, &format!("{filter}&sort={}&limit=4", sort.name()), |_| {});
            let seen_ids = ids(&seen);
            assert_eq!(seen_ids.len(), expected.len(), "{filter} {}", sort.name());
            assert_eq!(seen_ids.into_iter().collect::<HashSet<_>>(), expected, "{filter} {}", sort.name());
            assert_ordered(&seen, sort);
        }
        let r = body(&get(&app, &format!("/api/books?{filter}&count=true&limit=1"), "reader"));
        assert_eq!(r["total"], expected.len() as i64, "{filter}");
    }
    // Without count=true there is no total.
    assert!(body(&get(&app, "/api/books", "reader")).get("total").is_none());
}

#[test]
fn limit_defaults_to_20_and_the_last_page_has_no_cursor() {
    let app = TestApp::new();
    seed(&app, 25, 0);
    let first = body(&get(&app, "/api/books", "reader"));
    assert_eq!(first["items"].as_array().unwrap().len(), 20);
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = body(&get(&app, &format!("/api/books?cursor={cursor}"), "reader"));
    assert_eq!(second["items"].as_array().unwrap().len(), 5);
    assert!(second["next_cursor"].is_null());
    // The default order is newest first.
    assert_ordered(first["items"].as_array().unwrap(), Sort::parse("-created_at").unwrap());
    let exact = body(&get(&app, "/api/books?limit=25", "reader"));
    assert_eq!(exact["items"].as_array().unwrap().len(), 25);
    assert!(exact["next_cursor"].is_null(), "no cursor to an empty page");
}

#[test]
fn forged_garbled_and_foreign_cursors_are_400() {
    let app = TestApp::new();
    seed(&app, 10, 0);
    let page = body(&get(&app, "/api/books?sort=title&limit=3", "reader"));
    let cursor = page["next_cursor"].as_str().unwrap().to_string();
    assert_eq!(get(&app, &format!("/api/books?sort=title&limit=3&cursor={cursor}"), "reader").status(), 200);
    let (payload, mac) = cursor.split_once('.').unwrap();
    let mut flipped = payload.as_bytes().to_vec();
    flipped[3] = if flipped[3] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(flipped).unwrap();
    let garbage = [
        "x".to_string(),
        "a.b".to_string(),
        ".".to_string(),
        payload.to_string(),
        format!("{payload}."),
        format!("{flipped}.{mac}"),
        format!("{payload}.{}", &mac[..mac.len() - 2]),
        format!("{payload}.AAAAAAAAAAAAAAAAAAAAAA"),
        format!("{cursor}x"),
        "%27%20OR%201%3D1%20--".to_string(),
        "eyJzIjoidGl0bGUiLCJmIjoiIiwiayI6MSwiaSI6IngifQ.AAAAAAAAAAAAAAAAAAAAAA".to_string(),
        "A".repeat(5000),
    ];
    for c in &garbage {
        let r = get(&app, &format!("/api/books?sort=title&limit=3&cursor={c}"), "reader");
        assert_eq!(r.status(), 400, "{c}");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let text = String::from_utf8_lossy(r.body()).to_lowercase();
        assert!(!text.contains("sql") && !text.contains("select"), "{text}");
    }
    // A valid cursor for another sort or other filters is refused, not misapplied.
    for other in ["sort=-title", "sort=price_cents", "sort=title&genre=Poetry", "sort=title&q=alpha"] {
        assert_eq!(
            get(&app, &format!("/api/books?{other}&cursor={cursor}"), "reader").status(),
            400,
            "{other}"
        );
    }
    // Another install's cursor does not verify here.
    let elsewhere = TestApp::new();
    seed(&elsewhere, 10, 0);
    let foreign = body(&get(&elsewhere, "/api/books?sort=title&limit=3", "reader"))["next_cursor"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(get(&app, &format!("/api/books?sort=title&limit=3&cursor={foreign}"), "reader").status(), 400);
}

#[test]
fn search_matches_words_in_title_author_and_description() {
    let app = TestApp::new();
    let mut a = book(1);
    a["title"] = json!("The Left Hand of Darkness");
    a["author"] = json!("Ursula K. Le Guin");
    a["description"] = json!("Gethen, a planet of perpetual winter.");
    let a = create(&app, &a);
    let mut b = book(2);
    b["title"] = json!("Café Society");
    b["description"] = json!("Winter in Paris");
    let b = create(&app, &b);
    let found = |q: &str| -> Vec<String> {
        let r = get(&app, &format!("/api/books?q={q}&sort=title"), "reader");
        assert_eq!(r.status(), 200, "{q}: {}", String::from_utf8_lossy(r.body()));
        ids(body(&r)["items"].as_array().unwrap())
    };
    let (a_id, b_id) = (a["id"].as_str().unwrap().to_string(), b["id"].as_str().unwrap().to_string());
    assert_eq!(found("darkness"), vec![a_id.clone()], "title, any case");
    assert_eq!(found("guin"), vec![a_id.clone()], "author");
    assert_eq!(found("PERPETUAL"), vec![a_id.clone()], "description");
    assert_eq!(found("winter"), vec![b_id.clone(), a_id.clone()], "sorted by title: Café < The");
    assert_eq!(found("winter%20paris"), vec![b_id.clone()], "every word must match");
    assert_eq!(found("cafe"), vec![b_id.clone()], "accents are folded");
    assert!(found("dark").is_empty(), "whole words, not prefixes");
    // The index follows updates and deletes (triggers).
    let uri = format!("/api/books/{b_id}");
    assert_eq!(merge_patch(&app, &uri, "editor", &json!({"title": "Tea Society"}), None).status(), 200);
    assert!(found("cafe").is_empty());
    assert_eq!(found("tea"), vec![b_id.clone()]);
    assert_eq!(found("paris"), vec![b_id.clone()], "untouched description still indexed");
    assert_eq!(send(&app, req("DELETE", &uri, "editor").body(vec![]).unwrap()).status(), 204);
    assert!(found("tea").is_empty());
    assert_eq!(found("winter"), vec![a_id]);
}

#[test]
fn rows_inserted_with_the_shared_insert_sql_are_searchable() {
    // The generator inserts rows itself with store::insert_sql; the triggers index them.
    use folio_books::{
        model::{BookDraft, NewBook},
        store,
    };
    let app = TestApp::new();
    let drafts: Vec<NewBook> = (0..3)
        .map(|i| {
            let d = BookDraft {
                title: format!("Lorem ipsum {i}"),
                author: "Gen Erator".into(),
                genre: "Poetry".into(),
                isbn: isbn(100 + i),
                published_year: 2001,
                pages: 99,
                price_cents: 100,
                language: "la".into(),
                description: "dolor sit amet".into(),
            };
            NewBook::parse(&d, 2027).unwrap()
        })
        .collect();
    app.with_host(|host| {
        folio_core::migrate::ensure(host.sql).unwrap();
        let params: Vec<folio_core::Value> = drafts
            .iter()
            .enumerate()
            .flat_map(|(i, b)| {
                store::insert_params(&format!("gen{i}"), b, "2026-01-01T00:00:00.000Z", "user-gen")
            })
            .collect();
        host.sql.execute(&store::insert_sql(drafts.len()), &params).unwrap();
    });
    let r = body(&get(&app, "/api/books?q=dolor&count=true", "reader"));
    assert_eq!(r["total"], 3);
    assert_eq!(r["items"][0]["language"], "la");
}

#[test]
fn a_search_matching_many_books_walks_the_sort_order_correctly() {
    // More matches than listing::DENSE_SEARCH switches the plan; the result must not change.
    use folio_books::{
        listing::DENSE_SEARCH,
        model::{BookDraft, NewBook},
        store,
    };
    let app = TestApp::new();
    let n = DENSE_SEARCH as u64 + 300;
    app.with_host(|host| {
        folio_core::migrate::ensure(host.sql).unwrap();
        for chunk in (0..n).collect::<Vec<_>>().chunks(500) {
            let mut params = Vec::new();
            for &i in chunk {
                let d = BookDraft {
                    title: format!("Title {}", i % 97),
                    author: format!("Author {}", i % 5),
                    genre: "Poetry".into(),
                    isbn: isbn(i),
                    published_year: 1900 + (i % 50) as i64,
                    pages: 10,
                    price_cents: (i % 13) as i64,
                    language: "en".into(),
                    // Every third book is about whales.
                    description: if i % 3 == 0 { "whales and the sea".into() } else { "the sea".into() },
                };
                let book = NewBook::parse(&d, 2027).unwrap();
                let at = format!("2026-01-01T00:00:{:02}.000Z", i % 60);
                params.extend(store::insert_params(&format!("id{i:06}"), &book, &at, "user-gen"));
            }
            host.sql.execute(&store::insert_sql(chunk.len()), &params).unwrap();
        }
    });
    let sea: HashSet<String> = (0..n).map(|i| format!("id{i:06}")).collect();
    let whales: HashSet<String> = (0..n).filter(|i| i % 3 == 0).map(|i| format!("id{i:06}")).collect();
    for (q, expected) in [("sea", &sea), ("whales%20sea", &whales)] {
        for sort in [Sort::parse("title").unwrap(), Sort::parse("-price_cents").unwrap(), Sort::DEFAULT] {
            let seen = walk(&app, &format!("q={q}&sort={}&limit=100", sort.name()), |_| {});
            let got = ids(&seen);
            assert_eq!(got.len(), expected.len(), "{q} {}", sort.name());
            assert_eq!(&got.into_iter().collect::<HashSet<_>>(), expected, "{q} {}", sort.name());
            assert_ordered(&seen, sort);
        }
        let total =
            body(&get(&app, &format!("/api/books?q={q}&count=true&genre=Poetry"), "reader"))["total"].clone();
        assert_eq!(total, expected.len() as i64);
    }
}

#[test]
fn books_indexed_before_the_full_text_index_lost_its_column_sizes_are_still_found() {
    use folio_books::{model::NewBook, store};
    use folio_core::{migrate, Sql};
    // A catalogue of the schema before migration 0007 (full-text index with column sizes)...
    let app = TestApp::new();
    let sql = app.sql();
    let before: Vec<migrate::Migration> = migrate::all().iter().copied().filter(|m| m.version < 7).collect();
    migrate::migrate(&sql, &before).unwrap();
    let one = |statement: &str| sql.execute(statement, &[]).unwrap().first().unwrap().i64("n");
    let docsize = "SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'books_fts_docsize'";
    assert_eq!(one(docsize), Some(1), "the old schema keeps column sizes");
    let mut params = Vec::new();
    for i in 0..30 {
        let mut b = book(i);
        b["description"] = json!(if i % 3 == 0 { "whales and the sea" } else { "the sea" });
        let book = NewBook::from_json(&b, 2027).unwrap();
        params.extend(store::insert_params(
            &format!("id{i:03}"),
            &book,
            "2026-01-01T00:00:00.000Z",
            "user-old",
        ));
    }
    sql.execute(&store::insert_sql(30), &params).unwrap();
    // ...upgraded by the first request: the index is rebuilt over the books already stored.
    let seen = walk(&app, "q=whales&limit=4", |_| {});
    assert_eq!(migrate::current_version(&sql).unwrap(), migrate::latest_version());
    assert_eq!(one(docsize), Some(0), "0007 dropped them");
    let whales: HashSet<String> = (0..30).filter(|i| i % 3 == 0).map(|i| format!("id{i:03}")).collect();
    assert_eq!(ids(&seen).into_iter().collect::<HashSet<_>>(), whales);
    assert_eq!(ids(&walk(&app, "q=sea&limit=7", |_| {})).len(), 30);
    // FTS5 also compares the index with the books table.
    let check = folio_native::check_full_text(&sql);
    assert!(check.is_ok(), "{check:?}");
}

/// The race audit's `total`: the page and its count were separate statements, each with its own
/// snapshot, so a book added between them was counted but not listed (or listed, not counted).
/// They share one snapshot now, and agree.
#[test]
fn a_page_and_its_total_agree_while_a_book_is_added_between_them() {
    let app = TestApp::new();
    let by = |n: u64| {
        let mut b = book(n);
        b["author"] = json!("Race Author");
        b
    };
    create(&app, &by(1));
    let sql = app.sql();
    let hooked = folio_native::Interleaved::before(&sql, "SELECT COUNT(*) AS n FROM books", || {
        create(&app, &by(2));
    });
    let request =
        req("GET", "/api/books?author=Race%20Author&count=true", "reader").body(Vec::new()).unwrap();
    let r = app.with_host_over(&hooked, app.kv.as_ref(), |h| handler(h, request));
    assert!(hooked.fired(), "a book was added between the page and its count");
    let page = body(&r);
    assert_eq!(page["items"].as_array().unwrap().len(), 1, "{page}");
    assert_eq!(page["total"], 1, "the count is of the page's snapshot: {page}");
    // Afterwards both books are listed and counted.
    let page = body(&get(&app, "/api/books?author=Race%20Author&count=true", "reader"));
    assert_eq!((page["items"].as_array().unwrap().len(), page["total"].as_i64()), (2, Some(2)));
}
