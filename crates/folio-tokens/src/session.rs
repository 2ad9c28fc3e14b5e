//! Session records in the key-value store: what every token check reads, and what the token
//! service writes.
//!
//! One record per session under `auth:session:{account}:{session}`: its expiry and the SHA-256
//! fingerprints of the access tokens issued for it that have not expired yet. A token is accepted
//! only if its session vouches for its exact bytes, so deleting the record revokes every token
//! of the session at once, in every component. The store has no TTL, so the expiry is inside the
//! value and every reader checks it.
//!
//! What only the token service needs (refresh-token rotation, the account's list of sessions)
//! lives in its SQLite registry (`auth_sessions`, folio-auth's `sessions` module), which decides
//! whether a session exists; this record is what the rest of the app reads.

use folio_core::{Kv, KvError};
use serde::{Deserialize, Serialize};

use crate::{digest, settings::LEEWAY_SECS};

/// Key prefix of every session record.
pub const SESSION_PREFIX: &str = "auth:session:";
/// At most this many access-token fingerprints per session: a client that refreshes in a tight
/// loop cannot grow a record without bound; the oldest tokens are dropped (and refused) first.
pub const MAX_VOUCHED_TOKENS: usize = 16;
/// One access token a session vouches for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vouched {
    /// SHA-256 of the compact token, base64url.
    pub hash: String,
    /// The token's `exp`, seconds since the epoch: after it the entry is pruned.
    pub exp: i64,
}

/// A session as token checks see it. Records written before the registry moved to SQLite carry
/// more fields; they are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub id: String,
    pub account_id: String,
    /// Seconds since the epoch when the session expires (its current refresh token's expiry).
    pub expires_at: i64,
    #[serde(default)]
    pub access: Vec<Vouched>,
}

impl Session {
    /// True while the session has not expired at `now` (seconds).
    pub fn is_live(&self, now: i64) -> bool {
        now < self.expires_at
    }

    /// True when `token` is one of the access tokens issued for this session (constant time).
    pub fn vouches_for(&self, token: &str) -> bool {
        let hash = digest::fingerprint(token.as_bytes());
        digest::any_same(&hash, self.access.iter().map(|v| v.hash.as_str()))
    }

    /// Records a newly issued access token; forgets expired ones and keeps the newest few.
    pub fn vouch(&mut self, token: &str, exp: i64, now: i64) {
        self.access.retain(|v| v.exp.saturating_add(LEEWAY_SECS) > now);
        self.access.push(Vouched { hash: digest::fingerprint(token.as_bytes()), exp });
        let excess = self.access.len().saturating_sub(MAX_VOUCHED_TOKENS);
        self.access.drain(..excess);
    }
}

/// True for ids as `Host::new_id` makes them (26 characters of lower-case base32); anything
/// else never reaches a store key.
pub fn is_id(id: &str) -> bool {
    id.len() == 26 && id.bytes().all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b))
}

/// The record's key, or `None` when either id is malformed.
pub fn key(account_id: &str, session_id: &str) -> Option<String> {
    (is_id(account_id) && is_id(session_id)).then(|| format!("{SESSION_PREFIX}{account_id}:{session_id}"))
}

/// Reads a session; `None` when absent or malformed ids. A record that does not parse is
/// treated as absent (and logged): refusing is the safe answer.
pub fn load(kv: &dyn Kv, account_id: &str, session_id: &str) -> Result<Option<Session>, KvError> {
    let Some(key) = key(account_id, session_id) else { return Ok(None) };
    let Some(bytes) = kv.get(&key)? else { return Ok(None) };
    match serde_json::from_slice::<Session>(&bytes) {
        Ok(s) if s.id == session_id && s.account_id == account_id => Ok(Some(s)),
        _ => {
            folio_core::log::emit(serde_json::json!({"level": "warn", "event": "session_record_unreadable"}));
            Ok(None)
        }
    }
}

/// Writes a session record.
pub fn save(kv: &dyn Kv, session: &Session) -> Result<(), KvError> {
    let key = key(&session.account_id, &session.id)
        .ok_or_else(|| KvError::Other("session with malformed ids".into()))?;
    kv.set(&key, &serde_json::to_vec(session).expect("session serializes"))
}

/// Deletes a session record: every token of the session is refused from then on.
pub fn delete(kv: &dyn Kv, account_id: &str, session_id: &str) -> Result<(), KvError> {
    match key(account_id, session_id) {
        Some(key) => kv.delete(&key),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use folio_native::MemoryKv;

    const ACC: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaa";
    const SID: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbb";

    fn session() -> Session {
        Session { id: SID.into(), account_id: ACC.into(), expires_at: 1000, access: vec![] }
    }

    #[test]
    fn keys_only_for_well_formed_ids() {
        assert_eq!(key(ACC, SID).unwrap(), format!("auth:session:{ACC}:{SID}"));
        assert!(key("x", SID).is_none());
        assert!(key(ACC, "BBBBBBBBBBBBBBBBBBBBBBBBBB").is_none());
        assert!(key(ACC, "bbbbbbbbbbbbbbbbbbbbbbbb:x").is_none());
    }

    #[test]
    fn vouches_only_for_recorded_unexpired_tokens_and_stays_bounded() {
        let mut s = session();
        s.vouch("token-1", 100, 0);
        assert!(s.vouches_for("token-1"));
        assert!(!s.vouches_for("token-2"));
        assert!(!s.vouches_for("token-1 "));
        // Expired entries are pruned when the next token is recorded.
        s.vouch("token-2", 500, 100 + LEEWAY_SECS);
        assert!(!s.vouches_for("token-1") && s.vouches_for("token-2"));
        for i in 0..40 {
            s.vouch(&format!("t{i}"), 900, 200);
        }
        assert_eq!(s.access.len(), MAX_VOUCHED_TOKENS);
        assert!(s.vouches_for("t39") && !s.vouches_for("t0"));
    }

    #[test]
    fn records_of_the_former_layout_still_read() {
        let kv = MemoryKv::new();
        let old = serde_json::json!({"id": SID, "account_id": ACC, "created_at_ms": 1, "last_used_at_ms": 2,
            "expires_at": 1000, "requested_scope": null, "refresh_hash": "x", "spent_refresh": [],
            "access": [{"hash": digest::fingerprint(b"t"), "exp": 900}]});
        kv.set(&key(ACC, SID).unwrap(), old.to_string().as_bytes()).unwrap();
        let read = load(&kv, ACC, SID).unwrap().unwrap();
        assert!(read.vouches_for("t") && read.is_live(999) && !read.is_live(1000));
    }

    #[test]
    fn store_round_trip_and_delete() {
        let kv = MemoryKv::new();
        let s = session();
        save(&kv, &s).unwrap();
        assert_eq!(load(&kv, ACC, SID).unwrap(), Some(s));
        assert!(load(&kv, ACC, "cccccccccccccccccccccccccc").unwrap().is_none());
        // A record filed under another account is not this account's session.
        kv.set(
            &format!("auth:session:{}:{SID}", "c".repeat(26)),
            &kv.get(&key(ACC, SID).unwrap()).unwrap().unwrap(),
        )
        .unwrap();
        assert!(load(&kv, &"c".repeat(26), SID).unwrap().is_none());
        kv.set(&key(ACC, SID).unwrap(), b"not json").unwrap();
        assert!(load(&kv, ACC, SID).unwrap().is_none());
        delete(&kv, ACC, SID).unwrap();
        assert!(!kv.exists(&key(ACC, SID).unwrap()).unwrap());
    }
}
