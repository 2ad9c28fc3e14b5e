//! The SQL port, shaped like Spin's `sqlite` interface (statement + positional parameters in,
//! columns + rows of dynamically typed values out) so the Spin adapter is a thin conversion.

use std::cell::Cell;
use std::time::{Duration, Instant};

/// A SQLite value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Integer(v)
    }
}
impl From<i32> for Value {
    fn from(v: i32) -> Self {
        Value::Integer(v as i64)
    }
}
impl From<u32> for Value {
    fn from(v: u32) -> Self {
        Value::Integer(v as i64)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Integer(v as i64)
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Real(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_string())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(v.clone())
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// Errors of the SQL port, mirroring Spin's `sqlite` interface. Constraint violations arrive as
/// `Io` with SQLite's message, as they do from Spin; [`SqlError::is_unique_violation`] reads them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SqlError {
    #[error("no such database")]
    NoSuchDatabase,
    #[error("access to the database was denied")]
    AccessDenied,
    #[error("invalid database connection")]
    InvalidConnection,
    #[error("the database is full")]
    DatabaseFull,
    #[error("database error: {0}")]
    Io(String),
}

impl SqlError {
    /// True when the statement failed on a UNIQUE or PRIMARY KEY constraint.
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, SqlError::Io(m) if m.contains("UNIQUE constraint failed"))
    }

    /// True when SQLite gave up waiting for a lock (`SQLITE_BUSY`, `SQLITE_LOCKED`): another
    /// connection held the database for longer than the busy timeout (a long write such as a
    /// large generator run). Nothing is wrong with the request; it may be retried.
    pub fn is_busy(&self) -> bool {
        matches!(self, SqlError::Io(m) if is_busy_message(m))
    }

    /// True when the database could not be reached at all, as opposed to a statement that
    /// failed: nothing is wrong with the request, and it may succeed once the database is back.
    ///
    /// What Spin 4.0.2 really reports (captured on `spin up`, tests/scaleout/test_store_outage.py):
    /// its libSQL client (libsql 0.5, Hrana over HTTP) turns a refused connection, a failed DNS
    /// lookup or a timeout into `Io("Hrana: `http error: ...`")`, and a server or proxy that
    /// answers with an error status into `Io("Hrana: `api error: <body>`")`. An SQL error on
    /// libSQL is a Hrana `stream error` instead, and stays an internal error (`500`), as do
    /// the errors of Spin's local SQLite other than a lock ([`SqlError::is_busy`]).
    ///
    /// A full disk is the same for the client (`SQLITE_FULL`: "database or disk is full", from
    /// Spin's local SQLite; `SQLITE_IOERR`: "disk I/O error"): nothing is wrong with the request,
    /// the write changed nothing, and it may succeed once an operator has made room. Seen on a
    /// test machine whose disk filled: every route answered `500` until then.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, SqlError::Io(m) if m.contains("Hrana: `http error")
            || m.contains("Hrana: `api error")
            || is_storage_failure(m))
    }

    /// True when SQLite reported that a table does not exist.
    pub fn is_missing_table(&self) -> bool {
        matches!(self, SqlError::Io(m) if m.contains("no such table"))
    }
}

/// SQLite's words for a lock held by another connection past the busy timeout: from the
/// database, and from Spin's local key-value store, which is SQLite too
/// (`SqliteFailure(Error { code: DatabaseBusy, .. }, Some("database is locked"))`).
pub(crate) fn is_busy_message(m: &str) -> bool {
    m.contains("database is locked")
        || m.contains("database table is locked")
        || m.contains("database schema is locked")
        || m.contains("SQLITE_BUSY")
        || m.contains("DatabaseBusy")
}

