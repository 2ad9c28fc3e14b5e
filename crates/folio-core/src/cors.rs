//! Cross-origin requests: which browser origins may call the API, from the
//! `cors_allowed_origins` variable.
//!
//! The variable is read only for requests that carry an `Origin` header, so same-origin traffic
//! pays nothing for it. A value that is not a list of origins is an operator's mistake: those
//! requests answer `503` naming the variable (never a guess at what was meant), and
//! `GET /api/health` reports it.

use url::Url;

use crate::{ConfigError, Host};

/// The variable listing origins allowed to call the API from a browser: comma-separated exact
/// origins (`https://app.example.com`), or `*` for any. Empty (the default): no CORS headers.
pub const VARIABLE: &str = "cors_allowed_origins";

const EXPECTED: &str = "a comma-separated list of origins as browsers send them \
     (scheme://host[:port] with scheme http or https, no path and no wildcard, e.g. \
     https://app.example.com), or * alone for any origin";

/// The origins the variable allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowedOrigins {
    /// Empty: no request gets CORS headers.
    None,
    /// `*`: any origin. Safe because no credentials mode is ever offered: bearer tokens travel
    /// in a header, not in cookies.
    Any,
    /// Exact origins in their ASCII serialization (lower-case scheme and host, no default port).
    Listed(Vec<String>),
}

impl AllowedOrigins {
    /// Parses the variable's value; `None` when an entry is not an origin.
    pub fn parse(text: &str) -> Option<Self> {
        let entries: Vec<&str> = text.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
        if entries.is_empty() {
            return Some(AllowedOrigins::None);
        }
        // `*` beside origins is refused, not read as `*`: whoever listed origins meant to limit
        // them, and one stray `*` would quietly open CORS to every site.
        if entries == ["*"] {
            return Some(AllowedOrigins::Any);
        }
        let listed = entries.iter().map(|entry| origin_of(entry)).collect::<Option<Vec<_>>>()?;
        Some(AllowedOrigins::Listed(listed))
    }

    /// The variable as this component is granted it (undefined or empty: no CORS).
    pub fn from_host(host: &Host) -> Result<Self, ConfigError> {
        let text = host.config.get(VARIABLE)?.unwrap_or_default();
        Self::parse(&text).ok_or_else(|| ConfigError::invalid(VARIABLE, EXPECTED))
    }

    /// The `Access-Control-Allow-Origin` value for a request from `origin`, when allowed.
    pub fn allow(&self, origin: &str) -> Option<String> {
        match self {
            AllowedOrigins::None => None,
            AllowedOrigins::Any => Some("*".to_string()),
            AllowedOrigins::Listed(list) => {
                list.iter().any(|a| a.eq_ignore_ascii_case(origin)).then(|| origin.to_string())
            }
        }
    }
}

/// An entry's origin, when the entry is exactly an http(s) origin as a browser's `Origin`
/// header carries it: a path, query, user name or default port would never match one.
fn origin_of(entry: &str) -> Option<String> {
    let url = Url::parse(entry).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    // `url` takes `*` in a host name, but no browser sends one: `https://*.example.com` would
    // pass and then never match, closing CORS without a word. Only `*` alone means any origin.
    if let Some(url::Host::Domain(name)) = url.host() {
        if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.') {
            return None;
        }
    }
    let origin = url.origin().ascii_serialization();
    // `https://app.example.com/` is how an address bar writes an origin; the slash is no path.
    let entry = entry.strip_suffix('/').unwrap_or(entry);
    origin.eq_ignore_ascii_case(entry).then_some(origin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_origins_and_the_wildcard() {
        assert_eq!(AllowedOrigins::parse(""), Some(AllowedOrigins::None));
        assert_eq!(AllowedOrigins::parse(" , "), Some(AllowedOrigins::None));
        assert_eq!(AllowedOrigins::parse("*"), Some(AllowedOrigins::Any));
        assert_eq!(AllowedOrigins::parse(" * "), Some(AllowedOrigins::Any));
        assert_eq!(AllowedOrigins::parse("https://a.example, *"), None, "* beside origins");
        assert_eq!(AllowedOrigins::parse("*, *"), None);
        let listed = AllowedOrigins::parse(" https://App.Example.com , http://localhost:5173").unwrap();
        assert_eq!(
            listed,
            AllowedOrigins::Listed(vec!["https://app.example.com".into(), "http://localhost:5173".into()])
        );
        assert_eq!(listed.allow("https://app.example.com").as_deref(), Some("https://app.example.com"));
        assert_eq!(listed.allow("http://localhost:5173").as_deref(), Some("http://localhost:5173"));
        assert_eq!(listed.allow("https://evil.example"), None);
        assert_eq!(AllowedOrigins::Any.allow("https://x.example").as_deref(), Some("*"));
        assert_eq!(AllowedOrigins::None.allow("https://x.example"), None);
    }

    #[test]
    fn an_origin_written_with_a_trailing_slash_is_that_origin() {
        assert_eq!(
            AllowedOrigins::parse("https://App.example.com/"),
            Some(AllowedOrigins::Listed(vec!["https://app.example.com".into()]))
        );
    }

    #[test]
    fn refuses_what_is_not_an_origin() {
        for bad in [
            "app.example.com",
            "https://app.example.com//",
            "https://app.example.com/path",
            "https://app.example.com?q=1",
            "https://user@app.example.com",
            "https://app.example.com:443",
            "ftp://files.example.com",
            "https://",
            "null",
            "https://a.example, not an origin",
            "https://*.example.com",
            "https://app*.example.com",
        ] {
            assert_eq!(AllowedOrigins::parse(bad), None, "{bad}");
        }
    }
}
