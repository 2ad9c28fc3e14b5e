"""The keys a cached `GET /api/books/{id}` of the app reads, as the query of the services floor
(bench/baseline-read): `k=<the token's session>&k=<the data version>&k=<the book's cached copy>`.

Read from the app's key-value database (Spin's default store, `sqlite_key_value.db` in the state
directory), after the book has been read until a copy is cached; the copy is found by the
digest of the book's id that every entry carries (crates/folio-core/src/slot_cache.rs), so the
slot function is not repeated here.

    python3 bench/cached_read_keys.py STATE_DIR TOKEN BOOK_ID
"""

import base64
import hashlib
import json
import sqlite3
import sys

SESSION_PREFIX = "auth:session:"
DATA_VERSION_KEY = "catalog:data-version"
BOOK_CACHE_PREFIX = "books:read-cache:"


def query(state_dir: str, token: str, book_id: str) -> str:
    claims_part = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(claims_part + "=" * (-len(claims_part) % 4)))
    session = f"{SESSION_PREFIX}{claims['sub']}:{claims['sid']}"
    digest = hashlib.sha256(book_id.encode()).hexdigest()
    db = sqlite3.connect(f"file:{state_dir}/sqlite_key_value.db?mode=ro", uri=True)
    try:
        def present(key: str) -> bool:
            return db.execute("SELECT 1 FROM spin_key_value WHERE store = 'default' AND key = ?", (key,)).fetchone() is not None

        copies = [key for key, value in db.execute(
            "SELECT key, value FROM spin_key_value WHERE store = 'default' AND key LIKE ?", (BOOK_CACHE_PREFIX + "%",))
            if value.split(b"\n")[2:3] == [digest.encode()]]
        if not present(session) or not present(DATA_VERSION_KEY) or not copies:
            raise SystemExit(f"no cached read of {book_id} in {state_dir}: session {present(session)}, "
                             f"data version {present(DATA_VERSION_KEY)}, copies {copies}")
    finally:
        db.close()
    return "&".join("k=" + key for key in (session, DATA_VERSION_KEY, copies[0]))


if __name__ == "__main__":
    print(query(*sys.argv[1:4]))
