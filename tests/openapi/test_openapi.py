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
                "/api/reports": "reports", "/api/health": "auth", "/api/status": "auth", "/api/openapi.json": "auth",
                "/docs": "ui"}
    for path in DOC["paths"]:
        owner = "ui" if path == "/" else next(c for prefix, c in expected.items() if path.startswith(prefix))
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


# --- report answers -------------------------------------------------------------------------

REPORTS = ("summary", "genres", "authors", "years", "prices")
# Each report's JSON members (crates/folio-reports/src/compute/*.rs; docs/reports.md, "Report shapes").
REPORT_MEMBERS = {
    "summary": {"books", "authors", "genres", "languages", "total_price_cents", "average_price_cents",
                "average_pages", "earliest_year", "latest_year"},
    "genres": {"items"},
    "authors": {"items"},
    "years": {"bucket", "items"},
    "prices": {"books", "min_cents", "max_cents", "p50_cents", "p90_cents", "p99_cents", "p50", "p90", "p99",
               "histogram"},
}
ROW_MEMBERS = {
    "genres": {"genre", "books", "share", "average_price_cents", "average_pages"},
    "authors": {"author", "books", "average_price_cents"},
    "years": {"start", "end", "books"},
    "prices": {"from_cents", "to_cents", "books"},
}
# Members a row has only where they apply: a years row names its period by the bucket asked for.
ROW_OPTIONAL = {"years": {"year", "decade"}}
ANSWERS = json.loads((pathlib.Path(__file__).parent / "fixtures/report_answers.json").read_text())["answers"]


def resolve(schema):
    while "$ref" in schema:
        kind, name = schema["$ref"].split("/")[-2:]
        schema = DOC["components"][kind][name]
    return schema


def report_content(name):
    return resolve(DOC["paths"][f"/api/reports/{name}"]["get"]["responses"]["200"])["content"]


def assert_exact(schema, members, where, optional=frozenset()):
    """An object schema that names exactly `members` and `optional`, requires each of `members` and
    allows no other."""
    assert schema.get("type") == "object", where
    assert schema.get("additionalProperties") is False, f"{where}: additionalProperties must be false"
    assert set(schema["properties"]) == members | optional, where
    assert set(schema["required"]) == members, where
    for member, s in schema["properties"].items():
        s = resolve(s)
        assert "type" in s or "enum" in s or "const" in s, f"{where}.{member} has no type"


def test_every_report_has_its_own_exact_json_schema():
    refs = {name: report_content(name)["application/json"]["schema"]["$ref"] for name in REPORTS}
    assert len(set(refs.values())) == len(REPORTS), refs
    for name in REPORTS:
        schema = resolve(report_content(name)["application/json"]["schema"])
        assert_exact(schema, REPORT_MEMBERS[name], name)
        if name in ROW_MEMBERS:
            array = resolve(schema["properties"]["histogram" if name == "prices" else "items"])
            assert array["type"] == "array", name
            assert_exact(resolve(array["items"]), ROW_MEMBERS[name], f"{name} row", ROW_OPTIONAL.get(name, set()))


def test_reports_figures_that_an_empty_match_leaves_null_are_nullable_and_no_others():
    nullable = {"summary": {"average_price_cents", "average_pages", "earliest_year", "latest_year"},
                "prices": {"min_cents", "max_cents", "p50_cents", "p90_cents", "p99_cents", "p50", "p90", "p99"}}
    for name in REPORTS:
        props = resolve(report_content(name)["application/json"]["schema"])["properties"]
        got = {m for m, s in props.items() if "null" in (resolve(s).get("type") or [])}
        assert got == nullable.get(name, set()), name


def test_reports_csv_form_stays_text():
    for name in REPORTS:
        assert report_content(name)["text/csv"]["schema"] == {"type": "string"}, name


def validator_for(schema):
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    registry = Registry().with_resource("urn:folio", Resource.from_contents(DOC, default_specification=DRAFT202012))
    schema = json.loads(json.dumps(schema).replace('"#/', '"urn:folio#/'))
    return Draft202012Validator(schema, registry=registry)


def test_real_report_answers_match_their_schemas():
    seen = set()
    for answer in ANSWERS:
        name = answer["path"].split("?")[0].rsplit("/", 1)[1]
        seen.add((name, not (answer["body"].get("books") or answer["body"].get("items"))))
        schema = report_content(name)[answer["content_type"]]["schema"]
        errors = [e.message for e in validator_for(schema).iter_errors(answer["body"])]
        assert not errors, f"{answer['path']}: {errors}"
    # Every report, both with figures and empty (no book matched).
    assert seen == {(name, empty) for name in REPORTS for empty in (True, False)}, seen


def test_the_report_schemas_refuse_what_the_app_never_sends():
    by_name = {}
    for answer in ANSWERS:
        name = answer["path"].split("?")[0].rsplit("/", 1)[1]
        if answer["body"].get("books") or answer["body"].get("items"):
            by_name.setdefault(name, answer["body"])
    for name, body in by_name.items():
        validator = validator_for(report_content(name)["application/json"]["schema"])
        assert not validator.is_valid({**body, "unexpected": 1}), name
        for member in REPORT_MEMBERS[name]:
            assert not validator.is_valid({k: v for k, v in body.items() if k != member}), (name, member)
        if name in ROW_MEMBERS:
            rows = "histogram" if name == "prices" else "items"
            assert not validator.is_valid({**body, rows: [{**body[rows][0], "unexpected": 1}]}), name


def test_every_request_body_has_an_example_that_its_schema_accepts():
    """/docs's Try it out starts from these: each must be a request the app accepts as it is
    (the black-box suite sends each one on real Spin: tests/blackbox/tests/openapi_examples.rs)."""
    for path, item in DOC["paths"].items():
        for method, op in item.items():
            for media, content in op.get("requestBody", {}).get("content", {}).items():
                schema = content["schema"]
                name = schema["$ref"].rsplit("/", 1)[1]
                example = DOC["components"]["schemas"][name].get("example")
                assert example is not None, f"{method} {path} {media}: {name} has no example"
                errors = [e.message for e in validator_for(schema).iter_errors(example)]
                assert not errors, f"{name}: {errors}"


def test_every_secured_operation_takes_a_pasted_token_or_the_password_flow():
    flows = DOC["components"]["securitySchemes"]["oauth2"]["flows"]
    assert flows["password"]["tokenUrl"] == "/api/auth/token"
    scopes = set(flows["password"]["scopes"])
    assert scopes == {"read:books", "read:reports", "create:books", "update:books", "delete:books",
                      "generate:books", "admin:users"}
    for path, item in DOC["paths"].items():
        for method, op in item.items():
            if op["security"]:
                (bearer,), (oauth2,) = [list(s) for s in op["security"]]
                assert (bearer, oauth2) == ("bearer", "oauth2"), f"{method} {path}"
                assert op["security"][0]["bearer"] == op["security"][1]["oauth2"], f"{method} {path}"
                assert set(op["security"][1]["oauth2"]) <= scopes, f"{method} {path}"
