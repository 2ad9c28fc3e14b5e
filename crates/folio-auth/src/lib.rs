//! The `auth` component's handler: the token service (`/api/auth/...`, `/.well-known/...`),
//! plus the app-wide `/api/health`, `/api/status` and `/api/openapi.json`.
//!
//! docs/auth.md describes the design: accounts and Argon2id, EdDSA access tokens vouched for by
//! sessions in the key-value store, refresh-token rotation, key rotation, abuse limits.

pub mod accounts;
pub mod countries;
pub mod hashing_slots;
pub mod issue;
pub mod keys;
pub mod limiter;
pub mod password;
pub mod profile;
pub mod role;
pub mod routes;
pub mod sessions;
pub mod settings;
#[cfg(feature = "testing")]
pub mod testing;

use folio_core::{health, router::Params, router::Router, serve::serve, ApiResult, Host, Request, Response};
use http::Method;

use routes::{
    account, introspect, keys as key_routes, operations, register, revoke, sessions as own, token, users,
    well_known,
};

type Route = fn(&Host, &Request, &Params) -> ApiResult;

/// Every route this component serves (checked against the OpenAPI document by the tests).
pub fn served_routes() -> Vec<(Method, String)> {
    routes().routes()
}

fn routes() -> Router<Route> {
    Router::<Route>::new()
        .route(Method::GET, "/api/health", |host, _, _| Ok(health::health(host, settings::check_all(host))))
        .route(Method::GET, "/api/status", |h, r, _| operations::status(h, r))
        .route(Method::GET, "/api/openapi.json", |h, r, _| operations::openapi(h, r))
        .route(Method::POST, "/api/auth/register", |h, r, _| register::register(h, r))
        .route(Method::POST, TOKEN_PATH, |h, r, _| token::token(h, r))
        .route(Method::POST, "/api/auth/logout", |h, r, _| own::logout(h, r))
        .route(Method::POST, REVOKE_PATH, |h, r, _| revoke::revoke(h, r))
        .route(Method::GET, "/api/auth/me", |h, r, _| account::get(h, r))
        .route(Method::PATCH, "/api/auth/me", |h, r, _| account::patch(h, r))
        .route(Method::DELETE, "/api/auth/me", |h, r, _| account::delete(h, r))
        .route(Method::POST, "/api/auth/password", |h, r, _| account::change_password(h, r))
        .route(Method::POST, "/api/auth/introspect", |h, r, _| introspect::introspect(h, r))
        .route(Method::GET, "/api/auth/sessions", |h, r, _| own::list(h, r))
        .route(Method::DELETE, "/api/auth/sessions/{id}", own::delete)
        .route(Method::GET, "/api/auth/users", |h, r, _| users::list(h, r))
        .route(Method::GET, "/api/auth/users/{id}", users::get)
        .route(Method::PATCH, "/api/auth/users/{id}", users::patch)
        .route(Method::POST, "/api/auth/users/{id}/password", users::reset_password)
        .route(Method::POST, "/api/auth/keys/rotate", |h, r, _| key_routes::rotate(h, r))
        .route(Method::GET, "/.well-known/jwks.json", |h, r, _| well_known::jwks(h, r))
        .route(Method::GET, "/.well-known/openid-configuration", |h, r, _| well_known::discovery(h, r))
        .route(Method::GET, "/.well-known/oauth-authorization-server", |h, r, _| well_known::discovery(h, r))
}

/// The OAuth 2.0 token endpoint.
const TOKEN_PATH: &str = "/api/auth/token";
/// The OAuth 2.0 revocation endpoint (RFC 7009).
const REVOKE_PATH: &str = "/api/auth/revoke";

/// Serves one request.
pub fn handle(host: &Host, req: Request) -> Response {
    serve(host, req, |host, req| {
        let (route, params) = match routes().find(req.method(), req.uri().path()) {
            Ok(found) => found,
            // OAuth clients read `error` from whatever the token endpoint answers, its 405 too.
            Err(e)
                if [TOKEN_PATH, REVOKE_PATH].contains(&req.uri().path())
                    && req.method() != Method::OPTIONS =>
            {
                return Ok(token::error_response(req, e))
            }
            Err(e) => return Err(e),
        };
        route(host, req, &params)
    })
}
