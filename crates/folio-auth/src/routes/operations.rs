//! App-wide operations routes served by `auth`, the one component holding both stores and the
//! accounts: `GET /api/status` (admin) and `GET /api/openapi.json`.

use folio_core::{http_util, migrate, ApiResult, Host, Request, Response, Sql};
use http::{header, StatusCode};
use serde_json::json;

use crate::settings::{AuthSettings, SignupPolicy};

/// The OpenAPI 3.1 document, built by docs/openapi/build.py and embedded at compile time.
const OPENAPI: &str = include_str!("../../../../docs/openapi.json");

/// The document changes only with the build: caches may keep it five minutes, then revalidate.
const OPENAPI_CACHE: &str = "public, max-age=300";

pub fn openapi(_host: &Host, req: &Request) -> ApiResult<Response> {
    let etag = etag();
    if http_util::if_none_match(req, &etag) {
        // The document only changes with the build: a client or cache revalidating gets no body.
        let mut r = http_util::not_modified(&etag);
        r.headers_mut().insert(header::CACHE_CONTROL, http::HeaderValue::from_static(OPENAPI_CACHE));
        return Ok(r);
    }
    let mut r = http::Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, http_util::JSON)
        .header(header::CACHE_CONTROL, OPENAPI_CACHE)
        .body(OPENAPI.as_bytes().to_vec())
        .expect("valid response");
    r.headers_mut().insert(header::ETAG, etag.parse().expect("valid etag"));
    Ok(r)
}

fn etag() -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(OPENAPI.as_bytes());
    format!("\"{}\"", hex::encode(&digest[..12]))
}

fn count(sql: &dyn Sql, table: &str) -> ApiResult<i64> {
    // `table` is one of the fixed names below, never input.
    let rows = sql.execute(&format!("SELECT COUNT(*) AS n FROM {table}"), &[])?;
    Ok(rows.first().and_then(|r| r.i64("n")).unwrap_or(0))
}

/// The settings in effect, as the app read them: what an operator checks after a deployment,
/// since Spin drops a misspelt variable without a word and the default then applies. Never a
/// secret: the signing key is named by where it comes from, the administrators' addresses by
/// how many are listed (none: the first account became the administrator).
fn settings_in_effect(host: &Host) -> ApiResult<serde_json::Value> {
    use folio_core::settings::{
        both, BOOK_READ_CACHE_FILL_ONE_IN, GENERATOR_BOOKS_PER_HOUR, GENERATOR_MAX_BOOKS,
    };
    let (auth, policy) = both(AuthSettings::from_host(host), SignupPolicy::from_host(host))?;
    let (cache, (max_books, per_hour)) = both(
        BOOK_READ_CACHE_FILL_ONE_IN.read(host),
        both(GENERATOR_MAX_BOOKS.read(host), GENERATOR_BOOKS_PER_HOUR.read(host)),
    )?;
    Ok(json!({
        "token_issuer": auth.tokens.issuer,
        "token_audience": auth.tokens.audience,
        "access_token_ttl_seconds": auth.access_ttl_secs,
        "refresh_token_ttl_seconds": auth.refresh_ttl_secs,
        "signing_key": if auth.signing_key.is_some() { "variable" } else { "generated" },
        "allow_signup": policy.allow_signup,
        "signup_role": policy.signup_role.as_str(),
        "admin_emails_listed": policy.admin_emails.len(),
        "cors_allowed_origins": host.var_or("cors_allowed_origins", "")?,
        "book_read_cache_fill_one_in": cache,
        "generator_max_books": max_books,
        "generator_books_per_hour": per_hour,
    }))
}

/// Counts for administrators: accounts, live sessions, books, generator runs, schema version;
/// and the settings in effect.
pub fn status(host: &Host, req: &Request) -> ApiResult<Response> {
    super::authorize_admin(host, req)?;
    // Every variable the app refuses, named as `GET /api/health` names them: a signing key that
    // does not parse stops sign-in, so the settings must not read as if all were well.
    crate::settings::check_all(host)?;
    migrate::ensure(host.sql)?;
    let settings = settings_in_effect(host)?;
    // Counted in the sessions' registry (one indexed range), never by listing the store.
    let body = json!({
        "accounts": count(host.sql, "accounts")?,
        "live_sessions": crate::sessions::count_live(host.sql, host.clock.now_secs())?,
        "books": count(host.sql, "books")?,
        "generator_runs": count(host.sql, "generator_runs")?,
        "schema_version": migrate::current_version(host.sql)?,
        "version": folio_core::VERSION,
        "settings": settings,
    });
    Ok(super::no_store(http_util::json(StatusCode::OK, &body)))
}
