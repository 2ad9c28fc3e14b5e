//! The contract's request and response conventions, in one place: JSON bodies (64 KiB, 415,
//! 400, 422 with the offending field), query strings, JSON responses and entity tags.

use http::{header, HeaderMap, HeaderValue, StatusCode};
use serde::{de::DeserializeOwned, Serialize};

use crate::{ApiError, ApiResult, FieldError, Request, Response};

/// The largest request body any route accepts.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
pub const JSON: &str = "application/json";
pub const MERGE_PATCH_JSON: &str = "application/merge-patch+json";
pub const FORM: &str = "application/x-www-form-urlencoded";

/// Says that the resource takes JSON merge patches (RFC 5789 §3.1 `Accept-Patch`, the app's one
/// patch format): on a `415` to a `PATCH` and on `OPTIONS` where `PATCH` is allowed.
pub fn accept_merge_patch(headers: &mut http::HeaderMap) {
    headers.insert(
        http::HeaderName::from_static("accept-patch"),
        http::HeaderValue::from_static(MERGE_PATCH_JSON),
    );
}

/// The media type of the request body, lower-cased, without parameters; `None` when it is absent,
/// given twice, or names a charset other than UTF-8 (every body is read as UTF-8, so a body
/// declared as Latin-1 would be misread, not refused: `415` instead).
pub fn content_type(req: &Request) -> Option<String> {
    let mut given = req.headers().get_all(header::CONTENT_TYPE).iter();
    let raw = given.next()?.to_str().ok()?;
    if given.next().is_some() {
        // Two media types for one body is none that can be trusted (RFC 9110 §8.3): `415`.
        return None;
    }
    let mut parts = raw.split(';');
    let essence = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    let foreign_charset = parts.filter_map(|p| p.split_once('=')).any(|(name, value)| {
        name.trim().eq_ignore_ascii_case("charset")
            && !matches!(value.trim().trim_matches('"').to_ascii_lowercase().as_str(), "utf-8" | "utf8")
    });
    (!essence.is_empty() && !foreign_charset).then_some(essence)
}

/// The most unknown query parameters a `422` names one by one.
pub const MAX_NAMED_UNKNOWN: usize = 20;

/// Rejects bodies over [`MAX_BODY_BYTES`], by declared length first and by actual length; then
/// bodies sent with a content coding (`415`, RFC 7694 §3): read as they are, a gzip body would
/// be "not valid JSON", and a plain one labelled gzip would be read as if it were not labelled.
pub fn check_body_framing(req: &Request) -> ApiResult<()> {
    check_size(req)?;
    let coded = req
        .headers()
        .get_all(header::CONTENT_ENCODING)
        .iter()
        .flat_map(|v| {
            v.to_str().map(|v| v.split(',').map(str::trim).collect::<Vec<_>>()).unwrap_or(vec!["?"])
        })
        .any(|coding| !coding.is_empty() && !coding.eq_ignore_ascii_case("identity"));
    if coded {
        return Err(ApiError::UnsupportedContentCoding);
    }
    Ok(())
}

fn check_size(req: &Request) -> ApiResult<()> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) || req.body().len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge { limit: MAX_BODY_BYTES });
    }
    Ok(())
}

/// Parses a JSON body of type `T` sent as `application/json`.
pub fn json_body<T: DeserializeOwned>(req: &Request) -> ApiResult<T> {
    json_body_of(req, &[JSON], JSON)
}

/// Parses a JSON body sent with one of `accepted` media types (e.g. merge-patch).
///
/// Order of checks: size (413), media type (415), syntax (400), shape (422). A wrong shape names
/// the field: `deny_unknown_fields` types reject unknown members as 422 too, and a member given
/// twice in one object is refused on every route ([`crate::unique_members`]).
pub fn json_body_of<T: DeserializeOwned>(
    req: &Request,
    accepted: &[&str],
    expected: &'static str,
) -> ApiResult<T> {
    check_body_framing(req)?;
    match content_type(req) {
        Some(ct) if accepted.contains(&ct.as_str()) => {}
        // Nothing was sent, so no media type was wrong: the body is missing, and a 415 telling
        // the client to change its Content-Type would send it looking in the wrong place.
        None if req.body().is_empty() => {
            return Err(ApiError::BadRequest(format!("this request needs a body: {expected}")))
        }
        _ => return Err(ApiError::UnsupportedMediaType { expected }),
    }
    // Every request body of the contract is an object; serde would otherwise read a struct
    // from an array (`[5]` as `{"count": 5}`). Malformed JSON still gets its 400 below.
    let first = req.body().iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') && serde_json::from_slice::<serde_json::Value>(req.body()).is_ok() {
        return Err(ApiError::validation("body", "must be a JSON object"));
    }
    let value = parse_json(req.body())?;
    if let Some(field) = crate::unique_members::first_repeated(req.body()) {
        return Err(ApiError::validation(field, "given more than once"));
    }
    Ok(value)
}