/// SQLite's words for storage that cannot be used (its own and its key-value store's): a disk
/// that is full or failing, a database file that cannot be opened, or one on a read-only
/// mount. Nothing is wrong with the request; the operator must make room or mount the state
/// directory writable (README, "Deployment").
pub(crate) fn is_storage_failure(message: &str) -> bool {
    message.contains("database or disk is full")
        || message.contains("disk I/O error")
        || message.contains("unable to open database file")
        || message.contains("attempt to write a readonly database")
        // Spin's own failure to run the statement, seen while it shuts down (a restart, a
        // rolling update): the host, not the request; another replica or a retry answers.
        || message.contains("internal runtime error")
}

/// The result of a statement: column names and rows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rows {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

impl Rows {
    pub fn iter(&self) -> impl Iterator<Item = Row<'_>> {
        self.rows.iter().map(|values| Row { columns: &self.columns, values })
    }

    pub fn first(&self) -> Option<Row<'_>> {
        self.iter().next()
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// One row, readable by column name or index.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    columns: &'a [String],
    values: &'a [Value],
}

impl<'a> Row<'a> {
    pub fn value(&self, column: &str) -> Option<&'a Value> {
        let i = self.columns.iter().position(|c| c == column)?;
        self.values.get(i)
    }

    pub fn at(&self, index: usize) -> Option<&'a Value> {
        self.values.get(index)
    }

    pub fn i64(&self, column: &str) -> Option<i64> {
        match self.value(column)? {
            Value::Integer(v) => Some(*v),
            Value::Real(v) => Some(*v as i64),
            _ => None,
        }
    }

    pub fn f64(&self, column: &str) -> Option<f64> {
        match self.value(column)? {
            Value::Integer(v) => Some(*v as f64),
            Value::Real(v) => Some(*v),
            _ => None,
        }
    }

    pub fn text(&self, column: &str) -> Option<&'a str> {
        match self.value(column)? {
            Value::Text(v) => Some(v.as_str()),
            _ => None,
        }
    }

    pub fn string(&self, column: &str) -> String {
        self.text(column).unwrap_or_default().to_string()
    }

    pub fn blob(&self, column: &str) -> Option<&'a [u8]> {
        match self.value(column)? {
            Value::Blob(v) => Some(v.as_slice()),
            _ => None,
        }
    }
}

/// A SQLite connection. Statements on one connection run in order, so an explicit
/// `BEGIN ... COMMIT` spans several calls, as it does on Spin's connection resource.
pub trait Sql {
    fn execute(&self, statement: &str, params: &[Value]) -> Result<Rows, SqlError>;

    /// [`Sql::execute`] with parameters the caller gives up, so a port that must convert them
    /// into its host's own value type can move their strings instead of copying them: a bulk
    /// generator run hands over 800,000 strings per 100,000 books.
    fn execute_owned(&self, statement: &str, params: Vec<Value>) -> Result<Rows, SqlError> {
        self.execute(statement, &params)
    }

    /// Whether an in-memory database lasts only as long as this connection, one request: on
    /// Spin, each request opens its own connection, and an in-memory `default` database (what
    /// `spin up --from` makes without `--state-dir`) is a new, empty one every time. A port whose
    /// connection outlives requests (the native test host's) keeps what it holds.
    fn memory_lasts_one_request(&self) -> bool {
        false
    }

    /// When this request stops waiting for other connections' locks ([`LockBudget`]); `None`
    /// for a connection that keeps no budget of its own (then each wait gets [`BUSY_BUDGET`]).
    fn lock_deadline(&self) -> Option<Instant> {
        None
    }

    /// Makes the statements that follow wait at most `cap` for another connection's lock, or
    /// again as long as the connection's budget allows (`None`). False when the store does not
    /// take the setting (a remote libSQL server keeps its own policy).
    fn cap_lock_wait(&self, cap: Option<Duration>) -> bool {
        let ms = cap.map_or(HOST_BUSY_TIMEOUT_MS, |cap| cap.as_millis().min(u128::from(u32::MAX)) as u32);
        self.execute(&format!("PRAGMA busy_timeout = {ms}"), &[]).is_ok()
    }
}

/// SQLite's busy timeout as Spin opens connections (rusqlite's default): one statement that
/// finds the database locked waits this long inside the host before it reports the lock.
const HOST_BUSY_TIMEOUT_MS: u32 = 5_000;

