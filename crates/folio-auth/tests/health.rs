//! `/api/health` and the shared 404/405 rules, driven through the auth component's handler.

use folio_core::{Clock, Host, Kv, Sql};
use folio_native::{
    body_json, request, BrokenKv, BrokenSql, ManualClock, MapConfig, NativeSql, OsRandom, TestApp,
};

fn get(path: &str) -> folio_core::Request {
    request("GET", path).body(Vec::new()).unwrap()
}

#[test]
fn health_is_ok_on_a_fresh_app_and_migrates_it() {
    let app = TestApp::new();
    let r = app.call(folio_auth::handle, get("/api/health"));
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    let body = body_json(&r);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["checks"]["sqlite"], "ok");
    assert_eq!(body["checks"]["kv"], "ok");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(body["checks"]["stores"], "ok");
    // What stays: the store's pairing with this database and the one probe key.
    let mut keys = app.kv.keys().unwrap();
    keys.sort();
    assert_eq!(keys, [folio_core::pairing::KEY, folio_core::health::PROBE_KEY], "health left keys behind");
    // And the database now has the schema.
    let tables = app.sql().execute("SELECT COUNT(*) AS n FROM schema_migrations", &[]).unwrap();
    assert!(tables.first().unwrap().i64("n").unwrap() >= 1);
    // A second call on the migrated database is just as healthy.
    assert_eq!(app.call(folio_auth::handle, get("/api/health")).status(), 200);
}

fn health_with(sql: &dyn folio_core::Sql, kv: &dyn Kv) -> folio_core::Response {
    let host = Host { sql, kv, clock: &ManualClock::now(), random: &OsRandom, config: &MapConfig::new() };
    folio_auth::handle(&host, get("/api/health"))
}

#[test]
fn health_is_503_naming_a_failing_key_value_store() {
    let r = health_with(&NativeSql::in_memory(), &BrokenKv);
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let body = body_json(&r);
    assert_eq!(body["checks"]["kv"], "error");
    assert_eq!(body["checks"]["sqlite"], "ok");
    assert_eq!(body["status"], 503);
    assert_eq!(body["type"], "/docs/problems#unavailable");
    assert_eq!(body["detail"], "failing checks: kv");
    // A store may be back in a moment: the same Retry-After as every route's store `503`.
    assert_eq!(r.headers()["retry-after"], "2");
    assert!(!body.to_string().contains("store offline"), "cause leaked: {body}");
}

#[test]
fn health_is_503_naming_a_failing_database() {
    let r = health_with(&BrokenSql, &folio_native::MemoryKv::new());
    assert_eq!(r.status(), 503);
    let body = body_json(&r);
    assert_eq!(body["checks"]["sqlite"], "error");
    assert_eq!(body["checks"]["kv"], "ok");
    assert_eq!(r.headers()["retry-after"], "2");
    assert!(!body.to_string().contains("unable to open"), "cause leaked: {body}");
}

#[test]
fn head_on_health_has_no_body() {
    let app = TestApp::new();
    let r = app.call(folio_auth::handle, request("HEAD", "/api/health").body(Vec::new()).unwrap());
    assert_eq!(r.status(), 200);
    assert!(r.body().is_empty());
}

#[test]
fn wrong_method_is_405_with_allow() {
    let app = TestApp::new();
    let r = app.call(folio_auth::handle, request("DELETE", "/api/health").body(Vec::new()).unwrap());
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()["allow"], "GET, HEAD, OPTIONS");
    assert_eq!(r.headers()["content-type"], "application/problem+json");
}

#[test]
fn unknown_api_path_is_404_problem() {
    let app = TestApp::new();
    let r = app.call(folio_auth::handle, get("/api/auth/nothing-here"));
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    assert_eq!(body_json(&r)["status"], 404);
}

/// A later build migrated the database (a rollback, or the old pods of a rolling update): this
/// build serves it, so its readiness probe must say so too, or a rollback would leave no pod in
/// service.
#[test]
fn health_is_ok_on_a_schema_newer_than_the_build() {
    let app = TestApp::new();
    assert_eq!(app.call(folio_auth::handle, get("/api/health")).status(), 200);
    let next = folio_core::migrate::latest_version() + 1;
    app.sql()
        .execute(
            "INSERT INTO schema_migrations (version, name, checksum) VALUES (?, 'later_build', 'x')",
            &[next.into()],
        )
        .unwrap();
    let r = app.call(folio_auth::handle, get("/api/health"));
    assert_eq!(r.status(), 200, "{}", String::from_utf8_lossy(r.body()));
}

