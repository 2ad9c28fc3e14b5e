//! The subset of Spin's application manifest (version 2) that this host understands.
//!
//! Unknown keys (`[component.x.build]`, `description`, ...) are ignored, as Spin ignores the
//! ones that do not concern running the app; features this host cannot honour (remote
//! sources, named wildcards in routes, ...) are rejected with a clear error instead of being
//! silently skipped.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("cannot read manifest {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("invalid manifest {path}: {source}")]
    Parse { path: PathBuf, source: Box<toml::de::Error> },
    #[error("unsupported spin_manifest_version {0}: this host reads version 2")]
    UnsupportedVersion(u32),
    #[error("component {component:?}: {reason}")]
    UnsupportedComponent { component: String, reason: String },
    #[error("HTTP trigger {index} refers to component {component:?}, which is not defined")]
    UnknownComponent { index: usize, component: String },
    #[error("HTTP trigger for component {0:?}: `route = {{ private = false }}` is not allowed; use a route string or `{{ private = true }}`")]
    PublicPrivateRoute(String),
}

#[derive(Debug, Deserialize)]
pub struct Manifest {
    pub spin_manifest_version: u32,
    pub application: Application,
    #[serde(default)]
    pub variables: BTreeMap<String, VariableDecl>,
    #[serde(default)]
    pub trigger: Triggers,
    #[serde(default)]
    pub component: BTreeMap<String, ComponentDecl>,
}

#[derive(Debug, Deserialize)]
pub struct Application {
    pub name: String,
    #[serde(default)]
    pub version: Option<String>,
}

/// An application variable: `[variables] name = { default = "..." }` or `{ required = true }`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct VariableDecl {
    #[serde(default)]
    pub default: Option<String>,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub secret: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct Triggers {
    #[serde(default)]
    pub http: Vec<HttpTrigger>,
}

#[derive(Debug, Deserialize)]
pub struct HttpTrigger {
    #[serde(default)]
    pub id: Option<String>,
    pub route: RouteDecl,
    pub component: ComponentRef,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum RouteDecl {
    Path(String),
    Private { private: bool },
}

/// `component = "name"`, or an inline `component = { source = ... }` table.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum ComponentRef {
    Named(String),
    Inline(Box<ComponentDecl>),
}

#[derive(Debug, Clone, Deserialize)]
pub struct ComponentDecl {
    pub source: SourceDecl,
    #[serde(default)]
    pub files: Vec<FileMountDecl>,
    #[serde(default)]
    pub exclude_files: Vec<String>,
    #[serde(default)]
    pub key_value_stores: Vec<String>,
    #[serde(default)]
    pub sqlite_databases: Vec<String>,
    #[serde(default)]
    pub allowed_outbound_hosts: Vec<String>,
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum SourceDecl {
    Local(String),
    Remote(toml::Table),
}

/// `files = ["static/**", { source = "assets", destination = "/assets" }]`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum FileMountDecl {
    Pattern(String),
    Placement { source: String, destination: String },
}

/// A component ready to be loaded: its id, its declaration, and the Wasm file's full path.
#[derive(Debug, Clone)]
pub struct ComponentSpec {
    pub id: String,
    pub decl: ComponentDecl,
    pub wasm_path: PathBuf,
}

/// A route bound to a component id. Private routes are not served, as in Spin.
#[derive(Debug, Clone)]
pub struct RouteSpec {
    pub route: String,
    pub component: String,
}

/// A parsed manifest with its paths resolved and its cross-references checked.
#[derive(Debug)]
pub struct App {
    pub name: String,
    pub version: Option<String>,
    /// The directory holding spin.toml: relative `source` and `files` paths start here.
    pub base_dir: PathBuf,
    pub variables: BTreeMap<String, VariableDecl>,
    pub components: BTreeMap<String, ComponentSpec>,
    pub routes: Vec<RouteSpec>,
}

pub fn load(path: &Path) -> Result<App, ManifestError> {
    let text = std::fs::read_to_string(path)
        .map_err(|source| ManifestError::Read { path: path.to_owned(), source })?;
    let manifest: Manifest = toml::from_str(&text)
        .map_err(|source| ManifestError::Parse { path: path.to_owned(), source: Box::new(source) })?;
    let base_dir = path
        .parent()
        .map(Path::to_path_buf)
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| PathBuf::from("."));
    resolve(manifest, base_dir)
}

