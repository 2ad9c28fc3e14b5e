//! Every header rule of the static server, driven through the real handler natively: once over
//! a small fixture catalog (so each rule is checked against files whose content the test
//! controls) and once over the files embedded from `static/`.

use std::io::Read;

use folio_core::Host;
use folio_native::{BrokenKv, BrokenSql, ManualClock, MapConfig, OsRandom};
use folio_ui::{headers, Asset, Catalog};

const INDEX: &[u8] = b"<!doctype html><title>app</title>";
const APP_JS: &[u8] = b"export const answer = 42; // pretend this is long enough to compress well";

fn fixture() -> Catalog {
    let assets: Vec<Asset> = vec![
        Asset {
            path: "/assets/app-0123456789/main.js",
            etag: "js0001",
            immutable: true,
            identity: APP_JS,
            gzip: Some(b"GZIP-BYTES"),
            brotli: Some(b"BR-BYTES"),
        },
        Asset {
            path: "/assets/app-0123456789/only-gzip.css",
            etag: "css001",
            immutable: true,
            identity: b"body{}",
            gzip: Some(b"GZ"),
            brotli: None,
        },
        Asset {
            path: "/docs/index.html",
            etag: "docs01",
            immutable: false,
            identity: b"<!doctype html><title>docs</title>",
            gzip: None,
            brotli: None,
        },
        Asset {
            path: "/favicon.svg",
            etag: "icon01",
            immutable: false,
            identity: b"<svg/>",
            gzip: None,
            brotli: None,
        },
        Asset {
            path: "/index.html",
            etag: "index1",
            immutable: false,
            identity: INDEX,
            gzip: None,
            brotli: None,
        },
        Asset {
            path: "/robots.txt",
            etag: "robot1",
            immutable: false,
            identity: b"User-agent: *\n",
            gzip: None,
            brotli: None,
        },
    ];
    Catalog::new(Box::leak(assets.into_boxed_slice()))
}

fn call(catalog: Catalog, method: &str, path: &str, headers: &[(&str, &str)]) -> folio_core::Response {
    let mut builder = http::Request::builder().method(method).uri(path);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    // Stores that fail on any use: the static server must never need one.
    let host = Host {
        sql: &BrokenSql,
        kv: &BrokenKv,
        clock: &ManualClock::now(),
        random: &OsRandom,
        config: &MapConfig::new(),
    };
    folio_ui::handle_with(catalog, &host, builder.body(Vec::new()).unwrap())
}

fn get(path: &str) -> folio_core::Response {
    call(fixture(), "GET", path, &[])
}

fn header<'a>(r: &'a folio_core::Response, name: &str) -> Option<&'a str> {
    r.headers().get(name).map(|v| v.to_str().unwrap())
}

fn assert_secure(r: &folio_core::Response) {
    for (name, value) in headers::SECURITY_HEADERS {
        assert_eq!(header(r, name), Some(*value), "{name} on a {} response", r.status());
    }
}

#[test]
fn content_types_follow_the_extension_with_charsets_for_text() {
    let cases = [
        ("/index.html", "text/html; charset=utf-8"),
        ("/assets/app-0123456789/main.js", "text/javascript; charset=utf-8"),
        ("/assets/app-0123456789/only-gzip.css", "text/css; charset=utf-8"),
        ("/favicon.svg", "image/svg+xml"),
        ("/robots.txt", "text/plain; charset=utf-8"),
    ];
    for (path, expected) in cases {
        let r = get(path);
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(header(&r, "content-type"), Some(expected), "{path}");
    }
    assert_eq!(headers::content_type("/x/data.json"), "application/json");
    assert_eq!(headers::content_type("/font.woff2"), "font/woff2");
    assert_eq!(headers::content_type("/UPPER.JS"), "text/javascript; charset=utf-8");
    assert_eq!(headers::content_type("/unknown.bin"), "application/octet-stream");
}

