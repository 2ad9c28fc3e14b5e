//! Whether the key-value store belongs to this database.
//!
//! The key-value store holds state that only means something beside one database: the session
//! records that vouch for tokens, the catalogue's data version, cached books, list pages and
//! reports. Paired with another database, it serves that database's sessions and books: two
//! deployments on one Redis database accept each other's tokens (an administrator's included)
//! and serve each other's cached books, and a database replaced while its store was kept serves
//! books it no longer has. A cached read cannot tell (it reads no SQL, which is what the cache is
//! for), so the check is made where SQL is read anyway and an operator or a client looks first:
//! `GET /api/health` (the readiness probe), the token service's sign-up, sign-in and refresh,
//! every write and administrator's route ([`require`]), and every read that reaches SQL
//! ([`ensure_schema_for_token`]).
//!
//! The database has a random identity (`database_identity`, migrations/0013); the store records
//! the identity of the database it was first used with, under [`KEY`]. An empty store (a fresh
//! one, a Redis without persistence after a restart, one flushed by an operator) is claimed by
//! the first check. A store that names another database is an operator's mistake that waiting
//! does not fix: `503` `misconfigured`, saying what to do. (A database restored from a backup
//! keeps its identity: restoring one means emptying the store too; README, "Operating at scale".)

use crate::{ApiError, ApiResult, Host};

/// The key under which the store records the identity of its database.
pub const KEY: &str = "deployment:database-id";

/// What the check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pairing {
    /// The store names this database.
    Paired,
    /// The store was empty of it and now names this database.
    Claimed,
    /// The database has no identity yet (a build older than migration 13 migrated it).
    Unknown,
    /// The store names another database.
    Foreign,
}

/// This database's identity, once migration 13 has made it.
pub fn database_id(host: &Host) -> ApiResult<Option<String>> {
    Ok(crate::migrate::database_identity(host.sql)?)
}

/// Checks, and claims an empty store, as the module says.
pub fn check(host: &Host) -> ApiResult<Pairing> {
    let Some(id) = database_id(host)? else { return Ok(Pairing::Unknown) };
    match host.kv.get(KEY)? {
        Some(named) if named == id.as_bytes() => Ok(Pairing::Paired),
        Some(_) => Ok(foreign()),
        None => {
            host.kv.set(KEY, id.as_bytes())?;
            crate::log::emit(serde_json::json!({"level": "info", "event": "store_paired"}));
            Ok(Pairing::Claimed)
        }
    }
}

/// The detail of the `503` for a store paired with another database.
pub const FOREIGN_DETAIL: &str = "the server is misconfigured: its key-value store holds the \
    sessions and cached data of another database (two deployments share one key-value store, or \
    the database was replaced and the store kept); an operator must give each deployment its own \
    key-value store, or empty this one";

fn foreign() -> Pairing {
    // The identity keys the sign-in log's address keys: it never goes to the log.
    crate::log::emit(serde_json::json!({"level": "error", "event": "stores_not_paired"}));
    Pairing::Foreign
}

/// For a route that reads the database for a token the key-value store vouched for: brings the
/// schema up to date and refuses (`503` `misconfigured`) a store that names another database,
/// whose sessions would otherwise read this one (two deployments on one Redis; a database
/// replaced while its store was kept). Free on the way such a route goes anyway: the identity
/// comes with the migrations' read ([`crate::migrate::ensure_identified`]) and the store's
/// record with the token's session ([`crate::guard::read_ahead`]). An empty store is not
/// claimed here: a read writes nothing; sign-in and health claim it.
pub fn ensure_schema_for_token(host: &Host) -> ApiResult<()> {
    let id = crate::migrate::ensure_identified(host.sql)?;
    require_identity(host, id.as_deref())
}

/// The comparison of [`ensure_schema_for_token`], for a caller that brought the schema up to
/// date its own way (and got the identity from [`crate::migrate::ensure_identified`]).
pub fn require_identity(host: &Host, id: Option<&str>) -> ApiResult<()> {
    let Some(id) = id else { return Ok(()) };
    // A store that cannot answer vouches for nothing: the token check, which needs it, refuses
    // on its own; the read is not failed for the sake of this check.
    match host.kv.get(KEY).unwrap_or(None) {
        Some(named) if named != id.as_bytes() => {
            foreign();
            Err(ApiError::StoresMisconfigured(FOREIGN_DETAIL))
        }
        _ => Ok(()),
    }
}

/// [`check`] as a request's precondition: `503` `misconfigured` when the store is another
/// database's.
pub fn require(host: &Host) -> ApiResult<()> {
    match check(host)? {
        Pairing::Foreign => Err(ApiError::StoresMisconfigured(FOREIGN_DETAIL)),
        _ => Ok(()),
    }
}
