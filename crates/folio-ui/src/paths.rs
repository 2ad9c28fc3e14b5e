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

/// The pages of the app: `routes` in `static/assets/app/main.js`, with `/` (which sends a visitor
/// to the catalogue or to sign-in) and `*` for one path segment. The app's `index.html` is served
/// at these whatever their last segment holds (`/books/a.js` is a book's address, not a missing
/// script); elsewhere only at an address that names no file type (a native test checks that this
/// list and main.js agree).
pub const APP_PAGES: &[&str] = &[
    "/",
    "/signin",
    "/register",
    "/books",
    "/books/new",
    "/books/*",
    "/generator",
    "/reports",
    "/account",
    "/users",
];

/// True for an address of one of [`APP_PAGES`] (a trailing slash is ignored, as the app ignores
/// it). A segment may hold a dot (`/books/a.b` is a book's address, whatever its id), but not
/// start with one.
pub fn is_app_page(path: &str) -> bool {
    let path = match path.trim_end_matches('/') {
        "" => "/",
        trimmed => trimmed,
    };
    APP_PAGES.iter().any(|pattern| {
        let wanted: Vec<&str> = pattern.split('/').collect();
        let given: Vec<&str> = path.split('/').collect();
        wanted.len() == given.len()
            && wanted.iter().zip(&given).all(|(w, g)| w == g || (*w == "*" && !g.is_empty()))
    })
}

/// True when a segment is a hidden name (`/.git/config`, `/.env`): no page of the app lives
/// there, and a scanner's probe gets a `404` problem, not the app's page that reads as a file
/// found.
pub fn has_hidden_segment(path: &str) -> bool {
    path.split('/').any(|segment| segment.starts_with('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_names_are_found() {
        for path in ["/.git/config", "/.env", "/a/.ssh/id", "/.well-known/security", "/books/.env"] {
            assert!(has_hidden_segment(path), "{path}");
        }
        assert!(!has_hidden_segment("/books/a.b") && !has_hidden_segment("/"));
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
    fn app_pages_are_the_routes_of_the_app_dots_included() {
        for path in
            ["/", "/books", "/books/", "/books/new", "/books/abc", "/books/a.b", "/books/a.js", "/users"]
        {
            assert!(is_app_page(path), "{path}");
        }
        for path in ["/nope", "/books/a/b", "/reports/genres", "/signin/x", "/book", "/app.js", "/booksx"] {
            assert!(!is_app_page(path), "{path}");
        }
    }
}
