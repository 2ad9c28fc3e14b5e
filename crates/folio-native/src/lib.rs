//! Native implementations of folio-core's ports: SQLite through rusqlite with bundled SQLite
//! (the engine Spin itself embeds, also through rusqlite), key-value stores in memory or on a
//! SQLite file (as Spin's default store is), the system clock or a manual one, OS randomness,
//! and variables from a map. [`TestApp`] bundles them the way Spin serves a request, so native
//! tests drive the real handlers, SQL included.
#![cfg(not(target_arch = "wasm32"))]

use std::{
    cell::{Cell, RefCell},
    collections::{BTreeMap, HashMap},
    path::{Path, PathBuf},
    sync::{
        atomic::{AtomicI64, Ordering},
        Arc, Mutex,
    },
};

pub mod interop;

use folio_core::{
    read_ahead::ReadAhead, sql::LockBudget, Clock, Config, ConfigError, Host, Kv, KvError, Random, Request,
    Response, Rows, Sql, SqlError, Value,
};

/// A SQLite connection on a file or in memory. Like Spin's, `execute` runs exactly one
/// statement and reports SQLite's errors as `Io(message)`.
pub struct NativeSql {
    conn: Mutex<rusqlite::Connection>,
}

impl NativeSql {
    pub fn open(path: &Path) -> Result<Self, SqlError> {
        let conn = rusqlite::Connection::open(path).map_err(|e| SqlError::Io(e.to_string()))?;
        Ok(Self { conn: Mutex::new(conn) })
    }

    pub fn in_memory() -> Self {
        Self { conn: Mutex::new(rusqlite::Connection::open_in_memory().expect("in-memory SQLite opens")) }
    }
}

impl Sql for NativeSql {
    fn execute(&self, statement: &str, params: &[Value]) -> Result<Rows, SqlError> {
        let conn = self.conn.lock().map_err(|_| SqlError::InvalidConnection)?;
        let io = |e: rusqlite::Error| SqlError::Io(e.to_string());
        let mut stmt = conn.prepare_cached(statement).map_err(io)?;
        let columns: Vec<String> = stmt.column_names().into_iter().map(String::from).collect();
        let width = columns.len();
        let bound = params.iter().map(to_sql).collect::<Vec<_>>();
        let mut rows = stmt.query(rusqlite::params_from_iter(bound.iter())).map_err(io)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(io)? {
            let mut values = Vec::with_capacity(width);
            for i in 0..width {
                values.push(from_sql(row.get_ref(i).map_err(io)?));
            }
            out.push(values);
        }
        Ok(Rows { columns, rows: out })
    }
}

fn to_sql(v: &Value) -> rusqlite::types::Value {
    use rusqlite::types::Value as R;
    match v {
        Value::Null => R::Null,
        Value::Integer(i) => R::Integer(*i),
        Value::Real(f) => R::Real(*f),
        Value::Text(s) => R::Text(s.clone()),
        Value::Blob(b) => R::Blob(b.clone()),
    }
}

fn from_sql(v: rusqlite::types::ValueRef<'_>) -> Value {
    use rusqlite::types::ValueRef as R;
    match v {
        R::Null => Value::Null,
        R::Integer(i) => Value::Integer(i),
        R::Real(f) => Value::Real(f),
        R::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        R::Blob(b) => Value::Blob(b.to_vec()),
    }
}

/// A key-value store in memory.
#[derive(Default)]
pub struct MemoryKv {
    map: Mutex<BTreeMap<String, Vec<u8>>>,
}

impl MemoryKv {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.map.lock().expect("kv lock").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Kv for MemoryKv {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        Ok(self.map.lock().map_err(|_| KvError::Other("poisoned".into()))?.get(key).cloned())
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.map
            .lock()
            .map_err(|_| KvError::Other("poisoned".into()))?
            .insert(key.to_string(), value.to_vec());
        Ok(())
    }
    fn delete(&self, key: &str) -> Result<(), KvError> {
        self.map.lock().map_err(|_| KvError::Other("poisoned".into()))?.remove(key);
        Ok(())
    }
    fn exists(&self, key: &str) -> Result<bool, KvError> {
        Ok(self.map.lock().map_err(|_| KvError::Other("poisoned".into()))?.contains_key(key))
    }
    fn keys(&self) -> Result<Vec<String>, KvError> {
        Ok(self.map.lock().map_err(|_| KvError::Other("poisoned".into()))?.keys().cloned().collect())
    }
}

/// A key-value store that always fails, for testing error paths (health `503`, ...).
pub struct BrokenKv;

