//! The bearer-token guard's shape: how a request's credentials become a [`Principal`] or the
//! contract's `401`/`403`.
//!
//! Token verification itself (signature or session-vouched hash, claims, revocation) lives in
//! `folio-tokens`, which every component calls through [`Authenticator`]; this module holds
//! what does not depend on how tokens are made: header parsing, scopes, and the errors.

use http::header;

use crate::{problem::Challenge, ApiError, ApiResult, Host, Request};

/// Scopes named by the contract.
pub mod scopes {
    pub const READ_BOOKS: &str = "read:books";
    pub const READ_REPORTS: &str = "read:reports";
    pub const CREATE_BOOKS: &str = "create:books";
    pub const UPDATE_BOOKS: &str = "update:books";
    pub const DELETE_BOOKS: &str = "delete:books";
    pub const GENERATE_BOOKS: &str = "generate:books";
    pub const ADMIN_USERS: &str = "admin:users";
}

/// The scopes of each role, as API.md's table gives them; `None` for an unknown role.
pub fn role_scopes(role: &str) -> Option<&'static [&'static str]> {
    use scopes::*;
    const READER: &[&str] = &[READ_BOOKS, READ_REPORTS];
    const EDITOR: &[&str] =
        &[READ_BOOKS, READ_REPORTS, CREATE_BOOKS, UPDATE_BOOKS, DELETE_BOOKS, GENERATE_BOOKS];
    const ADMIN: &[&str] =
        &[READ_BOOKS, READ_REPORTS, CREATE_BOOKS, UPDATE_BOOKS, DELETE_BOOKS, GENERATE_BOOKS, ADMIN_USERS];
    match role {
        "reader" => Some(READER),
        "editor" => Some(EDITOR),
        "admin" => Some(ADMIN),
        _ => None,
    }
}

/// Who is calling: the verified claims of an access token whose session is live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// Account id (`sub`).
    pub subject: String,
    /// Session id (`sid`).
    pub session_id: String,
    /// Token id (`jti`).
    pub token_id: String,
    pub email: String,
    pub role: String,
    pub scopes: Vec<String>,
    /// Expiry, seconds since the epoch (`exp`).
    pub expires_at: i64,
}

impl Principal {
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    /// `403 insufficient_scope` unless the token carries `scope`.
    pub fn require(&self, scope: &str) -> ApiResult<()> {
        if self.has_scope(scope) {
            Ok(())
        } else {
            Err(ApiError::InsufficientScope { scope: scope.to_string() })
        }
    }
}

/// Turns a presented access token into a [`Principal`], or refuses it with `401
/// invalid_token`. Implemented by `folio-tokens`; components receive one.
pub trait Authenticator {
    fn authenticate_token(&self, host: &Host, token: &str) -> ApiResult<Principal>;

    /// The key-value key that checking `token` will read (its session), when the token is
    /// well-formed enough to name one; lets a route batch that read with its own
    /// ([`read_ahead`]). No checks are made here: `None` only means nothing to read ahead.
    fn session_key(&self, token: &str) -> Option<String> {
        let _ = token;
        None
    }
}

/// Reads, in one key-value round trip, the session that authorizing `req` will check and the
/// route's own `keys` (see [`crate::read_ahead`]). Nothing is read for a request whose bearer
/// token names no session: it will be refused before any of `keys` is needed.
pub fn read_ahead(auth: &dyn Authenticator, host: &Host, req: &Request, keys: &[&str]) {
    let Some(session_key) = bearer_token(req).ok().and_then(|token| auth.session_key(token)) else {
        return;
    };
    let mut all = Vec::with_capacity(keys.len() + 2);
    all.push(session_key.as_str());
    all.extend_from_slice(keys);
    // What the store says its database is: a route that goes on to read SQL checks it there
    // (crate::pairing::ensure_schema_for_token), with no round trip of its own.
    all.push(crate::pairing::KEY);
    host.kv.read_ahead(&all);
}

/// `401` with the plain `Bearer` challenge: the request carries no bearer token at all.
fn no_token() -> ApiError {
    ApiError::Unauthorized {
        challenge: Challenge::Missing,
        detail: "this request needs an access token: send Authorization: Bearer <token>".into(),
    }
}

