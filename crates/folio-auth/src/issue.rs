//! Issuing tokens: access tokens (EdDSA JWTs), refresh tokens (opaque), and the session record
//! that vouches for them.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use folio_core::{ApiError, ApiResult, Host};
use folio_tokens::{
    digest,
    session::{self, Session},
};
use http::StatusCode;
use serde_json::json;

use crate::{
    accounts::Account,
    keys,
    role::Role,
    sessions::{self, RefreshStatus},
    settings::AuthSettings,
};

/// What the token endpoint returns.
#[derive(Debug, Clone)]
pub struct Issued {
    pub access_token: String,
    pub expires_in: i64,
    pub refresh_token: String,
    pub scope: String,
    pub session_id: String,
}

impl Issued {
    /// RFC 6749 §5.1 body.
    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "refresh_token": self.refresh_token,
            "scope": self.scope,
        })
    }
}

pub fn oauth(status: StatusCode, error: &'static str, description: &str) -> ApiError {
    ApiError::OAuth { status, error, description: description.to_string() }
}

fn invalid_grant(description: &str) -> ApiError {
    oauth(StatusCode::BAD_REQUEST, "invalid_grant", description)
}

/// The scopes to grant: the role's, or the requested subset of them (`invalid_scope` when a
/// requested scope is not the role's). Kept in the role table's order.
pub fn granted_scope(role: Role, requested: Option<&str>) -> ApiResult<String> {
    narrowed(&role.scopes().join(" "), requested, "is not available to this account")
}

/// `held` narrowed to the `requested` scopes, in `held`'s order; absent or blank, `held` as it
/// is. A requested scope not held is `invalid_scope`, then `refusal`: at sign-in the role's
/// scopes are held; at a refresh, the session's (RFC 6749 §6: a refresh "MUST NOT include any
/// scope not originally granted").
///
/// The list is read as RFC 6749 §3.3 writes it: scope names of printable ASCII without `"` or
/// `\`, separated by spaces (a tab, line break or no-break space is not a separator). The
/// description names a refused scope only when it is one of the app's own, so it never repeats
/// what a client made up (§5.2 allows only printable ASCII there, and the problem's `detail`
/// never carries a value sent).
fn narrowed(held: &str, requested: Option<&str>, refusal: &str) -> ApiResult<String> {
    let Some(requested) = requested.map(|r| r.trim_matches(' ')).filter(|r| !r.is_empty()) else {
        return Ok(held.to_string());
    };
    let invalid_scope = |description: String| oauth(StatusCode::BAD_REQUEST, "invalid_scope", &description);
    let wanted: Vec<&str> = requested.split(' ').filter(|w| !w.is_empty()).collect();
    if !wanted.iter().all(|w| is_scope_token(w)) {
        return Err(invalid_scope(
            "scope must be scope names separated by spaces (RFC 6749, section 3.3: printable ASCII, no quotes or backslashes)"
                .into(),
        ));
    }
    if let Some(extra) = wanted.iter().find(|w| !held.split(' ').any(|h| h == **w)) {
        let description = if Role::Admin.scopes().contains(extra) {
            format!("the scope {extra} {refusal}")
        } else {
            format!(
                "a requested scope is not one this service grants (its scopes: {})",
                Role::Admin.scopes().join(" ")
            )
        };
        return Err(invalid_scope(description));
    }
    Ok(held.split(' ').filter(|s| wanted.contains(s)).collect::<Vec<_>>().join(" "))
}

/// A `scope-token` of RFC 6749 §3.3: `%x21 / %x23-5B / %x5D-7E`, at least one.
fn is_scope_token(word: &str) -> bool {
    !word.is_empty() && word.bytes().all(|b| matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E))
}

/// What one access token asserts.
struct Grant<'a> {
    account: &'a Account,
    session_id: &'a str,
    scope: &'a str,
    now: i64,
    exp: i64,
}

