//! Every route family reaches the component that serves it, on the host that serves the app
//! (real `spin up` unless `FOLIO_BASE_URL` names a deployment). Each component names itself in
//! `X-Folio-Component` (folio-spin's adapter), so a path answered by the wrong one fails here
//! whatever the answer's status. The routes come from this checkout's spin.toml, so a route
//! added there is covered without touching this file.
//!
//! Why this exists: Spin 4.0.2's router depends on the order of the `[[trigger.http]]` entries
//! (README, "Routing on real Spin"); with the catch-all listed last, `/api/auth/...` and
//! `/.well-known/...` were answered by `ui` and nobody could sign in, while a test host that
//! routed by longest prefix kept CI green.

use folio_blackbox::app;
use serde::Deserialize;

#[derive(Deserialize)]
struct Manifest {
    trigger: Triggers,
}

#[derive(Deserialize)]
struct Triggers {
    http: Vec<Trigger>,
}

#[derive(Deserialize)]
struct Trigger {
    route: String,
    component: String,
}

fn triggers() -> Vec<Trigger> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../spin.toml");
    let text = std::fs::read_to_string(path).expect("spin.toml");
    toml::from_str::<Manifest>(&text).expect("spin.toml parses").trigger.http
}

/// The paths that must reach a trigger's component: the route itself (a wildcard's prefix, with
/// and without its slash) and, for a wildcard, a path under it that no route names.
fn probes(route: &str) -> Vec<String> {
    match route.strip_suffix("/...") {
        Some("") => vec!["/".into(), "/no-such-page/deeper".into(), "/api-like-but-not-api".into()],
        Some(prefix) => vec![prefix.into(), format!("{prefix}/"), format!("{prefix}/no-such-route/deeper")],
        None => vec![route.into()],
    }
}

#[test]
fn every_route_of_spin_toml_reaches_its_component() {
    let triggers = triggers();
    assert!(triggers.len() >= 9, "spin.toml lists the app's routes: {}", triggers.len());
    let mut wrong = Vec::new();
    for trigger in &triggers {
        for path in probes(&trigger.route) {
            for method in ["GET", "POST"] {
                let r = app().call(method, &path, &[], b"");
                let answered = r.header("x-folio-component").unwrap_or("(none)").to_string();
                if answered != trigger.component {
                    wrong.push(format!(
                        "{method} {path} (route {}) answered by {answered} ({}), not {}",
                        trigger.route, r.status, trigger.component
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "misrouted:\n{}", wrong.join("\n"));
}

/// The contract's own paths, named here so that a route dropped from spin.toml (which the test
/// above would not notice) fails too.
#[test]
fn the_contracts_paths_reach_the_components_the_readme_names() {
    let expected = [
        ("POST", "/api/auth/register", "auth"),
        ("POST", "/api/auth/token", "auth"),
        ("GET", "/api/auth/me", "auth"),
        ("GET", "/api/auth/users", "auth"),
        ("GET", "/.well-known/jwks.json", "auth"),
        ("GET", "/.well-known/openid-configuration", "auth"),
        ("GET", "/.well-known/oauth-authorization-server", "auth"),
        ("POST", "/api/auth/revoke", "auth"),
        ("GET", "/api/health", "auth"),
        ("GET", "/api/status", "auth"),
        ("GET", "/api/openapi.json", "auth"),
        ("GET", "/api/books", "books"),
        ("GET", "/api/books/some-id", "books"),
        ("GET", "/api/generator/preview", "generator"),
        ("GET", "/api/generator/runs", "generator"),
        ("GET", "/api/reports", "reports"),
        ("GET", "/api/reports/summary", "reports"),
        ("GET", "/", "ui"),
        ("GET", "/docs", "ui"),
        ("GET", "/books/some-id", "ui"),
        ("GET", "/api/no-such-area", "ui"),
    ];
    let mut wrong = Vec::new();
    for (method, path, component) in expected {
        let r = app().call(method, path, &[], b"");
        let answered = r.header("x-folio-component").unwrap_or("(none)");
        if answered != component {
            wrong.push(format!("{method} {path} answered by {answered} ({}), not {component}", r.status));
        }
    }
    assert!(wrong.is_empty(), "misrouted:\n{}", wrong.join("\n"));
}
