//! A change of an account that must end its sessions (a new password, disabling, a new role,
//! deleting), a sign-in, a refresh, a logout: each is one SQLite transaction with its sessions'
//! rows and, before the commit, their records in the key-value store. When a statement finds the
//! database locked past the busy budget, or the key-value store fails, the answer is `503` and
//! nothing a client relies on was changed; the retry does it all. Before, the change committed
//! first and the sessions were ended by later writes: a `503` there left the password changed,
//! the account disabled or deleted, and every session alive (the race audits of 2026-12-07 held
//! the database's and then the key-value store's lock between the writes on real Spin).

mod common;

use common::*;
use folio_core::{Kv, Request, Response, Sql};
use folio_native::{body_json, BusyOn, KvWritesFail, TestApp};
use serde_json::json;

const NEW_PASSWORD: &str = "a brand new passphrase";

/// Sends `req` with every statement containing `marker` refused as busy; checks it was.
fn busy_on(app: &TestApp, marker: &'static str, req: Request) -> Response {
    let sql = app.sql();
    let busy = BusyOn::new(&sql, marker);
    let r = app.with_host_over(&busy, app.kv.as_ref(), |host| folio_auth::handle(host, req));
    assert!(busy.refused() > 0, "no statement contained {marker:?}");
    assert_eq!(r.status(), 503, "{}", String::from_utf8_lossy(r.body()));
    assert_eq!(r.headers()["retry-after"], "2");
    r
}

/// Sends `req` with every key-value write failing as an unreachable Redis would.
fn kv_down(app: &TestApp, req: Request) -> Response {
    let sql = app.sql();
    let kv = KvWritesFail { inner: app.kv.as_ref() };
    let r = app.with_host_over(&sql, &kv, |host| folio_auth::handle(host, req));
    assert_eq!(r.status(), 503, "{}", String::from_utf8_lossy(r.body()));
    assert_eq!(r.headers()["retry-after"], "2");
    r
}

fn sessions_of(app: &TestApp, account_id: &str) -> i64 {
    let rows = app
        .sql()
        .execute("SELECT COUNT(*) AS n FROM auth_sessions WHERE account_id = ?", &[account_id.into()])
        .unwrap();
    rows.first().unwrap().i64("n").unwrap()
}

const ENDING_SESSIONS: &str = "DELETE FROM auth_sessions WHERE account_id";

#[test]
fn a_password_change_answered_503_changed_nothing_and_its_retry_works() {
    let app = TestApp::new();
    let ann = sign_up_and_in(&app, "ann@example.com");
    let other = sign_in(&app, "ann@example.com");
    let change = || {
        bearer_json(
            "POST",
            "/api/auth/password",
            &ann.access,
            &json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD}),
        )
    };
    busy_on(&app, ENDING_SESSIONS, change());
    assert_eq!(
        password_grant(&app, "ann@example.com", PASSWORD).status(),
        200,
        "the old password still works"
    );
    assert_eq!(me_status(&app, &other.access).0, 200);
    // The retry, with the same current password, does it all.
    assert_eq!(call(&app, change()).status(), 204);
    assert_eq!(me_status(&app, &other.access).0, 401);
    assert_eq!(me_status(&app, &ann.access).0, 200, "the caller's own session stays");
    assert_eq!(password_grant(&app, "ann@example.com", NEW_PASSWORD).status(), 200);
}

