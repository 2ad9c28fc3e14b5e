//! Finds a member given twice in one JSON object, anywhere in a document.
//!
//! Why: RFC 8259 leaves an object with repeated names to the parser, and parsers differ (the
//! first wins in some, the last in serde_json's `Value`, an error in serde's derived structs).
//! A body that says two things about one field is refused with `422` naming it, on every route
//! alike, rather than silently read one way here and another way by whatever sits in front of
//! the app. Token claims follow the same rule (folio-tokens).

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// The path of the first member named twice in its object (`title`, `address.city`,
/// `items[2].id`), or `None` when there is none or when `bytes` is not one JSON document (the
/// caller's parse reports that).
pub fn first_repeated(bytes: &[u8]) -> Option<String> {
    let found = RefCell::new(None);
    let mut de = serde_json::Deserializer::from_slice(bytes);
    (Walk { path: String::new(), found: &found }).deserialize(&mut de).ok()?;
    de.end().ok()?;
    found.into_inner()
}

/// Visits every value of a document, noting the first object member whose name its object has
/// already used; it walks on, so that only a whole, well-formed document answers.
struct Walk<'a> {
    path: String,
    found: &'a RefCell<Option<String>>,
}

impl<'a> Walk<'a> {
    fn member(&self, name: &str) -> Walk<'a> {
        let path = if self.path.is_empty() { name.to_string() } else { format!("{}.{name}", self.path) };
        Walk { path, found: self.found }
    }

    fn element(&self, index: usize) -> Walk<'a> {
        Walk { path: format!("{}[{index}]", self.path), found: self.found }
    }
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0;
        while seq.next_element_seed(self.element(index))?.is_some() {
            index += 1;
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = BTreeSet::new();
        while let Some(name) = map.next_key::<String>()? {
            let member = self.member(&name);
            if !seen.insert(name) && self.found.borrow().is_none() {
                *self.found.borrow_mut() = Some(member.path.clone());
            }
            map.next_value_seed(member)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_first_member_given_twice_at_any_depth() {
        assert_eq!(first_repeated(br#"{"a":1,"b":2,"a":3}"#).as_deref(), Some("a"));
        assert_eq!(first_repeated(br#"{"a":{"x":1,"y":2,"x":1}}"#).as_deref(), Some("a.x"));
        assert_eq!(first_repeated(br#"{"list":[{"id":1},{"id":2,"id":3}]}"#).as_deref(), Some("list[1].id"));
        assert_eq!(first_repeated(br#"[{"k":1,"k":1}]"#).as_deref(), Some("[0].k"));
        // Names compare after unescaping: these are the same name.
        assert_eq!(first_repeated(br#"{"title":1,"t\u0069tle":2}"#).as_deref(), Some("title"));
    }

    #[test]
    fn distinct_members_and_non_json_are_not_reported() {
        for clean in [&br#"{"a":1,"b":{"a":2},"c":[{"a":3},{"a":4}]}"#[..], b"[]", b"3", b"\"s\"", b"null"] {
            assert_eq!(first_repeated(clean), None, "{}", String::from_utf8_lossy(clean));
        }
        for broken in [&b"{"[..], b"", b"{\"a\":1,\"a\"", b"{\"a\":1,\"a\":2} {}", b"\xff"] {
            assert_eq!(first_repeated(broken), None, "{}", String::from_utf8_lossy(broken));
        }
    }
}
