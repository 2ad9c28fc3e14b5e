//! Problem types resolve (RFC 9457 §3.1.1): the `type` of a real problem answer, a relative URI
//! `/docs/problems#<slug>`, leads to a human-readable page that has that anchor, served by the
//! `ui` component as static HTML with the UI's headers, not the single-page app's shell.

use folio_blackbox::app;

/// Resolves a problem's relative `type` against the app: the page's path and the fragment.
fn resolve(problem_type: &str) -> (&str, &str) {
    assert!(problem_type.starts_with('/'), "a relative reference to this app: {problem_type}");
    problem_type.split_once('#').unwrap_or_else(|| panic!("a fragment names the section: {problem_type}"))
}

fn assert_documented(problem_type: &str, slug: &str) {
    let (path, fragment) = resolve(problem_type);
    assert_eq!(path, "/docs/problems", "{problem_type}");
    assert_eq!(fragment, slug, "{problem_type}");
    let page = app().get(path);
    assert_eq!(page.status, 200, "GET {path}: {}", page.text());
    assert_eq!(page.header("content-type"), Some("text/html; charset=utf-8"), "GET {path}");
    assert_eq!(page.header("x-folio-component"), Some("ui"), "GET {path}");
    assert_eq!(page.header("cache-control"), Some("no-cache"), "GET {path}");
    let csp = page.header("content-security-policy").unwrap_or("");
    assert!(csp.contains("script-src 'self'") && csp.contains("default-src 'none'"), "{csp}");
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    let html = page.text();
    assert!(html.contains(&format!("id=\"{fragment}\"")), "no anchor {fragment} on {path}");
    assert!(html.contains("<h1>Problem types</h1>"), "the problem types page, not the app shell");
}

#[test]
fn a_missing_token_answers_a_type_that_resolves_to_its_section() {
    let r = app().get("/api/books");
    let body = r.problem(401);
    assert_documented(body["type"].as_str().expect("type"), "unauthorized");
}

#[test]
fn an_unknown_api_path_answers_a_type_that_resolves_to_its_section() {
    // One that an API component answers, and one that falls through to the UI component.
    for path in ["/api/books/a/b/c", "/api/no-such-area"] {
        let body = app().get(path).problem(404);
        assert_documented(body["type"].as_str().expect("type"), "not-found");
    }
}

#[test]
fn a_validation_problem_answers_a_type_that_resolves_to_its_section() {
    let editor = app().login(&folio_blackbox::unique_email("problems"));
    let mut book = folio_blackbox::book_body("Problem types");
    book["isbn"] = serde_json::json!("978-0-306-40615-8"); // wrong check digit
    let r = app().json("POST", "/api/books", Some(&editor.access), &book);
    let body = r.problem(422);
    assert_eq!(body["errors"][0]["field"], "isbn", "{body}");
    assert_documented(body["type"].as_str().expect("type"), "validation");
}

#[test]
fn the_page_answers_with_a_trailing_slash_and_to_head() {
    let slash = app().get("/docs/problems/");
    assert_eq!(slash.status, 200);
    assert!(slash.text().contains("id=\"misconfigured\""));
    let head = app().call("HEAD", "/docs/problems", &[], b"");
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
}
