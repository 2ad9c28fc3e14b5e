//! The catalogue's data version: a value in the key-value store that changes on every write to
//! the books table, so that anything cached from the catalogue (reports) can key on it.
//!
//! The key-value store has no transactions, so a counter (read, add one, write) would lose
//! updates when two writers race, and two different catalogue states could share a version.
//! Instead every write stores a fresh random token *after* its SQL commit: whichever writer sets
//! it last, the value differs from every earlier one, and a reader that takes the version before
//! computing never caches old data under the newest version.

use sha2::{Digest, Sha256};

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

/// Records that the catalogue changed. Call after the write has committed.
pub fn bump_data_version(host: &Host) -> Result<String, KvError> {
    let token = host.new_id();
    host.kv.set(DATA_VERSION_KEY, token.as_bytes())?;
    Ok(token)
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
