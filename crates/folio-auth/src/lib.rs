//! The `auth` component's handler: the token service (`/api/auth/...`, `/.well-known/...`),
//! plus the app-wide `/api/health`, `/api/status` and `/api/openapi.json`.

use folio_core::{health, router::Router, serve::serve, ApiResult, Host, Request, Response};
use http::Method;

type Route = fn(&Host, &Request) -> ApiResult;

fn routes() -> Router<Route> {
    Router::new().route(Method::GET, "/api/health", |host, _| Ok(health::health(host)))
}

/// Serves one request.
pub fn handle(host: &Host, req: Request) -> Response {
    serve(host, req, |host, req| {
        let (route, _params) = routes().find(req.method(), req.uri().path())?;
        route(host, req)
    })
}
