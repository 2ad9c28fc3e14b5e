//! Shared helpers of the token service's tests: the real handler over native ports.
#![allow(dead_code)]

use folio_core::{Request, Response};
use folio_native::{body_json, json_request, request, TestApp};
use serde_json::{json, Value};

pub const PASSWORD: &str = "correct horse battery";

pub fn call(app: &TestApp, req: Request) -> Response {
    app.call(folio_auth::handle, req)
}

pub fn register(app: &TestApp, email: &str, password: &str) -> Response {
    call(
        app,
        json_request(
            "POST",
            "/api/auth/register",
            &json!({"email": email, "password": password}).to_string(),
        ),
    )
}

pub fn password_grant(app: &TestApp, username: &str, password: &str) -> Response {
    call(app, password_grant_with(username, password))
}

/// A password grant for `username` with [`PASSWORD`].
pub fn password_grant_req(username: &str) -> Request {
    password_grant_with(username, PASSWORD)
}

fn password_grant_with(username: &str, password: &str) -> Request {
    json_request(
        "POST",
        "/api/auth/token",
        &json!({"grant_type": "password", "username": username, "password": password}).to_string(),
    )
}

pub fn refresh_grant(app: &TestApp, refresh_token: &str) -> Response {
    call(
        app,
        json_request(
            "POST",
            "/api/auth/token",
            &json!({"grant_type": "refresh_token", "refresh_token": refresh_token}).to_string(),
        ),
    )
}

pub fn form(path: &str, body: &str) -> Request {
    request("POST", path)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.as_bytes().to_vec())
        .unwrap()
}

pub fn bearer(method: &str, path: &str, token: &str) -> Request {
    request(method, path).header("authorization", format!("Bearer {token}")).body(Vec::new()).unwrap()
}

pub fn bearer_json(method: &str, path: &str, token: &str, body: &Value) -> Request {
    request(method, path)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(body.to_string().into_bytes())
        .unwrap()
}

/// A signed-in account over HTTP.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub account_id: String,
    pub access: String,
    pub refresh: String,
    pub body: Value,
}

/// Registers `email` (if new) and signs in with the password grant.
pub fn sign_up_and_in(app: &TestApp, email: &str) -> Tokens {
    let r = register(app, email, PASSWORD);
    assert!(r.status() == 201 || r.status() == 409, "register {email}: {}", r.status());
    sign_in(app, email)
}

pub fn sign_in(app: &TestApp, email: &str) -> Tokens {
    let r = password_grant(app, email, PASSWORD);
    assert_eq!(r.status(), 200, "sign in {email}: {}", String::from_utf8_lossy(r.body()));
    tokens_of(app, &r)
}

pub fn tokens_of(app: &TestApp, r: &Response) -> Tokens {
    let body = body_json(r);
    let access = body["access_token"].as_str().unwrap().to_string();
    let me = body_json(&call(app, bearer("GET", "/api/auth/me", &access)));
    Tokens {
        account_id: me["account"]["id"].as_str().unwrap_or_default().to_string(),
        access,
        refresh: body["refresh_token"].as_str().unwrap().to_string(),
        body,
    }
}

/// The status and `WWW-Authenticate` of a request with this access token to `GET /api/auth/me`.
pub fn me_status(app: &TestApp, token: &str) -> (u16, String) {
    let r = call(app, bearer("GET", "/api/auth/me", token));
    let challenge =
        r.headers().get("www-authenticate").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    (r.status().as_u16(), challenge)
}

/// Introspects `token` as an administrator, who may see any token.
pub fn introspect(app: &TestApp, token: &str) -> Value {
    let admin = app.with_host(|h| folio_auth::testing::login_as(h, "admin"));
    introspect_as(app, &admin, token)
}

/// Introspects `token` with `caller` as the bearer.
pub fn introspect_as(app: &TestApp, caller: &str, token: &str) -> Value {
    let r = call(app, bearer_json("POST", "/api/auth/introspect", caller, &json!({"token": token})));
    assert_eq!(r.status(), 200, "{}", String::from_utf8_lossy(r.body()));
    body_json(&r)
}

/// The claims of a compact JWT, decoded without any check.
pub fn claims_of(token: &str) -> Value {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
    let part = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

pub fn header_of(token: &str) -> Value {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
    let part = token.split('.').next().unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}
