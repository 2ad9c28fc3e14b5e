-- The longest access-token lifetime (`access_token_ttl_seconds`) a signing key has signed with.
-- A retired key stays in the JWKS until the last token it signed has expired: its retirement plus
-- this lifetime (and the leeway), not the lifetime in force at retirement, which an operator may
-- have shortened while the key's longer-lived tokens still circulate. NULL for a key that has
-- not signed since this column came (its retirement then falls back to the lifetime in force).
ALTER TABLE auth_signing_keys ADD COLUMN signed_ttl_secs INTEGER CHECK (signed_ttl_secs > 0);
