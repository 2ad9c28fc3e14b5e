//! Signing keys: generation on first use (race-safe), configured keys, rotation, the JWKS and
//! the discovery document.

mod common;

use std::sync::Arc;

use base64::{engine::general_purpose::STANDARD, Engine as _};
use common::*;
use folio_core::Sql;
use folio_native::{body_json, request, TestApp};
use jwt_simple::prelude::*;

fn get(app: &TestApp, path: &str) -> folio_core::Response {
    call(app, request("GET", path).body(vec![]).unwrap())
}

fn jwks(app: &TestApp) -> serde_json::Value {
    let r = get(app, "/.well-known/jwks.json");
    assert_eq!(r.status(), 200);
    assert!(r.headers()["cache-control"].to_str().unwrap().contains("max-age"));
    body_json(&r)
}

fn kids(app: &TestApp) -> Vec<String> {
    jwks(app)["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap().to_string()).collect()
}

/// Verifies a token with jwt-simple using only the JWKS document, as an outside service would.
fn verify_with_jwks(jwks: &serde_json::Value, token: &str) -> Result<(), String> {
    let kid = header_of(token)["kid"].as_str().unwrap().to_string();
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .ok_or("kid not published")?;
    let key = Ed25519PublicKey::from_jwk(&jwk.to_string()).map_err(|e| e.to_string())?;
    let options = VerificationOptions {
        allowed_issuers: Some(HashSet::from_strings(&["folio"])),
        allowed_audiences: Some(HashSet::from_strings(&["folio-api"])),
        time_tolerance: Some(Duration::from_secs(5)),
        ..Default::default()
    };
    key.verify_token::<serde_json::Value>(token, Some(options)).map(|_| ()).map_err(|e| e.to_string())
}

#[test]
fn a_key_is_generated_on_first_use_and_published() {
    let app = TestApp::new();
    let set = jwks(&app);
    let keys = set["keys"].as_array().unwrap();
    // The signing key, then the standby key that the next rotation promotes.
    assert_eq!(keys.len(), 2);
    let k = &keys[0];
    assert_eq!(
        (k["kty"].as_str(), k["crv"].as_str(), k["alg"].as_str(), k["use"].as_str()),
        (Some("OKP"), Some("Ed25519"), Some("EdDSA"), Some("sig"))
    );
    assert!(k.get("d").is_none(), "no private part in the JWKS: {k}");
    let t = sign_up_and_in(&app, "ann@example.com");
    assert_eq!(header_of(&t.access)["kid"], k["kid"]);
    verify_with_jwks(&set, &t.access).unwrap();
    // The same keys on every later request.
    let standby = keys[1]["kid"].as_str().unwrap().to_string();
    assert_eq!(kids(&app), vec![k["kid"].as_str().unwrap().to_string(), standby]);
}

#[test]
fn concurrent_first_requests_agree_on_one_key() {
    let app = Arc::new(TestApp::new());
    // Apply migrations first so that every thread races on the key, not on the schema.
    assert_eq!(get(&app, "/api/health").status(), 200);
    let handles: Vec<_> = (0..6)
        .map(|_| {
            let app = app.clone();
            std::thread::spawn(move || kids(&app))
        })
        .collect();
    let seen: Vec<Vec<String>> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    // One signing key and one standby key, whoever won each race.
    assert!(seen.iter().all(|k| k.len() == 2 && k == &seen[0]), "{seen:?}");
    let rows = app.sql().execute("SELECT COUNT(*) AS n FROM auth_signing_keys", &[]).unwrap();
    assert_eq!(rows.first().unwrap().i64("n"), Some(2));
}

#[test]
fn a_configured_key_signs_and_is_never_stored() {
    let seed = [42u8; 32];
    let app = TestApp::new().with_var("signing_key", &STANDARD.encode(seed));
    let t = sign_up_and_in(&app, "ann@example.com");
    let pk = ed25519_compact::KeyPair::from_seed(ed25519_compact::Seed::new(seed)).pk;
    assert_eq!(header_of(&t.access)["kid"].as_str().unwrap(), folio_auth::keys::thumbprint(&pk[..]));
    verify_with_jwks(&jwks(&app), &t.access).unwrap();
    let rows = app.sql().execute("SELECT private_seed, source FROM auth_signing_keys", &[]).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows.first().unwrap().text("private_seed"), None);
    assert_eq!(rows.first().unwrap().string("source"), "configured");
}

