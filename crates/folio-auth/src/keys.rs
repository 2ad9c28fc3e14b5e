//! Signing keys: which Ed25519 key signs now, and which public keys the JWKS publishes.
//!
//! The key comes from the secret variable `signing_key` when it is set (PKCS#8 PEM, or base64 of
//! the 32-byte seed or of seed‖public key). Otherwise the app generates one on first use from
//! the host's Random port and keeps it in SQLite (`auth_signing_keys`, migrations/0003): the
//! row's `generated_slot` is UNIQUE, so when two first requests race, both `INSERT OR IGNORE`,
//! one row wins and both sign with the winner.
//!
//! Rotation: whenever the key that signs changes (a new `signing_key`, or the generated key's
//! slot cleared), the previous key's row gets `retired_at`; its public key stays in the JWKS for
//! one access-token lifetime (plus leeway) after that, then the row is deleted. docs/auth.md has
//! the procedure.
//!
//! Standby: beside a generated signing key the app keeps a second generated key (`standby = 1`)
//! that is published but signs nothing. A rotation promotes it, so new tokens carry a `kid` that
//! every verifier which fetched the JWKS since the previous rotation already holds (standard JWKS
//! clients otherwise refuse new tokens for their refetch cooldown, 30 s in jose and PyJWT), and
//! makes the next standby. A key from `signing_key` has none: the operator rotates it.

use anyhow::anyhow;
use base64::{
    engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD},
    Engine as _,
};
use ed25519_compact::{KeyPair, Noise, PublicKey, Seed};
use folio_core::{ApiError, ApiResult, ConfigError, Host, Row, Sql, Value};
use folio_tokens::{digest, settings::LEEWAY_SECS};
use serde_json::json;

use crate::settings::{AuthSettings, SIGNING_KEY};

/// The key that signs tokens now.
pub struct SigningKey {
    pub kid: String,
    key_pair: KeyPair,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.debug_struct("SigningKey").field("kid", &self.kid).finish_non_exhaustive()
    }
}

impl SigningKey {
    /// The key pair of `seed`; `None` for the one seed Ed25519 refuses, all zeros (a
    /// configured value is refused before this; a stored row with it has been tampered with).
    fn from_seed(seed: [u8; 32]) -> Option<Self> {
        let key_pair = KeyPair::try_from_seed(Seed::new(seed)).ok()?;
        Some(Self { kid: thumbprint(&key_pair.pk[..]), key_pair })
    }

    pub fn public_key(&self) -> [u8; 32] {
        *self.key_pair.pk
    }

    /// Signs `message` (the JWS signing input). The hedging noise comes from the host's Random
    /// port, not from the OS, so Wasm builds draw randomness only through the port.
    pub fn sign(&self, host: &Host, message: &[u8]) -> [u8; 64] {
        let mut noise = [0u8; Noise::BYTES];
        host.random.fill(&mut noise);
        *self.key_pair.sk.sign(message, Some(Noise::new(noise)))
    }
}

/// A public key the JWKS publishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedKey {
    pub kid: String,
    pub public_key: Vec<u8>,
    pub retired_at: Option<i64>,
}

impl PublishedKey {
    /// The RFC 8037 JWK.
    pub fn to_jwk(&self) -> serde_json::Value {
        json!({
            "kty": "OKP",
            "crv": "Ed25519",
            "x": URL_SAFE_NO_PAD.encode(&self.public_key),
            "kid": self.kid,
            "use": "sig",
            "alg": "EdDSA",
        })
    }
}

/// The RFC 7638 JWK thumbprint of an Ed25519 public key: the key id.
pub fn thumbprint(public_key: &[u8]) -> String {
    // Members in lexicographic order, no whitespace (RFC 7638 §3.2, RFC 8037 §2).
    let canonical =
        format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#, URL_SAFE_NO_PAD.encode(public_key));
    digest::fingerprint(canonical.as_bytes())
}

