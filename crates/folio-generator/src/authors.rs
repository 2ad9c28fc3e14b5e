//! The author pool: a fixed set of lorem names, the same for every seed (so that authors recur
//! across runs, as in a real catalogue), picked with a skewed Zipf–Mandelbrot popularity.

use std::collections::HashSet;

use crate::{
    rng::{Stream, AUTHORS_TAG},
    vocab::{GIVEN_NAMES, LOREM},
};

/// How many authors there are.
pub const POOL_SIZE: usize = 2000;
/// The pool's own seed (with its own domain tag): fixed, so the pool never depends on a run's.
const POOL_SEED: u64 = 0;
/// Popularity of the author of rank `k` (1-based) is proportional to `1 / (k + OFFSET)`:
/// the top author writes about 3% of the books, the top 20 about a quarter, the bottom half
/// about an eighth (a few prolific authors, a long tail).
pub const OFFSET: f64 = 5.0;

pub struct Authors {
    names: Vec<String>,
    /// Cumulative popularity, rank order.
    cumulative: Vec<f64>,
}

impl Default for Authors {
    fn default() -> Self {
        Self::new()
    }
}

impl Authors {
    pub fn new() -> Self {
        let mut stream = Stream::new(POOL_SEED, AUTHORS_TAG);
        let mut names = Vec::with_capacity(POOL_SIZE);
        let mut seen = HashSet::with_capacity(POOL_SIZE);
        while names.len() < POOL_SIZE {
            let name = author_name(&mut stream);
            if seen.insert(name.clone()) {
                names.push(name);
            }
        }
        let mut total = 0.0;
        let cumulative = (1..=POOL_SIZE)
            .map(|k| {
                total += 1.0 / (k as f64 + OFFSET);
                total
            })
            .collect();
        Self { names, cumulative }
    }

    /// The author of the given popularity rank (0 is the most prolific).
    pub fn name(&self, rank: usize) -> &str {
        &self.names[rank]
    }

    /// The expected share of books by the author of `rank`.
    pub fn share(&self, rank: usize) -> f64 {
        let total = *self.cumulative.last().expect("non-empty pool");
        let before = if rank == 0 { 0.0 } else { self.cumulative[rank - 1] };
        (self.cumulative[rank] - before) / total
    }

    /// Picks an author's rank by popularity.
    pub fn pick(&self, stream: &mut Stream) -> usize {
        let total = *self.cumulative.last().expect("non-empty pool");
        let u = stream.unit() * total;
        self.cumulative.partition_point(|&c| c <= u).min(POOL_SIZE - 1)
    }
}

/// "Given Surname", sometimes with a middle initial or a double-barrelled surname.
fn author_name(stream: &mut Stream) -> String {
    let given = GIVEN_NAMES[stream.below(GIVEN_NAMES.len() as u64) as usize];
    let mut name = String::from(given);
    if stream.chance(1, 6) {
        let initial = LOREM[stream.below(LOREM.len() as u64) as usize].as_bytes()[0].to_ascii_uppercase();
        name.push(' ');
        name.push(initial as char);
        name.push('.');
    }
    name.push(' ');
    push_capitalized(&mut name, LOREM[stream.below(LOREM.len() as u64) as usize]);
    if stream.chance(1, 12) {
        name.push('-');
        push_capitalized(&mut name, LOREM[stream.below(LOREM.len() as u64) as usize]);
    }
    name
}

/// Appends the word with its first letter in upper case: into the text being built, because
/// a `String` per word was a good part of generating a book in Wasm (docs/generator.md, Speed).
pub fn push_capitalized(out: &mut String, word: &str) {
    let mut chars = word.chars();
    if let Some(first) = chars.next() {
        out.extend(first.to_uppercase());
        out.push_str(chars.as_str());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capitalizes_the_first_letter_only_and_appends() {
        let mut out = String::from("x ");
        push_capitalized(&mut out, "lorem");
        push_capitalized(&mut out, "");
        push_capitalized(&mut out, "éa");
        assert_eq!(out, "x LoremÉa");
    }

    #[test]
    fn pool_is_unique_and_stable() {
        let a = Authors::new();
        let b = Authors::new();
        assert_eq!(a.names, b.names);
        let unique: HashSet<&String> = a.names.iter().collect();
        assert_eq!(unique.len(), POOL_SIZE);
        assert!(a.names.iter().all(|n| (3..=200).contains(&n.chars().count())));
    }

    #[test]
    fn popularity_is_skewed() {
        let a = Authors::new();
        assert!(a.share(0) > 0.025 && a.share(0) < 0.035, "{}", a.share(0));
        let top20: f64 = (0..20).map(|k| a.share(k)).sum();
        assert!(top20 > 0.2 && top20 < 0.32, "{top20}");
        let shares_sum: f64 = (0..POOL_SIZE).map(|k| a.share(k)).sum();
        assert!((shares_sum - 1.0).abs() < 1e-9);
    }
}
