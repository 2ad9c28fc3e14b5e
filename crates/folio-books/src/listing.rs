//! `GET /api/books`: query parameters, the keyset SQL, and the FTS5 search expression.
//!
//! Keyset pagination orders by `(sort column, id)`; the id makes the order total, so "after the
//! last row" is exact and a page never repeats or skips a row, however many rows are inserted
//! meanwhile. Every value from the client is a bound parameter; the only SQL text chosen by the
//! request is a column name taken from a fixed enum.

use folio_core::{http_util::Query, ApiError, ApiResult, FieldError, Value};

use crate::cursor::{fingerprint, Position, SortValue};

pub const DEFAULT_LIMIT: i64 = 20;
pub const MAX_LIMIT: i64 = 100;
/// Matches from which a search walks the sort order (see [`ListQuery::search_probe_sql`]).
pub const DENSE_SEARCH: i64 = 2000;
/// Bounds on `q`, so a search stays a handful of index lookups.
const MAX_Q_CHARS: usize = 200;
const MAX_Q_WORDS: usize = 16;

pub const PARAMETERS: [&str; 10] =
    ["q", "author", "genre", "language", "year_min", "year_max", "sort", "limit", "cursor", "count"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Title,
    PublishedYear,
    PriceCents,
    CreatedAt,
}

impl SortKey {
    pub const ALL: [SortKey; 4] =
        [SortKey::Title, SortKey::PublishedYear, SortKey::PriceCents, SortKey::CreatedAt];

    pub fn column(self) -> &'static str {
        match self {
            SortKey::Title => "title",
            SortKey::PublishedYear => "published_year",
            SortKey::PriceCents => "price_cents",
            SortKey::CreatedAt => "created_at",
        }
    }

    fn is_integer(self) -> bool {
        matches!(self, SortKey::PublishedYear | SortKey::PriceCents)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub key: SortKey,
    pub descending: bool,
}

impl Sort {
    /// Newest first: what a catalogue's front page shows.
    pub const DEFAULT: Sort = Sort { key: SortKey::CreatedAt, descending: true };

    pub fn parse(raw: &str) -> Option<Sort> {
        let (descending, name) = match raw.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, raw),
        };
        let key = SortKey::ALL.into_iter().find(|k| k.column() == name)?;
        Some(Sort { key, descending })
    }

    pub fn name(self) -> String {
        format!("{}{}", if self.descending { "-" } else { "" }, self.key.column())
    }

    /// All eight sorts the contract names.
    pub fn all() -> Vec<Sort> {
        SortKey::ALL
            .into_iter()
            .flat_map(|key| [Sort { key, descending: false }, Sort { key, descending: true }])
            .collect()
    }
}

/// The filters of a list request, each already valid.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    /// The FTS5 expression built from `q`.
    pub search: Option<String>,
    /// Set when the search matches many books (see [`ListQuery::search_probe_sql`]): the page
    /// then walks the sort order and checks membership, instead of fetching and sorting every
    /// match. Not part of the cursor fingerprint: it changes the plan, never the result.
    pub search_dense: bool,
    pub author: Option<String>,
    pub genre: Option<String>,
    pub language: Option<String>,
    pub year_min: Option<i64>,
    pub year_max: Option<i64>,
}

impl Filters {
    /// A canonical description, fingerprinted into cursors.
    pub(crate) fn canonical(&self) -> String {
        serde_json::json!([self.search, self.author, self.genre, self.language, self.year_min, self.year_max])
            .to_string()
    }

