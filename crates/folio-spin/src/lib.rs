//! Spin implementations of folio-core's ports, compiled only for Wasm.
//!
//! Stores are opened lazily: a request that never touches SQLite (a token check that fails
//! early, a static file) never pays for opening it. Each request is a fresh instance, so "lazily
//! once" means at most once per request.

#[cfg(target_arch = "wasm32")]
pub mod edge;
#[cfg(target_arch = "wasm32")]
mod spin;

#[cfg(target_arch = "wasm32")]
pub use spin::*;
