//! The token service over HTTP (API.md, "Token service").

use folio_blackbox::{app, unique_email, PASSWORD};
use serde_json::json;

#[test]
fn register_returns_the_account_without_secrets() {
    let email = unique_email("reg");
    let r = app().json(
        "POST",
        "/api/auth/register",
        None,
        &json!({"email": email, "password": PASSWORD, "name": "Reg"}),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let body = r.json();
    assert_eq!(body["email"], email.as_str());
    assert!(body["id"].is_string());
    let text = r.text().to_lowercase();
    for secret in ["password", "hash", "argon"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    // The 201 says where the account is: an administrator reads it there, nobody else.
    let location = r.header("location").expect("a Location on 201").to_string();
    assert_eq!(location, format!("/api/auth/users/{}", body["id"].as_str().unwrap()));
    let read = app().with_token("GET", &location, &app().admin().access);
    assert_eq!(read.status, 200, "{}", read.text());
    assert_eq!(read.json(), body);
    assert_eq!(read.header("cache-control"), Some("no-store"));
    // A route that takes no parameter ignores a query string (README: a cache-buster works).
    let busted = app().with_token("GET", &format!("{location}?_=1"), &app().admin().access);
    assert_eq!(busted.status, 200, "{}", busted.text());
    let own = app().login(&unique_email("reg-other")).access;
    app().with_token("GET", &location, &own).problem(403);
    app().call("GET", &location, &[], b"").problem(401);
    app().with_token("GET", "/api/auth/users/no-such-account", &app().admin().access).problem(404);
}

#[test]
fn register_refuses_duplicates_case_insensitively_and_bad_input() {
    let email = unique_email("dup");
    assert_eq!(
        app().json("POST", "/api/auth/register", None, &json!({"email": email, "password": PASSWORD})).status,
        201
    );
    app()
        .json(
            "POST",
            "/api/auth/register",
            None,
            &json!({"email": email.to_uppercase(), "password": PASSWORD}),
        )
        .problem(409);
    let weak = app().json(
        "POST",
        "/api/auth/register",
        None,
        &json!({"email": unique_email("weak"), "password": "short"}),
    );
    assert_eq!(weak.problem(422)["errors"][0]["field"], "password");
    let bad = app().json(
        "POST",
        "/api/auth/register",
        None,
        &json!({"email": "not-an-email", "password": PASSWORD}),
    );
    assert_eq!(bad.problem(422)["errors"][0]["field"], "email");
    app()
        .json(
            "POST",
            "/api/auth/register",
            None,
            &json!({"email": unique_email("x"), "password": PASSWORD, "role": "admin"}),
        )
        .problem(422);
    // A password of the wrong type is named, in the contract's words, and never echoed back.
    let typed = app().json(
        "POST",
        "/api/auth/register",
        None,
        &json!({"email": unique_email("typed"), "password": 73_914_206_581_u64}),
    );
    let problem = typed.problem(422);
    assert_eq!(problem["errors"][0]["field"], "password", "{problem}");
    assert_eq!(problem["errors"][0]["message"], "must be a string", "{problem}");
    assert!(!problem.to_string().contains("73914206581"), "the value came back: {problem}");
}

#[test]
fn body_rules_apply_to_json_routes() {
    let a = app();
    a.call("POST", "/api/auth/register", &[("content-type", "text/plain")], b"{}").problem(415);
    a.call("POST", "/api/auth/register", &[("content-type", "application/json")], b"{\"email\":")
        .problem(400);
    let big = format!("{{\"email\":\"a@b.test\",\"password\":\"{}\"}}", "x".repeat(70 * 1024));
    a.call("POST", "/api/auth/register", &[("content-type", "application/json")], big.as_bytes())
        .problem(413);
    // Two media types for one body: neither is trusted.
    let both = [("content-type", "application/json"), ("content-type", "application/json")];
    let body = json!({"email": unique_email("two-types"), "password": PASSWORD}).to_string();
    a.call("POST", "/api/auth/register", &both, body.as_bytes()).problem(415);
}

#[test]
fn password_grant_answers_in_oauth_shape_and_failures_alike() {
    let t = app().login(&unique_email("grant"));
    assert_eq!(t.access.split('.').count(), 3, "a JWT");
    let r = app().call(
        "POST",
        "/api/auth/token",
        &[("content-type", "application/json")],
        json!({"grant_type": "password", "username": t.email, "password": PASSWORD}).to_string().as_bytes(),
    );
    assert_eq!(r.status, 200, "JSON body accepted too: {}", r.text());
    let body = r.json();
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["expires_in"].as_i64().unwrap() > 0);
    assert!(body["scope"].as_str().unwrap().contains("read:books"));

    let form = |user: &str, pw: &str| {
        app().call(
            "POST",
            "/api/auth/token",
            &[("content-type", "application/x-www-form-urlencoded")],
            format!("grant_type=password&username={}&password={}", folio_blackbox::urlencode(user), pw)
                .as_bytes(),
        )
    };
    let wrong = form(&t.email, "wrong-password-123");
    let unknown = form(&unique_email("nobody"), "wrong-password-123");
    assert_eq!(wrong.status, unknown.status);
    assert_eq!(wrong.json()["error"], "invalid_grant");
    assert_eq!(unknown.json()["error"], "invalid_grant");
    assert_eq!(wrong.json()["detail"], unknown.json()["detail"], "no account enumeration");
}

#[test]
fn me_shows_account_and_claims() {
    let t = app().login(&unique_email("me"));
    let r = app().with_token("GET", "/api/auth/me", &t.access);
    assert_eq!(r.status, 200, "{}", r.text());
    let body = r.json();
    assert_eq!(body["account"]["email"], t.email.as_str());
    for claim in ["iss", "sub", "aud", "iat", "nbf", "exp", "jti", "sid", "email", "role", "scope"] {
        assert!(!body["claims"][claim].is_null(), "claim {claim} missing: {body}");
    }
}

#[test]
fn missing_and_bad_tokens_are_401_with_the_right_challenge() {
    let r = app().get("/api/auth/me");
    r.problem(401);
    assert_eq!(r.header("www-authenticate"), Some("Bearer"));
    // Another scheme sends no bearer token: the same plain challenge, in every component.
    for path in ["/api/auth/me", "/api/books", "/api/reports", "/api/generator/runs"] {
        let r = app().call("GET", path, &[("authorization", "Basic YTpi")], b"");
        r.problem(401);
        assert_eq!(r.header("www-authenticate"), Some("Bearer"), "{path}");
    }
    for token in ["garbage", "a.b.c", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."] {
        let r = app().with_token("GET", "/api/books", token);
        r.problem(401);
        assert_eq!(r.header("www-authenticate"), Some("Bearer error=\"invalid_token\""), "{token}");
    }
    // A real token with one character of its payload changed.
    let t = app().login(&unique_email("tamper"));
    let mut parts: Vec<String> = t.access.split('.').map(String::from).collect();
    let flipped = if parts[1].ends_with('A') { 'B' } else { 'A' };
    parts[1].pop();
    parts[1].push(flipped);
    app().with_token("GET", "/api/books", &parts.join(".")).problem(401);
    // Two credentials, even a good one and a bad one, are a malformed request: neither is used.
    let good = format!("Bearer {}", t.access);
    let r = app().call("GET", "/api/books", &[("authorization", &good), ("authorization", "Bearer x")], b"");
    r.problem(401);
    assert_eq!(r.header("www-authenticate"), Some("Bearer error=\"invalid_token\""));
}

#[test]
fn refresh_rotates_and_reuse_revokes_the_session() {
    let t = app().login(&unique_email("refresh"));
    let refresh = |token: &str| {
        app().call(
            "POST",
            "/api/auth/token",
            &[("content-type", "application/x-www-form-urlencoded")],
            format!("grant_type=refresh_token&refresh_token={}", folio_blackbox::urlencode(token)).as_bytes(),
        )
    };
    let first = refresh(&t.refresh);
    assert_eq!(first.status, 200, "{}", first.text());
    let rotated = first.json();
    let new_refresh = rotated["refresh_token"].as_str().unwrap().to_string();
    let new_access = rotated["access_token"].as_str().unwrap().to_string();
    assert_ne!(new_refresh, t.refresh);
    assert_eq!(app().with_token("GET", "/api/books", &new_access).status, 200);
    // Presenting the spent refresh token again is theft or a bug: the whole session goes.
    let reuse = refresh(&t.refresh);
    assert_eq!(reuse.status, 400);
    assert_eq!(reuse.json()["error"], "invalid_grant");
    app().with_token("GET", "/api/books", &new_access).problem(401);
    assert_eq!(refresh(&new_refresh).status, 400);
}

#[test]
fn logout_revokes_everywhere() {
    let t = app().login(&unique_email("logout"));
    assert_eq!(app().with_token("GET", "/api/reports", &t.access).status, 200);
    assert_eq!(app().with_token("POST", "/api/auth/logout", &t.access).status, 204);
    for path in ["/api/auth/me", "/api/books", "/api/reports", "/api/generator/runs"] {
        app().with_token("GET", path, &t.access).problem(401);
    }
}

#[test]
fn introspection_reports_active_and_inactive_tokens() {
    let t = app().login(&unique_email("intro"));
    let r = app().json("POST", "/api/auth/introspect", Some(&t.access), &json!({"token": t.access}));
    assert_eq!(r.status, 200, "{}", r.text());
    let body = r.json();
    assert_eq!(body["active"], true);
    for member in ["sub", "scope", "exp", "iat", "sid"] {
        assert!(!body[member].is_null(), "{member}: {body}");
    }
    let r = app().json("POST", "/api/auth/introspect", Some(&t.access), &json!({"token": "nonsense"}));
    assert_eq!(r.json(), json!({"active": false}));
    let admin = app().admin();
    app().with_token("POST", "/api/auth/logout", &t.access);
    let r = app().json("POST", "/api/auth/introspect", Some(&admin.access), &json!({"token": t.access}));
    assert_eq!(r.json()["active"], false);
}

#[test]
fn introspection_needs_a_bearer_and_shows_others_only_their_own_tokens() {
    let ann = app().login(&unique_email("intro-ann"));
    let bob = app().login(&unique_email("intro-bob"));
    // Anonymous: 401 with a plain Bearer challenge (RFC 7662 §2.1, RFC 6750 §3).
    let r = app().json("POST", "/api/auth/introspect", None, &json!({"token": ann.access}));
    r.problem(401);
    assert_eq!(r.header("www-authenticate"), Some("Bearer"));
    let r = app().call(
        "POST",
        "/api/auth/introspect",
        &[("content-type", "application/x-www-form-urlencoded")],
        format!("token={}", ann.access).as_bytes(),
    );
    r.problem(401);
    // Another account's token looks inactive; an administrator sees it.
    let r = app().json("POST", "/api/auth/introspect", Some(&bob.access), &json!({"token": ann.access}));
    assert_eq!(r.json(), json!({"active": false}));
    let admin = app().admin();
    let r = app().json("POST", "/api/auth/introspect", Some(&admin.access), &json!({"token": ann.access}));
    assert_eq!(r.json()["active"], true);
    assert_eq!(r.json()["email"], ann.email.as_str());
}

#[test]
fn sessions_are_listed_and_revocable_only_by_their_owner() {
    let email = unique_email("sess");
    let one = app().login(&email);
    let two = app().password_grant(&email, PASSWORD);
    let r = app().with_token("GET", "/api/auth/sessions", &one.access);
    assert_eq!(r.status, 200, "{}", r.text());
    let items = r.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2);
    assert_eq!(items.iter().filter(|s| s["current"] == true).count(), 1);
    let other = items.iter().find(|s| s["current"] == false).unwrap()["id"].as_str().unwrap().to_string();

    let stranger = app().login(&unique_email("stranger"));
    app().with_token("DELETE", &format!("/api/auth/sessions/{other}"), &stranger.access).problem(404);
    assert_eq!(app().with_token("DELETE", &format!("/api/auth/sessions/{other}"), &one.access).status, 204);
    app().with_token("GET", "/api/auth/me", &two.access).problem(401);
    assert_eq!(app().with_token("GET", "/api/auth/me", &one.access).status, 200);
}

