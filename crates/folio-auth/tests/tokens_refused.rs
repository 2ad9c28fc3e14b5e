//! Every kind of bad token is refused with `401 invalid_token`, at `/api/auth/me`, in another
//! component through `folio_tokens::authorize`, and by introspection; scopes give `403`.

mod common;

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use common::*;
use folio_core::{guard::scopes, http_util, serve::serve, Clock, Host, Request, Response};
use folio_native::{body_json, json_request, request, TestApp};
use jwt_simple::prelude::*;
use serde_json::{json, Value};

const INVALID: &str = "Bearer error=\"invalid_token\"";

/// A stand-in for another component's route: needs `create:books`, uses only folio-tokens.
fn component(host: &Host, req: Request) -> Response {
    serve(host, req, |host, req| {
        let p = folio_tokens::authorize(host, req, scopes::CREATE_BOOKS)?;
        Ok(http_util::json(http::StatusCode::OK, &json!({"sub": p.subject, "role": p.role})))
    })
}

fn component_status(app: &TestApp, token: &str) -> (u16, String) {
    let r = app.call(component, bearer("POST", "/api/books", token));
    let challenge =
        r.headers().get("www-authenticate").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    (r.status().as_u16(), challenge)
}

/// Refused everywhere: `/me`, another component, and introspection.
fn assert_refused(app: &TestApp, token: &str, what: &str) {
    assert_eq!(me_status(app, token), (401, INVALID.to_string()), "/me accepted {what}");
    assert_eq!(component_status(app, token), (401, INVALID.to_string()), "component accepted {what}");
    assert_eq!(introspect(app, token), json!({"active": false}), "introspection accepted {what}");
}

fn enc(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
}

fn signed_by(seed: [u8; 32], header: &Value, claims: &Value) -> String {
    let pair = ed25519_compact::KeyPair::from_seed(ed25519_compact::Seed::new(seed));
    let input = format!("{}.{}", enc(header), enc(claims));
    let sig = pair.sk.sign(input.as_bytes(), None);
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(*sig))
}

fn editor(app: &TestApp) -> Tokens {
    sign_up_and_in(app, "admin@example.com");
    sign_up_and_in(app, "ed@example.com")
}

#[test]
fn a_good_token_works_in_every_component_and_introspects_active() {
    let app = TestApp::new();
    let t = editor(&app);
    assert_eq!(me_status(&app, &t.access).0, 200);
    let r = app.call(component, bearer("POST", "/api/books", &t.access));
    assert_eq!(r.status(), 200);
    assert_eq!(body_json(&r)["role"], "editor");
    let i = introspect(&app, &t.access);
    assert_eq!(i["active"], true);
    assert_eq!(i["sub"], t.account_id);
    assert_eq!(i["scope"], claims_of(&t.access)["scope"]);
    for field in ["exp", "iat", "sid", "jti", "iss", "aud"] {
        assert_eq!(i[field], claims_of(&t.access)[field], "{field}");
    }
    // Form-encoded introspection (RFC 7662's own encoding) too, by the token's own holder.
    let mut req = form("/api/auth/introspect", &format!("token={}&token_type_hint=access_token", t.access));
    req.headers_mut().insert("authorization", format!("Bearer {}", t.access).parse().unwrap());
    assert_eq!(body_json(&call(&app, req))["active"], true);
    // Two tokens in one form: refused, not answered for the first.
    let mut req = form("/api/auth/introspect", &format!("token={0}&token={0}", t.access));
    req.headers_mut().insert("authorization", format!("Bearer {}", t.access).parse().unwrap());
    let r = call(&app, req);
    assert_eq!(r.status(), 422);
    assert_eq!(body_json(&r)["errors"][0]["message"], "given more than once");
    // A form that only a lenient reading makes one is malformed, like bad JSON: `400`.
    for body in [format!("token={}%zz", t.access), format!("token={}%FF", t.access)] {
        let mut req = form("/api/auth/introspect", &body);
        req.headers_mut().insert("authorization", format!("Bearer {}", t.access).parse().unwrap());
        let r = call(&app, req);
        assert_eq!(r.status(), 400, "{body}");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
    }
}

