//! The migration runner against real SQLite: fresh database, already-migrated database, a
//! race between two connections, an edited migration, and rollback of a failing one.

use std::sync::{Arc, Barrier};

use folio_core::{
    migrate::{self, Migration, MigrationError, Outcome},
    Sql, Value,
};
use folio_native::NativeSql;

fn tables(sql: &dyn Sql) -> Vec<String> {
    sql.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name", &[])
        .unwrap()
        .iter()
        .map(|r| r.string("name"))
        .collect()
}

#[test]
fn fresh_database_gets_every_migration_once() {
    let dir = tempfile::tempdir().unwrap();
    let sql = NativeSql::open(&dir.path().join("db.sqlite")).unwrap();
    let all: Vec<u32> = migrate::all().iter().map(|m| m.version).collect();
    assert_eq!(migrate::ensure(&sql).unwrap(), Outcome::Applied(all.clone()));
    let t = tables(&sql);
    for table in ["accounts", "books", "generator_runs", "schema_migrations"] {
        assert!(t.contains(&table.to_string()), "{table} missing from {t:?}");
    }
    let recorded: Vec<i64> = sql
        .execute("SELECT version FROM schema_migrations ORDER BY version", &[])
        .unwrap()
        .iter()
        .map(|r| r.i64("version").unwrap())
        .collect();
    assert_eq!(recorded, all.iter().map(|v| *v as i64).collect::<Vec<_>>());
}

#[test]
fn migrated_database_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite");
    migrate::ensure(&NativeSql::open(&path).unwrap()).unwrap();
    // A new connection, as the next request would open.
    let sql = NativeSql::open(&path).unwrap();
    sql.execute("INSERT INTO generator_runs VALUES ('r1', 1, 1, 1, 1, '2026-01-01T00:00:00Z', 'a')", &[])
        .unwrap();
    assert_eq!(migrate::ensure(&sql).unwrap(), Outcome::Current);
    let count = sql.execute("SELECT COUNT(*) AS n FROM generator_runs", &[]).unwrap();
    assert_eq!(count.first().unwrap().i64("n"), Some(1), "data survives a second ensure");
    assert_eq!(migrate::current_version(&sql).unwrap(), migrate::latest_version());
}

#[test]
fn racing_requests_on_a_fresh_database_apply_each_migration_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = Arc::new(dir.path().join("db.sqlite"));
    let threads = 4;
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (path, barrier) = (path.clone(), barrier.clone());
            std::thread::spawn(move || {
                let sql = NativeSql::open(&path).unwrap();
                barrier.wait();
                migrate::ensure(&sql).unwrap()
            })
        })
        .collect();
    let outcomes: Vec<Outcome> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let appliers = outcomes.iter().filter(|o| matches!(o, Outcome::Applied(_))).count();
    assert_eq!(appliers, 1, "exactly one request applies the migrations: {outcomes:?}");
    let sql = NativeSql::open(&path).unwrap();
    let n = sql.execute("SELECT COUNT(*) AS n FROM schema_migrations", &[]).unwrap();
    assert_eq!(n.first().unwrap().i64("n"), Some(migrate::all().len() as i64), "one row per migration");
}

#[test]
fn an_edited_migration_is_refused() {
    let sql = NativeSql::in_memory();
    let original = [Migration { version: 1, name: "one", sql: "CREATE TABLE t (x INTEGER)" }];
    migrate::migrate(&sql, &original).unwrap();
    let edited = [Migration { version: 1, name: "one", sql: "CREATE TABLE t (x TEXT)" }];
    assert_eq!(migrate::migrate(&sql, &edited).unwrap_err(), MigrationError::Edited { version: 1 });
}

#[test]
fn a_failing_migration_leaves_nothing_behind() {
    let sql = NativeSql::in_memory();
    let broken = [
        Migration { version: 1, name: "good", sql: "CREATE TABLE a (x INTEGER); INSERT INTO a VALUES (1);" },
        Migration {
            version: 2,
            name: "bad",
            sql: "CREATE TABLE b (y INTEGER); INSERT INTO nowhere VALUES (1);",
        },
    ];
    assert!(matches!(migrate::migrate(&sql, &broken), Err(MigrationError::Sql(_))));
    assert!(tables(&sql).is_empty(), "rolled back: {:?}", tables(&sql));
    // The fixed set then applies cleanly.
    let fixed = [broken[0], Migration { version: 2, name: "bad", sql: "CREATE TABLE b (y INTEGER)" }];
    assert_eq!(migrate::migrate(&sql, &fixed).unwrap(), Outcome::Applied(vec![1, 2]));
}

