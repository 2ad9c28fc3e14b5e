//! A bad variable on real Spin (issue 24, item 5): `GET /api/health` answers `503` with
//! `checks.config` naming the variable and what it must be; every route that depends on it
//! answers `503` problem+json naming it (never a secret's value) and logs it once; routes that
//! do not depend on it keep working. One app per variable, started with the bad value in
//! `SPIN_VARIABLE_*`, as an operator would set it.

use folio_blackbox::{book_body, unique_email, Instance, Launch, Resp, PASSWORD};
use serde_json::json;

fn start(variable: &str, value: &str) -> Instance {
    Instance::start(Launch {
        env: vec![(format!("SPIN_VARIABLE_{}", variable.to_uppercase()), value.to_string())],
        ..Launch::default()
    })
}

/// Asserts the misconfiguration problem naming `variable` and `expected`, logged once by
/// `component` for this request, and without `secret`.
fn assert_names(
    instance: &Instance,
    r: &Resp,
    component: &str,
    variable: &str,
    expected: &str,
    secret: Option<&str>,
) {
    let body = r.problem(503);
    assert_eq!(r.header("x-folio-component"), Some(component), "{body}");
    assert!(body["variables"].as_array().unwrap().iter().any(|v| v["name"] == variable), "{body}");
    let detail = body["detail"].as_str().unwrap();
    assert!(detail.contains(&format!("{variable} must be")) && detail.contains(expected), "{detail}");
    let id = r.header("x-request-id").expect("a request id");
    let lines = instance.log_of_request(component, id);
    assert!(!lines.is_empty(), "no log line for request {id} in {component}'s log");
    let said: Vec<_> = lines.iter().filter(|l| l["event"] == "configuration_invalid").collect();
    assert_eq!(said.len(), 1, "logged once for the request: {lines:?}");
    // The event line names its request and when it came, as the request line does.
    assert_eq!(said[0]["request_id"], id, "{lines:?}");
    assert!(said[0]["ts"].as_str().is_some_and(|ts| ts.ends_with('Z')), "{lines:?}");
    assert!(said[0]["variables"].to_string().contains(variable), "{lines:?}");
    if let Some(secret) = secret {
        assert!(!r.text().contains(secret), "the answer leaks the secret");
        assert!(!instance.log(component).contains(secret), "the log leaks the secret");
    }
}

fn health_names(instance: &Instance, variable: &str, expected: &str) {
    let r = instance.app.get("/api/health");
    assert_names(instance, &r, "auth", variable, expected, None);
    let config = r.json()["checks"]["config"].as_str().unwrap().to_string();
    assert!(config.contains(&format!("{variable} must be")) && config.contains(expected), "{config}");
}

fn register(instance: &Instance, email: &str) -> Resp {
    instance.app.json("POST", "/api/auth/register", None, &json!({"email": email, "password": PASSWORD}))
}

fn password_grant(instance: &Instance, email: &str) -> Resp {
    instance.app.json(
        "POST",
        "/api/auth/token",
        None,
        &json!({"grant_type": "password", "username": email, "password": PASSWORD}),
    )
}

#[test]
fn access_token_ttl_of_zero_seconds() {
    let instance = start("access_token_ttl_seconds", "0");
    let range = "an integer from 1 to 86400";
    health_names(&instance, "access_token_ttl_seconds", range);
    let email = unique_email("ttl");
    assert_eq!(register(&instance, &email).status, 201, "registration does not depend on it");
    assert_names(
        &instance,
        &password_grant(&instance, &email),
        "auth",
        "access_token_ttl_seconds",
        range,
        None,
    );
    let jwks = instance.app.get("/.well-known/jwks.json");
    assert_names(&instance, &jwks, "auth", "access_token_ttl_seconds", range, None);
}

#[test]
fn refresh_token_ttl_that_is_not_a_number() {
    let instance = start("refresh_token_ttl_seconds", "a month");
    let range = "an integer from 1 to 31622400";
    health_names(&instance, "refresh_token_ttl_seconds", range);
    let email = unique_email("refresh-ttl");
    assert_eq!(register(&instance, &email).status, 201);
    assert_names(
        &instance,
        &password_grant(&instance, &email),
        "auth",
        "refresh_token_ttl_seconds",
        range,
        None,
    );
}

/// An app whose `variable` is `value`: health names it, and registering answers `503` naming it.
fn registration_depends_on(variable: &str, value: &str, expected: &str) {
    let instance = start(variable, value);
    health_names(&instance, variable, expected);
    let r = register(&instance, &unique_email(variable));
    assert_names(&instance, &r, "auth", variable, expected, None);
}

#[test]
fn unknown_signup_role() {
    registration_depends_on("signup_role", "root", "reader, editor or admin");
}

#[test]
fn allow_signup_that_is_not_a_boolean() {
    registration_depends_on("allow_signup", "maybe", "true, false");
}

#[test]
fn admin_emails_that_are_not_addresses() {
    registration_depends_on("admin_emails", "ops@example.com, root@", "e-mail addresses");
}

