//! `POST /api/auth/token`: password and refresh grants, JSON and form bodies, OAuth errors,
//! refresh rotation and reuse detection, the failed-sign-in limit.

mod common;

use common::*;
use folio_native::{body_json, json_request, request, TestApp};
use serde_json::json;

fn oauth_error(r: &folio_core::Response) -> String {
    body_json(r)["error"].as_str().unwrap_or_default().to_string()
}

#[test]
fn password_grant_issues_oauth_shaped_tokens() {
    let app = TestApp::new();
    register(&app, "ann@example.com", PASSWORD);
    let r = password_grant(&app, "ANN@example.com", PASSWORD);
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let b = body_json(&r);
    assert_eq!(b["token_type"], "Bearer");
    assert_eq!(b["expires_in"], 900);
    assert_eq!(
        b["scope"],
        "read:books read:reports create:books update:books delete:books generate:books admin:users"
    );
    let access = b["access_token"].as_str().unwrap();
    assert_eq!(access.split('.').count(), 3);
    assert!(b["refresh_token"].as_str().unwrap().len() > 80);
    let header = header_of(access);
    assert_eq!(header["alg"], "EdDSA");
    assert_eq!(header["typ"], "JWT");
    assert_eq!(header["kid"].as_str().unwrap().len(), 43);
    let c = claims_of(access);
    for claim in ["iss", "sub", "aud", "iat", "nbf", "exp", "jti", "sid", "email", "role", "scope"] {
        assert!(!c[claim].is_null(), "claim {claim} missing: {c}");
    }
    assert_eq!(c["iss"], "folio");
    assert_eq!(c["aud"], "folio-api");
    assert_eq!(c["role"], "admin");
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 900);
    assert_eq!(c["scope"], b["scope"]);
}

#[test]
fn form_bodies_work_and_variables_set_lifetimes_and_names() {
    let app = TestApp::new()
        .with_var("access_token_ttl_seconds", "120")
        .with_var("token_issuer", "https://id.example")
        .with_var("token_audience", "books-api")
        .with_var("signup_role", "reader")
        .with_var("admin_emails", "nobody@example.com");
    register(&app, "ann+x@example.com", PASSWORD);
    let r = call(
        &app,
        form(
            "/api/auth/token",
            "grant_type=password&username=ann%2Bx%40example.com&password=correct+horse+battery&client_id=cli",
        ),
    );
    assert_eq!(r.status(), 200, "{}", String::from_utf8_lossy(r.body()));
    let b = body_json(&r);
    assert_eq!(b["expires_in"], 120);
    assert_eq!(b["scope"], "read:books read:reports");
    let c = claims_of(b["access_token"].as_str().unwrap());
    assert_eq!(
        (c["iss"].as_str(), c["aud"].as_str(), c["role"].as_str()),
        (Some("https://id.example"), Some("books-api"), Some("reader"))
    );
    // Refresh through a form too.
    let refresh = b["refresh_token"].as_str().unwrap();
    let r = call(&app, form("/api/auth/token", &format!("grant_type=refresh_token&refresh_token={refresh}")));
    assert_eq!(r.status(), 200);
}

#[test]
fn a_narrower_scope_can_be_requested_and_a_wider_one_cannot() {
    let app = TestApp::new();
    register(&app, "ann@example.com", PASSWORD);
    let ask = |scope: &str| {
        call(&app, json_request("POST", "/api/auth/token", &json!({"grant_type": "password", "username": "ann@example.com", "password": PASSWORD, "scope": scope}).to_string()))
    };
    let r = ask("read:books");
    assert_eq!(body_json(&r)["scope"], "read:books");
    let refreshed = refresh_grant(&app, body_json(&r)["refresh_token"].as_str().unwrap());
    assert_eq!(body_json(&refreshed)["scope"], "read:books", "refresh keeps the narrower scope");
    let r = ask("read:books everything:all");
    assert_eq!(r.status(), 400);
    assert_eq!(oauth_error(&r), "invalid_scope");

    // A refresh may narrow (RFC 6749 §6) but never widen beyond what the session was granted,
    // even within the role; a refused widening leaves the refresh token usable.
    let refresh_with = |token: &str, scope: &str| {
        let body = json!({"grant_type": "refresh_token", "refresh_token": token, "scope": scope});
        call(&app, json_request("POST", "/api/auth/token", &body.to_string()))
    };
    let wide = ask("read:books read:reports");
    let token = body_json(&wide)["refresh_token"].as_str().unwrap().to_string();
    let r = refresh_with(&token, "read:books create:books");
    assert_eq!((r.status().as_u16(), oauth_error(&r).as_str()), (400, "invalid_scope"));
    let r = refresh_with(&token, "read:reports");
    assert_eq!(r.status(), 200, "the token was not spent by the refusal");
    assert_eq!(body_json(&r)["scope"], "read:reports");
    assert_eq!(claims_of(body_json(&r)["access_token"].as_str().unwrap())["scope"], "read:reports");
    // The narrowing is this token's: the next refresh without `scope` gets the session's again.
    let again = refresh_grant(&app, body_json(&r)["refresh_token"].as_str().unwrap());
    assert_eq!(body_json(&again)["scope"], "read:books read:reports");
}

