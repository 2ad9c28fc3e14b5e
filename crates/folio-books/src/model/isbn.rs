//! ISBN-13, the only form the catalogue stores.

use std::fmt;

use serde::Serialize;

/// Why a string is not an ISBN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IsbnError {
    /// Not 13 digits once hyphens and spaces are removed (or a stray character).
    Shape,
    /// An ISBN-10: the contract takes ISBN-13 only (API.md), so it is named rather than converted.
    Isbn10,
    /// 13 digits not starting with the Bookland prefixes 978 or 979.
    Prefix,
    /// The check digit does not match.
    CheckDigit,
}

impl fmt::Display for IsbnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IsbnError::Shape => "must be an ISBN-13: 13 digits, hyphens and spaces allowed",
            IsbnError::Isbn10 => {
                "must be an ISBN-13: an ISBN-10 is not accepted (its ISBN-13 is 978, its first nine digits and a new check digit)"
            }
            IsbnError::Prefix => "must be an ISBN-13 starting with 978 or 979",
            IsbnError::CheckDigit => "is not a valid ISBN: the check digit does not match",
        })
    }
}

/// A valid ISBN-13 as 13 ASCII digits. It can only be built through [`Isbn13::parse`] or
/// [`Isbn13::from_first_12`], so holding one proves the check digit and prefix are right.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Isbn13(String);

impl Isbn13 {
    /// Longest input accepted: 13 digits with a separator between each, plus slack. Anything
    /// longer is not an ISBN however it is punctuated.
    const MAX_INPUT: usize = 40;

    /// Parses an ISBN-13 with hyphens and spaces anywhere. The contract (API.md) takes ISBN-13
    /// only; a well-formed ISBN-10 is refused with its own message, so the caller learns how to
    /// write it (its 978 form) instead of reading "not 13 digits".
    pub fn parse(raw: &str) -> Result<Self, IsbnError> {
        if raw.len() > Self::MAX_INPUT {
            return Err(IsbnError::Shape);
        }
        let compact: Vec<char> = raw.chars().filter(|c| *c != '-' && *c != ' ').collect();
        if compact.len() == 10 && looks_like_isbn10(&compact) {
            return Err(IsbnError::Isbn10);
        }
        if compact.len() != 13 {
            return Err(IsbnError::Shape);
        }
        let digits = to_digits(&compact).ok_or(IsbnError::Shape)?;
        if digits[..3] != [9, 7, 8] && digits[..3] != [9, 7, 9] {
            return Err(IsbnError::Prefix);
        }
        if check_digit_13(&digits[..12]) != digits[12] {
            return Err(IsbnError::CheckDigit);
        }
        Ok(Self(compact.iter().collect()))
    }

    /// Completes 12 digits starting with 978 or 979 with their check digit: what a generator
    /// needs to make valid ISBNs.
    pub fn from_first_12(first12: &str) -> Result<Self, IsbnError> {
        let chars: Vec<char> = first12.chars().collect();
        if chars.len() != 12 {
            return Err(IsbnError::Shape);
        }
        let digits = to_digits(&chars).ok_or(IsbnError::Shape)?;
        if digits[..3] != [9, 7, 8] && digits[..3] != [9, 7, 9] {
            return Err(IsbnError::Prefix);
        }
        Ok(Self::from_digits12(&digits))
    }

    fn from_digits12(digits: &[u8]) -> Self {
        let check = check_digit_13(digits);
        let mut s: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
        s.push(char::from(b'0' + check));
        Self(s)
    }

    /// The 13 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Nine digits and a check character (a digit or `X`): the shape of an ISBN-10, valid or not.
fn looks_like_isbn10(chars: &[char]) -> bool {
    chars[..9].iter().all(char::is_ascii_digit)
        && (chars[9].is_ascii_digit() || matches!(chars[9], 'X' | 'x'))
}

fn to_digits(chars: &[char]) -> Option<Vec<u8>> {
    chars.iter().map(|c| if c.is_ascii_digit() { Some(*c as u8 - b'0') } else { None }).collect()
}

/// The ISBN-13 (EAN-13) check digit: weights 1, 3, 1, 3, ...
fn check_digit_13(first12: &[u8]) -> u8 {
    let sum: u32 = first12.iter().enumerate().map(|(i, d)| *d as u32 * if i % 2 == 0 { 1 } else { 3 }).sum();
    ((10 - sum % 10) % 10) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_valid_isbn13_with_separators() {
        for raw in ["9780306406157", "978-0-306-40615-7", "978 0 306 40615 7", "979-10-90636-07-1"] {
            let isbn = Isbn13::parse(raw).unwrap_or_else(|e| panic!("{raw}: {e}"));
            assert_eq!(isbn.as_str().len(), 13);
            assert!(isbn.as_str().chars().all(|c| c.is_ascii_digit()));
        }
        assert_eq!(Isbn13::parse("978-0-306-40615-7").unwrap().as_str(), "9780306406157");
    }

    #[test]
    fn refuses_isbn10_by_name() {
        // 0-306-40615-2 and 080442957X are real ISBN-10s (the second with an X check digit).
        for raw in ["0-306-40615-2", "0306406152", "0-8044-2957-X", "080442957x", "0306406153"] {
            assert_eq!(Isbn13::parse(raw), Err(IsbnError::Isbn10), "{raw}");
        }
        assert_eq!(Isbn13::parse("978-0-306-40615-7").unwrap().as_str(), "9780306406157");
    }

    #[test]
    fn refuses_bad_check_digits_prefixes_and_shapes() {
        assert_eq!(Isbn13::parse("9780306406158"), Err(IsbnError::CheckDigit));
        // A valid EAN-13 that is not a book.
        assert_eq!(Isbn13::parse("4006381333931"), Err(IsbnError::Prefix));
        for raw in [
            "",
            "978030640615",
            "97803064061577",
            "978030640615X",
            "X306406152",
            "978_0306406157",
            "03064061X2",
        ] {
            assert_eq!(Isbn13::parse(raw), Err(IsbnError::Shape), "{raw}");
        }
        assert_eq!(Isbn13::parse(&"-".repeat(100)), Err(IsbnError::Shape));
        assert_eq!(Isbn13::parse("٩٧٨٠٣٠٦٤٠٦١٥٧"), Err(IsbnError::Shape), "non-ASCII digits");
    }

    #[test]
    fn completes_twelve_digits() {
        assert_eq!(Isbn13::from_first_12("978030640615").unwrap().as_str(), "9780306406157");
        assert!(Isbn13::from_first_12("123456789012").is_err());
        assert!(Isbn13::from_first_12("97803064061").is_err());
    }
}