#[test]
fn malformed_signing_key_is_named_without_its_value() {
    let secret = "bm90LWEtcmVhbC1rZXktYnV0LXNlY3JldA";
    let instance = start("signing_key", secret);
    health_names(&instance, "signing_key", "PKCS#8 PEM");
    let email = unique_email("key");
    assert_eq!(register(&instance, &email).status, 201);
    let grant = password_grant(&instance, &email);
    assert_names(&instance, &grant, "auth", "signing_key", "PKCS#8 PEM", Some(secret));
    let jwks = instance.app.get("/.well-known/jwks.json");
    assert_names(&instance, &jwks, "auth", "signing_key", "PKCS#8 PEM", Some(secret));
    assert_eq!(instance.app.get("/.well-known/openid-configuration").status, 200, "names no key");
}

/// A placeholder of zeros decodes to a seed Ed25519 refuses: named before any route uses it (it
/// once passed health and then made every sign-in a trap's empty 500).
#[test]
fn an_all_zero_signing_key_is_named_not_a_crash() {
    let instance = start("signing_key", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
    health_names(&instance, "signing_key", "all-zero seed");
    let email = unique_email("zero-key");
    assert_eq!(register(&instance, &email).status, 201);
    assert_names(&instance, &password_grant(&instance, &email), "auth", "signing_key", "all-zero seed", None);
    let jwks = instance.app.get("/.well-known/jwks.json");
    assert_names(&instance, &jwks, "auth", "signing_key", "all-zero seed", None);
}

/// A Secret templated to a lone new line is named, not taken for "unset" (which would sign with
/// a generated key while the operator believes theirs is in use).
#[test]
fn a_signing_key_of_white_space_is_named_not_replaced_by_a_generated_one() {
    let instance = start("signing_key", "\n");
    health_names(&instance, "signing_key", "only white space");
    let email = unique_email("blank-key");
    assert_eq!(register(&instance, &email).status, 201);
    assert_names(&instance, &password_grant(&instance, &email), "auth", "signing_key", "white space", None);
}

/// A single value with spaces around it is refused, as the README says, not trimmed: here a
/// sign-up closed by " false" would otherwise have been read as closed or open by accident.
#[test]
fn a_spaced_yes_no_value_is_refused() {
    registration_depends_on("allow_signup", " false", "true, false");
}

#[test]
fn token_issuer_that_is_not_a_uri_stops_every_token_check() {
    let instance = start("token_issuer", "https://auth.example.com:99999");
    health_names(&instance, "token_issuer", "URI");
    // Every component checks tokens against the issuer: each answers 503 naming it.
    for (path, component) in
        [("/api/books", "books"), ("/api/reports", "reports"), ("/api/generator/runs", "generator")]
    {
        let r = instance.app.with_token("GET", path, "any.token.at-all");
        assert_names(&instance, &r, component, "token_issuer", "URI", None);
    }
}

/// `localhost:3000` parses as a URI (the scheme `localhost`), but its writer meant an origin and
/// forgot the scheme: refused, as the issuer the discovery document would publish.
#[test]
fn token_issuer_written_as_host_and_port_is_refused() {
    let instance = start("token_issuer", "localhost:3000");
    health_names(&instance, "token_issuer", "not a host and port");
}

#[test]
fn token_audience_with_surrounding_spaces() {
    let instance = start("token_audience", " folio-api");
    health_names(&instance, "token_audience", "surrounding spaces");
    let r = instance.app.with_token("GET", "/api/auth/me", "any.token.at-all");
    assert_names(&instance, &r, "auth", "token_audience", "surrounding spaces", None);
}

#[test]
fn cors_origins_that_are_not_origins() {
    let instance = start("cors_allowed_origins", "app.example.com");
    let expected = "origins as browsers send them";
    health_names(&instance, "cors_allowed_origins", expected);
    let cross = instance.app.call("GET", "/api/books", &[("origin", "https://app.example.com")], b"");
    assert_names(&instance, &cross, "books", "cors_allowed_origins", expected, None);
    // Same-origin requests (no Origin header) do not read it.
    assert_eq!(instance.app.get("/api/books").status, 401);
}

/// A wildcard subdomain is the likeliest mistake: no browser sends `*` in an origin, so it
/// would pass and never match. It is named like any other bad origin.
#[test]
fn a_wildcard_subdomain_origin_is_refused() {
    let instance = start("cors_allowed_origins", "https://*.example.com");
    let expected = "no wildcard";
    health_names(&instance, "cors_allowed_origins", expected);
    let cross = instance.app.call("GET", "/api/books", &[("origin", "https://a.example.com")], b"");
    assert_names(&instance, &cross, "books", "cors_allowed_origins", expected, None);
}

/// `*` among listed origins: the operator meant a list, so it is refused rather than read as
/// "every site may call the API".
#[test]
fn a_wildcard_beside_origins_is_refused_not_read_as_any() {
    let instance = start("cors_allowed_origins", "*,https://app.example.com");
    let expected = "* alone";
    health_names(&instance, "cors_allowed_origins", expected);
    let cross = instance.app.call("GET", "/api/books", &[("origin", "https://evil.example")], b"");
    assert_names(&instance, &cross, "books", "cors_allowed_origins", expected, None);
    assert_eq!(cross.header("access-control-allow-origin"), None);
}

#[test]
fn book_read_cache_fill_out_of_range() {
    let instance = start("book_read_cache_fill_one_in", "-1");
    let range = "an integer from 0 to 1000";
    health_names(&instance, "book_read_cache_fill_one_in", range);
    let tokens = instance.app.login(&unique_email("cache"));
    let created = instance.app.json("POST", "/api/books", Some(&tokens.access), &book_body("Cached"));
    assert_eq!(created.status, 201, "writing books does not depend on it: {}", created.text());
    let id = created.json()["id"].as_str().unwrap().to_string();
    let r = instance.app.with_token("GET", &format!("/api/books/{id}"), &tokens.access);
    assert_names(&instance, &r, "books", "book_read_cache_fill_one_in", range, None);
}

/// Key rotation with a `signing_key` the app cannot use names the variable (`503`), as every
/// route that signs does, rather than `409` ("the key comes from the variable"), which told the
/// operator the key was fine. The administrator's token is from before the variable was set.
#[test]
fn rotating_beside_a_malformed_signing_key_names_the_variable() {
    let mut instance = folio_blackbox::Instance::start(folio_blackbox::Launch::default());
    let admin = instance.app.admin().access;
    let secret = "bm90LWEtcmVhbC1rZXktYnV0LXNlY3JldA";
    instance.restart_with_variable("signing_key", secret);
    let rotated = instance.app.with_token("POST", "/api/auth/keys/rotate", &admin);
    assert_names(&instance, &rotated, "auth", "signing_key", "PKCS#8 PEM", Some(secret));
    // The keys stored before stay published: the tokens they signed stay good in the app, so
    // offline verifiers must keep taking them while the operator mends the variable.
    let jwks = instance.app.get("/.well-known/jwks.json");
    assert_eq!(jwks.status, 200, "{}", jwks.text());
    let kid = {
        use base64::Engine as _;
        let header = admin.split('.').next().unwrap();
        let header = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(header).unwrap();
        serde_json::from_slice::<serde_json::Value>(&header).unwrap()["kid"].as_str().unwrap().to_string()
    };
    assert!(
        jwks.json()["keys"].as_array().unwrap().iter().any(|k| k["kid"] == kid.as_str()),
        "{}",
        jwks.text()
    );
    assert_eq!(instance.app.with_token("GET", "/api/auth/me", &admin).status, 200);
}

/// A short lifetime is what a test of expiry sets: a two-second access token works, is refused
/// `401 invalid_token` once its `exp` and the routes' 5 s of leeway have passed, and introspects
/// inactive from `exp` on; its refresh token still signs the session in again.
#[test]
fn a_two_second_access_token_expires() {
    let instance = start("access_token_ttl_seconds", "2");
    let app = &instance.app;
    let tokens = app.login(&unique_email("short-ttl"));
    assert_eq!(app.with_token("GET", "/api/books", &tokens.access).status, 200);
    std::thread::sleep(std::time::Duration::from_millis(2_500));
    let fresh = app.login(&tokens.email);
    let r = app.json("POST", "/api/auth/introspect", Some(&fresh.access), &json!({"token": tokens.access}));
    assert_eq!(r.json(), json!({"active": false}), "past exp");
    std::thread::sleep(std::time::Duration::from_millis(5_000));
    let r = app.with_token("GET", "/api/books", &tokens.access);
    assert_eq!(r.status, 401, "{}", r.text());
    assert!(r.header("www-authenticate").unwrap_or_default().contains("invalid_token"));
    let r = app.call(
        "POST",
        "/api/auth/token",
        &[("content-type", "application/x-www-form-urlencoded")],
        format!("grant_type=refresh_token&refresh_token={}", tokens.refresh).as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["expires_in"], 2);
}

/// The settings in effect on real Spin, for an administrator: the variable set through Spin's
/// environment shows, the default of one that is not set shows, no secret shows.
#[test]
fn status_lists_the_settings_in_effect_for_an_administrator() {
    let instance = start("signup_role", "reader");
    let admin = instance.app.admin();
    let r = instance.app.with_token("GET", "/api/status", &admin.access);
    assert_eq!(r.status, 200, "{}", r.text());
    let settings = r.json()["settings"].clone();
    assert_eq!(settings["signup_role"], "reader", "{settings}");
    assert_eq!(settings["allow_signup"], true, "the default: {settings}");
    assert_eq!(settings["access_token_ttl_seconds"], 900);
    assert!(matches!(settings["signing_key"].as_str(), Some("generated" | "variable")), "{settings}");
}
