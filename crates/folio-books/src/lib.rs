//! The `books` component's handler: the catalogue's CRUD routes, validation, keyset
//! pagination, full-text search and ETags, as API.md's Books section specifies.
//!
//! [`handle`] is what the Spin component calls; [`handle_with`] takes the token check as a
//! parameter so tests can drive every route with a fake [`Authenticator`] while the real token
//! service is built separately.

pub mod cursor;
pub mod list_cache;
pub mod listing;
pub mod model;
pub mod read_cache;
pub mod store;

use anyhow::anyhow;
use folio_core::{
    catalog,
    guard::{self, authorize, scopes, Authenticator, Principal},
    http_util::{self, merge_patch, Query, MERGE_PATCH_JSON},
    migrate::{self, MigrationError},
    router::Router,
    serve::serve,
    ApiError, ApiResult, Host, Request, Response,
};
use http::{header, StatusCode};
use serde_json::Value;

use crate::cursor::{Position, SortValue};
use crate::listing::{ListQuery, SortKey};
use crate::model::{Book, NewBook, PublishedYear};
use crate::store::{Expect, Written};

/// Everything a route needs for one request.
struct Call<'a> {
    auth: &'a dyn Authenticator,
    host: &'a Host<'a>,
    req: &'a Request,
    id: Option<String>,
}

impl Call<'_> {
    fn authorize(&self, scope: &str) -> ApiResult<Principal> {
        authorize(self.auth, self.host, self.req, scope)
    }

    /// Reads `keys` and the caller's session in one key-value round trip ([`guard::read_ahead`]).
    fn read_ahead(&self, keys: &[&str]) {
        guard::read_ahead(self.auth, self.host, self.req, keys)
    }

    fn id(&self) -> &str {
        self.id.as_deref().unwrap_or_default()
    }

    fn max_year(&self) -> i32 {
        PublishedYear::max_at(self.host.clock.now_ms())
    }
}

type Route = fn(&Call) -> ApiResult;

/// Every route this component serves (checked against the OpenAPI document by the tests).
pub fn served_routes() -> Vec<(http::Method, String)> {
    routes().routes()
}

fn routes() -> Router<Route> {
    use http::Method;
    Router::new()
        .route(Method::GET, "/api/books", list as Route)
        .route(Method::POST, "/api/books", create)
        .route(Method::GET, "/api/books/{id}", get)
        .route(Method::PUT, "/api/books/{id}", replace)
        .route(Method::PATCH, "/api/books/{id}", patch)
        .route(Method::DELETE, "/api/books/{id}", delete)
}

/// Serves one request, verifying tokens with the shared token service.
pub fn handle(host: &Host, req: Request) -> Response {
    handle_with(folio_tokens::authenticator(), host, req)
}

/// Serves one request, verifying tokens with `auth`.
pub fn handle_with(auth: &dyn Authenticator, host: &Host, req: Request) -> Response {
    serve(host, req, |host, req| {
        let (route, params) = routes().find(req.method(), req.uri().path())?;
        route(&Call { auth, host, req, id: params.get("id").map(str::to_string) })
    })
}

/// Brings the schema up to date, waiting until the request's lock deadline for a competing
/// writer's lock. Writes: their token check already refused a store paired with another
/// database (`guard::authorize`).
fn ensure_schema(host: &Host) -> ApiResult<()> {
    patiently(host, migrate::ensure).map(|_| ())
}

/// [`ensure_schema`] for a read, which refuses a key-value store paired with another database
/// here, where it reads SQL anyway (`folio_core::pairing::ensure_schema_for_token`): the store's
/// record came with the token's session, the identity with the migrations' read.
fn ensure_schema_for_read(host: &Host) -> ApiResult<()> {
    let id = patiently(host, migrate::ensure_identified)?;
    folio_core::pairing::require_identity(host, id.as_deref())
}

/// `step` of the migrations, tried again while another connection holds the lock it needs.
fn patiently<T>(host: &Host, step: fn(&dyn folio_core::Sql) -> Result<T, MigrationError>) -> ApiResult<T> {
    folio_core::sql::retry_while_busy(
        host.sql,
        || step(host.sql),
        |e| matches!(e, MigrationError::Sql(e) if e.is_busy()),
    )
    .map_err(ApiError::from)
}

/// A book's entity tag: its version, which every write increments.
pub fn etag(book: &Book) -> String {
    http_util::strong_etag(&format!("v{}", book.version))
}

