#!/usr/bin/env python3
"""Builds docs/openapi.json, the OpenAPI 3.1 document served at /api/openapi.json.

    python3 docs/openapi/build.py          # rewrite docs/openapi.json
    python3 docs/openapi/build.py --check  # fail if docs/openapi.json is out of date (CI)

Written as code rather than by hand so that the shared parts (problem responses, auth errors,
filters, conditional headers) are stated once. The contract is ../shared/API.md.
"""

import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "openapi.json"


def ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def resp(name):
    return {"$ref": f"#/components/responses/{name}"}


def param(name):
    return {"$ref": f"#/components/parameters/{name}"}


def json_body(schema, media="application/json", required=True):
    return {"required": required, "content": {media: {"schema": schema}}}


def ok(description, schema=None, headers=None, media="application/json", extra_media=None):
    r = {"description": description}
    if schema is not None:
        r["content"] = {media: {"schema": schema}}
        if extra_media:
            r["content"].update(extra_media)
    if headers:
        r["headers"] = headers
    return r


def op(op_id, summary, tag, responses, scope=None, params=None, body=None, description=None, database=True):
    o = {"operationId": op_id, "summary": summary, "tags": [tag], "responses": dict(responses)}
    if database or scope is not None:
        # Every route that reads SQLite may find it locked past the busy timeout by a long write;
        # every route that reads a variable (each token check does) may find it misconfigured.
        o["responses"].setdefault("503", resp("Busy"))
    if description:
        o["description"] = description
    if params:
        o["parameters"] = params
    if body:
        o["requestBody"] = body
        o["responses"].setdefault("400", resp("BadRequest"))
        o["responses"].setdefault("413", resp("PayloadTooLarge"))
        o["responses"].setdefault("415", resp("UnsupportedMediaType"))
        o["responses"].setdefault("422", resp("ValidationFailed"))
    if scope is not None:
        # Either scheme: a token pasted as it is, or one that /docs fetches with the password flow
        # (Authorize, as a FastAPI app's docs offer it).
        scopes = [scope] if scope else []
        o["security"] = [{"bearer": scopes}, {"oauth2": scopes}]
        o["responses"].setdefault("401", resp("Unauthorized"))
        if scope:
            o["responses"].setdefault("403", resp("Forbidden"))
    else:
        o["security"] = []
    return o


string = {"type": "string"}
# API.md's scopes, each with what it allows.
SCOPES = {
    "read:books": "read and list books, preview the generator, read its runs",
    "read:reports": "read the reports",
    "create:books": "create books",
    "update:books": "replace and patch books",
    "delete:books": "delete books",
    "generate:books": "run the generator",
    "admin:users": "manage accounts, rotate the signing key, read the status",
}
integer = {"type": "integer"}
time = {"type": "string", "format": "date-time"}
count = {"type": "integer", "minimum": 0}
cents = {"type": "integer", "minimum": 0}
ETAG = {"ETag": {"description": "Entity tag of the representation", "schema": string}}
NOT_MODIFIED = {"description": "Not modified (If-None-Match matched): no body", "headers": ETAG}

book_fields = {
    "title": {"type": "string", "minLength": 1, "maxLength": 300},
    "author": {"type": "string", "minLength": 1, "maxLength": 200},
    "genre": {"type": "string", "minLength": 1, "maxLength": 50},
    "isbn": {"type": "string", "description": "ISBN-13; hyphens and spaces allowed on input, stored as 13 digits; an ISBN-10 is refused (422)"},
    "published_year": {"type": "integer", "minimum": 1450, "description": "1450 to next year"},
    "pages": {"type": "integer", "minimum": 1, "maximum": 100000},
    "price_cents": {"type": "integer", "minimum": 0, "maximum": 100000000},
    "language": {"type": "string", "pattern": "^[A-Za-z]{2}$", "description": "ISO 639-1 code, in any case; stored lower-case"},
    "description": {"type": ["string", "null"], "maxLength": 10000, "description": "omitted or null: empty"},
}
BOOK_EXAMPLE = {"title": "Lorem Ipsum Dolor", "author": "Ann Author", "genre": "Fiction", "isbn": "978-0-306-40615-7",
                "published_year": 2001, "pages": 320, "price_cents": 1999, "language": "en",
                "description": "A quiet novel about a lighthouse keeper."}
book_required = ["title", "author", "genre", "isbn", "published_year", "pages", "price_cents", "language"]

account_fields = {"id": string, "email": {"type": "string", "format": "email"}, "name": {"type": ["string", "null"]},
                  "role": {"enum": ["reader", "editor", "admin"]}, "disabled": {"type": "boolean"},
                  "created_at": time, "updated_at": time}
account_required = list(account_fields)
# The checks of GET /api/health, in its 200 and in its 503 problem.
health_checks = {"type": "object", "additionalProperties": False, "required": ["sqlite", "kv", "stores", "config"],
                 "properties": {"sqlite": {"enum": ["ok", "error"]}, "kv": {"enum": ["ok", "error"]},
                                "stores": {"enum": ["ok", "error", "unchecked"],
                                           "description": "whether the key-value store holds this database's state "
                                                          "(error: another database's; unchecked: a store failed)"},
                                "config": {"type": "string", "description": "ok, or each bad variable and what it must be"}}}

filters = [param(p) for p in ("genre", "author", "language", "year_min", "year_max")]
report_params = filters + [param("format"), param("IfMatch"), param("IfNoneMatch")]
report_responses = lambda schema, name: {  # noqa: E731
    "200": ok(f"The {name} report; CSV (header row first) for ?format=csv or Accept: text/csv", schema,
              headers={**ETAG, "Content-Disposition": {"schema": string, "description": "CSV only: attachment; "
                                                        f"filename=\"folio-{name}.csv\""}},
              extra_media={"text/csv": {"schema": string}}),
    "304": NOT_MODIFIED,
    "412": problem("If-Match names another state of this report"),
}

REPORTS = ("summary", "genres", "authors", "years", "prices")


def report_items(order, row, head=None, optional=None, **limits):
    """A report answered as `{**head, "items": [row, ...]}`, each member of `row` always present, those of
    `optional` where they apply, no other."""
    properties = {**(head or {}), "items": {"type": "array", "description": order, **limits, "items": {
        "type": "object", "additionalProperties": False, "required": list(row),
        "properties": {**row, **(optional or {})}}}}
    return {"type": "object", "additionalProperties": False, "required": list(properties), "properties": properties}


