//! The OpenAPI document describes exactly what the app serves: every route a handler serves is
//! in it, and every operation in it is served by the component spin.toml routes it to.

use std::collections::BTreeSet;

use folio_native::{body_json, request, TestApp};

fn documented() -> BTreeSet<(String, String)> {
    let doc: serde_json::Value =
        serde_json::from_str(include_str!("../../../docs/openapi.json")).expect("openapi.json parses");
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            // The UI's pages are the ui component's (crates/folio-ui/tests/static_server.rs).
            if !op["tags"].as_array().unwrap().iter().any(|t| t == "ui") {
                out.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

fn served() -> BTreeSet<(String, String)> {
    [
        folio_auth::served_routes(),
        folio_books::served_routes(),
        folio_generator::served_routes(),
        folio_reports::served_routes(),
    ]
    .into_iter()
    .flatten()
    .map(|(m, p)| (m.as_str().to_string(), p))
    .collect()
}

#[test]
fn every_served_route_is_documented_and_every_documented_route_is_served() {
    let (documented, served) = (documented(), served());
    let undocumented: Vec<_> = served.difference(&documented).collect();
    let unserved: Vec<_> = documented.difference(&served).collect();
    assert!(undocumented.is_empty(), "served but not in docs/openapi.json: {undocumented:?}");
    assert!(unserved.is_empty(), "in docs/openapi.json but not served: {unserved:?}");
}

#[test]
fn the_document_is_served_at_api_openapi_json() {
    let app = TestApp::new();
    let r = app.call(folio_auth::handle, request("GET", "/api/openapi.json").body(Vec::new()).unwrap());
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    assert!(r.headers().contains_key("etag"));
    assert_eq!(body_json(&r)["openapi"], "3.1.0");
    // Revalidation: its ETag (or `*`) is a 304 without a body; another tag the document.
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    for tag in [etag.as_str(), "*", &format!("W/{etag}")] {
        let again = app.call(
            folio_auth::handle,
            request("GET", "/api/openapi.json").header("if-none-match", tag).body(Vec::new()).unwrap(),
        );
        assert_eq!(again.status(), 304, "{tag}");
        assert!(again.body().is_empty());
        assert_eq!(again.headers()["etag"], etag.as_str());
    }
    let stale =
        request("GET", "/api/openapi.json").header("if-none-match", "\"old\"").body(Vec::new()).unwrap();
    assert_eq!(app.call(folio_auth::handle, stale).status(), 200);
}