#[test]
fn users_are_admin_only_and_disabling_revokes() {
    let admin = app().admin();
    let user = app().login(&unique_email("managed"));
    let r = app().with_token("GET", "/api/auth/users", &user.access);
    r.problem(403);
    assert!(r.header("www-authenticate").unwrap_or("").contains("insufficient_scope"));
    let r = app().with_token("GET", "/api/auth/users?limit=100", &admin.access);
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.json()["items"].is_array());
    let id = app().with_token("GET", "/api/auth/me", &user.access).json()["account"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app().json(
        "PATCH",
        &format!("/api/auth/users/{id}"),
        Some(&admin.access),
        &json!({"disabled": true}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["disabled"], true);
    app().with_token("GET", "/api/books", &user.access).problem(401);
    app()
        .json("PATCH", "/api/auth/users/no-such-id", Some(&admin.access), &json!({"disabled": true}))
        .problem(404);
}

#[test]
fn a_reader_cannot_write() {
    let reader = app().user_with_role("reader");
    let r = app().json("POST", "/api/books", Some(&reader.access), &folio_blackbox::book_body("Nope"));
    r.problem(403);
    assert_eq!(
        r.header("www-authenticate"),
        Some("Bearer error=\"insufficient_scope\", scope=\"create:books\"")
    );
}

#[test]
fn jwks_and_discovery_describe_the_signing_keys() {
    let jwks = app().get("/.well-known/jwks.json");
    assert_eq!(jwks.status, 200);
    let keys = jwks.json()["keys"].as_array().unwrap().clone();
    assert!(!keys.is_empty());
    for k in &keys {
        assert_eq!(k["kty"], "OKP");
        assert_eq!(k["crv"], "Ed25519");
        assert!(k["kid"].is_string() && k["x"].is_string());
        assert!(k.get("d").is_none(), "private key material in the JWKS");
    }
    let d = app().get("/.well-known/openid-configuration").json();
    for member in ["issuer", "jwks_uri", "token_endpoint", "introspection_endpoint"] {
        assert!(d[member].is_string(), "{member}: {d}");
    }
}

#[test]
fn a_client_sent_spin_header_cannot_steer_the_discovery_documents_urls() {
    // Spin adds `spin-full-url` after any the client sent; the document must use Spin's, so a
    // request through a shared cache cannot publish an attacker's token endpoint.
    let real = app().get("/.well-known/openid-configuration").json();
    let spoofed = app()
        .call(
            "GET",
            "/.well-known/openid-configuration",
            &[("spin-full-url", "https://evil.example/x"), ("spin-matched-route", "/evil")],
            b"",
        )
        .json();
    for member in ["jwks_uri", "token_endpoint", "introspection_endpoint"] {
        let url = spoofed[member].as_str().unwrap();
        assert!(!url.contains("evil.example"), "{member}: {url}");
        assert_eq!(spoofed[member], real[member]);
    }
    assert!(spoofed.get("registration_endpoint").is_none(), "sign-up is not RFC 7591 client registration");
}

/// `Host: a@b` reaches the component as the URL `http://a@b/...` (Spin 4.0.2 builds it from the
/// Host): a user name there must not make `b` the discovery document's origin; nor may a port
/// past 65,535 leave the links relative (RFC 8414 §2 wants URLs), or port 0 make links nobody can
/// follow. Such a request is `400`.
#[test]
fn a_host_that_names_no_origin_gets_no_discovery_document() {
    for host in ["attacker@evil.example", "evil.example:99999", "evil.example:0"] {
        let d = app().call("GET", "/.well-known/openid-configuration", &[("host", host)], b"");
        assert_eq!(d.problem(400)["status"], 400, "{host}");
        assert!(!d.text().contains("evil.example"), "{host}: {}", d.text());
    }
    let d = app().get("/.well-known/openid-configuration").json();
    for member in ["jwks_uri", "token_endpoint", "introspection_endpoint"] {
        let url = d[member].as_str().unwrap();
        assert!(url.starts_with("http://") || url.starts_with("https://"), "{member}: {url}");
    }
    assert!(d.get("authorization_endpoint").is_none(), "no authorization endpoint");
    // RFC 8414's own path (strict OAuth 2.0 clients look there) serves the same document.
    let rfc8414 = app().get("/.well-known/oauth-authorization-server");
    assert_eq!(rfc8414.status, 200, "{}", rfc8414.text());
    assert_eq!(rfc8414.json(), d);
}

#[test]
fn repeated_failed_logins_are_throttled() {
    let t = app().login(&unique_email("throttle"));
    let mut throttled = None;
    for _ in 0..30 {
        let r = app().call(
            "POST",
            "/api/auth/token",
            &[("content-type", "application/x-www-form-urlencoded")],
            format!(
                "grant_type=password&username={}&password=wrong-password-1",
                folio_blackbox::urlencode(&t.email)
            )
            .as_bytes(),
        );
        if r.status == 429 {
            throttled = Some(r);
            break;
        }
        assert_eq!(r.status, 400, "{}", r.text());
    }
    let r = throttled.expect("no 429 after 30 failed logins");
    assert!(r.header("retry-after").and_then(|v| v.parse::<u64>().ok()).is_some());
}

#[test]
fn wrong_passwords_sent_at_once_are_each_counted() {
    // Each attempt is counted before its password is checked: twelve guesses in parallel get five
    // password checks (400) and seven 429s, not a dozen checks that all read the count as zero.
    let t = app().login(&unique_email("parallel-throttle"));
    let body = format!(
        "grant_type=password&username={}&password=wrong-password-1",
        folio_blackbox::urlencode(&t.email)
    );
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let guesses: Vec<_> = (0..12)
            .map(|_| {
                s.spawn(|| {
                    let form = [("content-type", "application/x-www-form-urlencoded")];
                    app().call("POST", "/api/auth/token", &form, body.as_bytes()).status
                })
            })
            .collect();
        guesses.into_iter().map(|g| g.join().unwrap()).collect()
    });
    assert_eq!(statuses.iter().filter(|s| **s == 400).count(), 5, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 7, "{statuses:?}");
    // Locked now, the right password too (the window has not ended).
    let form =
        format!("grant_type=password&username={}&password={}", folio_blackbox::urlencode(&t.email), PASSWORD);
    let r = app().call(
        "POST",
        "/api/auth/token",
        &[("content-type", "application/x-www-form-urlencoded")],
        form.as_bytes(),
    );
    assert_eq!(r.status, 429, "{}", r.text());
}

