"""Folio's Flask twin: GET /api/books/<id> and GET /api/books (a filtered list page or a `q=`
search) as the app answers them, for the benchmark (bench/run.py; bench/twins/README.md). Per
request it verifies the EdDSA access token against the app's JWKS, reads the token's session from
Redis (one GET) and runs the app's SQL on the app's SQLite file: the book by primary key, or the
list's keyset page query (bench/twins/booklist.py, shared with the FastAPI twin).

    FOLIO_URL=http://127.0.0.1:3000 FOLIO_DB=.spin/sqlite_db.db FOLIO_REDIS=redis://127.0.0.1:6379 \
        gunicorn --chdir bench/twins/flask -w 2 -k sync -b 127.0.0.1:8091 app:app

FOLIO_ISSUER / FOLIO_AUDIENCE default to the app's `folio` / `folio-api`.
"""

import base64
import hashlib
import hmac
import json
import os
import sqlite3
import sys
import threading
import time
import urllib.request
from pathlib import Path

import jwt
import redis
from flask import Flask, Response, jsonify, request

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import booklist  # noqa: E402

ISSUER = os.environ.get("FOLIO_ISSUER", "folio")
AUDIENCE = os.environ.get("FOLIO_AUDIENCE", "folio-api")
LEEWAY_SECONDS = 5  # the app's clock skew on exp and nbf
SELECT_BOOK = (
    "SELECT id, title, author, genre, isbn, published_year, pages, price_cents, language,"
    " description, created_at, updated_at, created_by, version FROM books WHERE id = ?"
)


def fetch_keys(app_url: str) -> dict:
    """The app's public signing keys, by kid, fetched once at start-up."""
    with urllib.request.urlopen(f"{app_url}/.well-known/jwks.json", timeout=10) as r:
        return {k.key_id: k for k in jwt.PyJWKSet.from_dict(json.load(r)).keys}


KEYS = fetch_keys(os.environ["FOLIO_URL"])
# redis-py's pool notices a fork and reconnects in each gunicorn worker.
SESSIONS = redis.Redis.from_url(os.environ["FOLIO_REDIS"])
_local = threading.local()


def db() -> sqlite3.Connection:
    """One read-only connection per worker (opened after gunicorn forks), kept for its life."""
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = sqlite3.connect(f"file:{os.environ['FOLIO_DB']}?mode=ro", uri=True)
        conn.row_factory = sqlite3.Row
        _local.conn = conn
    return conn


app = Flask(__name__)


class Refused(Exception):
    """A request the route refuses: its status and, for 401 and 403, the Bearer challenge."""

    TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
              422: "Unprocessable Content"}

    def __init__(self, status: int, challenge: str | None = None):
        super().__init__(status)
        self.status, self.challenge = status, challenge


@app.errorhandler(Refused)
def refused(e: Refused) -> Response:
    """RFC 9457 problem details, like the app's errors (the benchmark measures only 200s)."""
    response = jsonify(type="about:blank", title=Refused.TITLES[e.status], status=e.status)
    response.status_code = e.status
    response.content_type = "application/problem+json"
    if e.challenge:
        response.headers["WWW-Authenticate"] = e.challenge
    return response


def session_vouches(record: bytes | None, claims: dict, token: str) -> bool:
    """The app's session record: live, this account's, and listing this token's SHA-256."""
    if record is None:
        return False
    session = json.loads(record)
    fingerprint = base64.urlsafe_b64encode(hashlib.sha256(token.encode()).digest()).rstrip(b"=").decode()
    listed = [hmac.compare_digest(fingerprint, v.get("hash", "")) for v in session.get("access", [])]
    return (session.get("id") == claims["sid"] and session.get("account_id") == claims["sub"]
            and time.time() < session.get("expires_at", 0) and any(listed))


def authorize(scope: str) -> dict:
    """The request's verified claims, or a 401/403."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme != "Bearer" or not token:
        raise Refused(401, "Bearer")
    invalid = Refused(401, 'Bearer error="invalid_token"')
    try:
        key = KEYS[jwt.get_unverified_header(token).get("kid")]
        claims = jwt.decode(token, key, algorithms=["EdDSA"], issuer=ISSUER, audience=AUDIENCE,
                            leeway=LEEWAY_SECONDS, options={"require": ["exp", "nbf", "sub", "sid"]})
    except (jwt.InvalidTokenError, KeyError):
        raise invalid from None
    # One Redis GET: a logout deletes the record, and every token of the session is refused.
    if not session_vouches(SESSIONS.get(f"auth:session:{claims['sub']}:{claims['sid']}"), claims, token):
        raise invalid
    if scope not in claims.get("scope", "").split():
        raise Refused(403, 'Bearer error="insufficient_scope"')
    return claims


@app.get("/api/books/<book_id>")
def get_book(book_id: str) -> Response:
    authorize("read:books")
    row = db().execute(SELECT_BOOK, (book_id,)).fetchone()
    if row is None:
        raise Refused(404)
    response = jsonify(dict(row))
    response.set_etag(f"v{row['version']}")
    response.cache_control.private = True
    response.cache_control.no_cache = True
    # 304 for a matching If-None-Match, as the app answers.
    return response.make_conditional(request)


@app.get("/api/books")
def list_books() -> Response:
    authorize("read:books")
    try:
        body = booklist.page(db(), booklist.ListQuery.parse(request.args))
    except booklist.Invalid as e:
        raise Refused(e.status) from None
    response = jsonify(body)
    response.cache_control.private = True
    response.cache_control.no_cache = True
    return response
