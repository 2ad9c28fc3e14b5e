//! Bulk loading: when a run adds at least as many books as the catalogue holds, maintaining
//! every secondary index of `books` row by row costs more than building it afresh.
//!
//! `books` carries about twenty secondary indexes (list filters × sorts, reports). A row
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

/// About how many books are stored: the largest rowid, one index probe instead of a count over
/// a million rows. Deleted books leave it high, which only makes deferring rarer.
pub fn stored_estimate(sql: &dyn Sql) -> Result<i64, SqlError> {
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

/// Recreates the indexes [`drop_secondary_indexes`] dropped, each from its original SQL.
pub fn rebuild(sql: &dyn Sql, deferred: &[DeferredIndex]) -> Result<(), SqlError> {
    for index in deferred {
        sql.execute(&index.sql, &[])?;
    }
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

    #[test]
    fn quotes_names() {
        assert_eq!(quote_identifier("books_title"), "\"books_title\"");
        assert_eq!(quote_identifier("a\"b"), "\"a\"\"b\"");
    }
}
