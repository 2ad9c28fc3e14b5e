//! Account self-service (issue 25): the profile (`GET`/`PATCH /api/auth/me`), changing one's
//! password (`POST /api/auth/password`), leaving (`DELETE /api/auth/me`), and an administrator
//! setting another account's password (`POST /api/auth/users/{id}/password`).

mod common;

use common::*;
use folio_core::{Request, Response};
use folio_native::{body_json, json_request, request, TestApp};
use serde_json::{json, Value};

fn merge_patch_req(token: &str, body: &Value) -> Request {
    request("PATCH", "/api/auth/me")
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/merge-patch+json")
        .body(body.to_string().into_bytes())
        .unwrap()
}

fn patch_me(app: &TestApp, token: &str, body: &Value) -> Response {
    call(app, merge_patch_req(token, body))
}

fn me(app: &TestApp, token: &str) -> Value {
    let r = call(app, bearer("GET", "/api/auth/me", token));
    assert_eq!(r.status(), 200);
    body_json(&r)["account"].clone()
}

fn fields(r: &Response) -> Vec<String> {
    assert_eq!(r.status(), 422, "{}", String::from_utf8_lossy(r.body()));
    let mut f: Vec<String> = body_json(r)["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_string())
        .collect();
    f.sort();
    f
}

fn change_password(app: &TestApp, token: &str, current: &str, new: &str) -> Response {
    call(
        app,
        bearer_json(
            "POST",
            "/api/auth/password",
            token,
            &json!({"current_password": current, "new_password": new}),
        ),
    )
}

fn leave(app: &TestApp, token: &str, password: &str) -> Response {
    call(app, bearer_json("DELETE", "/api/auth/me", token, &json!({"password": password})))
}

const FULL: &str = r#"{"name": "Ada Lovelace", "profile": {"title": "Countess", "first_name": "Ada",
    "last_name": "Lovelace", "mobile_number": "+44 7700 900123", "address": {"lines": ["12 St James's Square"],
    "city": "London", "postal_code": "SW1Y 4JH", "country": "gb"}}}"#;

#[test]
fn the_profile_starts_empty_and_takes_a_merge_patch() {
    let app = TestApp::new();
    let t = sign_up_and_in(&app, "ada@example.com");
    let account = me(&app, &t.access);
    assert_eq!(
        account["profile"],
        json!({"title": null, "first_name": null, "last_name": null, "mobile_number": null, "address": null})
    );
    app.clock.advance_secs(2);
    let r = patch_me(&app, &t.access, &serde_json::from_str(FULL).unwrap());
    assert_eq!(r.status(), 200, "{}", String::from_utf8_lossy(r.body()));
    assert_eq!(r.headers()["cache-control"], "no-store");
    let patched = body_json(&r);
    assert_eq!(patched["name"], "Ada Lovelace");
    assert_eq!(patched["profile"]["mobile_number"], "+447700900123", "stored in E.164");
    assert_eq!(patched["profile"]["address"]["country"], "GB");
    assert_ne!(patched["updated_at"], account["updated_at"]);
    assert_eq!(me(&app, &t.access), patched, "GET shows what PATCH stored");

    // Merge patch: members not named stay; null removes; an array is replaced whole.
    let r = patch_me(
        &app,
        &t.access,
        &json!({"profile": {"address": {"city": "Oxford", "lines": null}, "title": null}}),
    );
    let p = body_json(&r)["profile"].clone();
    assert_eq!(p["title"], Value::Null);
    assert_eq!(p["first_name"], "Ada");
    assert_eq!(
        p["address"],
        json!({"lines": [], "city": "Oxford", "postal_code": "SW1Y 4JH", "country": "GB"})
    );
    let r = patch_me(&app, &t.access, &json!({"name": null, "profile": null}));
    let cleared = body_json(&r);
    assert_eq!(cleared["name"], Value::Null);
    assert_eq!(cleared["profile"]["address"], Value::Null);
    // An empty patch changes nothing.
    let before = me(&app, &t.access);
    assert_eq!(body_json(&patch_me(&app, &t.access, &json!({}))), before);
}

