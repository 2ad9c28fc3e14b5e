//! The genres report: per genre, the number of books, their share and averages.

use folio_core::{ApiResult, Host};
use serde::{Deserialize, Serialize};

use super::{round_div, round_ratio, source, Table};
use crate::params::Filters;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Genres {
    /// Most books first; ties in genre name order.
    pub items: Vec<GenreRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GenreRow {
    pub genre: String,
    pub books: i64,
    /// Fraction of the filtered books in this genre, rounded to four decimals.
    pub share: f64,
    pub average_price_cents: i64,
    pub average_pages: f64,
}

pub fn compute(host: &Host, filters: &Filters) -> ApiResult<Genres> {
    let (filter, params) = filters.where_clause();
    // The covering index is ordered by genre: the GROUP BY streams, reading no table rows.
    let from = source(filters.author.is_none());
    let rows = host.sql.execute(
        &format!(
            "SELECT genre, COUNT(*) AS books, SUM(price_cents) AS price, SUM(pages) AS pages \
             FROM {from}{filter} GROUP BY genre ORDER BY books DESC, genre ASC"
        ),
        &params,
    )?;
    let total: i64 = rows.iter().filter_map(|r| r.i64("books")).sum();
    let items = rows
        .iter()
        .map(|r| {
            // GROUP BY never yields an empty group; max(1) only guards the division.
            let books = r.i64("books").unwrap_or(0);
            let divisor = books.max(1);
            GenreRow {
                genre: r.string("genre"),
                books,
                share: round_ratio(books, total.max(1), 4),
                average_price_cents: round_div(r.i64("price").unwrap_or(0), divisor),
                average_pages: round_ratio(r.i64("pages").unwrap_or(0), divisor, 2),
            }
        })
        .collect();
    Ok(Genres { items })
}

impl Genres {
    pub fn table(&self) -> Table {
        Table {
            text_columns: &["genre"],
            header: vec!["genre", "books", "share", "average_price_cents", "average_pages"],
            rows: self
                .items
                .iter()
                .map(|g| {
                    vec![
                        g.genre.clone(),
                        g.books.to_string(),
                        g.share.to_string(),
                        g.average_price_cents.to_string(),
                        g.average_pages.to_string(),
                    ]
                })
                .collect(),
        }
    }
}
