//! Running blocking I/O (SQLite, Redis) from inside host functions.
//!
//! Guest calls into the host run on a tokio worker thread. SQLite waits on the disk, and a
//! large transaction can take seconds, so the worker is handed over to tokio for the
//! duration (`block_in_place`), as Spin does, and other requests keep being served. Outside
//! a multi-threaded runtime (unit tests) the closure simply runs.

use tokio::runtime::{Handle, RuntimeFlavor};

pub fn run<T>(f: impl FnOnce() -> T) -> T {
    match Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == RuntimeFlavor::MultiThread => tokio::task::block_in_place(f),
        _ => f(),
    }
}
