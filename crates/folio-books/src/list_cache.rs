//! List pages and searches (`GET /api/books`) cached in the key-value store under the
//! catalogue's data version, as single books ([`crate::read_cache`]) and reports are.
//!
//! Why: every list page and search otherwise opens a SQLite connection, and under Spin every
//! request gets a new one, whose first statement reads and parses the whole schema before the
//! query runs (docs/benchmarks.md). A page asked again before the next write is answered from
//! one key-value read, which the token check's read-ahead makes part of the round trip it needs
//! anyway.
//!
//! What identifies a page: everything that shapes its body — the filters in their canonical
//! form (the fingerprint a cursor carries), the sort, the limit, the cursor and whether a total
//! was asked. The body does not depend on the caller (the scope check runs before the cache is
//! consulted, and a page holds no per-caller field), so one entry serves every reader.
//!
//! Size: [`SLOTS`] keys of at most [`MAX_PAYLOAD`] each (a page of 100 books with long
//! descriptions is larger and is simply not stored): at most 16 MiB of store.

use folio_core::slot_cache::SlotCache;

use crate::listing::ListQuery;

/// The prefix of every entry's key.
pub const KEY_PREFIX: &str = "books:list-cache:";
/// The number of keys the cache can ever hold.
pub const SLOTS: u64 = 256;
/// The largest page body stored.
pub const MAX_PAYLOAD: usize = 64 * 1024;

/// The cache's slots and entry format (the payload: the response body).
pub const CACHE: SlotCache =
    SlotCache { prefix: KEY_PREFIX, slots: SLOTS, format: "folio-list/1", max_payload: MAX_PAYLOAD };

/// What identifies the page `query` asks for: the filters written out in full (their canonical
/// form), not the cursors' 64-bit fingerprint of them, which an attacker could collide offline
/// (about 2^32 hashes) to have one query's cached page served for another's.
pub fn identity(query: &ListQuery) -> String {
    format!(
        "{}\n{}\n{}\n{}\n{}",
        query.filters.canonical(),
        query.sort.name(),
        query.limit,
        query.cursor.as_deref().unwrap_or(""),
        query.count
    )
}