#[test]
fn every_response_carries_the_security_headers() {
    let responses = [
        get("/index.html"),
        get("/books/42"),
        get("/assets/app-0123456789/missing.js"),
        get("/api/nothing"),
        get("/%2e%2e/etc/passwd"),
        call(fixture(), "POST", "/index.html", &[]),
        call(fixture(), "GET", "/index.html", &[("if-none-match", "\"index1\"")]),
        call(fixture(), "HEAD", "/index.html", &[]),
    ];
    for r in &responses {
        assert_secure(r);
    }
}

#[test]
fn the_policy_forbids_inline_script_and_style_framing_and_foreign_connections() {
    let csp = headers::CONTENT_SECURITY_POLICY;
    let directive = |name: &str| {
        csp.split(';')
            .map(str::trim)
            .find(|d| d.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("{name} missing"))
    };
    assert_eq!(directive("default-src"), "default-src 'none'");
    assert_eq!(directive("script-src"), "script-src 'self'");
    assert_eq!(directive("style-src"), "style-src 'self'");
    assert_eq!(directive("connect-src"), "connect-src 'self'");
    assert_eq!(directive("frame-ancestors"), "frame-ancestors 'none'");
    assert_eq!(directive("object-src"), "object-src 'none'");
    assert_eq!(directive("base-uri"), "base-uri 'none'");
    assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{csp}");
}

#[test]
fn strong_etag_and_if_none_match_give_304_without_a_body() {
    let r = get("/index.html");
    let etag = header(&r, "etag").unwrap().to_string();
    assert_eq!(etag, "\"index1\"");
    assert!(!etag.starts_with("W/"));
    let again = call(fixture(), "GET", "/index.html", &[("if-none-match", &etag)]);
    assert_eq!(again.status(), 304);
    assert!(again.body().is_empty());
    assert_eq!(header(&again, "etag"), Some(etag.as_str()));
    assert_eq!(header(&again, "cache-control"), Some("no-cache"));
    assert_eq!(header(&again, "vary"), Some("Accept-Encoding"));
    // A list containing it, and `*`, match too; another tag does not.
    let listed = call(fixture(), "GET", "/index.html", &[("if-none-match", "\"other\", \"index1\"")]);
    assert_eq!(listed.status(), 304);
    assert_eq!(call(fixture(), "GET", "/index.html", &[("if-none-match", "*")]).status(), 304);
    let stale = call(fixture(), "GET", "/index.html", &[("if-none-match", "\"index0\"")]);
    assert_eq!(stale.status(), 200);
    assert_eq!(stale.body(), INDEX);
}

#[test]
fn each_encoding_has_its_own_strong_etag() {
    let br = call(fixture(), "GET", "/assets/app-0123456789/main.js", &[("accept-encoding", "gzip, br")]);
    let gz = call(fixture(), "GET", "/assets/app-0123456789/main.js", &[("accept-encoding", "gzip")]);
    let id = call(fixture(), "GET", "/assets/app-0123456789/main.js", &[]);
    assert_eq!(header(&br, "etag"), Some("\"js0001.br\""));
    assert_eq!(header(&gz, "etag"), Some("\"js0001.gz\""));
    assert_eq!(header(&id, "etag"), Some("\"js0001\""));
    // The gzip copy's tag does not validate the identity representation.
    let cross =
        call(fixture(), "GET", "/assets/app-0123456789/main.js", &[("if-none-match", "\"js0001.gz\"")]);
    assert_eq!(cross.status(), 200);
    let same = call(
        fixture(),
        "GET",
        "/assets/app-0123456789/main.js",
        &[("accept-encoding", "gzip"), ("if-none-match", "\"js0001.gz\"")],
    );
    assert_eq!(same.status(), 304);
}