#[test]
fn native_sql_behaves_like_spins() {
    let sql = NativeSql::in_memory();
    sql.execute("CREATE TABLE v (i INTEGER, r REAL, t TEXT, b BLOB, n TEXT)", &[]).unwrap();
    sql.execute(
        "INSERT INTO v VALUES (?, ?, ?, ?, ?)",
        &[Value::Integer(-7), Value::Real(1.5), Value::from("héllo"), Value::Blob(vec![0, 255]), Value::Null],
    )
    .unwrap();
    let rows = sql.execute("SELECT * FROM v", &[]).unwrap();
    assert_eq!(rows.columns, vec!["i", "r", "t", "b", "n"]);
    assert_eq!(
        rows.rows[0],
        vec![
            Value::Integer(-7),
            Value::Real(1.5),
            Value::from("héllo"),
            Value::Blob(vec![0, 255]),
            Value::Null
        ]
    );
    // One statement per call, as Spin's execute.
    assert!(sql.execute("SELECT 1; SELECT 2", &[]).is_err());
    sql.execute("CREATE UNIQUE INDEX vi ON v (i)", &[]).unwrap();
    let dup = sql.execute("INSERT INTO v (i) VALUES (-7)", &[]).unwrap_err();
    assert!(dup.is_unique_violation(), "{dup:?}");
}

#[test]
fn a_lower_numbered_migration_missing_under_a_higher_one_is_applied() {
    // A database that has the newest migration but lacks an older one (added later on another
    // branch, say): comparing only the highest version would call it current.
    let dir = tempfile::tempdir().unwrap();
    let sql = NativeSql::open(&dir.path().join("db.sqlite")).unwrap();
    migrate::ensure(&sql).unwrap();
    // Migration 3, which is neither the first nor the last: undo it by hand
    // (auth_signing_keys is its only object).
    let middle = migrate::all().iter().find(|m| m.version == 3).expect("migration 3 exists");
    assert!(middle.name.contains("auth"), "this test undoes 0003_auth; update it if that changes");
    assert!(middle.version > migrate::all()[0].version && middle.version < migrate::latest_version());
    sql.execute("DROP TABLE auth_signing_keys", &[]).unwrap();
    sql.execute("DELETE FROM schema_migrations WHERE version = 3", &[]).unwrap();
    assert_eq!(migrate::ensure(&sql).unwrap(), Outcome::Applied(vec![3]));
    assert_eq!(migrate::ensure(&sql).unwrap(), Outcome::Current);
}

/// A later build shares the database (a rolling update's old pods, or a rollback): this build
/// finds its migrations applied and a newer one besides, and serves as usual, leaving the newer
/// schema alone. Refusing it answered `500` on every route that reads SQL.
#[test]
fn a_schema_newer_than_the_build_is_served_not_refused() {
    let dir = tempfile::tempdir().unwrap();
    let sql = NativeSql::open(&dir.path().join("db.sqlite")).unwrap();
    migrate::ensure(&sql).unwrap();
    let next = migrate::latest_version() + 1;
    sql.execute("ALTER TABLE books ADD COLUMN subtitle TEXT NOT NULL DEFAULT ''", &[]).unwrap();
    sql.execute(
        "INSERT INTO schema_migrations (version, name, checksum) VALUES (?, 'later_build', 'x')",
        &[next.into()],
    )
    .unwrap();
    assert_eq!(migrate::ensure(&sql).unwrap(), Outcome::Newer { found: next });
    assert_eq!(migrate::current_version(&sql).unwrap(), next);
    // Nothing of it was touched: the later build's row is still there, once.
    let rows =
        sql.execute("SELECT COUNT(*) AS n FROM schema_migrations WHERE version = ?", &[next.into()]).unwrap();
    assert_eq!(rows.first().unwrap().i64("n"), Some(1));
}
