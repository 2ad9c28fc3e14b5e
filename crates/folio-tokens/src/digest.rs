//! SHA-256 fingerprints of tokens and their constant-time comparison.
//!
//! Stores keep only fingerprints of refresh and access tokens, never the tokens themselves: a
//! leaked store does not hand out working credentials. Comparisons run in constant time so the
//! position of the first differing byte cannot be learned from response times.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The SHA-256 of `data`, base64url without padding (43 characters).
pub fn fingerprint(data: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(data))
}

/// Constant-time equality of two fingerprints (or any two byte strings of equal length).
pub fn same(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// True when `candidate` equals any of `known`, examining every entry whatever matches.
pub fn any_same<'a>(candidate: &str, known: impl IntoIterator<Item = &'a str>) -> bool {
    let mut found = subtle::Choice::from(0u8);
    for k in known {
        found |= candidate.as_bytes().ct_eq(k.as_bytes());
    }
    found.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_is_sha256_base64url() {
        // SHA-256("abc"), FIPS 180-2 test vector, base64url-encoded.
        assert_eq!(fingerprint(b"abc"), "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
        assert_eq!(fingerprint(b"abc").len(), 43);
    }

    #[test]
    fn comparisons() {
        let a = fingerprint(b"a");
        let b = fingerprint(b"b");
        assert!(same(&a, &a.clone()));
        assert!(!same(&a, &b));
        assert!(!same(&a, &a[..42]));
        assert!(any_same(&a, [b.as_str(), a.as_str()]));
        assert!(!any_same(&a, [b.as_str()]));
        assert!(!any_same(&a, []));
    }
}
