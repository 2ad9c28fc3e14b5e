//! Typed readers of the app's variables (README, Configuration). Each refuses a value it cannot
//! use with the variable's name and what it must be ([`ConfigError::Invalid`]), which every
//! route answers `503` and `GET /api/health` reports: an operator's mistake is one clear
//! message, never a silent default and never a `500`.

use url::Url;

use crate::{ConfigError, Host};

/// An integer variable with its default and its allowed range, stated once for the component
/// that reads it and for the health check that validates every variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntVariable {
    pub name: &'static str,
    pub default: i64,
    pub min: i64,
    pub max: i64,
}

impl IntVariable {
    /// The value, or the default when undefined or empty.
    pub fn read(&self, host: &Host) -> Result<i64, ConfigError> {
        host.var_int(self.name, self.default, self.min, self.max)
    }
}

/// Both values, or one error naming every bad variable of the two: so a route that reads a
/// group of variables names all its mistakes in one answer.
pub fn both<A, B>(a: Result<A, ConfigError>, b: Result<B, ConfigError>) -> Result<(A, B), ConfigError> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (Err(x), Err(y)) => Err(x.and(y)),
        (Err(e), _) | (_, Err(e)) => Err(e),
    }
}

/// `GET /api/books/{id}`'s read cache: one read miss in N stores a copy (0: off). Read by
/// `books`; validated by the health check in `auth` too.
pub const BOOK_READ_CACHE_FILL_ONE_IN: IntVariable =
    IntVariable { name: "book_read_cache_fill_one_in", default: 8, min: 0, max: 1000 };

/// The most books the catalogue may hold after a generator run (`folio_generator::quota`). Read
/// by `generator`; validated by the health check in `auth` too.
pub const GENERATOR_MAX_BOOKS: IntVariable =
    IntVariable { name: "generator_max_books", default: 2_000_000, min: 0, max: 1_000_000_000 };

/// The most books one account other than an administrator may generate in any hour.
pub const GENERATOR_BOOKS_PER_HOUR: IntVariable =
    IntVariable { name: "generator_books_per_hour", default: 500_000, min: 0, max: 1_000_000_000 };

/// The longest issuer or audience accepted.
pub const MAX_CLAIM_CHARS: usize = 256;

/// A variable that becomes a JWT claim (`token_issuer`, `token_audience`), or `default`. Such a
/// claim is a StringOrURI (RFC 7519 §2): any text, but a value with a `:` must be a URI. Control
/// characters and surrounding spaces are refused too: they would never match what a verifier
/// elsewhere is configured with.
pub fn claim_text(host: &Host, name: &str, default: &str) -> Result<String, ConfigError> {
    let value = host.var_or(name, default)?;
    // An http(s) issuer is also where clients look the app up (RFC 8414 §2, OIDC Discovery):
    // no query or fragment, and no user name or password, which would be published in every
    // token's `iss` and in the discovery document.
    // RFC 3986 characters only (a WHATWG parse alone lets `a:b c` through as an opaque path).
    let uri_ok = !value.contains(':')
        || value.chars().all(|c| c.is_ascii_graphic() && !"\"<>\\^`{|}".contains(c))
            && Url::parse(&value).is_ok_and(|url| {
                !matches!(url.scheme(), "http" | "https")
                    || (url.username().is_empty()
                        && url.password().is_none()
                        && url.query().is_none()
                        && url.fragment().is_none())
            });
    // One value: `a,b` would be one claim that no verifier configured with `a` accepts, while
    // whoever wrote it meant two (the app issues tokens for one audience).
    if value.chars().count() > MAX_CLAIM_CHARS
        || value.chars().any(char::is_control)
        || value.trim() != value
        || value.contains(',')
        || !uri_ok
    {
        return Err(ConfigError::invalid(
            name,
            format!(
                "one name or URI (no comma) of at most {MAX_CLAIM_CHARS} characters without control \
                 characters or surrounding spaces (a value with a colon must be a URI, e.g. \
                 https://auth.example.com, and an http(s) one without user name, query or fragment)"
            ),
        ));
    }
    Ok(value)
}

