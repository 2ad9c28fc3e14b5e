//! Create, read, replace, patch and delete, with ETags, conditional requests, scopes and the
//! catalogue data version.

mod common;

use common::*;
use folio_core::catalog;
use folio_native::TestApp;
use serde_json::json;

fn data_version(app: &TestApp) -> String {
    app.with_host(|h| catalog::data_version(h).unwrap())
}

#[test]
fn create_returns_201_location_etag_and_the_stored_book() {
    let app = TestApp::new();
    let before = data_version(&app);
    let mut input = book(1);
    input["isbn"] = json!("978-0-306-40615-7");
    let r = json_to(&app, "POST", "/api/books", "editor.alice", &input);
    assert_eq!(r.status(), 201, "{}", String::from_utf8_lossy(r.body()));
    let b = body(&r);
    let id = b["id"].as_str().unwrap();
    assert_eq!(r.headers()["location"], format!("/api/books/{id}"));
    assert_eq!(r.headers()["etag"], "\"v1\"");
    assert_eq!(b["isbn"], "9780306406157", "stored as 13 digits");
    assert_eq!(b["created_by"], "user-alice", "created_by comes from the token subject");
    assert_eq!(b["version"], 1);
    assert_eq!(b["created_at"], b["updated_at"]);
    for field in
        ["title", "author", "genre", "published_year", "pages", "price_cents", "language", "description"]
    {
        assert_eq!(b[field], input[field], "{field}");
    }
    assert_ne!(data_version(&app), before, "a create bumps the data version");

    let got = get(&app, &format!("/api/books/{id}"), "reader");
    assert_eq!(got.status(), 200);
    assert_eq!(got.headers()["etag"], "\"v1\"");
    assert_eq!(body(&got), b);
}

#[test]
fn isbn10_is_refused_with_422_naming_isbn13() {
    // API.md: "isbn a valid ISBN-13". A valid ISBN-10 is named, not silently converted.
    let app = TestApp::new();
    let mut input = book(1);
    input["isbn"] = json!("0-8044-2957-X");
    let r = json_to(&app, "POST", "/api/books", "editor", &input);
    assert_eq!(r.status(), 422);
    let problem = body(&r);
    assert_eq!(problem["errors"][0]["field"], "isbn");
    assert!(
        problem["errors"][0]["message"].as_str().unwrap().contains("ISBN-10 is not accepted"),
        "{problem}"
    );
    assert_eq!(count_rows(&app), 0);
    // Hyphens and spaces in an ISBN-13 are still fine, stored as 13 digits.
    input["isbn"] = json!("978 0 8044-2957-3");
    assert_eq!(create(&app, &input)["isbn"], "9780804429573");
}

#[test]
fn get_honours_if_none_match_with_304() {
    let app = TestApp::new();
    let id = create(&app, &book(1))["id"].as_str().unwrap().to_string();
    let uri = format!("/api/books/{id}");
    let r = send(&app, req("GET", &uri, "reader").header("if-none-match", "\"v1\"").body(vec![]).unwrap());
    assert_eq!(r.status(), 304);
    assert_eq!(r.headers()["etag"], "\"v1\"");
    assert!(r.body().is_empty());
    let r = send(&app, req("GET", &uri, "reader").header("if-none-match", "\"v0\"").body(vec![]).unwrap());
    assert_eq!(r.status(), 200);
    // After a change the old tag no longer matches.
    assert_eq!(merge_patch(&app, &uri, "editor", &json!({"pages": 3}), None).status(), 200);
    let r = send(&app, req("GET", &uri, "reader").header("if-none-match", "\"v1\"").body(vec![]).unwrap());
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["etag"], "\"v2\"");
}

/// `If-Match` on a read (RFC 9110 §13.1.1, strong comparison): the book when it names the
/// current version (or is a lone `*`), else `412` and no book.
#[test]
fn get_honours_if_match_with_412() {
    let app = TestApp::new();
    let id = create(&app, &book(1))["id"].as_str().unwrap().to_string();
    let uri = format!("/api/books/{id}");
    let with =
        |tag: &str| send(&app, req("GET", &uri, "reader").header("if-match", tag).body(vec![]).unwrap());
    for (tag, status) in [
        ("\"v1\"", 200),
        ("*", 200),
        ("\"v0\", \"v1\"", 200),
        ("\"v9\"", 412),
        ("W/\"v1\"", 412),
        ("\"v1\", *", 200),
        ("", 412),
    ] {
        let r = with(tag);
        assert_eq!(r.status(), status, "{tag:?}");
        if status == 412 {
            assert_eq!(r.headers()["content-type"], "application/problem+json");
        }
    }
}

