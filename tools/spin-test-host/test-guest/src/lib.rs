//! A test component for `spin-test-host`.
//!
//! Every request is dispatched on `spin-path-info` (the part of the path after the matched
//! route), so the same Wasm file can be mounted under several routes and components with
//! different grants. Every answer is JSON so the host's tests can assert on it precisely.
//! Errors from the Spin interfaces are reported by their WIT variant name
//! (`access-denied`, `no-such-store`, ...) rather than turned into HTTP errors: the tests
//! check the exact variant the host returned.

use serde_json::{json, Value as Json};
use spin_sdk::http::{IntoResponse, Method, Request, Response};
use spin_sdk::http_component;
use spin_sdk::wit::wasi::keyvalue as wasi_kv;
use spin_sdk::{key_value, sqlite, variables};

#[http_component]
async fn handle(req: Request) -> anyhow::Result<impl IntoResponse> {
    let path_info = header(&req, "spin-path-info").unwrap_or_default();
    let segments: Vec<&str> = path_info.trim_start_matches('/').split('/').collect();
    let body = match segments.as_slice() {
        ["headers"] => headers(&req),
        ["kv", label, rest @ ..] => kv(label, rest, req.body()),
        ["wasi-kv", label, rest @ ..] => wasi_kv(label, rest, req.body()),
        ["sqlite", label] => sql(label, req.body()),
        ["var", name] => variable(name),
        ["file"] => read_file(req.query()),
        ["file-write"] => write_file(req.query()),
        ["outbound"] => outbound().await,
        ["redis-open"] => redis_open(),
        // Each component mounting this guest declares a literal `component_name` variable,
        // so the routing tests can tell which component answered.
        _ => json!({ "component": variables::get("component_name").ok(), "path_info": path_info }),
    };
    Ok(Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(body.to_string())
        .build())
}

fn header(req: &Request, name: &str) -> Option<String> {
    req.header(name).and_then(|v| v.as_str()).map(str::to_owned)
}

/// Echoes the request line and every header, so the tests can check what the host passed in.
fn headers(req: &Request) -> Json {
    let mut map = serde_json::Map::new();
    for (name, value) in req.headers() {
        map.insert(name.to_owned(), json!(value.as_str().unwrap_or("<binary>")));
    }
    let method = match req.method() {
        Method::Get => "GET",
        Method::Post => "POST",
        Method::Put => "PUT",
        _ => "OTHER",
    };
    json!({ "method": method, "uri": req.uri(), "path": req.path(), "query": req.query(), "headers": map })
}

fn kv_error(e: key_value::Error) -> Json {
    let name = match e {
        key_value::Error::StoreTableFull => "store-table-full".to_owned(),
        key_value::Error::NoSuchStore => "no-such-store".to_owned(),
        key_value::Error::AccessDenied => "access-denied".to_owned(),
        key_value::Error::Other(msg) => format!("other: {msg}"),
    };
    json!({ "error": name })
}

fn kv(label: &str, rest: &[&str], body: &[u8]) -> Json {
    let store = match key_value::Store::open(label) {
        Ok(store) => store,
        Err(e) => return kv_error(e),
    };
    let result = match rest {
        [] | ["open"] => Ok(json!({ "ok": true })),
        ["set", key] => store.set(key, body).map(|()| json!({ "ok": true })),
        ["get", key] => store
            .get(key)
            .map(|v| json!({ "value": v.map(|bytes| String::from_utf8_lossy(&bytes).into_owned()) })),
        ["delete", key] => store.delete(key).map(|()| json!({ "ok": true })),
        ["exists", key] => store.exists(key).map(|b| json!({ "exists": b })),
        ["keys"] => store.get_keys().map(|mut keys| {
            keys.sort();
            json!({ "keys": keys })
        }),
        _ => Ok(json!({ "error": "unknown kv operation" })),
    };
    result.unwrap_or_else(kv_error)
}

