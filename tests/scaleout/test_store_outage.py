"""A shared store that is down, on real Spin (issue 26; docs/scale-out.md, "When a store is
down").

- **libSQL unreachable** (deploy/runtime-config.redis-libsql.toml with the libSQL URL at a
  loopback port nobody listens on, Redis up): every route that needs SQL answers a quick `503`
  `unavailable` problem with `Retry-After`, in every route family (sign-up, sign-in, the token
  check, books list/read/create, reports, generator, status, JWKS), health names `sqlite`, the
  UI still answers, and no answer names the server, the port or the client's message.
- **Redis never up**, and **Redis killed while Spin runs**: Spin 4.0.2's Redis store waits out
  its reconnection back-off (minutes) inside the host call, so a request that touches the
  key-value store cannot answer quickly (docs/scale-out.md has the source and the timings; the
  app cannot bound a host call). What is proven here is what an operator relies on instead:
  within the readiness probe's timeout (deploy/spinkube/spinapp.yaml) health never says ready,
  the liveness probe's path and the OpenAPI document still answer at once, and a Redis that
  comes back on the same address is used again by the running Spin, without a restart.

"Quick" is QUICK seconds: a bound for an answer that waits on nothing, far above what these
take on loopback (milliseconds), not a benchmark.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from conftest import (
    ADMIN_EMAIL,
    MANIFEST,
    PASSWORD,
    ROOT,
    Redis,
    Resp,
    Spin,
    book_body,
    free_port,
    require_components,
    resp_command,
    shared_runtime_config,
    wait_until,
)
from test_libsql_config import libsql_config

QUICK = 5.0
# After Redis comes back, the running Spin's reconnection succeeds at its next attempt: redis-rs
# 0.32's ConnectionManager waits at most 2 x 60 s between attempts (docs/scale-out.md).
RECOVERY = 180.0


def probes() -> dict:
    """The SpinApp's liveness and readiness probes: what Kubernetes asks, and how long it waits
    (Kubernetes' default timeout is 1 s)."""
    doc = yaml.safe_load((ROOT / "deploy" / "spinkube" / "spinapp.yaml").read_text())
    checks = doc["spec"]["checks"]
    return {kind: {"path": checks[kind]["httpGet"]["path"], "timeout": float(checks[kind].get("timeoutSeconds", 1))}
            for kind in ("liveness", "readiness")}


def timed(app: Spin, method: str, path: str, **kwargs) -> Resp:
    """A request that must be answered within QUICK seconds."""
    start = time.monotonic()
    r = app.request(method, path, timeout=QUICK, **kwargs)
    elapsed = time.monotonic() - start
    assert elapsed < QUICK, f"{method} {path}: {elapsed:.1f} s"
    return r


def assert_unavailable(r: Resp, what: str, store: str, secrets: list[str]) -> None:
    assert r.status == 503, f"{what}: {r.status} {r.text}"
    assert r.header("content-type") == "application/problem+json", f"{what}: {r.headers}"
    assert r.header("retry-after") == "2", f"{what}: {r.headers}"
    body = r.json()
    assert body["type"] == "/docs/problems#unavailable" and body["status"] == 503, f"{what}: {body}"
    assert body["detail"] == f"the {store} cannot be reached right now; retry shortly", f"{what}: {body}"
    for secret in secrets:
        assert secret not in r.text, f"{what} leaks {secret!r}: {r.text}"


def assert_store_free_routes_answer(app: Spin) -> None:
    """The liveness probe's path (the store-free UI) and the OpenAPI document answer at once."""
    live = probes()["liveness"]
    r = app.request("GET", live["path"], timeout=live["timeout"])
    assert r.status == 200 and (r.header("content-type") or "").startswith("text/html"), r.status
    r = timed(app, "GET", "/api/openapi.json")
    assert r.status == 200 and r.json()["openapi"].startswith("3.1"), r.status


def readiness(app: Spin) -> str:
    """What the readiness probe sees: "ready" (200 within its timeout), "not ready: <status>"
    (an answer that is not 200, which must then be health's 503 naming `kv`), or "not ready:
    no answer" (its timeout passed)."""
    ready = probes()["readiness"]
    try:
        r = app.request("GET", ready["path"], timeout=ready["timeout"])
    except TimeoutError:
        return "not ready: no answer"
    if r.status == 200:
        return "ready"
    assert r.status == 503 and r.json()["checks"]["kv"] == "error", r.text
    return f"not ready: {r.status}"


@pytest.fixture
def redis(tmp_path, spin_bin):
    require_components()
    servers: list[Redis] = []

    def start(port: int | None = None) -> Redis:
        server = Redis(tmp_path / f"redis{len(servers)}", port=port)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def test_libsql_unreachable_every_route_that_needs_sql_is_a_quick_503(redis, tmp_path):
    kv = redis()
    # An account, its session (in Redis) and a book, made while the database was reachable: so
    # that the routes below get past the token check and are refused for the database alone.
    setup = Spin("setup", str(MANIFEST), tmp_path / "setup",
                 shared_runtime_config(tmp_path / "file.toml", kv.url, tmp_path / "folio.db"))
    try:
        token = setup.client.login(ADMIN_EMAIL)["access_token"]
        r = setup.request("POST", "/api/books", book_body("Outage", "Outage Author"), token=token)
        assert r.status == 201, r.text
        book_id = r.json()["id"]
    finally:
        setup.stop()

    port = free_port()  # nothing listens there
    config = libsql_config(tmp_path / "libsql.toml", kv.url, f"http://127.0.0.1:{port}")
    app = Spin("libsql down", str(MANIFEST), tmp_path / "app", config, ready_path="/")
    try:
        secrets = [str(port), "127.0.0.1", "Hrana", "refused", "os error", "REPLACE_WITH_LIBSQL_AUTH_TOKEN"]
        routes = [
            ("POST", "/api/auth/register", {"email": "new@scaleout.test", "password": "correct horse battery"}),
            ("GET", "/api/auth/me", None),
            ("GET", "/api/books", None),
            ("GET", f"/api/books/{book_id}", None),
            ("POST", "/api/books", book_body("Refused", "Nobody")),
            ("GET", "/api/reports/summary", None),
            ("GET", "/api/reports/genres?format=csv", None),
            ("GET", "/api/generator/preview?count=1", None),
            ("GET", "/api/generator/runs", None),
            ("POST", "/api/generator/runs", {"count": 1}),
            ("GET", "/api/status", None),
            ("GET", "/.well-known/jwks.json", None),
        ]
        for method, path, body in routes:
            r = timed(app, method, path, body=body, token=token)
            assert_unavailable(r, f"{method} {path}", "database", secrets)
        start = time.monotonic()
        r = app.client.password_grant(ADMIN_EMAIL)  # sign-in
        assert time.monotonic() - start < QUICK
        assert_unavailable(r, "sign-in", "database", secrets)

        r = timed(app, "GET", "/api/health")
        assert r.status == 503 and r.header("retry-after") == "2", r.text
        assert r.header("content-type") == "application/problem+json"
        assert r.json()["checks"] == {"sqlite": "error", "kv": "ok", "stores": "unchecked", "config": "ok"}, r.text
        assert r.json()["detail"] == "failing checks: sqlite", r.text
        assert_store_free_routes_answer(app)
        # Routes that need no SQL are not refused: the list of reports is static.
        assert timed(app, "GET", "/api/reports", token=token).status == 200

        # The cause is in the log, for the operator, under its own event.
        log = "".join(f.read_text() for f in (app.state / "logs").glob("*_stderr.txt"))
        lines = [line for line in log.splitlines() if '"event":"store_unavailable"' in line]
        assert lines and all('"store":"database"' in line and "Connection refused" in line for line in lines), log
        assert '"event":"internal_error"' not in log, log
    finally:
        app.stop()


def test_redis_never_up_is_not_ready_and_the_store_free_routes_answer(tmp_path, spin_bin):
    require_components()
    nobody = free_port()
    config = shared_runtime_config(tmp_path / "rc.toml", f"redis://127.0.0.1:{nobody}", tmp_path / "folio.db")
    app = Spin("no redis", str(MANIFEST), tmp_path / "app", config, ready_path="/")
    try:
        assert_store_free_routes_answer(app)
        # On Spin 4.0.2 health does not answer within the probe's timeout (the host waits out
        # its connection back-off); either way it never says ready.
        assert readiness(app).startswith("not ready"), "health said ready without Redis"
        assert readiness(app).startswith("not ready")
        assert_store_free_routes_answer(app)
    finally:
        app.stop()


def test_redis_killed_mid_run_then_back_the_app_recovers_without_restart(redis, tmp_path):
    kv = redis()
    config = shared_runtime_config(tmp_path / "rc.toml", kv.url, tmp_path / "folio.db")
    app = Spin("A", str(MANIFEST), tmp_path / "app", config)
    try:
        token = app.client.login(ADMIN_EMAIL)["access_token"]
        r = app.request("POST", "/api/books", book_body("Before the outage", "Outage Author"), token=token)
        assert r.status == 201, r.text
        book = r.json()
        assert readiness(app) == "ready"

        kv.proc.kill()  # SIGKILL, as when its node dies: no goodbye on the connection
        assert readiness(app).startswith("not ready"), "health said ready with Redis dead"
        assert_store_free_routes_answer(app)

        # Redis back on the same address, empty (it keeps nothing on disk here).
        redis(port=kv.port)
        spin_pid = app.proc.proc.pid
        outcomes: list[str] = []

        def ready():
            outcomes.append(readiness(app))
            return outcomes[-1] == "ready"

        wait_until(ready, RECOVERY, "health to say ready again after Redis came back", interval=1.0)
        assert app.proc.running() and app.proc.proc.pid == spin_pid, "Spin was restarted"

        # The sessions lived in the Redis that died: the old token is refused (never a 500 or
        # a hang), signing in again works, and the catalogue (in SQLite) is intact.
        r = timed(app, "GET", f"/api/books/{book['id']}", token=token)
        assert r.status == 401, r.text
        token = app.client.sign_in(ADMIN_EMAIL)["access_token"]
        r = timed(app, "GET", f"/api/books/{book['id']}", token=token)
        assert r.status == 200 and r.json() == book, r.text
        assert timed(app, "GET", "/api/health").status == 200
    finally:
        app.stop()


def test_redis_that_answers_but_cannot_serve_is_a_quick_503(redis, tmp_path):
    """A Redis that is up but refuses writes (full, with `noeviction`: `OOM command not allowed
    ...`) is the key-value store unavailable: `503` with `Retry-After`, at once, never a `500`
    (it was, on sign-in, in the operator audit of 2026-12-07), and the app answers again as soon
    as Redis has room."""
    kv = redis()
    config = shared_runtime_config(tmp_path / "rc.toml", kv.url, tmp_path / "folio.db")
    app = Spin("A", str(MANIFEST), tmp_path / "app", config)
    try:
        app.client.login(ADMIN_EMAIL)
        assert resp_command(kv.port, "CONFIG", "SET", "maxmemory-policy", "noeviction").startswith(b"+OK")
        assert resp_command(kv.port, "CONFIG", "SET", "maxmemory", "1").startswith(b"+OK")
        grant = {"grant_type": "password", "username": ADMIN_EMAIL, "password": PASSWORD}
        r = timed(app, "POST", "/api/auth/token", body=grant)
        assert_unavailable(r, "sign-in with Redis full", "key-value store", ["OOM", "maxmemory", str(kv.port)])
        assert "store_unavailable" in app.logs()
        assert resp_command(kv.port, "CONFIG", "SET", "maxmemory", "0").startswith(b"+OK")
        assert timed(app, "POST", "/api/auth/token", body=grant).status == 200
    finally:
        app.stop()
