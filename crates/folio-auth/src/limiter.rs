//! Sign-in attempts per address, limited in SQLite: at most [`MAX_FAILURES`] wrong passwords
//! within [`WINDOW_SECS`]; then attempts get `429` with `Retry-After` until the window ends,
//! without a password check (so a locked account costs no hashing).
//!
//! **An attempt holds a slot while its password is checked.** A slot is taken only while
//! failures + attempts in flight < [`MAX_FAILURES`], in one `INSERT ... ON CONFLICT DO UPDATE
//! ... WHERE ... RETURNING` under SQLite's write lock, so twenty guesses sent at once get five
//! password checks, never more (a count read first and written after the ~40 ms Argon2 check let
//! every guess in flight through: 10-14 were checked per window instead of 5). An attempt that
//! finds the slots held by attempts still in flight (not by failures) waits for one, up to
//! [`SLOT_WAIT`]: sixteen sign-ins of one account at once with the right password all succeed,
//! a few tens of milliseconds later, instead of eleven of them being refused. A right password
//! gives its slot back and clears the failures; a wrong one turns its slot into a failure. The
//! table is the app's database, shared by every replica (libSQL when scaled out).
//!
//! Counting is per e-mail address, whether or not an account has it, so a locked-out answer
//! does not reveal that an address is registered. Only 8 bytes of the address's SHA-256 are
//! stored, and rows whose window has ended are deleted as attempts come in.

use std::cell::Cell;
use std::time::{Duration, Instant};

use folio_core::{ApiError, ApiResult, Host, Sql, Value};
use sha2::{Digest, Sha256};

pub const MAX_FAILURES: u32 = 5;
pub const WINDOW_SECS: i64 = 15 * 60;
/// The longest an attempt waits for a slot held by attempts in flight before it is refused.
pub const SLOT_WAIT: Duration = Duration::from_secs(5);
/// How often a waiting attempt looks again: about one Argon2 check.
const SLOT_POLL: Duration = Duration::from_millis(40);
/// Slots older than this are counted as given back (migrations/0012): a live attempt holds its
/// slot for one password check and a give-back write, seconds at most; one whose give-back
/// could not be written must not keep the slot for the rest of the window.
pub const SLOT_STALE_SECS: i64 = 30;

/// The address's key in the table: the first 8 bytes of the SHA-256 of the normalised address.
pub fn key(email_normalized: &str) -> String {
    hex::encode(&Sha256::digest(email_normalized.as_bytes())[..8])
}

/// The address as the sign-in event lines name it (`address_key`): enough to follow attempts on
/// one address through the log without the address. Keyed by the database's random identity
/// (folio_core::pairing), so that whoever holds only the log cannot test a list of addresses
/// against it, as they could an unkeyed hash.
pub fn log_key(host: &Host, email_normalized: &str) -> Option<String> {
    let id = folio_core::pairing::database_id(host).ok().flatten()?;
    let digest = Sha256::new().chain_update(id.as_bytes()).chain_update(b":").chain_update(email_normalized);
    Some(hex::encode(&digest.finalize()[..8]))
}

/// An attempt that holds a slot: say how it ended with [`Attempt::succeeded`] or
/// [`Attempt::failed`]. Dropped without either (an error before the password was judged), it
/// gives the slot back without counting a failure.
pub struct Attempt<'h> {
    host: &'h Host<'h>,
    key: String,
    open: Cell<bool>,
}

impl Attempt<'_> {
    /// The password was right: the slot is given back and the failures are forgotten.
    pub fn succeeded(self) -> ApiResult<()> {
        self.open.set(false);
        let k = Value::from(self.key.as_str());
        self.host.sql.execute(
            "UPDATE login_attempts SET failures = 0, pending = MAX(pending - 1, 0) WHERE k = ?",
            std::slice::from_ref(&k),
        )?;
        self.host
            .sql
            .execute("DELETE FROM login_attempts WHERE k = ? AND failures = 0 AND pending = 0", &[k])?;
        Ok(())
    }

    /// The password was wrong: the slot becomes a failure of the window.
    pub fn failed(self) -> ApiResult<()> {
        self.open.set(false);
        self.host.sql.execute(
            "UPDATE login_attempts SET failures = failures + 1, pending = MAX(pending - 1, 0) WHERE k = ?",
            &[Value::from(self.key.as_str())],
        )?;
        Ok(())
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        if self.open.get() {
            // Best effort: a slot that cannot be given back now ends with its window.
            let _ = self.host.sql.execute(
                "UPDATE login_attempts SET pending = MAX(pending - 1, 0) WHERE k = ?",
                &[Value::from(self.key.as_str())],
            );
        }
    }
}

