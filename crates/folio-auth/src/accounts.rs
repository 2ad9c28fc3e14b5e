//! Accounts in SQLite (`accounts`, migrations/0001_init.sql): lookups, creation with the
//! first-account rule, paging and admin updates.

use anyhow::anyhow;
use folio_core::{sql, ApiError, ApiResult, Row, Sql, Value};
use serde_json::json;

use crate::{profile::Profile, role::Role};

/// An account row. `password_hash` never leaves this crate in a body or a log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: String,
    pub email: String,
    pub name: Option<String>,
    pub password_hash: String,
    pub role: Role,
    pub disabled: bool,
    pub created_at: String,
    pub updated_at: String,
    pub profile: Profile,
}

impl Account {
    fn from_row(row: Row) -> ApiResult<Self> {
        Ok(Self {
            id: row.string("id"),
            email: row.string("email"),
            name: row.text("name").map(str::to_string),
            password_hash: row.string("password_hash"),
            role: Role::parse(&row.string("role"))
                .ok_or_else(|| ApiError::Internal(anyhow!("accounts row with an unknown role")))?,
            disabled: row.i64("disabled").unwrap_or(0) != 0,
            created_at: row.string("created_at"),
            updated_at: row.string("updated_at"),
            profile: Profile::from_stored(row.text("profile")),
        })
    }

    /// True when `other` is this account with the same standing: present, as enabled, with the
    /// same role and password. A session started for `other` is still right for this account.
    pub fn same_credentials(&self, other: &Account) -> bool {
        self.id == other.id
            && self.role == other.role
            && self.disabled == other.disabled
            && self.password_hash == other.password_hash
    }

    /// The owner's view (`/api/auth/me`): the public view and the profile, which holds a
    /// phone number and an address and so is shown to its owner only.
    pub fn to_json_with_profile(&self) -> serde_json::Value {
        let mut view = self.to_json();
        view["profile"] = self.profile.public_json();
        view
    }

    /// The public view: no secret fields.
    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "id": self.id,
            "email": self.email,
            "name": self.name,
            "role": self.role.as_str(),
            "disabled": self.disabled,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        })
    }
}

const COLUMNS: &str = "id, email, name, password_hash, role, disabled, created_at, updated_at, profile";

/// The form uniqueness is checked on: trimmed, NFKC-normalised and lower-cased (API.md:
/// case-insensitive). NFKC first, so that `jöhn` typed with a combining diaeresis and with a
/// precomposed `ö` are one address (not two accounts that look alike), and compatibility forms
/// (full-width letters, the Kelvin sign) are the letters they stand for; once more after
/// lower-casing, which can leave a string unnormalised.
pub fn normalize_email(email: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    // Lower-casing writes a word-final capital sigma as `ς` and an inner one as `σ`, so `ΣΑΣ`
    // and `σασ` would differ; case folding makes both `σ`.
    let folded = email.trim().nfkc().collect::<String>().to_lowercase().replace('ς', "σ");
    let folded: String = folded.nfkc().collect();
    match folded.rsplit_once('@') {
        Some((local, domain)) => format!("{local}@{}", ascii_domain(domain)),
        None => folded,
    }
}

