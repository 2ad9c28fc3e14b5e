//! A key-value store on Redis, as Spin's `type = "redis"` runtime config provides: one
//! Redis database per label, keys stored as they are, `get-keys` answered by `KEYS *`.

use std::sync::Mutex;
use std::time::Duration;

use super::{KvBackend, KvError, Pairs};

/// How long to wait for Redis before telling the guest about it, rather than hanging the
/// request.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

pub struct RedisStore {
    client: redis::Client,
    /// One connection, opened on first use and reopened after a failure.
    connection: Mutex<Option<redis::Connection>>,
}

impl RedisStore {
    pub fn new(url: &str) -> Result<Self, KvError> {
        let client = redis::Client::open(url).map_err(KvError::from_display)?;
        Ok(Self { client, connection: Mutex::new(None) })
    }

    fn query<T: redis::FromRedisValue>(&self, cmd: &redis::Cmd) -> Result<T, KvError> {
        crate::blocking::run(|| {
            let mut slot = self.connection.lock().map_err(|_| KvError("redis connection poisoned".into()))?;
            if slot.is_none() {
                let conn = self
                    .client
                    .get_connection_with_timeout(CONNECT_TIMEOUT)
                    .map_err(KvError::from_display)?;
                *slot = Some(conn);
            }
            let conn = slot.as_mut().expect("connection was just set");
            let result = cmd.query(conn);
            if result.is_err() {
                // Drop a connection that may be broken; the next call reconnects.
                *slot = None;
            }
            result.map_err(KvError::from_display)
        })
    }
}

impl KvBackend for RedisStore {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        self.query(redis::cmd("GET").arg(key))
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.query(redis::cmd("SET").arg(key).arg(value))
    }

    fn delete(&self, key: &str) -> Result<(), KvError> {
        self.query::<i64>(redis::cmd("DEL").arg(key)).map(drop)
    }

    fn exists(&self, key: &str) -> Result<bool, KvError> {
        self.query(redis::cmd("EXISTS").arg(key))
    }

    fn get_keys(&self) -> Result<Vec<String>, KvError> {
        self.query(redis::cmd("KEYS").arg("*"))
    }

    fn get_many(&self, keys: &[String]) -> Result<Pairs, KvError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let values: Vec<Option<Vec<u8>>> = self.query(redis::cmd("MGET").arg(keys))?;
        Ok(keys.iter().cloned().zip(values).collect())
    }

    fn set_many(&self, pairs: &[(String, Vec<u8>)]) -> Result<(), KvError> {
        if pairs.is_empty() {
            return Ok(());
        }
        let mut cmd = redis::cmd("MSET");
        for (key, value) in pairs {
            cmd.arg(key).arg(value);
        }
        self.query(&cmd)
    }

    fn delete_many(&self, keys: &[String]) -> Result<(), KvError> {
        if keys.is_empty() {
            return Ok(());
        }
        self.query::<i64>(redis::cmd("DEL").arg(keys)).map(drop)
    }
}
