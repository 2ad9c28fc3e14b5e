#!/usr/bin/env python3
"""Captures fixtures/report_answers.json: the reports' real JSON answers under `spin up`, which
test_openapi.py validates against docs/openapi.json. Run it after changing a report's members:

    cargo build --target wasm32-wasip2 --release -p auth -p books -p generator -p reports -p ui
    python3 tests/openapi/capture_report_answers.py

It starts the app from this checkout on a free port with a fresh state directory, reads every
report on the empty catalogue, generates 1,000 books with seed 42, and reads them again.
"""
import datetime
import json
import os
import pathlib
import socket
import subprocess
import tempfile
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = pathlib.Path(__file__).parent / "fixtures/report_answers.json"
EMPTY = ["/api/reports/summary", "/api/reports/genres", "/api/reports/authors",
         "/api/reports/years", "/api/reports/years?bucket=decade", "/api/reports/prices?buckets=2"]
FILLED = ["/api/reports/summary", "/api/reports/summary?language=de&year_min=1990&year_max=2010",
          "/api/reports/summary?author=nobody", "/api/reports/genres", "/api/reports/genres?language=en",
          "/api/reports/authors", "/api/reports/authors?limit=1", "/api/reports/authors?author=nobody",
          "/api/reports/years", "/api/reports/years?bucket=decade", "/api/reports/years?bucket=decade&author=nobody",
          "/api/reports/prices", "/api/reports/prices?buckets=7&year_min=2000", "/api/reports/prices?author=nobody"]


def call(base, method, path, token=None, body=None):
    headers = {"content-type": "application/json"} if body is not None else {}
    if token:
        headers["authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    with urllib.request.urlopen(urllib.request.Request(base + path, data, headers, method=method)) as r:
        return r.status, r.headers.get("content-type"), json.loads(r.read())


def main():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    spin = os.environ.get("SPIN_BIN", "spin")
    with tempfile.TemporaryDirectory() as state:
        app = subprocess.Popen([spin, "up", "--listen", f"127.0.0.1:{port}", "--state-dir", state],
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(600):
                try:
                    urllib.request.urlopen(base + "/api/health")
                    break
                except Exception:
                    time.sleep(0.1)
            account = {"email": "capture@example.com", "password": "capture-password-1"}
            call(base, "POST", "/api/auth/register", body=account)
            token = call(base, "POST", "/api/auth/token", body={"grant_type": "password", "username": account["email"],
                                                                 "password": account["password"]})[2]["access_token"]
            answers = []

            def capture(catalogue, paths):
                for path in paths:
                    status, content_type, body = call(base, "GET", path, token)
                    answers.append({"catalogue": catalogue, "path": path, "status": status,
                                    "content_type": content_type, "body": body})

            capture("empty", EMPTY)
            call(base, "POST", "/api/generator/runs", token, {"count": 1000, "seed": 42})
            capture("1000 generated books (seed 42)", FILLED)
        finally:
            app.terminate()
            app.wait()
    about = (f"Answers of the real app (spin up, the release wasm) captured on {datetime.date.today()} by "
             "tests/openapi/capture_report_answers.py: a fresh state directory (empty catalogue), then after "
             "POST /api/generator/runs {\"count\": 1000, \"seed\": 42}. tests/openapi/test_openapi.py validates "
             "each against docs/openapi.json.")
    OUT.write_text(json.dumps({"about": about, "answers": answers}, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
