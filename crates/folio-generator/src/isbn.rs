//! ISBN-13s: drawn from the seeded stream under a real prefix, then made unique against the
//! books already stored and the ones drawn earlier in the same run.
//!
//! Uniqueness is resolved *sequentially*: book `i` gets the first ISBN, walking forward from its
//! drawn one within its registration group, that is neither stored nor taken by books `0..i`.
//! So the outcome depends only on the seed and on what is stored, never on how books are
//! batched: a preview of `n` books equals the first `n` books a run would insert now.
//! Lookups are in bulk: one `IN (...)` query per batch for the drawn ISBNs, and on a collision
//! one range query that covers the next [`WINDOW`] candidates.

use foldhash::HashSet;

use folio_core::{Sql, SqlError, Value};

/// An ISBN drawn for a book: its first 12 digits, and how many of them are the fixed prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Drawn {
    pub isbn12: u64,
    pub prefix_len: u32,
}

impl Drawn {
    /// The next ISBN of the same registration group (the part after the prefix wraps around).
    pub fn advance(self) -> Drawn {
        let span = body_span(self.prefix_len);
        let prefix = self.isbn12 / span;
        let body = (self.isbn12 % span + 1) % span;
        Drawn { isbn12: prefix * span + body, ..self }
    }
}

/// How many distinct bodies a prefix of `prefix_len` digits leaves.
fn body_span(prefix_len: u32) -> u64 {
    10u64.pow(12 - prefix_len)
}

/// The ISBN-13 check digit of 12 digits (weights 1, 3, 1, 3, ...).
pub fn check_digit(isbn12: u64) -> u8 {
    check_digit_of(&digits12(isbn12))
}

fn check_digit_of(digits: &[u8; 12]) -> u8 {
    let sum: u32 =
        digits.iter().enumerate().map(|(i, &d)| u32::from(d) * if i % 2 == 0 { 1 } else { 3 }).sum();
    ((10 - sum % 10) % 10) as u8
}

/// The 12 decimal digits, most significant first, leading zeros included. Arithmetic rather than
/// `format!`: two ISBNs per book are formatted, and formatting showed in a run's profile.
fn digits12(isbn12: u64) -> [u8; 12] {
    debug_assert!(isbn12 < 1_000_000_000_000, "12 digits: {isbn12}");
    let mut digits = [0u8; 12];
    let mut rest = isbn12;
    for digit in digits.iter_mut().rev() {
        *digit = (rest % 10) as u8;
        rest /= 10;
    }
    digits
}

/// The 13-digit form that is stored.
pub fn isbn13(isbn12: u64) -> String {
    let digits = digits12(isbn12);
    let mut isbn = String::with_capacity(13);
    isbn.extend(digits.iter().map(|&d| char::from(b'0' + d)));
    isbn.push(char::from(b'0' + check_digit_of(&digits)));
    isbn
}

/// The first 12 digits of a stored ISBN, if it has that shape.
fn parse_stored(isbn: &str) -> Option<u64> {
    let head = isbn.get(..12)?;
    head.bytes().all(|b| b.is_ascii_digit()).then(|| head.parse().ok()).flatten()
}

/// Successors looked up in bulk for each drawn ISBN found taken.
pub const PREFETCH: usize = 4;

/// How many successors one range query checks after a collision.
pub const WINDOW: u64 = 256;

#[derive(Debug, thiserror::Error)]
pub enum IsbnError {
    #[error(transparent)]
    Sql(#[from] SqlError),
    /// Every ISBN of a registration group is taken: unreachable in practice (the smallest group
    /// here has 100,000 numbers per run of at most 100,000 books, the common ones 10^8).
    #[error("no free ISBN left under prefix {prefix}")]
    Exhausted { prefix: String },
}

/// Assigns unique ISBNs over one run (or preview), reading the stored ones from `sql`.
pub struct Resolver<'a> {
    sql: &'a dyn Sql,
    /// Taken by earlier books of this run.
    used: HashSet<u64>,
    /// Known to be stored.
    stored: HashSet<u64>,
    /// Known to have been looked up (stored or not).
    checked: HashSet<u64>,
    /// Statements issued, for the benchmark and tests.
    pub queries: usize,
}

impl<'a> Resolver<'a> {
    pub fn new(sql: &'a dyn Sql) -> Self {
        Self {
            sql,
            used: HashSet::default(),
            stored: HashSet::default(),
            checked: HashSet::default(),
            queries: 0,
        }
    }

