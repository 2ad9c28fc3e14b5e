//! Outbound HTTP from components.
//!
//! folio's components allow no outbound hosts, and this test host must never reach outside
//! the machine, so every outgoing `wasi:http` request is refused with
//! `error-code::http-request-denied`, the code Spin returns for a host that is not in
//! `allowed_outbound_hosts`. Outbound sockets are likewise not granted (WASI network access
//! is never enabled).

use std::future::Future;

use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

pub struct OutboundPolicy;

type ResponseIo = Box<dyn Future<Output = Result<(), Error>> + Send>;

impl WasiHttpHooks for OutboundPolicy {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        _options: Option<RequestOptions>,
        _fut: Box<dyn Future<Output = Result<(), Error>> + Send>,
    ) -> Box<dyn Future<Output = Result<(http::Response<WasiBody>, ResponseIo), Error>> + Send> {
        eprintln!(
            "spin-test-host: denied outbound request to {} (no outbound hosts are allowed)",
            request.uri()
        );
        Box::new(async { Err(Error::HttpRequestDenied) })
    }
}
