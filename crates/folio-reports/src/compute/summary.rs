//! The summary report: one row of catalogue-wide figures for the filtered books.

use folio_core::{ApiResult, Host};
use serde::{Deserialize, Serialize};

use super::{cell, round_div, round_ratio, source, Table};
use crate::params::Filters;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub books: i64,
    pub authors: i64,
    pub genres: i64,
    pub languages: i64,
    pub total_price_cents: i64,
    /// Rounded to whole cents; `null` when there are no books.
    pub average_price_cents: Option<i64>,
    /// Rounded to two decimals; `null` when there are no books.
    pub average_pages: Option<f64>,
    pub earliest_year: Option<i64>,
    pub latest_year: Option<i64>,
}

pub fn compute(host: &Host, filters: &Filters) -> ApiResult<Summary> {
    let (filter, params) = filters.where_clause();
    // An author filter is selective: its own index wins. Otherwise the covering index, whose
    // (genre, language) prefix lets the inner GROUP BY stream without sorting; the distinct
    // genres and languages are then counted over those few groups.
    let from = source(filters.author.is_none());
    let rows = host.sql.execute(
        &format!(
            "SELECT COALESCE(SUM(n), 0) AS books, COUNT(DISTINCT genre) AS genres, \
             COUNT(DISTINCT language) AS languages, COALESCE(SUM(price), 0) AS price, \
             COALESCE(SUM(pages), 0) AS pages, MIN(earliest) AS earliest, MAX(latest) AS latest \
             FROM (SELECT genre, language, COUNT(*) AS n, SUM(price_cents) AS price, \
                          SUM(pages) AS pages, MIN(published_year) AS earliest, \
                          MAX(published_year) AS latest \
                   FROM {from}{filter} GROUP BY genre, language)"
        ),
        &params,
    )?;
    // Distinct authors: unfiltered, a GROUP BY streams off the author index.
    let from = source(!filters.is_empty() && filters.author.is_none());
    let authors = host.sql.execute(
        &format!("SELECT COUNT(*) AS n FROM (SELECT author FROM {from}{filter} GROUP BY author)"),
        &params,
    )?;
    let row = rows.first();
    let get = |c: &str| row.and_then(|r| r.i64(c));
    let books = get("books").unwrap_or(0);
    let price = get("price").unwrap_or(0);
    let pages = get("pages").unwrap_or(0);
    Ok(Summary {
        books,
        authors: authors.first().and_then(|r| r.i64("n")).unwrap_or(0),
        genres: get("genres").unwrap_or(0),
        languages: get("languages").unwrap_or(0),
        total_price_cents: price,
        average_price_cents: (books > 0).then(|| round_div(price, books)),
        average_pages: (books > 0).then(|| round_ratio(pages, books, 2)),
        earliest_year: get("earliest"),
        latest_year: get("latest"),
    })
}

impl Summary {
    pub fn table(&self) -> Table {
        Table {
            header: vec![
                "books",
                "authors",
                "genres",
                "languages",
                "total_price_cents",
                "average_price_cents",
                "average_pages",
                "earliest_year",
                "latest_year",
            ],
            rows: vec![vec![
                self.books.to_string(),
                self.authors.to_string(),
                self.genres.to_string(),
                self.languages.to_string(),
                self.total_price_cents.to_string(),
                cell(self.average_price_cents),
                cell(self.average_pages),
                cell(self.earliest_year),
                cell(self.latest_year),
            ]],
        }
    }
}
