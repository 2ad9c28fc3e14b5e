//! The sessions the token service manages: one registry row per session in SQLite
//! (`auth_sessions`, migrations/0008) beside the record every token check reads in the key-value
//! store (`folio_tokens::session`).
//!
//! Why SQLite for the registry: the key-value store has no transactions, and Spin's atomics do
//! not close the gap on every store (docs/auth.md, "Refresh tokens"). In SQLite one conditional
//! `UPDATE` rotates a refresh token atomically, on Spin's local database and on libSQL alike,
//! and an index finds an account's sessions without listing the key-value store.
//!
//! **The two stores change together.** A record is written or deleted inside the SQLite write
//! transaction that rotates or deletes its row (and, for a change of the account, changes the
//! account), before that transaction commits; a new session's record is written just before the
//! transaction that registers its row, and deleted again if that fails ([`start`]). So a failure
//! of either store rolls the registry and the account back: an answer that is an error has
//! changed nothing a client relies on, and its retry does it all. Holding the write lock, no
//! other request changes the row in between. What a failure between a record's write and the
//! commit can leave is harmless: a record deleted while its row stays (the session's access
//! tokens are refused; its refresh token still works and writes a new record), or a record
//! written for tokens that were never handed out.

use folio_core::{ApiResult, Host, Row, Rows, Sql, Value};
use folio_tokens::{digest, session};

/// Live sessions per account; signing in once more ends the oldest. Generous, because scripts
/// and test suites sign in often; it exists to bound the stores, not to limit people.
pub const MAX_SESSIONS_PER_ACCOUNT: usize = 100;
/// Spent refresh-token fingerprints remembered per session, to recognise reuse: a refresh token
/// older than this many rotations is refused without ending its session. 256 rotations are
/// 64 hours of use at the default 15-minute access token (32 were 8 hours: an attacker audit
/// replayed a token stolen a day earlier and the session lived on).
pub const MAX_SPENT_REFRESH: usize = 256;
/// How much of a spent fingerprint is kept (base64url characters: 96 bits), so that 256 of them
/// keep the row a refresh rewrites at about 4 KiB. A stranger cannot aim at them (they never
/// leave the server), and a token matching one by chance, one in 2^88, would only end its session.
const SPENT_FINGERPRINT_CHARS: usize = 16;

