//! End-to-end tests of the host: a real `spin-test-host` process serving the test guest
//! (a real Wasm component built with spin-sdk 5.2), driven over HTTP.

mod support;

use std::path::PathBuf;

use serde_json::{json, Value};
use support::{Host, HostCommand};

struct TestApp {
    dir: PathBuf,
    manifest: PathBuf,
    state: PathBuf,
}

impl TestApp {
    fn new(name: &str) -> Self {
        let dir = support::temp_dir(name);
        let manifest = support::write_test_app(&dir);
        let state = dir.join("state");
        Self { dir, manifest, state }
    }

    fn command(&self) -> HostCommand {
        HostCommand::new(&self.manifest, &self.state)
            .arg("--runtime-config-file")
            .arg(self.dir.join("runtime-config.toml"))
            .env("SPIN_VARIABLE_API_KEY", "k-123")
    }

    fn start(&self) -> Host {
        self.command().start().unwrap()
    }
}

fn sql(host: &Host, component: &str, label: &str, statements: Value) -> Value {
    host.json("POST", &format!("/{component}/sqlite/{label}"), statements.to_string().as_bytes())
}

#[test]
fn routes_exact_wildcard_longest_prefix_and_404() {
    let app = TestApp::new("routing");
    let host = app.start();

    let answer = host.json("GET", "/guest/some/path", b"");
    assert_eq!(answer["component"], "guest");
    assert_eq!(answer["path_info"], "/some/path");

    // Longest prefix wins over `/guest/...`, whatever the declaration order.
    let answer = host.json("GET", "/guest/deeper/x", b"");
    assert_eq!(answer["component"], "deeper");
    assert_eq!(answer["path_info"], "/x");
    assert_eq!(host.json("GET", "/guest/deep", b"")["component"], "guest");

    // The wildcard also matches its own prefix.
    assert_eq!(host.json("GET", "/guest", b"")["component"], "guest");

    let answer = host.json("GET", "/exact", b"");
    assert_eq!(answer["component"], "exact");
    assert_eq!(answer["path_info"], "");
    assert_eq!(host.get("/exact/more").status, 404);
    assert_eq!(host.get("/").status, 404);
    assert_eq!(host.get("/nothing/here").status, 404);
}

#[test]
fn passes_spin_request_headers() {
    let app = TestApp::new("headers");
    let host = app.start();
    let answer = host.json("GET", "/guest/headers?x=1&y=two", b"");
    let headers = &answer["headers"];
    let port = host.addr.port();
    assert_eq!(headers["spin-full-url"], format!("http://127.0.0.1:{port}/guest/headers?x=1&y=two"));
    assert_eq!(headers["spin-path-info"], "/headers");
    assert_eq!(headers["spin-matched-route"], "/guest/...");
    assert_eq!(headers["spin-base-path"], "/");
    assert_eq!(headers["spin-raw-component-route"], "/guest/...");
    assert_eq!(headers["spin-component-route"], "/guest");
    let client = headers["spin-client-addr"].as_str().unwrap();
    assert!(client.starts_with("127.0.0.1:"), "{client}");
    assert_eq!(answer["method"], "GET");
    assert_eq!(answer["query"], "x=1&y=two");

    // Named segments are passed as spin-path-match-<name>, with Spin's `_` -> `-`.
    let headers = host.json("GET", "/items/42/headers", b"")["headers"].clone();
    assert_eq!(headers["spin-path-match-item-id"], "42");
    assert_eq!(headers["spin-path-info"], "/headers");
    assert_eq!(headers["spin-matched-route"], "/items/:item_id/...");
    assert_eq!(headers["spin-component-route"], "/items/:item_id");
}

#[test]
fn http_1_0_request_without_host_is_served_as_localhost() {
    let app = TestApp::new("no-host");
    let host = app.start();
    let response = support::raw_request(host.addr, b"GET /guest/headers HTTP/1.0\r\n\r\n");
    assert_eq!(response.status, 200, "{response:?}");
    let answer: Value = serde_json::from_slice(&response.body).unwrap();
    assert_eq!(answer["headers"]["spin-full-url"], "http://localhost/guest/headers");
}

