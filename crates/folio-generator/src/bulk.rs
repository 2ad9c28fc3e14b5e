//! Bulk loading: when a run adds at least as many books as the catalogue holds, maintaining
//! every secondary index of `books` row by row costs more than building it afresh.
//!
//! `books` carries seventeen secondary indexes (list filters × sorts, reports). A row
//! inserted with them in place is one random B-tree insertion per index; `CREATE INDEX` instead
//! sorts the whole table once per index, which is several times cheaper per row, but it reads
//! the rows already stored too. So a run defers its indexes only when it is at least as large
//! as the catalogue (an empty or small catalogue: the case of seeding a demo), and otherwise
//! inserts with the indexes in place (docs/generator.md has the measurements).
//!
//! Everything happens inside the run's `BEGIN IMMEDIATE` transaction: other connections never
//! see the table without its indexes (SQLite's DDL is transactional), and a run that fails
//! part-way rolls the `DROP INDEX`es back with its rows. Unique indexes (the primary key and
//! the ISBN's, which SQLite creates for the constraints and which have no SQL of their own, and
//! any `CREATE UNIQUE INDEX`) stay in place, so the constraints are enforced on every row.
//! The indexes are rebuilt from their own SQL as `sqlite_master` holds it, so the generator
//! does not repeat the migrations' definitions and stays right when a migration adds one.
//!
//! Such a run also fills the full-text index once, not once per row: its insert trigger fires
//! a separate FTS5 insert for every row, while one `INSERT ... SELECT` over the run's rows is
//! about twice as fast into an empty index (and no faster into a large one, where the indexes
//! kept in place dominate anyway; docs/generator.md). The trigger is dropped for the insert and
//! recreated from its own SQL, inside the same transaction, like the indexes.

use folio_core::{Sql, SqlError, Value};

/// A secondary index of `books` dropped for the length of a bulk insert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeferredIndex {
    pub name: String,
    pub sql: String,
}

/// Whether a run of `count` books into a catalogue of about `stored` books should defer the
/// indexes: building an index sorts `stored + count` rows, so it pays only when the new rows
/// are at least as many as the old.
pub fn should_defer(stored: i64, count: usize) -> bool {
    count as i64 >= stored
}

/// The largest rowid of `books` (0 when empty): where a run's rows will start, and about how
/// many books are stored, in one index probe instead of a count over a million rows. Deleted
/// books leave it high, which only makes deferring rarer.
pub fn largest_rowid(sql: &dyn Sql) -> Result<i64, SqlError> {
    let rows = sql.execute("SELECT coalesce(max(rowid), 0) AS n FROM books", &[])?;
    Ok(rows.first().and_then(|r| r.i64("n")).unwrap_or(0))
}

/// Drops every non-unique index of `books` and returns them for [`rebuild`]. Must run inside
/// the run's transaction.
pub fn drop_secondary_indexes(sql: &dyn Sql) -> Result<Vec<DeferredIndex>, SqlError> {
    let rows = sql.execute(
        "SELECT name, sql FROM sqlite_master
         WHERE type = 'index' AND tbl_name = ?1 AND sql IS NOT NULL
         ORDER BY name",
        &[Value::Text("books".into())],
    )?;
    let deferred: Vec<DeferredIndex> = rows
        .iter()
        .map(|r| DeferredIndex { name: r.string("name"), sql: r.string("sql") })
        .filter(|index| !is_unique(&index.sql))
        .collect();
    for index in &deferred {
        sql.execute(&format!("DROP INDEX {}", quote_identifier(&index.name)), &[])?;
    }
    Ok(deferred)
}

/// The page cache while the deferred indexes are built, in KiB. SQLite's sorter sorts in
/// memory runs of at most the page cache's size (and at least 250 pages), which it writes out
/// and merges, and it hands runs to its helper threads only when temporary files are allowed.
/// With the run's 128 MiB cache and `temp_store = MEMORY` every `CREATE INDEX` was one large
/// sort on one core; with small runs in temporary files both cores sort (docs/generator.md).
pub const INDEX_BUILD_CACHE_KIB: i64 = 1024;

