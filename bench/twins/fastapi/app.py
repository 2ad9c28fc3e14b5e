"""Folio's FastAPI twin: GET /api/books/{id} and GET /api/books (a filtered list page or a `q=`
search) as the app answers them, for the benchmark (bench/run.py; bench/twins/README.md). Per
request it verifies the EdDSA access token against the app's JWKS, reads the token's session from
Redis (one GET, asyncio client) and runs the app's SQL on the app's SQLite file: the book by
primary key, or the list's keyset page query (bench/twins/booklist.py, shared with the Flask twin).

    FOLIO_URL=http://127.0.0.1:3000 FOLIO_DB=.spin/sqlite_db.db FOLIO_REDIS=redis://127.0.0.1:6379 \
        uvicorn --app-dir bench/twins/fastapi --workers 2 --port 8092 --no-access-log app:app

FOLIO_ISSUER / FOLIO_AUDIENCE default to the app's `folio` / `folio-api`.
"""

import base64
import hashlib
import hmac
import json
import os
import sqlite3
import sys
import time
import urllib.request
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Literal

import jwt
import redis.asyncio as redis
from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request, Response
from pydantic import BaseModel

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import booklist  # noqa: E402

ISSUER = os.environ.get("FOLIO_ISSUER", "folio")
AUDIENCE = os.environ.get("FOLIO_AUDIENCE", "folio-api")
LEEWAY_SECONDS = 5  # the app's clock skew on exp and nbf
SELECT_BOOK = (
    "SELECT id, title, author, genre, isbn, published_year, pages, price_cents, language,"
    " description, created_at, updated_at, created_by, version FROM books WHERE id = ?"
)


class Book(BaseModel):
    id: str
    title: str
    author: str
    genre: str
    isbn: str
    published_year: int
    pages: int
    price_cents: int
    language: str
    description: str
    created_at: str
    updated_at: str
    created_by: str
    version: int


class Page(BaseModel):
    items: list[Book]
    next_cursor: str | None


@asynccontextmanager
async def lifespan(app: FastAPI):
    """Per worker process: the app's public keys (fetched once), a Redis pool and a read-only
    SQLite connection, kept for the worker's life."""
    with urllib.request.urlopen(f"{os.environ['FOLIO_URL']}/.well-known/jwks.json", timeout=10) as r:
        app.state.keys = {k.key_id: k for k in jwt.PyJWKSet.from_dict(json.load(r)).keys}
    app.state.sessions = redis.Redis.from_url(os.environ["FOLIO_REDIS"])
    app.state.db = sqlite3.connect(f"file:{os.environ['FOLIO_DB']}?mode=ro", uri=True)
    app.state.db.row_factory = sqlite3.Row
    yield
    await app.state.sessions.aclose()
    app.state.db.close()


app = FastAPI(lifespan=lifespan)


def invalid_token() -> HTTPException:
    return HTTPException(401, "invalid token", headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


def session_vouches(record: bytes | None, claims: dict, token: str) -> bool:
    """The app's session record: live, this account's, and listing this token's SHA-256."""
    if record is None:
        return False
    session = json.loads(record)
    fingerprint = base64.urlsafe_b64encode(hashlib.sha256(token.encode()).digest()).rstrip(b"=").decode()
    listed = [hmac.compare_digest(fingerprint, v.get("hash", "")) for v in session.get("access", [])]
    return (session.get("id") == claims["sid"] and session.get("account_id") == claims["sub"]
            and time.time() < session.get("expires_at", 0) and any(listed))


async def claims(request: Request, authorization: Annotated[str | None, Header()] = None) -> dict:
    """The request's verified claims, or a 401."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme != "Bearer" or not token:
        raise HTTPException(401, "no token", headers={"WWW-Authenticate": "Bearer"})
    try:
        key = request.app.state.keys[jwt.get_unverified_header(token).get("kid")]
        verified = jwt.decode(token, key, algorithms=["EdDSA"], issuer=ISSUER, audience=AUDIENCE,
                              leeway=LEEWAY_SECONDS, options={"require": ["exp", "nbf", "sub", "sid"]})
    except (jwt.InvalidTokenError, KeyError):
        raise invalid_token() from None
    # One Redis GET: a logout deletes the record, and every token of the session is refused.
    record = await request.app.state.sessions.get(f"auth:session:{verified['sub']}:{verified['sid']}")
    if not session_vouches(record, verified, token):
        raise invalid_token()
    return verified


def require(scope: str):
    async def check(verified: Annotated[dict, Depends(claims)]) -> dict:
        if scope not in verified.get("scope", "").split():
            raise HTTPException(403, "insufficient scope",
                                headers={"WWW-Authenticate": 'Bearer error="insufficient_scope"'})
        return verified
    return check


@app.get("/api/books/{book_id}", response_model=Book,
         responses={304: {"description": "Not modified"}, 404: {"description": "No such book"}})
async def get_book(book_id: str, request: Request, response: Response,
                   _: Annotated[dict, Depends(require("read:books"))]):
    # A primary-key read of a local file takes microseconds, less than a hop to the thread pool
    # (what a sync `def` route would cost), so it runs on the event loop.
    row = request.app.state.db.execute(SELECT_BOOK, (book_id,)).fetchone()
    if row is None:
        raise HTTPException(404, "no book with this id")
    etag = f'"v{row["version"]}"'
    headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
    if etag in (t.strip().removeprefix("W/") for t in request.headers.get("if-none-match", "").split(",")):
        return Response(status_code=304, headers=headers)
    response.headers.update(headers)
    return dict(row)


@app.get("/api/books", response_model=Page)
async def list_books(request: Request, response: Response,
                     _: Annotated[dict, Depends(require("read:books"))],
                     q: str | None = None, author: str | None = None, genre: str | None = None,
                     language: str | None = None,
                     year_min: Annotated[int | None, Query(ge=0, le=9999)] = None,
                     year_max: Annotated[int | None, Query(ge=0, le=9999)] = None,
                     sort: Literal[booklist.SORTS] = booklist.DEFAULT_SORT,
                     limit: Annotated[int, Query(ge=1, le=booklist.MAX_LIMIT)] = booklist.DEFAULT_LIMIT,
                     cursor: str | None = None):
    # On the event loop, as the book read: a page takes a millisecond or two of SQLite, and on
    # two cores a thread pool would add a hop and GIL contention rather than parallelism.
    try:
        query = booklist.ListQuery.build(q, author, genre, language, year_min, year_max, sort, limit, cursor)
        body = booklist.page(request.app.state.db, query)
    except booklist.Invalid as e:
        raise HTTPException(e.status, e.detail) from None
    response.headers["Cache-Control"] = "private, no-cache"
    return body
