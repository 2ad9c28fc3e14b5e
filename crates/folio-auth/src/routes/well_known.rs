//! `GET /.well-known/jwks.json` and `GET /.well-known/openid-configuration`.

use folio_core::{guard::scopes, http_util, migrate, ApiError, ApiResult, Host, Request, Response};
use http::{header, StatusCode};
use serde_json::json;
use url::Url;

use folio_tokens::settings::TokenSettings;

use crate::{keys, settings::AuthSettings};

pub fn jwks(host: &Host, _req: &Request) -> ApiResult<Response> {
    let settings = AuthSettings::from_host(host)?;
    migrate::ensure(host.sql)?;
    let keys: Vec<serde_json::Value> =
        keys::published(host, &settings)?.iter().map(keys::PublishedKey::to_jwk).collect();
    // Short caching: verifiers refetch on an unknown `kid` anyway, and rotation must show soon.
    Ok(http_util::with_header(
        http_util::json(StatusCode::OK, &json!({"keys": keys})),
        header::CACHE_CONTROL,
        "public, max-age=60",
    ))
}

/// The origin the client used, for absolute URLs: Spin's `spin-full-url` header (the edge keeps
/// Spin's own and drops one a client sent: `folio_spin::edge`), else `http://` and the `Host`
/// header. Only the origin is kept (scheme, host, port; never a user name or a
/// path), and only an `http` or `https` one.
fn origin(req: &Request) -> Option<Url> {
    let header_text = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    // Spin builds its full URL from the Host header: a Host with a user name in it (`a@b`) would
    // come back as the host `b`, so such a Host gives relative links, whichever header is read.
    if header_text("host").is_some_and(|h| h.contains('@')) {
        return None;
    }
    let from_host = || {
        // A host and port and nothing else (RFC 9110 §7.2): not `evil.example/x`, not `a@b`.
        let host =
            header_text("host").filter(|h| !h.contains('@') && h.parse::<http::uri::Authority>().is_ok())?;
        Url::parse(&format!("http://{host}")).ok()
    };
    let url = header_text("spin-full-url").and_then(|full| Url::parse(full).ok()).or_else(from_host)?;
    // Spin 4.0.2 hands the guest no `Host` header, only this URL, which it builds from the Host
    // the client sent: `Host: a@b` arrives as `http://a@b/...`, a user name and the host `b`.
    if !matches!(url.scheme(), "http" | "https") || !url.username().is_empty() || url.password().is_some() {
        return None;
    }
    // Port 0 is no port a client can connect to (RFC 6335 reserves it): `Host: x:0` names no
    // origin, as a port past 65535 does.
    if url.port() == Some(0) {
        return None;
    }
    Url::parse(&url.origin().ascii_serialization()).ok()
}

/// `path` made absolute on `origin` (RFC 8414 §2: the metadata's endpoints are URLs).
fn link(origin: &Url, path: &str) -> String {
    origin.join(path).map_or_else(|_| path.to_string(), String::from)
}

/// Where the discovery document's links point, and whether that came from the request.
///
/// An issuer that is an `https` (or `http`) URL is the app's public address, declared by the
/// operator (RFC 8414 §2: the endpoints live under it): its origin is the base, whatever the
/// request's `Host` says and whatever scheme Spin's listener has behind a TLS proxy. Otherwise
/// the request's own origin, which a client chooses: that document then differs by `Host` and
/// must not sit in a shared cache.
fn link_base(issuer: &str, req: &Request) -> (Option<Url>, bool) {
    let declared = Url::parse(issuer)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .and_then(|u| Url::parse(&u.origin().ascii_serialization()).ok());
    match declared {
        Some(base) => (Some(base), false),
        None => (origin(req), true),
    }
}

/// `GET /.well-known/openid-configuration` (the contract's) and `GET
/// /.well-known/oauth-authorization-server` (RFC 8414 §3, where strict OAuth 2.0 clients look,
/// oauth4webapi's `oauth2` mode among them): one document. The app is an OAuth 2.0 authorization
/// server rather than an OpenID Provider (it issues no ID token), so both paths serve the same
/// metadata.
pub fn discovery(host: &Host, req: &Request) -> ApiResult<Response> {
    let tokens = TokenSettings::from_host(host)?;
    let (base, from_request) = link_base(&tokens.issuer, req);
    // Links must be absolute (RFC 8414 §2), and a Host that names no origin (`a@b`, port 0 or a
    // port past 65535, a path) gives none to build them on: that request is malformed (RFC 9112
    // §3.2).
    let base = base.ok_or_else(|| {
        ApiError::BadRequest(
            "the request's Host does not name an origin (host and port) to build the document's links on"
                .into(),
        )
    })?;
    let link = |path: &str| link(&base, path);
    let all_scopes = [
        scopes::READ_BOOKS,
        scopes::READ_REPORTS,
        scopes::CREATE_BOOKS,
        scopes::UPDATE_BOOKS,
        scopes::DELETE_BOOKS,
        scopes::GENERATE_BOOKS,
        scopes::ADMIN_USERS,
    ];
    let body = json!({
        "issuer": tokens.issuer,
        "jwks_uri": link("/.well-known/jwks.json"),
        "token_endpoint": link("/api/auth/token"),
        "introspection_endpoint": link("/api/auth/introspect"),
        "revocation_endpoint": link("/api/auth/revoke"),
        "revocation_endpoint_auth_methods_supported": ["none"],
        // No `registration_endpoint`: that names RFC 7591 dynamic *client* registration, and a
        // client that knows it would post client metadata to the account sign-up route.
        "grant_types_supported": ["password", "refresh_token"],
        // Required by RFC 8414 and OIDC Discovery, though response types are an authorization
        // endpoint's and the app has none (its grants go to the token endpoint, and no client
        // can start an implicit flow without `authorization_endpoint`). Not empty: metadata
        // validators (authlib's) refuse an empty list as a missing one.
        "response_types_supported": ["token"],
        "token_endpoint_auth_methods_supported": ["none"],
        // The signing algorithm of the app's tokens, under the only name discovery has for it
        // (the contract's "supported algs"; verifiers read it to pin the algorithm).
        "id_token_signing_alg_values_supported": ["EdDSA"],
        "subject_types_supported": ["public"],
        "scopes_supported": all_scopes,
        "claims_supported": ["iss", "sub", "aud", "iat", "nbf", "exp", "jti", "sid", "email", "role", "scope"],
    });
    let caching = if from_request { "private, max-age=300" } else { "public, max-age=300" };
    Ok(http_util::with_header(http_util::json(StatusCode::OK, &body), header::CACHE_CONTROL, caching))
}
