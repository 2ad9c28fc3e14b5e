//! Caches of catalogue data in the key-value store, valid for one data version
//! ([`crate::catalog`]) and held in a fixed set of slot keys.
//!
//! Why slots: the store has no expiry, hosted stores cap key counts, and the identities cached
//! (book ids, list queries with free-text filters) are unbounded. So an identity hashes to one
//! of `slots` keys ([`crate::catalog::cache_slot_key`]); the entry records a digest of its full
//! identity, and another identity hashing to the same slot sees a miss and takes the slot over.
//!
//! Why versions: an entry records the data version that was current *before* its payload was
//! read from SQL, and is served only while that version is still current. Every catalogue write
//! sets a fresh, never-repeated version after its commit, so a hit is never older than a write
//! that has been answered (the argument in docs/books.md, "Read cache").

use sha2::{Digest, Sha256};

use crate::{catalog, Host, Kv, KvError};

/// One cache: its key prefix, its number of slots, the format tag its entries start with
/// (change the tag whenever the payload's layout changes, so old entries read as misses), and
/// the largest payload it stores (bounding the store it can take: `slots × max_payload`).
#[derive(Debug, Clone, Copy)]
pub struct SlotCache {
    pub prefix: &'static str,
    pub slots: u64,
    pub format: &'static str,
    pub max_payload: usize,
}

/// Whether a miss stores its payload, given a uniformly random `draw`: one miss in `one_in`.
///
/// Why not every miss: storing is a key-value write, and Spin's local store commits each write
/// to disk (an `fsync` under the store's one lock), which tripled the cost of reading books
/// nobody had read before. One in N keeps that to about 1/N, and a payload read again and again
/// is still cached after about N reads. Against Redis, where a write is cheap, `1` stores on
/// every miss.
pub fn admits(one_in: u64, draw: u64) -> bool {
    one_in <= 1 || draw % one_in == 0
}

fn digest_hex(identity: &str) -> String {
    hex::encode(Sha256::digest(identity.as_bytes()))
}

impl SlotCache {
    /// The slot key for `identity`.
    pub fn key(&self, identity: &str) -> String {
        catalog::cache_slot_key(self.prefix, identity, self.slots)
    }

    /// An entry: the format tag, the data version and the identity's digest, one per line,
    /// then the payload.
    pub fn encode(&self, version: &str, identity: &str, payload: &[u8]) -> Vec<u8> {
        let digest = digest_hex(identity);
        let mut out =
            Vec::with_capacity(self.format.len() + version.len() + digest.len() + 3 + payload.len());
        for line in [self.format, version, &digest] {
            out.extend_from_slice(line.as_bytes());
            out.push(b'\n');
        }
        out.extend_from_slice(payload);
        out
    }

    /// The payload of `entry` if it is well formed, of this cache's format, valid for `version`
    /// and holds `identity`; an empty payload is never a hit.
    pub fn decode<'e>(&self, entry: &'e [u8], version: &str, identity: &str) -> Option<&'e [u8]> {
        let mut parts = entry.splitn(4, |&b| b == b'\n');
        let (format, held_version, digest, payload) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        let hit = format == self.format.as_bytes()
            && held_version == version.as_bytes()
            && digest == digest_hex(identity).as_bytes()
            && !payload.is_empty();
        hit.then_some(payload)
    }

    /// The payload cached for `identity` in slot `key` under `version`.
    pub fn lookup(
        &self,
        kv: &dyn Kv,
        key: &str,
        identity: &str,
        version: &str,
    ) -> Result<Option<Vec<u8>>, KvError> {
        Ok(kv.get(key)?.and_then(|entry| self.decode(&entry, version, identity).map(<[u8]>::to_vec)))
    }

    /// Stores `payload` for `identity` in slot `key`, read from SQL after `version` was taken.
    pub fn fill(
        &self,
        kv: &dyn Kv,
        key: &str,
        identity: &str,
        version: &str,
        payload: &[u8],
    ) -> Result<(), KvError> {
        kv.set(key, &self.encode(version, identity, payload))
    }
}

impl SlotCache {
    /// The payload for `identity`: the cached one while the catalogue's data version is the one
    /// it was stored under, else `compute()`'s, stored on one miss in `fill_one_in` when it is no
    /// larger than `max_payload`. The cache only ever saves work: a store that cannot be read or
    /// written is logged and the payload computed all the same.
    pub fn read_through<E>(
        &self,
        host: &Host,
        identity: &str,
        fill_one_in: u64,
        compute: impl FnOnce() -> Result<Vec<u8>, E>,
    ) -> Result<Vec<u8>, E> {
        let key = self.key(identity);
        // The version is taken before SQL is read: that order is what makes an entry safe to
        // reuse. `None`: a write is committing, or none is recorded ([`catalog::current`]).
        let version = catalog::current(host);
        if let Some(version) = &version {
            match self.lookup(host.kv, &key, identity, version) {
                Ok(Some(hit)) => return Ok(hit),
                Ok(None) => {}
                Err(e) => crate::log::warn("cache_read_failed", &format!("{}: {e}", self.prefix)),
            }
        }
        let fresh = compute()?;
        let store = fresh.len() <= self.max_payload && admits(fill_one_in, host.random.next_u64());
        if let Some(version) = version.filter(|_| store) {
            if let Err(e) = self.fill(host.kv, &key, identity, &version, &fresh) {
                crate::log::warn("cache_write_failed", &format!("{}: {e}", self.prefix));
            }
        }
        Ok(fresh)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CACHE: SlotCache = SlotCache { prefix: "t:cache:", slots: 16, format: "t/1", max_payload: 64 };

    #[test]
    fn an_entry_is_a_hit_only_under_its_version_for_its_identity() {
        let entry = CACHE.encode("v1", "q=a\nb", b"payload\nwith lines");
        assert_eq!(CACHE.decode(&entry, "v1", "q=a\nb"), Some(&b"payload\nwith lines"[..]));
        assert_eq!(CACHE.decode(&entry, "v2", "q=a\nb"), None, "another version");
        assert_eq!(CACHE.decode(&entry, "v1", "q=a\nc"), None, "another identity in the same slot");
        let other = SlotCache { format: "t/2", ..CACHE };
        assert_eq!(other.decode(&entry, "v1", "q=a\nb"), None, "another format");
    }

    #[test]
    fn malformed_entries_and_empty_payloads_are_misses() {
        assert_eq!(CACHE.decode(b"", "v1", "x"), None);
        assert_eq!(CACHE.decode(b"t/1\nv1", "v1", "x"), None);
        let empty = CACHE.encode("v1", "x", b"");
        assert_eq!(CACHE.decode(&empty, "v1", "x"), None);
    }

    #[test]
    fn admits_one_draw_in_n() {
        assert!(admits(1, 12345));
        assert!((0..8u64).filter(|&d| admits(8, d)).count() == 1);
        assert!((0..800u64).filter(|&d| admits(8, d)).count() == 100);
    }

    #[test]
    fn keys_stay_within_the_slots() {
        for i in 0..200 {
            let key = CACHE.key(&i.to_string());
            let slot: u64 = key.strip_prefix(CACHE.prefix).unwrap().parse().unwrap();
            assert!(slot < CACHE.slots);
        }
    }
}
