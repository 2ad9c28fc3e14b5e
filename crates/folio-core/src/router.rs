//! Path + method routing with the contract's 404 and 405 rules.
//!
//! Paths are matched with `matchit` (the router behind axum). A path that matches no pattern
//! gets `404`; a pattern that matches with another method gets `405` with `Allow`. `HEAD` is
//! served by the `GET` handler (the serving layer drops the body).

use http::Method;

use crate::ApiError;

/// Parameters captured from the path, e.g. `{id}`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(Vec<(String, String)>);

impl Params {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// A routing table from `(method, path pattern)` to handlers of type `H`.
pub struct Router<H> {
    inner: matchit::Router<usize>,
    patterns: Vec<String>,
    entries: Vec<Vec<(Method, H)>>,
}

impl<H> Default for Router<H> {
    fn default() -> Self {
        Self { inner: matchit::Router::new(), patterns: Vec::new(), entries: Vec::new() }
    }
}

impl<H: Copy> Router<H> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a route. Patterns use `{name}` for one segment. Panics on an invalid or conflicting
    /// pattern: routes are static program text, so that is a programming error found by tests.
    pub fn route(mut self, method: Method, pattern: &str, handler: H) -> Self {
        let index = match self.patterns.iter().position(|p| p == pattern) {
            Some(index) => index,
            None => {
                let index = self.entries.len();
                self.inner.insert(pattern, index).unwrap_or_else(|e| panic!("route {pattern}: {e}"));
                self.patterns.push(pattern.to_string());
                self.entries.push(Vec::new());
                index
            }
        };
        self.entries[index].push((method, handler));
        self
    }

    /// Finds the handler for a request, or the `404`/`405` error the contract asks for.
    pub fn find(&self, method: &Method, path: &str) -> Result<(H, Params), ApiError> {
        let matched = self.inner.at(path).map_err(|_| {
            ApiError::NotFound(format!(
                "no resource at {}",
                crate::text::at_most_chars(path, crate::text::ECHOED_PATH_CHARS)
            ))
        })?;
        let handlers = &self.entries[*matched.value];
        let lookup = if method == Method::HEAD { &Method::GET } else { method };
        let params = Params(matched.params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect());
        match handlers.iter().find(|(m, _)| m == lookup) {
            Some((_, h)) => Ok((*h, params)),
            None => Err(ApiError::MethodNotAllowed { allow: allowed(handlers) }),
        }
    }

    /// Every `(method, pattern)` this router serves, e.g. to check the OpenAPI document.
    pub fn routes(&self) -> Vec<(Method, String)> {
        self.patterns
            .iter()
            .zip(&self.entries)
            .flat_map(|(p, handlers)| handlers.iter().map(move |(m, _)| (m.clone(), p.clone())))
            .collect()
    }

    /// The methods a path supports, e.g. for `OPTIONS`; empty when the path is unknown.
    pub fn allowed_methods(&self, path: &str) -> Vec<Method> {
        self.inner.at(path).map(|m| allowed(&self.entries[*m.value])).unwrap_or_default()
    }
}

fn allowed<H>(handlers: &[(Method, H)]) -> Vec<Method> {
    let mut allow: Vec<Method> = handlers.iter().map(|(m, _)| m.clone()).collect();
    if allow.contains(&Method::GET) && !allow.contains(&Method::HEAD) {
        allow.push(Method::HEAD);
    }
    allow
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router() -> Router<u8> {
        Router::new()
            .route(Method::GET, "/api/books", 1)
            .route(Method::POST, "/api/books", 2)
            .route(Method::GET, "/api/books/{id}", 3)
            .route(Method::DELETE, "/api/books/{id}", 4)
    }

    #[test]
    fn finds_handler_and_params() {
        let r = router();
        assert_eq!(r.find(&Method::POST, "/api/books").unwrap().0, 2);
        let (h, p) = r.find(&Method::DELETE, "/api/books/abc").unwrap();
        assert_eq!(h, 4);
        assert_eq!(p.get("id"), Some("abc"));
    }

    #[test]
    fn lists_its_routes() {
        let routes = router().routes();
        assert_eq!(routes.len(), 4);
        assert!(routes.contains(&(Method::DELETE, "/api/books/{id}".to_string())));
    }

    #[test]
    fn head_uses_get() {
        assert_eq!(router().find(&Method::HEAD, "/api/books/x").unwrap().0, 3);
    }

    #[test]
    fn unknown_path_is_404_and_wrong_method_is_405_with_allow() {
        let r = router();
        assert!(matches!(r.find(&Method::GET, "/api/nope"), Err(ApiError::NotFound(_))));
        assert!(matches!(r.find(&Method::GET, "/api/books/a/b"), Err(ApiError::NotFound(_))));
        match r.find(&Method::PATCH, "/api/books") {
            Err(ApiError::MethodNotAllowed { allow }) => {
                assert_eq!(allow, vec![Method::GET, Method::POST, Method::HEAD])
            }
            other => panic!("{other:?}"),
        }
    }
}
