//! Bulk insertion: multi-row `INSERT` statements as large as SQLite's parameter limit allows,
//! because on Spin every statement is a host call.

use folio_core::{ports::base32_lower, Random, Sql, SqlError, Value};

use crate::{book::GeneratedBook, rng::Stream};

/// SQLite's default `SQLITE_MAX_VARIABLE_NUMBER` since 3.32; hosts built with a larger limit
/// accept these statements too.
pub const MAX_PARAMS: usize = 32_766;
/// Parameters that vary per row; `created_at`/`updated_at` and `created_by` are shared by the
/// whole run and bound once per statement as `?1` and `?2`, and `version` is the literal 1.
pub const PARAMS_PER_ROW: usize = 10;
/// Rows per statement: 3,276.
pub const ROWS_PER_STATEMENT: usize = (MAX_PARAMS - 2) / PARAMS_PER_ROW;

const INSERT_HEAD: &str = "INSERT INTO books (id, title, author, genre, isbn, published_year, pages, \
     price_cents, language, description, created_at, updated_at, created_by, version) VALUES ";

/// The statement for `rows` rows, with numbered parameters: row `r` uses `?(3 + 10r)` onwards.
pub fn insert_statement(rows: usize) -> String {
    let mut sql = String::with_capacity(INSERT_HEAD.len() + rows * 90);
    sql.push_str(INSERT_HEAD);
    for r in 0..rows {
        if r > 0 {
            sql.push(',');
        }
        let first = 3 + r * PARAMS_PER_ROW;
        sql.push('(');
        for k in 0..PARAMS_PER_ROW {
            sql.push('?');
            sql.push_str(&(first + k).to_string());
            sql.push(',');
        }
        sql.push_str("?1,?1,?2,1)");
    }
    sql
}

/// Book ids: 128 random bits each, base32 like every other id of the app. Drawn from a ChaCha20
/// stream keyed by the host's randomness once per run, not one host call per book.
pub struct Ids {
    stream: Stream,
}

impl Ids {
    pub fn new(random: &dyn Random) -> Self {
        let mut key = [0u8; 32];
        random.fill(&mut key);
        Self { stream: Stream::from_key(key) }
    }

    pub fn next_id(&mut self) -> String {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&self.stream.next_u64().to_le_bytes());
        bytes[8..].copy_from_slice(&self.stream.next_u64().to_le_bytes());
        base32_lower(&bytes)
    }
}

/// Inserts `books` (at most [`ROWS_PER_STATEMENT`]) in one statement.
pub fn insert_books(
    sql: &dyn Sql,
    books: Vec<GeneratedBook>,
    ids: &mut Ids,
    created_at: &str,
    created_by: &str,
) -> Result<usize, SqlError> {
    let rows = books.len();
    assert!(rows <= ROWS_PER_STATEMENT, "a batch fits one statement");
    if rows == 0 {
        return Ok(0);
    }
    let mut params = Vec::with_capacity(2 + rows * PARAMS_PER_ROW);
    params.push(Value::Text(created_at.to_string()));
    params.push(Value::Text(created_by.to_string()));
    for book in books {
        params.push(Value::Text(ids.next_id()));
        params.push(Value::Text(book.title));
        params.push(Value::Text(book.author));
        params.push(Value::Text(book.genre.to_string()));
        params.push(Value::Text(book.isbn));
        params.push(Value::Integer(book.published_year));
        params.push(Value::Integer(book.pages));
        params.push(Value::Integer(book.price_cents));
        params.push(Value::Text(book.language.to_string()));
        params.push(Value::Text(book.description));
    }
    sql.execute_owned(&insert_statement(rows), params)?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_stay_under_the_parameter_limit() {
        assert_eq!(ROWS_PER_STATEMENT, 3276);
        let sql = insert_statement(ROWS_PER_STATEMENT);
        let highest = 2 + ROWS_PER_STATEMENT * PARAMS_PER_ROW;
        assert!(highest <= MAX_PARAMS);
        assert!(sql.contains(&format!("?{highest},?1,?1,?2,1)")));
        assert!(!sql.contains(&format!("?{}", highest + 1)));
        assert!(insert_statement(1).ends_with("VALUES (?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?1,?1,?2,1)"));
    }
}
