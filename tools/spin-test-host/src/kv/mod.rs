//! Key-value store backends behind `fermyon:spin/key-value`.
//!
//! The default store is a SQLite file in the state directory, with the same table layout as
//! Spin's own default store (`spin_key_value(store, key, value)`), so a state directory
//! written by this host and one written by `spin up` hold the same data. A runtime config
//! can put any label on Redis instead.

mod redis_store;
mod sqlite_store;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

pub use redis_store::RedisStore;
pub use sqlite_store::SqliteKvFile;

use crate::runtime_config::KvStoreConfig;

/// A backend failure; the guest sees it as `error::other(message)`, as in Spin.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct KvError(pub String);

impl KvError {
    pub fn from_display(e: impl std::fmt::Display) -> Self {
        Self(e.to_string())
    }
}

/// What `get-many` answers: the pairs a backend returned, each with its value if found.
pub type Pairs = Vec<(String, Option<Vec<u8>>)>;

/// One opened store label. Implementations are shared by every request, so they must be
/// safe to call from several instances at once.
pub trait KvBackend: Send + Sync {
    /// What opening the label costs before any key is read. Spin's local SQLite store hands
    /// the worker thread over to tokio on every `open` (its `StoreManager::get` wraps the
    /// lookup of its shared connection in `block_in_place`), so this host does the same there,
    /// and benchmarks pay for an `open` what `spin up` makes them pay. Redis opens without it.
    fn open(&self) {}
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError>;
    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError>;
    fn delete(&self, key: &str) -> Result<(), KvError>;
    fn exists(&self, key: &str) -> Result<bool, KvError>;
    fn get_keys(&self) -> Result<Vec<String>, KvError>;
    /// `wasi:keyvalue/batch.get-many`: one round trip, one consistent read. As in Spin, what
    /// comes back depends on the backend: SQLite returns the pairs it found (in no promised
    /// order), Redis every key in order with `None` for the missing ones. Guests must look
    /// values up by key and treat an absent pair as a missing key.
    fn get_many(&self, keys: &[String]) -> Result<Pairs, KvError>;
    /// `wasi:keyvalue/batch.set-many`: all pairs, in one transaction where the backend has one.
    fn set_many(&self, pairs: &[(String, Vec<u8>)]) -> Result<(), KvError>;
    /// `wasi:keyvalue/batch.delete-many`.
    fn delete_many(&self, keys: &[String]) -> Result<(), KvError>;
}

#[derive(Debug, thiserror::Error)]
pub enum KvSetupError {
    #[error("key-value store {label:?}: {message}")]
    Backend { label: String, message: String },
}

/// The stores this host knows, by label: `default` plus whatever the runtime config adds.
#[derive(Clone, Default)]
pub struct KvStores {
    stores: BTreeMap<String, Arc<dyn KvBackend>>,
}

impl KvStores {
    /// `default` lives in `STATE_DIR/sqlite_key_value.db` unless the runtime config says
    /// otherwise, exactly as with `spin up`.
    pub fn open(
        state_dir: &Path,
        configured: &BTreeMap<String, KvStoreConfig>,
    ) -> Result<Self, KvSetupError> {
        let mut all = configured.clone();
        all.entry("default".to_owned())
            .or_insert_with(|| KvStoreConfig::Sqlite { path: Some(state_dir.join("sqlite_key_value.db")) });
        let mut stores: BTreeMap<String, Arc<dyn KvBackend>> = BTreeMap::new();
        // Labels stored in the same SQLite file share one connection, as Spin's store
        // manager does; a separate file (or memory) gets its own.
        let mut files: BTreeMap<Option<std::path::PathBuf>, Arc<SqliteKvFile>> = BTreeMap::new();
        for (label, config) in all {
            let setup_err = |message: String| KvSetupError::Backend { label: label.clone(), message };
            let backend: Arc<dyn KvBackend> = match config {
                KvStoreConfig::Sqlite { path } => {
                    let file = match files.get(&path) {
                        Some(file) if path.is_some() => file.clone(),
                        _ => {
                            let file = Arc::new(
                                SqliteKvFile::open(path.as_deref()).map_err(|e| setup_err(e.to_string()))?,
                            );
                            files.insert(path, file.clone());
                            file
                        }
                    };
                    Arc::new(file.store(&label))
                }
                KvStoreConfig::Redis { url } => {
                    Arc::new(RedisStore::new(&url).map_err(|e| setup_err(e.to_string()))?)
                }
            };
            stores.insert(label, backend);
        }
        Ok(Self { stores })
    }

    pub fn get(&self, label: &str) -> Option<Arc<dyn KvBackend>> {
        self.stores.get(label).cloned()
    }

    pub fn is_defined(&self, label: &str) -> bool {
        self.stores.contains_key(label)
    }
}
