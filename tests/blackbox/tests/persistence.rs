//! Data survives a restart of the app: SQLite and the key-value store live in files of the state
//! directory (issue 3), or the key-value store lives in Redis, which outlives the app (issue 9).

use folio_blackbox::{book_body, unique_email, Instance, Launch, Redis};

#[test]
fn a_restart_keeps_accounts_sessions_and_books() {
    let mut instance = Instance::start(Launch::default());
    let email = unique_email("restart");
    let tokens = instance.app.login(&email);
    let created = instance.app.json("POST", "/api/books", Some(&tokens.access), &book_body("Survivor"));
    assert_eq!(created.status, 201, "{}", created.text());
    let id = created.json()["id"].as_str().unwrap().to_string();

    instance.restart();
    let app = &instance.app;
    // The session (key-value store) and the book (SQLite) are still there.
    let got = app.with_token("GET", &format!("/api/books/{id}"), &tokens.access);
    assert_eq!(got.status, 200, "{}", got.text());
    assert_eq!(got.json()["title"], "Survivor");
    assert_eq!(app.password_grant(&email, folio_blackbox::PASSWORD).email, email);
}

#[test]
fn on_redis_sessions_revocation_and_report_cache_work_and_survive_an_app_restart() {
    let redis = Redis::start();
    let mut instance = Instance::start(redis.launch());

    let email = unique_email("redis");
    let keep = instance.app.login(&email);
    let revoke = instance.app.password_grant(&email, folio_blackbox::PASSWORD);
    assert_eq!(
        instance.app.json("POST", "/api/books", Some(&keep.access), &book_body("On Redis")).status,
        201
    );
    let report = instance.app.with_token("GET", "/api/reports/summary", &keep.access);
    assert_eq!(report.status, 200, "{}", report.text());
    let etag = report.header("etag").expect("report ETag").to_string();
    let keys: i64 = redis.cli(&["DBSIZE"]).parse().unwrap();
    assert!(keys > 0, "the key-value store is not on Redis: DBSIZE {keys}");

    instance.restart();
    let app = &instance.app;
    // Sessions live in Redis: still valid after the restart; revocation is seen at once.
    assert_eq!(app.with_token("GET", "/api/auth/me", &keep.access).status, 200);
    assert_eq!(app.with_token("POST", "/api/auth/logout", &revoke.access).status, 204);
    app.with_token("GET", "/api/books", &revoke.access).problem(401);
    assert_eq!(app.with_token("GET", "/api/books", &keep.access).status, 200);
    // The cached report is still current...
    let auth = format!("Bearer {}", keep.access);
    let cached =
        app.call("GET", "/api/reports/summary", &[("authorization", &auth), ("if-none-match", &etag)], b"");
    assert_eq!(cached.status, 304);
    // ...until the catalogue changes.
    assert_eq!(app.json("POST", "/api/books", Some(&keep.access), &book_body("Second")).status, 201);
    let fresh =
        app.call("GET", "/api/reports/summary", &[("authorization", &auth), ("if-none-match", &etag)], b"");
    assert_eq!(fresh.status, 200);
    assert_ne!(fresh.header("etag"), Some(etag.as_str()));
}

/// A SQLite database in memory (what `spin up --from` gives without `--state-dir`): Spin opens a
/// new, empty one for every request, so nothing could be kept. Health and every route that
/// touches SQLite name that and the fix, from the first request on; not a pairing failure.
#[test]
fn an_in_memory_database_is_named_with_its_fix_from_the_first_request() {
    let state = tempfile::tempdir().unwrap();
    let runtime_config = state.path().join("in-memory.toml");
    std::fs::write(&runtime_config, "[sqlite_database.default]\ntype = \"spin\"\n").unwrap();
    let instance = Instance::start(Launch { runtime_config: Some(runtime_config), ..Launch::default() });
    for _ in 0..2 {
        let health = instance.app.call("GET", "/api/health", &[], b"");
        assert_eq!(health.header("retry-after"), None, "waiting does not fix it");
        let body = health.problem(503);
        assert_eq!(body["type"], "/docs/problems#misconfigured");
        assert_eq!(body["checks"]["sqlite"], "error");
        assert!(body["detail"].as_str().unwrap().contains("--state-dir"), "{body}");
        let signup = instance.app.json(
            "POST",
            "/api/auth/register",
            None,
            &serde_json::json!({"email": unique_email("memory"), "password": folio_blackbox::PASSWORD}),
        );
        let body = signup.problem(503);
        assert!(body["detail"].as_str().unwrap().contains("in memory"), "{body}");
    }
    assert!(instance.log("auth").contains("\"database_not_persistent\""));
    assert!(!instance.log("auth").contains("stores_not_paired"));
}