#[test]
fn hashed_assets_are_immutable_and_html_revalidates() {
    let asset = get("/assets/app-0123456789/main.js");
    assert_eq!(header(&asset, "cache-control"), Some("public, max-age=31536000, immutable"));
    for path in ["/index.html", "/docs", "/books", "/robots.txt", "/favicon.svg"] {
        assert_eq!(header(&get(path), "cache-control"), Some("no-cache"), "{path}");
    }
    // Errors are never cached.
    assert_eq!(header(&get("/assets/app-0123456789/missing.js"), "cache-control"), Some("no-store"));
}

#[test]
fn compression_follows_accept_encoding_with_vary() {
    let cases: &[(&str, &[u8], Option<&str>)] = &[
        ("br", b"BR-BYTES", Some("br")),
        ("gzip", b"GZIP-BYTES", Some("gzip")),
        ("gzip, deflate, br", b"BR-BYTES", Some("br")),
        ("br;q=0.5, gzip", b"GZIP-BYTES", Some("gzip")),
        ("br;q=0, gzip;q=0", APP_JS, None),
        ("x-gzip", b"GZIP-BYTES", Some("gzip")),
        ("*", b"BR-BYTES", Some("br")),
        ("*;q=0.1, identity", APP_JS, None),
        ("deflate", APP_JS, None),
        ("gzip;q=garbage", APP_JS, None),
        ("", APP_JS, None),
    ];
    for (accept, body, coding) in cases {
        let r = call(fixture(), "GET", "/assets/app-0123456789/main.js", &[("accept-encoding", accept)]);
        assert_eq!(r.status(), 200, "{accept}");
        assert_eq!(r.body().as_slice(), *body, "{accept}");
        assert_eq!(header(&r, "content-encoding"), *coding, "{accept}");
        assert_eq!(header(&r, "vary"), Some("Accept-Encoding"), "{accept}");
        assert_eq!(header(&r, "content-type"), Some("text/javascript; charset=utf-8"), "{accept}");
    }
    // No header at all: identity.
    let plain = get("/assets/app-0123456789/main.js");
    assert_eq!(plain.body(), APP_JS);
    assert_eq!(header(&plain, "content-encoding"), None);
    // An asset without a brotli copy falls back to gzip for a br-preferring client.
    let css =
        call(fixture(), "GET", "/assets/app-0123456789/only-gzip.css", &[("accept-encoding", "br, gzip")]);
    assert_eq!(header(&css, "content-encoding"), Some("gzip"));
    assert_eq!(css.body(), b"GZ");
}

#[test]
fn head_has_the_headers_of_get_and_no_body() {
    let get = call(fixture(), "GET", "/assets/app-0123456789/main.js", &[("accept-encoding", "gzip")]);
    let head = call(fixture(), "HEAD", "/assets/app-0123456789/main.js", &[("accept-encoding", "gzip")]);
    assert_eq!(head.status(), 200);
    assert!(head.body().is_empty());
    assert!(!get.body().is_empty());
    for name in
        ["content-type", "etag", "cache-control", "vary", "content-encoding", "content-security-policy"]
    {
        assert_eq!(head.headers().get(name), get.headers().get(name), "{name}");
    }
    assert_eq!(call(fixture(), "HEAD", "/books", &[]).status(), 200);
}

#[test]
fn the_apps_pages_fall_back_to_the_app_and_directories_to_their_index() {
    // `/books/a.b`: a book's address whatever its id holds, not a file (it was a 404 problem).
    for path in ["/", "/books", "/books/abc-123", "/books/a.b", "/books/a.js", "/account/", "/signin"] {
        let r = get(path);
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.body(), INDEX, "{path}");
        assert_eq!(header(&r, "content-type"), Some("text/html; charset=utf-8"), "{path}");
        assert_eq!(header(&r, "etag"), Some("\"index1\""), "{path}");
    }
    for path in ["/docs", "/docs/"] {
        let r = get(path);
        assert_eq!(r.status(), 200, "{path}");
        assert!(String::from_utf8_lossy(r.body()).contains("docs"), "{path}");
    }
}