impl Kv for BrokenKv {
    fn get(&self, _: &str) -> Result<Option<Vec<u8>>, KvError> {
        Err(KvError::Other("store offline".into()))
    }
    fn set(&self, _: &str, _: &[u8]) -> Result<(), KvError> {
        Err(KvError::Other("store offline".into()))
    }
    fn delete(&self, _: &str) -> Result<(), KvError> {
        Err(KvError::Other("store offline".into()))
    }
    fn exists(&self, _: &str) -> Result<bool, KvError> {
        Err(KvError::Other("store offline".into()))
    }
    fn keys(&self) -> Result<Vec<String>, KvError> {
        Err(KvError::Other("store offline".into()))
    }
}

/// A key-value store whose writes fail (reads pass through), as Redis that went away in the
/// middle of a request would: for tests that a change answered `503` changed nothing.
pub struct KvWritesFail<'a> {
    pub inner: &'a dyn Kv,
}

impl Kv for KvWritesFail<'_> {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        self.inner.get(key)
    }
    fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>, KvError> {
        self.inner.get_many(keys)
    }
    fn set(&self, _: &str, _: &[u8]) -> Result<(), KvError> {
        Err(KvError::Other("Connection refused (os error 111)".into()))
    }
    fn delete(&self, _: &str) -> Result<(), KvError> {
        Err(KvError::Other("Connection refused (os error 111)".into()))
    }
    fn exists(&self, key: &str) -> Result<bool, KvError> {
        self.inner.exists(key)
    }
    fn keys(&self) -> Result<Vec<String>, KvError> {
        self.inner.keys()
    }
}

/// One call on a [`HookedKv`], as its hook sees it before the call reaches the store.
#[derive(Debug, Clone, Copy)]
pub enum KvCall<'k> {
    Get(&'k str),
    Set(&'k str, &'k [u8]),
    Delete(&'k str),
    Exists(&'k str),
}

/// A store that shows each call to `hook` before `inner` serves it: a test that needs the store
/// to stall, race another writer or record what it was given at one moment writes only that
/// moment, not a whole store. An error from the hook is the call's error.
pub struct HookedKv<'a, F: Fn(KvCall<'_>) -> Result<(), KvError>> {
    pub inner: &'a dyn Kv,
    pub hook: F,
}

impl<F: Fn(KvCall<'_>) -> Result<(), KvError>> Kv for HookedKv<'_, F> {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        (self.hook)(KvCall::Get(key))?;
        self.inner.get(key)
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        (self.hook)(KvCall::Set(key, value))?;
        self.inner.set(key, value)
    }
    fn delete(&self, key: &str) -> Result<(), KvError> {
        (self.hook)(KvCall::Delete(key))?;
        self.inner.delete(key)
    }
    fn exists(&self, key: &str) -> Result<bool, KvError> {
        (self.hook)(KvCall::Exists(key))?;
        self.inner.exists(key)
    }
    fn keys(&self) -> Result<Vec<String>, KvError> {
        self.inner.keys()
    }
}

/// A database that cannot be opened, for testing error paths.
pub struct BrokenSql;

impl Sql for BrokenSql {
    fn execute(&self, _: &str, _: &[Value]) -> Result<Rows, SqlError> {
        Err(SqlError::Io("unable to open database file".into()))
    }
}

/// Counts the round trips a handler makes to a key-value store (each `get`, `exists`, listing
/// and batch read is one read; each `set` and `delete` one write), for tests that pin how
/// many a route needs.
pub struct RoundTrips<'a> {
    inner: &'a dyn Kv,
    reads: Cell<u32>,
    writes: Cell<u32>,
    listings: Cell<u32>,
}

impl<'a> RoundTrips<'a> {
    pub fn new(inner: &'a dyn Kv) -> Self {
        Self { inner, reads: Cell::new(0), writes: Cell::new(0), listings: Cell::new(0) }
    }

    /// Full listings of the store (`keys`), which no request path may make: their cost grows
    /// with every key of every user (and on Redis is a scan of the whole database).
    pub fn listings(&self) -> u32 {
        self.listings.get()
    }

    pub fn reads(&self) -> u32 {
        self.reads.get()
    }

    pub fn writes(&self) -> u32 {
        self.writes.get()
    }

    fn read(&self) {
        self.reads.set(self.reads.get() + 1);
    }

    fn write(&self) {
        self.writes.set(self.writes.get() + 1);
    }
}

impl Kv for RoundTrips<'_> {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        self.read();
        self.inner.get(key)
    }
    fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>, KvError> {
        self.read();
        self.inner.get_many(keys)
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.write();
        self.inner.set(key, value)
    }
    fn delete(&self, key: &str) -> Result<(), KvError> {
        self.write();
        self.inner.delete(key)
    }
    fn exists(&self, key: &str) -> Result<bool, KvError> {
        self.read();
        self.inner.exists(key)
    }
    fn keys(&self) -> Result<Vec<String>, KvError> {
        self.read();
        self.listings.set(self.listings.get() + 1);
        self.inner.keys()
    }
}

