-- Sign-in attempts per address within the throttle's window (crates/folio-auth/src/limiter.rs).
-- `failures` counts wrong passwords in the window; `pending` the attempts whose password is being
-- checked now. An attempt takes a slot only while failures + pending < 5, in one statement, so
-- guesses sent in parallel cannot all pass a count read before any of them was written; a right
-- password gives its slot back and clears the failures. `k` is 8 bytes of the normalised
-- address's SHA-256, hex: the address itself is not stored. Rows older than the window are
-- deleted as attempts come in, so made-up addresses cost at most one window of rows.
CREATE TABLE login_attempts (
    k TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    pending INTEGER NOT NULL,
    since INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX login_attempts_since ON login_attempts (since);