#[test]
fn sign_ins_sent_at_once_with_the_right_password_all_succeed() {
    // The throttle counts attempts in flight, but an attempt that finds the slots held by others
    // still being checked waits for one: ten workers signing in with one account all get tokens.
    let t = app().login(&unique_email("parallel-ok"));
    let body =
        format!("grant_type=password&username={}&password={}", folio_blackbox::urlencode(&t.email), PASSWORD);
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let sign_ins: Vec<_> = (0..10)
            .map(|_| {
                s.spawn(|| {
                    let form = [("content-type", "application/x-www-form-urlencoded")];
                    app().call("POST", "/api/auth/token", &form, body.as_bytes()).status
                })
            })
            .collect();
        sign_ins.into_iter().map(|g| g.join().unwrap()).collect()
    });
    assert_eq!(statuses, vec![200; 10]);
}

#[test]
fn a_crowd_of_different_accounts_signing_in_at_once_is_served_in_turn() {
    // At most four password hashes run at once in the deployment (docs/auth.md): twenty
    // sign-ins of twenty accounts sent together wait their turn and all get tokens.
    let accounts: Vec<String> =
        (0..20).map(|i| app().login(&unique_email(&format!("crowd{i}"))).email).collect();
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let sign_ins: Vec<_> = accounts
            .iter()
            .map(|email| {
                s.spawn(move || {
                    let body = format!(
                        "grant_type=password&username={}&password={}",
                        folio_blackbox::urlencode(email),
                        PASSWORD
                    );
                    let form = [("content-type", "application/x-www-form-urlencoded")];
                    app().call("POST", "/api/auth/token", &form, body.as_bytes()).status
                })
            })
            .collect();
        sign_ins.into_iter().map(|g| g.join().unwrap()).collect()
    });
    assert_eq!(statuses, vec![200; 20]);
}