/// A migration recorded in the database with other contents than this build's (an edited
/// migration file, or a database migrated by another fork) is the operator's to fix: every
/// route that needs the database answers `503` `misconfigured` saying so, and health too,
/// without `Retry-After` (waiting does not fix it); it once answered `500` everywhere while
/// health called it transient.
#[test]
fn an_edited_migration_is_named_for_the_operator_not_a_500() {
    let instance = Instance::start(Launch::default());
    let token = instance.app.login(&unique_email("edited")).access;
    let db =
        rusqlite::Connection::open(instance.state_dir().join("sqlite_db.db")).expect("Spin's SQLite file");
    // Migration 14 recorded with another checksum, and 15 not yet applied, so the next request
    // migrates and meets the difference.
    db.execute_batch(
        "UPDATE schema_migrations SET checksum = 'edited' WHERE version = 14;
         DELETE FROM schema_migrations WHERE version = 15;",
    )
    .unwrap();
    let health = instance.app.call("GET", "/api/health", &[], b"");
    assert_eq!(health.header("retry-after"), None, "waiting does not fix it");
    let body = health.problem(503);
    assert_eq!(body["type"], "/docs/problems#misconfigured");
    assert_eq!(body["checks"]["sqlite"], "error");
    assert!(body["detail"].as_str().unwrap().contains("migration"), "{body}");
    let list = instance.app.with_token("GET", "/api/books", &token);
    let body = list.problem(503);
    assert_eq!(body["type"], "/docs/problems#misconfigured");
    assert!(body["detail"].as_str().unwrap().contains("never be edited"), "{body}");
    assert!(instance.log("books").contains("\"migration_edited\""));
    assert!(!instance.log("books").contains("internal_error"));
}

/// A key-value store that names another database (two deployments on one Redis; a database
/// replaced while its store was kept) vouches for that database's sessions: a read that goes on
/// to read SQL is refused `503` `misconfigured` there, as writes and sign-ins are, rather than
/// serving this database to the other's tokens. (A cached read reads no SQL; the readiness
/// probe keeps such a deployment out of service.)
#[test]
fn reads_that_reach_the_database_refuse_a_store_paired_with_another() {
    let instance = Instance::start(Launch::default());
    let token = instance.app.login(&unique_email("paired-read")).access;
    assert_eq!(instance.app.with_token("GET", "/api/generator/runs", &token).status, 200);
    let kv =
        rusqlite::Connection::open(instance.state_dir().join("sqlite_key_value.db")).expect("Spin's store");
    let changed = kv
        .execute(
            "UPDATE spin_key_value SET value = CAST('another-database' AS BLOB)
             WHERE store = 'default' AND key = 'deployment:database-id'",
            [],
        )
        .unwrap();
    assert_eq!(changed, 1, "the store records its database");
    // Queries no earlier request made, so that no cached answer stands in for SQL.
    for path in [
        "/api/books?author=paired-read-nobody",
        "/api/books/01jc8f1x2y3z4a5b6c7d8e9f0g",
        "/api/reports/authors?limit=7",
        "/api/generator/runs",
        "/api/auth/sessions",
        "/api/auth/me",
    ] {
        let r = instance.app.with_token("GET", path, &token);
        let body = r.problem(503);
        assert_eq!(body["type"], "/docs/problems#misconfigured", "{path}: {body}");
        assert!(body["detail"].as_str().unwrap().contains("another database"), "{path}: {body}");
        assert_eq!(r.header("retry-after"), None, "{path}");
    }
}

/// The README's backup and restore, step by step on real Spin: an online copy while the app
/// runs, then (app stopped) the copy put in place, its sessions deleted, the key-value store
/// emptied. Every session ends, the one logged out after the backup included (its refresh
/// token lives in the copy's `auth_sessions`), and what the backup held is there.
#[test]
fn the_documented_restore_ends_every_session_and_keeps_the_data() {
    let mut instance = Instance::start(Launch::default());
    let email = unique_email("restore");
    let kept = instance.app.login(&email);
    let logged_out = instance.app.password_grant(&email, folio_blackbox::PASSWORD);
    let created = instance.app.json("POST", "/api/books", Some(&kept.access), &book_body("Backed up"));
    assert_eq!(created.status, 201, "{}", created.text());
    let id = created.json()["id"].as_str().unwrap().to_string();

    // The README's `sqlite3 ... ".backup ..."` while the app runs; `VACUUM INTO` is the same
    // consistent online copy through the write-ahead log, without the sqlite3 program.
    let backups = tempfile::tempdir().unwrap();
    let backup = backups.path().join("folio.db");
    let live = rusqlite::Connection::open(instance.state_dir().join("sqlite_db.db")).unwrap();
    live.execute("VACUUM INTO ?1", [backup.to_str().unwrap()]).unwrap();
    drop(live);
    assert_eq!(instance.app.with_token("POST", "/api/auth/logout", &logged_out.access).status, 204);

    instance.restart_after(|state| {
        std::fs::copy(&backup, state.join("sqlite_db.db")).unwrap();
        for stale in ["sqlite_db.db-wal", "sqlite_db.db-shm", "sqlite_key_value.db"] {
            let _ = std::fs::remove_file(state.join(stale));
        }
        let restored = rusqlite::Connection::open(state.join("sqlite_db.db")).unwrap();
        restored.execute("DELETE FROM auth_sessions", []).unwrap();
    });
    let app = &instance.app;
    let refresh = |token: &str| {
        app.call(
            "POST",
            "/api/auth/token",
            &[("content-type", "application/x-www-form-urlencoded")],
            format!("grant_type=refresh_token&refresh_token={}", folio_blackbox::urlencode(token)).as_bytes(),
        )
    };
    for (which, tokens) in [("logged out after the backup", &logged_out), ("live at the backup", &kept)] {
        assert_eq!(refresh(&tokens.refresh).status, 400, "{which}: its refresh token");
        assert_eq!(app.with_token("GET", "/api/auth/me", &tokens.access).status, 401, "{which}");
    }
    let again = app.password_grant(&email, folio_blackbox::PASSWORD);
    let got = app.with_token("GET", &format!("/api/books/{id}"), &again.access);
    assert_eq!(got.status, 200, "{}", got.text());
    assert_eq!(got.json()["title"], "Backed up");
}