    /// `WHERE` terms (joined with AND) and their parameters.
    ///
    /// `year_by_index` says whether the year range may use the year index. A page sorted by
    /// another key must not: SQLite, without statistics, would take a two-sided year range for
    /// a small slice, fetch every book in it and sort them all, which for a wide range is most
    /// of the catalogue. Disabling the index for that term (unary `+`) makes it walk the sort
    /// key's index in order, filtering years, and stop after `limit` matches.
    fn terms(&self, year_by_index: bool) -> (Vec<&'static str>, Vec<Value>) {
        let mut terms = Vec::new();
        let mut params = Vec::new();
        if let Some(search) = &self.search {
            // `+rowid` keeps SQLite from driving the query by the matches' rowids, so it walks
            // an index in sort order and stops after `limit` matches.
            terms.push(if self.search_dense {
                "+rowid IN (SELECT rowid FROM books_fts WHERE books_fts MATCH ?)"
            } else {
                "rowid IN (SELECT rowid FROM books_fts WHERE books_fts MATCH ?)"
            });
            params.push(Value::from(search));
        }
        for (term, value) in
            [("author = ?", &self.author), ("genre = ?", &self.genre), ("language = ?", &self.language)]
        {
            if let Some(v) = value {
                terms.push(term);
                params.push(Value::from(v));
            }
        }
        if let Some(min) = self.year_min {
            terms.push(if year_by_index { "published_year >= ?" } else { "+published_year >= ?" });
            params.push(Value::Integer(min));
        }
        if let Some(max) = self.year_max {
            terms.push(if year_by_index { "published_year <= ?" } else { "+published_year <= ?" });
            params.push(Value::Integer(max));
        }
        (terms, params)
    }
}

/// A parsed, valid list request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    pub filters: Filters,
    pub sort: Sort,
    pub limit: i64,
    pub cursor: Option<String>,
    pub count: bool,
}

impl ListQuery {
    /// Parses the query string; every bad parameter is reported at once as `422`.
    pub fn parse(query: &Query) -> ApiResult<ListQuery> {
        let mut errors: Vec<FieldError> = Vec::new();
        // An unknown parameter is one more entry of the same `422`, not a reason to hide the others.
        if let Err(ApiError::Validation(unknown)) = query.only(&PARAMETERS) {
            errors.extend(unknown);
        }
        let mut keep = |r: ApiResult<()>| {
            if let Err(ApiError::Validation(e)) = r {
                errors.extend(e);
            }
        };
        let mut filters = Filters::default();
        let mut sort = Sort::DEFAULT;
        let mut limit = DEFAULT_LIMIT;
        let mut count = false;

        keep((|| {
            if let Some(q) = query.filled("q")? {
                filters.search = Some(fts_expression(q).map_err(|m| ApiError::validation("q", m))?);
            }
            Ok(())
        })());
        keep(filter::author(query).map(|a| filters.author = a));
        keep(filter::genre(query).map(|g| filters.genre = g));
        keep(filter::language(query).map(|l| filters.language = l));
        keep(filter::year(query, "year_min").map(|y| filters.year_min = y));
        keep(filter::year(query, "year_max").map(|y| filters.year_max = y));
        keep((|| {
            if let Some(raw) = query.str("sort")? {
                sort = Sort::parse(raw.trim()).ok_or_else(|| {
                    let names: Vec<String> = Sort::all().into_iter().map(Sort::name).collect();
                    ApiError::validation("sort", format!("must be one of {}", names.join(", ")))
                })?;
            }
            Ok(())
        })());
        keep((|| {
            limit = query.int("limit", 1, MAX_LIMIT)?.unwrap_or(DEFAULT_LIMIT);
            Ok(())
        })());
        keep((|| {
            count = query.bool("count")?.unwrap_or(false);
            Ok(())
        })());
        let cursor = match query.str("cursor") {
            Ok(c) => c.map(str::to_string).filter(|c| !c.is_empty()),
            Err(ApiError::Validation(e)) => {
                errors.extend(e);
                None
            }
            Err(other) => return Err(other),
        };
        if let (Some(min), Some(max)) = (filters.year_min, filters.year_max) {
            if min > max {
                errors.push(FieldError::new("year_min", "must not be greater than year_max"));
            }
        }
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        Ok(ListQuery { filters, sort, limit, cursor, count })
    }

    /// A bounded count of the search's matches (`None` without `q`): at least
    /// [`DENSE_SEARCH`] matches make the search dense. Few matches are cheapest fetched by
    /// rowid and sorted; many (a common word in a million books matches hundreds of thousands)
    /// are cheapest found by walking the sort order, where matches are close together.
    pub fn search_probe_sql(&self) -> Option<(String, Vec<Value>)> {
        let search = self.filters.search.as_ref()?;
        Some((
            "SELECT COUNT(*) AS n FROM (SELECT rowid FROM books_fts WHERE books_fts MATCH ? LIMIT ?)".into(),
            vec![Value::from(search), Value::Integer(DENSE_SEARCH)],
        ))
    }

