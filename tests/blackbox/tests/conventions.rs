//! The contract's conventions over HTTP: health, problem+json, 404/405, the UI fallback.

use folio_blackbox::app;

#[test]
fn health_reports_both_stores() {
    let r = app().get("/api/health");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"));
    let body = r.json();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["checks"]["sqlite"], "ok");
    assert_eq!(body["checks"]["kv"], "ok");
    assert!(body["version"].is_string());
}

#[test]
fn health_answers_head_without_a_body() {
    let r = app().call("HEAD", "/api/health", &[], b"");
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty());
}

#[test]
fn unknown_api_paths_are_404_problems_wherever_they_land() {
    // One path per component, and one that no API route matches (it reaches the UI component).
    for path in [
        "/api/nothing",
        "/api/auth/nothing",
        "/api/books/a/b/c",
        "/api/generator/nothing",
        "/api/reports/nothing",
        "/api",
    ] {
        let r = app().get(path);
        let body = r.problem(404);
        assert!(!body["detail"].as_str().unwrap_or("").is_empty(), "{path}");
        // Every component's answers forbid content sniffing, errors included.
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"), "{path}");
    }
}

#[test]
fn wrong_method_is_405_with_allow() {
    let r = app().call("POST", "/api/health", &[], b"");
    r.problem(405);
    let allow = r.header("allow").expect("Allow header");
    assert!(allow.contains("GET"), "{allow}");
}

/// `OPTIONS` asks what a resource allows (RFC 9110 §9.3.7): every component answers it with
/// `204` and `Allow`, with or without a token, and lists it in every `405`'s `Allow`.
#[test]
fn options_is_answered_with_allow_everywhere() {
    for (path, allow) in [
        ("/api/health", "GET, HEAD, OPTIONS"),
        ("/api/auth/token", "POST, OPTIONS"),
        ("/api/books", "GET, POST, HEAD, OPTIONS"),
        ("/api/books/anything", "GET, PUT, PATCH, DELETE, HEAD, OPTIONS"),
        ("/api/generator/runs", "POST, GET, HEAD, OPTIONS"),
        ("/api/reports/summary", "GET, HEAD, OPTIONS"),
        ("/", "GET, HEAD, OPTIONS"),
    ] {
        let r = app().call("OPTIONS", path, &[], b"");
        assert_eq!(r.status, 204, "{path}: {}", r.text());
        assert_eq!(r.header("allow"), Some(allow), "{path}");
        assert!(r.body.is_empty(), "{path}");
        // RFC 5789 §3.1: a resource that takes PATCH says in what format.
        let patch = allow.contains("PATCH").then_some("application/merge-patch+json");
        assert_eq!(r.header("accept-patch"), patch, "{path}");
    }
    for path in ["/api/auth/me", "/api/auth/users/anyone"] {
        let r = app().call("OPTIONS", path, &[], b"");
        assert_eq!(r.header("accept-patch"), Some("application/merge-patch+json"), "{path}");
    }
    assert_eq!(app().call("OPTIONS", "/api/nothing", &[], b"").status, 404, "an unknown path stays unknown");
    let r = app().call("DELETE", "/api/health", &[], b"");
    assert_eq!(r.header("allow"), Some("GET, HEAD, OPTIONS"));
}

/// A request that needs a body and sent none (and so no Content-Type) is told the body is
/// missing (`400`), not that its media type is wrong (`415`): there was none.
#[test]
fn a_missing_body_is_400_not_415() {
    let token = app().login(&folio_blackbox::unique_email("no-body")).access;
    for (method, path) in
        [("POST", "/api/books"), ("DELETE", "/api/auth/me"), ("POST", "/api/generator/runs")]
    {
        let r = app().with_token(method, path, &token);
        let body = r.problem(400);
        assert!(body["detail"].as_str().unwrap().contains("needs a body"), "{path}: {body}");
    }
    // A body with the wrong media type is still 415.
    let r = app().call(
        "POST",
        "/api/books",
        &[("authorization", &format!("Bearer {token}")), ("content-type", "text/plain")],
        b"{}",
    );
    r.problem(415);
}