#[test]
fn rotation_keeps_the_old_public_key_until_its_tokens_expire() {
    let mut app = TestApp::new();
    let before = sign_up_and_in(&app, "ann@example.com");
    let old_kid = header_of(&before.access)["kid"].as_str().unwrap().to_string();
    // Rotate: configure a new key.
    app.config.set("signing_key", &STANDARD.encode([3u8; 32]));
    let after = sign_in(&app, "ann@example.com");
    let new_kid = header_of(&after.access)["kid"].as_str().unwrap().to_string();
    assert_ne!(old_kid, new_kid);
    let published = kids(&app);
    assert_eq!(published[0], new_kid, "signing key first");
    assert!(published.contains(&old_kid), "retired key kept: {published:?}");
    // The generated standby key never signed: it is gone at once (after a leak, the reason to
    // set a key, its seed is known), not kept published. A configured key has no standby.
    assert_eq!(published.len(), 2, "{published:?}");
    // Tokens of both keys verify, offline with the JWKS and inside the app.
    let set = jwks(&app);
    verify_with_jwks(&set, &before.access).unwrap();
    verify_with_jwks(&set, &after.access).unwrap();
    assert_eq!(me_status(&app, &before.access).0, 200);
    assert_eq!(introspect(&app, &before.access)["active"], true);
    // The generated key's seed is gone at once: the variable emptied again makes a new key, it
    // does not revive the old one (which may have leaked with the database).
    let seeds = app
        .sql()
        .execute("SELECT COUNT(*) AS n FROM auth_signing_keys WHERE private_seed IS NOT NULL", &[])
        .unwrap();
    assert_eq!(seeds.first().unwrap().i64("n"), Some(0));
    app.config.set("signing_key", "");
    let again = sign_in(&app, "ann@example.com");
    let again_kid = header_of(&again.access)["kid"].as_str().unwrap().to_string();
    assert!(again_kid != old_kid && again_kid != new_kid, "a fresh generated key");
    app.config.set("signing_key", &STANDARD.encode([3u8; 32]));
    assert_eq!(header_of(&sign_in(&app, "ann@example.com").access)["kid"], new_kid.as_str());
    // Once every token of the old key has expired, its public key leaves the JWKS, and the
    // generated seed is deleted with its row.
    app.clock.advance_secs(900 + folio_tokens::settings::LEEWAY_SECS);
    assert_eq!(kids(&app), vec![new_kid], "the generated keys' tokens have all expired");
    let rows = app
        .sql()
        .execute("SELECT COUNT(*) AS n FROM auth_signing_keys WHERE private_seed IS NOT NULL", &[])
        .unwrap();
    assert_eq!(rows.first().unwrap().i64("n"), Some(0));
}

#[test]
fn a_broken_configured_key_is_a_503_naming_the_variable_not_a_leak() {
    let app = TestApp::new().with_var("signing_key", "definitely-not-a-key");
    register(&app, "ann@example.com", PASSWORD);
    let r = password_grant(&app, "ann@example.com", PASSWORD);
    assert_eq!(r.status(), 503);
    let text = String::from_utf8_lossy(r.body()).to_string();
    assert!(text.contains("signing_key must be"), "{text}");
    assert!(!text.contains("definitely"), "{text}");
}

#[test]
fn an_issuer_url_is_the_public_base_of_the_discovery_documents_links() {
    // Behind a TLS proxy Spin sees http and whatever Host the client sent: the operator's
    // issuer URL says where the app really is (RFC 8414 §2), so the links follow it.
    let app = TestApp::new().with_var("token_issuer", "https://books.example");
    let r = call(
        &app,
        request("GET", "/.well-known/openid-configuration")
            .header("host", "evil.example:3000")
            .header("spin-full-url", "http://evil.example:3000/.well-known/openid-configuration")
            .body(vec![])
            .unwrap(),
    );
    assert_eq!(r.status(), 200);
    let d = body_json(&r);
    assert_eq!(d["issuer"], "https://books.example");
    assert_eq!(d["jwks_uri"], "https://books.example/.well-known/jwks.json");
    assert_eq!(d["token_endpoint"], "https://books.example/api/auth/token");
    assert_eq!(d["introspection_endpoint"], "https://books.example/api/auth/introspect");
    assert_eq!(r.headers()["cache-control"], "public, max-age=300", "the same for every client");
}

