//! Where each SQLite database label lives. `default` is `STATE_DIR/sqlite_db.db`, as with
//! `spin up`; a runtime config can move it or add labels.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rusqlite::Connection;

use crate::runtime_config::SqliteConfig;

#[derive(Debug, Clone, PartialEq)]
pub enum DatabaseLocation {
    File(PathBuf),
    /// Spin's `type = "spin"` without a path: every connection gets a fresh, private
    /// in-memory database.
    InMemory,
}

#[derive(Debug, Clone, Default)]
pub struct Databases {
    by_label: BTreeMap<String, DatabaseLocation>,
}

impl Databases {
    pub fn new(state_dir: &Path, configured: &BTreeMap<String, SqliteConfig>) -> Self {
        let mut by_label: BTreeMap<String, DatabaseLocation> = configured
            .iter()
            .map(|(label, config)| {
                let location = match config {
                    SqliteConfig::Local { path: Some(path) } => DatabaseLocation::File(path.clone()),
                    SqliteConfig::Local { path: None } => DatabaseLocation::InMemory,
                };
                (label.clone(), location)
            })
            .collect();
        by_label
            .entry("default".to_owned())
            .or_insert_with(|| DatabaseLocation::File(state_dir.join("sqlite_db.db")));
        Self { by_label }
    }

    pub fn location(&self, label: &str) -> Option<&DatabaseLocation> {
        self.by_label.get(label)
    }

    pub fn is_defined(&self, label: &str) -> bool {
        self.by_label.contains_key(label)
    }

    /// Opens a new connection, creating the file's directory if needed. Like Spin, no
    /// pragmas are set: rusqlite's defaults (including its 5 s busy timeout) apply.
    pub fn connect(location: &DatabaseLocation) -> Result<Connection, String> {
        match location {
            DatabaseLocation::File(path) => {
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent)
                        .map_err(|e| format!("cannot create database directory {}: {e}", parent.display()))?;
                }
                Connection::open(path).map_err(|e| e.to_string())
            }
            DatabaseLocation::InMemory => Connection::open_in_memory().map_err(|e| e.to_string()),
        }
    }
}
