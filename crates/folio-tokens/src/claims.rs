//! Cheap reading of an access token: the compact JWT's header and claims, decoded and checked
//! without verifying the signature.
//!
//! Inside the app the signature is not what makes a token trustworthy: its session in the
//! key-value store vouches for the token's exact bytes (see [`crate::verify`]). What this module
//! checks is everything that can be refused before touching the store: the shape, the algorithm
//! (pinned to EdDSA, so `none` and HS256 never get further), the key-id format, issuer,
//! audience and the validity window.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use serde::{Deserialize, Serialize};

use crate::{error::TokenError, settings::TokenSettings, settings::LEEWAY_SECS};

/// The one signature algorithm the app issues and accepts.
pub const ALGORITHM: &str = "EdDSA";
/// Longer tokens are refused before any decoding: ours are well under 1 KiB.
pub const MAX_TOKEN_BYTES: usize = 4096;
/// Ed25519 signatures are 64 bytes.
const SIGNATURE_BYTES: usize = 64;

/// The claims of an access token, as the token service writes them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub sub: String,
    pub aud: Audience,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub jti: String,
    pub sid: String,
    pub email: String,
    pub role: String,
    /// Space-separated scopes.
    pub scope: String,
}

impl AccessClaims {
    pub fn scopes(&self) -> Vec<String> {
        self.scope.split_whitespace().map(str::to_string).collect()
    }
}

/// `aud` is a string or an array of strings (RFC 7519 §4.1.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    pub fn contains(&self, audience: &str) -> bool {
        match self {
            Audience::One(a) => a == audience,
            Audience::Many(list) => list.iter().any(|a| a == audience),
        }
    }
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    kid: Option<String>,
    typ: Option<String>,
    crit: Option<serde_json::Value>,
}

/// A token whose header and claims were decoded, not yet trusted.
#[derive(Debug, Clone)]
pub struct UnverifiedToken {
    /// The signing key's id from the header.
    pub kid: String,
    pub claims: AccessClaims,
    /// The claims' JSON exactly as sent (decoded from base64url), for `GET /api/auth/me`.
    pub claims_raw: Vec<u8>,
}

/// The claims' JSON as sent, as a value. Only `GET /api/auth/me` needs it, so it is parsed
/// there rather than on every token check.
pub fn claims_json(claims_raw: &[u8]) -> serde_json::Value {
    serde_json::from_slice(claims_raw).unwrap_or(serde_json::Value::Null)
}

/// The account and session a token names, read from its claims without any check: what a
/// route needs to read the session ahead of the token check (`None` when the token has no
/// readable claims). Cheaper than [`decode`]: one part, two fields.
pub fn session_of(token: &str) -> Option<(String, String)> {
    #[derive(Deserialize)]
    struct SessionClaims {
        sub: String,
        sid: String,
    }
    if token.len() > MAX_TOKEN_BYTES {
        return None;
    }
    let claims = token.split('.').nth(1)?;
    let named: SessionClaims = serde_json::from_slice(&b64(claims).ok()?).ok()?;
    Some((named.sub, named.sid))
}

/// True for a key id as the token service makes them: an RFC 7638 JWK thumbprint (SHA-256,
/// base64url without padding, 43 characters).
pub fn is_key_id(kid: &str) -> bool {
    kid.len() == 43 && kid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Decodes a compact JWT and checks its header: three base64url parts, `alg` exactly `EdDSA`,
/// a well-formed `kid`, no critical extensions, a 64-byte signature.
pub fn decode(token: &str) -> Result<UnverifiedToken, TokenError> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(TokenError::Malformed);
    }
    let mut parts = token.split('.');
    let (Some(header), Some(claims), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed);
    };
    let header: Header = serde_json::from_slice(&b64(header)?).map_err(|_| TokenError::Malformed)?;
    if header.alg != ALGORITHM {
        return Err(TokenError::Algorithm);
    }
    if header.typ.as_deref().is_some_and(|t| !t.eq_ignore_ascii_case("JWT")) || header.crit.is_some() {
        return Err(TokenError::Malformed);
    }
    let kid = header.kid.filter(|k| is_key_id(k)).ok_or(TokenError::KeyId)?;
    if b64(signature)?.len() != SIGNATURE_BYTES {
        return Err(TokenError::Malformed);
    }
    // Straight into the claims struct: a token check never needs a JSON tree (and a claim
    // given twice is refused here, where a tree would keep the last one).
    let claims_raw = b64(claims)?;
    let claims: AccessClaims = serde_json::from_slice(&claims_raw).map_err(|_| TokenError::Malformed)?;
    Ok(UnverifiedToken { kid, claims, claims_raw })
}

/// Checks issuer, audience and the validity window at `now` (seconds), with [`LEEWAY_SECS`].
pub fn check(claims: &AccessClaims, settings: &TokenSettings, now: i64) -> Result<(), TokenError> {
    if claims.iss != settings.issuer {
        return Err(TokenError::Issuer);
    }
    if !claims.aud.contains(&settings.audience) {
        return Err(TokenError::Audience);
    }
    if now >= claims.exp.saturating_add(LEEWAY_SECS) {
        return Err(TokenError::Expired);
    }
    if claims.nbf > now.saturating_add(LEEWAY_SECS) || claims.iat > now.saturating_add(LEEWAY_SECS) {
        return Err(TokenError::NotYetValid);
    }
    Ok(())
}