#[test]
fn every_problem_is_named_at_once_and_nothing_is_stored() {
    let app = TestApp::new();
    let t = sign_up_and_in(&app, "ada@example.com");
    patch_me(&app, &t.access, &serde_json::from_str(FULL).unwrap());
    let stored = me(&app, &t.access);
    let bad = json!({"name": "", "email": "new@example.com", "nickname": "Al",
        "profile": {"title": "t".repeat(51), "first_name": 3, "mobile_number": "0044 7700 900123",
            "address": {"lines": ["ok", ""], "postal_code": "SW1Y/4JH", "country": "XX", "planet": "Earth"}}});
    let r = patch_me(&app, &t.access, &bad);
    assert_eq!(
        fields(&r),
        [
            "email",
            "name",
            "nickname",
            "profile.address.country",
            "profile.address.lines[1]",
            "profile.address.planet",
            "profile.address.postal_code",
            "profile.first_name",
            "profile.mobile_number",
            "profile.title",
        ]
    );
    let body = body_json(&r);
    assert_eq!(body["type"], "/docs/problems#validation");
    assert!(body["detail"].as_str().unwrap().contains("10 fields"), "{body}");
    let email = body["errors"].as_array().unwrap().iter().find(|e| e["field"] == "email").unwrap();
    assert_eq!(email["message"], "cannot be changed here");
    assert_eq!(me(&app, &t.access), stored, "a refused patch changes nothing");
    // Wrong shapes of the members themselves.
    assert_eq!(fields(&patch_me(&app, &t.access, &json!({"profile": "Dr"}))), ["profile"]);
    assert_eq!(
        fields(&patch_me(&app, &t.access, &json!({"profile": {"address": ["x"]}}))),
        ["profile.address"]
    );
    assert_eq!(fields(&patch_me(&app, &t.access, &json!({"name": "x".repeat(201)}))), ["name"]);
    // Zero-width characters and fillers are no more a name than spaces are.
    let invisible = json!({"name": "\u{200B}\u{3164}", "profile": {"first_name": "\u{FEFF}"}});
    assert_eq!(fields(&patch_me(&app, &t.access, &invisible)), ["name", "profile.first_name"]);
}

#[test]
fn the_patch_follows_the_body_conventions() {
    let app = TestApp::new();
    let t = sign_up_and_in(&app, "ada@example.com");
    // Only merge patches: 415 names the accepted format.
    let r = call(&app, bearer_json("PATCH", "/api/auth/me", &t.access, &json!({"name": "Ada"})));
    assert_eq!(r.status(), 415);
    assert_eq!(r.headers()["accept-patch"], "application/merge-patch+json");
    let mut malformed = merge_patch_req(&t.access, &json!({}));
    *malformed.body_mut() = b"{\"name\": ".to_vec();
    assert_eq!(call(&app, malformed).status(), 400);
    let mut big = merge_patch_req(&t.access, &json!({}));
    *big.body_mut() = format!("{{\"name\": \"{}\"}}", "x".repeat(70_000)).into_bytes();
    assert_eq!(call(&app, big).status(), 413);
    assert_eq!(fields(&patch_me(&app, &t.access, &json!(["name"]))), ["body"]);
    let anonymous = request("PATCH", "/api/auth/me")
        .header("content-type", "application/merge-patch+json")
        .body(b"{}".to_vec())
        .unwrap();
    assert_eq!(call(&app, anonymous).status(), 401);
}

#[test]
fn the_profile_is_shown_to_its_owner_only() {
    let app = TestApp::new();
    let admin = sign_up_and_in(&app, "admin@example.com");
    let t = sign_up_and_in(&app, "ada@example.com");
    patch_me(&app, &t.access, &serde_json::from_str(FULL).unwrap());
    let list = body_json(&call(&app, bearer("GET", "/api/auth/users", &admin.access)));
    let text = list.to_string();
    assert!(
        text.contains("ada@example.com") && !text.contains("7700900123") && !text.contains("profile"),
        "{text}"
    );
}

#[test]
fn a_new_password_ends_every_other_session_and_keeps_this_one() {
    let app = TestApp::new();
    let here = sign_up_and_in(&app, "ann@example.com");
    let elsewhere = sign_in(&app, "ann@example.com");
    let new = "a much better passphrase";
    assert_eq!(change_password(&app, &here.access, PASSWORD, new).status(), 204);
    assert_eq!(me_status(&app, &elsewhere.access).0, 401, "other sessions end at once");
    assert_eq!(refresh_grant(&app, &elsewhere.refresh).status(), 400);
    assert_eq!(me_status(&app, &here.access).0, 200, "this one stays");
    assert_eq!(refresh_grant(&app, &here.refresh).status(), 200);
    assert_eq!(password_grant(&app, "ann@example.com", PASSWORD).status(), 400, "the old one is gone");
    assert_eq!(password_grant(&app, "ann@example.com", new).status(), 200);
}

