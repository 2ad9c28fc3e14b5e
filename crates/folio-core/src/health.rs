//! `GET /api/health`: checks SQLite, the key-value store and the configuration for real.
//!
//! SQLite: the migrations are brought up to date and the schema table is read back. Key-value:
//! a probe value is written and read back, so a store that accepts writes but loses them fails
//! the check; a probe written less than [`PROBE_FRESH_MS`] ago vouches for the store's writes,
//! so a check then only reads it (a flood of unauthenticated health checks must not become a
//! flood of writes that the app's own writes queue behind). Configuration: the caller validates every
//! variable of the app and hands over the bad ones; `checks.config` names each with what it
//! must be (never its value: one is a secret). Stores: the key-value store names this database
//! ([`crate::pairing`]; `unchecked` while either store fails).

use http::StatusCode;
use serde_json::json;

use crate::{
    http_util, migrate, problem, problem::PROBLEM_JSON, BadVariable, ConfigError, Host, Response, VERSION,
};

/// The probe's one key (one, so probes never accumulate): its value is the time it was written,
/// in milliseconds since the epoch, and a random tag, `"<ms>:<tag>"`.
pub const PROBE_KEY: &str = "health:probe";
/// How long a written probe vouches for the store's writes. Past it, the next check writes.
pub const PROBE_FRESH_MS: i64 = 1_000;

/// Runs the store checks and answers `200`, or `503` (problem details that name the failing
/// checks) when a store fails or `config`, the caller's validation of every variable, failed.
pub fn health(host: &Host, config: Result<(), ConfigError>) -> Response {
    let sqlite = check_sqlite(host);
    // An operator's mistake, like a bad variable: named, and not worth a quick retry.
    let database_detail = match &sqlite {
        Err(SqliteFailure::Misconfigured(detail)) => Some(*detail),
        _ => None,
    };
    let database_misconfigured = database_detail.is_some();
    let sqlite = sqlite.map_err(|failure| failure.to_string());
    let kv = check_kv(host);
    let stores = if sqlite.is_ok() && kv.is_ok() { check_pairing(host) } else { None };
    let label = |r: &Result<(), String>| if r.is_ok() { "ok" } else { "error" };
    let stores_label = stores.as_ref().map_or("unchecked", label);
    let bad: &[BadVariable] = match &config {
        Err(ConfigError::Invalid(bad)) => bad,
        _ => &[],
    };
    let config_label = match &config {
        Ok(()) => "ok".to_string(),
        Err(ConfigError::Invalid(bad)) => {
            bad.iter().map(|b| format!("{} must be {}", b.name, b.expected)).collect::<Vec<_>>().join("; ")
        }
        Err(_) => "error".to_string(),
    };
    let checks =
        json!({"sqlite": label(&sqlite), "kv": label(&kv), "stores": stores_label, "config": config_label});
    let stores_paired = stores.as_ref().is_none_or(Result::is_ok);
    if sqlite.is_ok() && kv.is_ok() && stores_paired && config.is_ok() {
        let mut r =
            http_util::json(StatusCode::OK, &json!({"status": "ok", "checks": checks, "version": VERSION}));
        r.headers_mut().insert(http::header::CACHE_CONTROL, http::HeaderValue::from_static("no-store"));
        return r;
    }
    let config_failure = config.as_ref().err().map(ToString::to_string);
    let mut failing = Vec::new();
    let stores_failure = stores.and_then(Result::err);
    let foreign = stores_failure.is_some();
    for (name, result) in
        [("sqlite", sqlite.err()), ("kv", kv.err()), ("stores", stores_failure), ("config", config_failure)]
    {
        let Some(cause) = result else { continue };
        failing.push(name);
        if name == "stores" || (name == "sqlite" && database_misconfigured) {
            // check_pairing logged it (`stores_not_paired`), or migrate did
            // (`database_not_persistent`, `migration_edited`).
        } else if name == "config" && !bad.is_empty() {
            // Once per request, as every route that meets a bad variable logs it.
            problem::log_misconfigured(bad);
        } else {
            // The cause stays in the log: it may name files or hosts.
            crate::log::emit(
                json!({"level": "error", "event": "health_check_failed", "check": name, "cause": cause}),
            );
        }
    }
    let mut detail = format!("failing checks: {}", failing.join(", "));
    if !bad.is_empty() {
        detail = format!("{detail}; {}", problem::misconfigured_detail(bad));
    }
    if foreign {
        detail = format!("{detail}; {}", crate::pairing::FOREIGN_DETAIL);
    }
    if let Some(database_detail) = database_detail {
        detail = format!("{detail}; {database_detail}");
    }
    // Only the configuration (or the stores' pairing, an operator's choice too) failing: the
    // operator's problem type, as every route answers it (waiting does not help); a store
    // failing, alone or with it: the retryable one.
    let only_config = failing
        .iter()
        .all(|name| matches!(*name, "config" | "stores") || (*name == "sqlite" && database_misconfigured));
    let problem_type =
        if only_config { "/docs/problems#misconfigured" } else { "/docs/problems#unavailable" };
    let mut body = json!({
        "type": problem_type,
        "title": "Service Unavailable",
        "status": 503,
        "detail": detail,
        "checks": checks,
        "version": VERSION,
    });
    if !bad.is_empty() || foreign || database_misconfigured {
        body["variables"] = json!(bad);
    }
    let mut r = http::Response::builder()
        .status(StatusCode::SERVICE_UNAVAILABLE)
        .header(http::header::CONTENT_TYPE, PROBLEM_JSON)
        .header(http::header::CACHE_CONTROL, "no-store")
        .body(serde_json::to_vec(&body).expect("health body serializes"))
        .expect("valid response");
    // A store that failed may be back in a moment, as for every route's `503` for a store; a
    // bad variable stays bad until an operator changes it, so that alone sends no Retry-After.
    if !only_config {
        r.headers_mut().insert(
            http::header::RETRY_AFTER,
            http::HeaderValue::from(problem::UNAVAILABLE_RETRY_AFTER_SECS),
        );
    }
    r
}

