//! The caller's own account: `GET`, `PATCH` and `DELETE /api/auth/me`, and
//! `POST /api/auth/password`.
//!
//! Changing the password and leaving ask for the current password again, so a stolen access
//! token alone cannot take the account over or delete it. A wrong one is `401` (a problem type
//! of its own: the token was fine) and counts toward the sign-in throttle of the account's
//! address, like a failed sign-in; while that address is locked out these answer `429` too.

use folio_core::{
    fields::Fields,
    http_util::{self, merge_patch, MERGE_PATCH_JSON},
    sql, ApiError, ApiResult, FieldError, Host, Request, Response,
};
use folio_tokens::Verified;
use http::StatusCode;
use serde_json::{json, Map, Value};

use super::{account_owner, caller, no_store};
use crate::{
    accounts::{self, Account},
    hashing_slots, limiter, password,
    profile::{self, Profile},
    routes::register::MAX_NAME_CHARS,
    sessions,
};

/// The caller's account as stored now; a disabled or deleted one is `401`, as its tokens are.
fn own_account(host: &Host, verified: &Verified) -> ApiResult<Account> {
    accounts::find_by_id(host.sql, &verified.claims.sub)?
        .filter(|a| !a.disabled)
        .ok_or_else(|| ApiError::unauthorized("the access token's account no longer exists"))
}

pub fn get(host: &Host, req: &Request) -> ApiResult<Response> {
    let verified = caller(host, req)?;
    folio_core::pairing::ensure_schema_for_token(host)?;
    let account = own_account(host, &verified)?;
    Ok(no_store(http_util::json(
        StatusCode::OK,
        &json!({"account": account.to_json_with_profile(), "claims": verified.claims_json()}),
    )))
}

/// Members of the account that exist but are not the owner's to change here.
const READ_ONLY: [&str; 6] = ["id", "email", "role", "disabled", "created_at", "updated_at"];

/// `PATCH /api/auth/me`: an RFC 7396 merge patch of `name` and `profile`. The patch is applied
/// to the stored document and the result validated whole, every problem in one `422`.
pub fn patch(host: &Host, req: &Request) -> ApiResult<Response> {
    let verified = account_owner(host, req)?;
    let patch: Value = http_util::json_body_of(req, &[MERGE_PATCH_JSON], MERGE_PATCH_JSON)?;
    folio_core::pairing::ensure_schema_for_token(host)?;
    // Read, merge and write under the write lock, so two patches never lose each other's fields.
    let account = sql::transaction(host.sql, || {
        let current = own_account(host, &verified)?;
        http_util::check_untagged(req)?;
        let mut document = Map::new();
        if let Some(name) = &current.name {
            document.insert("name".into(), json!(name));
        }
        if !current.profile.is_empty() {
            document.insert("profile".into(), current.profile.stored_json());
        }
        let mut document = Value::Object(document);
        merge_patch(&mut document, &patch);
        let (name, profile) = read_document(&document)?;
        if name == current.name && profile == current.profile {
            return Ok(current);
        }
        accounts::update_profile(host.sql, &current, name, profile, &host.now_rfc3339())
    })?;
    Ok(no_store(http_util::json(StatusCode::OK, &account.to_json_with_profile())))
}

