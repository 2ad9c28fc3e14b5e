//! The profile a person keeps on their own account: title, first and last name, mobile number
//! and a structured postal address (`PATCH /api/auth/me`).
//!
//! Parse, don't validate: a [`Profile`] holds only values the API accepts. [`Profile::from_json`]
//! reads the merged document of a JSON merge patch and reports every problem at once, each under
//! its path (`profile.address.country`), as books do.

use folio_core::FieldError;
use serde_json::{Map, Value};

/// The longest title ("Dr", "Prof.", "Mx"): room for a few words, not a biography.
pub const MAX_TITLE_CHARS: usize = 50;
/// First and last names each.
pub const MAX_NAME_PART_CHARS: usize = 100;
pub const MAX_ADDRESS_LINES: usize = 4;
pub const MAX_LINE_CHARS: usize = 100;
pub const MAX_CITY_CHARS: usize = 100;
pub const MAX_POSTAL_CODE_CHARS: usize = 20;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    pub title: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// E.164: `+`, the country calling code and the number, digits only.
    pub mobile_number: Option<String>,
    pub address: Option<Address>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Address {
    /// Street, number, building, in the order they are written.
    pub lines: Vec<String>,
    pub city: Option<String>,
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2, upper case.
    pub country: Option<String>,
}

impl Profile {
    pub fn is_empty(&self) -> bool {
        *self == Profile::default()
    }

    /// As stored (only what is set): the target a merge patch applies to.
    pub fn stored_json(&self) -> Value {
        let mut out = Map::new();
        let put = |map: &mut Map<String, Value>, key: &str, value: &Option<String>| {
            if let Some(v) = value {
                map.insert(key.into(), Value::String(v.clone()));
            }
        };
        put(&mut out, "title", &self.title);
        put(&mut out, "first_name", &self.first_name);
        put(&mut out, "last_name", &self.last_name);
        put(&mut out, "mobile_number", &self.mobile_number);
        if let Some(a) = &self.address {
            let mut address = Map::new();
            if !a.lines.is_empty() {
                address.insert("lines".into(), a.lines.clone().into());
            }
            put(&mut address, "city", &a.city);
            put(&mut address, "postal_code", &a.postal_code);
            put(&mut address, "country", &a.country);
            out.insert("address".into(), Value::Object(address));
        }
        Value::Object(out)
    }

    /// As the API shows it: every member present, `null` when unset.
    pub fn public_json(&self) -> Value {
        let address = self.address.as_ref().map(|a| {
            serde_json::json!({"lines": a.lines, "city": a.city, "postal_code": a.postal_code, "country": a.country})
        });
        serde_json::json!({
            "title": self.title,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "mobile_number": self.mobile_number,
            "address": address,
        })
    }

    /// Reads a stored profile (written only after validation, so it reads back as it was); a
    /// column that does not parse reads as empty, and is logged.
    pub fn from_stored(text: Option<&str>) -> Profile {
        let Some(text) = text else { return Profile::default() };
        let stored = serde_json::from_str::<Value>(text).ok();
        Profile::from_json(stored.as_ref(), "profile").unwrap_or_else(|_| {
            folio_core::log::warn("profile_unreadable", &"a stored profile does not parse");
            Profile::default()
        })
    }

    /// The profile a merged document (`null` or absent: empty) describes, or every problem
    /// with it, each named by its path under `path`.
    pub fn from_json(value: Option<&Value>, path: &str) -> Result<Profile, Vec<FieldError>> {
        let mut errors = Vec::new();
        let Some(object) = object_at(value, path, &mut errors) else {
            return if errors.is_empty() { Ok(Profile::default()) } else { Err(errors) };
        };
        unknown_members(
            object,
            &["title", "first_name", "last_name", "mobile_number", "address"],
            path,
            &mut errors,
        );
        let at = |name: &str| format!("{path}.{name}");
        let profile = Profile {
            title: text(object.get("title"), &at("title"), MAX_TITLE_CHARS, &mut errors),
            first_name: text(object.get("first_name"), &at("first_name"), MAX_NAME_PART_CHARS, &mut errors),
            last_name: text(object.get("last_name"), &at("last_name"), MAX_NAME_PART_CHARS, &mut errors),
            mobile_number: check(object.get("mobile_number"), &at("mobile_number"), e164, &mut errors),
            address: Address::from_json(object.get("address"), &at("address"), &mut errors),
        };
        if errors.is_empty() {
            Ok(profile)
        } else {
            Err(errors)
        }
    }
}

