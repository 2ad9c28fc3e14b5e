//! `POST /api/auth/register`.

use folio_core::{fields::Fields, http_util, migrate, pairing, ApiError, ApiResult, Host, Request, Response};
use http::StatusCode;

use crate::{
    accounts::{self, NewAccount},
    hashing_slots, password,
    role::Role,
    settings::SignupPolicy,
};

pub const MAX_NAME_CHARS: usize = 200;

pub fn register(host: &Host, req: &Request) -> ApiResult<Response> {
    let settings = SignupPolicy::from_host(host)?;
    // Closed means closed, for every address and every body (API.md): e-mail addresses are not
    // verified, so an exception for `admin_emails` would hand the administrator role to whoever
    // registers a listed address first, and a closed route has no body to judge. An operator
    // opens sign-up, registers the admin, then closes it.
    if !settings.allow_signup {
        return Err(ApiError::Forbidden("sign-up is disabled on this server".into()));
    }
    let raw: serde_json::Value = http_util::json_body(req)?;
    let mut fields = Fields::of(&raw, &["email", "password", "name"])?;
    let (email, password, name) =
        (fields.string("email"), fields.string("password"), fields.optional_string("name"));
    if let Some(email) = email {
        // The address as typed and as it is keyed (NFKC can turn a full-width `＠` into a second
        // `@` or one character into several): both must be an address.
        if let Err(m) = accounts::check_email(email)
            .and_then(|()| accounts::check_email(&accounts::normalize_email(email)))
        {
            fields.fail::<()>("email", m);
        }
    }
    if let Some(password) = password {
        if let Err(m) = password::check_policy_for(password, email.unwrap_or_default()) {
            fields.fail::<()>("password", m);
        }
    }
    // A name of zero-width characters is no name: dropped like an empty one.
    let name = name.map(folio_core::text::trim_blank_edges).filter(|n| folio_core::text::has_visible(n));
    if name.is_some_and(|n| {
        n.chars().count() > MAX_NAME_CHARS || n.chars().any(folio_core::text::is_hidden_control)
    }) {
        fields.fail::<()>("name", format!("must be at most {MAX_NAME_CHARS} characters, none of them a control character (bidirectional controls included)"));
    }
    let (email, password) = fields.finish(|| (email.unwrap_or_default(), password.unwrap_or_default()))?;
    let normalized = accounts::normalize_email(email);
    migrate::ensure(host.sql)?;
    pairing::require(host)?;
    accounts::rekey_addresses(host.sql)?;
    // Cheap early answer for a taken address; the UNIQUE index still decides under races.
    if accounts::find_by_email(host.sql, email)?.is_some() {
        return Err(ApiError::Conflict("an account with this e-mail address already exists".into()));
    }
    let password_hash = hashing_slots::with_slot(host, || password::hash(host.random, password))??;
    let new = NewAccount { id: host.new_id(), email, name, password_hash, now: host.now_rfc3339() };
    let account = accounts::create(host.sql, new, |others_exist| {
        if settings.is_admin_email(&normalized) || (settings.admin_emails.is_empty() && !others_exist) {
            Role::Admin
        } else {
            settings.signup_role
        }
    })?;
    folio_core::log::emit(
        serde_json::json!({"level": "info", "event": "account_registered", "account": account.id, "role": account.role.as_str()}),
    );
    // Where the account can be read (by an administrator: an account reads itself at /me).
    let created = http_util::json(StatusCode::CREATED, &account.to_json());
    let located =
        http_util::with_header(created, http::header::LOCATION, &super::users::location(&account.id));
    Ok(super::no_store(located))
}