fn b64(part: &str) -> Result<Vec<u8>, TokenError> {
    URL_SAFE_NO_PAD.decode(part).map_err(|_| TokenError::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn enc(v: &serde_json::Value) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
    }

    const KID: &str = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFG";

    fn claims(now: i64) -> serde_json::Value {
        json!({"iss": "folio", "sub": "acc", "aud": "folio-api", "iat": now, "nbf": now, "exp": now + 900,
               "jti": "j", "sid": "s", "email": "a@example.com", "role": "reader",
               "scope": "read:books read:reports"})
    }

    fn token(header: serde_json::Value, claims: serde_json::Value) -> String {
        format!("{}.{}.{}", enc(&header), enc(&claims), URL_SAFE_NO_PAD.encode([7u8; 64]))
    }

    fn settings() -> TokenSettings {
        TokenSettings { issuer: "folio".into(), audience: "folio-api".into() }
    }

    #[test]
    fn decodes_a_well_formed_token() {
        let t = decode(&token(json!({"alg": "EdDSA", "typ": "JWT", "kid": KID}), claims(100))).unwrap();
        assert_eq!(t.kid, KID);
        assert_eq!(t.claims.scopes(), vec!["read:books", "read:reports"]);
        assert_eq!(claims_json(&t.claims_raw), claims(100), "the claims exactly as sent");
        check(&t.claims, &settings(), 100).unwrap();
    }

    #[test]
    fn a_claim_given_twice_is_refused() {
        let header = enc(&json!({"alg": "EdDSA", "kid": KID}));
        let doubled = r#"{"iss":"folio","sub":"acc","aud":"folio-api","iat":1,"nbf":1,"exp":900,"jti":"j","sid":"s","email":"a@example.com","role":"reader","scope":"read:books","role":"admin"}"#;
        let t = format!("{header}.{}.{}", URL_SAFE_NO_PAD.encode(doubled), URL_SAFE_NO_PAD.encode([7u8; 64]));
        assert_eq!(decode(&t).unwrap_err(), TokenError::Malformed);
    }

    #[test]
    fn names_the_session_without_checking_anything_else() {
        let t = token(json!({"alg": "none"}), claims(1));
        assert_eq!(session_of(&t), Some(("acc".to_string(), "s".to_string())));
        assert_eq!(session_of("a.b"), None);
        assert_eq!(session_of("only-one-part"), None);
        assert_eq!(session_of(&token(json!({"alg": "EdDSA"}), json!({"sub": "acc"}))), None);
        assert_eq!(session_of(&"x".repeat(MAX_TOKEN_BYTES + 1)), None);
    }

    #[test]
    fn pins_the_algorithm() {
        for alg in ["none", "HS256", "ES256", "RS256", "eddsa", "Ed25519"] {
            let e = decode(&token(json!({"alg": alg, "kid": KID}), claims(1))).unwrap_err();
            assert_eq!(e, TokenError::Algorithm, "{alg}");
        }
        // `alg: none` tokens usually come with an empty signature: still refused.
        let none = format!("{}.{}.", enc(&json!({"alg": "none"})), enc(&claims(1)));
        assert!(decode(&none).is_err());
    }

    #[test]
    fn refuses_malformed_tokens() {
        let good = token(json!({"alg": "EdDSA", "kid": KID}), claims(1));
        let cases = [
            "".to_string(),
            "a.b".to_string(),
            format!("{good}.extra"),
            good.replacen('.', ".!", 1),
            token(json!({"alg": "EdDSA"}), claims(1)),
            token(json!({"alg": "EdDSA", "kid": "short"}), claims(1)),
            token(json!({"alg": "EdDSA", "kid": KID, "typ": "at+jwt+x"}), claims(1)),
            token(json!({"alg": "EdDSA", "kid": KID, "crit": ["exp"]}), claims(1)),
            token(json!({"alg": "EdDSA", "kid": KID}), json!({"sub": "only"})),
            format!("{}.{}.{}", enc(&json!({"alg": "EdDSA", "kid": KID})), enc(&claims(1)), "AAAA"),
            "x".repeat(MAX_TOKEN_BYTES + 1),
        ];
        for case in cases {
            assert!(decode(&case).is_err(), "accepted {case:.80}");
        }
    }

    #[test]
    fn checks_issuer_audience_and_time_with_seconds_of_leeway() {
        let now = 1_000_000;
        let c: AccessClaims = serde_json::from_value(claims(now)).unwrap();
        let s = settings();
        assert_eq!(
            check(&c, &TokenSettings { issuer: "other".into(), ..s.clone() }, now),
            Err(TokenError::Issuer)
        );
        assert_eq!(
            check(&c, &TokenSettings { audience: "other".into(), ..s.clone() }, now),
            Err(TokenError::Audience)
        );
        assert!(check(&c, &s, now + 900 + LEEWAY_SECS - 1).is_ok());
        assert_eq!(check(&c, &s, now + 900 + LEEWAY_SECS), Err(TokenError::Expired));
        assert!(check(&c, &s, now - LEEWAY_SECS).is_ok());
        assert_eq!(check(&c, &s, now - LEEWAY_SECS - 1), Err(TokenError::NotYetValid));
        // Minutes of skew are not tolerated.
        assert_eq!(check(&c, &s, now + 900 + 60), Err(TokenError::Expired));
        let many = AccessClaims { aud: Audience::Many(vec!["x".into(), "folio-api".into()]), ..c };
        assert!(check(&many, &s, now).is_ok());
    }
}