/// A token narrowed below its role's scopes (the way to hand a tool limited access) reads the
/// account and signs its own session out, but does not change the account: no profile edit, no
/// password change, no leaving, no ending of another session (`403 insufficient_scope` naming
/// the role's scopes).
#[test]
fn a_narrowed_token_reads_the_account_but_does_not_change_it() {
    let app = TestApp::new();
    register(&app, "ann@example.com", PASSWORD);
    let full = password_grant(&app, "ann@example.com", PASSWORD);
    let full_session =
        claims_of(body_json(&full)["access_token"].as_str().unwrap())["sid"].as_str().unwrap().to_string();
    let narrowed = call(&app, json_request("POST", "/api/auth/token", &json!({"grant_type": "password", "username": "ann@example.com", "password": PASSWORD, "scope": "read:reports"}).to_string()));
    let token = body_json(&narrowed)["access_token"].as_str().unwrap().to_string();
    let ask = |method: &str, path: &str, ctype: &str, body: serde_json::Value| {
        let req = request(method, path)
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", ctype);
        call(&app, req.body(body.to_string().into_bytes()).unwrap())
    };
    assert_eq!(ask("GET", "/api/auth/me", "application/json", json!(null)).status(), 200);
    assert_eq!(ask("GET", "/api/auth/sessions", "application/json", json!(null)).status(), 200);
    for (method, path, ctype, body) in [
        ("PATCH", "/api/auth/me".to_string(), "application/merge-patch+json", json!({"name": "Renamed"})),
        (
            "POST",
            "/api/auth/password".to_string(),
            "application/json",
            json!({"current_password": PASSWORD, "new_password": "a new passphrase"}),
        ),
        ("DELETE", "/api/auth/me".to_string(), "application/json", json!({"password": PASSWORD})),
        ("DELETE", format!("/api/auth/sessions/{full_session}"), "application/json", json!(null)),
    ] {
        let r = ask(method, &path, ctype, body);
        assert_eq!(r.status(), 403, "{method} {path}");
        let challenge = r.headers()["www-authenticate"].to_str().unwrap();
        assert!(
            challenge.contains("insufficient_scope") && challenge.contains("create:books"),
            "{challenge}"
        );
    }
    assert_eq!(password_grant(&app, "ann@example.com", PASSWORD).status(), 200, "nothing changed");
    // Its own session it may end by id, as logout does.
    let own = claims_of(&token)["sid"].as_str().unwrap().to_string();
    assert_eq!(
        ask("DELETE", &format!("/api/auth/sessions/{own}"), "application/json", json!(null)).status(),
        204
    );
}

#[test]
fn unknown_email_and_wrong_password_answer_alike() {
    let app = TestApp::new();
    register(&app, "ann@example.com", PASSWORD);
    let wrong = password_grant(&app, "ann@example.com", "not the password");
    let unknown = password_grant(&app, "nobody@example.com", "not the password");
    assert_eq!(wrong.status(), 400);
    assert_eq!(wrong.status(), unknown.status());
    assert_eq!(wrong.headers()["content-type"], "application/problem+json");
    assert_eq!(wrong.body(), unknown.body(), "bodies must not tell the cases apart");
    assert_eq!(oauth_error(&wrong), "invalid_grant");
}

