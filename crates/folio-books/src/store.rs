//! The books table: the SQL every route runs, and the reusable insert statement.
//!
//! Writes are single statements that check the version in their `WHERE` clause (`UPDATE ...
//! WHERE id = ? AND version = ?`), so the `If-Match` check and the write are one atomic step:
//! two writers holding the same ETag cannot both succeed.

use folio_core::{ApiError, Sql, SqlError, Value};

use crate::model::{Book, NewBook};

/// The columns of `books`, in the order [`insert_sql`] and [`insert_params`] use.
pub const COLUMNS: [&str; 14] = [
    "id",
    "title",
    "author",
    "genre",
    "isbn",
    "published_year",
    "pages",
    "price_cents",
    "language",
    "description",
    "created_at",
    "updated_at",
    "created_by",
    "version",
];

/// The column list for `SELECT`.
pub const SELECT_COLUMNS: &str = "id, title, author, genre, isbn, published_year, pages, price_cents, \
     language, description, created_at, updated_at, created_by, version";

/// Rows per multi-row `INSERT` that stays well under SQLite's 32,766 bound parameters.
pub const MAX_ROWS_PER_INSERT: usize = 1000;

/// `INSERT INTO books (...) VALUES (?, ...), (?, ...)` for `rows` rows (at least one). Bind
/// [`insert_params`] of each row, in order. The FTS index follows through triggers, so bulk
/// inserters need nothing else. Never use `INSERT OR REPLACE` on books: its implicit delete
/// does not fire the delete trigger and would leave the search index stale.
pub fn insert_sql(rows: usize) -> String {
    let row = format!("({})", vec!["?"; COLUMNS.len()].join(", "));
    format!("INSERT INTO books ({}) VALUES {}", COLUMNS.join(", "), vec![row; rows.max(1)].join(", "))
}

/// The client-supplied columns, title to description, in [`COLUMNS`] order: the part an insert
/// and a full replace share.
fn content_params(book: &NewBook) -> [Value; 9] {
    [
        Value::from(book.title.as_str()),
        Value::from(book.author.as_str()),
        Value::from(book.genre.as_str()),
        Value::from(book.isbn.as_str()),
        Value::Integer(book.published_year.get() as i64),
        Value::Integer(book.pages.get() as i64),
        Value::Integer(book.price_cents.get()),
        Value::from(book.language.as_str()),
        Value::from(book.description.as_str()),
    ]
}

/// The values of one new row, in [`COLUMNS`] order; `version` starts at 1.
pub fn insert_params(id: &str, book: &NewBook, now: &str, created_by: &str) -> Vec<Value> {
    let mut params = Vec::with_capacity(COLUMNS.len());
    params.push(Value::from(id));
    params.extend(content_params(book));
    params.extend([Value::from(now), Value::from(now), Value::from(created_by), Value::Integer(1)]);
    params
}

/// Runs a statement, waiting within the busy budget while another connection holds a lock it
/// needs (folio_core::sql::retry_while_busy).
pub fn execute(sql: &dyn Sql, statement: &str, params: &[Value]) -> Result<folio_core::Rows, SqlError> {
    folio_core::sql::execute_patiently(sql, statement, params)
}

/// Maps SQL failures to the API: a duplicate ISBN is the client's `409`; a busy or unreachable
/// database `503` ([`ApiError::from_sql`]); anything else is ours.
pub fn write_error(e: SqlError) -> ApiError {
    if e.is_unique_violation() && matches!(&e, SqlError::Io(m) if m.contains("books.isbn")) {
        ApiError::Conflict("a book with this ISBN already exists".into())
    } else {
        ApiError::from_sql("books write", e)
    }
}

pub fn read_error(e: SqlError) -> ApiError {
    ApiError::from_sql("books read", e)
}

/// Inserts one book.
pub fn insert(sql: &dyn Sql, id: &str, book: &NewBook, now: &str, created_by: &str) -> Result<(), ApiError> {
    execute(sql, &insert_sql(1), &insert_params(id, book, now, created_by)).map_err(write_error)?;
    Ok(())
}

pub fn get(sql: &dyn Sql, id: &str) -> Result<Option<Book>, ApiError> {
    let rows = execute(sql, &format!("SELECT {SELECT_COLUMNS} FROM books WHERE id = ?"), &[Value::from(id)])
        .map_err(read_error)?;
    Ok(rows.first().map(|r| Book::from_row(&r)))
}