/// The domain as DNS knows it: `bücher.example`, its Punycode `xn--bcher-kva.example` and
/// `bücher。example` (an ideographic full stop) are one domain, so one address. The input is
/// already NFKC and lower case, which is UTS 46's mapping for nearly every domain; each label
/// that is not ASCII is then Punycode-encoded (the app's `idna` has no Unicode back end: Cargo.toml).
fn ascii_domain(domain: &str) -> String {
    domain
        .split(LABEL_SEPARATORS)
        .map(|label| match label.is_ascii() {
            true => label.to_string(),
            false => {
                idna::punycode::encode_str(label).map_or_else(|| label.to_string(), |p| format!("xn--{p}"))
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// A mark that shows nothing of its own (a combining accent, a format character) left after an
/// ASCII character once the address is composed (NFKC): `e` and an acute accent compose to `é`,
/// but `q` and an acute, or a mark first of all, only make a look-alike of another address.
/// Marks after letters of other scripts (Devanagari vowel signs, say) spell words and stay.
fn stray_mark(email: &str) -> bool {
    use unicode_normalization::UnicodeNormalization;
    let composed: Vec<char> = email.nfkc().collect();
    let shows_nothing = |c: char| {
        folio_core::text::is_invisible(c) && !c.is_whitespace() && !matches!(c, '\u{200C}' | '\u{200D}')
    };
    composed.first().is_some_and(|c| shows_nothing(*c))
        || composed.windows(2).any(|w| w[0].is_ascii() && shows_nothing(w[1]))
}

/// The zero-width joiner and non-joiner spell words in some scripts (Indic, Persian), never
/// between two ASCII characters, nor at either end of a part: there they only make a
/// look-alike of another address.
fn misplaced_joiner(part: &str) -> bool {
    let chars: Vec<char> = part.chars().collect();
    chars.iter().enumerate().any(|(i, c)| {
        matches!(c, '\u{200C}' | '\u{200D}')
            && (i == 0 || i + 1 == chars.len() || chars[i - 1].is_ascii() || chars[i + 1].is_ascii())
    })
}

/// Characters that show nothing and change nothing in an address, so that one inserted makes a
/// second account that looks like the first: Unicode's default-ignorable code points (soft
/// hyphen, combining grapheme joiner, Khmer inherent vowels, Mongolian variation selectors and
/// vowel separator, zero-width space, word joiner, invisible operators, deprecated format
/// characters, variation selectors, the byte order mark, musical-symbol format controls, tag
/// characters), the Hangul fillers, the braille blank, interlinear annotation marks and the
/// object replacement character. The zero-width joiner and non-joiner stay: some scripts spell
/// words with them.
fn is_invisible_in_address(c: char) -> bool {
    matches!(
        c,
        '\u{AD}'
            | '\u{34F}'
            | '\u{115F}'..='\u{1160}'
            | '\u{17B4}'..='\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'
            | '\u{2060}'..='\u{206F}'
            | '\u{2800}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF0}'..='\u{FFFC}'
            | '\u{13430}'..='\u{1343F}'
            | '\u{16FE4}'
            | '\u{1D159}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E0FFF}'
    )
}

/// What separates a domain's labels: the full stop and the three that UTS 46 maps to it (the
/// ideographic, full-width and half-width ideographic full stops), as an IME may type them.
const LABEL_SEPARATORS: [char; 4] = ['.', '\u{3002}', '\u{FF0E}', '\u{FF61}'];

/// A pragmatic address check: one `@`, a local part and a dotted domain, no spaces or control
/// characters, within RFC 5321's lengths. Deliverability is not ours to prove.
pub fn check_email(email: &str) -> Result<(), &'static str> {
    let email = email.trim();
    if email.len() > 254 {
        return Err("must be at most 254 characters");
    }
    let Some((local, domain)) = email.split_once('@') else { return Err("must be an e-mail address") };
    // Said apart from the rest: the person cannot see what is wrong with what they typed or pasted.
    if email.chars().any(char::is_whitespace) {
        return Err("must be an e-mail address, without spaces");
    }
    if stray_mark(email)
        || email.chars().any(|c| folio_core::text::is_hidden_control(c) || is_invisible_in_address(c))
        || misplaced_joiner(local)
        || misplaced_joiner(domain)
    {
        return Err(
            "must be an e-mail address without invisible characters (such as a zero-width space) or \
             accents on no letter: it would look like another address",
        );
    }
    let bad_char = |c: char| "<>()[]\\,;:\"@".contains(c);
    let labels_ok = domain.split(LABEL_SEPARATORS).count() >= 2
        && domain.split(LABEL_SEPARATORS).all(|l| !l.is_empty() && !l.starts_with('-') && !l.ends_with('-'));
    if local.is_empty()
        || local.len() > 64
        || local.starts_with('.')
        || local.ends_with('.')
        || local.contains("..")
        || local.chars().any(bad_char)
        || domain.chars().any(|c| bad_char(c) || c == '_')
        || !labels_ok
    {
        return Err("must be an e-mail address");
    }
    Ok(())
}

/// The account of an address as a person typed it, by its key ([`normalize_email`]). Callers
/// run [`rekey_addresses`] first, so that every stored key follows the current rule.
pub fn find_by_email(sql: &dyn Sql, address: &str) -> ApiResult<Option<Account>> {
    let rows = sql.execute(
        &format!("SELECT {COLUMNS} FROM accounts WHERE email_normalized = ?"),
        &[Value::from(normalize_email(address))],
    )?;
    rows.first().map(Account::from_row).transpose()
}

/// The name under which [`rekey_addresses`] records that it ran (migrations/0015).
const REKEY_FIX: &str = "email-keys-nfkc-sigma-idna";

/// Recomputes every account's e-mail key by the current [`normalize_email`], once per database.
///
/// The rule changed twice (NFKC on 2026-12-06, the final sigma on 2026-12-07). A key stored by an
/// older rule left its account findable only under that key, and a newcomer could register the
/// same address spelled the current way (its key differed, so the `UNIQUE` index let it in) and
/// then receive the original's sign-ins, or its place in `admin_emails`. So every key is made
/// current, under the write lock. Where two accounts now share a key, the older keeps it and the
/// newer gets a key no address can have (it holds a space): its owner signs in again only once
/// an administrator has sorted it out, which beats handing either account to the other.
pub fn rekey_addresses(sql: &dyn Sql) -> ApiResult<()> {
    let done = |sql: &dyn Sql| -> ApiResult<bool> {
        Ok(!sql.execute("SELECT 1 FROM data_fixes WHERE name = ?", &[Value::from(REKEY_FIX)])?.is_empty())
    };
    if done(sql)? {
        return Ok(());
    }
    sql::transaction(sql, || {
        if done(sql)? {
            return Ok(());
        }
        let rows =
            sql.execute("SELECT id, email, email_normalized FROM accounts ORDER BY created_at, id", &[])?;
        let mut taken = std::collections::HashSet::new();
        let mut changes = Vec::new();
        for row in rows.iter() {
            let (id, email, stored) = (row.string("id"), row.string("email"), row.string("email_normalized"));
            let mut key = normalize_email(&email);
            if !taken.insert(key.clone()) {
                key = format!("{key} (a later account with the address of {id})");
            }
            if key != stored {
                changes.push((id, key));
            }
        }
        // Two passes, so that no intermediate state breaks the UNIQUE index.
        for (id, _) in &changes {
            sql.execute(
                "UPDATE accounts SET email_normalized = 'rekeying ' || id WHERE id = ?",
                &[Value::from(id.as_str())],
            )?;
        }
        for (id, key) in &changes {
            sql.execute(
                "UPDATE accounts SET email_normalized = ? WHERE id = ?",
                &[Value::from(key.as_str()), Value::from(id.as_str())],
            )?;
        }
        sql.execute(
            "INSERT INTO data_fixes (name, applied_at) VALUES (?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
            &[Value::from(REKEY_FIX)],
        )?;
        if !changes.is_empty() {
            folio_core::log::emit(serde_json::json!({"level": "info", "event": "email_keys_recomputed",
                "accounts": changes.len()}));
        }
        Ok::<_, ApiError>(())
    })
}

pub fn find_by_id(sql: &dyn Sql, id: &str) -> ApiResult<Option<Account>> {
    let rows = sql.execute(&format!("SELECT {COLUMNS} FROM accounts WHERE id = ?"), &[Value::from(id)])?;
    rows.first().map(Account::from_row).transpose()
}

/// What a new account needs besides its role.
pub struct NewAccount<'a> {
    pub id: String,
    pub email: &'a str,
    pub name: Option<&'a str>,
    pub password_hash: String,
    pub now: String,
}

/// Creates an account. `role_for` picks the role from whether any account exists yet; it runs
/// inside the same write transaction as the insert, so two concurrent first sign-ups cannot
/// both become the "first account". `409` when the e-mail is taken.
pub fn create(sql: &dyn Sql, new: NewAccount, role_for: impl FnOnce(bool) -> Role) -> ApiResult<Account> {
    let normalized = normalize_email(new.email);
    sql::transaction(sql, || {
        let any = sql.execute("SELECT EXISTS (SELECT 1 FROM accounts) AS any", &[])?;
        let exists = any.first().and_then(|r| r.i64("any")).unwrap_or(0) != 0;
        let role = role_for(exists);
        sql.execute(
            "INSERT INTO accounts (id, email, email_normalized, name, password_hash, role, disabled, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)",
            &[
                Value::from(&new.id),
                Value::from(new.email.trim()),
                Value::from(&normalized),
                Value::from(new.name),
                Value::from(&new.password_hash),
                Value::from(role.as_str()),
                Value::from(&new.now),
                Value::from(&new.now),
            ],
        )
        .map_err(|e| {
            if e.is_unique_violation() {
                ApiError::Conflict("an account with this e-mail address already exists".into())
            } else {
                e.into()
            }
        })?;
        Ok(Account {
            id: new.id.clone(),
            email: new.email.trim().to_string(),
            name: new.name.map(str::to_string),
            password_hash: new.password_hash.clone(),
            role,
            disabled: false,
            created_at: new.now.clone(),
            updated_at: new.now.clone(),
            profile: Profile::default(),
        })
    })
}

/// One page of accounts in creation order, after the `(created_at, id)` position `after`.
pub fn page(sql: &dyn Sql, after: Option<(&str, &str)>, limit: usize) -> ApiResult<Vec<Account>> {
    let fetch = Value::from(limit as i64);
    let rows = match after {
        Some((created_at, id)) => sql.execute(
            &format!(
                "SELECT {COLUMNS} FROM accounts WHERE (created_at, id) > (?, ?) ORDER BY created_at, id LIMIT ?"
            ),
            &[Value::from(created_at), Value::from(id), fetch],
        )?,
        None => sql.execute(&format!("SELECT {COLUMNS} FROM accounts ORDER BY created_at, id LIMIT ?"), &[fetch])?,
    };
    rows.iter().map(Account::from_row).collect()
}

/// Stores the owner's name and profile; the account as it is now.
pub fn update_profile(
    sql: &dyn Sql,
    account: &Account,
    name: Option<String>,
    profile: Profile,
    now: &str,
) -> ApiResult<Account> {
    let stored = (!profile.is_empty()).then(|| profile.stored_json().to_string());
    sql.execute(
        "UPDATE accounts SET name = ?, profile = ?, updated_at = ? WHERE id = ?",
        &[Value::from(name.as_deref()), Value::from(stored), Value::from(now), Value::from(&account.id)],
    )?;
    Ok(Account { name, profile, updated_at: now.to_string(), ..account.clone() })
}

/// Replaces the password hash, only over `expected` when given (the hash the caller checked the
/// current password against, so that of two concurrent changes the second fails instead of
/// silently winning). `false` when the account is gone or its hash changed meanwhile.
pub fn set_password(
    sql: &dyn Sql,
    id: &str,
    hash: &str,
    expected: Option<&str>,
    now: &str,
) -> ApiResult<bool> {
    let rows = sql.execute(
        "UPDATE accounts SET password_hash = ?, updated_at = ? WHERE id = ? AND (? IS NULL OR password_hash = ?)
         RETURNING id",
        &[Value::from(hash), Value::from(now), Value::from(id), Value::from(expected), Value::from(expected)],
    )?;
    Ok(rows.len() == 1)
}

/// Deletes an account, unless it is the last enabled admin (`409`: the app would have no one to
/// manage it). The books it created stay: they belong to the catalogue. Run it inside a write
/// transaction ([`sql::transaction`]), with whatever must commit with it (ending the sessions).
pub fn delete(sql: &dyn Sql, id: &str) -> ApiResult<()> {
    let account = find_by_id(sql, id)?.ok_or_else(|| ApiError::NotFound("no account with this id".into()))?;
    if account.role == Role::Admin && !account.disabled && enabled_admins(sql)? <= 1 {
        return Err(ApiError::Conflict(
            "this is the last enabled admin account: make another account admin before deleting it".into(),
        ));
    }
    sql.execute("DELETE FROM accounts WHERE id = ?", &[Value::from(id)])?;
    Ok(())
}

fn enabled_admins(sql: &dyn Sql) -> ApiResult<i64> {
    let n = sql.execute("SELECT COUNT(*) AS n FROM accounts WHERE role = 'admin' AND disabled = 0", &[])?;
    Ok(n.first().and_then(|r| r.i64("n")).unwrap_or(0))
}

/// Applies an admin's change. Refuses (`409`) a change that would leave no enabled admin, so
/// the app cannot lock its administrators out. Run it inside a write transaction
/// ([`sql::transaction`]): the count of admins and the change are one decision, and what the
/// change calls for (ending the sessions) commits with it.
pub fn update(
    sql: &dyn Sql,
    id: &str,
    role: Option<Role>,
    disabled: Option<bool>,
    now: &str,
) -> ApiResult<(Account, Account)> {
    let before = find_by_id(sql, id)?.ok_or_else(|| ApiError::NotFound("no account with this id".into()))?;
    let after_role = role.unwrap_or(before.role);
    let after_disabled = disabled.unwrap_or(before.disabled);
    let was_active_admin = before.role == Role::Admin && !before.disabled;
    let stays_active_admin = after_role == Role::Admin && !after_disabled;
    if was_active_admin && !stays_active_admin && enabled_admins(sql)? <= 1 {
        return Err(ApiError::Conflict(
            "this is the last enabled admin account; make another admin first".into(),
        ));
    }
    if after_role == before.role && after_disabled == before.disabled {
        return Ok((before.clone(), before));
    }
    sql.execute(
        "UPDATE accounts SET role = ?, disabled = ?, updated_at = ? WHERE id = ?",
        &[Value::from(after_role.as_str()), Value::from(after_disabled), Value::from(now), Value::from(id)],
    )?;
    let after =
        Account { role: after_role, disabled: after_disabled, updated_at: now.to_string(), ..before.clone() };
    Ok((before, after))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_rules() {
        for ok in ["a@example.com", "A.B+tag@Sub.Example.org", "  x@y.io  "] {
            assert!(check_email(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "a",
            "a@",
            "@b.com",
            "a@b",
            "a b@c.com",
            "a@b..com",
            "a@@b.com",
            ".a@b.com",
            "a@-b.com",
            "a@b_c.com",
        ] {
            assert!(check_email(bad).is_err(), "{bad}");
        }
        assert!(check_email(&format!("{}@example.com", "a".repeat(65))).is_err());
        assert_eq!(normalize_email("  Ann@Example.COM "), "ann@example.com");
        // One address however its characters are composed: precomposed, decomposed, the Kelvin
        // sign for K, full-width letters.
        assert_eq!(normalize_email("jöhn@exämple.com"), normalize_email("jo\u{308}hn@exa\u{308}mple.com"));
        assert_eq!(normalize_email("\u{212A}ate@example.com"), "kate@example.com");
        assert_eq!(normalize_email("ｋａｔｅ@example.com"), "kate@example.com");
        // Case-insensitive for Greek too: a final capital sigma lower-cases to ς.
        assert_eq!(normalize_email("ΣΑΣ@example.com"), normalize_email("σασ@example.com"));
        // Nothing invisible that would make a look-alike second account.
        for hidden in [
            '\u{200B}',
            '\u{2060}',
            '\u{FEFF}',
            '\u{AD}',
            '\u{E0041}',
            '\u{115F}',
            '\u{1160}',
            '\u{3164}',
            '\u{FFA0}',
            '\u{2800}',
            '\u{FE0F}',
            '\u{E0100}',
            '\u{180B}',
            '\u{17B4}',
            '\u{206A}',
            '\u{1D173}',
            '\u{FFFC}',
        ] {
            let said = check_email(&format!("ce{hidden}o@example.com")).unwrap_err();
            assert!(said.contains("invisible characters"), "{hidden:?}: {said}");
            assert!(check_email(&format!("ceo@example.com{hidden}")).is_err(), "{hidden:?}");
        }
        assert_eq!(check_email("ann lee@example.com"), Err("must be an e-mail address, without spaces"));
        assert_eq!(check_email("ann.example.com"), Err("must be an e-mail address"));
        assert!(check_email("रा\u{200D}जू@example.in").is_ok(), "joiners spell words in some scripts");
        for lookalike in [
            "bo\u{200D}ss@example.com",
            "boss@exam\u{200C}ple.com",
            "\u{200D}boss@example.com",
            "boq\u{301}@example.com",
            "\u{301}boss@example.com",
            "bo\u{13430}ss@example.com",
        ] {
            assert!(check_email(lookalike).is_err(), "{lookalike:?}");
        }
        // One domain however it is written: Unicode, punycode, another full stop.
        assert_eq!(normalize_email("boss@Bücher.example"), "boss@xn--bcher-kva.example");
        assert_eq!(normalize_email("boss@xn--bcher-kva.example"), "boss@xn--bcher-kva.example");
        assert_eq!(normalize_email("boss@bücher\u{3002}example"), "boss@xn--bcher-kva.example");
        for stop in ['\u{3002}', '\u{FF0E}', '\u{FF61}'] {
            let typed = format!("boss@example{stop}com");
            assert_eq!(check_email(&typed), Ok(()), "{typed}");
            assert_eq!(normalize_email(&typed), "boss@example.com", "{typed}");
        }
        assert_eq!(check_email("boss@example\u{3002}"), Err("must be an e-mail address"));
        assert_eq!(normalize_email("Ann@Example.COM"), "ann@example.com");
    }
}
