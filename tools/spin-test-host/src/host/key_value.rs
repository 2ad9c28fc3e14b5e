//! `fermyon:spin/key-value@2.0.0`, with Spin's checks in Spin's order: a label the
//! component was not granted is `access-denied` (whether or not it exists), a granted label
//! the host does not know is `no-such-store`, and backend failures are `other(message)`.

use std::sync::Arc;

use wasmtime::component::Resource;

use super::InstanceState;
use crate::bindings::fermyon::spin::key_value::{Error, Host, HostStore};
use crate::kv::{KvBackend, KvError};

/// Spin's limit of simultaneously open stores per instance.
const MAX_OPEN_STORES: u32 = 256;

/// The host object behind a guest's `store` handle.
pub struct OpenStore {
    pub(super) backend: Arc<dyn KvBackend>,
}

fn other(e: KvError) -> Error {
    Error::Other(e.0)
}

impl InstanceState {
    /// Opens a granted label; shared with `wasi:keyvalue/store.open`, as in Spin.
    pub(super) fn open_store(&mut self, label: &str) -> Result<Resource<OpenStore>, Error> {
        if !self.component.allowed_stores.contains(label) {
            return Err(Error::AccessDenied);
        }
        let backend = self.component.stores.get(label).ok_or(Error::NoSuchStore)?;
        // Spin opens the backend before it looks for room in the instance's store table.
        backend.open();
        if self.open_stores >= MAX_OPEN_STORES {
            return Err(Error::StoreTableFull);
        }
        let handle = self.table.push(OpenStore { backend }).map_err(|e| Error::Other(e.to_string()))?;
        self.open_stores += 1;
        Ok(handle)
    }

    pub(super) fn close_store(&mut self, store: Resource<OpenStore>) -> wasmtime::Result<()> {
        self.table.delete(store)?;
        self.open_stores = self.open_stores.saturating_sub(1);
        Ok(())
    }

    fn store(&self, handle: &Resource<OpenStore>) -> Result<Arc<dyn KvBackend>, Error> {
        self.table
            .get(handle)
            .map(|s| s.backend.clone())
            .map_err(|e| Error::Other(format!("invalid store handle: {e}")))
    }
}

impl Host for InstanceState {}

impl HostStore for InstanceState {
    fn open(&mut self, label: String) -> Result<Resource<OpenStore>, Error> {
        self.open_store(&label)
    }

    fn get(&mut self, store: Resource<OpenStore>, key: String) -> Result<Option<Vec<u8>>, Error> {
        self.store(&store)?.get(&key).map_err(other)
    }

    fn set(&mut self, store: Resource<OpenStore>, key: String, value: Vec<u8>) -> Result<(), Error> {
        self.store(&store)?.set(&key, &value).map_err(other)
    }

    fn delete(&mut self, store: Resource<OpenStore>, key: String) -> Result<(), Error> {
        self.store(&store)?.delete(&key).map_err(other)
    }

    fn exists(&mut self, store: Resource<OpenStore>, key: String) -> Result<bool, Error> {
        self.store(&store)?.exists(&key).map_err(other)
    }

    fn get_keys(&mut self, store: Resource<OpenStore>) -> Result<Vec<String>, Error> {
        self.store(&store)?.get_keys().map_err(other)
    }

    fn drop(&mut self, store: Resource<OpenStore>) -> wasmtime::Result<()> {
        self.close_store(store)
    }
}
