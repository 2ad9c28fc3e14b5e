//! `folio_core::sql::LockBudget`: every wait of one request for another connection's lock comes
//! out of one budget, on a real SQLite connection whose busy timeout is rusqlite's 5 s, as
//! Spin's is.

use std::time::{Duration, Instant};

use folio_core::sql::{self, LockBudget};
use folio_core::{Sql, SqlError, Value};
use folio_native::NativeSql;

/// A database file with a table to write, in WAL mode as the app's is (readers beside a writer).
fn database() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("budget.db");
    let setup = NativeSql::open(&path).unwrap();
    setup.execute("PRAGMA journal_mode = WAL", &[]).unwrap();
    setup.execute("CREATE TABLE t (n INTEGER)", &[]).unwrap();
    (dir, path)
}

fn write(sql: &dyn Sql) -> Result<(), SqlError> {
    sql.execute("INSERT INTO t (n) VALUES (?)", &[Value::from(1)]).map(|_| ())
}

#[test]
fn writes_after_the_lock_was_taken_share_what_is_left_of_one_budget() {
    let (_dir, path) = database();
    let request = LockBudget::within(NativeSql::open(&path).unwrap(), Duration::from_millis(600));
    let started = Instant::now();
    write(&request).expect("no lock yet");

    // Another connection takes the write lock while the request is part-way (a generator run).
    let other = NativeSql::open(&path).unwrap();
    other.execute("BEGIN IMMEDIATE", &[]).unwrap();
    std::thread::sleep(Duration::from_millis(200));

    // The next write waits what is left (about 400 ms), not the connection's own 5 s...
    let second = write(&request);
    assert!(second.as_ref().is_err_and(SqlError::is_busy), "{second:?}");
    // ...and a give-back after it does not wait at all: the budget is spent.
    let before_give_back = Instant::now();
    assert!(write(&request).is_err_and(|e| e.is_busy()));
    assert!(before_give_back.elapsed() < Duration::from_millis(100), "{:?}", before_give_back.elapsed());
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(550), "gave up early: {waited:?}");
    assert!(waited < Duration::from_millis(900), "one budget in all: {waited:?}");

    // Reads go on (WAL), whatever is left of the budget.
    assert!(request.execute("SELECT COUNT(*) FROM t", &[]).is_ok());
    other.execute("ROLLBACK", &[]).unwrap();
}

#[test]
fn the_retry_loop_and_slot_waits_end_at_the_requests_deadline() {
    let (_dir, path) = database();
    let request = LockBudget::within(NativeSql::open(&path).unwrap(), Duration::from_millis(300));
    let other = NativeSql::open(&path).unwrap();
    other.execute("BEGIN IMMEDIATE", &[]).unwrap();
    let started = Instant::now();
    assert!(sql::begin_immediate(&request).is_err_and(|e| e.is_busy()));
    assert!(started.elapsed() < Duration::from_millis(500), "{:?}", started.elapsed());
    // A wait for a slot of 5 s ends with the request's budget too.
    let gives_up = sql::gives_up_at(&request, Duration::from_secs(5));
    assert!(gives_up <= started + Duration::from_millis(300), "{:?}", gives_up - started);
    other.execute("ROLLBACK", &[]).unwrap();
}

#[test]
fn a_capped_wait_applies_to_the_next_statements_and_lifting_it_restores_the_budget() {
    let (_dir, path) = database();
    let request = LockBudget::within(NativeSql::open(&path).unwrap(), Duration::from_secs(5));
    let other = NativeSql::open(&path).unwrap();
    other.execute("BEGIN IMMEDIATE", &[]).unwrap();
    assert!(request.cap_lock_wait(Some(Duration::from_millis(50))));
    let started = Instant::now();
    assert!(write(&request).is_err_and(|e| e.is_busy()));
    assert!(started.elapsed() < Duration::from_millis(300), "capped: {:?}", started.elapsed());

    request.cap_lock_wait(None);
    let releaser = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(400));
        other.execute("ROLLBACK", &[]).unwrap();
    });
    // Uncapped, the write waits for the lock again, and gets it once the other lets go.
    write(&request).expect("the lock was let go within the budget");
    releaser.join().unwrap();
}
