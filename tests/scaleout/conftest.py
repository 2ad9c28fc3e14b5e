"""The scale-out suite's harness (docs/scale-out.md): real `spin up` replicas of this checkout's
app on free loopback ports, the stores they share (a `redis-server` and one SQLite file), a
Docker distribution registry, and a small HTTP client.

Every process is started in its own process group (`spin up` runs the app in a child `spin
trigger http`, and killing only the parent would leave the child serving) and is stopped by the
fixture that started it, whatever the test did. Nothing here sleeps for a fixed time: every
wait polls for the condition it waits for, within a deadline.

Needs: the Spin CLI (`SPIN_BIN`, else `spin` on PATH; the suite fails without it), the five
release components under target/wasm32-wasip2/release/ (scripts/test.sh builds them first),
Debian's `redis-server` and, for the registry tests, `docker-registry`.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import threading
import time
import tomllib
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "spin.toml"
COMPONENTS = ("auth", "books", "generator", "reports", "ui")
ADMIN_EMAIL = "admin@scaleout.test"
PASSWORD = "correct horse battery staple"
# The environment every replica gets: an administrator, and caches that fill on every miss
# (the harder case for coherence: every read leaves a copy behind that a write must retire).
APP_ENV = {"SPIN_VARIABLE_ADMIN_EMAILS": ADMIN_EMAIL, "SPIN_VARIABLE_BOOK_READ_CACHE_FILL_ONE_IN": "1"}
START_TIMEOUT = 120.0


# --- small utilities ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout: float, what: str, interval: float = 0.02):
    """Polls `predicate` until it returns something truthy, which is returned; fails after
    `timeout` seconds, naming `what` was awaited."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def tail(path: Path, limit: int = 4000) -> str:
    try:
        return path.read_text(errors="replace")[-limit:]
    except OSError as e:
        return f"(no log: {e})"


def spin_binary() -> str:
    spin = os.environ.get("SPIN_BIN") or shutil.which("spin")
    if not spin or not os.access(spin, os.X_OK):
        pytest.fail(
            "no Spin CLI: set SPIN_BIN or put `spin` on PATH (../shared/spin/install installs "
            "Spin 4.0.2; README, Testing). The scale-out tests run on real `spin up` only.",
            pytrace=False,
        )
    return spin


def require_program(name: str, package: str) -> str:
    path = shutil.which(name)
    if not path:
        pytest.fail(f"`{name}` is needed (Debian package {package}; .ci/run installs it)", pytrace=False)
    return path


def require_components() -> None:
    missing = [c for c in COMPONENTS if not (ROOT / f"target/wasm32-wasip2/release/{c}.wasm").is_file()]
    if missing:
        pytest.fail(
            f"components not built: {missing}; run `cargo build --target wasm32-wasip2 --release "
            + " ".join(f"-p {c}" for c in COMPONENTS)
            + "` (scripts/test.sh does this before this step)",
            pytrace=False,
        )


def app_metadata() -> dict:
    return tomllib.loads(MANIFEST.read_text())["application"]


# --- HTTP ------------------------------------------------------------------------------------


@dataclass
class Resp:
    status: int
    headers: dict  # lower-cased names
    body: bytes

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError as e:
            raise AssertionError(f"status {self.status}: body is not JSON ({e}): {self.text[:500]}") from None

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


