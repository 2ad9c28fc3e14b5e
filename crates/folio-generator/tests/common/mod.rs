//! Shared test helpers: an authenticator that knows three fixed tokens, request builders, and
//! queries on the app's database.
#![allow(dead_code)]

use folio_core::{
    guard::{role_scopes, Authenticator, Principal},
    ApiError, ApiResult, Host, Request, Response, Sql,
};
use folio_native::{json_request, request, TestApp};

/// Maps the bearer tokens "reader", "editor" and "admin" to principals of those roles, with the
/// scopes the contract gives them; refuses every other token. Stands in for the token service.
pub struct FakeAuth;

impl Authenticator for FakeAuth {
    fn authenticate_token(&self, _host: &Host, token: &str) -> ApiResult<Principal> {
        let scopes = role_scopes(token).ok_or_else(|| ApiError::unauthorized("unknown test token"))?;
        Ok(Principal {
            subject: format!("account-{token}"),
            session_id: format!("session-{token}"),
            token_id: format!("token-{token}"),
            email: format!("{token}@example.com"),
            role: token.to_string(),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            expires_at: i64::MAX,
        })
    }
}

/// The generator's handler with the fake authenticator.
pub fn handler(host: &Host, req: Request) -> Response {
    folio_generator::handle_with(&FakeAuth, host, req)
}

pub fn get(uri: &str, token: Option<&str>) -> Request {
    let mut b = request("GET", uri);
    if let Some(t) = token {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    b.body(Vec::new()).unwrap()
}

pub fn post_run(body: &str, token: &str) -> Request {
    let mut r = json_request("POST", "/api/generator/runs", body);
    r.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    r
}

pub fn count(app: &TestApp, sql: &str) -> i64 {
    // Requests refused before touching SQL leave a fresh database: migrate it to count.
    app.with_host(|h| folio_core::migrate::ensure(h.sql)).unwrap();
    app.sql()
        .execute(sql, &[])
        .unwrap()
        .first()
        .unwrap()
        .at(0)
        .and_then(|v| match v {
            folio_core::Value::Integer(i) => Some(*i),
            _ => None,
        })
        .unwrap()
}

pub fn books(app: &TestApp) -> i64 {
    count(app, "SELECT COUNT(*) FROM books")
}

/// 64-bit FNV-1a: a dependency-free digest for golden values.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

/// Every stored book as JSON, in id order.
pub fn stored_books(sql: &dyn Sql) -> Vec<serde_json::Value> {
    let rows = sql
        .execute(
            "SELECT id, title, author, genre, isbn, published_year, pages, price_cents, language, \
             description, created_at, updated_at, created_by, version FROM books ORDER BY id",
            &[],
        )
        .unwrap();
    rows.iter()
        .map(|r| {
            serde_json::json!({
                "id": r.string("id"), "title": r.string("title"), "author": r.string("author"),
                "genre": r.string("genre"), "isbn": r.string("isbn"),
                "published_year": r.i64("published_year"), "pages": r.i64("pages"),
                "price_cents": r.i64("price_cents"), "language": r.string("language"),
                "description": r.string("description"), "created_at": r.string("created_at"),
                "updated_at": r.string("updated_at"), "created_by": r.string("created_by"),
                "version": r.i64("version"),
            })
        })
        .collect()
}