/// Parses JSON bytes into `T` with the contract's 400/422 split.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> ApiResult<T> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        // A number out of range is reported where it is met, before the parser has seen the
        // rest: only a body that is well-formed JSON throughout makes it a bad value (422).
        // Skipping a number computes nothing, so this second pass accepts `1e400`.
        if inner.to_string().starts_with("number out of range") {
            if let Err(syntax) = serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
                return json_error(&syntax, &path);
            }
        }
        json_error(&inner, &path)
    })?;
    de.end().map_err(|e| json_error(&e, "."))?;
    Ok(value)
}

fn json_error(e: &serde_json::Error, path: &str) -> ApiError {
    use serde_json::error::Category;
    match e.classify() {
        Category::Data => {
            let message = strip_position(&e.to_string());
            let field = named_field(&message).map(|f| join_path(path, f)).unwrap_or_else(|| {
                if path == "." || path.is_empty() {
                    "body".to_string()
                } else {
                    path.to_string()
                }
            });
            ApiError::Validation(vec![FieldError::new(field, plain_message(&message))])
        }
        // RFC 8259 §6 lets a parser limit the range of numbers, so `1e400` is valid JSON that
        // this parser cannot hold: a value out of range, named like any other bad value.
        Category::Syntax if e.to_string().starts_with("number out of range") => {
            let field = if path == "." || path.is_empty() { "body" } else { path };
            ApiError::validation(field, "is out of range")
        }
        Category::Syntax | Category::Eof | Category::Io => {
            ApiError::BadRequest(format!("the body is not valid JSON: {}", strip_position(&e.to_string())))
        }
    }
}

/// serde's message for a field in the contract's words, as the hand-written validators put them
/// ("is required", "must be an integer"): no Rust type names, and never the value sent, which
/// may be a password given the wrong type. Messages of the types' own checks pass unchanged.
fn plain_message(message: &str) -> String {
    if message.starts_with("missing field `") {
        return "is required".into();
    }
    if message.starts_with("unknown field `") {
        return "unknown field".into();
    }
    if message.starts_with("duplicate field `") {
        return "given more than once".into();
    }
    let expected = match message.split_once(", expected ") {
        Some((found, expected))
            if ["invalid type: ", "invalid value: ", "unknown variant ", "invalid length "]
                .iter()
                .any(|p| found.starts_with(p)) =>
        {
            expected
        }
        _ => return message.to_string(),
    };
    match expected {
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => "must be an integer".into(),
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => "must be an integer of at least 0".into(),
        "f32" | "f64" => "must be a number".into(),
        "a string" | "a borrowed string" | "a character" => "must be a string".into(),
        "a boolean" => "must be true or false".into(),
        "a sequence" => "must be an array".into(),
        e if e == "a map" || e.starts_with("struct ") => "must be an object".into(),
        other => format!("must be {other}"),
    }
}

/// serde names the field itself in "unknown field `x`", "missing field `x`" and "duplicate field
/// `x`" messages, where the path points at the enclosing object.
fn named_field(message: &str) -> Option<&str> {
    for prefix in ["unknown field `", "missing field `", "duplicate field `"] {
        if let Some(rest) = message.strip_prefix(prefix) {
            return rest.split('`').next();
        }
    }
    None
}

fn join_path(path: &str, field: &str) -> String {
    // For unknown fields the path already ends at the field; for missing ones it is the parent.
    if path == field || path.ends_with(&format!(".{field}")) {
        path.to_string()
    } else if path == "." || path.is_empty() {
        field.to_string()
    } else {
        format!("{path}.{field}")
    }
}

fn strip_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// RFC 7396 JSON Merge Patch: `null` removes a member, objects merge recursively, anything
/// else replaces the target.
pub fn merge_patch(target: &mut serde_json::Value, patch: &serde_json::Value) {
    let serde_json::Value::Object(patch_members) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = serde_json::Value::Object(serde_json::Map::new());
    }
    let members = target.as_object_mut().expect("target is an object");
    for (key, value) in patch_members {
        if value.is_null() {
            members.remove(key);
        } else {
            merge_patch(members.entry(key.clone()).or_insert(serde_json::Value::Null), value);
        }
    }
}

/// A query string (`application/x-www-form-urlencoded`: `&`-separated `name=value`, `+` a
/// space, `%XX` a byte) decoded in one pass: its ordered pairs, and the names of those whose name
/// or value does not decode to UTF-8 (kept with U+FFFD in place of the bad bytes, for the error to
/// name): `author=%FF` must be refused, not searched for as U+FFFD.
fn decode_query(query: &str) -> (Vec<(String, String)>, Vec<String>) {
    let mut pairs = Vec::new();
    let mut undecodable = Vec::new();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let ((name, name_ok), (value, value_ok)) = (decode_component(name), decode_component(value));
        if !(name_ok && value_ok) {
            undecodable.push(name.clone());
        }
        pairs.push((name, value));
    }
    (pairs, undecodable)
}

