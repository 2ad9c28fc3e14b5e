#!/usr/bin/env python3
"""Reproduces an open finding (docs/scale-out.md, "Known gap: a crash between commit and version
bump"). Not part of the test suite: it exits 1 while the gap is there, so that it can become a
test once the app closes it.

Two replicas on shared stores, as in test_two_replicas.py. Replica A runs a 100,000-book
generator run; the moment the run's transaction has committed (the database's write lock is
released) but A has not answered yet, A is killed with SIGKILL. A's COMMIT folds the
write-ahead log back into the database file before it returns (SQLite's automatic checkpoint,
about a second for a run this size), and only after that does the generator set the
catalogue's new data version in the key-value store. Killed in that window, the run is in the
database but the data version never changes, so B's (and a restarted A's) cached list pages and
reports keep answering the catalogue from before the run, while uncached queries see the run:
until the next write, the replicas contradict themselves.

    python3 tests/scaleout/repro_crash_after_commit.py     # exit 1: stale caches seen
                                                           # exit 0: coherent after the crash
                                                           # exit 2: the kill missed the window
"""

from __future__ import annotations

import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from conftest import ADMIN_EMAIL, Cluster, book_body, spin_binary, wait_for_long_write, wait_until  # noqa: E402


def count(replica, token, query):
    return replica.get(f"/api/books?{query}", token=token).json()["total"]


def main() -> int:
    spin_binary()
    with tempfile.TemporaryDirectory(prefix="folio-repro-") as tmp:
        c = Cluster(Path(tmp))
        try:
            token = c.a.client.login(ADMIN_EMAIL)["access_token"]
            for i in range(3):
                assert c.a.request("POST", "/api/books", book_body(f"B{i}", "Crash Author"), token=token).status == 201
            cached = "count=true&limit=1"
            print(f"before: B counts {count(c.b, token, cached)} books, summary says "
                  f"{c.b.get('/api/reports/summary', token=token).json()['books']} (now cached on B)")
            outcome = {}

            def run():
                try:
                    outcome["response"] = c.a.request("POST", "/api/generator/runs", {"count": 100_000, "seed": 7},
                                                      token=token, timeout=300)
                except OSError as e:
                    outcome["error"] = repr(e)

            thread = threading.Thread(target=run)
            thread.start()
            wait_for_long_write(c, thread)
            wait_until(lambda: not c.writer_active() or not thread.is_alive(), 300, "the commit", 0.005)
            if not thread.is_alive():
                print("the run answered before the kill: inconclusive")
                return 2
            c.a.kill()
            thread.join()
            print(f"A killed after the commit, before answering: {outcome}")
            truth = c.sql("SELECT COUNT(*) FROM books")[0][0]
            runs = c.sql("SELECT COUNT(*) FROM generator_runs")[0][0]
            c.a.start()
            print(f"database: {truth} books, {runs} run(s) recorded")
            stale = False
            for name, replica in (("B", c.b), ("restarted A", c.a)):
                seen = {
                    "cached list page": count(replica, token, cached),
                    "uncached list page": count(replica, token, "count=true&limit=2"),  # never asked before
                    "summary report": replica.get("/api/reports/summary", token=token).json()["books"],
                }
                print(f"{name}: {seen}")
                stale |= any(v != truth for v in seen.values())
            if stale:
                print("STALE: cached answers contradict the database after the crash (the finding)")
                return 1
            print("coherent: every answer matches the database")
            return 0
        finally:
            c.close()


if __name__ == "__main__":
    sys.exit(main())
