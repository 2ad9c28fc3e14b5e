//! `POST/GET /api/generator/runs` and the preview: auth, bounds, atomicity, uniqueness, history.

mod common;

use common::{books, count, get, handler, post_run, stored_books};
use folio_core::{catalog, Kv, Sql};
use folio_native::{body_json, json_request, request, TestApp};

fn problem(r: &folio_core::Response, status: u16) -> serde_json::Value {
    assert_eq!(r.status(), status, "{}", String::from_utf8_lossy(r.body()));
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    body_json(r)
}

fn data_version(app: &TestApp) -> String {
    app.with_host(|h| catalog::data_version(h).unwrap())
}

#[test]
fn a_run_inserts_its_books_records_itself_and_bumps_the_data_version_once() {
    let app = TestApp::new();
    let before = data_version(&app);
    let r = app.call(handler, post_run(r#"{"count": 250, "seed": 1}"#, "editor"));
    assert_eq!(r.status(), 201);
    assert_eq!(r.headers()["content-type"], "application/json");
    let run = body_json(&r);
    let keys: Vec<&String> = run.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 6, "{run}");
    for k in ["id", "count", "seed", "inserted", "elapsed_ms", "created_at"] {
        assert!(run.get(k).is_some(), "missing {k}: {run}");
    }
    assert_eq!(run["count"], 250);
    assert_eq!(run["inserted"], 250);
    assert_eq!(run["seed"], 1);
    assert!(run["elapsed_ms"].as_i64().unwrap() >= 0);
    assert_eq!(books(&app), 250);
    let after = data_version(&app);
    assert_ne!(after, before, "the data version must change after a run");
    // Bookkeeping columns of every row.
    let stored = stored_books(&app.sql());
    for b in &stored {
        assert_eq!(b["created_by"], "account-editor");
        assert_eq!(b["version"], 1);
        assert_eq!(b["created_at"], run["created_at"]);
        assert_eq!(b["updated_at"], run["created_at"]);
        assert_eq!(b["id"].as_str().unwrap().len(), 26);
    }
    let ids: std::collections::HashSet<&str> = stored.iter().map(|b| b["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 250);
    // The run is recorded with its author.
    let rows =
        app.sql().execute("SELECT id, count, seed, inserted, created_by FROM generator_runs", &[]).unwrap();
    assert_eq!(rows.len(), 1);
    let row = rows.first().unwrap();
    assert_eq!(row.string("id"), run["id"].as_str().unwrap());
    assert_eq!(row.i64("seed"), Some(1));
    assert_eq!(row.string("created_by"), "account-editor");
}

#[test]
fn a_run_without_a_seed_draws_one_and_returns_it() {
    let app = TestApp::new();
    let r = app.call(handler, post_run(r#"{"count": 20}"#, "editor"));
    assert_eq!(r.status(), 201);
    let seed = body_json(&r)["seed"].as_u64().unwrap();
    assert!(seed <= folio_generator::MAX_SEED);
    // The returned seed reproduces the run's books.
    let p = app.call(handler, get(&format!("/api/generator/preview?count=20&seed={seed}"), Some("reader")));
    let titles: Vec<String> =
        body_json(&p)["items"].as_array().unwrap().iter().map(|b| b["title"].to_string()).collect();
    let mut stored: Vec<String> = stored_books(&app.sql()).iter().map(|b| b["title"].to_string()).collect();
    let mut previewed = titles.clone();
    stored.sort();
    previewed.sort();
    assert_eq!(stored, previewed);
}

#[test]
fn isbns_stay_unique_across_overlapping_runs() {
    let app = TestApp::new();
    // The same seed three times draws the same ISBNs three times; a different seed overlaps
    // nothing by design but shares the prefixes.
    for body in [
        r#"{"count": 3000, "seed": 5}"#,
        r#"{"count": 5000, "seed": 5}"#,
        r#"{"count": 100, "seed": 5}"#,
        r#"{"count": 2000, "seed": 6}"#,
    ] {
        let r = app.call(handler, post_run(body, "editor"));
        assert_eq!(r.status(), 201, "{body}: {}", String::from_utf8_lossy(r.body()));
    }
    assert_eq!(books(&app), 10_100);
    assert_eq!(count(&app, "SELECT COUNT(DISTINCT isbn) FROM books"), 10_100);
    // Apart from the ISBNs, a repeated seed repeats its books.
    assert_eq!(
        count(&app, "SELECT COUNT(DISTINCT title || author || description) FROM books WHERE rowid <= 8000"),
        5000
    );
    // A preview now shows ISBNs that are all free.
    let p = app.call(handler, get("/api/generator/preview?count=100&seed=5", Some("reader")));
    for item in body_json(&p)["items"].as_array().unwrap() {
        let n = app
            .sql()
            .execute(
                "SELECT COUNT(*) AS n FROM books WHERE isbn = ?",
                &[item["isbn"].as_str().unwrap().into()],
            )
            .unwrap();
        assert_eq!(n.first().unwrap().i64("n"), Some(0), "preview offered a stored ISBN");
    }
}

#[test]
fn stored_isbns_are_skipped_deterministically() {
    // A book already holds the ISBN that seed 42's first book draws: the run takes the next
    // free number in the same group, and so does a second app in the same state.
    let first_isbn = "9780319037423";
    let setup = || {
        let app = TestApp::new();
        app.call(handler, get("/api/generator/runs", Some("reader")));
        app.sql()
            .execute(
                "INSERT INTO books (id, title, author, genre, isbn, published_year, pages, price_cents, \
                 language, description, created_at, updated_at, created_by) VALUES \
                 ('x', 't', 'a', 'g', ?, 2000, 1, 0, 'en', '', 'c', 'c', 'u'), \
                 ('y', 't', 'a', 'g', '9780319037430', 2000, 1, 0, 'en', '', 'c', 'c', 'u')",
                &[first_isbn.into()],
            )
            .unwrap();
        app
    };
    let app = setup();
    let p = app.call(handler, get("/api/generator/preview?count=1&seed=42", Some("reader")));
    // 978031903742 and 978031903743 are taken; 978031903744 with its check digit is next.
    assert_eq!(body_json(&p)["items"][0]["isbn"], "9780319037447");
    let r = app.call(handler, post_run(r#"{"count": 1, "seed": 42}"#, "editor"));
    assert_eq!(r.status(), 201);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM books WHERE isbn = '9780319037447'"), 1);
}

/// Every index and trigger on `books`, with its SQL, in name order.
fn books_schema(app: &TestApp) -> Vec<(String, String, String)> {
    let rows = app
        .sql()
        .execute(
            "SELECT type, name, coalesce(sql, '') AS sql FROM sqlite_master
             WHERE tbl_name = 'books' AND type IN ('index', 'trigger') ORDER BY type, name",
            &[],
        )
        .unwrap();
    rows.iter().map(|r| (r.string("type"), r.string("name"), r.string("sql"))).collect()
}

#[test]
fn bulk_runs_rebuild_every_index_they_defer_and_small_runs_keep_them() {
    let app = TestApp::new();
    app.call(handler, get("/api/generator/runs", Some("reader"))); // migrate
    let schema = books_schema(&app);
    let secondary = schema.iter().filter(|(t, _, sql)| t == "index" && !sql.is_empty()).count();
    assert!(secondary >= 17, "the books indexes of the migrations: {schema:#?}");
    // Empty catalogue: this run defers the secondary indexes and rebuilds them.
    assert_eq!(app.call(handler, post_run(r#"{"count": 4000, "seed": 5}"#, "editor")).status(), 201);
    assert_eq!(books_schema(&app), schema);
    // Smaller than the catalogue: inserted with the indexes in place.
    assert_eq!(app.call(handler, post_run(r#"{"count": 1000, "seed": 6}"#, "editor")).status(), 201);
    assert_eq!(books_schema(&app), schema);
    assert_eq!(books(&app), 5000);
    let check = app.sql().execute("PRAGMA integrity_check", &[]).unwrap();
    assert_eq!(check.first().unwrap().at(0), Some(&folio_core::Value::Text("ok".into())));
    // The rebuilt indexes hold every row of both runs, and the full-text index saw them all.
    for (_, name, _) in schema.iter().filter(|(t, _, sql)| t == "index" && !sql.is_empty()) {
        let n = count(&app, &format!("SELECT COUNT(*) FROM books INDEXED BY {name}"));
        assert_eq!(n, 5000, "index {name}");
    }
    // Also compares the index with the books table: a generated book missing from it fails.
    let check = folio_native::check_full_text(&app.sql());
    assert!(check.is_ok(), "full-text index out of step with books: {check:?}");
}

#[test]
fn a_run_that_fails_part_way_leaves_nothing() {
    let app = TestApp::new();
    app.call(handler, get("/api/generator/runs", Some("reader"))); // migrate
                                                                   // Forced failure in the middle of the second multi-row statement.
    app.sql()
        .execute(
            "CREATE TRIGGER forced_failure BEFORE INSERT ON books \
             WHEN (SELECT COUNT(*) FROM books) >= 5000 BEGIN SELECT RAISE(ABORT, 'forced failure'); END",
            &[],
        )
        .unwrap();
    let before = data_version(&app);
    let schema_before = books_schema(&app);
    // An empty catalogue: the run defers the secondary indexes, so the failure strikes while
    // they are dropped.
    let r = app.call(handler, post_run(r#"{"count": 9000, "seed": 3}"#, "editor"));
    let p = problem(&r, 500);
    assert_eq!(books_schema(&app), schema_before, "a failed run must leave every index of books in place");
    assert!(!p.to_string().contains("forced failure"), "cause leaked: {p}");
    assert_eq!(books(&app), 0, "a failed run left rows behind");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM generator_runs"), 0);
    assert_eq!(data_version(&app), before, "a failed run must not bump the data version");
    // Nothing is left locked: once the cause is gone the same run succeeds.
    app.sql().execute("DROP TRIGGER forced_failure", &[]).unwrap();
    assert_eq!(app.call(handler, post_run(r#"{"count": 9000, "seed": 3}"#, "editor")).status(), 201);
    assert_eq!(books(&app), 9000);
}

#[test]
fn preview_writes_nothing() {
    let app = TestApp::new();
    let before = data_version(&app);
    let r = app.call(handler, get("/api/generator/preview?count=100&seed=8", Some("reader")));
    assert_eq!(r.status(), 200);
    let body = body_json(&r);
    assert_eq!(body["items"].as_array().unwrap().len(), 100);
    assert_eq!(body["seed"], 8);
    assert_eq!(books(&app), 0);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM generator_runs"), 0);
    assert_eq!(data_version(&app), before);
    // Without parameters: ten books of a drawn seed, which is returned.
    let r = app.call(handler, get("/api/generator/preview", Some("reader")));
    let body = body_json(&r);
    assert_eq!(body["items"].as_array().unwrap().len(), 10);
    assert!(body["seed"].as_u64().unwrap() <= folio_generator::MAX_SEED);
    assert_eq!(books(&app), 0);
}

#[test]
fn history_lists_runs_newest_first() {
    let app = TestApp::new();
    let mut ids = Vec::new();
    for seed in 1..=3 {
        let r = app.call(handler, post_run(&format!(r#"{{"count": 5, "seed": {seed}}}"#), "admin"));
        ids.push(body_json(&r)["id"].as_str().unwrap().to_string());
        app.clock.advance_secs(1);
    }
    let r = app.call(handler, get("/api/generator/runs", Some("reader")));
    assert_eq!(r.status(), 200);
    let items = body_json(&r)["items"].as_array().unwrap().clone();
    let listed: Vec<&str> = items.iter().map(|i| i["id"].as_str().unwrap()).collect();
    ids.reverse();
    assert_eq!(listed, ids);
    assert_eq!(items[0]["seed"], 3);
    assert_eq!(items[0]["count"], 5);
    assert_eq!(items[0]["inserted"], 5);
    let r = app.call(handler, get("/api/generator/runs?limit=2", Some("reader")));
    assert_eq!(body_json(&r)["items"].as_array().unwrap().len(), 2);
    problem(&app.call(handler, get("/api/generator/runs?limit=0", Some("reader"))), 422);
    problem(&app.call(handler, get("/api/generator/runs?limit=101", Some("reader"))), 422);
    problem(&app.call(handler, get("/api/generator/runs?page=2", Some("reader"))), 422);
}

#[test]
fn tokens_and_scopes_are_enforced() {
    let app = TestApp::new();
    let r = app.call(handler, get("/api/generator/runs", None));
    problem(&r, 401);
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
    let r = app.call(handler, get("/api/generator/preview", Some("forged")));
    problem(&r, 401);
    assert_eq!(r.headers()["www-authenticate"], "Bearer error=\"invalid_token\"");
    let r = app.call(handler, post_run(r#"{"count": 1}"#, "reader"));
    problem(&r, 403);
    assert!(r.headers()["www-authenticate"].to_str().unwrap().contains("generate:books"));
    assert_eq!(books(&app), 0);
    // The real handler uses the token service, which refuses tokens it did not issue.
    let r = app.call(folio_generator::handle, post_run(r#"{"count": 1}"#, "editor"));
    problem(&r, 401);
}

#[test]
fn bad_run_bodies_get_clear_client_errors() {
    let app = TestApp::new();
    let field = |body: &str| -> String {
        let p = problem(&app.call(handler, post_run(body, "editor")), 422);
        p["errors"][0]["field"].as_str().unwrap().to_string()
    };
    assert_eq!(field(r#"{"count": 0}"#), "count");
    assert_eq!(field(r#"{"count": 100001}"#), "count");
    assert_eq!(field(r#"{"count": -5}"#), "count");
    assert_eq!(field(r#"{"count": 1.5}"#), "count");
    assert_eq!(field(r#"{"count": "10"}"#), "count");
    assert_eq!(field(r#"{}"#), "count");
    assert_eq!(field(r#"{"count": 1, "seed": 1.5}"#), "seed");
    assert_eq!(field(r#"{"count": 1, "seed": -1}"#), "seed");
    assert_eq!(field(r#"{"count": 1, "seed": "7"}"#), "seed");
    assert_eq!(field(r#"{"count": 1, "seed": 9007199254740992}"#), "seed");
    assert_eq!(field(r#"{"count": 1, "seed": 1e300}"#), "seed");
    assert_eq!(field(r#"{"count": 1, "size": 3}"#), "size");
    // Every problem at once, unknown members last.
    let p = problem(&app.call(handler, post_run(r#"{"size": 3, "count": "x", "seed": -1}"#, "editor")), 422);
    let fields: Vec<&str> =
        p["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["count", "seed", "size"], "{p}");
    for not_an_object in ["[1]", "[1, 2]", "5", "null", r#""count""#] {
        let p = problem(&app.call(handler, post_run(not_an_object, "editor")), 422);
        assert_eq!(p["errors"][0]["field"], "body", "{not_an_object}");
    }
    problem(&app.call(handler, post_run(r#"{"count": 1"#, "editor")), 400);
    problem(&app.call(handler, post_run("", "editor")), 400);
    let long = format!(r#"{{"count": 1, "seed": 1{}}}"#, " ".repeat(70 * 1024));
    problem(&app.call(handler, post_run(&long, "editor")), 413);
    let mut text = json_request("POST", "/api/generator/runs", r#"{"count": 1}"#);
    text.headers_mut().insert("content-type", "text/plain".parse().unwrap());
    text.headers_mut().insert("authorization", "Bearer editor".parse().unwrap());
    problem(&app.call(handler, text), 415);
    // The largest seed is accepted.
    assert_eq!(
        app.call(handler, post_run(r#"{"count": 1, "seed": 9007199254740991}"#, "editor")).status(),
        201
    );
    assert_eq!(books(&app), 1);
}

#[test]
fn bad_preview_queries_get_422() {
    let app = TestApp::new();
    for q in
        ["count=0", "count=101", "count=ten", "seed=1.5", "seed=-1", "seed=9007199254740992", "colour=red"]
    {
        let r = app.call(handler, get(&format!("/api/generator/preview?{q}"), Some("reader")));
        problem(&r, 422);
    }
    assert_eq!(books(&app), 0);
}

#[test]
fn unknown_paths_and_methods_follow_the_contract() {
    let app = TestApp::new();
    problem(&app.call(handler, get("/api/generator/nothing", Some("reader"))), 404);
    let r = app.call(handler, request("DELETE", "/api/generator/runs").body(Vec::new()).unwrap());
    problem(&r, 405);
    let mut allow: Vec<&str> = r.headers()["allow"].to_str().unwrap().split(", ").collect();
    allow.sort();
    assert_eq!(allow, ["GET", "HEAD", "OPTIONS", "POST"]);
    let r = app.call(handler, request("POST", "/api/generator/preview").body(Vec::new()).unwrap());
    assert_eq!(r.headers()["allow"], "GET, HEAD, OPTIONS");
}

/// The hourly budget over SQL, with the clock moved by hand: a run counts for one hour from the
/// moment it got the write lock, to the millisecond, and not a second less.
#[test]
fn the_hourly_budget_counts_runs_for_one_hour() {
    let app = TestApp::new().with_var("generator_books_per_hour", "10");
    assert_eq!(app.call(handler, post_run(r#"{"count": 10}"#, "editor")).status(), 201);
    app.clock.advance_secs(3599);
    let refused = app.call(handler, post_run(r#"{"count": 1}"#, "editor"));
    problem(&refused, 429);
    assert_eq!(refused.headers()["retry-after"], "1");
    // Another account has its own budget; an administrator has none.
    assert_eq!(app.call(handler, post_run(r#"{"count": 10}"#, "admin")).status(), 201);
    app.clock.advance_secs(1);
    assert_eq!(app.call(handler, post_run(r#"{"count": 10}"#, "editor")).status(), 201, "an hour later");
    let over = app.call(handler, post_run(r#"{"count": 11}"#, "editor"));
    assert_eq!(problem(&over, 422)["errors"][0]["field"], "count");
}

/// A run says in the key-value store (`folio_core::long_write`) how long it will hold the lock.
#[test]
fn a_run_announces_how_long_it_will_hold_the_lock_and_withdraws_after() {
    use folio_core::Clock;
    let app = TestApp::new();
    // Migrate.
    app.call(handler, get("/api/generator/runs", Some("reader")));
    // The newest run of at least 1,000 books took 2 ms a book (a run of 10 books does not count).
    app.sql()
        .execute(
            "INSERT INTO generator_runs (id, count, seed, inserted, elapsed_ms, created_at, created_by) VALUES \
             ('old', 10000, 1, 10000, 20000, '2026-01-01T00:00:00.000Z', 'x'), \
             ('tiny', 10, 1, 10, 900, '2026-01-02T00:00:00.000Z', 'x')",
            &[],
        )
        .unwrap();
    // What the run announces, as it writes it.
    let announced = std::cell::RefCell::new(Vec::<serde_json::Value>::new());
    let spy = folio_native::HookedKv {
        inner: app.kv.as_ref(),
        hook: |call| {
            if let folio_native::KvCall::Set(folio_core::long_write::KEY, value) = call {
                announced.borrow_mut().push(serde_json::from_slice(value).unwrap());
            }
            Ok(())
        },
    };
    let r = app.with_host_over(&app.sql(), &spy, |h| {
        handler(h, post_run(r#"{"count": 5000, "seed": 3}"#, "editor"))
    });
    assert_eq!(r.status(), 201);
    let announced = announced.borrow().clone();
    assert_eq!(announced.len(), 1, "{announced:?}");
    let notice = &announced[0]["writes"][0];
    assert_eq!(notice["what"], "a generator run of 5000 books");
    assert_eq!(notice["id"], body_json(&r)["id"], "the run's own notice");
    // 5,000 books at 2 ms, and a quarter more.
    assert_eq!(notice["until_ms"].as_i64().unwrap() - app.clock.now_ms(), 12_500);
    assert!(app.kv.get(folio_core::long_write::KEY).unwrap().is_none(), "withdrawn after the run");

    // A run that fails withdraws its notice too.
    app.sql()
        .execute(
            "CREATE TRIGGER forced_failure BEFORE INSERT ON books BEGIN SELECT RAISE(ABORT, 'no'); END",
            &[],
        )
        .unwrap();
    assert_eq!(app.call(handler, post_run(r#"{"count": 3000, "seed": 4}"#, "editor")).status(), 500);
    assert!(app.kv.get(folio_core::long_write::KEY).unwrap().is_none(), "withdrawn after a failed run");
}

/// The race audit's `elapsed_ms`: a run that waited for another run's lock counted the wait,
/// and the next run's estimate (its `Retry-After`) was then several times too long. The run's
/// time starts when it has the lock.
#[test]
fn a_runs_elapsed_time_leaves_out_its_wait_for_the_lock() {
    use folio_core::Clock;
    let app = TestApp::new();
    app.call(handler, get("/api/generator/runs", Some("reader")));
    let sql = app.sql();
    // The run waits 30 s behind another writer's lock (the clock moves while it waits).
    let waited = folio_native::Interleaved::before(&sql, "BEGIN IMMEDIATE", || app.clock.advance_secs(30));
    let before = app.clock.now_ms();
    let r = app.with_host_over(&waited, app.kv.as_ref(), |h| {
        handler(h, post_run(r#"{"count": 50, "seed": 9}"#, "editor"))
    });
    assert!(waited.fired());
    assert_eq!(r.status(), 201);
    assert_eq!(app.clock.now_ms() - before, 30_000, "the wait happened");
    let elapsed = body_json(&r)["elapsed_ms"].as_i64().unwrap();
    assert!(elapsed < 30_000, "elapsed_ms {elapsed} counts the wait");
}