/// The settings of the index builds, as `(pragma, value)`: temporary files allowed, so that the
/// sorter's helper thread works, and the page cache of [`INDEX_BUILD_CACHE_KIB`]. Shared with
/// the native benchmark's ceiling, which makes the same settings.
pub fn index_build_settings() -> [(&'static str, String); 2] {
    [("temp_store", "FILE".to_string()), ("cache_size", format!("-{INDEX_BUILD_CACHE_KIB}"))]
}

/// What the connection had for each setting [`index_build_settings`] changed, to put back.
struct SorterSettings {
    before: Vec<(&'static str, i64)>,
}

impl SorterSettings {
    /// Best effort, as the run's connection pragmas are: a host that refuses a setting (or
    /// cannot report it) still builds the indexes, only slower. SQLite refuses to change
    /// `temp_store` in a transaction once temporary storage is open; the run opens none before.
    fn apply(sql: &dyn Sql) -> Self {
        let before = index_build_settings()
            .into_iter()
            .filter_map(|(name, value)| {
                let old = read_pragma(sql, name)?;
                try_pragma(sql, &format!("PRAGMA {name} = {value}")).then_some((name, old))
            })
            .collect();
        SorterSettings { before }
    }

    fn restore(self, sql: &dyn Sql) {
        for (name, old) in self.before {
            try_pragma(sql, &format!("PRAGMA {name} = {old}"));
        }
    }
}

/// A pragma's current value on this connection, if the host reports it.
fn read_pragma(sql: &dyn Sql, name: &str) -> Option<i64> {
    let rows = sql.execute(&format!("PRAGMA {name}"), &[]).ok()?;
    rows.first().and_then(|r| r.i64(name))
}

/// Runs a setting that the run can do without: a refusal is logged, not an error.
pub fn try_pragma(sql: &dyn Sql, pragma: &str) -> bool {
    match sql.execute(pragma, &[]) {
        Ok(_) => true,
        Err(e) => {
            folio_core::log::emit(serde_json::json!({
                "level": "warn", "event": "generator_pragma_refused", "pragma": pragma, "cause": e.to_string(),
            }));
            false
        }
    }
}

/// Recreates the indexes [`drop_secondary_indexes`] dropped, each from its original SQL, with
/// the sorter settings of [`INDEX_BUILD_CACHE_KIB`] and the connection's own put back after.
pub fn rebuild(sql: &dyn Sql, deferred: &[DeferredIndex]) -> Result<(), SqlError> {
    if deferred.is_empty() {
        return Ok(());
    }
    let settings = SorterSettings::apply(sql);
    for index in deferred {
        // A failed build fails the run, whose connection ends with the request: nothing to put
        // back then.
        sql.execute(&index.sql, &[])?;
    }
    settings.restore(sql);
    Ok(())
}

/// The trigger of migrations/0002_books.sql that adds each new row of `books` to `books_fts`.
pub const FULL_TEXT_TRIGGER: &str = "books_fts_after_insert";

/// What [`FULL_TEXT_TRIGGER`] does for one row, done for every row with a rowid above `?1`.
/// Must name the columns the trigger names: FTS5's `integrity-check` (run by the tests) fails
/// when the index and `books` disagree.
pub const INDEX_ROWS_AFTER: &str = "INSERT INTO books_fts (rowid, title, author, description)
     SELECT rowid, title, author, description FROM books WHERE rowid > ?1";

/// The full-text insert trigger, dropped for the length of a run's insert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeferredFullText {
    /// The trigger's SQL as `sqlite_master` held it.
    trigger_sql: String,
    /// The largest rowid of `books` before the run: every row the run adds is above it.
    last_rowid: i64,
}

/// Drops the full-text insert trigger, remembering it and where the run's rows will start; `None`
/// (and nothing dropped) when the schema has no such trigger. Must run inside the run's
/// transaction, which keeps other writers out until the trigger is back.
pub fn defer_full_text(sql: &dyn Sql, last_rowid: i64) -> Result<Option<DeferredFullText>, SqlError> {
    let rows = sql.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?1 AND tbl_name = 'books'",
        &[Value::Text(FULL_TEXT_TRIGGER.into())],
    )?;
    let Some(trigger_sql) = rows.first().map(|r| r.string("sql")) else {
        return Ok(None);
    };
    sql.execute(&format!("DROP TRIGGER {}", quote_identifier(FULL_TEXT_TRIGGER)), &[])?;
    Ok(Some(DeferredFullText { trigger_sql, last_rowid }))
}