/// An address the app has no page for is the app too, with `200` (API.md: every other non-API
/// path is the web UI): the app reads the address and shows *Page not found*.
#[test]
fn other_addresses_get_the_app() {
    for path in ["/nope", "/reports/genres", "/books/a/b", "/x.y", "/signin.php", "/books/new/x"] {
        let r = get(path);
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.body(), INDEX, "{path}");
        assert_eq!(header(&r, "content-type"), Some("text/html; charset=utf-8"), "{path}");
        assert_secure(&r);
    }
}

/// `paths::APP_PAGES` is the router's list in main.js: a page added there with a dotted address
/// and not here would be a `404` problem at such an address.
#[test]
fn the_app_pages_are_the_routes_of_main_js() {
    let main_js = include_str!("../../../static/assets/app/main.js");
    let mut routes: Vec<String> = main_js
        .lines()
        .filter_map(|line| line.trim().strip_prefix("{ path: /^"))
        .map(|rest| rest.split_once("$/").expect("a route regex ends in $/").0.replace("\\/", "/"))
        .map(|route| route.replace("([^/]+)", "*"))
        .collect();
    assert!(routes.len() >= 9, "routes found in main.js: {routes:?}");
    // `/` is not a route of the router: the shell sends it on to the catalogue or to sign-in.
    routes.push("/".into());
    routes.sort();
    let mut pages: Vec<&str> = folio_ui::paths::APP_PAGES.to_vec();
    pages.sort();
    assert_eq!(routes, pages);
}

#[test]
fn missing_assets_are_404_problems_not_the_app() {
    for path in [
        "/missing.js",
        "/assets/app-0123456789/missing.js",
        "/assets/app-0123456789/nothing",
        "/assets/app-9999999999/main.js",
        "/img/logo.png",
        "/favicon.ico",
        "/styles/missing.css",
        "/assets/app-0123456789",
        "/.env",
        "/books/.git",
    ] {
        let r = get(path);
        assert_eq!(r.status(), 404, "{path}");
        assert_eq!(header(&r, "content-type"), Some("application/problem+json"), "{path}");
    }
}

#[test]
fn api_paths_stay_404_problem_json_for_every_method() {
    for method in ["GET", "HEAD", "POST", "DELETE"] {
        for path in ["/api", "/api/", "/api/nothing", "/api/books-typo/1"] {
            let r = call(fixture(), method, path, &[]);
            assert_eq!(r.status(), 404, "{method} {path}");
            assert_eq!(header(&r, "content-type"), Some("application/problem+json"));
        }
    }
    let body: serde_json::Value = serde_json::from_slice(get("/api/nothing").body()).unwrap();
    assert_eq!(body["status"], 404);
    // A long path is not echoed back whole.
    let long = format!("/api/{}", "x".repeat(60_000));
    let body: serde_json::Value = serde_json::from_slice(get(&long).body()).unwrap();
    let detail = body["detail"].as_str().unwrap();
    assert!(detail.len() < 300 && detail.starts_with("no API resource at /api/xxx"), "{}", detail.len());
    // Not an API path: merely starts with the letters. The app's page, not the API's problem.
    let apiary = get("/apiary");
    assert_eq!((apiary.status().as_u16(), apiary.body().as_slice()), (200, INDEX));
}

#[test]
fn api_paths_answer_cross_origin_requests_as_the_api_does() {
    // The UI's own files are same-origin; a stray API path is the API's 404, CORS included.
    let config = MapConfig::new().with("cors_allowed_origins", "https://app.example.com");
    let host = Host {
        sql: &BrokenSql,
        kv: &BrokenKv,
        clock: &ManualClock::now(),
        random: &OsRandom,
        config: &config,
    };
    let ask = |method: &str, path: &str, extra: &[(&str, &str)]| {
        let mut b =
            http::Request::builder().method(method).uri(path).header("origin", "https://app.example.com");
        for (name, value) in extra {
            b = b.header(*name, *value);
        }
        folio_ui::handle_with(fixture(), &host, b.body(Vec::new()).unwrap())
    };
    let r = ask("GET", "/api/nothing", &[]);
    assert_eq!(
        (r.status().as_u16(), header(&r, "access-control-allow-origin")),
        (404, Some("https://app.example.com"))
    );
    assert_eq!(header(&r, "vary"), Some("origin"));
    let preflight = ask("OPTIONS", "/api/nothing", &[("access-control-request-method", "GET")]);
    assert_eq!(preflight.status(), 204);
    assert_secure(&r);
    // The UI's files stay same-origin: no CORS headers, and no variable read for them.
    assert_eq!(header(&ask("GET", "/robots.txt", &[]), "access-control-allow-origin"), None);
}

