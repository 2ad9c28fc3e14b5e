//! Admin user management: `GET /api/auth/users` and `PATCH /api/auth/users/{id}`.

mod common;

use std::collections::HashSet;

use common::*;
use folio_native::{body_json, request, TestApp};
use serde_json::json;

fn list(app: &folio_native::TestApp, token: &str, query: &str) -> folio_core::Response {
    call(app, bearer("GET", &format!("/api/auth/users{query}"), token))
}

#[test]
fn admin_pages_through_every_account_exactly_once() {
    let app = TestApp::new();
    let admin = sign_up_and_in(&app, "admin@example.com");
    for i in 0..6 {
        app.clock.advance_secs(1);
        assert_eq!(register(&app, &format!("user{i}@example.com"), PASSWORD).status(), 201);
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let q = match &cursor {
            Some(c) => format!("?limit=3&cursor={c}"),
            None => "?limit=3".into(),
        };
        let r = list(&app, &admin.access, &q);
        assert_eq!(r.status(), 200);
        let b = body_json(&r);
        for item in b["items"].as_array().unwrap() {
            assert!(item.get("password_hash").is_none());
            seen.push(item["email"].as_str().unwrap().to_string());
        }
        pages += 1;
        // An account added mid-walk shows up at the end, not twice and not breaking the walk.
        if pages == 1 {
            app.clock.advance_secs(1);
            register(&app, "late@example.com", PASSWORD);
        }
        match b["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 8, "{seen:?}");
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 8);
    assert_eq!(seen[0], "admin@example.com", "creation order");
    assert_eq!(seen[7], "late@example.com");
    assert_eq!(pages, 3);
    let all = body_json(&list(&app, &admin.access, ""));
    assert_eq!(all["items"].as_array().unwrap().len(), 8);
    assert!(all["next_cursor"].is_null());
}

#[test]
fn listing_validates_its_query_and_needs_admin() {
    let app = TestApp::new();
    let admin = sign_up_and_in(&app, "admin@example.com");
    // "x\ny" and a cursor with a third line are no position in the list.
    let forged = ["eAp5", "MjAyNi0xMi0wNlQyMjoxNjo0NS42NzZaCmFiYwpleHRyYQ"];
    // A blank cursor is the first page, as on the book list.
    let first = body_json(&list(&app, &admin.access, ""));
    assert_eq!(body_json(&list(&app, &admin.access, "?cursor=")), first);
    for q in ["?limit=0", "?limit=101", "?limit=x", "?sort=email"] {
        assert_eq!(list(&app, &admin.access, q).status(), 422, "{q}");
    }
    // A cursor this list did not make is 400, as on the book list.
    for q in ["?cursor=@@@", "?cursor=bm90LWEtY3Vyc29y"]
        .into_iter()
        .map(String::from)
        .chain(forged.iter().map(|c| format!("?cursor={c}")))
    {
        assert_eq!(list(&app, &admin.access, &q).status(), 400, "{q}");
    }
    let ed = sign_up_and_in(&app, "ed@example.com");
    assert_eq!(list(&app, &ed.access, "").status(), 403);
    let r = call(&app, request("GET", "/api/auth/users").body(vec![]).unwrap());
    assert_eq!((r.status().as_u16(), r.headers()["www-authenticate"].to_str().unwrap()), (401, "Bearer"));
}

#[test]
fn patch_changes_role_and_disabled() {
    let app = TestApp::new();
    let admin = sign_up_and_in(&app, "admin@example.com");
    let ed = sign_up_and_in(&app, "ed@example.com");
    let path = format!("/api/auth/users/{}", ed.account_id);
    // null is not "leave it": neither member can be removed.
    for (body, field) in [(json!({"role": null}), "role"), (json!({"disabled": null}), "disabled")] {
        let r = call(&app, bearer_json("PATCH", &path, &admin.access, &body));
        assert_eq!((r.status().as_u16(), body_json(&r)["errors"][0]["field"].clone()), (422, json!(field)));
    }
    let r = call(&app, bearer_json("PATCH", &path, &admin.access, &json!({"role": "admin"})));
    assert_eq!(r.status(), 200);
    let b = body_json(&r);
    assert_eq!((b["role"].as_str(), b["disabled"].as_bool()), (Some("admin"), Some(false)));
    assert!(b.get("password_hash").is_none());
    // Merge-patch media type is accepted as well.
    let r = call(
        &app,
        request("PATCH", &path)
            .header("authorization", format!("Bearer {}", admin.access))
            .header("content-type", "application/merge-patch+json")
            .body(br#"{"disabled": true}"#.to_vec())
            .unwrap(),
    );
    assert_eq!(body_json(&r)["disabled"], true);
    // Listed as changed.
    let users = body_json(&list(&app, &admin.access, ""));
    let row = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == ed.account_id.as_str())
        .unwrap()
        .clone();
    assert_eq!((row["role"].as_str(), row["disabled"].as_bool()), (Some("admin"), Some(true)));
}

#[test]
fn patch_errors() {
    let app = TestApp::new();
    let admin = sign_up_and_in(&app, "admin@example.com");
    let ed = sign_up_and_in(&app, "ed@example.com");
    let path = format!("/api/auth/users/{}", ed.account_id);
    let r = call(&app, bearer_json("PATCH", &path, &admin.access, &json!({"role": "root"})));
    assert_eq!((r.status().as_u16(), body_json(&r)["errors"][0]["field"].as_str()), (422, Some("role")));
    let r = call(&app, bearer_json("PATCH", &path, &admin.access, &json!({"disabled": "yes"})));
    assert_eq!(r.status(), 422);
    let r = call(&app, bearer_json("PATCH", &path, &admin.access, &json!({"email": "x@example.com"})));
    assert_eq!(r.status(), 422);
    // Every problem at once, unknown members last.
    let r =
        call(&app, bearer_json("PATCH", &path, &admin.access, &json!({"role": 1, "disabled": 2, "foo": 3})));
    let fields: Vec<String> = body_json(&r)["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_string())
        .collect();
    assert_eq!((r.status().as_u16(), fields), (422, vec!["role".into(), "disabled".into(), "foo".into()]));
    let r =
        call(&app, bearer_json("PATCH", "/api/auth/users/nope", &admin.access, &json!({"role": "reader"})));
    assert_eq!(r.status(), 404);
    let r = call(&app, bearer_json("PATCH", &path, &ed.access, &json!({"role": "admin"})));
    assert_eq!(r.status(), 403, "an editor cannot promote themselves");
    // The last enabled admin cannot be demoted or disabled.
    let me = format!("/api/auth/users/{}", admin.account_id);
    for change in [json!({"role": "editor"}), json!({"disabled": true})] {
        let r = call(&app, bearer_json("PATCH", &me, &admin.access, &change));
        assert_eq!(r.status(), 409, "{change}");
    }
    assert_eq!(me_status(&app, &admin.access).0, 200, "a refused change revokes nothing");
    let r = call(
        &app,
        request("PATCH", &path)
            .header("authorization", format!("Bearer {}", admin.access))
            .body(b"{}".to_vec())
            .unwrap(),
    );
    assert_eq!(r.status(), 415);
}
