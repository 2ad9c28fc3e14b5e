//! The auth component's variables, read once per request and validated: a misconfiguration is
//! an operator error, logged and answered `500`, never silently replaced by a default.

use folio_core::{ApiError, ApiResult, Host};
use folio_tokens::settings::TokenSettings;

use crate::role::Role;

#[derive(Debug, Clone)]
pub struct AuthSettings {
    pub tokens: TokenSettings,
    pub access_ttl_secs: i64,
    pub refresh_ttl_secs: i64,
    pub signup_role: Role,
    pub allow_signup: bool,
    /// Lower-cased addresses that get the admin role.
    pub admin_emails: Vec<String>,
    /// The secret signing key, when configured.
    pub signing_key: Option<String>,
}

impl AuthSettings {
    pub fn from_host(host: &Host) -> ApiResult<Self> {
        let access_ttl_secs = host.var_int("access_token_ttl_seconds", 900, 60, 86_400)?;
        let refresh_ttl_secs = host.var_int("refresh_token_ttl_seconds", 2_592_000, 300, 31_622_400)?;
        let role = host.var_or("signup_role", "editor")?;
        let signup_role = Role::parse(role.trim()).ok_or_else(|| {
            ApiError::Internal("config: signup_role must be reader, editor or admin".into())
        })?;
        let allow_signup = host.var_bool("allow_signup", true)?;
        let admin_emails = host
            .var_or("admin_emails", "")?
            .split([',', ' ', ';', '\n'])
            .map(crate::accounts::normalize_email)
            .filter(|e| !e.is_empty())
            .collect();
        let signing_key = host.config.get("signing_key")?.filter(|k| !k.trim().is_empty());
        Ok(Self {
            tokens: TokenSettings::from_host(host)?,
            access_ttl_secs,
            refresh_ttl_secs,
            signup_role,
            allow_signup,
            admin_emails,
            signing_key,
        })
    }

    pub fn is_admin_email(&self, normalized: &str) -> bool {
        self.admin_emails.iter().any(|e| e == normalized)
    }
}