#[test]
fn head_on_a_book_has_headers_and_no_body() {
    let app = TestApp::new();
    let id = create(&app, &book(1))["id"].as_str().unwrap().to_string();
    let r = send(&app, req("HEAD", &format!("/api/books/{id}"), "reader").body(vec![]).unwrap());
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["etag"], "\"v1\"");
    assert!(r.body().is_empty());
}

#[test]
fn put_replaces_everything_and_bumps_version_and_etag() {
    let app = TestApp::new();
    let created = create(&app, &book(1));
    let uri = format!("/api/books/{}", created["id"].as_str().unwrap());
    let before = data_version(&app);
    app.clock.advance_secs(5);
    let mut replacement = book(2);
    replacement.as_object_mut().unwrap().remove("description");
    let r = send(
        &app,
        req("PUT", &uri, "editor.bob")
            .header("content-type", "application/json")
            .header("if-match", "\"v1\"")
            .body(serde_json::to_vec(&replacement).unwrap())
            .unwrap(),
    );
    assert_eq!(r.status(), 200, "{}", String::from_utf8_lossy(r.body()));
    assert_eq!(r.headers()["etag"], "\"v2\"");
    let b = body(&r);
    assert_eq!(b["title"], "Book 2");
    assert_eq!(b["description"], "", "a full replace clears what was left out");
    assert_eq!(b["version"], 2);
    assert_eq!(b["created_by"], "user-editor", "the creator stays");
    assert_eq!(b["created_at"], created["created_at"]);
    assert_ne!(b["updated_at"], created["updated_at"]);
    assert_ne!(data_version(&app), before);
    // Without If-Match the write is unconditional.
    let r = json_to(&app, "PUT", &uri, "editor", &book(3));
    assert_eq!(r.status(), 200);
    assert_eq!(body(&r)["version"], 3);
}

/// A write that changes nothing writes nothing (API.md, Reports: the tag "changes exactly when
/// the books change"): `{}`, a patch of values the book has, or the same content again keep the
/// book's version, `updated_at` and entity tag, and the catalogue's data version that the
/// reports' tags follow. Preconditions are still checked first.
#[test]
fn writes_that_change_nothing_keep_the_version_and_every_tag() {
    let app = TestApp::new();
    let created = create(&app, &book(1));
    let uri = format!("/api/books/{}", created["id"].as_str().unwrap());
    let before = data_version(&app);
    app.clock.advance_secs(5);
    let same_values = json!({"pages": created["pages"], "isbn": created["isbn"], "language": "EN"});
    for patch in [json!({}), same_values] {
        let r = merge_patch(&app, &uri, "editor", &patch, Some("\"v1\""));
        assert_eq!((r.status().as_u16(), r.headers()["etag"].to_str().unwrap()), (200, "\"v1\""), "{patch}");
        assert_eq!(body(&r), created, "{patch}");
    }
    let r = json_to(&app, "PUT", &uri, "editor", &book(1));
    assert_eq!((r.status().as_u16(), body(&r)), (200, created.clone()));
    assert_eq!(data_version(&app), before, "the reports' tags stay");
    // A stale or unmatched precondition is 412 even when the content is the same.
    for stale in ["\"v0\"", "W/\"v1\""] {
        let r = merge_patch(&app, &uri, "editor", &json!({}), Some(stale));
        assert_eq!(r.status(), 412, "{stale}");
        let put = req("PUT", &uri, "editor")
            .header("content-type", "application/json")
            .header("if-match", stale)
            .body(serde_json::to_vec(&book(1)).unwrap())
            .unwrap();
        assert_eq!(send(&app, put).status(), 412, "{stale}");
    }
    // A real change still counts.
    let r = merge_patch(&app, &uri, "editor", &json!({"pages": 7}), Some("\"v1\""));
    assert_eq!(r.headers()["etag"], "\"v2\"");
    assert_ne!(data_version(&app), before);
}