/// What the conditional headers allow a write to replace (RFC 9110 §13.1): `If-Match` with
/// strong tags (weak ones, or tags that are not ours, match nothing; a lone `*` any book, and a
/// `*` among tags nothing), then
/// `If-None-Match` with weak comparison (a listed version is refused; `*` refuses every existing
/// book, so the write is `412`, or `404` when there is none).
fn expectation(req: &Request) -> Expect {
    // An `If-Match` that lists nothing (`If-Match:` with an empty value) is a condition that no
    // version meets, not "no condition": a client that meant to send a tag and sent none must
    // not overwrite what it never read. An empty `If-None-Match` excludes nothing.
    let if_match = http_util::listed_tags(req.headers(), header::IF_MATCH);
    let if_none_match =
        http_util::listed_tags(req.headers(), header::IF_NONE_MATCH).filter(|tags| !tags.is_empty());
    if if_none_match.as_ref().is_some_and(|tags| tags.iter().any(|t| t == "*")) {
        return Expect::OneOf(Vec::new());
    }
    let excluded: Vec<i64> = if_none_match
        .unwrap_or_default()
        .iter()
        .filter_map(|t| version_of(t.trim_start_matches("W/")))
        .collect();
    match if_match {
        Some(tags) if !http_util::matches_any(&tags) => Expect::OneOf(
            tags.iter().filter_map(|t| version_of(t)).filter(|v| !excluded.contains(v)).collect(),
        ),
        _ if excluded.is_empty() => Expect::Any,
        _ => Expect::NoneOf(excluded),
    }
}

/// The version a strong tag of ours names (`"v3"` is 3). Tags compare character by character
/// (RFC 9110 §8.8.3.2): `"v03"` and `"v+3"` are other tags, not version 3.
fn version_of(tag: &str) -> Option<i64> {
    let digits = tag.strip_prefix("\"v")?.strip_suffix('"')?;
    let canonical = digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0');
    if canonical {
        digits.parse::<i64>().ok()
    } else {
        None
    }
}

fn book_response(status: StatusCode, book: &Book) -> Response {
    let response = http_util::json(status, book);
    http_util::with_header(response, header::ETAG, &etag(book))
}

/// `412`, in the words of the header that failed: `If-Match` names versions the book no longer
/// has, or none at all (blank, or weak tags only, which never match a write); `If-None-Match`
/// names the version it has (or `*`, and the book exists).
fn precondition_failed(req: &Request) -> ApiError {
    let detail = match http_util::listed_tags(req.headers(), header::IF_MATCH) {
        Some(tags) if tags.is_empty() => {
            "If-Match is blank: it names no version of the book, so nothing was written; send the ETag \
             of your read, or * for any version"
        }
        Some(tags) if tags.iter().all(|t| t.starts_with("W/")) => {
            "If-Match names only weak entity tags, which never match a write: send the ETag of your \
             read as it came; nothing was written"
        }
        Some(_) => "the book has changed since you read it; fetch it again and retry",
        None => {
            "If-None-Match names the book's current version (or *, and the book exists): nothing was written"
        }
    };
    ApiError::PreconditionFailed(detail.into())
}

fn not_found() -> ApiError {
    ApiError::NotFound("no book with this id".into())
}

fn list(call: &Call) -> ApiResult {
    // The token's session, the data version and the page's cache slot in one round trip, as a
    // book read does; a bad query or setting is reported after the token check.
    let query = ListQuery::parse(&Query::from_request(call.req));
    let fill_one_in = read_cache::fill_one_in(call.host);
    let identity = match (&query, &fill_one_in) {
        (Ok(query), Ok(Some(_))) => Some(list_cache::identity(query)),
        _ => None,
    };
    match &identity {
        Some(identity) => call.read_ahead(&[catalog::DATA_VERSION_KEY, &list_cache::CACHE.key(identity)]),
        None => call.read_ahead(&[]),
    }
    call.authorize(scopes::READ_BOOKS)?;
    let query = query?;
    let body = match (fill_one_in?, identity) {
        (Some(one_in), Some(identity)) => {
            list_cache::CACHE.read_through(call.host, &identity, one_in, || list_page(call.host, query))?
        }
        _ => list_page(call.host, query)?,
    };
    let response = http_util::json_bytes(StatusCode::OK, body);
    Ok(http_util::with_header(response, header::CACHE_CONTROL, "private, no-cache"))
}