#[test]
fn malformed_requests_get_oauth_errors() {
    let app = TestApp::new();
    let cases = [
        (json!({"username": "a@example.com", "password": "x"}), "invalid_request"),
        (json!({"grant_type": "password", "username": "a@example.com"}), "invalid_request"),
        (json!({"grant_type": "password", "password": "x"}), "invalid_request"),
        (json!({"grant_type": "refresh_token"}), "invalid_request"),
        (json!({"grant_type": "client_credentials"}), "unsupported_grant_type"),
        (json!({"grant_type": "password", "username": 5, "password": "x"}), "invalid_request"),
        (json!({"grant_type": "refresh_token", "refresh_token": "garbage"}), "invalid_grant"),
    ];
    for (body, error) in cases {
        let r = call(&app, json_request("POST", "/api/auth/token", &body.to_string()));
        assert_eq!(r.status(), 400, "{body}");
        assert_eq!(oauth_error(&r), error, "{body}");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
    }
    let r = call(&app, json_request("POST", "/api/auth/token", "{not json"));
    assert_eq!((r.status().as_u16(), oauth_error(&r).as_str()), (400, "invalid_request"));
    let r = call(&app, json_request("POST", "/api/auth/token", "[1]"));
    assert_eq!(oauth_error(&r), "invalid_request");
    let r = call(&app, form("/api/auth/token", "grant_type=password&grant_type=refresh_token"));
    assert_eq!(oauth_error(&r), "invalid_request", "repeated parameters are refused (RFC 6749 §3.2)");
    // Read as a tree, the last grant_type would win and be refused as unsupported.
    let twice = r#"{"grant_type":"password","grant_type":"client_credentials"}"#;
    let r = call(&app, json_request("POST", "/api/auth/token", twice));
    assert_eq!((r.status().as_u16(), oauth_error(&r).as_str()), (400, "invalid_request"), "in JSON too");
    let r = call(
        &app,
        request("POST", "/api/auth/token")
            .header("content-type", "text/plain")
            .body(b"grant_type=password".to_vec())
            .unwrap(),
    );
    // The app's conventions answer these, with the OAuth `error` member all the same.
    assert_eq!((r.status().as_u16(), oauth_error(&r).as_str()), (415, "invalid_request"));
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let big = format!("grant_type=password&username={}", "a".repeat(70 * 1024));
    let r = call(&app, form("/api/auth/token", &big));
    assert_eq!((r.status().as_u16(), oauth_error(&r).as_str()), (413, "invalid_request"));
    // No body at all: the parameters are missing (400 invalid_request), not a wrong media type.
    let r = call(&app, request("POST", "/api/auth/token").body(Vec::new()).unwrap());
    assert_eq!((r.status().as_u16(), oauth_error(&r).as_str()), (400, "invalid_request"));
    // A wrong method too: the router's 405, with its Allow header and the OAuth member.
    let r = call(&app, request("GET", "/api/auth/token").body(Vec::new()).unwrap());
    assert_eq!((r.status().as_u16(), oauth_error(&r).as_str()), (405, "invalid_request"));
    assert_eq!(r.headers()["allow"], "POST, OPTIONS");
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    // ...and as RFC 6749's application/json to a client that asks for it, like every other
    // failure of the endpoint.
    let r = call(
        &app,
        request("GET", "/api/auth/token").header("accept", "application/json").body(Vec::new()).unwrap(),
    );
    assert_eq!((r.status().as_u16(), oauth_error(&r).as_str()), (405, "invalid_request"));
    assert_eq!(r.headers()["content-type"], "application/json");
    assert_eq!(r.headers()["vary"], "accept");
}

