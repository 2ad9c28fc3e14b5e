//! What 10,000 generated books look like: every one valid by the books component's own rules,
//! and genre shares, author skew, languages, years, pages and prices as designed.

use std::collections::HashMap;

use folio_books::model::{BookDraft, NewBook, PublishedYear};
use folio_core::migrate;
use folio_generator::{
    book::{BookStream, GeneratedBook, EARLIEST_YEAR, LATEST_YEAR},
    isbn::Resolver,
    vocab::{GENRES, LANGUAGES},
};
use folio_native::{NativeSql, SystemClock};

const N: usize = 10_000;

fn ten_thousand(seed: u64) -> (Vec<GeneratedBook>, BookStream) {
    let sql = NativeSql::in_memory();
    migrate::ensure(&sql).unwrap();
    let mut stream = BookStream::new(seed);
    let mut resolver = Resolver::new(&sql);
    let books = stream.take(N, &mut resolver).unwrap();
    (books, stream)
}

fn draft(b: &GeneratedBook) -> BookDraft {
    BookDraft {
        title: b.title.clone(),
        author: b.author.clone(),
        genre: b.genre.to_string(),
        isbn: b.isbn.clone(),
        published_year: b.published_year,
        pages: b.pages,
        price_cents: b.price_cents,
        language: b.language.to_string(),
        description: b.description.clone(),
    }
}

#[test]
fn every_generated_book_passes_the_books_validation_unchanged() {
    use folio_core::Clock;
    let max_year = PublishedYear::max_at(SystemClock.now_ms());
    for seed in [0, 1, folio_generator::MAX_SEED] {
        let (books, _) = ten_thousand(seed);
        for b in &books {
            let parsed = NewBook::parse(&draft(b), max_year)
                .unwrap_or_else(|errors| panic!("seed {seed}: {b:?} fails validation: {errors:?}"));
            // Stored exactly as generated: no normalisation changes a generated value.
            assert_eq!(parsed.isbn.as_str(), b.isbn);
            assert_eq!(parsed.language.as_str(), b.language);
            assert_eq!(parsed.title.as_str(), b.title);
        }
        let isbns: std::collections::HashSet<&str> = books.iter().map(|b| b.isbn.as_str()).collect();
        assert_eq!(isbns.len(), N, "ISBNs repeat within one run");
    }
}

fn shares<'a>(values: impl Iterator<Item = &'a str>) -> HashMap<&'a str, f64> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for v in values {
        *counts.entry(v).or_default() += 1;
    }
    counts.into_iter().map(|(k, n)| (k, n as f64 / N as f64)).collect()
}

/// Within four binomial standard deviations of the designed share (about 1 in 15,000 to fail
/// by chance for one value; the seed is fixed, so the outcome is too).
fn close(observed: f64, expected: f64) -> bool {
    let sd = (expected * (1.0 - expected) / N as f64).sqrt();
    (observed - expected).abs() <= 4.0 * sd + 1e-9
}

#[test]
fn genres_and_languages_have_their_uneven_shares() {
    let (books, _) = ten_thousand(2024);
    let genres = shares(books.iter().map(|b| b.genre));
    let total: u32 = GENRES.iter().map(|(_, w)| w).sum();
    assert_eq!(genres.len(), GENRES.len(), "every genre appears");
    for (genre, weight) in GENRES {
        let expected = f64::from(*weight) / f64::from(total);
        let observed = genres.get(genre).copied().unwrap_or(0.0);
        assert!(close(observed, expected), "{genre}: {observed} vs {expected}");
    }
    assert!(genres["Fiction"] > 10.0 * genres["Art"], "shares are uneven");
    let languages = shares(books.iter().map(|b| b.language));
    let total: u32 = LANGUAGES.iter().map(|(_, w)| w).sum();
    for (language, weight) in LANGUAGES {
        let expected = f64::from(*weight) / f64::from(total);
        let observed = languages.get(language).copied().unwrap_or(0.0);
        assert!(close(observed, expected), "{language}: {observed} vs {expected}");
    }
}

