//! The catalogue's data version: a value in the key-value store that changes on every write to
//! the books table, so that anything cached from the catalogue (book copies, list pages,
//! reports) can key on it, on every replica at once.
//!
//! The version lives in the key-value store because readers must get it without opening
//! SQLite (a cached read makes one key-value round trip and nothing else). The two stores share
//! no transaction, so the version cannot commit *with* the data; the protocol below makes the
//! store say "unknown" whenever it cannot vouch for the data, and never name a version that
//! vouches for data older than what SQLite has committed:
//!
//! 1. A writer holds SQLite's write lock (`BEGIN IMMEDIATE`), writes, and **before** `COMMIT`
//!    replaces the version with a *pending* marker ([`mark_pending`]). From then on, until a
//!    new version is published, readers find no version: they read SQL and cache nothing.
//! 2. After the commit a new random version is **published under the write lock** ([`publish`]):
//!    take the lock, set the version, release it. Holding the lock means no writer is between
//!    its marker and its commit, so everything committed before is in the data the new version
//!    names, and every later commit is preceded by a later marker.
//! 3. A reader that finds no version (a pending marker, or no key: a fresh store, or one that
//!    was emptied) publishes one itself if the write lock is free at that instant ([`current`]
//!    tries once, without waiting). So a writer that died between its commit and its publish
//!    (a killed replica) leaves the caches off only until the next reader, never stale.
//!
//! A reader takes the version *before* it reads SQL and stores what it read under it; a write
//! that lands in between has replaced the version, so that entry is never served. Versions are
//! random tokens, never counters: a counter (read, add one, write) would lose updates when two
//! writers race, and two catalogue states could share a version.

use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::{sql, Host, KvError, SqlError};

/// The key holding the version token (or a writer's pending marker).
pub const DATA_VERSION_KEY: &str = "catalog:data-version";

/// What a writer stores before its commit; readers treat it as "no version".
const PENDING_PREFIX: &str = "pending:";

/// How long a writer's [`publish`] waits for the write lock after its own commit. If another
/// writer holds it that long, that writer publishes after its own commit, which covers ours.
const PUBLISH_WAIT: Duration = Duration::from_millis(100);