def nullable(schema, description):
    return {**schema, "type": [schema["type"], "null"], "description": description}


summary_fields = {
    "books": count, "authors": count, "genres": count, "languages": count, "total_price_cents": cents,
    "average_price_cents": nullable(cents, "total / books rounded to a whole cent; null when no book matches"),
    "average_pages": nullable({"type": "number", "minimum": 0}, "to two decimals; null when no book matches"),
    "earliest_year": nullable({"type": "integer"}, "null when no book matches"),
    "latest_year": nullable({"type": "integer"}, "null when no book matches"),
}
prices_fields = {
    "books": count,
    **{f"{name}_cents": nullable(cents, f"{what}; null when no book matches")
       for name, what in (("min", "lowest price"), ("max", "highest price"), ("p50", "50th percentile (nearest rank)"),
                          ("p90", "90th percentile (nearest rank)"), ("p99", "99th percentile (nearest rank)"))},
    **{name: nullable(cents, f"{name}_cents under the name the contract gives it; null when no book matches")
       for name in ("p50", "p90", "p99")},
    "histogram": {"type": "array", "maxItems": 50,
                  "description": "exactly `buckets` contiguous buckets of equal width from min_cents (the last may "
                                 "reach past max_cents and be empty); empty when no book matches",
                  "items": {"type": "object", "additionalProperties": False, "required": ["from_cents", "to_cents", "books"],
                            "properties": {"from_cents": {**cents, "description": "inclusive"},
                                           "to_cents": {"type": "integer", "minimum": 1, "description": "exclusive"},
                                           "books": count}}},
}

# What the catalogue's text filters refuse (folio_core::text::is_hidden_control): C0 and C1
# controls and the bidirectional controls.
NO_CONTROLS = "^[^\\u0000-\\u001F\\u007F-\\u009F\\u061C\\u200E\\u200F\\u202A-\\u202E\\u2066-\\u2069]*$"
# What a password may not hold (folio_auth::password::check_policy): Unicode's control characters.
NO_CONTROL_CHARS = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$"
NEW_PASSWORD = {"type": "string", "minLength": 10, "maxLength": 1024, "pattern": NO_CONTROL_CHARS,
                "description": "10 to 1,024 characters, not only spaces, not the account's e-mail address, no "
                               "control characters (tab, new line, ...)"}

