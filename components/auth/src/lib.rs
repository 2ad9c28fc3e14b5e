//! The `auth` component. All logic lives in `folio-auth`, which compiles and is tested natively;
//! this crate only hands Spin's request to it over the Spin implementations of the ports.
#![cfg(target_arch = "wasm32")]

use spin_sdk::http::{IncomingRequest, ResponseOutparam};

#[spin_sdk::http_component]
fn handle(req: IncomingRequest, out: ResponseOutparam) {
    folio_spin::run("auth", req, out, folio_auth::handle)
}
