//! Refresh-token rotation and the end of sessions under races (issue 24, items 1 and 2).
//!
//! The races are made two ways: real threads presenting one refresh token at once (any
//! interleaving SQLite and the store produce), and hooks that run a second request at an exact
//! point of the first (`folio_native::Interleaved`), so that the interleaving
//! which used to let two presentations both succeed is tested every time, not by luck.

mod common;

use std::sync::Barrier;

use common::*;
use folio_core::{Host, Kv, Request, Response, Sql};
use folio_native::{body_json, Interleaved, OsRandom, RoundTrips, TestApp};
use serde_json::json;

/// Sends `req` to the auth handler over the app's stores seen through `sql` and `kv`.
fn call_through(app: &TestApp, sql: &dyn Sql, kv: &dyn Kv, req: Request) -> Response {
    let host = Host { sql, kv, clock: app.clock.as_ref(), random: &OsRandom, config: &app.config };
    folio_auth::handle(&host, req)
}

fn refresh_req(token: &str) -> Request {
    folio_native::json_request(
        "POST",
        "/api/auth/token",
        &json!({"grant_type": "refresh_token", "refresh_token": token}).to_string(),
    )
}

fn disable(app: &TestApp, admin: &Tokens, account_id: &str) {
    let r = call(
        app,
        bearer_json(
            "PATCH",
            &format!("/api/auth/users/{account_id}"),
            &admin.access,
            &json!({"disabled": true}),
        ),
    );
    assert_eq!(r.status(), 200, "{}", String::from_utf8_lossy(r.body()));
}

/// The session's traces in both stores: its registry row and its key-value record.
fn traces(app: &TestApp, account_id: &str) -> (i64, usize) {
    let rows = app
        .sql()
        .execute("SELECT COUNT(*) AS n FROM auth_sessions WHERE account_id = ?", &[account_id.into()])
        .unwrap();
    let records = app.kv.keys().unwrap().iter().filter(|k| k.contains(account_id)).count();
    (rows.first().unwrap().i64("n").unwrap(), records)
}

