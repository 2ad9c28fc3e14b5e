//! A bad variable is one clear answer, not an outage that looks like a crash (issue 24, item 5):
//! `GET /api/health` answers `503` with `checks.config` naming the variable and what it must be;
//! every route that depends on it answers `503` problem+json naming it (never a secret's value);
//! routes that do not depend on it keep working; each request logs it once.

mod common;

use common::*;
use folio_core::Request;
use folio_native::{body_json, json_request, request, TestApp};
use serde_json::{json, Value};

fn get(path: &str) -> Request {
    request("GET", path).body(Vec::new()).unwrap()
}

fn register_req(email: &str) -> Request {
    json_request("POST", "/api/auth/register", &json!({"email": email, "password": PASSWORD}).to_string())
}

fn grant_req(email: &str) -> Request {
    json_request(
        "POST",
        "/api/auth/token",
        &json!({"grant_type": "password", "username": email, "password": PASSWORD}).to_string(),
    )
}

/// Sends `req` and checks the answer is the misconfiguration `503` naming `variable` with
/// `expected` in its text, logged exactly once, and carrying no `secret`.
fn assert_names(app: &TestApp, req: Request, variable: &str, expected: &str, secret: Option<&str>) -> Value {
    let path = req.uri().path().to_string();
    let (r, logged) = folio_core::log::capture(|| call(app, req));
    assert_eq!(r.status(), 503, "{path}: {}", String::from_utf8_lossy(r.body()));
    assert_eq!(r.headers()["content-type"], "application/problem+json", "{path}");
    // Retrying does not fix a setting (health included, when only the configuration fails).
    assert!(!r.headers().contains_key("retry-after"), "{path}");
    let body = body_json(&r);
    assert!(
        body["variables"].as_array().unwrap().iter().any(|v| v["name"] == variable),
        "{path} does not name {variable}: {body}"
    );
    let detail = body["detail"].as_str().unwrap();
    assert!(detail.contains(&format!("{variable} must be")) && detail.contains(expected), "{path}: {detail}");
    let lines: Vec<&Value> = logged.iter().filter(|l| l["event"] == "configuration_invalid").collect();
    assert_eq!(lines.len(), 1, "{path}: logged once per request: {logged:?}");
    assert!(lines[0]["variables"].to_string().contains(variable));
    if let Some(secret) = secret {
        let all = format!("{body} {logged:?}");
        assert!(!all.contains(secret), "{path} leaked the secret: {all}");
    }
    body
}

/// The health check names the variable in `checks.config` and still checks the stores.
fn assert_health_names(app: &TestApp, variable: &str, expected: &str) {
    let body = assert_names(app, get("/api/health"), variable, expected, None);
    let config = body["checks"]["config"].as_str().unwrap();
    assert!(config.contains(&format!("{variable} must be")) && config.contains(expected), "{config}");
    // The operator's problem type, as every route answers a bad variable: waiting will not help.
    assert_eq!(body["type"], "/docs/problems#misconfigured");
    assert_eq!(body["checks"]["sqlite"], "ok");
    assert_eq!(body["checks"]["kv"], "ok");
}

#[test]
fn health_reports_a_good_configuration_as_ok() {
    let app = TestApp::new();
    let r = call(&app, get("/api/health"));
    assert_eq!(r.status(), 200);
    assert_eq!(body_json(&r)["checks"]["config"], "ok");
}

#[test]
fn access_token_ttl_out_of_range() {
    for bad in ["0", "86401", "fifteen minutes"] {
        let app = TestApp::new().with_var("access_token_ttl_seconds", bad);
        let range = "an integer from 1 to 86400";
        assert_health_names(&app, "access_token_ttl_seconds", range);
        // Registering does not depend on it; signing in and the key set do.
        assert_eq!(call(&app, register_req("ann@example.com")).status(), 201);
        assert_names(&app, grant_req("ann@example.com"), "access_token_ttl_seconds", range, None);
        assert_names(&app, get("/.well-known/jwks.json"), "access_token_ttl_seconds", range, None);
    }
}

#[test]
fn refresh_token_ttl_out_of_range() {
    let app = TestApp::new().with_var("refresh_token_ttl_seconds", "0");
    let range = "an integer from 1 to 31622400";
    assert_health_names(&app, "refresh_token_ttl_seconds", range);
    assert_eq!(call(&app, register_req("ann@example.com")).status(), 201);
    assert_names(&app, grant_req("ann@example.com"), "refresh_token_ttl_seconds", range, None);
}