/// RFC 6749 §5.2 errors are `application/json`: an OAuth library that asks for that type (as
/// oauth4webapi does) gets it and reads `error`; other clients get the same body as problem
/// details, as every other route answers.
#[test]
fn token_errors_are_plain_json_for_a_client_that_asks_for_json() {
    let form = "grant_type=refresh_token&refresh_token=garbage";
    let oauth_client = app().call(
        "POST",
        "/api/auth/token",
        &[("content-type", "application/x-www-form-urlencoded"), ("accept", "application/json")],
        form.as_bytes(),
    );
    assert_eq!(oauth_client.status, 400);
    assert_eq!(oauth_client.header("content-type"), Some("application/json"));
    assert_eq!(oauth_client.json()["error"], "invalid_grant");
    assert_eq!(oauth_client.header("cache-control"), Some("no-store"));
    let other = app().call(
        "POST",
        "/api/auth/token",
        &[("content-type", "application/x-www-form-urlencoded")],
        form.as_bytes(),
    );
    let p = other.problem(400);
    assert_eq!(p["error"], "invalid_grant");
}

/// A request waits for other connections' locks at most 5 s in all (README, "Conventions"), not
/// 5 s at each write: a sign-in already under way when a generator run took the write lock
/// waited at its slot's write, then again at the give-back of its throttle slot, and answered
/// after about 10 s. Here all four hashing slots are taken (by this test, as if by four other
/// sign-ins, and free again by staleness about 3 s later), the sign-in waits its turn having
/// written its throttle slot, and the test takes the write lock meanwhile: the sign-in must
/// answer `503` with `Retry-After` within the budget from when it began. On an instance of its
/// own: the shared app's other tests sign in too.
#[test]
fn a_sign_in_under_way_when_a_writer_takes_the_lock_answers_within_one_budget() {
    let instance = folio_blackbox::Instance::start(folio_blackbox::Launch::default());
    let app = &instance.app;
    let email = app.login(&unique_email("budget")).email;
    let db =
        rusqlite::Connection::open(instance.state_dir().join("sqlite_db.db")).expect("Spin's SQLite file");
    db.busy_timeout(std::time::Duration::from_secs(5)).unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    // Slots count as free 10 s after they were taken (hashing_slots::STALE_SECS).
    db.execute("UPDATE password_work_slots SET holder = 'blackbox', taken_at = ?1", [now - 7]).unwrap();
    let (status, retry_after, elapsed) = std::thread::scope(|s| {
        let sign_in = s.spawn(|| {
            let body = format!(
                "grant_type=password&username={}&password={PASSWORD}",
                folio_blackbox::urlencode(&email)
            );
            let started = std::time::Instant::now();
            let r = app.call(
                "POST",
                "/api/auth/token",
                &[("content-type", "application/x-www-form-urlencoded")],
                body.as_bytes(),
            );
            (r.status, r.header("retry-after").map(str::to_string), started.elapsed())
        });
        std::thread::sleep(std::time::Duration::from_millis(1000));
        db.execute_batch("BEGIN IMMEDIATE").expect("the write lock");
        let answer = sign_in.join().unwrap();
        db.execute_batch("ROLLBACK").unwrap();
        answer
    });
    assert_eq!((status, retry_after.as_deref()), (503, Some("2")));
    assert!(elapsed < std::time::Duration::from_millis(5_800), "waited {elapsed:?}");
    assert!(elapsed >= std::time::Duration::from_millis(4_500), "gave up early: {elapsed:?}");
    // Nothing is left locked: the same sign-in works at once.
    assert_eq!(app.password_grant(&email, PASSWORD).email, email);
}

