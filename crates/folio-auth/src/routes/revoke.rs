//! `POST /api/auth/revoke`: OAuth 2.0 token revocation (RFC 7009), so that a client can end a
//! session with whichever of its tokens it still holds: the refresh token once the access token
//! has expired (logout needs a good access token), or a leaked token of either kind.
//!
//! As RFC 7009 has it: a form (or, as at the token endpoint, a JSON object) with `token` and an
//! optional `token_type_hint`; public clients only (credentials are `invalid_client`, as at the
//! token endpoint); `200` whether or not the token was one of a live session (§2.2: an invalid
//! token is no error, so the answer tells a guesser nothing); failures in the token endpoint's
//! OAuth shape.

use folio_core::{migrate, pairing, ApiResult, Host, Request, Response};
use http::StatusCode;
use serde_json::json;

use super::token::{self, params, refuse_client_credentials, required};
use crate::issue;

pub fn revoke(host: &Host, req: &Request) -> ApiResult<Response> {
    match revoke_token(host, req) {
        Ok(r) => Ok(r),
        Err(e) => Ok(token::error_response(req, folio_core::long_write::explain_busy(host, e))),
    }
}

fn revoke_token(host: &Host, req: &Request) -> ApiResult<Response> {
    let params = params(req, "the token to revoke")?;
    refuse_client_credentials(req, &params)?;
    let presented = required(&params, "token")?;
    migrate::ensure(host.sql)?;
    pairing::require(host)?;
    if let Some((account, session)) = issue::revoke(host, presented)? {
        folio_core::log::emit(json!({"level": "info", "event": "signed_out", "how": "revocation",
            "account": account, "session": session}));
    }
    let mut response =
        http::Response::builder().status(StatusCode::OK).body(Vec::new()).expect("valid response");
    response.headers_mut().insert(http::header::CACHE_CONTROL, http::HeaderValue::from_static("no-store"));
    Ok(response)
}
