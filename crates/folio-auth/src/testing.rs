//! Real accounts, sessions and access tokens for other crates' native tests (feature `testing`).
//!
//! ```ignore
//! // dev-dependency: folio-auth = { path = "../folio-auth", features = ["testing"] }
//! let app = folio_native::TestApp::new();
//! let token = app.with_host(|h| folio_auth::testing::login_as(h, "editor"));
//! let req = folio_native::request("GET", "/api/books")
//!     .header("authorization", format!("Bearer {token}")).body(vec![]).unwrap();
//! ```
//!
//! The tokens are exactly what `POST /api/auth/token` issues (signed, vouched for by a session
//! in the key-value store), so `folio_tokens::authorize` accepts them in any component sharing
//! the app's stores and `token_issuer`/`token_audience` variables. Only the password step is
//! skipped: the account's stored hash matches no password, so it cannot sign in over HTTP.

use folio_core::{migrate, Host};

use crate::{accounts, issue, role::Role, settings::AuthSettings};

/// A signed-in test account.
#[derive(Debug, Clone)]
pub struct Login {
    pub account_id: String,
    pub email: String,
    pub session_id: String,
    pub access_token: String,
    pub refresh_token: String,
}

/// Creates an account with `role` (`reader`, `editor` or `admin`) and a session; returns the
/// access token. Panics on a bad role or a broken store: it is for tests.
pub fn login_as(host: &Host, role: &str) -> String {
    login(host, &format!("{}@test.invalid", host.new_id()), role).access_token
}

/// Like [`login_as`] with a chosen e-mail address, returning every id and both tokens.
pub fn login(host: &Host, email: &str, role: &str) -> Login {
    let role = Role::parse(role).unwrap_or_else(|| panic!("unknown role {role}"));
    migrate::ensure(host.sql).expect("migrations apply");
    let settings = AuthSettings::from_host(host).expect("valid auth variables");
    let new = accounts::NewAccount {
        id: host.new_id(),
        email,
        name: None,
        // Not a PHC string: `password::verify` never matches it.
        password_hash: "!test-account".into(),
        now: host.now_rfc3339(),
    };
    let account = accounts::create(host.sql, new, |_| role).expect("test account is created");
    let issued = issue::start_session(host, &settings, &account, None).expect("test session starts");
    Login {
        account_id: account.id,
        email: account.email,
        session_id: issued.session_id,
        access_token: issued.access_token,
        refresh_token: issued.refresh_token,
    }
}
