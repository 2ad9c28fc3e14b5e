//! Shared test support: a fake authenticator, a seeded generator of varied books written
//! straight into the `books` table, and independent computations of every report from the
//! same books held in Rust.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashSet};

use folio_core::{
    guard::{role_scopes, Authenticator, Principal},
    migrate, ApiError, ApiResult, Host, Request, Response, Value,
};
use folio_native::{request, TestApp};

/// Maps the bearer tokens "reader", "editor" and "admin" to principals of those roles, and
/// "no-reports" to one that may read books but not reports; anything else is refused. Like
/// the real check it reads a session key from the key-value store, and names it so routes can
/// read it ahead; its value, and a failure to read it, do not matter here.
pub struct FakeAuth;

impl Authenticator for FakeAuth {
    fn session_key(&self, token: &str) -> Option<String> {
        Some(format!("test:session:{token}"))
    }

    fn authenticate_token(&self, host: &Host, token: &str) -> ApiResult<Principal> {
        let _ = host.kv.get(&format!("test:session:{token}"));
        let scopes: Vec<String> = match token {
            "no-reports" => vec![folio_core::guard::scopes::READ_BOOKS.to_string()],
            role => role_scopes(role)
                .ok_or_else(|| ApiError::unauthorized("the token is not valid"))?
                .iter()
                .map(|s| s.to_string())
                .collect(),
        };
        Ok(Principal {
            subject: format!("user-{token}"),
            session_id: "session".into(),
            token_id: "token".into(),
            email: format!("{token}@example.com"),
            role: token.to_string(),
            scopes,
            expires_at: i64::MAX,
        })
    }
}

pub fn handler(host: &Host, req: Request) -> Response {
    folio_reports::handle_with(&FakeAuth, host, req)
}

pub fn get_as(token: &str, uri: &str) -> Request {
    request("GET", uri).header("authorization", format!("Bearer {token}")).body(Vec::new()).unwrap()
}

pub fn get(uri: &str) -> Request {
    get_as("reader", uri)
}

/// A small deterministic PRNG (SplitMix64): the test data is the same on every run.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }

    /// An index drawn with the given weights.
    pub fn weighted(&mut self, weights: &[u64]) -> usize {
        let total: u64 = weights.iter().sum();
        let mut pick = self.next() % total;
        for (i, w) in weights.iter().enumerate() {
            if pick < *w {
                return i;
            }
            pick -= w;
        }
        weights.len() - 1
    }
}

#[derive(Debug, Clone)]
pub struct Book {
    pub id: String,
    pub author: String,
    pub genre: String,
    pub language: String,
    pub published_year: i64,
    pub pages: i64,
    pub price_cents: i64,
}

/// Genres with uneven shares; one name needs CSV quoting.
pub const GENRES: [(&str, u64); 8] = [
    ("Fiction", 30),
    ("Mystery", 18),
    ("Science \"Hard\", Fiction", 14),
    ("Fantasy", 12),
    ("History", 10),
    ("Poetry", 7),
    ("Biography", 6),
    ("Travel", 3),
];
pub const LANGUAGES: [(&str, u64); 5] = [("en", 60), ("de", 15), ("fr", 12), ("es", 9), ("ja", 4)];

/// A pool of authors whose popularity is skewed (weight ~ 1/rank); a few names need quoting.
pub fn authors() -> Vec<(String, u64)> {
    let special = ["O'Brien, Flann", "Zoë \"Z\" Ünal", "Line\nBreak", "Ng"];
    (0..120)
        .map(|i| {
            let name = special.get(i).map(|s| s.to_string()).unwrap_or_else(|| format!("Author {i:03}"));
            (name, 1200 / (i as u64 + 1) + 1)
        })
        .collect()
}

/// `count` varied books from `seed`.
pub fn generate(seed: u64, count: usize) -> Vec<Book> {
    let mut rng = Rng::new(seed);
    let authors = authors();
    let author_weights: Vec<u64> = authors.iter().map(|a| a.1).collect();
    let genre_weights: Vec<u64> = GENRES.iter().map(|g| g.1).collect();
    let language_weights: Vec<u64> = LANGUAGES.iter().map(|l| l.1).collect();
    (0..count)
        .map(|i| {
            let published_year = match rng.range(0, 9) {
                0 => rng.range(1450, 1899),
                1..=3 => rng.range(1900, 1989),
                _ => rng.range(1990, 2026),
            };
            // Prices cluster on "x.99" points with a long tail; a few free books.
            let price_cents = match rng.range(0, 19) {
                0 => 0,
                1 => rng.range(5_000, 100_000),
                _ => rng.range(3, 40) * 100 - 1,
            };
            Book {
                id: format!("seed{seed}-{i:06}"),
                author: authors[rng.weighted(&author_weights)].0.clone(),
                genre: GENRES[rng.weighted(&genre_weights)].0.to_string(),
                language: LANGUAGES[rng.weighted(&language_weights)].0.to_string(),
                published_year,
                pages: rng.range(1, 1500),
                price_cents,
            }
        })
        .collect()
}

