//! Sign-in attempts per address, limited in SQLite: at most [`MAX_FAILURES`] attempts that did
//! not succeed within [`WINDOW_SECS`]; beyond them, attempts get `429` with `Retry-After` until
//! the window ends, without a password check (so a locked account costs no hashing).
//!
//! An attempt is **reserved before its password is checked**: one `INSERT ... ON CONFLICT DO
//! UPDATE ... RETURNING` counts it and answers the count, under SQLite's write lock, so twenty
//! guesses sent at once are twenty attempts (a count read first and written after the ~40 ms
//! Argon2 check let every guess in flight through: 10-14 checked per window instead of 5). A
//! success deletes the address's row; a failure leaves its attempt counted. The table is shared
//! by every replica (libSQL when scaled out), so the limit holds across them too.
//!
//! Counting is per e-mail address, whether or not an account has it, so a locked-out answer
//! does not reveal that an address is registered. Only 8 bytes of the address's SHA-256 are
//! stored, and rows whose window has ended are deleted as attempts come in.

use folio_core::{ApiError, ApiResult, Host, Value};
use sha2::{Digest, Sha256};

pub const MAX_FAILURES: u32 = 5;
pub const WINDOW_SECS: i64 = 15 * 60;

fn key(email_normalized: &str) -> String {
    hex::encode(&Sha256::digest(email_normalized.as_bytes())[..8])
}

/// Counts one attempt for the address, or answers `429` when the window already holds
/// [`MAX_FAILURES`] attempts that did not succeed. Call before checking the password; call
/// [`clear`] when it was right.
pub fn reserve(host: &Host, email_normalized: &str) -> ApiResult<()> {
    let now = host.clock.now_secs();
    // Ended windows go first: the row of an address whose window ended starts again at 1.
    host.sql.execute("DELETE FROM login_attempts WHERE since <= ?", &[Value::from(now - WINDOW_SECS)])?;
    let rows = host.sql.execute(
        "INSERT INTO login_attempts (k, n, since) VALUES (?1, 1, ?2) \
         ON CONFLICT (k) DO UPDATE SET n = n + 1 RETURNING n, since",
        &[Value::from(key(email_normalized)), Value::from(now)],
    )?;
    let row = rows.first().ok_or_else(|| ApiError::Internal("login_attempts: no row returned".into()))?;
    let (n, since) = (row.i64("n").unwrap_or(0), row.i64("since").unwrap_or(now));
    if n > i64::from(MAX_FAILURES) {
        return Err(ApiError::TooManyRequests {
            retry_after_secs: (since + WINDOW_SECS - now).max(1) as u64,
            detail: "too many failed sign-in attempts for this account; try again later".into(),
        });
    }
    Ok(())
}

/// Forgets the attempts of an address: its password was right, or an administrator set a new one.
pub fn clear(host: &Host, email_normalized: &str) -> ApiResult<()> {
    host.sql.execute("DELETE FROM login_attempts WHERE k = ?", &[Value::from(key(email_normalized))])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use folio_native::TestApp;

    fn attempts(app: &TestApp) -> i64 {
        app.with_host(|h| {
            folio_core::migrate::ensure(h.sql).unwrap();
            let rows = h.sql.execute("SELECT COUNT(*) AS c FROM login_attempts", &[]).unwrap();
            rows.first().unwrap().i64("c").unwrap()
        })
    }

    fn locked(h: &Host, email: &str) -> Option<u64> {
        match reserve(h, email) {
            Ok(()) => None,
            Err(ApiError::TooManyRequests { retry_after_secs, .. }) => Some(retry_after_secs),
            Err(other) => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_sixth_attempt_in_a_window_is_refused_until_it_ends() {
        let app = TestApp::new();
        app.with_host(|h| {
            folio_core::migrate::ensure(h.sql).unwrap();
            for _ in 0..MAX_FAILURES {
                assert_eq!(locked(h, "a@example.com"), None);
            }
            assert_eq!(locked(h, "a@example.com"), Some(WINDOW_SECS as u64));
            assert_eq!(locked(h, "b@example.com"), None, "per address");
        });
        app.clock.advance_secs(WINDOW_SECS - 1);
        app.with_host(|h| assert_eq!(locked(h, "a@example.com"), Some(1)));
        app.clock.advance_secs(1);
        app.with_host(|h| assert_eq!(locked(h, "a@example.com"), None, "a new window"));
    }

    #[test]
    fn success_clears_and_ended_windows_are_deleted() {
        let app = TestApp::new();
        app.with_host(|h| {
            folio_core::migrate::ensure(h.sql).unwrap();
            for _ in 0..MAX_FAILURES {
                reserve(h, "a@example.com").unwrap();
            }
            clear(h, "a@example.com").unwrap();
            assert_eq!(locked(h, "a@example.com"), None);
            for i in 0..50 {
                reserve(h, &format!("made-up-{i}@example.com")).unwrap();
            }
        });
        assert_eq!(attempts(&app), 51);
        app.clock.advance_secs(WINDOW_SECS);
        app.with_host(|h| reserve(h, "c@example.com").unwrap());
        assert_eq!(attempts(&app), 1, "rows of ended windows are gone");
        // The address itself is never stored.
        app.with_host(|h| {
            let rows = h.sql.execute("SELECT k FROM login_attempts", &[]).unwrap();
            assert!(!rows.first().unwrap().text("k").unwrap().contains("example"));
        });
    }

    #[test]
    fn concurrent_attempts_are_each_counted() {
        let app = std::sync::Arc::new(TestApp::new());
        app.with_host(|h| folio_core::migrate::ensure(h.sql).unwrap());
        let admitted: usize = (0..20)
            .map(|_| {
                let app = app.clone();
                std::thread::spawn(move || app.with_host(|h| locked(h, "v@example.com").is_none()))
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|t| usize::from(t.join().unwrap()))
            .sum();
        assert_eq!(admitted, MAX_FAILURES as usize);
    }
}