/// The body of one list page, from SQL.
fn list_page(host: &Host, mut query: ListQuery) -> ApiResult<Vec<u8>> {
    ensure_schema_for_read(host)?;
    let sql = host.sql;
    if let Some((statement, params)) = query.search_probe_sql() {
        let rows = store::execute(sql, &statement, &params).map_err(store::read_error)?;
        query.filters.search_dense =
            rows.first().and_then(|r| r.i64("n")).unwrap_or(0) >= listing::DENSE_SEARCH;
    }
    // The key is read only when a cursor is checked or made.
    let mut secret: Option<Vec<u8>> = None;
    let mut key = |host: &Host| -> ApiResult<Vec<u8>> {
        if secret.is_none() {
            secret = Some(cursor::secret(host)?);
        }
        Ok(secret.clone().unwrap_or_default())
    };
    let after = match &query.cursor {
        Some(c) => {
            let position = cursor::decode(&key(host)?, c)?;
            query.accept(&position)?;
            Some(position)
        }
        None => None,
    };
    let (statement, params) = query.page_sql(after.as_ref(), store::SELECT_COLUMNS);
    // The page and its count from one snapshot: as separate statements a write committing
    // between them made a page list a book its total did not count (race audit).
    let read = || -> ApiResult<_> {
        let rows = store::execute(sql, &statement, &params).map_err(store::read_error)?;
        let total = match query.count {
            true => {
                let (statement, params) = query.count_sql();
                let counted = store::execute(sql, &statement, &params).map_err(store::read_error)?;
                Some(counted.first().and_then(|r| r.i64("n")).unwrap_or(0))
            }
            false => None,
        };
        Ok((rows, total))
    };
    let (rows, total) = if query.count { folio_core::sql::read_transaction(sql, read)? } else { read()? };
    let mut items: Vec<Book> = rows.iter().map(|r| Book::from_row(&r)).collect();
    let mut next_cursor = None;
    if items.len() as i64 > query.limit {
        items.truncate(query.limit as usize);
        if let Some(last) = items.last() {
            let k = match query.sort.key {
                SortKey::Title => SortValue::Text(last.title.clone()),
                SortKey::CreatedAt => SortValue::Text(last.created_at.clone()),
                SortKey::PublishedYear => SortValue::Int(last.published_year),
                SortKey::PriceCents => SortValue::Int(last.price_cents),
            };
            let position = Position { s: query.sort.name(), f: query.fingerprint(), k, i: last.id.clone() };
            next_cursor = Some(cursor::encode(&key(host)?, &position));
        }
    }
    let mut body = serde_json::json!({ "items": items, "next_cursor": next_cursor });
    if let Some(total) = total {
        body["total"] = Value::from(total);
    }
    Ok(serde_json::to_vec(&body).expect("a page serializes"))
}

fn get(call: &Call) -> ApiResult {
    // The token's session, the data version and the cached copy: one round trip, not three.
    // With the cache off only the session (and the stores' pairing record) is read ahead; a bad
    // setting is reported after the token check, as before.
    let fill_one_in = read_cache::fill_one_in(call.host);
    let cache_key = read_cache::key(call.id()).filter(|_| matches!(fill_one_in, Ok(Some(_))));
    match &cache_key {
        Some(key) => call.read_ahead(&[catalog::DATA_VERSION_KEY, key]),
        None => call.read_ahead(&[]),
    }
    call.authorize(scopes::READ_BOOKS)?;
    let book = match (fill_one_in?, cache_key) {
        (Some(one_in), Some(_)) => cached_book(call.host, call.id(), one_in)?,
        _ => book_from_sql(call.host, call.id())?,
    };
    if http_util::if_match_fails(call.req, &book.etag) {
        return Err(ApiError::PreconditionFailed("If-Match names another version of this book".into()));
    }
    if http_util::if_none_match(call.req, &book.etag) {
        return Ok(http_util::not_modified(&book.etag));
    }
    let response =
        http_util::with_header(http_util::json_bytes(StatusCode::OK, book.json), header::ETAG, &book.etag);
    Ok(http_util::with_header(response, header::CACHE_CONTROL, "private, no-cache"))
}

/// The book through the read cache ([`read_cache`]): its current copy, or SQL's, stored on one
/// miss in `fill_one_in`.
fn cached_book(host: &Host, id: &str, fill_one_in: u64) -> ApiResult<read_cache::CachedBook> {
    let payload = read_cache::CACHE.read_through(host, id, fill_one_in, || {
        book_from_sql(host, id).map(|book| read_cache::payload(&book))
    })?;
    read_cache::from_payload(&payload).ok_or_else(|| ApiError::Internal(anyhow!("an unreadable cached book")))
}

/// A stored book as `GET` answers it: its JSON and its entity tag.
fn book_from_sql(host: &Host, id: &str) -> ApiResult<read_cache::CachedBook> {
    ensure_schema_for_read(host)?;
    let book = store::get(host.sql, id)?.ok_or_else(not_found)?;
    Ok(read_cache::CachedBook {
        etag: etag(&book),
        json: serde_json::to_vec(&book).expect("a book serializes"),
    })
}

