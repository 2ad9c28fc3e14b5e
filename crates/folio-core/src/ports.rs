//! The ports: the only ways handler code reaches the outside world.
//!
//! Every port is a small object-safe trait so that a [`Host`] is a bundle of `&dyn` references:
//! the Spin adapter builds one per request from lazily opened Spin resources, a test builds one
//! from native implementations.

use crate::sql::Sql;

/// Errors of the key-value port, mirroring `wasi:keyvalue/store`'s.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KvError {
    #[error("no such key-value store")]
    NoSuchStore,
    #[error("access to the key-value store was denied")]
    AccessDenied,
    #[error("key-value store failure: {0}")]
    Other(String),
}

impl KvError {
    /// True when the store could not be reached (its server is down or the connection to it
    /// broke), as opposed to a failed operation: the request may succeed once it is back.
    ///
    /// Spin 4.0.2's Redis store (crates/key-value-redis, redis-rs 0.32) passes the redis
    /// crate's error on as `Other(<its Display>)`, which for an I/O error is the operating
    /// system's message: `Connection refused (os error 111)` (captured on `spin up` with Redis
    /// never started), prefixed `Reconnecting failed: ` when a reconnection gave up, and
    /// `broken pipe` for a connection whose socket has closed. Every OS-level socket error
    /// carries `(os error N)`.
    /// Spin's local store is SQLite: a full or failing disk is reported in SQLite's words,
    /// and is the same for the client (`crate::sql::is_storage_failure`); so is its file locked
    /// by another connection past the busy timeout (`crate::sql::is_busy_message`): the store
    /// cannot serve the request now, and may in a moment.
    /// Redis that answers but cannot serve (full with `noeviction`, a read-only replica, still
    /// loading, its primary down, unable to persist) says so with an error code first: `OOM
    /// command not allowed when used memory > 'maxmemory'.` as Spin 4.0.2 passes it on.
    pub fn is_unavailable(&self) -> bool {
        const REDIS_CANNOT_SERVE: [&str; 9] = [
            "OOM",
            "READONLY",
            "LOADING",
            "MASTERDOWN",
            "BUSY",
            "TRYAGAIN",
            "CLUSTERDOWN",
            "NOREPLICAS",
            "MISCONF",
        ];
        matches!(self, KvError::Other(m) if REDIS_CANNOT_SERVE.contains(&m.split([' ', ':']).next().unwrap_or(""))
            || m.contains("(os error ")
            || m.starts_with("Reconnecting failed")
            || m.eq_ignore_ascii_case("broken pipe")
            || crate::sql::is_storage_failure(m)
            || crate::sql::is_busy_message(m))
    }
}

/// A key-value store. Spin's has no TTL and no transactions: callers keep expiry inside values
/// and must tolerate races between a read and a write.
pub trait Kv {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError>;
    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError>;
    fn delete(&self, key: &str) -> Result<(), KvError>;
    fn exists(&self, key: &str) -> Result<bool, KvError>;
    /// Every key of the store: a full listing, whose cost grows with every key of every user
    /// (on Redis, `KEYS *`). For tests and tools only: no request path calls it; what a request
    /// needs to find is indexed (an account's sessions are rows in SQLite).
    fn keys(&self) -> Result<Vec<String>, KvError>;

    /// The values of `keys`, in the same order (`None` for a missing key). Stores with a batch
    /// read (Spin's `wasi:keyvalue/batch`) answer in one round trip; the default asks key by key.
    fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>, KvError> {
        keys.iter().map(|k| self.get(k)).collect()
    }

    /// A hint that `keys` are about to be read: a store that can (see
    /// [`crate::read_ahead::ReadAhead`]) fetches them in one round trip and serves the next
    /// `get` of each from it. The default does nothing, and every `get` reads the store.
    fn read_ahead(&self, keys: &[&str]) {
        let _ = keys;
    }
}

