//! The header rules: content types, caching and the security headers every response carries.

use http::{header, HeaderName, HeaderValue};

use folio_core::Response;

/// The Content-Security-Policy of every response from this component.
///
/// - scripts and styles only from this origin: no inline script, no inline style element or
///   attribute, no `eval` (the UI sets styles through classes; Chart.js and Swagger UI set
///   element styles through the DOM, which CSP does not govern);
/// - `connect-src 'self'`: the UI and the API docs talk only to this app's API;
/// - images from this origin and `data:` (Swagger UI's icons are data URIs; Chart.js draws on
///   a canvas);
/// - `frame-ancestors 'none'`: the UI cannot be framed (clickjacking);
/// - `base-uri`, `form-action` and `object-src` closed, and everything else (`default-src
///   'none'`) refused.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
img-src 'self' data:; font-src 'self'; connect-src 'self'; manifest-src 'self'; \
base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'";

/// Headers set on every response, errors and `304`s included.
pub const SECURITY_HEADERS: &[(&str, &str)] = &[
    ("content-security-policy", CONTENT_SECURITY_POLICY),
    ("x-content-type-options", "nosniff"),
    // The app's URLs carry nothing secret, but no other site needs to know them either.
    ("referrer-policy", "no-referrer"),
    // For browsers that predate frame-ancestors.
    ("x-frame-options", "DENY"),
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-origin"),
    ("permissions-policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
];

/// Hashed asset URLs never change content: cache for a year and never revalidate.
pub const CACHE_IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// HTML and other unhashed files: always revalidate (a cheap `304` with the ETag), so a new
/// release is seen on the next load and the hashed asset URLs it names are fetched.
pub const CACHE_REVALIDATE: &str = "no-cache";

/// Adds the security headers, replacing any the handler set.
pub fn secure(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in SECURITY_HEADERS {
        headers.insert(HeaderName::from_static(name), HeaderValue::from_static(value));
    }
    response
}

/// The media type for a served path, by extension. Text types name their charset, so the
/// browser never has to guess (and `nosniff` forbids it to).
pub fn content_type(path: &str) -> &'static str {
    let name = path.rsplit('/').next().unwrap_or(path);
    let extension = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    match extension.as_str() {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "txt" => "text/plain; charset=utf-8",
        "md" => "text/markdown; charset=utf-8",
        _ => "application/octet-stream",
    }
}

pub fn set(response: &mut Response, name: header::HeaderName, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, v);
    }
}
