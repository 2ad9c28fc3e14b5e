//! Loading an application: manifest, variables, stores, files and compiled components,
//! checked the way `spin up` checks them before it serves anything.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use wasmtime::component::Linker;
use wasmtime::Engine;
use wasmtime_wasi_http::p2::bindings::ProxyPre;

use crate::files::{self, FilesError};
use crate::host::{self, ComponentContext, InstanceState};
use crate::kv::{KvSetupError, KvStores};
use crate::manifest::{self, ManifestError};
use crate::routing::{RouteError, Router};
use crate::runtime_config::RuntimeConfig;
use crate::sqlite_db::Databases;
use crate::variables::{AppVariables, ComponentVariables, VariablesError};

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error(transparent)]
    Variables(#[from] VariablesError),
    #[error(transparent)]
    KeyValue(#[from] KvSetupError),
    #[error(transparent)]
    Files(#[from] FilesError),
    #[error(transparent)]
    Route(#[from] RouteError),
    #[error("cannot create state directory {path}: {source}")]
    StateDir { path: PathBuf, source: std::io::Error },
    /// Spin refuses to start when a component is granted a store or database that no
    /// configuration defines; so does this host, with the same advice.
    #[error("{kind} used by components are not defined; check the spelling, or pass a runtime configuration file that defines them:\n{details}")]
    UndefinedLabels { kind: &'static str, details: String },
    #[error("component {component:?} ({path}): {message}")]
    Component { component: String, path: PathBuf, message: String },
}

/// A component ready to serve: pre-instantiated, with its grants and files.
pub struct LoadedComponent {
    pub pre: ProxyPre<InstanceState>,
    pub context: Arc<ComponentContext>,
    /// The directory mounted read-only as the guest's `/`, if the component has files.
    pub files_root: Option<PathBuf>,
    pub environment: Vec<(String, String)>,
}

pub struct LoadedApp {
    pub name: String,
    pub version: Option<String>,
    pub router: Router,
    pub components: BTreeMap<String, LoadedComponent>,
    /// Routes as (route, component), for the start-up listing.
    pub routes: Vec<(String, String)>,
}

pub struct LoadOptions<'a> {
    pub manifest: &'a Path,
    pub state_dir: &'a Path,
    pub runtime_config: &'a RuntimeConfig,
    pub cache_dir: &'a Path,
    /// Environment lookup for `SPIN_VARIABLE_*` (a parameter so tests can inject values).
    pub env: &'a dyn Fn(&str) -> Option<String>,
}

pub fn load(engine: &Engine, options: &LoadOptions<'_>) -> Result<LoadedApp, LoadError> {
    let app = manifest::load(options.manifest)?;
    let app_variables = AppVariables::resolve(&app.variables, options.env)?;

    std::fs::create_dir_all(options.state_dir)
        .map_err(|source| LoadError::StateDir { path: options.state_dir.to_owned(), source })?;
    let stores = KvStores::open(options.state_dir, &options.runtime_config.key_value_stores)?;
    let databases = Arc::new(Databases::new(options.state_dir, &options.runtime_config.sqlite_databases));
    check_labels(&app, "key-value stores", |c| &c.key_value_stores, |l| stores.is_defined(l))?;
    check_labels(&app, "SQLite databases", |c| &c.sqlite_databases, |l| databases.is_defined(l))?;

    let (router, duplicates) =
        Router::build(app.routes.iter().map(|r| (r.route.as_str(), r.component.as_str())))?;
    for warning in duplicates {
        eprintln!("spin-test-host: warning: {warning}");
    }

    let mut linker = Linker::<InstanceState>::new(engine);
    host::add_to_linker(&mut linker).map_err(|e| LoadError::Component {
        component: "(linker)".into(),
        path: PathBuf::new(),
        message: e.to_string(),
    })?;

    let staging_root = options.state_dir.join("test-host-mounts");
    let mut components = BTreeMap::new();
    for (id, spec) in &app.components {
        let fail = |message: String| LoadError::Component {
            component: id.clone(),
            path: spec.wasm_path.clone(),
            message,
        };
        if !spec.decl.allowed_outbound_hosts.is_empty() {
            eprintln!(
                "spin-test-host: warning: component {id:?} allows outbound hosts {:?}; this host denies all outbound requests",
                spec.decl.allowed_outbound_hosts
            );
        }
        let variables = ComponentVariables::new(id, &spec.decl.variables, &app_variables, &app.variables)?;
        let files_root =
            files::stage(id, &spec.decl.files, &spec.decl.exclude_files, &app.base_dir, &staging_root)?;
        let component = crate::compile_cache::load(engine, &spec.wasm_path, options.cache_dir)
            .map_err(|e| fail(format!("{e:#}")))?;
        let pre = match linker.instantiate_pre(&component) {
            Ok(pre) => pre,
            Err(e) => {
                // Imports this host does not provide trap when called instead of failing
                // start-up, so the rest of the component can still be tested.
                eprintln!("spin-test-host: warning: component {id:?}: {e}; unprovided imports will trap");
                let mut stubbed = linker.clone();
                stubbed.define_unknown_imports_as_traps(&component).map_err(|e| fail(e.to_string()))?;
                stubbed.instantiate_pre(&component).map_err(|e| fail(e.to_string()))?
            }
        };
        let pre = ProxyPre::new(pre)
            .map_err(|e| fail(format!("does not export wasi:http/incoming-handler@0.2.x: {e}")))?;
        let context = Arc::new(ComponentContext {
            allowed_stores: spec.decl.key_value_stores.iter().cloned().collect(),
            allowed_databases: spec.decl.sqlite_databases.iter().cloned().collect(),
            stores: stores.clone(),
            databases: databases.clone(),
            variables,
        });
        components.insert(
            id.clone(),
            LoadedComponent {
                pre,
                context,
                files_root,
                environment: spec.decl.environment.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            },
        );
    }

    Ok(LoadedApp {
        name: app.name,
        version: app.version,
        router,
        components,
        routes: app.routes.into_iter().map(|r| (r.route, r.component)).collect(),
    })
}

fn check_labels(
    app: &manifest::App,
    kind: &'static str,
    granted: impl Fn(&manifest::ComponentDecl) -> &Vec<String>,
    is_defined: impl Fn(&str) -> bool,
) -> Result<(), LoadError> {
    let missing: BTreeSet<String> = app
        .components
        .values()
        .flat_map(|spec| {
            granted(&spec.decl)
                .iter()
                .filter(|label| !is_defined(label))
                .map(move |label| format!("- Component {} uses {label:?}", spec.id))
        })
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(LoadError::UndefinedLabels { kind, details: missing.into_iter().collect::<Vec<_>>().join("\n") })
    }
}
