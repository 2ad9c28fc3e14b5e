//! `POST /api/auth/token`: the OAuth 2.0 token endpoint (RFC 6749 §4.3 password grant, §6
//! refresh), taking form or JSON bodies.
//!
//! Following RFC 6749 §3.2 rather than the app's JSON conventions: unknown parameters are
//! ignored (OAuth clients send `client_id` and the like), and a malformed request is `400
//! invalid_request`, so OAuth client libraries always find the `error` member they read: every
//! failure, the ones the app's conventions answer (`413`, `415`, `429`, `503`) included.

use std::collections::BTreeMap;

use folio_core::{http_util, migrate, pairing, ApiError, ApiResult, Host, Request, Response};
use http::StatusCode;

use crate::{
    accounts, hashing_slots,
    issue::{self, oauth},
    limiter, password,
    settings::AuthSettings,
};

pub(crate) type Params = BTreeMap<String, String>;

/// Every parameter that the token and revocation endpoints read (RFC 6749 §4.3, §6; RFC 7009
/// §2.1; client credentials, which are refused by name: [`refuse_client_credentials`]).
const PARAMETERS: &[&str] = &[
    "grant_type",
    "username",
    "password",
    "refresh_token",
    "scope",
    "token",
    "token_type_hint",
    "client_id",
    "client_secret",
];

fn invalid_request(description: &str) -> ApiError {
    oauth(StatusCode::BAD_REQUEST, "invalid_request", description)
}

/// The request's parameters from a form or a JSON object of strings; `needed` names them for
/// the answer to a request without a body.
pub(crate) fn params(req: &Request, needed: &str) -> ApiResult<Params> {
    http_util::check_body_framing(req)?;
    let mut out = Params::new();
    match http_util::content_type(req).as_deref() {
        Some(http_util::FORM) => {
            let pairs = http_util::decode_form(req.body()).map_err(|e| invalid_request(&e.to_string()))?;
            for (k, v) in pairs {
                if out.contains_key(&k) {
                    return Err(invalid_request(&format!("the parameter {k} is given more than once")));
                }
                out.insert(k, v);
            }
        }
        Some(http_util::JSON) => {
            let value: serde_json::Value = serde_json::from_slice(req.body())
                .map_err(|_| invalid_request("the body is not valid JSON"))?;
            let serde_json::Value::Object(map) = value else {
                return Err(invalid_request("the body must be a JSON object"));
            };
            // A tree keeps the last of two same-named members; a form's repeat is refused above.
            if let Some(k) = folio_core::unique_members::first_repeated(req.body()) {
                return Err(invalid_request(&format!("the parameter {k} is given more than once")));
            }
            for (k, v) in map {
                match v {
                    serde_json::Value::String(s) => {
                        out.insert(k, s);
                    }
                    serde_json::Value::Null => {}
                    // Unknown members are ignored whatever their type, as a form's unknown
                    // parameters are (RFC 6749 §3.2); one the endpoints read must be a string.
                    _ if !PARAMETERS.contains(&k.as_str()) => {}
                    _ => return Err(invalid_request(&format!("the parameter {k} must be a string"))),
                }
            }
        }
        // No body and so no media type: the parameters are missing (RFC 6749 §5.2), as for every
        // other body route (`http_util::json_body_of`), not a wrong Content-Type.
        None if req.body().is_empty() => {
            return Err(invalid_request(&format!(
                "this request needs a body: {needed}, as application/x-www-form-urlencoded or \
                 application/json"
            )))
        }
        _ => {
            return Err(ApiError::UnsupportedMediaType {
                expected: "application/x-www-form-urlencoded or application/json",
            })
        }
    }
    Ok(out)
}

pub(crate) fn required<'a>(params: &'a Params, name: &str) -> ApiResult<&'a str> {
    params
        .get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| invalid_request(&format!("the parameter {name} is required")))
}

pub fn token(host: &Host, req: &Request) -> ApiResult<Response> {
    // Every failure carries `error`, the 415, 413 and 429 included (ApiError::into_oauth_response),
    // as problem details; as RFC 6749 §5.2's `application/json` for a client that asks for that
    // type by name (OAuth libraries do, and refuse another).
    match grant(host, req) {
        Ok(mut r) => {
            // An error's type follows Accept: no cache may hand one client's answer to another.
            r.headers_mut().append(http::header::VARY, http::HeaderValue::from_static("accept"));
            Ok(r)
        }
        Err(e) => Ok(error_response(req, folio_core::long_write::explain_busy(host, e))),
    }
}

/// A failure of the token endpoint as OAuth clients read it, whatever refused the request (the
/// router's `405` too): `error` in problem details, or RFC 6749 §5.2's `application/json` for a
/// client whose `Accept` names that type, and `Vary: accept`.
pub fn error_response(req: &Request, e: ApiError) -> Response {
    // RFC 6749 §5.2: a client refused for credentials it sent in the Authorization header is told
    // the scheme that header would need.
    let basic = matches!(&e, ApiError::OAuth { error: "invalid_client", status, .. } if *status == StatusCode::UNAUTHORIZED);
    let mut r = e.into_oauth_response();
    if basic {
        r.headers_mut()
            .insert(http::header::WWW_AUTHENTICATE, http::HeaderValue::from_static("Basic realm=\"folio\""));
    }
    if http_util::wants_plain_json(req) {
        r.headers_mut().insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static(http_util::JSON));
    }
    r.headers_mut().append(http::header::VARY, http::HeaderValue::from_static("accept"));
    r
}