#[test]
fn other_methods_are_405_with_allow() {
    for method in ["POST", "PUT", "PATCH", "DELETE"] {
        let r = call(fixture(), method, "/index.html", &[]);
        assert_eq!(r.status(), 405, "{method}");
        assert_eq!(header(&r, "allow"), Some("GET, HEAD, OPTIONS"));
    }
    // OPTIONS asks what the resource allows (RFC 9110 §9.3.7): answered, not refused.
    let r = call(fixture(), "OPTIONS", "/index.html", &[]);
    assert_eq!(r.status(), 204);
    assert_eq!(header(&r, "allow"), Some("GET, HEAD, OPTIONS"));
    assert!(r.body().is_empty());
}

#[test]
fn traversal_is_refused_in_every_spelling_and_never_falls_back_to_the_app() {
    for path in [
        "/../index.html",
        "/%2e%2e/index.html",
        "/%2E%2E/%2E%2E/etc/passwd",
        "/assets/..%2f..%2findex.html",
        "/..%5cindex.html",
        "/assets%5c..%5cindex.html",
        "/books/%2e%2e",
        "/books/%00",
        "/books/%ff",
    ] {
        let r = get(path);
        assert_eq!(r.status(), 404, "{path}");
        assert_ne!(r.body(), INDEX, "{path}");
    }
}

// --- the files actually embedded from static/ ------------------------------------------------

fn embedded(path: &str, headers: &[(&str, &str)]) -> folio_core::Response {
    call(Catalog::embedded(), "GET", path, headers)
}

fn text(r: &folio_core::Response) -> String {
    String::from_utf8(r.body().clone()).unwrap()
}

#[test]
fn the_embedded_app_shell_loads_only_hashed_same_origin_assets_and_no_inline_script() {
    let r = embedded("/", &[]);
    assert_eq!(r.status(), 200);
    let html = text(&r);
    assert!(html.contains("/assets/app-"), "{html}");
    for forbidden in
        ["<script>", "<style", " style=", "onclick=", "onload=", "javascript:", "http://", "https://"]
    {
        assert!(!html.contains(forbidden), "index.html contains {forbidden}");
    }
    // Every asset it names exists, is immutable and served with the right type.
    for reference in html.split('"').filter(|s| s.starts_with("/assets/")) {
        let asset = embedded(reference, &[]);
        assert_eq!(asset.status(), 200, "{reference}");
        assert_eq!(header(&asset, "cache-control"), Some(headers::CACHE_IMMUTABLE), "{reference}");
    }
}

#[test]
fn the_docs_page_is_embedded_with_swagger_ui_and_its_licence() {
    let r = embedded("/docs", &[]);
    assert_eq!(r.status(), 200);
    let html = text(&r);
    assert!(html.contains("swagger-ui"), "{html}");
    assert!(!html.contains("<script>"), "inline script in docs");
    let catalog = Catalog::embedded();
    let bundle = catalog.bundle_path("swagger-ui", "swagger-ui-bundle.js").expect("swagger-ui vendored");
    assert!(html.contains(bundle), "docs page names {bundle}");
    assert!(catalog.bundle_path("swagger-ui", "LICENSE.txt").is_some());
    assert!(catalog.bundle_path("chart", "LICENSE.md").is_some());
}

