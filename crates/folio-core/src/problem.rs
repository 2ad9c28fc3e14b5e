//! RFC 9457 problem details: the one error type of the HTTP boundary.
//!
//! Every handler returns `Result<Response, ApiError>`; [`ApiError::into_response`] is the only
//! place where errors become bytes, so no route can leak a stack trace, SQL text or a secret:
//! internal causes are written to the log (stderr, which Spin collects) and the client gets a
//! generic detail.

use http::{header, HeaderValue, Method, StatusCode};
use serde::Serialize;

use crate::{
    ports::{BadVariable, ConfigError, KvError},
    sql::SqlError,
    Response,
};

pub const PROBLEM_JSON: &str = "application/problem+json";

/// One failed validation rule: which field, and why, in words a client can show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
    /// How many fields this entry speaks for: 1, or more for an entry that sums up those not
    /// listed one by one ("and 5 more unknown parameters"), so the detail counts them all.
    #[serde(skip)]
    stands_for: usize,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into(), stands_for: 1 }
    }

    /// One entry for `count` fields that are not listed one by one.
    pub fn summing_up(field: impl Into<String>, count: usize, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into(), stands_for: count }
    }
}

/// Why a bearer token was refused; becomes the `WWW-Authenticate` challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Challenge {
    /// No credentials were sent: plain `Bearer`.
    Missing,
    /// Credentials were sent and are not acceptable: `error="invalid_token"`.
    InvalidToken,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("unauthorized: {detail}")]
    Unauthorized { challenge: Challenge, detail: String },
    #[error("insufficient scope: {scope}")]
    InsufficientScope { scope: String },
    /// A password asked for again (to change it, to leave) was wrong. `401` as the contract
    /// says, but with a problem type of its own and a challenge without `invalid_token`: the
    /// bearer token was fine, so clients must not drop it or refresh it.
    #[error("wrong password")]
    WrongPassword,
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("method not allowed")]
    MethodNotAllowed { allow: Vec<Method> },
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("precondition failed: {0}")]
    PreconditionFailed(String),
    #[error("payload too large")]
    PayloadTooLarge { limit: usize },
    #[error("unsupported media type")]
    UnsupportedMediaType { expected: &'static str },
    /// A body sent with a content coding (`Content-Encoding: gzip`): no route takes one
    /// (RFC 7694 §3: `415` with `Accept-Encoding`).
    #[error("unsupported content coding")]
    UnsupportedContentCoding,
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64, detail: String },
    /// An OAuth 2.0 token-endpoint error (RFC 6749 §5.2): problem details carrying the `error`
    /// member that OAuth clients read.
    #[error("oauth error {error}")]
    OAuth { status: StatusCode, error: &'static str, description: String },
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// The database stayed locked by another writer past the request's lock budget: `503` with
    /// `Retry-After`, since the same request will succeed once the write commits. How long to
    /// wait is known when the writer is a generator run that announced itself
    /// ([`crate::long_write::explain_busy`]); else a few seconds.
    #[error("database busy: {detail}")]
    Busy { detail: String, retry_after_secs: u64 },
    /// A store the request needs could not be reached (libSQL's server, Redis): `503` with
    /// `Retry-After`, the same `unavailable` problem type as a busy database. `store` is what
    /// the client is told ("database", "key-value store"); `cause`, the host's error with what
    /// the app was doing, may name hosts or files and goes to the log only.
    #[error("{store} unavailable: {cause:#}")]
    StoreUnavailable { store: &'static str, cause: anyhow::Error },
    /// Variables the operator set to values the app refuses: `503` naming each variable and
    /// what it must be, never its value. Not worth a quick retry, so no `Retry-After`.
    #[error("misconfigured")]
    Misconfigured(Vec<BadVariable>),
    /// The stores the deployment was given cannot serve it, whatever the variables say: the
    /// key-value store names another database ([`crate::pairing::FOREIGN_DETAIL`]), or the
    /// database is in memory, a new one per request ([`crate::migrate::NOT_PERSISTENT_DETAIL`]).
    /// `503` `misconfigured` with this detail, no variable to name, and no `Retry-After`.
    #[error("misconfigured stores: {0}")]
    StoresMisconfigured(&'static str),
    /// A failure of ours or of the host: the error with the context each layer added as it
    /// crossed the host boundary (`anyhow`), logged as one chain, never sent.
    #[error("internal error: {0:#}")]
    Internal(anyhow::Error),
}

/// `detail` in the characters RFC 6749 §5.2 allows in `error_description` (`%x20-21 / %x23-5B /
/// %x5D-7E`): typographic marks become their ASCII look-alikes, anything else a `?`. OAuth client
/// libraries may show or parse it; the problem's `detail` keeps the words as written.
pub fn oauth_description(detail: &str) -> String {
    let mut out = String::with_capacity(detail.len());
    for c in detail.chars() {
        match c {
            ' ' | '!' | '#'..='[' | ']'..='~' => out.push(c),
            '"' | '\u{2018}' | '\u{2019}' | '\u{201c}' | '\u{201d}' => out.push('\''),
            '\\' => out.push('/'),
            '\u{2013}' | '\u{2014}' | '\u{2212}' => out.push('-'),
            '\u{2026}' => out.push_str("..."),
            '\u{a7}' => out.push_str("section "),
            c if c.is_whitespace() || c.is_control() => out.push(' '),
            _ => out.push('?'),
        }
    }
    out
}

/// The status's reason phrase as RFC 9110 §15 names it: the `http` crate still has RFC 7231's
/// "Payload Too Large" and "Unprocessable Entity".
pub fn reason_phrase(status: StatusCode) -> &'static str {
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => "Content Too Large",
        StatusCode::UNPROCESSABLE_ENTITY => "Unprocessable Content",
        other => other.canonical_reason().unwrap_or("Error"),
    }
}

