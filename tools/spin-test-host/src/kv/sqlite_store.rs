//! Spin's default key-value store: one SQLite table keyed by (store label, key).

use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OptionalExtension};

use super::{KvBackend, KvError};

/// One database file (or an in-memory database) holding any number of store labels.
pub struct SqliteKvFile {
    connection: Arc<Mutex<Connection>>,
}

impl SqliteKvFile {
    pub fn open(path: Option<&Path>) -> Result<Self, KvError> {
        let connection = match path {
            Some(path) => {
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent).map_err(KvError::from_display)?;
                }
                Connection::open(path)
            }
            None => Connection::open_in_memory(),
        }
        .map_err(KvError::from_display)?;
        connection
            .execute(
                "CREATE TABLE IF NOT EXISTS spin_key_value (
                    store TEXT NOT NULL,
                    key   TEXT NOT NULL,
                    value BLOB NOT NULL,
                    PRIMARY KEY (store, key)
                )",
                [],
            )
            .map_err(KvError::from_display)?;
        Ok(Self { connection: Arc::new(Mutex::new(connection)) })
    }

    pub fn store(&self, label: &str) -> SqliteKvStore {
        SqliteKvStore { label: label.to_owned(), connection: self.connection.clone() }
    }
}

pub struct SqliteKvStore {
    label: String,
    connection: Arc<Mutex<Connection>>,
}

impl SqliteKvStore {
    /// Runs `f` on the shared connection. Each call is one short statement, so a mutex is
    /// enough; `block_in_place` lets the async runtime move other work off this thread
    /// while SQLite waits on the disk.
    fn with<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T, KvError> {
        crate::blocking::run(|| {
            let conn = self.connection.lock().map_err(|_| KvError("key-value connection poisoned".into()))?;
            f(&conn).map_err(KvError::from_display)
        })
    }
}

impl KvBackend for SqliteKvStore {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        self.with(|c| {
            c.prepare_cached("SELECT value FROM spin_key_value WHERE store = ?1 AND key = ?2")?
                .query_row([&self.label, key], |row| row.get(0))
                .optional()
        })
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.with(|c| {
            c.prepare_cached(
                "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)
                 ON CONFLICT(store, key) DO UPDATE SET value = excluded.value",
            )?
            .execute(rusqlite::params![self.label, key, value])
            .map(drop)
        })
    }

    fn delete(&self, key: &str) -> Result<(), KvError> {
        self.with(|c| {
            c.prepare_cached("DELETE FROM spin_key_value WHERE store = ?1 AND key = ?2")?
                .execute([&self.label, key])
                .map(drop)
        })
    }

    fn exists(&self, key: &str) -> Result<bool, KvError> {
        self.with(|c| {
            c.prepare_cached("SELECT 1 FROM spin_key_value WHERE store = ?1 AND key = ?2")?
                .exists([&self.label, key])
        })
    }

    fn get_keys(&self) -> Result<Vec<String>, KvError> {
        self.with(|c| {
            c.prepare_cached("SELECT key FROM spin_key_value WHERE store = ?1")?
                .query_map([&self.label], |row| row.get(0))?
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_in_one_file_are_separate_and_data_persists() {
        let dir = std::env::temp_dir().join(format!("spin-test-host-kv-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("kv.db");
        {
            let file = SqliteKvFile::open(Some(&path)).unwrap();
            let a = file.store("a");
            let b = file.store("b");
            a.set("k", b"1").unwrap();
            a.set("k", b"2").unwrap();
            b.set("other", b"x").unwrap();
            assert_eq!(a.get("k").unwrap(), Some(b"2".to_vec()));
            assert_eq!(b.get("k").unwrap(), None);
            assert!(a.exists("k").unwrap());
            assert!(!b.exists("k").unwrap());
            assert_eq!(a.get_keys().unwrap(), vec!["k".to_owned()]);
            b.delete("other").unwrap();
            b.delete("never-there").unwrap();
            assert!(b.get_keys().unwrap().is_empty());
        }
        let reopened = SqliteKvFile::open(Some(&path)).unwrap().store("a");
        assert_eq!(reopened.get("k").unwrap(), Some(b"2".to_vec()));
    }
}
