-- When the latest sign-in attempt of an address took its slot (crates/folio-auth/src/limiter.rs).
-- An attempt gives its slot back with a second write after the password check; when that write
-- cannot be made (another writer held SQLite's lock past the busy budget, or the instance was
-- stopped), the slot stayed taken until the row's 15-minute window ended, and five such slots
-- refused the right password. A live attempt holds its slot for seconds at most, so slots of an
-- address whose latest reservation is older than half a minute are counted as given back.
-- Existing rows start at 0: their slots count as old.
ALTER TABLE login_attempts ADD COLUMN pending_at INTEGER NOT NULL DEFAULT 0;
