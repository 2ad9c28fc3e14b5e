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

/// The compiled component draws the books the native build draws: the golden values of
/// crates/folio-generator/tests/determinism.rs, here from Wasm, where the ChaCha20 crate runs its
/// portable backend instead of the SIMD one of the native tests.
#[test]
fn the_component_draws_the_golden_books_of_the_native_build() {
    let token = app().login(&unique_email("gen-golden")).access;
    let r = app().with_token("GET", "/api/generator/preview?count=2&seed=42", &token);
    assert_eq!(r.status, 200, "{}", r.text());
    let items = r.json()["items"].clone();
    assert_eq!(items[0]["title"], "Vero Occaecati Modi Veniam Cillum");
    assert_eq!(items[0]["author"], "Servius Pariatur");
    assert_eq!(items[0]["isbn"], "9780319037423");
    assert_eq!(items[0]["price_cents"], 1499);
    assert!(items[0]["description"].as_str().unwrap().starts_with("Nemo natus quam eius cum dicta"));
    assert_eq!(items[1]["title"], "Eius");
    assert_eq!(items[1]["isbn"], "9783298098461");
    assert!(items[1]["description"].as_str().unwrap().ends_with("atque neque."));
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
        // The 201 says where the run is, and it reads back the same.
        let location = r.header("location").expect("a Location on 201").to_string();
        assert_eq!(location, format!("/api/generator/runs/{}", run["id"].as_str().unwrap()));
        assert_eq!(app().with_token("GET", &location, &token).json(), run);
        assert_eq!(app().with_token("GET", &format!("{location}?_=1"), &token).json(), run, "a cache-buster");
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
    app().with_token("GET", "/api/generator/runs/no-such-run", &token).problem(404);
    app().call("GET", &format!("/api/generator/runs/{}", run_ids[0]), &[], b"").problem(401);
    let wrong = app().with_token("POST", &format!("/api/generator/runs/{}", run_ids[0]), &token);
    assert_eq!((wrong.status, wrong.header("allow")), (405, Some("GET, HEAD, OPTIONS")));
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

/// A run into an empty catalogue takes the bulk path (docs/generator.md, Speed) under the real
/// host: it logs where its time went, and the host accepts every setting the run makes inside
/// its transaction (the sorter's `temp_store` among them, which SQLite refuses once temporary
/// storage is open), since a refused one is logged and only slows the run.
#[test]
fn a_bulk_run_logs_its_phases_and_the_host_accepts_its_settings() {
    let instance = folio_blackbox::Instance::start(folio_blackbox::Launch::default());
    let token = instance.app.login(&unique_email("gen-bulk")).access;
    let r =
        instance.app.json("POST", "/api/generator/runs", Some(&token), &json!({"count": 4000, "seed": 5}));
    assert_eq!(r.status, 201, "{}", r.text());
    let run_id = r.json()["id"].as_str().unwrap().to_string();
    let log: String = std::fs::read_dir(instance.state_dir())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "log"))
        .map(|path| std::fs::read_to_string(path).unwrap())
        .collect();
    assert!(!log.contains("generator_pragma_refused"), "{log}");
    let line = log
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find(|line| line["event"] == "generator_run" && line["run"] == run_id.as_str())
        .unwrap_or_else(|| panic!("no generator_run line for {run_id} in:\n{log}"));
    assert_eq!(line["count"], 4000);
    assert!(line["deferred_indexes"].as_u64().unwrap() >= 10, "the bulk path: {line}");
    let phase = |name: &str| line[name].as_i64().unwrap_or_else(|| panic!("{name}: {line}"));
    let phases = ["generate_ms", "insert_ms", "full_text_ms", "indexes_ms"].map(phase);
    assert!(phases.iter().all(|&ms| ms >= 0), "{line}");
    assert!(phases.iter().sum::<i64>() <= phase("committed_ms"), "the phases lie within the run: {line}");
}

