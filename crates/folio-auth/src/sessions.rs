//! The sessions the token service manages: one registry row per session in SQLite
//! (`auth_sessions`, migrations/0008) beside the record every token check reads in the key-value
//! store (`folio_tokens::session`).
//!
//! Why SQLite for the registry: the key-value store has no transactions, and Spin's atomics do
//! not close the gap on every store (docs/auth.md, "Refresh tokens"). In SQLite one conditional
//! `UPDATE` rotates a refresh token atomically, on Spin's local database and on libSQL alike,
//! and an index finds an account's sessions without listing the key-value store.
//!
//! The order of writes is what keeps the two stores in step without a transaction across them:
//! a session **ends** by deleting its row, then its record; a session **is written** (sign-in,
//! refresh) by writing its record, then checking that its row is still there, deleting the record
//! if it is not. Whichever order the two interleave in, a record never outlives its row.

use folio_core::{ApiResult, Host, Row, Sql, Value};
use folio_tokens::{digest, session};

/// Live sessions per account; signing in once more ends the oldest. Generous, because scripts
/// and test suites sign in often; it exists to bound the stores, not to limit people.
pub const MAX_SESSIONS_PER_ACCOUNT: usize = 100;
/// Spent refresh-token fingerprints remembered per session, to recognise reuse.
pub const MAX_SPENT_REFRESH: usize = 32;
/// Ended sessions of any account that one sign-in clears from both stores: enough to keep up
/// with expiry, bounded so no request pays for a backlog.
pub const SWEEP_PER_SIGN_IN: i64 = 16;

const COLUMNS: &str =
    "id, account_id, refresh_hash, spent_hashes, requested_scope, created_at_ms, last_used_at_ms, expires_at";

/// A session's registry row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    pub id: String,
    pub account_id: String,
    /// Fingerprint of the one refresh token that may be used next.
    pub refresh_hash: String,
    /// Earlier fingerprints, oldest first, at most [`MAX_SPENT_REFRESH`].
    pub spent: Vec<String>,
    pub requested_scope: Option<String>,
    pub created_at_ms: i64,
    pub last_used_at_ms: i64,
    pub expires_at: i64,
}

/// What a presented refresh token is to its session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshStatus {
    Current,
    Spent,
    /// Never issued for this session: a guess, which must not end the session.
    Unknown,
}

impl Registered {
    fn from_row(row: Row) -> Self {
        Self {
            id: row.string("id"),
            account_id: row.string("account_id"),
            refresh_hash: row.string("refresh_hash"),
            spent: row.string("spent_hashes").split_whitespace().map(str::to_string).collect(),
            requested_scope: row.text("requested_scope").map(str::to_string),
            created_at_ms: row.i64("created_at_ms").unwrap_or(0),
            last_used_at_ms: row.i64("last_used_at_ms").unwrap_or(0),
            expires_at: row.i64("expires_at").unwrap_or(0),
        }
    }

    pub fn is_live(&self, now: i64) -> bool {
        now < self.expires_at
    }

    /// Whether `fingerprint` is the current refresh token, a spent one, or neither; in constant
    /// time, examining every entry.
    pub fn refresh_status(&self, fingerprint: &str) -> RefreshStatus {
        if digest::same(fingerprint, &self.refresh_hash) {
            RefreshStatus::Current
        } else if digest::any_same(fingerprint, self.spent.iter().map(String::as_str)) {
            RefreshStatus::Spent
        } else {
            RefreshStatus::Unknown
        }
    }

    /// The spent list after the current token is spent: the newest [`MAX_SPENT_REFRESH`].
    fn spent_after_rotation(&self) -> String {
        let mut spent: Vec<&str> = self.spent.iter().map(String::as_str).collect();
        spent.push(&self.refresh_hash);
        let excess = spent.len().saturating_sub(MAX_SPENT_REFRESH);
        spent[excess..].join(" ")
    }
}