#[test]
fn patch_merges_and_null_clears_description() {
    let app = TestApp::new();
    let created = create(&app, &book(1));
    let uri = format!("/api/books/{}", created["id"].as_str().unwrap());
    let r =
        merge_patch(&app, &uri, "editor", &json!({"price_cents": 999, "description": null}), Some("\"v1\""));
    assert_eq!(r.status(), 200, "{}", String::from_utf8_lossy(r.body()));
    let b = body(&r);
    assert_eq!(b["price_cents"], 999);
    assert_eq!(b["description"], "");
    assert_eq!(b["title"], created["title"], "untouched fields stay");
    assert_eq!(b["version"], 2);
    assert_eq!(r.headers()["etag"], "\"v2\"");
    // Null on a required field removes it, which the rules refuse.
    let r = merge_patch(&app, &uri, "editor", &json!({"title": null}), None);
    assert_eq!(error_fields(&r), vec!["title"]);
    // Patched values are validated like any other.
    let r = merge_patch(&app, &uri, "editor", &json!({"pages": 0, "isbn": "123"}), None);
    assert_eq!(error_fields(&r), vec!["isbn", "pages"]);
    let r = merge_patch(&app, &uri, "editor", &json!({"version": 9}), None);
    assert_eq!(error_fields(&r), vec!["version"]);
    assert_eq!(body(&get(&app, &uri, "reader"))["version"], 2, "failed patches change nothing");
}

#[test]
fn delete_removes_the_book_and_bumps_the_data_version() {
    let app = TestApp::new();
    let id = create(&app, &book(1))["id"].as_str().unwrap().to_string();
    let uri = format!("/api/books/{id}");
    let before = data_version(&app);
    let r = send(&app, req("DELETE", &uri, "editor").header("if-match", "\"v1\"").body(vec![]).unwrap());
    assert_eq!(r.status(), 204);
    assert!(r.body().is_empty());
    assert_ne!(data_version(&app), before);
    assert_eq!(get(&app, &uri, "reader").status(), 404);
    assert_eq!(send(&app, req("DELETE", &uri, "editor").body(vec![]).unwrap()).status(), 404);
    // Its ISBN is free again.
    create(&app, &book(1));
}