#[test]
fn introspection_needs_a_bearer_and_shows_others_only_their_own_tokens() {
    let app = TestApp::new();
    let admin = sign_up_and_in(&app, "admin@example.com");
    let ann = sign_up_and_in(&app, "ann@example.com");
    let ann_other_session = sign_in(&app, "ann@example.com");
    let bob = sign_up_and_in(&app, "bob@example.com");
    let body = json!({"token": ann.access}).to_string();

    // No bearer: 401 with a plain challenge, whatever the body says.
    let r = call(&app, json_request("POST", "/api/auth/introspect", &body));
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
    let r = call(&app, form("/api/auth/introspect", &format!("token={}", ann.access)));
    assert_eq!(r.status(), 401);
    // A bearer that is not good: 401 invalid_token.
    let r =
        call(&app, bearer_json("POST", "/api/auth/introspect", "not.a.token", &json!({"token": ann.access})));
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["www-authenticate"], INVALID);

    // Ann sees her own tokens, from any of her sessions; Bob sees nothing of Ann's.
    assert_eq!(introspect_as(&app, &ann.access, &ann.access)["active"], true);
    assert_eq!(introspect_as(&app, &ann_other_session.access, &ann.access)["sub"], ann.account_id);
    assert_eq!(introspect_as(&app, &bob.access, &ann.access), json!({"active": false}));
    // The admin sees anyone's.
    let seen = introspect_as(&app, &admin.access, &bob.access);
    assert_eq!((seen["active"].clone(), seen["sub"].clone()), (json!(true), json!(bob.account_id)));
    // A token narrowed below admin:users is not an admin's for this purpose.
    let narrowed = call(
        &app,
        json_request(
            "POST",
            "/api/auth/token",
            &json!({"grant_type": "password", "username": "admin@example.com", "password": PASSWORD, "scope": "read:books"})
                .to_string(),
        ),
    );
    let narrowed = body_json(&narrowed)["access_token"].as_str().unwrap().to_string();
    assert_eq!(introspect_as(&app, &narrowed, &bob.access), json!({"active": false}));
}

#[test]
fn me_returns_account_and_claims() {
    let app = TestApp::new();
    let t = editor(&app);
    let r = call(&app, bearer("GET", "/api/auth/me", &t.access));
    assert_eq!(r.headers()["cache-control"], "no-store");
    let b = body_json(&r);
    assert_eq!(b["account"]["email"], "ed@example.com");
    assert!(b["account"].get("password_hash").is_none());
    assert_eq!(b["claims"], claims_of(&t.access));
}

#[test]
fn missing_and_malformed_credentials() {
    let app = TestApp::new();
    editor(&app);
    let r = call(&app, request("GET", "/api/auth/me").body(vec![]).unwrap());
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    // Another scheme carries no bearer token: the plain challenge, no error code (RFC 6750 §3.1).
    let r = call(
        &app,
        request("GET", "/api/auth/me").header("authorization", "Basic YTpi").body(vec![]).unwrap(),
    );
    assert_eq!((r.status().as_u16(), r.headers()["www-authenticate"].to_str().unwrap()), (401, "Bearer"));
    for h in ["Bearer", "Bearer a.b.c d", "Bearer not-a-jwt"] {
        let r = call(&app, request("GET", "/api/auth/me").header("authorization", h).body(vec![]).unwrap());
        assert_eq!(
            (r.status().as_u16(), r.headers()["www-authenticate"].to_str().unwrap()),
            (401, INVALID),
            "{h}"
        );
    }
}

#[test]
fn expired_tokens_are_refused_after_seconds_of_leeway() {
    let app = TestApp::new();
    let t = editor(&app);
    app.clock.advance_secs(900);
    assert_eq!(me_status(&app, &t.access).0, 200, "within the leeway");
    app.clock.advance_secs(folio_tokens::settings::LEEWAY_SECS);
    assert_refused(&app, &t.access, "an expired token");
    let r = call(&app, bearer("GET", "/api/auth/me", &t.access));
    assert!(body_json(&r)["detail"].as_str().unwrap().contains("expired"));
}

#[test]
fn not_yet_valid_tokens_are_refused() {
    let app = TestApp::new();
    let t = editor(&app);
    app.clock.advance_secs(-60);
    assert_refused(&app, &t.access, "a token from the future");
}

