//! The session lifecycle the token service manages: a per-account index of session ids (for
//! listing and for a bound on sessions per account), revocation of one or all.
//!
//! The key-value store has no transactions: two sign-ins of one account racing on the index may
//! lose one id. So the index is only a convenience for listing; revoking *all* sessions of an
//! account also scans the account's key prefix, and a write of the index is read back and
//! retried. The listing prunes ended sessions lazily.

use folio_core::{ApiResult, Host, Kv, KvError};
use folio_tokens::session::{self, Session};

/// Key prefix of the per-account index.
pub const INDEX_PREFIX: &str = "auth:account-sessions:";
/// Live sessions per account; signing in once more ends the oldest. Generous, because scripts
/// and test suites sign in often; it exists to bound the store, not to limit people.
pub const MAX_SESSIONS_PER_ACCOUNT: usize = 100;

fn index_key(account_id: &str) -> String {
    format!("{INDEX_PREFIX}{account_id}")
}

fn read_index(kv: &dyn Kv, account_id: &str) -> Result<Vec<String>, KvError> {
    Ok(kv
        .get(&index_key(account_id))?
        .and_then(|b| serde_json::from_slice::<Vec<String>>(&b).ok())
        .unwrap_or_default())
}

fn write_index(kv: &dyn Kv, account_id: &str, ids: &[String]) -> Result<(), KvError> {
    if ids.is_empty() {
        kv.delete(&index_key(account_id))
    } else {
        kv.set(&index_key(account_id), &serde_json::to_vec(ids).expect("ids serialize"))
    }
}

/// Loads the live sessions among `ids`, deleting the records of ended ones.
fn load_live(kv: &dyn Kv, account_id: &str, ids: &[String], now: i64) -> Result<Vec<Session>, KvError> {
    let mut live = Vec::new();
    for id in ids {
        match session::load(kv, account_id, id)? {
            Some(s) if s.is_live(now) => live.push(s),
            Some(_) => session::delete(kv, account_id, id)?,
            None => {}
        }
    }
    Ok(live)
}

/// Adds a new session to its account's index, ending the oldest when the account is at the cap.
///
/// The common path is one read and one write (plus the read-back): the index lists ids in
/// creation order, and the session records are loaded (to drop ended ones before evicting live
/// ones) only when the index is full.
pub fn add(host: &Host, account_id: &str, session_id: &str, now: i64) -> ApiResult<()> {
    for _attempt in 0..3 {
        let mut ids: Vec<String> =
            read_index(host.kv, account_id)?.into_iter().filter(|id| id != session_id).collect();
        if ids.len() >= MAX_SESSIONS_PER_ACCOUNT {
            let mut live = load_live(host.kv, account_id, &ids, now)?;
            live.sort_by_key(|s| s.created_at_ms);
            while live.len() >= MAX_SESSIONS_PER_ACCOUNT {
                let oldest = live.remove(0);
                session::delete(host.kv, account_id, &oldest.id)?;
            }
            ids = live.into_iter().map(|s| s.id).collect();
        }
        ids.push(session_id.to_string());
        write_index(host.kv, account_id, &ids)?;
        // Read back: a concurrent writer may have replaced our list with theirs.
        if read_index(host.kv, account_id)?.iter().any(|id| id == session_id) {
            return Ok(());
        }
    }
    folio_core::log::emit(
        serde_json::json!({"level": "warn", "event": "session_index_contended", "account": account_id}),
    );
    Ok(())
}

/// The account's live sessions, newest first; prunes the index when some have ended.
pub fn live(host: &Host, account_id: &str, now: i64) -> ApiResult<Vec<Session>> {
    let ids = read_index(host.kv, account_id)?;
    let mut live = load_live(host.kv, account_id, &ids, now)?;
    if live.len() != ids.len() {
        write_index(host.kv, account_id, &live.iter().map(|s| s.id.clone()).collect::<Vec<_>>())?;
    }
    live.sort_by_key(|s| std::cmp::Reverse(s.created_at_ms));
    Ok(live)
}

/// Ends one session: its record goes, so every token of it is refused everywhere.
pub fn revoke(host: &Host, account_id: &str, session_id: &str) -> ApiResult<()> {
    session::delete(host.kv, account_id, session_id)?;
    let ids = read_index(host.kv, account_id)?;
    if ids.iter().any(|id| id == session_id) {
        let rest: Vec<String> = ids.into_iter().filter(|id| id != session_id).collect();
        write_index(host.kv, account_id, &rest)?;
    }
    Ok(())
}

/// Ends every session of an account (disabled, or role changed). Besides the index, scans the
/// account's key prefix, so a session whose index entry a race lost is ended too.
pub fn revoke_all(host: &Host, account_id: &str) -> ApiResult<usize> {
    let prefix = session::account_prefix(account_id);
    let mut ids = read_index(host.kv, account_id)?;
    for key in host.kv.keys()? {
        if let Some(id) = key.strip_prefix(&prefix) {
            if !ids.iter().any(|i| i == id) {
                ids.push(id.to_string());
            }
        }
    }
    for id in &ids {
        session::delete(host.kv, account_id, id)?;
    }
    host.kv.delete(&index_key(account_id))?;
    Ok(ids.len())
}