/// How far past its deadline a request's statement may wait before its busy timeout is set
/// again: every statement would otherwise cost a second host call (`PRAGMA busy_timeout`) as
/// the clock moves, while a request that never met a lock sets it at most once or twice.
const DEADLINE_SLACK_MS: u32 = 100;

/// A request's connection whose waits for other connections' locks share one budget,
/// [`BUSY_BUDGET`] from the moment the request began.
///
/// A statement that finds the database locked waits inside the host for as long as the
/// connection's busy timeout says (5 s on Spin), and a request that writes several times (a
/// sign-in takes a throttle slot, a hashing slot, gives it back, starts a session) could wait
/// that long at each: a sign-in beside a generator run answered after 10 s. So before each
/// statement the busy timeout is brought down to what is left of the budget, whenever it would
/// otherwise run more than [`DEADLINE_SLACK_MS`] past it; once the budget is spent, a locked
/// database is reported at once and the request answers `503`.
pub struct LockBudget<S> {
    inner: S,
    deadline: Instant,
    /// The busy timeout the connection has now, as far as this wrapper knows.
    timeout_ms: Cell<u32>,
    /// A shorter wait one step asked for ([`Sql::cap_lock_wait`]).
    cap: Cell<Option<Duration>>,
    /// The cap changed: the timeout must be set before the next statement, even if longer.
    stale: Cell<bool>,
    /// False once the store refused the pragma: a remote libSQL server keeps its own policy.
    settable: Cell<bool>,
}

impl<S: Sql> LockBudget<S> {
    /// `inner` with [`BUSY_BUDGET`] from now.
    pub fn new(inner: S) -> Self {
        Self::within(inner, BUSY_BUDGET)
    }

    /// `inner` with another budget (tests use milliseconds).
    pub fn within(inner: S, budget: Duration) -> Self {
        Self {
            inner,
            deadline: Instant::now() + budget,
            timeout_ms: Cell::new(HOST_BUSY_TIMEOUT_MS),
            cap: Cell::new(None),
            stale: Cell::new(false),
            settable: Cell::new(true),
        }
    }

    /// Sets the busy timeout to what is left of the budget (or the cap) when it is too long.
    fn fit_timeout(&self) {
        if !self.settable.get() {
            return;
        }
        let left = self.deadline.saturating_duration_since(Instant::now());
        let allowed = self.cap.get().map_or(left, |cap| cap.min(left));
        let allowed_ms = allowed.as_millis().min(u128::from(HOST_BUSY_TIMEOUT_MS)) as u32;
        if !self.stale.get() && self.timeout_ms.get() <= allowed_ms.saturating_add(DEADLINE_SLACK_MS) {
            return;
        }
        self.stale.set(false);
        match self.inner.execute(&format!("PRAGMA busy_timeout = {allowed_ms}"), &[]) {
            Ok(_) => self.timeout_ms.set(allowed_ms),
            Err(_) => self.settable.set(false),
        }
    }
}

impl<S: Sql> Sql for LockBudget<S> {
    fn execute(&self, statement: &str, params: &[Value]) -> Result<Rows, SqlError> {
        self.fit_timeout();
        self.inner.execute(statement, params)
    }

    fn execute_owned(&self, statement: &str, params: Vec<Value>) -> Result<Rows, SqlError> {
        self.fit_timeout();
        self.inner.execute_owned(statement, params)
    }

    fn memory_lasts_one_request(&self) -> bool {
        self.inner.memory_lasts_one_request()
    }

    fn lock_deadline(&self) -> Option<Instant> {
        Some(self.deadline)
    }

    fn cap_lock_wait(&self, cap: Option<Duration>) -> bool {
        self.cap.set(cap);
        self.stale.set(true);
        self.settable.get()
    }
}

/// How long one request waits, in all, for other connections' locks before it answers `503`
/// (README: "waits at most 5 s of wall time in all"), counted from when it began ([`LockBudget`]).
pub const BUSY_BUDGET: Duration = Duration::from_secs(5);