#[test]
fn if_none_match_on_a_write_refuses_the_versions_it_lists() {
    // RFC 9110 §13.1.2: on a write, `If-None-Match: *` fails for any existing book, and a listed
    // tag (weak comparison) fails for that version: 412, nothing changed.
    let app = TestApp::new();
    let id = create(&app, &book(1))["id"].as_str().unwrap().to_string();
    let uri = format!("/api/books/{id}");
    let with = |method: &str, header: &str, value: &str| {
        let b = req(method, &uri, "editor").header(header, value);
        let r = match method {
            "PUT" => b.header("content-type", "application/json").body(serde_json::to_vec(&book(5)).unwrap()),
            "PATCH" => {
                b.header("content-type", "application/merge-patch+json").body(br#"{"pages": 3}"#.to_vec())
            }
            _ => b.body(vec![]),
        };
        send(&app, r.unwrap()).status().as_u16()
    };
    for method in ["PUT", "PATCH", "DELETE"] {
        for tag in ["*", "\"v1\"", "W/\"v1\"", "\"v7\", \"v1\""] {
            assert_eq!(with(method, "if-none-match", tag), 412, "{method} {tag}");
        }
    }
    assert_eq!(body(&get(&app, &uri, "reader"))["version"], 1, "nothing was written");
    // The 412 says which header failed.
    let r = send(&app, req("DELETE", &uri, "editor").header("if-none-match", "*").body(vec![]).unwrap());
    assert!(body(&r)["detail"].as_str().unwrap().starts_with("If-None-Match"), "{}", body(&r));
    // Another version listed: the write goes ahead.
    assert_eq!(with("PATCH", "if-none-match", "\"v7\""), 200);
    // If-Match and If-None-Match naming the same version: refused.
    assert_eq!(
        send(
            &app,
            req("DELETE", &uri, "editor")
                .header("if-match", "\"v2\"")
                .header("if-none-match", "\"v2\"")
                .body(vec![])
                .unwrap()
        )
        .status(),
        412
    );
    // On a book that does not exist, `*` is no reason to hide the 404.
    let missing =
        req("DELETE", "/api/books/nope", "editor").header("if-none-match", "*").body(vec![]).unwrap();
    assert_eq!(send(&app, missing).status(), 404);
}

#[test]
fn stale_if_match_is_412_and_changes_nothing_on_every_write() {
    let app = TestApp::new();
    let id = create(&app, &book(1))["id"].as_str().unwrap().to_string();
    let uri = format!("/api/books/{id}");
    assert_eq!(merge_patch(&app, &uri, "editor", &json!({"pages": 7}), None).status(), 200);
    let version_before = data_version(&app);
    let stale = "\"v1\"";
    let put = send(
        &app,
        req("PUT", &uri, "editor")
            .header("content-type", "application/json")
            .header("if-match", stale)
            .body(serde_json::to_vec(&book(5)).unwrap())
            .unwrap(),
    );
    assert_eq!(put.status(), 412);
    assert_eq!(put.headers()["content-type"], "application/problem+json");
    assert_eq!(merge_patch(&app, &uri, "editor", &json!({"pages": 9}), Some(stale)).status(), 412);
    let del = send(&app, req("DELETE", &uri, "editor").header("if-match", stale).body(vec![]).unwrap());
    assert_eq!(del.status(), 412);
    // Weak tags never match for writes, nor do tags that are not ours, nor a blank If-Match.
    for (tag, says) in [
        ("W/\"v2\"", "only weak entity tags"),
        ("\"2\"", "has changed since you read it"),
        ("\"garbage", "has changed since you read it"),
        ("", "If-Match is blank"),
        (" , ", "If-Match is blank"),
    ] {
        let r = send(&app, req("DELETE", &uri, "editor").header("if-match", tag).body(vec![]).unwrap());
        assert_eq!(r.status(), 412, "{tag}");
        let detail = body(&r)["detail"].as_str().unwrap().to_string();
        assert!(detail.contains(says), "{tag}: {detail}");
    }
    let b = body(&get(&app, &uri, "reader"));
    assert_eq!(b["pages"], 7);
    assert_eq!(b["version"], 2);
    assert_eq!(b["title"], "Book 1");
    assert_eq!(data_version(&app), version_before, "no write, no bump");
    // The current tag, a list containing it, and * all match.
    assert_eq!(merge_patch(&app, &uri, "editor", &json!({"pages": 8}), Some("\"v1\", \"v2\"")).status(), 200);
    assert_eq!(merge_patch(&app, &uri, "editor", &json!({"pages": 9}), Some("*")).status(), 200);
}

#[test]
fn duplicate_isbn_is_409_on_create_and_on_replace() {
    let app = TestApp::new();
    create(&app, &book(1));
    let mut same = book(2);
    same["isbn"] = book(1)["isbn"].clone();
    let r = json_to(&app, "POST", "/api/books", "editor", &same);
    assert_eq!(r.status(), 409);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    // The same ISBN-13 punctuated differently is the same book.
    let mut spaced = book(3);
    spaced["isbn"] = json!("978-0-306-40615-7");
    create(&app, &spaced);
    spaced["isbn"] = json!("978 0 306 40615 7");
    assert_eq!(json_to(&app, "POST", "/api/books", "editor", &spaced).status(), 409);
    let other = create(&app, &book(4));
    let uri = format!("/api/books/{}", other["id"].as_str().unwrap());
    assert_eq!(json_to(&app, "PUT", &uri, "editor", &same).status(), 409);
    assert_eq!(merge_patch(&app, &uri, "editor", &json!({"isbn": isbn(1)}), None).status(), 409);
    assert_eq!(body(&get(&app, &uri, "reader"))["isbn"], isbn(4));
    assert_eq!(count_rows(&app), 3);
}

#[test]
fn scopes_are_checked_per_route() {
    let app = TestApp::new();
    let id = create(&app, &book(1))["id"].as_str().unwrap().to_string();
    let uri = format!("/api/books/{id}");
    // A reader reads but writes nothing.
    assert_eq!(get(&app, "/api/books", "reader").status(), 200);
    assert_eq!(get(&app, &uri, "reader").status(), 200);
    let cases = [
        ("POST", "/api/books".to_string(), "create:books"),
        ("PUT", uri.clone(), "update:books"),
        ("PATCH", uri.clone(), "update:books"),
        ("DELETE", uri.clone(), "delete:books"),
    ];
    for (method, path, scope) in cases {
        let ct = if method == "PATCH" { "application/merge-patch+json" } else { "application/json" };
        let r = send(
            &app,
            req(method, &path, "reader")
                .header("content-type", ct)
                .body(serde_json::to_vec(&book(2)).unwrap())
                .unwrap(),
        );
        assert_eq!(r.status(), 403, "{method} {path}");
        assert_eq!(
            r.headers()["www-authenticate"],
            format!("Bearer error=\"insufficient_scope\", scope=\"{scope}\"")
        );
    }
    assert_eq!(count_rows(&app), 1);
    // An admin holds every scope.
    assert_eq!(send(&app, req("DELETE", &uri, "admin").body(vec![]).unwrap()).status(), 204);
}

#[test]
fn a_write_reads_its_session_and_the_stores_pairing_in_one_round_trip() {
    let app = TestApp::new();
    let id = create(&app, &book(1))["id"].as_str().unwrap().to_string();
    let uri = format!("/api/books/{id}");
    let send = |method: &str, uri: &str, body: Option<&serde_json::Value>| {
        let builder = req(method, uri, "editor");
        let request = match body {
            Some(b) => {
                builder.header("content-type", "application/json").body(serde_json::to_vec(b).unwrap())
            }
            None => builder.body(vec![]),
        };
        counting_round_trips(&app, request.unwrap())
    };
    // One batch (the session, the pairing record), then the catalogue's data version is bumped.
    let (status, reads, _) = send("POST", "/api/books", Some(&book(2)));
    assert_eq!((status, reads), (201, 1));
    let (status, reads, _) = send("PUT", &uri, Some(&book(3)));
    assert_eq!((status, reads), (200, 1));
    let (status, reads, _) = send("DELETE", &uri, None);
    assert_eq!((status, reads), (204, 1));
    // Refused at the scope: the same one batch, nothing more.
    let (status, reads, writes) =
        counting_round_trips(&app, req("DELETE", "/api/books/x", "reader").body(vec![]).unwrap());
    assert_eq!((status, reads, writes), (403, 1, 0));
}

#[test]
fn zero_width_characters_at_the_edges_of_a_name_are_not_kept() {
    let app = TestApp::new();
    let mut hidden = book(1);
    hidden["author"] = json!("\u{200B}Ann Author\u{FEFF}");
    hidden["title"] = json!("\u{2060} Book 1");
    let stored = create(&app, &hidden);
    assert_eq!(stored["author"], "Ann Author");
    assert_eq!(stored["title"], "Book 1");
    create(&app, &book(2));
    // One author, not a look-alike listed apart from her.
    let r = get(&app, "/api/books?author=Ann%20Author", "reader");
    assert_eq!(body(&r)["items"].as_array().unwrap().len(), 2, "{}", body(&r));
}

/// The race audit's timestamps: a write stamped its time before waiting for the write lock, so
/// the version written after another carried an earlier `updated_at` than it. Stamped under the
/// lock now, and never before the version it replaces (another replica's clock may be behind).
#[test]
fn a_write_that_waited_behind_another_is_not_stamped_earlier_than_it() {
    let app = TestApp::new();
    let created = create(&app, &book(1));
    let uri = format!("/api/books/{}", created["id"].as_str().unwrap());
    let first = std::cell::RefCell::new(serde_json::Value::Null);
    let sql = app.sql();
    // While this PATCH waits for the lock, a second later another one goes first.
    let hooked = folio_native::Interleaved::before(&sql, "BEGIN IMMEDIATE", || {
        app.clock.advance_secs(1);
        let r = merge_patch(&app, &uri, "editor", &json!({"pages": 222}), None);
        assert_eq!(r.status(), 200);
        *first.borrow_mut() = body(&r);
    });
    let request = req("PATCH", &uri, "editor")
        .header("content-type", "application/merge-patch+json")
        .body(br#"{"pages": 333}"#.to_vec())
        .unwrap();
    let second = body(&app.with_host_over(&hooked, app.kv.as_ref(), |h| handler(h, request)));
    drop(hooked);
    let first = first.into_inner();
    assert_eq!(second["version"].as_i64(), first["version"].as_i64().map(|v| v + 1), "{first} {second}");
    let time = |b: &serde_json::Value| b["updated_at"].as_str().unwrap().to_string();
    assert!(
        time(&second) >= time(&first),
        "v{} at {} after v{} at {}",
        second["version"],
        time(&second),
        first["version"],
        time(&first)
    );

    // A stored time ahead of this clock (another replica's) is not gone back from.
    let ahead = "2999-01-01T00:00:00.000Z";
    app.with_host(|h| h.sql.execute("UPDATE books SET updated_at = ?", &[ahead.into()]).unwrap());
    let r = merge_patch(&app, &uri, "editor", &json!({"pages": 444}), None);
    assert_eq!(body(&r)["updated_at"], ahead);
}
