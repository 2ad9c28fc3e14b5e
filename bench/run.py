#!/usr/bin/env python3
"""Folio's benchmark harness: one command, results appended to docs/benchmarks.md.

    python3 bench/run.py                      # build, start, measure, write
    python3 bench/run.py --duration 3 --books 20000 --label "after: cached token check"

What it does, all on loopback and bounded in time (wrk stops itself after --duration seconds):
1. builds the components and the four floor components (release, wasm32-wasip2);
2. times Spin's start-up for each manifest (until the first HTTP answer), then starts the app
   under real `spin up` (SPIN_BIN, else `spin` on PATH; there is no other host) with a fresh
   state directory;
3. prepares data through the API: an admin account and token, a book, --books generated books,
   and waits for the kernel to write them back;
4. runs wrk at concurrencies 1, 16 and 64 against the two floors, each started then with its own
   state directory: the baseline ("ok") and the baseline plus one key-value round trip
   (bench/baseline-kv), the least that any request checking a token against its session does;
   then against each scenario of the app (health, an authenticated book read, a filtered list
   page, a search, a cached report, login, introspection);
5. measures p50/p99 at concurrency 1 over one kept-alive connection against a fresh connection
   per request, for each route family (issue 27's first target: keep-alive p99 within 2x);
6. unless --no-twins, measures the twins (bench/twins/README.md): Flask + gunicorn, FastAPI +
   uvicorn and axum doing the app's authenticated book read (EdDSA token verified, its session
   read from Redis, the book from the app's SQLite file), interleaved cell by cell with the
   floors (the two above, the services floor and the read + SQL floor, both over the app's
   state: bench/baseline-read, bench/baseline-sql) and the app (read cache on and off, its
   key-value store in its state directory and on the same Redis), then the same filtered list
   page and search (the app's SQL on the same file; the app's rows with its caches off, so
   every request runs that SQL), --twin-rounds times; reports req/s, p50, p99 and the ratios;
7. measures the generator (one run of 100,000 books) and each report uncached and cached;
8. appends a dated Markdown section (machine, command, tables, ratios to the baseline) to the
   output file, so runs before and after a change are kept side by side.
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from apphost import Server, call, free_port, host_argv, log, run, spin_binary  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from cached_read_keys import query as cached_read_query  # noqa: E402

sys.path.insert(0, str(ROOT / "bench/twins"))
import harness as twins_harness  # noqa: E402

CONCURRENCIES = (1, 16, 64)
COMPONENTS = ("auth", "books", "generator", "reports", "ui", "baseline", "baseline-kv", "baseline-sql",
              "baseline-read")
FLOORS = {"baseline": ROOT / "bench/baseline/spin.toml", "baseline-kv": ROOT / "bench/baseline-kv/spin.toml"}
KV_FLOOR_ROW = "baseline + one key-value read"
# The third floor, served over the app's own state (it reads the app's books): the one-read
# floor plus a fresh SQLite connection and one read by primary key (bench/baseline-sql).
SQL_FLOOR = ROOT / "bench/baseline-sql/spin.toml"
SQL_FLOOR_ROW = "baseline + one key-value read + one SQLite read"
# The fourth, also over the app's state: what Spin charges for the services a cached read must
# use (the request's headers, the two token variables, the batch read of the app's own session
# and cached copy, a log line), with none of the app's own work (bench/baseline-read).
SERVICES_FLOOR = ROOT / "bench/baseline-read/spin.toml"
SERVICES_FLOOR_ROW = "services floor (request, token variables, key-value read, log line)"


def wasm_path(component: str) -> Path:
    """Where cargo puts a component (a crate's hyphens become underscores in its file name)."""
    return ROOT / f"target/wasm32-wasip2/release/{component.replace('-', '_')}.wasm"

WRK_DONE = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\nBENCH {"requests":%d,"duration_us":%d,"socket_errors":%d,"status_errors":%d,"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99)))
end
"""


# With `paths`, each of wrk's (at most two) threads walks its own half of the list, so no path is
# requested twice in a run as long as the list outlasts it (wrk runs one Lua state per thread).
WRK_PATHS = r"""
local threads = 0
function setup(thread) thread:set("offset", threads * math.floor(#paths / 2)); threads = threads + 1 end
local i = nil
request = function()
  if i == nil then i = (offset or 0) % #paths end
  i = i % #paths + 1
  return wrk.format(nil, paths[i])
end
"""


def wrk(url: str, connections: int, duration: int, method="GET", body: str | None = None, headers=None,
        paths: list[str] | None = None, strict: bool = True) -> dict:
    script = [f'wrk.method = "{method}"']
    if body is not None:
        script.append(f"wrk.body = {json.dumps(body)}")
    for k, v in (headers or {}).items():
        script.append(f'wrk.headers["{k}"] = {json.dumps(v)}')
    if paths:
        script.append("paths = {" + ",".join(json.dumps(x) for x in paths) + "}")
        script.append(WRK_PATHS)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write("\n".join(script) + "\n" + WRK_DONE)
        path = f.name
    threads = min(connections, 2)
    out = subprocess.run(
        ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s", "--timeout", "10s", "-s", path, url],
        capture_output=True, text=True, timeout=duration + 60,
    )
    os.unlink(path)
    line = next((l for l in out.stdout.splitlines() if l.startswith("BENCH ")), None)
    if line is None:
        raise SystemExit(f"wrk gave no result for {url}:\n{out.stdout}\n{out.stderr}")
    r = json.loads(line[6:])
    if r["status_errors"] and strict:
        # A 4xx/5xx answers faster than the work it stands for: such a cell is not a measurement
        # (an expired token once turned a run's last cells into 401s). The twins are not ours:
        # their errors are counted in the tables instead.
        raise SystemExit(f"{r['status_errors']} of {r['requests']} answers from {url} were errors")
    r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
    return r


def prepare(base: str, books: int) -> dict:
    """An admin, a token, a book, and a generated catalogue; returns what the scenarios need."""
    email, password = "bench-admin@example.com", "correct horse battery staple"
    status, _, body = call(base, "POST", "/api/auth/register", {"email": email, "password": password})
    assert status in (201, 409), (status, body)
    status, _, tok = call(base, "POST", "/api/auth/token",
                          {"grant_type": "password", "username": email, "password": password}, form=True)
    assert status == 200, (status, tok)
    token = tok["access_token"]
    book = {"title": "Benchmarking Folio", "author": "Ada Bench", "genre": "Computing", "isbn": "978-0-306-40615-7",
            "published_year": 2024, "pages": 321, "price_cents": 2599, "language": "en", "description": "A book."}
    status, _, created = call(base, "POST", "/api/books", book, token=token)
    if status == 409:
        status, _, listing = call(base, "GET", "/api/books?limit=1", token=token)
        created = listing["items"][0]
    else:
        assert status == 201, (status, created)
    generator = []
    remaining = books
    while remaining > 0:
        n = min(remaining, 100_000)
        t0 = time.perf_counter()
        status, _, run_ = call(base, "POST", "/api/generator/runs", {"count": n, "seed": 1000 + remaining}, token=token)
        assert status == 201, (status, run_)
        generator.append({"count": n, "elapsed_ms": run_["elapsed_ms"], "wall_ms": (time.perf_counter() - t0) * 1000})
        remaining -= n
    # The login scenario signs in thousands of times; each sign-in is a session, and an account
    # keeps at most 100, so it uses its own account rather than end the admin's session.
    login_email = "bench-login@example.com"
    status, _, body = call(base, "POST", "/api/auth/register", {"email": login_email, "password": password})
    assert status in (201, 409), (status, body)
    return {"token": token, "book_id": created["id"], "login_email": login_email, "password": password,
            "generator": generator, "cold_ids": sample_ids(base, token, COLD_READS * 2 * len(CONCURRENCIES))}


# Distinct books per wrk run of the "a different book each time" scenario: more than a run at
# concurrency 1..64 reads in 5 s, so every request of it is a first read (a read-cache miss).
COLD_READS = 20_000


def cold_paths(ctx: dict, k: int) -> list[str]:
    """The `k`-th slice of COLD_READS sampled books (0..2: cache on, 3..5: cache off), or all of
    them when the catalogue is too small to give each run its own."""
    ids = ctx["cold_ids"][k * COLD_READS:(k + 1) * COLD_READS] or ctx["cold_ids"]
    return [f"/api/books/{i}" for i in ids]


def settle(seconds: float = 3.0) -> None:
    """Waits until the kernel has written back what the catalogue's generation left dirty
    (about a gigabyte at 1,000,000 books), then a moment more: measured before that, the first
    cells ran while the disk was still being written and their tails showed it."""
    t0 = time.perf_counter()
    os.sync()
    time.sleep(seconds)
    log(f"settled: write-back {time.perf_counter() - t0 - seconds:.1f} s")


def sample_ids(base: str, token: str, n: int) -> list[str]:
    """Up to `n` book ids, paged through the list in id order."""
    ids, cursor = [], None
    while len(ids) < n:
        path = "/api/books?limit=100" + (f"&cursor={urllib.parse.quote(cursor)}" if cursor else "")
        status, _, page = call(base, "GET", path, token=token)
        assert status == 200, (status, page)
        ids += [b["id"] for b in page["items"]]
        cursor = page.get("next_cursor")
        if not cursor:
            break
    return ids[:n]


def scenarios(ctx: dict) -> list[tuple[str, str, str, str | None, dict]]:
    auth = {"Authorization": f"Bearer {ctx['token']}"}
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    login = urllib.parse.urlencode({"grant_type": "password", "username": ctx["login_email"], "password": ctx["password"]})
    return [
        ("health", "GET", "/api/health", None, {}),
        (HOT_SCENARIO, "GET", f"/api/books/{ctx['book_id']}", None, auth),
        (COLD_SCENARIO, "GET", "/api/books", None, auth),
        ("list page (filtered)", "GET", LIST_PAGE, None, auth),
        ("search (`q=`, two words)", "GET", SEARCH, None, auth),
        ("cached report (summary)", "GET", "/api/reports/summary", None, auth),
        ("login (token issue)", "POST", "/api/auth/token", login, form),
        ("introspection", "POST", "/api/auth/introspect", json.dumps({"token": ctx["token"]}),
         {"Content-Type": "application/json", **auth}),
    ]


# The filtered list page and the search of the scenarios and of the twins section. The two words
# each occur in about 18% of the generated books and together in about 4% of them: at 100,000
# books the app's probe takes the dense plan (walk the sort order), at a few thousand the sparse
# one (fetch the matches by rowid); the twins decide the same way.
LIST_PAGE = "/api/books?genre=Fantasy&sort=-published_year&limit=20"
SEARCH = "/api/books?q=dolor%20magna&limit=20"


# The same read, but every request a book not read before in the run: the read cache's misses
# (SQL, then the copy is stored), where the scenario above is its hits.
COLD_SCENARIO = "GET /api/books/{id} (token, a different book each time)"
HOT_SCENARIO = "GET /api/books/{id} (token)"


# The requests of the native report benchmark (docs/reports.md), so the two tables compare.
REPORT_REQUESTS = [
    "/api/reports/summary", "/api/reports/summary?language=de", "/api/reports/summary?year_min=2000",
    "/api/reports/summary?author=Author%20004", "/api/reports/genres",
    "/api/reports/genres?year_min=1990&year_max=2010", "/api/reports/genres?language=de",
    "/api/reports/authors", "/api/reports/authors?limit=100", "/api/reports/authors?genre=Fiction",
    "/api/reports/authors?year_min=2000", "/api/reports/authors?language=de&limit=100",
    "/api/reports/years", "/api/reports/years?bucket=decade", "/api/reports/years?language=en&year_min=1950",
    "/api/reports/years?genre=Fiction&language=en&bucket=decade", "/api/reports/prices",
    "/api/reports/prices?buckets=50", "/api/reports/prices?genre=Fiction&language=en",
    "/api/reports/prices?year_min=2000", "/api/reports/prices?author=Author%20004", "/api/reports/prices?language=de",
]


def book_reads_without_cache(host: str, argv_for, state: str, ctx: dict, duration: int) -> list:
    """The two book-read scenarios again, from a second app over the same files with the read
    cache off (`book_read_cache_fill_one_in = 0`): what the cache saves on hits and costs on
    misses. Its cold runs read books neither app has read (`cold_paths`)."""
    off = Server(host, argv_for, ROOT / "spin.toml", env={"SPIN_VARIABLE_BOOK_READ_CACHE_FILL_ONE_IN": "0"}, state=state)
    rows = []
    try:
        auth = {"Authorization": f"Bearer {ctx['token']}"}
        for name, path, cold in ((f"{HOT_SCENARIO}, cache off", f"/api/books/{ctx['book_id']}", False),
                                 (f"{COLD_SCENARIO}, cache off", "/api/books", True)):
            for k, c in enumerate(CONCURRENCIES):
                paths = cold_paths(ctx, len(CONCURRENCIES) + k) if cold else None
                r = wrk(off.base + path, c, duration, "GET", None, auth, paths)
                rows.append((name, c, r))
                log(f"{host} {name} c={c}: {r['rps']:.0f} req/s p99 {r['p99_us'] / 1000:.2f} ms")
    finally:
        off.stop()
    return rows


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def connection_latency(base: str, ctx: dict, requests: int) -> list[dict]:
    """Issue 27's first target: p99 at concurrency 1 over a kept-alive connection within 2x of a
    request on a fresh connection, for each route family. The same client (http.client) times
    both, `requests` requests each, back to back as wrk -c1 sends them; a fresh request's time
    includes its TCP handshake."""
    auth = {"Authorization": f"Bearer {ctx['token']}"}
    routes = [
        ("health", "/api/health", {}),
        ("book read (cached)", f"/api/books/{ctx['book_id']}", auth),
        ("list page (filtered)", LIST_PAGE, auth),
        ("report (summary, cached)", "/api/reports/summary", auth),
        ("JWKS", "/.well-known/jwks.json", {}),
        ("UI `/`", "/", {}),
    ]
    host, port = urllib.parse.urlsplit(base).hostname, urllib.parse.urlsplit(base).port

    def timed(conn: http.client.HTTPConnection, path: str, headers: dict) -> float:
        t0 = time.perf_counter()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        elapsed = (time.perf_counter() - t0) * 1000
        if response.status != 200:
            raise SystemExit(f"GET {path}: {response.status}")
        return elapsed

    out = []
    for name, path, headers in routes:
        kept = http.client.HTTPConnection(host, port, timeout=30)
        for _ in range(5):  # warm: the report and the book are cached, the connection is open
            timed(kept, path, headers)
        keep_alive = [timed(kept, path, headers) for _ in range(requests)]
        kept.close()
        fresh = []
        for _ in range(requests):
            conn = http.client.HTTPConnection(host, port, timeout=30)
            fresh.append(timed(conn, path, headers))
            conn.close()
        row = {"route": name, "path": path,
               "keep_p50": percentile(keep_alive, 50), "keep_p99": percentile(keep_alive, 99),
               "fresh_p50": percentile(fresh, 50), "fresh_p99": percentile(fresh, 99)}
        out.append(row)
        log(f"{name}: keep-alive p99 {row['keep_p99']:.2f} ms, fresh p99 {row['fresh_p99']:.2f} ms")
    return out


# The twins section's rows: the two floors, the app four ways, then the twins, measured in this
# order within each concurrency cell.
APP_CACHED = "app, cached read"
APP_CACHE_OFF = "app, cache off"
APP_REDIS_CACHED = "app on Redis, cached read"
APP_REDIS_CACHE_OFF = "app on Redis, cache off"
BASELINE_ROW = 'baseline ("ok")'
APP_ROWS = (APP_CACHED, APP_CACHE_OFF, APP_REDIS_CACHED, APP_REDIS_CACHE_OFF)
TWIN_ROWS = ("Flask", "FastAPI", "axum")
# `book_read_cache_fill_one_in = 0` turns off the read cache and the list cache alike
# (crates/folio-books/src/read_cache.rs): every book read, list page and search runs its SQL.
CACHE_OFF = {"SPIN_VARIABLE_BOOK_READ_CACHE_FILL_ONE_IN": "0"}
# The section's requests and, for each, its rows in the order measured. After the book read,
# the filtered list page and the search: the app with its caches off (on its own key-value
# store and on the twins' Redis), the cached app for what the list cache gives (hits), and the
# twins, which run the app's very statements on the same file (bench/twins/booklist.py).
BOOK_READ, LIST_READ, SEARCH_READ = "book read", "list page", "search"
LIST_ROWS = (APP_CACHED, APP_CACHE_OFF, APP_REDIS_CACHE_OFF, *TWIN_ROWS)
TWIN_OPS = {
    BOOK_READ: (BASELINE_ROW, KV_FLOOR_ROW, SERVICES_FLOOR_ROW, SQL_FLOOR_ROW, *APP_ROWS, *TWIN_ROWS),
    LIST_READ: LIST_ROWS,
    SEARCH_READ: LIST_ROWS,
}
TWIN_PATHS = {LIST_READ: LIST_PAGE, SEARCH_READ: SEARCH}


def twin_path(op: str, name: str, ctx: dict) -> str:
    """What row `name` requests for `op`: the first two floors answer "ok" at `/`, the services
    floor the keys of the book's cached read, the rest the request."""
    if op != BOOK_READ:
        return TWIN_PATHS[op]
    if name == SERVICES_FLOOR_ROW:
        return f"/?{ctx['services_query']}"
    return "/" if name in (BASELINE_ROW, KV_FLOOR_ROW) else f"/api/books/{ctx['book_id']}"


def same_answers(servers: dict, ctx: dict) -> None:
    """Every app instance and twin answers each measured request alike (status, JSON, and the
    ETag of the book read), refuses a request without a token and answers 404 for an unknown
    id: they do the same work. The list pages must be equal to the byte of content, cursors
    included (the twins sign with the app's cursor key)."""
    book = f"/api/books/{ctx['book_id']}"
    status = call(servers[SQL_FLOOR_ROW].base, "GET", book)[0]
    if status != 200:  # a floor checks no token; it must find the row all the same
        raise SystemExit(f"{SQL_FLOOR_ROW} does not find the book: {status}")
    status = call(servers[SERVICES_FLOOR_ROW].base, "GET", twin_path(BOOK_READ, SERVICES_FLOOR_ROW, ctx))[0]
    if status != 200:  # it must read the app's cached copy, or it would move fewer bytes
        raise SystemExit(f"{SERVICES_FLOOR_ROW} does not find the cached copy: {status}")
    for op, rows in TWIN_OPS.items():
        reference = None
        for name in rows:
            path = twin_path(op, name, ctx)
            if path == "/" or name in (SQL_FLOOR_ROW, SERVICES_FLOOR_ROW):
                continue
            server = servers[name]
            status, headers, body = call(server.base, "GET", path, token=ctx["token"])
            etag = {k.lower(): v for k, v in headers.items()}.get("etag")
            if reference is None:
                reference = (status, body, etag)
            if status != 200 or (body, etag) != reference[1:]:
                raise SystemExit(f"{name} answers the {op} ({path}) differently: {status} {etag} {body!r}")
            if op == LIST_READ and not body["items"]:
                raise SystemExit(f"{name}: the list page {path} is empty; it would measure nothing")
            anonymous = call(server.base, "GET", path)[0]
            unknown = call(server.base, "GET", "/api/books/00000000000000000000000000", token=ctx["token"])[0]
            if (unknown, anonymous) != (404, 401):
                raise SystemExit(f"{name}: unknown id {unknown} (want 404), no token on {path} {anonymous} (want 401)")


def twins_section(host: str, argv_for, app: Server, ctx: dict, duration: int, rounds: int) -> dict:
    """The app's authenticated book read, list page and search beside its twins, in one run,
    interleaved: for each round and concurrency, one wrk run per request and row (the floors,
    the app four ways, the twins; TWIN_OPS) in turn, so a slow minute of the machine touches
    every row alike.

    One Redis serves the twins and the app instances on Redis; it starts with a copy of the app's
    key-value store (sessions, the data version, cache entries), so every server checks the very
    session record the app wrote for the token. The twins read the app's SQLite file read-only."""
    auth = {"Authorization": f"Bearer {ctx['token']}"}
    started: list = []  # everything to stop, in the order started
    try:
        redis = twins_harness.start_redis()
        started.append(redis)
        copied = twins_harness.copy_key_value_store(app.state, redis.port)
        redis_url = f"redis://127.0.0.1:{redis.port}"
        config = Path(app.state) / f"runtime-config.redis-{redis.port}.toml"
        config.write_text(f'[key_value_store.default]\ntype = "redis"\nurl = "{redis_url}"\n')

        def on_redis(manifest, listen, state):
            return argv_for(manifest, listen, state) + ["--runtime-config-file", str(config)]

        def spin(manifest: Path, argv=argv_for, env=None, state=None) -> Server:
            server = Server(host, argv, manifest, env=env, state=state)
            started.append(server)
            return server

        servers = {
            BASELINE_ROW: spin(FLOORS["baseline"]),
            KV_FLOOR_ROW: spin(FLOORS["baseline-kv"]),
            SERVICES_FLOOR_ROW: spin(SERVICES_FLOOR, state=app.state),
            SQL_FLOOR_ROW: spin(SQL_FLOOR, state=app.state),
            APP_CACHED: app,
            APP_CACHE_OFF: spin(ROOT / "spin.toml", env=CACHE_OFF, state=app.state),
            APP_REDIS_CACHED: spin(ROOT / "spin.toml", on_redis, state=app.state),
            APP_REDIS_CACHE_OFF: spin(ROOT / "spin.toml", on_redis, env=CACHE_OFF, state=app.state),
        }
        # The app has read the book many times by now (the hot scenario), so a copy is cached.
        ctx["services_query"] = cached_read_query(app.state, ctx["token"], ctx["book_id"])
        twins = twins_harness.start_twins(app.base, str(Path(app.state) / "sqlite_db.db"), redis_url)
        started += twins.values()
        servers.update(twins)
        same_answers(servers, ctx)
        cells: dict = {op: {name: {c: [] for c in CONCURRENCIES} for name in rows} for op, rows in TWIN_OPS.items()}
        for round_ in range(1, rounds + 1):
            for c in CONCURRENCIES:
                for op, rows in TWIN_OPS.items():
                    for name in rows:
                        r = wrk(servers[name].base + twin_path(op, name, ctx), c, duration, headers=auth,
                                strict=name not in twins)
                        cells[op][name][c].append(r)
                        log(f"twins round {round_} {op}: {name} c={c}: {r['rps']:.0f} req/s "
                            f"p99 {r['p99_us'] / 1000:.2f} ms")
    finally:
        for server in reversed(started):
            server.stop()
    return {"cells": cells, "copied_keys": copied, "rounds": rounds, "duration": duration}


def time_reports(base: str, token: str, book_id: str, rounds: int = 3, cached_calls: int = 20) -> list[dict]:
    """Each report over HTTP, uncached and cached. Uncached: a write (a merge-patch of the bench
    book's page count) bumps the catalogue's data version first, so the same request misses the
    cache; the figure is the median of `rounds`. Cached: the median of `cached_calls` repeats."""
    out = []
    pages = 300
    for path in REPORT_REQUESTS:
        uncached, cached = [], []
        for _ in range(rounds):
            pages += 1
            status, _, body = call(base, "PATCH", f"/api/books/{book_id}", {"pages": pages}, token=token,
                                   headers={"content-type": "application/merge-patch+json"})
            assert status == 200, (status, body)
            t0 = time.perf_counter(); status, _, body = call(base, "GET", path, token=token)
            uncached.append((time.perf_counter() - t0) * 1000)
            assert status == 200, (path, status, body)
            for _ in range(cached_calls // rounds):
                t0 = time.perf_counter(); call(base, "GET", path, token=token)
                cached.append((time.perf_counter() - t0) * 1000)
        out.append({"report": path, "uncached_ms": statistics.median(uncached), "cached_ms": statistics.median(cached),
                    "cached_p95_ms": sorted(cached)[int(len(cached) * 0.95) - 1]})
    return out


def startup_timings(argv_for, rounds: int = 3) -> dict:
    """Seconds from `spin up` to its first HTTP answer, for each manifest, with a fresh state
    directory each time: {manifest name: {"warm_s", "cold_s"}}. Warm is the median of `rounds`
    starts with Wasmtime's compilation cache (Spin's default, as a developer's second start);
    cold is one start with `--disable-cache`, which compiles every component."""
    def once(manifest: Path, extra: list[str]) -> float:
        with tempfile.TemporaryDirectory() as state:
            port = free_port()
            argv = argv_for(manifest, f"127.0.0.1:{port}", state) + extra
            t0 = time.perf_counter()
            proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                while True:
                    try:
                        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
                        break
                    except urllib.error.HTTPError:
                        break  # it answered
                    except Exception:
                        if proc.poll() is not None or time.perf_counter() - t0 > 300:
                            raise SystemExit(f"spin up of {manifest} did not start")
                        time.sleep(0.01)
                return time.perf_counter() - t0
            finally:
                proc.terminate()
                proc.wait(timeout=30)
    out = {}
    for name, manifest in (("app", ROOT / "spin.toml"), *FLOORS.items()):
        once(manifest, [])  # fills the cache for this build
        out[name] = {"warm_s": statistics.median(once(manifest, []) for _ in range(rounds)),
                     "cold_s": once(manifest, ["--disable-cache"])}
    return out


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({model}), {mem:.0f} GiB, {platform.system()} {platform.release()}"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--duration", type=int, default=5, help="seconds per wrk run (default 5)")
    p.add_argument("--books", type=int, default=100_000, help="books to generate before measuring (default 100000)")
    p.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    p.add_argument("--label", default="", help="what this run is (e.g. 'before: ...', 'after: ...')")
    p.add_argument("--no-build", action="store_true")
    p.add_argument("--no-twins", action="store_true", help="skip the Flask, FastAPI and axum twins (and Redis)")
    p.add_argument("--twin-rounds", type=int, default=2, help="rounds of the interleaved twins section (default 2)")
    p.add_argument("--connection-requests", type=int, default=200,
                   help="requests per route and connection mode in the keep-alive / fresh cell (default 200)")
    args = p.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")

    spin = spin_binary()
    # One sign-in serves the whole run, which lasts longer than the default 15-minute access
    # token: every app server started here (they inherit the environment) issues day-long ones.
    os.environ["SPIN_VARIABLE_ACCESS_TOKEN_TTL_SECONDS"] = "86400"
    if not args.no_build:
        run(["cargo", "build", "--target", "wasm32-wasip2", "--release", *sum((["-p", c] for c in COMPONENTS), [])])
        if not args.no_twins:
            twins_harness.build_axum()
    if not args.no_twins:
        twins_harness.python_env()
        if not twins_harness.AXUM_BIN.exists():
            raise SystemExit(f"no axum twin at {twins_harness.AXUM_BIN}: run without --no-build once")
    version = subprocess.run([spin, "--version"], capture_output=True, text=True).stdout.split("(")[0].strip()
    host, argv_for = host_argv()
    host = f"{host} ({version})"

    sizes = {c: wasm_path(c).stat().st_size for c in COMPONENTS}
    startup = startup_timings(argv_for)
    results = {}
    app = Server(host, argv_for, ROOT / "spin.toml")
    try:
        ctx = prepare(app.base, args.books)
        settle()
        # The floors after the catalogue is written, so that they and the app's scenarios
        # run on the same machine state.
        floors = {}
        for floor_name, manifest in FLOORS.items():
            server = Server(host, argv_for, manifest)
            try:
                floors[floor_name] = {c: wrk(server.base + "/", c, args.duration) for c in CONCURRENCIES}
            finally:
                server.stop()
        floor, kv_floor = floors["baseline"], floors["baseline-kv"]
        rows = []
        for name, method, path, body, headers in scenarios(ctx):
            for k, c in enumerate(CONCURRENCIES):
                paths = cold_paths(ctx, k) if name == COLD_SCENARIO else None
                r = wrk(app.base + path, c, args.duration, method, body, headers, paths)
                rows.append((name, c, r))
                log(f"{host} {name} c={c}: {r['rps']:.0f} req/s p99 {r['p99_us'] / 1000:.2f} ms")
        rows += book_reads_without_cache(host, argv_for, app.state, ctx, args.duration)
        connections = connection_latency(app.base, ctx, args.connection_requests)
        twins = None if args.no_twins else twins_section(host, argv_for, app, ctx, args.duration, args.twin_rounds)
        reports = time_reports(app.base, ctx["token"], ctx["book_id"])
        t0 = time.perf_counter()
        status, _, run_ = call(app.base, "POST", "/api/generator/runs", {"count": 100_000, "seed": 42}, token=ctx["token"])
        gen = {"status": status, "elapsed_ms": run_.get("elapsed_ms") if isinstance(run_, dict) else None,
               "wall_ms": (time.perf_counter() - t0) * 1000}
    finally:
        app.stop()
    results[host] = {"floor": floor, "kv_floor": kv_floor, "rows": rows, "reports": reports, "generator": gen,
                     "setup": ctx["generator"], "connections": connections, "twins": twins}

    write(args, sizes, startup, results)


def joined(values, fmt: str = "{:.0f}") -> str:
    """One figure per round, in round order."""
    return " / ".join(fmt.format(v) for v in values)


def connection_lines(rows: list[dict], requests: int) -> list[str]:
    lines = [f"\nKept-alive connection against a fresh connection per request, concurrency 1, {requests} requests "
             "each, back to back, timed by one client (Python's http.client; target: keep-alive p99 at most 2 × "
             "fresh p99 on every route family):\n",
             "| route | keep-alive p50 ms | keep-alive p99 ms | fresh p50 ms | fresh p99 ms "
             "| keep-alive p99 / fresh p99 | ≤ 2 × |",
             "| --- | ---: | ---: | ---: | ---: | ---: | --- |"]
    for r in rows:
        ratio = r["keep_p99"] / r["fresh_p99"]
        lines.append(f"| {r['route']} (`{r['path']}`) | {r['keep_p50']:.2f} | {r['keep_p99']:.2f} | "
                     f"{r['fresh_p50']:.2f} | {r['fresh_p99']:.2f} | {ratio:.2f} | {'yes' if ratio <= 2 else '**no**'} |")
    return lines


def twin_lines(t: dict) -> list[str]:
    cells = t["cells"]

    def table(op: str) -> list[str]:
        lines = ["| server | conc. | req/s | p50 ms | p99 ms | errors |", "| --- | ---: | ---: | ---: | ---: | ---: |"]
        for name, by_c in cells[op].items():
            for c, runs in by_c.items():
                errors = sum(r["socket_errors"] + r["status_errors"] for r in runs)
                lines.append(f"| {name} | {c} | {joined([r['rps'] for r in runs])} | "
                             f"{joined([r['p50_us'] / 1000 for r in runs], '{:.2f}')} | "
                             f"{joined([r['p99_us'] / 1000 for r in runs], '{:.2f}')} | {errors} |")
        return lines

    def ratios(op: str, row: str, over: str, c: int) -> list[float]:
        return [a["rps"] / b["rps"] if b["rps"] else 0.0 for a, b in zip(cells[op][row][c], cells[op][over][c])]

    lines = ["\nThe twins (bench/twins/README.md): the same authenticated `GET /api/books/{id}` of the same book with "
             "the same token, against one Redis (started with the "
             f"{t['copied_keys']} keys of the app's key-value store) and the app's SQLite file; {t['rounds']} rounds, "
             f"wrk {t['duration']} s per cell, the rows in this order within each concurrency (the first two floors answer "
             "\"ok\" at `/`), each concurrency followed by the list page and the search below. One figure per round, "
             "separated by \" / \":\n"]
    lines += table(BOOK_READ)
    for op in (LIST_READ, SEARCH_READ):
        lines += [f"\nThe {op}, `GET {TWIN_PATHS[op]}`, interleaved with the rows above: the same token and session "
                  "check, then the app's SQL for the page (for a search, the FTS5 probe that picks the plan, then the "
                  "page query) on the same file. The app's \"cache off\" rows run with "
                  "`book_read_cache_fill_one_in = 0`, which turns its list cache off too, so every request runs the "
                  "SQL; \"cached read\" is the list cache's hits:\n"]
        lines += table(op)

    over = [("Flask", "Flask"), ("FastAPI", "FastAPI"), ("axum", "axum"),
            ("one-read floor", KV_FLOOR_ROW), ("services floor", SERVICES_FLOOR_ROW),
            ("read + SQL floor", SQL_FLOOR_ROW), ("baseline", BASELINE_ROW)]
    lines += ["\nThe app's req/s over each server's, round by round (the book read):\n",
              "| app | conc. | " + " | ".join(f"× {label}" for label, _ in over) + " |",
              "| --- | ---: |" + " ---: |" * len(over)]
    for row in APP_ROWS:
        for c in CONCURRENCIES:
            lines.append(f"| {row} | {c} | "
                         + " | ".join(joined(ratios(BOOK_READ, row, key, c), "{:.2f}") for _, key in over) + " |")
    lines += ["\nThe list page and the search: the app's req/s over each twin's, round by round:\n",
              "| request | app | conc. | × Flask | × FastAPI | × axum |", "| --- | --- | ---: | ---: | ---: | ---: |"]
    for op in (LIST_READ, SEARCH_READ):
        for row in (r for r in TWIN_OPS[op] if r not in TWIN_ROWS):
            for c in CONCURRENCIES:
                lines.append(f"| {op} | {row} | {c} | "
                             + " | ".join(joined(ratios(op, row, twin, c), "{:.2f}") for twin in TWIN_ROWS) + " |")
    targets = [("cached read ≥ 0.8 × the one-read floor", BOOK_READ, APP_CACHED, KV_FLOOR_ROW, 0.8),
               ("cached read against the services floor (what Spin's model allows)", BOOK_READ, APP_CACHED,
                SERVICES_FLOOR_ROW, 0.8),
               ("cached read ≥ 2 × Flask", BOOK_READ, APP_CACHED, "Flask", 2.0),
               ("the services floor ≥ 2 × Flask (whether Spin allows that target)", BOOK_READ,
                SERVICES_FLOOR_ROW, "Flask", 2.0),
               ("cached read ≥ 1.5 × FastAPI", BOOK_READ, APP_CACHED, "FastAPI", 1.5),
               ("the services floor ≥ 1.5 × FastAPI (whether Spin allows that target)", BOOK_READ,
                SERVICES_FLOOR_ROW, "FastAPI", 1.5),
               ("read with the cache off ≥ 1 × FastAPI", BOOK_READ, APP_CACHE_OFF, "FastAPI", 1.0),
               ("read with the cache off against the read + SQL floor (what Spin's model allows)", BOOK_READ,
                APP_CACHE_OFF, SQL_FLOOR_ROW, 0.8),
               ("filtered list page with the cache off ≥ 1 × FastAPI", LIST_READ, APP_CACHE_OFF, "FastAPI", 1.0),
               ("search with the cache off ≥ 1 × FastAPI", SEARCH_READ, APP_CACHE_OFF, "FastAPI", 1.0)]
    lines += ["\n| target (issue 27, concurrency 16) | measured | met in every round |", "| --- | ---: | --- |"]
    for label, op, row, key, target in targets:
        measured = ratios(op, row, key, 16)
        lines.append(f"| {label} | {joined(measured, '{:.2f}')} × | {'yes' if min(measured) >= target else '**no**'} |")
    return lines


def write(args, sizes: dict, startup: dict, results: dict) -> None:
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    cmd = "python3 bench/run.py " + " ".join(a for a in sys.argv[1:])
    lines = [f"\n## {now}{' — ' + args.label if args.label else ''}\n",
             f"- machine: {machine()}", f"- command: `{cmd.strip()}`",
             f"- catalogue: {args.books:,} generated books (+1); wrk {args.duration} s per cell, loopback\n",
             "| component | size |", "| --- | ---: |"]
    lines += [f"| `{c}` | {s / 1024:.1f} KiB |" for c, s in sizes.items()]
    lines += ["\nStart-up, `spin up` until its first HTTP answer, fresh state directory:\n",
              "| manifest | warm cache, s (median of 3) | `--disable-cache`, s |", "| --- | ---: | ---: |"]
    lines += [f"| {m} | {t['warm_s']:.2f} | {t['cold_s']:.2f} |" for m, t in startup.items()]
    for host, r in results.items():
        lines += [f"\n### {host}\n", "| scenario | conc. | req/s | × baseline | p50 ms | p99 ms | errors |",
                  "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for c, f in r["floor"].items():
            lines.append(f"| baseline (\"ok\") | {c} | {f['rps']:.0f} | 1.00 | {f['p50_us'] / 1000:.2f} | "
                         f"{f['p99_us'] / 1000:.2f} | {f['socket_errors'] + f['status_errors']} |")
        for name, c, x in [(KV_FLOOR_ROW, c, f) for c, f in r["kv_floor"].items()] + r["rows"]:
            ratio = x["rps"] / r["floor"][c]["rps"] if r["floor"][c]["rps"] else 0
            lines.append(f"| {name} | {c} | {x['rps']:.0f} | {ratio:.2f} | {x['p50_us'] / 1000:.2f} | "
                         f"{x['p99_us'] / 1000:.2f} | {x['socket_errors'] + x['status_errors']} |")
        lines.append(f"\nInstantiation floor: the baseline's p50 at concurrency 1 "
                     f"({r['floor'][1]['p50_us'] / 1000:.2f} ms) is a full request through a fresh instance.")
        hot = {c: x["rps"] for name, c, x in r["rows"] if name == HOT_SCENARIO}
        lines.append("The cached book read against the one-read floor (the share of it the app's own code leaves), "
                     "at concurrency " + " / ".join(str(c) for c in CONCURRENCIES) + ": "
                     + " / ".join(f"{hot[c] / r['kv_floor'][c]['rps']:.2f}" for c in CONCURRENCIES) + " ×.")
        lines += connection_lines(r["connections"], args.connection_requests)
        if r["twins"]:
            lines += twin_lines(r["twins"])
        lines += ["\nGenerator (target: 100,000 books by one request in under 3000 ms):\n",
                  "| run | catalogue before | books | ms inside the component | ms wall |", "| --- | ---: | ---: | ---: | ---: |"]
        stored = 1  # the book prepare() creates first
        for i, x in enumerate(r["setup"]):
            lines.append(f"| setup {i + 1} | {stored:,} | {x['count']:,} | {x['elapsed_ms']} | {x['wall_ms']:.0f} |")
            stored += x["count"]
        g = r["generator"]
        lines.append(f"| after the load runs (status {g['status']}) | {stored:,} | 100,000 | {g['elapsed_ms']} | {g['wall_ms']:.0f} |")
        lines += ["\nReports over HTTP, wall time at the client (targets: uncached under 500 ms, cached under 5 ms):\n",
                  "| request | uncached ms (median) | cached ms (median) | cached ms (p95) |", "| --- | ---: | ---: | ---: |"]
        lines += [f"| `{x['report']}` | {x['uncached_ms']:.1f} | {x['cached_ms']:.2f} | {x['cached_p95_ms']:.2f} |"
                  for x in r["reports"]]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if not out.exists():
        out.write_text("# Benchmarks\n\nWritten by `python3 bench/run.py` (see its docstring); newest last. "
                       "Every run is kept, so figures before and after a change stand side by side.\n")
    with out.open("a") as f:
        f.write("\n".join(lines) + "\n")
    log(f"wrote {out}")


if __name__ == "__main__":
    main()
