//! `folio_auth::testing`: the helper other components' tests use for real tokens.

use folio_core::{guard::scopes, http_util, serve::serve, Host, Request, Response};
use folio_native::{request, TestApp};

fn component(host: &Host, req: Request) -> Response {
    serve(host, req, |host, req| {
        let p = folio_tokens::authorize(host, req, scopes::GENERATE_BOOKS)?;
        Ok(http_util::json(http::StatusCode::OK, &serde_json::json!({"role": p.role})))
    })
}

fn call_with(app: &TestApp, token: &str) -> u16 {
    app.call(
        component,
        request("POST", "/api/generator/runs")
            .header("authorization", format!("Bearer {token}"))
            .body(vec![])
            .unwrap(),
    )
    .status()
    .as_u16()
}

#[test]
fn login_as_gives_tokens_with_the_roles_scopes() {
    let app = TestApp::new();
    let editor = app.with_host(|h| folio_auth::testing::login_as(h, "editor"));
    let reader = app.with_host(|h| folio_auth::testing::login_as(h, "reader"));
    assert_eq!(call_with(&app, &editor), 200);
    assert_eq!(call_with(&app, &reader), 403);
    // They are real tokens: the auth component knows them, and they verify offline.
    let me = app.call(
        folio_auth::handle,
        request("GET", "/api/auth/me")
            .header("authorization", format!("Bearer {editor}"))
            .body(vec![])
            .unwrap(),
    );
    assert_eq!(me.status(), 200);
    assert_eq!(folio_native::body_json(&me)["account"]["role"], "editor");
    // And revocable like any other.
    let login = app.with_host(|h| folio_auth::testing::login(h, "x@example.com", "admin"));
    assert_eq!(call_with(&app, &login.access_token), 200);
    app.call(
        folio_auth::handle,
        request("POST", "/api/auth/logout")
            .header("authorization", format!("Bearer {}", login.access_token))
            .body(vec![])
            .unwrap(),
    );
    assert_eq!(call_with(&app, &login.access_token), 401);
}

#[test]
fn helper_accounts_cannot_sign_in_with_a_password() {
    let app = TestApp::new();
    let login = app.with_host(|h| folio_auth::testing::login(h, "helper@example.com", "admin"));
    assert!(!login.access_token.is_empty());
    for password in ["", "!test-account", "correct horse battery"] {
        let body = serde_json::json!({"grant_type": "password", "username": "helper@example.com", "password": password});
        let r = app.call(
            folio_auth::handle,
            folio_native::json_request("POST", "/api/auth/token", &body.to_string()),
        );
        assert_eq!(r.status(), 400, "{password:?}");
    }
}
