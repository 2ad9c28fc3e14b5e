//! The cache: a second request is served from the key-value store, a write (any change that
//! bumps the catalogue's data version) invalidates it, entity tags and 304s follow the same
//! version, and the number of cache keys stays bounded.

mod common;

use common::*;
use folio_core::{catalog, Kv, Value};
use folio_native::{body_json, request, CountingSql, RoundTrips, TestApp};
use folio_reports::{
    cache,
    catalogue::Report,
    params::{Filters, ReportParams},
};

fn fetch(app: &TestApp, uri: &str) -> serde_json::Value {
    let r = app.call(handler, get(uri));
    assert_eq!(r.status(), 200, "{uri}: {}", String::from_utf8_lossy(r.body()));
    body_json(&r)
}

fn etag_of(app: &TestApp, uri: &str) -> String {
    let r = app.call(handler, get(uri));
    assert_eq!(r.status(), 200);
    r.headers()["etag"].to_str().unwrap().to_string()
}

fn sql(app: &TestApp, statement: &str, params: &[Value]) {
    app.with_host(|host| host.sql.execute(statement, params).unwrap());
}

fn bump(app: &TestApp) {
    app.with_host(|host| catalog::bump_data_version(host).unwrap());
}

fn expected(books: &[Book]) -> serde_json::Value {
    expected_summary(&books.iter().collect::<Vec<_>>())
}

#[test]
fn a_second_request_is_served_from_the_cache_until_the_version_changes() {
    let mut books = generate(11, 400);
    let app = app_with(&books);
    let first = fetch(&app, "/api/reports/summary");
    assert_eq!(first, expected(&books));

    // Change a price behind the cache's back, without bumping the version: the cached
    // answer is served, proving the second request did not run the SQL.
    sql(
        &app,
        "UPDATE books SET price_cents = price_cents + 100000 WHERE id = ?",
        &[Value::from(books[0].id.as_str())],
    );
    books[0].price_cents += 100_000;
    assert_ne!(expected(&books), first, "the change must alter the report");
    assert_eq!(fetch(&app, "/api/reports/summary"), first);

    // Once the version moves, the new data is served.
    bump(&app);
    assert_eq!(fetch(&app, "/api/reports/summary"), expected(&books));
}

#[test]
fn create_update_delete_and_bulk_writes_invalidate_every_report() {
    let mut books = generate(12, 300);
    let app = app_with(&books);
    let uris = [
        "/api/reports/summary",
        "/api/reports/genres",
        "/api/reports/authors",
        "/api/reports/years",
        "/api/reports/prices",
    ];
    let check = |books: &[Book]| {
        let all: Vec<&Book> = books.iter().collect();
        assert_eq!(fetch(&app, uris[0]), expected_summary(&all));
        assert_eq!(fetch(&app, uris[1]), expected_genres(&all));
        assert_eq!(fetch(&app, uris[2]), expected_authors(&all, 10));
        assert_eq!(fetch(&app, uris[3]), expected_years(&all, false));
        assert_eq!(fetch(&app, uris[4]), expected_prices(&all, 10));
    };
    check(&books);

    // Create.
    let mut new = generate(99, 1);
    new[0].id = "created-1".into();
    new[0].price_cents = 250_000;
    new[0].published_year = 1460;
    app.with_host(|host| insert(host, &new));
    books.extend(new);
    bump(&app);
    check(&books);

    // Update.
    let id = books[5].id.clone();
    sql(
        &app,
        "UPDATE books SET genre = 'Travel', pages = 9999, author = 'Author 000' WHERE id = ?",
        &[Value::from(id.as_str())],
    );
    books[5].genre = "Travel".into();
    books[5].pages = 9999;
    books[5].author = "Author 000".into();
    bump(&app);
    check(&books);

    // Delete.
    let id = books[7].id.clone();
    sql(&app, "DELETE FROM books WHERE id = ?", &[Value::from(id.as_str())]);
    books.remove(7);
    bump(&app);
    check(&books);

    // A generator run: many rows in one transaction, then one bump.
    let run = generate(4242, 500);
    app.with_host(|host| insert(host, &run));
    books.extend(run);
    bump(&app);
    check(&books);
}