/// Readers read beside a long write (SQLite's write-ahead log, set by the migrations): list
/// pages and book reads answer while a 100,000-book run holds the write lock, and each sees the
/// catalogue either without the run or with all of it, never a part. No list page is asked for
/// before the run, so the first page that hands out a cursor does so beside the writer: the
/// cursors' key is made with the schema, and a page never writes (migration 0011).
#[test]
fn readers_answer_during_a_generator_run_and_see_all_of_it_or_none() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    let instance = folio_blackbox::Instance::start(folio_blackbox::Launch::default());
    let app = &instance.app;
    let token = app.login(&unique_email("gen-beside")).access;
    let mut book = String::new();
    for title in ["Before the run", "Also before the run"] {
        let r = app.json("POST", "/api/books", Some(&token), &folio_blackbox::book_body(title));
        assert_eq!(r.status, 201, "{}", r.text());
        book = r.json()["id"].as_str().unwrap().to_string();
    }

    let done = Arc::new(AtomicBool::new(false));
    let run = {
        let (base, token, done) = (app.base.clone(), token.clone(), done.clone());
        std::thread::spawn(move || {
            let r = ureq::post(format!("{base}/api/generator/runs"))
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", "application/json")
                .config()
                .http_status_as_error(false)
                .build()
                .send(json!({"count": 100000, "seed": 99}).to_string())
                .expect("the run answers");
            done.store(true, Ordering::SeqCst);
            r.status().as_u16()
        })
    };
    let (mut during, mut year) = (0, 1450);
    while !done.load(Ordering::SeqCst) {
        // A new filter each time, so every page is a cache miss read from SQLite.
        year += 1;
        let r =
            app.with_token("GET", &format!("/api/books?count=true&limit=1&year_min={}", year % 1500), &token);
        assert_eq!(r.status, 200, "{}", r.text());
        let total = r.json()["total"].as_i64().unwrap();
        let read = app.with_token("GET", &format!("/api/books/{book}"), &token);
        assert_eq!(read.status, 200, "{}", read.text());
        assert!(total == 2 || total == 100_002, "a reader saw {total} books: part of a run");
        // A page with a next page: its cursor is signed, and the next page follows it.
        let first = app.with_token("GET", "/api/books?limit=1", &token);
        assert_eq!(first.status, 200, "{}", first.text());
        let cursor = first.json()["next_cursor"].as_str().expect("a cursor to the second book").to_string();
        let next = app.with_token("GET", &format!("/api/books?limit=1&cursor={cursor}"), &token);
        assert_eq!(next.status, 200, "{}", next.text());
        if total == 2 && !done.load(Ordering::SeqCst) {
            during += 1;
        }
    }
    assert_eq!(run.join().unwrap(), 201);
    // The database file says which journal it uses: bytes 18 and 19 of SQLite's header are 2 in
    // write-ahead-log mode, 1 in the rollback-journal mode that made readers wait for writers.
    let header = std::fs::read(instance.state_dir().join("sqlite_db.db")).expect("Spin's SQLite file");
    assert_eq!((header[18], header[19]), (2, 2), "the database is in WAL mode");
    assert!(during >= 3, "readers answered {during} times while the run held the write lock");
    let after =
        app.with_token("GET", "/api/books?count=true&limit=1", &token).json()["total"].as_i64().unwrap();
    assert_eq!(after, 100_002);
}