/// Which stored version a write may replace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    /// Any version (no `If-Match`, or `If-Match: *`).
    Any,
    /// One of these versions (the `If-Match` tags; none at all for `If-None-Match: *`).
    OneOf(Vec<i64>),
    /// Any version but these (the `If-None-Match` tags of a write).
    NoneOf(Vec<i64>),
}

impl Expect {
    /// True when a book at `version` may be written.
    pub fn allows(&self, version: i64) -> bool {
        match self {
            Expect::Any => true,
            Expect::OneOf(v) => v.contains(&version),
            Expect::NoneOf(v) => !v.contains(&version),
        }
    }

    /// The `AND version IN (...)` clause and its parameters.
    fn clause(&self) -> (String, Vec<Value>) {
        match self {
            Expect::Any => (String::new(), Vec::new()),
            // An empty list (only tags that name no version of ours) must match nothing.
            Expect::OneOf(v) if v.is_empty() => (" AND 0".to_string(), Vec::new()),
            Expect::OneOf(v) => (
                format!(" AND version IN ({})", vec!["?"; v.len()].join(", ")),
                v.iter().map(|n| Value::Integer(*n)).collect(),
            ),
            Expect::NoneOf(v) if v.is_empty() => (String::new(), Vec::new()),
            Expect::NoneOf(v) => (
                format!(" AND version NOT IN ({})", vec!["?"; v.len()].join(", ")),
                v.iter().map(|n| Value::Integer(*n)).collect(),
            ),
        }
    }
}

/// What a conditional write found.
#[derive(Debug)]
pub enum Written<T> {
    Done(T),
    /// The book exists, at a version the request did not expect.
    Stale,
    Missing,
}

impl<T> Written<T> {
    /// True when the row was written (the catalogue changed).
    pub fn is_done(&self) -> bool {
        matches!(self, Written::Done(_))
    }
}

/// Replaces a book's content if its version is expected; bumps version and `updated_at`, which
/// never goes back before the version it replaces (times are fixed-width RFC 3339 UTC, so text
/// order is time order): another replica's clock may be a little behind this one's.
pub fn replace(
    sql: &dyn Sql,
    id: &str,
    book: &NewBook,
    now: &str,
    expect: &Expect,
) -> Result<Written<Book>, ApiError> {
    let (guard, guard_params) = expect.clause();
    let statement = format!(
        "UPDATE books SET title = ?, author = ?, genre = ?, isbn = ?, published_year = ?, pages = ?, \
         price_cents = ?, language = ?, description = ?, updated_at = MAX(?, updated_at), version = version + 1 \
         WHERE id = ?{guard} RETURNING {SELECT_COLUMNS}"
    );
    let mut params = Vec::from(content_params(book));
    params.extend([Value::from(now), Value::from(id)]);
    params.extend(guard_params);
    let rows = execute(sql, &statement, &params).map_err(write_error)?;
    match rows.first() {
        Some(row) => Ok(Written::Done(Book::from_row(&row))),
        None => missing_or_stale(sql, id),
    }
}

/// Deletes a book if its version is expected.
pub fn delete(sql: &dyn Sql, id: &str, expect: &Expect) -> Result<Written<()>, ApiError> {
    let (guard, guard_params) = expect.clause();
    let mut params = vec![Value::from(id)];
    params.extend(guard_params);
    let rows = execute(sql, &format!("DELETE FROM books WHERE id = ?{guard} RETURNING id"), &params)
        .map_err(write_error)?;
    if rows.is_empty() {
        return missing_or_stale(sql, id);
    }
    Ok(Written::Done(()))
}

fn missing_or_stale<T>(sql: &dyn Sql, id: &str) -> Result<Written<T>, ApiError> {
    let rows = execute(sql, "SELECT 1 FROM books WHERE id = ?", &[Value::from(id)]).map_err(read_error)?;
    Ok(if rows.is_empty() { Written::Missing } else { Written::Stale })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_sql_has_one_placeholder_per_column_and_row() {
        let one = insert_sql(1);
        assert_eq!(one.matches('?').count(), COLUMNS.len());
        assert!(one.starts_with("INSERT INTO books (id, title,"));
        assert_eq!(insert_sql(3).matches('?').count(), 3 * COLUMNS.len());
        assert_eq!(insert_sql(0), one, "zero rows still makes a valid statement");
        assert_eq!(SELECT_COLUMNS.split(", ").collect::<Vec<_>>(), COLUMNS);
    }
}
