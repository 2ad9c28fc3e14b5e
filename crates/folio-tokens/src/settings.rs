//! The token variables every component is granted: who issues tokens and for which audience.

use folio_core::{settings, ConfigError, Host};

pub const ISSUER_VARIABLE: &str = "token_issuer";
pub const AUDIENCE_VARIABLE: &str = "token_audience";

/// Default issuer and audience: the same defaults `spin.toml` declares.
pub const DEFAULT_ISSUER: &str = "folio";
pub const DEFAULT_AUDIENCE: &str = "folio-api";

/// Clock skew tolerated on `exp`, `nbf` and `iat`: seconds, not jwt-simple's 15 minutes, because
/// every component reads the same host clock and a minutes-long tolerance would keep expired
/// tokens alive.
pub const LEEWAY_SECS: i64 = 5;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSettings {
    pub issuer: String,
    pub audience: String,
}

impl TokenSettings {
    /// Both variables; when either is bad, the error names every bad one.
    pub fn from_host(host: &Host) -> Result<Self, ConfigError> {
        let (issuer, audience) = settings::both(
            settings::issuer_text(host, ISSUER_VARIABLE, DEFAULT_ISSUER),
            settings::claim_text(host, AUDIENCE_VARIABLE, DEFAULT_AUDIENCE),
        )?;
        Ok(Self { issuer, audience })
    }
}
