//! A read-through cache of single books in the key-value store, so that `GET /api/books/{id}`
//! usually touches no SQL at all.
//!
//! Why: Spin gives every request a fresh SQLite connection, and SQLite then reads and parses the
//! whole schema (about forty objects: the list and report indexes, the full-text index) before
//! the first statement. That parse alone costs more than a whole request of a component that
//! does nothing. The key-value store's connection, by contrast, lives as long as the app, and a
//! token check reads it anyway. docs/benchmarks.md has the measurements.
//!
//! Consistency: an entry records the catalogue's data version ([`folio_core::catalog`]) that
//! was current *before* the book was read from SQL, and is used only while that version is
//! still current. Every catalogue write sets a fresh, never-repeated version after its commit,
//! so an entry that survives was filled after the last completed write committed: a hit never
//! returns a book older than a write that has been answered. Any write to any book retires every
//! entry at once (cheap, and the same rule the report cache follows).
//!
//! Size: the cache is direct-mapped onto [`SLOTS`] keys ([`folio_core::catalog::cache_slot_key`]),
//! because the store has no expiry and hosted stores cap key counts. An entry stores its book's id, so a book hashing to a slot
//! another holds sees a miss and may take the slot over. At about 1.2 KB per book that is at
//! most about 5 MB of store. The `book_read_cache_fill_one_in` variable sets how eagerly
//! copies are stored, or turns the cache off (see `folio_core::slot_cache::admits`; README,
//! Configuration). The same variable governs the list cache ([`crate::list_cache`]).

use folio_core::slot_cache::SlotCache;
use folio_core::{
    settings::{self, IntVariable},
    ApiResult, Host,
};

/// The Spin variable that says how many read misses store one copy: `8` (the default) stores a
/// copy on about one miss in eight, `1` on every miss, `0` turns the cache off.
pub const VARIABLE: IntVariable = settings::BOOK_READ_CACHE_FILL_ONE_IN;

/// How many misses store one copy, or `None` when the cache is off. A variable the component
/// was not granted counts as the default; a value that is not an integer from 0 to 1,000 is a
/// configuration error (`503` naming the variable), as for every other variable.
pub fn fill_one_in(host: &Host) -> ApiResult<Option<u64>> {
    let n = VARIABLE.read(host)?;
    Ok((n > 0).then_some(n as u64))
}

/// The prefix of every entry's key, apart from the sessions' and the reports' keys.
pub const KEY_PREFIX: &str = "books:read-cache:";
/// The number of keys the cache can ever hold.
pub const SLOTS: u64 = 4096;

/// The largest copy kept: 8 KiB holds a book with a description of about 7,000 letters of the
/// Latin alphabet; a book at the contract's limits in four-byte characters is 49 KB, and 4,096
/// of those would take 200 MB of a Redis that also holds the sessions. Larger books are read
/// from SQL every time. So the cache takes at most 4,096 × 8 KiB = 32 MiB.
pub const MAX_PAYLOAD: usize = 8 * 1024;

/// The cache's slots and entry format (the payload: the entity tag, a line break, the JSON).
pub const CACHE: SlotCache =
    SlotCache { prefix: KEY_PREFIX, slots: SLOTS, format: "folio-book/3", max_payload: MAX_PAYLOAD };

/// A book as the cache holds it: the response body and its entity tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedBook {
    pub etag: String,
    pub json: Vec<u8>,
}

/// The key of the slot a book's copy lives in, or `None` for an id that no book can have (ids
/// are short lower-case base32), which then simply misses the cache and is answered from SQL.
pub fn key(id: &str) -> Option<String> {
    let plausible =
        !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    plausible.then(|| CACHE.key(id))
}

/// A book as the cache stores it: the entity tag, a line break, the JSON.
pub fn payload(book: &CachedBook) -> Vec<u8> {
    let mut payload = Vec::with_capacity(book.etag.len() + 1 + book.json.len());
    payload.extend_from_slice(book.etag.as_bytes());
    payload.push(b'\n');
    payload.extend_from_slice(&book.json);
    payload
}

/// The book a payload holds, if it is well formed.
pub fn from_payload(payload: &[u8]) -> Option<CachedBook> {
    let split = payload.iter().position(|&b| b == b'\n')?;
    let (etag, json) = (&payload[..split], &payload[split + 1..]);
    if json.is_empty() {
        return None;
    }
    Some(CachedBook { etag: String::from_utf8(etag.to_vec()).ok()?, json: json.to_vec() })
}

/// An entry holding book `id` under `data_version`.
pub fn encode(data_version: &str, id: &str, book: &CachedBook) -> Vec<u8> {
    CACHE.encode(data_version, id, &payload(book))
}

/// The book `id` an entry holds, if the entry is well formed, valid for `data_version` and
/// holds that book.
pub fn decode(entry: &[u8], data_version: &str, id: &str) -> Option<CachedBook> {
    from_payload(CACHE.decode(entry, data_version, id)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn book() -> CachedBook {
        CachedBook { etag: "\"v3\"".into(), json: br#"{"id":"abc","title":"Line\nbreak"}"#.to_vec() }
    }

    #[test]
    fn an_entry_round_trips_only_under_its_own_version_and_for_its_own_book() {
        let entry = encode("tok1", "abc", &book());
        assert_eq!(decode(&entry, "tok1", "abc"), Some(book()));
        assert_eq!(decode(&entry, "tok2", "abc"), None);
        assert_eq!(decode(&entry, "", "abc"), None);
        assert_eq!(decode(&entry, "tok1", "abd"), None, "another book in the same slot");
    }

    #[test]
    fn malformed_or_foreign_entries_are_misses() {
        assert_eq!(decode(b"", "0", "a"), None);
        let no_body = CachedBook { etag: "\"v1\"".into(), json: Vec::new() };
        assert_eq!(decode(&encode("0", "a", &no_body), "0", "a"), None, "no body");
        assert_eq!(decode(b"folio-book/2\n0\na\n\"v1\"\n{}", "0", "a"), None, "an older format");
        let whole = encode("0", "a", &book());
        assert_eq!(decode(&whole[..whole.len() - book().json.len() - 1], "0", "a"), None, "truncated");
    }

    #[test]
    fn keys_only_for_plausible_ids_and_within_the_slots() {
        let k = key("abc234").unwrap();
        let slot: u64 = k.strip_prefix(KEY_PREFIX).unwrap().parse().unwrap();
        assert!(slot < SLOTS);
        assert_eq!(key("abc234"), Some(k), "stable");
        assert_eq!(key(""), None);
        assert_eq!(key("ABC"), None);
        assert_eq!(key("a:b"), None);
        assert_eq!(key(&"a".repeat(65)), None);
    }
}
