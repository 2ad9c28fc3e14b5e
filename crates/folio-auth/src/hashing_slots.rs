//! At most [`SLOTS`] password hashes at once in the whole deployment (migrations/0014).
//!
//! Every sign-up, sign-in (of a real address or a made-up one: the same work either way),
//! password change, reset and account deletion runs Argon2id, which holds 19 MiB and about 40 ms
//! of a core. Nothing else bounded how many ran at once, so a crowd of them took a Spin process
//! to 430 MiB (48 at once) and slowed every other request on the machine. A request now takes
//! one of the slots in SQLite (shared by every replica) for its hashing and gives it back after:
//! the others wait their turn, polling, up to [`WAIT`], and are then told to retry (`503` with
//! `Retry-After`). Four slots keep two cores busy with hashing while reads still get through;
//! the sign-in throttle of each address ([`crate::limiter`]) is taken first, so a locked address
//! costs no slot.
//!
//! A slot is a row with a random holder token: taking one is one `UPDATE ... RETURNING` under
//! SQLite's write lock, giving it back clears the holder only if it is still this request's. A
//! holder that died before giving its slot back (the instance was stopped, the write failed)
//! loses it after [`STALE_SECS`].

use std::time::{Duration, Instant};

use folio_core::{ApiError, ApiResult, Host, Value};

/// Hashes at once, deployment-wide (the rows migration 14 made).
pub const SLOTS: usize = 4;
/// The longest a request waits for a slot.
pub const WAIT: Duration = Duration::from_secs(5);
/// How often a waiting request looks again: about one hash.
const POLL: Duration = Duration::from_millis(40);
/// A slot held this long counts as free: a hash takes well under a second even on a busy
/// machine, and a restart must not leave slots taken for long (they are shared by replicas).
pub const STALE_SECS: i64 = 10;

/// A slot held for one request's hashing; given back when dropped.
pub struct Permit<'h> {
    host: &'h Host<'h>,
    slot: i64,
    holder: String,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        // Best effort: a slot that cannot be given back now is free after STALE_SECS.
        let _ = self.host.sql.execute(
            "UPDATE password_work_slots SET holder = NULL WHERE slot = ? AND holder = ?",
            &[Value::from(self.slot), Value::from(self.holder.as_str())],
        );
    }
}

/// Runs `work` (the hashing) holding a slot; `503` with `Retry-After` when none came free
/// within [`WAIT`].
pub fn with_slot<T>(host: &Host, work: impl FnOnce() -> T) -> ApiResult<T> {
    with_slot_within(host, WAIT, work)
}

/// [`with_slot`] with another wait (tests use milliseconds).
pub fn with_slot_within<T>(host: &Host, wait: Duration, work: impl FnOnce() -> T) -> ApiResult<T> {
    let permit = take(host, wait)?;
    let out = work();
    drop(permit);
    Ok(out)
}

fn take<'h>(host: &'h Host<'h>, wait: Duration) -> ApiResult<Permit<'h>> {
    let holder = host.new_id();
    let give_up = folio_core::sql::gives_up_at(host.sql, wait);
    loop {
        let now = host.clock.now_secs();
        // Look before taking: a look is a read, which WAL serves beside a writer, while a take
        // is a write that queues for the lock; a crowd of waiters must not keep it busy.
        let free = host.sql.execute(
            "SELECT 1 FROM password_work_slots WHERE holder IS NULL OR taken_at <= ?1 - ?2 LIMIT 1",
            &[Value::from(now), Value::from(STALE_SECS)],
        )?;
        if !free.is_empty() {
            let taken = host.sql.execute(
                "UPDATE password_work_slots SET holder = ?1, taken_at = ?2 WHERE slot = (
                     SELECT slot FROM password_work_slots WHERE holder IS NULL OR taken_at <= ?2 - ?3
                     ORDER BY slot LIMIT 1)
                 RETURNING slot",
                &[Value::from(holder.as_str()), Value::from(now), Value::from(STALE_SECS)],
            )?;
            if let Some(slot) = taken.first().and_then(|r| r.i64("slot")) {
                return Ok(Permit { host, slot, holder });
            }
        }
        if Instant::now() + POLL > give_up {
            return Err(ApiError::Unavailable(
                "too many passwords are being checked at once; retry in a moment".into(),
            ));
        }
        std::thread::sleep(POLL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use folio_native::TestApp;

    fn migrated(app: &TestApp) {
        app.with_host(|h| folio_core::migrate::ensure(h.sql).unwrap());
    }

    #[test]
    fn four_hashes_at_once_then_the_fifth_waits_and_is_told_to_retry() {
        let app = TestApp::new();
        migrated(&app);
        app.with_host(|h| {
            let held: Vec<_> = (0..SLOTS).map(|_| take(h, Duration::ZERO).unwrap()).collect();
            let started = Instant::now();
            match take(h, Duration::from_millis(120)) {
                Err(ApiError::Unavailable(m)) => assert!(m.contains("retry"), "{m}"),
                Err(other) => panic!("{other:?}"),
                Ok(_) => panic!("a fifth slot"),
            }
            assert!(started.elapsed() >= Duration::from_millis(40), "it waited its turn");
            drop(held);
            // Given back: all four are free again.
            let again: Vec<_> = (0..SLOTS).map(|_| take(h, Duration::ZERO).unwrap()).collect();
            assert_eq!(again.len(), SLOTS);
        });
    }

    #[test]
    fn a_slot_its_holder_never_gave_back_is_free_after_ten_seconds() {
        let app = TestApp::new();
        migrated(&app);
        app.with_host(|h| {
            for _ in 0..SLOTS {
                // The holder died: nothing gives the slot back.
                std::mem::forget(take(h, Duration::ZERO).unwrap());
            }
            assert!(take(h, Duration::ZERO).is_err());
        });
        app.clock.advance_secs(STALE_SECS);
        app.with_host(|h| assert!(take(h, Duration::ZERO).is_ok()));
    }

    #[test]
    fn a_waiting_request_gets_the_slot_given_back_meanwhile() {
        let app = std::sync::Arc::new(TestApp::new());
        migrated(&app);
        let (tx, rx) = std::sync::mpsc::channel();
        let holder = {
            let app = app.clone();
            std::thread::spawn(move || {
                app.with_host(|h| {
                    let held: Vec<_> = (0..SLOTS).map(|_| take(h, Duration::ZERO).unwrap()).collect();
                    tx.send(()).unwrap();
                    std::thread::sleep(Duration::from_millis(150));
                    drop(held);
                })
            })
        };
        rx.recv().unwrap();
        let out = app.with_host(|h| with_slot_within(h, Duration::from_secs(3), || 42));
        assert_eq!(out.unwrap(), 42);
        holder.join().unwrap();
    }
}
