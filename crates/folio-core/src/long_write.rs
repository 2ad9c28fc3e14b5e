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

#[derive(Debug, Serialize, Deserialize)]
struct Notice {
    /// What holds the lock, in words a client may be shown ("a generator run of 100000 books").
    what: String,
    /// When it expects to release it, in milliseconds since the epoch.
    until_ms: i64,
}

/// Says that `what` will hold the write lock until about `until_ms`, unless another long write
/// has said so and is still believed (two runs: the second waits for the first's lock, and its
/// notice must not replace the one that is true). Whether it said so: only then does the writer
/// [`withdraw`] the notice when it is done.
pub fn announce(host: &Host, what: &str, until_ms: i64) -> bool {
    if let Some(other) = notice(host) {
        if believed(&other, host.clock.now_ms()) {
            return false;
        }
    }
    serde_json::to_vec(&Notice { what: what.to_string(), until_ms })
        .is_ok_and(|value| host.kv.set(KEY, &value).is_ok())
}

/// Takes the notice back, once the lock is released.
pub fn withdraw(host: &Host) {
    let _ = host.kv.delete(KEY);
}

fn notice(host: &Host) -> Option<Notice> {
    host.kv.get(KEY).ok().flatten().and_then(|v| serde_json::from_slice::<Notice>(&v).ok())
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
    let Some(notice) = notice(host) else { return error };
    let now = host.clock.now_ms();
    if !believed(&notice, now) {
        return error;
    }
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
