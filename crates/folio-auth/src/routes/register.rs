//! `POST /api/auth/register`.

use folio_core::{http_util, migrate, ApiError, ApiResult, FieldError, Host, Request, Response};
use http::StatusCode;
use serde::Deserialize;

use crate::{
    accounts::{self, NewAccount},
    password,
    role::Role,
    settings::SignupPolicy,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterBody {
    email: String,
    password: String,
    #[serde(default)]
    name: Option<String>,
}

pub const MAX_NAME_CHARS: usize = 200;

pub fn register(host: &Host, req: &Request) -> ApiResult<Response> {
    let settings = SignupPolicy::from_host(host)?;
    let body: RegisterBody = http_util::json_body(req)?;
    let normalized = accounts::normalize_email(&body.email);
    // Closed means closed, for every address (API.md): e-mail addresses are not verified, so an
    // exception for `admin_emails` would hand the administrator role to whoever registers a
    // listed address first. An operator opens sign-up, registers the admin, then closes it.
    if !settings.allow_signup {
        return Err(ApiError::Forbidden("sign-up is disabled on this server".into()));
    }
    let mut errors = Vec::new();
    // The address as typed and as it is keyed (NFKC can turn a full-width `＠` into a second `@`
    // or one character into several): both must be an address.
    if let Err(m) = accounts::check_email(&body.email).and_then(|()| accounts::check_email(&normalized)) {
        errors.push(FieldError::new("email", m));
    }
    if let Err(m) = password::check_policy(&body.password) {
        errors.push(FieldError::new("password", m));
    } else if body.password.trim().to_lowercase() == body.email.trim().to_lowercase() {
        // The one thing everyone who sees the address can guess.
        errors.push(FieldError::new("password", "must not be the e-mail address"));
    }
    // A name of zero-width characters is no name: dropped like an empty one.
    let name = body.name.as_deref().map(str::trim).filter(|n| folio_core::text::has_visible(n));
    if name.is_some_and(|n| {
        n.chars().count() > MAX_NAME_CHARS || n.chars().any(folio_core::text::is_hidden_control)
    }) {
        errors
            .push(FieldError::new("name", format!("must be at most {MAX_NAME_CHARS} characters, none of them a control character (bidirectional controls included)")));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    migrate::ensure(host.sql)?;
    // Cheap early answer for a taken address; the UNIQUE index still decides under races.
    if accounts::find_by_email(host.sql, &body.email)?.is_some() {
        return Err(ApiError::Conflict("an account with this e-mail address already exists".into()));
    }
    let password_hash = password::hash(host.random, &body.password)?;
    let new =
        NewAccount { id: host.new_id(), email: &body.email, name, password_hash, now: host.now_rfc3339() };
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
    Ok(super::no_store(http_util::json(StatusCode::CREATED, &account.to_json())))
}