#[test]
fn author_popularity_is_skewed_with_a_long_tail() {
    let (books, stream) = ten_thousand(99);
    let mut per_author: HashMap<&str, usize> = HashMap::new();
    for b in &books {
        *per_author.entry(b.author.as_str()).or_default() += 1;
    }
    let mut counts: Vec<usize> = per_author.values().copied().collect();
    counts.sort_unstable_by(|a, b| b.cmp(a));
    let share = |n: usize| n as f64 / N as f64;
    // The most prolific author is the pool's rank 0, at about its designed share.
    let top = stream.authors().name(0);
    assert!(close(share(per_author[top]), stream.authors().share(0)), "{}", share(per_author[top]));
    // A few prolific authors: the top 20 write about a quarter of the books ...
    let top20: usize = counts.iter().take(20).sum();
    assert!((0.20..0.32).contains(&share(top20)), "top 20 share {}", share(top20));
    // ... and a long tail: most authors have a handful of books, many hundreds appear.
    assert!(per_author.len() > 1200, "{} distinct authors", per_author.len());
    let median = counts[counts.len() / 2];
    assert!(median <= 4, "median books per author {median}");
    assert!(counts[0] >= 20 * median, "top {} vs median {median}", counts[0]);
}

fn mean(xs: impl Iterator<Item = f64>) -> f64 {
    let v: Vec<f64> = xs.collect();
    v.iter().sum::<f64>() / v.len() as f64
}

#[test]
fn years_pages_and_prices_are_plausible_and_correlated() {
    let (books, _) = ten_thousand(31);
    assert!(books.iter().all(|b| (EARLIEST_YEAR..=LATEST_YEAR).contains(&b.published_year)));
    let mut years: Vec<i64> = books.iter().map(|b| b.published_year).collect();
    years.sort_unstable();
    let median_year = years[N / 2];
    assert!((2005..=2022).contains(&median_year), "median year {median_year}");
    assert!(years[N / 100] < 1900, "a few classics before 1900");
    // Pages by genre: children's books are short, fantasy long.
    let pages_of = |g: &str| mean(books.iter().filter(|b| b.genre == g).map(|b| b.pages as f64));
    assert!(pages_of("Children") < 80.0, "{}", pages_of("Children"));
    assert!(pages_of("Fantasy") > 400.0, "{}", pages_of("Fantasy"));
    // Prices end in .99 (or are free), art books cost more than novels ...
    assert!(books.iter().all(|b| b.price_cents == 0 || b.price_cents % 100 == 99));
    let price_of = |g: &str| mean(books.iter().filter(|b| b.genre == g).map(|b| b.price_cents as f64));
    assert!(price_of("Art") > 2.0 * price_of("Fiction"), "{} vs {}", price_of("Art"), price_of("Fiction"));
    // ... and within a genre, longer books cost more (Pearson correlation).
    let fiction: Vec<(f64, f64)> = books
        .iter()
        .filter(|b| b.genre == "Fiction" && b.price_cents > 0)
        .map(|b| (b.pages as f64, b.price_cents as f64))
        .collect();
    let (mx, my) = (mean(fiction.iter().map(|p| p.0)), mean(fiction.iter().map(|p| p.1)));
    let cov: f64 = fiction.iter().map(|(x, y)| (x - mx) * (y - my)).sum();
    let vx: f64 = fiction.iter().map(|(x, _)| (x - mx).powi(2)).sum();
    let vy: f64 = fiction.iter().map(|(_, y)| (y - my).powi(2)).sum();
    let r = cov / (vx * vy).sqrt();
    assert!(r > 0.4, "pages-price correlation {r}");
    // Titles and descriptions vary in length.
    let title_words: Vec<usize> = books.iter().map(|b| b.title.split(' ').count()).collect();
    assert!(title_words.contains(&1) && title_words.iter().any(|&n| n >= 8));
    let lengths: Vec<usize> = books.iter().map(|b| b.description.len()).collect();
    assert!(lengths.contains(&0) && lengths.iter().any(|&n| n > 600));
}
