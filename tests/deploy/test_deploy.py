"""Checks deploy/: every SpinKube manifest against the SpinApp schema, every runtime config
against Spin's runtime-config format, and both against spin.toml (variables, components, routes).
"""

import json
import pathlib
import tomllib

import jsonschema
import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SCHEMA = json.loads((pathlib.Path(__file__).parent / "spinapp.v1alpha1.schema.json").read_text())
MANIFEST = tomllib.loads((ROOT / "spin.toml").read_text())

# Spin 3.x's runtime-config store types and the options each requires.
KV_TYPES = {"spin": set(), "redis": {"url"}, "azure_cosmos": {"account", "database", "container"}, "aws_dynamo": {"table"}}
SQLITE_TYPES = {"spin": set(), "libsql": {"url", "token"}}


def documents():
    for path in sorted((DEPLOY / "spinkube").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc is not None:
                yield path.name, doc


def spin_apps():
    return [(name, doc) for name, doc in documents() if doc.get("kind") == "SpinApp"]


def validate_runtime_config(config: dict) -> None:
    assert set(config) <= {"key_value_store", "sqlite_database", "variables_provider", "llm_compute"}, config.keys()
    for label, store in config.get("key_value_store", {}).items():
        assert store.get("type") in KV_TYPES, f"key_value_store.{label}: unknown type {store.get('type')!r}"
        missing = KV_TYPES[store["type"]] - set(store)
        assert not missing, f"key_value_store.{label} lacks {missing}"
    for label, db in config.get("sqlite_database", {}).items():
        assert db.get("type") in SQLITE_TYPES, f"sqlite_database.{label}: unknown type {db.get('type')!r}"
        missing = SQLITE_TYPES[db["type"]] - set(db)
        assert not missing, f"sqlite_database.{label} lacks {missing}"
    # The app uses the `default` label of each store.
    assert "default" in config.get("key_value_store", {}), "no default key-value store"
    assert "default" in config.get("sqlite_database", {}), "no default SQLite database"


def test_there_are_manifests_and_runtime_configs():
    assert spin_apps(), "no SpinApp manifest in deploy/spinkube"
    assert list(DEPLOY.glob("runtime-config.*.toml")), "no runtime config in deploy/"


@pytest.mark.parametrize("name,doc", spin_apps(), ids=lambda v: v if isinstance(v, str) else "")
def test_spinapp_matches_the_crd_schema(name, doc):
    jsonschema.validate(doc, SCHEMA)


@pytest.mark.parametrize("name,doc", spin_apps(), ids=lambda v: v if isinstance(v, str) else "")
def test_spinapp_agrees_with_spin_toml(name, doc):
    spec = doc["spec"]
    declared = MANIFEST["variables"]
    for var in spec.get("variables", []):
        assert var["name"] in declared, f"{name}: variable {var['name']} is not declared in spin.toml"
        if declared[var["name"]].get("secret"):
            assert "secretKeyRef" in var.get("valueFrom", {}), f"{name}: secret {var['name']} must come from a Secret"
    for component in spec.get("components", []):
        assert component in MANIFEST["component"], f"{name}: no component {component}"
    routes = [t["route"] for t in MANIFEST["trigger"]["http"]]
    for kind in ("liveness", "readiness"):
        path = spec.get("checks", {}).get(kind, {}).get("httpGet", {}).get("path")
        assert path, f"{name}: no {kind} probe"
        assert path in routes or "/..." in routes, f"{name}: {kind} probe path {path} is not routed"


def test_secrets_are_placeholders_and_carry_a_valid_runtime_config():
    secrets = {doc["metadata"]["name"]: doc for _, doc in documents() if doc.get("kind") == "Secret"}
    for app_name, app in spin_apps():
        ref = app["spec"].get("runtimeConfig", {}).get("loadFromSecret")
        if ref:
            assert ref in secrets, f"{app_name}: runtime config secret {ref} is not defined"
            validate_runtime_config(tomllib.loads(secrets[ref]["stringData"]["runtime-config.toml"]))
        for var in app["spec"].get("variables", []):
            ref = var.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                assert ref["key"] in secrets[ref["name"]]["stringData"], f"{app_name}: {ref} undefined"
    assert secrets["folio-secrets"]["stringData"]["signing_key"] == "", "never commit a signing key"
    # A working example address would make whoever registers it first an administrator of a
    # deployment that kept the template's value: shipped as something the app refuses (no "@").
    admins = secrets["folio-secrets"]["stringData"]["admin_emails"]
    assert "@" not in admins and admins.strip(), f"admin_emails must be a placeholder the app refuses: {admins!r}"


@pytest.mark.parametrize("path", sorted(DEPLOY.glob("runtime-config.*.toml")), ids=lambda p: p.name)
def test_runtime_config_parses(path):
    validate_runtime_config(tomllib.loads(path.read_text()))


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d["spec"].pop("image"),
        lambda d: d["spec"].pop("executor"),
        lambda d: d["spec"].__setitem__("replica", 2),
        lambda d: d["spec"]["checks"]["readiness"]["httpGet"].__setitem__("port", 80),
        lambda d: d["spec"].__setitem__("replicas", "three"),
        lambda d: d["spec"]["resources"]["limits"].__setitem__("memory", "lots"),
        lambda d: d.__setitem__("apiVersion", "core.spinoperator.dev/v1"),
    ],
    ids=["no-image", "no-executor", "misspelt-field", "probe-port", "replicas-type", "bad-quantity", "old-api"],
)
def test_the_schema_rejects_broken_manifests(mutate):
    _, doc = spin_apps()[0]
    broken = json.loads(json.dumps(doc))
    mutate(broken)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, SCHEMA)