/// What a `503` asks the client to wait: the locks it reports last seconds, not minutes.
pub const UNAVAILABLE_RETRY_AFTER_SECS: u64 = 2;

impl ApiError {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::Validation(vec![FieldError::new(field, message)])
    }

    /// The database stayed locked by another writer past SQLite's busy timeout: `503` with
    /// `Retry-After`, since the same request will succeed once the write commits.
    pub fn busy() -> Self {
        ApiError::Busy {
            detail: "the database is busy with another write; retry shortly".into(),
            retry_after_secs: UNAVAILABLE_RETRY_AFTER_SECS,
        }
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        ApiError::Unauthorized { challenge: Challenge::InvalidToken, detail: detail.into() }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized { .. } | ApiError::WrongPassword => StatusCode::UNAUTHORIZED,
            ApiError::InsufficientScope { .. } | ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType { .. } | ApiError::UnsupportedContentCoding => {
                StatusCode::UNSUPPORTED_MEDIA_TYPE
            }
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::OAuth { status, .. } => *status,
            ApiError::Unavailable(_)
            | ApiError::Busy { .. }
            | ApiError::StoreUnavailable { .. }
            | ApiError::Misconfigured(_)
            | ApiError::StoresMisconfigured(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The problem `type`: a stable, documented identifier per kind of error.
    fn type_uri(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "/docs/problems#bad-request",
            ApiError::Unauthorized { .. } => "/docs/problems#unauthorized",
            ApiError::WrongPassword => "/docs/problems#wrong-password",
            ApiError::InsufficientScope { .. } => "/docs/problems#insufficient-scope",
            ApiError::Forbidden(_) => "/docs/problems#forbidden",
            ApiError::NotFound(_) => "/docs/problems#not-found",
            ApiError::MethodNotAllowed { .. } => "/docs/problems#method-not-allowed",
            ApiError::Conflict(_) => "/docs/problems#conflict",
            ApiError::PreconditionFailed(_) => "/docs/problems#precondition-failed",
            ApiError::PayloadTooLarge { .. } => "/docs/problems#payload-too-large",
            ApiError::UnsupportedMediaType { .. } | ApiError::UnsupportedContentCoding => {
                "/docs/problems#unsupported-media-type"
            }
            ApiError::Validation(_) => "/docs/problems#validation",
            ApiError::TooManyRequests { .. } => "/docs/problems#too-many-requests",
            ApiError::OAuth { .. } => "/docs/problems#oauth",
            ApiError::Unavailable(_) | ApiError::Busy { .. } | ApiError::StoreUnavailable { .. } => {
                "/docs/problems#unavailable"
            }
            ApiError::Misconfigured(_) | ApiError::StoresMisconfigured(_) => "/docs/problems#misconfigured",
            ApiError::Internal(_) => "/docs/problems#internal",
        }
    }

    fn detail(&self) -> String {
        match self {
            ApiError::BadRequest(d)
            | ApiError::Forbidden(d)
            | ApiError::NotFound(d)
            | ApiError::Conflict(d)
            | ApiError::PreconditionFailed(d)
            | ApiError::Unavailable(d)
            | ApiError::Busy { detail: d, .. } => d.clone(),
            ApiError::Unauthorized { detail, .. } => detail.clone(),
            ApiError::TooManyRequests { detail, .. } => detail.clone(),
            ApiError::InsufficientScope { scope } => format!("this request needs the scope {scope}"),
            ApiError::WrongPassword => "the current password is wrong".to_string(),
            ApiError::MethodNotAllowed { allow } => format!("this resource supports {}", allow_value(allow)),
            ApiError::PayloadTooLarge { limit } => {
                format!("the request body is larger than {} KiB", limit / 1024)
            }
            ApiError::UnsupportedMediaType { expected } => {
                format!("the request body must be sent as {expected}")
            }
            ApiError::UnsupportedContentCoding => {
                "the request body must be sent uncompressed, with no Content-Encoding".into()
            }
            ApiError::Validation(errors) => match errors.as_slice() {
                [one] if one.stands_for == 1 => format!("{}: {}", one.field, one.message),
                _ => format!("{} fields are invalid", errors.iter().map(|e| e.stands_for).sum::<usize>()),
            },
            ApiError::OAuth { description, .. } => description.clone(),
            ApiError::Misconfigured(bad) => misconfigured_detail(bad),
            ApiError::StoresMisconfigured(detail) => detail.to_string(),
            ApiError::StoreUnavailable { store, .. } => {
                format!("the {store} cannot be reached right now; retry shortly")
            }
            ApiError::Internal(_) => "an internal error occurred; it has been logged".to_string(),
        }
    }

    /// The RFC 6749 §5.2 `error` code a token endpoint answers for this error: its own for an
    /// OAuth error; `invalid_request` for a request the endpoint cannot read (wrong media type,
    /// too large, malformed); `temporarily_unavailable` when the server cannot serve it now
    /// (throttled, busy, a store down, misconfigured) and `server_error` for a failure, the codes
    /// RFC 6749 §4.1.2.1 names for those cases.
    pub fn oauth_error(&self) -> &'static str {
        match self {
            ApiError::OAuth { error, .. } => error,
            ApiError::TooManyRequests { .. }
            | ApiError::Unavailable(_)
            | ApiError::Busy { .. }
            | ApiError::StoreUnavailable { .. }
            | ApiError::Misconfigured(_)
            | ApiError::StoresMisconfigured(_) => "temporarily_unavailable",
            ApiError::Internal(_) => "server_error",
            _ => "invalid_request",
        }
    }

    /// The error as a token endpoint answers it: the problem details, with the OAuth `error`
    /// and `error_description` members that OAuth client libraries read, whatever the error.
    pub fn into_oauth_response(self) -> Response {
        self.respond(true)
    }

    pub fn into_response(self) -> Response {
        self.respond(false)
    }

    /// The problem response; with `oauth_members` (or for an OAuth error) it carries `error` and
    /// `error_description` too.
    fn respond(self, oauth_members: bool) -> Response {
        match &self {
            // The cause may hold SQL or host detail: it goes to the log only.
            ApiError::Internal(cause) => crate::log::emit(
                serde_json::json!({"level": "error", "event": "internal_error", "cause": format!("{cause:#}")}),
            ),
            // Once per request, here where the answer is made: the operator's one clear message.
            ApiError::Misconfigured(bad) => log_misconfigured(bad),
            ApiError::StoreUnavailable { store, cause } => crate::log::emit(serde_json::json!(
                {"level": "error", "event": "store_unavailable", "store": store, "cause": format!("{cause:#}")}
            )),
            _ => {}
        }
        let status = self.status();
        let mut body = serde_json::json!({
            "type": self.type_uri(),
            "title": reason_phrase(status),
            "status": status.as_u16(),
            "detail": self.detail(),
        });
        match &self {
            ApiError::Validation(errors) => body["errors"] = serde_json::json!(errors),
            ApiError::Misconfigured(bad) => body["variables"] = serde_json::json!(bad),
            ApiError::StoresMisconfigured(_) => body["variables"] = serde_json::json!([]),
            _ => {}
        }
        if oauth_members || matches!(self, ApiError::OAuth { .. }) {
            body["error"] = serde_json::json!(self.oauth_error());
            body["error_description"] = serde_json::json!(oauth_description(&self.detail()));
        }
        let mut response = http::Response::builder()
            .status(status)
            .header(header::CONTENT_TYPE, PROBLEM_JSON)
            .header(header::CACHE_CONTROL, "no-store")
            .body(serde_json::to_vec(&body).expect("problem serializes"))
            .expect("valid problem response");
        let headers = response.headers_mut();
        match &self {
            ApiError::Unauthorized { challenge, .. } => {
                let value = match challenge {
                    Challenge::Missing => "Bearer",
                    Challenge::InvalidToken => "Bearer error=\"invalid_token\"",
                };
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(value));
            }
            ApiError::WrongPassword => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            ApiError::InsufficientScope { scope } => {
                let value = format!("Bearer error=\"insufficient_scope\", scope=\"{scope}\"");
                if let Ok(v) = HeaderValue::from_str(&value) {
                    headers.insert(header::WWW_AUTHENTICATE, v);
                }
            }
            ApiError::MethodNotAllowed { allow } => {
                if let Ok(v) = HeaderValue::from_str(&allow_value(allow)) {
                    headers.insert(header::ALLOW, v);
                }
            }
            ApiError::TooManyRequests { retry_after_secs, .. } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
            }
            ApiError::Unavailable(_) | ApiError::StoreUnavailable { .. } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(UNAVAILABLE_RETRY_AFTER_SECS));
            }
            ApiError::Busy { retry_after_secs, .. } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
            }
            ApiError::UnsupportedContentCoding => {
                headers.insert(header::ACCEPT_ENCODING, HeaderValue::from_static("identity"));
            }
            // RFC 5789 §3.1: a 415 to a PATCH names the patch formats the resource accepts.
            ApiError::UnsupportedMediaType { expected }
                if *expected == crate::http_util::MERGE_PATCH_JSON =>
            {
                crate::http_util::accept_merge_patch(headers);
            }
            _ => {}
        }
        response
    }
}

