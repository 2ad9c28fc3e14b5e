//! `GET /api/status`: counts for administrators only.

use folio_native::{body_json, request, TestApp};

fn get(app: &TestApp, token: Option<&str>) -> folio_core::Response {
    let mut b = request("GET", "/api/status");
    if let Some(t) = token {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    app.call(folio_auth::handle, b.body(Vec::new()).unwrap())
}

#[test]
fn admins_see_counts_of_accounts_sessions_books_runs_and_the_schema() {
    let app = TestApp::new();
    let admin = app.with_host(|h| folio_auth::testing::login_as(h, "admin"));
    let _editor = app.with_host(|h| folio_auth::testing::login_as(h, "editor"));
    let r = get(&app, Some(&admin));
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let body = body_json(&r);
    assert_eq!(body["accounts"], 2);
    assert_eq!(body["live_sessions"], 2);
    assert_eq!(body["books"], 0);
    assert_eq!(body["generator_runs"], 0);
    assert_eq!(body["schema_version"], folio_core::migrate::latest_version());
    // Ended sessions are not counted.
    app.clock.advance_secs(60 * 60 * 24 * 365);
    let fresh_admin = app.with_host(|h| folio_auth::testing::login_as(h, "admin"));
    assert_eq!(body_json(&get(&app, Some(&fresh_admin)))["live_sessions"], 1);
}

#[test]
fn others_get_401_or_403() {
    let app = TestApp::new();
    assert_eq!(get(&app, None).status(), 401);
    let editor = app.with_host(|h| folio_auth::testing::login_as(h, "editor"));
    let r = get(&app, Some(&editor));
    assert_eq!(r.status(), 403);
    assert_eq!(r.headers()["www-authenticate"], "Bearer error=\"insufficient_scope\", scope=\"admin:users\"");
}
