//! The benchmarks' fourth floor: the one-read floor (bench/baseline-kv) plus what Spin charges
//! for the other platform services that every cached authenticated read of the app must use,
//! and none of the app's own work. Measured on Spin 4.0.2, each of them costs more in the host
//! than the guest code around it (docs/benchmarks.md, "A cached read's floor"):
//!
//! - the request read through the app's edge, every header (the token is in one of them);
//! - the two token variables that strict validation compares the claims with (`token_issuer`,
//!   `token_audience`): Spin resolves each through its providers on every call;
//! - one batch read of the keys a cached read names, taken from the query (`k=`, up to three),
//!   so that over the app's state directory the values are the app's own session and cached copy;
//! - one request log line on stderr, of the app's shape (Spin writes it to its log file);
//! - the last value (the cached entry, a few header lines and the book's JSON) answered through
//!   the app's edge, as bytes: the same bytes the app answers, give or take those lines.
//!
//! Nothing is parsed, checked or hashed. A ratio to this floor is the cost of the app's own code.
#![cfg(target_arch = "wasm32")]

use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::variables;
use spin_sdk::wit::wasi::keyvalue::{batch, store};

/// The variables a token check reads.
const TOKEN_VARIABLES: [&str; 2] = ["token_issuer", "token_audience"];

#[spin_sdk::http_component]
fn handle(incoming: IncomingRequest, out: ResponseOutparam) {
    let Ok(req) = folio_spin::edge::read_request(incoming) else {
        return answer(out, 400, b"unreadable request".to_vec());
    };
    let started = now_ms();
    let settings: Result<Vec<String>, _> = TOKEN_VARIABLES.iter().map(|name| variables::get(name)).collect();
    let keys: Vec<String> = req
        .uri()
        .query()
        .unwrap_or_default()
        .split('&')
        .filter_map(|pair| pair.strip_prefix("k="))
        .take(3)
        .map(|key| key.replace("%3A", ":").replace("%3a", ":"))
        .collect();
    let found = store::open("default").and_then(|bucket| batch::get_many(&bucket, &keys));
    let (status, body) = match (settings, found) {
        // Spin's SQLite store answers the pairs it found in no promised order.
        (Ok(_), Ok(pairs)) => {
            match pairs.into_iter().find(|(key, _)| Some(key) == keys.last()).and_then(|(_, v)| v) {
                Some(value) => (200, value),
                None => (404, b"no such key".to_vec()),
            }
        }
        _ => (500, b"store or variables unavailable".to_vec()),
    };
    let line = folio_core::serve::log_line(&req, status, started, now_ms(), "floor");
    folio_core::log::emit(line);
    answer(out, status, body)
}

/// The wall clock as the app reads it (two reads per request, for the log line's duration).
fn now_ms() -> i64 {
    folio_core::Clock::now_ms(&folio_spin::SpinClock)
}

fn answer(out: ResponseOutparam, status: u16, body: Vec<u8>) {
    let response = http::Response::builder()
        .status(status)
        .header("content-type", "application/octet-stream")
        .body(body)
        .unwrap();
    folio_spin::edge::write_response(out.into_inner(), response, &http::Method::GET);
}
