//! Embeds every `migrations/NNNN_name.sql` file into the crate, in order, so that the SQL files
//! stay the one source of truth and adding a migration needs no code change.
use std::{env, fs, path::PathBuf};

fn main() {
    let dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap()).join("../../migrations");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<(u32, String, PathBuf)> = Vec::new();
    for entry in fs::read_dir(&dir).expect("migrations/ directory") {
        let path = entry.expect("readable migrations entry").path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else { continue };
        let Some(stem) = name.strip_suffix(".sql") else { continue };
        let (number, label) =
            stem.split_once('_').unwrap_or_else(|| panic!("migration {name} must be named NNNN_label.sql"));
        let version: u32 =
            number.parse().unwrap_or_else(|_| panic!("migration {name} must start with a number"));
        println!("cargo:rerun-if-changed={}", path.display());
        files.push((version, label.to_string(), path));
    }
    files.sort_by_key(|f| f.0);
    for pair in files.windows(2) {
        assert!(
            pair[0].0 < pair[1].0,
            "migrations {} and {} share version {}",
            pair[0].1,
            pair[1].1,
            pair[1].0
        );
    }
    let mut out = String::from("pub(crate) const MIGRATIONS: &[Migration] = &[\n");
    for (version, name, path) in &files {
        out.push_str(&format!(
            "    Migration {{ version: {version}, name: {name:?}, sql: include_str!({:?}) }},\n",
            path.canonicalize().unwrap()
        ));
    }
    out.push_str("];\n");
    fs::write(PathBuf::from(env::var("OUT_DIR").unwrap()).join("migrations.rs"), out).unwrap();
}
