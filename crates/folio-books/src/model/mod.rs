//! The book model: parse, don't validate.
//!
//! Every field is a type that can only hold a valid value ([`Isbn13`], [`Title`], ...), and a
//! [`NewBook`] can only be built by parsing all of them, collecting *every* field error at once
//! (`422` with one entry per field). Other crates (the generator) build books through
//! [`NewBook::parse`] from a typed [`BookDraft`], and the HTTP routes through
//! [`NewBook::from_json`]; both apply the same rules.

mod fields;
mod isbn;
mod language;

use folio_core::{ApiError, FieldError, Row};
use serde::Serialize;
use serde_json::Value;

pub use fields::{composed, Author, Description, Genre, Pages, PriceCents, PublishedYear, Title};
pub use isbn::{Isbn13, IsbnError};
pub use language::{Language, ISO_639_1};

/// The fields a client writes, in the order of the contract.
pub const EDITABLE_FIELDS: [&str; 9] =
    ["title", "author", "genre", "isbn", "published_year", "pages", "price_cents", "language", "description"];

/// The fields the server owns: sent back in every book, refused in request bodies.
pub const READ_ONLY_FIELDS: [&str; 5] = ["id", "created_at", "updated_at", "created_by", "version"];

/// A book's content, every field valid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewBook {
    pub title: Title,
    pub author: Author,
    pub genre: Genre,
    pub isbn: Isbn13,
    pub published_year: PublishedYear,
    pub pages: Pages,
    pub price_cents: PriceCents,
    pub language: Language,
    pub description: Description,
}

/// A book as plain values, before validation: what a generator or an importer fills in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BookDraft {
    pub title: String,
    pub author: String,
    pub genre: String,
    /// ISBN-13, hyphens and spaces allowed.
    pub isbn: String,
    pub published_year: i64,
    pub pages: i64,
    pub price_cents: i64,
    /// ISO 639-1, any case.
    pub language: String,
    pub description: String,
}

/// Collects field errors while parsing, so a client learns about every bad field at once.
#[derive(Default)]
struct Errors(Vec<FieldError>);

impl Errors {
    fn check<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        result.map_err(|message| self.0.push(FieldError::new(field, message))).ok()
    }
}

impl NewBook {
    /// Validates a typed draft. `max_year` is [`PublishedYear::max_at`] of the current time.
    pub fn parse(draft: &BookDraft, max_year: i32) -> Result<NewBook, Vec<FieldError>> {
        let mut errors = Errors::default();
        let title = errors.check("title", Title::parse(&draft.title));
        let author = errors.check("author", Author::parse(&draft.author));
        let genre = errors.check("genre", Genre::parse(&draft.genre));
        let isbn = errors.check("isbn", Isbn13::parse(&draft.isbn).map_err(|e| e.to_string()));
        let year = errors.check("published_year", PublishedYear::parse(draft.published_year, max_year));
        let pages = errors.check("pages", Pages::parse(draft.pages));
        let price = errors.check("price_cents", PriceCents::parse(draft.price_cents));
        let language = errors.check("language", Language::parse(&draft.language));
        let description = errors.check("description", Description::parse(&draft.description));
        match (title, author, genre, isbn, year, pages, price, language, description) {
            (
                Some(title),
                Some(author),
                Some(genre),
                Some(isbn),
                Some(published_year),
                Some(pages),
                Some(price_cents),
                Some(language),
                Some(description),
            ) if errors.0.is_empty() => Ok(NewBook {
                title,
                author,
                genre,
                isbn,
                published_year,
                pages,
                price_cents,
                language,
                description,
            }),
            _ => Err(errors.0),
        }
    }

