//! The HTTP edge of every component: a WASI request in, the handler's `http::Response` out.
//!
//! Why not spin-sdk's conversions: they hand the response to Spin (`ResponseOutparam::set`) and
//! only then write its body. Spin 4.0.2's HTTP server does not set `TCP_NODELAY`, so the headers
//! leave in a segment of their own and the body's last segment waits for the client's delayed
//! ACK: about 40 ms on most responses over a kept-alive connection, which is how browsers and
//! load balancers talk (docs/benchmarks.md, "Kept-alive connections"). Here a body of up to
//! [`PREWRITE_MAX`] is written and finished first, with its `Content-Length`, and the response
//! handed over complete, so Spin's server writes headers and body together.
//!
//! Measured on Spin 4.0.2 (docs/benchmarks.md, "Kept-alive connections"): the host takes the
//! whole body before the hand-over, whatever its size, but completes the flush without a reader
//! only up to exactly 1 MiB. Body first, at concurrency 1 over one connection, a probe component
//! answered in p50 0.13–0.46 ms from 100 bytes to 1 MiB, against 44 ms handed over first from
//! 16 KiB on. A larger body (the uncompressed Swagger UI bundle, 1.7 MB) is written as far as
//! the host takes it, then handed over, then its flush waited: p50 1.8 ms, against 4 ms the SDK's
//! way and 43 ms streamed in 4 KiB writes after the hand-over. A host whose buffer is smaller is
//! handled too: if the flush has not completed shortly after the writes, or the host stops
//! taking bytes, the response is handed over and the rest written and flushed after it.
//!
//! The request body is read up to one byte past the contract's limit (`MAX_BODY_BYTES`): the
//! handler then answers `413`, and a client cannot make a component buffer more than that.

use folio_core::http_util::MAX_BODY_BYTES;
use folio_core::{ApiError, Request, Response};
use spin_sdk::wit::wasi::http0_2_0::types::{
    Fields, IncomingRequest, Method as WasiMethod, OutgoingBody, OutgoingResponse, ResponseOutparam,
};
use wasi::io::streams::{OutputStream, StreamError};

/// The most one `blocking-write-and-flush` takes (wasi:io/streams).
const BLOCKING_WRITE_MAX: usize = 4096;

/// The largest body written before the hand-over: what Spin 4.0.2 buffers without a reader.
pub const PREWRITE_MAX: usize = 1024 * 1024;

/// How long to wait for the host to complete the flush of a body written before the hand-over
/// (on Spin 4.0.2 it has completed before the first look): a safety net against a host with a
/// smaller buffer, where waiting longer would wait for ever.
const PREWRITE_FLUSH_WAIT_NS: u64 = 5_000_000;

/// The request as an `http::Request`, its body read up to one byte past the limit.
pub fn read_request(incoming: IncomingRequest) -> Result<Request, ApiError> {
    let wasi_method = incoming.method();
    let mut builder = http::Request::builder().method(to_http_method(&wasi_method)?).uri(uri(&incoming)?);
    let entries = incoming.headers().entries();
    for (i, (name, value)) in entries.iter().enumerate() {
        // Spin adds its own `spin-*` headers (`spin-full-url`, `spin-matched-route`, ...) after
        // the client's, and a client may send headers of those names too: only the last of each,
        // Spin's, is kept, so a made-up `spin-full-url` cannot steer the URLs the app builds.
        let is_spin = name.len() > 5 && name.as_bytes()[..5].eq_ignore_ascii_case(b"spin-");
        if is_spin && entries[i + 1..].iter().any(|(later, _)| later.eq_ignore_ascii_case(name)) {
            continue;
        }
        // Spin's server has already refused what HTTP does not allow; skip anything else odd.
        if let (Ok(name), Ok(value)) =
            (http::HeaderName::from_bytes(name.as_bytes()), http::HeaderValue::from_bytes(value))
        {
            builder = builder.header(name, value);
        }
    }
    // A GET or HEAD body means nothing in the contract, so it is not read unless the client sent
    // one: on Spin every host call counts (consuming, streaming and dropping an empty body are
    // four or five of them). One that was sent is read and dropped: left unread, Spin 4.0.2's
    // server resets a kept-alive connection while a response of more than 64 KiB is still in
    // flight, and the client gets it cut at 65,536 bytes (`requests.get(url, data=...)` on a
    // session did it to the OpenAPI document).
    let body = match wasi_method {
        WasiMethod::Get | WasiMethod::Head => {
            // Over the limit it is `413`, as for every route (API.md): the small answer is not
            // cut by the bytes left unread, and a client cannot make a component read on.
            if declares_body(&entries) && read_body(&incoming).is_ok_and(|b| b.len() > MAX_BODY_BYTES) {
                return Err(ApiError::PayloadTooLarge { limit: MAX_BODY_BYTES });
            }
            Vec::new()
        }
        _ => read_body(&incoming)?,
    };
    builder.body(body).map_err(|e| ApiError::BadRequest(format!("unusable request: {e}")))
}