/// Why the SQLite check failed.
#[derive(Debug, thiserror::Error)]
enum SqliteFailure {
    #[error("{0}")]
    Failed(String),
    /// The database is what the operator must fix (in memory, a new one for every request; a
    /// migration that differs from this build's): the detail says what to do.
    #[error("{0}")]
    Misconfigured(&'static str),
}

fn check_sqlite(host: &Host) -> Result<(), SqliteFailure> {
    migrate::ensure(host.sql).map_err(|e| match e.operator_detail() {
        Some(detail) => SqliteFailure::Misconfigured(detail),
        None => SqliteFailure::Failed(e.to_string()),
    })?;
    let version = migrate::current_version(host.sql).map_err(|e| SqliteFailure::Failed(e.to_string()))?;
    // Newer is served (a rollback, a rolling update's old pods: migrate's rule), so ready.
    if version < migrate::latest_version() {
        return Err(SqliteFailure::Failed(format!(
            "schema version {version}, expected {}",
            migrate::latest_version()
        )));
    }
    Ok(())
}

/// The stores' pairing; a failure to read either store is that store's check's to report.
fn check_pairing(host: &Host) -> Option<Result<(), String>> {
    match crate::pairing::check(host) {
        Ok(crate::pairing::Pairing::Foreign) => {
            Some(Err("the key-value store names another database".into()))
        }
        // No identity to compare (a build older than migration 13 made the schema): unchecked.
        Ok(crate::pairing::Pairing::Unknown) => None,
        _ => Some(Ok(())),
    }
}

fn check_kv(host: &Host) -> Result<(), String> {
    // The clock is read after each store call, not once for the check: a call may have waited
    // on the store (Spin holds a request through a Redis reconnection, 100 s and more), and the
    // probes other checks wrote meanwhile are younger than this request; against its start they
    // looked stale, and a healthy store was reported broken once it came back.
    let stored = host.kv.get(PROBE_KEY).map_err(|e| e.to_string())?;
    let now = host.clock.now_ms();
    // A read alone proves the store answers; a recent probe, that it kept a write.
    if stored.is_some_and(|v| written_recently(&v, now)) {
        return Ok(());
    }
    let value = format!("{now}:{}", host.new_id()).into_bytes();
    host.kv.set(PROBE_KEY, &value).map_err(|e| e.to_string())?;
    match host.kv.get(PROBE_KEY).map_err(|e| e.to_string())? {
        // Another check may have written between this one's write and read: a fresh probe of its
        // own proves the same.
        Some(v) if v == value || written_recently(&v, host.clock.now_ms()) => Ok(()),
        Some(_) => Err("read back a different value".into()),
        None => Err("read back nothing".into()),
    }
}

/// Whether a probe value was written within [`PROBE_FRESH_MS`] of `now` (either side: replicas'
/// clocks differ a little; a value from further in the future vouches for nothing).
fn written_recently(value: &[u8], now: i64) -> bool {
    let written = std::str::from_utf8(value)
        .ok()
        .and_then(|v| v.split_once(':'))
        .and_then(|(ms, _)| ms.parse::<i64>().ok());
    written.is_some_and(|ms| (now - ms).abs() < PROBE_FRESH_MS)
}