    /// Validates a JSON request body (POST, PUT, or a merged PATCH): it must be an object with
    /// every editable field (`description` may be left out or `null`: it becomes empty), of the
    /// right JSON type, and no other member. Every problem is reported, as `422`.
    pub fn from_json(body: &Value, max_year: i32) -> Result<NewBook, ApiError> {
        let Some(object) = body.as_object() else {
            return Err(ApiError::validation("body", "must be a JSON object"));
        };
        let mut errors = Errors::default();
        for key in object.keys() {
            if READ_ONLY_FIELDS.contains(&key.as_str()) {
                errors.0.push(FieldError::new(key.clone(), "is read-only"));
            } else if !EDITABLE_FIELDS.contains(&key.as_str()) {
                errors.0.push(FieldError::new(key.clone(), "unknown field"));
            }
        }
        let text = |errors: &mut Errors, field: &str| -> Option<String> {
            match object.get(field) {
                Some(Value::String(s)) => Some(s.clone()),
                None | Some(Value::Null) if field == "description" => Some(String::new()),
                None | Some(Value::Null) => errors.check(field, Err("is required".to_string())),
                Some(_) => errors.check(field, Err("must be a string".to_string())),
            }
        };
        let integer = |errors: &mut Errors, field: &str| -> Option<i64> {
            match object.get(field) {
                Some(Value::Number(n)) => match n.as_i64() {
                    Some(v) => Some(v),
                    None => errors.check(field, Err("must be an integer".to_string())),
                },
                None | Some(Value::Null) => errors.check(field, Err("is required".to_string())),
                Some(_) => errors.check(field, Err("must be an integer".to_string())),
            }
        };
        let draft = (
            text(&mut errors, "title"),
            text(&mut errors, "author"),
            text(&mut errors, "genre"),
            text(&mut errors, "isbn"),
            integer(&mut errors, "published_year"),
            integer(&mut errors, "pages"),
            integer(&mut errors, "price_cents"),
            text(&mut errors, "language"),
            text(&mut errors, "description"),
        );
        // Rule errors of fields that had the right type are reported too, alongside type
        // errors: parse what we can with placeholders that are never used when anything failed.
        let typed = BookDraft {
            title: draft.0.clone().unwrap_or_else(|| "-".into()),
            author: draft.1.clone().unwrap_or_else(|| "-".into()),
            genre: draft.2.clone().unwrap_or_else(|| "-".into()),
            isbn: draft.3.clone().unwrap_or_else(|| "9780306406157".into()),
            published_year: draft.4.unwrap_or(PublishedYear::MIN as i64),
            pages: draft.5.unwrap_or(1),
            price_cents: draft.6.unwrap_or(0),
            language: draft.7.clone().unwrap_or_else(|| "en".into()),
            description: draft.8.clone().unwrap_or_default(),
        };
        match NewBook::parse(&typed, max_year) {
            Ok(book) if errors.0.is_empty() => Ok(book),
            Ok(_) => Err(ApiError::Validation(order_errors(errors.0))),
            Err(rule_errors) => {
                errors.0.extend(rule_errors);
                Err(ApiError::Validation(order_errors(errors.0)))
            }
        }
    }

    /// The editable fields as a JSON object: the target a merge patch applies to.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).expect("a book serializes")
    }
}

/// Lists field errors in the contract's field order, unknown fields last.
fn order_errors(mut errors: Vec<FieldError>) -> Vec<FieldError> {
    let rank =
        |f: &FieldError| EDITABLE_FIELDS.iter().position(|e| *e == f.field).unwrap_or(EDITABLE_FIELDS.len());
    errors.sort_by_key(rank);
    errors
}

/// A stored book, as the API returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Book {
    pub id: String,
    pub title: String,
    pub author: String,
    pub genre: String,
    pub isbn: String,
    pub published_year: i64,
    pub pages: i64,
    pub price_cents: i64,
    pub language: String,
    pub description: String,
    pub created_at: String,
    pub updated_at: String,
    pub created_by: String,
    pub version: i64,
}