/// Runs `work`, and runs it again with back-off while `busy` says SQLite reported a lock, until
/// the request's lock deadline ([`Sql::lock_deadline`], else [`BUSY_BUDGET`] from now); then the
/// last error stands (a `503`).
///
/// The deadline is wall time, not a count of tries, because hosts differ: Spin opens its
/// connections with rusqlite, whose busy timeout makes one try wait inside the host until the
/// deadline ([`LockBudget`] keeps it there), so no second try is made; a host with no busy
/// timeout fails at once, and the back-off waits instead. Counting tries made a write beside a
/// long generator run wait one busy timeout per try: 19 s under Spin before it got its answer.
pub fn retry_while_busy<T, E>(
    sql: &dyn Sql,
    work: impl FnMut() -> Result<T, E>,
    busy: impl Fn(&E) -> bool,
) -> Result<T, E> {
    let deadline = sql.lock_deadline().unwrap_or_else(|| Instant::now() + BUSY_BUDGET);
    retry_while_busy_until(deadline, work, busy)
}

/// [`retry_while_busy`] until another deadline (tests use milliseconds from now).
pub fn retry_while_busy_until<T, E>(
    deadline: Instant,
    mut work: impl FnMut() -> Result<T, E>,
    busy: impl Fn(&E) -> bool,
) -> Result<T, E> {
    let mut wait = Duration::from_millis(1);
    loop {
        match work() {
            Err(e) if busy(&e) && Instant::now() + wait < deadline => {
                std::thread::sleep(wait);
                wait = (wait * 2).min(Duration::from_millis(500));
            }
            other => return other,
        }
    }
}

/// When a wait of at most `wait` (for a slot another request holds, say) gives up: then, or at
/// the request's lock deadline if that is sooner, so that a request waits at most
/// [`BUSY_BUDGET`] in all, for locks and slots together.
pub fn gives_up_at(sql: &dyn Sql, wait: Duration) -> Instant {
    let own = Instant::now() + wait;
    sql.lock_deadline().map_or(own, |deadline| deadline.min(own))
}

/// One statement, retried until the request's lock deadline while another connection holds a
/// lock it needs.
pub fn execute_patiently(sql: &dyn Sql, statement: &str, params: &[Value]) -> Result<Rows, SqlError> {
    retry_while_busy(sql, || sql.execute(statement, params), SqlError::is_busy)
}

/// `BEGIN IMMEDIATE`, waiting until the request's lock deadline for another connection's write lock: a
/// writer that loses the race waits its turn, then answers `503`, never `500`.
pub fn begin_immediate(sql: &dyn Sql) -> Result<(), SqlError> {
    execute_patiently(sql, "BEGIN IMMEDIATE", &[]).map(|_| ())
}

/// Runs `work` inside `BEGIN IMMEDIATE ... COMMIT`, rolling back when it fails.
///
/// IMMEDIATE takes the write lock up front, so two writers never both read and then fail to
/// upgrade; and bulk writes in one transaction avoid one fsync per statement.
pub fn transaction<T, E>(sql: &dyn Sql, work: impl FnOnce() -> Result<T, E>) -> Result<T, E>
where
    E: From<SqlError>,
{
    begin_immediate(sql)?;
    finish(sql, work())
}

/// Runs `work`, which only reads, inside `BEGIN ... COMMIT`: every statement of it sees one
/// snapshot of the database (SQLite's WAL gives each statement its own otherwise), so that, for
/// instance, a page of books and the count beside it agree under concurrent writes. A deferred
/// transaction takes no lock a writer waits for; it never writes.
pub fn read_transaction<T, E>(sql: &dyn Sql, work: impl FnOnce() -> Result<T, E>) -> Result<T, E>
where
    E: From<SqlError>,
{
    sql.execute("BEGIN", &[])?;
    finish(sql, work())
}