#[test]
fn tampered_tokens_are_refused() {
    let app = TestApp::new();
    let t = editor(&app);
    let parts: Vec<&str> = t.access.split('.').collect();
    let mut claims = claims_of(&t.access);
    claims["role"] = json!("admin");
    claims["scope"] = json!("read:books admin:users");
    let forged = format!("{}.{}.{}", parts[0], enc(&claims), parts[2]);
    assert_refused(&app, &forged, "tampered claims");
    // One flipped signature character.
    let mut sig = parts[2].to_string();
    let last = if sig.ends_with('A') { "B" } else { "A" };
    sig.replace_range(sig.len() - 1.., last);
    assert_refused(&app, &format!("{}.{}.{sig}", parts[0], parts[1]), "a tampered signature");
    // The same claims in a different but equivalent JSON text.
    let respaced = URL_SAFE_NO_PAD.encode(serde_json::to_string_pretty(&claims_of(&t.access)).unwrap());
    assert_refused(&app, &format!("{}.{respaced}.{}", parts[0], parts[2]), "re-encoded claims");
}

#[test]
fn tokens_signed_by_another_key_are_refused() {
    let app = TestApp::new();
    let t = editor(&app);
    // Same header (same kid) and claims, signed by a key the app does not have.
    let other = signed_by([7u8; 32], &header_of(&t.access), &claims_of(&t.access));
    assert_refused(&app, &other, "a token signed by another key");
    // Another key with its own kid, as a forger with a JWKS of their own would send.
    let kid = folio_auth::keys::thumbprint(
        &ed25519_compact::KeyPair::from_seed(ed25519_compact::Seed::new([7u8; 32])).pk[..],
    );
    let other =
        signed_by([7u8; 32], &json!({"alg": "EdDSA", "typ": "JWT", "kid": kid}), &claims_of(&t.access));
    assert_refused(&app, &other, "a token with a foreign kid");
}

#[test]
fn alg_none_and_hs256_with_the_public_key_are_refused() {
    let app = TestApp::new();
    let t = editor(&app);
    let kid = header_of(&t.access)["kid"].clone();
    let claims = claims_of(&t.access);
    for none in ["none", "None", "NONE"] {
        let token = format!("{}.{}.", enc(&json!({"alg": none, "typ": "JWT", "kid": kid})), enc(&claims));
        assert_refused(&app, &token, "alg none");
    }
    // HS256 keyed with the public key, in both forms an attacker could take it from the JWKS.
    let jwks = body_json(&call(&app, request("GET", "/.well-known/jwks.json").body(vec![]).unwrap()));
    let x = jwks["keys"][0]["x"].as_str().unwrap();
    let raw = URL_SAFE_NO_PAD.decode(x).unwrap();
    for secret in [raw.clone(), x.as_bytes().to_vec(), jwks["keys"][0].to_string().into_bytes()] {
        let key = HS256Key::from_bytes(&secret).with_key_id(kid.as_str().unwrap());
        let custom = json!({"sid": claims["sid"], "email": claims["email"], "role": "admin", "scope": "admin:users create:books"});
        let c = Claims::with_custom_claims(custom, Duration::from_secs(600))
            .with_issuer("folio")
            .with_audience("folio-api")
            .with_subject(claims["sub"].as_str().unwrap());
        let token = key.authenticate(c).unwrap();
        assert_eq!(header_of(&token)["alg"], "HS256");
        assert_refused(&app, &token, "HS256 keyed with the public key");
    }
}

#[test]
fn wrong_audience_or_issuer_is_refused() {
    let mut app = TestApp::new();
    let t = editor(&app);
    app.config.set("token_audience", "another-api");
    assert_refused(&app, &t.access, "a token for another audience");
    app.config.set("token_audience", "folio-api");
    app.config.set("token_issuer", "someone-else");
    assert_refused(&app, &t.access, "a token from another issuer");
    app.config.set("token_issuer", "folio");
    assert_eq!(me_status(&app, &t.access).0, 200);
}

#[test]
fn logout_revokes_the_session_everywhere() {
    let app = TestApp::new();
    let t = editor(&app);
    let other_session = sign_in(&app, "ed@example.com");
    let r = call(&app, bearer("POST", "/api/auth/logout", &t.access));
    assert_eq!(r.status(), 204);
    // Every answer of the token service is no-store, its 204s too.
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert_refused(&app, &t.access, "a token of a logged-out session");
    assert_eq!(refresh_grant(&app, &t.refresh).status(), 400);
    assert_eq!(call(&app, bearer("POST", "/api/auth/logout", &t.access)).status(), 401);
    assert_eq!(me_status(&app, &other_session.access).0, 200, "other sessions live on");
}

