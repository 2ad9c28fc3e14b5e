//! A JSON body object read member by member, every problem noted: the contract's `422` names
//! every field that is wrong in one answer (API.md, "Conventions"), where serde's typed
//! deserialisation stops at the first. The routes with small bodies (sign-up, the token
//! service's forms of one or two members, an administrator's account patch, a generator run)
//! read them through [`Fields`]; the catalogue's book body and the profile have readers of their
//! own with the same messages.
//!
//! Messages are the ones [`crate::http_util::parse_json`] gives serde's errors ("is required",
//! "must be a string", "unknown field"), so a client sees the same words whichever reader ran.

use serde_json::{Map, Value};

use crate::{ApiError, ApiResult, FieldError};

/// The members of one body object, and every problem found with them so far.
#[derive(Debug)]
pub struct Fields<'a> {
    object: &'a Map<String, Value>,
    known: &'a [&'a str],
    errors: Vec<FieldError>,
    unknown: Vec<FieldError>,
}

impl<'a> Fields<'a> {
    /// The body's members; `422` at once when it is not an object. Members not in `known` are
    /// noted as unknown (reported after the known members' problems).
    pub fn of(body: &'a Value, known: &'a [&'a str]) -> ApiResult<Self> {
        let object = body.as_object().ok_or_else(|| ApiError::validation("body", "must be a JSON object"))?;
        let unknown = object
            .keys()
            .filter(|k| !known.contains(&k.as_str()))
            .map(|k| FieldError::new(k.clone(), "unknown field"))
            .collect();
        Ok(Self { object, known, errors: Vec::new(), unknown })
    }

    /// Notes a problem with `field`; `None`, so that a reader can end with it.
    pub fn fail<T>(&mut self, field: &str, message: impl Into<String>) -> Option<T> {
        self.errors.push(FieldError::new(field, message));
        None
    }

    /// The member as sent, `null` included; `None` when it is absent.
    pub fn present(&self, field: &str) -> Option<&'a Value> {
        self.object.get(field)
    }

    /// A string that must be there (`null` counts as missing).
    pub fn string(&mut self, field: &str) -> Option<&'a str> {
        match self.object.get(field) {
            Some(Value::String(s)) => Some(s),
            None | Some(Value::Null) => self.fail(field, "is required"),
            Some(_) => self.fail(field, "must be a string"),
        }
    }

    /// A string that may be left out or `null`: `None` then, and when it has another type
    /// (noted, so that [`Fields::finish`] refuses the body).
    pub fn optional_string(&mut self, field: &str) -> Option<&'a str> {
        match self.object.get(field) {
            Some(Value::String(s)) => Some(s),
            None | Some(Value::Null) => None,
            Some(_) => self.fail(field, "must be a string"),
        }
    }

    /// An integer that must be there, from `min` to `max`; a number with a fraction, or out of
    /// range, is noted with the range.
    pub fn integer(&mut self, field: &str, min: i64, max: i64) -> Option<i64> {
        match self.object.get(field) {
            None | Some(Value::Null) => self.fail(field, "is required"),
            Some(value) => self.in_range(field, value, min, max),
        }
    }

    /// An integer from `min` to `max` that may be left out or `null`: `None` then, and when it
    /// is not one (noted).
    pub fn optional_integer(&mut self, field: &str, min: i64, max: i64) -> Option<i64> {
        match self.object.get(field) {
            None | Some(Value::Null) => None,
            Some(value) => self.in_range(field, value, min, max),
        }
    }

    fn in_range(&mut self, field: &str, value: &Value, min: i64, max: i64) -> Option<i64> {
        match value.as_i64() {
            Some(n) if (min..=max).contains(&n) => Some(n),
            // Integers only as JSON integers: `5.0` and `5e0` are numbers of another kind.
            _ => self.fail(field, format!("must be an integer from {min} to {max}")),
        }
    }

    /// `Ok(value)` when nothing was noted; otherwise `422` naming every problem in the order
    /// of `known`, whatever order the checks ran in, and unknown members last.
    pub fn finish<T>(mut self, value: impl FnOnce() -> T) -> ApiResult<T> {
        let known = self.known;
        self.errors.sort_by_key(|e| known.iter().position(|k| *k == e.field));
        self.errors.append(&mut self.unknown);
        if self.errors.is_empty() {
            Ok(value())
        } else {
            Err(ApiError::Validation(self.errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn named(r: ApiResult<()>) -> Vec<(String, String)> {
        match r {
            Err(ApiError::Validation(errors)) => errors.into_iter().map(|e| (e.field, e.message)).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_problem_is_named_unknown_members_last() {
        let body = json!({"foo": 1, "email": 5, "count": 2.5, "seed": "x"});
        let mut fields = Fields::of(&body, &["email", "password", "count", "seed"]).unwrap();
        assert_eq!(fields.string("password"), None);
        assert_eq!(fields.string("email"), None);
        assert_eq!(fields.integer("count", 1, 10), None);
        assert_eq!(fields.optional_integer("seed", 0, 10), None);
        let got = named(fields.finish(|| ()));
        let expected = [
            ("email", "must be a string"),
            ("password", "is required"),
            ("count", "must be an integer from 1 to 10"),
            ("seed", "must be an integer from 0 to 10"),
            ("foo", "unknown field"),
        ];
        assert_eq!(got, expected.map(|(f, m)| (f.to_string(), m.to_string())));
    }

    #[test]
    fn good_members_are_read_and_optional_ones_may_be_absent_or_null() {
        let body = json!({"email": "a@b.c", "name": null, "count": 3});
        let mut fields = Fields::of(&body, &["email", "name", "count", "seed"]).unwrap();
        assert_eq!(fields.string("email"), Some("a@b.c"));
        assert_eq!(fields.optional_string("name"), None);
        assert_eq!(fields.integer("count", 1, 10), Some(3));
        assert_eq!(fields.optional_integer("seed", 0, 10), None);
        assert!(fields.present("name").is_some_and(Value::is_null));
        assert!(fields.finish(|| ()).is_ok());
    }

    #[test]
    fn a_body_that_is_not_an_object_is_refused_whole() {
        for body in [json!([1]), json!("x"), json!(null)] {
            assert_eq!(
                named(Fields::of(&body, &[]).map(drop)),
                [("body".into(), "must be a JSON object".into())]
            );
        }
    }
}