/// A form is read strictly: what only a lenient reading (replacement characters, a `%` kept as
/// it is) makes a form carries credentials other than the client's, so it is `invalid_request`,
/// never a wrong password counted against the account. Unknown JSON members are ignored
/// whatever their type, as a form's unknown parameters are (RFC 6749 §3.2).
#[test]
fn malformed_forms_are_refused_and_unknown_json_members_ignored() {
    let app = TestApp::new();
    register(&app, "ann@example.com", PASSWORD);
    // Five of them name Ann's address: were they read as wrong passwords, the fifth would lock it.
    let malformed: [&[u8]; 7] = [
        b"grant_type=password&username=ann%40example.com&password=%2",
        b"grant_type=password&username=ann%40example.com&password=%FF%FE",
        b"grant_type=password&username=ann%40example.com&password=%zz",
        b"grant_type=password&username=ann%40example.com&password=%G0x",
        b"grant_type=password&username=ann%40example.com&password=\xff",
        b"grant_type=password&username=%zz&password=x",
        b"grant_type=password&username=ann\xff@example.com&password=x",
    ];
    for body in malformed {
        let r = call(
            &app,
            request("POST", "/api/auth/token")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body.to_vec())
                .unwrap(),
        );
        let shown = String::from_utf8_lossy(body);
        assert_eq!((r.status().as_u16(), oauth_error(&r).as_str()), (400, "invalid_request"), "{shown}");
    }
    // None of them counted as a failed sign-in.
    assert_eq!(password_grant(&app, "ann@example.com", PASSWORD).status(), 200);

    let signed_in = |extra: serde_json::Value| {
        let mut body = json!({"grant_type": "password", "username": "ann@example.com", "password": PASSWORD});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        call(&app, json_request("POST", "/api/auth/token", &body.to_string()))
    };
    for extra in
        [json!({"foo": 1}), json!({"foo": "x"}), json!({"nested": {"a": [1, 2]}}), json!({"flag": true})]
    {
        assert_eq!(signed_in(extra.clone()).status(), 200, "{extra}");
    }
    // A parameter the endpoint reads must still be a string.
    for extra in [json!({"scope": ["read:books"]}), json!({"client_id": 7})] {
        let r = signed_in(extra.clone());
        assert_eq!((r.status().as_u16(), oauth_error(&r).as_str()), (400, "invalid_request"), "{extra}");
    }
}

/// Reuse is recognised long after: a refresh token replayed 100 rotations later (a day of use at
/// the default lifetime) still ends its session. 32 were remembered, and an older token was
/// refused while its session lived on.
#[test]
fn a_refresh_token_spent_a_hundred_rotations_ago_still_revokes_the_session() {
    let app = TestApp::new();
    let first = sign_up_and_in(&app, "ann@example.com");
    let mut latest = first.clone();
    for _ in 0..100 {
        let r = refresh_grant(&app, &latest.refresh);
        assert_eq!(r.status(), 200);
        latest = tokens_of(&app, &r);
    }
    let replay = refresh_grant(&app, &first.refresh);
    assert_eq!((replay.status().as_u16(), oauth_error(&replay).as_str()), (400, "invalid_grant"));
    assert_eq!(me_status(&app, &latest.access).0, 401, "the session ended");
    assert_eq!(refresh_grant(&app, &latest.refresh).status(), 400);
}

#[test]
fn refresh_rotates_and_reuse_revokes_the_session() {
    let app = TestApp::new();
    let first = sign_up_and_in(&app, "ann@example.com");
    let r1 = refresh_grant(&app, &first.refresh);
    assert_eq!(r1.status(), 200);
    let second = tokens_of(&app, &r1);
    assert_ne!(second.refresh, first.refresh, "refresh tokens rotate");
    assert_ne!(second.access, first.access);
    assert_eq!(claims_of(&second.access)["sid"], claims_of(&first.access)["sid"], "same session");
    // Both access tokens of the session are good until something happens.
    assert_eq!(me_status(&app, &first.access).0, 200);
    assert_eq!(me_status(&app, &second.access).0, 200);
    // Presenting the spent refresh token again: refused, and the whole session is revoked.
    let reuse = refresh_grant(&app, &first.refresh);
    assert_eq!(reuse.status(), 400);
    assert_eq!(oauth_error(&reuse), "invalid_grant");
    assert_eq!(me_status(&app, &second.access), (401, "Bearer error=\"invalid_token\"".into()));
    assert_eq!(me_status(&app, &first.access).0, 401);
    assert_eq!(
        refresh_grant(&app, &second.refresh).status(),
        400,
        "the current refresh token died with the session"
    );
}

#[test]
fn a_guessed_refresh_token_for_a_real_session_does_not_revoke_it() {
    let app = TestApp::new();
    let t = sign_up_and_in(&app, "ann@example.com");
    let prefix: Vec<&str> = t.refresh.split('.').collect();
    let guess = format!("{}.{}.{}", prefix[0], prefix[1], "A".repeat(43));
    assert_eq!(oauth_error(&refresh_grant(&app, &guess)), "invalid_grant");
    assert_eq!(refresh_grant(&app, &t.refresh).status(), 200, "the session survives a wrong guess");
}

