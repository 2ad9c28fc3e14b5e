//! The one entry every component's handler goes through, so that what every route shares is
//! written once: errors become problem+json; `HEAD` answers carry headers without a body; every
//! response carries a request id (the caller's `X-Request-Id` when it is sane, else a new one);
//! CORS follows the `cors_allowed_origins` variable ([`crate::cors`]; a malformed value answers
//! cross-origin requests `503` naming it); and one JSON log line is written per request
//! (method, route, path, status, duration, request id — never a query string, header value or
//! body, which is where tokens and passwords travel). Every response says `nosniff`.

use std::borrow::Cow;

use http::{header, HeaderName, HeaderValue, Method, StatusCode};

use crate::{cors::AllowedOrigins, ApiError, ApiResult, Host, Request, Response};

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The component that answered, set by the Spin adapter (`folio-spin`) on every response.
pub const COMPONENT: HeaderName = HeaderName::from_static("x-folio-component");

/// The API's methods, for a preflight to a path no route knows.
const CORS_ALLOW_METHODS: &str = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";
/// The request headers a cross-origin page may send: the API's own, and those that common
/// browser tooling adds to every call, which would otherwise turn each into a network error:
/// trace context (`traceparent`, `tracestate`: OpenTelemetry's fetch instrumentation),
/// `cache-control` and `pragma` (HTTP wrappers that ask for no cache), `x-requested-with`.
const CORS_ALLOW_HEADERS: &str = "authorization, content-type, if-match, if-none-match, x-request-id, \
     traceparent, tracestate, cache-control, pragma, x-requested-with";
// `content-disposition`: a cross-origin CSV download (reports) reads its file name from it.
const CORS_EXPOSE_HEADERS: &str =
    "etag, location, www-authenticate, retry-after, allow, x-request-id, content-disposition, accept-patch, \
     accept-encoding, x-folio-component";

/// Runs `handler` for `req` and applies the conventions every route shares.
pub fn serve(host: &Host, req: Request, handler: impl FnOnce(&Host, &Request) -> ApiResult) -> Response {
    serve_with(host, req, Some(allowed_origin), handler)
}

/// [`serve`] for a component that is never called cross-origin (the UI's files: it is granted
/// no CORS variable). It leaves the origin rules, and the URL parser they need, out of that
/// component's build.
pub fn serve_same_origin(
    host: &Host,
    req: Request,
    handler: impl FnOnce(&Host, &Request) -> ApiResult,
) -> Response {
    serve_with(host, req, None, handler)
}

/// Reads the allowed origin of a request (CORS), for components that can be called cross-origin.
type OriginCheck = fn(&Host, &Request) -> Result<Option<String>, ApiError>;

fn serve_with(
    host: &Host,
    req: Request,
    cors: Option<OriginCheck>,
    handler: impl FnOnce(&Host, &Request) -> ApiResult,
) -> Response {
    let started = host.clock.now_ms();
    let request_id = request_id(host, &req);
    // Formatted once: the request line and the event lines of this request carry the same `ts`.
    let ts = crate::ports::rfc3339_ms(started);
    crate::log::within_request(&request_id, &ts, || {
        serve_request(host, req, cors, handler, (started, &ts), &request_id)
    })
}

fn serve_request(
    host: &Host,
    req: Request,
    cors: Option<OriginCheck>,
    handler: impl FnOnce(&Host, &Request) -> ApiResult,
    (started, ts): (i64, &str),
    request_id: &str,
) -> Response {
    let is_head = req.method() == Method::HEAD;
    let allowed = cors.map_or(Ok(None), |check| check(host, &req));
    let (origin, mut response) = match allowed {
        Err(e) => (None, e.into_response()),
        // A preflight goes through the router too (every handler routes before anything else,
        // and no route serves OPTIONS), so a known path's answer names its own methods.
        Ok(Some(origin)) if is_preflight(&req) => (Some(origin), preflight(handler(host, &req))),
        Ok(origin) => {
            let answer = handler(host, &req).or_else(|e| options(&req, e));
            (origin, answer.unwrap_or_else(|e| crate::long_write::explain_busy(host, e).into_response()))
        }
    };
    if req.headers().contains_key(header::AUTHORIZATION) {
        // An answer made for one bearer is that bearer's: a browser or private cache may keep
        // it, but must ask again before reusing it. Handlers that say more (no-store, ETags)
        // keep what they said.
        response
            .headers_mut()
            .entry(header::CACHE_CONTROL)
            .or_insert(HeaderValue::from_static("private, no-cache"));
    }
    if is_head {
        // The GET's length, as RFC 9110 §9.3.2 asks of a HEAD answer: a client sizing a
        // download by HEAD reads it here; the edge then writes no body.
        // Not where HTTP forbids the header (`204`) or where the empty body is not the
        // representation's (`304`).
        let status = response.status();
        if status != StatusCode::NO_CONTENT && status != StatusCode::NOT_MODIFIED {
            let length = response.body().len();
            response.headers_mut().entry(header::CONTENT_LENGTH).or_insert(HeaderValue::from(length));
        }
        response.body_mut().clear();
    }
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(request_id) {
        headers.insert(REQUEST_ID, v);
    }
    // Every answer says exactly what it is (JSON, problem+json, CSV, the UI's files): a browser
    // led to an API URL must not guess HTML from a book's title or a CSV cell.
    headers.entry(header::X_CONTENT_TYPE_OPTIONS).or_insert(HeaderValue::from_static("nosniff"));
    if cors.is_some() {
        // Whether CORS headers are sent depends on the request's Origin, on every response of a
        // component that can be called cross-origin, those without an Origin included: a shared
        // cache must not hand the answer to a request without one (no CORS headers) to an allowed
        // origin. Said on every response, so that no variable is read to decide it.
        headers.append(header::VARY, HeaderValue::from_static("origin"));
    }
    if let Some(origin) = origin {
        apply_cors(headers, &origin);
    }
    let (status, finished) = (response.status().as_u16(), host.clock.now_ms());
    crate::log::emit_as_is(request_line(&req, status, (started, finished), request_id, Cow::Borrowed(ts)));
    response
}