#[test]
fn disabled_accounts_tokens_fail_at_once() {
    let app = TestApp::new();
    let admin = sign_up_and_in(&app, "admin@example.com");
    let ed = sign_up_and_in(&app, "ed@example.com");
    let second = sign_in(&app, "ed@example.com");
    let r = call(
        &app,
        bearer_json(
            "PATCH",
            &format!("/api/auth/users/{}", ed.account_id),
            &admin.access,
            &json!({"disabled": true}),
        ),
    );
    assert_eq!(r.status(), 200);
    assert_eq!(body_json(&r)["disabled"], true);
    assert_refused(&app, &ed.access, "a disabled account's token");
    assert_refused(&app, &second.access, "a disabled account's other token");
    // Re-enabled: old tokens stay dead, new sign-ins work.
    call(
        &app,
        bearer_json(
            "PATCH",
            &format!("/api/auth/users/{}", ed.account_id),
            &admin.access,
            &json!({"disabled": false}),
        ),
    );
    assert_eq!(me_status(&app, &ed.access).0, 401);
    assert_eq!(me_status(&app, &sign_in(&app, "ed@example.com").access).0, 200);
}

#[test]
fn missing_scope_is_403_insufficient_scope() {
    let app = TestApp::new();
    sign_up_and_in(&app, "admin@example.com");
    let reader_app_token = {
        let ed = sign_up_and_in(&app, "ed@example.com");
        ed.access
    };
    let r = call(&app, bearer("GET", "/api/auth/users", &reader_app_token));
    assert_eq!(r.status(), 403);
    assert_eq!(r.headers()["www-authenticate"], "Bearer error=\"insufficient_scope\", scope=\"admin:users\"");
    // A reader in another component.
    let app = TestApp::new().with_var("signup_role", "reader");
    sign_up_and_in(&app, "admin@example.com");
    let reader = sign_up_and_in(&app, "reader@example.com");
    assert_eq!(
        component_status(&app, &reader.access),
        (403, "Bearer error=\"insufficient_scope\", scope=\"create:books\"".into())
    );
}

#[test]
fn introspection_checks_the_signature_even_when_a_session_vouches() {
    // Someone able to write the key-value store plants a forged token's hash in a real session:
    // the in-app check trusts the store (docs/auth.md), introspection still verifies the signature.
    let app = TestApp::new();
    let t = editor(&app);
    let forged = signed_by([7u8; 32], &header_of(&t.access), &claims_of(&t.access));
    let c = claims_of(&t.access);
    let (sub, sid) = (c["sub"].as_str().unwrap(), c["sid"].as_str().unwrap());
    let mut s = folio_tokens::session::load(app.kv.as_ref(), sub, sid).unwrap().unwrap();
    s.vouch(&forged, c["exp"].as_i64().unwrap(), app.clock.now_secs());
    folio_tokens::session::save(app.kv.as_ref(), &s).unwrap();
    assert_eq!(me_status(&app, &forged).0, 200, "the store vouches, so the app accepts");
    assert_eq!(introspect(&app, &forged), json!({"active": false}), "but the signature is wrong");
    assert_eq!(introspect(&app, &t.access)["active"], true);
}

#[test]
fn introspection_judges_expiry_by_the_issuers_clock_without_leeway() {
    let app = TestApp::new();
    let t = editor(&app);
    let exp = claims_of(&t.access)["exp"].as_i64().unwrap();
    app.clock.set_ms((exp - 1) * 1000);
    assert_eq!(introspect(&app, &t.access)["active"], true, "a second before exp");
    app.clock.set_ms(exp * 1000);
    assert_eq!(introspect(&app, &t.access), json!({"active": false}), "at exp");
    // The routes still take it for their seconds of leeway (another clock may be behind).
    assert_eq!(me_status(&app, &t.access).0, 200);
}

