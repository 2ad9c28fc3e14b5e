//! Opaque, tamper-checked keyset cursors.
//!
//! A cursor names the last row of a page: its sort value and its id, plus which sort and which
//! filters it belongs to. It travels as `base64url(JSON payload) "." base64url(MAC)`, where the
//! MAC is HMAC-SHA-256 (truncated to 128 bits) under a per-install secret. A cursor that does
//! not decode, whose MAC does not verify, or that belongs to another sort or filter set is a
//! `400`; its values only ever reach SQL as bound parameters, so even a valid-looking forgery
//! could not become a SQL error.
//!
//! The secret lives in the `books_secrets` table (migration 0002), created on first use with
//! `INSERT OR IGNORE`: the first writer wins atomically, so concurrent first requests on a new
//! install cannot end up signing with different keys (a key-value store has no such primitive).

use folio_core::{ApiError, Host, Value};
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
    let mac = hmac_sha256(secret, &payload);
    format!("{}.{}", base64url(&payload), base64url(&mac[..MAC_LEN]))
}

/// Decodes and verifies a cursor; every failure is the same `400`, so a forger learns nothing.
pub fn decode(secret: &[u8], cursor: &str) -> Result<Position, ApiError> {
    if cursor.len() > MAX_CURSOR_LEN {
        return Err(bad_cursor());
    }
    let (payload_b64, mac_b64) = cursor.split_once('.').ok_or_else(bad_cursor)?;
    let payload = unbase64url(payload_b64).ok_or_else(bad_cursor)?;
    let mac = unbase64url(mac_b64).ok_or_else(bad_cursor)?;
    let expected = hmac_sha256(secret, &payload);
    if mac.len() != MAC_LEN || !constant_time_eq(&mac, &expected[..MAC_LEN]) {
        return Err(bad_cursor());
    }
    serde_json::from_slice(&payload).map_err(|_| bad_cursor())
}

/// The install's MAC key: read it, or create it once.
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
    read(host)?.ok_or_else(|| ApiError::Internal("cursor key missing after insert".into()))
}

/// A short fingerprint of a canonical filter description.
pub fn fingerprint(canonical: &str) -> String {
    hex::encode(&Sha256::digest(canonical.as_bytes())[..8])
}

/// HMAC-SHA-256 (RFC 2104), written out because it is a dozen lines over `sha2`.
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut block_key = [0u8; BLOCK];
    if key.len() > BLOCK {
        block_key[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block_key[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block_key.map(|k| k ^ byte);
    let inner = Sha256::new().chain_update(pad(0x36)).chain_update(message).finalize();
    Sha256::new().chain_update(pad(0x5c)).chain_update(inner).finalize().into()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// RFC 4648 §5 base64url without padding.
fn base64url(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, b)| acc | (*b as u32) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

/// Strict inverse of [`base64url`]: no padding, no other alphabet, no stray bits.
fn unbase64url(text: &str) -> Option<Vec<u8>> {
    if text.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    for chunk in text.as_bytes().chunks(4) {
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            let v = B64.iter().position(|b| b == c)? as u32;
            n |= v << (18 - 6 * i);
        }
        let bytes = chunk.len() - 1;
        // Unused low bits must be zero, so each byte string has exactly one encoding.
        if bytes < 3 && n & ((1 << (8 * (3 - bytes))) - 1) != 0 {
            return None;
        }
        for i in 0..bytes {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_test_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        let hex = hex::encode(mac);
        assert_eq!(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    #[test]
    fn base64url_round_trips_and_matches_rfc_4648() {
        assert_eq!(base64url(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64url(b"fo"), "Zm8");
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
        for n in 0..40u8 {
            let bytes: Vec<u8> = (0..n).map(|i| i.wrapping_mul(37)).collect();
            assert_eq!(unbase64url(&base64url(&bytes)).unwrap(), bytes);
        }
        assert!(unbase64url("Zm9=").is_none());
        assert!(unbase64url("Z").is_none());
        assert!(unbase64url("Zm9vYmFz").is_some());
        assert!(unbase64url("Zm+v").is_none());
        assert_eq!(unbase64url("Zm8").unwrap(), b"fo");
        assert!(unbase64url("Zm9").is_none() && unbase64url("Zm-").is_none(), "stray low bits");
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
        let forged_payload = base64url(&serde_json::to_vec(&forged).unwrap());
        assert!(decode(key, &format!("{forged_payload}.{mac}")).is_err());
        assert!(decode(key, payload).is_err());
        assert!(decode(key, "").is_err());
        assert!(decode(key, &"A".repeat(5000)).is_err());
        let int = Position { k: SortValue::Int(-42), ..p };
        assert_eq!(decode(key, &encode(key, &int)).unwrap().k, SortValue::Int(-42));
    }
}