impl ApiError {
    /// An SQL failure as the API answers it: a lock held past the busy budget or a database
    /// that cannot be reached is `503` with `Retry-After`; anything else is an internal error,
    /// logged with `context`.
    pub fn from_sql(context: &str, e: SqlError) -> Self {
        if e.is_busy() {
            ApiError::busy()
        } else if e.is_unavailable() {
            ApiError::StoreUnavailable {
                store: "database",
                cause: anyhow::Error::new(e).context(context.to_owned()),
            }
        } else {
            ApiError::Internal(anyhow::Error::new(e).context(context.to_owned()))
        }
    }
}

impl From<SqlError> for ApiError {
    fn from(e: SqlError) -> Self {
        ApiError::from_sql("sql", e)
    }
}

impl From<KvError> for ApiError {
    fn from(e: KvError) -> Self {
        if e.is_unavailable() {
            ApiError::StoreUnavailable {
                store: "key-value store",
                cause: anyhow::Error::new(e).context("kv"),
            }
        } else {
            ApiError::Internal(anyhow::Error::new(e).context("kv"))
        }
    }
}

impl From<ConfigError> for ApiError {
    fn from(e: ConfigError) -> Self {
        match e {
            ConfigError::Invalid(bad) => ApiError::Misconfigured(bad),
            other => ApiError::Internal(anyhow::Error::new(other).context("config")),
        }
    }
}

