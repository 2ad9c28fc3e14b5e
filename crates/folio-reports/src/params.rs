//! A report request's query string, parsed and validated into normalised parameters.
//!
//! Normalised means: defaults applied and values in one canonical spelling, so that two requests
//! asking for the same report share one cache entry and one entity tag.

use folio_books::listing::filter;
use folio_core::{http_util::Query, ApiError, ApiResult, FieldError, Request, Value};
use serde::Serialize;

use crate::catalogue::Report;

/// Filters every report takes. `None` means "no restriction".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Filters {
    pub genre: Option<String>,
    pub author: Option<String>,
    pub language: Option<String>,
    pub year_min: Option<i64>,
    pub year_max: Option<i64>,
}

impl Filters {
    /// True when no filter is set.
    pub fn is_empty(&self) -> bool {
        *self == Filters::default()
    }

    /// How many of the equality filters (genre, author, language) are set.
    pub fn equality_count(&self) -> usize {
        [&self.genre, &self.author, &self.language].iter().filter(|f| f.is_some()).count()
    }

    pub fn has_year_range(&self) -> bool {
        self.year_min.is_some() || self.year_max.is_some()
    }

    /// The SQL `WHERE` clause (empty when unfiltered) and its positional parameters.
    pub fn where_clause(&self) -> (String, Vec<Value>) {
        let mut conditions = Vec::new();
        let mut params = Vec::new();
        for (column, value) in
            [("genre", &self.genre), ("author", &self.author), ("language", &self.language)]
        {
            if let Some(v) = value {
                conditions.push(format!("{column} = ?"));
                params.push(Value::from(v.as_str()));
            }
        }
        if let Some(min) = self.year_min {
            conditions.push("published_year >= ?".to_string());
            params.push(Value::from(min));
        }
        if let Some(max) = self.year_max {
            conditions.push("published_year <= ?".to_string());
            params.push(Value::from(max));
        }
        if conditions.is_empty() {
            (String::new(), params)
        } else {
            (format!(" WHERE {}", conditions.join(" AND ")), params)
        }
    }
}

/// Year or decade buckets of the years report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum YearBucket {
    Year,
    Decade,
}

impl YearBucket {
    pub fn width(self) -> i64 {
        match self {
            YearBucket::Year => 1,
            YearBucket::Decade => 10,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            YearBucket::Year => "year",
            YearBucket::Decade => "decade",
        }
    }
}

/// Everything that determines a report's content: the report, its own options and the filters.
/// Serialised as the canonical cache key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportParams {
    pub report: Report,
    #[serde(flatten)]
    pub filters: Filters,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bucket: Option<YearBucket>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buckets: Option<i64>,
}

impl ReportParams {
    /// A canonical text for this request's content: equal exactly when the reports are equal
    /// for the same catalogue.
    pub fn canonical(&self) -> String {
        serde_json::to_string(self).expect("parameters serialize")
    }
}

/// The representation the client asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Csv => "csv",
        }
    }
}

const FILTERS: [&str; 5] = ["genre", "author", "language", "year_min", "year_max"];
pub const DEFAULT_AUTHORS_LIMIT: i64 = 10;
pub const DEFAULT_PRICE_BUCKETS: i64 = 10;

