//! Spin's HTTP routing: exact routes, `/...` trailing wildcards and `:name` segments.
//!
//! Precedence follows Spin's router: an exact route beats any wildcard, a longer matching
//! prefix beats a shorter one, and a literal segment beats a `:name` segment. The strings
//! that end up in the `spin-*` request headers (`based_route`, `raw_route`, `path_info`) are
//! computed the way Spin computes them, including its treatment of trailing slashes.

#[derive(Debug, Clone, PartialEq)]
enum Segment {
    Literal(String),
    Named(String),
}

#[derive(Debug, Clone)]
struct Route {
    /// The route as written in the manifest.
    raw: String,
    /// The route joined to the application base ("/"), without a trailing slash.
    based: String,
    component: String,
    segments: Vec<Segment>,
    trailing_wildcard: bool,
}

/// The outcome of routing one request path.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteMatch {
    pub component: String,
    /// `spin-matched-route`: the route combined with the base.
    pub based_route: String,
    /// `spin-raw-component-route`: the route as written in the manifest.
    pub raw_route: String,
    /// `spin-component-route`: the raw route without its `/...` suffix.
    pub component_route: String,
    /// `spin-path-info`: the part of the path matched by the trailing wildcard.
    pub path_info: String,
    /// Values of `:name` segments, for `spin-path-match-<name>` headers.
    pub named: Vec<(String, String)>,
}

#[derive(Debug, Clone, Default)]
pub struct Router {
    routes: Vec<Route>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum RouteError {
    #[error("route {route:?} of component {component:?}: `...` is only allowed as the last segment")]
    MisplacedWildcard { route: String, component: String },
}

impl Router {
    /// Builds the routing table. A route declared twice keeps the last component, as Spin
    /// does; the duplicates are returned so the caller can warn about them.
    pub fn build<'a>(
        routes: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<(Self, Vec<String>), RouteError> {
        let mut table: Vec<Route> = Vec::new();
        let mut duplicates = Vec::new();
        for (raw, component) in routes {
            let route = parse(raw, component)?;
            if let Some(existing) = table.iter_mut().find(|r| r.raw == route.raw) {
                duplicates.push(format!(
                    "route {:?} is declared for both {:?} and {:?}; {:?} serves it",
                    route.raw, existing.component, route.component, route.component
                ));
                *existing = route;
            } else {
                table.push(route);
            }
        }
        Ok((Self { routes: table }, duplicates))
    }

