//! Token-service benchmark, natively: Ed25519 sign and verify per second, the in-app token check
//! (claims + session fingerprint) per second, one Argon2id hash, and a whole sign-in through the
//! real handler (routing, JSON, SQLite, Argon2id, key lookup, signing, session write).
//!
//! ```text
//! cargo run --release -p folio-auth --example auth_bench -- [--iterations N] [--logins N]
//! ```
//!
//! One thread. Results go to docs/auth.md. Inside Wasm the same operations are measured by
//! bench/auth/wasm (see its README) and by bench/run.py's login and introspection scenarios.

use std::time::{Duration, Instant};

use folio_core::Host;
use folio_native::{body_json, json_request, MapConfig, MemoryKv, NativeSql, OsRandom, SystemClock, TestApp};
use jwt_simple::prelude::*;

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn per_second(n: usize, elapsed: Duration) -> f64 {
    n as f64 / elapsed.as_secs_f64()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let iterations = arg("--iterations", 5_000);
    let logins = arg("--logins", 50);
    println!("folio auth benchmark (native, release, one thread)");

    // A real token and its signing key, as the service makes them.
    let app = TestApp::new();
    let register = serde_json::json!({"email": "bench@example.com", "password": "correct horse battery"});
    assert_eq!(
        app.call(folio_auth::handle, json_request("POST", "/api/auth/register", &register.to_string()))
            .status(),
        201
    );
    let grant = serde_json::json!({"grant_type": "password", "username": "bench@example.com", "password": "correct horse battery"});
    let r = app.call(folio_auth::handle, json_request("POST", "/api/auth/token", &grant.to_string()));
    let token = body_json(&r)["access_token"].as_str().unwrap().to_string();
    let (signing_key, public) = app.with_host(|h| {
        let settings = folio_auth::settings::AuthSettings::from_host(h).unwrap();
        let key = folio_auth::keys::active(h, &settings).unwrap();
        let public = key.public_key();
        (key, public)
    });

    // Ed25519 sign: the signing input of a real token.
    let input = token.rsplit_once('.').unwrap().0.to_string();
    let kv = MemoryKv::new();
    let sql = NativeSql::in_memory();
    let config = MapConfig::new();
    let host = Host { sql: &sql, kv: &kv, clock: &SystemClock, random: &OsRandom, config: &config };
    let start = Instant::now();
    for _ in 0..iterations {
        std::hint::black_box(signing_key.sign(&host, input.as_bytes()));
    }
    let sign = per_second(iterations, start.elapsed());

    // Full JWT verification with jwt-simple (what /introspect and outside verifiers do).
    let pk = Ed25519PublicKey::from_bytes(&public).unwrap();
    let options = || VerificationOptions {
        time_tolerance: Some(Duration::from_secs(5).into()),
        allowed_audiences: Some(HashSet::from_strings(&["folio-api"])),
        ..Default::default()
    };
    let start = Instant::now();
    for _ in 0..iterations {
        std::hint::black_box(pk.verify_token::<serde_json::Value>(&token, Some(options())).unwrap());
    }
    let verify = per_second(iterations, start.elapsed());

    // The in-app check every component runs: decode, claims, session read, fingerprint compare.
    let app_sql = app.sql();
    let app_host = Host {
        sql: &app_sql,
        kv: app.kv.as_ref(),
        clock: app.clock.as_ref(),
        random: &OsRandom,
        config: &app.config,
    };
    let start = Instant::now();
    for _ in 0..iterations {
        std::hint::black_box(folio_tokens::verify_access_token(&app_host, &token).unwrap());
    }
    let in_app = per_second(iterations, start.elapsed());

    // One Argon2id hash with the production parameters.
    let hashes = 10;
    let start = Instant::now();
    for _ in 0..hashes {
        std::hint::black_box(folio_auth::password::hash(&OsRandom, "correct horse battery").unwrap());
    }
    let hash_ms = start.elapsed().as_secs_f64() * 1000.0 / hashes as f64;

    // A whole sign-in through the handler, and a wrong password (same work by design).
    let mut times = Vec::with_capacity(logins);
    for _ in 0..logins {
        let start = Instant::now();
        let r = app.call(folio_auth::handle, json_request("POST", "/api/auth/token", &grant.to_string()));
        times.push(start.elapsed());
        assert_eq!(r.status(), 200);
    }
    times.sort();
    let unknown = serde_json::json!({"grant_type": "password", "username": "ghost@example.com", "password": "wrong password"});
    let start = Instant::now();
    app.call(folio_auth::handle, json_request("POST", "/api/auth/token", &unknown.to_string()));
    let unknown_ms = start.elapsed().as_secs_f64() * 1000.0;

    println!("| operation | result |");
    println!("| --- | --- |");
    println!("| Ed25519 sign (access-token signing input) | {sign:.0} /s ({:.1} µs) |", 1e6 / sign);
    println!("| EdDSA JWT verify, jwt-simple (introspection) | {verify:.0} /s ({:.1} µs) |", 1e6 / verify);
    println!(
        "| in-app check (claims + KV session + SHA-256, in-memory KV) | {in_app:.0} /s ({:.1} µs) |",
        1e6 / in_app
    );
    println!("| Argon2id hash (m=19456 KiB, t=2, p=1) | {hash_ms:.1} ms |");
    println!(
        "| sign-in, POST /api/auth/token (password grant), {logins} runs | p50 {:.1} ms, p99 {:.1} ms |",
        percentile(&times, 0.5).as_secs_f64() * 1000.0,
        percentile(&times, 0.99).as_secs_f64() * 1000.0
    );
    println!("| sign-in with an unknown e-mail (dummy hash) | {unknown_ms:.1} ms |");
}