@pytest.mark.parametrize(
    "config",
    [
        {"key_value_store": {"default": {"type": "redis"}}, "sqlite_database": {"default": {"type": "spin"}}},
        {"key_value_store": {"default": {"type": "memcached"}}, "sqlite_database": {"default": {"type": "spin"}}},
        {"key_value_store": {"default": {"type": "spin"}}, "sqlite_database": {"default": {"type": "libsql", "url": "x"}}},
        {"key_value_store": {"other": {"type": "spin"}}, "sqlite_database": {"default": {"type": "spin"}}},
    ],
    ids=["redis-without-url", "unknown-type", "libsql-without-token", "no-default-store"],
)
def test_the_runtime_config_check_rejects_broken_configs(config):
    with pytest.raises(AssertionError):
        validate_runtime_config(config)


def _matches_common_path(a: str, b: str) -> bool:
    """Whether two Spin routes (exact, or `prefix/...`) both match some path."""
    def split(route):
        return (route[:-4], True) if route.endswith("/...") else (route, False)
    (pa, wa), (pb, wb) = split(a), split(b)
    under = lambda path, prefix: path == prefix or path.startswith(prefix + "/")  # noqa: E731
    if wa and wb:
        return under(pa, pb) or under(pb, pa)
    if wa:
        return under(pb, pa)
    if wb:
        return under(pa, pb)
    return pa == pb


def test_spin_toml_routes_follow_the_routing_rule():
    """README, "Routing on real Spin": Spin 4.0.2's router depends on the order of the triggers,
    and is right for any order only when the catch-all comes first and no two other routes
    overlap. The black-box suite proves the routing on real Spin; this names the broken rule."""
    routes = [t["route"] for t in MANIFEST["trigger"]["http"]]
    assert routes[0] == "/...", f"the catch-all `/...` must be the first [[trigger.http]] entry, not {routes[0]!r}"
    assert routes.count("/...") == 1
    others = routes[1:]
    overlaps = [(a, b) for i, a in enumerate(others) for b in others[i + 1:] if _matches_common_path(a, b)]
    assert not overlaps, f"routes other than the catch-all must not match a common path: {overlaps}"


@pytest.mark.parametrize("a,b,overlap", [
    ("/api/auth/...", "/api/books/...", False), ("/api/books/...", "/api/books/special", True),
    ("/api/books", "/api/books/...", True), ("/api/health", "/api/healthz", False),
    ("/api/a/...", "/api/a/b/...", True), ("/x", "/x", True), ("/api/b/...", "/api/bb/...", False),
])
def test_the_overlap_check_itself(a, b, overlap):
    assert _matches_common_path(a, b) is overlap
    assert _matches_common_path(b, a) is overlap