/// A borrowed store is a store, so wrappers such as [`crate::read_ahead::ReadAhead`] can sit
/// over a `&dyn Kv`.
impl<T: Kv + ?Sized> Kv for &T {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        (**self).get(key)
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        (**self).set(key, value)
    }
    fn delete(&self, key: &str) -> Result<(), KvError> {
        (**self).delete(key)
    }
    fn exists(&self, key: &str) -> Result<bool, KvError> {
        (**self).exists(key)
    }
    fn keys(&self) -> Result<Vec<String>, KvError> {
        (**self).keys()
    }
    fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>, KvError> {
        (**self).get_many(keys)
    }
    fn read_ahead(&self, keys: &[&str]) {
        (**self).read_ahead(keys)
    }
}

/// Wall-clock time.
pub trait Clock {
    /// Milliseconds since the Unix epoch, UTC.
    fn now_ms(&self) -> i64;

    /// Whole seconds since the Unix epoch, UTC.
    fn now_secs(&self) -> i64 {
        self.now_ms().div_euclid(1000)
    }
}

/// Cryptographically secure randomness.
pub trait Random {
    fn fill(&self, buf: &mut [u8]);

    fn next_u64(&self) -> u64 {
        let mut b = [0u8; 8];
        self.fill(&mut b);
        u64::from_le_bytes(b)
    }
}

/// Errors of the configuration port.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("variable {0} is not a valid name")]
    InvalidName(String),
    #[error("variable provider failure: {0}")]
    Provider(String),
    /// Variables set to values the app does not accept: an operator's mistake, answered `503`
    /// naming each variable (see [`crate::ApiError::Misconfigured`]). A list, so that one answer
    /// can name every bad variable a route reads.
    #[error("{}", BadVariable::join(.0))]
    Invalid(Vec<BadVariable>),
}

impl ConfigError {
    /// One variable whose value is not `expected`.
    pub fn invalid(name: &str, expected: impl Into<String>) -> Self {
        ConfigError::Invalid(vec![BadVariable { name: name.to_string(), expected: expected.into() }])
    }

    /// Two errors as one: every bad variable of both, each named once, unless one is a host
    /// failure, which wins (then it is not the operator's values that are wrong).
    pub fn and(self, other: ConfigError) -> ConfigError {
        match (self, other) {
            (ConfigError::Invalid(mut a), ConfigError::Invalid(b)) => {
                for bad in b {
                    if !a.iter().any(|known| known.name == bad.name) {
                        a.push(bad);
                    }
                }
                ConfigError::Invalid(a)
            }
            (ConfigError::Invalid(_), host) | (host, _) => host,
        }
    }

    /// The errors of several variables as one ([`ConfigError::and`]), `None` when there are none.
    pub fn combine(errors: impl IntoIterator<Item = ConfigError>) -> Option<ConfigError> {
        errors.into_iter().reduce(ConfigError::and)
    }
}

/// A variable whose value the app refuses, and what it must be instead. Never the value
/// itself: it may be a secret (`signing_key`), and errors reach clients and logs.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BadVariable {
    pub name: String,
    pub expected: String,
}

impl BadVariable {
    fn join(list: &[BadVariable]) -> String {
        list.iter()
            .map(|b| format!("variable {} must be {}", b.name, b.expected))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Spin variables, as granted to the component in `spin.toml`.
pub trait Config {
    /// `Ok(None)` when the variable is undefined for this component.
    fn get(&self, name: &str) -> Result<Option<String>, ConfigError>;
}

/// Everything a handler may touch, bundled for one request.
#[derive(Clone, Copy)]
pub struct Host<'a> {
    pub sql: &'a dyn Sql,
    pub kv: &'a dyn Kv,
    pub clock: &'a dyn Clock,
    pub random: &'a dyn Random,
    pub config: &'a dyn Config,
}

impl Host<'_> {
    /// A variable's value as it is set, or `default` when it is undefined or empty. Only the
    /// empty string is empty: white space is a value, which a single-valued reader refuses (a
    /// Secret templated to a lone new line must not pass for "unset" without a word).
    pub fn var_or(&self, name: &str, default: &str) -> Result<String, ConfigError> {
        Ok(match self.config.get(name)? {
            Some(v) if !v.is_empty() => v,
            _ => default.to_string(),
        })
    }

