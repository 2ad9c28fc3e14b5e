//! Access-token verification shared by every component.
//!
//! Every API component checks tokens locally, against the session in the key-value store, so
//! revocation is immediate everywhere without calling the `auth` component (see DESIGN.md and
//! docs/auth.md). Components need only the `token_issuer` and `token_audience` variables and the
//! key-value store: no signing or verification key.
//!
//! ```ignore
//! let principal = folio_tokens::authorize(host, req, folio_core::guard::scopes::READ_BOOKS)?;
//! ```

pub mod claims;
pub mod digest;
pub mod error;
pub mod session;
pub mod settings;
pub mod verify;

use folio_core::{
    guard::{self, Authenticator, Principal},
    ApiResult, Host, Request,
};

pub use error::TokenError;
pub use verify::{verify_access_token, Verified};

/// Verifies tokens by their session's vouching (see [`verify`]).
pub struct SessionAuthenticator;

impl Authenticator for SessionAuthenticator {
    fn authenticate_token(&self, host: &Host, token: &str) -> ApiResult<Principal> {
        match verify_access_token(host, token) {
            Ok(verified) => Ok(verified.principal()),
            Err(e) => {
                if !matches!(e, TokenError::Store(_) | TokenError::Config(_)) {
                    // Which check refused the token helps operators; the token itself is never logged.
                    folio_core::log::emit(
                        serde_json::json!({"level": "info", "event": "token_refused", "reason": e.to_string()}),
                    );
                }
                Err(e.into())
            }
        }
    }

    fn session_key(&self, token: &str) -> Option<String> {
        let (account, session) = claims::session_of(token)?;
        session::key(&account, &session)
    }
}

/// The authenticator every component uses.
pub fn authenticator() -> &'static dyn Authenticator {
    &SessionAuthenticator
}

/// Authenticates `req` and checks that its token carries `scope`: `401`/`403` otherwise.
pub fn authorize(host: &Host, req: &Request, scope: &str) -> ApiResult<Principal> {
    guard::authorize(authenticator(), host, req, scope)
}