pub fn resolve(manifest: Manifest, base_dir: PathBuf) -> Result<App, ManifestError> {
    if manifest.spin_manifest_version != 2 {
        return Err(ManifestError::UnsupportedVersion(manifest.spin_manifest_version));
    }
    let mut declared = manifest.component;
    let mut routes = Vec::new();
    for (index, trigger) in manifest.trigger.http.into_iter().enumerate() {
        let component = match trigger.component {
            ComponentRef::Named(name) => {
                if !declared.contains_key(&name) {
                    return Err(ManifestError::UnknownComponent { index, component: name });
                }
                name
            }
            ComponentRef::Inline(decl) => {
                // Spin names inline components after the trigger id when there is one.
                let name = trigger.id.clone().unwrap_or_else(|| format!("inline-component{index}"));
                declared.insert(name.clone(), *decl);
                name
            }
        };
        match trigger.route {
            RouteDecl::Path(route) => routes.push(RouteSpec { route, component }),
            RouteDecl::Private { private: true } => {}
            RouteDecl::Private { private: false } => {
                return Err(ManifestError::PublicPrivateRoute(component))
            }
        }
    }

    let mut components = BTreeMap::new();
    for (id, decl) in declared {
        let wasm_path = match &decl.source {
            SourceDecl::Local(path) => base_dir.join(path),
            SourceDecl::Remote(table) => {
                return Err(ManifestError::UnsupportedComponent {
                    component: id,
                    reason: format!(
                        "source {{ {} }}: only local `source` paths are supported, not URLs or registry references",
                        table.keys().cloned().collect::<Vec<_>>().join(", ")
                    ),
                })
            }
        };
        components.insert(id.clone(), ComponentSpec { id, decl, wasm_path });
    }

    Ok(App {
        name: manifest.application.name,
        version: manifest.application.version,
        base_dir,
        variables: manifest.variables,
        components,
        routes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<App, ManifestError> {
        let manifest: Manifest = toml::from_str(text).unwrap();
        resolve(manifest, PathBuf::from("/app"))
    }

    const SAMPLE: &str = r#"
spin_manifest_version = 2

[application]
name = "sample"
version = "1.0.0"

[variables]
greeting = { default = "hi" }
api_key = { required = true, secret = true }

[[trigger.http]]
route = "/api/..."
component = "api"

[[trigger.http]]
route = { private = true }
component = "internal"

[[trigger.http]]
id = "inline"
route = "/inline"
component = { source = "inline.wasm" }

[component.api]
source = "target/api.wasm"
files = ["static/**", { source = "assets", destination = "/assets" }]
key_value_stores = ["default"]
sqlite_databases = ["default"]
allowed_outbound_hosts = []
[component.api.variables]
message = "{{ greeting }}, world"
[component.api.build]
command = "cargo build"

[component.internal]
source = "internal.wasm"
"#;

    #[test]
    fn reads_components_routes_and_variables() {
        let app = parse(SAMPLE).unwrap();
        assert_eq!(app.name, "sample");
        assert_eq!(app.version.as_deref(), Some("1.0.0"));
        assert!(app.variables["api_key"].required);
        assert!(app.variables["api_key"].secret);
        assert_eq!(app.variables["greeting"].default.as_deref(), Some("hi"));

        let api = &app.components["api"];
        assert_eq!(api.wasm_path, PathBuf::from("/app/target/api.wasm"));
        assert_eq!(
            api.decl.files,
            vec![
                FileMountDecl::Pattern("static/**".into()),
                FileMountDecl::Placement { source: "assets".into(), destination: "/assets".into() }
            ]
        );
        assert_eq!(api.decl.key_value_stores, vec!["default"]);
        assert_eq!(api.decl.variables["message"], "{{ greeting }}, world");

        // The private route is not served; the inline component is named after its trigger.
        let routes: Vec<_> = app.routes.iter().map(|r| (r.route.as_str(), r.component.as_str())).collect();
        assert_eq!(routes, vec![("/api/...", "api"), ("/inline", "inline")]);
        assert!(app.components.contains_key("internal"));
        assert!(app.components.contains_key("inline"));
    }

    #[test]
    fn rejects_unknown_component_and_old_versions() {
        let err = parse(
            "spin_manifest_version = 2\n[application]\nname = \"x\"\n[[trigger.http]]\nroute = \"/\"\ncomponent = \"nope\"\n",
        )
        .unwrap_err();
        assert!(matches!(err, ManifestError::UnknownComponent { .. }), "{err}");

        let err = parse("spin_manifest_version = 1\n[application]\nname = \"x\"\n").unwrap_err();
        assert!(matches!(err, ManifestError::UnsupportedVersion(1)));
    }

    #[test]
    fn rejects_remote_sources() {
        let err = parse(
            "spin_manifest_version = 2\n[application]\nname = \"x\"\n[component.c]\nsource = { url = \"https://x/c.wasm\", digest = \"sha256:0\" }\n",
        )
        .unwrap_err();
        assert!(matches!(err, ManifestError::UnsupportedComponent { .. }));
    }
}
