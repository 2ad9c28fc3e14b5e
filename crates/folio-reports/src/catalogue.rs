//! The reports this component serves: names (the path segment), titles and descriptions, and
//! the report-specific query parameters each one takes besides the common filters.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Report {
    Summary,
    Genres,
    Authors,
    Years,
    Prices,
}

impl Report {
    pub const ALL: [Report; 5] =
        [Report::Summary, Report::Genres, Report::Authors, Report::Years, Report::Prices];

    pub fn name(self) -> &'static str {
        match self {
            Report::Summary => "summary",
            Report::Genres => "genres",
            Report::Authors => "authors",
            Report::Years => "years",
            Report::Prices => "prices",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Report::Summary => "Catalogue summary",
            Report::Genres => "Books by genre",
            Report::Authors => "Top authors",
            Report::Years => "Books by publication year",
            Report::Prices => "Price distribution",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Report::Summary => {
                "Counts of books, authors, genres and languages; total and average price; average \
                 pages; earliest and latest publication year."
            }
            Report::Genres => "Per genre: books, share of the books, average price and average pages.",
            Report::Authors => {
                "Authors with the most books (limit 1-100, default 10) and their books' average price."
            }
            Report::Years => "Books per publication year, or per decade with bucket=decade.",
            Report::Prices => {
                "Price histogram (buckets 2-50, default 10) and the 50th, 90th and 99th percentile \
                 prices (nearest rank)."
            }
        }
    }

    /// Query parameters of this report on top of the common filters and `format`.
    pub fn options(self) -> &'static [&'static str] {
        match self {
            Report::Summary | Report::Genres => &[],
            Report::Authors => &["limit"],
            Report::Years => &["bucket"],
            Report::Prices => &["buckets"],
        }
    }
}