/// Whether the request's headers announce a body: a `Content-Length` other than 0, or a
/// `Transfer-Encoding` (a chunked body).
fn declares_body(entries: &[(String, Vec<u8>)]) -> bool {
    entries.iter().any(|(name, value)| {
        (name.eq_ignore_ascii_case("content-length") && value.as_slice() != b"0")
            || name.eq_ignore_ascii_case("transfer-encoding")
    })
}

fn to_http_method(m: &WasiMethod) -> Result<http::Method, ApiError> {
    Ok(match m {
        WasiMethod::Get => http::Method::GET,
        WasiMethod::Head => http::Method::HEAD,
        WasiMethod::Post => http::Method::POST,
        WasiMethod::Put => http::Method::PUT,
        WasiMethod::Delete => http::Method::DELETE,
        WasiMethod::Connect => http::Method::CONNECT,
        WasiMethod::Options => http::Method::OPTIONS,
        WasiMethod::Trace => http::Method::TRACE,
        WasiMethod::Patch => http::Method::PATCH,
        WasiMethod::Other(other) => http::Method::from_bytes(other.as_bytes())
            .map_err(|_| ApiError::BadRequest("unknown request method".into()))?,
    })
}

/// The request target as origin-form, `/path?query`: no handler needs more (the discovery
/// document, the one absolute URL the app builds, reads Spin's `spin-full-url` header), and on
/// Spin every host call counts (scheme and authority would be two more per request).
fn uri(incoming: &IncomingRequest) -> Result<http::Uri, ApiError> {
    incoming
        .path_with_query()
        .unwrap_or_else(|| "/".into())
        .parse()
        .map_err(|_| ApiError::BadRequest("the request target is not a valid URI".into()))
}

fn read_body(incoming: &IncomingRequest) -> Result<Vec<u8>, ApiError> {
    let unreadable = || ApiError::BadRequest("the request body could not be read".into());
    let body = incoming.consume().map_err(|_| unreadable())?;
    let stream = body.stream().map_err(|_| unreadable())?;
    let mut bytes = Vec::new();
    while bytes.len() <= MAX_BODY_BYTES {
        let want = (MAX_BODY_BYTES + 1 - bytes.len()) as u64;
        match stream.blocking_read(want) {
            Ok(chunk) => bytes.extend_from_slice(&chunk),
            Err(StreamError::Closed) => break,
            Err(StreamError::LastOperationFailed(_)) => return Err(unreadable()),
        }
    }
    Ok(bytes)
}

