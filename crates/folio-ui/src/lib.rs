//! The `ui` component's handler: the web UI and the API docs, embedded at build time from
//! `static/` (see build.rs), served with the header rules of [`headers`].
//!
//! Rules, in order:
//! 1. `/api` and `/api/...` reaching this component matched no API component's route: the
//!    contract's `404` problem+json, never the UI.
//! 2. Only `GET` and `HEAD` (`405` with `Allow` otherwise).
//! 3. Paths that try to leave the UI's files are `404` (see [`paths`]).
//! 4. A file's exact path; then `<path>/index.html` (so `/docs` serves `docs/index.html`); then,
//!    outside `/assets/` and with no hidden segment (`/.git/config`): at a page of the app
//!    ([`paths::APP_PAGES`], `/books/a.b` included) and at any address that names no file type
//!    (`/nope`, `/reports/x.y`: the app shows its *Page not found*), the single-page app's
//!    `index.html`; else (a missing `.js`, `.css`, `.png`, ...) a `404` problem.
//! 5. Strong per-representation ETag and `304` on `If-None-Match`; `Cache-Control` immutable for
//!    hashed asset paths and `no-cache` for the rest; brotli or gzip when accepted, with
//!    `Vary: Accept-Encoding`; `HEAD` answers headers only.
//! 6. The security headers on every response, errors included.

pub mod assets;
mod embedded;
pub mod encoding;
pub mod headers;
pub mod paths;

use folio_core::{
    http_util,
    serve::{serve, serve_same_origin},
    ApiError, ApiResult, Host, Request, Response,
};
use http::{header, Method, StatusCode};

pub use assets::{Asset, Catalog};

/// Serves one request from the embedded files.
pub fn handle(host: &Host, req: Request) -> Response {
    handle_with(Catalog::embedded(), host, req)
}

/// Serves one request from `catalog`.
pub fn handle_with(catalog: Catalog, host: &Host, req: Request) -> Response {
    if is_api_path(req.uri().path()) {
        // An API path no API component claims: answered as the API components answer, CORS
        // included, so a browser on an allowed origin can read the 404 (and its preflight).
        return headers::secure(serve(host, req, |_, req| respond(catalog, req)));
    }
    headers::secure(serve_same_origin(host, req, |_, req| respond(catalog, req)))
}

/// `/api` and what lies under it: the API's, never a file or the app's page.
fn is_api_path(raw: &str) -> bool {
    raw == "/api" || raw.starts_with("/api/")
}

fn respond(catalog: Catalog, req: &Request) -> ApiResult {
    let raw = req.uri().path();
    if is_api_path(raw) {
        let echoed = folio_core::text::at_most_chars(raw, folio_core::text::ECHOED_PATH_CHARS);
        return Err(ApiError::NotFound(format!("no API resource at {echoed}")));
    }
    let only_read = || ApiError::MethodNotAllowed { allow: vec![Method::GET, Method::HEAD] };
    if ![Method::GET, Method::HEAD, Method::OPTIONS].contains(req.method()) {
        return Err(only_read());
    }
    let path = paths::clean(raw).ok_or_else(|| ApiError::NotFound("no such file".into()))?;
    let asset = find(catalog, &path).ok_or_else(|| ApiError::NotFound(format!("no file at {path}")))?;
    if req.method() == Method::OPTIONS {
        // `serve` answers it with `Allow`, for a file that exists: a missing one is a 404 as for GET.
        return Err(only_read());
    }
    Ok(file_response(req, asset))
}

fn find(catalog: Catalog, path: &str) -> Option<&'static Asset> {
    if let Some(asset) = catalog.get(path) {
        return Some(asset);
    }
    let directory_index = format!("{}/index.html", path.trim_end_matches('/'));
    if let Some(asset) = catalog.get(&directory_index) {
        return Some(asset);
    }
    // A missing asset is a 404, never the app's page: a broken script reference must fail loudly.
    if path.starts_with("/assets/") || paths::has_hidden_segment(path) {
        return None;
    }
    // A page of the app, whatever its last segment holds (`/books/a.b` is a book's address).
    if paths::is_app_page(path) {
        return catalog.get("/index.html");
    }
    // A script, stylesheet, image or font that is not there (`/favicon.ico`): a 404 problem, not
    // HTML under a name that promises something else.
    if names_a_file_type(path) {
        return None;
    }
    // Any other address (`/nope`, and `/x.y`, which only looks like a file) is the app too, with
    // `200` as API.md has it ("every other non-API path: the web UI"): the app reads the address
    // and shows its *Page not found*.
    catalog.get("/index.html")
}

/// True when the last segment ends in an extension this server has a media type for.
fn names_a_file_type(path: &str) -> bool {
    let last = path.rsplit('/').next().unwrap_or("");
    last.contains('.') && headers::content_type(last) != "application/octet-stream"
}

fn file_response(req: &Request, asset: &'static Asset) -> Response {
    let encoding = encoding::choose(req.headers(), asset);
    let etag = http_util::strong_etag(&format!("{}{}", asset.etag, encoding.etag_suffix()));
    let cache = if asset.immutable { headers::CACHE_IMMUTABLE } else { headers::CACHE_REVALIDATE };

    let mut response = if http_util::if_none_match(req, &etag) {
        http_util::not_modified(&etag)
    } else {
        let mut ok = http::Response::builder()
            .status(StatusCode::OK)
            .body(encoding::body(asset, encoding).to_vec())
            .expect("valid response");
        headers::set(&mut ok, header::CONTENT_TYPE, headers::content_type(asset.path));
        if let Some(coding) = encoding.header() {
            headers::set(&mut ok, header::CONTENT_ENCODING, coding);
        }
        ok
    };
    headers::set(&mut response, header::ETAG, &etag);
    headers::set(&mut response, header::CACHE_CONTROL, cache);
    // Every file may be negotiated, so caches must key on Accept-Encoding.
    headers::set(&mut response, header::VARY, "Accept-Encoding");
    response
}
