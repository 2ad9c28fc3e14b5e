//! Access-token verification shared by every component.
//!
//! Every API component checks tokens locally, against the session in the key-value store, so
//! revocation is immediate everywhere without calling the `auth` component (see DESIGN.md).
//! Until the token service lands (issue 4), no token is accepted: [`authorize`] refuses every
//! request with the contract's `401`, never letting one through.

use folio_core::{
    guard::{self, Authenticator, Principal, RejectAll},
    ApiResult, Host, Request,
};

/// The authenticator every component uses.
pub fn authenticator() -> &'static dyn Authenticator {
    &RejectAll
}

/// Authenticates `req` and checks that its token carries `scope`: `401`/`403` otherwise.
pub fn authorize(host: &Host, req: &Request, scope: &str) -> ApiResult<Principal> {
    guard::authorize(authenticator(), host, req, scope)
}
