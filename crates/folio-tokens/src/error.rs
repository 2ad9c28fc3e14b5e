//! Why a token was refused. Every variant but the host failures becomes the contract's `401
//! invalid_token`; the detail sent says only what a client can act on.

use folio_core::{ApiError, ConfigError, KvError};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token is malformed")]
    Malformed,
    #[error("the token's algorithm is not EdDSA")]
    Algorithm,
    #[error("the token's key id is missing or malformed")]
    KeyId,
    #[error("the token was issued by someone else")]
    Issuer,
    #[error("the token is meant for another audience")]
    Audience,
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet")]
    NotYetValid,
    #[error("the token's session has ended or was revoked")]
    SessionEnded,
    #[error("the token's session does not vouch for it")]
    NotVouched,
    #[error("the token's signature does not verify")]
    Signature,
    #[error("the token's account is disabled")]
    AccountDisabled,
    #[error("key-value store: {0}")]
    Store(#[from] KvError),
    #[error("configuration: {0}")]
    Config(#[from] ConfigError),
}

impl TokenError {
    /// The text a client sees: expiry is worth knowing (refresh and retry); every other cause is
    /// one "not valid", so a forger learns nothing about which check stopped them. An ended
    /// session is not told apart from a token its session does not vouch for: the in-app check
    /// reads the session before any signature, so an unsigned token naming an account and session
    /// (ids an old token shows) would otherwise learn whether that session is still live.
    pub fn client_detail(&self) -> &'static str {
        match self {
            TokenError::Expired => "the access token has expired",
            _ => "the access token is not valid, or its session has ended; sign in again",
        }
    }
}

impl From<TokenError> for ApiError {
    fn from(e: TokenError) -> Self {
        match e {
            TokenError::Store(e) => ApiError::from(e),
            TokenError::Config(e) => ApiError::from(e),
            other => ApiError::unauthorized(other.client_detail()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The security review's oracle: an unsigned token naming a live session got "not valid", one
    /// naming an ended session "session has ended". One answer for every cause but expiry.
    #[test]
    fn an_ended_session_is_not_told_apart_from_a_token_it_does_not_vouch_for() {
        let said = [
            TokenError::SessionEnded,
            TokenError::NotVouched,
            TokenError::AccountDisabled,
            TokenError::Signature,
        ]
        .map(|e| e.client_detail());
        assert!(said.iter().all(|d| *d == said[0]), "{said:?}");
        assert_ne!(TokenError::Expired.client_detail(), said[0]);
    }
}
