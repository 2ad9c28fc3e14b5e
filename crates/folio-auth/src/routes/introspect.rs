//! `POST /api/auth/introspect` (RFC 7662): the verify endpoint for gateways and services outside
//! the app. Unlike the in-app check, this one verifies the Ed25519 signature against the
//! published keys as well as the claims and the session, so it is a full check on its own.
//!
//! The caller must be authorised (RFC 7662 §2.1), with a bearer access token of its own: without
//! one the answer is `401`. A caller holding `admin:users` may introspect any token; any other
//! caller learns only about tokens of its own account, and gets `{"active": false}` for everyone
//! else's, exactly as for a token that is not good: so the endpoint cannot be used to find out
//! whether a stolen or guessed token works, or whose it is. Any failure is `{"active": false}`
//! (RFC 7662 §2.2), never a hint at which check failed.
//!
//! A refresh token is introspected too (§2.1): active while a refresh would honour it (its
//! session live, it the current one, its account enabled), with `token_type: "refresh_token"`.
//! Looking at a spent one says `false` and ends nothing: only using it is reuse.

use folio_core::{
    fields::Fields, guard::scopes, http_util, migrate, ApiError, ApiResult, Host, Request, Response,
};
use http::StatusCode;
use serde_json::json;

use crate::{issue, keys, settings::AuthSettings};

/// The two media types a token to introspect may come in (RFC 7662 §2.1 names the form).
const JSON_OR_FORM: &str = "application/json or application/x-www-form-urlencoded";

fn token_of(req: &Request) -> ApiResult<String> {
    if http_util::content_type(req).as_deref() == Some(http_util::FORM) {
        http_util::check_body_framing(req)?;
        // Two tokens in one request ask two questions: refused (`Query::str`), rather than
        // answering for the first.
        // A body that only a lenient reading makes a form is malformed, as bad JSON is: `400`.
        let pairs = http_util::decode_form(req.body()).map_err(|e| ApiError::BadRequest(e.to_string()))?;
        let form = http_util::Query::from_pairs(pairs);
        return form
            .str("token")?
            .map(str::to_string)
            .ok_or_else(|| ApiError::validation("token", "is required"));
    }
    let raw: serde_json::Value = http_util::json_body_of(req, &[http_util::JSON], JSON_OR_FORM)?;
    // `token_type_hint` is accepted (RFC 7662 §2.1) and not needed: a token's shape tells an
    // access token (a JWT) from a refresh token.
    let mut fields = Fields::of(&raw, &["token", "token_type_hint"])?;
    let token = fields.string("token");
    let _ = fields.optional_string("token_type_hint");
    fields.finish(|| token.unwrap_or_default().to_string())
}

pub fn introspect(host: &Host, req: &Request) -> ApiResult<Response> {
    let caller = super::caller(host, req)?;
    let token = token_of(req)?;
    let settings = AuthSettings::from_host(host)?;
    migrate::ensure(host.sql)?;
    // An administrator sees any account's tokens; anyone else only their own account's.
    let may_see = |account_id: &str| {
        caller.principal().has_scope(scopes::ADMIN_USERS) || account_id == caller.claims.sub
    };
    let body = if issue::is_refresh_token(&token) {
        match issue::live_refresh(host, &token)?.filter(|live| may_see(&live.account.id)) {
            Some(live) => refresh_token_answer(&settings, &live),
            None => json!({"active": false}),
        }
    } else {
        // The seconds of leeway that every route allows (folio_tokens::settings::LEEWAY_SECS)
        // are for a token checked by a clock other than its issuer's; here the issuer answers by
        // its own clock, and a gateway caches "active" until `exp`: a token past `exp`, or before
        // `nbf`, is not active (RFC 7662 §2.2), even while the routes still take it for those
        // seconds.
        let now = host.clock.now_secs();
        let in_its_time = |v: &folio_tokens::Verified| v.claims.nbf <= now && now < v.claims.exp;
        match check(host, &settings, &token)?.filter(|v| may_see(&v.claims.sub)).filter(in_its_time) {
            Some(v) => access_token_answer(&v.claims),
            None => json!({"active": false}),
        }
    };
    Ok(super::no_store(http_util::json(StatusCode::OK, &body)))
}

/// A good access token, as RFC 7662 §2.2 has it, its claims as they are.
fn access_token_answer(c: &folio_tokens::claims::AccessClaims) -> serde_json::Value {
    json!({
        "active": true,
        "token_type": "Bearer",
        "scope": c.scope,
        "sub": c.sub,
        "username": c.email,
        "email": c.email,
        "role": c.role,
        "iss": c.iss,
        "aud": c.aud,
        "exp": c.exp,
        "iat": c.iat,
        "nbf": c.nbf,
        "jti": c.jti,
        "sid": c.sid,
    })
}

/// A refresh token that a refresh would honour now (RFC 7662 §2.1 names refresh tokens beside
/// access tokens): the session's scope as the next access token would carry it, `exp` the
/// session's end (a refresh extends it), `iat` when this refresh token was issued (its session's
/// last sign-in or refresh). No `aud`: a refresh token is for this token endpoint alone.
fn refresh_token_answer(settings: &AuthSettings, live: &issue::LiveRefresh) -> serde_json::Value {
    json!({
        "active": true,
        "token_type": "refresh_token",
        "scope": live.scope,
        "sub": live.account.id,
        "username": live.account.email,
        "email": live.account.email,
        "role": live.account.role.as_str(),
        "iss": settings.tokens.issuer,
        "exp": live.session.expires_at,
        "iat": live.session.last_used_at_ms.div_euclid(1000),
        "sid": live.session.id,
    })
}

/// Signature, claims and session; `Ok(None)` for any token that is not good now.
fn check(host: &Host, settings: &AuthSettings, token: &str) -> ApiResult<Option<folio_tokens::Verified>> {
    if !keys::signature_verifies(host, settings, token)? {
        return Ok(None);
    }
    match folio_tokens::verify_access_token(host, token) {
        Ok(v) => Ok(Some(v)),
        Err(folio_tokens::TokenError::Store(e)) => Err(e.into()),
        Err(folio_tokens::TokenError::Config(e)) => Err(e.into()),
        Err(_) => Ok(None),
    }
}
