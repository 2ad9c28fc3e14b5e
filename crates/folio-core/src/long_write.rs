//! A write that holds the database's lock for seconds (a generator run) says so in the
//! key-value store, with when it expects to be done, so that a request refused `503` beside it
//! learns how long to wait: `Retry-After` then says that time, not two seconds, and the detail
//! names the writer. Without it a client (the UI says "try again in 2 seconds") retries every two
//! seconds for as long as the run lasts, each retry waiting out the lock budget again.
//!
//! Best effort on both sides: a notice that cannot be written or read leaves the default
//! answer; a writer that died leaves a notice that stops counting a minute after its expected
//! end. The notice is one key, shared by every replica that shares the store.

use serde::{Deserialize, Serialize};

use crate::{problem::UNAVAILABLE_RETRY_AFTER_SECS, ApiError, Host};

/// The one key of the notice.
pub const KEY: &str = "catalog:long-write";

/// The longest wait a `Retry-After` names: a client should look again within a minute, and a
/// run that was estimated longer may end earlier.
pub const MAX_RETRY_AFTER_SECS: u64 = 60;

/// How long after its expected end a notice is still believed (a run that overran its estimate);
/// past it, the writer is taken to be gone.
const BELIEVED_PAST_END_MS: i64 = 60_000;

/// One long write's notice.
#[derive(Debug, Serialize, Deserialize)]
struct Notice {
    /// The writer's own id, so that it takes back its notice and no other.
    #[serde(default)]
    id: String,
    /// What holds the lock, in words a client may be shown ("a generator run of 100000 books").
    what: String,
    /// When it expects to release it, in milliseconds since the epoch.
    until_ms: i64,
}

/// What the key holds: the notices of the long writes running or waiting, in the order they
/// will hold the lock. (A single notice, as an earlier build wrote it, reads as a list of one.)
#[derive(Debug, Default, Serialize, Deserialize)]
struct Notices {
    writes: Vec<Notice>,
}

/// Says that the long write `id`, described by `what`, will hold the write lock for about
/// `expected_ms` once it has it. Behind writes already announced and still believed (two runs at
/// once: the second waits for the first's lock), it expects to start when the last of them ends,
/// and its notice is queued after theirs: a request refused beside the first run is told the
/// first run's time, and beside the second, once the first has withdrawn, the second's. Best
/// effort: two writers announcing at the same instant may lose one notice (the store has no
/// compare-and-set here), which leaves the default answer for it.
pub fn announce(host: &Host, id: &str, what: &str, expected_ms: i64) {
    let now = host.clock.now_ms();
    let mut notices = believed_notices(host, now);
    let start = notices.writes.iter().map(|n| n.until_ms).max().unwrap_or(now).max(now);
    notices.writes.push(Notice { id: id.to_string(), what: what.to_string(), until_ms: start + expected_ms });
    store(host, &notices);
}

/// Takes back the notice of `id`, once its lock is released (another writer's stays).
pub fn withdraw(host: &Host, id: &str) {
    let mut notices = believed_notices(host, host.clock.now_ms());
    notices.writes.retain(|n| n.id != id);
    store(host, &notices);
}

fn store(host: &Host, notices: &Notices) {
    let _ = if notices.writes.is_empty() {
        host.kv.delete(KEY)
    } else {
        match serde_json::to_vec(notices) {
            Ok(value) => host.kv.set(KEY, &value),
            Err(_) => Ok(()),
        }
    };
}

/// The notices still believed at `now`, in the order they hold the lock.
fn believed_notices(host: &Host, now: i64) -> Notices {
    let stored = host.kv.get(KEY).ok().flatten().and_then(|v| {
        serde_json::from_slice::<Notices>(&v)
            .ok()
            .or_else(|| serde_json::from_slice::<Notice>(&v).ok().map(|n| Notices { writes: vec![n] }))
    });
    let mut notices = stored.unwrap_or_default();
    notices.writes.retain(|n| believed(n, now));
    notices.writes.sort_by_key(|n| n.until_ms);
    notices
}

fn believed(notice: &Notice, now: i64) -> bool {
    now <= notice.until_ms.saturating_add(BELIEVED_PAST_END_MS)
}

/// A busy database's `503` ([`ApiError::Busy`]) with the announced writer's name and remaining
/// time as its detail and `Retry-After`; any other error, or a busy one with no writer
/// announced, as it is. Reads the store only for a busy answer.
pub fn explain_busy(host: &Host, error: ApiError) -> ApiError {
    if !matches!(error, ApiError::Busy { .. }) {
        return error;
    }
    let now = host.clock.now_ms();
    // The writer holding the lock is the first in line: the one expected to end first.
    let Some(notice) = believed_notices(host, now).writes.into_iter().next() else { return error };
    let left_ms = notice.until_ms.saturating_sub(now);
    if left_ms <= 0 {
        return ApiError::Busy {
            detail: format!(
                "the database is busy with {}, which is taking longer than expected; retry shortly",
                notice.what
            ),
            retry_after_secs: UNAVAILABLE_RETRY_AFTER_SECS,
        };
    }
    let secs = (left_ms as u64).div_ceil(1000).clamp(UNAVAILABLE_RETRY_AFTER_SECS, MAX_RETRY_AFTER_SECS);
    ApiError::Busy {
        detail: format!(
            "the database is busy with {}, expected to be done in about {secs} s; retry then",
            notice.what
        ),
        retry_after_secs: secs,
    }
}