/// One name or value of a query: its text, and whether its bytes were UTF-8.
fn decode_component(raw: &str) -> (String, bool) {
    let spaced = raw.replace('+', " ");
    let bytes = percent_encoding::percent_decode(spaced.as_bytes());
    match bytes.clone().decode_utf8() {
        Ok(text) => (text.into_owned(), true),
        Err(_) => (bytes.decode_utf8_lossy().into_owned(), false),
    }
}

/// Why a form body (`application/x-www-form-urlencoded`) was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormError {
    #[error("the form body is not UTF-8 text")]
    NotUtf8,
    #[error("the form body has a % that is not followed by two hexadecimal digits")]
    BadEscape,
    #[error("the form parameter {0} is not UTF-8 text once percent-decoded")]
    Undecodable(String),
}

/// A form body's name-value pairs, in order, strictly. The WHATWG parser that browsers use (and
/// the `form_urlencoded` crate) reads on through a body that is not UTF-8, a `%` without two hex
/// digits after it, and an escape that decodes to bytes that are not UTF-8, replacing or keeping
/// what it cannot decode: a credential read that way is not the one the client meant, so each
/// of these is refused instead (the token endpoints answer it `invalid_request`).
pub fn decode_form(body: &[u8]) -> Result<Vec<(String, String)>, FormError> {
    let text = std::str::from_utf8(body).map_err(|_| FormError::NotUtf8)?;
    let escapes_whole = text.match_indices('%').all(|(at, _)| {
        text.as_bytes().get(at + 1..at + 3).is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit))
    });
    if !escapes_whole {
        return Err(FormError::BadEscape);
    }
    let (pairs, undecodable) = decode_query(text);
    match undecodable.into_iter().next() {
        Some(name) => Err(FormError::Undecodable(crate::text::at_most_chars(&name, 100).to_string())),
        None => Ok(pairs),
    }
}

/// A decimal integer as a query string should write one: ASCII digits, an optional leading `-`
/// on a number other than zero. `str::parse` would also take `+5` and `-0`, and a trimmed ` 10`
/// would hide what the client sent.
pub fn decimal(raw: &str) -> Option<i64> {
    let (negative, digits) = raw.strip_prefix('-').map_or((false, raw), |d| (true, d));
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if negative && digits.bytes().all(|b| b == b'0') {
        return None;
    }
    raw.parse().ok()
}

/// Parsed query parameters with typed, validated accessors that fail as `422` naming the
/// parameter. A parameter given twice is refused rather than silently picking one, and one
/// whose percent-encoding is not UTF-8 is refused rather than read with replacement characters.
pub struct Query {
    pairs: Vec<(String, String)>,
    undecodable: Vec<String>,
}

impl Query {
    pub fn from_request(req: &Request) -> Self {
        let (pairs, undecodable) = decode_query(req.uri().query().unwrap_or(""));
        Self { pairs, undecodable }
    }

    /// Pairs already decoded (a form body, a test): nothing is undecodable.
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        Self { pairs, undecodable: Vec::new() }
    }

    /// Refuses parameters not in `known`, so typos do not silently do nothing.
    /// `422` naming each parameter not in `known`: the first [`MAX_NAMED_UNKNOWN`], then how
    /// many more (an answer to a query of thousands must not list them all back).
    pub fn only(&self, known: &[&str]) -> ApiResult<()> {
        let unknown: Vec<&str> =
            self.pairs.iter().map(|(k, _)| k.as_str()).filter(|k| !known.contains(k)).collect();
        let mut errors: Vec<FieldError> = unknown
            .iter()
            .take(MAX_NAMED_UNKNOWN)
            .map(|k| FieldError::new(crate::text::at_most_chars(k, 100), "unknown query parameter"))
            .collect();
        if unknown.len() > MAX_NAMED_UNKNOWN {
            let more = unknown.len() - MAX_NAMED_UNKNOWN;
            errors.push(FieldError::summing_up("query", more, format!("and {more} more unknown parameters")));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(errors))
        }
    }

    pub fn str(&self, name: &str) -> ApiResult<Option<&str>> {
        let mut values = self.pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str());
        let first = values.next();
        if values.next().is_some() {
            return Err(ApiError::validation(name, "given more than once"));
        }
        if first.is_some() && self.undecodable.iter().any(|n| n == name) {
            return Err(ApiError::validation(name, "must be UTF-8 text once percent-decoded"));
        }
        Ok(first)
    }

    /// A text parameter trimmed, `None` when absent or blank (a form's empty field is no filter).
    pub fn filled(&self, name: &str) -> ApiResult<Option<&str>> {
        Ok(self.str(name)?.map(str::trim).filter(|s| !s.is_empty()))
    }

    /// An integer within `min..=max` (see [`decimal`]), or `None` when absent.
    pub fn int(&self, name: &str, min: i64, max: i64) -> ApiResult<Option<i64>> {
        let Some(raw) = self.str(name)? else { return Ok(None) };
        let value = decimal(raw)
            .ok_or_else(|| ApiError::validation(name, format!("must be an integer from {min} to {max}")))?;
        if !(min..=max).contains(&value) {
            return Err(ApiError::validation(name, format!("must be from {min} to {max}")));
        }
        Ok(Some(value))
    }

    pub fn bool(&self, name: &str) -> ApiResult<Option<bool>> {
        match self.str(name)? {
            None => Ok(None),
            Some("true" | "1") => Ok(Some(true)),
            Some("false" | "0") => Ok(Some(false)),
            Some(_) => Err(ApiError::validation(name, "must be true or false")),
        }
    }
}

