//! The prices report: a histogram of equal-width buckets and nearest-rank percentiles.
//!
//! Neither loads the table into the app. Both start from the price distribution, one row per
//! distinct price with its count (`GROUP BY price_cents`, which streams off a price index without
//! sorting when the filters allow). Percentiles: a running total of those counts (a window
//! function, evaluated by SQLite) finds the smallest price whose cumulative count reaches p% of
//! the books: exactly the nearest-rank definition. Histogram: the counts summed per bucket.
//! Both come from one statement that reads the filtered books once ([`statement`]).

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
    /// The same three percentiles under the names API.md gives them ("p50, p90, p99"), for a
    /// client written from the contract; in cents, as every amount.
    pub p50: Option<i64>,
    pub p90: Option<i64>,
    pub p99: Option<i64>,
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

/// `kind` of the statement's rows: the one row of totals and percentiles, then one per bucket.
const STATS_ROW: i64 = 0;
const BUCKET_ROW: i64 = 1;

/// One statement, so the filtered books are read once: the distribution is a materialised CTE
/// that the percentiles (a running total over it) and the histogram (its counts summed per
/// bucket) both read. Two statements read the index twice, which at 1,000,000 books with a
/// year range was most of a 400-500 ms request.
fn statement(filters: &Filters, filter: &str) -> String {
    format!(
        "WITH d AS MATERIALIZED ({distribution}), \
              s AS (SELECT SUM(n) AS total, MIN(price) AS lo, MAX(price) AS hi, \
                           (MAX(price) - MIN(price) + ?) / ? AS width FROM d) \
         SELECT {STATS_ROW} AS kind, s.total AS a, s.lo AS b, s.hi AS c, \
                MIN(CASE WHEN 100 * cum >= 50 * s.total THEN price END) AS p50, \
                MIN(CASE WHEN 100 * cum >= 90 * s.total THEN price END) AS p90, \
                MIN(CASE WHEN 100 * cum >= 99 * s.total THEN price END) AS p99 \
         FROM s LEFT JOIN (SELECT price, SUM(n) OVER (ORDER BY price ROWS UNBOUNDED PRECEDING) AS cum \
                           FROM d) \
         UNION ALL \
         SELECT {BUCKET_ROW}, (d.price - s.lo) / s.width AS bucket, SUM(d.n), NULL, NULL, NULL, NULL \
         FROM d, s GROUP BY bucket",
        distribution = distribution(filters, filter)
    )
}

pub fn compute(host: &Host, filters: &Filters, buckets: i64) -> ApiResult<Prices> {
    let (filter, mut params) = filters.where_clause();
    // Nearest rank: the p-th percentile is the smallest price whose cumulative count c
    // satisfies c >= ceil(p/100 * total), i.e. 100 * c >= p * total in integers.
    // Equal integer widths whose `buckets` buckets cover min..=max: width = ceil((max - min + 1)
    // / buckets); when the span does not divide evenly the last buckets reach past max (and may
    // be empty).
    params.push(Value::from(buckets));
    params.push(Value::from(buckets));
    let rows = host.sql.execute(&statement(filters, &filter), &params)?;
    let stats = rows.iter().find(|r| r.i64("kind") == Some(STATS_ROW));
    let get = |c: &str| stats.as_ref().and_then(|r| r.i64(c));
    let books = get("a").unwrap_or(0);
    let (Some(min), Some(max)) = (get("b"), get("c")) else {
        return Ok(Prices {
            books: 0,
            min_cents: None,
            max_cents: None,
            p50_cents: None,
            p90_cents: None,
            p99_cents: None,
            p50: None,
            p90: None,
            p99: None,
            histogram: Vec::new(),
        });
    };
    let width = (max - min + buckets) / buckets;
    let mut counts = vec![0_i64; buckets as usize];
    for r in rows.iter().filter(|r| r.i64("kind") == Some(BUCKET_ROW)) {
        let (Some(b), Some(n)) = (r.i64("a"), r.i64("b")) else { continue };
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
        p50: get("p50"),
        p90: get("p90"),
        p99: get("p99"),
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
        Table {
            header: vec!["row", "from_cents", "to_cents", "books", "price_cents"],
            rows,
            text_columns: &["row"],
        }
    }
}