    /// A yes/no variable (`true`/`false`, `1`/`0` or `yes`/`no`, in any case), or `default`
    /// when it is undefined or empty. Anything else, spaced words included, is a configuration
    /// error, not a silent `no`.
    pub fn var_bool(&self, name: &str, default: bool) -> Result<bool, ConfigError> {
        let raw = self.var_or(name, if default { "true" } else { "false" })?;
        match raw.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Ok(true),
            "false" | "0" | "no" => Ok(false),
            _ => Err(ConfigError::invalid(name, "true, false, yes, no, 1 or 0")),
        }
    }

    /// An integer variable within `min..=max`, or `default` when it is undefined or empty. The
    /// value is plain decimal digits, as the API's query integers are: no sign, leading zero or
    /// surrounding space.
    pub fn var_int(&self, name: &str, default: i64, min: i64, max: i64) -> Result<i64, ConfigError> {
        match self.config.get(name)? {
            Some(raw) if !raw.is_empty() => match raw.parse::<i64>() {
                Ok(v) if (min..=max).contains(&v) && v.to_string() == raw => Ok(v),
                _ => Err(ConfigError::invalid(name, format!("an integer from {min} to {max}"))),
            },
            _ => Ok(default),
        }
    }

    /// The current time as an RFC 3339 UTC string with millisecond precision.
    pub fn now_rfc3339(&self) -> String {
        rfc3339_ms(self.clock.now_ms())
    }

    /// A fresh random identifier: 128 bits, lower-case base32 without padding (26 chars).
    pub fn new_id(&self) -> String {
        let mut b = [0u8; 16];
        self.random.fill(&mut b);
        base32_lower(&b)
    }
}

/// Formats milliseconds since the epoch as RFC 3339 UTC, e.g. `2026-11-23T09:12:16.123Z`.
pub fn rfc3339_ms(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let f = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    t.format(&f).unwrap_or_default()
}

/// Formats whole seconds since the epoch as RFC 3339 UTC, e.g. `2026-11-23T09:12:16Z`.
pub fn rfc3339_secs(secs: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(secs).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let f = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    t.format(&f).unwrap_or_default()
}

/// RFC 4648 base32 alphabet in lower case, no padding: URL-safe and case-stable ids.
pub fn base32_lower(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for &b in bytes {
        buffer = (buffer << 8) | b as u32;
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combined_configuration_errors_name_each_variable_once() {
        let names = |e: ConfigError| match e {
            ConfigError::Invalid(list) => list.into_iter().map(|b| b.name).collect::<Vec<_>>(),
            other => panic!("{other:?}"),
        };
        let both = ConfigError::invalid("a", "x").and(ConfigError::invalid("b", "y"));
        assert_eq!(names(both.clone()), ["a", "b"]);
        assert_eq!(names(both.and(ConfigError::invalid("a", "x"))), ["a", "b"]);
        let host = ConfigError::Provider("down".into());
        assert_eq!(ConfigError::invalid("a", "x").and(host.clone()), host);
    }

    #[test]
    fn formats_rfc3339_in_utc() {
        assert_eq!(rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_ms(1_795_425_136_123), "2026-11-23T09:12:16.123Z");
        assert_eq!(rfc3339_secs(1_795_425_136), "2026-11-23T09:12:16Z");
    }

    #[test]
    fn base32_matches_rfc4648_vectors() {
        // RFC 4648 §10 test vectors, lower-cased and without padding.
        assert_eq!(base32_lower(b""), "");
        assert_eq!(base32_lower(b"f"), "my");
        assert_eq!(base32_lower(b"fo"), "mzxq");
        assert_eq!(base32_lower(b"foobar"), "mzxw6ytboi");
        assert_eq!(base32_lower(&[0u8; 16]).len(), 26);
    }
}