#[test]
fn etags_follow_the_version_and_a_match_gets_304() {
    let books = generate(13, 200);
    let app = app_with(&books);
    let uri = "/api/reports/genres?language=en";
    let json_tag = etag_of(&app, uri);
    assert!(json_tag.starts_with('"') && json_tag.ends_with('"'), "strong tag: {json_tag}");
    assert_eq!(etag_of(&app, uri), json_tag, "stable while nothing changes");
    // Normalised parameters: the same report spelt differently shares the tag.
    assert_eq!(etag_of(&app, "/api/reports/genres?language=EN"), json_tag);
    // Another representation or other parameters: another tag.
    let csv_tag = etag_of(&app, &format!("{uri}&format=csv"));
    assert_ne!(csv_tag, json_tag);
    assert_ne!(etag_of(&app, "/api/reports/genres?language=de"), json_tag);
    assert_ne!(etag_of(&app, "/api/reports/summary?language=en"), json_tag);

    let conditional = |tag: &str| {
        request("GET", uri)
            .header("authorization", "Bearer reader")
            .header("if-none-match", tag)
            .body(Vec::new())
            .unwrap()
    };
    let r = app.call(handler, conditional(&json_tag));
    assert_eq!(r.status(), 304);
    assert!(r.body().is_empty());
    assert_eq!(r.headers()["etag"], json_tag.as_str());
    assert_eq!(app.call(handler, conditional(&format!("\"other\", W/{json_tag}"))).status(), 304);
    assert_eq!(app.call(handler, conditional(&csv_tag)).status(), 200);

    // After a write the old tag no longer matches, and a new one is sent.
    bump(&app);
    let r = app.call(handler, conditional(&json_tag));
    assert_eq!(r.status(), 200);
    assert_ne!(r.headers()["etag"], json_tag.as_str());
}

#[test]
fn a_catalogue_without_a_recorded_version_gets_one() {
    let app = app_with(&generate(14, 10));
    app.with_host(|host| assert_eq!(catalog::data_version(host).unwrap(), "0"));
    let tag = etag_of(&app, "/api/reports/summary");
    let version = app.with_host(|host| catalog::data_version(host).unwrap());
    assert_ne!(version, "0");
    // Emptying the store (a reset) gives a new version, so old tags cannot match again.
    for key in app.kv.keys().unwrap() {
        app.kv.delete(&key).unwrap();
    }
    assert_ne!(etag_of(&app, "/api/reports/summary"), tag);
}

#[test]
fn cache_keys_stay_bounded_and_colliding_requests_stay_correct() {
    let books = generate(15, 300);
    let app = app_with(&books);
    // Many distinct parameter sets never make more than SLOTS keys.
    for i in 0..(cache::SLOTS as usize + 300) {
        let r = app.call(handler, get(&format!("/api/reports/summary?author=nobody-{i}")));
        assert_eq!(r.status(), 200);
    }
    let cache_keys = app.kv.keys().unwrap().into_iter().filter(|k| k.starts_with(cache::KEY_PREFIX)).count();
    assert!(cache_keys <= cache::SLOTS as usize, "{cache_keys} cache keys");
    assert!(cache_keys > cache::SLOTS as usize / 2, "the slots are used: {cache_keys}");

    // Two parameter sets that share a slot: alternating between them, each answer is right.
    let canonical = |author: &str| {
        ReportParams {
            report: Report::Summary,
            filters: Filters { author: Some(author.to_string()), ..Default::default() },
            limit: None,
            bucket: None,
            buckets: None,
        }
        .canonical()
    };
    let base = "Author 001";
    let target = cache::slot_key(&canonical(base));
    let other = (0..100_000)
        .map(|i| format!("Author 001 {i}"))
        .find(|a| cache::slot_key(&canonical(a)) == target)
        .expect("a colliding author within 100000 tries");
    let all: Vec<&Book> = books.iter().collect();
    let only = |name: &str| all.iter().copied().filter(|b| b.author == name).collect::<Vec<_>>();
    for _ in 0..3 {
        assert_eq!(
            fetch(&app, &format!("/api/reports/summary?author={}", encode(base))),
            expected_summary(&only(base))
        );
        assert_eq!(
            fetch(&app, &format!("/api/reports/summary?author={}", encode(&other))),
            expected_summary(&only(&other))
        );
    }
    // The slot really is shared, and holds the last one asked for.
    let stored = app.kv.get(&target).unwrap().expect("the slot holds an entry");
    assert!(String::from_utf8_lossy(&stored).contains(&other));
}

#[test]
fn a_cached_report_is_one_key_value_round_trip_and_no_sql() {
    let books = generate(5, 50);
    let app = app_with(&books);
    let uri = "/api/reports/summary?genre=Fantasy";
    let call = |req: folio_core::Request| {
        let sql = app.sql();
        let counted_sql = CountingSql::new(&sql);
        let trips = RoundTrips::new(app.kv.as_ref());
        let r = app.with_host_over(&counted_sql, &trips, |host| handler(host, req));
        (r.status().as_u16(), trips.reads(), counted_sql.statements())
    };
    let (status, _, statements) = call(get(uri));
    assert_eq!(status, 200);
    assert!(statements > 0, "the first request computes");
    // Session, data version and the cache slot in one batch; the database is not touched.
    assert_eq!(call(get(uri)), (200, 1, 0));
    // A 304 likewise.
    let etag = etag_of(&app, uri);
    let conditional = request("GET", uri)
        .header("authorization", "Bearer reader")
        .header("if-none-match", etag)
        .body(Vec::new())
        .unwrap();
    assert_eq!(call(conditional), (304, 1, 0));
    // Parameters that do not parse name no slot: the batch is the session and the version,
    // and the request is refused after the token check.
    assert_eq!(call(get("/api/reports/summary?year_min=abc")), (422, 1, 0));
    // No token: nothing is read.
    assert_eq!(call(request("GET", uri).body(Vec::new()).unwrap()), (401, 0, 0));
}