fn wasi_kv_error(e: wasi_kv::store::Error) -> Json {
    let name = match e {
        wasi_kv::store::Error::NoSuchStore => "no-such-store".to_owned(),
        wasi_kv::store::Error::AccessDenied => "access-denied".to_owned(),
        wasi_kv::store::Error::Other(msg) => format!("other: {msg}"),
    };
    json!({ "error": name })
}

/// `wasi:keyvalue` store and batch. Batch bodies: keys as a comma-separated list, pairs as a
/// JSON object of strings. `get-many` answers with the pairs the host returned, as a map of
/// the found values plus the list of keys it returned (sorted), so the tests see both.
fn wasi_kv(label: &str, rest: &[&str], body: &[u8]) -> Json {
    use wasi_kv::{batch, store};
    let bucket = match store::open(label) {
        Ok(bucket) => bucket,
        Err(e) => return wasi_kv_error(e),
    };
    let text = String::from_utf8_lossy(body).into_owned();
    let keys = || text.split(',').filter(|k| !k.is_empty()).map(str::to_owned).collect::<Vec<_>>();
    let string = |bytes: Vec<u8>| String::from_utf8_lossy(&bytes).into_owned();
    let result = match rest {
        [] | ["open"] => Ok(json!({ "ok": true })),
        ["set", key] => bucket.set(key, body).map(|()| json!({ "ok": true })),
        ["get", key] => bucket.get(key).map(|v| json!({ "value": v.map(string) })),
        ["delete", key] => bucket.delete(key).map(|()| json!({ "ok": true })),
        ["exists", key] => bucket.exists(key).map(|b| json!({ "exists": b })),
        ["keys"] => bucket.list_keys(None).map(|mut page| {
            page.keys.sort();
            json!({ "keys": page.keys, "cursor": page.cursor })
        }),
        ["keys-from", cursor] => bucket.list_keys(Some(cursor)).map(|page| json!({ "keys": page.keys })),
        ["get-many"] => batch::get_many(&bucket, &keys()).map(|pairs| {
            let mut returned: Vec<String> = pairs.iter().map(|(k, _)| k.clone()).collect();
            returned.sort();
            let found: serde_json::Map<String, Json> =
                pairs.into_iter().filter_map(|(k, v)| v.map(|v| (k, json!(string(v))))).collect();
            json!({ "found": found, "returned": returned })
        }),
        ["set-many"] => {
            let pairs: Vec<(String, Vec<u8>)> = serde_json::from_slice::<serde_json::Map<String, Json>>(body)
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| (k, v.as_str().unwrap_or_default().as_bytes().to_vec()))
                .collect();
            batch::set_many(&bucket, &pairs).map(|()| json!({ "ok": true }))
        }
        ["delete-many"] => batch::delete_many(&bucket, &keys()).map(|()| json!({ "ok": true })),
        _ => Ok(json!({ "error": "unknown wasi-kv operation" })),
    };
    result.unwrap_or_else(wasi_kv_error)
}

fn sql_error(e: sqlite::Error) -> Json {
    let name = match e {
        sqlite::Error::NoSuchDatabase => "no-such-database".to_owned(),
        sqlite::Error::AccessDenied => "access-denied".to_owned(),
        sqlite::Error::InvalidConnection => "invalid-connection".to_owned(),
        sqlite::Error::DatabaseFull => "database-full".to_owned(),
        sqlite::Error::Io(msg) => format!("io: {msg}"),
    };
    json!({ "error": name })
}

/// Values travel as `{"integer": 1}`, `{"real": 1.5}`, `{"text": "a"}`, `{"blob": [1, 2]}` or
/// `"null"`, so the tests see exactly which WIT variant the host produced.
fn to_json(value: &sqlite::Value) -> Json {
    match value {
        sqlite::Value::Integer(i) => json!({ "integer": i }),
        sqlite::Value::Real(r) => json!({ "real": r }),
        sqlite::Value::Text(t) => json!({ "text": t }),
        sqlite::Value::Blob(b) => json!({ "blob": b }),
        sqlite::Value::Null => json!("null"),
    }
}

