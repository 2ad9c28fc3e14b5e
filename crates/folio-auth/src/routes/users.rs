//! Admin user management: `GET /api/auth/users` (cursor-paged), `GET` and `PATCH
//! /api/auth/users/{id}`, `POST /api/auth/users/{id}/password`.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use folio_core::{
    fields::Fields, http_util, migrate, router::Params, sql, ApiError, ApiResult, Host, Request, Response,
};
use http::StatusCode;
use serde_json::json;

use crate::{accounts, hashing_slots, limiter, password, role::Role, sessions};

pub const DEFAULT_LIMIT: i64 = 20;
pub const MAX_LIMIT: i64 = 100;

fn encode_cursor(created_at: &str, id: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{created_at}\n{id}"))
}

/// A cursor names the last account of a page (creation time and id); any such position is a
/// place to continue from, so one an administrator makes up only moves their own listing. What
/// is not one is refused with `400`, as the book list refuses a cursor it did not make.
fn decode_cursor(cursor: &str) -> ApiResult<(String, String)> {
    let bad = || ApiError::BadRequest("the cursor is not valid; start again without one".into());
    let raw = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let text = String::from_utf8(raw).map_err(|_| bad())?;
    let (created_at, id) = text.split_once('\n').ok_or_else(bad)?;
    let timestamp = (20..=30).contains(&created_at.len())
        && created_at.ends_with('Z')
        && created_at.as_bytes()[10] == b'T'
        && created_at.bytes().all(|b| b.is_ascii_digit() || b"-:.TZ".contains(&b));
    if !timestamp || id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(bad());
    }
    Ok((created_at.to_string(), id.to_string()))
}

pub fn list(host: &Host, req: &Request) -> ApiResult<Response> {
    super::authorize_admin(host, req)?;
    let query = http_util::Query::from_request(req);
    query.only(&["limit", "cursor"])?;
    let limit = query.int("limit", 1, MAX_LIMIT)?.unwrap_or(DEFAULT_LIMIT) as usize;
    let after = query.filled("cursor")?.map(decode_cursor).transpose()?;
    migrate::ensure(host.sql)?;
    let mut page =
        accounts::page(host.sql, after.as_ref().map(|(c, i)| (c.as_str(), i.as_str())), limit + 1)?;
    let next_cursor = if page.len() > limit {
        page.truncate(limit);
        page.last().map(|a| encode_cursor(&a.created_at, &a.id))
    } else {
        None
    };
    let items: Vec<serde_json::Value> = page.iter().map(accounts::Account::to_json).collect();
    Ok(super::no_store(http_util::json(StatusCode::OK, &json!({"items": items, "next_cursor": next_cursor}))))
}

/// `GET /api/auth/users/{id}`: one account, where a sign-up's `Location` points.
pub fn get(host: &Host, req: &Request, params: &Params) -> ApiResult<Response> {
    super::authorize_admin(host, req)?;
    // Takes no parameter, so a query string is ignored (README: a cache-buster works here).
    migrate::ensure(host.sql)?;
    let account = accounts::find_by_id(host.sql, params.get("id").unwrap_or_default())?
        .ok_or_else(|| ApiError::NotFound("no account with this id".into()))?;
    Ok(super::no_store(http_util::json(StatusCode::OK, &account.to_json())))
}

/// The path of an account, for a `Location` header.
pub fn location(id: &str) -> String {
    http_util::location(&["api", "auth", "users", id])
}