/// A JSON response with the given status.
pub fn json<T: Serialize + ?Sized>(status: StatusCode, value: &T) -> Response {
    json_bytes(status, serde_json::to_vec(value).expect("response serializes"))
}

/// A JSON response whose body is already serialized (a cached copy, say).
pub fn json_bytes(status: StatusCode, body: Vec<u8>) -> Response {
    http::Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, JSON)
        .body(body)
        .expect("valid response")
}

/// A `204 No Content` response.
pub fn no_content() -> Response {
    http::Response::builder().status(StatusCode::NO_CONTENT).body(Vec::new()).expect("valid response")
}

/// The path of a created resource, for its `Location` header: each segment percent-encoded as
/// a path segment (an id is opaque to this function: nothing in it may end the segment or start
/// a query). A path alone, not an absolute URL: RFC 9110 §10.2.2 allows a relative reference,
/// and the client's `Host` reaches a component only inside `spin-full-url`.
pub fn location(segments: &[&str]) -> String {
    // `url` encodes path segments; the base only gives it a URL to build the path on.
    let mut url = url::Url::parse("http://resource.invalid/").expect("a fixed, valid base URL");
    if let Ok(mut path) = url.path_segments_mut() {
        path.clear().extend(segments);
    }
    url.path().to_string()
}

/// Sets a header on a response, ignoring values that are not valid header text.
pub fn with_header(mut response: Response, name: header::HeaderName, value: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, v);
    }
    response
}

/// A strong entity tag, quoted: `"v3-abc"`.
pub fn strong_etag(opaque: &str) -> String {
    format!("\"{opaque}\"")
}

/// The entity tags listed in a conditional header (every copy of it), trimmed; `None` when it is
/// absent, an empty list when it is sent blank (a condition that no tag meets). `*` matches
/// anything.
pub fn listed_tags(headers: &HeaderMap, name: header::HeaderName) -> Option<Vec<String>> {
    if !headers.contains_key(&name) {
        return None;
    }
    let raw = headers.get_all(name).iter().filter_map(|v| v.to_str().ok()).collect::<Vec<_>>().join(",");
    Some(raw.split(',').map(|t| t.trim().to_string()).filter(|t| !t.is_empty()).collect())
}

/// `If-None-Match` (weak comparison, RFC 9110 §13.1.2): true when the client's copy is current.
pub fn if_none_match(req: &Request, etag: &str) -> bool {
    let Some(tags) = listed_tags(req.headers(), header::IF_NONE_MATCH) else { return false };
    // A `*` among tags is not "any" (below): a `304` tells the client its copy is current.
    let bare = etag.trim_start_matches("W/");
    matches_any(&tags) || tags.iter().any(|t| t.trim_start_matches("W/") == bare)
}

/// `If-Match` on a read (strong comparison, RFC 9110 §13.1.1): true when the request names tags
/// and none is the current one (a lone `*` is any). The read is then not performed: `412`
/// (§13.2.2), as a write would be, so a client that asks for a version gets that one or none.
pub fn if_match_fails(req: &Request, etag: &str) -> bool {
    listed_tags(req.headers(), header::IF_MATCH)
        .is_some_and(|tags| !matches_any(&tags) && !tags.iter().any(|t| !t.starts_with("W/") && t == etag))
}

/// Whether a list of entity tags means "any current representation": only a lone `*` does
/// (RFC 9110 §13.1.1-2: `If-Match = "*" / #entity-tag`, and the same for `If-None-Match`). A `*`
/// among tags is read the cautious way, never making a condition pass that its tags fail: in
/// `If-Match` it matches nothing (`"v1", *` is the condition `"v1"`: read loosely, it would let
/// through a write the client meant to guard), and so in a read's `If-None-Match` (a `304` tells
/// the client its copy is current); a write's `If-None-Match` refuses on any `*`.
pub fn matches_any(tags: &[String]) -> bool {
    !tags.is_empty() && tags.iter().all(|t| t == "*")
}

