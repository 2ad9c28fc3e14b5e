//! `GET /api/books`: a filtered list page or a `q=` search, with the app's SQL
//! (crates/folio-books/src/listing.rs) and the app's cursors (cursor.rs), signed with the app's
//! own key from `books_secrets`, so a page here is the app's page, byte for byte in content.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use r2d2_sqlite::rusqlite::{self, types::Value, Connection};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::{book_from_row, Book, Problem, SELECT_COLUMNS};

const SORT_COLUMNS: [&str; 4] = ["title", "published_year", "price_cents", "created_at"];
const DEFAULT_LIMIT: i64 = 20;
const MAX_LIMIT: i64 = 100;
/// At least this many matches make a search "dense": the page then walks the sort order.
const DENSE_SEARCH: i64 = 2000;
const MAC_LEN: usize = 16;

/// The query string, as the app accepts it (unknown parameters are refused).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    q: Option<String>,
    author: Option<String>,
    genre: Option<String>,
    language: Option<String>,
    year_min: Option<i64>,
    year_max: Option<i64>,
    sort: Option<String>,
    limit: Option<i64>,
    cursor: Option<String>,
}

/// What a cursor carries (the app's `Position`, the same JSON).
#[derive(Serialize, Deserialize)]
struct Position {
    s: String,
    f: String,
    k: serde_json::Value,
    i: String,
}

#[derive(Serialize)]
pub struct Page {
    items: Vec<Book>,
    next_cursor: Option<String>,
}

fn invalid(message: &'static str) -> Problem {
    Problem::Invalid(message)
}