#[test]
fn discovery_document_points_at_the_endpoints() {
    let app = TestApp::new().with_var("token_issuer", "urn:example:folio");
    let r = call(
        &app,
        request("GET", "/.well-known/openid-configuration")
            .header("host", "books.example:3000")
            .body(vec![])
            .unwrap(),
    );
    assert_eq!(r.status(), 200);
    let d = body_json(&r);
    assert_eq!(d["issuer"], "urn:example:folio");
    assert_eq!(d["jwks_uri"], "http://books.example:3000/.well-known/jwks.json");
    assert_eq!(d["token_endpoint"], "http://books.example:3000/api/auth/token");
    assert_eq!(d["introspection_endpoint"], "http://books.example:3000/api/auth/introspect");
    // Links made from the request's Host differ by Host: no shared cache may keep one.
    assert_eq!(r.headers()["cache-control"], "private, max-age=300");
    assert_eq!(d["id_token_signing_alg_values_supported"], serde_json::json!(["EdDSA"]));
    assert_eq!(d["grant_types_supported"], serde_json::json!(["password", "refresh_token"]));
    // Spin's full-URL header wins, with its scheme.
    let r = call(
        &app,
        request("GET", "/.well-known/openid-configuration")
            .header("host", "internal:80")
            .header("spin-full-url", "https://books.example/.well-known/openid-configuration")
            .body(vec![])
            .unwrap(),
    );
    assert_eq!(body_json(&r)["jwks_uri"], "https://books.example/.well-known/jwks.json");
    // Only the origin of either: no user name, no path, no default port; a Host that is not an
    // authority, or a scheme that is not HTTP, gives no origin to make the links absolute on
    // (RFC 8414 §2 wants URLs): `400`, never relative links or a made-up origin.
    let discovered = |headers: &[(&str, &str)]| {
        let mut req = request("GET", "/.well-known/openid-configuration");
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let r = call(&app, req.body(vec![]).unwrap());
        match r.status().as_u16() {
            200 => body_json(&r)["token_endpoint"].as_str().unwrap().to_string(),
            status => {
                assert_eq!(r.headers()["content-type"], "application/problem+json");
                status.to_string()
            }
        }
    };
    let full = |url: &'static str| [("host", "internal:80"), ("spin-full-url", url)];
    assert_eq!(discovered(&full("https://books.example:443/x/y?z")), "https://books.example/api/auth/token");
    // Spin builds that URL from the client's Host, so a user name in it came from `Host: who@b`:
    // refused, as that Host itself is.
    assert_eq!(discovered(&full("https://who@books.example:443/x/y?z")), "400");
    assert_eq!(discovered(&full("http://books.example:8080/")), "http://books.example:8080/api/auth/token");
    assert_eq!(discovered(&[("host", "books.example/x")]), "400");
    assert_eq!(discovered(&[("host", "who@books.example")]), "400");
    assert_eq!(discovered(&[("host", "books.example:99999")]), "400");
    assert_eq!(discovered(&[("host", "books.example:0")]), "400", "port 0 is no port to connect to");
    assert_eq!(discovered(&full("http://books.example:0/")), "400");
    assert_eq!(discovered(&[("spin-full-url", "ftp://books.example/")]), "400");
    assert_eq!(discovered(&[]), "400");
    // Not empty (validators refuse that), and no authorization endpoint to start a flow at.
    assert_eq!(d["response_types_supported"], serde_json::json!(["token"]));
    assert!(d.get("authorization_endpoint").is_none());
    // RFC 8414's path serves the same metadata.
    let rfc8414 =
        request("GET", "/.well-known/oauth-authorization-server").header("host", "books.example:3000");
    let r = call(&app, rfc8414.body(vec![]).unwrap());
    assert_eq!(r.status(), 200);
    assert_eq!(body_json(&r)["token_endpoint"], "http://books.example:3000/api/auth/token");
    assert_eq!(call(&app, request("POST", "/.well-known/jwks.json").body(vec![]).unwrap()).status(), 405);
}

fn rotate(app: &TestApp, token: &str) -> folio_core::Response {
    call(app, bearer("POST", "/api/auth/keys/rotate", token))
}