#[test]
fn unknown_signup_role() {
    registration_depends_on("signup_role", "root", "reader, editor or admin");
    // Signing in does not depend on it.
    let ok = TestApp::new();
    assert_eq!(call(&ok, register_req("ann@example.com")).status(), 201);
    let mut same_db = ok;
    same_db.config.set("signup_role", "root");
    assert_eq!(call(&same_db, grant_req("ann@example.com")).status(), 200);
}

/// Health names `variable` set to `value`, and registering answers `503` naming it.
fn registration_depends_on(variable: &str, value: &str, expected: &str) {
    let app = TestApp::new().with_var(variable, value);
    assert_health_names(&app, variable, expected);
    assert_names(&app, register_req("ann@example.com"), variable, expected, None);
}

#[test]
fn bad_boolean_for_allow_signup() {
    registration_depends_on("allow_signup", "maybe", "true, false");
}

/// White space is a value, not "unset": a single value with spaces around it, or of spaces
/// only, is refused and named (README, Configuration), never read as the default.
#[test]
fn spaced_single_values_are_refused_not_defaulted() {
    registration_depends_on("allow_signup", " false", "true, false");
    registration_depends_on("allow_signup", "  ", "true, false");
    registration_depends_on("signup_role", " reader ", "reader, editor or admin");
    let app = TestApp::new().with_var("access_token_ttl_seconds", " 900");
    assert_health_names(&app, "access_token_ttl_seconds", "an integer from 1 to 86400");
    // A list may space its entries; spaces alone are an empty list (the first account is admin).
    let app = TestApp::new().with_var("admin_emails", " ");
    assert_eq!(call(&app, get("/api/health")).status(), 200);
    assert_eq!(body_json(&call(&app, register_req("ann@example.com")))["role"], "admin");
}

#[test]
fn admin_emails_that_are_not_addresses() {
    registration_depends_on("admin_emails", "ops@example.com, root@", "e-mail addresses");
    // Separators other than commas are still read.
    let fine = TestApp::new().with_var("admin_emails", "ops@example.com;\nboss@example.com");
    assert_eq!(call(&fine, get("/api/health")).status(), 200);
    let r = call(&fine, register_req("boss@example.com"));
    assert_eq!(body_json(&r)["role"], "admin");
}

#[test]
fn malformed_signing_key_is_named_without_its_value() {
    let secret = "c2VjcmV0LWJ1dC1ub3QtYS1rZXk";
    let app = TestApp::new().with_var("signing_key", secret);
    let forms = "PKCS#8 PEM";
    let (r, logged) = folio_core::log::capture(|| call(&app, get("/api/health")));
    assert!(!format!("{} {logged:?}", String::from_utf8_lossy(r.body())).contains(secret));
    assert_health_names(&app, "signing_key", forms);
    assert_eq!(call(&app, register_req("ann@example.com")).status(), 201);
    assert_names(&app, grant_req("ann@example.com"), "signing_key", forms, Some(secret));
    // No key stored yet: the JWKS has nothing to publish and names the mistake.
    assert_names(&app, get("/.well-known/jwks.json"), "signing_key", forms, Some(secret));
    // Discovery names no key: unaffected.
    let discovery = request("GET", "/.well-known/openid-configuration").header("host", "books.example");
    assert_eq!(call(&app, discovery.body(vec![]).unwrap()).status(), 200);
    // A key templated to a lone new line is a mistake to name, not a request for a generated key.
    for other in ["-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----", "AAAA", "\n", " "] {
        let app = TestApp::new().with_var("signing_key", other);
        let secret = Some(other).filter(|o| !o.trim().is_empty());
        assert_names(&app, get("/.well-known/jwks.json"), "signing_key", forms, secret);
    }
    let app = TestApp::new().with_var("signing_key", "\n");
    assert_health_names(&app, "signing_key", "only white space");
}

