//! Generator benchmark: 100,000 books inserted by one request, natively through the real
//! handler (file-backed SQLite, fresh connection, as a Spin request gets), against the ceiling
//! of inserting the very same rows with plain rusqlite in one transaction, same schema (indexes
//! and FTS triggers included): one prepared single-row INSERT per book (SQLite's default page
//! cache, then the run's pragmas), the handler's own multi-row statements with every index in
//! place, and the same with the secondary indexes dropped and rebuilt (the handler's strategy
//! for a run at least as large as the catalogue, which also fills the full-text index once
//! after the insert instead of through its per-row trigger).
//!
//! Run: `cargo run --release -p folio-generator --example generator_bench [-- COUNT ROUNDS]`
//! Environment: `RAW_ONLY=1` skips the handler rounds; `CEILING_ONLY=1` runs only the ceiling
//! (the multi-row insert with the indexes deferred, each round's phases printed); `RAW_SETUP="SQL"` runs SQL on the raw
//! connections first (e.g. dropping a trigger, to see what it costs).
//! Results are written down in docs/generator.md.

use std::time::Instant;

use folio_core::{
    guard::{role_scopes, Authenticator, Principal},
    migrate, ApiError, ApiResult, Host, Request, Response,
};
use folio_generator::{book::BookStream, insert::Ids, isbn::Resolver};
use folio_native::{body_json, json_request, NativeSql, OsRandom, SystemClock, TestApp};

/// Every token is the role it names (the token service is not part of what is measured).
struct RoleTokens;

impl Authenticator for RoleTokens {
    fn authenticate_token(&self, _host: &Host, token: &str) -> ApiResult<Principal> {
        let scopes = role_scopes(token).ok_or_else(|| ApiError::unauthorized("unknown token"))?;
        Ok(Principal {
            subject: format!("bench-{token}"),
            session_id: "bench".into(),
            token_id: "bench".into(),
            email: "bench@example.com".into(),
            role: token.into(),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            expires_at: i64::MAX,
        })
    }
}

fn handler(host: &Host, req: Request) -> Response {
    folio_generator::handle_with(&RoleTokens, host, req)
}