/// The name and profile a merged document holds, or every problem with it.
fn read_document(document: &Value) -> ApiResult<(Option<String>, Profile)> {
    let object = document.as_object().ok_or_else(|| ApiError::validation("body", "must be a JSON object"))?;
    let mut errors: Vec<FieldError> = object
        .keys()
        .filter(|k| !["name", "profile"].contains(&k.as_str()))
        .map(|k| {
            let why =
                if READ_ONLY.contains(&k.as_str()) { "cannot be changed here" } else { "unknown field" };
            FieldError::new(k.clone(), why)
        })
        .collect();
    let name = match object.get("name") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => {
            profile::one_line(s, MAX_NAME_CHARS).map_err(|m| errors.push(FieldError::new("name", m))).ok()
        }
        Some(_) => {
            errors.push(FieldError::new("name", "must be a string"));
            None
        }
    };
    let profile = Profile::from_json(object.get("profile"), "profile").unwrap_or_else(|e| {
        errors.extend(e);
        Profile::default()
    });
    if errors.is_empty() {
        Ok((name, profile))
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// `POST /api/auth/password`: a new password for the caller's own account. Every other session
/// of the account ends at once; the caller's own stays signed in.
pub fn change_password(host: &Host, req: &Request) -> ApiResult<Response> {
    let verified = account_owner(host, req)?;
    let raw: Value = http_util::json_body(req)?;
    let mut fields = Fields::of(&raw, &["current_password", "new_password"])?;
    let (current, new) = (fields.string("current_password"), fields.string("new_password"));
    // An empty current password is a missing one (a form's empty field), said at its field, not
    // a wrong one counted toward the sign-in throttle.
    if current == Some("") {
        fields.fail::<()>("current_password", "is required");
    }
    if let Some(new) = new {
        let weak = password::check_policy_for(new, &verified.claims.email);
        // "Must differ" only of a new password that is otherwise fine: an empty pair is not
        // told it repeats itself.
        let repeated = weak.is_ok() && current.is_some_and(|current| password::same_password(new, current));
        if let Err(m) = weak {
            fields.fail::<()>("new_password", m);
        }
        if repeated {
            fields.fail::<()>("new_password", "must differ from the current password");
        }
    }
    let (current, new) = fields.finish(|| (current.unwrap_or_default(), new.unwrap_or_default()))?;
    folio_core::pairing::ensure_schema_for_token(host)?;
    let account = own_account(host, &verified)?;
    http_util::check_untagged(req)?;
    confirm_password(host, &account, current)?;
    let hash = hashing_slots::with_slot(host, || password::hash(host.random, new))??;
    // The new password and the end of every other session: one transaction, so a `503` has
    // done neither (the client may retry with the same current password).
    let ended = sql::transaction(host.sql, || {
        if !accounts::set_password(
            host.sql,
            &account.id,
            &hash,
            Some(&account.password_hash),
            &host.now_rfc3339(),
        )? {
            return Err(ApiError::Conflict("the password was changed meanwhile; sign in again".into()));
        }
        sessions::end_all(host, &account.id, Some(&verified.claims.sid))
    })?;
    folio_core::log::emit(json!({"level": "info", "event": "password_changed", "account": account.id,
        "session": verified.claims.sid, "sessions_ended": ended}));
    Ok(no_store(http_util::no_content()))
}

/// `DELETE /api/auth/me`: deletes the caller's account and ends all its sessions. Its e-mail
/// address may register again; the books it created stay in the catalogue; the last enabled
/// admin cannot leave (`409`).
pub fn delete(host: &Host, req: &Request) -> ApiResult<Response> {
    let verified = account_owner(host, req)?;
    let raw: Value = http_util::json_body(req)?;
    let mut fields = Fields::of(&raw, &["password"])?;
    let given = fields.string("password");
    // Empty is missing (as for a password change), not a wrong password for the throttle.
    if given == Some("") {
        fields.fail::<()>("password", "is required");
    }
    let given = fields.finish(|| given.unwrap_or_default())?;
    folio_core::pairing::ensure_schema_for_token(host)?;
    let account = own_account(host, &verified)?;
    http_util::check_untagged(req)?;
    confirm_password(host, &account, given)?;
    // The account and its sessions' registry go in one transaction, so a `503` has deleted
    // nothing (the tokens of a deleted account must not live on).
    let ended = sql::transaction(host.sql, || {
        accounts::delete(host.sql, &account.id)?;
        sessions::end_all(host, &account.id, None)
    })?;
    folio_core::log::emit(
        json!({"level": "info", "event": "account_deleted", "account": account.id, "sessions_ended": ended}),
    );
    Ok(no_store(http_util::no_content()))
}

/// Checks a password asked for again, under the sign-in throttle of the account's address.
fn confirm_password(host: &Host, account: &Account, given: &str) -> ApiResult<()> {
    let address = accounts::normalize_email(&account.email);
    let attempt = limiter::reserve(host, &address)?;
    if hashing_slots::with_slot(host, || password::verify(&account.password_hash, given))? {
        return attempt.succeeded();
    }
    attempt.failed()?;
    folio_core::log::emit(
        json!({"level": "info", "event": "password_confirmation_failed", "account": account.id}),
    );
    Err(ApiError::WrongPassword)
}