/// Reads the `signing_key` variable: PKCS#8 PEM, or base64 (either alphabet) of the 32-byte seed
/// or of the 64-byte seed followed by its public key. A value it cannot use is a configuration
/// error naming the variable and the forms it takes, with the reason but never the value.
pub fn parse_configured(text: &str) -> Result<[u8; 32], ConfigError> {
    seed_from(text).map_err(|reason| {
        ConfigError::invalid(
            SIGNING_KEY,
            format!(
                "an Ed25519 private key: PKCS#8 PEM, or base64 of the 32-byte seed or of the seed \
                 followed by its public key (the value given is {reason})"
            ),
        )
    })
}

fn seed_from(text: &str) -> Result<[u8; 32], &'static str> {
    let seed = encoded_seed(text)?;
    // Ed25519 libraries refuse it (ed25519-compact panics on it): a placeholder, not a key.
    if seed == [0u8; 32] {
        return Err("an all-zero seed, which is no key");
    }
    Ok(seed)
}

/// The DER of an Ed25519 PKCS#8 v1 private key (RFC 8410 §7) before its 32-byte seed.
const PKCS8_ED25519_PREFIX: [u8; 16] =
    [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];

fn encoded_seed(text: &str) -> Result<[u8; 32], &'static str> {
    let text = text.trim();
    if text.is_empty() {
        return Err("only white space");
    }
    if text.starts_with("-----BEGIN") {
        let pair = jwt_simple::prelude::Ed25519KeyPair::from_pem(text).map_err(|_| {
            // The PEM reader refuses an all-zero seed like any broken key: name it as such.
            let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect::<String>();
            match STANDARD.decode(body.split_whitespace().collect::<String>()) {
                Ok(der) if der.len() == 48 && der[..16] == PKCS8_ED25519_PREFIX && der[16..] == [0u8; 32] => {
                    "an all-zero seed, which is no key"
                }
                _ => "not an Ed25519 PKCS#8 PEM key",
            }
        })?;
        let bytes = pair.to_bytes();
        return bytes[..32].try_into().map_err(|_| "not an Ed25519 key");
    }
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let raw = [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(&compact).ok())
        .ok_or("neither PEM nor base64")?;
    match raw.len() {
        32 => Ok(raw.try_into().expect("32 bytes")),
        64 if raw[..32] == [0u8; 32] => Ok([0u8; 32]),
        64 => {
            let pair = KeyPair::from_slice(&raw).map_err(|_| "not an Ed25519 key pair")?;
            pair.validate().map_err(|_| "a key pair whose public half does not match its seed")?;
            Ok(raw[..32].try_into().expect("32 bytes"))
        }
        _ => Err("base64 of neither 32 nor 64 bytes"),
    }
}

#[derive(Debug, Clone)]
struct KeyRow {
    kid: String,
    public_key: String,
    private_seed: Option<String>,
    generated_slot: bool,
    standby: bool,
    created_at: i64,
    retired_at: Option<i64>,
    publish_until: Option<i64>,
    /// The longest access-token lifetime this key has signed with (migration 0017).
    signed_ttl_secs: Option<i64>,
}

impl KeyRow {
    fn from_row(row: Row) -> Self {
        Self {
            kid: row.string("kid"),
            public_key: row.string("public_key"),
            private_seed: row.text("private_seed").map(str::to_string),
            generated_slot: row.i64("generated_slot") == Some(1),
            standby: row.i64("standby") == Some(1),
            created_at: row.i64("created_at").unwrap_or(0),
            retired_at: row.i64("retired_at"),
            publish_until: row.i64("publish_until"),
            signed_ttl_secs: row.i64("signed_ttl_secs"),
        }
    }

    /// Whether the JWKS still publishes this key at `now`: always while it signs; once retired,
    /// until the last token it signed has expired (`publish_until`, or for a key retired before
    /// that column existed, its retirement plus `horizon`).
    fn published_at(&self, now: i64, horizon: i64) -> bool {
        match self.retired_at {
            None => true,
            Some(retired) => self.publish_until.unwrap_or(retired + horizon) > now,
        }
    }
}

