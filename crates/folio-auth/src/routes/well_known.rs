//! `GET /.well-known/jwks.json` and `GET /.well-known/openid-configuration`.

use folio_core::{guard::scopes, http_util, migrate, ApiResult, Host, Request, Response};
use http::{header, StatusCode};
use serde_json::json;

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

/// The origin the client used, for absolute URLs: Spin's `spin-full-url` header, else `Host`.
fn origin(req: &Request) -> String {
    let header_text = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    if let Some(full) = header_text("spin-full-url") {
        if let Ok(uri) = full.parse::<http::Uri>() {
            if let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) {
                return format!("{scheme}://{authority}");
            }
        }
    }
    match header_text("host").filter(|h| h.parse::<http::uri::Authority>().is_ok()) {
        Some(host) => format!("http://{host}"),
        None => String::new(),
    }
}

pub fn discovery(host: &Host, req: &Request) -> ApiResult<Response> {
    let tokens = TokenSettings::from_host(host)?;
    let base = origin(req);
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
        "jwks_uri": format!("{base}/.well-known/jwks.json"),
        "token_endpoint": format!("{base}/api/auth/token"),
        "introspection_endpoint": format!("{base}/api/auth/introspect"),
        "registration_endpoint": format!("{base}/api/auth/register"),
        "grant_types_supported": ["password", "refresh_token"],
        "response_types_supported": ["token"],
        "token_endpoint_auth_methods_supported": ["none"],
        "id_token_signing_alg_values_supported": ["EdDSA"],
        "subject_types_supported": ["public"],
        "scopes_supported": all_scopes,
        "claims_supported": ["iss", "sub", "aud", "iat", "nbf", "exp", "jti", "sid", "email", "role", "scope"],
    });
    Ok(http_util::with_header(
        http_util::json(StatusCode::OK, &body),
        header::CACHE_CONTROL,
        "public, max-age=300",
    ))
}