#[test]
fn a_new_password_follows_the_rules() {
    let app = TestApp::new();
    let t = sign_up_and_in(&app, "ann@example.com");
    assert_eq!(fields(&change_password(&app, &t.access, PASSWORD, "short")), ["new_password"]);
    let same = change_password(&app, &t.access, PASSWORD, PASSWORD);
    assert_eq!(fields(&same), ["new_password"]);
    assert!(body_json(&same)["errors"][0]["message"].as_str().unwrap().contains("differ"));
    // Both fields empty (a form sent as it was): the current password is asked for, the new one
    // is too short, and nothing says they are the same.
    let empty = change_password(&app, &t.access, "", "");
    assert_eq!(fields(&empty), ["current_password", "new_password"]);
    assert!(!String::from_utf8_lossy(empty.body()).contains("differ"));
    // Leaving with an empty password likewise: asked for, not counted as a wrong one.
    let leave = call(&app, bearer_json("DELETE", "/api/auth/me", &t.access, &json!({"password": ""})));
    assert_eq!(fields(&leave), ["password"]);
    // The rule sign-up applies: not the account's own address, in any case or spacing.
    // Typed with a full-width letter or as another Unicode form, it is still the address.
    for own in ["ann@example.com", " ANN@example.com ", "ＡＮＮ@example.com"] {
        let r = change_password(&app, &t.access, PASSWORD, own);
        assert_eq!(fields(&r), ["new_password"], "{own}");
        assert!(body_json(&r)["errors"][0]["message"].as_str().unwrap().contains("e-mail address"));
    }
    // The same password spelt with a combining accent is still the same password.
    let composed = "caf\u{e9} secret pass";
    assert_eq!(change_password(&app, &t.access, PASSWORD, composed).status(), 204);
    let respelt = change_password(&app, &t.access, composed, "cafe\u{301} secret pass");
    assert_eq!(fields(&respelt), ["new_password"]);
    assert_eq!(change_password(&app, &t.access, composed, PASSWORD).status(), 204);
    let unknown = call(
        &app,
        bearer_json(
            "POST",
            "/api/auth/password",
            &t.access,
            &json!({"current_password": PASSWORD, "new_password": "x".repeat(12), "confirm": "y"}),
        ),
    );
    assert_eq!(fields(&unknown), ["confirm"]);
    let missing = call(
        &app,
        bearer_json("POST", "/api/auth/password", &t.access, &json!({"new_password": "long enough now"})),
    );
    assert_eq!(fields(&missing), ["current_password"]);
    let anonymous = json_request(
        "POST",
        "/api/auth/password",
        &json!({"current_password": PASSWORD, "new_password": "long enough now"}).to_string(),
    );
    assert_eq!(call(&app, anonymous).status(), 401);
    assert_eq!(password_grant(&app, "ann@example.com", PASSWORD).status(), 200, "nothing changed");
}

#[test]
fn a_wrong_current_password_is_401_and_counts_toward_the_sign_in_throttle() {
    let app = TestApp::new();
    let t = sign_up_and_in(&app, "ann@example.com");
    for _ in 0..folio_auth::limiter::MAX_FAILURES {
        let r = change_password(&app, &t.access, "not my password", "a brand new passphrase");
        assert_eq!(r.status(), 401);
        assert_eq!(r.headers()["www-authenticate"], "Bearer", "no invalid_token: the token is fine");
        let body = body_json(&r);
        assert_eq!(body["type"], "/docs/problems#wrong-password");
    }
    assert_eq!(me_status(&app, &t.access).0, 200, "the session is untouched");
    // The address is locked out now, for password changes and sign-ins alike.
    let r = change_password(&app, &t.access, PASSWORD, "a brand new passphrase");
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    assert_eq!(password_grant(&app, "ann@example.com", PASSWORD).status(), 429);
    assert_eq!(leave(&app, &t.access, PASSWORD).status(), 429);
}

