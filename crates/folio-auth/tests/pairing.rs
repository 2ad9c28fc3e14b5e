//! The key-value store belongs to one database (folio_core::pairing): a store that holds another
//! database's sessions and cached books is named by health and refused by sign-up, sign-in and
//! refresh, instead of sharing authentication between two deployments.

mod common;

use common::*;
use folio_core::{pairing, Kv};
use folio_native::{body_json, request, TestApp};

fn health(app: &TestApp) -> folio_core::Response {
    call(app, request("GET", "/api/health").body(Vec::new()).unwrap())
}

fn misconfigured(r: &folio_core::Response) -> serde_json::Value {
    assert_eq!(r.status(), 503, "{}", String::from_utf8_lossy(r.body()));
    assert!(!r.headers().contains_key("retry-after"), "waiting does not fix it");
    let body = body_json(r);
    assert_eq!(body["type"], "/docs/problems#misconfigured");
    assert!(body["detail"].as_str().unwrap().contains("another database"), "{body}");
    body
}

#[test]
fn the_first_use_pairs_the_store_and_later_uses_find_it_paired() {
    let app = TestApp::new();
    assert_eq!(health(&app).status(), 200);
    let id = app.with_host(|h| pairing::database_id(h).unwrap()).expect("migration 13 made an identity");
    assert_eq!(id.len(), 32);
    assert_eq!(app.kv.get(pairing::KEY).unwrap(), Some(id.clone().into_bytes()));
    assert_eq!(app.with_host(|h| pairing::check(h).unwrap()), pairing::Pairing::Paired);
    // Emptied (a Redis without persistence restarted, or flushed): claimed again, nothing refused.
    app.kv.delete(pairing::KEY).unwrap();
    let tokens = sign_up_and_in(&app, "ann@example.com");
    assert_eq!(app.kv.get(pairing::KEY).unwrap(), Some(id.into_bytes()));
    assert_eq!(refresh_grant(&app, &tokens.refresh).status(), 200);
}

#[test]
fn a_second_deployment_on_the_same_store_is_refused_and_named() {
    let first = TestApp::new();
    let tokens = sign_up_and_in(&first, "admin@example.com");
    // Another database, the same key-value store: two deployments on one Redis database.
    let mut second = TestApp::new();
    second.kv = first.kv.clone();
    let r = health(&second);
    let body = misconfigured(&r);
    assert_eq!(body["checks"]["stores"], "error");
    assert_eq!(body["checks"]["sqlite"], "ok");
    assert_eq!(body["checks"]["kv"], "ok");
    assert_eq!(body["variables"], serde_json::json!([]));
    misconfigured(&register(&second, "eve@example.com", PASSWORD));
    misconfigured(&password_grant(&second, "admin@example.com", PASSWORD));
    misconfigured(&refresh_grant(&second, &tokens.refresh));
    // The first's administrator token, vouched for by the shared store: no administrator's
    // route and no write on the second.
    misconfigured(&call(&second, bearer("GET", "/api/auth/users", &tokens.access)));
    misconfigured(&call(&second, bearer("POST", "/api/auth/keys/rotate", &tokens.access)));
    // The first deployment, whose store it is, goes on as before.
    assert_eq!(health(&first).status(), 200);
    assert_eq!(refresh_grant(&first, &tokens.refresh).status(), 200);
}

#[test]
fn a_replaced_database_with_the_old_store_is_named_until_the_store_is_emptied() {
    let app = TestApp::new();
    sign_up_and_in(&app, "ann@example.com");
    // The database file replaced (deleted to start over, say) while the store was kept.
    std::fs::remove_file(app.db_path()).unwrap();
    let r = health(&app);
    misconfigured(&r);
    misconfigured(&register(&app, "ann@example.com", PASSWORD));
    // What the detail asks for: the store emptied. Then the new database claims it.
    for key in app.kv.keys().unwrap() {
        app.kv.delete(&key).unwrap();
    }
    assert_eq!(health(&app).status(), 200);
    assert_eq!(register(&app, "ann@example.com", PASSWORD).status(), 201);
}

/// An in-memory database on Spin (`spin up --from` without `--state-dir`): each request opens a
/// new, empty one. Named for what it is, not as a pairing failure (which it would otherwise
/// become from the second request on).
struct MemoryPerRequest(folio_native::NativeSql);

impl folio_core::Sql for MemoryPerRequest {
    fn execute(
        &self,
        statement: &str,
        params: &[folio_core::Value],
    ) -> Result<folio_core::Rows, folio_core::SqlError> {
        self.0.execute(statement, params)
    }

    fn memory_lasts_one_request(&self) -> bool {
        true
    }
}

#[test]
fn an_in_memory_database_that_lasts_one_request_is_named_by_health_and_every_route() {
    let app = TestApp::new();
    let on_fresh_memory = |req: folio_core::Request| {
        let sql = MemoryPerRequest(folio_native::NativeSql::in_memory());
        app.with_host_over(&sql, app.kv.as_ref(), |host| folio_auth::handle(host, req))
    };
    for _ in 0..2 {
        let r = on_fresh_memory(request("GET", "/api/health").body(Vec::new()).unwrap());
        assert_eq!(r.status(), 503);
        assert!(!r.headers().contains_key("retry-after"), "waiting does not fix it");
        let body = body_json(&r);
        assert_eq!(body["type"], "/docs/problems#misconfigured");
        assert_eq!(body["checks"]["sqlite"], "error");
        assert_eq!(body["checks"]["stores"], "unchecked");
        let detail = body["detail"].as_str().unwrap();
        assert!(detail.contains("in memory") && detail.contains("--state-dir"), "{detail}");
        assert!(!detail.contains("another database"), "{detail}");
        let signup = on_fresh_memory(folio_native::json_request(
            "POST",
            "/api/auth/register",
            &serde_json::json!({"email": "ann@example.com", "password": PASSWORD}).to_string(),
        ));
        assert_eq!(signup.status(), 503);
        let body = body_json(&signup);
        assert_eq!(body["type"], "/docs/problems#misconfigured");
        assert!(body["detail"].as_str().unwrap().contains("--state-dir"), "{body}");
    }
    // The same in-memory database where the connection outlives requests (this test host's
    // own) is a database like any other.
    let kept = folio_native::NativeSql::in_memory();
    let r = app.with_host_over(&kept, app.kv.as_ref(), |host| {
        folio_auth::handle(host, request("GET", "/api/health").body(Vec::new()).unwrap())
    });
    assert_eq!(r.status(), 200, "{}", String::from_utf8_lossy(r.body()));
}
