//! The years report: books per publication year or decade.

use folio_core::{ApiResult, Host};
use serde::{Deserialize, Serialize};

use super::Table;
use crate::params::{Filters, YearBucket};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Years {
    pub bucket: String,
    /// Oldest first; only periods with at least one book.
    pub items: Vec<YearRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct YearRow {
    /// First year of the period.
    pub start: i64,
    /// Last year of the period (inclusive): `start` for years, `start + 9` for decades.
    pub end: i64,
    /// The period named by its kind, as API.md says "books per year or decade": `year` on a
    /// report by year, `decade` (its first year) on one by decade; the other is left out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub year: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decade: Option<i64>,
    pub books: i64,
}

pub fn compute(host: &Host, filters: &Filters, bucket: YearBucket) -> ApiResult<Years> {
    let (filter, params) = filters.where_clause();
    // The inner query groups on the bare column, which streams off the year index (no sort);
    // decades are then summed over those few rows rather than sorting every book.
    let period = match bucket {
        YearBucket::Year => "year",
        YearBucket::Decade => "(year / 10) * 10",
    };
    let rows = host.sql.execute(
        &format!(
            "SELECT {period} AS start, SUM(n) AS books FROM \
             (SELECT published_year AS year, COUNT(*) AS n FROM books{filter} GROUP BY published_year) \
             GROUP BY start ORDER BY start"
        ),
        &params,
    )?;
    let items = rows
        .iter()
        .map(|r| {
            let start = r.i64("start").unwrap_or(0);
            let (year, decade) = match bucket {
                YearBucket::Year => (Some(start), None),
                YearBucket::Decade => (None, Some(start)),
            };
            YearRow {
                start,
                end: start + bucket.width() - 1,
                year,
                decade,
                books: r.i64("books").unwrap_or(0),
            }
        })
        .collect();
    Ok(Years { bucket: bucket.as_str().to_string(), items })
}

impl Years {
    pub fn table(&self) -> Table {
        // The period's own column, as in the JSON: `year` or `decade`, the kind asked for.
        let kind = if self.bucket == YearBucket::Decade.as_str() { "decade" } else { "year" };
        Table {
            text_columns: &[],
            header: vec!["start", "end", kind, "books"],
            rows: self
                .items
                .iter()
                .map(|y| {
                    vec![y.start.to_string(), y.end.to_string(), y.start.to_string(), y.books.to_string()]
                })
                .collect(),
        }
    }
}