class Client:
    """A plain HTTP/1.1 client for one base URL: one fresh connection per request, no redirects."""

    def __init__(self, base: str, timeout: float = 120.0):
        parsed = urllib.parse.urlsplit(base)
        self.base = base
        self.host, self.port = parsed.hostname, parsed.port
        self.timeout = timeout

    def request(self, method: str, path: str, body=None, token: str | None = None,
                headers: dict | None = None, form: bool = False, timeout: float | None = None) -> Resp:
        hdrs = dict(headers or {})
        data = None
        if body is not None:
            if form:
                data = urllib.parse.urlencode(body).encode()
                hdrs.setdefault("content-type", "application/x-www-form-urlencoded")
            elif isinstance(body, bytes):
                data = body
            else:
                data = json.dumps(body).encode()
                hdrs.setdefault("content-type", "application/json")
        if token:
            hdrs["authorization"] = f"Bearer {token}"
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout or self.timeout)
        try:
            conn.request(method, path, body=data, headers=hdrs)
            r = conn.getresponse()
            payload = r.read()
            return Resp(r.status, {k.lower(): v for k, v in r.getheaders()}, payload)
        finally:
            conn.close()

    def get(self, path: str, token: str | None = None, headers: dict | None = None) -> Resp:
        return self.request("GET", path, token=token, headers=headers)

    # The token service ---------------------------------------------------------------------

    def register(self, email: str, password: str = PASSWORD) -> Resp:
        return self.request("POST", "/api/auth/register", {"email": email, "password": password})

    def password_grant(self, email: str, password: str = PASSWORD) -> Resp:
        return self.request("POST", "/api/auth/token",
                            {"grant_type": "password", "username": email, "password": password}, form=True)

    def sign_in(self, email: str, password: str = PASSWORD) -> dict:
        r = self.password_grant(email, password)
        assert r.status == 200, f"sign-in of {email} on {self.base}: {r.status} {r.text}"
        return r.json()

    def login(self, email: str) -> dict:
        """Registers `email` (an existing account is fine) and signs in."""
        r = self.register(email)
        assert r.status in (201, 409), f"register {email} on {self.base}: {r.status} {r.text}"
        return self.sign_in(email)


_counter = iter(range(1, 1 << 62))
_counter_lock = threading.Lock()


def unique(prefix: str) -> str:
    with _counter_lock:
        n = next(_counter)
    return f"{prefix}-{time.time_ns()}-{n}"


def unique_email(prefix: str) -> str:
    return f"{unique(prefix)}@scaleout.test"


def isbn13(n: int) -> str:
    """A valid ISBN-13 made from the number `n`, under 979-8, a prefix the generator never
    draws from (crates/folio-generator/src/vocab.rs), so the tests' books cannot collide with
    a generated one."""
    digits = f"9798{n % 10**8:08d}"
    total = sum(int(c) * (1 if i % 2 == 0 else 3) for i, c in enumerate(digits))
    return digits + str((10 - total % 10) % 10)


_isbn_seed = time.time_ns() // 1000


def unique_isbn() -> str:
    with _counter_lock:
        n = next(_counter)
    return isbn13(_isbn_seed * 7 + n * 7919)


# --- processes -------------------------------------------------------------------------------


class Proc:
    """A process in its own process group, logging to a file."""

    def __init__(self, argv: list[str], log: Path, cwd: Path, env: dict | None = None):
        self.argv = argv
        self.log_path = log
        self._log = open(log, "ab")
        self.proc = subprocess.Popen(
            argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})}, start_new_session=True,
        )

    def running(self) -> bool:
        return self.proc.poll() is None

    def _signal_group(self, sig) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, sig)

    def kill(self) -> None:
        """SIGKILL to the whole group: no handler runs, no cleanup, as when a node dies."""
        self._signal_group(signal.SIGKILL)
        self.proc.wait(timeout=30)
        self._log.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self._signal_group(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
        # Whatever is left of the group (a child that outlived its parent) goes too.
        self._signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=15)
        self._log.close()


def resp_command(port: int, *args: str) -> bytes:
    """One Redis command over RESP; returns the raw reply (enough for PING and DBSIZE)."""
    payload = f"*{len(args)}\r\n".encode() + b"".join(
        f"${len(a.encode())}\r\n".encode() + a.encode() + b"\r\n" for a in args)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(payload)
        reply = b""
        while not reply.endswith(b"\r\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            reply += chunk
        return reply


class Redis:
    """A `redis-server` on loopback without persistence; `port` starts it on a given port (a
    Redis back on the address of one that died, as after a restart)."""

    def __init__(self, workdir: Path, port: int | None = None):
        require_program("redis-server", "redis-server")
        workdir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}"
        self.proc = Proc(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                          "--appendonly", "no", "--dir", str(workdir)], workdir / "redis.log", workdir)

        def ready():
            if not self.proc.running():
                raise AssertionError(f"redis-server exited:\n{tail(self.proc.log_path)}")
            try:
                return resp_command(self.port, "PING").startswith(b"+PONG")
            except OSError:
                return False

        wait_until(ready, 30, "redis-server to answer PING")

    def dbsize(self) -> int:
        reply = resp_command(self.port, "DBSIZE")
        assert reply.startswith(b":"), reply
        return int(reply[1:].strip())

    def stop(self) -> None:
        self.proc.stop()


