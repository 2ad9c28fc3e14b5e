//! The `ui` component. All logic lives in `folio-ui`, which compiles and is tested natively;
//! this crate only hands Spin's request to it over the Spin implementations of the ports.
#![cfg(target_arch = "wasm32")]

#[spin_sdk::http_component]
fn handle(req: http::Request<Vec<u8>>) -> http::Response<Vec<u8>> {
    folio_spin::run("ui", req, folio_ui::handle)
}
