//! Host-side bindings for Spin's `fermyon:spin@2.0.0` interfaces, generated at build time
//! from the WIT files inside the spin-sdk 5.2 crate (see build.rs).

#![allow(clippy::all, missing_docs)]

include!(concat!(env!("OUT_DIR"), "/spin_bindings.rs"));