#[test]
fn embedded_compressed_copies_decode_to_the_same_bytes() {
    let catalog = Catalog::embedded();
    let mut checked = 0;
    for asset in catalog.iter() {
        if let Some(gz) = asset.gzip {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(gz).read_to_end(&mut out).unwrap();
            assert_eq!(out, asset.identity, "gzip of {}", asset.path);
            assert!(gz.len() < asset.identity.len());
            checked += 1;
        }
        if let Some(br) = asset.brotli {
            let mut out = Vec::new();
            brotli::Decompressor::new(br, 4096).read_to_end(&mut out).unwrap();
            assert_eq!(out, asset.identity, "brotli of {}", asset.path);
            checked += 1;
        }
    }
    assert!(checked >= 4, "expected compressed copies of the large text assets, got {checked}");
    let big = catalog.bundle_path("swagger-ui", "swagger-ui-bundle.js").unwrap();
    let r = embedded(big, &[("accept-encoding", "gzip, br")]);
    assert_eq!(header(&r, "content-encoding"), Some("br"));
}

#[test]
fn embedded_etags_are_content_hashes() {
    let catalog = Catalog::embedded();
    let mut seen = std::collections::HashMap::new();
    for asset in catalog.iter() {
        assert_eq!(asset.etag.len(), 32, "{}", asset.path);
        if let Some(other) = seen.insert(asset.etag, asset.path) {
            // Only identical bytes may share a tag.
            assert_eq!(catalog.get(other).unwrap().identity, asset.identity);
        }
    }
}

// --- /docs/problems: the page every problem `type` resolves to (RFC 9457 §3.1.1) -------------

/// The problem type slugs the API answers with, read from folio-core's source: a kind of error
/// added there without a section on the page fails the test below.
fn problem_slugs() -> std::collections::BTreeSet<String> {
    const SOURCE: &str = include_str!("../../folio-core/src/problem.rs");
    const PREFIX: &str = "\"/docs/problems#";
    let slugs: std::collections::BTreeSet<String> = SOURCE
        .match_indices(PREFIX)
        .map(|(at, _)| {
            let rest = &SOURCE[at + PREFIX.len()..];
            rest[..rest.find('"').expect("closing quote")].to_string()
        })
        .collect();
    assert!(slugs.len() >= 17, "problem.rs names its problem types: {slugs:?}");
    slugs
}

/// The values of `attribute="..."` in `html`.
fn attribute_values<'a>(html: &'a str, attribute: &str) -> Vec<&'a str> {
    let needle = format!(" {attribute}=\"");
    html.match_indices(&needle)
        .map(|(at, _)| {
            let rest = &html[at + needle.len()..];
            &rest[..rest.find('"').expect("closing quote")]
        })
        .collect()
}

#[test]
fn the_problem_types_page_is_static_html_served_like_the_other_pages() {
    for path in ["/docs/problems", "/docs/problems/"] {
        let r = embedded(path, &[]);
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(header(&r, "content-type"), Some("text/html; charset=utf-8"), "{path}");
        assert_eq!(header(&r, "cache-control"), Some(headers::CACHE_REVALIDATE), "{path}");
        assert_secure(&r);
        let etag = header(&r, "etag").expect("etag").to_string();
        let again = call(Catalog::embedded(), "GET", path, &[("if-none-match", &etag)]);
        assert_eq!(again.status(), 304, "{path}");
        let head = call(Catalog::embedded(), "HEAD", path, &[]);
        assert_eq!(head.status(), 200, "{path}");
        assert!(head.body().is_empty(), "{path}");
    }
    let html = text(&embedded("/docs/problems", &[]));
    assert!(html.contains("<h1>Problem types</h1>"), "not the app shell: {html}");
    // One script, a file: the sign-in hand-over (docs/ui.md, "Tokens"); the page itself works
    // without it, and without JavaScript.
    let scripts: Vec<&str> = html.match_indices("<script").map(|(i, _)| &html[i..]).collect();
    assert_eq!(scripts.len(), 1, "{html}");
    assert!(
        scripts[0].starts_with("<script src=\"/assets/app-")
            && scripts[0].contains("/handover.js\"></script>")
    );
    let html = html.replace(&scripts[0][..scripts[0].find("</script>").unwrap() + 9], "");
    for forbidden in [
        "<script",
        "<style",
        " style=",
        "onclick=",
        "onload=",
        "javascript:",
        "http://",
        "https://",
        "//fonts.",
    ] {
        assert!(!html.contains(forbidden), "docs/problems/index.html contains {forbidden}");
    }
    // Every asset it names exists, is immutable and is served (the hashed app stylesheet).
    let assets: Vec<&str> = html.split('"').filter(|s| s.starts_with("/assets/")).collect();
    assert!(!assets.is_empty(), "the page uses the site's stylesheet");
    for reference in assets {
        let asset = embedded(reference, &[]);
        assert_eq!(asset.status(), 200, "{reference}");
        assert_eq!(header(&asset, "cache-control"), Some(headers::CACHE_IMMUTABLE), "{reference}");
    }
    // The API docs page links to it.
    assert!(text(&embedded("/docs", &[])).contains("href=\"/docs/problems\""));
}

