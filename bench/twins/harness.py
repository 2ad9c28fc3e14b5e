"""The twins' processes for bench/run.py: a Redis server, the app's key-value data copied into it,
and the Flask, FastAPI and axum servers (bench/twins/README.md says what each does).

Everything listens on a free loopback port and is stopped by the caller (`Service.stop`).
"""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

TWINS = Path(__file__).resolve().parent
ROOT = TWINS.parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from apphost import free_port, log, run, terminate  # noqa: E402

# Outside the source tree, beside the app's build output (/target is ignored by git).
VENV = ROOT / "target/twins/venv"
AXUM_TARGET = ROOT / "target/twins"
AXUM_BIN = AXUM_TARGET / "release/folio-twin-axum"
REQUIREMENTS = TWINS / "requirements.txt"


class Service:
    """A process on a loopback port, its output in a log file; ready once it answers."""

    def __init__(self, name: str, argv: list[str], port: int, env: dict | None = None, http: bool = True,
                 cwd: Path = ROOT):
        self.name, self.port = name, port
        self.base = f"http://127.0.0.1:{port}"
        self.log_path = Path(tempfile.gettempdir()) / f"folio-twin-{name}-{port}.log"
        log(f"starting {name}: {' '.join(argv)}")
        with open(self.log_path, "wb") as logf:
            self.proc = subprocess.Popen(argv, cwd=cwd, stdout=logf, stderr=logf, env={**os.environ, **(env or {})})
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                break
            if self._answers(http):
                return
            time.sleep(0.1)
        self.stop()
        raise SystemExit(f"{name} did not start; see {self.log_path}:\n{self.log_path.read_text()[-2000:]}")

    def _answers(self, http: bool) -> bool:
        if not http:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return True
            except OSError:
                return False
        try:
            urllib.request.urlopen(self.base + "/", timeout=2)
            return True
        except urllib.error.HTTPError:
            return True  # any HTTP answer (a twin serves only /api/books..., so `/` is a 404)
        except OSError:
            return False

    def stop(self) -> None:
        terminate(self.proc)


def python_env() -> Path:
    """target/twins/venv with bench/twins/requirements.txt installed; reinstalled only when the
    requirements change (a copy of the installed file is kept in the venv)."""
    stamp = VENV / "requirements.installed"
    if not (VENV / "bin/python").exists():
        run([sys.executable, "-m", "venv", str(VENV)])
    if not stamp.exists() or stamp.read_text() != REQUIREMENTS.read_text():
        run([str(VENV / "bin/python"), "-m", "pip", "install", "-q", "-r", str(REQUIREMENTS)])
        shutil.copyfile(REQUIREMENTS, stamp)
    return VENV / "bin"


def build_axum() -> None:
    """The axum twin, a Cargo project of its own, built into target/twins (not the app's
    target directory, whose wasm32 and native builds it would otherwise share)."""
    run(["cargo", "build", "--release", "--manifest-path", str(TWINS / "axum/Cargo.toml")],
        env={**os.environ, "CARGO_TARGET_DIR": str(AXUM_TARGET)})


def start_redis() -> Service:
    """A throw-away redis-server: no persistence, loopback only."""
    if shutil.which("redis-server") is None:
        raise SystemExit("redis-server is needed for the twins: apt-get install redis-server (or pass --no-twins)")
    port = free_port()
    # With no snapshots and no append-only file it writes nothing to its --dir.
    return Service("redis", ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", tempfile.gettempdir()], port, http=False)


def copy_key_value_store(state_dir: str, redis_port: int) -> int:
    """Copies every key of the app's `default` key-value store (Spin's local store, a SQLite file
    in the state directory) into Redis, with `redis-cli --pipe`: the sessions the twins check
    and the data an app instance on Redis needs (sessions, cache entries, the data version).
    Returns the number of keys copied."""
    path = Path(state_dir) / "sqlite_key_value.db"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10) as db:
        rows = db.execute("SELECT key, value FROM spin_key_value WHERE store = 'default'").fetchall()

    def command(*parts: bytes) -> bytes:
        return b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts)

    payload = b"".join(command(b"SET", key.encode(), bytes(value)) for key, value in rows)
    out = subprocess.run(["redis-cli", "-p", str(redis_port), "--pipe"], input=payload, capture_output=True)
    if out.returncode != 0 or b"errors: 0," not in out.stdout:
        raise SystemExit(f"copying the key-value store into Redis failed: {out.stdout!r} {out.stderr!r}")
    return len(rows)


def start_twins(app_url: str, db_path: str, redis_url: str) -> dict[str, Service]:
    """Flask + gunicorn (2 sync workers), FastAPI + uvicorn (2 workers), axum + tokio, each on
    its own port, all reading `db_path` (read-only) and checking sessions in `redis_url`."""
    bin_dir = VENV / "bin"
    env = {"FOLIO_URL": app_url, "FOLIO_DB": db_path, "FOLIO_REDIS": redis_url}
    started: dict[str, Service] = {}
    try:
        port = free_port()
        started["Flask"] = Service("flask", [str(bin_dir / "gunicorn"), "--chdir", str(TWINS / "flask"),
                                             "--workers", "2", "--worker-class", "sync",
                                             "--bind", f"127.0.0.1:{port}", "app:app"], port, env)
        port = free_port()
        # uvicorn logs every request by default; the other twins log none.
        started["FastAPI"] = Service("fastapi", [str(bin_dir / "uvicorn"), "--app-dir", str(TWINS / "fastapi"),
                                                 "--workers", "2", "--host", "127.0.0.1", "--port", str(port),
                                                 "--no-access-log", "app:app"], port, env)
        port = free_port()
        started["axum"] = Service("axum", [str(AXUM_BIN)], port, {**env, "FOLIO_LISTEN": f"127.0.0.1:{port}"})
    except BaseException:
        for s in started.values():
            s.stop()
        raise
    return started