/// Writes books straight into the table (in one transaction, several rows per statement).
pub fn insert(host: &Host, books: &[Book]) {
    migrate::ensure(host.sql).unwrap();
    folio_core::sql::transaction(host.sql, || -> Result<(), folio_core::SqlError> {
        for chunk in books.chunks(50) {
            let placeholders = vec!["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"; chunk.len()].join(", ");
            let mut params: Vec<Value> = Vec::new();
            for b in chunk {
                params.extend([
                    Value::from(b.id.as_str()),
                    Value::from(format!("Title of {}", b.id)),
                    Value::from(b.author.as_str()),
                    Value::from(b.genre.as_str()),
                    Value::from(format!("isbn-{}", b.id)),
                    Value::from(b.published_year),
                    Value::from(b.pages),
                    Value::from(b.price_cents),
                    Value::from(b.language.as_str()),
                    Value::from(""),
                    Value::from("2026-01-01T00:00:00.000Z"),
                    Value::from("2026-01-01T00:00:00.000Z"),
                    Value::from("seed"),
                ]);
            }
            host.sql.execute(
                &format!(
                    "INSERT INTO books (id, title, author, genre, isbn, published_year, pages, \
                     price_cents, language, description, created_at, updated_at, created_by) \
                     VALUES {placeholders}"
                ),
                &params,
            )?;
        }
        Ok(())
    })
    .unwrap();
}

/// A fresh app holding `books`.
pub fn app_with(books: &[Book]) -> TestApp {
    let app = TestApp::new();
    app.with_host(|host| insert(host, books));
    app
}

/// Filters as the tests state them: query-string pairs plus a predicate.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub genre: Option<String>,
    pub author: Option<String>,
    pub language: Option<String>,
    pub year_min: Option<i64>,
    pub year_max: Option<i64>,
}

impl Filter {
    pub fn matches(&self, b: &Book) -> bool {
        self.genre.as_ref().is_none_or(|g| &b.genre == g)
            && self.author.as_ref().is_none_or(|a| &b.author == a)
            && self.language.as_ref().is_none_or(|l| &b.language == l)
            && self.year_min.is_none_or(|y| b.published_year >= y)
            && self.year_max.is_none_or(|y| b.published_year <= y)
    }

    /// The query string, percent-encoded.
    pub fn query(&self) -> String {
        let mut q: Vec<(String, String)> = Vec::new();
        for (k, v) in [("genre", &self.genre), ("author", &self.author), ("language", &self.language)] {
            if let Some(v) = v {
                q.push((k.to_string(), v.clone()));
            }
        }
        if let Some(y) = self.year_min {
            q.push(("year_min".into(), y.to_string()));
        }
        if let Some(y) = self.year_max {
            q.push(("year_max".into(), y.to_string()));
        }
        q.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect::<Vec<_>>().join("&")
    }
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A URI for a report with filters and extra parameters.
pub fn uri(report: &str, filter: &Filter, extra: &str) -> String {
    let parts: Vec<String> =
        [filter.query(), extra.to_string()].into_iter().filter(|p| !p.is_empty()).collect();
    if parts.is_empty() {
        format!("/api/reports/{report}")
    } else {
        format!("/api/reports/{report}?{}", parts.join("&"))
    }
}

/// The filter combinations every report is checked under.
pub fn filter_combinations(books: &[Book]) -> Vec<Filter> {
    let top_author = {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for b in books {
            *counts.entry(&b.author).or_default() += 1;
        }
        counts.into_iter().max_by_key(|(_, n)| *n).unwrap().0.to_string()
    };
    let s = |v: &str| Some(v.to_string());
    vec![
        Filter::default(),
        Filter { genre: s("Fiction"), ..Default::default() },
        Filter { genre: s("Science \"Hard\", Fiction"), ..Default::default() },
        Filter { author: Some(top_author.clone()), ..Default::default() },
        Filter { author: s("O'Brien, Flann"), ..Default::default() },
        Filter { language: s("de"), ..Default::default() },
        Filter { year_min: Some(2000), ..Default::default() },
        Filter { year_max: Some(1899), ..Default::default() },
        Filter { year_min: Some(1950), year_max: Some(1999), ..Default::default() },
        Filter { year_min: Some(1990), year_max: Some(1990), ..Default::default() },
        Filter { genre: s("Mystery"), language: s("en"), ..Default::default() },
        Filter { genre: s("Fantasy"), year_min: Some(1900), year_max: Some(2010), ..Default::default() },
        Filter { author: Some(top_author), language: s("en"), year_min: Some(1990), ..Default::default() },
        Filter {
            genre: s("Poetry"),
            author: s("Author 010"),
            language: s("fr"),
            year_min: Some(1900),
            year_max: Some(2026),
        },
        // Matches nothing.
        Filter { genre: s("Cookery"), ..Default::default() },
        Filter { language: s("cy"), ..Default::default() },
    ]
}

// ---- Independent computations, from the books in memory ----

fn avg_cents(sum: i64, n: usize) -> i64 {
    (sum as f64 / n as f64).round() as i64
}

fn avg_2dp(sum: i64, n: usize) -> f64 {
    (sum as f64 * 100.0 / n as f64).round() / 100.0
}

pub fn expected_summary(books: &[&Book]) -> serde_json::Value {
    let n = books.len();
    let distinct = |f: fn(&Book) -> &str| books.iter().map(|b| f(b)).collect::<HashSet<_>>().len();
    let price: i64 = books.iter().map(|b| b.price_cents).sum();
    let pages: i64 = books.iter().map(|b| b.pages).sum();
    serde_json::json!({
        "books": n,
        "authors": distinct(|b| &b.author),
        "genres": distinct(|b| &b.genre),
        "languages": distinct(|b| &b.language),
        "total_price_cents": price,
        "average_price_cents": (n > 0).then(|| avg_cents(price, n)),
        "average_pages": (n > 0).then(|| avg_2dp(pages, n)),
        "earliest_year": books.iter().map(|b| b.published_year).min(),
        "latest_year": books.iter().map(|b| b.published_year).max(),
    })
}

/// Groups books by a key: (books, price sum, pages sum).
fn groups<'a>(books: &[&'a Book], key: fn(&Book) -> String) -> BTreeMap<String, (usize, i64, i64)> {
    let mut m: BTreeMap<String, (usize, i64, i64)> = BTreeMap::new();
    for b in books {
        let e = m.entry(key(b)).or_default();
        e.0 += 1;
        e.1 += b.price_cents;
        e.2 += b.pages;
    }
    m
}

