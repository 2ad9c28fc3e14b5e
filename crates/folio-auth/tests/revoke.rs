//! `POST /api/auth/revoke`: RFC 7009 token revocation.

mod common;

use common::*;
use folio_native::{body_json, TestApp};

fn revoke(app: &TestApp, body: &str) -> folio_core::Response {
    call(app, form("/api/auth/revoke", body))
}

#[test]
fn a_refresh_token_ends_its_session_after_the_access_token_has_expired() {
    let app = TestApp::new();
    let ann = sign_up_and_in(&app, "ann@example.com");
    let other = sign_in(&app, "ann@example.com");
    // Past the access token's lifetime and the routes' leeway: logout is no longer possible.
    app.clock.advance_secs(900 + 10);
    assert_eq!(call(&app, bearer("POST", "/api/auth/logout", &ann.access)).status(), 401);
    let r = revoke(&app, &format!("token={}&token_type_hint=refresh_token", ann.refresh));
    assert_eq!(r.status(), 200);
    assert!(r.body().is_empty());
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert_eq!(refresh_grant(&app, &ann.refresh).status(), 400, "the session is over");
    // Only that session: the account's other one lives on.
    assert_eq!(refresh_grant(&app, &other.refresh).status(), 200);
}

#[test]
fn an_access_token_ends_its_session_whatever_the_hint_says() {
    let app = TestApp::new();
    let ann = sign_up_and_in(&app, "ann@example.com");
    let r = revoke(&app, &format!("token={}&token_type_hint=refresh_token", ann.access));
    assert_eq!(r.status(), 200);
    assert_eq!(me_status(&app, &ann.access).0, 401, "the access token is refused at once");
    assert_eq!(refresh_grant(&app, &ann.refresh).status(), 400, "and its refresh token with it");
}

#[test]
fn a_spent_refresh_token_ends_the_session_it_was_spent_in() {
    let app = TestApp::new();
    let ann = sign_up_and_in(&app, "ann@example.com");
    let renewed = tokens_of(&app, &refresh_grant(&app, &ann.refresh));
    assert_eq!(revoke(&app, &format!("token={}", ann.refresh)).status(), 200);
    assert_eq!(me_status(&app, &renewed.access).0, 401);
}

#[test]
fn an_unknown_or_malformed_token_is_answered_like_a_good_one_and_changes_nothing() {
    let app = TestApp::new();
    let ann = sign_up_and_in(&app, "ann@example.com");
    let (account, sid) = {
        let claims = claims_of(&ann.access);
        (claims["sub"].as_str().unwrap().to_string(), claims["sid"].as_str().unwrap().to_string())
    };
    let forged_refresh = format!("{account}.{sid}.{}", "A".repeat(43));
    let mut tampered = ann.access.clone();
    tampered.pop();
    for token in ["nonsense", "a.b.c", forged_refresh.as_str(), tampered.as_str()] {
        let r = revoke(&app, &format!("token={}", urlencoded(token)));
        assert_eq!(r.status(), 200, "{token}");
    }
    assert_eq!(me_status(&app, &ann.access).0, 200, "nothing was revoked");
    assert_eq!(refresh_grant(&app, &ann.refresh).status(), 200);
}

#[test]
fn requests_the_endpoint_cannot_read_are_oauth_errors() {
    let app = TestApp::new();
    let r = revoke(&app, "token_type_hint=refresh_token");
    assert_eq!(r.status(), 400);
    assert_eq!(body_json(&r)["error"], "invalid_request");
    let r = call(
        &app,
        folio_native::request("POST", "/api/auth/revoke")
            .header("authorization", "Basic Y2xpZW50OnNlY3JldA==")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(b"token=x".to_vec())
            .unwrap(),
    );
    assert_eq!(r.status(), 401);
    assert_eq!(body_json(&r)["error"], "invalid_client");
    let r = call(&app, folio_native::request("GET", "/api/auth/revoke").body(vec![]).unwrap());
    assert_eq!(r.status(), 405);
    assert_eq!(body_json(&r)["error"], "invalid_request");
    // No body: the answer names what this endpoint takes, not the token endpoint's grant_type.
    let r = call(&app, folio_native::request("POST", "/api/auth/revoke").body(vec![]).unwrap());
    assert_eq!(r.status(), 400);
    let description = body_json(&r)["error_description"].as_str().unwrap().to_string();
    assert!(
        description.contains("the token to revoke") && !description.contains("grant_type"),
        "{description}"
    );
}

/// Form-encodes a token (base64url and dots need none; the tests' made-up ones are plain).
fn urlencoded(token: &str) -> String {
    url::form_urlencoded::byte_serialize(token.as_bytes()).collect()
}