/// Parses and validates a report request's query string; every problem found becomes one
/// entry of a single `422`.
pub fn parse(req: &Request, report: Report) -> ApiResult<(ReportParams, Format)> {
    let query = Query::from_request(req);
    let mut known: Vec<&str> = FILTERS.to_vec();
    known.push("format");
    known.extend(report.options());
    let mut errors = Vec::new();
    // An unknown parameter is one more entry of the same `422`, not a reason to hide the others.
    keep(&mut errors, query.only(&known).map(|()| None::<()>));

    // The filters read as the book list reads them (`folio_books::listing::filter`).
    let filters = Filters {
        genre: keep(&mut errors, filter::genre(&query)),
        author: keep(&mut errors, filter::author(&query)),
        language: keep(&mut errors, filter::language(&query)),
        year_min: keep(&mut errors, filter::year(&query, "year_min")),
        year_max: keep(&mut errors, filter::year(&query, "year_max")),
    };
    let limit = match report {
        Report::Authors => {
            Some(keep(&mut errors, query.int("limit", 1, 100)).unwrap_or(DEFAULT_AUTHORS_LIMIT))
        }
        _ => None,
    };
    let buckets = match report {
        Report::Prices => {
            Some(keep(&mut errors, query.int("buckets", 2, 50)).unwrap_or(DEFAULT_PRICE_BUCKETS))
        }
        _ => None,
    };
    let bucket = match report {
        Report::Years => Some(keep(&mut errors, year_bucket(&query)).unwrap_or(YearBucket::Year)),
        _ => None,
    };
    let format = keep(&mut errors, format_param(&query));

    if let (Some(min), Some(max)) = (filters.year_min, filters.year_max) {
        if min > max {
            errors.push(FieldError::new("year_min", "must not be greater than year_max"));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let format = format.unwrap_or_else(|| negotiate(req));
    Ok((ReportParams { report, filters, limit, bucket, buckets }, format))
}

/// The value of a parameter check, collecting its validation errors so that one `422` lists
/// every bad parameter.
fn keep<T>(errors: &mut Vec<FieldError>, result: ApiResult<Option<T>>) -> Option<T> {
    result.unwrap_or_else(|e| {
        match e {
            ApiError::Validation(mut list) => errors.append(&mut list),
            other => errors.push(FieldError::new("query", other.to_string())),
        }
        None
    })
}

fn year_bucket(query: &Query) -> ApiResult<Option<YearBucket>> {
    match query.str("bucket")? {
        None => Ok(None),
        Some("year") => Ok(Some(YearBucket::Year)),
        Some("decade") => Ok(Some(YearBucket::Decade)),
        Some(_) => Err(ApiError::validation("bucket", "must be year or decade")),
    }
}

fn format_param(query: &Query) -> ApiResult<Option<Format>> {
    match query.str("format")? {
        None => Ok(None),
        Some("json") => Ok(Some(Format::Json)),
        Some("csv") => Ok(Some(Format::Csv)),
        Some(_) => Err(ApiError::validation("format", "must be json or csv")),
    }
}

/// `Accept` negotiation when no `format` parameter is given: CSV when `text/csv` is listed with
/// a quality at least that of an explicit `application/json`; JSON otherwise (wildcards and
/// unknown types included: JSON is the default representation).
pub fn negotiate(req: &Request) -> Format {
    // The q of each range that can name each format, by specificity: the most specific range
    // that matches a format decides its q (RFC 9110 §12.5.1), so `text/csv;q=0, */*` refuses CSV.
    let q = |media| folio_core::http_util::accept_quality(req, media);
    let (csv, text_any, json, application_any, any) =
        (q("text/csv"), q("text/*"), q("application/json"), q("application/*"), q("*/*"));
    // CSV only when the client named it (`text/csv` or `text/*`), at least as gladly as JSON;
    // `*/*` alone, or nothing, is the JSON default.
    let asked_for_csv = csv.or(text_any);
    let csv_q = asked_for_csv.or(any).unwrap_or(0.0);
    let json_q = json.or(application_any).or(any).unwrap_or(0.0);
    if asked_for_csv.is_some() && csv_q > 0.0 && csv_q >= json_q {
        Format::Csv
    } else {
        Format::Json
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> Format {
        negotiate(&http::Request::builder().header("accept", value).body(Vec::new()).unwrap())
    }

    #[test]
    fn accept_negotiation() {
        assert_eq!(accept("text/csv"), Format::Csv);
        assert_eq!(accept("text/csv, */*;q=0.1"), Format::Csv);
        assert_eq!(accept("application/json, text/csv;q=0.5"), Format::Json);
        assert_eq!(accept("text/csv;q=0"), Format::Json);
        assert_eq!(accept("*/*"), Format::Json);
        assert_eq!(accept("text/*"), Format::Csv, "text/* can only mean CSV here");
        assert_eq!(accept("text/*;q=0.5, application/json"), Format::Json);
        assert_eq!(accept("text/csv;q=0, */*"), Format::Json, "the most specific range decides");
        assert_eq!(accept("text/csv;q=0, text/*"), Format::Json);
        assert_eq!(accept("application/*;q=0.2, text/*;q=0.8"), Format::Csv);
        assert_eq!(accept("text/html"), Format::Json);
        assert_eq!(negotiate(&http::Request::builder().body(Vec::new()).unwrap()), Format::Json);
    }

    #[test]
    fn where_clause_binds_every_filter_in_order() {
        let f = Filters {
            genre: Some("Poetry".into()),
            author: None,
            language: Some("en".into()),
            year_min: Some(1900),
            year_max: Some(1950),
        };
        let (sql, params) = f.where_clause();
        assert_eq!(sql, " WHERE genre = ? AND language = ? AND published_year >= ? AND published_year <= ?");
        assert_eq!(
            params,
            vec![Value::from("Poetry"), Value::from("en"), Value::from(1900), Value::from(1950)]
        );
        assert_eq!(Filters::default().where_clause(), (String::new(), vec![]));
    }
}
