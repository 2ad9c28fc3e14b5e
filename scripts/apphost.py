"""Starting the app (or any Spin manifest) for scripts: real `spin up` on a free loopback port
with a fresh state directory, and a tiny JSON client. Used by bench/run.py and
tests/schemathesis/run.py; the Rust black-box suite has its own harness (tests/blackbox)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def log(message: str) -> None:
    print(f"[{Path(sys.argv[0]).stem}] {message}", file=sys.stderr, flush=True)


def run(cmd: list[str], **kw) -> None:
    log(" ".join(cmd))
    subprocess.run(cmd, check=True, cwd=kw.pop("cwd", ROOT), **kw)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def terminate(proc: subprocess.Popen) -> None:
    """Asks a server to stop (SIGTERM), kills it after 10 s, and reaps it."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class Server:
    """An app under a host, on a loopback port, with its own state directory."""

    def __init__(self, host: str, argv_for, manifest: Path, env: dict | None = None, state: str | None = None):
        # With `state`, a second app over another one's files (SQLite and the key-value file take
        # their own locks); the files stay when it stops.
        self.owns_state = state is None
        self.state = state or tempfile.mkdtemp(prefix="folio-bench-")
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.host = host
        logf = open(Path(self.state) / f"server-{self.port}.log", "wb")
        argv = argv_for(manifest, f"127.0.0.1:{self.port}", self.state)
        log(f"starting {host}: {' '.join(argv)}")
        self.proc = subprocess.Popen(argv, cwd=ROOT, stdout=logf, stderr=logf, env={**os.environ, **(env or {})})
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                urllib.request.urlopen(self.base + "/", timeout=2)
                return
            except urllib.error.HTTPError:
                return  # it answered
            except Exception:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.1)
        raise SystemExit(f"{host} did not start; see {self.state}/server-{self.port}.log")

    def stop(self) -> None:
        terminate(self.proc)
        if self.owns_state:
            shutil.rmtree(self.state, ignore_errors=True)


def call(base: str, method: str, path: str, body=None, token=None, form=False, headers=None):
    data = None
    hdrs = dict(headers or {})
    if body is not None:
        if form:
            data = urllib.parse.urlencode(body).encode()
            hdrs["content-type"] = "application/x-www-form-urlencoded"
        else:
            data = json.dumps(body).encode()
            hdrs.setdefault("content-type", "application/json")
    if token:
        hdrs["authorization"] = f"Bearer {token}"
    req = urllib.request.Request(base + path, data=data, method=method, headers=hdrs)
    try:
        with urllib.request.urlopen(req, timeout=600) as r:
            raw = r.read()
            return r.status, dict(r.headers), json.loads(raw) if raw and r.headers.get("content-type", "").endswith("json") else raw
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, dict(e.headers), json.loads(raw)
        except ValueError:
            return e.code, dict(e.headers), raw


def spin_binary() -> str:
    """The Spin CLI: SPIN_BIN, else `spin` on PATH. There is no fallback: the app is tested and
    measured on real Spin only (README, Testing)."""
    spin = os.environ.get("SPIN_BIN") or shutil.which("spin")
    if not spin:
        raise SystemExit("no Spin CLI: set SPIN_BIN or put `spin` on PATH "
                         "(../shared/spin/install, or https://spinframework.dev/install; README, Testing)")
    return spin


def host_argv():
    """How to serve a manifest: (name, argv_for(manifest, listen, state_dir)) for `spin up`."""
    spin = spin_binary()
    return "spin up", lambda m, listen, state: [spin, "up", "--from", str(m), "--listen", listen, "--state-dir", state]