/// RFC 6749 §3.3 and §5.2 at the token endpoint: a scope list is separated by spaces only, and a
/// refused scope is named only when it is one of the app's own, so `error_description` never
/// carries what a client made up (nor a character outside printable ASCII).
#[test]
fn a_requested_scope_is_read_as_rfc_6749_writes_it_and_never_echoed() {
    let email = unique_email("scope");
    app().login(&email);
    let grant = |scope: &str| {
        let body = format!(
            "grant_type=password&username={}&password={}&scope={}",
            folio_blackbox::urlencode(&email),
            folio_blackbox::urlencode(folio_blackbox::PASSWORD),
            folio_blackbox::urlencode(scope)
        );
        app().call(
            "POST",
            "/api/auth/token",
            &[("content-type", "application/x-www-form-urlencoded")],
            body.as_bytes(),
        )
    };
    let r = grant("read:books  read:reports");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["scope"], "read:books read:reports");
    let made_up = format!("é\"\\<script>{}", "x".repeat(3000));
    for scope in
        ["read:books\tread:reports", "read:books\u{a0}read:reports", made_up.as_str(), "write:everything"]
    {
        let r = grant(scope);
        assert_eq!(r.status, 400, "{scope:?}: {}", r.text());
        let body = r.json();
        assert_eq!(body["error"], "invalid_scope");
        let description = body["error_description"].as_str().unwrap();
        assert!(
            description.bytes().all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\'),
            "{description}"
        );
        assert!(
            !r.text().contains("<script") && !r.text().contains("everything") && r.body.len() < 1000,
            "{}",
            r.text()
        );
    }
    // An editor asking for the administrators' scope is told which one.
    let r = grant("read:books admin:users");
    assert_eq!(r.json()["error_description"], "the scope admin:users is not available to this account");
}