/// The bearer token of a request: `401` with a plain `Bearer` challenge when none was sent (no
/// header, an empty one, another scheme), `401 invalid_token` when the header is not a
/// well-formed bearer credential (RFC 6750 §2.1).
pub fn bearer_token(req: &Request) -> ApiResult<&str> {
    let mut given = req.headers().get_all(header::AUTHORIZATION).iter();
    let Some(value) = given.next() else {
        return Err(no_token());
    };
    // Two credentials are a malformed request (RFC 6750 §3.1), not a choice of the first one:
    // whatever sits in front of the app may have judged the other.
    if given.next().is_some() {
        return Err(ApiError::unauthorized("the Authorization header is given more than once"));
    }
    let text =
        value.to_str().map_err(|_| ApiError::unauthorized("the Authorization header is not valid text"))?;
    let text = text.trim();
    let (scheme, token) = text.split_once(' ').unwrap_or((text, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        // Another scheme (Basic, ...) or an empty header carries no bearer token at all: the plain
        // challenge, no error code (RFC 6750 §3.1), so a client does not refresh a token it never sent.
        return Err(no_token());
    }
    let token = token.trim();
    // RFC 6750 b64token characters; a byte-wise check, because every request runs it.
    let b64token =
        |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/' | b'=');
    if token.is_empty() || !token.as_bytes().iter().all(b64token) {
        return Err(ApiError::unauthorized("the bearer token is malformed"));
    }
    Ok(token)
}

/// Authenticates the request and checks that its token carries `scope`.
///
/// Reads that use keys of their own name them first with [`read_ahead`]. Writes and the
/// administrators' routes, which check the stores' pairing, read the session and the pairing
/// record here, in one round trip.
pub fn authorize(auth: &dyn Authenticator, host: &Host, req: &Request, scope: &str) -> ApiResult<Principal> {
    // A token is vouched for by its session record in the key-value store. A store paired with
    // another database (two deployments on one Redis) would vouch for the other's tokens: no
    // write and no administrator's route then (crate::pairing). A read that goes on to read SQL
    // checks it there (crate::pairing::ensure_schema_for_token); a cached read, which reads no
    // SQL, is left to the readiness probe, which keeps such a deployment out of service.
    let check_pairing = !req.method().is_safe() || scope == scopes::ADMIN_USERS;
    if check_pairing {
        read_ahead(auth, host, req, &[]);
    }
    let principal = auth.authenticate_token(host, bearer_token(req)?)?;
    principal.require(scope)?;
    if check_pairing {
        crate::pairing::require(host)?;
    }
    Ok(principal)
}

/// An authenticator that refuses every token: what a component uses when it is deployed
/// without token verification configured, so nothing is ever let through by accident.
pub struct RejectAll;

impl Authenticator for RejectAll {
    fn authenticate_token(&self, _host: &Host, _token: &str) -> ApiResult<Principal> {
        Err(ApiError::unauthorized("the token is not valid"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(auth: Option<&str>) -> Request {
        let mut b = http::Request::builder();
        if let Some(a) = auth {
            b = b.header(header::AUTHORIZATION, a);
        }
        b.body(Vec::new()).unwrap()
    }

    #[test]
    fn missing_token_gets_plain_challenge() {
        match bearer_token(&req(None)) {
            Err(ApiError::Unauthorized { challenge: Challenge::Missing, .. }) => {}
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn another_scheme_or_an_empty_header_is_no_token_at_all() {
        for h in ["Basic dXNlcjpwdw==", "Bearertoken", "", "  ", "Digest x"] {
            match bearer_token(&req(Some(h))) {
                Err(ApiError::Unauthorized { challenge: Challenge::Missing, .. }) => {}
                other => panic!("{h:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn malformed_credentials_are_invalid_token() {
        for h in ["Bearer", "Bearer a b", "Bearer a%b", "bearer  "] {
            match bearer_token(&req(Some(h))) {
                Err(ApiError::Unauthorized { challenge: Challenge::InvalidToken, .. }) => {}
                other => panic!("{h}: {other:?}"),
            }
        }
        assert_eq!(bearer_token(&req(Some("bearer abc.def-ghi"))).unwrap(), "abc.def-ghi");
    }

    #[test]
    fn two_authorization_headers_are_invalid_token() {
        let mut twice = req(Some("Bearer abc"));
        twice.headers_mut().append(header::AUTHORIZATION, http::HeaderValue::from_static("Bearer abc"));
        match bearer_token(&twice) {
            Err(ApiError::Unauthorized { challenge: Challenge::InvalidToken, .. }) => {}
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn roles_nest_as_the_contract_says() {
        let reader = role_scopes("reader").unwrap();
        let editor = role_scopes("editor").unwrap();
        let admin = role_scopes("admin").unwrap();
        assert!(reader.iter().all(|s| editor.contains(s)));
        assert!(editor.iter().all(|s| admin.contains(s)));
        assert_eq!(reader.join(" "), "read:books read:reports");
        assert_eq!(admin.len(), editor.len() + 1);
        assert!(admin.contains(&scopes::ADMIN_USERS) && !editor.contains(&scopes::ADMIN_USERS));
        assert!(role_scopes("root").is_none());
    }

    #[test]
    fn scopes_are_enforced() {
        let p = Principal {
            subject: "a".into(),
            session_id: "s".into(),
            token_id: "t".into(),
            email: "e@example.com".into(),
            role: "reader".into(),
            scopes: vec![scopes::READ_BOOKS.into()],
            expires_at: 0,
        };
        assert!(p.require(scopes::READ_BOOKS).is_ok());
        assert_eq!(p.require(scopes::CREATE_BOOKS).unwrap_err().status(), 403);
    }
}