schemas = {
    "Problem": {
        "type": "object", "additionalProperties": False,
        "description": "RFC 9457 problem details",
        "required": ["type", "title", "status", "detail"],
        "properties": {"type": {"type": "string", "format": "uri-reference",
                                "description": "/docs/problems#<slug>: each kind of error is documented in the section "
                                               "of /docs/problems with that id"},
                       "title": string, "status": integer, "detail": string,
                       "errors": {"type": "array", "items": ref("FieldError")},
                       "variables": {"type": "array", "items": ref("BadVariable"),
                                     "description": "503 misconfigured: each variable with a value the app refuses"},
                       "error": {"type": "string", "description": "OAuth 2.0 error code (token endpoint)"},
                       "error_description": string,
                       "checks": {**health_checks, "description": "GET /api/health's 503 only: each check's result"},
                       "version": {"type": "string", "description": "GET /api/health's 503 only"}},
    },
    "FieldError": {"type": "object", "additionalProperties": False, "required": ["field", "message"], "properties": {"field": string, "message": string}},
    "BadVariable": {"type": "object", "additionalProperties": False, "required": ["name", "expected"],
                    "description": "A Spin variable set to a value the app refuses (never its value)",
                    "properties": {"name": string, "expected": {"type": "string", "description": "what the value must be"}}},
    "Health": {
        "type": "object", "additionalProperties": False, "required": ["status", "checks", "version"],
        "properties": {"status": {"const": "ok"}, "version": string, "checks": health_checks},
    },
    "Status": {
        "type": "object", "additionalProperties": False,
        "required": ["accounts", "live_sessions", "books", "generator_runs", "schema_version", "version", "settings"],
        "properties": {"accounts": integer, "live_sessions": integer, "books": integer, "generator_runs": integer,
                       "schema_version": integer, "version": string,
                       "settings": {
                           "type": "object", "additionalProperties": False,
                           "description": "The variables in effect as the app read them (a misspelt variable is "
                                          "dropped by Spin and its default applies); never a secret",
                           "required": ["token_issuer", "token_audience", "access_token_ttl_seconds",
                                        "refresh_token_ttl_seconds", "signing_key", "allow_signup", "signup_role",
                                        "admin_emails_listed", "cors_allowed_origins", "book_read_cache_fill_one_in",
                                        "generator_max_books", "generator_books_per_hour"],
                           "properties": {
                               "token_issuer": string, "token_audience": string,
                               "access_token_ttl_seconds": integer, "refresh_token_ttl_seconds": integer,
                               "signing_key": {"enum": ["variable", "generated"],
                                               "description": "where the signing key comes from, never the key"},
                               "allow_signup": {"type": "boolean"},
                               "signup_role": {"enum": ["reader", "editor", "admin"]},
                               "admin_emails_listed": {"type": "integer", "description":
                                                       "how many addresses admin_emails lists (0: the first account "
                                                       "became the administrator)"},
                               "cors_allowed_origins": string, "book_read_cache_fill_one_in": integer,
                               "generator_max_books": integer, "generator_books_per_hour": integer}}},
    },
    "Account": {"type": "object", "additionalProperties": False, "required": account_required, "properties": account_fields},
    "Register": {
        "type": "object", "additionalProperties": False, "required": ["email", "password"],
        "properties": {"email": {"type": "string", "format": "email"}, "password": NEW_PASSWORD,
                       "name": {"type": ["string", "null"], "maxLength": 200, "pattern": NO_CONTROLS,
                                "description": "optional; blank or null: no name"}},
        "example": {"email": "ada@example.com", "password": "correct horse battery", "name": "Ada Lovelace"},
    },
    "TokenRequest": {
        "type": "object",
        "required": ["grant_type"],
        "description": "RFC 6749 §4.3 (password: username, password) or §6 (refresh_token: refresh_token); scope, "
                       "space-separated, narrows the token (omitted: every scope of the account's role). A parameter "
                       "sent empty counts as omitted (RFC 6749 §3.1); unknown parameters are ignored (in JSON whatever their type); a "
                       "form that is not UTF-8 text or has a broken %-escape is invalid_request",
        "properties": {"grant_type": {"enum": ["password", "refresh_token"], "example": "password"},
                       "username": {"type": "string", "description": "the account's e-mail address",
                                    "example": "ada@example.com"},
                       "password": {"type": "string", "example": "correct horse battery"},
                       "refresh_token": {"type": "string", "description": "refresh_token grant only", "example": ""},
                       "scope": {"type": "string", "description": "optional: e.g. read:books read:reports",
                                 "example": ""}},
        "example": {"grant_type": "password", "username": "ada@example.com", "password": "correct horse battery"},
    },
    "TokenResponse": {
        "type": "object", "additionalProperties": False, "required": ["access_token", "token_type", "expires_in", "refresh_token", "scope"],
        "properties": {"access_token": string, "token_type": {"const": "Bearer"}, "expires_in": integer,
                       "refresh_token": string, "scope": string},
    },
    "Claims": {
        "type": "object",
        "description": "The access token's claims as the token carries them",
        "properties": {k: v for k, v in {"iss": string, "sub": string, "aud": {}, "iat": integer, "nbf": integer,
                                          "exp": integer, "jti": string, "sid": string, "email": string,
                                          "role": string, "scope": string}.items()},
    },
    "Address": {
        "type": "object", "additionalProperties": False,
        "properties": {"lines": {"type": "array", "maxItems": 4, "items": {"type": "string", "minLength": 1, "maxLength": 100}},
                       "city": {"type": ["string", "null"], "minLength": 1, "maxLength": 100},
                       "postal_code": {"type": ["string", "null"], "pattern": "^[A-Za-z0-9 -]{1,20}$"},
                       "country": {"type": ["string", "null"], "pattern": "^[A-Za-z]{2}$",
                                   "description": "ISO 3166-1 alpha-2 (an assigned code), stored upper-case"}},
    },
    "Profile": {
        "type": "object", "additionalProperties": False,
        "description": "Kept by the account's owner and shown to the owner only; every member null when unset",
        "properties": {"title": {"type": ["string", "null"], "minLength": 1, "maxLength": 50},
                       "first_name": {"type": ["string", "null"], "minLength": 1, "maxLength": 100},
                       "last_name": {"type": ["string", "null"], "minLength": 1, "maxLength": 100},
                       "mobile_number": {"type": ["string", "null"],
                                         "description": "E.164, e.g. +447700900123 (spaces, hyphens, dots and "
                                                        "parentheses are accepted on input and dropped)"},
                       "address": {"oneOf": [ref("Address"), {"type": "null"}]}},
    },
    "OwnAccount": {"type": "object", "additionalProperties": False, "description": "An account with its profile",
                   "required": account_required + ["profile"], "properties": {**account_fields, "profile": ref("Profile")}},
    "AccountMergePatch": {
        "type": "object", "additionalProperties": False,
        "description": "RFC 7396 JSON merge patch: members not named stay, null removes; the result is validated whole "
                       "and every problem is reported at once in one 422",
        "properties": {"name": {"type": ["string", "null"], "minLength": 1, "maxLength": 200},
                       "profile": {"oneOf": [ref("Profile"), {"type": "null"}]}},
        "example": {"name": "Ada Lovelace", "profile": {"first_name": "Ada", "last_name": "Lovelace",
                                                        "mobile_number": "+447700900123",
                                                        "address": {"lines": ["12 St James's Square"], "city": "London",
                                                                    "postal_code": "SW1Y 4JH", "country": "GB"}}},
    },
    "PasswordChange": {"type": "object", "additionalProperties": False, "required": ["current_password", "new_password"],
                       "properties": {"current_password": string,
                                      "new_password": {**NEW_PASSWORD, "description": NEW_PASSWORD["description"]
                                                       + "; not the current one"}},
                       "example": {"current_password": "correct horse battery", "new_password": "a new and longer phrase"}},
    "PasswordReset": {"type": "object", "additionalProperties": False, "required": ["new_password"],
                      "properties": {"new_password": NEW_PASSWORD},
                      "example": {"new_password": "a temporary passphrase"}},
    "Leave": {"type": "object", "additionalProperties": False, "required": ["password"], "properties": {"password": string},
              "example": {"password": "correct horse battery"}},
    "RotatedKey": {"type": "object", "additionalProperties": False, "required": ["kid"], "properties": {"kid": {"type": "string", "description": "the new signing key's id"}}},
    "Me": {"type": "object", "additionalProperties": False, "required": ["account", "claims"], "properties": {"account": ref("OwnAccount"), "claims": ref("Claims")}},
    "RevocationRequest": {"type": "object", "required": ["token"],
                          "properties": {"token": {"type": "string", "description": "a refresh token or an access token"},
                                         "token_type_hint": {"type": "string", "enum": ["refresh_token", "access_token"],
                                                             "description": "optional; the token's shape decides (RFC 7009 §2.1)"}},
                          "example": {"token": "<the refresh_token of a sign-in>", "token_type_hint": "refresh_token"}},
    "IntrospectRequest": {"type": "object", "additionalProperties": False, "required": ["token"],
                          "properties": {"token": {"type": "string", "description": "an access token or a refresh token"},
                                         "token_type_hint": {"type": "string", "description": "ignored (RFC 7662 §2.1)"}},
                          "example": {"token": "eyJhbGciOiJFZERTQSIs..."}},
    "IntrospectForm": {"type": "object", "required": ["token"],
                       "description": "As an OAuth client sends it: other parameters (client_id, ...) are ignored, "
                                      "as at the token endpoint (RFC 6749 §3.2); token given twice is 422",
                       "properties": {"token": {"type": "string", "description": "an access token or a refresh token"},
                                      "token_type_hint": {"type": "string", "description": "ignored (RFC 7662 §2.1)"}},
                       "example": {"token": "eyJhbGciOiJFZERTQSIs..."}},
    "Introspection": {
        "type": "object", "additionalProperties": False, "required": ["active"],
        "properties": {"active": {"type": "boolean"}, "sub": string, "scope": string, "exp": integer, "iat": integer,
                       "nbf": integer, "sid": string, "jti": string, "iss": string, "aud": {}, "email": string,
                       "role": string, "token_type": {"enum": ["Bearer", "refresh_token"]}, "client_id": string,
                       "username": string},
        "description": "token_type Bearer for an access token; refresh_token for a refresh token that a refresh "
                       "would honour now (no aud or jti; exp is the session's end, iat when that refresh token "
                       "was issued)",
    },
    "Session": {
        "type": "object", "additionalProperties": False, "required": ["id", "created_at", "last_used_at", "expires_at", "current"],
        "properties": {"id": string, "created_at": time, "last_used_at": time, "expires_at": time, "current": {"type": "boolean"}},
    },
    "SessionList": {"type": "object", "additionalProperties": False, "required": ["items"], "properties": {"items": {"type": "array", "items": ref("Session")}}},
    "AccountList": {"type": "object", "additionalProperties": False, "required": ["items", "next_cursor"],
                    "properties": {"items": {"type": "array", "items": ref("Account")}, "next_cursor": {"type": ["string", "null"]}}},
    "AccountPatch": {"type": "object", "additionalProperties": False,
                     "properties": {"role": {"enum": ["reader", "editor", "admin"]}, "disabled": {"type": "boolean"}},
                     "example": {"role": "editor"}},
    "Jwks": {"type": "object", "additionalProperties": False, "required": ["keys"], "properties": {"keys": {"type": "array", "items": {"type": "object"}}}},
    "OpenIdConfiguration": {"type": "object", "required": ["issuer", "jwks_uri", "token_endpoint"],
                            "properties": {"issuer": string, "jwks_uri": string, "token_endpoint": string,
                                           "introspection_endpoint": string,
                                           "id_token_signing_alg_values_supported": {"type": "array", "items": string},
                                           "grant_types_supported": {"type": "array", "items": string}}},
    "BookInput": {"type": "object", "additionalProperties": False, "required": book_required, "properties": book_fields,
                  "example": BOOK_EXAMPLE},
    "BookPatch": {"type": "object", "description": "RFC 7396 JSON merge patch of a book's writable fields",
                  "additionalProperties": False, "properties": book_fields,
                  "example": {"price_cents": 1499, "description": None}},
    "Book": {
        "type": "object", "additionalProperties": False,
        "required": book_required + ["id", "description", "created_at", "updated_at", "created_by", "version"],
        "properties": {"id": string, **book_fields, "isbn": {"type": "string", "pattern": "^[0-9]{13}$"},
                       "language": {"type": "string", "pattern": "^[a-z]{2}$", "description": "ISO 639-1 code"},
                       "description": {"type": "string", "maxLength": 10000},
                       "created_at": time, "updated_at": time, "created_by": string, "version": integer},
    },
    "BookList": {"type": "object", "additionalProperties": False, "required": ["items", "next_cursor"],
                 "properties": {"items": {"type": "array", "items": ref("Book")}, "next_cursor": {"type": ["string", "null"]},
                                "total": {"type": "integer", "description": "only with count=true"}}},
    "GeneratorRunRequest": {"type": "object", "additionalProperties": False, "required": ["count"],
                            "properties": {"count": {"type": "integer", "minimum": 1, "maximum": 100000},
                                           "seed": {"type": ["integer", "null"], "minimum": 0, "maximum": 9007199254740991,
                                                    "description": "the same seed always yields the same books; absent or null: a random one is drawn (and returned)"}},
                            "example": {"count": 100, "seed": 42}},
    "GeneratorRun": {"type": "object", "additionalProperties": False, "required": ["id", "count", "seed", "inserted", "elapsed_ms", "created_at"],
                     "properties": {"id": string, "count": integer, "seed": integer, "inserted": integer,
                                    "elapsed_ms": integer, "created_at": time}},
    "GeneratorRunList": {"type": "object", "additionalProperties": False, "required": ["items"], "properties": {"items": {"type": "array", "items": ref("GeneratorRun")}}},
    "GeneratorPreview": {"type": "object", "additionalProperties": False, "required": ["seed", "count", "items"],
                         "properties": {"seed": integer, "count": integer, "items": {"type": "array", "items": ref("BookInput")}}},
    "ReportList": {"type": "object", "additionalProperties": False, "required": ["items"], "properties": {"items": {"type": "array", "items": {
        "type": "object", "additionalProperties": False, "required": ["name", "title", "description"],
        "properties": {"name": {"enum": list(REPORTS)}, "title": string, "description": string}}}}},
    # The reports' JSON forms (docs/reports.md, "Report shapes"): money in integer cents, averages
    # rounded half up; a filter that matches no book gives counts 0, averages, years and prices
    # null, and no items.
    "SummaryReport": {
        "type": "object", "additionalProperties": False, "required": list(summary_fields), "properties": summary_fields,
    },
    "GenresReport": report_items("Most books first; ties in genre name order", {
        "genre": string, "books": {"type": "integer", "minimum": 1},
        "share": {"type": "number", "minimum": 0, "maximum": 1,
                  "description": "the genre's books / the filtered books, to four decimals"},
        "average_price_cents": cents, "average_pages": {"type": "number", "minimum": 0, "description": "to two decimals"}}),
    "AuthorsReport": report_items("Most books first; ties in author name order; at most limit items", {
        "author": string, "books": {"type": "integer", "minimum": 1}, "average_price_cents": cents}, maxItems=100),
    "YearsReport": report_items("Oldest first; only periods with at least one book", {
        "start": {"type": "integer", "description": "first year of the period"},
        "end": {"type": "integer", "description": "last year of the period (inclusive): start for a year, start + 9 for a decade"},
        "books": {"type": "integer", "minimum": 1}},
        head={"bucket": {"enum": ["year", "decade"], "description": "the request's bucket (default year)"}},
        optional={"year": {"type": "integer", "description": "the year (start), on a report by year only"},
                  "decade": {"type": "integer", "description": "the decade's first year (start), on a report by decade only"}}),
    "PricesReport": {
        "type": "object", "additionalProperties": False, "required": list(prices_fields), "properties": prices_fields,
    },
}