/// Why a version could not be published.
#[derive(Debug, thiserror::Error)]
pub enum VersionError {
    #[error("key-value store: {0}")]
    Kv(#[from] KvError),
    #[error("sql: {0}")]
    Sql(#[from] SqlError),
}

/// The stored value as it is: a version, a pending marker, or `"0"` when there is none.
pub fn data_version(host: &Host) -> Result<String, KvError> {
    Ok(host
        .kv
        .get(DATA_VERSION_KEY)?
        .and_then(|v| String::from_utf8(v).ok())
        .unwrap_or_else(|| "0".to_string()))
}

/// The version a stored value vouches for: `None` for a pending marker or no version at all.
pub fn vouched(stored: &str) -> Option<&str> {
    (stored != "0" && !stored.is_empty() && !stored.starts_with(PENDING_PREFIX)).then_some(stored)
}

/// The version readers may cache under, or `None` when there is none now: caches are then
/// neither read nor filled. When the store vouches for nothing, one attempt is made to publish
/// a version without waiting for the write lock (step 3 of the module's protocol). Failures are
/// logged: a cache only ever saves work.
pub fn current(host: &Host) -> Option<String> {
    match data_version(host) {
        Ok(stored) => match vouched(&stored) {
            Some(version) => Some(version.to_string()),
            None => publish_within(host, Duration::ZERO).map_err(|e| log_unpublished(&e)).ok().flatten(),
        },
        Err(e) => {
            crate::log::warn("data_version_unavailable", &e);
            None
        }
    }
}

/// Whether the store still names `version`, asked of the store itself (not a value read ahead):
/// for a reader that read SQL after taking the version and must know whether a write committed
/// meanwhile, since then what it read is newer than the version says. Any doubt (a pending
/// marker, another version, a failing store) is `false`.
pub fn still_current(host: &Host, version: &str) -> bool {
    matches!(data_version(host), Ok(stored) if stored == version)
}

/// Step 1: records, under the write lock and before `COMMIT`, that the catalogue is changing.
pub fn mark_pending(host: &Host) -> Result<(), KvError> {
    host.kv.set(DATA_VERSION_KEY, format!("{PENDING_PREFIX}{}", host.new_id()).as_bytes())
}

/// Step 2, after the commit: publishes a fresh version under the write lock, waiting for it at
/// most [`PUBLISH_WAIT`]. `None` when another connection held the lock (it will publish) or
/// the publication failed; a failure is logged, not returned: the data is written, and the store
/// vouches for nothing until the next reader publishes.
pub fn publish(host: &Host) -> Option<String> {
    publish_within(host, PUBLISH_WAIT).map_err(|e| log_unpublished(&e)).ok().flatten()
}

/// Runs `write` in a transaction holding the write lock and records it for the caches: when
/// `changed` says the result changed the books table, the pending marker is set before the
/// commit and a version published after it ([`publish`]). A write that could not mark fails
/// whole (rolled back).
pub fn write<T, E>(
    host: &Host,
    changed: impl Fn(&T) -> bool,
    work: impl FnOnce() -> Result<T, E>,
) -> Result<T, E>
where
    E: From<SqlError> + From<KvError>,
{
    let out = sql::transaction(host.sql, || -> Result<T, E> {
        let out = work()?;
        if changed(&out) {
            mark_pending(host)?;
        }
        Ok(out)
    })?;
    if changed(&out) {
        publish(host);
    }
    Ok(out)
}

/// Publishes a fresh version if the write lock can be had within `wait`.
fn publish_within(host: &Host, wait: Duration) -> Result<Option<String>, VersionError> {
    let sql = host.sql;
    // A short wait for this one `BEGIN`; a store that does not take it (a remote libSQL
    // server) answers with its own policy.
    let capped = sql.cap_lock_wait(Some(wait));
    let began = sql.execute("BEGIN IMMEDIATE", &[]);
    if capped {
        sql.cap_lock_wait(None);
    }
    match began {
        Ok(_) => set_under_lock(host).map(Some),
        Err(e) if e.is_busy() => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Sets a fresh version while this connection holds the write lock, then releases the lock.
fn set_under_lock(host: &Host) -> Result<String, VersionError> {
    let token = host.new_id();
    let set = host.kv.set(DATA_VERSION_KEY, token.as_bytes());
    // Nothing was written in SQL: the transaction only held the lock.
    let released = host.sql.execute("ROLLBACK", &[]);
    set?;
    released?;
    Ok(token)
}

fn log_unpublished(e: &VersionError) {
    crate::log::warn("data_version_unpublished", e);
}

/// Publishes a fresh version now, waiting for the write lock as a writer does (tests and
/// benches use it to retire every cached entry).
pub fn bump_data_version(host: &Host) -> Result<String, VersionError> {
    sql::begin_immediate(host.sql)?;
    set_under_lock(host)
}

/// The key of a direct-mapped cache slot: `prefix` and one of `slots` numbers, picked by a hash
/// of `identity` that is the same on every machine and build.
///
/// Caches of catalogue data (reports, book reads) live in the key-value store, which has no
/// expiry and, hosted, caps key counts. So such a cache owns a fixed set of keys; an entry stores its full identity, so that another
/// identity hashing to the same slot sees a miss and takes the slot over.
pub fn cache_slot_key(prefix: &str, identity: &str, slots: u64) -> String {
    let digest = Sha256::digest(identity.as_bytes());
    let n = u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"));
    format!("{prefix}{}", n % slots.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_keys_are_stable_and_bounded() {
        // Pinned: a change would silently orphan every cached entry of a running deployment.
        // SHA-256("abc") begins ba7816bf8f01cfea; 0x...cfea mod 1024 = 0x3ea.
        assert_eq!(cache_slot_key("p:", "abc", 1024), "p:1002");
        let keys: std::collections::HashSet<String> =
            (0..10_000).map(|i| cache_slot_key("p:", &i.to_string(), 64)).collect();
        assert_eq!(keys.len(), 64, "every slot used, none beyond");
    }
}
