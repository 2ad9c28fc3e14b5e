-- A standby signing key: generated and published in the JWKS one rotation ahead of signing, so
-- that a verifier holding any JWKS fetched since the previous rotation already knows the key the
-- next rotation promotes (crates/folio-auth/src/keys.rs). 1 for the one standby key; NULL
-- otherwise. UNIQUE makes its generation race-safe, as `generated_slot` does for the signing key.
ALTER TABLE auth_signing_keys ADD COLUMN standby INTEGER CHECK (standby = 1);
CREATE UNIQUE INDEX auth_signing_keys_standby ON auth_signing_keys (standby);