/// A domain typed with an ideographic, full-width or half-width ideographic full stop (an IME
/// may type them) is the same domain: the address is taken, not refused as malformed.
#[test]
fn an_ideographic_full_stop_in_the_domain_is_a_full_stop() {
    let local = unique_email("stop").replace("@blackbox.test", "");
    let register = |email: String| {
        app().json("POST", "/api/auth/register", None, &json!({"email": email, "password": PASSWORD}))
    };
    assert_eq!(register(format!("{local}@example.com")).status, 201);
    for stop in ['\u{3002}', '\u{FF0E}', '\u{FF61}'] {
        let r = register(format!("{local}@example{stop}com"));
        assert_eq!(r.status, 409, "{stop:?}: {}", r.text());
    }
}

/// A public client that names itself with the empty secret is served (RFC 6749 §2.3.1 and §3.1:
/// requests-oauthlib's password flow sends Basic `id:`, authlib's `client_secret_post` an empty
/// `client_secret`); a secret is an unknown client's.
#[test]
fn a_public_client_with_the_empty_secret_signs_in() {
    let t = app().login(&unique_email("public-client"));
    let body = format!(
        "grant_type=password&username={}&password={}",
        folio_blackbox::urlencode(&t.email),
        folio_blackbox::urlencode(PASSWORD)
    );
    let form = [("content-type", "application/x-www-form-urlencoded")];
    let basic = |credentials: &str| {
        let auth = format!("Basic {credentials}");
        app().call("POST", "/api/auth/token", &[form[0], ("authorization", &auth)], body.as_bytes())
    };
    assert_eq!(basic("Zm9saW8tY2xpOg==").status, 200, "folio-cli:");
    assert_eq!(basic("Zm9saW8tY2xpOnNlY3JldA==").status, 401, "folio-cli:secret");
    let empty_secret = format!("{body}&client_id=folio-cli&client_secret=");
    assert_eq!(app().call("POST", "/api/auth/token", &form, empty_secret.as_bytes()).status, 200);
}