#[test]
fn the_problem_types_page_has_a_section_for_every_problem_type_and_no_other() {
    let html = text(&embedded("/docs/problems", &[]));
    let slugs = problem_slugs();
    let ids: Vec<&str> = attribute_values(&html, "id");
    let sections: std::collections::BTreeSet<String> = html
        .match_indices("<section id=\"")
        .map(|(at, _)| {
            let rest = &html[at + "<section id=\"".len()..];
            rest[..rest.find('"').unwrap()].to_string()
        })
        .collect();
    let missing: Vec<&String> = slugs.iter().filter(|s| !ids.contains(&s.as_str())).collect();
    assert!(missing.is_empty(), "problem types without an anchor on /docs/problems: {missing:?}");
    assert_eq!(sections, slugs, "one section per problem type of problem.rs, and none for a type it lacks");
    // Ids are unique, and every in-page link lands on one.
    let mut unique = ids.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "duplicate ids: {ids:?}");
    for href in attribute_values(&html, "href").into_iter().filter(|h| h.starts_with('#')) {
        assert!(ids.contains(&&href[1..]), "link to a missing anchor {href}");
    }
    // Each section says what it means, what its members carry and what a client should do.
    for slug in &slugs {
        let start = html.find(&format!("<section id=\"{slug}\"")).unwrap();
        let section = &html[start..start + html[start..].find("</section>").unwrap()];
        for part in ["<dt>Means</dt>", "<dt>Members</dt>", "<dt>What to do</dt>"] {
            assert!(section.contains(part), "section {slug} lacks {part}");
        }
        let status = section.split("</code> · ").nth(1).and_then(|s| s.get(..3));
        assert!(
            status.is_some_and(|s| s.bytes().all(|b| b.is_ascii_digit())),
            "section {slug} names its HTTP status in its heading"
        );
    }
}

/// The pages the OpenAPI document lists under the `ui` tag (API.md: `GET /` and `GET /docs`) are
/// the embedded catalog's own, served as HTML; and the document lists no other `ui` operation.
#[test]
fn the_pages_the_openapi_document_lists_are_served_as_html() {
    let doc: serde_json::Value =
        serde_json::from_str(include_str!("../../../docs/openapi.json")).expect("openapi.json parses");
    let mut pages = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if op["tags"].as_array().unwrap().iter().any(|t| t == "ui") {
                assert_eq!(method, "get", "{path}");
                pages.push(path.clone());
            }
        }
    }
    assert_eq!(pages, ["/", "/docs"]);
    for page in pages {
        let r = embedded(&page, &[]);
        assert_eq!(r.status(), 200, "{page}");
        assert_eq!(header(&r, "content-type"), Some("text/html; charset=utf-8"), "{page}");
    }
}