/// A compressed body is `415` naming the coding accepted (RFC 7694), not read as if it were
/// plain; every bad member of a body is named in one `422`.
#[test]
fn coded_bodies_are_415_and_every_bad_member_is_named() {
    let token = app().login(&folio_blackbox::unique_email("coding")).access;
    let body = serde_json::to_vec(&folio_blackbox::book_body("Coded")).unwrap();
    let r = app().call(
        "POST",
        "/api/books",
        &[
            ("authorization", &format!("Bearer {token}")),
            ("content-type", "application/json"),
            ("content-encoding", "gzip"),
        ],
        &body,
    );
    r.problem(415);
    assert_eq!(r.header("accept-encoding"), Some("identity"));
    let r = app().json(
        "POST",
        "/api/auth/register",
        None,
        &serde_json::json!({"email": "x", "password": "y", "name": 5, "foo": 1}),
    );
    let problem = r.problem(422);
    let fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["email", "password", "name", "foo"], "{problem}");
    let r = app().json(
        "POST",
        "/api/generator/runs",
        Some(&token),
        &serde_json::json!({"count": "x", "seed": -1}),
    );
    assert_eq!(r.problem(422)["errors"].as_array().unwrap().len(), 2);
}

/// An answer made for a bearer is that bearer's: every authenticated answer says so
/// (`private`), and a `304` carries what its `200` did (RFC 9110 §15.4.5).
#[test]
fn authenticated_answers_are_private_everywhere() {
    let token = app().login(&folio_blackbox::unique_email("private")).access;
    for path in ["/api/generator/runs", "/api/generator/preview?count=1", "/api/reports", "/api/books"] {
        let r = app().with_token("GET", path, &token);
        assert_eq!(r.status, 200, "{path}");
        let cache = r.header("cache-control").unwrap_or_default().to_string();
        assert!(cache.contains("private") || cache.contains("no-store"), "{path}: {cache:?}");
    }
    let created = app().json("POST", "/api/books", Some(&token), &folio_blackbox::book_body("Private"));
    let id = created.json()["id"].as_str().unwrap().to_string();
    let first = app().with_token("GET", &format!("/api/books/{id}"), &token);
    let etag = first.header("etag").unwrap().to_string();
    let again = app().call(
        "GET",
        &format!("/api/books/{id}"),
        &[("authorization", &format!("Bearer {token}")), ("if-none-match", &etag)],
        b"",
    );
    assert_eq!(again.status, 304);
    assert_eq!(again.header("cache-control"), first.header("cache-control"));
}

#[test]
fn the_ui_is_served_for_non_api_paths() {
    // An address the app has no page for is the app too (it says "Page not found"), and a dot in
    // a book's id does not make its address a file.
    for path in ["/", "/books", "/books/a.b", "/books/a.js", "/some/client/route", "/nope.b"] {
        let r = app().get(path);
        assert_eq!(r.status, 200, "{path}");
        assert!(r.header("content-type").unwrap_or("").starts_with("text/html"), "{path}");
    }
    // A missing file is not: a broken script or icon reference fails loudly.
    for path in ["/assets/nope.js", "/favicon.ico"] {
        let r = app().get(path);
        assert_eq!(r.status, 404, "{path}");
        assert!(r.header("content-type").unwrap_or("").starts_with("application/problem+json"), "{path}");
    }
}

/// Hidden names are no page of the app: a scanner's probe for `/.git/config` or `/.env` gets a
/// `404` problem, not the app's page that reads as a file found.
#[test]
fn hidden_paths_are_not_found_rather_than_the_app_page() {
    for path in ["/.git/config", "/.env", "/backup/.htpasswd"] {
        let r = app().get(path);
        assert_eq!(r.problem(404)["status"], 404, "{path}");
        assert!(!r.text().contains("<html"), "{path}");
    }
}

#[test]
fn path_traversal_does_not_escape_the_ui_files() {
    for path in ["/../spin.toml", "/%2e%2e/spin.toml", "/static/../../Cargo.toml"] {
        let r = app().get(path);
        assert!(!r.text().contains("[workspace]") && !r.text().contains("spin_manifest_version"), "{path}");
    }
}

#[test]
fn missing_assets_are_404() {
    assert_eq!(app().get("/no-such-file.js").status, 404);
}

#[test]
fn api_answers_vary_by_origin_with_or_without_one() {
    // Public, cacheable answers (the OpenAPI document, the JWKS, discovery) differ by Origin when
    // CORS is configured; a shared cache must not serve one made without an Origin to a browser
    // that sent one. Every API component says so on every answer.
    for path in
        ["/api/openapi.json", "/.well-known/jwks.json", "/.well-known/openid-configuration", "/api/books"]
    {
        for headers in [&[][..], &[("origin", "https://elsewhere.example")][..]] {
            let r = app().call("GET", path, headers, b"");
            let vary: Vec<&str> = r.headers.get_all("vary").iter().filter_map(|v| v.to_str().ok()).collect();
            assert!(vary.iter().any(|v| v.eq_ignore_ascii_case("origin")), "{path} {headers:?}: {vary:?}");
        }
    }
}

