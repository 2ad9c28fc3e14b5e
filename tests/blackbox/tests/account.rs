//! Account self-service and signing-key rotation on real Spin (issue 25).

use folio_blackbox::{app, unique_email, App, Instance, Launch, Resp, Tokens, PASSWORD};
use serde_json::{json, Value};

fn merge_patch(app: &App, token: &str, body: &Value) -> Resp {
    let auth = format!("Bearer {token}");
    app.call(
        "PATCH",
        "/api/auth/me",
        &[("authorization", &auth), ("content-type", "application/merge-patch+json")],
        body.to_string().as_bytes(),
    )
}

fn account_id(app: &App, t: &Tokens) -> String {
    app.with_token("GET", "/api/auth/me", &t.access).json()["account"]["id"].as_str().unwrap().to_string()
}

#[test]
fn the_profile_is_kept_with_merge_patches_and_every_error_named_at_once() {
    let app = app();
    let t = app.login(&unique_email("profile"));
    let me = app.with_token("GET", "/api/auth/me", &t.access).json();
    assert_eq!(me["account"]["profile"]["address"], Value::Null);
    let r = merge_patch(
        app,
        &t.access,
        &json!({"name": "Grace Hopper", "profile": {"title": "Rear Admiral", "first_name": "Grace",
            "last_name": "Hopper", "mobile_number": "+1 (202) 555-0143",
            "address": {"lines": ["1 Navy Pentagon"], "city": "Washington", "postal_code": "20350", "country": "us"}}}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["profile"]["mobile_number"], "+12025550143");
    let r =
        merge_patch(app, &t.access, &json!({"profile": {"address": {"city": "Arlington"}, "title": null}}));
    let profile = r.json()["profile"].clone();
    assert_eq!(profile["title"], Value::Null);
    assert_eq!(profile["address"]["country"], "US", "untouched members stay");
    assert_eq!(profile["address"]["city"], "Arlington");
    assert_eq!(app.with_token("GET", "/api/auth/me", &t.access).json()["account"]["profile"], profile);

    let r = merge_patch(
        app,
        &t.access,
        &json!({"role": "admin", "profile": {"mobile_number": "202 555 0143", "address": {"country": "UK"}, "age": 3}}),
    );
    let body = r.problem(422);
    let mut fields: Vec<&str> =
        body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    fields.sort();
    assert_eq!(fields, ["profile.address.country", "profile.age", "profile.mobile_number", "role"]);
    let auth = format!("Bearer {}", t.access);
    let wrong_type = app.call(
        "PATCH",
        "/api/auth/me",
        &[("authorization", &auth), ("content-type", "application/json")],
        b"{}",
    );
    wrong_type.problem(415);
    assert_eq!(wrong_type.header("accept-patch"), Some("application/merge-patch+json"));
}

#[test]
fn a_new_password_ends_the_other_sessions_and_a_wrong_one_counts_as_a_failed_sign_in() {
    let app = app();
    let email = unique_email("password");
    let here = app.login(&email);
    let elsewhere = app.password_grant(&email, PASSWORD);
    let change = |current: &str, new: &str| {
        app.json(
            "POST",
            "/api/auth/password",
            Some(&here.access),
            &json!({"current_password": current, "new_password": new}),
        )
    };
    let wrong = change("not the password", "an entirely new passphrase");
    assert_eq!(wrong.problem(401)["type"], "/docs/problems#wrong-password");
    assert_eq!(wrong.header("www-authenticate"), Some("Bearer"));
    change(PASSWORD, "short").problem(422);
    assert_eq!(change(PASSWORD, "an entirely new passphrase").status, 204);
    app.with_token("GET", "/api/books", &elsewhere.access).problem(401);
    assert_eq!(app.with_token("GET", "/api/books", &here.access).status, 200, "this session stays");
    app.password_grant(&email, "an entirely new passphrase");
    // Wrong current passwords lock the address like failed sign-ins do.
    for _ in 0..5 {
        change("still not the password", "yet another passphrase").problem(401);
    }
    change("an entirely new passphrase", "yet another passphrase").problem(429);
    let signin = app.json(
        "POST",
        "/api/auth/token",
        None,
        &json!({"grant_type": "password", "username": email, "password": "an entirely new passphrase"}),
    );
    assert_eq!(signin.status, 429);
}

#[test]
fn leaving_ends_everything_frees_the_address_and_keeps_the_books() {
    let app = app();
    let email = unique_email("leaver");
    let t = app.login(&email);
    let editor_book =
        app.json("POST", "/api/books", Some(&t.access), &folio_blackbox::book_body("Left behind"));
    assert_eq!(editor_book.status, 201, "{}", editor_book.text());
    let book = format!("/api/books/{}", editor_book.json()["id"].as_str().unwrap());
    app.json("DELETE", "/api/auth/me", Some(&t.access), &json!({"password": "wrong"})).problem(401);
    let r = app.json("DELETE", "/api/auth/me", Some(&t.access), &json!({"password": PASSWORD}));
    assert_eq!(r.status, 204, "{}", r.text());
    app.with_token("GET", "/api/auth/me", &t.access).problem(401);
    assert_eq!(
        app.json(
            "POST",
            "/api/auth/token",
            None,
            &json!({"grant_type": "refresh_token", "refresh_token": t.refresh})
        )
        .status,
        400
    );
    // Signing in now answers exactly as for an address that never existed.
    let grant = |username: &str| {
        let r = app.json(
            "POST",
            "/api/auth/token",
            None,
            &json!({"grant_type": "password", "username": username, "password": PASSWORD}),
        );
        (r.status, r.json())
    };
    assert_eq!(grant(&email), grant(&unique_email("never")));
    let other = app.login(&unique_email("reader"));
    assert_eq!(app.with_token("GET", &book, &other.access).status, 200, "the book stays");
    let again = app.json("POST", "/api/auth/register", None, &json!({"email": email, "password": PASSWORD}));
    assert_eq!(again.status, 201, "the address may register again: {}", again.text());
}

#[test]
fn the_last_admin_cannot_leave_and_an_admin_resets_passwords() {
    let admin_email = unique_email("only-admin");
    let instance = Instance::start(Launch {
        env: vec![("SPIN_VARIABLE_ADMIN_EMAILS".into(), admin_email.clone())],
        ..Launch::default()
    });
    let app = &instance.app;
    let admin = app.login(&admin_email);
    let r = app.json("DELETE", "/api/auth/me", Some(&admin.access), &json!({"password": PASSWORD}));
    assert!(r.problem(409)["detail"].as_str().unwrap().contains("last enabled admin"));
    assert_eq!(app.with_token("GET", "/api/auth/me", &admin.access).status, 200);

    let email = unique_email("reset");
    let user = app.login(&email);
    let uri = format!("/api/auth/users/{}/password", account_id(app, &user));
    app.json("POST", &uri, Some(&user.access), &json!({"new_password": "chosen by myself"})).problem(403);
    app.json("POST", &uri, Some(&admin.access), &json!({"new_password": "short"})).problem(422);
    let r = app.json("POST", &uri, Some(&admin.access), &json!({"new_password": "temporary passphrase"}));
    assert_eq!(r.status, 204, "{}", r.text());
    app.with_token("GET", "/api/books", &user.access).problem(401);
    app.password_grant(&email, "temporary passphrase");
}

#[test]
fn a_rotated_key_signs_new_tokens_and_the_jwks_keeps_the_old_one_for_pyjwt() {
    let instance = Instance::start(Launch::default());
    let app = &instance.app;
    let admin = app.admin();
    let before = app.get("/.well-known/jwks.json").json();
    folio_native::interop::pyjwt(&before, &admin.access, "folio", "folio-api")
        .expect("PyJWT before the rotation");
    let reader = app.login(&unique_email("rotation"));
    app.with_token("POST", "/api/auth/keys/rotate", &reader.access).problem(403);
    let r = app.with_token("POST", "/api/auth/keys/rotate", &admin.access);
    assert_eq!(r.status, 200, "{}", r.text());
    let kid = r.json()["kid"].as_str().unwrap().to_string();
    let fresh = app.admin();
    let header: Value = {
        use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(fresh.access.split('.').next().unwrap()).unwrap())
            .unwrap()
    };
    assert_eq!(header["kid"], kid.as_str(), "new tokens carry the new kid");
    let after = app.get("/.well-known/jwks.json").json();
    let kids: Vec<&str> =
        after["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap()).collect();
    // The signing key (the standby key of before, promoted), the next standby, the retired key.
    assert_eq!(kids.len(), 3, "{after}");
    assert_eq!(kids[0], kid, "the signing key first");
    assert!(
        before["keys"].as_array().unwrap().iter().any(|k| k["kid"] == kid.as_str()),
        "the new signing key was published before the rotation: {before}"
    );
    folio_native::interop::pyjwt(&before, &fresh.access, "folio", "folio-api")
        .expect("a new token, verified with the JWKS of before the rotation");
    folio_native::interop::pyjwt(&after, &admin.access, "folio", "folio-api")
        .expect("an old token, after the rotation");
    folio_native::interop::pyjwt(&after, &fresh.access, "folio", "folio-api").expect("a new token");
    // The old token still works in the app until it expires.
    assert_eq!(app.with_token("GET", "/api/books", &admin.access).status, 200);
    assert_eq!(app.with_token("GET", "/api/reports", &reader.access).status, 200);
}