/// `OPTIONS` on a path that exists (one that is not a CORS preflight from an allowed origin:
/// [`preflight`]): `204` with the methods the path allows, where the router found no `OPTIONS`
/// handler (RFC 9110 §9.3.7). Any other error stays an error.
fn options(req: &Request, error: ApiError) -> ApiResult {
    match error {
        ApiError::MethodNotAllowed { allow } if req.method() == Method::OPTIONS => Ok(allowing(&allow).0),
        other => Err(other),
    }
}

/// An empty `204` whose `Allow` lists `allow` (and `OPTIONS`); also that header's value. A
/// resource that takes `PATCH` says in what format (RFC 5789 §3.1: `Accept-Patch`; every PATCH
/// route of the app takes a JSON merge patch).
fn allowing(allow: &[Method]) -> (Response, Option<HeaderValue>) {
    let mut response = http::Response::builder().status(204).body(Vec::new()).expect("valid response");
    let value = HeaderValue::from_str(&crate::problem::allow_value(allow)).ok();
    if let Some(v) = &value {
        response.headers_mut().insert(header::ALLOW, v.clone());
    }
    if allow.contains(&Method::PATCH) {
        crate::http_util::accept_merge_patch(response.headers_mut());
    }
    (response, value)
}

/// The caller's request id when it is short and plain, so it can be logged safely; else a new one.
fn request_id(host: &Host, req: &Request) -> String {
    req.headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 128
                && v.chars().all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c))
        })
        .map(str::to_string)
        .unwrap_or_else(|| host.new_id())
}

/// The request's `Origin` when the `cors_allowed_origins` variable allows it; the variable's
/// error when it cannot be read.
fn allowed_origin(host: &Host, req: &Request) -> Result<Option<String>, ApiError> {
    let Some(origin) = req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        // Only requests with an Origin read the variable: same-origin GETs pay nothing.
        return Ok(None);
    };
    Ok(AllowedOrigins::from_host(host)?.allow(origin))
}

fn is_preflight(req: &Request) -> bool {
    req.method() == Method::OPTIONS && req.headers().contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
}

/// The answer to a CORS preflight from an allowed origin, from what the router said of the path:
/// for a known path its methods (`Allow`, and the same list as `Access-Control-Allow-Methods`);
/// for any other, the methods of the API, so that the request itself is sent and its `404`
/// problem is readable by the page (a failed preflight would show it only a network error).
fn preflight(routed: ApiResult) -> Response {
    let (mut r, methods) = match routed {
        Err(ApiError::MethodNotAllowed { allow }) => allowing(&allow),
        _ => (
            http::Response::builder().status(204).body(Vec::new()).expect("valid response"),
            Some(HeaderValue::from_static(CORS_ALLOW_METHODS)),
        ),
    };
    let h = r.headers_mut();
    if let Some(methods) = methods {
        h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, methods);
    }
    h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static(CORS_ALLOW_HEADERS));
    h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
    r
}

fn apply_cors(headers: &mut http::HeaderMap, origin: &str) {
    if let Ok(v) = HeaderValue::from_str(origin) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
    }
    headers.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static(CORS_EXPOSE_HEADERS));
}

/// One request's log line: deliberately only the method, route, path, status, timing and id.
/// A struct rather than a JSON tree because every request writes one; fields in name order,
/// as the tree wrote them.
#[derive(Debug, serde::Serialize)]
pub struct RequestLine<'a> {
    duration_ms: i64,
    event: &'static str,
    level: &'static str,
    method: &'a str,
    path: Cow<'a, str>,
    request_id: &'a str,
    route: &'a str,
    status: u16,
    ts: Cow<'a, str>,
}

/// The request's log line.
pub fn log_line<'a>(
    req: &'a Request,
    status: u16,
    started: i64,
    finished: i64,
    request_id: &'a str,
) -> RequestLine<'a> {
    request_line(req, status, (started, finished), request_id, Cow::Owned(crate::ports::rfc3339_ms(started)))
}

/// [`log_line`] with its `ts` given (`serve` has it formatted already, for the event lines too).
fn request_line<'a>(
    req: &'a Request,
    status: u16,
    (started, finished): (i64, i64),
    request_id: &'a str,
    ts: Cow<'a, str>,
) -> RequestLine<'a> {
    // Spin names the matched trigger route; natively there is none and the path stands in.
    let route = req
        .headers()
        .get("spin-matched-route")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| req.uri().path());
    RequestLine {
        duration_ms: finished - started,
        event: "request",
        level: if status >= 500 { "error" } else { "info" },
        method: req.method().as_str(),
        path: crate::text::path_for_log(req.uri().path()),
        request_id,
        route,
        status,
        ts,
    }
}
