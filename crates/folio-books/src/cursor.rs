//! Opaque, tamper-checked keyset cursors.
//!
//! A cursor names the last row of a page: its sort value and its id, plus which sort and which
//! filters it belongs to. It travels as `base64url(JSON payload) "." base64url(MAC)`, where the
//! MAC is HMAC-SHA-256 (truncated to 128 bits) under a per-install secret. A cursor that does
//! not decode, whose MAC does not verify, or that belongs to another sort or filter set is a
//! `400`; its values only ever reach SQL as bound parameters, so even a valid-looking forgery
//! could not become a SQL error.
//!
//! The secret lives in the `books_secrets` table (migration 0002), made with the schema
//! (migration 0011, SQLite's `randomblob`), so a list page only reads it and never waits for a
//! writer. Should the row be missing all the same, the page makes one with `INSERT OR IGNORE`:
//! the first writer wins atomically, so concurrent requests cannot end up signing with different
//! keys (a key-value store has no such primitive).

use anyhow::anyhow;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use folio_core::{ApiError, Host, Value};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::store;

const SECRET_NAME: &str = "cursor-mac-key";
/// Real cursors are about 150 characters; anything far longer is not one of ours.
const MAX_CURSOR_LEN: usize = 2048;
const MAC_LEN: usize = 16;

/// The sort value of the last row of a page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SortValue {
    Int(i64),
    Text(String),
}

/// What a cursor carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Position {
    /// The sort, as the `sort` parameter spells it (`-title`, ...).
    pub s: String,
    /// Fingerprint of the filters, so a cursor cannot be replayed against another query.
    pub f: String,
    /// Sort value of the last row.
    pub k: SortValue,
    /// Id of the last row: the tie-breaker.
    pub i: String,
}

fn bad_cursor() -> ApiError {
    ApiError::BadRequest("the cursor is not valid; start again without one".into())
}

/// Encodes a position into a cursor.
pub fn encode(secret: &[u8], position: &Position) -> String {
    let payload = serde_json::to_vec(position).expect("a position serializes");
    let mac = mac_over(secret, &payload).finalize().into_bytes();
    format!("{}.{}", URL_SAFE_NO_PAD.encode(&payload), URL_SAFE_NO_PAD.encode(&mac[..MAC_LEN]))
}

/// Decodes and verifies a cursor; every failure is the same `400`, so a forger learns nothing.
pub fn decode(secret: &[u8], cursor: &str) -> Result<Position, ApiError> {
    if cursor.len() > MAX_CURSOR_LEN {
        return Err(bad_cursor());
    }
    let (payload_b64, mac_b64) = cursor.split_once('.').ok_or_else(bad_cursor)?;
    // Strict base64url: no padding, no other alphabet, no stray low bits (one encoding per MAC).
    let payload = URL_SAFE_NO_PAD.decode(payload_b64).map_err(|_| bad_cursor())?;
    let mac = URL_SAFE_NO_PAD.decode(mac_b64).map_err(|_| bad_cursor())?;
    // A constant-time comparison with the first MAC_LEN bytes of the expected MAC.
    if mac.len() != MAC_LEN || mac_over(secret, &payload).verify_truncated_left(&mac).is_err() {
        return Err(bad_cursor());
    }
    serde_json::from_slice(&payload).map_err(|_| bad_cursor())
}

/// The install's MAC key: read it, or (a row deleted by hand) create it once.
pub fn secret(host: &Host) -> Result<Vec<u8>, ApiError> {
    let select = "SELECT value FROM books_secrets WHERE name = ?";
    let name = [Value::from(SECRET_NAME)];
    let read = |host: &Host| -> Result<Option<Vec<u8>>, ApiError> {
        let rows = store::execute(host.sql, select, &name).map_err(store::read_error)?;
        Ok(rows.first().and_then(|r| r.blob("value").map(<[u8]>::to_vec)))
    };
    if let Some(key) = read(host)? {
        return Ok(key);
    }
    let mut fresh = vec![0u8; 32];
    host.random.fill(&mut fresh);
    store::execute(
        host.sql,
        "INSERT OR IGNORE INTO books_secrets (name, value) VALUES (?, ?)",
        &[Value::from(SECRET_NAME), Value::Blob(fresh)],
    )
    .map_err(store::read_error)?;
    // Whoever inserted first, this reads the one key everybody uses.
    read(host)?.ok_or_else(|| ApiError::Internal(anyhow!("cursor key missing after insert")))
}

/// A short fingerprint of a canonical filter description.
pub fn fingerprint(canonical: &str) -> String {
    hex::encode(&Sha256::digest(canonical.as_bytes())[..8])
}

/// HMAC-SHA-256 of `message` under `key`, not yet finalised.
fn mac_over(key: &[u8], message: &[u8]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(message);
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mac_is_hmac_sha_256_as_rfc_4231_gives_it() {
        let mac = mac_over(b"Jefe", b"what do ya want for nothing?").finalize().into_bytes();
        assert_eq!(hex::encode(mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    #[test]
    fn a_cursor_with_padding_or_stray_bits_is_refused() {
        let key = b"0123456789abcdef0123456789abcdef";
        let p = Position { s: "id".into(), f: fingerprint("x"), k: SortValue::Int(1), i: "a".into() };
        let (payload, mac) =
            encode(key, &p).split_once('.').map(|(a, b)| (a.to_string(), b.to_string())).unwrap();
        assert!(decode(key, &format!("{payload}.{mac}")).is_ok());
        // 16 bytes are 22 characters whose last carries 4 unused bits: flipping one is another
        // spelling of the same MAC, and must not verify.
        let alphabet = base64::alphabet::URL_SAFE.as_str();
        let last = mac.chars().last().unwrap();
        let stray = alphabet.as_bytes()[alphabet.find(last).unwrap() ^ 1] as char;
        let respelled = format!("{}{stray}", &mac[..mac.len() - 1]);
        assert!(decode(key, &format!("{payload}.{respelled}")).is_err(), "stray low bits");
        assert!(decode(key, &format!("{payload}.{mac}==")).is_err(), "padding");
        assert!(decode(key, &format!("{payload}=.{mac}")).is_err(), "padding");
    }

    #[test]
    fn cursors_round_trip_and_refuse_tampering() {
        let key = b"0123456789abcdef0123456789abcdef";
        let p = Position {
            s: "-title".into(),
            f: fingerprint("x"),
            k: SortValue::Text("Dune".into()),
            i: "id1".into(),
        };
        let c = encode(key, &p);
        assert_eq!(decode(key, &c).unwrap(), p);
        assert!(decode(b"another key", &c).is_err());
        let (payload, mac) = c.split_once('.').unwrap();
        let forged = Position { k: SortValue::Text("' OR 1=1 --".into()), ..p.clone() };
        let forged_payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged).unwrap());
        assert!(decode(key, &format!("{forged_payload}.{mac}")).is_err());
        assert!(decode(key, payload).is_err());
        assert!(decode(key, "").is_err());
        assert!(decode(key, &"A".repeat(5000)).is_err());
        let int = Position { k: SortValue::Int(-42), ..p };
        assert_eq!(decode(key, &encode(key, &int)).unwrap().k, SortValue::Int(-42));
    }
}
