//! Failed sign-ins per account, limited in the key-value store: after [`MAX_FAILURES`] failures
//! within [`WINDOW_SECS`], further attempts get `429` with `Retry-After` until the window ends,
//! without a password check (so a locked account costs no hashing).
//!
//! Counting is per e-mail address, whether or not an account has it, so a locked-out answer
//! does not reveal that an address is registered. Keys stay bounded although anyone can make up
//! addresses: counters live in 256 buckets (first byte of the address's SHA-256), each holding
//! at most [`MAX_ENTRIES_PER_BUCKET`] entries, expired and oldest ones dropped first. Without
//! transactions two concurrent failures may count once; the limit is a brake, not a ledger.

use folio_core::{ApiError, ApiResult, Host};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const MAX_FAILURES: u32 = 5;
pub const WINDOW_SECS: i64 = 15 * 60;
pub const MAX_ENTRIES_PER_BUCKET: usize = 256;
const PREFIX: &str = "auth:login-failures:";

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    /// 8 bytes of the address's SHA-256, hex: the address itself is not stored.
    k: String,
    /// Failures in the current window.
    n: u32,
    /// Start of the window, seconds since the epoch.
    since: i64,
}

fn locate(email_normalized: &str) -> (String, String) {
    let h = Sha256::digest(email_normalized.as_bytes());
    let id = hex::encode(&h[1..9]);
    (format!("{PREFIX}{:02x}", h[0]), id)
}

fn read(host: &Host, key: &str, now: i64) -> ApiResult<Vec<Entry>> {
    let mut entries: Vec<Entry> =
        host.kv.get(key)?.and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default();
    entries.retain(|e| e.since + WINDOW_SECS > now);
    Ok(entries)
}

fn write(host: &Host, key: &str, entries: &[Entry]) -> ApiResult<()> {
    if entries.is_empty() {
        host.kv.delete(key)?;
    } else {
        host.kv.set(key, &serde_json::to_vec(entries).expect("entries serialize"))?;
    }
    Ok(())
}

/// `429` while the address is locked out.
pub fn check(host: &Host, email_normalized: &str) -> ApiResult<()> {
    let now = host.clock.now_secs();
    let (key, id) = locate(email_normalized);
    if let Some(e) = read(host, &key, now)?.iter().find(|e| e.k == id) {
        if e.n >= MAX_FAILURES {
            return Err(ApiError::TooManyRequests {
                retry_after_secs: (e.since + WINDOW_SECS - now).max(1) as u64,
                detail: "too many failed sign-in attempts for this account; try again later".into(),
            });
        }
    }
    Ok(())
}

/// Counts one failed attempt.
pub fn record_failure(host: &Host, email_normalized: &str) -> ApiResult<()> {
    let now = host.clock.now_secs();
    let (key, id) = locate(email_normalized);
    let mut entries = read(host, &key, now)?;
    match entries.iter_mut().find(|e| e.k == id) {
        Some(e) => e.n += 1,
        None => entries.push(Entry { k: id, n: 1, since: now }),
    }
    while entries.len() > MAX_ENTRIES_PER_BUCKET {
        let victim = entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.n < MAX_FAILURES)
            .min_by_key(|(_, e)| e.since)
            .or_else(|| entries.iter().enumerate().min_by_key(|(_, e)| e.since))
            .map(|(i, _)| i)
            .unwrap_or(0);
        entries.remove(victim);
    }
    write(host, &key, &entries)
}

/// Forgets the failures of an address after a successful sign-in.
pub fn clear(host: &Host, email_normalized: &str) -> ApiResult<()> {
    let now = host.clock.now_secs();
    let (key, id) = locate(email_normalized);
    let entries = read(host, &key, now)?;
    if entries.iter().any(|e| e.k == id) {
        let rest: Vec<Entry> = entries.into_iter().filter(|e| e.k != id).collect();
        write(host, &key, &rest)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use folio_core::Kv;
    use folio_native::TestApp;

    /// Addresses whose counters share `target`'s bucket.
    fn same_bucket(target: &str, n: usize) -> Vec<String> {
        let key = locate(target).0;
        (0..).map(|i| format!("flood{i}@example.com")).filter(|e| locate(e).0 == key).take(n).collect()
    }

    #[test]
    fn flooding_a_bucket_neither_unlocks_an_account_nor_grows_the_store() {
        let app = TestApp::new();
        app.with_host(|h| {
            for _ in 0..MAX_FAILURES {
                record_failure(h, "victim@example.com").unwrap();
            }
            assert!(check(h, "victim@example.com").is_err());
        });
        // The victim's entry is now the oldest in its bucket: the first an "evict the oldest"
        // policy would drop.
        app.clock.advance_secs(1);
        app.with_host(|h| {
            for email in same_bucket("victim@example.com", MAX_ENTRIES_PER_BUCKET + 50) {
                record_failure(h, &email).unwrap();
            }
            assert!(check(h, "victim@example.com").is_err(), "the lock survived the flood");
            let key = locate("victim@example.com").0;
            let entries: Vec<Entry> = serde_json::from_slice(&h.kv.get(&key).unwrap().unwrap()).unwrap();
            assert_eq!(entries.len(), MAX_ENTRIES_PER_BUCKET);
            // Addresses themselves are not stored.
            assert!(!String::from_utf8_lossy(&h.kv.get(&key).unwrap().unwrap()).contains("example.com"));
        });
        assert!(app.kv.keys().unwrap().iter().all(|k| k.starts_with(PREFIX)));
    }

    #[test]
    fn a_window_ends_and_success_clears() {
        let app = TestApp::new();
        app.with_host(|h| {
            for _ in 0..MAX_FAILURES {
                record_failure(h, "a@example.com").unwrap();
            }
            match check(h, "a@example.com") {
                Err(ApiError::TooManyRequests { retry_after_secs, .. }) => {
                    assert_eq!(retry_after_secs, WINDOW_SECS as u64)
                }
                other => panic!("{other:?}"),
            }
            assert!(check(h, "b@example.com").is_ok());
        });
        app.clock.advance_secs(WINDOW_SECS);
        app.with_host(|h| {
            assert!(check(h, "a@example.com").is_ok());
            record_failure(h, "a@example.com").unwrap();
            clear(h, "a@example.com").unwrap();
        });
        assert!(app.kv.is_empty(), "an empty bucket is deleted, not kept");
    }
}
