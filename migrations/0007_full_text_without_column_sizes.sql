-- The full-text index without its per-document column sizes (`columnsize = 0`). FTS5 keeps, by
-- default, one `books_fts_docsize` row per book holding each column's token count; only ranking
-- (bm25) and the auxiliary-function API read it, and the list never ranks: `q` only decides
-- which books match, the order is always a sort column (crates/folio-books, listing.rs). Without
-- it every insert, update and delete of a book writes one B-tree fewer, and a bulk generator
-- run fills the index about a fifth faster (docs/generator.md). Matching is unchanged: same
-- tokenizer, same positions (`detail` stays `full`).
DROP TRIGGER books_fts_after_insert;
DROP TRIGGER books_fts_after_delete;
DROP TRIGGER books_fts_after_update;
DROP TABLE books_fts;

CREATE VIRTUAL TABLE books_fts USING fts5(
    title,
    author,
    description,
    content = 'books',
    columnsize = 0,
    tokenize = 'unicode61 remove_diacritics 2'
);

-- As in 0002: the index follows every INSERT, UPDATE and DELETE on books, whoever runs it.
CREATE TRIGGER books_fts_after_insert AFTER INSERT ON books BEGIN
    INSERT INTO books_fts (rowid, title, author, description)
    VALUES (new.rowid, new.title, new.author, new.description);
END;

CREATE TRIGGER books_fts_after_delete AFTER DELETE ON books BEGIN
    INSERT INTO books_fts (books_fts, rowid, title, author, description)
    VALUES ('delete', old.rowid, old.title, old.author, old.description);
END;

CREATE TRIGGER books_fts_after_update AFTER UPDATE OF title, author, description ON books BEGIN
    INSERT INTO books_fts (books_fts, rowid, title, author, description)
    VALUES ('delete', old.rowid, old.title, old.author, old.description);
    INSERT INTO books_fts (rowid, title, author, description)
    VALUES (new.rowid, new.title, new.author, new.description);
END;

-- Index whatever books already exist (about 0.4 s per 100,000 books, once).
INSERT INTO books_fts (books_fts) VALUES ('rebuild');
