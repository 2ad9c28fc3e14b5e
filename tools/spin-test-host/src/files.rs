//! The `files` of a component: what the guest sees, read-only, under `/`.
//!
//! Spin copies the files a component asks for into a per-component directory and preopens
//! that directory as the guest's `/`. This host does the same, so a component sees exactly
//! the files its manifest lists (and `exclude_files` removes), at the same guest paths:
//!
//! - a pattern such as `"static/**"` or `"*.txt"` (relative to the manifest's directory)
//!   places every matching file at `/` + its relative path (`/static/index.html`);
//! - a plain directory name such as `"static"` places that whole tree the same way;
//! - `{ source = "assets", destination = "/web" }` places a file or a directory tree at
//!   `destination`.

use std::path::{Component, Path, PathBuf};

use crate::manifest::FileMountDecl;

#[derive(Debug, thiserror::Error)]
pub enum FilesError {
    #[error("component {component:?}: invalid files pattern {pattern:?}: {reason}")]
    BadPattern { component: String, pattern: String, reason: String },
    #[error("component {component:?}: files source {path} does not exist")]
    MissingSource { component: String, path: PathBuf },
    #[error(
        "component {component:?}: files destination {destination:?} must be an absolute path without `..`"
    )]
    BadDestination { component: String, destination: String },
    #[error("component {component:?}: cannot copy {from} to {to}: {source}")]
    Copy { component: String, from: PathBuf, to: PathBuf, source: std::io::Error },
}

