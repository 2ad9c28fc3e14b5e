//! The host's floor for every benchmark: the cheapest component Spin can run, built with the
//! same SDK and release profile as the app's, and answering through the app's own HTTP edge
//! (`folio_spin::edge`: the body written before the response is handed to Spin), so that every
//! figure can be read as a ratio to it.
#![cfg(target_arch = "wasm32")]

use spin_sdk::http::{IncomingRequest, ResponseOutparam};

#[spin_sdk::http_component]
fn handle(_req: IncomingRequest, out: ResponseOutparam) {
    let response = http::Response::builder()
        .status(200)
        .header("content-type", "text/plain")
        .body(b"ok".to_vec())
        .unwrap();
    folio_spin::edge::write_response(out.into_inner(), response, &http::Method::GET);
}