/// Ends the transaction that `outcome` came from: committed when it succeeded, else rolled back
/// (and rolled back too when the commit fails).
fn finish<T, E>(sql: &dyn Sql, outcome: Result<T, E>) -> Result<T, E>
where
    E: From<SqlError>,
{
    match outcome {
        Ok(v) => {
            if let Err(e) = sql.execute("COMMIT", &[]) {
                let _ = sql.execute("ROLLBACK", &[]);
                return Err(e.into());
            }
            Ok(v)
        }
        Err(e) => {
            let _ = sql.execute("ROLLBACK", &[]);
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::time::Duration;

    use super::*;

    fn locked() -> SqlError {
        SqlError::Io("database is locked".into())
    }

    #[test]
    fn an_unreachable_libsql_server_is_unavailable_and_sql_errors_are_not() {
        // Spin 4.0.2's messages, captured on `spin up` with libSQL at a port nobody listens on,
        // at a name that does not resolve, and at an HTTP server answering 503 to everything.
        for m in [
            "Hrana: `http error: `error trying to connect: tcp connect error: Connection refused (os error 111)``",
            "Hrana: `http error: `error trying to connect: dns error: failed to lookup address information: Name or service not known``",
            "Hrana: `api error: `down for maintenance``",
            "database or disk is full",
            "disk I/O error",
            // Seen from statements in flight while Spin 4.0.2 shut down (SIGTERM under load).
            "internal runtime error",
        ] {
            let e = SqlError::Io(m.into());
            assert!(e.is_unavailable(), "{m}");
            assert!(!e.is_busy(), "{m}");
        }
        for e in [
            SqlError::Io("near \"SELEC\": syntax error".into()),
            SqlError::Io(
                "Hrana: `stream error: `Error { message: \"SQLite error: no such table: x\" }``".into(),
            ),
            SqlError::Io("UNIQUE constraint failed: books.isbn".into()),
            locked(),
            SqlError::NoSuchDatabase,
            SqlError::AccessDenied,
        ] {
            assert!(!e.is_unavailable(), "{e}");
        }
    }

    #[test]
    fn a_try_that_waited_out_the_budget_is_not_repeated() {
        // Spin's connections wait out a 5 s busy timeout inside one try; a second try would
        // double the wait (a write beside a long generator run once waited 19 s).
        let tries = Cell::new(0);
        let r: Result<(), _> = retry_while_busy_until(
            Instant::now() + Duration::from_millis(20),
            || {
                tries.set(tries.get() + 1);
                std::thread::sleep(Duration::from_millis(25));
                Err(locked())
            },
            SqlError::is_busy,
        );
        assert!(r.unwrap_err().is_busy());
        assert_eq!(tries.get(), 1);
    }

    #[test]
    fn quick_refusals_are_retried_until_the_budget_is_spent_or_the_lock_is_free() {
        let tries = Cell::new(0);
        let r = retry_while_busy_until(
            Instant::now() + Duration::from_secs(5),
            || {
                tries.set(tries.get() + 1);
                if tries.get() < 4 {
                    Err(locked())
                } else {
                    Ok(tries.get())
                }
            },
            SqlError::is_busy,
        );
        assert_eq!(r.unwrap(), 4);

        let tries = Cell::new(0);
        let r: Result<(), _> = retry_while_busy_until(
            Instant::now() + Duration::from_millis(30),
            || {
                tries.set(tries.get() + 1);
                Err(locked())
            },
            SqlError::is_busy,
        );
        assert!(r.unwrap_err().is_busy());
        assert!(tries.get() > 1, "a host without a busy timeout gets back-off instead");
    }

    #[test]
    fn other_errors_are_not_retried() {
        let tries = Cell::new(0);
        let r: Result<(), _> = retry_while_busy_until(
            Instant::now() + Duration::from_secs(5),
            || {
                tries.set(tries.get() + 1);
                Err(SqlError::Io("no such table: books".into()))
            },
            SqlError::is_busy,
        );
        assert!(r.is_err());
        assert_eq!(tries.get(), 1);
    }
}