fn load_rows(sql: &dyn Sql) -> ApiResult<Vec<KeyRow>> {
    let rows = sql.execute(
        "SELECT kid, public_key, private_seed, generated_slot, standby, created_at, retired_at, publish_until,
                signed_ttl_secs
         FROM auth_signing_keys",
        &[],
    )?;
    Ok(rows.iter().map(KeyRow::from_row).collect())
}

fn stored_key(row: &KeyRow) -> ApiResult<SigningKey> {
    row.private_seed
        .as_deref()
        .and_then(|s| URL_SAFE_NO_PAD.decode(s).ok())
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .and_then(SigningKey::from_seed)
        .ok_or_else(|| ApiError::Internal(anyhow!("generated signing key row without a usable seed")))
}

/// The key that signs now, made current in the table (retiring any other) when needed.
pub fn active(host: &Host, settings: &AuthSettings) -> ApiResult<SigningKey> {
    let now = host.clock.now_secs();
    let mut rows = load_rows(host.sql)?;
    let key = match &settings.signing_key {
        Some(text) => {
            let key = SigningKey::from_seed(parse_configured(text)?).ok_or_else(|| {
                ApiError::Internal(anyhow!("a configured seed passed its check but makes no key"))
            })?;
            match rows.iter().find(|r| r.kid == key.kid) {
                None => {
                    host.sql.execute(
                        "INSERT OR IGNORE INTO auth_signing_keys (kid, public_key, source, created_at)
                         VALUES (?, ?, 'configured', ?)",
                        &[
                            Value::from(&key.kid),
                            Value::from(URL_SAFE_NO_PAD.encode(key.public_key())),
                            Value::from(now),
                        ],
                    )?;
                }
                Some(r) if r.retired_at.is_some() => unretire(host.sql, &key.kid)?,
                Some(_) => {}
            }
            // A generated key the configured one replaces loses its seed and its slot, as a
            // rotation does: an operator who sets a key (say, after the database leaked) must not
            // see the old one sign again when the variable is emptied later. Its public key
            // stays published as long as its tokens live (retired below).
            if rows.iter().any(|r| r.generated_slot || r.standby || r.private_seed.is_some()) {
                // The standby key never signed a token: nothing needs it published, and after a
                // leak (the reason to set a key) its seed is known. It goes at once.
                host.sql.execute("DELETE FROM auth_signing_keys WHERE standby = 1", &[])?;
                rows.retain(|r| !r.standby);
                host.sql.execute(
                    "UPDATE auth_signing_keys SET private_seed = NULL, generated_slot = NULL
                     WHERE private_seed IS NOT NULL OR generated_slot IS NOT NULL",
                    &[],
                )?;
            }
            key
        }
        None => match rows.iter().find(|r| r.generated_slot) {
            Some(row) => {
                let key = stored_key(row)?;
                if row.retired_at.is_some() {
                    unretire(host.sql, &key.kid)?;
                }
                key
            }
            None => {
                let candidate = generate(host, now, "INSERT OR IGNORE", Slot::Signing)?;
                // Whoever won the race, everyone signs with the row that is there now.
                rows = load_rows(host.sql)?;
                let winner = rows
                    .iter()
                    .find(|r| r.generated_slot)
                    .ok_or_else(|| ApiError::Internal(anyhow!("generated signing key vanished")))?;
                let key = stored_key(winner)?;
                if winner.kid == candidate.kid {
                    folio_core::log::emit(
                        json!({"level": "info", "event": "signing_key_generated", "kid": key.kid}),
                    );
                }
                key
            }
        },
    };
    // The key signs with this lifetime from now on: its row remembers the longest (a write only
    // when the lifetime grew, or the first time a key signs).
    let recorded = rows.iter().find(|r| r.kid == key.kid).and_then(|r| r.signed_ttl_secs);
    if recorded.is_none_or(|ttl| ttl < settings.access_ttl_secs) {
        host.sql.execute(
            "UPDATE auth_signing_keys SET signed_ttl_secs = MAX(COALESCE(signed_ttl_secs, 0), ?) WHERE kid = ?",
            &[Value::from(settings.access_ttl_secs), Value::from(&key.kid)],
        )?;
    }
    if rows.iter().any(|r| r.kid != key.kid && r.retired_at.is_none() && !r.standby) {
        host.sql.execute(
            &format!(
                "UPDATE auth_signing_keys SET retired_at = ?, publish_until = {PUBLISH_UNTIL}
                 WHERE kid != ? AND retired_at IS NULL AND standby IS NULL"
            ),
            &[
                Value::from(now),
                Value::from(now + LEEWAY_SECS),
                Value::from(settings.access_ttl_secs),
                Value::from(&key.kid),
            ],
        )?;
        folio_core::log::emit(json!({"level": "info", "event": "signing_key_rotated", "kid": key.kid}));
    }
    if settings.signing_key.is_none() && !rows.iter().any(|r| r.standby) {
        // Whoever wins a race stores it (the column is UNIQUE); every loser's key is discarded.
        generate(host, now, "INSERT OR IGNORE", Slot::Standby)?;
    }
    Ok(key)
}

