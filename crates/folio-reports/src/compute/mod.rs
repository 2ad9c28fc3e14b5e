//! The reports' computations: aggregates in SQL over the `books` table, never the table in
//! memory. Each submodule holds one report's output type, its query and its CSV table.

pub mod authors;
pub mod genres;
pub mod prices;
pub mod summary;
pub mod years;

use folio_core::{ApiResult, Host};
use serde::{Deserialize, Serialize};

use crate::{catalogue::Report, params::ReportParams};

/// The shape of the reports' answers: raised whenever a report's members change. The cache
/// keeps it in each entry, so that an entry an older build wrote is a miss rather than served
/// in the old shape, and the entity tag hashes it, so that a client's copy in the old shape is
/// not confirmed by a `304` (the data version alone does not move on a deploy).
pub const SHAPE: u32 = 2;

/// A computed report, as cached and rendered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ReportData {
    Summary(summary::Summary),
    Genres(genres::Genres),
    Authors(authors::Authors),
    Years(years::Years),
    Prices(prices::Prices),
}

/// A report as a CSV table: header row and data rows, cells already formatted.
pub struct Table {
    pub header: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
    /// The columns whose cells are text (names, labels) rather than numbers: the renderer
    /// defuses those that a spreadsheet would run as a formula ([`crate::render`]).
    pub text_columns: &'static [&'static str],
}

impl ReportData {
    pub fn json(&self) -> serde_json::Value {
        let value = match self {
            ReportData::Summary(r) => serde_json::to_value(r),
            ReportData::Genres(r) => serde_json::to_value(r),
            ReportData::Authors(r) => serde_json::to_value(r),
            ReportData::Years(r) => serde_json::to_value(r),
            ReportData::Prices(r) => serde_json::to_value(r),
        };
        value.expect("report serializes")
    }

    pub fn table(&self) -> Table {
        match self {
            ReportData::Summary(r) => r.table(),
            ReportData::Genres(r) => r.table(),
            ReportData::Authors(r) => r.table(),
            ReportData::Years(r) => r.table(),
            ReportData::Prices(r) => r.table(),
        }
    }
}

/// Computes a report from the database.
pub fn compute(host: &Host, params: &ReportParams) -> ApiResult<ReportData> {
    let f = &params.filters;
    Ok(match params.report {
        Report::Summary => ReportData::Summary(summary::compute(host, f)?),
        Report::Genres => ReportData::Genres(genres::compute(host, f)?),
        Report::Authors => ReportData::Authors(authors::compute(host, f, params.limit.unwrap_or(10))?),
        Report::Years => ReportData::Years(years::compute(
            host,
            f,
            params.bucket.unwrap_or(crate::params::YearBucket::Year),
        )?),
        Report::Prices => ReportData::Prices(prices::compute(host, f, params.buckets.unwrap_or(10))?),
    })
}

/// The table source of a report query: `books`, letting SQLite pick the index, or `books`
/// read through the reports' covering index (migrations/0005_reports.sql).
///
/// SQLite has no statistics here (nobody runs ANALYZE on a live app), and without them it
/// prefers an index that matches a filter even when that means a table lookup for each of
/// hundreds of thousands of rows (measured at 1,000,000 books: a year range 1.0-2.3 s, a
/// language 0.2-0.3 s). Each report therefore names the covering index for the filter
/// combinations where that was measured to be the better plan; docs/reports.md has the table.
pub fn source(covering: bool) -> &'static str {
    if covering {
        "books INDEXED BY books_reports"
    } else {
        "books"
    }
}

/// `num / den` rounded to the nearest integer, halves away from zero (inputs are never
/// negative here: counts, prices and pages).
pub fn round_div(num: i64, den: i64) -> i64 {
    (2 * num + den) / (2 * den)
}

/// `num / den` rounded to `decimals` places (half up), as a JSON number.
pub fn round_ratio(num: i64, den: i64, decimals: u32) -> f64 {
    let scale = 10_i64.pow(decimals);
    round_div(num * scale, den) as f64 / scale as f64
}

/// A cell: empty for an absent value.
pub fn cell<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_is_half_up() {
        assert_eq!(round_div(5, 2), 3);
        assert_eq!(round_div(4, 3), 1);
        assert_eq!(round_div(5, 3), 2);
        assert_eq!(round_div(0, 7), 0);
        assert_eq!(round_ratio(1, 3, 4), 0.3333);
        assert_eq!(round_ratio(2, 3, 2), 0.67);
    }
}
