//! Compiled components, cached on disk between runs of the host.
//!
//! Cranelift needs seconds to compile folio's components on two cores, and the tests start
//! the host many times, so the machine code is kept keyed by the Wasm file's SHA-256 and the
//! engine's compatibility hash. Only files this host wrote are ever loaded back (which is
//! what makes the `unsafe` deserialisation sound), and a file wasmtime rejects is simply
//! compiled again.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::component::Component;
use wasmtime::Engine;

/// The default cache directory; `SPIN_TEST_HOST_CACHE_DIR` overrides it.
pub fn default_dir() -> PathBuf {
    std::env::var_os("SPIN_TEST_HOST_CACHE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("spin-test-host-cache"))
}

pub fn load(engine: &Engine, wasm_path: &Path, cache_dir: &Path) -> wasmtime::Result<Component> {
    let bytes = std::fs::read(wasm_path)
        .map_err(|e| wasmtime::format_err!("cannot read {}: {e}", wasm_path.display()))?;
    let mut engine_hash = DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut engine_hash);
    let digest: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
    let key = format!("{digest}-{:016x}-{}.cwasm", engine_hash.finish(), env!("CARGO_PKG_VERSION"));
    let cached = cache_dir.join(key);
    if cached.is_file() {
        // SAFETY: the file was produced by `Component::serialize` in this host (the cache
        // directory is ours) and wasmtime checks its header and engine compatibility.
        if let Ok(component) = unsafe { Component::deserialize_file(engine, &cached) } {
            return Ok(component);
        }
    }
    let component = Component::new(engine, &bytes)?;
    // A failure to write the cache only costs the next start a compilation.
    if let Ok(serialized) = component.serialize() {
        let _ = std::fs::create_dir_all(cache_dir);
        // Write then rename, so concurrent hosts never read a half-written file.
        let partial = cached.with_extension(format!("tmp{}", std::process::id()));
        if std::fs::write(&partial, serialized).is_ok() {
            let _ = std::fs::rename(&partial, &cached);
        }
    }
    Ok(component)
}
