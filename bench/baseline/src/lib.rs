//! The host's floor for every benchmark: the cheapest component Spin can run, built with the
//! same SDK and release profile as the app's, so that every figure can be read as a ratio to it.
#![cfg(target_arch = "wasm32")]

#[spin_sdk::http_component]
fn handle(_req: http::Request<Vec<u8>>) -> http::Response<Vec<u8>> {
    http::Response::builder().status(200).header("content-type", "text/plain").body(b"ok".to_vec()).unwrap()
}
