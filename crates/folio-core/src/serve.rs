//! The one entry every component's handler goes through: errors become problem+json and `HEAD`
//! answers carry headers without a body. Cross-cutting request concerns belong here, once.

use crate::{ApiResult, Host, Request, Response};

/// Runs `handler` for `req` and applies the conventions every route shares.
pub fn serve(host: &Host, req: Request, handler: impl FnOnce(&Host, &Request) -> ApiResult) -> Response {
    let is_head = req.method() == http::Method::HEAD;
    let mut response = handler(host, &req).unwrap_or_else(|e| e.into_response());
    if is_head {
        response.body_mut().clear();
    }
    response
}