/// `token_issuer`: a [`claim_text`], and when it is an http(s) URL, the app's own origin as
/// written canonically. Verifiers compare `iss` with the issuer they discovered character by
/// character (OIDC Discovery §4.3, RFC 8414 §3.3), and discovery documents live at the
/// issuer's `/.well-known/openid-configuration`, which the app serves at its root only: so no
/// path, lower case, no default port. A lone trailing `/` is kept as written (some issuers are
/// published that way, and verifiers configured with it must see it in `iss`): discovery drops
/// it before appending the well-known path (OIDC Discovery §4).
pub fn issuer_text(host: &Host, name: &str, default: &str) -> Result<String, ConfigError> {
    canonical_issuer(name, claim_text(host, name, default)?)
}

fn canonical_issuer(name: &str, value: String) -> Result<String, ConfigError> {
    // `localhost:3000` and `books.example.com:443` are URIs to a parser (the scheme `localhost`,
    // the path `3000`), but whoever wrote one meant an origin and forgot its scheme.
    if value
        .split_once(':')
        .is_some_and(|(_, port)| !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(ConfigError::invalid(
            name,
            "an origin with its scheme (e.g. https://books.example.com or http://127.0.0.1:3000), \
             not a host and port"
                .to_string(),
        ));
    }
    let Ok(url) = Url::parse(&value) else { return Ok(value) };
    if !matches!(url.scheme(), "http" | "https") {
        return Ok(value);
    }
    let canonical = url.as_str();
    if url.path() == "/" && (canonical == value || canonical.strip_suffix('/') == Some(value.as_str())) {
        return Ok(value);
    }
    // No part of the refused value is repeated: the answer goes to anyone who asks for health,
    // and a value that never reached a token (an internal host, say) is not public.
    Err(ConfigError::invalid(
        name,
        "an http(s) issuer written as its origin, the way verifiers will compare it: lower case, \
         no default port, no path (e.g. https://books.example.com)"
            .to_string(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issuer(value: &str) -> Result<String, ConfigError> {
        canonical_issuer("token_issuer", value.to_string())
    }

    #[test]
    fn an_http_issuer_is_its_canonical_origin() {
        for good in [
            "folio",
            "urn:example:folio",
            "https://books.example.com",
            "https://books.example.com/",
            "http://127.0.0.1:3000",
        ] {
            assert_eq!(issuer(good).as_deref(), Ok(good), "{good}");
        }
        for bad in [
            "HTTPS://Books.Example.COM",
            "https://books.example.com:443",
            "https://books.example.com/auth",
            "https://books.example.com//",
            "localhost:3000",
            "books.example.com:443",
        ] {
            assert!(issuer(bad).is_err(), "{bad}");
        }
        // The refusal repeats no part of the value: health is public.
        for bad in ["https://internal.example:8443/auth", "HTTPS://Internal.Example:443/x"] {
            let Err(ConfigError::Invalid(list)) = issuer(bad) else { panic!("{bad} accepted") };
            assert!(!list[0].expected.to_lowercase().contains("internal"), "{}", list[0].expected);
        }
    }

    #[test]
    fn both_names_every_bad_variable() {
        let a: Result<i64, ConfigError> = Err(ConfigError::invalid("a", "x"));
        let b: Result<i64, ConfigError> = Err(ConfigError::invalid("b", "y"));
        match both(a, b) {
            Err(ConfigError::Invalid(list)) => {
                assert_eq!(list.iter().map(|v| v.name.as_str()).collect::<Vec<_>>(), ["a", "b"])
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(both::<i64, i64>(Ok(1), Ok(2)), Ok((1, 2)));
        let host_failure =
            both::<i64, i64>(Err(ConfigError::invalid("a", "x")), Err(ConfigError::Provider("down".into())));
        assert_eq!(host_failure, Err(ConfigError::Provider("down".into())));
    }
}