#[test]
fn an_administrator_rotates_the_generated_key() {
    let app = TestApp::new();
    let admin = sign_up_and_in(&app, "admin@example.com");
    let ann = sign_up_and_in(&app, "ann@example.com");
    let old_kid = header_of(&ann.access)["kid"].as_str().unwrap().to_string();
    assert_eq!(rotate(&app, &ann.access).status(), 403);
    assert_eq!(call(&app, request("POST", "/api/auth/keys/rotate").body(vec![]).unwrap()).status(), 401);

    let standby = kids(&app)[1].clone();
    let r = rotate(&app, &admin.access);
    assert_eq!(r.status(), 200);
    let new_kid = body_json(&r)["kid"].as_str().unwrap().to_string();
    assert_ne!(new_kid, old_kid);
    // The standby key signs now: verifiers holding the JWKS of before the rotation know it.
    assert_eq!(new_kid, standby);
    // New tokens carry the new kid; the JWKS serves the signing key, the next standby and the
    // retired key.
    let after = sign_in(&app, "ann@example.com");
    assert_eq!(header_of(&after.access)["kid"], new_kid.as_str());
    let published = kids(&app);
    let next_standby = published[1].clone();
    assert_eq!(published, vec![new_kid.clone(), next_standby.clone(), old_kid.clone()]);
    let set = jwks(&app);
    verify_with_jwks(&set, &ann.access).unwrap();
    verify_with_jwks(&set, &after.access).unwrap();
    // Tokens of the old key keep working until they expire, in the app and by introspection.
    assert_eq!(me_status(&app, &ann.access).0, 200);
    assert_eq!(introspect(&app, &ann.access)["active"], true);
    // The old seed is gone at once: nothing signs with it again (the signing and standby keep theirs).
    let seeds = app
        .sql()
        .execute("SELECT COUNT(*) AS n FROM auth_signing_keys WHERE private_seed IS NOT NULL", &[])
        .unwrap();
    assert_eq!(seeds.first().unwrap().i64("n"), Some(2));
    // Rotating again promotes that standby and keeps every key whose tokens may still live.
    app.clock.advance_secs(100);
    let third = body_json(&rotate(&app, &admin.access))["kid"].as_str().unwrap().to_string();
    assert_eq!(third, next_standby);
    let fourth = kids(&app)[1].clone();
    assert_eq!(kids(&app), vec![third.clone(), fourth.clone(), new_kid.clone(), old_kid.clone()]);
    // The first retired key leaves when its last token has expired, the second 100 s later.
    app.clock.advance_secs(900 + folio_tokens::settings::LEEWAY_SECS - 100);
    assert_eq!(kids(&app), vec![third.clone(), fourth.clone(), new_kid]);
    app.clock.advance_secs(100);
    assert_eq!(kids(&app), vec![third, fourth]);
}

/// Rotations in a loop do not grow the public key set without bound: at 32 published keys the
/// next rotation is `429` with the wait until the oldest retired key leaves, and succeeds then.
#[test]
fn rotations_stop_at_a_bounded_key_set_until_the_oldest_key_leaves() {
    let app = TestApp::new();
    let admin = sign_up_and_in(&app, "admin@example.com");
    // Two published from the start (the signing and standby keys); each rotation adds one.
    for _ in 2..folio_auth::keys::MAX_PUBLISHED_KEYS {
        assert_eq!(rotate(&app, &admin.access).status(), 200);
        app.clock.advance_secs(1);
    }
    assert_eq!(kids(&app).len(), folio_auth::keys::MAX_PUBLISHED_KEYS);
    let refused = rotate(&app, &admin.access);
    assert_eq!(refused.status(), 429);
    assert_eq!(refused.headers()["content-type"], "application/problem+json");
    // The first key retired 30 s ago and stays for 900 s + the leeway after it.
    let wait: i64 = refused.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert_eq!(wait, 900 + folio_tokens::settings::LEEWAY_SECS - 30);
    assert_eq!(kids(&app).len(), folio_auth::keys::MAX_PUBLISHED_KEYS, "nothing was added");
    app.clock.advance_secs(wait);
    // The administrator's token has expired meanwhile (its lifetime is that of the keys' stay).
    let admin = sign_in(&app, "admin@example.com");
    assert_eq!(rotate(&app, &admin.access).status(), 200);
    assert_eq!(kids(&app).len(), folio_auth::keys::MAX_PUBLISHED_KEYS);
}

#[test]
fn a_retired_key_stays_for_the_lifetime_its_tokens_were_given() {
    let mut app = TestApp::new().with_var("access_token_ttl_seconds", "3600");
    let admin = sign_up_and_in(&app, "admin@example.com");
    let old_kid = header_of(&admin.access)["kid"].as_str().unwrap().to_string();
    rotate(&app, &admin.access);
    // The operator shortens the lifetime afterwards: tokens issued before still live an hour.
    app.config.set("access_token_ttl_seconds", "60");
    app.clock.advance_secs(1800);
    assert!(kids(&app).contains(&old_kid), "still needed by tokens issued before");
    app.clock.advance_secs(1800 + folio_tokens::settings::LEEWAY_SECS);
    assert!(!kids(&app).contains(&old_kid));
}

