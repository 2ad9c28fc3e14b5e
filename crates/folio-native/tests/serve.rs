//! The conventions `folio_core::serve` applies to every route: request ids, CORS, HEAD, logs.

use folio_core::{serve, settings, ApiError, ConfigError, Host, Request, Response};
use folio_native::{request, TestApp};

fn ok_handler(host: &Host, req: Request) -> Response {
    serve::serve(host, req, |_, _| {
        Ok(folio_core::http_util::json(http::StatusCode::OK, &serde_json::json!({"a": 1})))
    })
}

fn failing_handler(host: &Host, req: Request) -> Response {
    serve::serve(host, req, |_, _| Err(ApiError::NotFound("nothing".into())))
}

#[test]
fn generates_a_request_id_or_echoes_a_sane_one() {
    let app = TestApp::new();
    let r = app.call(ok_handler, request("GET", "/x").body(vec![]).unwrap());
    let generated = r.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(generated.len(), 26);
    let r =
        app.call(ok_handler, request("GET", "/x").header("x-request-id", "abc-123").body(vec![]).unwrap());
    assert_eq!(r.headers()["x-request-id"], "abc-123");
    // Something that could forge log lines is replaced, not echoed.
    let r = app.call(ok_handler, request("GET", "/x").header("x-request-id", "a\"b{}").body(vec![]).unwrap());
    assert_ne!(r.headers()["x-request-id"], "a\"b{}");
    // Errors carry it too.
    let r =
        app.call(failing_handler, request("GET", "/x").header("x-request-id", "e-1").body(vec![]).unwrap());
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["x-request-id"], "e-1");
}

#[test]
fn every_answer_forbids_content_sniffing() {
    let app = TestApp::new();
    for handler in [ok_handler, failing_handler] {
        let r = app.call(handler, request("GET", "/x").body(vec![]).unwrap());
        assert_eq!(r.headers()["x-content-type-options"], "nosniff", "{}", r.status());
        assert_eq!(r.headers().get_all("x-content-type-options").iter().count(), 1);
    }
}

#[test]
fn head_drops_the_body_but_keeps_headers() {
    let app = TestApp::new();
    let r = app.call(ok_handler, request("HEAD", "/x").body(vec![]).unwrap());
    assert!(r.body().is_empty());
    assert_eq!(r.headers()["content-type"], "application/json");
    // The GET's length (`{"a":1}`), which the edge then declares without sending a body.
    assert_eq!(r.headers()["content-length"], "7");
}

#[test]
fn head_declares_no_length_for_a_not_modified_or_no_content_answer() {
    fn empty(status: http::StatusCode) -> folio_core::ApiResult {
        let mut r = Response::new(Vec::new());
        *r.status_mut() = status;
        Ok(r)
    }
    fn not_modified(host: &Host, req: Request) -> Response {
        serve::serve(host, req, |_, _| empty(http::StatusCode::NOT_MODIFIED))
    }
    fn no_content(host: &Host, req: Request) -> Response {
        serve::serve(host, req, |_, _| empty(http::StatusCode::NO_CONTENT))
    }
    let app = TestApp::new();
    for handler in [not_modified as folio_native::Handler, no_content] {
        let r = app.call(handler, request("HEAD", "/x").body(vec![]).unwrap());
        assert!(r.headers().get("content-length").is_none(), "{}", r.status());
    }
}

#[test]
fn no_cors_headers_unless_configured() {
    let app = TestApp::new();
    let r = app.call(
        ok_handler,
        request("GET", "/x").header("origin", "https://evil.example").body(vec![]).unwrap(),
    );
    assert!(r.headers().get("access-control-allow-origin").is_none());
}

