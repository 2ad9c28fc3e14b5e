//! `POST /api/auth/register`: accounts, roles, the first-account and admin_emails rules.

mod common;

use common::*;
use folio_core::Sql;
use folio_native::{body_json, json_request, request, TestApp};
use serde_json::json;

#[test]
fn registers_an_account_without_secret_fields_and_the_first_is_admin() {
    let app = TestApp::new();
    let r = call(
        &app,
        json_request(
            "POST",
            "/api/auth/register",
            r#"{"email":"Ann@Example.com","password":"correct horse battery","name":"Ann"}"#,
        ),
    );
    assert_eq!(r.status(), 201);
    assert_eq!(r.headers()["content-type"], "application/json");
    let b = body_json(&r);
    assert_eq!(b["email"], "Ann@Example.com");
    assert_eq!(b["name"], "Ann");
    assert_eq!(b["role"], "admin", "the very first account is admin when admin_emails is empty");
    assert_eq!(b["disabled"], false);
    assert!(b["id"].as_str().unwrap().len() == 26 && b["created_at"].is_string());
    let text = String::from_utf8_lossy(r.body()).to_string();
    assert!(!text.contains("argon2") && !text.contains("password"), "{text}");
    // The stored password is an Argon2id hash, not the password.
    let rows = app.sql().execute("SELECT password_hash FROM accounts", &[]).unwrap();
    let stored = rows.first().unwrap().string("password_hash");
    assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$") && !stored.contains("correct horse"));
    // The second gets signup_role (default editor).
    let second = body_json(&register(&app, "bob@example.com", PASSWORD));
    assert_eq!(second["role"], "editor");
}

#[test]
fn signup_role_and_admin_emails_decide_roles() {
    let app = TestApp::new()
        .with_var("signup_role", "reader")
        .with_var("admin_emails", "Boss@Example.com, other@example.com");
    assert_eq!(
        body_json(&register(&app, "first@example.com", PASSWORD))["role"],
        "reader",
        "admin_emails set: no first-account rule"
    );
    assert_eq!(body_json(&register(&app, "boss@example.COM", PASSWORD))["role"], "admin");
    assert_eq!(body_json(&register(&app, "third@example.com", PASSWORD))["role"], "reader");
}

#[test]
fn taken_email_is_409_case_insensitively() {
    let app = TestApp::new();
    assert_eq!(register(&app, "ann@example.com", PASSWORD).status(), 201);
    for again in ["ann@example.com", "ANN@Example.Com", "  ann@example.com "] {
        let r = register(&app, again, "another password 1");
        assert_eq!(r.status(), 409, "{again}");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
    }
}

#[test]
fn one_address_is_one_account_however_its_characters_are_composed() {
    let app = TestApp::new();
    assert_eq!(register(&app, "jöhn@exämple.com", PASSWORD).status(), 201);
    // The same address with combining diaereses, and with a capital: the same account.
    for again in ["jo\u{308}hn@exa\u{308}mple.com", "JÖHN@EXÄMPLE.COM"] {
        assert_eq!(register(&app, again, "another password 1").status(), 409, "{again}");
        assert_eq!(password_grant(&app, again, PASSWORD).status(), 200, "signs in as {again}");
    }
    // The Kelvin sign is a K: it cannot make a second kate.
    assert_eq!(register(&app, "kate@example.com", PASSWORD).status(), 201);
    assert_eq!(register(&app, "\u{212A}ate@example.com", PASSWORD).status(), 409);
    // What the address becomes must still be an address: a full-width `＠` is a second `@`, two
    // one-dot leaders are `..`, and U+FDFA is eighteen letters (over 254 in all).
    for bad in [
        "a\u{FF20}b@example.com".to_string(),
        "a\u{2024}\u{2024}b@example.com".into(),
        format!("{}@example.com", "\u{FDFA}".repeat(14)),
    ] {
        let r = register(&app, &bad, PASSWORD);
        assert_eq!(
            (r.status().as_u16(), body_json(&r)["errors"][0]["field"].clone()),
            (422, json!("email")),
            "{bad}"
        );
    }
}

