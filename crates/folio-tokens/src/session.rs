//! Session records in the key-value store: what every token check reads, and what the token
//! service writes.
//!
//! One record per session under `auth:session:{account}:{session}`. The account id in the key
//! lets the token service find every session of an account by key prefix (revocation when an
//! account is disabled does not depend on an index that a lost write could have missed). The
//! store has no TTL, so the expiry is inside the value and every reader checks it.
//!
//! A record keeps SHA-256 fingerprints of the access tokens issued for the session that have not
//! expired yet: a token is accepted only if its session vouches for its exact bytes. Deleting the
//! record therefore revokes every token of the session at once, in every component.

use folio_core::{Kv, KvError};
use serde::{Deserialize, Serialize};

use crate::{digest, settings::LEEWAY_SECS};

/// Key prefix of every session record.
pub const SESSION_PREFIX: &str = "auth:session:";
/// At most this many access-token fingerprints per session: a client that refreshes in a tight
/// loop cannot grow a record without bound; the oldest tokens are dropped (and refused) first.
pub const MAX_VOUCHED_TOKENS: usize = 16;
/// Spent refresh-token fingerprints remembered per session, to recognise reuse.
pub const MAX_SPENT_REFRESH: usize = 32;

/// One access token a session vouches for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vouched {
    /// SHA-256 of the compact token, base64url.
    pub hash: String,
    /// The token's `exp`, seconds since the epoch: after it the entry is pruned.
    pub exp: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub id: String,
    pub account_id: String,
    pub created_at_ms: i64,
    /// When the session last issued tokens (sign-in or refresh). Token checks do not write, so
    /// this is not updated by every request.
    pub last_used_at_ms: i64,
    /// Seconds since the epoch when the current refresh token, and so the session, expires.
    pub expires_at: i64,
    /// Scopes the client asked for at sign-in (space-separated), when narrower than its role's.
    #[serde(default)]
    pub requested_scope: Option<String>,
    /// Fingerprint of the one refresh token that may be used next.
    pub refresh_hash: String,
    #[serde(default)]
    pub spent_refresh: Vec<String>,
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

    /// Makes `new_hash` the only usable refresh token and remembers the previous one as spent.
    pub fn rotate_refresh(&mut self, new_hash: String) {
        let old = std::mem::replace(&mut self.refresh_hash, new_hash);
        self.spent_refresh.push(old);
        let excess = self.spent_refresh.len().saturating_sub(MAX_SPENT_REFRESH);
        self.spent_refresh.drain(..excess);
    }

    /// Whether a presented refresh token is the current one, an already used one, or neither.
    pub fn refresh_status(&self, presented: &str) -> RefreshStatus {
        let hash = digest::fingerprint(presented.as_bytes());
        if digest::same(&hash, &self.refresh_hash) {
            RefreshStatus::Current
        } else if digest::any_same(&hash, self.spent_refresh.iter().map(String::as_str)) {
            RefreshStatus::Spent
        } else {
            RefreshStatus::Unknown
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshStatus {
    Current,
    Spent,
    Unknown,
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

/// The key prefix of every session of an account.
pub fn account_prefix(account_id: &str) -> String {
    format!("{SESSION_PREFIX}{account_id}:")
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
        Session {
            id: SID.into(),
            account_id: ACC.into(),
            created_at_ms: 0,
            last_used_at_ms: 0,
            expires_at: 1000,
            requested_scope: None,
            refresh_hash: digest::fingerprint(b"r0"),
            spent_refresh: vec![],
            access: vec![],
        }
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
    fn refresh_rotation_remembers_spent_tokens() {
        let mut s = session();
        assert_eq!(s.refresh_status("r0"), RefreshStatus::Current);
        s.rotate_refresh(digest::fingerprint(b"r1"));
        assert_eq!(s.refresh_status("r0"), RefreshStatus::Spent);
        assert_eq!(s.refresh_status("r1"), RefreshStatus::Current);
        assert_eq!(s.refresh_status("guess"), RefreshStatus::Unknown);
        for i in 2..100 {
            s.rotate_refresh(digest::fingerprint(format!("r{i}").as_bytes()));
        }
        assert_eq!(s.spent_refresh.len(), MAX_SPENT_REFRESH);
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