/// What the generator may add (issue: anyone who registers gets `generate:books`): a catalogue
/// cap for every role (`409`), and an hourly budget per account for everyone but administrators
/// (`429` with `Retry-After`; a run larger than the budget is `422`), checked under the run's
/// write lock, so parallel runs cannot all fit in the room one of them leaves.
#[test]
fn runs_are_bounded_by_the_catalogue_cap_and_an_hourly_budget_per_account() {
    let instance = folio_blackbox::Instance::start(folio_blackbox::Launch {
        env: vec![
            ("SPIN_VARIABLE_GENERATOR_MAX_BOOKS".into(), "120".into()),
            ("SPIN_VARIABLE_GENERATOR_BOOKS_PER_HOUR".into(), "50".into()),
        ],
        ..Default::default()
    });
    let app = &instance.app;
    let admin = app.admin().access;
    let editor = app.login(&unique_email("gen-quota-editor")).access;
    let run = |token: &str, count: i64| {
        app.json("POST", "/api/generator/runs", Some(token), &json!({"count": count}))
    };

    assert_eq!(run(&editor, 30).status, 201);
    let over = run(&editor, 30);
    let body = over.problem(429);
    assert!(body["detail"].as_str().unwrap().contains("generator_books_per_hour"), "{body}");
    let retry: u64 = over.header("retry-after").expect("Retry-After").parse().unwrap();
    assert!((3500..=3600).contains(&retry), "until the first run leaves the hour: {retry}");
    assert_eq!(run(&editor, 20).status, 201, "what is left of the budget");
    assert_eq!(run(&editor, 51).problem(422)["errors"][0]["field"], "count");

    // Administrators have no hourly budget, but the cap holds for them too: 50 stored, 70 room.
    assert_eq!(run(&admin, 60).status, 201);
    let full = run(&admin, 11);
    assert!(full.problem(409)["detail"].as_str().unwrap().contains("at most 10 more"), "{}", full.text());
    // Parallel runs racing for the last 10: the books that land never pass the cap.
    let results: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4).map(|_| s.spawn(|| run(&admin, 6).status)).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(results.iter().filter(|&&s| s == 201).count(), 1, "{results:?}");
    assert!(results.iter().all(|&s| s == 201 || s == 409 || s == 503), "{results:?}");
    let total = app.with_token("GET", "/api/books?count=true&limit=1", &admin).json()["total"].as_i64();
    assert_eq!(total, Some(116));
}

/// A write refused beside a long generator run is told how long the run will hold the lock
/// (folio_core::long_write): the run's notice in the key-value store names it and its expected
/// end, and the `503`'s `Retry-After` and detail say so. The test holds the database's write
/// lock itself and writes the notice a run of 100,000 books into a large catalogue would write
/// (a real one takes 10-30 s on this machine: docs/generator.md measures one), on an instance of
/// its own.
#[test]
fn a_write_refused_beside_a_long_run_is_told_how_long_to_wait() {
    let instance = folio_blackbox::Instance::start(folio_blackbox::Launch::default());
    let app = &instance.app;
    let token = app.login(&unique_email("beside-run")).access;
    let db =
        rusqlite::Connection::open(instance.state_dir().join("sqlite_db.db")).expect("Spin's SQLite file");
    let kv = rusqlite::Connection::open(instance.state_dir().join("sqlite_key_value.db"))
        .expect("Spin's key-value file");
    kv.busy_timeout(std::time::Duration::from_secs(5)).unwrap();
    let now_ms =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    let notice = json!({"what": "a generator run of 100000 books", "until_ms": now_ms + 20_000}).to_string();
    kv.execute(
        "INSERT OR REPLACE INTO spin_key_value (store, key, value) VALUES ('default', 'catalog:long-write', ?1)",
        [notice.as_bytes()],
    )
    .unwrap();
    db.execute_batch("BEGIN IMMEDIATE").expect("the write lock");
    let r = app.json("POST", "/api/books", Some(&token), &folio_blackbox::book_body("Beside a run"));
    db.execute_batch("ROLLBACK").unwrap();
    let body = r.problem(503);
    let wait: u64 = r.header("retry-after").expect("Retry-After").parse().unwrap();
    // About 15 s were left when the lock budget (5 s) ran out.
    assert!((10..=20).contains(&wait), "Retry-After {wait}");
    let detail = body["detail"].as_str().unwrap();
    assert!(detail.contains("a generator run of 100000 books"), "{detail}");
    assert!(detail.contains(&format!("about {wait} s")), "{detail}");
    // Once the run has withdrawn its notice, a refusal says the default again.
    kv.execute("DELETE FROM spin_key_value WHERE key = 'catalog:long-write'", []).unwrap();
    db.execute_batch("BEGIN IMMEDIATE").unwrap();
    let r = app.json("POST", "/api/books", Some(&token), &folio_blackbox::book_body("Beside nothing"));
    db.execute_batch("ROLLBACK").unwrap();
    r.problem(503);
    assert_eq!(r.header("retry-after"), Some("2"));
}