/// Which generated key a new row is: the one that signs, or the standby one.
#[derive(Clone, Copy)]
enum Slot {
    Signing,
    Standby,
}

/// A new key from the Random port, stored as the generated key of `slot` (`insert` is `INSERT`,
/// or `INSERT OR IGNORE` where a concurrent request may have stored one first).
fn generate(host: &Host, now: i64, insert: &str, slot: Slot) -> ApiResult<SigningKey> {
    let mut seed = [0u8; 32];
    host.random.fill(&mut seed);
    let key = SigningKey::from_seed(seed)
        .ok_or_else(|| ApiError::Internal(anyhow!("the Random port gave an all-zero seed")))?;
    let column = match slot {
        Slot::Signing => "generated_slot",
        Slot::Standby => "standby",
    };
    host.sql.execute(
        &format!(
            "{insert} INTO auth_signing_keys (kid, public_key, private_seed, {column}, source, created_at)
             VALUES (?, ?, ?, 1, 'generated', ?)"
        ),
        &[
            Value::from(&key.kid),
            Value::from(URL_SAFE_NO_PAD.encode(key.public_key())),
            Value::from(URL_SAFE_NO_PAD.encode(seed)),
            Value::from(now),
        ],
    )?;
    Ok(key)
}

fn unretire(sql: &dyn Sql, kid: &str) -> ApiResult<()> {
    sql.execute(
        "UPDATE auth_signing_keys SET retired_at = NULL, publish_until = NULL WHERE kid = ?",
        &[Value::from(kid)],
    )?;
    Ok(())
}

/// How long after a key stops signing its last token can still be valid: one access-token
/// lifetime, plus the leeway verifiers allow. For a key retired before its row recorded the
/// lifetimes it signed with (migration 0017), the lifetime in force.
fn horizon(settings: &AuthSettings) -> i64 {
    settings.access_ttl_secs + LEEWAY_SECS
}

/// `publish_until` of a key retired now, in SQL, from two parameters (now plus the leeway, and
/// the lifetime in force): the expiry of the last token it can have signed, by the longest
/// lifetime it signed with (`signed_ttl_secs`), which may be longer than today's: an operator
/// who shortens `access_token_ttl_seconds` and then rotates must not see the JWKS drop a key
/// whose tokens still live (offline verifiers would refuse them while the app takes them).
const PUBLISH_UNTIL: &str = "? + MAX(COALESCE(signed_ttl_secs, 0), ?)";

