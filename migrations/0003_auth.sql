-- Token signing keys (the auth component). Public keys stay here after a key stops signing, so
-- the JWKS keeps publishing them until the last token they signed has expired.

CREATE TABLE auth_signing_keys (
    -- RFC 7638 JWK thumbprint (SHA-256, base64url): the `kid` of the tokens the key signs.
    kid            TEXT PRIMARY KEY NOT NULL,
    -- Raw 32-byte Ed25519 public key, base64url.
    public_key     TEXT NOT NULL,
    -- The 32-byte seed, base64url, only for a key the app generated itself (no secret variable
    -- configured). A key from the `signing_key` variable is never written here.
    private_seed   TEXT,
    -- 1 for the generated key in use; NULL otherwise. UNIQUE makes key generation race-safe:
    -- two first requests both INSERT OR IGNORE, one row wins, both then read the winner.
    generated_slot INTEGER UNIQUE CHECK (generated_slot = 1),
    source         TEXT NOT NULL CHECK (source IN ('generated', 'configured')),
    created_at     INTEGER NOT NULL,
    -- When the key stopped signing (seconds since the epoch); NULL while it signs.
    retired_at     INTEGER
);