/// How much FTS5 may buffer in memory before it writes a segment (its `hashsize`), while a
/// bulk run fills the full-text index: with FTS5's default of 1 MiB, 100,000 books make
/// thousands of small segments that it then merges; 16 MiB took the statement from about
/// 0.41 to 0.30 s natively, and larger sizes gained nothing more (docs/generator.md).
pub const BULK_FULL_TEXT_HASHSIZE: i64 = 16 << 20;

/// FTS5's own default `hashsize`, restored after a run when none was configured.
pub const DEFAULT_FULL_TEXT_HASHSIZE: i64 = 1 << 20;

/// Adds the run's `inserted` rows to the full-text index in one statement and recreates the
/// trigger. SQLite numbers new rows above the largest rowid, so they are exactly the rows
/// above [`DeferredFullText::last_rowid`]; only once the largest possible rowid is taken does
/// it pick free ones at random, and then the whole index is rebuilt instead. FTS5 buffers up
/// to [`BULK_FULL_TEXT_HASHSIZE`] meanwhile, and its setting is put back afterwards.
pub fn index_full_text(sql: &dyn Sql, deferred: DeferredFullText, inserted: usize) -> Result<(), SqlError> {
    let configured = full_text_hashsize(sql)?;
    // Best effort, as the connection pragmas are: a host whose FTS5 refuses the setting still
    // indexes, only slower, and a refused statement leaves the transaction as it was.
    let raised = set_full_text_hashsize(sql, BULK_FULL_TEXT_HASHSIZE).is_ok();
    sql.execute(INDEX_ROWS_AFTER, &[Value::Integer(deferred.last_rowid)])?;
    let indexed = sql.execute("SELECT changes() AS n", &[])?.first().and_then(|r| r.i64("n"));
    if indexed != Some(inserted as i64) {
        sql.execute("INSERT INTO books_fts (books_fts) VALUES ('rebuild')", &[])?;
    }
    if raised {
        set_full_text_hashsize(sql, configured.unwrap_or(DEFAULT_FULL_TEXT_HASHSIZE))?;
    }
    sql.execute(&deferred.trigger_sql, &[])?;
    Ok(())
}

/// The `hashsize` stored in the full-text index's configuration, if one was ever set.
fn full_text_hashsize(sql: &dyn Sql) -> Result<Option<i64>, SqlError> {
    let rows = sql.execute("SELECT v FROM books_fts_config WHERE k = 'hashsize'", &[])?;
    Ok(rows.first().and_then(|r| r.i64("v")))
}

fn set_full_text_hashsize(sql: &dyn Sql, bytes: i64) -> Result<(), SqlError> {
    sql.execute("INSERT INTO books_fts (books_fts, rank) VALUES ('hashsize', ?1)", &[Value::Integer(bytes)])?;
    Ok(())
}

/// `CREATE UNIQUE INDEX ...`, whatever the spacing and case.
fn is_unique(create_sql: &str) -> bool {
    let mut words = create_sql.split_whitespace().map(str::to_ascii_uppercase);
    words.next().as_deref() == Some("CREATE") && words.next().as_deref() == Some("UNIQUE")
}