/// Signs an access token (compact JWS, `alg: EdDSA`, `kid`) for the session.
fn mint_access(host: &Host, settings: &AuthSettings, key: &keys::SigningKey, grant: &Grant) -> String {
    let header = json!({"alg": "EdDSA", "typ": "JWT", "kid": key.kid});
    let claims = json!({
        "iss": settings.tokens.issuer,
        "sub": grant.account.id,
        "aud": settings.tokens.audience,
        "iat": grant.now,
        "nbf": grant.now,
        "exp": grant.exp,
        "jti": host.new_id(),
        "sid": grant.session_id,
        "email": grant.account.email,
        "role": grant.account.role.as_str(),
        "scope": grant.scope,
    });
    let encode =
        |v: &serde_json::Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).expect("claims serialize"));
    let signing_input = format!("{}.{}", encode(&header), encode(&claims));
    let signature = key.sign(host, signing_input.as_bytes());
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// A refresh token: `{account}.{session}.{32 random bytes}`. The ids say which record to check;
/// only the record's SHA-256 of the whole token can make it valid.
fn new_refresh_token(host: &Host, account_id: &str, session_id: &str) -> String {
    let mut secret = [0u8; 32];
    host.random.fill(&mut secret);
    format!("{account_id}.{session_id}.{}", URL_SAFE_NO_PAD.encode(secret))
}