impl Book {
    /// Reads a row selected with [`crate::store::COLUMNS`].
    pub fn from_row(row: &Row<'_>) -> Book {
        Book {
            id: row.string("id"),
            title: row.string("title"),
            author: row.string("author"),
            genre: row.string("genre"),
            isbn: row.string("isbn"),
            published_year: row.i64("published_year").unwrap_or_default(),
            pages: row.i64("pages").unwrap_or_default(),
            price_cents: row.i64("price_cents").unwrap_or_default(),
            language: row.string("language"),
            description: row.string("description"),
            created_at: row.string("created_at"),
            updated_at: row.string("updated_at"),
            created_by: row.string("created_by"),
            version: row.i64("version").unwrap_or_default(),
        }
    }

    /// Whether this book already holds `new`'s content: a write of it would change nothing, so
    /// none is made (the version, `updated_at`, the entity tag and the reports' tags stay).
    pub fn holds(&self, new: &NewBook) -> bool {
        new.to_json() == self.editable_json()
    }

    /// The editable fields as JSON, for applying a merge patch.
    pub fn editable_json(&self) -> Value {
        serde_json::json!({
            "title": self.title,
            "author": self.author,
            "genre": self.genre,
            "isbn": self.isbn,
            "published_year": self.published_year,
            "pages": self.pages,
            "price_cents": self.price_cents,
            "language": self.language,
            "description": self.description,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const MAX: i32 = 2027;

    fn valid() -> Value {
        json!({
            "title": "Dune", "author": "Frank Herbert", "genre": "Science fiction",
            "isbn": "978-0-306-40615-7", "published_year": 1965, "pages": 412,
            "price_cents": 1999, "language": "EN", "description": "Spice."
        })
    }

    fn fields(e: ApiError) -> Vec<String> {
        match e {
            ApiError::Validation(errors) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("expected validation, got {other:?}"),
        }
    }

    #[test]
    fn a_valid_body_parses_and_normalises() {
        let book = NewBook::from_json(&valid(), MAX).unwrap();
        assert_eq!(book.isbn.as_str(), "9780306406157");
        assert_eq!(book.language.as_str(), "en");
        let mut no_description = valid();
        no_description.as_object_mut().unwrap().remove("description");
        assert_eq!(NewBook::from_json(&no_description, MAX).unwrap().description.as_str(), "");
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let body = json!({
            "title": "", "author": 7, "genre": "g".repeat(51), "isbn": "123",
            "published_year": 1200, "pages": 0, "price_cents": -1, "language": "xx",
            "description": "d".repeat(10_001), "id": "mine", "colour": "red"
        });
        let got = fields(NewBook::from_json(&body, MAX).unwrap_err());
        for f in EDITABLE_FIELDS.iter().chain(["id", "colour"].iter()) {
            assert!(got.contains(&f.to_string()), "{f} missing from {got:?}");
        }
    }

    #[test]
    fn missing_wrong_typed_and_fractional_values_are_field_errors() {
        let got = fields(NewBook::from_json(&json!({}), MAX).unwrap_err());
        assert_eq!(got.len(), 8, "all but description are required: {got:?}");
        let mut body = valid();
        body["pages"] = json!(12.5);
        body["title"] = json!(["Dune"]);
        assert_eq!(fields(NewBook::from_json(&body, MAX).unwrap_err()), vec!["title", "pages"]);
        assert_eq!(fields(NewBook::from_json(&json!([1]), MAX).unwrap_err()), vec!["body"]);
    }

    #[test]
    fn drafts_validate_with_the_same_rules() {
        let draft = BookDraft {
            title: "T".into(),
            author: "A".into(),
            genre: "G".into(),
            isbn: "978-0-306-40615-7".into(),
            published_year: 2000,
            pages: 10,
            price_cents: 100,
            language: "fr".into(),
            description: String::new(),
        };
        assert_eq!(NewBook::parse(&draft, MAX).unwrap().isbn.as_str(), "9780306406157");
        let bad = BookDraft { pages: 0, language: "zz".into(), ..draft };
        let errors = NewBook::parse(&bad, MAX).unwrap_err();
        assert_eq!(errors.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(), vec!["pages", "language"]);
    }
}
