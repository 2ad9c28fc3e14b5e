//! The catalogue's data version: a value in the key-value store that changes on every write to
//! the books table, so that anything cached from the catalogue (reports) can key on it.
//!
//! The key-value store has no transactions, so a counter (read, add one, write) would lose
//! updates when two writers race, and two different catalogue states could share a version.
//! Instead every write stores a fresh random token *after* its SQL commit: whichever writer sets
//! it last, the value differs from every earlier one, and a reader that takes the version before
//! computing never caches old data under the newest version.

use crate::{Host, KvError};

/// The key holding the version token.
pub const DATA_VERSION_KEY: &str = "catalog:data-version";

/// The current data version; `"0"` before the first write.
pub fn data_version(host: &Host) -> Result<String, KvError> {
    Ok(host
        .kv
        .get(DATA_VERSION_KEY)?
        .and_then(|v| String::from_utf8(v).ok())
        .unwrap_or_else(|| "0".to_string()))
}

/// Records that the catalogue changed. Call after the write has committed.
pub fn bump_data_version(host: &Host) -> Result<String, KvError> {
    let token = host.new_id();
    host.kv.set(DATA_VERSION_KEY, token.as_bytes())?;
    Ok(token)
}
