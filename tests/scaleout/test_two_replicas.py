"""Two replicas, one state (issue 26; docs/scale-out.md): two `spin up` of this checkout's app on
different ports, both with deploy/runtime-config.redis-shared-file.toml pointing the `default`
key-value store at one redis-server and the `default` SQLite database at one file. Every check
goes through both replicas: what one writes, the other must answer at once, from its caches
too (book reads, list pages and reports are cached in the shared store; every miss fills).
"""

from __future__ import annotations

import base64
import csv
import io
import json
import threading
import time
import urllib.parse

import jwt  # PyJWT (tests/requirements.txt)

from conftest import (
    ADMIN_EMAIL,
    PASSWORD,
    book_body,
    resp_command,
    smoke,
    unique,
    unique_email,
    wait_for_long_write,
    wait_until,
)

# --- helpers ----------------------------------------------------------------------------------


def q(**params) -> str:
    return urllib.parse.urlencode(params)


def jwt_header(token: str) -> dict:
    head = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))


def assert_refused(resp, where: str) -> None:
    assert resp.status == 401, f"{where}: a revoked token answered {resp.status}: {resp.text[:300]}"
    assert 'error="invalid_token"' in (resp.header("www-authenticate") or ""), f"{where}: {resp.headers}"


def together(*calls):
    """Runs the calls at the same instant (a barrier releases them together); returns their
    results in order, re-raising the first exception."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)
    errors: list = []

    def run(i, call):
        try:
            barrier.wait(timeout=30)
            results[i] = call()
        except BaseException as e:  # noqa: BLE001 - re-raised below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    if errors:
        raise errors[0]
    return results


def total(replica, token: str, query: str = "count=true&limit=1") -> int:
    r = replica.get(f"/api/books?{query}", token=token)
    assert r.status == 200, f"{replica.name}: {r.status} {r.text[:300]}"
    return r.json()["total"]


def csv_rows(resp) -> list[dict]:
    assert resp.status == 200, resp.text[:300]
    assert (resp.header("content-type") or "").startswith("text/csv"), resp.headers
    return list(csv.DictReader(io.StringIO(resp.text)))


# --- what the catalogue must answer, computed here from the books the test wrote --------------


def expect_reports(books: list[dict]) -> dict:
    """The parts of each report (filtered to the test's own author) that follow from `books`
    alone, computed independently of the app."""
    prices = [b["price_cents"] for b in books]
    years = [b["published_year"] for b in books]
    genres: dict[str, int] = {}
    for b in books:
        genres[b["genre"]] = genres.get(b["genre"], 0) + 1
    summary = {"books": len(books), "total_price_cents": sum(prices)}
    if books:
        summary.update(genres=len(genres), earliest_year=min(years), latest_year=max(years))
    by_year: dict[int, int] = {}
    for y in years:
        by_year[y] = by_year.get(y, 0) + 1
    return {
        "summary": summary,
        "genres": genres,
        "authors": {books[0]["author"]: len(books)} if books else {},
        "years": by_year,
        "prices": {"books": len(books), **({"min_cents": min(prices), "max_cents": max(prices)} if books else {})},
    }


def observe_reports(replica, token: str, author: str) -> dict:
    """The same parts, as `replica` answers them, in JSON and in CSV (which must agree)."""
    f = q(author=author)
    get = lambda name, extra="": replica.get(f"/api/reports/{name}?{f}{extra}", token=token)  # noqa: E731
    seen: dict = {}
    r = get("summary")
    assert r.status == 200, r.text
    s = r.json()
    seen["summary"] = {k: s[k] for k in ("books", "total_price_cents", "genres", "earliest_year", "latest_year")
                       if s["books"] or k in ("books", "total_price_cents")}
    row = csv_rows(get("summary", "&format=csv"))
    assert len(row) == 1 and int(row[0]["books"]) == s["books"], (row, s)
    assert int(row[0]["total_price_cents"] or 0) == s["total_price_cents"], (row, s)

    r = get("genres")
    assert r.status == 200, r.text
    seen["genres"] = {i["genre"]: i["books"] for i in r.json()["items"]}
    rows = csv_rows(get("genres", "&format=csv"))
    assert {x["genre"]: int(x["books"]) for x in rows} == seen["genres"], rows

    r = get("authors")
    assert r.status == 200, r.text
    seen["authors"] = {i["author"]: i["books"] for i in r.json()["items"]}
    rows = csv_rows(get("authors", "&format=csv"))
    assert {x["author"]: int(x["books"]) for x in rows} == seen["authors"], rows

    r = get("years")
    assert r.status == 200, r.text
    seen["years"] = {i["start"]: i["books"] for i in r.json()["items"] if i["books"]}
    rows = csv_rows(get("years", "&format=csv"))
    assert {int(x["start"]): int(x["books"]) for x in rows if int(x["books"])} == seen["years"], rows

    r = get("prices")
    assert r.status == 200, r.text
    p = r.json()
    seen["prices"] = {"books": p["books"], **({"min_cents": p["min_cents"], "max_cents": p["max_cents"]} if p["books"] else {})}
    rows = csv_rows(get("prices", "&format=csv"))
    assert [int(x["books"]) for x in rows if x["row"] == "total"] == [p["books"]], rows
    return seen


def check_catalogue(replica, token: str, author: str, books: dict[str, dict], gone: list[str], global_total: int):
    """Everything `replica` answers about the test's books: each one by id (with its ETag),
    the list page under several filters, every report in JSON and CSV, the global count.
    Asked twice, so the second answer comes from the cache the first one filled."""
    for attempt in ("first", "cached"):
        where = f"{replica.name} ({attempt} read)"
        for book in books.values():
            r = replica.get(f"/api/books/{book['id']}", token=token)
            assert r.status == 200, f"{where}: {r.status} {r.text[:200]}"
            assert r.json() == book, f"{where}: stale book\n got  {r.json()}\n want {book}"
            assert r.header("etag") == f'"v{book["version"]}"', f"{where}: ETag {r.header('etag')}"
        for book_id in gone:
            r = replica.get(f"/api/books/{book_id}", token=token)
            assert r.status == 404, f"{where}: a deleted book answered {r.status}: {r.text[:200]}"

        r = replica.get(f"/api/books?{q(author=author, count='true', sort='title', limit=100)}", token=token)
        assert r.status == 200, r.text
        page = r.json()
        want = sorted(books.values(), key=lambda b: b["title"])
        assert page["total"] == len(want), f"{where}: list total {page['total']}, want {len(want)}"
        assert page["items"] == want, f"{where}: stale list page\n got  {page['items']}\n want {want}"

        # A narrower filter set (genre, language, years) over the same books.
        sf = [b for b in want if b["genre"] == "Science Fiction" and 1990 <= b["published_year"] <= 2005]
        r = replica.get(
            f"/api/books?{q(author=author, genre='Science Fiction', language='en', year_min=1990, year_max=2005, count='true')}",
            token=token)
        assert r.status == 200, r.text
        assert sorted(i["id"] for i in r.json()["items"]) == sorted(b["id"] for b in sf), f"{where}: filtered page"
        assert r.json()["total"] == len(sf)

        assert observe_reports(replica, token, author) == expect_reports(list(books.values())), where
        assert total(replica, token) == global_total, f"{where}: global count"
        r = replica.get("/api/reports/summary", token=token)
        assert r.status == 200 and r.json()["books"] == global_total, f"{where}: global summary {r.text[:200]}"


# --- first use -------------------------------------------------------------------------------


def test_first_use_on_both_replicas_at_once_makes_one_schema_and_one_signing_key(make_cluster):
    """Fresh stores, both replicas up (ready means only that `/` answers: no request has
    touched SQLite yet), then the first SQL-touching requests reach both at the same instant:
    the migrations run once, and there is one signing key, not one per replica."""
    c = make_cluster(ready_path="/")
    assert not c.db.exists() or c.sql("SELECT name FROM sqlite_master WHERE name = 'schema_migrations'") == []

    ea, eb = unique_email("first-a"), unique_email("first-b")
    jwks_a, jwks_b, health_a, health_b, reg_a, reg_b = together(
        lambda: c.a.get("/.well-known/jwks.json"), lambda: c.b.get("/.well-known/jwks.json"),
        lambda: c.a.get("/api/health"), lambda: c.b.get("/api/health"),
        lambda: c.a.client.register(ea), lambda: c.b.client.register(eb),
    )
    for r in (jwks_a, jwks_b, health_a, health_b):
        assert r.status == 200, f"{r.status} {r.text[:300]}\n{c.logs()}"
    assert reg_a.status == 201 and reg_b.status == 201, (reg_a.text, reg_b.text)
    keys_a, keys_b = jwks_a.json()["keys"], jwks_b.json()["keys"]
    # One signing key for the app and one standby key (published a rotation ahead), not a pair
    # per replica.
    assert keys_a == keys_b and len(keys_a) == 2, f"one signing key for the app, not one per replica: {keys_a} {keys_b}"

    # Tokens issued by either replica carry that key and verify, offline, against either JWKS.
    kid = keys_a[0]["kid"]
    for issuer, verifier_jwks, email in ((c.a, jwks_b, ea), (c.b, jwks_a, eb)):
        token = issuer.client.sign_in(email)["access_token"]
        assert jwt_header(token)["kid"] == kid
        key = jwt.PyJWKSet.from_dict(verifier_jwks.json())[kid]
        claims = jwt.decode(token, key=key, algorithms=["EdDSA"], audience="folio-api", issuer="folio")
        assert claims["email"] == email

    # Each migration applied and recorded once; one generated key row and one standby row.
    counts = c.sql("SELECT version, COUNT(*) FROM schema_migrations GROUP BY version")
    assert counts and all(n == 1 for _, n in counts), counts
    assert c.sql("SELECT COUNT(*) FROM auth_signing_keys WHERE generated_slot = 1") == [(1,)]
    assert c.sql("SELECT COUNT(*) FROM auth_signing_keys WHERE standby = 1") == [(1,)]
    assert c.sql("SELECT COUNT(*) FROM auth_signing_keys") == [(2,)], "no loser's key left behind"


# --- the token service across replicas -------------------------------------------------------


def test_register_on_a_sign_in_on_b_and_tokens_work_on_both(cluster):
    email = unique_email("cross")
    r = cluster.a.client.register(email)
    assert r.status == 201, r.text
    # The same address again, on the other replica: taken (case-insensitive).
    r = cluster.b.client.register(email.upper())
    assert r.status == 409, r.text
    tokens = cluster.b.client.sign_in(email)
    for replica in (cluster.a, cluster.b):
        me = replica.get("/api/auth/me", token=tokens["access_token"])
        assert me.status == 200, f"{replica.name}: {me.text}"
        assert me.json()["account"]["email"] == email
        assert replica.get("/api/books?limit=1", token=tokens["access_token"]).status == 200
    sessions = cluster.a.get("/api/auth/sessions", token=tokens["access_token"]).json()["items"]
    assert len(sessions) == 1 and sessions[0]["current"], sessions


def test_logout_on_b_is_refused_on_a_at_once_in_every_component(cluster):
    email = unique_email("logout")
    cluster.a.client.login(email)
    doomed = cluster.a.client.sign_in(email)["access_token"]
    other = cluster.b.client.sign_in(email)["access_token"]
    for replica in (cluster.a, cluster.b):
        assert replica.get("/api/auth/me", token=doomed).status == 200

    r = cluster.b.request("POST", "/api/auth/logout", token=doomed)
    assert r.status == 204, r.text
    # The very next request, on the other replica, in each component that checks tokens.
    for replica in (cluster.a, cluster.b):
        assert_refused(replica.get("/api/auth/me", token=doomed), f"{replica.name} auth")
        assert_refused(replica.get("/api/books?limit=1", token=doomed), f"{replica.name} books")
        assert_refused(replica.get("/api/reports/summary", token=doomed), f"{replica.name} reports")
        assert_refused(replica.get("/api/generator/runs", token=doomed), f"{replica.name} generator")
        # The account's other session lives on.
        assert replica.get("/api/auth/me", token=other).status == 200


def test_a_refresh_token_used_twice_across_replicas_ends_the_session_everywhere(cluster):
    email = unique_email("refresh")
    first = cluster.a.client.login(email)
    r = cluster.a.request("POST", "/api/auth/token",
                          {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}, form=True)
    assert r.status == 200, r.text
    rotated = r.json()
    assert rotated["refresh_token"] != first["refresh_token"]
    # The old refresh token again, on B: refused, and the whole session is revoked.
    r = cluster.b.request("POST", "/api/auth/token",
                          {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}, form=True)
    assert r.status in (400, 401) and r.json()["error"] == "invalid_grant", r.text
    for replica in (cluster.a, cluster.b):
        assert_refused(replica.get("/api/auth/me", token=rotated["access_token"]), replica.name)
    r = cluster.a.request("POST", "/api/auth/token",
                          {"grant_type": "refresh_token", "refresh_token": rotated["refresh_token"]}, form=True)
    assert r.status in (400, 401), r.text


def test_failed_sign_ins_are_counted_across_replicas(cluster):
    email = unique_email("throttle")
    assert cluster.a.client.register(email).status == 201
    replicas = [cluster.a, cluster.b]
    statuses = [replicas[i % 2].client.password_grant(email, "wrong password!").status for i in range(5)]
    assert statuses == [400] * 5 or statuses == [401] * 5, statuses
    for replica in (cluster.b, cluster.a):
        r = replica.client.password_grant(email, PASSWORD)  # the right password, too late
        assert r.status == 429, f"{replica.name}: {r.status} {r.text}"
        assert int(r.header("retry-after")) > 0


def test_disabling_an_account_on_a_ends_its_tokens_on_b(cluster):
    admin = cluster.a.client.login(ADMIN_EMAIL)["access_token"]
    email = unique_email("disable")
    user = cluster.b.client.login(email)["access_token"]
    account_id = cluster.b.get("/api/auth/me", token=user).json()["account"]["id"]
    r = cluster.a.request("PATCH", f"/api/auth/users/{account_id}", {"disabled": True}, token=admin)
    assert r.status == 200, r.text
    assert_refused(cluster.b.get("/api/books?limit=1", token=user), "B after disable")
    r = cluster.b.client.password_grant(email)
    assert r.status in (400, 401), r.text


# --- the catalogue and its caches across replicas -------------------------------------------


def test_writes_on_one_replica_are_read_at_once_on_the_other_caches_included(cluster):
    email = unique_email("writer")
    token_a = cluster.a.client.login(email)["access_token"]
    token_b = cluster.b.client.sign_in(email)["access_token"]
    author = unique("Coherent Author")
    word = unique("zq").replace("-", "")
    books: dict[str, dict] = {}
    gone: list[str] = []
    base = total(cluster.a, token_a)

    def check(expected_total):
        for replica, token in ((cluster.b, token_b), (cluster.a, token_a)):
            check_catalogue(replica, token, author, books, gone, expected_total)

    # Before anything exists: both replicas cache the empty answers (every miss fills).
    check(base)
    etags_before = {
        name: cluster.b.get(f"/api/reports/{name}?{q(author=author)}", token=token_b).header("etag")
        for name in ("summary", "genres", "authors", "years", "prices")
    }

    # Create on A, read on B.
    r = cluster.a.request("POST", "/api/books", book_body(f"Alpha {word}", author, price_cents=1000), token=token_a)
    assert r.status == 201, r.text
    books[r.json()["id"]] = r.json()
    check(base + 1)
    for name, etag in etags_before.items():
        r = cluster.b.get(f"/api/reports/{name}?{q(author=author)}", token=token_b, headers={"if-none-match": etag})
        assert r.status == 200 and r.header("etag") != etag, f"{name}: the old ETag still matched on B"
    # Full-text search sees it on both.
    for replica, token in ((cluster.b, token_b), (cluster.a, token_a)):
        r = replica.get(f"/api/books?{q(q=word)}", token=token)
        assert [i["id"] for i in r.json()["items"]] == list(books), r.text

    # Create on B, read on A (and B again).
    r = cluster.b.request("POST", "/api/books",
                          book_body(f"Beta {word}", author, genre="Poetry", published_year=1850, price_cents=3000),
                          token=token_b)
    assert r.status == 201, r.text
    books[r.json()["id"]] = r.json()
    check(base + 2)

    # Full replace on A, with the ETag read on B; B's cached copy must go.
    alpha = next(b for b in books.values() if b["title"].startswith("Alpha"))
    etag = cluster.b.get(f"/api/books/{alpha['id']}", token=token_b).header("etag")
    r = cluster.a.request("PUT", f"/api/books/{alpha['id']}",
                          book_body(f"Alpha {word} revised", author, isbn=alpha["isbn"], genre="History",
                                    published_year=2001, price_cents=5000),
                          token=token_a, headers={"if-match": etag})
    assert r.status == 200, r.text
    books[alpha["id"]] = r.json()
    assert r.json()["version"] == alpha["version"] + 1
    r = cluster.b.get(f"/api/books/{alpha['id']}", token=token_b, headers={"if-none-match": etag})
    assert r.status == 200, "B answered 304 to the ETag of the version A replaced"
    check(base + 2)

    # Merge patch on B, read on A.
    beta = next(b for b in books.values() if b["title"].startswith("Beta"))
    r = cluster.b.request("PATCH", f"/api/books/{beta['id']}", b'{"price_cents": 7000, "genre": "Science Fiction", "published_year": 1999}',
                          token=token_b, headers={"content-type": "application/merge-patch+json",
                                                  "if-match": f'"v{beta["version"]}"'})
    assert r.status == 200, r.text
    books[beta["id"]] = r.json()
    check(base + 2)

    # Delete on A, read on B; then delete the other on B, read on A.
    r = cluster.a.request("DELETE", f"/api/books/{alpha['id']}", token=token_a)
    assert r.status == 204, r.text
    gone.append(books.pop(alpha["id"])["id"])
    check(base + 1)
    r = cluster.b.request("DELETE", f"/api/books/{beta['id']}", token=token_b)
    assert r.status == 204, r.text
    gone.append(books.pop(beta["id"])["id"])
    check(base)


def test_a_cursor_made_on_one_replica_pages_on_the_other(cluster):
    token = cluster.a.client.login(unique_email("pager"))["access_token"]
    author = unique("Paged Author")
    made = []
    for i in range(5):
        r = cluster.a.request("POST", "/api/books", book_body(f"Page {i}", author), token=token)
        assert r.status == 201, r.text
        made.append(r.json()["id"])
    seen, cursor, turn = [], None, 0
    while True:
        replica = (cluster.a, cluster.b)[turn % 2]
        params = {"author": author, "limit": 2, "sort": "title", **({"cursor": cursor} if cursor else {})}
        r = replica.get(f"/api/books?{q(**params)}", token=token)
        assert r.status == 200, f"{replica.name}: {r.text}"
        seen += [i["id"] for i in r.json()["items"]]
        cursor, turn = r.json()["next_cursor"], turn + 1
        if not cursor:
            break
    assert seen == made, "every book exactly once, in order, across replicas"


def test_if_match_races_across_replicas_have_exactly_one_winner(cluster):
    token = cluster.a.client.login(unique_email("racer"))["access_token"]
    author = unique("Raced Author")
    r = cluster.a.request("POST", "/api/books", book_body("Raced", author), token=token)
    assert r.status == 201, r.text
    book = r.json()
    for rnd in range(10):
        etag = f'"v{book["version"]}"'
        bodies = {name: book_body(f"Raced by {name} in round {rnd}", author, isbn=book["isbn"]) for name in "AB"}
        if rnd % 2 == 0:  # full replace
            calls = [lambda rep=rep: rep.request("PUT", f"/api/books/{book['id']}", bodies[rep.name],
                                                 token=token, headers={"if-match": etag})
                     for rep in (cluster.a, cluster.b)]
        else:  # merge patch
            calls = [lambda rep=rep: rep.request("PATCH", f"/api/books/{book['id']}",
                                                 json.dumps({"title": bodies[rep.name]["title"]}).encode(),
                                                 token=token, headers={"if-match": etag,
                                                                       "content-type": "application/merge-patch+json"})
                     for rep in (cluster.a, cluster.b)]
        ra, rb = together(*calls)
        assert sorted([ra.status, rb.status]) == [200, 412], f"round {rnd}: A {ra.status} {ra.text[:200]} / B {rb.status} {rb.text[:200]}"
        winner = ra if ra.status == 200 else rb
        loser = rb if winner is ra else ra
        assert loser.header("content-type") == "application/problem+json"
        book = winner.json()
        assert book["version"] == rnd + 2
        for replica in (cluster.a, cluster.b):
            got = replica.get(f"/api/books/{book['id']}", token=token)
            assert got.json() == book and got.header("etag") == f'"v{book["version"]}"', f"{replica.name} after round {rnd}"


# --- the generator across replicas ------------------------------------------------------------


GENERATED = 100_000


def test_a_generator_run_on_a_while_b_serves_reads(cluster):
    token = cluster.a.client.login(unique_email("generator"))["access_token"]
    r = cluster.a.request("POST", "/api/books", book_body("Read during the run", unique("Steady Author")), token=token)
    assert r.status == 201, r.text
    steady = r.json()
    before = total(cluster.b, token)
    runs_before = cluster.b.get("/api/generator/runs", token=token).json()["items"]
    # B's caches hold the answers from before the run.
    total(cluster.b, token), cluster.b.get("/api/reports/summary", token=token)

    outcome: dict = {}

    def run():
        outcome["response"] = cluster.a.request("POST", "/api/generator/runs", {"count": GENERATED, "seed": 20261206},
                                                token=token, timeout=300)
        outcome["done_at"] = time.monotonic()

    thread = threading.Thread(target=run)
    thread.start()
    try:
        wait_for_long_write(cluster, thread)
        answers: dict[str, list[int]] = {"list": [], "summary": []}
        while thread.is_alive():
            r = cluster.b.get("/api/books?count=true&limit=1", token=token)
            assert r.status == 200, f"B during the run: {r.status} {r.text[:300]}"
            answers["list"].append(r.json()["total"])
            r = cluster.b.get("/api/reports/summary", token=token)
            assert r.status == 200, f"B during the run: {r.status} {r.text[:300]}"
            answers["summary"].append(r.json()["books"])
            r = cluster.b.get(f"/api/books/{steady['id']}", token=token)
            assert r.status == 200 and r.json() == steady
            answered_at = time.monotonic()
            if thread.is_alive():
                answers.setdefault("during", []).append(answered_at)
    finally:
        thread.join(timeout=300)

    response = outcome["response"]
    assert response.status == 201, f"{response.status} {response.text[:300]}\n{cluster.logs()}"
    created = response.json()
    assert created["inserted"] == GENERATED and created["count"] == GENERATED
    assert len(answers.get("during", [])) >= 2, f"B answered too few reads during the run: {answers}"
    # Never a partial run, and never back to the old count once the new one was seen.
    for name, values in (("list", answers["list"]), ("summary", answers["summary"])):
        assert set(values) <= {before, before + GENERATED}, f"{name}: partial counts seen on B: {sorted(set(values))}"
        if before + GENERATED in values:
            first_new = values.index(before + GENERATED)
            assert all(v == before + GENERATED for v in values[first_new:]), f"{name}: went back: {values}"

    # Answered: both replicas show all of it, the cached answers included.
    for replica in (cluster.b, cluster.a):
        assert total(replica, token) == before + GENERATED, replica.name
        assert total(replica, token, "count=true&limit=3") == before + GENERATED, replica.name
        assert replica.get("/api/reports/summary", token=token).json()["books"] == before + GENERATED
        runs = replica.get("/api/generator/runs", token=token).json()["items"]
        assert runs[0]["id"] == created["id"] and runs[0]["inserted"] == GENERATED, runs[:1]
        assert len(runs) == len(runs_before) + 1
    assert cluster.sql("SELECT COUNT(*) FROM books") == [(before + GENERATED,)]


def three_books_on_a_with_b_warm(c, label: str) -> tuple[str, int]:
    """Signs in on A, writes three books there, and fills B's caches (the list page `total`
    reads, the summary report) with that catalogue. Returns the token and the count."""
    token = c.a.client.login(unique_email(label.lower()))["access_token"]
    for i in range(3):
        assert c.a.request("POST", "/api/books", book_body(f"{label} {i}", f"{label} Author"), token=token).status == 201
    before = total(c.b, token)
    assert before == 3
    assert c.b.get("/api/reports/summary", token=token).json()["books"] == before
    return token, before


def start_run_on_a(c, token: str, seed: int) -> tuple[threading.Thread, dict]:
    """A GENERATED-book run on A in a thread; its response, or the error of a replica that died
    under it, lands in the returned dict."""
    outcome: dict = {}

    def run():
        try:
            outcome["response"] = c.a.request("POST", "/api/generator/runs", {"count": GENERATED, "seed": seed},
                                              token=token, timeout=300)
        except OSError as e:  # the replica died under the request
            outcome["error"] = e

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def test_killing_a_in_the_middle_of_a_run_leaves_all_or_nothing_for_b_and_a_restarted_a(make_cluster):
    c = make_cluster()
    token, before = three_books_on_a_with_b_warm(c, "Crash")
    runs_before = c.b.get("/api/generator/runs", token=token).json()["items"]
    schema_before = c.sql("SELECT type, name, sql FROM sqlite_master ORDER BY type, name")
    thread, outcome = start_run_on_a(c, token, seed=26)
    try:
        # In the middle: the run's transaction has held the database for a while, unanswered.
        wait_for_long_write(c, thread)
        c.a.kill()
    finally:
        thread.join(timeout=300)
    assert "response" not in outcome, f"A answered although it was killed: {outcome}"

    # What B sees: the run entirely, or not at all; here, killed inside its transaction, not at all.
    after = {"B": c.b}
    c.a.start()  # a restarted A, over the same stores
    after["restarted A"] = c.a
    truth = c.sql("SELECT COUNT(*) FROM books")[0][0]
    assert truth in (before, before + GENERATED), f"a partial run is stored: {truth} books"
    for name, replica in after.items():
        runs = replica.get("/api/generator/runs", token=token).json()["items"]
        for query in ("count=true&limit=1", "count=true&limit=4"):  # the cached page and a fresh one
            assert total(replica, token, query) == truth, f"{name}: {query}"
        assert replica.get("/api/reports/summary", token=token).json()["books"] == truth, name
        if truth == before:
            assert runs == runs_before, f"{name}: a run is listed whose books are not there"
        else:
            assert len(runs) == len(runs_before) + 1 and runs[0]["inserted"] == GENERATED
    assert truth == before, "the kill landed inside the transaction, so nothing of the run may remain"
    assert c.sql("PRAGMA integrity_check") == [("ok",)]
    assert c.sql("SELECT type, name, sql FROM sqlite_master ORDER BY type, name") == schema_before, \
        "the indexes the run dropped inside its transaction are back"

    # The database is not left locked or damaged: a new run on the restarted A lands everywhere.
    r = c.a.request("POST", "/api/generator/runs", {"count": 1000, "seed": 27}, token=token, timeout=300)
    assert r.status == 201, f"{r.status} {r.text[:300]}\n{c.logs()}"
    for replica in (c.b, c.a):
        assert total(replica, token) == before + 1000, replica.name
        assert replica.get("/api/reports/summary", token=token).json()["books"] == before + 1000


def stored_data_version(c) -> bytes:
    """The catalogue's data version as Redis holds it (a version, or a writer's pending marker)."""
    reply = resp_command(c.redis.port, "GET", "catalog:data-version")
    assert reply.startswith(b"$"), reply
    return reply.split(b"\r\n")[1]


def test_killing_a_after_its_run_commits_and_before_it_publishes_leaves_no_stale_cache(make_cluster):
    """The window between a commit and the data version's publication (docs/scale-out.md): A's
    run commits, A dies before it publishes a new version. Caches filled before the run must not
    answer for the catalogue after it, on B or on a restarted A."""
    c = make_cluster()
    token, before = three_books_on_a_with_b_warm(c, "Window")
    assert total(c.b, token) == before  # asked twice: the second answer came from B's cache
    thread, outcome = start_run_on_a(c, token, seed=31)
    try:
        wait_for_long_write(c, thread)
        # The write lock is released at the commit; the COMMIT call then folds the write-ahead log
        # back into the file (SQLite's automatic checkpoint) before the generator can publish.
        wait_until(lambda: not c.writer_active() or not thread.is_alive(), 300, "the run's commit", 0.005)
        assert thread.is_alive(), f"A answered before the kill: {outcome}"
        c.a.kill()
    finally:
        thread.join(timeout=300)
    assert "response" not in outcome, f"A answered although it was killed: {outcome}"
    truth = c.sql("SELECT COUNT(*) FROM books")[0][0]
    assert truth == before + GENERATED, "the run committed before the kill"
    marker = stored_data_version(c)
    assert marker.startswith(b"pending:"), f"the kill landed after the publish, not in the window: {marker!r}"

    c.a.start()
    for name, replica in (("B", c.b), ("restarted A", c.a)):
        assert total(replica, token) == truth, f"{name}: the list page cached before the run"
        assert total(replica, token, "count=true&limit=3") == truth, f"{name}: an uncached list page"
        assert replica.get("/api/reports/summary", token=token).json()["books"] == truth, f"{name}: summary"
    healed = stored_data_version(c)
    assert healed and not healed.startswith(b"pending:"), f"the first reader published a version: {healed!r}"
    # Under the new version the caches fill again, and still answer the truth.
    assert total(c.b, token) == truth
    assert c.b.get("/api/reports/summary", token=token).json()["books"] == truth


def test_the_black_box_smoke_passes_on_each_replica(cluster):
    for replica in (cluster.a, cluster.b):
        smoke(replica.client)