/// Runs a hook once, just before or just after the first statement that contains `marker`:
/// for tests that put another request at an exact point of this one (the interleavings of two
/// racing requests, made deterministic).
pub struct Interleaved<'a> {
    inner: &'a dyn Sql,
    marker: &'static str,
    after: bool,
    hook: RefCell<Option<Box<dyn FnOnce() + 'a>>>,
}

impl<'a> Interleaved<'a> {
    /// `hook` runs before the statement.
    pub fn before(inner: &'a dyn Sql, marker: &'static str, hook: impl FnOnce() + 'a) -> Self {
        Self { inner, marker, after: false, hook: RefCell::new(Some(Box::new(hook))) }
    }

    /// `hook` runs once the statement has run (and, outside a transaction, committed).
    pub fn after(inner: &'a dyn Sql, marker: &'static str, hook: impl FnOnce() + 'a) -> Self {
        Self { inner, marker, after: true, hook: RefCell::new(Some(Box::new(hook))) }
    }

    /// True once the hook has run.
    pub fn fired(&self) -> bool {
        self.hook.borrow().is_none()
    }

    fn run_hook(&self) {
        let hook = self.hook.borrow_mut().take();
        if let Some(hook) = hook {
            hook();
        }
    }
}

impl Sql for Interleaved<'_> {
    fn execute(&self, statement: &str, params: &[Value]) -> Result<Rows, SqlError> {
        let marked = statement.contains(self.marker);
        if marked && !self.after {
            self.run_hook();
        }
        let result = self.inner.execute(statement, params);
        if marked && self.after {
            self.run_hook();
        }
        result
    }
}

/// Fails every statement that contains `marker` as SQLite fails one that waited out its busy
/// timeout behind another connection's lock: for tests that a write answered `503` changed
/// nothing, whichever of its statements found the lock held.
pub struct BusyOn<'a> {
    inner: &'a dyn Sql,
    marker: &'static str,
    refused: Cell<u32>,
}

impl<'a> BusyOn<'a> {
    pub fn new(inner: &'a dyn Sql, marker: &'static str) -> Self {
        Self { inner, marker, refused: Cell::new(0) }
    }

    /// How many statements were refused.
    pub fn refused(&self) -> u32 {
        self.refused.get()
    }
}

impl Sql for BusyOn<'_> {
    fn execute(&self, statement: &str, params: &[Value]) -> Result<Rows, SqlError> {
        if statement.contains(self.marker) {
            self.refused.set(self.refused.get() + 1);
            return Err(SqlError::Io("database is locked".into()));
        }
        self.inner.execute(statement, params)
    }
}

/// Counts the statements a handler runs, for tests that pin that a route needs none.
pub struct CountingSql<'a> {
    inner: &'a dyn Sql,
    statements: Cell<u32>,
}

impl<'a> CountingSql<'a> {
    pub fn new(inner: &'a dyn Sql) -> Self {
        Self { inner, statements: Cell::new(0) }
    }

    pub fn statements(&self) -> u32 {
        self.statements.get()
    }
}

impl Sql for CountingSql<'_> {
    fn execute(&self, statement: &str, params: &[Value]) -> Result<Rows, SqlError> {
        self.statements.set(self.statements.get() + 1);
        self.inner.execute(statement, params)
    }
}

/// The system's wall clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0)
    }
}

/// A clock that tests move by hand: expiry without sleeping.
pub struct ManualClock {
    ms: AtomicI64,
}

impl ManualClock {
    pub fn at_ms(ms: i64) -> Self {
        Self { ms: AtomicI64::new(ms) }
    }

    /// Starts at the current wall-clock time.
    pub fn now() -> Self {
        Self::at_ms(SystemClock.now_ms())
    }

    pub fn advance_secs(&self, secs: i64) {
        self.ms.fetch_add(secs * 1000, Ordering::SeqCst);
    }

    pub fn set_ms(&self, ms: i64) {
        self.ms.store(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.ms.load(Ordering::SeqCst)
    }
}

/// The operating system's CSPRNG.
pub struct OsRandom;

impl Random for OsRandom {
    fn fill(&self, buf: &mut [u8]) {
        getrandom::fill(buf).expect("the OS random source works");
    }
}

/// Variables from a map: what `spin.toml` and `SPIN_VARIABLE_*` would provide.
#[derive(Default, Clone)]
pub struct MapConfig {
    vars: HashMap<String, String>,
}

impl MapConfig {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with(mut self, name: &str, value: &str) -> Self {
        self.vars.insert(name.to_string(), value.to_string());
        self
    }

