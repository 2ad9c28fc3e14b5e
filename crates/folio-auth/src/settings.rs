//! The auth component's variables, validated when read: a bad value is an operator's mistake,
//! answered `503` naming the variable and what it must be (never its value), and reported by
//! `GET /api/health` — never silently replaced by a default, never a `500`.
//!
//! Each route reads only the group it needs, so a mistake affects only the routes that depend
//! on it: a bad `signup_role` closes registration, not sign-in; a malformed `signing_key` stops
//! what signs or publishes keys, not `GET /api/auth/me`.

use folio_core::{
    cors::AllowedOrigins,
    settings::{self, both, IntVariable},
    ConfigError, Host,
};
use folio_tokens::settings::TokenSettings;

use crate::{accounts, keys, role::Role};

/// Lifetimes from one second: short ones are what a test of expiry sets (the routes still allow
/// their seconds of leeway past `exp`), and nothing in the app needs a floor above that.
pub const ACCESS_TTL: IntVariable =
    IntVariable { name: "access_token_ttl_seconds", default: 900, min: 1, max: 86_400 };
pub const REFRESH_TTL: IntVariable =
    IntVariable { name: "refresh_token_ttl_seconds", default: 2_592_000, min: 1, max: 31_622_400 };
pub const SIGNUP_ROLE: &str = "signup_role";
pub const ALLOW_SIGNUP: &str = "allow_signup";
pub const ADMIN_EMAILS: &str = "admin_emails";
/// A secret: no message anywhere carries its value.
pub const SIGNING_KEY: &str = "signing_key";

/// What issuing, verifying and publishing tokens needs.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    pub tokens: TokenSettings,
    pub access_ttl_secs: i64,
    pub refresh_ttl_secs: i64,
    /// The secret signing key's text, when configured; parsed where a key is needed
    /// ([`keys::active`]), so routes that sign nothing do not depend on it.
    pub signing_key: Option<String>,
}

impl AuthSettings {
    /// The group's variables; the error names every bad one.
    pub fn from_host(host: &Host) -> Result<Self, ConfigError> {
        let ((tokens, (access_ttl_secs, refresh_ttl_secs)), key) = both(
            both(TokenSettings::from_host(host), both(ACCESS_TTL.read(host), REFRESH_TTL.read(host))),
            host.config.get(SIGNING_KEY),
        )?;
        // Only the empty string means "generate one": white space alone is a key that is not one.
        let signing_key = key.filter(|k| !k.is_empty());
        Ok(Self { tokens, access_ttl_secs, refresh_ttl_secs, signing_key })
    }
}

/// Who may register, and with which role.
#[derive(Debug, Clone)]
pub struct SignupPolicy {
    pub signup_role: Role,
    pub allow_signup: bool,
    /// Lower-cased addresses that get the admin role.
    pub admin_emails: Vec<String>,
}

impl SignupPolicy {
    pub fn from_host(host: &Host) -> Result<Self, ConfigError> {
        let role = host.var_or(SIGNUP_ROLE, "editor").and_then(|r| {
            Role::parse(&r).ok_or_else(|| ConfigError::invalid(SIGNUP_ROLE, "reader, editor or admin"))
        });
        let emails = host.var_or(ADMIN_EMAILS, "").and_then(|text| parse_admin_emails(&text));
        let (signup_role, (allow_signup, admin_emails)) =
            both(role, both(host.var_bool(ALLOW_SIGNUP, true), emails))?;
        Ok(Self { signup_role, allow_signup, admin_emails })
    }

    pub fn is_admin_email(&self, normalized: &str) -> bool {
        self.admin_emails.iter().any(|e| e == normalized)
    }
}

/// `admin_emails`: addresses separated by commas, semicolons, spaces or new lines.
fn parse_admin_emails(text: &str) -> Result<Vec<String>, ConfigError> {
    let entries: Vec<&str> =
        text.split([',', ' ', ';', '\n']).map(str::trim).filter(|e| !e.is_empty()).collect();
    if entries.iter().any(|e| accounts::check_email(e).is_err()) {
        return Err(ConfigError::invalid(
            ADMIN_EMAILS,
            "e-mail addresses separated by commas, semicolons, spaces or new lines",
        ));
    }
    Ok(entries.into_iter().map(accounts::normalize_email).collect())
}

/// Every variable of the app, validated: what `GET /api/health` reports. The `auth` component is
/// granted all of them for this, the other components' included.
pub fn check_all(host: &Host) -> Result<(), ConfigError> {
    // The key is checked on its own, not through its group: a bad lifetime beside it must not
    // hide it (the operator would fix one, redeploy, and only then learn of the other).
    let key = host.config.get(SIGNING_KEY).and_then(|key| match key.filter(|k| !k.is_empty()) {
        Some(text) => keys::parse_configured(&text).map(drop),
        None => Ok(()),
    });
    let errors = [
        AuthSettings::from_host(host).err(),
        key.err(),
        SignupPolicy::from_host(host).err(),
        AllowedOrigins::from_host(host).err(),
        settings::BOOK_READ_CACHE_FILL_ONE_IN.read(host).err(),
        settings::GENERATOR_MAX_BOOKS.read(host).err(),
        settings::GENERATOR_BOOKS_PER_HOUR.read(host).err(),
    ];
    match ConfigError::combine(errors.into_iter().flatten()) {
        Some(e) => Err(e),
        None => Ok(()),
    }
}
