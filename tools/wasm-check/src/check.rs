use wasmparser::{Parser, Payload};

/// What a component imports and exports at its top level.
#[derive(Debug, Default)]
pub struct Report {
    pub imports: Vec<String>,
    pub exports: Vec<String>,
    /// The shadow stack of the component's first core module, in bytes: the initial value of its
    /// stack pointer (the first mutable `i32` global), which with Rust's stack-first layout is the
    /// stack's size. `None` when the module has none.
    pub stack_bytes: Option<u32>,
}

/// The largest shadow stack a component may link with (.cargo/config.toml says why: Spin resets
/// every byte of a linear memory after each request).
pub const MAX_STACK_BYTES: u32 = 128 * 1024;

/// Reads the top-level import and export names of a component (not of its nested modules).
pub fn inspect(bytes: &[u8]) -> Result<Report, wasmparser::BinaryReaderError> {
    let mut report = Report::default();
    let mut depth = 0usize;
    let mut is_component = false;
    for payload in Parser::new(0).parse_all(bytes) {
        match payload? {
            Payload::Version { encoding, .. } => {
                if depth == 0 {
                    is_component = encoding == wasmparser::Encoding::Component;
                }
                depth += 1;
            }
            Payload::End(_) => depth = depth.saturating_sub(1),
            Payload::ComponentImportSection(section) if depth == 1 => {
                for import in section {
                    report.imports.push(import?.name.0.to_string());
                }
            }
            Payload::ComponentExportSection(section) if depth == 1 => {
                for export in section {
                    report.exports.push(export?.name.0.to_string());
                }
            }
            Payload::GlobalSection(section) if depth == 2 && report.stack_bytes.is_none() => {
                for global in section {
                    let global = global?;
                    if global.ty.mutable && global.ty.content_type == wasmparser::ValType::I32 {
                        if let wasmparser::Operator::I32Const { value } =
                            global.init_expr.get_operators_reader().read()?
                        {
                            report.stack_bytes = Some(value as u32);
                        }
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    if !is_component {
        report.exports.push("<not a component>".into());
    }
    Ok(report)
}

/// Interfaces a Spin 3.x host provides and this app is allowed to import: (prefix, versions).
const ALLOWED: &[(&str, &str)] = &[
    ("wasi:cli/", "0.2."),
    ("wasi:clocks/", "0.2."),
    ("wasi:filesystem/", "0.2."),
    ("wasi:io/", "0.2."),
    // The types of the exported incoming handler; outgoing-handler stays refused.
    ("wasi:http/types@", "0.2."),
    ("wasi:random/", "0.2."),
    // Spin 3's wasi:keyvalue over the same stores as fermyon:spin/key-value, for its batch
    // read; `atomics` is not used.
    ("wasi:keyvalue/store@", "0.2.0-draft2"),
    ("wasi:keyvalue/batch@", "0.2.0-draft2"),
    ("fermyon:spin/sqlite@", "2.0.0"),
    ("fermyon:spin/variables@", "2.0.0"),
];

fn allowed(import: &str) -> bool {
    ALLOWED.iter().any(|(prefix, version)| {
        import.starts_with(prefix)
            && import.rsplit_once('@').is_some_and(|(_, v)| v.starts_with(version) || v == *version)
    })
}

/// Everything wrong with a component, in words.
pub fn problems(report: &Report) -> Vec<String> {
    let mut out: Vec<String> = report
        .imports
        .iter()
        .filter(|i| !allowed(i))
        .map(|i| format!("imports {i}, which is not among the interfaces this app may use on Spin 3.x"))
        .collect();
    if !report.exports.iter().any(|e| e.starts_with("wasi:http/incoming-handler@0.2.")) {
        out.push(format!("does not export wasi:http/incoming-handler@0.2.x (exports: {:?})", report.exports));
    }
    if let Some(stack) = report.stack_bytes.filter(|s| *s > MAX_STACK_BYTES) {
        out.push(format!(
            "links a {} KiB stack, more than {} KiB: Spin resets every byte of it after each request \
             (was .cargo/config.toml's rustflags replaced by a RUSTFLAGS variable?)",
            stack / 1024,
            MAX_STACK_BYTES / 1024
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(imports: &[&str]) -> Report {
        Report {
            imports: imports.iter().map(|s| s.to_string()).collect(),
            exports: vec!["wasi:http/incoming-handler@0.2.0".into()],
            stack_bytes: Some(MAX_STACK_BYTES),
        }
    }

    #[test]
    fn refuses_a_stack_larger_than_the_workspace_sets() {
        let mut r = report(&[]);
        assert!(problems(&r).is_empty());
        r.stack_bytes = Some(1024 * 1024);
        assert_eq!(problems(&r).len(), 1, "Rust's default 1 MiB stack");
    }

    #[test]
    fn accepts_wasi_02_and_spin_2_interfaces() {
        let r = report(&[
            "wasi:io/streams@0.2.6",
            "wasi:cli/environment@0.2.0",
            "fermyon:spin/sqlite@2.0.0",
            "wasi:keyvalue/store@0.2.0-draft2",
            "wasi:keyvalue/batch@0.2.0-draft2",
        ]);
        assert!(problems(&r).is_empty(), "{:?}", problems(&r));
    }

    #[test]
    fn refuses_what_spin_3_lacks_or_the_app_must_not_use() {
        for bad in [
            "wasi:http/outgoing-handler@0.2.0",
            "wasi:sockets/tcp@0.2.0",
            "spin:sqlite/sqlite@3.0.0",
            "wasi:io/streams@0.3.0-rc-2026-01-06",
            "fermyon:spin/sqlite@3.0.0",
            "wasi:keyvalue/atomics@0.2.0-draft2",
            "wasi:keyvalue/store@0.2.0",
        ] {
            assert_eq!(problems(&report(&[bad])).len(), 1, "{bad} should be refused");
        }
    }

    #[test]
    fn requires_the_http_handler_export() {
        let r = Report { imports: vec![], exports: vec!["run".into()], stack_bytes: None };
        assert_eq!(problems(&r).len(), 1);
    }

    #[test]
    fn non_components_are_not_reported_as_handlers() {
        let module = b"\0asm\x01\0\0\0";
        let r = inspect(module).unwrap();
        assert!(!problems(&r).is_empty());
    }
}