impl Address {
    fn from_json(value: Option<&Value>, path: &str, errors: &mut Vec<FieldError>) -> Option<Address> {
        let object = object_at(value, path, errors)?;
        unknown_members(object, &["lines", "city", "postal_code", "country"], path, errors);
        let at = |name: &str| format!("{path}.{name}");
        let address = Address {
            lines: lines(object.get("lines"), &at("lines"), errors),
            city: text(object.get("city"), &at("city"), MAX_CITY_CHARS, errors),
            postal_code: check(object.get("postal_code"), &at("postal_code"), postal_code, errors),
            country: check(object.get("country"), &at("country"), country, errors),
        };
        (address != Address::default()).then_some(address)
    }
}

/// The object at `path`, `None` when absent or `null` (nothing set) or not an object (an error).
fn object_at<'a>(
    value: Option<&'a Value>,
    path: &str,
    errors: &mut Vec<FieldError>,
) -> Option<&'a Map<String, Value>> {
    match value {
        None | Some(Value::Null) => None,
        Some(Value::Object(object)) => Some(object),
        Some(_) => {
            errors.push(FieldError::new(path, "must be an object"));
            None
        }
    }
}

fn unknown_members(object: &Map<String, Value>, known: &[&str], path: &str, errors: &mut Vec<FieldError>) {
    for key in object.keys().filter(|k| !known.contains(&k.as_str())) {
        errors.push(FieldError::new(format!("{path}.{key}"), "unknown field"));
    }
}

/// A string member through `rule`; `null` or absent is unset.
fn check(
    value: Option<&Value>,
    path: &str,
    rule: impl Fn(&str) -> Result<String, String>,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    match value {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => rule(s).map_err(|m| errors.push(FieldError::new(path, m))).ok(),
        Some(_) => {
            errors.push(FieldError::new(path, "must be a string"));
            None
        }
    }
}

/// A one-line text of 1 to `max` characters, trimmed, without control characters.
fn text(value: Option<&Value>, path: &str, max: usize, errors: &mut Vec<FieldError>) -> Option<String> {
    check(value, path, |s| one_line(s, max), errors)
}

/// Trimmed of what shows nothing at its edges ([`folio_core::text::trim_blank_edges`]), 1 to
/// `max` characters, none of them a control character, and at least one that shows: a name of
/// zero-width characters is as empty as one of spaces.
pub fn one_line(raw: &str, max: usize) -> Result<String, String> {
    let text = folio_core::text::trim_blank_edges(raw);
    let chars = text.chars().count();
    if chars == 0
        || chars > max
        || text.chars().any(folio_core::text::is_hidden_control)
        || !folio_core::text::has_visible(text)
    {
        return Err(format!("must be 1 to {max} visible characters on one line (null removes it)"));
    }
    Ok(text.to_string())
}

fn lines(value: Option<&Value>, path: &str, errors: &mut Vec<FieldError>) -> Vec<String> {
    let items = match value {
        None | Some(Value::Null) => return Vec::new(),
        Some(Value::Array(items)) if items.len() <= MAX_ADDRESS_LINES => items,
        Some(_) => {
            errors.push(FieldError::new(path, format!("must be a list of up to {MAX_ADDRESS_LINES} lines")));
            return Vec::new();
        }
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = format!("{path}[{i}]");
        match item.as_str().map(|s| one_line(s, MAX_LINE_CHARS)) {
            Some(Ok(line)) => out.push(line),
            Some(Err(m)) => errors.push(FieldError::new(at, m)),
            None => errors.push(FieldError::new(at, "must be a string")),
        }
    }
    out
}

/// A mobile number in E.164: `+`, then 7 to 15 digits, the first not `0`. Spaces, hyphens, dots
/// and parentheses between digits are accepted on input and dropped (`+1 (415) 555-2671`), but
/// not the national trunk prefix some write in parentheses (`+44 (0) 7700 ...`), whose `0` is
/// not part of the international number and would silently change it.
pub fn e164(raw: &str) -> Result<String, String> {
    const RULE: &str = "must be an international number in E.164 form, e.g. +447700900123";
    let raw = raw.trim();
    let rest = raw.strip_prefix('+').ok_or(RULE)?;
    let compact: String = rest.chars().filter(|c| *c != ' ').collect();
    if compact.contains("(0)") || rest.chars().any(|c| !(c.is_ascii_digit() || " -.()".contains(c))) {
        return Err(RULE.into());
    }
    let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
    if !(7..=15).contains(&digits.len()) || digits.starts_with('0') {
        return Err(RULE.into());
    }
    Ok(format!("+{digits}"))
}

