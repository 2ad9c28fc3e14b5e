//! Interoperability: a token issued here verifies with Python's PyJWT using only the JWKS
//! (tests/interop/verify_jwt.py), and PyJWT refuses a tampered one, one for another audience
//! and an expired one.
//!
//! This test needs `python3` with `pyjwt[crypto]` (tests/requirements.txt) and FAILS without
//! them: an interop check that silently skips would prove nothing (`folio_native::interop`).

mod common;

use common::*;
use folio_native::{body_json, interop::pyjwt, request, TestApp};

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

#[test]
fn pyjwt_verifies_tokens_of_both_keys_across_a_rotation() {
    let app = TestApp::new();
    let admin = sign_up_and_in(&app, "admin@example.com");
    let jwks_now = || {
        body_json(
            &app.call(folio_auth::handle, request("GET", "/.well-known/jwks.json").body(vec![]).unwrap()),
        )
    };
    let before = jwks_now();
    pyjwt(&before, &admin.access, "folio", "folio-api").expect("before the rotation");
    let r = app.call(folio_auth::handle, bearer("POST", "/api/auth/keys/rotate", &admin.access));
    assert_eq!(r.status(), 200);
    let new_kid = body_json(&r)["kid"].as_str().unwrap().to_string();
    let fresh = sign_in(&app, "admin@example.com");
    assert_eq!(header_of(&fresh.access)["kid"], new_kid.as_str());
    let after = jwks_now();
    // A verifier that refetches the JWKS accepts tokens of the old key and of the new.
    pyjwt(&after, &admin.access, "folio", "folio-api").expect("a token of the old key, after the rotation");
    pyjwt(&after, &fresh.access, "folio", "folio-api").expect("a token of the new key");
    // So does one that kept the JWKS of before the rotation: the new key was published there as
    // the standby key, so no verifier refuses new tokens while it waits to refetch.
    pyjwt(&before, &fresh.access, "folio", "folio-api").expect("a new token, with the JWKS of before");
}