    pub fn set(&mut self, name: &str, value: &str) {
        self.vars.insert(name.to_string(), value.to_string());
    }
}

impl Config for MapConfig {
    fn get(&self, name: &str) -> Result<Option<String>, ConfigError> {
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            return Err(ConfigError::InvalidName(name.to_string()));
        }
        Ok(self.vars.get(name).cloned())
    }
}

/// The app as Spin runs it, natively: a SQLite database file in a temporary directory, opened
/// afresh for every request as each Spin request gets a fresh instance; one shared key-value
/// store; a manual clock; OS randomness; variables from a map.
pub struct TestApp {
    _dir: tempfile::TempDir,
    db_path: PathBuf,
    pub kv: Arc<MemoryKv>,
    pub clock: Arc<ManualClock>,
    pub config: MapConfig,
}

/// A handler as every component crate exposes it.
pub type Handler = fn(&Host, Request) -> Response;

impl Default for TestApp {
    fn default() -> Self {
        Self::new()
    }
}

impl TestApp {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let db_path = dir.path().join("sqlite_db.db");
        Self {
            _dir: dir,
            db_path,
            kv: Arc::new(MemoryKv::new()),
            clock: Arc::new(ManualClock::now()),
            config: MapConfig::new(),
        }
    }

    pub fn with_var(mut self, name: &str, value: &str) -> Self {
        self.config.set(name, value);
        self
    }

    pub fn db_path(&self) -> &Path {
        &self.db_path
    }

    /// A fresh connection to the app's database, as a new Spin instance would open.
    pub fn sql(&self) -> NativeSql {
        NativeSql::open(&self.db_path).expect("test database opens")
    }

    /// Sends one request to `handler` as Spin would: fresh connection, shared stores.
    pub fn call(&self, handler: Handler, req: Request) -> Response {
        self.with_host(|host| handler(host, req))
    }

    /// Runs `f` with a host over this app's stores, for setting up or inspecting state.
    /// A host for one request, built as the Spin adapter builds it: the store behind a
    /// per-request [`ReadAhead`], so routes' batch reads are exercised here too.
    pub fn with_host<T>(&self, f: impl FnOnce(&Host) -> T) -> T {
        self.with_host_on(self.clock.as_ref(), f)
    }

    /// [`TestApp::with_host`] over other stores than the app's own (a counting or failing
    /// wrapper of them, say), the key-value one behind a read-ahead as the Spin adapter puts it.
    pub fn with_host_over<T>(&self, sql: &dyn Sql, kv: &dyn Kv, f: impl FnOnce(&Host) -> T) -> T {
        let ahead = ReadAhead::new(kv);
        let host =
            Host { sql, kv: &ahead, clock: self.clock.as_ref(), random: &OsRandom, config: &self.config };
        f(&host)
    }

    /// [`TestApp::with_host`] on another clock than the app's manual one: a benchmark wants the
    /// wall clock, so that what the handler times (a run's `elapsed_ms`) is measured.
    pub fn with_host_on<T>(&self, clock: &dyn Clock, f: impl FnOnce(&Host) -> T) -> T {
        let sql = LockBudget::new(self.sql());
        let kv = ReadAhead::new(self.kv.as_ref());
        let host = Host { sql: &sql, kv: &kv, clock, random: &OsRandom, config: &self.config };
        f(&host)
    }
}

/// FTS5's integrity check of the books' full-text index; with `rank = 1` it also compares the
/// index with its external content (the books table), so a book missing from the index, or
/// indexed twice, fails it.
pub fn check_full_text(sql: &dyn Sql) -> Result<Rows, SqlError> {
    sql.execute("INSERT INTO books_fts (books_fts, rank) VALUES ('integrity-check', 1)", &[])
}

/// Builds a request for tests: `request("GET", "/api/health").body(...)`.
pub fn request(method: &str, uri: &str) -> http::request::Builder {
    http::Request::builder().method(method).uri(uri)
}

/// A JSON request with a body.
pub fn json_request(method: &str, uri: &str, body: &str) -> Request {
    request(method, uri)
        .header("content-type", "application/json")
        .body(body.as_bytes().to_vec())
        .expect("valid request")
}

/// A response body parsed as JSON, for assertions.
pub fn body_json(response: &Response) -> serde_json::Value {
    serde_json::from_slice(response.body()).unwrap_or_else(|e| {
        panic!("response is not JSON ({e}): {}", String::from_utf8_lossy(response.body()))
    })
}
