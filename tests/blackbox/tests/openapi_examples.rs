//! The OpenAPI document's request examples, sent as they are on real Spin: /docs's "Try it out"
//! starts from them, so each must be a request the app accepts (register, sign in, change the
//! profile, write books, run the generator, introspect, administer, change and reset a password,
//! leave), in the order a new user would try them.

use folio_blackbox::{unique_email, urlencode, App, Instance, Launch, Resp};
use serde_json::{json, Value};

fn document() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("docs/openapi.json")).expect("JSON")
}

fn example(doc: &Value, schema: &str) -> Value {
    let e = doc["components"]["schemas"][schema]["example"].clone();
    assert!(!e.is_null(), "{schema} has no example");
    e
}

fn send(app: &App, method: &str, path: &str, token: &str, media: &str, body: &Value) -> Resp {
    let auth = format!("Bearer {token}");
    app.call(method, path, &[("authorization", &auth), ("content-type", media)], body.to_string().as_bytes())
}

#[test]
fn every_request_example_of_the_openapi_document_is_accepted_as_it_is() {
    let doc = document();
    let instance = Instance::start(Launch::default());
    let app = &instance.app;

    // Register, then sign in with the token form's example (a form, as /docs sends it, and JSON).
    let account = example(&doc, "Register");
    let r = app.json("POST", "/api/auth/register", None, &account);
    assert_eq!(r.status, 201, "{}", r.text());
    let id = r.json()["id"].as_str().unwrap().to_string();
    let grant = example(&doc, "TokenRequest");
    let form = grant
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| format!("{k}={}", urlencode(v.as_str().unwrap())))
        .collect::<Vec<_>>()
        .join("&");
    let r = app.call(
        "POST",
        "/api/auth/token",
        &[("content-type", "application/x-www-form-urlencoded")],
        form.as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(app.json("POST", "/api/auth/token", None, &grant).status, 200);
    let token = r.json()["access_token"].as_str().unwrap().to_string();

    let r = send(
        app,
        "PATCH",
        "/api/auth/me",
        &token,
        "application/merge-patch+json",
        &example(&doc, "AccountMergePatch"),
    );
    assert_eq!(r.status, 200, "{}", r.text());

    // Books: create, replace with the same example, merge-patch.
    let book = example(&doc, "BookInput");
    let r = app.json("POST", "/api/books", Some(&token), &book);
    assert_eq!(r.status, 201, "{}", r.text());
    let uri = format!("/api/books/{}", r.json()["id"].as_str().unwrap());
    assert_eq!(app.json("PUT", &uri, Some(&token), &book).status, 200);
    let r = send(app, "PATCH", &uri, &token, "application/merge-patch+json", &example(&doc, "BookPatch"));
    assert_eq!(r.status, 200, "{}", r.text());

    let r = app.json("POST", "/api/generator/runs", Some(&token), &example(&doc, "GeneratorRunRequest"));
    assert_eq!(r.status, 201, "{}", r.text());

    // The introspection example names no real token: an answer, inactive.
    let r = app.json("POST", "/api/auth/introspect", Some(&token), &example(&doc, "IntrospectRequest"));
    assert_eq!((r.status, r.json()["active"].clone()), (200, json!(false)), "{}", r.text());

    // The revocation example names no real token either: 200, nothing revoked (RFC 7009 §2.2).
    let r = app.json("POST", "/api/auth/revoke", None, &example(&doc, "RevocationRequest"));
    assert_eq!(r.status, 200, "{}", r.text());

    let r = app.json("POST", "/api/auth/password", Some(&token), &example(&doc, "PasswordChange"));
    assert_eq!(r.status, 204, "{}", r.text());

    // An administrator's examples, on that account.
    let admin = app.admin();
    let r = send(
        app,
        "PATCH",
        &format!("/api/auth/users/{id}"),
        &admin.access,
        "application/json",
        &example(&doc, "AccountPatch"),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["disabled"], false, "the example changes a role, and disables nobody");
    let r = app.json(
        "POST",
        &format!("/api/auth/users/{id}/password"),
        Some(&admin.access),
        &example(&doc, "PasswordReset"),
    );
    assert_eq!(r.status, 204, "{}", r.text());

    // Leaving, with the example's password (the one Register's example chose), from an account
    // that still has it.
    let leaving = unique_email("example-leaves");
    let password = account["password"].as_str().unwrap();
    let r = app.json("POST", "/api/auth/register", None, &json!({"email": leaving, "password": password}));
    assert_eq!(r.status, 201, "{}", r.text());
    let tokens = app.password_grant(&leaving, password);
    let r = app.json("DELETE", "/api/auth/me", Some(&tokens.access), &example(&doc, "Leave"));
    assert_eq!(r.status, 204, "{}", r.text());
}