/// Builds the directory that becomes the guest's `/`, under `staging_root/<component>`.
/// Returns `None` when the component mounts no files (the guest then has no filesystem).
pub fn stage(
    component: &str,
    mounts: &[FileMountDecl],
    exclude: &[String],
    base_dir: &Path,
    staging_root: &Path,
) -> Result<Option<PathBuf>, FilesError> {
    if mounts.is_empty() {
        return Ok(None);
    }
    let excludes = exclude
        .iter()
        .map(|p| {
            glob::Pattern::new(p).map_err(|e| FilesError::BadPattern {
                component: component.to_owned(),
                pattern: p.clone(),
                reason: e.to_string(),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;

    // Collect (host file, path inside the guest's root) pairs first, then copy.
    let mut placements: Vec<(PathBuf, PathBuf)> = Vec::new();
    for mount in mounts {
        match mount {
            FileMountDecl::Pattern(pattern) => {
                // The glob crate's `dir/**` yields only the subdirectories of `dir`, while
                // Spin means every file under `dir`: also match `dir/**/*`, and let a
                // matched directory stand for every file under it.
                let mut globs = vec![pattern.clone()];
                if pattern.ends_with("**") {
                    globs.push(format!("{pattern}/*"));
                }
                let mut matched_paths = Vec::new();
                for glob_pattern in globs {
                    let full = base_dir.join(&glob_pattern).to_string_lossy().into_owned();
                    let matches = glob::glob(&full).map_err(|e| FilesError::BadPattern {
                        component: component.to_owned(),
                        pattern: pattern.clone(),
                        reason: e.to_string(),
                    })?;
                    matched_paths.extend(matches.flatten());
                }
                for matched in matched_paths {
                    let files = if matched.is_dir() { walk(&matched) } else { vec![matched] };
                    for file in files {
                        let relative = file.strip_prefix(base_dir).unwrap_or(&file).to_owned();
                        placements.push((file, relative));
                    }
                }
            }
            FileMountDecl::Placement { source, destination } => {
                let dest = guest_relative(destination).ok_or_else(|| FilesError::BadDestination {
                    component: component.to_owned(),
                    destination: destination.clone(),
                })?;
                let source_path = base_dir.join(source);
                if source_path.is_dir() {
                    for file in walk(&source_path) {
                        let inner = file.strip_prefix(&source_path).unwrap_or(&file);
                        placements.push((file.clone(), dest.join(inner)));
                    }
                } else if source_path.is_file() {
                    placements.push((source_path, dest));
                } else {
                    return Err(FilesError::MissingSource {
                        component: component.to_owned(),
                        path: source_path,
                    });
                }
            }
        }
    }

    let root = staging_root.join(component);
    let copy_err = |from: &Path, to: &Path, source| FilesError::Copy {
        component: component.to_owned(),
        from: from.to_owned(),
        to: to.to_owned(),
        source,
    };
    if root.exists() {
        std::fs::remove_dir_all(&root).map_err(|e| copy_err(&root, &root, e))?;
    }
    std::fs::create_dir_all(&root).map_err(|e| copy_err(&root, &root, e))?;
    // Overlapping patterns (`static/**` matches `static` and `static/css`) place a file
    // more than once; copy it once.
    placements.sort();
    placements.dedup();
    for (from, relative) in placements {
        if excludes.iter().any(|p| p.matches_path(&relative)) {
            continue;
        }
        let to = root.join(&relative);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(|e| copy_err(&from, parent, e))?;
        }
        std::fs::copy(&from, &to).map_err(|e| copy_err(&from, &to, e))?;
    }
    Ok(Some(root))
}

/// Every regular file under `dir`, recursively.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(current) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&current) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.is_file() {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// `/web/assets` -> `web/assets`; refuses relative paths and `..`, which could escape the
/// staging directory.
fn guest_relative(destination: &str) -> Option<PathBuf> {
    let path = Path::new(destination);
    if !path.is_absolute() {
        return None;
    }
    let mut relative = PathBuf::new();
    for part in path.components() {
        match part {
            Component::RootDir => {}
            Component::Normal(name) => relative.push(name),
            _ => return None,
        }
    }
    Some(relative)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn tempdir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("spin-test-host-files-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn places_patterns_directories_and_placements() {
        let app = tempdir("app");
        write(&app.join("static/index.html"), "<html>");
        write(&app.join("static/css/site.css"), "body{}");
        write(&app.join("static/secret.key"), "no");
        write(&app.join("notes.txt"), "notes");
        write(&app.join("assets/logo.svg"), "<svg>");
        let staging = tempdir("staging");

        let mounts = vec![
            FileMountDecl::Pattern("static/**".into()),
            FileMountDecl::Pattern("*.txt".into()),
            FileMountDecl::Placement { source: "assets".into(), destination: "/web/img".into() },
            FileMountDecl::Placement { source: "notes.txt".into(), destination: "/copy.txt".into() },
        ];
        let root = stage("ui", &mounts, &["**/*.key".into()], &app, &staging).unwrap().unwrap();
        let read = |p: &str| std::fs::read_to_string(root.join(p)).ok();
        assert_eq!(read("static/index.html").as_deref(), Some("<html>"));
        assert_eq!(read("static/css/site.css").as_deref(), Some("body{}"));
        assert_eq!(read("static/secret.key"), None, "excluded");
        assert_eq!(read("notes.txt").as_deref(), Some("notes"));
        assert_eq!(read("web/img/logo.svg").as_deref(), Some("<svg>"));
        assert_eq!(read("copy.txt").as_deref(), Some("notes"));

        // A plain directory name mounts the whole tree.
        let root =
            stage("ui2", &[FileMountDecl::Pattern("static".into())], &[], &app, &staging).unwrap().unwrap();
        assert!(root.join("static/css/site.css").is_file());
    }

    #[test]
    fn no_files_means_no_mount_and_bad_destinations_are_refused() {
        let app = tempdir("app2");
        assert!(stage("c", &[], &[], &app, &app).unwrap().is_none());
        let bad = vec![FileMountDecl::Placement { source: ".".into(), destination: "/../etc".into() }];
        assert!(matches!(stage("c", &bad, &[], &app, &app), Err(FilesError::BadDestination { .. })));
    }
}
