//! The `generator` component's handler.

use folio_core::{router::Router, serve::serve, ApiResult, Host, Request, Response};

type Route = fn(&Host, &Request) -> ApiResult;

fn routes() -> Router<Route> {
    Router::new()
}

/// Serves one request.
pub fn handle(host: &Host, req: Request) -> Response {
    serve(host, req, |host, req| {
        let (route, _params) = routes().find(req.method(), req.uri().path())?;
        route(host, req)
    })
}
