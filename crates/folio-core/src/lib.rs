//! The host-free core of the app.
//!
//! Handlers reach the outside world only through the ports in [`ports`] (key-value, SQL, clock,
//! randomness, configuration). The Spin adapters (`folio-spin`) implement them on the Spin SDK
//! inside Wasm; `folio-native` implements them on rusqlite and in-memory stores so that native
//! tests drive the very same handler code, SQL included.

pub mod catalog;
pub mod cors;
pub mod fields;
pub mod guard;
pub mod health;
pub mod http_util;
pub mod log;
pub mod long_write;
pub mod migrate;
pub mod pairing;
pub mod ports;
pub mod problem;
pub mod read_ahead;
pub mod router;
pub mod serve;
pub mod settings;
pub mod slot_cache;
pub mod sql;
pub mod text;
mod text_invisible;
pub mod unique_members;

pub use ports::{BadVariable, Clock, Config, ConfigError, Host, Kv, KvError, Random};
pub use problem::{ApiError, FieldError};
pub use sql::{Row, Rows, Sql, SqlError, Value};

/// A request as every handler receives it: the whole body already read.
pub type Request = http::Request<Vec<u8>>;
/// A response as every handler returns it.
pub type Response = http::Response<Vec<u8>>;
/// The result type of route handlers: errors become problem+json responses.
pub type ApiResult<T = Response> = Result<T, ApiError>;

/// The app's version, reported by `/api/health`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