#[test]
fn disabling_or_demoting_answered_503_changed_nothing_and_the_retry_ends_the_sessions() {
    let app = TestApp::new();
    let admin = sign_up_and_in(&app, "admin@example.com");
    let ed = sign_up_and_in(&app, "ed@example.com");
    let path = format!("/api/auth/users/{}", ed.account_id);
    for change in [json!({"role": "reader"}), json!({"disabled": true})] {
        let ed = sign_in(&app, "ed@example.com");
        busy_on(&app, ENDING_SESSIONS, bearer_json("PATCH", &path, &admin.access, &change));
        kv_down(&app, bearer_json("PATCH", &path, &admin.access, &change));
        let account = body_json(&call(&app, bearer("GET", "/api/auth/users", &admin.access)))["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] == ed.account_id.as_str())
            .unwrap()
            .clone();
        assert_eq!((account["role"].as_str(), account["disabled"].as_bool()), (Some("editor"), Some(false)));
        assert_eq!(me_status(&app, &ed.access).0, 200);
        let r = call(&app, bearer_json("PATCH", &path, &admin.access, &change));
        assert_eq!(r.status(), 200, "{change}");
        assert_eq!(me_status(&app, &ed.access).0, 401, "{change}: the retry ended the sessions");
        assert_eq!(sessions_of(&app, &ed.account_id), 0);
        // Back to an enabled editor for the next change.
        let undo = json!({"role": "editor", "disabled": false});
        assert_eq!(call(&app, bearer_json("PATCH", &path, &admin.access, &undo)).status(), 200);
    }
    // Disabling an account that is disabled already still sweeps what it has.
    let ed2 = sign_in(&app, "ed@example.com");
    assert_eq!(
        call(&app, bearer_json("PATCH", &path, &admin.access, &json!({"disabled": true}))).status(),
        200
    );
    assert_eq!(me_status(&app, &ed2.access).0, 401);
    assert_eq!(me_status(&app, &ed.access).0, 401);
}

#[test]
fn leaving_answered_503_deleted_nothing() {
    let app = TestApp::new();
    sign_up_and_in(&app, "admin@example.com");
    let ann = sign_up_and_in(&app, "ann@example.com");
    let leave = || bearer_json("DELETE", "/api/auth/me", &ann.access, &json!({"password": PASSWORD}));
    busy_on(&app, ENDING_SESSIONS, leave());
    kv_down(&app, leave());
    assert_eq!(me_status(&app, &ann.access).0, 200, "the account and its session are still there");
    assert_eq!(call(&app, leave()).status(), 204);
    assert_eq!(me_status(&app, &ann.access).0, 401);
    assert_eq!(sessions_of(&app, &ann.account_id), 0);
}

#[test]
fn an_administrators_password_reset_answered_503_changed_nothing() {
    let app = TestApp::new();
    let admin = sign_up_and_in(&app, "admin@example.com");
    let ann = sign_up_and_in(&app, "ann@example.com");
    let path = format!("/api/auth/users/{}/password", ann.account_id);
    let reset = || bearer_json("POST", &path, &admin.access, &json!({"new_password": NEW_PASSWORD}));
    busy_on(&app, ENDING_SESSIONS, reset());
    kv_down(&app, reset());
    assert_eq!(me_status(&app, &ann.access).0, 200);
    // The throttle is lifted after the records are deleted: a lock found there rolls the
    // password and the registry back. The records deleted before it stay deleted (the session's
    // access token is refused), which only sends the session through a refresh, as it still
    // exists.
    busy_on(&app, "DELETE FROM login_attempts WHERE k", reset());
    assert_eq!(
        password_grant(&app, "ann@example.com", NEW_PASSWORD).status(),
        400,
        "the password is the old one"
    );
    assert_eq!(sessions_of(&app, &ann.account_id), 1, "the session is still registered");
    let refreshed = refresh_grant(&app, &ann.refresh);
    assert_eq!(refreshed.status(), 200, "and the session goes on through its refresh token");
    let ann = tokens_of(&app, &refreshed);
    assert_eq!(call(&app, reset()).status(), 204);
    assert_eq!(me_status(&app, &ann.access).0, 401);
    assert_eq!(password_grant(&app, "ann@example.com", NEW_PASSWORD).status(), 200);
}

#[test]
fn a_sign_in_answered_503_left_no_session_behind() {
    let app = TestApp::new();
    let ann = sign_up_and_in(&app, "ann@example.com");
    let before = sessions_of(&app, &ann.account_id);
    // The registration found the lock held: nothing of the session is left, its record included.
    busy_on(&app, "INSERT INTO auth_sessions", password_grant_req("ann@example.com"));
    assert_eq!(sessions_of(&app, &ann.account_id), before);
    let listed = body_json(&call(&app, bearer("GET", "/api/auth/sessions", &ann.access)));
    assert_eq!(listed["items"].as_array().unwrap().len() as i64, before);
    assert_eq!(app.kv.keys().unwrap().iter().filter(|k| k.contains(&ann.account_id)).count() as i64, before);
    // The trimming after it is housekeeping: when it finds the lock held, the sign-in is still
    // answered, its session works, and the next sign-in trims.
    let sql = app.sql();
    let busy = BusyOn::new(&sql, "DELETE FROM auth_sessions WHERE id IN");
    let (r, logged) = folio_core::log::capture(|| {
        app.with_host_over(&busy, app.kv.as_ref(), |host| {
            folio_auth::handle(host, password_grant_req("ann@example.com"))
        })
    });
    assert_eq!((r.status().as_u16(), busy.refused()), (200, 1));
    assert!(logged.iter().any(|l| l["event"] == "sessions_not_trimmed"), "{logged:?}");
    assert_eq!(me_status(&app, body_json(&r)["access_token"].as_str().unwrap()).0, 200);
    assert_eq!(sessions_of(&app, &ann.account_id), before + 1);
}

#[test]
fn a_sign_in_or_a_refresh_with_the_key_value_store_down_changed_nothing() {
    let app = TestApp::new();
    let ann = sign_up_and_in(&app, "ann@example.com");
    let before = sessions_of(&app, &ann.account_id);
    kv_down(&app, password_grant_req("ann@example.com"));
    assert_eq!(sessions_of(&app, &ann.account_id), before, "no session without its record");
    // The refresh token is not spent by a refresh that could not write the new record: the
    // client's retry works (and is not taken for a replay that ends the session).
    kv_down(&app, refresh_req(&ann.refresh));
    let r = refresh_grant(&app, &ann.refresh);
    assert_eq!(r.status(), 200, "{}", String::from_utf8_lossy(r.body()));
    let renewed = tokens_of(&app, &r);
    assert_eq!(me_status(&app, &renewed.access).0, 200);
    // A logout or a session's deletion that could not delete the record deleted nothing: the
    // retry finds the session and ends it.
    kv_down(&app, bearer("POST", "/api/auth/logout", &renewed.access));
    assert_eq!(me_status(&app, &renewed.access).0, 200);
    let other = sign_in(&app, "ann@example.com");
    let path = format!("/api/auth/sessions/{}", claims_of(&other.access)["sid"].as_str().unwrap());
    kv_down(&app, bearer("DELETE", &path, &renewed.access));
    assert_eq!(call(&app, bearer("DELETE", &path, &renewed.access)).status(), 204);
    assert_eq!(me_status(&app, &other.access).0, 401);
    assert_eq!(call(&app, bearer("POST", "/api/auth/logout", &renewed.access)).status(), 204);
    assert_eq!(me_status(&app, &renewed.access).0, 401);
}

fn refresh_req(token: &str) -> Request {
    folio_native::json_request(
        "POST",
        "/api/auth/token",
        &json!({"grant_type": "refresh_token", "refresh_token": token}).to_string(),
    )
}