    /// Finds the component for a request path (without the query string).
    pub fn route(&self, path: &str) -> Option<RouteMatch> {
        let path_segments = split_path(path);
        self.routes
            .iter()
            .filter_map(|route| {
                let named = matches(route, &path_segments)?;
                Some((route, named))
            })
            .max_by(|(a, _), (b, _)| specificity(a).cmp(&specificity(b)))
            .map(|(route, named)| RouteMatch {
                component: route.component.clone(),
                based_route: route.based.clone(),
                raw_route: route.raw.clone(),
                component_route: route.raw.strip_suffix("/...").unwrap_or(&route.raw).to_owned(),
                path_info: path_info(route, &path_segments, path),
                named,
            })
    }
}

fn parse(raw: &str, component: &str) -> Result<Route, RouteError> {
    // Spin joins the route to the base "/" and drops one trailing slash from each part.
    let absolute = if raw.starts_with('/') { raw.to_owned() } else { format!("/{raw}") };
    let based = absolute.strip_suffix('/').unwrap_or(&absolute).to_owned();
    let (prefix, trailing_wildcard) = match based.strip_suffix("/...") {
        Some(prefix) => (prefix, true),
        None if based == "..." => ("", true),
        None => (based.as_str(), false),
    };
    let mut segments = Vec::new();
    for part in split_path(prefix) {
        if part == "..." {
            return Err(RouteError::MisplacedWildcard {
                route: raw.to_owned(),
                component: component.to_owned(),
            });
        }
        segments.push(match part.strip_prefix(':') {
            Some(name) => Segment::Named(name.to_owned()),
            None => Segment::Literal(part.to_owned()),
        });
    }
    Ok(Route { raw: raw.to_owned(), based, component: component.to_owned(), segments, trailing_wildcard })
}

/// Path segments without the leading slash; a trailing slash does not add a segment.
fn split_path(path: &str) -> Vec<&str> {
    let trimmed = path.trim_start_matches('/');
    let trimmed = trimmed.strip_suffix('/').unwrap_or(trimmed);
    if trimmed.is_empty() {
        Vec::new()
    } else {
        trimmed.split('/').collect()
    }
}

/// Returns the captured `:name` values when `route` matches the path.
fn matches(route: &Route, path: &[&str]) -> Option<Vec<(String, String)>> {
    let fits = if route.trailing_wildcard {
        path.len() >= route.segments.len()
    } else {
        path.len() == route.segments.len()
    };
    if !fits {
        return None;
    }
    let mut named = Vec::new();
    for (segment, actual) in route.segments.iter().zip(path) {
        match segment {
            Segment::Literal(literal) if literal == actual => {}
            Segment::Literal(_) => return None,
            Segment::Named(name) => named.push((name.clone(), (*actual).to_owned())),
        }
    }
    Some(named)
}

/// Ranks matching routes: per segment a literal (3) beats a `:name` (2) beats the wildcard
/// (1); an exact route ends with 4 so it beats a wildcard over the same prefix. Compared
/// lexicographically, a longer literal prefix wins.
fn specificity(route: &Route) -> Vec<u8> {
    let mut rank: Vec<u8> = route
        .segments
        .iter()
        .map(|s| match s {
            Segment::Literal(_) => 3,
            Segment::Named(_) => 2,
        })
        .collect();
    rank.push(if route.trailing_wildcard { 1 } else { 4 });
    rank
}

/// Spin's `spin-path-info`: the wildcard part, with a leading slash, keeping a trailing slash.
fn path_info(route: &Route, path_segments: &[&str], path: &str) -> String {
    if !route.trailing_wildcard {
        return String::new();
    }
    let rest = path_segments[route.segments.len()..].join("/");
    match (rest.is_empty(), path.ends_with('/')) {
        (true, false) => String::new(),
        (true, true) => "/".to_owned(),
        (false, false) => format!("/{rest}"),
        (false, true) => format!("/{rest}/"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router(routes: &[(&str, &str)]) -> Router {
        Router::build(routes.iter().copied()).unwrap().0
    }

    fn component(r: &Router, path: &str) -> Option<String> {
        r.route(path).map(|m| m.component)
    }

    #[test]
    fn exact_routes_match_only_their_path() {
        let r = router(&[("/foo", "foo"), ("/foo/bar", "foobar")]);
        assert_eq!(component(&r, "/foo").as_deref(), Some("foo"));
        assert_eq!(component(&r, "/foo/bar").as_deref(), Some("foobar"));
        assert_eq!(component(&r, "/foo/baz"), None);
        assert_eq!(component(&r, "/"), None);
    }

    #[test]
    fn wildcard_matches_prefix_and_itself() {
        let r = router(&[("/api/...", "api")]);
        assert_eq!(component(&r, "/api").as_deref(), Some("api"));
        assert_eq!(component(&r, "/api/").as_deref(), Some("api"));
        assert_eq!(component(&r, "/api/books/1").as_deref(), Some("api"));
        assert_eq!(component(&r, "/apix"), None);
    }

    #[test]
    fn longest_prefix_wins_regardless_of_order() {
        for routes in [
            vec![("/one/...", "1"), ("/one/two/...", "2"), ("/one/two/three/...", "3")],
            vec![("/one/two/three/...", "3"), ("/one/two/...", "2"), ("/one/...", "1")],
        ] {
            let r = router(&routes);
            assert_eq!(component(&r, "/one/two/three/four").as_deref(), Some("3"));
            assert_eq!(component(&r, "/one/two/x").as_deref(), Some("2"));
            assert_eq!(component(&r, "/one").as_deref(), Some("1"));
        }
    }

    #[test]
    fn exact_beats_wildcard_and_root_wildcard_catches_the_rest() {
        let r = router(&[("/...", "ui"), ("/api/health", "health"), ("/api/...", "api")]);
        assert_eq!(component(&r, "/api/health").as_deref(), Some("health"));
        assert_eq!(component(&r, "/api/other").as_deref(), Some("api"));
        assert_eq!(component(&r, "/").as_deref(), Some("ui"));
        assert_eq!(component(&r, "/index.html").as_deref(), Some("ui"));

        let r = router(&[("/", "root"), ("/...", "all")]);
        assert_eq!(component(&r, "/").as_deref(), Some("root"));
        assert_eq!(component(&r, "/x").as_deref(), Some("all"));
    }

    #[test]
    fn named_segments_capture_and_lose_to_literals() {
        let r = router(&[("/users/:id", "user"), ("/users/me", "me")]);
        let m = r.route("/users/42").unwrap();
        assert_eq!(m.component, "user");
        assert_eq!(m.named, vec![("id".to_owned(), "42".to_owned())]);
        assert_eq!(component(&r, "/users/me").as_deref(), Some("me"));
    }

    #[test]
    fn header_values_follow_spin() {
        let r = router(&[("/foo/...", "foo"), ("/exact", "exact"), ("/...", "all")]);
        let m = r.route("/foo/bar").unwrap();
        assert_eq!(m.based_route, "/foo/...");
        assert_eq!(m.raw_route, "/foo/...");
        assert_eq!(m.component_route, "/foo");
        assert_eq!(m.path_info, "/bar");
        assert_eq!(r.route("/foo").unwrap().path_info, "");
        assert_eq!(r.route("/foo/").unwrap().path_info, "/");
        assert_eq!(r.route("/foo/a/b/").unwrap().path_info, "/a/b/");
        let m = r.route("/exact").unwrap();
        assert_eq!((m.path_info.as_str(), m.component_route.as_str()), ("", "/exact"));
        let m = r.route("/x/y").unwrap();
        assert_eq!((m.component_route.as_str(), m.path_info.as_str()), ("", "/x/y"));
    }

    #[test]
    fn duplicates_keep_the_last_and_are_reported() {
        let (r, dups) = Router::build([("/a", "first"), ("/a", "second")]).unwrap();
        assert_eq!(component(&r, "/a").as_deref(), Some("second"));
        assert_eq!(dups.len(), 1);
    }

    #[test]
    fn misplaced_wildcard_is_an_error() {
        assert!(Router::build([("/a/.../b", "c")]).is_err());
    }
}