# The years a filter may name, on the book list and every report (folio_books::listing::filter).
FILTER_YEAR = {"type": "integer", "minimum": 0, "maximum": 9999}

parameters = {
    "id": {"name": "id", "in": "path", "required": True, "schema": string},
    "genre": {"name": "genre", "in": "query", "schema": {"type": "string", "maxLength": 50, "pattern": NO_CONTROLS},
              "description": "Exact genre, case included; trimmed, blank is no filter, control characters refused (422)"},
    "author": {"name": "author", "in": "query", "schema": {"type": "string", "maxLength": 200, "pattern": NO_CONTROLS},
               "description": "Exact author, case included; trimmed, blank is no filter, control characters refused (422)"},
    "language": {"name": "language", "in": "query", "schema": {"type": "string", "pattern": "^\\s*([A-Za-z]{2}\\s*)?$"},
                 "description": "ISO 639-1 code, in any case (an unassigned pair of letters is 422); trimmed, blank is no filter"},
    "year_min": {"name": "year_min", "in": "query", "schema": FILTER_YEAR,
                 "description": "Earliest publication year; a year no book can have matches nothing"},
    "year_max": {"name": "year_max", "in": "query", "schema": FILTER_YEAR,
                 "description": "Latest publication year, not before year_min"},
    "format": {"name": "format", "in": "query", "schema": {"enum": ["json", "csv"]}},
    "IfMatch": {"name": "If-Match", "in": "header", "schema": string, "description": "ETag from a read; a stale one gets 412"},
    "IfNoneMatch": {"name": "If-None-Match", "in": "header", "schema": string},
    "IfNoneMatchWrite": {"name": "If-None-Match", "in": "header", "schema": string,
                         "description": "* or a listed version of the book gets 412: nothing is written"},
    "IfMatchUntagged": {"name": "If-Match", "in": "header", "schema": string,
                        "description": "This resource sends no ETag: only * holds; any entity tag gets 412"},
    "IfNoneMatchUntagged": {"name": "If-None-Match", "in": "header", "schema": string,
                            "description": "* gets 412 (the resource exists)"},
}