    /// The final ISBN-12s of a batch, in order.
    pub fn resolve(&mut self, drawn: &[Drawn]) -> Result<Vec<u64>, IsbnError> {
        self.look_up(drawn.iter().map(|d| d.isbn12))?;
        // A drawn ISBN that is taken will need its successors: look up the next few of every
        // such book in one more statement, rather than one range query per book (a run that
        // repeats a seed collides on every book).
        let successors: Vec<u64> = drawn
            .iter()
            .filter(|d| self.stored.contains(&d.isbn12) || self.used.contains(&d.isbn12))
            .flat_map(|d| std::iter::successors(Some(d.advance()), |c| Some(c.advance())).take(PREFETCH))
            .map(|c| c.isbn12)
            .collect();
        self.look_up(successors.into_iter())?;
        drawn.iter().map(|d| self.resolve_one(*d)).collect()
    }

    fn resolve_one(&mut self, drawn: Drawn) -> Result<u64, IsbnError> {
        let mut candidate = drawn;
        let mut steps = 0u64;
        loop {
            let c = candidate.isbn12;
            if !self.checked.contains(&c) {
                self.look_up_window(candidate)?;
                continue;
            }
            if self.used.contains(&c) || self.stored.contains(&c) {
                steps += 1;
                if steps >= body_span(candidate.prefix_len) {
                    let prefix = format!("{c:012}")[..candidate.prefix_len as usize].to_string();
                    return Err(IsbnError::Exhausted { prefix });
                }
                candidate = candidate.advance();
                continue;
            }
            self.used.insert(c);
            return Ok(c);
        }
    }

    /// Looks up the not-yet-checked ISBNs among `isbn12s` in one statement.
    fn look_up(&mut self, isbn12s: impl Iterator<Item = u64>) -> Result<(), IsbnError> {
        let mut fresh: Vec<u64> = isbn12s.filter(|c| !self.checked.contains(c)).collect();
        fresh.sort_unstable();
        fresh.dedup();
        // One statement per 30,000: under SQLite's 32,766-parameter limit.
        for chunk in fresh.chunks(30_000) {
            let placeholders = vec!["?"; chunk.len()].join(",");
            let statement = format!("SELECT isbn FROM books WHERE isbn IN ({placeholders})");
            let params: Vec<Value> = chunk.iter().map(|&c| Value::Text(isbn13(c))).collect();
            let rows = self.sql.execute_owned(&statement, params)?;
            self.queries += 1;
            self.stored.extend(rows.iter().filter_map(|r| r.text("isbn").and_then(parse_stored)));
            self.checked.extend(chunk.iter().copied());
        }
        Ok(())
    }

    /// Looks up `from` and its successors in its group, up to [`WINDOW`] of them, in one range
    /// query (ISBNs are fixed-width digit strings, so their order is numeric order).
    fn look_up_window(&mut self, from: Drawn) -> Result<(), IsbnError> {
        let span = body_span(from.prefix_len);
        let body = from.isbn12 % span;
        let count = WINDOW.min(span - body);
        let last = from.isbn12 + count - 1;
        let rows = self.sql.execute(
            "SELECT isbn FROM books WHERE isbn >= ? AND isbn <= ?",
            &[Value::Text(format!("{:012}0", from.isbn12)), Value::Text(format!("{last:012}9"))],
        )?;
        self.queries += 1;
        self.stored.extend(rows.iter().filter_map(|r| r.text("isbn").and_then(parse_stored)));
        self.checked.extend(from.isbn12..=last);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_digits_match_published_isbns() {
        // "The C Programming Language", 2nd ed.; "Structure and Interpretation of Computer
        // Programs", 2nd ed.
        assert_eq!(isbn13(978013110362), "9780131103627");
        assert_eq!(isbn13(978026251087), "9780262510875");
        // 9·1 + 7·3 + 9·1 + 1·3 = 42: the check digit brings it to 50.
        assert_eq!(check_digit(979100000000), 8);
    }

    #[test]
    fn short_numbers_keep_their_leading_zeros() {
        assert_eq!(isbn13(0), "0000000000000");
        assert_eq!(isbn13(12), format!("{:012}{}", 12, check_digit(12)));
        assert_eq!(&isbn13(999_999_999_999)[..12], "999999999999");
    }

    #[test]
    fn advance_wraps_within_the_group() {
        // Prefix 9780 (4 digits), body 99999999 wraps to 00000000.
        let d = Drawn { isbn12: 978_099_999_999, prefix_len: 4 };
        assert_eq!(d.advance().isbn12, 978_000_000_000);
        let e = Drawn { isbn12: 978_995_312_345, prefix_len: 7 };
        assert_eq!(e.advance().isbn12, 978_995_312_346);
    }

    #[test]
    fn stored_isbns_parse_by_their_first_twelve_digits() {
        assert_eq!(parse_stored("9780131103627"), Some(978013110362));
        assert_eq!(parse_stored("97801311"), None);
        assert_eq!(parse_stored("97801311036x7"), None);
    }
}
