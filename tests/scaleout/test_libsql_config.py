"""The libSQL runtime config on real Spin (issue 26; docs/scale-out.md, "libSQL").

No package registry reachable here ships a libSQL server (sqld) that Spin can use, so the
two-replica tests run on a shared SQLite file instead. What is checked here is the other half:
deploy/runtime-config.redis-libsql.toml itself, with only its two addresses replaced, is
accepted by Spin's own runtime-config parser, and the app then fails only where the libSQL
server is unreachable: Spin starts, serves, uses Redis, and every SQL call reports the refused
connection. Broken variants of the same file are refused by Spin at start-up, so the parser is
really reading it.
"""

from __future__ import annotations

import tomllib

import pytest

from conftest import (
    MANIFEST,
    ROOT,
    Proc,
    Redis,
    Spin,
    free_port,
    require_components,
    spin_binary,
    tail,
)

LIBSQL_CONFIG = ROOT / "deploy" / "runtime-config.redis-libsql.toml"


def libsql_config(path, redis_url: str, libsql_url: str, mutate=lambda text: text):
    text = LIBSQL_CONFIG.read_text()
    shipped = tomllib.loads(text)
    for old, new in ((shipped["key_value_store"]["default"]["url"], redis_url),
                     (shipped["sqlite_database"]["default"]["url"], libsql_url)):
        assert text.count(f'"{old}"') == 1, old
        text = text.replace(f'"{old}"', f'"{new}"')
    path.write_text(mutate(text))
    return path


@pytest.fixture
def redis(tmp_path, spin_bin):
    require_components()
    r = Redis(tmp_path / "redis")
    try:
        yield r
    finally:
        r.stop()


def test_spin_accepts_the_libsql_config_and_fails_only_on_the_unreachable_server(redis, tmp_path):
    unreachable = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    config = libsql_config(tmp_path / "rc.toml", redis.url, unreachable)
    app = Spin("libsql app", str(MANIFEST), tmp_path / "app", config, ready_path="/api/health", ready_status=None)
    try:
        out = tail(app.log_path)
        assert "[key_value_store.default: redis], [sqlite_database.default: libsql]" in out, out
        assert f"Storing default SQLite data to libSQL at {unreachable}" in out, out

        r = app.get("/api/health")
        assert r.status == 503, r.text
        assert r.json()["checks"] == {"sqlite": "error", "kv": "ok", "stores": "unchecked", "config": "ok"}, r.text
        # The store-free UI is served; the key-value store (Redis) answers.
        assert app.get("/").status == 200
        # The only failure is the refused connection to the libSQL server.
        log = (app.state / "logs" / "auth_stderr.txt").read_text()
        failures = [line for line in log.splitlines() if '"health_check_failed"' in line]
        assert failures and all('"check":"sqlite"' in line for line in failures), log
        assert all("Connection refused" in line and "Hrana" in line for line in failures), failures
    finally:
        app.stop()


@pytest.mark.parametrize(
    "mutate,error",
    [
        (lambda t: t.replace("\ntoken =", "\ntokn ="), "unknown field `tokn`"),
        (lambda t: t.replace('type = "libsql"', 'type = "libsqll"'), "Unknown database kind: libsqll"),
        (lambda t: t.replace('url = "http://127.0.0.1', 'url = "ftp://127.0.0.1'), "URL does not start with 'https://' or 'http://'"),
    ],
    ids=["misspelt-field", "unknown-kind", "bad-scheme"],
)
def test_spin_refuses_broken_variants_of_the_same_file(redis, tmp_path, mutate, error):
    config = libsql_config(tmp_path / "rc.toml", redis.url, f"http://127.0.0.1:{free_port()}", mutate)
    assert config.read_text() != libsql_config(tmp_path / "good.toml", redis.url, "http://127.0.0.1:1").read_text()
    log = tmp_path / "spin.log"
    proc = Proc([spin_binary(), "up", "--from", str(MANIFEST), "--listen", f"127.0.0.1:{free_port()}",
                 "--state-dir", str(tmp_path / "state"), "--runtime-config-file", str(config)], log, ROOT)
    try:
        code = proc.proc.wait(timeout=120)
    finally:
        proc.stop()
    assert code != 0 and error in tail(log), tail(log)
