//! A change of an account that must end its sessions (a new password, disabling, a new role,
//! deleting) and a sign-in are each one transaction with their sessions' registry: when a
//! statement of it finds the database locked past the busy budget, the answer is `503` and
//! nothing was changed. Before, the change committed first and the sessions were ended by a
//! second write: a `503` there left the password changed, the account disabled or deleted, and
//! every session alive (the race audit of 2026-12-07 held the lock between the two on real Spin).

mod common;

use common::*;
use folio_core::{Kv, Request, Response, Sql};
use folio_native::{body_json, BusyOn, TestApp};
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
    // Whichever of its statements found the lock: ending the sessions, or lifting the throttle.
    for marker in [ENDING_SESSIONS, "DELETE FROM login_attempts WHERE k"] {
        busy_on(&app, marker, reset());
        assert_eq!(me_status(&app, &ann.access).0, 200, "{marker}");
        assert_eq!(password_grant(&app, "ann@example.com", NEW_PASSWORD).status(), 400, "{marker}");
    }
    assert_eq!(call(&app, reset()).status(), 204);
    assert_eq!(me_status(&app, &ann.access).0, 401);
    assert_eq!(password_grant(&app, "ann@example.com", NEW_PASSWORD).status(), 200);
}

#[test]
fn a_sign_in_answered_503_left_no_session_behind() {
    let app = TestApp::new();
    let ann = sign_up_and_in(&app, "ann@example.com");
    let before = sessions_of(&app, &ann.account_id);
    // The sweep of expired sessions that every sign-in makes, in its transaction.
    busy_on(&app, "DELETE FROM auth_sessions WHERE id IN", password_grant_req("ann@example.com"));
    assert_eq!(sessions_of(&app, &ann.account_id), before);
    let listed = body_json(&call(&app, bearer("GET", "/api/auth/sessions", &ann.access)));
    assert_eq!(listed["items"].as_array().unwrap().len() as i64, before);
    assert_eq!(app.kv.keys().unwrap().iter().filter(|k| k.contains(&ann.account_id)).count() as i64, before);
}