pub fn patch(host: &Host, req: &Request, params: &Params) -> ApiResult<Response> {
    let admin = super::authorize_admin(host, req)?;
    let raw: serde_json::Value =
        http_util::json_body_of(req, &[http_util::JSON, http_util::MERGE_PATCH_JSON], http_util::JSON)?;
    // Absent: unchanged. `null` is not "unchanged" (a merge patch's null removes, and neither
    // member can be removed): refused like any other value that is not one.
    let mut fields = Fields::of(&raw, &["role", "disabled"])?;
    let role = fields.present("role").and_then(|r| {
        r.as_str().and_then(Role::parse).or_else(|| fields.fail("role", "must be reader, editor or admin"))
    });
    let disabled = fields
        .present("disabled")
        .and_then(|d| d.as_bool().or_else(|| fields.fail("disabled", "must be true or false")));
    let (role, disabled) = fields.finish(|| (role, disabled))?;
    let id = params.get("id").unwrap_or_default();
    migrate::ensure(host.sql)?;
    // A disabled account's tokens must stop working now, and a changed role must not keep the
    // old role's scopes in tokens already issued: the change and the end of the account's
    // sessions commit together, or neither does (a `503` here has changed nothing). A disabled
    // account's sessions are swept even when it was disabled already: cheap, and nothing of
    // such an account may live.
    let now = host.now_rfc3339();
    let (before, after, ended) = sql::transaction(host.sql, || {
        let conditional = req.headers().contains_key(http::header::IF_MATCH)
            || req.headers().contains_key(http::header::IF_NONE_MATCH);
        if conditional && accounts::find_by_id(host.sql, id)?.is_some() {
            http_util::check_untagged(req)?;
        }
        let (before, after) = accounts::update(host.sql, id, role, disabled, &now)?;
        let ended = if after.disabled || after.role != before.role {
            sessions::end_all(host, &after.id, None)?
        } else {
            0
        };
        Ok::<_, ApiError>((before, after, ended))
    })?;
    if after != before || ended > 0 {
        folio_core::log::emit(
            json!({"level": "info", "event": "account_changed", "account": after.id, "by": admin.subject,
                   "role": after.role.as_str(), "disabled": after.disabled, "sessions_ended": ended}),
        );
    }
    Ok(super::no_store(http_util::json(StatusCode::OK, &after.to_json())))
}

/// `POST /api/auth/users/{id}/password`: an administrator sets another account's password (the
/// person forgot theirs, or it leaked). Every session of that account ends, and its sign-in
/// throttle is lifted, so the new password works at once.
pub fn reset_password(host: &Host, req: &Request, params: &Params) -> ApiResult<Response> {
    let admin = super::authorize_admin(host, req)?;
    let id = params.get("id").unwrap_or_default();
    // Without the current password an access token alone could lock its owner out of their own
    // account (docs/auth.md, "Asking for the password again"). It does not stop a stolen token
    // from promoting another account that then resets this one (docs/auth.md, "What an
    // administrator's token can do, and cannot").
    if id == admin.subject {
        return Err(ApiError::Forbidden(
            "an administrator changes their own password with POST /api/auth/password, which asks for \
             the current one"
                .into(),
        ));
    }
    let raw: serde_json::Value = http_util::json_body(req)?;
    let mut fields = Fields::of(&raw, &["new_password"])?;
    let new = fields.string("new_password");
    if let Some(Err(m)) = new.map(password::check_policy) {
        fields.fail::<()>("new_password", m);
    }
    let new = fields.finish(|| new.unwrap_or_default())?;
    migrate::ensure(host.sql)?;
    let account = accounts::find_by_id(host.sql, id)?
        .ok_or_else(|| ApiError::NotFound("no account with this id".into()))?;
    if let Err(m) = password::check_policy_for(new, &account.email) {
        return Err(ApiError::Validation(vec![folio_core::FieldError::new("new_password", m)]));
    }
    http_util::check_untagged(req)?;
    let hash = hashing_slots::with_slot(host, || password::hash(host.random, new))??;
    // The new password, the end of the account's sessions and the lifting of its sign-in
    // throttle: one transaction, so a `503` has done none of them.
    let ended = sql::transaction(host.sql, || {
        if !accounts::set_password(host.sql, &account.id, &hash, None, &host.now_rfc3339())? {
            return Err(ApiError::NotFound("no account with this id".into()));
        }
        let ended = sessions::end_all(host, &account.id, None)?;
        limiter::clear(host.sql, &accounts::normalize_email(&account.email))?;
        Ok(ended)
    })?;
    folio_core::log::emit(json!({"level": "info", "event": "password_reset", "account": account.id,
        "by": admin.subject, "sessions_ended": ended}));
    Ok(super::no_store(http_util::no_content()))
}
