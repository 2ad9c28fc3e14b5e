//! The token service's routes, one module per resource.

pub mod account;
pub mod introspect;
pub mod keys;
pub mod operations;
pub mod register;
pub mod revoke;
pub mod sessions;
pub mod token;
pub mod users;
pub mod well_known;

use folio_core::{guard, ApiResult, Host, Request};
use folio_tokens::{TokenError, Verified};

/// The caller's verified token (any scope): the routes about one's own sessions need no more.
pub fn caller(host: &Host, req: &Request) -> ApiResult<Verified> {
    // The session and the stores' pairing record in one round trip: the routes about one's own
    // account check the pairing when they read SQL (folio_core::pairing::ensure_schema_for_token).
    guard::read_ahead(folio_tokens::authenticator(), host, req, &[]);
    let token = guard::bearer_token(req)?;
    folio_tokens::verify_access_token(host, token).map_err(|e| {
        if !matches!(e, TokenError::Store(_) | TokenError::Config(_)) {
            folio_core::log::emit(
                serde_json::json!({"level": "info", "event": "token_refused", "reason": e.to_string()}),
            );
        }
        e.into()
    })
}

/// The caller's verified token, for a change to the account itself (its profile, its password,
/// leaving, ending another of its sessions): a token narrowed at sign-in (`scope=read:reports`,
/// the way to hand a tool limited access) does not carry its role's whole set of scopes, and
/// must not rename the person, rewrite their address or sign them out elsewhere. `403`
/// `insufficient_scope` naming the role's scopes. Reading the account and signing this session
/// out need no more than [`caller`].
pub fn account_owner(host: &Host, req: &Request) -> ApiResult<Verified> {
    let verified = caller(host, req)?;
    require_role_scopes(&verified)?;
    Ok(verified)
}

/// [`account_owner`]'s check, for a route that decides on it after reading the request.
pub fn require_role_scopes(verified: &Verified) -> ApiResult<()> {
    let required = guard::role_scopes(&verified.claims.role).unwrap_or(&[]);
    let granted: Vec<&str> = verified.claims.scope.split(' ').collect();
    if !required.iter().all(|scope| granted.contains(scope)) {
        return Err(folio_core::ApiError::InsufficientScope { scope: required.join(" ") });
    }
    Ok(())
}

/// Marks a response as never cacheable: it carries tokens or account data (RFC 6749 §5.1).
pub fn no_store(mut response: folio_core::Response) -> folio_core::Response {
    let headers = response.headers_mut();
    headers.insert(http::header::CACHE_CONTROL, http::HeaderValue::from_static("no-store"));
    headers.insert(http::header::PRAGMA, http::HeaderValue::from_static("no-cache"));
    response
}
