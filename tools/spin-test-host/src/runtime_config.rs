//! Spin's runtime configuration file (`--runtime-config-file`), the parts this host supports:
//!
//! ```toml
//! [key_value_store.default]
//! type = "redis"              # or "spin" (SQLite file; `path` optional)
//! url = "redis://127.0.0.1:6379"
//!
//! [sqlite_database.default]
//! type = "spin"               # "libsql" is refused with a clear error
//! path = "data/app.db"
//! ```
//!
//! Relative paths are taken relative to the runtime config file's directory. Any other
//! section is refused rather than ignored, so a test never runs against a configuration
//! that silently differs from what it asked for.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Debug, thiserror::Error)]
pub enum RuntimeConfigError {
    #[error("cannot read runtime config {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("invalid runtime config {path}: {source}")]
    Parse { path: PathBuf, source: Box<toml::de::Error> },
    #[error("runtime config section [{0}] is not supported by spin-test-host (supported: key_value_store, sqlite_database)")]
    UnsupportedSection(String),
    #[error(
        "{kind} {label:?}: type {backend:?} is not supported by spin-test-host (supported: {supported})"
    )]
    UnsupportedBackend { kind: &'static str, label: String, backend: String, supported: &'static str },
}

/// Where a key-value store lives.
#[derive(Debug, Clone, PartialEq)]
pub enum KvStoreConfig {
    /// Spin's own store: a SQLite file, or memory when no path is given.
    Sqlite {
        path: Option<PathBuf>,
    },
    Redis {
        url: String,
    },
}

/// Where a SQLite database lives.
#[derive(Debug, Clone, PartialEq)]
pub enum SqliteConfig {
    /// A local database file, or a fresh in-memory database per connection without a path.
    Local { path: Option<PathBuf> },
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuntimeConfig {
    pub key_value_stores: BTreeMap<String, KvStoreConfig>,
    pub sqlite_databases: BTreeMap<String, SqliteConfig>,
}

#[derive(Debug, Deserialize)]
struct BackendDecl {
    #[serde(rename = "type")]
    backend: String,
    #[serde(default)]
    path: Option<PathBuf>,
    #[serde(default)]
    url: Option<String>,
}

impl RuntimeConfig {
    pub fn load(path: &Path) -> Result<Self, RuntimeConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| RuntimeConfigError::Read { path: path.to_owned(), source })?;
        let base = path.parent().unwrap_or(Path::new("."));
        Self::parse(&text, base).map_err(|e| match e {
            ParseFailure::Toml(source) => {
                RuntimeConfigError::Parse { path: path.to_owned(), source: Box::new(source) }
            }
            ParseFailure::Config(e) => e,
        })
    }

    fn parse(text: &str, base: &Path) -> Result<Self, ParseFailure> {
        let table: BTreeMap<String, toml::Value> = toml::from_str(text).map_err(ParseFailure::Toml)?;
        let mut config = Self::default();
        for (section, value) in table {
            match section.as_str() {
                "key_value_store" => {
                    for (label, decl) in backends(value)? {
                        let store = match decl.backend.as_str() {
                            "spin" => KvStoreConfig::Sqlite { path: decl.path.map(|p| base.join(p)) },
                            "redis" => KvStoreConfig::Redis { url: decl.url.unwrap_or_default() },
                            other => {
                                return Err(ParseFailure::Config(unsupported(
                                    "key_value_store",
                                    label,
                                    other,
                                    "spin, redis",
                                )))
                            }
                        };
                        config.key_value_stores.insert(label, store);
                    }
                }
                "sqlite_database" => {
                    for (label, decl) in backends(value)? {
                        let db = match decl.backend.as_str() {
                            "spin" => SqliteConfig::Local { path: decl.path.map(|p| base.join(p)) },
                            other => {
                                return Err(ParseFailure::Config(unsupported(
                                    "sqlite_database",
                                    label,
                                    other,
                                    "spin",
                                )))
                            }
                        };
                        config.sqlite_databases.insert(label, db);
                    }
                }
                _ => return Err(ParseFailure::Config(RuntimeConfigError::UnsupportedSection(section))),
            }
        }
        Ok(config)
    }
}

fn backends(value: toml::Value) -> Result<BTreeMap<String, BackendDecl>, ParseFailure> {
    value.try_into().map_err(ParseFailure::Toml)
}

enum ParseFailure {
    Toml(toml::de::Error),
    Config(RuntimeConfigError),
}

fn unsupported(
    kind: &'static str,
    label: String,
    backend: &str,
    supported: &'static str,
) -> RuntimeConfigError {
    RuntimeConfigError::UnsupportedBackend { kind, label, backend: backend.to_owned(), supported }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<RuntimeConfig, RuntimeConfigError> {
        RuntimeConfig::parse(text, Path::new("/rc")).map_err(|e| match e {
            ParseFailure::Toml(e) => panic!("toml: {e}"),
            ParseFailure::Config(e) => e,
        })
    }

    #[test]
    fn reads_redis_and_local_backends() {
        let config = parse(
            r#"
[key_value_store.default]
type = "redis"
url = "redis://127.0.0.1:6379"

[key_value_store.cache]
type = "spin"
path = "cache.db"

[sqlite_database.default]
type = "spin"
path = "/abs/app.db"
"#,
        )
        .unwrap();
        assert_eq!(
            config.key_value_stores["default"],
            KvStoreConfig::Redis { url: "redis://127.0.0.1:6379".into() }
        );
        assert_eq!(
            config.key_value_stores["cache"],
            KvStoreConfig::Sqlite { path: Some(PathBuf::from("/rc/cache.db")) }
        );
        assert_eq!(
            config.sqlite_databases["default"],
            SqliteConfig::Local { path: Some(PathBuf::from("/abs/app.db")) }
        );
    }

    #[test]
    fn refuses_libsql_and_unknown_sections() {
        let err = parse("[sqlite_database.default]\ntype = \"libsql\"\nurl = \"https://x\"\ntoken = \"t\"\n")
            .unwrap_err();
        assert!(err.to_string().contains("libsql"), "{err}");
        let err = parse("[llm_compute]\ntype = \"spin\"\n").unwrap_err();
        assert!(matches!(err, RuntimeConfigError::UnsupportedSection(_)));
    }
}
