//! Interoperability: a token issued here verifies with Python's PyJWT using only the JWKS
//! (tests/interop/verify_jwt.py), and PyJWT refuses a tampered one, one for another audience
//! and an expired one.
//!
//! This test needs `python3` with `pyjwt[crypto]` (tests/requirements.txt) and FAILS without
//! them: an interop check that silently skips would prove nothing.

mod common;

use std::{path::PathBuf, process::Command};

use common::*;
use folio_native::{body_json, request, TestApp};

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/interop/verify_jwt.py")
}

/// Runs the script; `Ok(claims)` when PyJWT accepts the token, `Err(stderr)` when it refuses.
fn pyjwt(
    jwks: &serde_json::Value,
    token: &str,
    issuer: &str,
    audience: &str,
) -> Result<serde_json::Value, String> {
    let dir = tempfile_dir();
    let jwks_path = dir.join("jwks.json");
    std::fs::write(&jwks_path, jwks.to_string()).unwrap();
    let out = Command::new("python3")
        .arg(script())
        .arg(&jwks_path)
        .arg(token)
        .arg(issuer)
        .arg(audience)
        .output()
        .unwrap_or_else(|e| panic!("python3 must be installed for the interop test: {e}"));
    let _ = std::fs::remove_dir_all(&dir);
    match out.status.code() {
        Some(0) => Ok(serde_json::from_slice(&out.stdout).expect("script prints the claims")),
        Some(1) => Err(String::from_utf8_lossy(&out.stderr).to_string()),
        other => panic!(
            "verify_jwt.py could not run (exit {other:?}); CI must `pip install 'pyjwt[crypto]'`: {}",
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

fn tempfile_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("folio-interop-{}-{}", std::process::id(), rand_suffix()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn rand_suffix() -> u64 {
    use folio_core::Random;
    folio_native::OsRandom.next_u64()
}

#[test]
fn pyjwt_verifies_our_tokens_with_only_the_jwks() {
    // Real time: PyJWT checks exp/nbf against the system clock.
    let app = TestApp::new();
    let t = sign_up_and_in(&app, "ann@example.com");
    let jwks = body_json(
        &app.call(folio_auth::handle, request("GET", "/.well-known/jwks.json").body(vec![]).unwrap()),
    );
    let claims = pyjwt(&jwks, &t.access, "folio", "folio-api").expect("PyJWT accepts a token issued here");
    assert_eq!(claims, claims_of(&t.access));

    // And it refuses what it must.
    assert!(pyjwt(&jwks, &t.access, "folio", "another-api").unwrap_err().contains("Audience"));
    assert!(pyjwt(&jwks, &t.access, "someone-else", "folio-api").unwrap_err().contains("Issuer"));
    let parts: Vec<&str> = t.access.split('.').collect();
    let mut c = claims_of(&t.access);
    c["role"] = serde_json::json!("superuser");
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
    let tampered = format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(c.to_string()), parts[2]);
    assert!(pyjwt(&jwks, &tampered, "folio", "folio-api").unwrap_err().contains("Signature"));
    let other = TestApp::new();
    let other_jwks = body_json(
        &other.call(folio_auth::handle, request("GET", "/.well-known/jwks.json").body(vec![]).unwrap()),
    );
    assert!(
        pyjwt(&other_jwks, &t.access, "folio", "folio-api").is_err(),
        "another app's JWKS does not verify it"
    );
}

#[test]
fn pyjwt_refuses_an_expired_token() {
    // Issue a token an hour in the past (manual clock), then verify against real time.
    let app = TestApp::new().with_var("access_token_ttl_seconds", "60");
    app.clock.advance_secs(-3600);
    let t = sign_up_and_in(&app, "ann@example.com");
    let jwks = body_json(
        &app.call(folio_auth::handle, request("GET", "/.well-known/jwks.json").body(vec![]).unwrap()),
    );
    assert!(pyjwt(&jwks, &t.access, "folio", "folio-api").unwrap_err().contains("Expired"));
}
