-- The list cursors' MAC key (crates/folio-books/src/cursor.rs), made with the schema instead of by
-- the first list page that needs one. Made lazily, that page had to write, and a page asked for
-- while a generator run held the write lock waited out the busy budget and answered 503, where
-- every other read goes on beside a writer. SQLite's randomblob() draws from its ChaCha20
-- generator, seeded from the operating system's randomness (libSQL's server likewise). An
-- install that already made its key keeps it: cursors handed out before stay valid.
INSERT OR IGNORE INTO books_secrets (name, value) VALUES ('cursor-mac-key', randomblob(32));