/// An identifier as SQLite quotes it, for names read back from `sqlite_master`.
fn quote_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defers_only_when_the_run_is_at_least_the_catalogue() {
        assert!(should_defer(0, 1));
        assert!(should_defer(100_000, 100_000));
        assert!(!should_defer(100_001, 100_000));
        assert!(!should_defer(1_000_000, 100_000));
    }

    #[test]
    fn recognises_unique_indexes() {
        assert!(is_unique("CREATE UNIQUE INDEX x ON books (isbn)"));
        assert!(is_unique("create\n  unique index x on books (isbn)"));
        assert!(!is_unique("CREATE INDEX books_title ON books (title, id)"));
        assert!(!is_unique("CREATE INDEX unique_looking ON books (title)"));
    }

    /// A statement log over a connection, to tell the one-statement path from the rebuild.
    struct Recording<'a> {
        inner: &'a dyn Sql,
        statements: std::cell::RefCell<Vec<String>>,
    }

    impl Sql for Recording<'_> {
        fn execute(&self, statement: &str, params: &[Value]) -> Result<folio_core::Rows, SqlError> {
            self.statements.borrow_mut().push(statement.to_string());
            self.inner.execute(statement, params)
        }
    }

    impl Recording<'_> {
        fn rebuilt(&self) -> bool {
            self.statements.borrow().iter().any(|s| s.contains("'rebuild'"))
        }
    }

    fn catalogue() -> folio_native::TestApp {
        let app = folio_native::TestApp::new();
        app.with_host(|h| folio_core::migrate::ensure(h.sql)).unwrap();
        app
    }

    /// A book titled `title`, at `rowid` when given (else where SQLite puts it).
    fn add_book(sql: &dyn Sql, rowid: Option<i64>, title: &str) {
        sql.execute(
            "INSERT INTO books (rowid, id, title, author, genre, isbn, published_year, pages, price_cents,
                               language, description, created_at, updated_at, created_by)
             VALUES (?1, ?2, ?2, 'Ann Author', 'fiction', ?2, 2001, 100, 999, 'en', '', 't', 't', 'a')",
            &[rowid.map_or(Value::Null, Value::Integer), Value::Text(title.into())],
        )
        .unwrap();
    }

    fn scalar(sql: &dyn Sql, query: &str) -> i64 {
        sql.execute(query, &[]).unwrap().first().and_then(|r| r.i64("n")).unwrap()
    }

    fn trigger_sql(sql: &dyn Sql) -> Option<String> {
        let rows = sql
            .execute(
                "SELECT sql FROM sqlite_master WHERE name = ?1",
                &[Value::Text(FULL_TEXT_TRIGGER.into())],
            )
            .unwrap();
        rows.first().map(|r| r.string("sql"))
    }

    fn assert_full_text_in_step(sql: &dyn Sql, books: i64) {
        assert_eq!(scalar(sql, "SELECT COUNT(*) AS n FROM books"), books);
        let check = folio_native::check_full_text(sql);
        assert!(check.is_ok(), "full-text index out of step with books: {check:?}");
    }

    #[test]
    fn fills_the_full_text_index_in_one_statement_and_restores_its_trigger() {
        let app = catalogue();
        let sql = app.sql();
        add_book(&sql, None, "oldbook");
        let trigger = trigger_sql(&sql).expect("the migrations create the trigger");
        let deferred = defer_full_text(&sql, largest_rowid(&sql).unwrap()).unwrap().expect("deferred");
        assert_eq!(trigger_sql(&sql), None, "dropped for the insert");
        for title in ["alpha", "bravo", "charlie"] {
            add_book(&sql, None, title);
        }
        let new_words =
            "SELECT COUNT(*) AS n FROM books_fts WHERE books_fts MATCH 'alpha OR bravo OR charlie'";
        assert_eq!(scalar(&sql, new_words), 0, "not yet indexed");
        assert!(
            folio_native::check_full_text(&sql).is_err(),
            "the content check sees the books missing from the index"
        );
        let recording = Recording { inner: &sql, statements: Default::default() };
        index_full_text(&recording, deferred, 3).unwrap();
        assert!(!recording.rebuilt(), "{:?}", recording.statements.borrow());
        let statements = recording.statements.borrow();
        let position = |needle: &str| statements.iter().position(|s| s.contains(needle));
        assert!(
            position("'hashsize'") < position(INDEX_ROWS_AFTER) && position("'hashsize'").is_some(),
            "the larger buffer is set before the rows are indexed: {statements:?}"
        );
        assert_eq!(trigger_sql(&sql), Some(trigger), "the trigger is back as it was");
        assert_eq!(
            full_text_hashsize(&sql).unwrap(),
            Some(DEFAULT_FULL_TEXT_HASHSIZE),
            "FTS5's default again"
        );
        assert_full_text_in_step(&sql, 4);
        let hits =
            scalar(&sql, "SELECT COUNT(*) AS n FROM books_fts WHERE books_fts MATCH 'bravo OR oldbook'");
        assert_eq!(hits, 2);
    }

    #[test]
    fn rebuilds_the_whole_index_when_new_rows_are_not_numbered_after_the_old() {
        let app = catalogue();
        let sql = app.sql();
        // Once the largest rowid is taken SQLite numbers new rows at random, below it.
        add_book(&sql, Some(i64::MAX), "last");
        let deferred = defer_full_text(&sql, largest_rowid(&sql).unwrap()).unwrap().expect("deferred");
        add_book(&sql, None, "delta");
        add_book(&sql, None, "echo");
        let recording = Recording { inner: &sql, statements: Default::default() };
        index_full_text(&recording, deferred, 2).unwrap();
        assert!(recording.rebuilt());
        assert_full_text_in_step(&sql, 3);
        assert!(trigger_sql(&sql).is_some());
    }

    #[test]
    fn puts_back_a_hashsize_that_was_configured() {
        let app = catalogue();
        let sql = app.sql();
        set_full_text_hashsize(&sql, 3 << 20).unwrap();
        let deferred = defer_full_text(&sql, largest_rowid(&sql).unwrap()).unwrap().expect("deferred");
        add_book(&sql, None, "foxtrot");
        index_full_text(&sql, deferred, 1).unwrap();
        assert_eq!(full_text_hashsize(&sql).unwrap(), Some(3 << 20));
        assert_full_text_in_step(&sql, 1);
    }

    #[test]
    fn defers_no_full_text_trigger_that_the_schema_lacks() {
        let app = catalogue();
        let sql = app.sql();
        sql.execute(&format!("DROP TRIGGER {FULL_TEXT_TRIGGER}"), &[]).unwrap();
        assert_eq!(defer_full_text(&sql, 0).unwrap(), None);
    }

    /// Reads the sorter's settings at every `CREATE INDEX`, as the builds saw them.
    struct SettingsAtBuild<'a> {
        inner: &'a dyn Sql,
        seen: std::cell::RefCell<Vec<(i64, i64)>>,
    }

    impl Sql for SettingsAtBuild<'_> {
        fn execute(&self, statement: &str, params: &[Value]) -> Result<folio_core::Rows, SqlError> {
            if statement.starts_with("CREATE INDEX") {
                self.seen.borrow_mut().push(settings(self.inner));
            }
            self.inner.execute(statement, params)
        }
    }

    /// The connection's `(temp_store, cache_size)`.
    fn settings(sql: &dyn Sql) -> (i64, i64) {
        (read_pragma(sql, "temp_store").unwrap(), read_pragma(sql, "cache_size").unwrap())
    }

    fn index_names(sql: &dyn Sql) -> Vec<String> {
        let rows = sql
            .execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'books' ORDER BY name",
                &[],
            )
            .unwrap();
        rows.iter().map(|r| r.string("name")).collect()
    }

    #[test]
    fn builds_indexes_with_temporary_files_and_a_small_cache_then_puts_the_run_settings_back() {
        let app = catalogue();
        let sql = app.sql();
        add_book(&sql, None, "golf");
        let before = index_names(&sql);
        // The run's own settings (runs.rs), then its transaction, with a statement journal open
        // before the builds as in a run (a multi-row insert that fires the full-text trigger).
        sql.execute("PRAGMA temp_store = MEMORY", &[]).unwrap();
        sql.execute("PRAGMA cache_size = -131072", &[]).unwrap();
        sql.execute("BEGIN IMMEDIATE", &[]).unwrap();
        let deferred = drop_secondary_indexes(&sql).unwrap();
        assert!(deferred.len() >= 10, "the schema's secondary indexes: {deferred:?}");
        add_book(&sql, None, "hotel");
        let builds = SettingsAtBuild { inner: &sql, seen: Default::default() };
        rebuild(&builds, &deferred).unwrap();
        let seen = builds.seen.into_inner();
        assert_eq!(seen.len(), deferred.len());
        assert!(
            seen.iter().all(|&s| s == (1, -INDEX_BUILD_CACHE_KIB)),
            "every build sorts with temporary files (1) and the small cache: {seen:?}"
        );
        assert_eq!(settings(&sql), (2, -131072), "the run's settings are back for the rest of it");
        sql.execute("COMMIT", &[]).unwrap();
        assert_eq!(index_names(&sql), before);
        assert_eq!(scalar(&sql, "SELECT COUNT(*) AS n FROM books INDEXED BY books_reports"), 2);
        let check = sql.execute("PRAGMA integrity_check", &[]).unwrap();
        assert_eq!(check.first().map(|r| r.string("integrity_check")).as_deref(), Some("ok"));
    }

    #[test]
    fn a_run_that_deferred_nothing_changes_no_setting() {
        let app = catalogue();
        let sql = app.sql();
        let recording = Recording { inner: &sql, statements: Default::default() };
        rebuild(&recording, &[]).unwrap();
        assert!(recording.statements.borrow().is_empty(), "{:?}", recording.statements.borrow());
    }

    #[test]
    fn quotes_names() {
        assert_eq!(quote_identifier("books_title"), "\"books_title\"");
        assert_eq!(quote_identifier("a\"b"), "\"a\"\"b\"");
    }
}