/// A form that only a lenient parser reads (a broken `%` escape, bytes that are not UTF-8) is
/// `invalid_request` on real Spin too, and never a wrong password counted against the account:
/// five such requests leave the account's sign-in open.
#[test]
fn malformed_token_forms_are_invalid_requests_not_wrong_passwords() {
    let email = unique_email("malformed-form");
    app().login(&email);
    let user = folio_blackbox::urlencode(&email);
    let bodies: [Vec<u8>; 5] = [
        format!("grant_type=password&username={user}&password=%zz").into_bytes(),
        format!("grant_type=password&username={user}&password=%2").into_bytes(),
        format!("grant_type=password&username={user}&password=%FF%FE").into_bytes(),
        format!("grant_type=password&username={user}&password=%G0x").into_bytes(),
        [format!("grant_type=password&username={user}&password=").into_bytes(), vec![0xff]].concat(),
    ];
    for body in bodies {
        let r = app().call(
            "POST",
            "/api/auth/token",
            &[("content-type", "application/x-www-form-urlencoded")],
            &body,
        );
        assert_eq!(r.status, 400, "{}: {}", String::from_utf8_lossy(&body), r.text());
        assert_eq!(r.json()["error"], "invalid_request", "{}", r.text());
    }
    app().password_grant(&email, folio_blackbox::PASSWORD);
}

