"""The OpenAPI document: valid OpenAPI 3.1, built from docs/openapi/build.py without drift, and
in agreement with spin.toml's routing (every documented path reaches the component that owns it).
Route-by-route agreement with the handlers is checked natively (crates/folio-auth/tests)."""

import json
import pathlib
import subprocess
import sys
import tomllib

from openapi_spec_validator import validate

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOC = json.loads((ROOT / "docs/openapi.json").read_text())
MANIFEST = tomllib.loads((ROOT / "spin.toml").read_text())


def test_is_valid_openapi_3_1():
    assert DOC["openapi"].startswith("3.1")
    validate(DOC)


def test_is_up_to_date_with_its_builder():
    r = subprocess.run([sys.executable, str(ROOT / "docs/openapi/build.py"), "--check"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def component_for(path: str) -> str:
    """Spin's routing: exact routes, then the longest `/...` prefix."""
    best, best_len = None, -1
    for trigger in MANIFEST["trigger"]["http"]:
        route = trigger["route"]
        if route.endswith("/..."):
            prefix = route[: -len("/...")]
            if (path == prefix or path.startswith(prefix + "/")) and len(prefix) > best_len:
                best, best_len = trigger["component"], len(prefix)
        elif route == path:
            return trigger["component"]
    return best


def test_every_documented_path_is_routed_to_its_component():
    expected = {"/api/auth": "auth", "/.well-known": "auth", "/api/books": "books", "/api/generator": "generator",
                "/api/reports": "reports", "/api/health": "auth", "/api/status": "auth", "/api/openapi.json": "auth"}
    for path in DOC["paths"]:
        owner = next(c for prefix, c in expected.items() if path.startswith(prefix))
        assert component_for(path.replace("{id}", "x")) == owner, path


def test_every_operation_documents_its_errors_as_problems():
    for path, item in DOC["paths"].items():
        for method, op in item.items():
            for status, response in op["responses"].items():
                if status.startswith(("4", "5")):
                    r = response
                    if "$ref" in r:
                        r = DOC["components"]["responses"][r["$ref"].rsplit("/", 1)[1]]
                    assert "application/problem+json" in r.get("content", {}), f"{method} {path} {status}"
            if op.get("security"):
                assert "401" in op["responses"], f"{method} {path} needs a 401"