/// Registers a new session.
fn register(sql: &dyn Sql, s: &Registered) -> ApiResult<()> {
    sql.execute(
        &format!("INSERT INTO auth_sessions ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
        &[
            Value::from(&s.id),
            Value::from(&s.account_id),
            Value::from(&s.refresh_hash),
            Value::from(s.spent.join(" ")),
            Value::from(s.requested_scope.as_deref()),
            Value::from(s.created_at_ms),
            Value::from(s.last_used_at_ms),
            Value::from(s.expires_at),
        ],
    )?;
    Ok(())
}

/// The account's session with this id, live or not.
pub fn find(sql: &dyn Sql, account_id: &str, session_id: &str) -> ApiResult<Option<Registered>> {
    let rows = sql.execute(
        &format!("SELECT {COLUMNS} FROM auth_sessions WHERE id = ? AND account_id = ?"),
        &[Value::from(session_id), Value::from(account_id)],
    )?;
    Ok(rows.first().map(Registered::from_row))
}

/// The account's live sessions, newest first. Ended ones met on the way are cleared from both
/// stores (the key-value store has no expiry of its own); an account has at most
/// [`MAX_SESSIONS_PER_ACCOUNT`] rows, so this reads a bounded list.
pub fn live(host: &Host, account_id: &str, now: i64) -> ApiResult<Vec<Registered>> {
    let rows = host.sql.execute(
        &format!("SELECT {COLUMNS} FROM auth_sessions WHERE account_id = ? ORDER BY created_at_ms DESC, rowid DESC"),
        &[Value::from(account_id)],
    )?;
    let (live, ended): (Vec<Registered>, Vec<Registered>) =
        rows.iter().map(Registered::from_row).partition(|s| s.is_live(now));
    if !ended.is_empty() {
        let gone = host.sql.execute(
            "DELETE FROM auth_sessions WHERE account_id = ? AND expires_at <= ? RETURNING id",
            &[Value::from(account_id), Value::from(now)],
        )?;
        Ended::of(&gone, Some(account_id)).end(host)?;
    }
    Ok(live)
}

/// Live sessions of every account.
pub fn count_live(sql: &dyn Sql, now: i64) -> ApiResult<i64> {
    let rows =
        sql.execute("SELECT COUNT(*) AS n FROM auth_sessions WHERE expires_at > ?", &[Value::from(now)])?;
    Ok(rows.first().and_then(|r| r.i64("n")).unwrap_or(0))
}

/// Rotates the session's refresh token from `current.refresh_hash` to `new_hash`, extending the
/// session to `expires_at`: a compare-and-swap. `false` when the row no longer holds
/// `current.refresh_hash` (another presentation of the same token rotated it first, or the
/// session ended): SQLite runs the statement under its write lock, so of any number of
/// concurrent rotations of one token exactly one finds the old value and wins.
pub fn rotate(
    sql: &dyn Sql,
    current: &Registered,
    new_hash: &str,
    now_ms: i64,
    expires_at: i64,
) -> ApiResult<bool> {
    let rows = sql.execute(
        "UPDATE auth_sessions SET refresh_hash = ?, spent_hashes = ?, last_used_at_ms = ?, expires_at = ?
         WHERE id = ? AND account_id = ? AND refresh_hash = ? RETURNING id",
        &[
            Value::from(new_hash),
            Value::from(current.spent_after_rotation()),
            Value::from(now_ms),
            Value::from(expires_at),
            Value::from(&current.id),
            Value::from(&current.account_id),
            Value::from(&current.refresh_hash),
        ],
    )?;
    Ok(rows.len() == 1)
}

/// Writes a session's record after its row was written or rotated, or takes it back when the
/// session ended meanwhile (its row is gone): the second half of the write order above. `true`
/// when the session is still registered.
pub fn publish(host: &Host, record: &session::Session) -> ApiResult<bool> {
    session::save(host.kv, record)?;
    if find(host.sql, &record.account_id, &record.id)?.is_some() {
        return Ok(true);
    }
    session::delete(host.kv, &record.account_id, &record.id)?;
    Ok(false)
}

/// Ends one session: its row, then its record, so every token of it is refused everywhere.
pub fn revoke(host: &Host, account_id: &str, session_id: &str) -> ApiResult<()> {
    host.sql.execute(
        "DELETE FROM auth_sessions WHERE id = ? AND account_id = ?",
        &[Value::from(session_id), Value::from(account_id)],
    )?;
    session::delete(host.kv, account_id, session_id)?;
    Ok(())
}

/// Sessions taken out of the registry whose records are still to be deleted: the second half
/// of ending them, for after the transaction that removed the rows has committed ([`Ended::end`]).
#[must_use = "the sessions' records must be deleted once the registry's change has committed"]
#[derive(Debug, Default)]
pub struct Ended(Vec<(String, String)>);

impl Ended {
    fn of(rows: &folio_core::Rows, account_id: Option<&str>) -> Self {
        Ended(
            rows.iter()
                .map(|r| (account_id.map_or_else(|| r.string("account_id"), str::to_string), r.string("id")))
                .collect(),
        )
    }

    /// Deletes the records, so every token of these sessions is refused everywhere; how many.
    pub fn end(self, host: &Host) -> ApiResult<usize> {
        for (account_id, session_id) in &self.0 {
            session::delete(host.kv, account_id, session_id)?;
        }
        Ok(self.0.len())
    }

    fn and(mut self, other: Ended) -> Ended {
        self.0.extend(other.0);
        self
    }
}

/// Ends every session of an account but `keep` (disabled, role or password changed, deleted):
/// reads this account's rows only. A session registered after this sweep began is caught by its
/// own sign-in, which checks the account again after writing its record (`issue`).
pub fn revoke_all(host: &Host, account_id: &str, keep: Option<&str>) -> ApiResult<usize> {
    unregister_all(host.sql, account_id, keep)?.end(host)
}

/// The registry half of [`revoke_all`], for a change of the account that must end its sessions:
/// run it in the same transaction as that change ([`folio_core::sql::transaction`]), so that
/// both commit or neither does, then [`Ended::end`] the result. Two separate writes could not
/// promise that: another writer holding the lock past the busy budget between them would leave
/// the change made, answered `503`, and the sessions alive.
pub fn unregister_all(sql: &dyn Sql, account_id: &str, keep: Option<&str>) -> ApiResult<Ended> {
    let rows = sql.execute(
        "DELETE FROM auth_sessions WHERE account_id = ? AND id IS NOT ? RETURNING id",
        &[Value::from(account_id), Value::from(keep)],
    )?;
    Ok(Ended::of(&rows, Some(account_id)))
}

/// Registers a new session and keeps the stores bounded, in one transaction: ends the
/// account's sessions beyond the newest [`MAX_SESSIONS_PER_ACCOUNT`] (the new one counted), and
/// up to [`SWEEP_PER_SIGN_IN`] expired sessions of anyone (the key-value store has no expiry of
/// its own). One transaction, so a sign-in that answers `503` has registered nothing.
pub fn register_and_trim(sql: &dyn Sql, s: &Registered, now: i64) -> ApiResult<Ended> {
    folio_core::sql::transaction(sql, || {
        register(sql, s)?;
        let over_cap = sql.execute(
            "DELETE FROM auth_sessions WHERE id IN (
                 SELECT id FROM auth_sessions WHERE account_id = ?
                 ORDER BY created_at_ms DESC, rowid DESC LIMIT -1 OFFSET ?)
             RETURNING id",
            &[Value::from(&s.account_id), Value::from(MAX_SESSIONS_PER_ACCOUNT as i64)],
        )?;
        let expired = sql.execute(
            "DELETE FROM auth_sessions WHERE id IN (
                 SELECT id FROM auth_sessions WHERE expires_at <= ? LIMIT ?)
             RETURNING id, account_id",
            &[Value::from(now), Value::from(SWEEP_PER_SIGN_IN)],
        )?;
        Ok(Ended::of(&over_cap, Some(&s.account_id)).and(Ended::of(&expired, None)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registered(spent: usize) -> Registered {
        Registered {
            id: "s".into(),
            account_id: "a".into(),
            refresh_hash: digest::fingerprint(b"current"),
            spent: (0..spent).map(|i| digest::fingerprint(format!("old{i}").as_bytes())).collect(),
            requested_scope: None,
            created_at_ms: 0,
            last_used_at_ms: 0,
            expires_at: 100,
        }
    }

    #[test]
    fn tells_current_spent_and_unknown_tokens_apart() {
        let r = registered(3);
        assert_eq!(r.refresh_status(&digest::fingerprint(b"current")), RefreshStatus::Current);
        assert_eq!(r.refresh_status(&digest::fingerprint(b"old1")), RefreshStatus::Spent);
        assert_eq!(r.refresh_status(&digest::fingerprint(b"guess")), RefreshStatus::Unknown);
        assert!(r.is_live(99) && !r.is_live(100));
    }

    #[test]
    fn a_rotation_spends_the_current_token_and_keeps_the_newest_few() {
        let r = registered(MAX_SPENT_REFRESH);
        let spent = r.spent_after_rotation();
        let after: Vec<&str> = spent.split(' ').collect();
        assert_eq!(after.len(), MAX_SPENT_REFRESH);
        assert_eq!(after.last(), Some(&r.refresh_hash.as_str()), "the current token is spent last");
        assert!(!after.contains(&r.spent[0].as_str()), "the oldest is forgotten");
        assert_eq!(registered(0).spent_after_rotation(), registered(0).refresh_hash);
    }
}