fn create(call: &Call) -> ApiResult {
    let principal = call.authorize(scopes::CREATE_BOOKS)?;
    let body: Value = http_util::json_body(call.req)?;
    let new = NewBook::from_json(&body, call.max_year())?;
    ensure_schema(call.host)?;
    let id = call.host.new_id();
    let book = catalog::write(
        call.host,
        |_| true,
        || {
            // Stamped under the write lock, not before waiting for it: a write that waited
            // behind another must not carry an earlier time than the one that went first.
            let now = call.host.now_rfc3339();
            store::insert(call.host.sql, &id, &new, &now, &principal.subject)?;
            store::get(call.host.sql, &id)?
                .ok_or_else(|| ApiError::Internal(anyhow!("a created book cannot be read back")))
        },
    )?;
    let response = book_response(StatusCode::CREATED, &book);
    Ok(http_util::with_header(response, header::LOCATION, &http_util::location(&["api", "books", &id])))
}

fn replace(call: &Call) -> ApiResult {
    call.authorize(scopes::UPDATE_BOOKS)?;
    let body: Value = http_util::json_body(call.req)?;
    let new = NewBook::from_json(&body, call.max_year())?;
    ensure_schema(call.host)?;
    let expect = expectation(call.req);
    // The same content again is no change: answered with the book as it is, nothing written
    // (its version and entity tag stay, and so do the reports'), once its preconditions hold.
    let current = store::get(call.host.sql, call.id())?.ok_or_else(not_found)?;
    if !expect.allows(current.version) {
        return Err(precondition_failed(call.req));
    }
    if current.holds(&new) {
        return Ok(book_response(StatusCode::OK, &current));
    }
    // Stamped under the write lock (see create).
    let written = catalog::write(call.host, Written::is_done, || {
        store::replace(call.host.sql, call.id(), &new, &call.host.now_rfc3339(), &expect)
    })?;
    match written {
        Written::Done(book) => Ok(book_response(StatusCode::OK, &book)),
        Written::Stale => Err(precondition_failed(call.req)),
        Written::Missing => Err(not_found()),
    }
}

/// How often a PATCH without `If-Match` re-reads and re-applies itself when another write
/// slipped in between its read and its write.
const PATCH_ATTEMPTS: usize = 5;

fn patch(call: &Call) -> ApiResult {
    call.authorize(scopes::UPDATE_BOOKS)?;
    // A 415 names the accepted format in Accept-Patch (RFC 5789 §3.1; ApiError does it).
    let patch: Value = http_util::json_body_of(call.req, &[MERGE_PATCH_JSON], MERGE_PATCH_JSON)?;
    ensure_schema(call.host)?;
    let expect = expectation(call.req);
    for _ in 0..PATCH_ATTEMPTS {
        let current = store::get(call.host.sql, call.id())?.ok_or_else(not_found)?;
        if !expect.allows(current.version) {
            return Err(precondition_failed(call.req));
        }
        let mut merged = current.editable_json();
        merge_patch(&mut merged, &patch);
        let new = NewBook::from_json(&merged, call.max_year())?;
        // A patch that changes nothing (`{}`, or values the book has) writes nothing.
        if current.holds(&new) {
            return Ok(book_response(StatusCode::OK, &current));
        }
        // Write only over the version the patch was applied to; stamped under the write lock.
        let only_this = Expect::OneOf(vec![current.version]);
        let written = catalog::write(call.host, Written::is_done, || {
            store::replace(call.host.sql, call.id(), &new, &call.host.now_rfc3339(), &only_this)
        })?;
        match written {
            Written::Done(book) => return Ok(book_response(StatusCode::OK, &book)),
            Written::Missing => return Err(not_found()),
            Written::Stale if expect != Expect::Any => return Err(precondition_failed(call.req)),
            Written::Stale => continue,
        }
    }
    Err(ApiError::Conflict("the book is being changed by others; retry".into()))
}

fn delete(call: &Call) -> ApiResult {
    call.authorize(scopes::DELETE_BOOKS)?;
    ensure_schema(call.host)?;
    // The new data version retires every cached copy, this book's included.
    match catalog::write(call.host, Written::is_done, || {
        store::delete(call.host.sql, call.id(), &expectation(call.req))
    })? {
        Written::Done(()) => Ok(http_util::no_content()),
        Written::Stale => Err(precondition_failed(call.req)),
        Written::Missing => Err(not_found()),
    }
}