def problem(description):
    return {"description": description, "content": {"application/problem+json": {"schema": ref("Problem")}}}


responses = {
    "BadRequest": problem("Malformed request (e.g. the body is not JSON, a forged cursor)"),
    "Unauthorized": {**problem("Missing, malformed, expired, tampered or revoked token"),
                     "headers": {"WWW-Authenticate": {"schema": string, "description": "Bearer, or Bearer error=\"invalid_token\""}}},
    "Forbidden": {**problem("The token lacks the route's scope"),
                  "headers": {"WWW-Authenticate": {"schema": string, "description": "Bearer error=\"insufficient_scope\""}}},
    "NotFound": problem("No such resource"),
    "Conflict": problem("Conflicts with the current state (e.g. a duplicate)"),
    "PreconditionFailed": problem("If-Match did not match: nothing was changed"),
    "UntaggedPrecondition": problem("If-Match named an entity tag (this resource has none) or If-None-Match was *: "
                                    "nothing was changed"),
    "PayloadTooLarge": problem("The body is over 64 KiB"),
    "UnsupportedMediaType": problem("The body's Content-Type is not accepted here"),
    "ValidationFailed": problem("The body or a parameter has the wrong shape or a value out of range; errors[] names each field"),
    "TooManyRequests": {**problem("Too many failed attempts"), "headers": {"Retry-After": {"schema": integer}}},
    "PasswordRequired": {**problem("The bearer token is missing or not valid (type unauthorized), or the password given is "
                                   "wrong (type wrong-password, WWW-Authenticate: Bearer without an error: the token is "
                                   "fine); a wrong password counts toward the sign-in throttle of the account's address"),
                         "headers": {"WWW-Authenticate": {"schema": string}}},
    "Unavailable": {**problem("A store is failing, or a variable is misconfigured: checks names the failing "
                              "checks, checks.config and variables[] each bad variable and what it must be; "
                              "checks.stores is error when the key-value store holds another database's state "
                              "(type misconfigured), and checks.sqlite is error with type misconfigured when the "
                              "database is in memory, a new one per request (an app run from a registry reference, spin up "
                              "--from <reference>, without --state-dir); "
                              "Retry-After when a store failed"),
                    "headers": {"Retry-After": {"schema": integer}}},
    "Busy": {**problem("The database stayed locked by another write (e.g. a large generator run) past the "
                       "busy timeout, or a store (the database, the key-value store) could not be reached; "
                       "nothing was changed, retry after Retry-After seconds (2, or beside a generator run about "
                       "what is left of it, up to 60, which the detail names). Or "
                       "(type /docs/problems#misconfigured, no Retry-After) a variable this route reads "
                       "has a value the app refuses: variables[] names each and what it must be (empty when the "
                       "key-value store holds another database's sessions: sign-up, sign-in, refresh, writes, admin routes; "
                       "or when the database is in memory, or holds a migration that differs from this build's: "
                       "every route that uses it)"),
             "headers": {"Retry-After": {"schema": integer}}},
}

