-- Sign-in attempts per address within the throttle's window (crates/folio-auth/src/limiter.rs).
-- An attempt is counted in one statement before its password is checked, so concurrent guesses
-- cannot all pass a count read before any of them was written. `k` is 8 bytes of the normalised
-- address's SHA-256, hex: the address itself is not stored. Rows older than the window are
-- deleted as attempts come in, so made-up addresses cost at most one window of rows.
CREATE TABLE login_attempts (
    k TEXT PRIMARY KEY,
    n INTEGER NOT NULL,
    since INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX login_attempts_since ON login_attempts (since);
