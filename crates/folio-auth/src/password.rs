//! Password hashing: Argon2id (RFC 9106) with OWASP's minimum parameters.
//!
//! m = 19456 KiB (19 MiB), t = 2 passes, p = 1 lane: OWASP's Password Storage Cheat Sheet's first
//! recommended configuration. p = 1 because a Wasm instance has one thread. docs/auth.md has the
//! measured time of one hash. Salts (16 bytes) come from the host's Random port. The stored form
//! is the PHC string, so parameters can be raised later and old hashes still verify.
//!
//! What is hashed is the password prepared as RFC 8265's OpaqueString profile asks (NFC, other
//! spaces as the ASCII space): "é" typed as one character on one device and as `e` plus a
//! combining accent on another is the same password. Hashes made before that preparation (of the
//! password as typed) still verify: [`verify`] tries the typed form when the prepared one differs.

use anyhow::anyhow;
use argon2::{
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Algorithm, Argon2, Params, Version,
};
use folio_core::{ApiError, ApiResult, Random};
use std::borrow::Cow;
use unicode_normalization::{is_nfc, UnicodeNormalization};

pub const MEMORY_KIB: u32 = 19_456;
pub const ITERATIONS: u32 = 2;
pub const PARALLELISM: u32 = 1;

/// The contract's minimum (API.md: weak password is `< 10` characters).
pub const MIN_CHARS: usize = 10;
/// A bound on work per request; Argon2 pre-hashes its input, but megabytes of password are no one's.
pub const MAX_CHARS: usize = 1024;

/// A PHC string with the same parameters whose salt and output are random bytes, so no known
/// password matches it: sign-in attempts for unknown e-mail addresses verify against it and take
/// as long as a wrong password for a real account.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$5NtiC6XrcGnmCq/SjGUvvg$BJmnppOwD3lBsAfpK4gNanLmvUPtfV+dG4OwyLs2Ay4";

fn argon2() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None).expect("valid Argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Checks the password policy on the password as it will be hashed ([`prepared`]: ten
/// characters typed as twenty decomposed code points are ten); the message is fit for a 422.
pub fn check_policy(password: &str) -> Result<(), String> {
    let password = prepared(password);
    let chars = password.chars().count();
    if chars < MIN_CHARS {
        return Err(format!("must be at least {MIN_CHARS} characters long"));
    }
    if chars > MAX_CHARS {
        return Err(format!("must be at most {MAX_CHARS} characters long"));
    }
    // Ten spaces pass a length rule and are the first thing a guesser tries after "password".
    if password.chars().all(char::is_whitespace) {
        return Err("must not be only spaces".into());
    }
    // RFC 8265's OpaqueString disallows them; nobody can type them again reliably.
    if password.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok(())
}

/// [`check_policy`], and not the account's own e-mail address (in any case, spaces around it
/// or not): the one password everyone who sees the address can guess. Every route that sets a
/// password applies it: sign-up, a change, an administrator's reset.
pub fn check_policy_for(password: &str, email: &str) -> Result<(), String> {
    check_policy(password)?;
    // As the password is hashed (NFC) and the address is keyed (NFKC, lower case): the address
    // typed with a decomposed accent or a full-width letter is the address too.
    let as_address = |text: &str| crate::accounts::normalize_email(prepared(text).trim());
    if as_address(password) == as_address(email) {
        return Err("must not be the e-mail address".into());
    }
    Ok(())
}

/// Hashes a password into a PHC string.
pub fn hash(random: &dyn Random, password: &str) -> ApiResult<String> {
    let mut salt = [0u8; 16];
    random.fill(&mut salt);
    let salt =
        SaltString::encode_b64(&salt).map_err(|e| ApiError::Internal(anyhow!("the password's salt: {e}")))?;
    argon2()
        .hash_password(prepared(password).as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::Internal(anyhow!("hashing a password: {e}")))
}

/// The password as it is hashed (RFC 8265 OpaqueString): NFC, and every space other than
/// U+0020 mapped to it. Borrowed when there is nothing to change, as for any ASCII password.
pub fn prepared(password: &str) -> Cow<'_, str> {
    let other_space = |c: char| c != ' ' && !c.is_ascii() && c.is_whitespace();
    if is_nfc(password) && !password.chars().any(other_space) {
        return Cow::Borrowed(password);
    }
    Cow::Owned(password.nfc().map(|c| if other_space(c) { ' ' } else { c }).collect())
}