#[test]
fn parallel_presentations_of_one_refresh_token_give_exactly_one_success_and_end_the_session() {
    const N: usize = 8;
    for trial in 0..5 {
        let app = TestApp::new();
        let t = sign_up_and_in(&app, &format!("ann{trial}@example.com"));
        let barrier = Barrier::new(N);
        let answers: Vec<Response> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..N)
                .map(|_| {
                    s.spawn(|| {
                        barrier.wait();
                        call(&app, refresh_req(&t.refresh))
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let statuses: Vec<u16> = answers.iter().map(|r| r.status().as_u16()).collect();
        assert_eq!(statuses.iter().filter(|&&s| s == 200).count(), 1, "trial {trial}: {statuses:?}");
        assert!(statuses.iter().all(|&s| s == 200 || s == 400), "{statuses:?}");
        for r in answers.iter().filter(|r| r.status() == 400) {
            assert_eq!(body_json(r)["error"], "invalid_grant");
        }
        // Two presentations raced: one of them was a replay, so the session is over, the
        // winner's new tokens included.
        let winner = body_json(answers.iter().find(|r| r.status() == 200).unwrap());
        assert_eq!(me_status(&app, winner["access_token"].as_str().unwrap()).0, 401);
        assert_eq!(me_status(&app, &t.access).0, 401);
        assert_eq!(refresh_grant(&app, winner["refresh_token"].as_str().unwrap()).status(), 400);
        assert_eq!(traces(&app, &t.account_id), (0, 0), "nothing of the session is left");
    }
}

#[test]
fn a_replay_that_reads_the_token_before_the_client_rotates_it_ends_the_session() {
    // The interleaving that answered 200 twice: both presentations read the token as current,
    // then both rotated. Here the second runs whole between the first's read and the
    // transaction of its swap.
    let app = TestApp::new();
    let t = sign_up_and_in(&app, "ann@example.com");
    let sql = app.sql();
    let second = std::cell::RefCell::new(None);
    let hooked = Interleaved::before(&sql, "BEGIN IMMEDIATE", || {
        *second.borrow_mut() = Some(call(&app, refresh_req(&t.refresh)));
    });
    let first = call_through(&app, &hooked, app.kv.as_ref(), refresh_req(&t.refresh));
    assert!(hooked.fired());
    drop(hooked);
    let second = second.into_inner().unwrap();
    assert_eq!(second.status(), 200, "the presentation that swapped first is answered");
    assert_eq!(first.status(), 400);
    assert_eq!(body_json(&first)["error"], "invalid_grant");
    assert!(body_json(&first)["error_description"].as_str().unwrap().contains("already used"));
    let won = body_json(&second);
    assert_eq!(me_status(&app, won["access_token"].as_str().unwrap()).0, 401, "the session ended");
    assert_eq!(refresh_grant(&app, won["refresh_token"].as_str().unwrap()).status(), 400);
    assert_eq!(traces(&app, &t.account_id), (0, 0));
}

#[test]
fn a_refresh_that_publishes_after_a_disable_swept_the_account_is_taken_back() {
    let app = TestApp::new();
    let admin = sign_up_and_in(&app, "admin@example.com");
    let ann = sign_up_and_in(&app, "ann@example.com");
    // The refresh has rotated its token and written its record (one transaction); just after its
    // commit, an administrator disables the account and ends its sessions (row and record).
    let sql = app.sql();
    let hooked = Interleaved::after(&sql, "COMMIT", || disable(&app, &admin, &ann.account_id));
    let r = call_through(&app, &hooked, app.kv.as_ref(), refresh_req(&ann.refresh));
    assert!(hooked.fired());
    assert_eq!(r.status(), 200, "it won the rotation, before the disable");
    assert_eq!(me_status(&app, body_json(&r)["access_token"].as_str().unwrap()).0, 401);
    assert_eq!(traces(&app, &ann.account_id), (0, 0), "no record outlives its row");
}

/// A sign-in with an administrator's disable before the transaction that registers the session
/// (the sign-in reads the account again inside it and is refused), or just after its commit
/// (the sign-in was answered; the disable ends its session, row and record, like any other).
/// Either way nothing of the session is left, and no token of it works. Inside the
/// transaction nothing interleaves: it holds the write lock.
fn sign_in_interleaved_with_disable(after: bool) {
    let app = TestApp::new();
    let admin = sign_up_and_in(&app, "admin@example.com");
    let ann = sign_up_and_in(&app, "ann@example.com");
    let sql = app.sql();
    let hook = || disable(&app, &admin, &ann.account_id);
    let hooked = if after {
        Interleaved::after(&sql, "COMMIT", hook)
    } else {
        Interleaved::before(&sql, "BEGIN IMMEDIATE", hook)
    };
    let r = call_through(&app, &hooked, app.kv.as_ref(), password_grant_req("ann@example.com"));
    assert!(hooked.fired());
    if after {
        assert_eq!(r.status(), 200, "{}", String::from_utf8_lossy(r.body()));
        assert_eq!(me_status(&app, body_json(&r)["access_token"].as_str().unwrap()).0, 401);
    } else {
        assert_eq!(r.status(), 400, "{}", String::from_utf8_lossy(r.body()));
        assert_eq!(body_json(&r)["error"], "invalid_grant");
    }
    assert_eq!(traces(&app, &ann.account_id), (0, 0));
}

#[test]
fn a_sign_in_that_registers_after_a_disable_swept_the_account_is_refused() {
    sign_in_interleaved_with_disable(false);
}

#[test]
fn a_sign_in_answered_just_before_a_disable_is_ended_by_it() {
    sign_in_interleaved_with_disable(true);
}

#[test]
fn a_sign_in_racing_a_new_password_is_refused() {
    let app = TestApp::new();
    let ann = sign_up_and_in(&app, "ann@example.com");
    let sql = app.sql();
    let hooked = Interleaved::before(&sql, "BEGIN IMMEDIATE", || {
        // Another device changes the password between this sign-in's check and its session.
        app.sql()
            .execute(
                "UPDATE accounts SET password_hash = 'changed' WHERE id = ?",
                &[ann.account_id.as_str().into()],
            )
            .unwrap();
    });
    let r = call_through(&app, &hooked, app.kv.as_ref(), password_grant_req("ann@example.com"));
    assert_eq!(r.status(), 400);
    assert_eq!(me_status(&app, &ann.access).0, 200, "sessions started before are for the change to end");
}

#[test]
fn ending_all_of_an_accounts_sessions_lists_nothing_and_costs_what_the_account_has() {
    let cost = |others: usize| {
        let app = TestApp::new();
        let admin = sign_up_and_in(&app, "admin@example.com");
        let ann = sign_up_and_in(&app, "ann@example.com");
        sign_in(&app, "ann@example.com");
        sign_in(&app, "ann@example.com");
        // Other people's sessions and other keys fill the store.
        app.with_host(|h| {
            for _ in 0..others {
                folio_auth::testing::login_as(h, "reader");
            }
        });
        for i in 0..others {
            app.kv.set(&format!("filler:{i}"), b"x").unwrap();
        }
        let trips = RoundTrips::new(app.kv.as_ref());
        let sql = app.sql();
        let req = bearer_json(
            "PATCH",
            &format!("/api/auth/users/{}", ann.account_id),
            &admin.access,
            &json!({"disabled": true}),
        );
        let r = call_through(&app, &sql, &trips, req);
        assert_eq!(r.status(), 200);
        assert_eq!(trips.listings(), 0, "no listing of the store");
        assert_eq!(traces(&app, &ann.account_id), (0, 0), "all three sessions ended");
        assert_eq!(me_status(&app, &ann.access).0, 401);
        (trips.reads(), trips.writes())
    };
    let (reads, writes) = cost(0);
    assert_eq!(writes, 3, "one delete per session of the account");
    assert_eq!(cost(200), (reads, writes), "the same, whatever else the store holds");
}

#[test]
fn status_counts_live_sessions_without_listing_the_store() {
    let app = TestApp::new();
    let admin = sign_up_and_in(&app, "admin@example.com");
    sign_up_and_in(&app, "ann@example.com");
    let gone = sign_in(&app, "ann@example.com");
    call(&app, bearer("POST", "/api/auth/logout", &gone.access));
    let trips = RoundTrips::new(app.kv.as_ref());
    let sql = app.sql();
    let r = call_through(&app, &sql, &trips, bearer("GET", "/api/status", &admin.access));
    assert_eq!(r.status(), 200);
    assert_eq!(body_json(&r)["live_sessions"], 2);
    assert_eq!(trips.listings(), 0);
}

/// The routes about one's own account read the token's session and the stores' pairing record
/// in one key-value round trip, not one each.
#[test]
fn reading_ones_own_account_makes_one_key_value_round_trip() {
    let app = TestApp::new();
    let ann = sign_up_and_in(&app, "ann@example.com");
    for path in ["/api/auth/me", "/api/auth/sessions"] {
        let trips = RoundTrips::new(app.kv.as_ref());
        let sql = app.sql();
        // Over a read-ahead, as the Spin adapter builds every request's store.
        let r = app.with_host_over(&sql, &trips, |h| folio_auth::handle(h, bearer("GET", path, &ann.access)));
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!((trips.reads(), trips.writes()), (1, 0), "{path}");
    }
}
