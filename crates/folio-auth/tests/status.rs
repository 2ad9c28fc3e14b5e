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

/// What an operator checks after a deployment (a misspelt variable is dropped by Spin without a
/// word, and its default applies): the settings in effect, and never a secret.
#[test]
fn admins_see_the_settings_in_effect_without_secrets() {
    let defaults = TestApp::new();
    let admin = defaults.with_host(|h| folio_auth::testing::login_as(h, "admin"));
    let settings = body_json(&get(&defaults, Some(&admin)))["settings"].clone();
    assert_eq!(settings["allow_signup"], true);
    assert_eq!(settings["signup_role"], "editor");
    assert_eq!(settings["admin_emails_listed"], 0, "none: the first account is the administrator");
    assert_eq!(settings["signing_key"], "generated");
    assert_eq!(settings["token_issuer"], "folio");
    assert_eq!(settings["access_token_ttl_seconds"], 900);
    assert_eq!(settings["book_read_cache_fill_one_in"], 8);

    let key = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";
    let set = TestApp::new()
        .with_var("allow_signup", "false")
        .with_var("signup_role", "reader")
        .with_var("admin_emails", "boss@example.com, deputy@example.com")
        .with_var("signing_key", key);
    let admin = set.with_host(|h| folio_auth::testing::login_as(h, "admin"));
    let r = get(&set, Some(&admin));
    assert_eq!(r.status(), 200, "{}", body_json(&r));
    let settings = body_json(&r)["settings"].clone();
    assert_eq!(settings["allow_signup"], false);
    assert_eq!(settings["signup_role"], "reader");
    assert_eq!(settings["admin_emails_listed"], 2);
    assert_eq!(settings["signing_key"], "variable");
    let text = String::from_utf8_lossy(r.body()).to_string();
    assert!(!text.contains(key) && !text.contains("boss@"), "{text}");
}

/// A variable the app refuses is named, as `GET /api/health` names it, not hidden behind settings
/// that read as if all were well: a signing key that does not parse stops every sign-in.
#[test]
fn a_refused_variable_is_named_not_shown_as_in_effect() {
    let app = TestApp::new();
    let admin = app.with_host(|h| folio_auth::testing::login_as(h, "admin"));
    let app = app.with_var("signing_key", "not a key");
    let r = get(&app, Some(&admin));
    assert_eq!(r.status(), 503, "{}", body_json(&r));
    let body = body_json(&r);
    assert_eq!(body["type"], "/docs/problems#misconfigured");
    assert_eq!(body["variables"][0]["name"], "signing_key", "{body}");
    assert!(!String::from_utf8_lossy(r.body()).contains("not a key"), "never the value");
}
