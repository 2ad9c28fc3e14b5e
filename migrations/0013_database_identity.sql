-- A random identity for this database, made once (crates/folio-core/src/pairing.rs). The
-- key-value store records the identity of the database whose state it holds (sessions, the
-- catalogue's data version, cached books, pages and reports); a key-value store paired with
-- another database (two deployments on one Redis database, or this database replaced while the
-- store was kept) is then found and named by health and by sign-in, instead of serving the other
-- database's sessions and cached books.
CREATE TABLE database_identity (
    id TEXT PRIMARY KEY NOT NULL,
    created_at TEXT NOT NULL
);
INSERT INTO database_identity (id, created_at)
VALUES (lower(hex(randomblob(16))), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
