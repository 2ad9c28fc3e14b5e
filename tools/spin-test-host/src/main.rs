//! `spin-test-host`: runs a Spin application (manifest version 2, WASIp2 HTTP components
//! built with spin-sdk 5.2) the way `spin up` does, for folio's black-box tests and
//! benchmarks on machines where the Spin CLI cannot be installed. It is a test tool, not a
//! way to run the app; see README.md for what it implements and how it differs from Spin.

mod app;
mod bindings;
mod blocking;
mod cli;
mod compile_cache;
mod engine;
mod files;
mod host;
mod kv;
mod manifest;
mod outbound;
mod routing;
mod runtime_config;
mod server;
mod sqlite_db;
mod variables;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use tokio::net::TcpListener;

use crate::app::{LoadError, LoadOptions};
use crate::cli::{Args, CliError};
use crate::runtime_config::{RuntimeConfig, RuntimeConfigError};

#[derive(Debug, thiserror::Error)]
enum HostError {
    #[error(transparent)]
    RuntimeConfig(#[from] RuntimeConfigError),
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error("cannot set up wasmtime: {0}")]
    Engine(String),
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: std::net::SocketAddr, source: std::io::Error },
    #[error("server stopped: {0}")]
    Serve(std::io::Error),
}

fn main() -> ExitCode {
    let args = match cli::parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(CliError::HelpRequested) => {
            println!("{}", cli::USAGE);
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("spin-test-host: {e}\n\n{}", cli::USAGE);
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("spin-test-host: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("spin-test-host: error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), HostError> {
    let runtime_config = match &args.runtime_config_file {
        Some(path) => RuntimeConfig::load(path)?,
        None => RuntimeConfig::default(),
    };
    // Spin keeps its state in `.spin` beside the manifest unless told otherwise.
    let state_dir = args.state_dir.clone().unwrap_or_else(|| {
        args.manifest.parent().map(|p| p.join(".spin")).unwrap_or_else(|| PathBuf::from(".spin"))
    });

    let engine = engine::build().map_err(|e| HostError::Engine(e.to_string()))?;
    let cache_dir = compile_cache::default_dir();
    let env = |name: &str| std::env::var(name).ok();
    let options = LoadOptions {
        manifest: &args.manifest,
        state_dir: &state_dir,
        runtime_config: &runtime_config,
        cache_dir: &cache_dir,
        env: &env,
    };
    // Compiling components is CPU-bound; it runs before the server accepts anything.
    let app = Arc::new(app::load(&engine, &options)?);
    if let Some(count) = args.time_instantiation {
        return print_instantiation_timings(&app, count).await;
    }

    let listener = TcpListener::bind(args.listen)
        .await
        .map_err(|source| HostError::Listen { addr: args.listen, source })?;
    let addr = listener.local_addr().map_err(HostError::Serve)?;
    print_banner(&app, addr);

    tokio::select! {
        result = server::serve(listener, app.clone()) => result.map_err(HostError::Serve),
        () = shutdown_signal() => Ok(()),
    }
}

/// One JSON line per component: instantiations, median and 99th percentile in microseconds.
async fn print_instantiation_timings(app: &app::LoadedApp, count: u32) -> Result<(), HostError> {
    for (name, component) in &app.components {
        let mut timings = server::time_instantiation(component, count)
            .await
            .map_err(|e| HostError::Engine(format!("instantiating {name}: {e}")))?;
        timings.sort();
        let at = |q: f64| timings[((timings.len() as f64 * q).ceil() as usize).clamp(1, timings.len()) - 1];
        println!(
            "{{\"component\":{name:?},\"instantiations\":{count},\"p50_us\":{},\"p99_us\":{}}}",
            at(0.5).as_micros(),
            at(0.99).as_micros()
        );
    }
    Ok(())
}

fn print_banner(app: &app::LoadedApp, addr: std::net::SocketAddr) {
    let mut out = std::io::stdout().lock();
    // The first line is what test harnesses wait for; keep its shape stable.
    let _ = writeln!(out, "serving http://{addr}");
    let version = app.version.as_deref().unwrap_or("unversioned");
    let _ = writeln!(out, "application {:?} ({version}); available routes:", app.name);
    for (route, component) in &app.routes {
        let _ = writeln!(out, "  {component}: http://{addr}{route}");
    }
    let _ = out.flush();
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
