//! The report cache in the key-value store.
//!
//! Freshness: an entry records the catalogue data version it was computed under, read *before*
//! computing; it is served only while that is still the current version. Every write to the
//! books table sets a new version after its commit, so an entry is never served after a write.
//!
//! Bounded size: the store has no TTL and hosted stores cap key counts, while the parameter
//! space (free-text author and genre filters) is unbounded. So the cache is direct-mapped: a
//! request's canonical parameters hash to one of [`SLOTS`] keys, and an entry stores its full
//! parameters so that a colliding request sees a miss and takes the slot over. Entries of an
//! old version are overwritten in place, never left behind.

use folio_core::{catalog, Host};
use serde::{Deserialize, Serialize};

use crate::compute::ReportData;

/// The number of cache keys the reports component can ever hold.
pub const SLOTS: u64 = 1024;
/// The largest entry kept: a report of a catalogue with hundreds of genres or a long author list
/// grows with them (82 KB at 300 genres), and 1,024 such entries would crowd a Redis that holds
/// the sessions; larger reports are computed every time. So the cache takes at most
/// 1,024 × 64 KiB = 64 MiB.
pub const MAX_ENTRY_BYTES: usize = 64 * 1024;
/// Every cache key starts with this.
pub const KEY_PREFIX: &str = "reports:cache:";

use crate::compute::SHAPE;

#[derive(Serialize, Deserialize)]
struct Entry {
    shape: u32,
    params: String,
    version: String,
    data: ReportData,
}

/// The key-value key of the slot for these canonical parameters.
pub fn slot_key(canonical: &str) -> String {
    catalog::cache_slot_key(KEY_PREFIX, canonical, SLOTS)
}

/// The cached report for these parameters under `version`, if there is one. A store failure
/// or an unreadable entry is a miss: the report is then computed afresh.
pub fn get(host: &Host, canonical: &str, version: &str) -> Option<ReportData> {
    let bytes = match host.kv.get(&slot_key(canonical)) {
        Ok(v) => v?,
        Err(e) => {
            folio_core::log::warn("reports_cache_read_failed", &e);
            return None;
        }
    };
    let entry: Entry = serde_json::from_slice(&bytes).ok()?;
    (entry.shape == SHAPE && entry.params == canonical && entry.version == version).then_some(entry.data)
}

/// Stores a report computed under `version`. A store failure only costs the next request a
/// recomputation, so it is logged, not returned.
pub fn put(host: &Host, canonical: &str, version: &str, data: &ReportData) {
    let entry = Entry {
        shape: SHAPE,
        params: canonical.to_string(),
        version: version.to_string(),
        data: data.clone(),
    };
    let bytes = serde_json::to_vec(&entry).expect("cache entry serializes");
    if bytes.len() > MAX_ENTRY_BYTES {
        return;
    }
    if let Err(e) = host.kv.set(&slot_key(canonical), &bytes) {
        folio_core::log::warn("reports_cache_write_failed", &e);
    }
}
