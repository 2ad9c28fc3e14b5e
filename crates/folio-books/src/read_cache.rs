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
//! copies are stored, or turns the cache off (see [`admits`]; README, Configuration).

use folio_core::{
    catalog,
    settings::{self, IntVariable},
    ApiResult, Host, Kv, KvError,
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

/// Whether a miss stores its copy, given a uniformly random `draw`.
///
/// Why not every miss: storing a copy is a key-value write, and Spin's local store commits each
/// write to disk (an `fsync`, about 2 ms here, under the store's one lock), which tripled the
/// cost of reading books nobody had read before. Admitting one miss in N keeps that to about
/// 1/N of it, and a book read again and again is still cached after about N reads. Against
/// Redis, where a write is cheap, `1` caches on the first read.
pub fn admits(one_in: u64, draw: u64) -> bool {
    one_in <= 1 || draw % one_in == 0
}

/// The prefix of every entry's key, apart from the sessions' and the reports' keys.
pub const KEY_PREFIX: &str = "books:read-cache:";
/// The number of keys the cache can ever hold.
pub const SLOTS: u64 = 4096;

/// The first line of an entry: the format, so a later layout is never misread as this one.
const FORMAT: &str = "folio-book/2";

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
    plausible.then(|| catalog::cache_slot_key(KEY_PREFIX, id, SLOTS))
}

/// An entry: the format, the data version it is valid for, the book's id and its entity tag, one
/// per line, then the JSON body.
pub fn encode(data_version: &str, id: &str, book: &CachedBook) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + data_version.len() + id.len() + book.etag.len() + book.json.len());
    for line in [FORMAT, data_version, id, &book.etag] {
        out.extend_from_slice(line.as_bytes());
        out.push(b'\n');
    }
    out.extend_from_slice(&book.json);
    out
}

/// The book `id` an entry holds, if the entry is well formed, valid for `data_version` and
/// holds that book.
pub fn decode(entry: &[u8], data_version: &str, id: &str) -> Option<CachedBook> {
    let mut parts = entry.splitn(5, |&b| b == b'\n');
    let format = parts.next()?;
    let version = parts.next()?;
    let holder = parts.next()?;
    let etag = parts.next()?;
    let json = parts.next()?;
    if format != FORMAT.as_bytes()
        || version != data_version.as_bytes()
        || holder != id.as_bytes()
        || json.is_empty()
    {
        return None;
    }
    Some(CachedBook { etag: String::from_utf8(etag.to_vec()).ok()?, json: json.to_vec() })
}

/// The cached copy of book `id` in slot `key`, if it is valid for `data_version`.
pub fn lookup(kv: &dyn Kv, key: &str, id: &str, data_version: &str) -> Result<Option<CachedBook>, KvError> {
    Ok(kv.get(key)?.and_then(|entry| decode(&entry, data_version, id)))
}

/// Stores book `id`, read from SQL after `data_version` was taken, in slot `key`.
pub fn fill(kv: &dyn Kv, key: &str, id: &str, data_version: &str, book: &CachedBook) -> Result<(), KvError> {
    kv.set(key, &encode(data_version, id, book))
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
        assert_eq!(decode(b"folio-book/2\n0\na\n\"v1\"\n", "0", "a"), None, "no body");
        assert_eq!(decode(b"folio-book/1\n0\n\"v1\"\n{}", "0", "a"), None, "an older format");
        assert_eq!(decode(b"folio-book/2\n0\na", "0", "a"), None, "truncated");
    }

    #[test]
    fn admits_one_draw_in_n() {
        assert!(admits(1, 12345));
        assert!((0..8u64).filter(|&d| admits(8, d)).count() == 1);
        assert!((0..800u64).filter(|&d| admits(8, d)).count() == 100);
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
