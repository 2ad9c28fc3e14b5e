//! `wasi:keyvalue@0.2.0-draft2` `store` and `batch`, as Spin 3 serves them: over the same
//! labels, grants and backends as `fermyon:spin/key-value`, with Spin's errors (a label not
//! granted is `access-denied`, one the host does not know `no-such-store`, a backend failure
//! `other(message)`) and Spin's one-page `list-keys` (a cursor is refused).

use std::sync::Arc;

use wasmtime::component::Resource;

use super::key_value::OpenStore;
use super::InstanceState;
use crate::bindings::keyvalue::wasi::keyvalue::{batch, store};
use crate::kv::{KvBackend, KvError};

use store::{Error, KeyResponse};

fn other(e: KvError) -> Error {
    Error::Other(e.0)
}

impl InstanceState {
    fn bucket(&self, handle: &Resource<OpenStore>) -> Result<Arc<dyn KvBackend>, Error> {
        // Spin answers a handle it does not know with `no-such-store`.
        self.table.get(handle).map(|s| s.backend.clone()).map_err(|_| Error::NoSuchStore)
    }
}

impl store::Host for InstanceState {
    fn open(&mut self, identifier: String) -> Result<Resource<OpenStore>, Error> {
        self.open_store(&identifier).map_err(|e| match e {
            crate::bindings::fermyon::spin::key_value::Error::AccessDenied => Error::AccessDenied,
            crate::bindings::fermyon::spin::key_value::Error::NoSuchStore => Error::NoSuchStore,
            crate::bindings::fermyon::spin::key_value::Error::StoreTableFull => {
                Error::Other("store table full".into())
            }
            crate::bindings::fermyon::spin::key_value::Error::Other(m) => Error::Other(m),
        })
    }
}

impl store::HostBucket for InstanceState {
    fn get(&mut self, bucket: Resource<OpenStore>, key: String) -> Result<Option<Vec<u8>>, Error> {
        self.bucket(&bucket)?.get(&key).map_err(other)
    }

    fn set(&mut self, bucket: Resource<OpenStore>, key: String, value: Vec<u8>) -> Result<(), Error> {
        self.bucket(&bucket)?.set(&key, &value).map_err(other)
    }

    fn delete(&mut self, bucket: Resource<OpenStore>, key: String) -> Result<(), Error> {
        self.bucket(&bucket)?.delete(&key).map_err(other)
    }

    fn exists(&mut self, bucket: Resource<OpenStore>, key: String) -> Result<bool, Error> {
        self.bucket(&bucket)?.exists(&key).map_err(other)
    }

    fn list_keys(
        &mut self,
        bucket: Resource<OpenStore>,
        cursor: Option<String>,
    ) -> Result<KeyResponse, Error> {
        if cursor.is_some() {
            return Err(Error::Other("list_keys: cursor not supported".into()));
        }
        let keys = self.bucket(&bucket)?.get_keys().map_err(other)?;
        Ok(KeyResponse { keys, cursor: None })
    }

    fn drop(&mut self, bucket: Resource<OpenStore>) -> wasmtime::Result<()> {
        self.close_store(bucket)
    }
}

impl batch::Host for InstanceState {
    fn get_many(
        &mut self,
        bucket: Resource<OpenStore>,
        keys: Vec<String>,
    ) -> Result<crate::kv::Pairs, Error> {
        self.bucket(&bucket)?.get_many(&keys).map_err(other)
    }

    fn set_many(
        &mut self,
        bucket: Resource<OpenStore>,
        key_values: Vec<(String, Vec<u8>)>,
    ) -> Result<(), Error> {
        self.bucket(&bucket)?.set_many(&key_values).map_err(other)
    }

    fn delete_many(&mut self, bucket: Resource<OpenStore>, keys: Vec<String>) -> Result<(), Error> {
        self.bucket(&bucket)?.delete_many(&keys).map_err(other)
    }
}