#[test]
fn refresh_tokens_expire_and_disabled_accounts_cannot_refresh() {
    let app = TestApp::new().with_var("refresh_token_ttl_seconds", "3600");
    let admin = sign_up_and_in(&app, "admin@example.com");
    let t = sign_up_and_in(&app, "ann@example.com");
    app.clock.advance_secs(3601);
    assert_eq!(oauth_error(&refresh_grant(&app, &t.refresh)), "invalid_grant");
    assert_eq!(refresh_grant(&app, &admin.refresh).status(), 400, "every session expired");
    let app = TestApp::new();
    let admin = sign_up_and_in(&app, "admin@example.com");
    let t = sign_up_and_in(&app, "ann@example.com");
    let r = call(
        &app,
        bearer_json(
            "PATCH",
            &format!("/api/auth/users/{}", t.account_id),
            &admin.access,
            &json!({"disabled": true}),
        ),
    );
    assert_eq!(r.status(), 200);
    assert_eq!(oauth_error(&refresh_grant(&app, &t.refresh)), "invalid_grant");
    // And signing in again is refused while disabled.
    let r = password_grant(&app, "ann@example.com", PASSWORD);
    assert_eq!((r.status().as_u16(), oauth_error(&r).as_str()), (400, "invalid_grant"));
}

#[test]
fn role_changes_apply_at_the_next_sign_in() {
    let app = TestApp::new();
    let admin = sign_up_and_in(&app, "admin@example.com");
    let ann = sign_up_and_in(&app, "ann@example.com");
    assert_eq!(claims_of(&ann.access)["role"], "editor");
    let r = call(
        &app,
        bearer_json(
            "PATCH",
            &format!("/api/auth/users/{}", ann.account_id),
            &admin.access,
            &json!({"role": "reader"}),
        ),
    );
    assert_eq!(body_json(&r)["role"], "reader");
    assert_eq!(me_status(&app, &ann.access).0, 401, "tokens with the old role's scopes are revoked");
    let again = sign_in(&app, "ann@example.com");
    assert_eq!(claims_of(&again.access)["scope"], "read:books read:reports");
}

#[test]
fn repeated_failures_are_limited_with_429_and_retry_after() {
    let app = TestApp::new();
    register(&app, "ann@example.com", PASSWORD);
    for _ in 0..folio_auth::limiter::MAX_FAILURES {
        assert_eq!(password_grant(&app, "ann@example.com", "wrong password!").status(), 400);
    }
    // Now even the right password is refused until the window ends.
    let r = password_grant(&app, "ann@example.com", PASSWORD);
    assert_eq!((r.status().as_u16(), oauth_error(&r).as_str()), (429, "temporarily_unavailable"));
    let retry: i64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry > 0 && retry <= folio_auth::limiter::WINDOW_SECS, "{retry}");
    // Unknown addresses are limited the same way, so 429 reveals nothing.
    for _ in 0..folio_auth::limiter::MAX_FAILURES {
        password_grant(&app, "ghost@example.com", "wrong password!");
    }
    assert_eq!(password_grant(&app, "ghost@example.com", "wrong password!").status(), 429);
    // Another account is not affected.
    register(&app, "bob@example.com", PASSWORD);
    assert_eq!(password_grant(&app, "bob@example.com", PASSWORD).status(), 200);
    app.clock.advance_secs(retry);
    assert_eq!(password_grant(&app, "ann@example.com", PASSWORD).status(), 200);
    // Success clears the count.
    for _ in 0..folio_auth::limiter::MAX_FAILURES - 1 {
        password_grant(&app, "ann@example.com", "wrong password!");
    }
    assert_eq!(password_grant(&app, "ann@example.com", PASSWORD).status(), 200);
    assert_eq!(password_grant(&app, "ann@example.com", "wrong password!").status(), 400);
}