/// The part of a fingerprint a spent list keeps (the whole of a shorter one).
fn spent_part(fingerprint: &str) -> &str {
    fingerprint.get(..SPENT_FINGERPRINT_CHARS).unwrap_or(fingerprint)
}
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
        } else if digest::any_same(spent_part(fingerprint), self.spent.iter().map(|s| spent_part(s))) {
            RefreshStatus::Spent
        } else {
            RefreshStatus::Unknown
        }
    }

    /// The spent list after the current token is spent: the newest [`MAX_SPENT_REFRESH`].
    fn spent_after_rotation(&self) -> String {
        let mut spent: Vec<&str> = self.spent.iter().map(|s| spent_part(s)).collect();
        spent.push(spent_part(&self.refresh_hash));
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
        end_records(host, &gone, Some(account_id))?;
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
fn rotate(
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

/// Rotates the session's refresh token (a compare-and-swap: `false` when another presentation
/// rotated it first or the session ended, and nothing is written) and writes the session's
/// record, built by `record` from the stored one (`None` when there is none), in one transaction.
pub fn rotate_and_publish(
    host: &Host,
    current: &Registered,
    new_hash: &str,
    now_ms: i64,
    expires_at: i64,
    record: impl FnOnce(Option<session::Session>) -> session::Session,
) -> ApiResult<bool> {
    folio_core::sql::transaction(host.sql, || {
        if !rotate(host.sql, current, new_hash, now_ms, expires_at)? {
            return Ok(false);
        }
        let stored = session::load(host.kv, &current.account_id, &current.id)?;
        session::save(host.kv, &record(stored))?;
        Ok(true)
    })
}

/// Ends one session: its row and its record, in one transaction, so every token of it is
/// refused everywhere (or, on failure, nothing changed and the client may retry).
pub fn revoke(host: &Host, account_id: &str, session_id: &str) -> ApiResult<()> {
    folio_core::sql::transaction(host.sql, || {
        host.sql.execute(
            "DELETE FROM auth_sessions WHERE id = ? AND account_id = ?",
            &[Value::from(session_id), Value::from(account_id)],
        )?;
        session::delete(host.kv, account_id, session_id)?;
        Ok(())
    })
}

/// Ends every session of an account but `keep`, rows then records, inside the caller's write
/// transaction: the one that makes the change calling for it (a new password, disabling, a new
/// role, deleting), so that the change and the end of the sessions commit together or not at
/// all. Two separate writes could not promise that: a `503` between them (the database locked
/// past the busy budget, the key-value store failing) left the change made and the sessions
/// alive. Reads this account's rows only.
pub fn end_all(host: &Host, account_id: &str, keep: Option<&str>) -> ApiResult<usize> {
    let rows = host.sql.execute(
        "DELETE FROM auth_sessions WHERE account_id = ? AND id IS NOT ? RETURNING id",
        &[Value::from(account_id), Value::from(keep)],
    )?;
    end_records(host, &rows, Some(account_id))?;
    Ok(rows.len())
}

/// Starts a session: writes its record, then in one transaction registers its row and runs
/// `still` (the sign-in's last check of the account, under the write lock, so no change of the
/// account can commit after it). When the transaction fails the record is deleted again: a
/// sign-in that fails has registered nothing. Then, as housekeeping that the sign-in's answer
/// does not wait on, [`trim`].
///
/// Why the record first, outside the transaction, and the trimming after it: sign-ins come in
/// bursts (every client, every test suite), and whatever the transaction does holds the
/// database's write lock that every other writer then waits out (measured: a key-value write
/// inside cost a tenth of the sign-ins per second at 16 at once; docs/benchmarks.md). A record
/// whose row is not there yet vouches for a token nobody holds yet; one left behind by a failed
/// delete vouches for a token nobody ever gets.
pub fn start(
    host: &Host,
    s: &Registered,
    record: &session::Session,
    now: i64,
    still: impl FnOnce() -> ApiResult<()>,
) -> ApiResult<()> {
    session::save(host.kv, record)?;
    let registered = folio_core::sql::transaction(host.sql, || {
        register(host.sql, s)?;
        still()
    });
    if registered.is_err() {
        let _ = session::delete(host.kv, &s.account_id, &s.id);
        return registered;
    }
    if let Err(e) = trim(host, &s.account_id, now) {
        // The stores stay bounded by the next sign-in's trim; this one is answered.
        folio_core::log::warn("sessions_not_trimmed", &e);
    }
    Ok(())
}

/// Keeps the stores bounded, after a sign-in: ends the account's sessions beyond the newest
/// [`MAX_SESSIONS_PER_ACCOUNT`] and up to [`SWEEP_PER_SIGN_IN`] expired sessions of anyone (the
/// key-value store has no expiry of its own): one statement for the rows, then the records.
/// Not a transaction: an expired session's record refuses its tokens anyway, and one over the
/// cap whose record could not be deleted loses its refresh token now and its access token when
/// that expires.
fn trim(host: &Host, account_id: &str, now: i64) -> ApiResult<()> {
    let ended = host.sql.execute(
        "DELETE FROM auth_sessions WHERE id IN (
             SELECT id FROM (SELECT id FROM auth_sessions WHERE account_id = ?
                             ORDER BY created_at_ms DESC, rowid DESC LIMIT -1 OFFSET ?)
             UNION SELECT id FROM (SELECT id FROM auth_sessions WHERE expires_at <= ? LIMIT ?))
         RETURNING id, account_id",
        &[
            Value::from(account_id),
            Value::from(MAX_SESSIONS_PER_ACCOUNT as i64),
            Value::from(now),
            Value::from(SWEEP_PER_SIGN_IN),
        ],
    )?;
    end_records(host, &ended, None)
}

/// Deletes the records of the sessions whose rows a `DELETE ... RETURNING id` gave back: of
/// `account_id`'s sessions, or, when the rows are anyone's, of the `account_id` each row names.
fn end_records(host: &Host, rows: &Rows, account_id: Option<&str>) -> ApiResult<()> {
    for row in rows.iter() {
        let owner = account_id.map_or_else(|| row.string("account_id"), str::to_string);
        session::delete(host.kv, &owner, &row.string("id"))?;
    }
    Ok(())
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
        assert_eq!(after.last(), Some(&spent_part(&r.refresh_hash)), "the current token is spent last");
        assert!(!after.contains(&spent_part(&r.spent[0])), "the oldest is forgotten");
        assert_eq!(registered(0).spent_after_rotation(), spent_part(&registered(0).refresh_hash));
        assert!(spent.len() <= MAX_SPENT_REFRESH * (SPENT_FINGERPRINT_CHARS + 1), "the row stays small");
        // Entries kept whole by an older build still count.
        let mut whole = registered(0);
        whole.spent = vec![digest::fingerprint(b"from before")];
        assert_eq!(whole.refresh_status(&digest::fingerprint(b"from before")), RefreshStatus::Spent);
    }
}
