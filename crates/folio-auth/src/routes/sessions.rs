//! The caller's own sessions: `POST /api/auth/logout`, `GET /api/auth/sessions`,
//! `DELETE /api/auth/sessions/{id}`.

use folio_core::{http_util, ports::rfc3339_ms, router::Params};
use folio_core::{ApiError, ApiResult, Host, Request, Response};
use http::StatusCode;
use serde_json::json;

use super::{caller, no_store};
use crate::sessions;

pub fn logout(host: &Host, req: &Request) -> ApiResult<Response> {
    let verified = caller(host, req)?;
    folio_core::pairing::ensure_schema_for_token(host)?;
    sessions::revoke(host, &verified.claims.sub, &verified.claims.sid)?;
    folio_core::log::emit(
        json!({"level": "info", "event": "signed_out", "account": verified.claims.sub, "session": verified.claims.sid}),
    );
    Ok(super::no_store(http_util::no_content()))
}

pub fn list(host: &Host, req: &Request) -> ApiResult<Response> {
    let verified = caller(host, req)?;
    folio_core::pairing::ensure_schema_for_token(host)?;
    let now = host.clock.now_secs();
    let items: Vec<serde_json::Value> = sessions::live(host, &verified.claims.sub, now)?
        .into_iter()
        .map(|s| {
            json!({
                "id": s.id,
                "created_at": rfc3339_ms(s.created_at_ms),
                "last_used_at": rfc3339_ms(s.last_used_at_ms),
                // Milliseconds like every other time of the API (the expiry is kept in seconds).
                "expires_at": rfc3339_ms(s.expires_at * 1000),
                "current": s.id == verified.claims.sid,
            })
        })
        .collect();
    Ok(no_store(http_util::json(StatusCode::OK, &json!({"items": items}))))
}

pub fn delete(host: &Host, req: &Request, params: &Params) -> ApiResult<Response> {
    let id = params.get("id").unwrap_or_default();
    // Its own session a token may end as logout does; another needs the role's every scope.
    let verified = caller(host, req)?;
    if verified.claims.sid != id {
        super::require_role_scopes(&verified)?;
    }
    folio_core::pairing::ensure_schema_for_token(host)?;
    let now = host.clock.now_secs();
    // Only the caller's own sessions exist for this route: another account's id is a 404.
    match sessions::find(host.sql, &verified.claims.sub, id)? {
        Some(s) if s.is_live(now) => {
            sessions::revoke(host, &verified.claims.sub, id)?;
            Ok(super::no_store(http_util::no_content()))
        }
        _ => Err(ApiError::NotFound("you have no session with this id".into())),
    }
}