#[test]
fn a_stray_api_path_answers_an_allowed_origin_with_cors_like_every_api_answer() {
    // `/api/nope` matches no API component's route, so Spin hands it to the UI's catch-all; a
    // browser on an allowed origin must still be able to read the 404 (and send its preflight).
    let instance = folio_blackbox::Instance::start(folio_blackbox::Launch {
        env: vec![("SPIN_VARIABLE_CORS_ALLOWED_ORIGINS".into(), "https://app.example.com".into())],
        ..folio_blackbox::Launch::default()
    });
    let origin = [("origin", "https://app.example.com")];
    for path in ["/api/nope", "/api", "/api/health/x"] {
        let r = instance.app.call("GET", path, &origin, b"");
        r.problem(404);
        assert_eq!(r.header("x-folio-component"), Some("ui"), "{path}");
        assert_eq!(r.header("access-control-allow-origin"), Some("https://app.example.com"), "{path}");
    }
    let preflight = instance.app.call(
        "OPTIONS",
        "/api/nope",
        &[("origin", "https://app.example.com"), ("access-control-request-method", "GET")],
        b"",
    );
    assert_eq!(preflight.status, 204);
    assert!(preflight.header("access-control-allow-methods").is_some());
    // A known path's preflight names that path's methods, as its Allow does.
    for (path, methods) in [
        ("/api/books", "GET, POST, HEAD, OPTIONS"),
        ("/api/reports/summary", "GET, HEAD, OPTIONS"),
        ("/api/auth/token", "POST, OPTIONS"),
    ] {
        let r = instance.app.call(
            "OPTIONS",
            path,
            &[("origin", "https://app.example.com"), ("access-control-request-method", "POST")],
            b"",
        );
        assert_eq!(r.status, 204, "{path}");
        assert_eq!(r.header("allow"), Some(methods), "{path}");
        assert_eq!(r.header("access-control-allow-methods"), Some(methods), "{path}");
        assert_eq!(r.header("access-control-allow-origin"), Some("https://app.example.com"), "{path}");
    }
    // A disallowed origin's preflight is a plain OPTIONS: Allow, no CORS.
    let r = instance.app.call(
        "OPTIONS",
        "/api/books",
        &[("origin", "https://evil.example"), ("access-control-request-method", "POST")],
        b"",
    );
    assert_eq!((r.status, r.header("access-control-allow-origin")), (204, None));
    // A UI file that does not exist is a 404 for OPTIONS as for GET.
    assert_eq!(instance.app.call("OPTIONS", "/assets/nope.js", &[], b"").status, 404);
    // The UI's own pages stay same-origin.
    assert_eq!(instance.app.call("GET", "/", &origin, b"").header("access-control-allow-origin"), None);
}

/// The request log repeats no token and no e-mail address that a client put in a path (the
/// README's promise for every line): such segments are logged as `<redacted>`, and the app's
/// own ids are logged as sent.
#[test]
fn tokens_and_addresses_in_paths_stay_out_of_the_request_log() {
    let instance = folio_blackbox::Instance::start(folio_blackbox::Launch::default());
    let admin = instance.app.admin();
    let address = "someone.else@example.org";
    let by_address = instance.app.with_token("GET", &format!("/api/auth/users/{address}"), &admin.access);
    let by_token = instance.app.with_token("GET", &format!("/api/books/{}", admin.refresh), &admin.access);
    let by_id = instance.app.with_token("GET", "/api/books/01jc8f1x2y3z4a5b6c7d8e9f0g", &admin.access);
    for (r, component) in [(&by_address, "auth"), (&by_token, "books"), (&by_id, "books")] {
        assert_eq!(r.status, 404, "{}", r.text());
        let id = r.header("x-request-id").expect("a request id");
        assert!(!instance.log_of_request(component, id).is_empty(), "no line for {id}");
    }
    let (auth_log, books_log) = (instance.log("auth"), instance.log("books"));
    assert!(!auth_log.contains(address) && !auth_log.contains("%40"), "{auth_log}");
    assert!(!books_log.contains(&admin.refresh), "the refresh token is in the log");
    assert!(books_log.contains("\"/api/books/<redacted>\""), "{books_log}");
    assert!(books_log.contains("01jc8f1x2y3z4a5b6c7d8e9f0g"), "ids are logged as sent");
}
