//! The HTTP server: route each request, add Spin's `spin-*` headers, and hand it to a fresh
//! instance of the matched component, as Spin does for WASIp2 components.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use wasmtime_wasi::{FsPerms, WasiCtx};
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;
use wasmtime_wasi_http::WasiHttpView;

use crate::app::{LoadedApp, LoadedComponent};
use crate::host::InstanceState;
use crate::routing::RouteMatch;

/// Accepts connections until the future is dropped.
pub async fn serve(listener: TcpListener, app: Arc<LoadedApp>) -> std::io::Result<()> {
    loop {
        let (stream, client) = listener.accept().await?;
        // Small request/response exchanges: do not let Nagle delay them.
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let app = app.clone();
                async move { Ok::<_, Infallible>(handle(&app, req, client).await) }
            });
            if let Err(e) =
                http1::Builder::new().keep_alive(true).serve_connection(TokioIo::new(stream), service).await
            {
                if !e.is_incomplete_message() {
                    eprintln!("spin-test-host: connection from {client}: {e}");
                }
            }
        });
    }
}

fn plain(status: StatusCode, text: &'static str) -> Response<HyperOutgoingBody> {
    let body = Full::new(Bytes::from_static(text.as_bytes()))
        .map_err(|never: Infallible| match never {})
        .boxed_unsync();
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response
}

async fn handle(
    app: &LoadedApp,
    mut req: Request<Incoming>,
    client: SocketAddr,
) -> Response<HyperOutgoingBody> {
    let Some(route) = app.router.route(req.uri().path()) else {
        // Spin answers an unrouted path with an empty 404.
        return plain(StatusCode::NOT_FOUND, "");
    };
    let Some(component) = app.components.get(&route.component) else {
        return plain(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error");
    };
    add_spin_headers(&mut req, &route, client);
    match run_component(component, req).await {
        Ok(response) => response,
        Err(e) => {
            eprintln!("spin-test-host: component {:?} failed: {e:?}", route.component);
            plain(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
        }
    }
}

/// The headers Spin sets on every request it passes to a component.
pub fn spin_headers(full_url: String, route: &RouteMatch, client: SocketAddr) -> Vec<(String, String)> {
    let mut headers = vec![
        ("spin-path-info".to_owned(), route.path_info.clone()),
        ("spin-full-url".to_owned(), full_url),
        ("spin-matched-route".to_owned(), route.based_route.clone()),
        ("spin-base-path".to_owned(), "/".to_owned()),
        ("spin-raw-component-route".to_owned(), route.raw_route.clone()),
        ("spin-component-route".to_owned(), route.component_route.clone()),
        ("spin-client-addr".to_owned(), client.to_string()),
    ];
    for (name, value) in &route.named {
        // Spin builds `SPIN_PATH_MATCH_<NAME>` and turns `_` into `-` for the header.
        let header = format!("spin-path-match-{}", name.to_lowercase().replace('_', "-"));
        headers.push((header, value.clone()));
    }
    headers
}

fn add_spin_headers(req: &mut Request<Incoming>, route: &RouteMatch, client: SocketAddr) {
    // wasi:http needs an authority; an HTTP/1.0 client may send no Host header, and Spin
    // then assumes `localhost`.
    if !req.headers().contains_key(http::header::HOST) {
        req.headers_mut().insert(http::header::HOST, HeaderValue::from_static("localhost"));
    }
    let host =
        req.headers().get(http::header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost").to_owned();
    let path_and_query =
        req.uri().path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "/".to_owned());
    let full_url = format!("http://{host}{path_and_query}");
    for (name, value) in spin_headers(full_url, route, client) {
        // A value that is not a valid header (it came from the client) is skipped
        // rather than failing the request.
        if let (Ok(name), Ok(value)) =
            (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(&value))
        {
            req.headers_mut().insert(name, value);
        }
    }
}

fn wasi_context(component: &LoadedComponent) -> wasmtime::Result<WasiCtx> {
    let mut builder = WasiCtx::builder();
    builder.inherit_stdout().inherit_stderr().envs(&component.environment);
    if let Some(root) = &component.files_root {
        builder.preopened_dir(root, "/", FsPerms::ReadOnly)?;
    }
    Ok(builder.build())
}

/// How long `count` instantiations of `component` take, one by one, each with a fresh store
/// and WASI context exactly as a request gets them (the handler is not called).
pub async fn time_instantiation(
    component: &LoadedComponent,
    count: u32,
) -> wasmtime::Result<Vec<std::time::Duration>> {
    let mut timings = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let started = std::time::Instant::now();
        let state = InstanceState::new(wasi_context(component)?, component.context.clone());
        let mut store = crate::engine::new_store(component.pre.engine(), state);
        component.pre.instantiate_async(&mut store).await?;
        timings.push(started.elapsed());
    }
    Ok(timings)
}

async fn run_component(
    component: &LoadedComponent,
    req: Request<Incoming>,
) -> wasmtime::Result<Response<HyperOutgoingBody>> {
    let state = InstanceState::new(wasi_context(component)?, component.context.clone());
    let mut store = crate::engine::new_store(component.pre.engine(), state);
    let (sender, receiver) = tokio::sync::oneshot::channel();
    let request = store.data_mut().http().new_incoming_request(Scheme::Http, req)?;
    let outparam = store.data_mut().http().new_response_outparam(sender)?;
    let pre = component.pre.clone();

    // The guest keeps running in its own task after it has sent the response head, to
    // stream the body; the task ends when the handler returns.
    let task = tokio::spawn(async move {
        let proxy = pre.instantiate_async(&mut store).await?;
        proxy.wasi_http_incoming_handler().call_handle(&mut store, request, outparam).await
    });

    match receiver.await {
        Ok(Ok(response)) => Ok(response),
        Ok(Err(code)) => Err(wasmtime::format_err!("guest answered with error code {code:?}")),
        Err(_) => {
            let detail = match task.await {
                Ok(Ok(())) => wasmtime::format_err!("guest never set a response"),
                Ok(Err(e)) => e,
                Err(join) => wasmtime::format_err!("guest task failed: {join}"),
            };
            Err(detail)
        }
    }
}