#[test]
fn leaving_deletes_the_account_ends_its_sessions_and_frees_the_address() {
    let app = TestApp::new();
    sign_up_and_in(&app, "admin@example.com");
    let t = sign_up_and_in(&app, "ann@example.com");
    let other = sign_in(&app, "ann@example.com");
    // A book Ann wrote stays in the catalogue.
    let book = json!({"title": "Notes", "author": "Ann", "genre": "Essays", "isbn": "9780306406157",
        "published_year": 2001, "pages": 10, "price_cents": 100, "language": "en"});
    let created = app.call(folio_books::handle, bearer_json("POST", "/api/books", &t.access, &book));
    assert_eq!(created.status(), 201, "{}", String::from_utf8_lossy(created.body()));
    let book_uri = format!("/api/books/{}", body_json(&created)["id"].as_str().unwrap());

    let wrong = leave(&app, &t.access, "not my password");
    assert_eq!(
        (wrong.status().as_u16(), body_json(&wrong)["type"].clone()),
        (401, json!("/docs/problems#wrong-password"))
    );
    assert_eq!(
        fields(&call(&app, bearer_json("DELETE", "/api/auth/me", &t.access, &json!({})))),
        ["password"]
    );
    assert_eq!(me_status(&app, &t.access).0, 200, "still here");

    assert_eq!(leave(&app, &t.access, PASSWORD).status(), 204);
    for token in [&t.access, &other.access] {
        assert_eq!(me_status(&app, token).0, 401);
    }
    assert_eq!(refresh_grant(&app, &other.refresh).status(), 400);
    // Signing in now answers exactly as for an address never registered.
    let gone = body_json(&password_grant(&app, "ann@example.com", PASSWORD));
    let never = body_json(&password_grant(&app, "nobody@example.com", PASSWORD));
    assert_eq!(gone, never);
    let admin = sign_in(&app, "admin@example.com");
    assert_eq!(
        app.call(folio_books::handle, bearer("GET", &book_uri, &admin.access)).status(),
        200,
        "books stay"
    );
    // The address may register again, as a new account.
    let again = register(&app, "ann@example.com", PASSWORD);
    assert_eq!(again.status(), 201);
    assert_ne!(body_json(&again)["id"], t.account_id.as_str());
}

#[test]
fn the_last_enabled_admin_cannot_leave() {
    let app = TestApp::new();
    let first = sign_up_and_in(&app, "admin@example.com");
    let r = leave(&app, &first.access, PASSWORD);
    assert_eq!(r.status(), 409);
    assert!(body_json(&r)["detail"].as_str().unwrap().contains("last enabled admin"));
    assert_eq!(me_status(&app, &first.access).0, 200, "nothing happened");
    // With a second admin, the first may go.
    let second = sign_up_and_in(&app, "second@example.com");
    let r = call(
        &app,
        bearer_json(
            "PATCH",
            &format!("/api/auth/users/{}", second.account_id),
            &first.access,
            &json!({"role": "admin"}),
        ),
    );
    assert_eq!(r.status(), 200);
    let first = sign_in(&app, "admin@example.com");
    assert_eq!(leave(&app, &first.access, PASSWORD).status(), 204);
}

#[test]
fn an_administrator_sets_a_password_and_ends_that_accounts_sessions() {
    let app = TestApp::new();
    let admin = sign_up_and_in(&app, "admin@example.com");
    let ann = sign_up_and_in(&app, "ann@example.com");
    // Ann locked herself out.
    for _ in 0..folio_auth::limiter::MAX_FAILURES {
        password_grant(&app, "ann@example.com", "forgotten it");
    }
    assert_eq!(password_grant(&app, "ann@example.com", PASSWORD).status(), 429);
    let uri = format!("/api/auth/users/{}/password", ann.account_id);
    let reset = |token: &str, body: Value| call(&app, bearer_json("POST", &uri, token, &body));
    assert_eq!(reset(&ann.access, json!({"new_password": "set by myself now"})).status(), 403);
    assert_eq!(fields(&reset(&admin.access, json!({"new_password": "short"}))), ["new_password"]);
    assert_eq!(
        fields(&reset(&admin.access, json!({"new_password": "long enough now", "notify": true}))),
        ["notify"]
    );
    let missing = call(
        &app,
        bearer_json(
            "POST",
            "/api/auth/users/nope/password",
            &admin.access,
            &json!({"new_password": "long enough now"}),
        ),
    );
    assert_eq!(missing.status(), 404);
    // Not the account's own address, as at sign-up.
    assert_eq!(fields(&reset(&admin.access, json!({"new_password": "Ann@Example.com"}))), ["new_password"]);
    // Not the administrator's own account: that takes the current password (POST /api/auth/password),
    // or a stolen access token alone could lock its owner out.
    let own = format!("/api/auth/users/{}/password", admin.account_id);
    let r = call(&app, bearer_json("POST", &own, &admin.access, &json!({"new_password": "taken over now"})));
    assert_eq!(r.status(), 403);
    assert!(body_json(&r)["detail"].as_str().unwrap().contains("/api/auth/password"));
    assert_eq!(password_grant(&app, "admin@example.com", PASSWORD).status(), 200, "unchanged");

    assert_eq!(reset(&admin.access, json!({"new_password": "temporary passphrase"})).status(), 204);
    assert_eq!(me_status(&app, &ann.access).0, 401, "her sessions ended");
    assert_eq!(me_status(&app, &admin.access).0, 200);
    assert_eq!(password_grant(&app, "ann@example.com", PASSWORD).status(), 400);
    assert_eq!(
        password_grant(&app, "ann@example.com", "temporary passphrase").status(),
        200,
        "and the lock is lifted"
    );
}
