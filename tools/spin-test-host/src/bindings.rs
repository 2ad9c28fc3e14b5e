//! Host-side bindings for Spin's `fermyon:spin@2.0.0` interfaces and `wasi:keyvalue@0.2.0-draft2`,
//! generated at build time from the WIT files inside the spin-sdk 5.2 crate (see build.rs).

#![allow(clippy::all, missing_docs)]

include!(concat!(env!("OUT_DIR"), "/spin_bindings.rs"));

/// `wasi:keyvalue@0.2.0-draft2`: store, batch and atomics, as Spin 3 serves them.
pub mod keyvalue {
    #![allow(clippy::all, missing_docs)]

    include!(concat!(env!("OUT_DIR"), "/keyvalue_bindings.rs"));
}
