//! `wasm-check COMPONENT.wasm...`: lists each component's imports and exports and fails when a
//! component imports an interface that a Spin 3.x host does not provide, or does not export the
//! WASIp2 HTTP handler. Prints a Markdown table of sizes for the README.
//!
//! Spin 3.x hosts provide WASI 0.2.x (wasmtime links any 0.2.x minor version to its own), the
//! `fermyon:spin/*@2.0.0` interfaces and `wasi:keyvalue@0.2.0-draft2`. Of those, this app may use only the ones its components
//! need: a component that starts importing something else (outbound networking, an unreleased
//! interface) should fail here and be looked at.

#[cfg(not(target_arch = "wasm32"))]
mod check;

/// A native tool: in a workspace-wide Wasm build it compiles to nothing useful.
#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    use std::{path::Path, process::ExitCode};

    let paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.is_empty() {
        eprintln!("usage: wasm-check COMPONENT.wasm...");
        return ExitCode::from(2);
    }
    let mut failed = false;
    let mut sizes = Vec::new();
    for path in &paths {
        let path = Path::new(path);
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("{}: cannot read: {e}", path.display());
                failed = true;
                continue;
            }
        };
        let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or("?").to_string();
        match check::inspect(&bytes) {
            Ok(report) => {
                let stack =
                    report.stack_bytes.map_or("no stack".to_string(), |s| format!("{} KiB stack", s / 1024));
                println!("{name}: {} bytes, {stack}", bytes.len());
                for import in &report.imports {
                    println!("  import {import}");
                }
                for export in &report.exports {
                    println!("  export {export}");
                }
                let problems = check::problems(&report);
                for p in &problems {
                    eprintln!("{name}: {p}");
                }
                failed |= !problems.is_empty();
                sizes.push((name, bytes.len()));
            }
            Err(e) => {
                eprintln!("{}: not a valid component: {e}", path.display());
                failed = true;
            }
        }
    }
    println!("\n| component | size |\n| --- | ---: |");
    for (name, size) in &sizes {
        println!("| `{name}` | {:.1} KiB |", *size as f64 / 1024.0);
    }
    if failed {
        eprintln!("wasm-check: FAILED");
        ExitCode::FAILURE
    } else {
        println!("\nwasm-check: {} components OK", sizes.len());
        ExitCode::SUCCESS
    }
}
