//! `GET /api/auth/sessions` and `DELETE /api/auth/sessions/{id}`.

mod common;

use common::*;
use folio_native::{body_json, TestApp};

#[test]
fn lists_the_callers_live_sessions_marking_the_current_one() {
    let app = TestApp::new();
    let a = sign_up_and_in(&app, "ann@example.com");
    app.clock.advance_secs(5);
    let b = sign_in(&app, "ann@example.com");
    sign_up_and_in(&app, "bob@example.com");
    let r = call(&app, bearer("GET", "/api/auth/sessions", &b.access));
    assert_eq!(r.status(), 200);
    let items = body_json(&r)["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2, "only ann's sessions: {items:?}");
    let sid_a = claims_of(&a.access)["sid"].clone();
    let sid_b = claims_of(&b.access)["sid"].clone();
    assert_eq!(items[0]["id"], sid_b, "newest first");
    assert_eq!(items[0]["current"], true);
    assert_eq!(items[1]["id"], sid_a);
    assert_eq!(items[1]["current"], false);
    for item in &items {
        for field in ["created_at", "last_used_at", "expires_at"] {
            let t = item[field].as_str().unwrap();
            assert!(t.ends_with('Z') && t.len() >= 20, "{field}: {t}");
        }
    }
    // Refreshing updates last_used_at.
    app.clock.advance_secs(60);
    refresh_grant(&app, &a.refresh);
    let items = body_json(&call(&app, bearer("GET", "/api/auth/sessions", &b.access)))["items"].clone();
    assert_ne!(items[1]["last_used_at"], items[1]["created_at"]);
    assert_eq!(
        call(&app, folio_native::request("GET", "/api/auth/sessions").body(vec![]).unwrap()).status(),
        401
    );
}

#[test]
fn deletes_own_sessions_only() {
    let app = TestApp::new();
    let a = sign_up_and_in(&app, "ann@example.com");
    let a2 = sign_in(&app, "ann@example.com");
    let bob = sign_up_and_in(&app, "bob@example.com");
    let sid_a2 = claims_of(&a2.access)["sid"].as_str().unwrap().to_string();
    let sid_bob = claims_of(&bob.access)["sid"].as_str().unwrap().to_string();
    // Another account's session: 404, and it lives on.
    let r = call(&app, bearer("DELETE", &format!("/api/auth/sessions/{sid_bob}"), &a.access));
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    assert_eq!(me_status(&app, &bob.access).0, 200);
    assert_eq!(call(&app, bearer("DELETE", "/api/auth/sessions/nonsense", &a.access)).status(), 404);
    // One's own other session: 204, and its tokens die.
    let r = call(&app, bearer("DELETE", &format!("/api/auth/sessions/{sid_a2}"), &a.access));
    assert_eq!(r.status(), 204);
    assert_eq!(me_status(&app, &a2.access).0, 401);
    assert_eq!(refresh_grant(&app, &a2.refresh).status(), 400);
    assert_eq!(me_status(&app, &a.access).0, 200);
    assert_eq!(
        call(&app, bearer("DELETE", &format!("/api/auth/sessions/{sid_a2}"), &a.access)).status(),
        404
    );
    let items = body_json(&call(&app, bearer("GET", "/api/auth/sessions", &a.access)))["items"].clone();
    assert_eq!(items.as_array().unwrap().len(), 1);
}

#[test]
fn expired_sessions_disappear_from_the_list_and_the_store() {
    let app = TestApp::new()
        .with_var("refresh_token_ttl_seconds", "600")
        .with_var("access_token_ttl_seconds", "60");
    let old = sign_up_and_in(&app, "ann@example.com");
    app.clock.advance_secs(500);
    let young = sign_in(&app, "ann@example.com");
    app.clock.advance_secs(200);
    let items =
        body_json(&call(&app, bearer("GET", "/api/auth/sessions", &refresh_and_get(&app, &young.refresh))))
            ["items"]
            .clone();
    assert_eq!(items.as_array().unwrap().len(), 1);
    let old_sid = claims_of(&old.access)["sid"].as_str().unwrap().to_string();
    let keys = folio_core::Kv::keys(app.kv.as_ref()).unwrap();
    assert!(!keys.iter().any(|k| k.ends_with(&old_sid)), "expired session record was cleaned up: {keys:?}");
}

fn refresh_and_get(app: &TestApp, refresh: &str) -> String {
    let r = refresh_grant(app, refresh);
    assert_eq!(r.status(), 200);
    body_json(&r)["access_token"].as_str().unwrap().to_string()
}
