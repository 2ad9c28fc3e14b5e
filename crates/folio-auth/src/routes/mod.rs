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

/// An administrator's request (`admin:users`): the scope check every route makes, and, since
/// these routes decide who may do what (roles, disabling, passwords, the signing key, the
/// status), the token's Ed25519 signature against the published keys as well. The in-app check
/// trusts a session record that vouches for the token; whoever could write the key-value store
/// (a Redis reachable without a password) could plant one for a token they made up, and here
/// that would be an administrator's. The signature needs the private key, which the store never
/// holds. A `401 invalid_token` like any other refused token (about 0.6 ms, on rare routes).
pub fn authorize_admin(host: &Host, req: &Request) -> ApiResult<folio_core::guard::Principal> {
    let principal = folio_tokens::authorize(host, req, guard::scopes::ADMIN_USERS)?;
    let token = guard::bearer_token(req)?;
    let settings = crate::settings::AuthSettings::from_host(host)?;
    folio_core::migrate::ensure(host.sql)?;
    if !crate::keys::signature_verifies(host, &settings, token)? {
        folio_core::log::emit(serde_json::json!({"level": "warn", "event": "token_refused",
            "reason": "an administrator's token whose signature does not verify", "account": principal.subject}));
        return Err(TokenError::Signature.into());
    }
    Ok(principal)
}

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
