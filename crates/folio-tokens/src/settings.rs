//! The token variables every component is granted: who issues tokens and for which audience.

use folio_core::{ConfigError, Host};

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
    pub fn from_host(host: &Host) -> Result<Self, ConfigError> {
        Ok(Self {
            issuer: host.var_or("token_issuer", DEFAULT_ISSUER)?,
            audience: host.var_or("token_audience", DEFAULT_AUDIENCE)?,
        })
    }
}