/// Preconditions on a resource that exists and sends no entity tag (an account, a profile):
/// no tag a client lists can be one of its tags, so `If-Match` holds only for `*`, and
/// `If-None-Match: *` fails because the resource exists (RFC 9110 §13.1.1-2). `412` then,
/// before anything is written: a client that sends `If-Match` expects its write refused
/// rather than made over a change it never saw. Call it once the resource is known to exist
/// (preconditions give way to a `404`, §13.2.1).
pub fn check_untagged(req: &Request) -> ApiResult<()> {
    // `*` holds only alone (RFC 9110: `If-Match = "*" / #entity-tag`): `"x", *` names a tag.
    if listed_tags(req.headers(), header::IF_MATCH).is_some_and(|tags| !matches_any(&tags)) {
        return Err(ApiError::PreconditionFailed(
            "If-Match names an entity tag, and this resource has none (it sends no ETag): nothing was changed"
                .into(),
        ));
    }
    if listed_tags(req.headers(), header::IF_NONE_MATCH).is_some_and(|tags| tags.iter().any(|t| t == "*")) {
        return Err(ApiError::PreconditionFailed(
            "If-None-Match: * and the resource exists: nothing was changed".into(),
        ));
    }
    Ok(())
}

/// The quality the request's `Accept` gives exactly `media` (no wildcards), when it lists it.
pub fn accept_quality(req: &Request, media: &str) -> Option<f32> {
    let mut found: Option<f32> = None;
    for value in req.headers().get_all(header::ACCEPT) {
        let Ok(text) = value.to_str() else { continue };
        for range in text.split(',') {
            let mut parts = range.split(';');
            if !parts.next().unwrap_or("").trim().eq_ignore_ascii_case(media) {
                continue;
            }
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.trim().parse::<f32>().ok()))
                .next()
                .unwrap_or(1.0);
            found = Some(found.map_or(q, |old| old.max(q)));
        }
    }
    found
}

/// True when a client asked for `application/json` by name and not for problem details at least
/// as gladly: an OAuth 2.0 client library (oauth4webapi sends `Accept: application/json`), which
/// reads a token endpoint's error as RFC 6749 §5.2 defines it, `application/json`, and refuses
/// another type. Every other client gets `application/problem+json` (the same body).
pub fn wants_plain_json(req: &Request) -> bool {
    let json = accept_quality(req, JSON).unwrap_or(0.0);
    json > 0.0 && accept_quality(req, crate::problem::PROBLEM_JSON).is_none_or(|problem| problem < json)
}

/// `304 Not Modified` carrying the entity tag.
pub fn not_modified(etag: &str) -> Response {
    with_header(
        http::Response::builder().status(StatusCode::NOT_MODIFIED).body(Vec::new()).expect("valid response"),
        header::ETAG,
        etag,
    )
}

#[cfg(test)]
mod tests {

