//! Shared test helpers: a fake token check and request builders.
#![allow(dead_code)]

use folio_books::model::Isbn13;
use folio_core::{
    guard::{role_scopes, Authenticator, Principal},
    ApiError, ApiResult, Host, Request, Response,
};
use folio_native::TestApp;
use serde_json::{json, Value};

/// Maps a bearer token that names a role ("reader", "editor", "admin") to a principal with
/// that role's scopes; `<role>.<subject>` picks the subject. Anything else is refused as the
/// real service would refuse an invalid token. Like the real check, it reads a session key
/// from the key-value store (and names it, so routes can read it ahead); its value, and a
/// failure to read it, do not matter here: these tests are about books, not token checks.
pub struct FakeAuth;

/// The key-value key [`FakeAuth`] reads for `token`.
pub fn fake_session_key(token: &str) -> String {
    format!("test:session:{token}")
}

impl Authenticator for FakeAuth {
    fn session_key(&self, token: &str) -> Option<String> {
        Some(fake_session_key(token))
    }

    fn authenticate_token(&self, host: &Host, token: &str) -> ApiResult<Principal> {
        let _ = host.kv.get(&fake_session_key(token));
        let (role, subject) = token.split_once('.').unwrap_or((token, token));
        let scopes = role_scopes(role).ok_or_else(|| ApiError::unauthorized("the token is not valid"))?;
        Ok(Principal {
            subject: format!("user-{subject}"),
            session_id: "session".into(),
            token_id: "jti".into(),
            email: format!("{subject}@example.com"),
            role: role.into(),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            expires_at: i64::MAX,
        })
    }
}

/// The books handler with the fake token check.
pub fn handler(host: &Host, req: Request) -> Response {
    folio_books::handle_with(&FakeAuth, host, req)
}

/// A request builder authenticated as `role` (no header when `role` is empty).
pub fn req(method: &str, uri: &str, role: &str) -> http::request::Builder {
    let b = folio_native::request(method, uri);
    if role.is_empty() {
        b
    } else {
        b.header("authorization", format!("Bearer {role}"))
    }
}

pub fn send(app: &TestApp, request: Request) -> Response {
    app.call(handler, request)
}

pub fn get(app: &TestApp, uri: &str, role: &str) -> Response {
    send(app, req("GET", uri, role).body(Vec::new()).unwrap())
}

pub fn json_to(app: &TestApp, method: &str, uri: &str, role: &str, body: &Value) -> Response {
    send(
        app,
        req(method, uri, role)
            .header("content-type", "application/json")
            .body(serde_json::to_vec(body).unwrap())
            .unwrap(),
    )
}

pub fn merge_patch(app: &TestApp, uri: &str, role: &str, body: &Value, if_match: Option<&str>) -> Response {
    let mut b = req("PATCH", uri, role).header("content-type", "application/merge-patch+json");
    if let Some(tag) = if_match {
        b = b.header("if-match", tag);
    }
    send(app, b.body(serde_json::to_vec(body).unwrap()).unwrap())
}

pub fn body(r: &Response) -> Value {
    folio_native::body_json(r)
}

/// A valid ISBN-13 unique to `n`.
pub fn isbn(n: u64) -> String {
    Isbn13::from_first_12(&format!("978{n:09}")).unwrap().as_str().to_string()
}

/// A valid book body, unique by ISBN.
pub fn book(n: u64) -> Value {
    json!({
        "title": format!("Book {n}"),
        "author": "Ann Author",
        "genre": "Fiction",
        "isbn": isbn(n),
        "published_year": 2000,
        "pages": 200,
        "price_cents": 1500,
        "language": "en",
        "description": "A book."
    })
}

/// Creates a book as an editor and returns it; panics unless `201`.
pub fn create(app: &TestApp, body: &Value) -> Value {
    let r = json_to(app, "POST", "/api/books", "editor", body);
    assert_eq!(r.status(), 201, "{}", String::from_utf8_lossy(r.body()));
    self::body(&r)
}

/// The field names of a validation problem.
pub fn error_fields(r: &Response) -> Vec<String> {
    assert_eq!(r.status(), 422, "{}", String::from_utf8_lossy(r.body()));
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    body(r)["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_string()).collect()
}

pub fn count_rows(app: &TestApp) -> i64 {
    use folio_core::Sql;
    let sql = app.sql();
    folio_core::migrate::ensure(&sql).unwrap();
    sql.execute("SELECT COUNT(*) AS n FROM books", &[]).unwrap().first().unwrap().i64("n").unwrap()
}

/// Sends `request` through a key-value store that counts its round trips, behind the same
/// read-ahead the Spin adapter uses: (status, batch reads, writes).
pub fn counting_round_trips(app: &TestApp, request: Request) -> (u16, u32, u32) {
    let trips = folio_native::RoundTrips::new(app.kv.as_ref());
    let r = app.with_host_over(&app.sql(), &trips, |host| handler(host, request));
    (r.status().as_u16(), trips.reads(), trips.writes())
}
