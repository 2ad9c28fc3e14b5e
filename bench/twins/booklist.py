"""The app's `GET /api/books` (a filtered list page, a `q=` search) for the Python twins: the
same parameters, the same SQL and the same cursors as crates/folio-books/src/listing.rs and
cursor.rs, so that the Flask and FastAPI twins run the very statements the app runs against the
app's SQLite file. Framework-free; each twin does its own token check and its own response.

Per page, as the app does: for a search, a bounded count of the FTS5 matches (the probe that
chooses between fetching the matches by rowid and walking the sort order), then the page query
(filters, keyset "after the cursor", `ORDER BY <sort column>, id`, `LIMIT limit + 1`), and, when
there is a next page, the cursor key from `books_secrets` to sign `next_cursor` with. The key is
the app's own (the twins read the app's file), so a twin's cursors are the app's, byte for byte.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass

COLUMNS = ("id, title, author, genre, isbn, published_year, pages, price_cents, language, description,"
           " created_at, updated_at, created_by, version")
SORT_COLUMNS = ("title", "published_year", "price_cents", "created_at")
SORTS = tuple(p + c for c in SORT_COLUMNS for p in ("", "-"))
DEFAULT_SORT = "-created_at"
DEFAULT_LIMIT, MAX_LIMIT = 20, 100
# At least this many matches make a search "dense": the page walks the sort order instead.
DENSE_SEARCH = 2000
PROBE = "SELECT COUNT(*) FROM (SELECT rowid FROM books_fts WHERE books_fts MATCH ? LIMIT ?)"
SECRET = "SELECT value FROM books_secrets WHERE name = 'cursor-mac-key'"
MAC_LEN = 16
# What FTS5's unicode61 tokenizer keeps: runs of letters and digits.
WORD = re.compile(r"[^\W_]+")


class Invalid(Exception):
    """A request the list refuses: 422 for a bad parameter, 400 for a cursor that is not ours."""

    def __init__(self, status: int, detail: str):
        super().__init__(detail)
        self.status, self.detail = status, detail


def fts_expression(q: str) -> str:
    """Every word quoted, so FTS5 operators typed by a user are searched for literally."""
    words = WORD.findall(q)
    if len(q) > 200 or not words or len(words) > 16:
        raise Invalid(422, "q: 1 to 16 words, at most 200 characters")
    return " ".join(f'"{w}"' for w in words)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _json(value) -> bytes:
    """JSON as serde_json writes it (compact, non-ASCII as is), for fingerprints and cursors."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass
class ListQuery:
    search: str | None = None  # the FTS5 expression built from `q`
    author: str | None = None
    genre: str | None = None
    language: str | None = None
    year_min: int | None = None
    year_max: int | None = None
    sort: str = DEFAULT_SORT
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None

    @classmethod
    def build(cls, q=None, author=None, genre=None, language=None, year_min=None, year_max=None,
              sort=None, limit=None, cursor=None) -> ListQuery:
        """From the query parameters, typed or not; blank text filters nothing, as in the app."""
        def text(v):
            return v.strip() or None if v is not None else None

        def integer(name, v, low, high):
            if v is None or v == "":
                return None
            try:
                n = int(v)
            except ValueError:
                raise Invalid(422, f"{name}: an integer") from None
            if not low <= n <= high:
                raise Invalid(422, f"{name}: from {low} to {high}")
            return n

        sort = (sort or DEFAULT_SORT).strip()
        if sort not in SORTS:
            raise Invalid(422, "sort: one of " + ", ".join(SORTS))
        query = cls(search=fts_expression(q) if text(q) else None, author=text(author), genre=text(genre),
                    language=(text(language) or "").lower() or None,
                    year_min=integer("year_min", year_min, 0, 9999), year_max=integer("year_max", year_max, 0, 9999),
                    sort=sort, limit=integer("limit", limit, 1, MAX_LIMIT) or DEFAULT_LIMIT, cursor=cursor or None)
        if query.language is not None and not re.fullmatch("[a-z]{2}", query.language):
            raise Invalid(422, "language: an ISO 639-1 code")
        if None not in (query.year_min, query.year_max) and query.year_min > query.year_max:
            raise Invalid(422, "year_min: not greater than year_max")
        return query

    @classmethod
    def parse(cls, args: Mapping[str, str]) -> ListQuery:
        """From a query string's parameters; unknown ones are refused, as the app does."""
        unknown = set(args) - {"q", "author", "genre", "language", "year_min", "year_max", "sort", "limit", "cursor"}
        if unknown:
            raise Invalid(422, f"unknown parameters: {', '.join(sorted(unknown))}")
        return cls.build(**{k: args.get(k) for k in args})

    @property
    def column(self) -> str:
        return self.sort.lstrip("-")

    def fingerprint(self) -> str:
        """The app's fingerprint of the filters, which its cursors carry."""
        canonical = [self.search, self.author, self.genre, self.language, self.year_min, self.year_max]
        return hashlib.sha256(_json(canonical)).hexdigest()[:16]

    def page_sql(self, dense: bool, after: dict | None) -> tuple[str, list]:
        """The app's page query (ListQuery::page_sql)."""
        terms, params = [], []
        if self.search:
            # `+rowid` keeps SQLite from driving a dense search by the matches' rowids.
            terms.append(("+" if dense else "") + "rowid IN (SELECT rowid FROM books_fts WHERE books_fts MATCH ?)")
            params.append(self.search)
        for name in ("author", "genre", "language"):
            if getattr(self, name) is not None:
                terms.append(f"{name} = ?")
                params.append(getattr(self, name))
        # The year index only when sorting by year (the app's reasoning: listing.rs, Filters::terms).
        plus = "" if self.column == "published_year" else "+"
        if self.year_min is not None:
            terms.append(f"{plus}published_year >= ?")
            params.append(self.year_min)
        if self.year_max is not None:
            terms.append(f"{plus}published_year <= ?")
            params.append(self.year_max)
        cmp, direction = ("<", "DESC") if self.sort.startswith("-") else (">", "ASC")
        if after is not None:
            terms.append(f"({self.column}, id) {cmp} (?, ?)")
            params += [after["k"], after["i"]]
        params.append(self.limit + 1)
        where = " WHERE " + " AND ".join(terms) if terms else ""
        return (f"SELECT {COLUMNS} FROM books{where} ORDER BY {self.column} {direction}, id {direction} LIMIT ?",
                params)


def _cursor_key(db: sqlite3.Connection) -> bytes:
    row = db.execute(SECRET).fetchone()
    if row is None:
        # The app creates its key on its first cursor; a twin opens the file read-only.
        raise RuntimeError("the app has no cursor key yet: page through its list once")
    return bytes(row[0])


def _decode(key: bytes, cursor: str, query: ListQuery) -> dict:
    try:
        payload_b64, mac_b64 = cursor.split(".")
        payload, mac = _unb64(payload_b64), _unb64(mac_b64)
        ok = hmac.compare_digest(mac, hmac.new(key, payload, hashlib.sha256).digest()[:MAC_LEN])
        position = json.loads(payload) if ok else None
    except ValueError:
        position = None
    if not isinstance(position, dict) or (position.get("s"), position.get("f")) != (query.sort, query.fingerprint()):
        raise Invalid(400, "the cursor is not valid for this query; start again without one")
    return position


def page(db: sqlite3.Connection, query: ListQuery) -> dict:
    """One page: `{"items": [...], "next_cursor": ... or None}`. `db` has `sqlite3.Row` rows."""
    dense = False
    if query.search:
        dense = db.execute(PROBE, (query.search, DENSE_SEARCH)).fetchone()[0] >= DENSE_SEARCH
    after = _decode(_cursor_key(db), query.cursor, query) if query.cursor else None
    items = [dict(row) for row in db.execute(*query.page_sql(dense, after))]
    next_cursor = None
    if len(items) > query.limit:
        del items[query.limit:]
        last = items[-1]
        payload = _json({"s": query.sort, "f": query.fingerprint(), "k": last[query.column], "i": last["id"]})
        mac = hmac.new(_cursor_key(db), payload, hashlib.sha256).digest()[:MAC_LEN]
        next_cursor = f"{_b64(payload)}.{_b64(mac)}"
    return {"items": items, "next_cursor": next_cursor}