/// A store that takes every write and keeps none.
struct ForgetfulKv(folio_native::MemoryKv);

impl Kv for ForgetfulKv {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, folio_core::KvError> {
        self.0.get(key)
    }
    fn set(&self, _: &str, _: &[u8]) -> Result<(), folio_core::KvError> {
        Ok(())
    }
    fn delete(&self, key: &str) -> Result<(), folio_core::KvError> {
        self.0.delete(key)
    }
    fn exists(&self, key: &str) -> Result<bool, folio_core::KvError> {
        self.0.exists(key)
    }
    fn keys(&self) -> Result<Vec<String>, folio_core::KvError> {
        self.0.keys()
    }
}

#[test]
fn a_key_value_store_that_keeps_no_write_fails_the_check() {
    let r = health_with(&NativeSql::in_memory(), &ForgetfulKv(folio_native::MemoryKv::new()));
    assert_eq!(r.status(), 503);
    assert_eq!(body_json(&r)["checks"]["kv"], "error");
}

#[test]
fn a_flood_of_health_checks_writes_the_probe_once_a_second() {
    let app = TestApp::new();
    assert_eq!(app.call(folio_auth::handle, get("/api/health")).status(), 200);
    let checks = |app: &TestApp| {
        let trips = folio_native::RoundTrips::new(app.kv.as_ref());
        let r = app.with_host_over(&app.sql(), &trips, |h| folio_auth::handle(h, get("/api/health")));
        assert_eq!(r.status(), 200, "{}", body_json(&r));
        trips.writes()
    };
    // Within the probe's second, a check reads the probe and writes nothing.
    for _ in 0..5 {
        assert_eq!(checks(&app), 0);
    }
    // A second later the next check writes a new probe, and the one after it reads it.
    app.clock.advance_secs(1);
    assert_eq!(checks(&app), 1);
    assert_eq!(checks(&app), 0);
    // A probe stamped far in the future (a replica's clock gone wrong) vouches for nothing.
    app.kv
        .set(folio_core::health::PROBE_KEY, format!("{}:x", app.clock.now_ms() + 60_000).as_bytes())
        .unwrap();
    assert_eq!(checks(&app), 1);
}

#[test]
fn a_store_that_stops_taking_writes_fails_the_check_within_the_probes_second() {
    let app = TestApp::new();
    assert_eq!(app.call(folio_auth::handle, get("/api/health")).status(), 200);
    // The store now refuses writes (a full Redis): reads still answer.
    let full = folio_native::KvWritesFail { inner: app.kv.as_ref() };
    let check =
        |app: &TestApp| app.with_host_over(&app.sql(), &full, |h| folio_auth::handle(h, get("/api/health")));
    assert_eq!(check(&app).status(), 200, "the probe written a moment ago still vouches");
    app.clock.advance_secs(1);
    let r = check(&app);
    assert_eq!(r.status(), 503);
    assert_eq!(body_json(&r)["checks"]["kv"], "error");
}

/// The operator audit's outage: the checks Spin held through a Redis reconnection answered `503`
/// "read back a different value" for a healthy store, their clock read before the wait.
#[test]
fn a_check_held_by_the_store_judges_probes_by_the_time_it_resumes() {
    let app = TestApp::new();
    assert_eq!(app.call(folio_auth::handle, get("/api/health")).status(), 200);
    app.kv.delete(folio_core::health::PROBE_KEY).unwrap();
    // The store holds the check's first read for 100 s (Spin through a Redis reconnection), and
    // another replica's check writes its probe between this check's write and its read-back.
    let probe_reads = std::cell::Cell::new(0);
    let held = folio_native::HookedKv {
        inner: app.kv.as_ref(),
        hook: |call| {
            if let folio_native::KvCall::Get(key @ folio_core::health::PROBE_KEY) = call {
                probe_reads.set(probe_reads.get() + 1);
                match probe_reads.get() {
                    1 => app.clock.advance_secs(100),
                    2 => app.kv.set(key, format!("{}:other-replica", app.clock.now_ms()).as_bytes())?,
                    _ => {}
                }
            }
            Ok(())
        },
    };
    let r = app.with_host_over(&app.sql(), &held, |h| folio_auth::handle(h, get("/api/health")));
    assert_eq!(probe_reads.get(), 2, "the check read, wrote and read back");
    assert_eq!(r.status(), 200, "{}", body_json(&r));
}