id_param = [param("id")]
untagged = [param("IfMatchUntagged"), param("IfNoneMatchUntagged")]
paths = {
    "/api/health": {"get": op("health", "Health of SQLite and the key-value store", "operations",
                              {"200": ok("Both stores work", ref("Health")), "503": resp("Unavailable")})},
    "/api/status": {"get": op("status", "Counts of accounts, live sessions, books and runs; schema version", "operations",
                              {"200": ok("Status", ref("Status"))}, scope="admin:users")},
    "/api/openapi.json": {"get": op("openapi", "This document", "operations", {"200": ok("OpenAPI 3.1", {"type": "object"}), "304": NOT_MODIFIED},
                                       database=False)},
    "/api/auth/register": {"post": op("register", "Register an account", "auth",
                                      {"201": ok("The account", ref("Account"),
                                                 headers={"Location": {"schema": string, "description":
                                                          "/api/auth/users/{id}: where an administrator reads it"}}),
                                       "403": problem("Self-registration is disabled (allow_signup is false)"),
                                       "409": resp("Conflict")}, body=json_body(ref("Register")))},
    "/api/auth/token": {"post": op(
        "token", "OAuth 2.0 token endpoint: password and refresh_token grants", "auth",
        {"200": ok("Tokens", ref("TokenResponse"), headers={"Cache-Control": {"schema": {"const": "no-store"}},
                                                             "Pragma": {"schema": {"const": "no-cache"}}}),
         "400": {"description": "invalid_request, invalid_grant, unsupported_grant_type: problem details with the "
                                "RFC 6749 members error and error_description; sent as application/json (RFC 6749 "
                                "§5.2) to a client whose Accept names application/json and not problem+json",
                 "content": {"application/problem+json": {"schema": ref("Problem")},
                             "application/json": {"schema": ref("Problem")}}},
         "429": resp("TooManyRequests")},
        body={"required": True, "content": {"application/x-www-form-urlencoded": {"schema": ref("TokenRequest")},
                                              "application/json": {"schema": ref("TokenRequest")}}})},
    "/api/auth/logout": {"post": op("logout", "Revoke the caller's session", "auth", {"204": {"description": "Revoked"}}, scope="")},
    "/api/auth/revoke": {"post": op(
        "revoke", "RFC 7009 token revocation: end a session with its refresh or access token", "auth",
        {"200": {"description": "Revoked, or the token was no token of a live session (RFC 7009 §2.2: the same "
                                "answer, with no body): the session of a refresh token (current or spent) or of a "
                                "good access token is over, every token of it refused from then on"},
         "400": {"description": "invalid_request (no token): problem details with the RFC 6749 members error "
                                "and error_description",
                 "content": {"application/problem+json": {"schema": ref("Problem")},
                             "application/json": {"schema": ref("Problem")}}}},
        description="Needs no bearer: the token presented is the proof (a client whose access token has "
                    "expired still holds its refresh token). Public clients only, as at the token endpoint.",
        body={"required": True, "content": {"application/x-www-form-urlencoded": {"schema": ref("RevocationRequest")},
                                              "application/json": {"schema": ref("RevocationRequest")}}})},
    "/api/auth/me": {
        "get": op("me", "The caller's account (with its profile) and token claims", "auth", {"200": ok("Me", ref("Me"))}, scope=""),
        "patch": op("updateMe", "Change one's name and profile (RFC 7396 merge patch)", "auth",
                    {"200": ok("The account with its profile", ref("OwnAccount")), "412": resp("UntaggedPrecondition"),
                     "403": problem("A token narrowed below its role's scopes (scope= at sign-in) does not change the account: insufficient_scope")},
                    scope="", params=untagged,
                    body=json_body(ref("AccountMergePatch"), media="application/merge-patch+json")),
        "delete": op("deleteMe", "Delete one's own account, with its password", "auth",
                     {"204": {"description": "Deleted: every session ended; the e-mail may register again; books stay"},
                      "401": resp("PasswordRequired"), "409": problem("The last enabled admin cannot leave"),
                      "412": resp("UntaggedPrecondition"), "429": resp("TooManyRequests"),
                      "403": problem("A token narrowed below its role's scopes (scope= at sign-in) does not change the account: insufficient_scope")},
                     scope="", params=untagged, body=json_body(ref("Leave"))),
    },
    "/api/auth/password": {"post": op("changePassword", "Change one's password", "auth",
                                      {"204": {"description": "Changed: every other session of the account ended; this one stays"},
                                       "401": resp("PasswordRequired"), "409": resp("Conflict"),
                                       "412": resp("UntaggedPrecondition"), "429": resp("TooManyRequests"),
                                       "403": problem("A token narrowed below its role's scopes (scope= at sign-in) does not change the account: insufficient_scope")},
                                      scope="", params=untagged, body=json_body(ref("PasswordChange")))},
    "/api/auth/keys/rotate": {"post": op("rotateSigningKey", "A new signing key (admin)", "auth",
                                         {"200": ok("The new key's id; tokens of older keys stay valid until they expire, "
                                                    "and the JWKS keeps their keys until then", ref("RotatedKey")),
                                          "409": problem("The key comes from the signing_key variable: rotate it there"),
                                          "401": {**resp("Unauthorized"), "description": "Missing, malformed, expired, "
                                                  "tampered or revoked token, or one whose Ed25519 signature does not "
                                                  "verify against the published keys (the administrator's routes check it)"},
                                          "429": {**problem("The key set already publishes 32 keys (each kept until the last "
                                                            "token it signed has expired); retry after Retry-After seconds"),
                                                  "headers": {"Retry-After": {"schema": integer}}}},
                                         scope="admin:users",
                                         params=[{"name": "compromised", "in": "query",
                                                  "schema": {"type": "boolean", "default": False},
                                                  "description": "true after a leak of the database or a backup (which "
                                                                 "holds the keys' seeds): two fresh keys, and every "
                                                                 "earlier key leaves the JWKS at once, instead of "
                                                                 "promoting the standby key"}])},
    "/api/auth/introspect": {"post": op("introspect", "RFC 7662 token introspection", "auth",
                                        {"200": ok("Introspection", ref("Introspection"))}, scope="",
                                        description="The caller needs a bearer access token of its own (401 without "
                                                    "one). A token with admin:users may introspect any token; any other "
                                                    "caller gets active: true only for tokens of its own account, and "
                                                    "{\"active\": false} for every other token, as for one that is not good. "
                                                    "A refresh token is active while a refresh would honour it; a spent one "
                                                    "is inactive, and introspecting it ends nothing.",
                                        body={"required": True, "content": {
                                            "application/json": {"schema": ref("IntrospectRequest")},
                                            "application/x-www-form-urlencoded": {"schema": ref("IntrospectForm")}}})},
    "/api/auth/sessions": {"get": op("listSessions", "The caller's live sessions", "auth",
                                     {"200": ok("Sessions", ref("SessionList"))}, scope="")},
    "/api/auth/sessions/{id}": {"delete": op("revokeSession", "Revoke one of the caller's sessions", "auth",
                                             {"204": {"description": "Revoked"}, "404": resp("NotFound"),
                                              "403": problem("Another session needs a token with the role's every scope "
                                                             "(a narrowed one ends only its own): insufficient_scope")},
                                             scope="", params=id_param)},
    "/api/auth/users": {"get": op("listUsers", "Accounts (admin)", "auth", {"200": ok("Accounts", ref("AccountList")),
                                                                           "400": resp("BadRequest")},
                                  scope="admin:users",
                                  params=[{"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
                                          {"name": "cursor", "in": "query", "schema": string}])},
    "/api/auth/users/{id}": {"get": op("getUser", "An account (admin)", "auth",
                                       {"200": ok("The account", ref("Account")), "404": resp("NotFound")},
                                       scope="admin:users", params=id_param),
                             "patch": op("updateUser", "Change an account's role or disable it (admin)", "auth",
                                         {"200": ok("The account", ref("Account")), "404": resp("NotFound"),
                                          "409": problem("The change would leave no enabled admin"),
                                          "412": resp("UntaggedPrecondition")}, scope="admin:users",
                                         params=id_param + untagged,
                                         body={"required": True, "content": {
                                             "application/json": {"schema": ref("AccountPatch")},
                                             "application/merge-patch+json": {"schema": ref("AccountPatch")}}})},
    "/api/auth/users/{id}/password": {"post": op("resetPassword", "Set an account's password (admin)", "auth",
                                                 {"204": {"description": "Set: every session of that account ended"},
                                                  "403": problem("The token lacks admin:users (insufficient_scope, in "
                                                                 "WWW-Authenticate), or names the caller's own account "
                                                                 "(type forbidden, no WWW-Authenticate): an administrator "
                                                                 "changes their own password with POST /api/auth/password"),
                                                  "404": resp("NotFound"), "412": resp("UntaggedPrecondition")},
                                                 scope="admin:users", params=id_param + untagged,
                                                 body=json_body(ref("PasswordReset")))},
    "/.well-known/jwks.json": {"get": op("jwks", "Public signing keys", "auth", {"200": ok("JWK set", ref("Jwks"))})},
    "/.well-known/openid-configuration": {"get": op("discovery", "OpenID discovery document", "auth",
                                                    {"200": ok("Discovery", ref("OpenIdConfiguration")),
                                                     "400": problem("The request's Host names no origin to make the links absolute on "
                                                                    "(a user name, a port past 65535); set token_issuer to the app's URL")})},
    "/.well-known/oauth-authorization-server": {"get": op("authorizationServerMetadata", "RFC 8414 authorization server metadata (the discovery document)", "auth",
                                                    {"200": ok("Discovery", ref("OpenIdConfiguration")),
                                                     "400": problem("The request's Host names no origin to make the links absolute on "
                                                                    "(a user name, a port past 65535); set token_issuer to the app's URL")})},
    "/api/books": {
        "get": op("listBooks", "List, filter, search and page through books", "books",
                  {"200": ok("A page", ref("BookList")), "400": resp("BadRequest"), "422": resp("ValidationFailed")},
                  scope="read:books",
                  params=[{"name": "q", "in": "query", "schema": string, "description": "words in title, author or description"}]
                  + [param(p) for p in ("author", "genre", "language", "year_min", "year_max")]
                  + [{"name": "sort", "in": "query", "schema": {"enum": ["title", "-title", "published_year", "-published_year",
                                                                       "price_cents", "-price_cents", "created_at", "-created_at"]}},
                     {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}},
                     {"name": "cursor", "in": "query", "schema": string},
                     {"name": "count", "in": "query", "schema": {"type": "boolean"}}]),
        "post": op("createBook", "Create a book", "books",
                   {"201": ok("Created", ref("Book"), headers={**ETAG, "Location": {"schema": string}}), "409": resp("Conflict")},
                   scope="create:books", body=json_body(ref("BookInput"))),
    },
    "/api/books/{id}": {
        "get": op("getBook", "A book", "books", {"200": ok("The book", ref("Book"), headers=ETAG),
                                                 "304": NOT_MODIFIED, "404": resp("NotFound"),
                                                 "412": problem("If-Match names another version of this book")},
                  scope="read:books", params=id_param + [param("IfMatch"), param("IfNoneMatch")]),
        "put": op("replaceBook", "Replace a book", "books",
                  {"200": ok("Replaced", ref("Book"), headers=ETAG), "404": resp("NotFound"), "409": resp("Conflict"),
                   "412": resp("PreconditionFailed")},
                  scope="update:books", params=id_param + [param("IfMatch"), param("IfNoneMatchWrite")], body=json_body(ref("BookInput"))),
        "patch": op("patchBook", "Merge-patch a book (RFC 7396)", "books",
                    {"200": ok("Patched", ref("Book"), headers=ETAG), "404": resp("NotFound"), "409": resp("Conflict"),
                     "412": resp("PreconditionFailed")},
                    scope="update:books", params=id_param + [param("IfMatch"), param("IfNoneMatchWrite")],
                    body=json_body(ref("BookPatch"), media="application/merge-patch+json")),
        "delete": op("deleteBook", "Delete a book", "books",
                     {"204": {"description": "Deleted"}, "404": resp("NotFound"), "412": resp("PreconditionFailed")},
                     scope="delete:books", params=id_param + [param("IfMatch"), param("IfNoneMatchWrite")]),
    },
    "/api/generator/preview": {"get": op(
        "previewBooks", "Generated books, not stored", "generator",
        {"200": ok("Preview", ref("GeneratorPreview")), "422": resp("ValidationFailed")}, scope="read:books",
        params=[{"name": "count", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 10}},
                {"name": "seed", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": 9007199254740991}}])},
    "/api/generator/runs": {
        "get": op("listRuns", "Generator runs, newest first", "generator", {"200": ok("Runs", ref("GeneratorRunList"))},
                  scope="read:books",
                  params=[{"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}}]),
        "post": op("runGenerator", "Generate and insert books, all or nothing", "generator",
                   {"201": ok("The run", ref("GeneratorRun"),
                              headers={"Location": {"schema": string, "description": "/api/generator/runs/{id}"}}),
                    "403": problem("The token lacks generate:books (insufficient_scope, in WWW-Authenticate), "
                                   "or generator_books_per_hour is 0 for an account that is not an administrator "
                                   "(type forbidden, no WWW-Authenticate)"),
                    "409": problem("The run would take the catalogue past generator_max_books"),
                    "429": {**problem("This account's hourly budget (generator_books_per_hour) is spent; retry after Retry-After seconds"),
                            "headers": {"Retry-After": {"schema": integer}}}},
                   scope="generate:books", body=json_body(ref("GeneratorRunRequest")),
                   description="Administrators are bound by generator_max_books only; other accounts also by "
                               "generator_books_per_hour (a count above it is 422; a budget of 0 is 403)."),
    },
    "/api/generator/runs/{id}": {"get": op("getRun", "A generator run", "generator",
                                           {"200": ok("The run", ref("GeneratorRun")), "404": resp("NotFound")},
                                           scope="read:books", params=id_param)},
    "/api/reports": {"get": op("listReports", "The reports", "reports",
                                {"200": ok("Reports", ref("ReportList")), "422": resp("ValidationFailed")}, scope="read:reports",
                                description="Takes no query parameters: any parameter is unknown (422).")},
    "/api/reports/summary": {"get": op("summaryReport", "Catalogue summary", "reports",
                                       {**report_responses(ref("SummaryReport"), "summary"), "422": resp("ValidationFailed")},
                                       scope="read:reports", params=report_params)},
    "/api/reports/genres": {"get": op("genresReport", "Per genre", "reports",
                                      {**report_responses(ref("GenresReport"), "genres"), "422": resp("ValidationFailed")},
                                      scope="read:reports", params=report_params)},
    "/api/reports/authors": {"get": op("authorsReport", "Top authors", "reports",
                                       {**report_responses(ref("AuthorsReport"), "authors"), "422": resp("ValidationFailed")},
                                       scope="read:reports",
                                       params=report_params + [{"name": "limit", "in": "query",
                                                                "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 10}}])},
    "/api/reports/years": {"get": op("yearsReport", "Books per year or decade", "reports",
                                     {**report_responses(ref("YearsReport"), "years"), "422": resp("ValidationFailed")},
                                     scope="read:reports",
                                     params=report_params + [{"name": "bucket", "in": "query", "schema": {"enum": ["year", "decade"]}}])},
    "/api/reports/prices": {"get": op("pricesReport", "Price histogram and percentiles", "reports",
                                      {**report_responses(ref("PricesReport"), "prices"), "422": resp("ValidationFailed")},
                                      scope="read:reports",
                                      params=report_params + [{"name": "buckets", "in": "query",
                                                               "schema": {"type": "integer", "minimum": 2, "maximum": 50, "default": 10}}])},
    # Served by the ui component (API.md, "Health and the rest"): pages, not JSON.
    "/": {"get": op("webUi", "The web UI", "ui", {
        "200": ok("The single-page app's HTML (with a Content-Security-Policy and the other security headers); "
                  "every other path outside /api that is not one of its files answers the same page, so a "
                  "reloaded or shared link opens its view", string, headers=ETAG, media="text/html"),
        "304": NOT_MODIFIED,
        "404": problem("A path no page can have: a hidden file's (/.git/config, /.env) or an escape (..)")},
        database=False)},
    "/docs": {"get": op("apiDocs", "Interactive API documentation (works offline)", "ui", {
        "200": ok("This document rendered for people, with Try it out and the password flow's Authorize; "
                  "every script and style is served by the app itself", string, headers=ETAG, media="text/html"),
        "304": NOT_MODIFIED}, database=False)},
}
# Shape errors at the token endpoint are 400 invalid_request (RFC 6749 §5.2), never 422. No
# client is registered (public clients only): client credentials are an unknown client.
for oauth_path in ("/api/auth/token", "/api/auth/revoke"):
    del paths[oauth_path]["post"]["responses"]["422"]
    paths[oauth_path]["post"]["responses"]["401"] = {
        **problem("invalid_client: a client secret in the Authorization header (HTTP Basic); no client is "
                  "registered here, so send none (Basic with an empty secret, id:, names a public client and is "
                  "served). A non-empty client_secret in the body is 400 invalid_client"),
        "headers": {"WWW-Authenticate": {"schema": string, "description": "Basic realm=\"folio\""}},
    }

document = {
    "openapi": "3.1.0",
    "info": {"title": "Folio", "version": "0.1.0",
             "description": "The books platform's HTTP API. Every error is RFC 9457 problem details "
                            "(application/problem+json). Bodies over 64 KiB get 413; unknown fields 422. "
                            "HEAD works wherever GET does (the GET's headers and Content-Length, no body); "
                            "OPTIONS on a known path is 204 with Allow (a CORS preflight from an allowed origin "
                            "gets the Access-Control-* headers on every /api path); another method on a known "
                            "path is 405 with Allow."},
    "servers": [{"url": "/"}],
    "tags": [{"name": n} for n in ("operations", "auth", "books", "generator", "reports", "ui")],
    "paths": paths,
    "components": {
        "schemas": schemas,
        "parameters": parameters,
        "responses": responses,
        "headers": {"X-Request-Id": {"schema": {"type": "string", "maxLength": 128},
                                     "description": "The request's id: the caller's X-Request-Id when it is at most "
                                                    "128 letters, digits, -, _, . or :, else a new one; on the "
                                                    "request's log lines too"}},
        "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT (EdDSA)",
                       "description": "An access token from POST /api/auth/token, as it is"},
            "oauth2": {"type": "oauth2",
                       "description": "The OAuth 2.0 password grant at the token endpoint: an account's e-mail "
                                      "address and password (no client id or secret). Choose no scope to get "
                                      "every scope of the account's role; choosing some narrows the token to them",
                       "flows": {"password": {"tokenUrl": "/api/auth/token", "refreshUrl": "/api/auth/token",
                                              "scopes": SCOPES}}},
        },
    },
}

# Every operation that takes query parameters validates them: out-of-range, malformed, repeated
# or unknown parameters get 422. (Path and header parameters are not shapes the app validates: an
# unknown id is 404, a condition that does not hold 412.)
def location(p):
    return parameters[p["$ref"].rsplit("/", 1)[1]]["in"] if "$ref" in p else p["in"]


for item in paths.values():
    for o in item.values():
        if any(location(p) == "query" for p in o.get("parameters", [])):
            o["responses"].setdefault("422", resp("ValidationFailed"))

# The token and revocation endpoints answer every error as application/json too, to a client whose
# Accept names it and not problem+json (RFC 6749 §5.2's type; docs/auth.md): what OAuth libraries
# such as oauth4webapi send.
for oauth_path in ("/api/auth/token", "/api/auth/revoke"):
    for status, r in paths[oauth_path]["post"]["responses"].items():
        if status.startswith(("4", "5")):
            r = dict(responses[r["$ref"].rsplit("/", 1)[1]]) if "$ref" in r else r
            r["content"] = {**r["content"], "application/json": r["content"]["application/problem+json"]}
            paths[oauth_path]["post"]["responses"][status] = r

# Every answer carries a request id: the caller's X-Request-Id when it is short and plain, else a
# new one; the same id is on the request's log lines.
REQUEST_ID_HEADER = {"$ref": "#/components/headers/X-Request-Id"}
for r in [r for item in paths.values() for o in item.values() for r in o["responses"].values()] + list(responses.values()):
    if "$ref" not in r:
        r["headers"] = {**r.get("headers", {}), "X-Request-Id": REQUEST_ID_HEADER}

text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
if "--check" in sys.argv:
    if not OUT.exists() or OUT.read_text() != text:
        sys.exit(f"{OUT} is out of date: run python3 docs/openapi/build.py")
else:
    OUT.write_text(text)