    #[test]
    fn forms_are_decoded_strictly() {
        let ok = decode_form(b"a=1&b=x+y%2Bz&c&=e&&d=%C3%A9").unwrap();
        let pairs: Vec<(&str, &str)> = ok.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(pairs, [("a", "1"), ("b", "x y+z"), ("c", ""), ("", "e"), ("d", "é")]);
        assert_eq!(decode_form(b""), Ok(Vec::new()));
        assert_eq!(decode_form(b"a=\xff"), Err(FormError::NotUtf8));
        for bad in [&b"a=%zz"[..], b"a=%2", b"a=%", b"a%G1=1", b"a=100%"] {
            assert_eq!(decode_form(bad), Err(FormError::BadEscape), "{}", String::from_utf8_lossy(bad));
        }
        assert_eq!(decode_form(b"ok=1&pass=%FF%FE"), Err(FormError::Undecodable("pass".into())));
    }
    #[test]
    fn merge_patch_follows_rfc_7396() {
        // The examples of RFC 7396 §3.
        let mut target = serde_json::json!({"a": "b", "c": {"d": "e", "f": "g"}});
        merge_patch(&mut target, &serde_json::json!({"a": "z", "c": {"f": null}}));
        assert_eq!(target, serde_json::json!({"a": "z", "c": {"d": "e"}}));
        let mut t = serde_json::json!({"a": ["b"]});
        merge_patch(&mut t, &serde_json::json!({"a": "c"}));
        assert_eq!(t, serde_json::json!({"a": "c"}));
        let mut t = serde_json::json!({"a": "foo"});
        merge_patch(&mut t, &serde_json::json!("bar"));
        assert_eq!(t, serde_json::json!("bar"));
        let mut t = serde_json::json!({"e": null});
        merge_patch(&mut t, &serde_json::json!({"a": 1}));
        assert_eq!(t, serde_json::json!({"e": null, "a": 1}));
    }

    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        title: String,
        pages: u32,
    }

    fn query_of(uri: &str) -> Query {
        Query::from_request(&http::Request::builder().uri(uri).body(Vec::new()).unwrap())
    }

    fn query_error(result: ApiResult<impl std::fmt::Debug>) -> String {
        match result {
            Err(ApiError::Validation(list)) => format!("{}: {}", list[0].field, list[0].message),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn a_charset_other_than_utf8_is_no_usable_media_type() {
        for ct in [
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON;Charset=\"UTF-8\"",
            "application/json;charset=utf8",
        ] {
            assert_eq!(content_type(&request(Some(ct), b"{}")).as_deref(), Some(JSON), "{ct}");
        }
        for ct in [
            "application/json; charset=iso-8859-1",
            "application/json;charset=utf-16",
            "application/json; charset=\"latin1\"",
        ] {
            assert_eq!(content_type(&request(Some(ct), b"{}")), None, "{ct}");
            assert!(matches!(
                json_body::<Body>(&request(Some(ct), b"{}")),
                Err(ApiError::UnsupportedMediaType { .. })
            ));
        }
    }

    #[test]
    fn query_integers_are_plain_decimals() {
        let q = query_of("/x?a=42&b=-7&c=007");
        assert_eq!(q.int("a", 0, 100).unwrap(), Some(42));
        assert_eq!(q.int("b", -10, 0).unwrap(), Some(-7));
        assert_eq!(q.int("c", 0, 10).unwrap(), Some(7));
        for raw in [
            "%2B5",
            "+5",
            "%2010",
            "10%20",
            "1.5",
            "1e2",
            "",
            "-",
            "0x10",
            "99999999999999999999",
            "-0",
            "-000",
        ] {
            let q = query_of(&format!("/x?n={raw}"));
            assert_eq!(query_error(q.int("n", 0, 100)), "n: must be an integer from 0 to 100", "{raw}");
        }
    }

    #[test]
    fn query_text_that_is_not_utf8_is_refused_by_name() {
        let q = query_of("/x?author=%FF&genre=Po%C3%A9sie&q=a+b");
        assert_eq!(query_error(q.str("author")), "author: must be UTF-8 text once percent-decoded");
        assert_eq!(q.str("genre").unwrap(), Some("Poésie"));
        assert_eq!(q.str("q").unwrap(), Some("a b"));
        assert_eq!(
            query_error(query_of("/x?year_min=%C3").int("year_min", 0, 9)).split(':').next(),
            Some("year_min")
        );
    }

    fn request(ct: Option<&str>, body: &[u8]) -> Request {
        let mut b = http::Request::builder().method("POST").uri("/api/books");
        if let Some(ct) = ct {
            b = b.header(header::CONTENT_TYPE, ct);
        }
        b.body(body.to_vec()).unwrap()
    }

    fn field_of(e: ApiError) -> String {
        match e {
            ApiError::Validation(errors) => errors[0].field.clone(),
            other => panic!("expected validation, got {other:?}"),
        }
    }

    #[test]
    fn accepts_json_with_charset() {
        let b: Body =
            json_body(&request(Some("application/json; charset=utf-8"), br#"{"title":"a","pages":3}"#))
                .unwrap();
        assert_eq!(b.pages, 3);
    }

    #[test]
    fn wrong_or_missing_content_type_is_415() {
        for ct in [None, Some("text/plain"), Some("application/xml")] {
            let e = json_body::<Body>(&request(ct, b"{}")).unwrap_err();
            assert_eq!(e.status(), 415, "{ct:?}");
        }
        let mut two = request(Some(JSON), br#"{"title":"a","pages":1}"#);
        two.headers_mut().append(header::CONTENT_TYPE, HeaderValue::from_static(JSON));
        assert_eq!(json_body::<Body>(&two).unwrap_err().status(), 415, "two Content-Type headers");
    }

    #[test]
    fn oversized_body_is_413_even_when_valid() {
        let big = format!(r#"{{"title":"{}","pages":1}}"#, "x".repeat(MAX_BODY_BYTES));
        let e = json_body::<Body>(&request(Some(JSON), big.as_bytes())).unwrap_err();
        assert_eq!(e.status(), 413);
        let mut declared = request(Some(JSON), b"{}");
        declared.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from(MAX_BODY_BYTES + 1));
        assert_eq!(json_body::<Body>(&declared).unwrap_err().status(), 413);
    }

    #[test]
    fn malformed_json_is_400() {
        for body in [&b"{"[..], b"", b"{\"title\": }", b"{\"title\":\"a\",\"pages\":1} trailing", b"\xff\xfe"]
        {
            let e = json_body::<Body>(&request(Some(JSON), body)).unwrap_err();
            assert_eq!(e.status(), 400, "{:?}", String::from_utf8_lossy(body));
        }
    }

    #[test]
    fn wrong_shape_is_422_naming_the_field() {
        let e = json_body::<Body>(&request(Some(JSON), br#"{"title":"a","pages":"many"}"#)).unwrap_err();
        assert_eq!(field_of(e), "pages");
        let e = json_body::<Body>(&request(Some(JSON), br#"{"title":"a"}"#)).unwrap_err();
        assert_eq!(field_of(e), "pages");
        let e =
            json_body::<Body>(&request(Some(JSON), br#"{"title":"a","pages":1,"admin":true}"#)).unwrap_err();
        assert_eq!(field_of(e), "admin");
        let e = json_body::<Body>(&request(Some(JSON), br#"{"title":"a","pages":-1}"#)).unwrap_err();
        assert_eq!(field_of(e), "pages");
        let e = json_body::<Body>(&request(Some(JSON), br#""a string""#)).unwrap_err();
        assert_eq!(field_of(e), "body");
        let e = json_body::<Body>(&request(Some(JSON), br#"["a", 2]"#)).unwrap_err();
        assert_eq!(field_of(e), "body", "an array is not read as a struct");
        let e = json_body::<Body>(&request(Some(JSON), b"null")).unwrap_err();
        assert_eq!(field_of(e), "body");
    }

    fn message_of(body: &[u8]) -> (String, String) {
        match json_body::<Body>(&request(Some(JSON), body)).unwrap_err() {
            ApiError::Validation(errors) => (errors[0].field.clone(), errors[0].message.clone()),
            other => panic!("expected validation, got {other:?}"),
        }
    }

    #[test]
    fn plain_json_errors_only_for_clients_that_ask_for_json_by_name() {
        let with = |accept: Option<&str>| {
            let mut b = http::Request::builder();
            if let Some(a) = accept {
                b = b.header("accept", a);
            }
            wants_plain_json(&b.body(Vec::new()).unwrap())
        };
        assert!(with(Some("application/json")));
        assert!(with(Some("application/json;q=0.9, text/plain;q=0.1")));
        assert!(!with(None));
        assert!(!with(Some("*/*")));
        assert!(!with(Some("application/problem+json, application/json")));
        assert!(!with(Some("application/json;q=0")));
        assert!(with(Some("application/problem+json;q=0.5, application/json")));
    }

    #[test]
    fn a_number_too_large_to_hold_is_a_bad_value_of_its_member() {
        assert_eq!(message_of(br#"{"title":"a","pages":1e400}"#), ("pages".into(), "is out of range".into()));
        let e = json_body::<serde_json::Value>(&request(Some(JSON), br#"{"a":{"b":-1e999}}"#)).unwrap_err();
        match e {
            ApiError::Validation(errors) => assert_eq!(errors[0].field, "a.b"),
            other => panic!("expected validation, got {other:?}"),
        }
        // Still a syntax error when the number itself is malformed, or the body is broken later.
        for broken in
            [&br#"{"a":1e}"#[..], br#"{"pages":1e400,,}"#, br#"{"pages":1e400"#, br#"{"pages":1e400} x"#]
        {
            assert!(
                matches!(
                    json_body::<serde_json::Value>(&request(Some(JSON), broken)).unwrap_err(),
                    ApiError::BadRequest(_)
                ),
                "{}",
                String::from_utf8_lossy(broken)
            );
        }
    }

    #[test]
    fn shape_errors_speak_the_contract_and_never_echo_the_value() {
        let cases: [(&[u8], &str, &str); 8] = [
            (br#"{"title":"a","pages":"sekret-value"}"#, "pages", "must be an integer of at least 0"),
            (br#"{"title":"a","pages":-7}"#, "pages", "must be an integer of at least 0"),
            (br#"{"title":"a","pages":2.5}"#, "pages", "must be an integer of at least 0"),
            (br#"{"title":12345678,"pages":1}"#, "title", "must be a string"),
            (br#"{"title":["a"],"pages":1}"#, "title", "must be a string"),
            (br#"{"title":"a"}"#, "pages", "is required"),
            (br#"{"title":"a","pages":1,"admin":true}"#, "admin", "unknown field"),
            (br#"{"title":"a","title":"b","pages":1}"#, "title", "given more than once"),
        ];
        for (body, field, message) in cases {
            let (f, m) = message_of(body);
            assert_eq!((f.as_str(), m.as_str()), (field, message), "{}", String::from_utf8_lossy(body));
            assert!(!m.contains("sekret") && !m.contains("12345678") && !m.contains("-7"), "{m}");
        }
    }

    #[test]
    fn a_member_given_twice_is_refused_whatever_the_body_is_read_into() {
        let twice = br#"{"title":"a","pages":1,"title":"b"}"#;
        assert_eq!(message_of(twice), ("title".to_string(), "given more than once".to_string()));
        let e = json_body::<serde_json::Value>(&request(Some(JSON), twice)).unwrap_err();
        assert_eq!(e.status(), 422);
        assert_eq!(field_of(e), "title", "a JSON tree would keep only the last");
        let nested = br#"{"title":"a","meta":{"k":1,"k":2}}"#;
        let e = json_body::<serde_json::Value>(&request(Some(JSON), nested)).unwrap_err();
        assert_eq!(field_of(e), "meta.k");
        let e = json_body::<serde_json::Value>(&request(Some(JSON), br#"{"title":"a","title""#)).unwrap_err();
        assert_eq!(e.status(), 400, "syntax is judged first");
    }

    #[test]
    fn query_accessors_validate() {
        let q = Query::from_pairs(vec![("limit".into(), "500".into()), ("count".into(), "yes".into())]);
        assert_eq!(q.int("limit", 1, 100).unwrap_err().status(), 422);
        assert_eq!(q.bool("count").unwrap_err().status(), 422);
        assert_eq!(q.int("absent", 1, 100).unwrap(), None);
        assert!(q.only(&["limit"]).is_err());
        let twice = Query::from_pairs(vec![("a".into(), "1".into()), ("a".into(), "2".into())]);
        assert!(twice.str("a").is_err());
        // Thousands of unknown parameters: the first twenty named, then how many more.
        let many = Query::from_pairs((0..3000).map(|i| (format!("p{i}"), String::new())).collect());
        match many.only(&[]) {
            Err(ApiError::Validation(errors)) => {
                assert_eq!(errors.len(), MAX_NAMED_UNKNOWN + 1);
                assert_eq!(errors[0].field, "p0");
                assert_eq!(errors[MAX_NAMED_UNKNOWN].message, "and 2980 more unknown parameters");
            }
            other => panic!("{other:?}"),
        }
        // The detail counts them all, not the entries listed.
        let r = many.only(&[]).unwrap_err().into_response();
        let body: serde_json::Value = serde_json::from_slice(r.body()).unwrap();
        assert_eq!(body["detail"], "3000 fields are invalid");
        assert_eq!(
            body["errors"][MAX_NAMED_UNKNOWN],
            serde_json::json!({"field": "query", "message": "and 2980 more unknown parameters"})
        );
    }

    #[test]
    fn a_coded_body_is_415_naming_the_coding_accepted() {
        let with = |coding: &str| {
            http::Request::builder().header(header::CONTENT_ENCODING, coding).body(b"{}".to_vec()).unwrap()
        };
        for coding in ["gzip", "br", "identity, gzip", "GZIP"] {
            let e = check_body_framing(&with(coding)).unwrap_err();
            assert_eq!(e.status(), 415, "{coding}");
            let r = e.into_response();
            assert_eq!(r.headers()[header::ACCEPT_ENCODING], "identity");
        }
        for coding in ["identity", "Identity", ""] {
            assert!(check_body_framing(&with(coding)).is_ok(), "{coding}");
        }
        // Size is judged first: an oversized coded body is 413.
        let big = http::Request::builder()
            .header(header::CONTENT_ENCODING, "gzip")
            .body(vec![b' '; MAX_BODY_BYTES + 1])
            .unwrap();
        assert_eq!(check_body_framing(&big).unwrap_err().status(), 413);
    }

    #[test]
    fn conditional_headers() {
        let etag = strong_etag("v2");
        let req =
            http::Request::builder().header(header::IF_NONE_MATCH, "\"v1\", W/\"v2\"").body(vec![]).unwrap();
        assert!(if_none_match(&req, &etag));
        let none = http::Request::builder().body(vec![]).unwrap();
        assert!(!if_none_match(&none, &etag));
        // Sent blank: a condition no tag meets, not no condition.
        let blank = http::Request::builder().header(header::IF_MATCH, "").body(Vec::<u8>::new()).unwrap();
        assert_eq!(listed_tags(blank.headers(), header::IF_MATCH), Some(vec![]));
        assert!(!matches_any(&[]));
        let blank = http::Request::builder().header(header::IF_NONE_MATCH, " ").body(vec![]).unwrap();
        assert!(!if_none_match(&blank, &etag));
        let star = http::Request::builder().header(header::IF_NONE_MATCH, "*").body(vec![]).unwrap();
        assert!(if_none_match(&star, &etag));
        let mixed = http::Request::builder().header(header::IF_NONE_MATCH, "\"v1\", *").body(vec![]).unwrap();
        assert!(!if_none_match(&mixed, &etag));
    }

    #[test]
    fn a_location_is_a_path_of_encoded_segments() {
        assert_eq!(location(&["api", "books", "0193b7c4-aa"]), "/api/books/0193b7c4-aa");
        assert_eq!(location(&["api", "books", "a/b?c#d e"]), "/api/books/a%2Fb%3Fc%23d%20e");
    }

    #[test]
    fn only_a_lone_star_matches_any_representation() {
        let tags = |raw: &str| {
            let req = http::Request::builder().header(header::IF_MATCH, raw).body(Vec::<u8>::new()).unwrap();
            listed_tags(req.headers(), header::IF_MATCH).unwrap()
        };
        assert!(matches_any(&tags("*")));
        assert!(matches_any(&tags(" * ")));
        for raw in ["\"v1\", *", "*, \"v1\"", "\"v1\"", "", "W/\"v1\""] {
            assert!(!matches_any(&tags(raw)), "{raw}");
        }
    }
}
