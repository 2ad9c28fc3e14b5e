-- The token service's registry of sessions. The key-value store keeps what every token check
-- reads (`auth:session:{account}:{session}`: the expiry and the fingerprints of the access tokens
-- the session vouches for); this table keeps what only the token service needs, where SQLite
-- makes it atomic and finds it by account (docs/auth.md, "Sessions"):
--   * the current refresh-token fingerprint, rotated by one conditional UPDATE (a compare-and-
--     swap): of N concurrent presentations of one refresh token exactly one wins;
--   * the spent fingerprints, to recognise a reused refresh token;
--   * the account's sessions, by index: ending them all reads this account's rows, never a
--     listing of the whole key-value store.
-- A row is deleted before its key-value record whenever a session ends, so the row is what
-- decides whether a session exists.

CREATE TABLE auth_sessions (
    id              TEXT PRIMARY KEY NOT NULL,
    account_id      TEXT NOT NULL,
    -- SHA-256 of the one refresh token that may be used next, base64url.
    refresh_hash    TEXT NOT NULL,
    -- Up to 32 earlier refresh-token fingerprints, space-separated, oldest first.
    spent_hashes    TEXT NOT NULL DEFAULT '',
    -- Scopes asked for at sign-in (space-separated) when narrower than the role's.
    requested_scope TEXT,
    created_at_ms   INTEGER NOT NULL,
    -- When the session last issued tokens (sign-in or refresh).
    last_used_at_ms INTEGER NOT NULL,
    -- Seconds since the epoch when the current refresh token, and so the session, expires.
    expires_at      INTEGER NOT NULL
);
-- An account's sessions, newest first (rowid, which the index carries, orders sessions started in
-- the same millisecond): listing, the per-account cap, ending them all.
CREATE INDEX auth_sessions_account ON auth_sessions (account_id, created_at_ms);
-- Ended sessions, swept a few at a time by each sign-in.
CREATE INDEX auth_sessions_expiry ON auth_sessions (expires_at);