/// The most public keys the JWKS publishes at once: the signing key and the retired ones whose
/// tokens may still be valid. Every rotation adds one for a token lifetime (15 minutes by
/// default, up to a day), so a script or a stuck client rotating in a loop grew the public
/// document without bound (300 rotations: 308 keys, 48 KB, served to every verifier). 32 leaves
/// room for any sane schedule and for a rotation after a leak.
pub const MAX_PUBLISHED_KEYS: usize = 32;

/// Seconds until a rotation has room under [`MAX_PUBLISHED_KEYS`]: 0 when it has room now.
fn wait_for_room(rows: &[KeyRow], now: i64, horizon: i64) -> u64 {
    let mut leaving: Vec<i64> = rows
        .iter()
        .filter(|r| r.published_at(now, horizon))
        .map(|r| r.retired_at.map_or(i64::MAX, |retired| r.publish_until.unwrap_or(retired + horizon)))
        .collect();
    if leaving.len() < MAX_PUBLISHED_KEYS {
        return 0;
    }
    // One more may be published once this many have left: the soonest of them decides.
    leaving.sort_unstable();
    let must_leave = leaving.len() + 1 - MAX_PUBLISHED_KEYS;
    (leaving[must_leave - 1] - now).max(1) as u64
}

/// `POST /api/auth/keys/rotate` for a generated key: a new key signs from now on. The old
/// one's seed is deleted at once (nothing signs with it again), and its public key stays in the
/// JWKS until the last token it signed has expired. One transaction: no request ever finds no
/// key, or two. A key from the `signing_key` variable is rotated by setting a new one there
/// (the caller answers `409` for it).
pub fn rotate_generated(host: &Host, settings: &AuthSettings) -> ApiResult<SigningKey> {
    let now = host.clock.now_secs();
    let key = folio_core::sql::transaction(host.sql, || {
        // Under the write lock: rotations at once cannot pass the bound together.
        let wait = wait_for_room(&load_rows(host.sql)?, now, horizon(settings));
        if wait > 0 {
            return Err(ApiError::TooManyRequests {
                retry_after_secs: wait,
                detail: format!(
                    "the key set already publishes {MAX_PUBLISHED_KEYS} keys, each kept until the last \
                     token it signed has expired; rotate again once the oldest has left"
                ),
            });
        }
        host.sql.execute(
            &format!(
                "UPDATE auth_signing_keys SET generated_slot = NULL, private_seed = NULL, retired_at = ?,
                     publish_until = {PUBLISH_UNTIL}
                 WHERE generated_slot = 1"
            ),
            &[Value::from(now), Value::from(now + LEEWAY_SECS), Value::from(settings.access_ttl_secs)],
        )?;
        // The standby key signs from now on (verifiers have had it since the last rotation),
        // and a new standby is published; without one (a database from before standby keys),
        // a new key signs at once.
        let promoted = host.sql.execute(
            "UPDATE auth_signing_keys SET generated_slot = 1, standby = NULL WHERE standby = 1 RETURNING kid",
            &[],
        )?;
        let key = match promoted.first() {
            Some(_) => stored_key(
                load_rows(host.sql)?
                    .iter()
                    .find(|r| r.generated_slot)
                    .ok_or_else(|| ApiError::Internal(anyhow!("the promoted signing key vanished")))?,
            )?,
            None => generate(host, now, "INSERT", Slot::Signing)?,
        };
        generate(host, now, "INSERT", Slot::Standby)?;
        Ok(key)
    })?;
    folio_core::log::emit(json!({"level": "info", "event": "signing_key_rotated", "kid": key.kid}));
    Ok(key)
}

