//! The token check every component runs: decode, claims, then the session.
//!
//! Why no signature check here: an Ed25519 verification costs about 0.6 ms in Wasm, more than
//! a whole small request. The session record, which must be read anyway to honour revocation,
//! holds SHA-256 fingerprints of the access tokens the token service signed for it; a token is
//! accepted only when its exact bytes match one of them. Forging a token that passes therefore
//! needs a SHA-256 preimage or write access to the key-value store — and anyone with the latter
//! could already plant sessions. The `auth` component's introspection endpoint, which serves
//! callers outside the app, additionally verifies the signature. docs/auth.md has the argument.

use folio_core::{guard::Principal, Host};

use crate::{
    claims::{self, AccessClaims},
    error::TokenError,
    session::{self, Session},
    settings::TokenSettings,
};

/// A token that passed every check.
#[derive(Debug, Clone)]
pub struct Verified {
    pub kid: String,
    pub claims: AccessClaims,
    /// The claims' JSON as sent; [`Verified::claims_json`] parses it.
    pub claims_raw: Vec<u8>,
    pub session: Session,
}

impl Verified {
    /// The claims exactly as the token carries them (for `GET /api/auth/me`).
    pub fn claims_json(&self) -> serde_json::Value {
        claims::claims_json(&self.claims_raw)
    }

    pub fn principal(&self) -> Principal {
        Principal {
            subject: self.claims.sub.clone(),
            session_id: self.claims.sid.clone(),
            token_id: self.claims.jti.clone(),
            email: self.claims.email.clone(),
            role: self.claims.role.clone(),
            scopes: self.claims.scopes(),
            expires_at: self.claims.exp,
        }
    }
}

/// Checks an access token against the claims rules and its session in the key-value store.
pub fn verify_access_token(host: &Host, token: &str) -> Result<Verified, TokenError> {
    let settings = TokenSettings::from_host(host)?;
    let unverified = claims::decode(token)?;
    let now = host.clock.now_secs();
    claims::check(&unverified.claims, &settings, now)?;
    let session = session::load(host.kv, &unverified.claims.sub, &unverified.claims.sid)?
        .filter(|s| s.is_live(now))
        .ok_or(TokenError::SessionEnded)?;
    if !session.vouches_for(token) {
        return Err(TokenError::NotVouched);
    }
    Ok(Verified {
        kid: unverified.kid,
        claims: unverified.claims,
        claims_raw: unverified.claims_raw,
        session,
    })
}

#[cfg(test)]
mod tests {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
    use folio_core::{guard, Clock};
    use folio_native::TestApp;
    use serde_json::json;

    use super::*;

    const ACC: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaa";
    const SID: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbb";
    const KID: &str = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFG";

    /// A token in the issued shape with an arbitrary 64-byte "signature": the in-app check does
    /// not look at it, the session's fingerprint does.
    fn token(now: i64, sig_byte: u8) -> String {
        let enc = |v: serde_json::Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(&v).unwrap());
        let claims = json!({"iss": "folio", "sub": ACC, "aud": "folio-api", "iat": now, "nbf": now, "exp": now + 900,
            "jti": "j", "sid": SID, "email": "a@example.com", "role": "editor", "scope": "read:books create:books"});
        format!(
            "{}.{}.{}",
            enc(json!({"alg": "EdDSA", "typ": "JWT", "kid": KID})),
            enc(claims),
            URL_SAFE_NO_PAD.encode([sig_byte; 64])
        )
    }

    fn session_vouching(app: &TestApp, token: &str, now: i64) {
        let mut s =
            Session { id: SID.into(), account_id: ACC.into(), expires_at: now + 3600, access: vec![] };
        s.vouch(token, now + 900, now);
        session::save(app.kv.as_ref(), &s).unwrap();
    }

    #[test]
    fn accepts_exactly_the_tokens_its_session_vouches_for() {
        let app = TestApp::new();
        let now = app.clock.now_secs();
        let good = token(now, 1);
        session_vouching(&app, &good, now);
        let principal = app.with_host(|h| verify_access_token(h, &good)).unwrap().principal();
        assert_eq!(principal.subject, ACC);
        assert_eq!(principal.session_id, SID);
        assert_eq!(principal.scopes, vec!["read:books", "create:books"]);
        // Same claims, other signature bytes: not vouched for.
        let other = token(now, 2);
        assert_eq!(app.with_host(|h| verify_access_token(h, &other)).unwrap_err(), TokenError::NotVouched);
        // Through the guard: 401 invalid_token, and 403 for a scope the token lacks.
        let req = |t: &str| {
            http::Request::builder().header("authorization", format!("Bearer {t}")).body(vec![]).unwrap()
        };
        let e = app.with_host(|h| crate::authorize(h, &req(&other), guard::scopes::READ_BOOKS)).unwrap_err();
        assert_eq!(e.status(), 401);
        let e = app.with_host(|h| crate::authorize(h, &req(&good), guard::scopes::ADMIN_USERS)).unwrap_err();
        assert_eq!(e.status(), 403);
        assert!(app.with_host(|h| crate::authorize(h, &req(&good), guard::scopes::CREATE_BOOKS)).is_ok());
    }

    #[test]
    fn names_its_session_so_a_route_can_read_it_ahead() {
        use folio_core::guard::Authenticator;
        let app = TestApp::new();
        let now = app.clock.now_secs();
        let good = token(now, 1);
        session_vouching(&app, &good, now);
        let auth = crate::SessionAuthenticator;
        assert_eq!(auth.session_key(&good), crate::session::key(ACC, SID));
        assert_eq!(auth.session_key("not.a.token"), None);
        assert_eq!(auth.session_key(""), None);

        // Read ahead with another key: the check then makes no round trip of its own.
        let trips = folio_native::RoundTrips::new(app.kv.as_ref());
        let req =
            http::Request::builder().header("authorization", format!("Bearer {good}")).body(vec![]).unwrap();
        app.with_host_over(&app.sql(), &trips, |host| {
            guard::read_ahead(&auth, host, &req, &["some:other:key"]);
            assert_eq!(trips.reads(), 1);
            assert!(crate::authorize(host, &req, guard::scopes::READ_BOOKS).is_ok());
            assert_eq!(trips.reads(), 1, "the session came from the batch");
        });
    }

    #[test]
    fn refuses_when_the_session_is_gone_or_expired() {
        let app = TestApp::new();
        let now = app.clock.now_secs();
        let good = token(now, 1);
        session_vouching(&app, &good, now);
        session::delete(app.kv.as_ref(), ACC, SID).unwrap();
        assert_eq!(app.with_host(|h| verify_access_token(h, &good)).unwrap_err(), TokenError::SessionEnded);
        // A session past its own expiry no longer vouches, whatever the token's exp says.
        let later = token(now + 3000, 1);
        session_vouching(&app, &later, now);
        app.clock.advance_secs(3600);
        let e = app.with_host(|h| verify_access_token(h, &later)).unwrap_err();
        assert_eq!(e, TokenError::SessionEnded);
    }

    #[test]
    fn a_broken_store_is_an_internal_error_not_a_401() {
        let host_kv = folio_native::BrokenKv;
        let app = TestApp::new();
        let now = app.clock.now_secs();
        let sql = app.sql();
        let host = Host {
            sql: &sql,
            kv: &host_kv,
            clock: app.clock.as_ref(),
            random: &folio_native::OsRandom,
            config: &app.config,
        };
        let e = verify_access_token(&host, &token(now, 1)).unwrap_err();
        assert!(matches!(e, TokenError::Store(_)));
        assert_eq!(folio_core::ApiError::from(e).status(), 500);
    }
}
