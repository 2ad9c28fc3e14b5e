//! The authors report: the authors with the most books.

use folio_core::{ApiResult, Host, Value};
use serde::{Deserialize, Serialize};

use super::{round_div, source, Table};
use crate::params::Filters;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Authors {
    /// Most books first; ties in author name order; at most `limit` entries.
    pub items: Vec<AuthorRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthorRow {
    pub author: String,
    pub books: i64,
    pub average_price_cents: i64,
}

pub fn compute(host: &Host, filters: &Filters, limit: i64) -> ApiResult<Authors> {
    let (filter, mut params) = filters.where_clause();
    params.push(Value::from(limit));
    // Unfiltered or by author, the (author, price_cents) index streams the groups; other
    // filters read the covering index rather than looking up each matching row.
    let from = source(!filters.is_empty() && filters.author.is_none());
    let rows = host.sql.execute(
        &format!(
            "SELECT author, COUNT(*) AS books, SUM(price_cents) AS price \
             FROM {from}{filter} GROUP BY author ORDER BY books DESC, author ASC LIMIT ?"
        ),
        &params,
    )?;
    let items = rows
        .iter()
        .map(|r| {
            // GROUP BY never yields an empty group; max(1) only guards the division.
            let books = r.i64("books").unwrap_or(0);
            let divisor = books.max(1);
            AuthorRow {
                author: r.string("author"),
                books,
                average_price_cents: round_div(r.i64("price").unwrap_or(0), divisor),
            }
        })
        .collect();
    Ok(Authors { items })
}

impl Authors {
    pub fn table(&self) -> Table {
        Table {
            text_columns: &["author"],
            header: vec!["author", "books", "average_price_cents"],
            rows: self
                .items
                .iter()
                .map(|a| vec![a.author.clone(), a.books.to_string(), a.average_price_cents.to_string()])
                .collect(),
        }
    }
}
