//! One generated book, and the sequence of them that a seed defines.
//!
//! Book `i` of a seed is drawn from the seed's stream after books `0..i`, field by field in a
//! fixed order (genre, language, ISBN prefix and body, author, year, pages, price, title,
//! description), so a run of `n` books begins with the books of any shorter run.

use serde::Serialize;

use crate::{
    authors::{push_capitalized, Authors},
    isbn::{isbn13, Drawn, IsbnError, Resolver},
    rng::{Stream, Weighted, BOOKS_TAG},
    vocab::{genre_shape, isbn_prefixes, GENRES, LANGUAGES, LOREM},
};

/// The latest publication year drawn. Fixed rather than read from the clock: the same seed must
/// give the same books next year too.
pub const LATEST_YEAR: i64 = 2025;
/// The earliest publication year the catalogue accepts.
pub const EARLIEST_YEAR: i64 = 1450;

/// A book's content as generated: everything but the bookkeeping columns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GeneratedBook {
    pub title: String,
    pub author: String,
    pub genre: &'static str,
    pub isbn: String,
    pub published_year: i64,
    pub pages: i64,
    pub price_cents: i64,
    pub language: &'static str,
    pub description: String,
}

/// Title lengths in words, weighted: mostly two to four.
static TITLE_WORDS: [(u64, u32); 8] = [(1, 8), (2, 22), (3, 28), (4, 20), (5, 10), (6, 6), (7, 4), (8, 2)];
/// Description lengths in sentences, weighted.
static SENTENCES: [(u64, u32); 8] = [(0, 2), (1, 10), (2, 20), (3, 25), (4, 19), (5, 12), (6, 8), (7, 4)];

/// The books of one seed, in order.
pub struct BookStream {
    stream: Stream,
    authors: Authors,
    genres: Weighted<&'static str>,
    languages: Weighted<&'static str>,
    title_words: Weighted<u64>,
    sentences: Weighted<u64>,
}

impl BookStream {
    pub fn new(seed: u64) -> Self {
        Self {
            stream: Stream::new(seed, BOOKS_TAG),
            authors: Authors::new(),
            genres: Weighted::new(GENRES),
            languages: Weighted::new(LANGUAGES),
            title_words: Weighted::new(&TITLE_WORDS),
            sentences: Weighted::new(&SENTENCES),
        }
    }

    pub fn authors(&self) -> &Authors {
        &self.authors
    }

    /// The next `n` books, with ISBNs made unique by `resolver`.
    pub fn take(&mut self, n: usize, resolver: &mut Resolver) -> Result<Vec<GeneratedBook>, IsbnError> {
        let (mut books, drawn): (Vec<GeneratedBook>, Vec<Drawn>) = (0..n).map(|_| self.draw()).unzip();
        for (book, isbn12) in books.iter_mut().zip(resolver.resolve(&drawn)?) {
            book.isbn = isbn13(isbn12);
        }
        Ok(books)
    }

    /// The next book, with its ISBN as drawn (not yet made unique).
    pub fn draw(&mut self) -> (GeneratedBook, Drawn) {
        let s = &mut self.stream;
        let genre = self.genres.pick(s);
        let language = self.languages.pick(s);
        let drawn = draw_isbn(s, language);
        let author = self.authors.name(self.authors.pick(s)).to_string();
        let published_year = draw_year(s);
        let shape = genre_shape(genre);
        let pages = (libm::round(s.log_normal(shape.median_pages, shape.pages_sigma)) as i64).clamp(12, 3000);
        let price_cents = draw_price(s, published_year, pages, shape.base_cents, shape.cents_per_page);
        let title = draw_title(s, &self.title_words);
        let description = draw_description(s, &self.sentences);
        let book = GeneratedBook {
            title,
            author,
            genre,
            isbn: String::new(),
            published_year,
            pages,
            price_cents,
            language,
            description,
        };
        (book, drawn)
    }
}

fn draw_isbn(s: &mut Stream, language: &str) -> Drawn {
    let prefixes = isbn_prefixes(language);
    let total: u64 = prefixes.iter().map(|(_, w)| u64::from(*w)).sum();
    let mut r = s.below(total);
    let mut prefix = prefixes[0].0;
    for (p, w) in prefixes {
        if r < u64::from(*w) {
            prefix = p;
            break;
        }
        r -= u64::from(*w);
    }
    let prefix_len = prefix.len() as u32;
    let span = 10u64.pow(12 - prefix_len);
    let prefix_value: u64 = prefix.parse().expect("prefixes are digits");
    Drawn { isbn12: prefix_value * span + s.below(span), prefix_len }
}

/// Mostly recent books (exponentially fewer each year back), some from the twentieth century,
/// a few older classics.
fn draw_year(s: &mut Stream) -> i64 {
    let kind = s.below(100);
    if kind < 72 {
        let age = libm::floor(-libm::log(1.0 - s.unit()) * 7.0) as i64;
        (LATEST_YEAR - age).max(1950)
    } else if kind < 94 {
        s.between(1900, 1999)
    } else {
        let age = libm::floor(-libm::log(1.0 - s.unit()) * 80.0) as i64;
        (1899 - age).max(EARLIEST_YEAR)
    }
}

/// A list price correlated with length and genre, ending in .99; a quarter of the pre-1900
/// classics are free (public-domain editions).
fn draw_price(s: &mut Stream, year: i64, pages: i64, base_cents: f64, cents_per_page: f64) -> i64 {
    let noise = s.log_normal(1.0, 0.2);
    if year < 1900 && s.chance(1, 4) {
        return 0;
    }
    let raw = (base_cents + cents_per_page * pages as f64) * noise;
    let dollars = (libm::round(raw / 100.0) as i64).max(1);
    (dollars * 100 - 1).min(100_000_000)
}

fn word(s: &mut Stream) -> &'static str {
    LOREM[s.below(LOREM.len() as u64) as usize]
}

/// Title-cased lorem words, sometimes with a subtitle.
fn draw_title(s: &mut Stream, lengths: &Weighted<u64>) -> String {
    let n = lengths.pick(s);
    let mut title = String::with_capacity(64);
    push_title_words(s, &mut title, n);
    if s.chance(15, 100) {
        let m = s.between(2, 5) as u64;
        title.push_str(": ");
        push_title_words(s, &mut title, m);
    }
    title
}

/// `n` capitalized lorem words, separated by spaces.
fn push_title_words(s: &mut Stream, out: &mut String, n: u64) {
    for i in 0..n {
        if i > 0 {
            out.push(' ');
        }
        push_capitalized(out, word(s));
    }
}

/// Lorem sentences of five to sixteen words, some with a comma; sometimes none at all.
fn draw_description(s: &mut Stream, sentences: &Weighted<u64>) -> String {
    let n = sentences.pick(s);
    // About 270 bytes on average (docs/generator.md): one allocation for most descriptions.
    let mut text = String::with_capacity(512);
    for i in 0..n {
        if i > 0 {
            text.push(' ');
        }
        let len = s.between(5, 16);
        let comma_after = if s.chance(1, 5) { s.between(2, len - 2) } else { -1 };
        for w in 0..len {
            let next = word(s);
            if w == 0 {
                push_capitalized(&mut text, next);
            } else {
                text.push(' ');
                text.push_str(next);
            }
            if w == comma_after - 1 {
                text.push(',');
            }
        }
        text.push('.');
    }
    text
}
