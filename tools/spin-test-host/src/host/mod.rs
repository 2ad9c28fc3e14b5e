//! The per-instance state behind every import a component makes: WASI, `wasi:http`, and
//! Spin's own interfaces. One `InstanceState` lives in each request's `Store`, so nothing a
//! guest opens (stores, connections) outlives its request, as with Spin.

pub mod key_value;
pub mod sqlite;
pub mod unsupported;
pub mod variables;
pub mod wasi_keyvalue;

use std::collections::BTreeSet;
use std::sync::Arc;

use wasmtime::component::{HasSelf, Linker, ResourceTable};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::bindings::SpinTestHost as SpinWorld;
use crate::kv::KvStores;
use crate::outbound::OutboundPolicy;
use crate::sqlite_db::Databases;
use crate::variables::ComponentVariables;

/// What one component may use, fixed at start-up and shared by all of its instances.
pub struct ComponentContext {
    pub allowed_stores: BTreeSet<String>,
    pub allowed_databases: BTreeSet<String>,
    pub stores: KvStores,
    pub databases: Arc<Databases>,
    pub variables: ComponentVariables,
}

/// The data of one request's `Store`.
pub struct InstanceState {
    pub table: ResourceTable,
    pub wasi: WasiCtx,
    pub http: WasiHttpCtx,
    pub outbound: OutboundPolicy,
    pub component: Arc<ComponentContext>,
    /// Open key-value stores and SQLite connections, for Spin's per-instance limits.
    pub open_stores: u32,
    pub open_connections: u32,
}

impl InstanceState {
    pub fn new(wasi: WasiCtx, component: Arc<ComponentContext>) -> Self {
        Self {
            table: ResourceTable::new(),
            wasi,
            http: WasiHttpCtx::new(),
            outbound: OutboundPolicy,
            component,
            open_stores: 0,
            open_connections: 0,
        }
    }
}

impl WasiView for InstanceState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl WasiHttpView for InstanceState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView { ctx: &mut self.http, table: &mut self.table, hooks: &mut self.outbound }
    }
}

/// Adds WASI, `wasi:http`, every `fermyon:spin@2.0.0` interface and `wasi:keyvalue`'s store and
/// batch to the linker.
pub fn add_to_linker(linker: &mut Linker<InstanceState>) -> wasmtime::Result<()> {
    wasmtime_wasi::p2::add_to_linker_async(linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(linker)?;
    SpinWorld::add_to_linker::<_, HasSelf<InstanceState>>(linker, |state| state)?;
    crate::bindings::keyvalue::SpinTestHost::add_to_linker::<_, HasSelf<InstanceState>>(linker, |state| {
        state
    })?;
    Ok(())
}