/// A `signing_key` mistyped later stops sign-ins, but the tokens in circulation stay good inside
/// the app, so the JWKS keeps publishing the keys that signed them: offline verifiers do not
/// refuse what the app takes while the operator mends the variable.
#[test]
fn a_bad_signing_key_later_leaves_the_published_keys_published() {
    let mut app = TestApp::new();
    let ann = sign_up_and_in(&app, "ann@example.com");
    let kid = header_of(&ann.access)["kid"].as_str().unwrap().to_string();
    app.config.set("signing_key", "c2VjcmV0LWJ1dC1ub3QtYS1rZXk");
    assert_health_names(&app, "signing_key", "PKCS#8 PEM");
    assert_eq!(password_grant(&app, "ann@example.com", PASSWORD).status(), 503, "no sign-in");
    let r = call(&app, get("/.well-known/jwks.json"));
    assert_eq!(r.status(), 200);
    let kids: Vec<String> = body_json(&r)["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_string())
        .collect();
    assert!(kids.contains(&kid), "{kids:?}");
    assert_eq!(me_status(&app, &ann.access).0, 200, "the app takes the token");
}

#[test]
fn token_issuer_and_audience_that_cannot_be_claims() {
    let app = TestApp::new();
    let tokens = sign_up_and_in(&app, "ann@example.com");
    let mut app = app;
    app.config.set("token_issuer", "https://auth.example.com:99999");
    app.config.set("token_audience", " folio-api");
    let body = assert_names(&app, bearer("GET", "/api/auth/me", &tokens.access), "token_issuer", "URI", None);
    assert!(body["detail"].as_str().unwrap().contains("token_audience must be"), "both named at once");
    assert_health_names(&app, "token_audience", "surrounding spaces");
    assert_names(&app, get("/.well-known/openid-configuration"), "token_issuer", "URI", None);
    // A value with a colon is held to RFC 3986's characters: a URL parser alone takes `a:b c`.
    for bad in ["a:b c", "urn:ex ample", "https://auth.example.com/a b", "urn:a\"b", "urn:a<b>"] {
        let app = TestApp::new().with_var("token_audience", bad);
        assert_health_names(&app, "token_audience", "URI");
    }
    for good in ["urn:example:books", "https://auth.example.com/", "folio api"] {
        let app = TestApp::new().with_var("token_audience", good);
        assert_eq!(call(&app, get("/api/health")).status(), 200, "{good}");
    }
}

#[test]
fn cors_origins_that_are_not_origins() {
    let app = TestApp::new().with_var("cors_allowed_origins", "https://app.example.com/books");
    assert_health_names(&app, "cors_allowed_origins", "origins as browsers send them");
    let cross = request("POST", "/api/auth/register")
        .header("origin", "https://app.example.com")
        .header("content-type", "application/json")
        .body(json!({"email": "ann@example.com", "password": PASSWORD}).to_string().into_bytes())
        .unwrap();
    assert_names(&app, cross, "cors_allowed_origins", "origins as browsers send them", None);
    // Without an Origin header the variable is not read.
    assert_eq!(call(&app, register_req("ann@example.com")).status(), 201);
}

#[test]
fn the_books_read_cache_variable_is_checked_by_health() {
    let app = TestApp::new().with_var("book_read_cache_fill_one_in", "-1");
    assert_health_names(&app, "book_read_cache_fill_one_in", "an integer from 0 to 1000");
}

#[test]
fn health_names_every_bad_variable_at_once() {
    let app = TestApp::new().with_var("access_token_ttl_seconds", "0").with_var("allow_signup", "sometimes");
    let body = assert_names(&app, get("/api/health"), "access_token_ttl_seconds", "1 to 86400", None);
    let config = body["checks"]["config"].as_str().unwrap();
    assert!(config.contains("allow_signup must be true, false, yes, no, 1 or 0"), "{config}");
}

/// A bad key beside a bad lifetime of its own group: both named, each once, in one answer.
#[test]
fn health_names_a_bad_signing_key_beside_a_bad_lifetime() {
    let app = TestApp::new().with_var("access_token_ttl_seconds", "0").with_var("signing_key", "not-a-key");
    let body =
        assert_names(&app, get("/api/health"), "access_token_ttl_seconds", "1 to 86400", Some("not-a-key"));
    let names: Vec<&str> =
        body["variables"].as_array().unwrap().iter().map(|v| v["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["access_token_ttl_seconds", "signing_key"]);
}

#[test]
fn the_generator_limits_are_checked_by_health() {
    for (variable, bad) in [("generator_max_books", "-1"), ("generator_books_per_hour", "many")] {
        let app = TestApp::new().with_var(variable, bad);
        assert_health_names(&app, variable, "an integer from 0 to 1000000000");
    }
}