/// Takes a slot for one attempt of the address, or answers `429`: at once when the window
/// already holds [`MAX_FAILURES`] failures, after [`SLOT_WAIT`] when attempts in flight keep the
/// slots. Call before checking the password.
pub fn reserve<'h>(host: &'h Host<'h>, email_normalized: &str) -> ApiResult<Attempt<'h>> {
    reserve_within(host, email_normalized, SLOT_WAIT)
}

/// [`reserve`] with another wait (tests use milliseconds).
pub fn reserve_within<'h>(
    host: &'h Host<'h>,
    email_normalized: &str,
    wait: Duration,
) -> ApiResult<Attempt<'h>> {
    let k = key(email_normalized);
    let give_up = folio_core::sql::gives_up_at(host.sql, wait);
    // Ended windows go first, once per attempt (not per look while waiting: that is a write each
    // time): the row of an address whose window ended starts again.
    let ended = host.clock.now_secs() - WINDOW_SECS;
    host.sql.execute("DELETE FROM login_attempts WHERE since <= ?", &[Value::from(ended)])?;
    loop {
        let now = host.clock.now_secs();
        // `pending` counts only while the latest reservation is recent ([`SLOT_STALE_SECS`]).
        let taken = host.sql.execute(
            "INSERT INTO login_attempts (k, failures, pending, since, pending_at) VALUES (?1, 0, 1, ?2, ?2) \
             ON CONFLICT (k) DO UPDATE \
               SET pending = (CASE WHEN pending_at > ?2 - ?4 THEN pending ELSE 0 END) + 1, pending_at = ?2 \
             WHERE failures + (CASE WHEN pending_at > ?2 - ?4 THEN pending ELSE 0 END) < ?3 RETURNING k",
            &[
                Value::from(k.as_str()),
                Value::from(now),
                Value::from(i64::from(MAX_FAILURES)),
                Value::from(SLOT_STALE_SECS),
            ],
        )?;
        if !taken.is_empty() {
            return Ok(Attempt { host, key: k, open: Cell::new(true) });
        }
        let rows = host
            .sql
            .execute("SELECT failures, since FROM login_attempts WHERE k = ?", &[Value::from(k.as_str())])?;
        let (failures, since) = rows
            .first()
            .map_or((0, now), |r| (r.i64("failures").unwrap_or(0), r.i64("since").unwrap_or(now)));
        let locked = failures >= i64::from(MAX_FAILURES);
        if locked || Instant::now() + SLOT_POLL > give_up {
            // The operator's trace of a lockout (or a crowd on one address): the address's key,
            // never the address.
            folio_core::log::emit(serde_json::json!({"level": "warn", "event": "sign_in_throttled",
                "address_key": log_key(host, email_normalized), "reason": if locked { "locked_out" } else { "slots_busy" },
                "failures": failures}));
            return Err(ApiError::TooManyRequests {
                retry_after_secs: if locked { (since + WINDOW_SECS - now).max(1) as u64 } else { 1 },
                detail: if locked {
                    "too many failed sign-in attempts for this account; try again later".into()
                } else {
                    "too many sign-in attempts for this account at once; try again in a moment".into()
                },
            });
        }
        std::thread::sleep(SLOT_POLL);
    }
}