class Spin:
    """One `spin up` of the app on a free loopback port."""

    def __init__(self, name: str, source: str, workdir: Path, runtime_config: Path | None = None,
                 env: dict | None = None, extra: list[str] | None = None, cwd: Path | None = None,
                 ready_path: str = "/api/health", ready_status: int | None = 200):
        self.name = name
        self.source = source
        self.workdir = workdir
        self.runtime_config = runtime_config
        self.env = {**APP_ENV, **(env or {})}
        self.extra = list(extra or [])
        self.cwd = cwd or ROOT
        self.ready_path = ready_path
        self.ready_status = ready_status
        self.proc: Proc | None = None
        self.start()

    def start(self) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.client = Client(self.base)
        self.state = self.workdir / f"state-{self.port}"
        self.state.mkdir(parents=True, exist_ok=True)
        argv = [spin_binary(), "up", "--from", self.source, "--listen", f"127.0.0.1:{self.port}",
                "--state-dir", str(self.state), *self.extra]
        if self.runtime_config:
            argv += ["--runtime-config-file", str(self.runtime_config)]
        self.log_path = self.state / "spin.log"
        self.proc = Proc(argv, self.log_path, self.cwd, self.env)

        def ready():
            if not self.proc.running():
                raise AssertionError(f"{self.name}: spin up exited ({self.proc.proc.returncode}):\n"
                                     f"{' '.join(argv)}\n{tail(self.log_path)}")
            try:
                r = self.client.request("GET", self.ready_path, timeout=5)
            except OSError:
                return False
            return self.ready_status is None or r.status == self.ready_status

        wait_until(ready, START_TIMEOUT, f"{self.name} ({self.base}) to answer {self.ready_path}", 0.05)

    def logs(self) -> str:
        """Spin's own output and every component's stderr, for failure messages."""
        parts = [f"--- {self.name} spin.log ---\n{tail(self.log_path)}"]
        for f in sorted((self.state / "logs").glob("*_stderr.txt")):
            parts.append(f"--- {f.name} ---\n{tail(f, 2000)}")
        return "\n".join(parts)

    def kill(self) -> None:
        self.proc.kill()

    def stop(self) -> None:
        if self.proc:
            self.proc.stop()

    def restart(self) -> None:
        """Starts it again (on a new port) over the same stores."""
        self.stop()
        self.start()

    # Shortcuts to the client.
    def request(self, *args, **kwargs) -> Resp:
        return self.client.request(*args, **kwargs)

    def get(self, *args, **kwargs) -> Resp:
        return self.client.get(*args, **kwargs)


# --- the shared stores ----------------------------------------------------------------------

SHARED_CONFIG_TEMPLATE = ROOT / "deploy" / "runtime-config.redis-shared-file.toml"


def shared_runtime_config(path: Path, redis_url: str, db_path: Path) -> Path:
    """deploy/runtime-config.redis-shared-file.toml with this run's Redis URL and database file:
    the file operators use, not a copy of its content written here."""
    text = SHARED_CONFIG_TEMPLATE.read_text()
    config = tomllib.loads(text)
    old_url = config["key_value_store"]["default"]["url"]
    old_path = config["sqlite_database"]["default"]["path"]
    assert text.count(f'"{old_url}"') == 1 and text.count(f'"{old_path}"') == 1, "placeholders must be unique"
    text = text.replace(f'"{old_url}"', json.dumps(redis_url)).replace(f'"{old_path}"', json.dumps(str(db_path)))
    parsed = tomllib.loads(text)
    assert parsed["key_value_store"]["default"] == {"type": "redis", "url": redis_url}
    assert parsed["sqlite_database"]["default"] == {"type": "spin", "path": str(db_path)}
    path.write_text(text)
    return path