    /// The fingerprint a cursor for this query carries.
    pub fn fingerprint(&self) -> String {
        fingerprint(&self.filters.canonical())
    }

    /// Checks that a decoded cursor belongs to this query.
    pub fn accept(&self, position: &Position) -> ApiResult<()> {
        let value_fits = matches!(
            (&position.k, self.sort.key.is_integer()),
            (SortValue::Int(_), true) | (SortValue::Text(_), false)
        );
        if position.s != self.sort.name() || position.f != self.fingerprint() || !value_fits {
            return Err(ApiError::BadRequest(
                "the cursor belongs to another sort or other filters; start again without one".into(),
            ));
        }
        Ok(())
    }

    /// The page query: filters, then "after the cursor", ordered, `limit + 1` rows (the extra
    /// row tells whether there is a next page).
    pub fn page_sql(&self, after: Option<&Position>, columns: &str) -> (String, Vec<Value>) {
        let (mut terms, mut params) = self.filters.terms(self.sort.key == SortKey::PublishedYear);
        let column = self.sort.key.column();
        let (cmp, dir) = if self.sort.descending { ("<", "DESC") } else { (">", "ASC") };
        let keyset;
        if let Some(p) = after {
            keyset = format!("({column}, id) {cmp} (?, ?)");
            terms.push(&keyset);
            params.push(match &p.k {
                SortValue::Int(v) => Value::Integer(*v),
                SortValue::Text(v) => Value::from(v),
            });
            params.push(Value::from(&p.i));
        }
        params.push(Value::Integer(self.limit + 1));
        let sql = format!(
            "SELECT {columns} FROM books{} ORDER BY {column} {dir}, id {dir} LIMIT ?",
            where_clause(&terms)
        );
        (sql, params)
    }

    /// `SELECT COUNT(*)` over the filters (not the cursor): the `total` of `count=true`.
    pub fn count_sql(&self) -> (String, Vec<Value>) {
        let (terms, params) = self.filters.terms(true);
        (format!("SELECT COUNT(*) AS n FROM books{}", where_clause(&terms)), params)
    }
}

fn where_clause(terms: &[&str]) -> String {
    if terms.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", terms.join(" AND "))
    }
}

/// Turns free text into a safe FTS5 expression: every word becomes a quoted string, so FTS5
/// operators (`AND`, `OR`, `NOT`, `NEAR`, `*`, `^`, column filters, parentheses) typed by a user
/// are searched for literally instead of being interpreted. Words are split the way FTS5's
/// `unicode61` tokenizer splits them (letters and digits); all words must occur (implicit AND),
/// each as a whole word, case- and accent-insensitively.
pub fn fts_expression(q: &str) -> Result<String, String> {
    // Composed first: a combining accent is no letter, so `e` + U+0301 would split a word in two.
    let q = &crate::model::composed(q);
    if q.chars().count() > MAX_Q_CHARS {
        return Err(format!("must be at most {MAX_Q_CHARS} characters"));
    }
    let words: Vec<&str> = q.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
    if words.is_empty() {
        return Err("must contain at least one word (letters or digits)".into());
    }
    if words.len() > MAX_Q_WORDS {
        return Err(format!("must contain at most {MAX_Q_WORDS} words"));
    }
    // A word holds only letters and digits, so it holds no quote; doubling quotes anyway keeps
    // the quoting correct should the split ever change.
    Ok(words.iter().map(|w| format!("\"{}\"", w.replace('"', "\"\""))).collect::<Vec<_>>().join(" "))
}

/// The catalogue filters that the book list and every report take (API.md: `author`, `genre`,
/// `language`, `year_min`, `year_max`), read one way for both, so that one parameter means one
/// thing, with one `422`, across the API: a text filter trimmed as the catalogue stores the
/// field, blank meaning no filter (a form's empty field), held to the field's own rules; the
/// language an ISO 639-1 code in any case; a year from 0 to 9999, since a year outside the
/// storable range simply matches nothing on its side (the bounds only keep the numbers sane).
pub mod filter {
    use folio_core::{http_util::Query, ApiError, ApiResult};