/// Most books first, ties by name (byte order).
fn ranked(m: BTreeMap<String, (usize, i64, i64)>) -> Vec<(String, (usize, i64, i64))> {
    let mut v: Vec<_> = m.into_iter().collect();
    v.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then_with(|| a.0.cmp(&b.0)));
    v
}

pub fn expected_genres(books: &[&Book]) -> serde_json::Value {
    let total = books.len();
    let items: Vec<_> = ranked(groups(books, |b| b.genre.clone()))
        .into_iter()
        .map(|(genre, (n, price, pages))| {
            serde_json::json!({
                "genre": genre,
                "books": n,
                "share": (n as f64 * 10_000.0 / total as f64).round() / 10_000.0,
                "average_price_cents": avg_cents(price, n),
                "average_pages": avg_2dp(pages, n),
            })
        })
        .collect();
    serde_json::json!({ "items": items })
}

pub fn expected_authors(books: &[&Book], limit: usize) -> serde_json::Value {
    let items: Vec<_> = ranked(groups(books, |b| b.author.clone()))
        .into_iter()
        .take(limit)
        .map(|(author, (n, price, _))| {
            serde_json::json!({"author": author, "books": n, "average_price_cents": avg_cents(price, n)})
        })
        .collect();
    serde_json::json!({ "items": items })
}

pub fn expected_years(books: &[&Book], decade: bool) -> serde_json::Value {
    let mut m: BTreeMap<i64, usize> = BTreeMap::new();
    for b in books {
        let start = if decade { b.published_year - b.published_year % 10 } else { b.published_year };
        *m.entry(start).or_default() += 1;
    }
    let width = if decade { 10 } else { 1 };
    let items: Vec<_> = m
        .into_iter()
        .map(|(start, n)| {
            let kind = if decade { "decade" } else { "year" };
            serde_json::json!({"start": start, "end": start + width - 1, kind: start, "books": n})
        })
        .collect();
    serde_json::json!({"bucket": if decade { "decade" } else { "year" }, "items": items})
}

/// Nearest rank: the smallest value with at least p% of the values at or below it.
fn percentile(sorted: &[i64], p: usize) -> i64 {
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted[rank - 1]
}

pub fn expected_prices(books: &[&Book], buckets: i64) -> serde_json::Value {
    let mut prices: Vec<i64> = books.iter().map(|b| b.price_cents).collect();
    prices.sort_unstable();
    if prices.is_empty() {
        return serde_json::json!({
            "books": 0, "min_cents": null, "max_cents": null,
            "p50_cents": null, "p90_cents": null, "p99_cents": null, "histogram": [],
            "p50": null, "p90": null, "p99": null,
        });
    }
    let (min, max) = (prices[0], *prices.last().unwrap());
    let width = ((max - min + 1) as f64 / buckets as f64).ceil() as i64;
    let histogram: Vec<_> = (0..buckets)
        .map(|i| {
            let from = min + i * width;
            let to = from + width;
            let n = prices.iter().filter(|p| **p >= from && **p < to).count();
            serde_json::json!({"from_cents": from, "to_cents": to, "books": n})
        })
        .collect();
    serde_json::json!({
        "books": prices.len(),
        "min_cents": min,
        "max_cents": max,
        "p50_cents": percentile(&prices, 50),
        "p90_cents": percentile(&prices, 90),
        "p99_cents": percentile(&prices, 99),
        "p50": percentile(&prices, 50),
        "p90": percentile(&prices, 90),
        "p99": percentile(&prices, 99),
        "histogram": histogram,
    })
}