/// Blank text filters nothing, as in the app.
fn text(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// Every word quoted, so FTS5 operators typed by a user are searched for literally.
fn fts_expression(q: &str) -> Result<String, Problem> {
    let words: Vec<&str> = q.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
    if q.chars().count() > 200 || words.is_empty() || words.len() > 16 {
        return Err(invalid("q: 1 to 16 words, at most 200 characters"));
    }
    Ok(words.iter().map(|w| format!("\"{w}\"")).collect::<Vec<_>>().join(" "))
}

fn database(e: rusqlite::Error) -> Problem {
    Problem::Internal(e.to_string())
}

pub fn page(conn: &Connection, p: Params) -> Result<Page, Problem> {
    let search = text(p.q).map(|q| fts_expression(&q)).transpose()?;
    let (author, genre) = (text(p.author), text(p.genre));
    let language = text(p.language).map(|l| l.to_ascii_lowercase());
    if language.as_deref().is_some_and(|l| l.len() != 2 || !l.bytes().all(|b| b.is_ascii_lowercase())) {
        return Err(invalid("language: an ISO 639-1 code"));
    }
    let years = |y: Option<i64>| {
        y.filter(|y| !(0..=9999).contains(y)).map_or(Ok(()), |_| Err(invalid("year: 0 to 9999")))
    };
    years(p.year_min)?;
    years(p.year_max)?;
    if let (Some(min), Some(max)) = (p.year_min, p.year_max) {
        if min > max {
            return Err(invalid("year_min: not greater than year_max"));
        }
    }
    let sort = p.sort.map(|s| s.trim().to_owned()).unwrap_or_else(|| "-created_at".to_owned());
    let (descending, column) = match sort.strip_prefix('-') {
        Some(c) => (true, c),
        None => (false, sort.as_str()),
    };
    if !SORT_COLUMNS.contains(&column) {
        return Err(invalid("sort: a sort the app names"));
    }
    let limit = p.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(invalid("limit: 1 to 100"));
    }
    let canonical = serde_json::json!([search, author, genre, language, p.year_min, p.year_max]).to_string();
    let fingerprint: String =
        Sha256::digest(canonical.as_bytes())[..8].iter().map(|b| format!("{b:02x}")).collect();

    // The probe: few matches are cheapest fetched by rowid, many by walking the sort order.
    let mut terms: Vec<String> = Vec::new();
    let mut params: Vec<Value> = Vec::new();
    if let Some(search) = &search {
        let matches: i64 = conn
            .prepare_cached(
                "SELECT COUNT(*) FROM (SELECT rowid FROM books_fts WHERE books_fts MATCH ? LIMIT ?)",
            )
            .and_then(|mut s| s.query_row(rusqlite::params![search, DENSE_SEARCH], |r| r.get(0)))
            .map_err(database)?;
        let plus = if matches >= DENSE_SEARCH { "+" } else { "" };
        terms.push(format!("{plus}rowid IN (SELECT rowid FROM books_fts WHERE books_fts MATCH ?)"));
        params.push(Value::Text(search.clone()));
    }
    for (name, value) in [("author", author), ("genre", genre), ("language", language)] {
        if let Some(v) = value {
            terms.push(format!("{name} = ?"));
            params.push(Value::Text(v));
        }
    }
    // The year index only when sorting by year (listing.rs, Filters::terms, says why).
    let plus = if column == "published_year" { "" } else { "+" };
    for (op, year) in [(">=", p.year_min), ("<=", p.year_max)] {
        if let Some(y) = year {
            terms.push(format!("{plus}published_year {op} ?"));
            params.push(Value::Integer(y));
        }
    }
    let (cmp, dir) = if descending { ("<", "DESC") } else { (">", "ASC") };
    if let Some(cursor) = p.cursor.filter(|c| !c.is_empty()) {
        let position = decode(&cursor_key(conn)?, &cursor)
            .filter(|pos| pos.s == sort && pos.f == fingerprint)
            .ok_or(Problem::BadRequest)?;
        terms.push(format!("({column}, id) {cmp} (?, ?)"));
        params.push(match position.k {
            serde_json::Value::Number(n) => Value::Integer(n.as_i64().ok_or(Problem::BadRequest)?),
            serde_json::Value::String(s) => Value::Text(s),
            _ => return Err(Problem::BadRequest),
        });
        params.push(Value::Text(position.i));
    }
    params.push(Value::Integer(limit + 1));
    let filter = if terms.is_empty() { String::new() } else { format!(" WHERE {}", terms.join(" AND ")) };
    let sql = format!("SELECT {SELECT_COLUMNS} FROM books{filter} ORDER BY {column} {dir}, id {dir} LIMIT ?");
    let mut items: Vec<Book> = conn
        .prepare_cached(&sql)
        .and_then(|mut s| s.query_map(rusqlite::params_from_iter(params), book_from_row)?.collect())
        .map_err(database)?;
    let mut next_cursor = None;
    if items.len() as i64 > limit {
        items.truncate(limit as usize);
        let last = items.last().expect("a full page");
        let k = match column {
            "title" => last.title.clone().into(),
            "created_at" => last.created_at.clone().into(),
            "published_year" => last.published_year.into(),
            _ => last.price_cents.into(),
        };
        let position = Position { s: sort.clone(), f: fingerprint, k, i: last.id.clone() };
        let payload = serde_json::to_vec(&position).expect("a position serializes");
        let mac = hmac_sha256::HMAC::mac(&payload, cursor_key(conn)?);
        next_cursor =
            Some(format!("{}.{}", URL_SAFE_NO_PAD.encode(&payload), URL_SAFE_NO_PAD.encode(&mac[..MAC_LEN])));
    }
    Ok(Page { items, next_cursor })
}

/// The app's cursor key: the twin reads it (it opens the file read-only; the app creates the
/// key on its first cursor).
fn cursor_key(conn: &Connection) -> Result<Vec<u8>, Problem> {
    conn.prepare_cached("SELECT value FROM books_secrets WHERE name = 'cursor-mac-key'")
        .and_then(|mut s| s.query_row([], |r| r.get(0)))
        .map_err(database)
}

fn decode(key: &[u8], cursor: &str) -> Option<Position> {
    let (payload, mac) = cursor.split_once('.')?;
    let (payload, mac) = (URL_SAFE_NO_PAD.decode(payload).ok()?, URL_SAFE_NO_PAD.decode(mac).ok()?);
    let expected = hmac_sha256::HMAC::mac(&payload, key);
    let genuine = mac.len() == MAC_LEN && bool::from(mac.ct_eq(&expected[..MAC_LEN]));
    genuine.then(|| serde_json::from_slice(&payload).ok()).flatten()
}