#[test]
fn key_value_operations_and_label_isolation() {
    let app = TestApp::new("kv");
    let host = app.start();

    assert_eq!(host.json("GET", "/guest/kv/default/get/k", b""), json!({ "value": null }));
    assert_eq!(host.json("PUT", "/guest/kv/default/set/k", b"v1"), json!({ "ok": true }));
    assert_eq!(host.json("PUT", "/guest/kv/default/set/k", b"v2"), json!({ "ok": true }));
    assert_eq!(host.json("PUT", "/guest/kv/default/set/a", b"x"), json!({ "ok": true }));
    assert_eq!(host.json("GET", "/guest/kv/default/get/k", b""), json!({ "value": "v2" }));
    assert_eq!(host.json("GET", "/guest/kv/default/exists/k", b""), json!({ "exists": true }));
    assert_eq!(host.json("GET", "/guest/kv/default/keys", b""), json!({ "keys": ["a", "k"] }));

    // Another label (from the runtime config) is a separate store.
    assert_eq!(host.json("GET", "/guest/kv/other/keys", b""), json!({ "keys": [] }));
    assert_eq!(host.json("PUT", "/guest/kv/other/set/o", b"1"), json!({ "ok": true }));
    assert_eq!(host.json("GET", "/guest/kv/other/get/o", b""), json!({ "value": "1" }));
    assert_eq!(host.json("GET", "/guest/kv/default/get/o", b""), json!({ "value": null }));

    assert_eq!(host.json("GET", "/guest/kv/default/delete/k", b""), json!({ "ok": true }));
    assert_eq!(host.json("GET", "/guest/kv/default/delete/never-set", b""), json!({ "ok": true }));
    assert_eq!(host.json("GET", "/guest/kv/default/exists/k", b""), json!({ "exists": false }));
    assert_eq!(host.json("GET", "/guest/kv/default/keys", b""), json!({ "keys": ["a"] }));
}