/// The security review's store-minted token: the in-app check trusts a session record that
/// vouches for a token, so whoever can write the key-value store (a Redis without a password)
/// can plant one for a token they made up. The administrator's routes verify the signature as
/// well, which needs the private key the store never holds.
#[test]
fn an_administrators_route_refuses_a_token_the_store_vouches_for_without_a_signature() {
    let app = TestApp::new();
    let admin = app.with_host(|h| folio_auth::testing::login(h, "root@example.com", "admin"));
    // The real token with its signature replaced, vouched for in the store as a writer of the
    // store would do it.
    let (signed, _) = admin.access_token.rsplit_once('.').unwrap();
    let forged = format!("{signed}.{}", URL_SAFE_NO_PAD.encode([0u8; 64]));
    let kv = app.kv.as_ref();
    let mut session = folio_tokens::session::load(kv, &admin.account_id, &admin.session_id).unwrap().unwrap();
    let now = app.clock.now_secs();
    session.vouch(&forged, now + 600, now);
    folio_tokens::session::save(kv, &session).unwrap();
    let get = |token: &str, uri: &str| {
        app.call(
            folio_auth::handle,
            request("GET", uri).header("authorization", format!("Bearer {token}")).body(Vec::new()).unwrap(),
        )
    };
    for uri in ["/api/auth/users", "/api/status"] {
        let refused = get(&forged, uri);
        assert_eq!(refused.status(), 401, "{uri}");
        assert!(refused.headers()["www-authenticate"].to_str().unwrap().contains("invalid_token"));
        assert_eq!(get(&admin.access_token, uri).status(), 200, "{uri}: the signed token");
    }
    // Elsewhere the vouching is the check (docs/auth.md: the store is trusted).
    assert_eq!(get(&forged, "/api/auth/me").status(), 200);
}

/// RFC 7662 §2.1 names refresh tokens beside access tokens: one that a refresh would honour now
/// introspects active, for its own account and for an administrator; looking at a spent one says
/// inactive and, unlike presenting it to the token endpoint, ends nothing.
#[test]
fn a_refresh_token_introspects_active_while_a_refresh_would_honour_it() {
    let app = TestApp::new();
    let admin = sign_up_and_in(&app, "admin@example.com");
    let ann = sign_up_and_in(&app, "ann@example.com");
    let bob = sign_up_and_in(&app, "bob@example.com");
    let access = claims_of(&ann.access);

    let seen = introspect_as(&app, &ann.access, &ann.refresh);
    assert_eq!(seen["active"], true, "{seen}");
    assert_eq!(seen["token_type"], "refresh_token");
    assert_eq!(seen["sub"], ann.account_id);
    assert_eq!(seen["sid"], access["sid"]);
    assert_eq!(seen["scope"], access["scope"]);
    assert_eq!(
        (seen["email"].clone(), seen["role"].clone()),
        (json!("ann@example.com"), access["role"].clone())
    );
    assert_eq!(seen["iss"], access["iss"]);
    assert_eq!(seen["aud"], Value::Null, "a refresh token is for the token endpoint alone");
    assert_eq!(seen["iat"], access["iat"]);
    assert_eq!(seen["exp"].as_i64().unwrap() - seen["iat"].as_i64().unwrap(), 2_592_000, "the session's end");
    assert_eq!(introspect_as(&app, &admin.access, &ann.refresh)["sub"], ann.account_id);
    assert_eq!(introspect_as(&app, &bob.access, &ann.refresh), json!({"active": false}));
    let forged = format!("{}x", &ann.refresh[..ann.refresh.len() - 1]);
    assert_eq!(introspect_as(&app, &ann.access, &forged), json!({"active": false}));

    // Rotated: the spent token is inactive, and looking at it did not end the session.
    let r = refresh_grant(&app, &ann.refresh);
    assert_eq!(r.status(), 200);
    let next = tokens_of(&app, &r);
    assert_eq!(introspect_as(&app, &next.access, &ann.refresh), json!({"active": false}));
    assert_eq!(introspect_as(&app, &next.access, &next.refresh)["active"], true);
    let r = refresh_grant(&app, &next.refresh);
    assert_eq!(r.status(), 200, "the session lives on");
    let last = tokens_of(&app, &r);

    // Ended: inactive.
    assert_eq!(call(&app, bearer("POST", "/api/auth/logout", &last.access)).status(), 204);
    assert_eq!(introspect_as(&app, &admin.access, &last.refresh), json!({"active": false}));
}