/// `POST /api/auth/keys/rotate?compromised=true`: the rotation after a leak of the database or
/// a backup, which holds the private seeds of the signing key and of the standby key. A routine
/// rotation would promote the standby key, whose seed leaked with the rest; this one makes two
/// fresh keys (a signing one and a standby), deletes the standby row, and takes every other key
/// out of the JWKS at once (its seed, or an older backup's, may be known), so offline verifiers
/// refuse tokens signed with them from their next fetch. Tokens the app issued before keep
/// working inside the app (their sessions vouch for them; the administrator's routes, which
/// check signatures, ask for a refresh), and a refresh gets a token signed with the new key.
pub fn rotate_after_compromise(host: &Host) -> ApiResult<SigningKey> {
    let now = host.clock.now_secs();
    let key = folio_core::sql::transaction(host.sql, || -> ApiResult<SigningKey> {
        host.sql.execute("DELETE FROM auth_signing_keys WHERE standby = 1", &[])?;
        // Retired now and published until now: gone from the next JWKS.
        host.sql.execute(
            "UPDATE auth_signing_keys SET generated_slot = NULL, private_seed = NULL,
                 retired_at = COALESCE(retired_at, ?), publish_until = ?",
            &[Value::from(now), Value::from(now)],
        )?;
        let key = generate(host, now, "INSERT", Slot::Signing)?;
        generate(host, now, "INSERT", Slot::Standby)?;
        Ok(key)
    })?;
    folio_core::log::emit(
        json!({"level": "warn", "event": "signing_key_replaced_after_compromise", "kid": key.kid}),
    );
    Ok(key)
}

/// Every public key a verifier may still meet: the active one and the retired ones whose last
/// token may still be valid. Older rows are deleted here.
pub fn published(host: &Host, settings: &AuthSettings) -> ApiResult<Vec<PublishedKey>> {
    // A `signing_key` the app cannot read stops every sign-in (`503` naming it), but the tokens
    // already in circulation stay good inside the app, so the keys that signed them stay
    // published: offline verifiers must not refuse what the app takes while the operator mends
    // the variable. With no key stored yet there is nothing to publish, and the mistake is the
    // answer.
    let misconfigured = match active(host, settings) {
        Ok(_) => None,
        Err(e @ ApiError::Misconfigured(_)) => Some(e),
        Err(e) => return Err(e),
    };
    let now = host.clock.now_secs();
    let horizon = horizon(settings);
    let rows = load_rows(host.sql)?;
    if let Some(e) = misconfigured.filter(|_| !rows.iter().any(|r| r.published_at(now, horizon))) {
        return Err(e);
    }
    if rows.iter().any(|r| !r.published_at(now, horizon)) {
        host.sql.execute(
            "DELETE FROM auth_signing_keys
             WHERE retired_at IS NOT NULL AND COALESCE(publish_until, retired_at + ?) <= ?",
            &[Value::from(horizon), Value::from(now)],
        )?;
    }
    let mut keys: Vec<((bool, i64), PublishedKey)> = rows
        .into_iter()
        .filter(|r| r.published_at(now, horizon))
        .filter_map(|r| {
            let public_key = URL_SAFE_NO_PAD.decode(&r.public_key).ok().filter(|k| k.len() == 32)?;
            Some((
                (r.standby, r.created_at),
                PublishedKey { kid: r.kid, public_key, retired_at: r.retired_at },
            ))
        })
        .collect();
    // The signing key first, then the standby key, then the most recently retired.
    keys.sort_by_key(|((standby, created), k)| {
        (k.retired_at.is_some(), *standby, -k.retired_at.unwrap_or(0), -created)
    });
    Ok(keys.into_iter().map(|(_, k)| k).collect())
}