/// The detail of a `503` for bad variables: each variable and what it must be.
pub fn misconfigured_detail(bad: &[BadVariable]) -> String {
    let each: Vec<String> = bad.iter().map(|b| format!("{} must be {}", b.name, b.expected)).collect();
    format!("the server is misconfigured: {}; an operator must correct it", each.join("; "))
}

/// The log line of a misconfiguration: the variables and what each must be, never a value.
pub fn log_misconfigured(bad: &[BadVariable]) {
    crate::log::emit(
        serde_json::json!({"level": "error", "event": "configuration_invalid", "variables": bad}),
    );
}

/// The `Allow` value for a resource's methods: `OPTIONS` too, which every path answers
/// (`serve`: `204` with this header, RFC 9110 §9.3.7).
pub fn allow_value(allow: &[Method]) -> String {
    let mut names: Vec<&str> = allow.iter().map(Method::as_str).collect();
    if !allow.contains(&Method::OPTIONS) {
        names.push(Method::OPTIONS.as_str());
    }
    names.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(r: &Response) -> serde_json::Value {
        serde_json::from_slice(r.body()).unwrap()
    }

    #[test]
    fn an_oauth_description_keeps_to_the_characters_rfc_6749_allows() {
        let d = oauth_description("the \"x\" \\ – RFC 6749 §5.2: café\u{0}\tend…");
        assert_eq!(d, "the 'x' / - RFC 6749 section 5.2: caf?  end...");
        let r = ApiError::OAuth {
            status: StatusCode::BAD_REQUEST,
            error: "invalid_request",
            description: "a – b".into(),
        }
        .into_oauth_response();
        let b = body(&r);
        assert_eq!(b["error_description"], "a - b");
        assert_eq!(b["detail"], "a – b", "the problem's detail keeps its words");
    }

    #[test]
    fn validation_problem_lists_fields() {
        let r = ApiError::Validation(vec![FieldError::new("isbn", "not a valid ISBN-13")]).into_response();
        assert_eq!(r.status(), 422);
        assert_eq!(r.headers()[header::CONTENT_TYPE], PROBLEM_JSON);
        let b = body(&r);
        assert_eq!(b["status"], 422);
        assert_eq!(b["errors"][0]["field"], "isbn");
        assert_eq!(b["title"], "Unprocessable Content", "RFC 9110's name");
    }

    #[test]
    fn internal_errors_hide_their_cause() {
        let r = ApiError::from(SqlError::Io("near \"SELEC\": syntax error in SELEC * FROM books".into()))
            .into_response();
        assert_eq!(r.status(), 500);
        let text = String::from_utf8(r.body().clone()).unwrap();
        assert!(!text.contains("SELEC"), "{text}");
    }

    #[test]
    fn the_log_line_carries_the_cause_with_what_the_app_was_doing() {
        let config = ConfigError::Provider("vault: permission denied".into());
        let migration = crate::migrate::MigrationError::Sql(SqlError::Io("no such table: schema".into()));
        let refused = SqlError::Io("Hrana: `http error: `tcp connect error``".into());
        for (error, event, logged) in [
            (
                ApiError::from_sql("books write", SqlError::Io("no such column: titel".into())),
                "internal_error",
                "books write: database error: no such column: titel",
            ),
            (
                ApiError::from(config),
                "internal_error",
                "config: variable provider failure: vault: permission denied",
            ),
            (
                ApiError::from(migration),
                "internal_error",
                "migrations: database error: no such table: schema",
            ),
            (
                ApiError::from_sql("books read", refused),
                "store_unavailable",
                "books read: database error: Hrana: `http error: `tcp connect error``",
            ),
        ] {
            let (response, lines) = crate::log::capture(|| error.into_response());
            let cause = lines[0]["cause"].as_str().unwrap_or_default();
            assert_eq!(lines[0]["event"], event, "{cause}");
            assert!(cause.starts_with(logged), "{cause}");
            let text = String::from_utf8(response.body().clone()).unwrap();
            assert!(!text.contains(logged.split(": ").last().unwrap()), "the client is not told: {text}");
        }
    }

    #[test]
    fn challenges_follow_rfc6750() {
        let missing = ApiError::Unauthorized { challenge: Challenge::Missing, detail: "no token".into() };
        assert_eq!(missing.into_response().headers()[header::WWW_AUTHENTICATE], "Bearer");
        let bad = ApiError::unauthorized("expired").into_response();
        assert_eq!(bad.headers()[header::WWW_AUTHENTICATE], "Bearer error=\"invalid_token\"");
        let scope = ApiError::InsufficientScope { scope: "create:books".into() }.into_response();
        assert_eq!(scope.status(), 403);
        assert_eq!(
            scope.headers()[header::WWW_AUTHENTICATE],
            "Bearer error=\"insufficient_scope\", scope=\"create:books\""
        );
    }

    #[test]
    fn method_not_allowed_lists_allow() {
        let r = ApiError::MethodNotAllowed { allow: vec![Method::GET, Method::HEAD] }.into_response();
        assert_eq!(r.status(), 405);
        assert_eq!(r.headers()[header::ALLOW], "GET, HEAD, OPTIONS", "OPTIONS is answered everywhere");
    }

    #[test]
    fn a_busy_database_is_a_503_with_retry_after_and_other_sql_errors_stay_500() {
        let busy: ApiError = SqlError::Io("database is locked".into()).into();
        let r = busy.into_response();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(r.headers()[header::RETRY_AFTER], "2");
        assert_eq!(r.headers()[header::CONTENT_TYPE], PROBLEM_JSON);
        assert_eq!(body(&r)["type"], "/docs/problems#unavailable");
        assert!(!body(&r).to_string().contains("locked"), "SQLite's message stays in the log");
        let table: ApiError = SqlError::Io("database table is locked: books".into()).into();
        assert_eq!(table.status(), StatusCode::SERVICE_UNAVAILABLE);
        let other: ApiError = SqlError::Io("near \"SELEC\": syntax error".into()).into();
        assert_eq!(other.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let migrating: ApiError =
            crate::migrate::MigrationError::Sql(SqlError::Io("database is locked".into())).into();
        assert_eq!(migrating.status(), StatusCode::SERVICE_UNAVAILABLE);
    }

    #[test]
    fn an_unreachable_store_is_a_503_with_retry_after_that_names_the_store_but_not_the_cause() {
        let refused = "Hrana: `http error: `error trying to connect: tcp connect error: Connection refused (os error 111)``";
        // Spin's local key-value store (SQLite) with its file locked past the busy timeout, as
        // Spin 4.0.2 words it.
        let kv_locked =
            "SqliteFailure(Error { code: DatabaseBusy, extended_code: 5 }, Some(\"database is locked\"))";
        let cases: [(ApiError, &str); 8] = [
            (KvError::Other(kv_locked.into()).into(), "key-value store"),
            // Redis full with noeviction, as Spin 4.0.2 passed it on in the operator audit.
            (
                KvError::Other("OOM command not allowed when used memory > 'maxmemory'.".into()).into(),
                "key-value store",
            ),
            (
                KvError::Other("READONLY You can't write against a read only replica.".into()).into(),
                "key-value store",
            ),
            // A state directory mounted read-only.
            (SqlError::Io("unable to open database file".into()).into(), "database"),
            (SqlError::Io(refused.into()).into(), "database"),
            (crate::migrate::MigrationError::Sql(SqlError::Io(refused.into())).into(), "database"),
            (KvError::Other("Connection refused (os error 111)".into()).into(), "key-value store"),
            (
                KvError::Other("Reconnecting failed: Connection refused (os error 111)".into()).into(),
                "key-value store",
            ),
        ];
        for (e, store) in cases {
            let r = e.into_response();
            assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(r.headers()[header::RETRY_AFTER], "2");
            assert_eq!(r.headers()[header::CONTENT_TYPE], PROBLEM_JSON);
            let b = body(&r);
            assert_eq!(b["type"], "/docs/problems#unavailable");
            assert_eq!(b["detail"], format!("the {store} cannot be reached right now; retry shortly"));
            let text = b.to_string();
            for secret in ["Hrana", "refused", "os error", "tcp", "Sqlite", "locked", "maxmemory", "replica"]
            {
                assert!(!text.contains(secret), "the cause stays in the log: {text}");
            }
        }
        // A books write keeps its conflict and maps the rest the same way.
        assert_eq!(
            ApiError::from_sql("books write", SqlError::Io(refused.into())).status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
        // What a reachable store reports stays an internal error.
        for e in [
            KvError::Other("query result exceeds limit of 1048576 bytes".into()),
            KvError::NoSuchStore,
            KvError::AccessDenied,
        ] {
            assert_eq!(ApiError::from(e).status(), StatusCode::INTERNAL_SERVER_ERROR);
        }
        let syntax: ApiError = SqlError::Io(
            "Hrana: `stream error: `Error { message: \"SQLite error: near \\\"SELEC\\\": syntax error\" }``"
                .into(),
        )
        .into();
        assert_eq!(syntax.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn bad_variables_are_a_503_naming_each_without_retry_after() {
        let e = ConfigError::combine([
            ConfigError::invalid("access_token_ttl_seconds", "an integer from 1 to 86400"),
            ConfigError::invalid("signup_role", "reader, editor or admin"),
        ])
        .unwrap();
        let r = ApiError::from(e).into_response();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(r.headers()[header::CONTENT_TYPE], PROBLEM_JSON);
        assert!(!r.headers().contains_key(header::RETRY_AFTER), "retrying does not fix a setting");
        let b = body(&r);
        assert_eq!(b["type"], "/docs/problems#misconfigured");
        assert_eq!(b["variables"][0]["name"], "access_token_ttl_seconds");
        assert_eq!(b["variables"][1]["expected"], "reader, editor or admin");
        let detail = b["detail"].as_str().unwrap();
        assert!(detail.contains("access_token_ttl_seconds must be an integer from 1 to 86400"), "{detail}");
        assert!(detail.contains("signup_role must be reader, editor or admin"), "{detail}");
        // A host failure is not the operator's values: it stays an internal error.
        let provider = ConfigError::combine([
            ConfigError::invalid("a", "b"),
            ConfigError::Provider("vault unreachable".into()),
        ])
        .unwrap();
        assert_eq!(ApiError::from(provider).status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(ConfigError::combine([]), None);
    }

    #[test]
    fn too_many_requests_sets_retry_after() {
        let r =
            ApiError::TooManyRequests { retry_after_secs: 30, detail: "slow down".into() }.into_response();
        assert_eq!(r.headers()[header::RETRY_AFTER], "30");
    }

    #[test]
    fn oauth_errors_carry_the_error_member() {
        let r = ApiError::OAuth {
            status: StatusCode::BAD_REQUEST,
            error: "invalid_grant",
            description: "the credentials are not valid".into(),
        }
        .into_response();
        assert_eq!(r.status(), 400);
        assert_eq!(body(&r)["error"], "invalid_grant");
    }
}