/// The token endpoint serves public clients only (discovery: `token_endpoint_auth_methods_supported`
/// is `none`): no client is registered, so a client that proves itself with a secret is one the
/// server does not know, and is refused `invalid_client` (RFC 6749 §5.2) rather than served as
/// if its secret had been checked: `401` with `WWW-Authenticate: Basic` when it came in the
/// `Authorization` header, `400` when in the body (`client_secret`). A client that only names
/// itself is a public client (§3.2.1) and is served: a `client_id`, HTTP Basic with an empty
/// secret (`folio-cli:`, which requests-oauthlib's password flow sends, or `:`, Swagger UI's on
/// /docs: §2.3.1 lets a client whose secret is the empty string send it so), and `client_secret=`
/// with no value (§3.1: a parameter without a value counts as omitted). Other schemes are ignored.
pub(crate) fn refuse_client_credentials(req: &Request, params: &Params) -> ApiResult<()> {
    use base64::{engine::general_purpose::STANDARD, Engine as _};
    let unknown =
        |status| oauth(status, "invalid_client", "no client is registered here: send no client secret");
    for value in req.headers().get_all(http::header::AUTHORIZATION) {
        let text = value.to_str().unwrap_or_default().trim();
        let Some((scheme, credentials)) = text.split_once(' ') else { continue };
        if !scheme.eq_ignore_ascii_case("basic") {
            continue;
        }
        let decoded = STANDARD.decode(credentials.trim()).unwrap_or_default();
        // `id:` with the empty secret names a public client; anything else claims a secret (or
        // is not Basic credentials at all).
        let names_only =
            decoded.iter().position(|b| *b == b':').is_some_and(|colon| colon + 1 == decoded.len());
        if !names_only {
            return Err(unknown(StatusCode::UNAUTHORIZED));
        }
    }
    if params.get("client_secret").is_some_and(|secret| !secret.is_empty()) {
        return Err(unknown(StatusCode::BAD_REQUEST));
    }
    Ok(())
}

fn grant(host: &Host, req: &Request) -> ApiResult<Response> {
    let params = params(req, "grant_type and its parameters")?;
    refuse_client_credentials(req, &params)?;
    let settings = AuthSettings::from_host(host)?;
    migrate::ensure(host.sql)?;
    // Sessions go into the key-value store: not into one that holds another database's.
    pairing::require(host)?;
    let issued = match required(&params, "grant_type")? {
        "password" => password_grant(host, &settings, &params)?,
        "refresh_token" => issue::refresh(
            host,
            &settings,
            required(&params, "refresh_token")?,
            params.get("scope").map(String::as_str),
        )?,
        _ => {
            return Err(oauth(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "grant_type must be password or refresh_token",
            ))
        }
    };
    Ok(super::no_store(http_util::json(StatusCode::OK, &issued.to_json())))
}

/// Unknown e-mail and wrong password get the same answer after the same work: an Argon2
/// verification against a dummy hash stands in for the missing account.
fn password_grant(host: &Host, settings: &AuthSettings, params: &Params) -> ApiResult<issue::Issued> {
    const WRONG: &str = "the e-mail address or the password is wrong";
    let username = required(params, "username")?;
    let password = required(params, "password")?;
    let normalized = accounts::normalize_email(username);
    // A slot before the password is checked, so parallel guesses cannot all slip in (limiter).
    let attempt = limiter::reserve(host, &normalized)?;
    accounts::rekey_addresses(host.sql)?;
    let account = accounts::find_by_email(host.sql, username)?;
    let matches = hashing_slots::with_slot(host, || match &account {
        Some(a) => password::verify(&a.password_hash, password),
        None => {
            password::verify_dummy(password);
            false
        }
    })?;
    let account = match account {
        Some(a) if matches => a,
        other => {
            attempt.failed()?;
            // The client hears one answer for both; the operator's log tells them apart, to see
            // a guessed password on one account from a list of addresses tried.
            let (reason, account) = match &other {
                Some(a) => ("wrong_password", Some(a.id.as_str())),
                None => ("unknown_address", None),
            };
            folio_core::log::emit(serde_json::json!({"level": "info", "event": "sign_in_failed",
                "reason": reason, "account": account, "address_key": limiter::log_key(host, &normalized)}));
            return Err(oauth(StatusCode::BAD_REQUEST, "invalid_grant", WRONG));
        }
    };
    attempt.succeeded()?;
    if account.disabled {
        folio_core::log::emit(serde_json::json!({"level": "info", "event": "sign_in_failed",
            "reason": "disabled", "account": account.id, "address_key": limiter::log_key(host, &normalized)}));
        return Err(oauth(StatusCode::BAD_REQUEST, "invalid_grant", "this account is disabled"));
    }
    let issued = issue::start_session(host, settings, &account, params.get("scope").map(String::as_str))?;
    folio_core::log::emit(
        serde_json::json!({"level": "info", "event": "signed_in", "account": account.id, "session": issued.session_id}),
    );
    Ok(issued)
}