/// With no data version current (a writer's pending marker, and another writer holding the
/// lock so none can be published), a report is computed and sent with no tag: an `If-Match`
/// naming one cannot hold then (`412`), a lone `*` does.
#[test]
fn if_match_without_a_current_version_is_412() {
    let app = app_with(&generate(3, 20));
    app.kv.set(catalog::DATA_VERSION_KEY, b"pending:someone-else").unwrap();
    let writer = app.sql();
    folio_core::Sql::execute(&writer, "BEGIN IMMEDIATE", &[]).unwrap();
    let with = |tag: &str| {
        let req = request("GET", "/api/reports/summary")
            .header("authorization", "Bearer reader")
            .header("if-match", tag)
            .body(Vec::new())
            .unwrap();
        app.with_host(|h| handler(h, req))
    };
    let refused = with("\"anything\"");
    assert_eq!(refused.status(), 412);
    let any = with("*");
    assert_eq!(any.status(), 200);
    assert!(any.headers().get("etag").is_none(), "no version, no tag");
    folio_core::Sql::execute(&writer, "ROLLBACK", &[]).unwrap();
}

#[test]
fn a_report_larger_than_the_entry_limit_is_computed_every_time() {
    // 800 genres of 50 characters: the genres report's entry passes 64 KiB.
    let mut books = generate(12, 800);
    for (i, b) in books.iter_mut().enumerate() {
        b.genre = format!("{i:03}{}", "g".repeat(47));
    }
    let app = app_with(&books);
    let report = fetch(&app, "/api/reports/genres");
    assert_eq!(report["items"].as_array().unwrap().len(), 800);
    assert!(report.to_string().len() > cache::MAX_ENTRY_BYTES);
    let cached = || app.kv.keys().unwrap().iter().filter(|k| k.starts_with(cache::KEY_PREFIX)).count();
    assert_eq!(cached(), 0, "not stored");
    // So a change behind the cache's back shows at once: it was computed again.
    sql(&app, "UPDATE books SET genre = 'Renamed' WHERE id = ?", &[Value::from(books[0].id.as_str())]);
    let again = fetch(&app, "/api/reports/genres");
    assert!(again["items"].as_array().unwrap().iter().any(|g| g["genre"] == "Renamed"));
    // A small report is stored as before.
    fetch(&app, "/api/reports/summary");
    assert_eq!(cached(), 1);
}

/// The race audit's report tags: a write that commits after the version was read and before the
/// report is computed is in the figures, and the version names the state without it. Tagged so,
/// one strong ETag would name two bodies (the one earlier readers got, and this one): the answer
/// goes out untagged and uncached, and the next request is tagged by the version that names it.
#[test]
fn a_report_computed_across_a_write_is_sent_without_the_older_tag() {
    let books = generate(7, 60);
    let app = app_with(&books);
    let uri = "/api/reports/summary";
    let before = app.call(handler, get(uri));
    let old_tag = before.headers()["etag"].to_str().unwrap().to_string();
    let total = body_json(&before)["total_price_cents"].as_i64().unwrap();
    bump(&app); // so that the next request computes again, under a version read before the write
    let written = std::cell::Cell::new(false);
    let racing = folio_native::HookedKv {
        inner: app.kv.as_ref(),
        hook: |call| {
            // The cache slot is read after the version: the write lands between the two, as
            // another connection's does (its marker, its commit, its new version).
            if let folio_native::KvCall::Get(key) = call {
                if key.starts_with(cache::KEY_PREFIX) && !written.get() {
                    written.set(true);
                    let writer = app.sql();
                    folio_core::Sql::execute(
                        &writer,
                        "UPDATE books SET price_cents = price_cents + 1 WHERE id = ?",
                        &[Value::from(books[0].id.as_str())],
                    )
                    .unwrap();
                    app.kv.set(catalog::DATA_VERSION_KEY, b"version-after-the-write")?;
                }
            }
            Ok(())
        },
    };
    let r = app.with_host_over(&app.sql(), &racing, |h| handler(h, get(uri)));
    assert!(written.get(), "the write raced the report");
    assert_eq!(r.status(), 200);
    assert_eq!(body_json(&r)["total_price_cents"], total + 1, "the write is in the figures");
    assert!(r.headers().get("etag").is_none(), "no tag that names the state before the write");
    assert_eq!(r.headers()["cache-control"], "no-store");
    // The next answer is the same body, tagged by the version that names it, and it is cached.
    let after = app.call(handler, get(uri));
    assert_eq!(body_json(&after), body_json(&r));
    let new_tag = after.headers()["etag"].to_str().unwrap().to_string();
    assert_ne!(new_tag, old_tag);
    assert_eq!(etag_of(&app, uri), new_tag);
}