    use crate::model::{Author, Genre, Language};

    /// The years a filter may name.
    pub const YEARS: (i64, i64) = (0, 9999);

    pub fn author(query: &Query) -> ApiResult<Option<String>> {
        text(query, "author", |a| Author::parse(a).map(|a| a.as_str().to_string()))
    }

    pub fn genre(query: &Query) -> ApiResult<Option<String>> {
        text(query, "genre", |g| Genre::parse(g).map(|g| g.as_str().to_string()))
    }

    pub fn language(query: &Query) -> ApiResult<Option<String>> {
        text(query, "language", |l| Language::parse(l).map(|l| l.as_str().to_string()))
    }

    pub fn year(query: &Query, name: &str) -> ApiResult<Option<i64>> {
        query.int(name, YEARS.0, YEARS.1)
    }

    fn text(
        query: &Query,
        name: &str,
        parse: impl FnOnce(&str) -> Result<String, String>,
    ) -> ApiResult<Option<String>> {
        query.filled(name)?.map(|v| parse(v).map_err(|m| ApiError::validation(name, m))).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Query {
        Query::from_pairs(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    #[test]
    fn sorts_parse_and_name_themselves() {
        assert_eq!(Sort::all().len(), 8);
        for s in Sort::all() {
            assert_eq!(Sort::parse(&s.name()), Some(s));
        }
        assert_eq!(Sort::parse("id"), None);
        assert_eq!(Sort::parse("--title"), None);
        assert_eq!(Sort::parse("title; DROP TABLE books"), None);
    }

    #[test]
    fn fts_expressions_quote_every_word() {
        assert_eq!(fts_expression("dune  herbert").unwrap(), "\"dune\" \"herbert\"");
        assert_eq!(fts_expression("a OR b NOT c*").unwrap(), "\"a\" \"OR\" \"b\" \"NOT\" \"c\"");
        assert_eq!(fts_expression("title:\"x\" ^y (z)").unwrap(), "\"title\" \"x\" \"y\" \"z\"");
        assert_eq!(fts_expression("Über café").unwrap(), "\"Über\" \"café\"");
        assert!(fts_expression("!!! ---").is_err());
        assert!(fts_expression(&"w ".repeat(17)).is_err());
        assert!(fts_expression(&"w".repeat(201)).is_err());
    }

    #[test]
    fn parameters_are_validated_together() {
        let e =
            ListQuery::parse(&q(&[("limit", "0"), ("sort", "nope"), ("language", "xx"), ("count", "maybe")]))
                .unwrap_err();
        match e {
            ApiError::Validation(errors) => {
                let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
                assert_eq!(fields, vec!["language", "sort", "limit", "count"]);
            }
            other => panic!("{other:?}"),
        }
        assert!(ListQuery::parse(&q(&[("year_min", "2000"), ("year_max", "1990")])).is_err());
        assert!(ListQuery::parse(&q(&[("unknown", "1")])).is_err());
        let ok = ListQuery::parse(&q(&[("author", "  "), ("limit", "100")])).unwrap();
        assert_eq!(ok.filters, Filters::default());
        assert_eq!(ok.limit, 100);
        assert_eq!(ok.sort, Sort::DEFAULT);
    }

    #[test]
    fn fingerprints_differ_by_filters() {
        let a = ListQuery::parse(&q(&[("genre", "Poetry")])).unwrap();
        let b = ListQuery::parse(&q(&[("genre", "Drama")])).unwrap();
        assert_ne!(a.fingerprint(), b.fingerprint());
    }

    #[test]
    fn a_cached_page_is_named_by_its_filters_in_full_not_by_their_fingerprint() {
        let a = ListQuery::parse(&q(&[("genre", "Poetry"), ("author", "Ann Lee")])).unwrap();
        let identity = crate::list_cache::identity(&a);
        assert!(identity.contains("Poetry") && identity.contains("Ann Lee"), "{identity}");
        assert!(!identity.contains(&a.fingerprint()), "{identity}");
    }
}
