use std::cell::OnceCell;

use folio_core::read_ahead::ReadAhead;
use folio_core::serve::COMPONENT;
use folio_core::sql::LockBudget;
use folio_core::{
    Clock, Config, ConfigError, Host, Kv, KvError, Random, Request, Response, Rows, Sql, SqlError, Value,
};
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::wit::wasi::keyvalue::{batch as kv_batch, store as kv_store};

use crate::edge;
use spin_sdk::{sqlite, variables};

/// The `default` SQLite database granted in `spin.toml`.
#[derive(Default)]
pub struct SpinSql {
    conn: OnceCell<Result<sqlite::Connection, SqlError>>,
}

fn sql_error(e: &sqlite::Error) -> SqlError {
    match e {
        sqlite::Error::NoSuchDatabase => SqlError::NoSuchDatabase,
        sqlite::Error::AccessDenied => SqlError::AccessDenied,
        sqlite::Error::InvalidConnection => SqlError::InvalidConnection,
        sqlite::Error::DatabaseFull => SqlError::DatabaseFull,
        sqlite::Error::Io(m) => SqlError::Io(m.clone()),
    }
}

impl Sql for SpinSql {
    fn execute(&self, statement: &str, params: &[Value]) -> Result<Rows, SqlError> {
        self.run(statement, params.iter().cloned().map(to_spin_value).collect())
    }

    fn execute_owned(&self, statement: &str, params: Vec<Value>) -> Result<Rows, SqlError> {
        self.run(statement, params.into_iter().map(to_spin_value).collect())
    }

    fn memory_lasts_one_request(&self) -> bool {
        true
    }
}

impl SpinSql {
    /// One statement on the request's connection (opened on first use).
    fn run(&self, statement: &str, params: Vec<sqlite::Value>) -> Result<Rows, SqlError> {
        let conn = self
            .conn
            .get_or_init(|| sqlite::Connection::open_default().map_err(|e| sql_error(&e)))
            .as_ref()
            .map_err(Clone::clone)?;
        let result = conn.execute(statement, &params).map_err(|e| sql_error(&e))?;
        let rows = result
            .rows
            .into_iter()
            .map(|row| {
                row.values
                    .into_iter()
                    .map(|v| match v {
                        sqlite::Value::Null => Value::Null,
                        sqlite::Value::Integer(i) => Value::Integer(i),
                        sqlite::Value::Real(f) => Value::Real(f),
                        sqlite::Value::Text(s) => Value::Text(s),
                        sqlite::Value::Blob(b) => Value::Blob(b),
                    })
                    .collect()
            })
            .collect();
        Ok(Rows { columns: result.columns, rows })
    }
}

/// A port value as the SDK's: moves its string or bytes (a borrowed caller clones first).
fn to_spin_value(v: Value) -> sqlite::Value {
    match v {
        Value::Null => sqlite::Value::Null,
        Value::Integer(i) => sqlite::Value::Integer(i),
        Value::Real(f) => sqlite::Value::Real(f),
        Value::Text(s) => sqlite::Value::Text(s),
        Value::Blob(b) => sqlite::Value::Blob(b),
    }
}

/// The `default` key-value store granted in `spin.toml`, through `wasi:keyvalue` (which Spin 3
/// serves over the same stores as `fermyon:spin/key-value`) for its batch read: one open per
/// request, and `get_many` in one round trip.
#[derive(Default)]
pub struct SpinKv {
    bucket: OnceCell<Result<kv_store::Bucket, KvError>>,
}

fn kv_error(e: kv_store::Error) -> KvError {
    match e {
        kv_store::Error::NoSuchStore => KvError::NoSuchStore,
        kv_store::Error::AccessDenied => KvError::AccessDenied,
        kv_store::Error::Other(m) => KvError::Other(m),
    }
}

impl SpinKv {
    fn bucket(&self) -> Result<&kv_store::Bucket, KvError> {
        self.bucket.get_or_init(|| kv_store::open("default").map_err(kv_error)).as_ref().map_err(Clone::clone)
    }
}

impl Kv for SpinKv {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        self.bucket()?.get(key).map_err(kv_error)
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.bucket()?.set(key, value).map_err(kv_error)
    }
    fn delete(&self, key: &str) -> Result<(), KvError> {
        self.bucket()?.delete(key).map_err(kv_error)
    }
    fn exists(&self, key: &str) -> Result<bool, KvError> {
        self.bucket()?.exists(key).map_err(kv_error)
    }
    fn keys(&self) -> Result<Vec<String>, KvError> {
        // Spin answers the whole listing in one page (and refuses cursors).
        let page = self.bucket()?.list_keys(None).map_err(kv_error)?;
        Ok(page.keys)
    }
    fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>, KvError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let owned: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
        let mut pairs = kv_batch::get_many(self.bucket()?, &owned).map_err(kv_error)?;
        // Spin's SQLite store returns only the pairs it found, in no promised order; its Redis
        // store every key in order. Match by key, and a key not returned is missing.
        Ok(keys
            .iter()
            .map(|key| pairs.iter().position(|(k, _)| k == key).and_then(|i| pairs.swap_remove(i).1))
            .collect())
    }
}

/// WASI wall clock (std's `SystemTime` is backed by `wasi:clocks/wall-clock`).
pub struct SpinClock;

impl Clock for SpinClock {
    fn now_ms(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0)
    }
}

/// `wasi:random/random`: the host's CSPRNG.
pub struct SpinRandom;

impl Random for SpinRandom {
    fn fill(&self, buf: &mut [u8]) {
        let bytes = wasi::random::random::get_random_bytes(buf.len() as u64);
        buf.copy_from_slice(&bytes[..buf.len()]);
    }
}

/// Spin variables granted to this component.
pub struct SpinConfig;

impl Config for SpinConfig {
    fn get(&self, name: &str) -> Result<Option<String>, ConfigError> {
        match variables::get(name) {
            Ok(v) => Ok(Some(v)),
            Err(variables::Error::Undefined(_)) => Ok(None),
            Err(variables::Error::InvalidName(_)) => Err(ConfigError::InvalidName(name.to_string())),
            Err(variables::Error::Provider(m)) | Err(variables::Error::Other(m)) => {
                Err(ConfigError::Provider(m))
            }
        }
    }
}

/// Serves one Spin request with `handler` over lazily opened Spin stores; the key-value store
/// behind a [`ReadAhead`], so routes can batch the reads they know they will make. The answer
/// names `component` in `X-Folio-Component`, so a test (and an operator) can see which component
/// Spin routed a path to: real Spin's routing depends on spin.toml's order (README, "Routing").
/// The request is read and the response written by [`crate::edge`], body first.
pub fn run(
    component: &'static str,
    incoming: IncomingRequest,
    out: ResponseOutparam,
    handler: fn(&Host, Request) -> Response,
) {
    let mut method = http::Method::GET;
    let mut response = match edge::read_request(incoming) {
        Ok(req) => {
            method = req.method().clone();
            // Every wait for another connection's lock shares one budget from here.
            let sql = LockBudget::new(SpinSql::default());
            let kv = ReadAhead::new(SpinKv::default());
            let host =
                Host { sql: &sql, kv: &kv, clock: &SpinClock, random: &SpinRandom, config: &SpinConfig };
            handler(&host, req)
        }
        Err(e) => e.into_response(),
    };
    response.headers_mut().insert(COMPONENT, http::HeaderValue::from_static(component));
    edge::write_response(out.into_inner(), response, &method);
}