/// A refresh token introspects active while a refresh would honour it (RFC 7662 §2.1), on real
/// Spin; a spent one inactive, and looking at it does not end the session.
#[test]
fn a_refresh_token_introspects_while_it_would_be_honoured() {
    let t = app().login(&unique_email("introspect-refresh"));
    let look = |caller: &str, token: &str| {
        let r = app().json("POST", "/api/auth/introspect", Some(caller), &json!({"token": token}));
        assert_eq!(r.status, 200, "{}", r.text());
        r.json()
    };
    let seen = look(&t.access, &t.refresh);
    assert_eq!(
        (seen["active"].clone(), seen["token_type"].clone()),
        (json!(true), json!("refresh_token")),
        "{seen}"
    );
    let refresh = |token: &str| {
        let body = format!("grant_type=refresh_token&refresh_token={}", folio_blackbox::urlencode(token));
        app().call(
            "POST",
            "/api/auth/token",
            &[("content-type", "application/x-www-form-urlencoded")],
            body.as_bytes(),
        )
    };
    let r = refresh(&t.refresh);
    assert_eq!(r.status, 200, "{}", r.text());
    let next = r.json();
    let (access, newer) = (next["access_token"].as_str().unwrap(), next["refresh_token"].as_str().unwrap());
    assert_eq!(look(access, &t.refresh), json!({"active": false}));
    assert_eq!(refresh(newer).status, 200, "looking at the spent token ended nothing");
}