/// Forgets the attempts of an address: an administrator set a new password.
pub fn clear(sql: &dyn Sql, email_normalized: &str) -> ApiResult<()> {
    sql.execute("DELETE FROM login_attempts WHERE k = ?", &[Value::from(key(email_normalized))])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use folio_native::TestApp;
    use std::sync::Arc;

    fn rows(app: &TestApp) -> i64 {
        app.with_host(|h| {
            folio_core::migrate::ensure(h.sql).unwrap();
            let rows = h.sql.execute("SELECT COUNT(*) AS c FROM login_attempts", &[]).unwrap();
            rows.first().unwrap().i64("c").unwrap()
        })
    }

    fn refused(r: ApiResult<Attempt<'_>>) -> Option<u64> {
        match r {
            Ok(_) => None,
            Err(ApiError::TooManyRequests { retry_after_secs, .. }) => Some(retry_after_secs),
            Err(other) => panic!("{other:?}"),
        }
    }

    #[test]
    fn five_failures_lock_the_address_until_the_window_ends() {
        let app = TestApp::new();
        app.with_host(|h| {
            folio_core::migrate::ensure(h.sql).unwrap();
            for _ in 0..MAX_FAILURES {
                reserve(h, "a@example.com").unwrap().failed().unwrap();
            }
            assert_eq!(refused(reserve(h, "a@example.com")), Some(WINDOW_SECS as u64));
            assert_eq!(refused(reserve(h, "b@example.com")), None, "per address");
        });
        app.clock.advance_secs(WINDOW_SECS - 1);
        app.with_host(|h| assert_eq!(refused(reserve(h, "a@example.com")), Some(1)));
        app.clock.advance_secs(1);
        app.with_host(|h| assert_eq!(refused(reserve(h, "a@example.com")), None, "a new window"));
    }

    #[test]
    fn success_forgets_failures_and_ended_windows_are_deleted() {
        let app = TestApp::new();
        app.with_host(|h| {
            folio_core::migrate::ensure(h.sql).unwrap();
            for _ in 0..MAX_FAILURES - 1 {
                reserve(h, "a@example.com").unwrap().failed().unwrap();
            }
            reserve(h, "a@example.com").unwrap().succeeded().unwrap();
            for _ in 0..MAX_FAILURES - 1 {
                reserve(h, "a@example.com").unwrap().failed().unwrap();
            }
            assert_eq!(refused(reserve(h, "a@example.com")), None, "the count started again");
            for i in 0..50 {
                reserve(h, &format!("made-up-{i}@example.com")).unwrap().failed().unwrap();
            }
            // A slot given back without a verdict (an error before the check) counts nothing.
            drop(reserve(h, "c@example.com").unwrap());
        });
        assert_eq!(rows(&app), 52, "a's row and the made-up ones; c's is empty but kept");
        app.clock.advance_secs(WINDOW_SECS);
        app.with_host(|h| reserve(h, "d@example.com").unwrap().succeeded().unwrap());
        assert_eq!(rows(&app), 0, "rows of ended windows are gone, and a success leaves none");
        app.with_host(|h| {
            reserve(h, "e@example.com").unwrap().failed().unwrap();
            let rows = h.sql.execute("SELECT k FROM login_attempts", &[]).unwrap();
            assert!(!rows.first().unwrap().text("k").unwrap().contains("example"), "no address stored");
        });
    }

    /// `n` attempts at once for one address, each held `hold` while "checking", then resolved.
    fn at_once(app: &Arc<TestApp>, n: usize, right: bool, wait: Duration) -> (usize, usize) {
        app.with_host(|h| folio_core::migrate::ensure(h.sql).unwrap());
        // Released together, and each check held long enough that they overlap however the
        // threads are scheduled (a loaded machine ran them one after another).
        let start = Arc::new(std::sync::Barrier::new(n));
        let outcomes: Vec<bool> = (0..n)
            .map(|_| {
                let (app, start) = (app.clone(), start.clone());
                std::thread::spawn(move || {
                    start.wait();
                    app.with_host(|h| match reserve_within(h, "v@example.com", wait) {
                        Ok(attempt) => {
                            std::thread::sleep(Duration::from_millis(100));
                            if right { attempt.succeeded() } else { attempt.failed() }.unwrap();
                            true
                        }
                        Err(ApiError::TooManyRequests { .. }) => false,
                        Err(other) => panic!("{other:?}"),
                    })
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|t| t.join().unwrap())
            .collect();
        let checked = outcomes.iter().filter(|c| **c).count();
        (checked, n - checked)
    }

    /// Slots whose give-back could not be written (the lock held past the busy budget) are
    /// not kept for the rest of the window: the right password works again half a minute on.
    #[test]
    fn slots_never_given_back_are_counted_as_given_back_after_half_a_minute() {
        let app = TestApp::new();
        app.with_host(|h| {
            folio_core::migrate::ensure(h.sql).unwrap();
            for _ in 0..MAX_FAILURES {
                std::mem::forget(reserve(h, "a@example.com").unwrap());
            }
            assert_eq!(refused(reserve_within(h, "a@example.com", Duration::ZERO)), Some(1));
        });
        app.clock.advance_secs(SLOT_STALE_SECS - 1);
        app.with_host(|h| assert_eq!(refused(reserve_within(h, "a@example.com", Duration::ZERO)), Some(1)));
        app.clock.advance_secs(1);
        app.with_host(|h| {
            reserve(h, "a@example.com").unwrap().succeeded().unwrap();
            // Failures are not slots: they still count for the whole window.
            for _ in 0..MAX_FAILURES {
                reserve(h, "b@example.com").unwrap().failed().unwrap();
            }
        });
        app.clock.advance_secs(SLOT_STALE_SECS);
        app.with_host(|h| assert!(refused(reserve(h, "b@example.com")).is_some()));
    }

    #[test]
    fn parallel_guesses_get_five_checks_in_all() {
        let app = Arc::new(TestApp::new());
        assert_eq!(at_once(&app, 20, false, Duration::from_secs(5)), (MAX_FAILURES as usize, 15));
    }

    #[test]
    fn parallel_sign_ins_with_the_right_password_wait_for_a_slot_and_all_pass() {
        let app = Arc::new(TestApp::new());
        assert_eq!(at_once(&app, 16, true, Duration::from_secs(5)), (16, 0));
        // With no time to wait, the ones beyond the slots are refused, briefly (Retry-After 1).
        let app = Arc::new(TestApp::new());
        let (checked, refused) = at_once(&app, 16, true, Duration::ZERO);
        assert!(checked >= MAX_FAILURES as usize && refused > 0, "{checked} {refused}");
    }
}
