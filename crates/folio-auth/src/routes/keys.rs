//! `POST /api/auth/keys/rotate` (admin): a new Ed25519 key signs every token from now on.
//!
//! Tokens signed before keep working until they expire (inside the app their sessions vouch for
//! them; outside, the JWKS keeps the old public key until the last of them has expired). A key
//! given by the `signing_key` variable is the operator's: it is rotated by setting a new one
//! there, and this route answers `409` rather than overrule it (or `503` naming the variable when
//! its value is not a key the app can use, as every route that signs answers).

use folio_core::{http_util, migrate, ApiError, ApiResult, Host, Request, Response};
use http::StatusCode;
use serde_json::json;

use crate::{keys, settings::AuthSettings};

pub fn rotate(host: &Host, req: &Request) -> ApiResult<Response> {
    let admin = super::authorize_admin(host, req)?;
    // `compromised=true`: the database or a backup leaked, with the keys' seeds (keys.rs,
    // rotate_after_compromise); without it, the routine rotation that promotes the standby key.
    // Any other parameter is refused before anything rotates: a mistyped `Compromised=true`
    // answered as a routine rotation would promote the very key that leaked.
    let query = http_util::Query::from_request(req);
    query.only(&["compromised"])?;
    let compromised = query.bool("compromised")?.unwrap_or(false);
    let settings = AuthSettings::from_host(host)?;
    if let Some(configured) = &settings.signing_key {
        // A key the app cannot use is the operator's mistake to name (`503`), not a key in use.
        keys::parse_configured(configured)?;
        return Err(ApiError::Conflict(
            "the signing key comes from the signing_key variable: set a new key there to rotate it".into(),
        ));
    }
    migrate::ensure(host.sql)?;
    // The key in use now is made sure of first, so that a first-ever request rotates a real key.
    let before = keys::active(host, &settings)?;
    let key = if compromised {
        keys::rotate_after_compromise(host)?
    } else {
        keys::rotate_generated(host, &settings)?
    };
    folio_core::log::emit(
        json!({"level": "info", "event": "signing_key_rotated_by_admin", "by": admin.subject, "kid": key.kid,
            "previous": before.kid, "compromised": compromised}),
    );
    Ok(super::no_store(http_util::json(StatusCode::OK, &json!({"kid": key.kid}))))
}