/// Hands `response` to Spin, its body complete before the hand-over when it is at most
/// [`PREWRITE_MAX`] (see the module's comment).
pub fn write_response(out: ResponseOutparam, response: Response, method: &http::Method) {
    let (mut parts, body) = response.into_parts();
    if declares_length(method, parts.status) && !parts.headers.contains_key(http::header::CONTENT_LENGTH) {
        parts.headers.insert(http::header::CONTENT_LENGTH, http::HeaderValue::from(body.len()));
    }
    let fields = response_fields(&parts.headers);
    let outgoing = OutgoingResponse::new(fields);
    let _ = outgoing.set_status_code(parts.status.as_u16());
    let Ok(outgoing_body) = outgoing.body() else {
        ResponseOutparam::set(out, Ok(outgoing));
        return;
    };
    let Ok(stream) = outgoing_body.write() else {
        ResponseOutparam::set(out, Ok(outgoing));
        return;
    };
    // Everything the host takes now, whatever the size: a larger body then goes out as fast as
    // the client reads it once the response is handed over.
    let written = write_without_waiting(&stream, &body);
    if written == body.len() && body.len() <= PREWRITE_MAX && flush_completes(&stream) {
        drop(stream);
        let _ = OutgoingBody::finish(outgoing_body, None);
        ResponseOutparam::set(out, Ok(outgoing));
        return;
    }
    ResponseOutparam::set(out, Ok(outgoing));
    // On a write error the client went away; there is nobody to tell.
    if write_blocking(&stream, &body[written..]).is_ok() {
        drop(stream);
        let _ = OutgoingBody::finish(outgoing_body, None);
    }
}

/// The response's headers as WASI fields: in one host call (`from-list`), not one per header.
fn response_fields(headers: &http::HeaderMap) -> Fields {
    let list: Vec<(String, Vec<u8>)> =
        headers.iter().map(|(name, value)| (name.as_str().to_string(), value.as_bytes().to_vec())).collect();
    Fields::from_list(&list).unwrap_or_else(|_| {
        // Refused as a whole when one header is one the host manages itself (`connection` and the
        // like), which no handler sets; then each is added alone, so a refusal loses only itself.
        let fields = Fields::new();
        for (name, value) in list {
            let _ = fields.append(&name, &value);
        }
        fields
    })
}

/// Whether the response carries a `Content-Length` for its body: not for `HEAD` (whose empty
/// body stands for the `GET`'s), nor where HTTP forbids a body.
fn declares_length(method: &http::Method, status: http::StatusCode) -> bool {
    method != http::Method::HEAD
        && !status.is_informational()
        && status != http::StatusCode::NO_CONTENT
        && status != http::StatusCode::NOT_MODIFIED
}

/// Writes and flushes as much of `bytes` as the stream takes without waiting; returns how much.
fn write_without_waiting(stream: &OutputStream, bytes: &[u8]) -> usize {
    let mut written = 0;
    while written < bytes.len() {
        let permitted = match stream.check_write() {
            Ok(0) | Err(_) => break,
            Ok(n) => n as usize,
        };
        let end = bytes.len().min(written + permitted);
        if stream.write(&bytes[written..end]).is_err() || stream.flush().is_err() {
            break;
        }
        written = end;
    }
    written
}

/// Whether the flushes started complete within [`PREWRITE_FLUSH_WAIT_NS`], with no reader yet.
fn flush_completes(stream: &OutputStream) -> bool {
    let flushed = stream.subscribe();
    // On Spin 4.0.2 the flush has completed by the first look: one host call answers it. Only
    // otherwise is a timer made and both polled (three calls more).
    if !flushed.ready() {
        let timeout = wasi::clocks::monotonic_clock::subscribe_duration(PREWRITE_FLUSH_WAIT_NS);
        // `poll` lists the ready pollables by index: 0 is the stream's.
        if !wasi::io::poll::poll(&[&flushed, &timeout]).contains(&0) {
            return false;
        }
    }
    matches!(stream.check_write(), Ok(n) if n > 0)
}

fn write_blocking(stream: &OutputStream, bytes: &[u8]) -> Result<(), StreamError> {
    for chunk in bytes.chunks(BLOCKING_WRITE_MAX) {
        stream.blocking_write_and_flush(chunk)?;
    }
    stream.blocking_flush()
}