#[test]
fn cors_allows_listed_origins_only() {
    let app =
        TestApp::new().with_var("cors_allowed_origins", "https://app.example.com, https://admin.example.com");
    let r = app.call(
        ok_handler,
        request("GET", "/x").header("origin", "https://app.example.com").body(vec![]).unwrap(),
    );
    assert_eq!(r.headers()["access-control-allow-origin"], "https://app.example.com");
    let exposed = r.headers()["access-control-expose-headers"].to_str().unwrap();
    assert!(exposed.contains("etag") && exposed.contains("content-disposition"), "{exposed}");
    assert_eq!(r.headers()["vary"], "origin");
    assert!(r.headers().get("access-control-allow-credentials").is_none());
    let r = app.call(
        ok_handler,
        request("GET", "/x").header("origin", "https://evil.example").body(vec![]).unwrap(),
    );
    assert!(r.headers().get("access-control-allow-origin").is_none());
    // Every answer says it depends on Origin, with or without one, so that a shared cache never
    // hands an answer without CORS headers to an allowed origin.
    for req in [
        request("GET", "/x").body(vec![]).unwrap(),
        request("GET", "/x").header("origin", "https://evil.example").body(vec![]).unwrap(),
    ] {
        let r = app.call(ok_handler, req);
        assert_eq!(r.headers().get_all("vary").iter().collect::<Vec<_>>(), ["origin"]);
    }
}

#[test]
fn a_malformed_origin_list_answers_cross_origin_requests_503_naming_it_once() {
    let app = TestApp::new().with_var("cors_allowed_origins", "https://app.example.com/, app2.example.com");
    let cross = || request("GET", "/x").header("origin", "https://app.example.com").body(vec![]).unwrap();
    let (r, logged) = folio_core::log::capture(|| app.call(ok_handler, cross()));
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    assert!(r.headers().get("access-control-allow-origin").is_none());
    assert!(r.headers().contains_key("x-request-id"));
    let body = folio_native::body_json(&r);
    assert_eq!(body["variables"][0]["name"], "cors_allowed_origins");
    assert!(body["detail"].as_str().unwrap().contains("cors_allowed_origins must be"), "{body}");
    let events: Vec<&str> = logged.iter().filter_map(|l| l["event"].as_str()).collect();
    assert_eq!(events, ["configuration_invalid", "request"], "one config line per request");
    // A preflight meets the same answer; a request without Origin never reads the variable.
    let preflight = request("OPTIONS", "/x")
        .header("origin", "https://app.example.com")
        .header("access-control-request-method", "PUT")
        .body(vec![])
        .unwrap();
    assert_eq!(app.call(ok_handler, preflight).status(), 503);
    assert_eq!(app.call(ok_handler, request("GET", "/x").body(vec![]).unwrap()).status(), 200);
}

#[test]
fn cors_preflight_is_answered_without_running_the_route() {
    let app = TestApp::new().with_var("cors_allowed_origins", "*");
    let r = app.call(
        failing_handler,
        request("OPTIONS", "/x")
            .header("origin", "https://any.example")
            .header("access-control-request-method", "PUT")
            .body(vec![])
            .unwrap(),
    );
    assert_eq!(r.status(), 204);
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    let allowed = r.headers()["access-control-allow-headers"].to_str().unwrap();
    for header in ["authorization", "content-type", "if-match", "traceparent", "tracestate", "cache-control"]
    {
        assert!(allowed.split(", ").any(|h| h == header), "{header}: {allowed}");
    }
    assert!(r.headers().get("access-control-allow-credentials").is_none());
}