class Cluster:
    """Redis, one SQLite file, and two replicas A and B of the app using both."""

    def __init__(self, workdir: Path, ready_path: str = "/api/health"):
        require_components()
        self.workdir = workdir
        self.redis: Redis | None = None
        self.replicas: list[Spin] = []
        try:
            self.redis = Redis(workdir / "redis")
            (workdir / "shared").mkdir(parents=True, exist_ok=True)
            self.db = workdir / "shared" / "folio.db"
            self.runtime_config = shared_runtime_config(workdir / "runtime-config.toml", self.redis.url, self.db)
            for name in ("A", "B"):
                self.replicas.append(Spin(name, str(MANIFEST), workdir / name, self.runtime_config,
                                          ready_path=ready_path))
        except BaseException:
            self.close()
            raise
        self.a, self.b = self.replicas

    def close(self) -> None:
        for replica in self.replicas:
            with contextlib.suppress(Exception):
                replica.stop()
        if self.redis:
            self.redis.stop()

    def logs(self) -> str:
        return "\n".join(r.logs() for r in self.replicas)

    def sql(self, statement: str, params=()) -> list[tuple]:
        """A read of the shared database file, beside the replicas (WAL mode: no lock taken)."""
        conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=10)
        try:
            return conn.execute(statement, params).fetchall()
        finally:
            conn.close()

    def writer_active(self) -> bool:
        """Whether some connection holds the database's write lock right now: a probe takes it
        with `BEGIN IMMEDIATE` and no busy wait, and gives it back at once."""
        conn = sqlite3.connect(str(self.db), timeout=0, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError as e:
            if "locked" in str(e) or "busy" in str(e):
                return True
            raise
        finally:
            conn.close()


def wait_for_long_write(cluster: Cluster, request: threading.Thread, hold: float = 0.25, timeout: float = 60) -> None:
    """Waits until the shared database's write lock has been held for `hold` seconds without a
    break while `request` is still unanswered: a transaction in progress, not the moment a
    closing connection takes the lock to fold the write-ahead log back into the file."""
    since: list[float] = []

    def held():
        assert request.is_alive(), "the request ended before its write was seen in progress"
        if not cluster.writer_active():
            since.clear()
            return False
        if not since:
            since.append(time.monotonic())
        return time.monotonic() - since[0] >= hold

    wait_until(held, timeout, f"a write transaction held for {hold} s", 0.005)


@pytest.fixture(scope="session")
def spin_bin() -> str:
    return spin_binary()


@pytest.fixture
def make_cluster(tmp_path, spin_bin):
    """Starts clusters on demand; every one is stopped when the test ends, whatever happened."""
    clusters: list[Cluster] = []

    def make(**kwargs) -> Cluster:
        cluster = Cluster(tmp_path / f"cluster{len(clusters)}", **kwargs)
        clusters.append(cluster)
        return cluster

    yield make
    for cluster in clusters:
        cluster.close()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, spin_bin):
    """Two replicas on shared stores, for a whole test module."""
    c = Cluster(tmp_path_factory.mktemp("cluster"))
    try:
        yield c
    finally:
        c.close()


# --- the black-box smoke, shared by the replica and registry tests ---------------------------


def book_body(title: str, author: str, **overrides) -> dict:
    body = {
        "title": title, "author": author, "genre": "Science Fiction", "isbn": unique_isbn(),
        "published_year": 1999, "pages": 320, "price_cents": 1999, "language": "en",
        "description": "A book for the scale-out suite.",
    }
    body.update(overrides)
    return body


@dataclass
class SmokeResult:
    email: str
    access_token: str
    book: dict = field(default_factory=dict)


def smoke(app: Client) -> SmokeResult:
    """Health, register and sign in, a book created and read, a report, the UI's `/`."""
    r = app.get("/api/health")
    assert r.status == 200, r.text
    health = r.json()
    assert health["status"] == "ok" and health["checks"] == {"sqlite": "ok", "kv": "ok", "stores": "ok", "config": "ok"}, health

    email = unique_email("smoke")
    r = app.register(email)
    assert r.status == 201, r.text
    assert r.json()["email"] == email
    token = app.sign_in(email)["access_token"]
    me = app.get("/api/auth/me", token=token)
    assert me.status == 200 and me.json()["account"]["email"] == email, me.text

    author = unique("Smoke Author")
    r = app.request("POST", "/api/books", book_body("Smoke Test", author, price_cents=1234), token=token)
    assert r.status == 201, r.text
    book = r.json()
    assert r.header("location") == f"/api/books/{book['id']}"
    got = app.get(f"/api/books/{book['id']}", token=token)
    assert got.status == 200 and got.json() == book, got.text

    report = app.get(f"/api/reports/summary?author={urllib.parse.quote(author)}", token=token)
    assert report.status == 200, report.text
    summary = report.json()
    assert summary["books"] == 1 and summary["total_price_cents"] == 1234, summary

    ui = app.get("/")
    assert ui.status == 200, ui.status
    assert (ui.header("content-type") or "").startswith("text/html"), ui.headers
    assert b"<html" in ui.body.lower()
    return SmokeResult(email, token, book)