/// Whether `token` is signed by a published key, for the claims the app issues (issuer,
/// audience, time with the routes' leeway, the header's `kid`): the offline check a gateway
/// makes, which the in-app check (session vouching) leaves out. `Ok(false)` for any token that
/// does not verify.
pub fn signature_verifies(host: &Host, settings: &AuthSettings, token: &str) -> ApiResult<bool> {
    use jwt_simple::prelude::*;
    let Ok(unverified) = folio_tokens::claims::decode(token) else { return Ok(false) };
    let Some(public_key) = find_published(host, settings, &unverified.kid)? else { return Ok(false) };
    let Ok(key) = Ed25519PublicKey::from_bytes(public_key.as_ref()) else { return Ok(false) };
    let options = VerificationOptions {
        allowed_issuers: Some(HashSet::from_strings(&[&settings.tokens.issuer])),
        allowed_audiences: Some(HashSet::from_strings(&[&settings.tokens.audience])),
        time_tolerance: Some(Duration::from_secs(folio_tokens::settings::LEEWAY_SECS as u64)),
        artificial_time: Some(Duration::from_secs(host.clock.now_secs().max(0) as u64)),
        required_key_id: Some(unverified.kid.clone()),
        ..Default::default()
    };
    Ok(key.verify_token::<NoCustomClaims>(token, Some(options)).is_ok())
}

/// The published key with this id.
pub fn find_published(host: &Host, settings: &AuthSettings, kid: &str) -> ApiResult<Option<PublicKey>> {
    Ok(published(host, settings)?
        .into_iter()
        .find(|k| k.kid == kid)
        .and_then(|k| PublicKey::from_slice(&k.public_key).ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbprint_matches_rfc8037_example() {
        // RFC 8037 Appendix A.3: the thumbprint of the Appendix A.2 public key.
        let x = URL_SAFE_NO_PAD.decode("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo").unwrap();
        assert_eq!(thumbprint(&x), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
    }

    #[test]
    fn reads_a_pkcs8_pem_key_as_openssl_writes_it() {
        // RFC 8410 §10.3's example private key (the format `openssl genpkey -algorithm ed25519`
        // writes) and its public key from §10.1.
        let pem = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n-----END PRIVATE KEY-----\n";
        let key = SigningKey::from_seed(parse_configured(pem).unwrap()).unwrap();
        assert_eq!(URL_SAFE_NO_PAD.encode(key.public_key()), "Gb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE");
    }

    #[test]
    fn parses_configured_keys_in_every_documented_form() {
        // RFC 8037 Appendix A.1 private key `d` and its public key `x`.
        let d = URL_SAFE_NO_PAD.decode("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A").unwrap();
        let x = URL_SAFE_NO_PAD.decode("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo").unwrap();
        let seed: [u8; 32] = d.clone().try_into().unwrap();
        assert_eq!(parse_configured(&STANDARD.encode(&d)).unwrap(), seed);
        assert_eq!(parse_configured(&URL_SAFE_NO_PAD.encode(&d)).unwrap(), seed);
        let both = [d.clone(), x.clone()].concat();
        assert_eq!(parse_configured(&STANDARD.encode(&both)).unwrap(), seed);
        let pem = jwt_simple::prelude::Ed25519KeyPair::from_bytes(&both).unwrap().to_pem();
        assert_eq!(parse_configured(&pem).unwrap(), seed);
        assert_eq!(*SigningKey::from_seed(seed).unwrap().key_pair.pk, x[..]);
        let mismatched = [d, vec![0u8; 32]].concat();
        assert!(parse_configured(&STANDARD.encode(mismatched)).is_err());
        assert!(parse_configured("not a key").is_err());
        assert!(parse_configured(&STANDARD.encode([1u8; 16])).is_err());
        assert!(parse_configured("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----").is_err());
    }

    #[test]
    fn an_all_zero_seed_is_refused_in_every_form_by_name() {
        let zero = [0u8; 32];
        let pem = format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            STANDARD.encode([&PKCS8_ED25519_PREFIX[..], &zero[..]].concat())
        );
        let forms = [STANDARD.encode(zero), URL_SAFE_NO_PAD.encode(zero), STANDARD.encode([0u8; 64]), pem];
        for form in forms {
            let e = parse_configured(&form).unwrap_err();
            assert!(format!("{e:?}").contains("all-zero seed"), "{form}: {e:?}");
        }
        assert!(SigningKey::from_seed(zero).is_none());
    }
}