fn from_json(value: &Json) -> sqlite::Value {
    if let Some(i) = value.get("integer").and_then(Json::as_i64) {
        return sqlite::Value::Integer(i);
    }
    if let Some(r) = value.get("real").and_then(Json::as_f64) {
        return sqlite::Value::Real(r);
    }
    if let Some(t) = value.get("text").and_then(Json::as_str) {
        return sqlite::Value::Text(t.to_owned());
    }
    if let Some(b) = value.get("blob").and_then(Json::as_array) {
        return sqlite::Value::Blob(b.iter().filter_map(Json::as_u64).map(|n| n as u8).collect());
    }
    sqlite::Value::Null
}

/// Runs a batch of statements on ONE connection, so a test can check that a transaction
/// spans several `execute` calls: body `[{"sql": "...", "params": [...]}, ...]`.
fn sql(label: &str, body: &[u8]) -> Json {
    let conn = match sqlite::Connection::open(label) {
        Ok(conn) => conn,
        Err(e) => return sql_error(e),
    };
    let statements: Vec<Json> = serde_json::from_slice(body).unwrap_or_default();
    let results: Vec<Json> = statements
        .iter()
        .map(|stmt| {
            let text = stmt.get("sql").and_then(Json::as_str).unwrap_or_default();
            let params: Vec<sqlite::Value> = stmt
                .get("params")
                .and_then(Json::as_array)
                .map(|ps| ps.iter().map(from_json).collect())
                .unwrap_or_default();
            match conn.execute(text, &params) {
                Ok(result) => json!({
                    "columns": result.columns,
                    "rows": result
                        .rows
                        .iter()
                        .map(|row| row.values.iter().map(to_json).collect::<Vec<_>>())
                        .collect::<Vec<_>>(),
                }),
                Err(e) => sql_error(e),
            }
        })
        .collect();
    json!({ "results": results })
}

fn variable(name: &str) -> Json {
    match variables::get(name) {
        Ok(value) => json!({ "value": value }),
        Err(variables::Error::InvalidName(m)) => json!({ "error": "invalid-name", "message": m }),
        Err(variables::Error::Undefined(m)) => json!({ "error": "undefined", "message": m }),
        Err(variables::Error::Provider(m)) => json!({ "error": "provider", "message": m }),
        Err(variables::Error::Other(m)) => json!({ "error": "other", "message": m }),
    }
}

fn query_path(query: &str) -> String {
    query.split('&').find_map(|pair| pair.strip_prefix("path=")).unwrap_or("/").to_owned()
}

fn read_file(query: &str) -> Json {
    let path = query_path(query);
    match std::fs::read_to_string(&path) {
        Ok(content) => json!({ "content": content }),
        Err(e) => json!({ "error": e.to_string() }),
    }
}

fn write_file(query: &str) -> Json {
    let path = query_path(query);
    match std::fs::write(&path, b"written by the guest") {
        Ok(()) => json!({ "ok": true }),
        Err(e) => json!({ "error": e.to_string() }),
    }
}

/// Outbound Redis is part of Spin's platform world; the host links it but refuses it.
fn redis_open() -> Json {
    match spin_sdk::redis::Connection::open("redis://127.0.0.1:6379") {
        Ok(_) => json!({ "ok": true }),
        Err(spin_sdk::redis::Error::InvalidAddress) => json!({ "error": "invalid-address" }),
        Err(e) => json!({ "error": format!("{e:?}") }),
    }
}

async fn outbound() -> Json {
    let request = Request::get("http://example.com/").build();
    match spin_sdk::http::send::<_, Response>(request).await {
        Ok(resp) => json!({ "status": *resp.status() }),
        Err(e) => json!({ "error": e.to_string() }),
    }
}
