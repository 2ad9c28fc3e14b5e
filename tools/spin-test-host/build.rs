//! Generates the host bindings for Spin's `fermyon:spin@2.0.0` interfaces and for
//! `wasi:keyvalue@0.2.0-draft2` (which Spin 3 also serves) from the WIT files shipped inside
//! the spin-sdk 5.2 crate, so the host implements exactly what the SDK that builds folio's
//! components imports, with nothing retyped by hand.
//!
//! The spin-sdk crate is located through `cargo metadata` on the test guest's workspace
//! (which depends on spin-sdk 5.2 and pins it in its Cargo.lock). Set `SPIN_SDK_WIT_DIR` to
//! a spin-sdk `wit/` directory to skip that look-up.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The spin-sdk line the components are built with (see DESIGN.md).
const SDK_VERSION_PREFIX: &str = "5.2.";

fn main() {
    println!("cargo:rerun-if-env-changed=SPIN_SDK_WIT_DIR");
    println!("cargo:rerun-if-changed=test-guest/Cargo.lock");
    println!("cargo:rerun-if-changed=build.rs");

    let wit_dir = match env::var_os("SPIN_SDK_WIT_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => locate_spin_sdk_wit(),
    };
    let spin_package = wit_dir.join("deps").join("spin@2.0.0");
    assert!(
        spin_package.join("key-value.wit").is_file(),
        "{} does not hold spin-sdk's fermyon:spin@2.0.0 WIT files",
        spin_package.display()
    );
    println!("cargo:rerun-if-changed={}", wit_dir.display());

    // Copy the interface files (not spin-sdk's world.wit, whose worlds pull in WASI and
    // WASIp3 packages) and add a world that imports every interface of the package.
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let wit_out = out.join("spin-wit");
    let _ = fs::remove_dir_all(&wit_out);
    fs::create_dir_all(&wit_out).expect("create spin-wit directory");
    let mut interfaces = Vec::new();
    for entry in fs::read_dir(&spin_package).expect("read spin@2.0.0 WIT directory") {
        let path = entry.expect("directory entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if !name.ends_with(".wit") || name == "world.wit" {
            continue;
        }
        let text = fs::read_to_string(&path).expect("read WIT file");
        interfaces.extend(
            text.lines()
                .filter_map(|l| l.trim().strip_prefix("interface "))
                .filter_map(|l| l.split_whitespace().next())
                .map(str::to_owned),
        );
        fs::copy(&path, wit_out.join(name)).expect("copy WIT file");
    }
    interfaces.sort();
    let imports: String = interfaces.iter().map(|i| format!("    import {i};\n")).collect();
    fs::write(
        wit_out.join("spin-test-host.wit"),
        format!("package fermyon:spin@2.0.0;\n\nworld spin-test-host {{\n{imports}}}\n"),
    )
    .expect("write host world");

    let bindings = format!(
        r#"wasmtime::component::bindgen!({{
    path: {path:?},
    world: "fermyon:spin/spin-test-host",
    with: {{
        "fermyon:spin/key-value.store": crate::host::key_value::OpenStore,
        "fermyon:spin/sqlite.connection": crate::host::sqlite::OpenConnection,
        "fermyon:spin/redis.connection": crate::host::unsupported::Unsupported,
        "fermyon:spin/mqtt.connection": crate::host::unsupported::Unsupported,
        "fermyon:spin/postgres.connection": crate::host::unsupported::Unsupported,
        "fermyon:spin/mysql.connection": crate::host::unsupported::Unsupported,
    }},
}});
"#,
        path = wit_out.display().to_string()
    );
    fs::write(out.join("spin_bindings.rs"), bindings).expect("write spin_bindings.rs");

    // wasi:keyvalue: `store` and `batch`. Its `bucket` is the same host object as Spin's
    // `store`, as in Spin, where both interfaces share one table of open stores. `atomics` is
    // not served: a component importing it fails at start-up with wasmtime's "missing import".
    let keyvalue_package = wit_dir.join("deps").join("keyvalue-2024-10-17");
    assert!(
        keyvalue_package.join("batch.wit").is_file(),
        "{} does not hold spin-sdk's wasi:keyvalue@0.2.0-draft2 WIT files",
        keyvalue_package.display()
    );
    let keyvalue_out = out.join("keyvalue-wit");
    let _ = fs::remove_dir_all(&keyvalue_out);
    fs::create_dir_all(&keyvalue_out).expect("create keyvalue-wit directory");
    for entry in fs::read_dir(&keyvalue_package).expect("read keyvalue WIT directory") {
        let path = entry.expect("directory entry").path();
        if path.extension().is_some_and(|e| e == "wit") {
            fs::copy(&path, keyvalue_out.join(path.file_name().expect("file name"))).expect("copy WIT file");
        }
    }
    fs::write(
        keyvalue_out.join("spin-test-host.wit"),
        "package wasi:keyvalue@0.2.0-draft2;\n\nworld spin-test-host {\n    import store;\n    import batch;\n}\n",
    )
    .expect("write keyvalue host world");
    let bindings = format!(
        r#"wasmtime::component::bindgen!({{
    path: {path:?},
    world: "wasi:keyvalue/spin-test-host",
    with: {{
        "wasi:keyvalue/store.bucket": crate::host::key_value::OpenStore,
    }},
}});
"#,
        path = keyvalue_out.display().to_string()
    );
    fs::write(out.join("keyvalue_bindings.rs"), bindings).expect("write keyvalue_bindings.rs");
}

/// Asks cargo where the spin-sdk crate used by the test guest lives (downloading it if needed).
fn locate_spin_sdk_wit() -> PathBuf {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let guest_manifest = manifest_dir.join("test-guest").join("Cargo.toml");
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked", "--manifest-path"])
        .arg(&guest_manifest)
        .output()
        .expect("run cargo metadata for the test guest");
    assert!(
        output.status.success(),
        "cargo metadata failed for {}: {}",
        guest_manifest.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON");
    let packages = metadata["packages"].as_array().expect("packages array");
    let sdk = packages
        .iter()
        .find(|p| {
            p["name"] == "spin-sdk"
                && p["version"].as_str().is_some_and(|v| v.starts_with(SDK_VERSION_PREFIX))
        })
        .unwrap_or_else(|| panic!("the test guest does not depend on spin-sdk {SDK_VERSION_PREFIX}x"));
    let sdk_manifest = Path::new(sdk["manifest_path"].as_str().expect("manifest_path"));
    sdk_manifest.parent().expect("manifest has a parent directory").join("wit")
}
