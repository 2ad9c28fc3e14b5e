//! The benchmarks' floors (bench/baseline, bench/baseline-kv) as one WASIp3 component. Spin
//! 4.0.2 sends up to 128 requests to one WASIp3 instance (16 at once) where it makes a fresh
//! instance for every WASIp2 request, so this measures what the app would save by that reuse:
//! - `/kv`: opens the store and reads the three keys a cached book read names, per request;
//! - `/kv-kept`: the same with the store opened once per instance and kept;
//! - `/kv-batch`: the same as bench/baseline-kv does it, `wasi:keyvalue/batch` `get-many`: one
//!   call for the three keys (spin-sdk 6's own key-value API has no batch: three calls);
//! - any other path: answers at once.
//!
//! Every answer counts the requests its instance has served, so a reader can see the reuse.

use spin_sdk::experimental::wasi::keyvalue::{batch, store};
use spin_sdk::http::{IntoResponse, Request};
use spin_sdk::http_service;
use spin_sdk::key_value::Store;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// The keys bench/baseline-kv reads: as many as `GET /api/books/{id}` reads, of the same length.
const KEYS: [&str; 3] = [
    "auth:session:floor000000000000000000000:floor000000000000000000000",
    "floor:data-version",
    "floor:book-cache:0000",
];

thread_local! {
    static SERVED: Cell<u64> = const { Cell::new(0) };
    static KEPT: RefCell<Option<Rc<Store>>> = const { RefCell::new(None) };
}

async fn read_keys(store: &Store) -> bool {
    for key in KEYS {
        if store.get(key).await.is_err() {
            return false;
        }
    }
    true
}

async fn kept_store() -> Option<Rc<Store>> {
    if let Some(store) = KEPT.with(|kept| kept.borrow().clone()) {
        return Some(store);
    }
    let store = Rc::new(Store::open("default").await.ok()?);
    KEPT.with(|kept| *kept.borrow_mut() = Some(store.clone()));
    Some(store)
}

#[http_service]
async fn handle(req: Request) -> impl IntoResponse {
    let served = SERVED.with(|n| n.replace(n.get() + 1));
    let read = match req.uri().path() {
        "/kv" => match Store::open("default").await {
            Ok(store) => read_keys(&store).await,
            Err(_) => false,
        },
        "/kv-batch" => {
            let keys: Vec<String> = KEYS.iter().map(|k| k.to_string()).collect();
            store::open("default").and_then(|bucket| batch::get_many(&bucket, &keys)).is_ok()
        }
        "/kv-kept" => match kept_store().await {
            Some(store) => read_keys(&store).await,
            None => false,
        },
        _ => true,
    };
    if read {
        format!("ok: request {served} of this instance\n")
    } else {
        "key-value store unavailable\n".to_string()
    }
}
