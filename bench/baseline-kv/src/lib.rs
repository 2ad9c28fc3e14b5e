//! The benchmarks' second floor: the baseline component plus what every authenticated request
//! of the app must do at the least, under Spin's model: open the key-value store and read, in
//! one batch, the keys a cached book read names (the token's session, the catalogue's data
//! version, the book's cache slot). Nothing is parsed or checked, and the keys are absent, so
//! the values cost nothing to move: no route that reads the store can be cheaper than this.
//! A ratio to it separates what the app's own code costs from what the store round trip costs.
//! It answers through the app's HTTP edge, as the baseline does.
#![cfg(target_arch = "wasm32")]

use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::wit::wasi::keyvalue::{batch, store};

/// As many keys as `GET /api/books/{id}` reads ahead, of about the same length.
const KEYS: [&str; 3] = [
    "auth:session:floor000000000000000000000:floor000000000000000000000",
    "floor:data-version",
    "floor:book-cache:0000",
];

#[spin_sdk::http_component]
fn handle(_req: IncomingRequest, out: ResponseOutparam) {
    let keys: Vec<String> = KEYS.iter().map(|k| k.to_string()).collect();
    let found = store::open("default").and_then(|bucket| batch::get_many(&bucket, &keys));
    let (status, body): (u16, &[u8]) = match found {
        Ok(_) => (200, b"ok"),
        Err(_) => (500, b"key-value store unavailable"),
    };
    let response = http::Response::builder()
        .status(status)
        .header("content-type", "text/plain")
        .body(body.to_vec())
        .unwrap();
    folio_spin::edge::write_response(out.into_inner(), response, &http::Method::GET);
}
