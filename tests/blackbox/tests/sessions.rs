//! Refresh rotation and the end of sessions on real Spin, with the key-value store local and
//! on Redis (issue 24, items 1 and 2).

use std::sync::Barrier;

use folio_blackbox::{app, unique_email, App, Instance, Redis, Resp};
use serde_json::json;

fn refresh(app: &App, token: &str) -> Resp {
    app.json("POST", "/api/auth/token", None, &json!({"grant_type": "refresh_token", "refresh_token": token}))
}

/// `n` presentations of one refresh token at once, several times over: each time exactly one is
/// answered `200`, the others `400 invalid_grant`, and the session is over, the winner's new
/// tokens included (two presentations raced, so one was a replay).
fn parallel_presentations(app: &App, n: usize) {
    for round in 0..4 {
        let t = app.login(&unique_email("race"));
        let barrier = Barrier::new(n);
        let answers: Vec<Resp> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..n)
                .map(|_| {
                    s.spawn(|| {
                        barrier.wait();
                        refresh(app, &t.refresh)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let statuses: Vec<u16> = answers.iter().map(|r| r.status).collect();
        assert_eq!(statuses.iter().filter(|&&s| s == 200).count(), 1, "round {round}: {statuses:?}");
        for r in answers.iter().filter(|r| r.status != 200) {
            assert_eq!(r.status, 400, "{}", r.text());
            assert_eq!(r.json()["error"], "invalid_grant");
        }
        let won = answers.iter().find(|r| r.status == 200).unwrap().json();
        let access = won["access_token"].as_str().unwrap();
        for path in ["/api/auth/me", "/api/books"] {
            app.with_token("GET", path, access).problem(401);
        }
        app.with_token("GET", "/api/books", &t.access).problem(401);
        assert_eq!(refresh(app, won["refresh_token"].as_str().unwrap()).status, 400);
    }
}

/// An account with three sessions is disabled: every one of them ends at once, in every
/// component; another account's session lives on.
fn disabling_ends_every_session(app: &App) {
    let admin = app.admin();
    let email = unique_email("disable");
    let sessions = [
        app.login(&email),
        app.password_grant(&email, folio_blackbox::PASSWORD),
        app.password_grant(&email, folio_blackbox::PASSWORD),
    ];
    let other = app.login(&unique_email("bystander"));
    let me = app.with_token("GET", "/api/auth/me", &sessions[0].access).json();
    let id = me["account"]["id"].as_str().unwrap();
    let r =
        app.json("PATCH", &format!("/api/auth/users/{id}"), Some(&admin.access), &json!({"disabled": true}));
    assert_eq!(r.status, 200, "{}", r.text());
    for s in &sessions {
        app.with_token("GET", "/api/books", &s.access).problem(401);
        assert_eq!(refresh(app, &s.refresh).status, 400);
    }
    assert_eq!(app.with_token("GET", "/api/books", &other.access).status, 200);
}

#[test]
fn on_the_local_store_one_refresh_token_presented_eight_times_at_once_is_answered_once() {
    parallel_presentations(app(), 8);
}

#[test]
fn on_the_local_store_disabling_an_account_ends_all_its_sessions() {
    disabling_ends_every_session(app());
}

#[test]
fn on_redis_one_refresh_token_presented_eight_times_at_once_is_answered_once() {
    let redis = Redis::start();
    let instance = Instance::start(redis.launch());
    parallel_presentations(&instance.app, 8);
    // Every session ended, so nothing is left to count: Redis's command counts show it served them.
    assert!(redis.cli(&["INFO", "commandstats"]).contains("cmdstat_set:"), "the sessions were on Redis");
}

#[test]
fn on_redis_ending_sessions_never_lists_the_keys() {
    let redis = Redis::start();
    let instance = Instance::start(redis.launch());
    let app = &instance.app;
    disabling_ends_every_session(app);
    let admin = app.admin();
    let status = app.with_token("GET", "/api/status", &admin.access);
    assert_eq!(status.status, 200, "{}", status.text());
    assert!(status.json()["live_sessions"].as_i64().unwrap() >= 2);
    // Redis counts every command it served: not one KEYS or SCAN over the whole database.
    let stats = redis.cli(&["INFO", "commandstats"]);
    assert!(stats.contains("cmdstat_get"), "the store was used: {stats}");
    // Counted as executed: after the merge with the list cache a run showed `rejected_calls=4`
    // for KEYS (refused by Redis before it ran, `calls=0`); where those come from is open (issue 24's note).
    for listing in ["cmdstat_keys:", "cmdstat_scan:"] {
        let executed = stats
            .lines()
            .find(|l| l.starts_with(listing))
            .and_then(|l| l.split("calls=").nth(1))
            .and_then(|v| v.split(',').next())
            .map_or(0, |n| n.parse::<u64>().unwrap_or(u64::MAX));
        assert_eq!(executed, 0, "{listing} executed in {stats}");
    }
}

/// Two deployments pointed at one Redis database: the second's readiness probe names it and its
/// sign-up and sign-in refuse, instead of trusting the first's sessions (an administrator's
/// included) and serving its cached books. The first, whose store it is, carries on.
#[test]
fn a_second_deployment_on_the_same_redis_is_named_not_trusted() {
    let redis = Redis::start();
    let first = Instance::start(redis.launch());
    let tokens = first.app.login(&unique_email("pair"));
    let second = Instance::start(redis.launch());
    let health = second.app.get("/api/health");
    let p = health.problem(503);
    assert_eq!(p["type"], "/docs/problems#misconfigured", "{p}");
    assert_eq!(p["checks"]["stores"], "error", "{p}");
    assert!(p["detail"].as_str().unwrap().contains("another database"), "{p}");
    let sign_up = second.app.json(
        "POST",
        "/api/auth/register",
        None,
        &json!({"email": unique_email("pair2"), "password": "correct horse battery"}),
    );
    sign_up.problem(503);
    // The first's administrator token is vouched for by the shared store: the second refuses it
    // every write and every administrator's route.
    let admin = first.app.admin();
    second.app.with_token("GET", "/api/auth/users", &admin.access).problem(503);
    second
        .app
        .json("POST", "/api/books", Some(&admin.access), &folio_blackbox::book_body("Foreign"))
        .problem(503);
    assert_eq!(first.app.get("/api/health").status, 200);
    assert_eq!(first.app.with_token("GET", "/api/auth/me", &tokens.access).status, 200);
}

/// RFC 7009 revocation on real Spin: a client whose access token has expired ends its session
/// with the refresh token it still holds; an unknown token gets the same `200` and ends nothing.
#[test]
fn a_refresh_token_revokes_its_session_where_logout_no_longer_can() {
    let t = app().login(&unique_email("revoke"));
    let revoke = |token: &str| {
        app().call(
            "POST",
            "/api/auth/revoke",
            &[("content-type", "application/x-www-form-urlencoded")],
            format!("token={}&token_type_hint=refresh_token", folio_blackbox::urlencode(token)).as_bytes(),
        )
    };
    let r = revoke("not-a-token-of-anybody");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(app().with_token("GET", "/api/auth/me", &t.access).status, 200, "nothing revoked");
    let r = revoke(&t.refresh);
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.body.is_empty());
    // Every token of the session is refused at once, in every component.
    assert_eq!(app().with_token("GET", "/api/auth/me", &t.access).status, 401);
    assert_eq!(app().with_token("GET", "/api/books", &t.access).status, 401);
    let refreshed = app().call(
        "POST",
        "/api/auth/token",
        &[("content-type", "application/x-www-form-urlencoded")],
        format!("grant_type=refresh_token&refresh_token={}", folio_blackbox::urlencode(&t.refresh))
            .as_bytes(),
    );
    assert_eq!(refreshed.status, 400, "{}", refreshed.text());
    // The discovery document names the endpoint.
    let d = app().get("/.well-known/openid-configuration").json();
    assert!(d["revocation_endpoint"].as_str().unwrap().ends_with("/api/auth/revoke"), "{d}");
}
