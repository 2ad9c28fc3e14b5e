-- Account self-service and signing-key rotation (docs/auth.md).

-- The profile a person keeps themselves (title, names, mobile number, postal address), as the
-- JSON object GET /api/auth/me returns; NULL while nothing is set. Written only after
-- validation (crates/folio-auth/src/profile.rs), so it never holds what the API would refuse.
ALTER TABLE accounts ADD COLUMN profile TEXT;

-- Until when (seconds since the epoch) the JWKS publishes a retired key: its retirement plus the
-- access-token lifetime in force then, plus the leeway, i.e. the expiry of the last token it can
-- have signed. Stored, so that a lifetime changed later neither drops a key while its tokens
-- live nor keeps it longer. NULL for keys retired before this column: the current lifetime.
ALTER TABLE auth_signing_keys ADD COLUMN publish_until INTEGER;