fn parse_refresh_token(token: &str) -> Option<(&str, &str)> {
    let mut parts = token.split('.');
    let (Some(account), Some(sid), Some(secret), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    (session::is_id(account) && session::is_id(sid) && secret.len() == 43).then_some((account, sid))
}

/// Starts a session for a signed-in account and issues its first tokens.
///
/// [`sessions::start`] writes the session's record, then in one transaction registers the
/// session and reads the account again: a change that ends the account's sessions (disabling, a
/// new role or password, deletion) may have committed between the password check and this
/// transaction, and then the sign-in is refused and leaves nothing behind; under the write lock
/// no such change can commit after the check.
pub fn start_session(
    host: &Host,
    settings: &AuthSettings,
    account: &Account,
    requested_scope: Option<&str>,
) -> ApiResult<Issued> {
    let scope = granted_scope(account.role, requested_scope)?;
    let key = keys::active(host, settings)?;
    let now_ms = host.clock.now_ms();
    let now = host.clock.now_secs();
    let session_id = host.new_id();
    let refresh_token = new_refresh_token(host, &account.id, &session_id);
    let registered = sessions::Registered {
        id: session_id.clone(),
        account_id: account.id.clone(),
        refresh_hash: digest::fingerprint(refresh_token.as_bytes()),
        spent: Vec::new(),
        requested_scope: requested_scope.map(str::trim).filter(|s| !s.is_empty()).map(str::to_string),
        created_at_ms: now_ms,
        last_used_at_ms: now_ms,
        expires_at: now + settings.refresh_ttl_secs,
    };
    let exp = (now + settings.access_ttl_secs).min(registered.expires_at);
    let grant = Grant { account, session_id: &session_id, scope: &scope, now, exp };
    let access_token = mint_access(host, settings, &key, &grant);
    let mut record = Session {
        id: session_id.clone(),
        account_id: account.id.clone(),
        expires_at: registered.expires_at,
        access: Vec::new(),
    };
    record.vouch(&access_token, exp, now);
    sessions::start(host, &registered, &record, now, || {
        match crate::accounts::find_by_id(host.sql, &account.id)? {
            Some(current) if current.same_credentials(account) => Ok(()),
            _ => Err(invalid_grant("the account changed while signing in; sign in again")),
        }
    })?;
    Ok(Issued { access_token, expires_in: exp - now, refresh_token, scope, session_id })
}

/// The refresh-token grant: rotates the refresh token and issues a new access token with the
/// account's current role. A spent refresh token revokes the whole session (RFC 6819 §5.2.2.3),
/// and so does a presentation that loses the race against another presentation of the same
/// token: the rotation is one compare-and-swap in SQLite ([`sessions::rotate_and_publish`]), so of any
/// number of concurrent presentations exactly one is answered, and when a replay races the real
/// client the session ends for both.
///
/// `requested`, the request's `scope` (RFC 6749 §6), may narrow this access token within what
/// the session holds; a scope beyond it is `invalid_scope`, checked before the refresh token is
/// spent, so the client can retry without it.
pub fn refresh(
    host: &Host,
    settings: &AuthSettings,
    presented: &str,
    requested: Option<&str>,
) -> ApiResult<Issued> {
    const REFUSED: &str = "the refresh token is not valid";
    let (account_id, session_id) = parse_refresh_token(presented).ok_or_else(|| invalid_grant(REFUSED))?;
    // The key first: a configuration error must not spend the client's refresh token.
    let key = keys::active(host, settings)?;
    let now = host.clock.now_secs();
    let Some(registered) = sessions::find(host.sql, account_id, session_id)? else {
        return Err(invalid_grant(REFUSED));
    };
    if !registered.is_live(now) {
        sessions::revoke(host, account_id, session_id)?;
        return Err(invalid_grant("the refresh token has expired"));
    }
    match registered.refresh_status(&digest::fingerprint(presented.as_bytes())) {
        RefreshStatus::Current => {}
        RefreshStatus::Spent => return Err(reused(host, account_id, session_id, "spent")),
        RefreshStatus::Unknown => return Err(invalid_grant(REFUSED)),
    }
    let account = match crate::accounts::find_by_id(host.sql, account_id)? {
        Some(a) if !a.disabled => a,
        _ => {
            sessions::revoke(host, account_id, session_id)?;
            return Err(invalid_grant(REFUSED));
        }
    };
    let scope = session_scope(&account, &registered)?;
    let scope = narrowed(&scope, requested, "was not granted to this session")?;
    let refresh_token = new_refresh_token(host, account_id, session_id);
    let expires_at = now + settings.refresh_ttl_secs;
    let new_hash = digest::fingerprint(refresh_token.as_bytes());
    let exp = (now + settings.access_ttl_secs).min(expires_at);
    let grant = Grant { account: &account, session_id, scope: &scope, now, exp };
    let access_token = mint_access(host, settings, &key, &grant);
    // The rotation and the record that vouches for the new access token: one transaction, so
    // a failure of either store leaves the presented refresh token current (the client may
    // retry it) instead of spent with nothing handed out.
    let rotated = sessions::rotate_and_publish(
        host,
        &registered,
        &new_hash,
        host.clock.now_ms(),
        expires_at,
        |stored| {
            let mut record = stored.unwrap_or_else(|| Session {
                id: session_id.to_string(),
                account_id: account_id.to_string(),
                expires_at,
                access: Vec::new(),
            });
            record.expires_at = expires_at;
            record.vouch(&access_token, exp, now);
            record
        },
    )?;
    if !rotated {
        if sessions::find(host.sql, account_id, session_id)?.is_none() {
            return Err(invalid_grant(REFUSED)); // ended meanwhile (signed out, say)
        }
        // Between our read and our swap another presentation of this very token rotated it:
        // one of the two is a replay.
        return Err(reused(host, account_id, session_id, "raced"));
    }
    Ok(Issued {
        access_token,
        expires_in: exp - now,
        refresh_token,
        scope,
        session_id: session_id.to_string(),
    })
}

/// What a session's tokens may do now: the role may have changed since sign-in, so what it
/// allows now, within what the sign-in asked for.
fn session_scope(account: &Account, registered: &sessions::Registered) -> ApiResult<String> {
    let scope = granted_scope(account.role, None)?;
    Ok(match &registered.requested_scope {
        Some(requested) => {
            let wanted: Vec<&str> = requested.split_whitespace().collect();
            scope.split(' ').filter(|s| wanted.contains(s)).collect::<Vec<_>>().join(" ")
        }
        None => scope,
    })
}

/// A refresh token that would be honoured now, for introspection (RFC 7662 §2.1 names refresh
/// tokens beside access tokens).
pub struct LiveRefresh {
    pub account: Account,
    pub session: sessions::Registered,
    pub scope: String,
}

/// The session and account of `presented` when it is a refresh token that a refresh would
/// honour now: its session live, it the session's current token (compared in constant time), its
/// account there and enabled. `None` for anything else: a spent token too, without the reuse
/// detection's revocation, since looking is not using. `Err` only when a store fails.
pub fn live_refresh(host: &Host, presented: &str) -> ApiResult<Option<LiveRefresh>> {
    let Some((account_id, session_id)) = parse_refresh_token(presented) else { return Ok(None) };
    let Some(session) = sessions::find(host.sql, account_id, session_id)? else { return Ok(None) };
    if !session.is_live(host.clock.now_secs())
        || session.refresh_status(&digest::fingerprint(presented.as_bytes())) != RefreshStatus::Current
    {
        return Ok(None);
    }
    let Some(account) = crate::accounts::find_by_id(host.sql, account_id)?.filter(|a| !a.disabled) else {
        return Ok(None);
    };
    let scope = session_scope(&account, &session)?;
    Ok(Some(LiveRefresh { account, session, scope }))
}

/// Whether `token` has the shape of this service's refresh tokens (not of a JWT).
pub fn is_refresh_token(token: &str) -> bool {
    parse_refresh_token(token).is_some()
}

/// What a revocation ended (RFC 7009): the session of the token presented, as account and
/// session ids, or `None` when the token is no token of a live session (unknown, malformed,
/// expired, already revoked), which the endpoint answers the same way.
///
/// A refresh token, current or spent, ends its session: a spent one may be a leaked copy, and
/// its holder asks for the session's end. An access token ends its session too (the app's access
/// tokens live and die with their session: RFC 7009 §2.1 lets a server revoke the grant of an
/// access token), but only a good one: a token that would be refused at the routes revokes
/// nothing. Its type is told by its shape, whatever `token_type_hint` says (§2.1: the server
/// searches on).
pub fn revoke(host: &Host, presented: &str) -> ApiResult<Option<(String, String)>> {
    if let Some((account_id, session_id)) = parse_refresh_token(presented) {
        let Some(registered) = sessions::find(host.sql, account_id, session_id)? else { return Ok(None) };
        return match registered.refresh_status(&digest::fingerprint(presented.as_bytes())) {
            RefreshStatus::Current | RefreshStatus::Spent => {
                sessions::revoke(host, account_id, session_id)?;
                Ok(Some((account_id.to_string(), session_id.to_string())))
            }
            RefreshStatus::Unknown => Ok(None),
        };
    }
    match folio_tokens::verify_access_token(host, presented) {
        Ok(verified) => {
            sessions::revoke(host, &verified.claims.sub, &verified.claims.sid)?;
            Ok(Some((verified.claims.sub, verified.claims.sid)))
        }
        // The stores or the configuration failing is not "no such token": the client must retry.
        Err(e @ (folio_tokens::TokenError::Store(_) | folio_tokens::TokenError::Config(_))) => Err(e.into()),
        Err(_) => Ok(None),
    }
}

/// Ends a session whose refresh token was presented again, and says so.
fn reused(host: &Host, account_id: &str, session_id: &str, how: &str) -> ApiError {
    if let Err(e) = sessions::revoke(host, account_id, session_id) {
        return e;
    }
    folio_core::log::emit(json!({"level": "warn", "event": "refresh_token_reused", "how": how,
        "account": account_id, "session": session_id}));
    invalid_grant("the refresh token was already used; the session has been revoked")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_the_roles_or_a_subset() {
        assert_eq!(granted_scope(Role::Reader, None).unwrap(), "read:books read:reports");
        assert_eq!(granted_scope(Role::Editor, Some("  ")).unwrap(), Role::Editor.scopes().join(" "));
        assert_eq!(
            granted_scope(Role::Admin, Some("admin:users read:books")).unwrap(),
            "read:books admin:users"
        );
        match granted_scope(Role::Reader, Some("read:books create:books")) {
            Err(ApiError::OAuth { error: "invalid_scope", description, .. }) => {
                assert_eq!(description, "the scope create:books is not available to this account")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_scope_list_is_separated_by_spaces_and_never_echoed_when_made_up() {
        assert_eq!(
            granted_scope(Role::Editor, Some(" read:books  read:reports ")).unwrap(),
            "read:books read:reports"
        );
        for odd in
            ["read:books\tread:reports", "read:books\nread:reports", "read:books\u{a0}read:reports", "\t"]
        {
            match granted_scope(Role::Admin, Some(odd)) {
                Err(ApiError::OAuth { error: "invalid_scope", description, .. }) => {
                    assert!(description.contains("separated by spaces"), "{odd:?}: {description}")
                }
                other => panic!("{odd:?}: {other:?}"),
            }
        }
        let made_up = "x".repeat(5000) + "<script>";
        for requested in [made_up.as_str(), "é\"\\<script>", "\0"] {
            match granted_scope(Role::Admin, Some(requested)) {
                Err(ApiError::OAuth { error: "invalid_scope", description, .. }) => {
                    assert!(!description.contains("script") && !description.contains("xxx"), "{description}");
                    assert!(description
                        .bytes()
                        .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\'));
                    assert!(description.len() < 200, "{}", description.len());
                }
                other => panic!("{other:?}"),
            }
        }
        match granted_scope(Role::Admin, Some("read:books write:everything")) {
            Err(ApiError::OAuth { description, .. }) => assert!(!description.contains("write:everything")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn refresh_tokens_parse_only_in_their_shape() {
        let a = "a".repeat(26);
        let s = "b".repeat(26);
        let secret = "c".repeat(43);
        assert_eq!(parse_refresh_token(&format!("{a}.{s}.{secret}")), Some((a.as_str(), s.as_str())));
        assert!(parse_refresh_token(&format!("{a}.{s}")).is_none());
        assert!(parse_refresh_token(&format!("{a}.{s}.{secret}.x")).is_none());
        assert!(parse_refresh_token(&format!("{a}.{s}.short")).is_none());
        assert!(parse_refresh_token(&format!("A{}.{s}.{secret}", &a[1..])).is_none());
    }
}
