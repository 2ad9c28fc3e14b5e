-- The tables the HTTP contract needs. Applied once, inside a transaction, by folio-core's
-- migration runner; recorded in schema_migrations.

CREATE TABLE accounts (
    id               TEXT PRIMARY KEY NOT NULL,
    email            TEXT NOT NULL,
    -- Lower-cased e-mail: uniqueness is case-insensitive (API.md, register: 409).
    email_normalized TEXT NOT NULL UNIQUE,
    name             TEXT,
    password_hash    TEXT NOT NULL,
    role             TEXT NOT NULL CHECK (role IN ('reader', 'editor', 'admin')),
    disabled         INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
-- Admin listing pages through accounts in creation order.
CREATE INDEX accounts_created ON accounts (created_at, id);

CREATE TABLE books (
    id             TEXT PRIMARY KEY NOT NULL,
    title          TEXT NOT NULL,
    author         TEXT NOT NULL,
    genre          TEXT NOT NULL,
    isbn           TEXT NOT NULL UNIQUE,
    published_year INTEGER NOT NULL,
    pages          INTEGER NOT NULL,
    price_cents    INTEGER NOT NULL,
    language       TEXT NOT NULL,
    description    TEXT NOT NULL DEFAULT '',
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    created_by     TEXT NOT NULL,
    version        INTEGER NOT NULL DEFAULT 1
);
-- Keyset pagination: every sort key is paired with the id as tie-breaker, so "after (key, id)"
-- is one index range scan.
CREATE INDEX books_title    ON books (title, id);
CREATE INDEX books_year     ON books (published_year, id);
CREATE INDEX books_price    ON books (price_cents, id);
CREATE INDEX books_created  ON books (created_at, id);
-- Equality filters of the list and of every report.
CREATE INDEX books_author   ON books (author, id);
CREATE INDEX books_genre    ON books (genre, id);
CREATE INDEX books_language ON books (language, id);

CREATE TABLE generator_runs (
    id          TEXT PRIMARY KEY NOT NULL,
    count       INTEGER NOT NULL,
    seed        INTEGER NOT NULL,
    inserted    INTEGER NOT NULL,
    elapsed_ms  INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL
);
CREATE INDEX generator_runs_created ON generator_runs (created_at, id);