/// `wasi:keyvalue` store and batch against `backend`'s `default` label, which the tests set up
/// to hold `shared = "from spin kv"` written through `fermyon:spin/key-value`.
fn check_wasi_keyvalue(host: &support::Host) {
    // The same store under both interfaces, as in Spin.
    assert_eq!(
        host.json("GET", "/guest/wasi-kv/default/get/shared", b""),
        json!({ "value": "from spin kv" })
    );
    assert_eq!(host.json("PUT", "/guest/wasi-kv/default/set/w", b"1"), json!({ "ok": true }));
    assert_eq!(host.json("GET", "/guest/kv/default/get/w", b""), json!({ "value": "1" }));
    assert_eq!(host.json("GET", "/guest/wasi-kv/default/exists/w", b""), json!({ "exists": true }));
    assert_eq!(host.json("GET", "/guest/wasi-kv/default/exists/nope", b""), json!({ "exists": false }));
    assert_eq!(host.json("GET", "/guest/wasi-kv/default/get/nope", b""), json!({ "value": null }));
    assert_eq!(
        host.json("GET", "/guest/wasi-kv/default/keys", b""),
        json!({ "keys": ["shared", "w"], "cursor": null })
    );
    // Spin serves one page and refuses a cursor.
    let answer = host.json("GET", "/guest/wasi-kv/default/keys-from/w", b"");
    assert!(answer["error"].as_str().unwrap_or_default().starts_with("other: "), "{answer}");

    // Batches.
    assert_eq!(
        host.json("PUT", "/guest/wasi-kv/default/set-many", br#"{"a": "x", "b": "y"}"#),
        json!({ "ok": true })
    );
    let answer = host.json("POST", "/guest/wasi-kv/default/get-many", b"b,missing,a,shared");
    assert_eq!(answer["found"], json!({ "a": "x", "b": "y", "shared": "from spin kv" }), "{answer}");
    // Only requested keys come back; a missing one either not at all (SQLite) or as none (Redis).
    let returned: Vec<&str> =
        answer["returned"].as_array().unwrap().iter().map(|k| k.as_str().unwrap()).collect();
    assert!(returned.iter().all(|k| ["a", "b", "missing", "shared"].contains(k)), "{answer}");
    assert_eq!(returned.iter().filter(|k| **k != "missing").count(), 3, "{answer}");
    assert_eq!(
        host.json("POST", "/guest/wasi-kv/default/get-many", b""),
        json!({ "found": {}, "returned": [] })
    );
    assert_eq!(
        host.json("POST", "/guest/wasi-kv/default/delete-many", b"a,w,never-set"),
        json!({ "ok": true })
    );
    assert_eq!(
        host.json("GET", "/guest/wasi-kv/default/keys", b""),
        json!({ "keys": ["b", "shared"], "cursor": null })
    );
    assert_eq!(host.json("GET", "/guest/wasi-kv/default/delete/b", b""), json!({ "ok": true }));
    assert_eq!(host.json("GET", "/guest/kv/default/get/b", b""), json!({ "value": null }));

    // Grants apply as to `fermyon:spin/key-value`.
    assert_eq!(host.json("GET", "/guest/wasi-kv/nope/open", b""), json!({ "error": "access-denied" }));
    assert_eq!(
        host.json("GET", "/restricted/wasi-kv/default/open", b""),
        json!({ "error": "access-denied" })
    );
}

#[test]
fn wasi_keyvalue_store_and_batch_share_spins_stores() {
    let app = TestApp::new("wasi-kv");
    let host = app.start();
    assert_eq!(host.json("PUT", "/guest/kv/default/set/shared", b"from spin kv"), json!({ "ok": true }));
    check_wasi_keyvalue(&host);
}

#[test]
fn ungranted_stores_and_databases_are_denied() {
    let app = TestApp::new("denied");
    let host = app.start();
    let denied = json!({ "error": "access-denied" });
    // A component with no grants.
    assert_eq!(host.json("GET", "/restricted/kv/default/open", b""), denied);
    assert_eq!(host.json("POST", "/restricted/sqlite/default", b"[]"), denied);
    // Labels that exist but were not granted to this component, or do not exist at all:
    // Spin answers `access-denied` for both, never revealing which labels exist.
    assert_eq!(host.json("GET", "/guest/kv/nope/open", b""), denied);
    assert_eq!(host.json("POST", "/guest/sqlite/other", b"[]"), denied);
}

#[test]
fn sqlite_values_statements_and_errors() {
    let app = TestApp::new("sqlite");
    let host = app.start();
    let answer = sql(
        &host,
        "guest",
        "default",
        json!([
            { "sql": "CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, n TEXT)" },
            { "sql": "INSERT INTO t VALUES (?, ?, ?, ?, ?)", "params": [
                { "integer": -42 }, { "real": 1.5 }, { "text": "héllo" }, { "blob": [0, 1, 255] }, "null"
            ] },
            { "sql": "SELECT i, r, s, b, n, i * 2 AS twice FROM t" },
            { "sql": "SELEC broken" },
            { "sql": "INSERT INTO missing VALUES (1)" },
        ]),
    );
    let results = answer["results"].as_array().unwrap();
    assert_eq!(results[0], json!({ "columns": [], "rows": [] }));
    assert_eq!(results[1], json!({ "columns": [], "rows": [] }));
    assert_eq!(
        results[2],
        json!({
            "columns": ["i", "r", "s", "b", "n", "twice"],
            "rows": [[
                { "integer": -42 }, { "real": 1.5 }, { "text": "héllo" },
                { "blob": [0, 1, 255] }, "null", { "integer": -84 }
            ]]
        })
    );
    let syntax = results[3]["error"].as_str().unwrap();
    assert!(syntax.starts_with("io: ") && syntax.contains("syntax error"), "{syntax}");
    let missing = results[4]["error"].as_str().unwrap();
    assert!(missing.contains("no such table"), "{missing}");
}

#[test]
fn sqlite_transactions_span_execute_calls_on_one_connection() {
    let app = TestApp::new("transactions");
    let host = app.start();
    sql(&host, "guest", "default", json!([{ "sql": "CREATE TABLE items (name TEXT)" }]));
    let rolled_back = sql(
        &host,
        "guest",
        "default",
        json!([
            { "sql": "BEGIN" },
            { "sql": "INSERT INTO items VALUES ('a')" },
            { "sql": "SELECT count(*) AS c FROM items" },
            { "sql": "ROLLBACK" },
            { "sql": "SELECT count(*) AS c FROM items" },
        ]),
    );
    let results = &rolled_back["results"];
    assert_eq!(results[2]["rows"], json!([[{ "integer": 1 }]]), "inside the transaction");
    assert_eq!(results[4]["rows"], json!([[{ "integer": 0 }]]), "after ROLLBACK");

    let committed = sql(
        &host,
        "guest",
        "default",
        json!([
            { "sql": "BEGIN" },
            { "sql": "INSERT INTO items VALUES ('b')" },
            { "sql": "INSERT INTO items VALUES ('c')" },
            { "sql": "COMMIT" },
        ]),
    );
    assert!(committed["results"].as_array().unwrap().iter().all(|r| r.get("error").is_none()));

    // A transaction the guest leaves open dies with its connection at the end of the
    // request, and does not block the next request.
    sql(
        &host,
        "guest",
        "default",
        json!([{ "sql": "BEGIN" }, { "sql": "INSERT INTO items VALUES ('lost')" }]),
    );
    let count = sql(&host, "guest", "default", json!([{ "sql": "SELECT name FROM items ORDER BY name" }]));
    assert_eq!(count["results"][0]["rows"], json!([[{ "text": "b" }], [{ "text": "c" }]]));
}

#[test]
fn variables_render_templates_and_refuse_the_rest() {
    let app = TestApp::new("variables");
    let host = app.start();
    assert_eq!(host.json("GET", "/guest/var/message", b""), json!({ "value": "hello, world" }));
    assert_eq!(host.json("GET", "/guest/var/key", b""), json!({ "value": "key=k-123" }));
    // Application variables are not visible directly, nor another component's.
    assert_eq!(host.json("GET", "/guest/var/greeting", b"")["error"], "undefined");
    assert_eq!(host.json("GET", "/restricted/var/message", b"")["error"], "undefined");
    assert_eq!(host.json("GET", "/guest/var/Not-Valid", b"")["error"], "invalid-name");
    host.stop();

    // SPIN_VARIABLE_<NAME> overrides a default.
    let host = app.command().env("SPIN_VARIABLE_GREETING", "hey").start().unwrap();
    assert_eq!(host.json("GET", "/guest/var/message", b""), json!({ "value": "hey, world" }));
}

#[test]
fn refuses_to_start_without_required_variable() {
    let app = TestApp::new("required");
    let err = HostCommand::new(&app.manifest, &app.state)
        .arg("--runtime-config-file")
        .arg(app.dir.join("runtime-config.toml"))
        .start()
        .err()
        .expect("the host must not start");
    assert!(err.contains("api_key") && err.contains("SPIN_VARIABLE_API_KEY"), "{err}");
}

#[test]
fn refuses_to_start_with_undefined_store_label() {
    // Without the runtime config, the `other` store granted to `guest` is undefined.
    let app = TestApp::new("undefined-label");
    let err = HostCommand::new(&app.manifest, &app.state)
        .env("SPIN_VARIABLE_API_KEY", "k")
        .start()
        .err()
        .expect("the host must not start");
    assert!(err.contains("\"other\"") && err.contains("guest"), "{err}");
}

#[test]
fn files_are_mounted_read_only() {
    let app = TestApp::new("files");
    let host = app.start();
    assert_eq!(
        host.json("GET", "/guest/file?path=/static/hello.txt", b""),
        json!({ "content": "hello from a mounted file" })
    );
    assert_eq!(
        host.json("GET", "/guest/file?path=/static/nested/deep.txt", b""),
        json!({ "content": "deep" })
    );
    // Only what the manifest lists is visible.
    assert!(host.json("GET", "/guest/file?path=/not-mounted.txt", b"")["error"].is_string());
    assert!(host.json("GET", "/guest/file-write?path=/static/new.txt", b"")["error"].is_string());
    assert!(!app.dir.join("static/new.txt").exists());
    // A component without `files` has no filesystem at all.
    assert!(host.json("GET", "/restricted/file?path=/static/hello.txt", b"")["error"].is_string());
}

#[test]
fn outbound_http_is_denied() {
    let app = TestApp::new("outbound");
    let host = app.start();
    let answer = host.json("GET", "/guest/outbound", b"");
    // Spin's code for a host missing from `allowed_outbound_hosts`.
    assert_eq!(answer, json!({ "error": "ErrorCode::HttpRequestDenied" }));
}

#[test]
fn unsupported_platform_interfaces_are_linked_and_refuse() {
    let app = TestApp::new("unsupported");
    let host = app.start();
    assert_eq!(host.json("GET", "/guest/redis-open", b""), json!({ "error": "invalid-address" }));
}

#[test]
fn data_survives_a_restart() {
    let app = TestApp::new("restart");
    let host = app.start();
    host.json("PUT", "/guest/kv/default/set/persist", b"kept");
    host.json("PUT", "/guest/kv/other/set/persist", b"kept too");
    sql(
        &host,
        "guest",
        "default",
        json!([
            { "sql": "CREATE TABLE notes (body TEXT)" },
            { "sql": "INSERT INTO notes VALUES ('survives')" },
        ]),
    );
    host.stop();

    // Spin's file names in the state directory.
    assert!(app.state.join("sqlite_key_value.db").is_file());
    assert!(app.state.join("sqlite_db.db").is_file());

    let host = app.start();
    assert_eq!(host.json("GET", "/guest/kv/default/get/persist", b""), json!({ "value": "kept" }));
    assert_eq!(host.json("GET", "/guest/kv/other/get/persist", b""), json!({ "value": "kept too" }));
    let notes = sql(&host, "guest", "default", json!([{ "sql": "SELECT body FROM notes" }]));
    assert_eq!(notes["results"][0]["rows"], json!([[{ "text": "survives" }]]));
}

#[test]
fn concurrent_requests_get_separate_instances() {
    let app = TestApp::new("concurrency");
    let host = app.start();
    let addr = host.addr;
    let threads: Vec<_> = (0..8)
        .map(|i| {
            std::thread::spawn(move || {
                let key = format!("k{i}");
                let set = support::request(
                    addr,
                    "PUT",
                    &format!("/guest/kv/default/set/{key}"),
                    &[],
                    key.as_bytes(),
                );
                assert_eq!(set.status, 200);
                let got = support::request(addr, "GET", &format!("/guest/kv/default/get/{key}"), &[], b"");
                serde_json::from_slice::<Value>(&got.body).unwrap()["value"].clone()
            })
        })
        .collect();
    for (i, t) in threads.into_iter().enumerate() {
        assert_eq!(t.join().unwrap(), json!(format!("k{i}")));
    }
}

/// A `redis-server` on a free loopback port, stopped when dropped.
struct Redis {
    child: std::process::Child,
    port: u16,
}

impl Redis {
    fn start(dir: &std::path::Path) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = std::process::Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(dir)
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server must be on PATH for this test (Debian: apt-get install redis-server)");
        let redis = Self { child, port };
        for _ in 0..100 {
            if redis.cli(&["PING"]) == "PONG" {
                return redis;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("redis-server did not come up on port {port}");
    }

    fn cli(&self, args: &[&str]) -> String {
        let output = std::process::Command::new("redis-cli")
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(args)
            .output()
            .expect("redis-cli must be on PATH for this test");
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn redis_backs_a_store_from_the_runtime_config() {
    let app = TestApp::new("redis");
    let redis = Redis::start(&app.dir);
    std::fs::write(
        app.dir.join("runtime-config.toml"),
        format!(
            "[key_value_store.default]\ntype = \"redis\"\nurl = \"redis://127.0.0.1:{}\"\n\n\
             [key_value_store.other]\ntype = \"spin\"\npath = \"other.db\"\n",
            redis.port
        ),
    )
    .unwrap();
    let host = app.start();

    assert_eq!(host.json("GET", "/guest/kv/default/get/k", b""), json!({ "value": null }));
    assert_eq!(host.json("PUT", "/guest/kv/default/set/k", b"in redis"), json!({ "ok": true }));
    assert_eq!(host.json("PUT", "/guest/kv/default/set/j", b"2"), json!({ "ok": true }));
    // The value really is in Redis, under the plain key, as Spin's Redis store keeps it.
    assert_eq!(redis.cli(&["GET", "k"]), "in redis");
    assert_eq!(host.json("GET", "/guest/kv/default/get/k", b""), json!({ "value": "in redis" }));
    assert_eq!(host.json("GET", "/guest/kv/default/exists/k", b""), json!({ "exists": true }));
    assert_eq!(host.json("GET", "/guest/kv/default/keys", b""), json!({ "keys": ["j", "k"] }));
    assert_eq!(host.json("GET", "/guest/kv/default/delete/k", b""), json!({ "ok": true }));
    assert_eq!(host.json("GET", "/guest/kv/default/exists/k", b""), json!({ "exists": false }));
    assert_eq!(redis.cli(&["EXISTS", "k"]), "0");
    // wasi:keyvalue reaches the same Redis database.
    assert_eq!(host.json("GET", "/guest/kv/default/delete/j", b""), json!({ "ok": true }));
    assert_eq!(host.json("PUT", "/guest/kv/default/set/shared", b"from spin kv"), json!({ "ok": true }));
    check_wasi_keyvalue(&host);
    assert_eq!(redis.cli(&["GET", "shared"]), "from spin kv");
    assert_eq!(host.json("PUT", "/guest/kv/default/set/j", b"2"), json!({ "ok": true }));
    // The other label stays on SQLite.
    assert_eq!(host.json("GET", "/guest/kv/other/keys", b""), json!({ "keys": [] }));
    assert!(!app.state.join("sqlite_key_value.db").exists());

    // Redis going away is an `other` error for the guest, not a crash of the host.
    drop(redis);
    let answer = host.json("GET", "/guest/kv/default/get/j", b"");
    let error = answer["error"].as_str().unwrap_or_default();
    assert!(error.starts_with("other: "), "{answer}");
    assert_eq!(host.json("GET", "/guest/kv/other/keys", b""), json!({ "keys": [] }));
}