#[test]
fn weak_password_and_bad_email_are_422_naming_the_field() {
    let app = TestApp::new();
    let r = register(&app, "ann@example.com", "123456789");
    assert_eq!(r.status(), 422);
    assert_eq!(body_json(&r)["errors"][0]["field"], "password");
    for bad in ["not-an-email", "a@b", "a b@example.com", ""] {
        let r = register(&app, bad, PASSWORD);
        assert_eq!(r.status(), 422, "{bad}");
        assert_eq!(body_json(&r)["errors"][0]["field"], "email");
    }
    let r = call(
        &app,
        json_request(
            "POST",
            "/api/auth/register",
            &json!({"email": "a@example.com", "password": PASSWORD, "name": "x".repeat(201)}).to_string(),
        ),
    );
    assert_eq!(body_json(&r)["errors"][0]["field"], "name");
    // A password of spaces only, or the address itself, is no password.
    for (email, password) in
        [("c@example.com", " ".repeat(12)), ("longer.name@example.com", "Longer.Name@Example.com".into())]
    {
        let body = json!({"email": email, "password": password});
        let r = call(&app, json_request("POST", "/api/auth/register", &body.to_string()));
        assert_eq!(
            (r.status().as_u16(), body_json(&r)["errors"][0]["field"].clone()),
            (422, json!("password"))
        );
    }
    // A bidirectional override reorders what an admin list shows: refused in names and addresses.
    for (field, body) in [
        ("name", json!({"email": "b@example.com", "password": PASSWORD, "name": "Ann\u{202E}nimda"})),
        ("email", json!({"email": "b\u{202E}@example.com", "password": PASSWORD})),
    ] {
        let r = call(&app, json_request("POST", "/api/auth/register", &body.to_string()));
        assert_eq!((r.status().as_u16(), body_json(&r)["errors"][0]["field"].clone()), (422, json!(field)));
    }
    let r = call(
        &app,
        json_request(
            "POST",
            "/api/auth/register",
            r#"{"email":"a@example.com","password":"correct horse battery","role":"admin"}"#,
        ),
    );
    assert_eq!(r.status(), 422, "unknown fields (like a self-assigned role) are refused");
    assert_eq!(body_json(&r)["errors"][0]["field"], "role");
    // Nothing was created by any of these.
    assert_eq!(register(&app, "a@example.com", PASSWORD).status(), 201);
}

/// Every problem of a sign-up in one answer (API.md, "Conventions"), unknown members last.
#[test]
fn every_problem_of_a_sign_up_is_named_at_once() {
    let app = TestApp::new();
    let r = call(
        &app,
        json_request("POST", "/api/auth/register", r#"{"email":"x","password":"y","name":5,"foo":1}"#),
    );
    assert_eq!(r.status(), 422);
    let body = body_json(&r);
    let fields: Vec<&str> =
        body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["email", "password", "name", "foo"], "{body}");
    assert_eq!(body["detail"], "4 fields are invalid");
    let r = call(&app, json_request("POST", "/api/auth/register", r#"{"name":"Ann"}"#));
    let fields: Vec<String> = body_json(&r)["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| format!("{}: {}", e["field"], e["message"]))
        .collect();
    assert_eq!(fields, [r#""email": "is required""#, r#""password": "is required""#]);
    // Nothing was created by either.
    assert_eq!(register(&app, "x@example.com", PASSWORD).status(), 201);
    assert_eq!(body_json(&register(&app, "y@example.com", PASSWORD))["role"], "editor");
}

#[test]
fn body_rules_apply() {
    let app = TestApp::new();
    let r = call(
        &app,
        request("POST", "/api/auth/register")
            .header("content-type", "text/plain")
            .body(b"x".to_vec())
            .unwrap(),
    );
    assert_eq!(r.status(), 415);
    let r = call(&app, json_request("POST", "/api/auth/register", "{"));
    assert_eq!(r.status(), 400);
    let r = call(&app, request("GET", "/api/auth/register").body(vec![]).unwrap());
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()["allow"], "POST, OPTIONS");
}

#[test]
fn signup_disabled_is_403_for_every_address_admin_emails_included() {
    // Addresses are not verified: a listed admin address claimable while sign-up is closed would
    // make whoever guesses it first an administrator.
    let app = TestApp::new().with_var("allow_signup", "false").with_var("admin_emails", "root@example.com");
    for email in ["ann@example.com", "root@example.com", "ROOT@example.com"] {
        let r = register(&app, email, PASSWORD);
        assert_eq!(r.status(), 403, "{email}");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
    }
    // Closed has no body to judge: whatever is sent, the answer is the same 403.
    for (content_type, body) in
        [("application/json", r#"{"email":"x"}"#), ("text/plain", "x"), ("application/json", "{")]
    {
        let req = request("POST", "/api/auth/register")
            .header("content-type", content_type)
            .body(body.into())
            .unwrap();
        assert_eq!(call(&app, req).status(), 403, "{content_type} {body}");
    }
    // Open, the listed address is an administrator.
    let app = TestApp::new().with_var("admin_emails", "root@example.com");
    assert_eq!(body_json(&register(&app, "ann@example.com", PASSWORD))["role"], "editor");
    assert_eq!(body_json(&register(&app, "root@example.com", PASSWORD))["role"], "admin");
}

#[test]
fn concurrent_first_registrations_make_exactly_one_admin() {
    let app = std::sync::Arc::new(TestApp::new());
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let app = app.clone();
            std::thread::spawn(move || body_json(&register(&app, &format!("user{i}@example.com"), PASSWORD)))
        })
        .collect();
    let roles: Vec<String> =
        handles.into_iter().map(|h| h.join().unwrap()["role"].as_str().unwrap().to_string()).collect();
    assert_eq!(roles.iter().filter(|r| *r == "admin").count(), 1, "{roles:?}");
}
