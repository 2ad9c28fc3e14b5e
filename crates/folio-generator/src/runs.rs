//! Generator runs: generate and insert in one transaction, record the run, list the history.

use folio_core::{catalog, long_write, sql::transaction, ApiError, Host, Sql, SqlError, Value};
use serde::Serialize;

use crate::{
    book::{BookStream, GeneratedBook},
    bulk,
    insert::{insert_books, Ids, ROWS_PER_STATEMENT},
    isbn::{IsbnError, Resolver},
    quota::{self, Limits},
};

/// A recorded run, as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Run {
    pub id: String,
    pub count: i64,
    pub seed: u64,
    pub inserted: i64,
    pub elapsed_ms: i64,
    pub created_at: String,
}

impl From<IsbnError> for ApiError {
    fn from(e: IsbnError) -> Self {
        match e {
            IsbnError::Sql(e) => e.into(),
            exhausted @ IsbnError::Exhausted { .. } => ApiError::Conflict(exhausted.to_string()),
        }
    }
}

/// The first `count` books of `seed`, with ISBNs unique against what is stored now; reads only.
pub fn preview(sql: &dyn Sql, seed: u64, count: usize) -> Result<Vec<GeneratedBook>, IsbnError> {
    let mut books = BookStream::new(seed);
    let mut resolver = Resolver::new(sql);
    books.take(count, &mut resolver)
}

/// Generates and inserts `count` books of `seed` for `created_by`, all or nothing, records the
/// run, and records the write for the caches (`folio_core::catalog`), if the run fits `limits`.
pub fn run(host: &Host, limits: &Limits, seed: u64, count: usize, created_by: &str) -> Result<Run, ApiError> {
    let started_ms = host.clock.now_ms();
    tune_connection(host.sql);
    let id = host.new_id();
    let mut phases = Phases::default();
    // Writers refused beside the run are told how long it will hold the lock. Said before the
    // lock is taken, not under it: a key-value store that stalls (a Redis reconnecting) must not
    // hold the database's write lock with it.
    let expected_ms = expected_duration_ms(host.sql, count);
    long_write::announce(host, &id, &format!("a generator run of {count} books"), expected_ms);
    let run = transaction(host.sql, || -> Result<Run, ApiError> {
        // Under the write lock: two runs racing cannot both fit in the room one of them leaves,
        // and the run is dated when it got the lock, not when it asked for it (the hourly budget
        // counts runs by this time). Its `elapsed_ms` is timed from here too: the run's own work,
        // not a wait behind another run's lock, which would make the next run's estimate (and
        // the Retry-After beside it) a multiple of the truth.
        let locked_ms = host.clock.now_ms();
        let created_at = host.now_rfc3339();
        quota::check(host, limits, count as i64, created_by)?;
        let inserted = insert_all(host, seed, count, &created_at, created_by, &mut phases)?;
        let elapsed_ms = ms_since(host, locked_ms);
        let run = Run {
            id: id.clone(),
            count: count as i64,
            seed,
            inserted: inserted as i64,
            elapsed_ms,
            created_at: created_at.clone(),
        };
        record(host.sql, &run, created_by)?;
        // Last, under the write lock, before the commit (folio_core::catalog's protocol): from
        // here until the version is published, caches step aside. Marking any earlier would
        // turn them off for the whole run, while what they hold is still the committed state.
        catalog::mark_pending(host)?;
        Ok(run)
    });
    long_write::withdraw(host, &id);
    let run = run?;
    phases.committed_ms = ms_since(host, started_ms);
    folio_core::log::emit(phases.log_line(&run));
    catalog::publish(host);
    Ok(run)
}

/// What a run's time per book is taken to be when no earlier run tells: a run into a small
/// catalogue takes about 25 µs a book on real Spin (docs/benchmarks.md), a run into a large one
/// several times that.
const DEFAULT_MICROS_PER_BOOK: i64 = 100;

/// How long a run of `count` books will hold the write lock, in milliseconds: at the pace of the
/// newest run of at least 1,000 books (smaller ones are mostly fixed costs), with a quarter more
/// for a catalogue that has grown since. An estimate for `Retry-After`, never a limit.
fn expected_duration_ms(sql: &dyn Sql, count: usize) -> i64 {
    let pace = sql
        .execute(
            "SELECT elapsed_ms, count FROM generator_runs WHERE count >= 1000 ORDER BY created_at DESC LIMIT 1",
            &[],
        )
        .ok()
        .and_then(|rows| {
            let row = rows.first()?;
            Some((row.i64("elapsed_ms")?, row.i64("count")?))
        })
        .map(|(elapsed_ms, books)| elapsed_ms.max(1) * 1000 / books.max(1))
        .unwrap_or(DEFAULT_MICROS_PER_BOOK);
    (count as i64).saturating_mul(pace) / 1000 * 5 / 4
}

/// Where a run's time went, in milliseconds, logged once per run (`generator_run`) so that a
/// slow run can be read off the log without a special build (docs/generator.md, Speed).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Phases {
    /// Drawing the books and resolving their ISBNs (the lookups included).
    pub generate_ms: i64,
    /// The multi-row `INSERT` statements.
    pub insert_ms: i64,
    /// Filling the full-text index once, for a run that deferred it.
    pub full_text_ms: i64,
    /// Recreating the deferred secondary indexes.
    pub indexes_ms: i64,
    /// From the start of the request to its committed transaction.
    pub committed_ms: i64,
    /// How many secondary indexes the run deferred (0: it kept them in place).
    pub deferred_indexes: usize,
}