fn run_request(app: &TestApp, count: usize, seed: u64) -> (f64, serde_json::Value) {
    let mut req =
        json_request("POST", "/api/generator/runs", &format!(r#"{{"count": {count}, "seed": {seed}}}"#));
    req.headers_mut().insert("authorization", "Bearer editor".parse().unwrap());
    // The app's manual clock stands still, so the run's `elapsed_ms` and phase log would read 0:
    // this request gets the wall clock.
    let start = Instant::now();
    let r = app.with_host_on(&SystemClock, |host| handler(host, req));
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(r.status(), 201, "{}", String::from_utf8_lossy(r.body()));
    (secs, body_json(&r))
}

/// The rows a run of `seed` would insert into an empty catalogue, generated only.
fn generate_rows(count: usize, seed: u64) -> (f64, Vec<folio_generator::GeneratedBook>) {
    let scratch = NativeSql::in_memory();
    migrate::ensure(&scratch).unwrap();
    let start = Instant::now();
    let mut books = BookStream::new(seed);
    let mut resolver = Resolver::new(&scratch);
    let rows = books.take(count, &mut resolver).unwrap();
    (start.elapsed().as_secs_f64(), rows)
}

/// Plain rusqlite: one prepared single-row INSERT per book, one transaction, file database
/// with the app's full schema.
fn raw_rusqlite(rows: &[folio_generator::GeneratedBook], tuned: bool) -> f64 {
    let (dir, mut conn) = raw_database(tuned);
    let mut ids = Ids::new(&OsRandom);
    let start = Instant::now();
    let tx = conn.transaction().unwrap();
    {
        let mut stmt = tx
            .prepare(
                "INSERT INTO books (id, title, author, genre, isbn, published_year, pages, price_cents, \
                 language, description, created_at, updated_at, created_by, version) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
            )
            .unwrap();
        let now = "2026-11-23T10:00:00.000Z";
        for b in rows {
            stmt.execute(rusqlite::params![
                ids.next_id(),
                b.title,
                b.author,
                b.genre,
                b.isbn,
                b.published_year,
                b.pages,
                b.price_cents,
                b.language,
                b.description,
                now,
                now,
                "bench"
            ])
            .unwrap();
        }
    }
    tx.commit().unwrap();
    let secs = start.elapsed().as_secs_f64();
    let _ = std::fs::remove_dir_all(&dir);
    secs
}

/// Plain rusqlite with the handler's own multi-row statements and pragmas: what the handler
/// would cost without the port (value conversion) and without generating.
/// With `defer`, as the handler does for a run at least as large as the catalogue, the
/// secondary indexes are dropped first and recreated after, and the full-text trigger is
/// dropped and the index filled in one statement after the insert.
fn raw_rusqlite_multirow(rows: &[folio_generator::GeneratedBook], defer: bool) -> (f64, CeilingPhases) {
    use folio_generator::insert::{insert_statement, PARAMS_PER_ROW, ROWS_PER_STATEMENT};
    let (dir, mut conn) = raw_database(true);
    let mut ids = Ids::new(&OsRandom);
    let now = "2026-11-23T10:00:00.000Z";
    let start = Instant::now();
    let tx = conn.transaction().unwrap();
    use folio_generator::bulk::{BULK_FULL_TEXT_HASHSIZE, FULL_TEXT_TRIGGER, INDEX_ROWS_AFTER};
    let mut deferred: Vec<String> = Vec::new();
    let mut full_text: Option<(i64, String)> = None;
    if defer {
        let last_rowid: i64 =
            tx.query_row("SELECT coalesce(max(rowid), 0) FROM books", [], |r| r.get(0)).unwrap();
        let trigger: String = tx
            .query_row("SELECT sql FROM sqlite_master WHERE name = ?1", [FULL_TEXT_TRIGGER], |r| r.get(0))
            .unwrap();
        tx.execute_batch(&format!("DROP TRIGGER {FULL_TEXT_TRIGGER}")).unwrap();
        full_text = Some((last_rowid, trigger));
        let mut stmt = tx
            .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'books' AND sql IS NOT NULL")
            .unwrap();
        let indexes: Vec<(String, String)> =
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect();
        drop(stmt);
        for (name, sql) in indexes {
            tx.execute_batch(&format!("DROP INDEX {name}")).unwrap();
            deferred.push(sql);
        }
    }
    let mut phases = CeilingPhases::default();
    let mut mark = Instant::now();
    let mut lap = |into: &mut f64| {
        *into = mark.elapsed().as_secs_f64();
        mark = Instant::now();
    };
    for batch in rows.chunks(ROWS_PER_STATEMENT) {
        let mut params: Vec<rusqlite::types::Value> = Vec::with_capacity(2 + batch.len() * PARAMS_PER_ROW);
        params.push(now.to_string().into());
        params.push("bench".to_string().into());
        for b in batch {
            params.push(ids.next_id().into());
            params.push(b.title.clone().into());
            params.push(b.author.clone().into());
            params.push(b.genre.to_string().into());
            params.push(b.isbn.clone().into());
            params.push(b.published_year.into());
            params.push(b.pages.into());
            params.push(b.price_cents.into());
            params.push(b.language.to_string().into());
            params.push(b.description.clone().into());
        }
        let mut stmt = tx.prepare_cached(&insert_statement(batch.len())).unwrap();
        stmt.execute(rusqlite::params_from_iter(params)).unwrap();
    }
    lap(&mut phases.insert);
    if let Some((last_rowid, trigger)) = full_text {
        // The handler's FTS5 buffer for the one statement (and no restore: a fresh database).
        tx.execute(
            "INSERT INTO books_fts (books_fts, rank) VALUES ('hashsize', ?1)",
            [BULK_FULL_TEXT_HASHSIZE],
        )
        .unwrap();
        tx.execute(INDEX_ROWS_AFTER, [last_rowid]).unwrap();
        tx.execute_batch(&trigger).unwrap();
    }
    lap(&mut phases.full_text);
    if !deferred.is_empty() {
        // The handler's sorter settings for the builds (folio_generator::bulk::rebuild).
        for (name, value) in folio_generator::bulk::index_build_settings() {
            tx.execute_batch(&format!("PRAGMA {name} = {value}")).unwrap();
        }
    }
    for sql in deferred {
        tx.execute_batch(&sql).unwrap();
    }
    lap(&mut phases.indexes);
    tx.commit().unwrap();
    lap(&mut phases.commit);
    let secs = start.elapsed().as_secs_f64();
    let _ = std::fs::remove_dir_all(&dir);
    (secs, phases)
}

/// Where one raw run's time went, in seconds: the phases of the handler's `generator_run` log
/// line (but generation, done before), and the commit, which that line does not split out.
#[derive(Debug, Default, Clone, Copy)]
struct CeilingPhases {
    insert: f64,
    full_text: f64,
    indexes: f64,
    commit: f64,
}

impl std::fmt::Display for CeilingPhases {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ms = |s: f64| (s * 1000.0).round() as i64;
        write!(
            f,
            "insert {} / full text {} / indexes {} / commit {} ms",
            ms(self.insert),
            ms(self.full_text),
            ms(self.indexes),
            ms(self.commit)
        )
    }
}

/// A fresh file database with every migration applied, in its own temporary directory (the
/// caller removes it), and a plain rusqlite connection to it: `RAW_SETUP` run first, then the
/// handler's pragmas when `tuned`.
fn raw_database(tuned: bool) -> (std::path::PathBuf, rusqlite::Connection) {
    let dir = tempfile_dir();
    let path = dir.join("raw.db");
    migrate::ensure(&NativeSql::open(&path).unwrap()).unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    if let Ok(extra) = std::env::var("RAW_SETUP") {
        conn.execute_batch(&extra).unwrap();
    }
    if tuned {
        apply_run_pragmas(&conn);
    }
    (dir, conn)
}

/// The handler's own connection settings (page cache, in-memory statement journal).
fn apply_run_pragmas(conn: &rusqlite::Connection) {
    for pragma in folio_generator::runs::bulk_pragmas() {
        conn.execute_batch(&pragma).unwrap();
    }
}

fn tempfile_dir() -> std::path::PathBuf {
    let mut b = [0u8; 8];
    folio_core::Random::fill(&OsRandom, &mut b);
    let dir = std::env::temp_dir().join(format!("folio-generator-bench-{}", u64::from_le_bytes(b)));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The median of `xs`, NaN (printed as such) for a variant that was not run.
fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    xs.get(xs.len() / 2).copied().unwrap_or(f64::NAN)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let count: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let rounds: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(3);
    println!("generator benchmark: {count} books, {rounds} rounds, median reported");

    let (gen_secs, rows) = generate_rows(count, 1);
    println!("generation only (no SQL writes):          {:>8.0} ms", gen_secs * 1000.0);

    let mut handler_fresh = Vec::new();
    let mut handler_second = Vec::new();
    let ceiling_only = std::env::var_os("CEILING_ONLY").is_some();
    let raw_only = ceiling_only || std::env::var_os("RAW_ONLY").is_some();
    let handler_rounds = if raw_only { 0 } else { rounds };
    for round in 0..handler_rounds {
        let app = TestApp::new();
        // Migrate first so the measured request is the run alone.
        app.call(
            handler,
            folio_native::request("GET", "/api/generator/runs")
                .header("authorization", "Bearer reader")
                .body(Vec::new())
                .unwrap(),
        );
        let (secs, run) = run_request(&app, count, 1);
        assert_eq!(run["inserted"], count);
        handler_fresh.push(secs);
        // Same seed again on the now-full catalogue: every drawn ISBN collides and is advanced.
        let (secs2, _) = run_request(&app, count, 1);
        handler_second.push(secs2);
        println!(
            "round {round}: handler, empty catalogue {:>6.0} ms (elapsed_ms {}); same seed again {:>6.0} ms",
            secs * 1000.0,
            run["elapsed_ms"],
            secs2 * 1000.0
        );
    }
    // The ceiling first: alone (CEILING_ONLY) it is the quick measure to set beside the handler.
    let raw_deferred: Vec<f64> = (0..rounds)
        .map(|round| {
            let (secs, phases) = raw_rusqlite_multirow(&rows, true);
            println!("round {round}: raw, indexes deferred {:>6.0} ms: {phases}", secs * 1000.0);
            secs
        })
        .collect();
    let others = if ceiling_only { 0 } else { rounds };
    let raw: Vec<f64> = (0..others).map(|_| raw_rusqlite(&rows, false)).collect();
    let raw_cache: Vec<f64> = (0..others).map(|_| raw_rusqlite(&rows, true)).collect();
    let raw_multi: Vec<f64> = (0..others).map(|_| raw_rusqlite_multirow(&rows, false).0).collect();

    let rate = |secs: f64| count as f64 / secs;
    let (h, h2) = (median(handler_fresh), median(handler_second));
    let (r, rc, rm, rd) = (median(raw), median(raw_cache), median(raw_multi), median(raw_deferred));
    println!("handler, one request, empty catalogue:   {:>8.0} ms  {:>9.0} rows/s", h * 1000.0, rate(h));
    println!("handler, one request, all ISBNs collide: {:>8.0} ms  {:>9.0} rows/s", h2 * 1000.0, rate(h2));
    println!("raw rusqlite, 1-row INSERT, default cache: {:>6.0} ms  {:>9.0} rows/s", r * 1000.0, rate(r));
    println!("raw rusqlite, 1-row INSERT, run's pragmas: {:>7.0} ms  {:>9.0} rows/s", rc * 1000.0, rate(rc));
    println!("raw rusqlite, run's multi-row INSERTs:    {:>7.0} ms  {:>9.0} rows/s", rm * 1000.0, rate(rm));
    println!("raw rusqlite, multi-row, indexes deferred: {:>6.0} ms  {:>9.0} rows/s", rd * 1000.0, rate(rd));
}
