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
    /// "not valid", so a forger learns nothing about which check stopped them.
    pub fn client_detail(&self) -> &'static str {
        match self {
            TokenError::Expired => "the access token has expired",
            TokenError::SessionEnded | TokenError::AccountDisabled => {
                "the access token's session has ended; sign in again"
            }
            _ => "the access token is not valid",
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
