//! The `generator` component's handler: deterministic lorem-ipsum books at bulk speed.
//!
//! - `GET /api/generator/preview?count=&seed=` (`read:books`): the books a seed yields, nothing
//!   written;
//! - `POST /api/generator/runs` (`generate:books`): generate and insert up to 100,000 books in
//!   one transaction;
//! - `GET /api/generator/runs` (`read:books`): the run history, newest first;
//! - `GET /api/generator/runs/{id}` (`read:books`): one run, where a run's `Location` points.
//!
//! See docs/generator.md for the distributions and the determinism guarantee.

pub mod authors;
pub mod book;
pub mod bulk;
pub mod insert;
pub mod isbn;
pub mod quota;
pub mod rng;
pub mod runs;
pub mod vocab;

use folio_core::{
    fields::Fields,
    guard::{self, scopes, Authenticator},
    http_util::{self, Query},
    migrate, pairing,
    router::{Params, Router},
    serve::serve,
    ApiResult, Host, Request, Response,
};
use http::StatusCode;
use serde::Serialize;

pub use book::GeneratedBook;
pub use rng::MAX_SEED;

/// The most books one run inserts.
pub const MAX_RUN_COUNT: i64 = 100_000;
/// The most books one preview shows.
pub const MAX_PREVIEW_COUNT: i64 = 100;
/// Books in a preview when `count` is absent.
pub const DEFAULT_PREVIEW_COUNT: i64 = 10;
/// Runs listed when `limit` is absent, and the most a page shows.
pub const DEFAULT_LIST_LIMIT: i64 = 20;
pub const MAX_LIST_LIMIT: i64 = 100;

type Route = fn(&dyn Authenticator, &Host, &Request, &Params) -> ApiResult;

/// Every route this component serves (checked against the OpenAPI document by the tests).
pub fn served_routes() -> Vec<(http::Method, String)> {
    routes().routes()
}

fn routes() -> Router<Route> {
    Router::<Route>::new()
        .route(http::Method::GET, "/api/generator/preview", |a, h, r, _| preview(a, h, r))
        .route(http::Method::POST, "/api/generator/runs", |a, h, r, _| create_run(a, h, r))
        .route(http::Method::GET, "/api/generator/runs", |a, h, r, _| list_runs(a, h, r))
        .route(http::Method::GET, "/api/generator/runs/{id}", get_run)
}

/// Serves one request, with the app's token verification.
pub fn handle(host: &Host, req: Request) -> Response {
    handle_with(folio_tokens::authenticator(), host, req)
}

/// Serves one request with the given authenticator (tests pass their own).
pub fn handle_with(auth: &dyn Authenticator, host: &Host, req: Request) -> Response {
    serve(host, req, |host, req| {
        let (route, params) = routes().find(req.method(), req.uri().path())?;
        route(auth, host, req, &params)
    })
}

/// A seed when given, else a fresh one from the host's randomness (returned to the caller, so
/// the run can be repeated).
fn seed_or_random(host: &Host, seed: Option<u64>) -> u64 {
    seed.unwrap_or_else(|| host.random.next_u64() & MAX_SEED)
}

fn preview(auth: &dyn Authenticator, host: &Host, req: &Request) -> ApiResult {
    guard::authorize(auth, host, req, scopes::READ_BOOKS)?;
    let query = Query::from_request(req);
    query.only(&["count", "seed"])?;
    let count = query.int("count", 1, MAX_PREVIEW_COUNT)?.unwrap_or(DEFAULT_PREVIEW_COUNT);
    let seed = query.int("seed", 0, MAX_SEED as i64)?.map(|s| s as u64);
    let seed = seed_or_random(host, seed);
    pairing::ensure_schema_for_token(host)?;
    let items = runs::preview(host.sql, seed, count as usize)?;
    Ok(http_util::json(StatusCode::OK, &Preview { seed, count, items }))
}

/// Typed bodies (not `json!` maps) keep member order fixed whatever serde_json features the
/// workspace enables: the preview is compared byte for byte.
#[derive(Serialize)]
struct Preview {
    seed: u64,
    count: i64,
    items: Vec<GeneratedBook>,
}

#[derive(Serialize)]
struct RunList {
    items: Vec<runs::Run>,
}

/// The body of `POST /api/generator/runs`.
fn create_run(auth: &dyn Authenticator, host: &Host, req: &Request) -> ApiResult {
    let principal = guard::authorize(auth, host, req, scopes::GENERATE_BOOKS)?;
    let raw: serde_json::Value = http_util::json_body(req)?;
    let mut fields = Fields::of(&raw, &["count", "seed"])?;
    let count = fields.integer("count", 1, MAX_RUN_COUNT);
    // A seed beyond 2^53 - 1 would not survive a JavaScript client's round trip.
    let seed = fields.optional_integer("seed", 0, MAX_SEED as i64);
    let (count, seed) = fields.finish(|| (count.unwrap_or(1), seed.map(|s| s as u64)))?;
    let limits = quota::Limits::from_host(host, &principal.role)?;
    let seed = seed_or_random(host, seed);
    migrate::ensure(host.sql)?;
    let run = runs::run(host, &limits, seed, count as usize, &principal.subject)?;
    let location = http_util::location(&["api", "generator", "runs", &run.id]);
    Ok(http_util::with_header(http_util::json(StatusCode::CREATED, &run), http::header::LOCATION, &location))
}

fn get_run(auth: &dyn Authenticator, host: &Host, req: &Request, params: &Params) -> ApiResult {
    guard::authorize(auth, host, req, scopes::READ_BOOKS)?;
    // Takes no parameter, so a query string is ignored (README: a cache-buster works here).
    pairing::ensure_schema_for_token(host)?;
    let run = runs::get(host.sql, params.get("id").unwrap_or_default())?
        .ok_or_else(|| folio_core::ApiError::NotFound("no generator run with this id".into()))?;
    Ok(http_util::json(StatusCode::OK, &run))
}

fn list_runs(auth: &dyn Authenticator, host: &Host, req: &Request) -> ApiResult {
    guard::authorize(auth, host, req, scopes::READ_BOOKS)?;
    let query = Query::from_request(req);
    query.only(&["limit"])?;
    let limit = query.int("limit", 1, MAX_LIST_LIMIT)?.unwrap_or(DEFAULT_LIST_LIMIT);
    pairing::ensure_schema_for_token(host)?;
    let items = runs::list(host.sql, limit)?;
    Ok(http_util::json(StatusCode::OK, &RunList { items }))
}
