//! Conditional writes on the token service's resources, which send no entity tag (RFC 9110
//! §13.1.1-2): `If-Match` holds only for `*`, `If-None-Match: *` fails on a resource that exists,
//! and a failed precondition is `412` with nothing written; a missing resource stays `404`.

mod common;

use common::*;
use folio_native::{body_json, request, TestApp};
use serde_json::json;

fn conditional(
    method: &str,
    path: &str,
    token: &str,
    header: (&str, &str),
    body: serde_json::Value,
) -> folio_core::Request {
    let content_type = if path == "/api/auth/me" && method == "PATCH" {
        "application/merge-patch+json"
    } else {
        "application/json"
    };
    request(method, path)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", content_type)
        .header(header.0, header.1)
        .body(body.to_string().into_bytes())
        .unwrap()
}

#[test]
fn if_match_on_an_untagged_account_holds_only_for_a_star() {
    let app = TestApp::new();
    let admin = sign_up_and_in(&app, "admin@example.com");
    let ann = sign_up_and_in(&app, "ann@example.com");

    let r = call(
        &app,
        conditional("PATCH", "/api/auth/me", &ann.access, ("if-match", "\"v1\""), json!({"name": "Ann"})),
    );
    assert_eq!(r.status(), 412, "{}", String::from_utf8_lossy(r.body()));
    let me = body_json(&call(&app, bearer("GET", "/api/auth/me", &ann.access)));
    assert!(me["account"]["name"].is_null(), "nothing written: {me}");
    // `*` holds only alone: beside a tag it is a list that names a tag.
    let listed = ("if-match", "\"x\", *");
    let r = call(&app, conditional("PATCH", "/api/auth/me", &ann.access, listed, json!({"name": "Ann"})));
    assert_eq!(r.status(), 412);
    let r = call(
        &app,
        conditional("PATCH", "/api/auth/me", &ann.access, ("if-match", "*"), json!({"name": "Ann"})),
    );
    assert_eq!(r.status(), 200);
    let r = call(
        &app,
        conditional("PATCH", "/api/auth/me", &ann.access, ("if-none-match", "*"), json!({"name": "Bo"})),
    );
    assert_eq!(r.status(), 412);

    let password = json!({"current_password": PASSWORD, "new_password": "another long password"});
    let r =
        call(&app, conditional("POST", "/api/auth/password", &ann.access, ("if-match", "\"x\""), password));
    assert_eq!(r.status(), 412);
    assert_eq!(password_grant(&app, "ann@example.com", PASSWORD).status(), 200, "the password is unchanged");

    let users = |id: &str, tag: &str| {
        call(
            &app,
            conditional(
                "PATCH",
                &format!("/api/auth/users/{id}"),
                &admin.access,
                ("if-match", tag),
                json!({"role": "reader"}),
            ),
        )
    };
    assert_eq!(users(&ann.account_id, "\"x\"").status(), 412);
    assert_eq!(
        body_json(&call(&app, bearer("GET", "/api/auth/me", &ann.access)))["account"]["role"],
        "editor"
    );
    assert_eq!(
        users("no-such-account", "\"x\"").status(),
        404,
        "a missing account is 404 whatever the header"
    );
    assert_eq!(users(&ann.account_id, "*").status(), 200);

    let leave = json!({"password": PASSWORD});
    let r = call(&app, conditional("DELETE", "/api/auth/me", &admin.access, ("if-match", "\"x\""), leave));
    assert_eq!(r.status(), 412);
    assert_eq!(call(&app, bearer("GET", "/api/auth/me", &admin.access)).status(), 200, "not deleted");
}