#[test]
fn log_lines_never_carry_queries_headers_or_bodies() {
    let req = request("POST", "/api/auth/token?password=hunter22")
        .header("authorization", "Bearer secret-token")
        .body(b"password=hunter22".to_vec())
        .unwrap();
    let line = serde_json::to_string(&serve::log_line(&req, 200, 1_000, 1_012, "rid")).unwrap();
    for secret in ["hunter22", "secret-token"] {
        assert!(!line.contains(secret), "{line}");
    }
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["path"], "/api/auth/token");
    assert_eq!(v["status"], 200);
    assert_eq!(v["duration_ms"], 12);
    assert_eq!(v["request_id"], "rid");
    assert_eq!(v["method"], "POST");
    assert_eq!(v["event"], "request");
    assert_eq!(v["level"], "info");
    assert_eq!(v["route"], "/api/auth/token", "natively the path stands in for Spin's route");
    assert_eq!(v["ts"], "1970-01-01T00:00:01.000Z");
    assert_eq!(v.as_object().unwrap().len(), 9, "nothing else: {line}");
    let failed = serde_json::to_string(&serve::log_line(&req, 503, 1_000, 1_000, "rid")).unwrap();
    assert!(failed.contains(r#""level":"error""#), "{failed}");
}

#[test]
fn yes_no_variables_parse_strictly_with_a_default() {
    let app = TestApp::new()
        .with_var("on", "YES")
        .with_var("off", "0")
        .with_var("empty", "")
        .with_var("typo", "ture")
        .with_var("spaced", " false")
        .with_var("blank", "  ");
    app.with_host(|h| {
        assert_eq!(h.var_bool("on", false), Ok(true));
        assert_eq!(h.var_bool("off", true), Ok(false));
        assert_eq!(h.var_bool("empty", true), Ok(true), "empty means the default");
        assert_eq!(h.var_bool("undefined", false), Ok(false));
        // White space is a value, not "unset": refused, like the README says.
        for name in ["typo", "spaced", "blank"] {
            let e = h.var_bool(name, true).unwrap_err();
            assert_eq!(e.to_string(), format!("variable {name} must be true, false, yes, no, 1 or 0"));
            assert_eq!(ApiError::from(e).status(), 503, "a misconfiguration, not the client's fault");
        }
    });
}

#[test]
fn integer_variables_are_bounded_plain_decimals_with_a_default() {
    let app = TestApp::new()
        .with_var("n", "12")
        .with_var("zero", "0")
        .with_var("big", "1001")
        .with_var("word", "ten")
        .with_var("spaced", " 12 ")
        .with_var("blank", " ")
        .with_var("signed", "+12")
        .with_var("padded", "012")
        .with_var("empty", "");
    app.with_host(|h| {
        assert_eq!(h.var_int("n", 1, 0, 1000), Ok(12));
        assert_eq!(h.var_int("zero", 1, 0, 1000), Ok(0));
        assert_eq!(h.var_int("empty", 7, 0, 1000), Ok(7));
        assert_eq!(h.var_int("undefined", 7, 0, 1000), Ok(7));
        for name in ["big", "word", "spaced", "blank", "signed", "padded"] {
            let e = h.var_int(name, 7, 0, 1000).unwrap_err();
            assert_eq!(e.to_string(), format!("variable {name} must be an integer from 0 to 1000"));
        }
    });
}

#[test]
fn claim_variables_are_names_or_uris() {
    for ok in
        ["folio", "My App", "https://auth.example.com", "https://auth.example.com/realm", "urn:example:folio"]
    {
        let app = TestApp::new().with_var("token_issuer", ok);
        assert_eq!(app.with_host(|h| settings::claim_text(h, "token_issuer", "folio")).as_deref(), Ok(ok));
    }
    let app = TestApp::new().with_var("token_issuer", "");
    assert_eq!(app.with_host(|h| settings::claim_text(h, "token_issuer", "folio")).as_deref(), Ok("folio"));
    for bad in [
        " folio",
        "folio\u{7}",
        "https://auth.example.com:99999",
        "https://",
        &"x".repeat(257),
        // Published in every token and in discovery: no credentials, no query, no fragment.
        "https://user:pw@auth.example.com",
        "https://auth.example.com?x=1",
        "https://auth.example.com#f",
        // One value: a list would be one claim nobody's verifier expects.
        "folio-api,other",
    ] {
        let app = TestApp::new().with_var("token_issuer", bad);
        match app.with_host(|h| settings::claim_text(h, "token_issuer", "folio")) {
            Err(ConfigError::Invalid(list)) => assert_eq!(list[0].name, "token_issuer"),
            other => panic!("{bad:?}: {other:?}"),
        }
    }
    // An http(s) issuer is the origin verifiers discover and compare: canonical, no path.
    for bad in ["https://auth.example.com/realm", "HTTPS://Auth.example.com", "https://auth.example.com:443"]
    {
        let app = TestApp::new().with_var("token_issuer", bad);
        assert!(app.with_host(|h| settings::issuer_text(h, "token_issuer", "folio")).is_err(), "{bad}");
        assert!(app.with_host(|h| settings::claim_text(h, "token_issuer", "folio")).is_ok(), "{bad}");
    }
}
