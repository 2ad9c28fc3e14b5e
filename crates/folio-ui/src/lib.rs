//! The `ui` component's handler: the web UI's static files, mounted at `/` by `spin.toml`.
//!
//! Paths under `/api/` that reach this component matched no API component's route, so they get
//! the contract's `404` problem+json rather than the UI.

use std::path::{Component, Path, PathBuf};

use folio_core::{serve::serve, ApiError, ApiResult, Host, Request, Response};
use http::{header, Method, StatusCode};

/// Where Spin mounts the `static/` directory inside the component.
pub const MOUNT: &str = "/";

/// Serves one request from the mounted files.
pub fn handle(host: &Host, req: Request) -> Response {
    handle_at(Path::new(MOUNT), host, req)
}

/// Serves one request from the files under `root`.
pub fn handle_at(root: &Path, host: &Host, req: Request) -> Response {
    serve(host, req, |_, req| static_file(root, req))
}

fn static_file(root: &Path, req: &Request) -> ApiResult {
    let path = req.uri().path();
    if path == "/api" || path.starts_with("/api/") {
        return Err(ApiError::NotFound(format!("no API resource at {path}")));
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return Err(ApiError::MethodNotAllowed { allow: vec![Method::GET, Method::HEAD] });
    }
    let relative = safe_relative(path).ok_or_else(|| ApiError::NotFound("no such file".into()))?;
    let candidate = root.join(&relative);
    let (file, bytes) = match std::fs::read(&candidate) {
        Ok(bytes) if candidate.is_file() => (candidate, bytes),
        // Paths without an extension are the single-page app's own routes.
        _ if relative.extension().is_none() => {
            let index = root.join("index.html");
            let bytes =
                std::fs::read(&index).map_err(|_| ApiError::NotFound("the UI is not installed".into()))?;
            (index, bytes)
        }
        _ => return Err(ApiError::NotFound("no such file".into())),
    };
    Ok(http::Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, content_type(&file))
        .body(bytes)
        .expect("valid response"))
}

/// The request path as a relative path inside the root, or `None` if it tries to leave it.
fn safe_relative(path: &str) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for component in Path::new(path.trim_start_matches('/')).components() {
        match component {
            Component::Normal(part) => out.push(part),
            Component::CurDir => {}
            _ => return None,
        }
    }
    if out.as_os_str().is_empty() {
        out.push("index.html");
    }
    Some(out)
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_traversal() {
        assert_eq!(safe_relative("/../etc/passwd"), None);
        assert_eq!(safe_relative("/a/../../b"), None);
        assert_eq!(safe_relative("/"), Some(PathBuf::from("index.html")));
        assert_eq!(safe_relative("/app.js"), Some(PathBuf::from("app.js")));
    }
}