/// The lifetime shortened while the key still signs, then a rotation (the route, or a new
/// `signing_key`): the retired key stays for the longest lifetime it signed with, not for the
/// one in force at its retirement, so offline verifiers keep taking the tokens the app takes.
#[test]
fn a_lifetime_shortened_before_the_rotation_does_not_drop_a_key_its_tokens_need() {
    for by_variable in [false, true] {
        let mut app = TestApp::new().with_var("access_token_ttl_seconds", "300");
        let admin = sign_up_and_in(&app, "admin@example.com");
        let old_kid = header_of(&admin.access)["kid"].as_str().unwrap().to_string();
        app.config.set("access_token_ttl_seconds", "10");
        let fresh = sign_in(&app, "admin@example.com");
        if by_variable {
            app.config.set("signing_key", &STANDARD.encode([7u8; 32]));
            sign_in(&app, "admin@example.com");
        } else {
            assert_eq!(rotate(&app, &fresh.access).status(), 200);
        }
        app.clock.advance_secs(200);
        assert!(kids(&app).contains(&old_kid), "by variable {by_variable}: dropped while its tokens live");
        verify_with_jwks(&jwks(&app), &admin.access).unwrap();
        assert_eq!(introspect(&app, &admin.access)["active"], true, "by variable {by_variable}");
        app.clock.advance_secs(100 + folio_tokens::settings::LEEWAY_SECS);
        assert!(!kids(&app).contains(&old_kid), "by variable {by_variable}: kept past its last token");
    }
}

#[test]
fn a_configured_key_is_rotated_by_its_variable_not_by_the_route() {
    let app = TestApp::new().with_var("signing_key", &STANDARD.encode([5u8; 32]));
    let admin = sign_up_and_in(&app, "admin@example.com");
    let before = kids(&app);
    let r = rotate(&app, &admin.access);
    assert_eq!(r.status(), 409);
    assert!(body_json(&r)["detail"].as_str().unwrap().contains("signing_key variable"));
    assert_eq!(kids(&app), before);
}

/// The security review's leak: the database (or a backup) holds the seeds of the signing key and
/// of the standby key, and a routine rotation promotes that standby key, so the leaked key went
/// on signing. `?compromised=true` makes two fresh keys and takes every earlier one out of the
/// JWKS at once; tokens issued before keep working inside the app, and a refresh gets a token
/// signed with the new key.
#[test]
fn a_rotation_after_a_leak_replaces_every_key_the_database_held() {
    let app = TestApp::new();
    let admin = sign_up_and_in(&app, "admin@example.com");
    let ann = sign_up_and_in(&app, "ann@example.com");
    let leaked = kids(&app);
    assert_eq!(leaked.len(), 2, "signing and standby");
    let bad = call(&app, bearer("POST", "/api/auth/keys/rotate?compromised=maybe", &admin.access));
    assert_eq!(bad.status(), 422);
    // A mistyped parameter is refused, not read as a routine rotation that would promote the
    // leaked standby key.
    for typo in ["Compromised=true", "compromise=true", "compromised=true&force=1"] {
        let r = call(&app, bearer("POST", &format!("/api/auth/keys/rotate?{typo}"), &admin.access));
        assert_eq!(r.status(), 422, "{typo}");
        assert_eq!(body_json(&r)["errors"][0]["message"], "unknown query parameter", "{typo}");
    }
    assert_eq!(kids(&app), leaked, "nothing rotated");
    let r = call(&app, bearer("POST", "/api/auth/keys/rotate?compromised=true", &admin.access));
    assert_eq!(r.status(), 200, "{}", body_json(&r));
    let new_kid = body_json(&r)["kid"].as_str().unwrap().to_string();
    let published = kids(&app);
    assert_eq!(published.len(), 2, "the new signing key and a new standby only: {published:?}");
    assert_eq!(published[0], new_kid);
    assert!(published.iter().all(|k| !leaked.contains(k)), "no leaked key is published or promoted");
    // Offline, the old tokens are refused from the next fetch; inside the app they still work.
    let set = jwks(&app);
    assert!(verify_with_jwks(&set, &ann.access).is_err());
    assert_eq!(me_status(&app, &ann.access).0, 200);
    // The administrator's routes check signatures: the admin refreshes, and goes on.
    assert_eq!(rotate(&app, &admin.access).status(), 401);
    let fresh = tokens_of(&app, &refresh_grant(&app, &admin.refresh));
    assert_eq!(header_of(&fresh.access)["kid"], new_kid.as_str());
    verify_with_jwks(&set, &fresh.access).unwrap();
    assert_eq!(call(&app, bearer("GET", "/api/auth/users", &fresh.access)).status(), 200);
    // Only the two fresh seeds are stored.
    let seeds = app
        .sql()
        .execute("SELECT COUNT(*) AS n FROM auth_signing_keys WHERE private_seed IS NOT NULL", &[])
        .unwrap();
    assert_eq!(seeds.first().unwrap().i64("n"), Some(2));
}
