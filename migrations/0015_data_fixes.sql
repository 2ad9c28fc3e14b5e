-- Fixes of stored data that SQL alone cannot compute, each applied once by the app's own code and
-- recorded here by name (crates/folio-auth/src/accounts.rs, `rekey_addresses`: every account's
-- e-mail key recomputed by the current normalisation, so that no account stays findable only
-- under a key of an older rule, which a newcomer's address could then shadow).
CREATE TABLE data_fixes (
    name TEXT PRIMARY KEY NOT NULL,
    applied_at TEXT NOT NULL
);