#[test]
fn sessions_per_account_are_bounded() {
    let app = TestApp::new();
    let first = sign_up_and_in(&app, "ann@example.com");
    for _ in 0..folio_auth::sessions::MAX_SESSIONS_PER_ACCOUNT {
        sign_in(&app, "ann@example.com");
    }
    assert_eq!(me_status(&app, &first.access).0, 401, "the oldest session was ended");
    let latest = sign_in(&app, "ann@example.com");
    let list = body_json(&call(&app, bearer("GET", "/api/auth/sessions", &latest.access)));
    assert_eq!(list["items"].as_array().unwrap().len(), folio_auth::sessions::MAX_SESSIONS_PER_ACCOUNT);
}

#[test]
fn a_parameter_sent_empty_counts_as_omitted() {
    // RFC 6749 §3.1. /docs's Try it out and plain HTML forms send every field they show.
    let app = TestApp::new();
    register(&app, "ann@example.com", PASSWORD);
    let r = call(
        &app,
        form(
            "/api/auth/token",
            "grant_type=password&username=ann%40example.com&password=correct+horse+battery&scope=&refresh_token=",
        ),
    );
    assert_eq!(r.status(), 200, "{}", String::from_utf8_lossy(r.body()));
    assert_eq!(
        body_json(&r)["scope"],
        "read:books read:reports create:books update:books delete:books generate:books admin:users",
        "no scope asked for: every scope of the role"
    );
    let r = call(
        &app,
        json_request(
            "POST",
            "/api/auth/token",
            &json!({"grant_type": "password", "username": "ann@example.com", "password": PASSWORD, "scope": ""})
                .to_string(),
        ),
    );
    assert_eq!(r.status(), 200);
    // A required parameter sent empty is missing, and a parameter twice is refused even when one is empty.
    let r = call(&app, form("/api/auth/token", "grant_type=password&username=&password=x"));
    assert_eq!((r.status().as_u16(), oauth_error(&r).as_str()), (400, "invalid_request"));
    assert!(body_json(&r)["error_description"].as_str().unwrap().contains("username"), "{}", body_json(&r));
    let r = call(
        &app,
        form("/api/auth/token", "grant_type=password&username=ann%40example.com&password=correct+horse+battery&scope=&scope=read:books"),
    );
    assert_eq!((r.status().as_u16(), oauth_error(&r).as_str()), (400, "invalid_request"));
}

#[test]
fn client_credentials_are_refused_as_an_unknown_client_and_public_clients_pass() {
    // No client is registered (discovery: token_endpoint_auth_methods_supported = ["none"]).
    let app = TestApp::new();
    register(&app, "ann@example.com", PASSWORD);
    let body = "grant_type=password&username=ann%40example.com&password=correct+horse+battery";
    let with_basic = |credentials: &str| {
        let mut r = form("/api/auth/token", body);
        r.headers_mut().insert("authorization", format!("Basic {credentials}").parse().unwrap());
        call(&app, r)
    };
    // someclient:wrongsecret, an id with no secret part at all, not Basic credentials: 401
    // invalid_client naming Basic.
    for credentials in ["c29tZWNsaWVudDp3cm9uZ3NlY3JldA==", "c29tZWNsaWVudA==", "not base64!"] {
        let r = with_basic(credentials);
        assert_eq!((r.status().as_u16(), oauth_error(&r).as_str()), (401, "invalid_client"), "{credentials}");
        assert_eq!(r.headers()["www-authenticate"], "Basic realm=\"folio\"");
    }
    // Empty id and secret (Swagger UI's password flow on /docs), and an id with the empty secret
    // (requests-oauthlib's password flow, RFC 6749 §2.3.1): a public client, signed in.
    assert_eq!(with_basic("Og==").status(), 200);
    assert_eq!(with_basic("c29tZWNsaWVudDo=").status(), 200, "someclient:");
    // A secret in the body: 400 invalid_client; a client_id alone, or with an empty secret
    // (§3.1: a parameter without a value counts as omitted), names a public client.
    let r = call(&app, form("/api/auth/token", &format!("{body}&client_id=cli&client_secret=s")));
    assert_eq!((r.status().as_u16(), oauth_error(&r).as_str()), (400, "invalid_client"));
    assert_eq!(call(&app, form("/api/auth/token", &format!("{body}&client_id=cli"))).status(), 200);
    assert_eq!(
        call(&app, form("/api/auth/token", &format!("{body}&client_id=cli&client_secret="))).status(),
        200
    );
}
