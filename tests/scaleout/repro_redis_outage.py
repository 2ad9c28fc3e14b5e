#!/usr/bin/env python3
"""Measures an open finding (docs/scale-out.md, "When a store is down"): with Redis down, Spin
4.0.2 holds every request that touches the key-value store for minutes instead of failing it.
Not part of the test suite (it takes up to twenty minutes): it exits 1 while the hang is there.

Three scenarios run side by side, each on its own `spin up` of this checkout's app with the
key-value store on Redis (deploy/runtime-config.redis-shared-file.toml):

- never:   Redis never started. `GET /api/health` at once, and a second one 5 s later.
- killed:  Redis up, health 200, then Redis SIGKILLed; health, then health again.
- back:    Redis up, then killed; health sent; Redis started again on the same port 5 s later.

Each line says how long the request took and what it answered. What the source predicts
(docs/scale-out.md has the references): a request waits out redis-rs 0.32's connection
back-off, 6 retries after 1-2 s and then 60-120 s each, about 5 to 10 minutes, then gets
`Connection refused` (`503` naming `kv` since the app maps it); the next request starts the
wait again; a Redis that is back is found at the next attempt, up to 2 minutes later.

    python3 tests/scaleout/repro_redis_outage.py [never] [killed] [back]   # default: all three
    # exit 1: a request waited more than 10 s; exit 0: every request answered quickly
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from conftest import MANIFEST, Redis, Spin, free_port, require_components, shared_runtime_config  # noqa: E402

QUICK = 10.0
results: list[tuple[str, float, str]] = []
lock = threading.Lock()


def health(app: Spin, label: str) -> float:
    start = time.monotonic()
    try:
        r = app.request("GET", "/api/health", timeout=1200)
        outcome = f"{r.status} {r.json().get('checks')}"
    except OSError as e:
        outcome = f"no answer ({e})"
    elapsed = time.monotonic() - start
    with lock:
        results.append((label, elapsed, outcome))
        print(f"{label:<34} {elapsed:7.1f} s  {outcome}", flush=True)
    return elapsed


def never(work: Path) -> None:
    work.mkdir(parents=True)
    config = shared_runtime_config(work / "rc.toml", f"redis://127.0.0.1:{free_port()}", work / "folio.db")
    app = Spin("never", str(MANIFEST), work / "app", config, ready_path="/")
    try:
        first = threading.Thread(target=health, args=(app, "never: first health"))
        first.start()
        time.sleep(5)
        health(app, "never: second health (sent 5 s later)")
        first.join()
    finally:
        app.stop()


def killed(work: Path) -> None:
    redis = Redis(work / "redis")
    config = shared_runtime_config(work / "rc.toml", redis.url, work / "folio.db")
    app = Spin("killed", str(MANIFEST), work / "app", config)
    try:
        health(app, "killed: health before the kill")
        redis.proc.kill()
        health(app, "killed: first health after")
        health(app, "killed: next health")
    finally:
        app.stop()
        redis.stop()


def back(work: Path) -> None:
    redis = Redis(work / "redis")
    config = shared_runtime_config(work / "rc.toml", redis.url, work / "folio.db")
    app = Spin("back", str(MANIFEST), work / "app", config)
    again = None
    try:
        redis.proc.kill()
        pending = threading.Thread(target=health, args=(app, "back: health sent after the kill"))
        pending.start()
        time.sleep(5)
        again = Redis(work / "redis2", port=redis.port)
        print("back: Redis started again on the same port", flush=True)
        pending.join()
        health(app, "back: next health")
    finally:
        app.stop()
        redis.stop()
        if again:
            again.stop()


def main() -> int:
    require_components()
    with tempfile.TemporaryDirectory(prefix="folio-redis-outage-") as tmp:
        chosen = [f for f in (never, killed, back) if f.__name__ in sys.argv[1:] or len(sys.argv) == 1]
        threads = [threading.Thread(target=f, args=(Path(tmp) / f.__name__,)) for f in chosen]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    slow = [r for r in results if r[1] > QUICK]
    print(f"\n{len(slow)} of {len(results)} requests waited more than {QUICK:.0f} s")
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
