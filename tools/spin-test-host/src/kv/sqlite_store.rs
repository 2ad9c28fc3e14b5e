//! Spin's default key-value store: one SQLite table keyed by (store label, key).

use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OptionalExtension};

use super::{KvBackend, KvError, Pairs};

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

/// One key's write and delete, shared by the single and the batch operations.
const UPSERT: &str = "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)
                      ON CONFLICT(store, key) DO UPDATE SET value = excluded.value";
const DELETE: &str = "DELETE FROM spin_key_value WHERE store = ?1 AND key = ?2";

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
    fn open(&self) {
        // The hand-over alone, as in Spin: its closure only fetches the connection opened once.
        crate::blocking::run(|| ());
    }

    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        self.with(|c| {
            c.prepare_cached("SELECT value FROM spin_key_value WHERE store = ?1 AND key = ?2")?
                .query_row([&self.label, key], |row| row.get(0))
                .optional()
        })
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.with(|c| c.prepare_cached(UPSERT)?.execute(rusqlite::params![self.label, key, value]).map(drop))
    }

    fn delete(&self, key: &str) -> Result<(), KvError> {
        self.with(|c| c.prepare_cached(DELETE)?.execute([&self.label, key]).map(drop))
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

    fn get_many(&self, keys: &[String]) -> Result<Pairs, KvError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        // One statement, so one consistent read, like Spin's `key IN rarray(...)`; and like
        // it, only the pairs found come back.
        let placeholders = (0..keys.len()).map(|i| format!("?{}", i + 2)).collect::<Vec<_>>().join(", ");
        let sql =
            format!("SELECT key, value FROM spin_key_value WHERE store = ?1 AND key IN ({placeholders})");
        self.with(|c| {
            let mut params: Vec<&dyn rusqlite::ToSql> = Vec::with_capacity(keys.len() + 1);
            params.push(&self.label);
            params.extend(keys.iter().map(|k| k as &dyn rusqlite::ToSql));
            c.prepare_cached(&sql)?
                .query_map(params.as_slice(), |row| Ok((row.get(0)?, Some(row.get(1)?))))?
                .collect()
        })
    }

    fn set_many(&self, pairs: &[(String, Vec<u8>)]) -> Result<(), KvError> {
        self.with(|c| {
            let tx = c.unchecked_transaction()?;
            for (key, value) in pairs {
                tx.prepare_cached(UPSERT)?.execute(rusqlite::params![self.label, key, value])?;
            }
            tx.commit()
        })
    }

    fn delete_many(&self, keys: &[String]) -> Result<(), KvError> {
        self.with(|c| {
            let tx = c.unchecked_transaction()?;
            for key in keys {
                tx.prepare_cached(DELETE)?.execute([&self.label, key])?;
            }
            tx.commit()
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

            // Batches: only found pairs come back from get-many; writes are per label.
            b.set_many(&[("x".into(), b"1".to_vec()), ("y".into(), b"2".to_vec())]).unwrap();
            let mut found = b.get_many(&["y".into(), "missing".into(), "x".into(), "k".into()]).unwrap();
            found.sort();
            assert_eq!(found, vec![("x".into(), Some(b"1".to_vec())), ("y".into(), Some(b"2".to_vec()))]);
            assert!(b.get_many(&[]).unwrap().is_empty());
            b.delete_many(&["x".into(), "never-there".into()]).unwrap();
            assert_eq!(b.get_keys().unwrap(), vec!["y".to_owned()]);
            assert_eq!(a.get("k").unwrap(), Some(b"2".to_vec()), "another label is untouched");
        }
        let reopened = SqliteKvFile::open(Some(&path)).unwrap().store("a");
        assert_eq!(reopened.get("k").unwrap(), Some(b"2".to_vec()));
    }
}
