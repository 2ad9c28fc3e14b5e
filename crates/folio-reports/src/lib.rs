//! The `reports` component's handler: aggregates over the catalogue (`/api/reports/...`),
//! computed in SQL, cached in the key-value store under the catalogue's data version, served as
//! JSON or CSV with entity tags. See docs/reports.md.

pub mod cache;
pub mod catalogue;
pub mod compute;
pub mod params;
pub mod render;

use folio_core::{
    catalog,
    guard::{self, scopes, Authenticator},
    http_util::{self, Query},
    pairing,
    router::Router,
    serve::serve,
    ApiResult, Host, Request, Response,
};
use http::{Method, StatusCode};
use serde_json::json;

use catalogue::Report;
use params::{Format, ReportParams};

/// What a path names: the list of reports, or one report.
#[derive(Debug, Clone, Copy)]
enum Endpoint {
    List,
    Report(Report),
}

/// Every route this component serves (checked against the OpenAPI document by the tests).
pub fn served_routes() -> Vec<(http::Method, String)> {
    routes().routes()
}

fn routes() -> Router<Endpoint> {
    let mut router = Router::new().route(Method::GET, "/api/reports", Endpoint::List);
    for report in Report::ALL {
        router =
            router.route(Method::GET, &format!("/api/reports/{}", report.name()), Endpoint::Report(report));
    }
    router
}

/// Serves one request, verifying tokens with the shared token service.
pub fn handle(host: &Host, req: Request) -> Response {
    handle_with(folio_tokens::authenticator(), host, req)
}

/// Serves one request with the given authenticator (tests pass a fake one).
pub fn handle_with(auth: &dyn Authenticator, host: &Host, req: Request) -> Response {
    serve(host, req, |host, req| {
        let (endpoint, _params) = routes().find(req.method(), req.uri().path())?;
        // A report's parameters are parsed once, before the token check, so that its cache slot
        // can join the batch read; a parsing error is answered after the check, as always.
        let report = match endpoint {
            Endpoint::List => None,
            Endpoint::Report(report) => Some((report, params::parse(req, report))),
        };
        if let Some((_, parsed)) = &report {
            read_ahead(auth, host, req, parsed.as_ref().ok());
        }
        guard::authorize(auth, host, req, scopes::READ_REPORTS)?;
        match report {
            None => list(req),
            Some((report, parsed)) => report_response(host, req, report, parsed?),
        }
    })
}

/// Reads the caller's session, the data version and this report's cache slot in one key-value
/// round trip: all a cached answer needs. Parameters that do not parse name no slot.
fn read_ahead(auth: &dyn Authenticator, host: &Host, req: &Request, parsed: Option<&(ReportParams, Format)>) {
    let slot = parsed.map(|(params, _)| cache::slot_key(&params.canonical()));
    let mut keys = vec![catalog::DATA_VERSION_KEY];
    keys.extend(slot.as_deref());
    guard::read_ahead(auth, host, req, &keys);
}

/// `GET /api/reports`: the reports this component serves.
fn list(req: &Request) -> ApiResult {
    Query::from_request(req).only(&[])?;
    let items: Vec<_> = Report::ALL
        .iter()
        .map(|r| json!({"name": r.name(), "title": r.title(), "description": r.description()}))
        .collect();
    Ok(http_util::json(StatusCode::OK, &json!({ "items": items })))
}

/// `GET /api/reports/{name}`: validate, answer 304 when the client's copy is current, else
/// serve from the cache or compute and cache.
fn report_response(
    host: &Host,
    req: &Request,
    report: Report,
    (params, format): (ReportParams, Format),
) -> ApiResult {
    let canonical = params.canonical();

    // The version is read before computing: a write that lands while we compute sets a newer
    // version, so what we cache here is never served as that newer state.
    let Some(version) = catalog::current(host) else {
        // No version vouches for the data (a write is committing, or the store fails): a cached
        // copy may be old, so compute, and tell clients not to keep the answer. With no tag to
        // compare, an If-Match naming one cannot hold (RFC 9110 §13.1.1; a lone `*` does).
        if http_util::if_match_fails(req, "") {
            return Err(folio_core::ApiError::PreconditionFailed(
                "If-Match names a state of this report, and none is current now".into(),
            ));
        }
        pairing::ensure_schema_for_token(host)?;
        let data = compute::compute(host, &params)?;
        let mut response = render::report(&data, format, report.name())?;
        render::add_caching_headers(&mut response, None);
        return Ok(response);
    };
    let etag = render::etag(&canonical, &version, format);
    if http_util::if_match_fails(req, &etag) {
        return Err(folio_core::ApiError::PreconditionFailed(
            "If-Match names another state of this report".into(),
        ));
    }
    if http_util::if_none_match(req, &etag) {
        let mut response = http_util::not_modified(&etag);
        render::add_caching_headers(&mut response, Some(&etag));
        return Ok(response);
    }
    let (data, tagged) = match cache::get(host, &canonical, &version) {
        Some(data) => (data, true),
        None => {
            // Only computing needs the database: a cached answer or a 304 opens no connection.
            pairing::ensure_schema_for_token(host)?;
            let data = compute::compute(host, &params)?;
            // A write that committed while this computed is in the figures, and the version read
            // before names the state without it: that tag would name two bodies (one strong
            // ETag, two representations). Such an answer goes out untagged and uncached, as
            // when no version vouches for the data.
            let tagged = catalog::still_current(host, &version);
            if tagged {
                cache::put(host, &canonical, &version, &data);
            }
            (data, tagged)
        }
    };
    let mut response = render::report(&data, format, report.name())?;
    render::add_caching_headers(&mut response, tagged.then_some(etag.as_str()));
    Ok(response)
}
