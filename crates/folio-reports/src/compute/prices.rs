//! The prices report: a histogram of equal-width buckets and nearest-rank percentiles.
//!
//! Neither loads the table into the app. Both start from the price distribution, one row per
//! distinct price with its count (`GROUP BY price_cents`, which streams off a price index without
//! sorting when the filters allow). Percentiles: a running total of those counts (a window
//! function, evaluated by SQLite) finds the smallest price whose cumulative count reaches p% of
//! the books: exactly the nearest-rank definition. Histogram: the counts summed per bucket.

use folio_core::{ApiResult, Host, Value};
use serde::{Deserialize, Serialize};

use super::{cell, source, Table};
use crate::params::Filters;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prices {
    pub books: i64,
    pub min_cents: Option<i64>,
    pub max_cents: Option<i64>,
    pub p50_cents: Option<i64>,
    pub p90_cents: Option<i64>,
    pub p99_cents: Option<i64>,
    /// Contiguous buckets from `min_cents`; empty when there are no books.
    pub histogram: Vec<PriceBucket>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriceBucket {
    /// Inclusive lower bound.
    pub from_cents: i64,
    /// Exclusive upper bound.
    pub to_cents: i64,
    pub books: i64,
}

/// The price distribution of the filtered books: `price`, `n` per distinct price.
///
/// Unfiltered, or filtered by one equality filter (or by author), a `(filter, price_cents)`
/// index yields the prices in order: the GROUP BY streams. Other combinations read the
/// covering index and sort the matching prices, rather than walking the price order with a
/// table lookup per book.
fn distribution(filters: &Filters, filter: &str) -> String {
    let streams = filters.author.is_some() || (!filters.has_year_range() && filters.equality_count() <= 1);
    let from = source(!streams);
    format!("SELECT price_cents AS price, COUNT(*) AS n FROM {from}{filter} GROUP BY price_cents")
}

pub fn compute(host: &Host, filters: &Filters, buckets: i64) -> ApiResult<Prices> {
    let (filter, params) = filters.where_clause();
    // Nearest rank: the p-th percentile is the smallest price whose cumulative count c
    // satisfies c >= ceil(p/100 * total), i.e. 100 * c >= p * total in integers.
    let stats = host.sql.execute(
        &format!(
            "SELECT MAX(total) AS books, MIN(price) AS lo, MAX(price) AS hi, \
             MIN(CASE WHEN 100 * cum >= 50 * total THEN price END) AS p50, \
             MIN(CASE WHEN 100 * cum >= 90 * total THEN price END) AS p90, \
             MIN(CASE WHEN 100 * cum >= 99 * total THEN price END) AS p99 \
             FROM (SELECT price, SUM(n) OVER (ORDER BY price ROWS UNBOUNDED PRECEDING) AS cum, \
                          SUM(n) OVER () AS total \
                   FROM ({}))",
            distribution(filters, &filter)
        ),
        &params,
    )?;
    let row = stats.first();
    let get = |c: &str| row.and_then(|r| r.i64(c));
    let books = get("books").unwrap_or(0);
    let (Some(min), Some(max)) = (get("lo"), get("hi")) else {
        return Ok(Prices {
            books: 0,
            min_cents: None,
            max_cents: None,
            p50_cents: None,
            p90_cents: None,
            p99_cents: None,
            histogram: Vec::new(),
        });
    };

    // Equal integer widths whose `buckets` buckets cover min..=max; when the span does not
    // divide evenly the last buckets reach past max (and may be empty).
    let width = (max - min + 1 + buckets - 1) / buckets;
    let mut bucket_params = vec![Value::from(min), Value::from(width)];
    bucket_params.extend(params.iter().cloned());
    let rows = host.sql.execute(
        &format!(
            "SELECT (price - ?) / ? AS bucket, SUM(n) AS n FROM ({}) GROUP BY bucket",
            distribution(filters, &filter)
        ),
        &bucket_params,
    )?;
    let mut counts = vec![0_i64; buckets as usize];
    for r in rows.iter() {
        let (Some(b), Some(n)) = (r.i64("bucket"), r.i64("n")) else { continue };
        // A write between the two statements can put a price outside min..=max; such a report
        // is computed under an already superseded data version and never served as current.
        if let Some(slot) = usize::try_from(b).ok().and_then(|b| counts.get_mut(b)) {
            *slot += n;
        }
    }
    let histogram = counts
        .into_iter()
        .enumerate()
        .map(|(i, n)| {
            let from = min + i as i64 * width;
            PriceBucket { from_cents: from, to_cents: from + width, books: n }
        })
        .collect();
    Ok(Prices {
        books,
        min_cents: Some(min),
        max_cents: Some(max),
        p50_cents: get("p50"),
        p90_cents: get("p90"),
        p99_cents: get("p99"),
        histogram,
    })
}

impl Prices {
    pub fn table(&self) -> Table {
        let mut rows: Vec<Vec<String>> = self
            .histogram
            .iter()
            .map(|b| {
                vec![
                    "bucket".into(),
                    b.from_cents.to_string(),
                    b.to_cents.to_string(),
                    b.books.to_string(),
                    String::new(),
                ]
            })
            .collect();
        rows.push(vec!["total".into(), String::new(), String::new(), self.books.to_string(), String::new()]);
        for (name, value) in [
            ("min", self.min_cents),
            ("max", self.max_cents),
            ("p50", self.p50_cents),
            ("p90", self.p90_cents),
            ("p99", self.p99_cents),
        ] {
            rows.push(vec![name.into(), String::new(), String::new(), String::new(), cell(value)]);
        }
        Table { header: vec!["row", "from_cents", "to_cents", "books", "price_cents"], rows }
    }
}
