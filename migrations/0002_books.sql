-- Books: full-text search over title, author and description, the cursor key, and the indexes
-- that let every list filter combine with every sort without sorting or scanning.

-- External-content FTS5 index: the text stays in `books` only; the index maps words to the
-- books' rowids. Triggers keep it in step with every INSERT, UPDATE and DELETE on books,
-- whoever runs them (the routes, the generator's bulk inserts), so nothing else must remember.
-- `books` has no INTEGER PRIMARY KEY, so its rowid is implicit: stable for a row's life, but a
-- manual VACUUM may renumber it; after one, run
--   INSERT INTO books_fts (books_fts) VALUES ('rebuild');
-- `INSERT OR REPLACE` on books must not be used (its implicit delete fires no delete trigger).
CREATE VIRTUAL TABLE books_fts USING fts5(
    title,
    author,
    description,
    content = 'books',
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER books_fts_after_insert AFTER INSERT ON books BEGIN
    INSERT INTO books_fts (rowid, title, author, description)
    VALUES (new.rowid, new.title, new.author, new.description);
END;

CREATE TRIGGER books_fts_after_delete AFTER DELETE ON books BEGIN
    INSERT INTO books_fts (books_fts, rowid, title, author, description)
    VALUES ('delete', old.rowid, old.title, old.author, old.description);
END;

-- Only when indexed text changes: a price or page change leaves the index alone.
CREATE TRIGGER books_fts_after_update AFTER UPDATE OF title, author, description ON books BEGIN
    INSERT INTO books_fts (books_fts, rowid, title, author, description)
    VALUES ('delete', old.rowid, old.title, old.author, old.description);
    INSERT INTO books_fts (rowid, title, author, description)
    VALUES (new.rowid, new.title, new.author, new.description);
END;

-- Index whatever books already exist.
INSERT INTO books_fts (books_fts) VALUES ('rebuild');

-- Per-install secrets of the books component (the MAC key of list cursors). Created on first
-- use with INSERT OR IGNORE, so concurrent first requests agree on one key.
CREATE TABLE books_secrets (
    name  TEXT PRIMARY KEY NOT NULL,
    value BLOB NOT NULL
);

-- An equality filter (author, genre, language) combined with a sort: one index range gives the
-- matching rows already in order, so a page reads `limit` rows instead of sorting every match
-- (a prolific author or a big genre has tens of thousands of books in a large catalogue).
CREATE INDEX books_author_title    ON books (author, title, id);
CREATE INDEX books_author_year     ON books (author, published_year, id);
CREATE INDEX books_author_price    ON books (author, price_cents, id);
CREATE INDEX books_author_created  ON books (author, created_at, id);
CREATE INDEX books_genre_title     ON books (genre, title, id);
CREATE INDEX books_genre_year      ON books (genre, published_year, id);
CREATE INDEX books_genre_price     ON books (genre, price_cents, id);
CREATE INDEX books_genre_created   ON books (genre, created_at, id);
CREATE INDEX books_language_title  ON books (language, title, id);
CREATE INDEX books_language_year   ON books (language, published_year, id);
CREATE INDEX books_language_price  ON books (language, price_cents, id);
CREATE INDEX books_language_created ON books (language, created_at, id);
