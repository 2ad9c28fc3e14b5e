//! Times, inside one Wasm request, the operations of the token service: Ed25519 signing,
//! jwt-simple's EdDSA verification, the in-app check (`folio_tokens::verify_access_token`
//! against the real Spin key-value store), one Argon2id hash, and a whole sign-in through
//! `folio_auth::handle`. `GET /?n=200` answers JSON with the figures.
#![cfg(target_arch = "wasm32")]

use std::time::Instant;

use folio_core::{Host, Request, Response};
use jwt_simple::prelude::*;

fn bench(host: &Host, req: Request) -> Response {
    let n: u32 = req
        .uri()
        .query()
        .and_then(|q| q.strip_prefix("n="))
        .and_then(|v| v.parse().ok())
        .unwrap_or(200)
        .clamp(1, 10_000);
    let json = |path: &str, body: serde_json::Value| {
        http::Request::builder()
            .method("POST")
            .uri(path)
            .header("content-type", "application/json")
            .body(body.to_string().into_bytes())
            .unwrap()
    };
    let email = format!("{}@bench.invalid", host.new_id());
    let password = "correct horse battery";
    folio_auth::handle(
        host,
        json("/api/auth/register", serde_json::json!({"email": email, "password": password})),
    );
    let grant = serde_json::json!({"grant_type": "password", "username": email, "password": password});

    let start = Instant::now();
    let r = folio_auth::handle(host, json("/api/auth/token", grant));
    let login_ms = start.elapsed().as_secs_f64() * 1e3;
    let body: serde_json::Value = serde_json::from_slice(r.body()).unwrap_or_default();
    let Some(token) = body["access_token"].as_str().map(str::to_string) else {
        return http::Response::builder().status(500).body(r.into_body()).unwrap();
    };

    let settings = folio_auth::settings::AuthSettings::from_host(host).unwrap();
    let key = folio_auth::keys::active(host, &settings).unwrap();
    let input = token.rsplit_once('.').unwrap().0.to_string();
    let start = Instant::now();
    for _ in 0..n {
        std::hint::black_box(key.sign(host, input.as_bytes()));
    }
    let sign_us = start.elapsed().as_secs_f64() * 1e6 / n as f64;

    let pk = Ed25519PublicKey::from_bytes(&key.public_key()).unwrap();
    let start = Instant::now();
    for _ in 0..n {
        let options =
            VerificationOptions { time_tolerance: Some(Duration::from_secs(5)), ..Default::default() };
        std::hint::black_box(pk.verify_token::<serde_json::Value>(&token, Some(options)).is_ok());
    }
    let verify_us = start.elapsed().as_secs_f64() * 1e6 / n as f64;

    let start = Instant::now();
    for _ in 0..n {
        std::hint::black_box(folio_tokens::verify_access_token(host, &token).is_ok());
    }
    let check_us = start.elapsed().as_secs_f64() * 1e6 / n as f64;

    let start = Instant::now();
    std::hint::black_box(folio_auth::password::hash(host.random, password).unwrap());
    let hash_ms = start.elapsed().as_secs_f64() * 1e3;

    let out = serde_json::json!({
        "iterations": n,
        "ed25519_sign_us": sign_us,
        "ed25519_sign_per_s": 1e6 / sign_us,
        "eddsa_jwt_verify_us": verify_us,
        "eddsa_jwt_verify_per_s": 1e6 / verify_us,
        "in_app_check_us": check_us,
        "in_app_check_per_s": 1e6 / check_us,
        "argon2id_hash_ms": hash_ms,
        "sign_in_ms": login_ms,
    });
    http::Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(out.to_string().into_bytes())
        .unwrap()
}

#[spin_sdk::http_component]
fn handle(req: spin_sdk::http::IncomingRequest, out: spin_sdk::http::ResponseOutparam) {
    folio_spin::run("auth-bench", req, out, bench)
}
