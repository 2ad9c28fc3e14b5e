//! Turning a request path into the path of a served file, refusing anything that tries to
//! leave the UI's files: `..` and `.` segments, also percent-encoded (`%2e%2e`, `%2f`),
//! backslashes (which some servers treat as separators), NUL and control bytes, and bytes that
//! are not UTF-8. The files are embedded, so there is no file system to escape into; refusing
//! such paths anyway keeps the rule visible and stops them falling back to the SPA's page.

/// The decoded, checked path (always starting with `/`), or `None` when it must be refused.
pub fn clean(raw: &str) -> Option<String> {
    let decoded = percent_decode(raw)?;
    if !decoded.starts_with('/') || decoded.contains('\\') || decoded.chars().any(char::is_control) {
        return None;
    }
    let segments: Vec<&str> = decoded[1..].split('/').collect();
    let last = segments.len() - 1;
    for (i, segment) in segments.iter().enumerate() {
        match *segment {
            "." | ".." => return None,
            // `a//b` is not a path this app makes; only a trailing slash may leave one empty.
            "" if i != last => return None,
            _ => {}
        }
    }
    Some(decoded)
}

fn percent_decode(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let value = u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
            out.push(value);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// True for paths a single-page-app route may have: the last segment has no file extension, and
/// no segment is a hidden name (`/.git/config`, `/.env`): no page of the app lives there, and a
/// scanner's probe gets a `404`, not the app's page that reads as a file found.
pub fn is_page_route(path: &str) -> bool {
    let last = path.rsplit('/').next().unwrap_or("");
    !last.contains('.') && !path.split('/').any(|segment| segment.starts_with('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_names_are_no_page_routes() {
        assert!(is_page_route("/books/abc") && is_page_route("/") && is_page_route("/users"));
        for path in ["/.git/config", "/.env", "/a/.ssh/id", "/.well-known/security"] {
            assert!(!is_page_route(path), "{path}");
        }
    }

    #[test]
    fn decodes_and_keeps_ordinary_paths() {
        assert_eq!(clean("/books/abc").as_deref(), Some("/books/abc"));
        assert_eq!(clean("/a%20b.txt").as_deref(), Some("/a b.txt"));
        assert_eq!(clean("/docs/").as_deref(), Some("/docs/"));
        assert_eq!(clean("/").as_deref(), Some("/"));
    }

    #[test]
    fn refuses_traversal_in_every_spelling() {
        for raw in [
            "/../etc/passwd",
            "/a/../../b",
            "/%2e%2e/etc/passwd",
            "/%2E%2E%2Fetc%2Fpasswd",
            "/..%2f..%2fetc/passwd",
            "/.%2e/x",
            "/assets/..\\..\\x",
            "/assets%5c..%5cx",
            "/./index.html",
            "/a//b",
            "/x%00.html",
            "/%ff",
            "/%zz",
            "/%2",
        ] {
            assert_eq!(clean(raw), None, "{raw}");
        }
    }

    #[test]
    fn page_routes_have_no_extension() {
        assert!(is_page_route("/books/123"));
        assert!(is_page_route("/"));
        assert!(!is_page_route("/app.js"));
        assert!(!is_page_route("/assets/x/chart.umd.min.js"));
    }
}