/// A postal code: letters, digits, spaces and hyphens, 1 to 20 characters (`SW1A 1AA`,
/// `10115`, `1010-001`); kept as written, trimmed.
fn postal_code(raw: &str) -> Result<String, String> {
    let text = raw.trim();
    let ok = (1..=MAX_POSTAL_CODE_CHARS).contains(&text.chars().count())
        && text.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-');
    if ok {
        Ok(text.to_string())
    } else {
        Err(format!("must be 1 to {MAX_POSTAL_CODE_CHARS} letters, digits, spaces or hyphens"))
    }
}

/// An ISO 3166-1 alpha-2 code that is officially assigned, in either case; stored upper-case.
fn country(raw: &str) -> Result<String, String> {
    let code = raw.trim().to_ascii_uppercase();
    if crate::countries::is_assigned(&code) {
        Ok(code)
    } else {
        Err("must be an ISO 3166-1 alpha-2 country code, e.g. DE or GB".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(r: Result<Profile, Vec<FieldError>>) -> Vec<String> {
        r.unwrap_err().into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn reads_a_full_profile_and_normalises_it() {
        let p = Profile::from_json(
            Some(&json!({"title": " Dr ", "first_name": "Ada", "last_name": "Lovelace",
                "mobile_number": "+44 (0) 7700-900.123", "address": {"lines": ["12 St James's Square"],
                "city": "London", "postal_code": "SW1Y 4JH", "country": "gb"}})),
            "profile",
        );
        // "(0)" is a trunk prefix people write; E.164 has no place for it.
        assert_eq!(fields(p), ["profile.mobile_number"]);
        let p = Profile::from_json(
            Some(&json!({"title": " Dr ", "mobile_number": "+44 7700-900.123",
                "address": {"lines": ["12 St James's Square"], "postal_code": "SW1Y 4JH", "country": "gb"}})),
            "profile",
        )
        .unwrap();
        assert_eq!(p.title.as_deref(), Some("Dr"));
        assert_eq!(p.mobile_number.as_deref(), Some("+447700900123"));
        assert_eq!(p.address.as_ref().unwrap().country.as_deref(), Some("GB"));
        assert_eq!(Profile::from_json(Some(&p.stored_json()), "profile").unwrap(), p, "round trip");
        assert_eq!(Profile::from_json(None, "profile").unwrap(), Profile::default());
        assert_eq!(Profile::from_json(Some(&json!({"address": {}})), "profile").unwrap(), Profile::default());
    }

    #[test]
    fn names_every_problem_with_its_path() {
        let r = Profile::from_json(
            Some(&json!({"title": "", "first_name": 7, "last_name": "x".repeat(101), "nickname": "Al",
                "mobile_number": "0170 1234567", "address": {"lines": ["ok", 3, "bad\u{7}"], "city": "",
                "postal_code": "SW1A_1AA", "country": "XX", "planet": "Earth"}})),
            "profile",
        );
        let mut got = fields(r);
        got.sort();
        let mut want = vec![
            "profile.title",
            "profile.first_name",
            "profile.last_name",
            "profile.nickname",
            "profile.mobile_number",
            "profile.address.lines[1]",
            "profile.address.lines[2]",
            "profile.address.city",
            "profile.address.postal_code",
            "profile.address.country",
            "profile.address.planet",
        ];
        want.sort();
        assert_eq!(got, want);
        assert_eq!(fields(Profile::from_json(Some(&json!("Dr Who")), "profile")), ["profile"]);
        let five = json!({"address": {"lines": ["a", "b", "c", "d", "e"]}});
        assert_eq!(fields(Profile::from_json(Some(&five), "profile")), ["profile.address.lines"]);
    }

    #[test]
    fn e164_numbers() {
        for (raw, number) in [("+491701234567", "+491701234567"), (" +1 (415) 555-2671 ", "+14155552671")] {
            assert_eq!(e164(raw).as_deref(), Ok(number));
        }
        for bad in [
            "491701234567",
            "+0491701234567",
            "+12345",
            "+1234567890123456",
            "+49 170 ABC",
            "+",
            "++49170123",
        ] {
            assert!(e164(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn countries_are_assigned_codes() {
        assert_eq!(country("de").as_deref(), Ok("DE"));
        for bad in ["XX", "UK", "EU", "DEU", "D", ""] {
            assert!(country(bad).is_err(), "{bad}");
        }
    }
}