/// True when two typed passwords are one password once prepared (a "new" password that only
/// spells the current one differently is not new).
pub fn same_password(a: &str, b: &str) -> bool {
    prepared(a) == prepared(b)
}

/// True when `password` matches `stored`. A stored value that is not a valid hash never matches.
pub fn verify(stored: &str, password: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => forms(password).any(|form| argon2().verify_password(form.as_bytes(), &parsed).is_ok()),
        Err(_) => {
            // Still spend the time, so a broken row does not answer faster than a real one.
            verify_dummy(password);
            false
        }
    }
}

/// Spends the time of one verification without any account, for unknown e-mail addresses: as
/// many hashes as [`verify`] would compute for this password.
pub fn verify_dummy(password: &str) {
    if let Ok(parsed) = PasswordHash::new(DUMMY_HASH) {
        for form in forms(password) {
            let _ = argon2().verify_password(form.as_bytes(), &parsed);
        }
    }
}

/// The forms a stored hash may be of: the prepared password, then (for hashes made before
/// passwords were prepared) the password as typed, when that differs.
fn forms(password: &str) -> impl Iterator<Item = Cow<'_, str>> {
    let prepared = prepared(password);
    let typed = matches!(prepared, Cow::Owned(_)).then_some(Cow::Borrowed(password));
    std::iter::once(prepared).chain(typed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use folio_native::OsRandom;

    #[test]
    fn hashes_verify_and_differ_per_salt() {
        let a = hash(&OsRandom, "correct horse battery").unwrap();
        let b = hash(&OsRandom, "correct horse battery").unwrap();
        assert_ne!(a, b, "salts must differ");
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert!(verify(&a, "correct horse battery"));
        assert!(!verify(&a, "correct horse batterY"));
        assert!(!verify("not a hash", "correct horse battery"));
    }

    #[test]
    fn canonically_equal_passwords_are_one_password() {
        let composed = "caf\u{e9} au lait!";
        let decomposed = "cafe\u{301} au lait!";
        let stored = hash(&OsRandom, composed).unwrap();
        assert!(verify(&stored, decomposed), "the same text in another normal form");
        assert!(verify(&stored, composed));
        let stored = hash(&OsRandom, "correct\u{a0}horse\u{3000}battery").unwrap();
        assert!(verify(&stored, "correct horse battery"), "other spaces are the space");
        assert!(!verify(&stored, "correcthorsebattery"));
        assert!(matches!(prepared("plain ascii password"), Cow::Borrowed(_)));
    }

    #[test]
    fn hashes_of_the_typed_form_still_verify() {
        // A hash made before passwords were prepared: of the decomposed text as it was typed.
        let typed = "cafe\u{301} au lait!";
        let salt = SaltString::encode_b64(&[7u8; 16]).unwrap();
        let legacy = argon2().hash_password(typed.as_bytes(), &salt).unwrap().to_string();
        assert!(verify(&legacy, typed));
        assert!(!verify(&legacy, "cafe au lait!"));
    }

    #[test]
    fn dummy_hash_uses_the_same_parameters() {
        let parsed = PasswordHash::new(DUMMY_HASH).unwrap();
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
        let params = Params::try_from(&parsed).unwrap();
        assert_eq!(
            (params.m_cost(), params.t_cost(), params.p_cost()),
            (MEMORY_KIB, ITERATIONS, PARALLELISM)
        );
    }

    #[test]
    fn policy() {
        assert!(check_policy("123456789").is_err());
        assert!(check_policy("1234567890").is_ok());
        assert!(check_policy("ééééééééé").is_err(), "counts characters, not bytes");
        assert!(check_policy(&"x".repeat(MAX_CHARS + 1)).is_err());
        assert_eq!(check_policy(&" ".repeat(12)), Err("must not be only spaces".into()));
        assert!(check_policy(" correct horse ").is_ok(), "spaces inside a passphrase are fine");
        let decomposed_six = "e\u{301}".repeat(6);
        assert!(check_policy(&decomposed_six).is_err(), "six characters, however they were typed");
        assert!(check_policy("password\u{7}123").is_err());
        assert!(same_password("caf\u{e9} secret pass", "cafe\u{301} secret pass"));
    }
}
