//! Running tests/interop/verify_jwt.py: PyJWT verifying a token with nothing but a JWKS, as a
//! gateway or another service would. For the native interop test and the black-box suite.
//!
//! Needs `python3` with `pyjwt[crypto]` (tests/requirements.txt); without them the caller's test
//! fails: an interop check that silently skips would prove nothing.

use std::{path::PathBuf, process::Command};

/// The script, from this checkout.
pub fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/interop/verify_jwt.py")
}

/// `Ok(claims)` when PyJWT accepts `token` with the keys of `jwks`, `Err(reason)` when it
/// refuses it. Panics when the script cannot run at all.
pub fn pyjwt(
    jwks: &serde_json::Value,
    token: &str,
    issuer: &str,
    audience: &str,
) -> Result<serde_json::Value, String> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let jwks_path = dir.path().join("jwks.json");
    std::fs::write(&jwks_path, jwks.to_string()).expect("JWKS written");
    let out = Command::new("python3")
        .arg(script())
        .arg(&jwks_path)
        .arg(token)
        .arg(issuer)
        .arg(audience)
        .output()
        .unwrap_or_else(|e| panic!("python3 must be installed for the interop test: {e}"));
    match out.status.code() {
        Some(0) => Ok(serde_json::from_slice(&out.stdout).expect("the script prints the claims")),
        Some(1) => Err(String::from_utf8_lossy(&out.stderr).to_string()),
        other => panic!(
            "verify_jwt.py could not run (exit {other:?}); CI must `pip install 'pyjwt[crypto]'`: {}",
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}