impl Phases {
    fn log_line(&self, run: &Run) -> serde_json::Value {
        serde_json::json!({
            "level": "info", "event": "generator_run", "run": run.id, "count": run.count,
            "generate_ms": self.generate_ms, "insert_ms": self.insert_ms,
            "full_text_ms": self.full_text_ms, "indexes_ms": self.indexes_ms,
            "deferred_indexes": self.deferred_indexes, "committed_ms": self.committed_ms,
        })
    }
}

/// Runs `work`, adding the milliseconds it took to `total`.
fn timed<T>(host: &Host, total: &mut i64, work: impl FnOnce() -> T) -> T {
    let start = host.clock.now_ms();
    let out = work();
    *total += ms_since(host, start);
    out
}

/// Milliseconds since `start_ms` on the host's clock, never negative (a clock set back).
fn ms_since(host: &Host, start_ms: i64) -> i64 {
    (host.clock.now_ms() - start_ms).max(0)
}

/// The page cache this request's connection may use, in KiB (SQLite's default is 2 MiB).
pub const RUN_CACHE_KIB: u32 = 131_072;

/// The connection settings a bulk insert wants; each is best effort (a host that refuses one,
/// such as a remote libSQL database, still runs the insert, just slower), and each lasts only
/// as long as this request's connection.
pub fn bulk_pragmas() -> [String; 3] {
    [
        // The insert touches every index of `books` (seventeen) and its full-text index at
        // random places; with SQLite's default 2 MiB page cache each row then evicts pages that
        // the next row needs again, and spilling inside a transaction costs journal writes.
        format!("PRAGMA cache_size = -{RUN_CACHE_KIB}"),
        // A multi-row INSERT that fires triggers (the full-text index's) keeps a statement
        // journal, so that a failing row can be undone alone; SQLite's default puts it in a
        // temporary file, and it measured millions of small writes per 100,000 books. In memory
        // the same run took about half the time (docs/generator.md).
        "PRAGMA temp_store = MEMORY".to_string(),
        // Rebuilding deferred indexes ([`bulk::rebuild`]) sorts the whole table once per
        // index; SQLite's sorter may hand its runs to one helper thread, which it does only
        // while temporary files are allowed (`rebuild` allows them for the builds).
        "PRAGMA threads = 2".to_string(),
    ]
}

fn tune_connection(sql: &dyn Sql) {
    for pragma in bulk_pragmas() {
        bulk::try_pragma(sql, &pragma);
    }
}

/// Generates and inserts batch by batch, so memory stays at one statement's worth of books;
/// a run at least as large as the catalogue defers the secondary indexes and fills the
/// full-text index once at the end ([`bulk`]).
fn insert_all(
    host: &Host,
    seed: u64,
    count: usize,
    created_at: &str,
    created_by: &str,
    phases: &mut Phases,
) -> Result<usize, ApiError> {
    let mut books = BookStream::new(seed);
    let mut resolver = Resolver::new(host.sql);
    let mut ids = Ids::new(host.random);
    let last_rowid = bulk::largest_rowid(host.sql)?;
    let (full_text, indexes) = if bulk::should_defer(last_rowid, count) {
        (bulk::defer_full_text(host.sql, last_rowid)?, bulk::drop_secondary_indexes(host.sql)?)
    } else {
        (None, Vec::new())
    };
    phases.deferred_indexes = indexes.len();
    let mut inserted = 0;
    while inserted < count {
        let n = (count - inserted).min(ROWS_PER_STATEMENT);
        let batch = timed(host, &mut phases.generate_ms, || books.take(n, &mut resolver))?;
        inserted += timed(host, &mut phases.insert_ms, || {
            insert_books(host.sql, batch, &mut ids, created_at, created_by)
        })?;
    }
    if let Some(full_text) = full_text {
        timed(host, &mut phases.full_text_ms, || bulk::index_full_text(host.sql, full_text, inserted))?;
    }
    timed(host, &mut phases.indexes_ms, || bulk::rebuild(host.sql, &indexes))?;
    Ok(inserted)
}

fn record(sql: &dyn Sql, run: &Run, created_by: &str) -> Result<(), SqlError> {
    sql.execute(
        "INSERT INTO generator_runs (id, count, seed, inserted, elapsed_ms, created_at, created_by)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
        &[
            Value::Text(run.id.clone()),
            Value::Integer(run.count),
            Value::Integer(run.seed as i64),
            Value::Integer(run.inserted),
            Value::Integer(run.elapsed_ms),
            Value::Text(run.created_at.clone()),
            Value::Text(created_by.to_string()),
        ],
    )?;
    Ok(())
}

/// The newest `limit` runs, newest first.
pub fn list(sql: &dyn Sql, limit: i64) -> Result<Vec<Run>, SqlError> {
    let rows = sql.execute(
        &format!("SELECT {RUN_COLUMNS} FROM generator_runs ORDER BY created_at DESC, id DESC LIMIT ?"),
        &[Value::Integer(limit)],
    )?;
    Ok(rows.iter().map(run_of).collect())
}

/// One run by its id.
pub fn get(sql: &dyn Sql, id: &str) -> Result<Option<Run>, SqlError> {
    let rows = sql.execute(
        &format!("SELECT {RUN_COLUMNS} FROM generator_runs WHERE id = ?"),
        &[Value::Text(id.to_string())],
    )?;
    Ok(rows.first().map(run_of))
}

/// What [`run_of`] reads.
const RUN_COLUMNS: &str = "id, count, seed, inserted, elapsed_ms, created_at";

fn run_of(r: folio_core::sql::Row) -> Run {
    Run {
        id: r.string("id"),
        count: r.i64("count").unwrap_or(0),
        seed: r.i64("seed").unwrap_or(0).max(0) as u64,
        inserted: r.i64("inserted").unwrap_or(0),
        elapsed_ms: r.i64("elapsed_ms").unwrap_or(0),
        created_at: r.string("created_at"),
    }
}
