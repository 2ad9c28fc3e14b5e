//! The scalar fields of a book, each a type that can only hold a valid value.

use serde::Serialize;
use unicode_normalization::UnicodeNormalization;

/// Unicode's composed form (NFC): "José" typed with `é` and typed with `e` and a combining
/// accent are one string to the filters, the reports' groups and uniqueness, as they are to a
/// reader. Canonical equivalence only (not NFKC): `ﬁ` and `²` stay as written.
pub fn composed(text: &str) -> String {
    text.nfc().collect()
}

/// Checks a one-line text: trimmed of what shows nothing at its edges (white space, zero-width
/// characters: [`folio_core::text::trim_blank_edges`]), `min..=max` characters (Unicode scalar
/// values, counted in NFC), and no control characters, which have no place in a title or a name
/// and break CSV and terminals.
fn one_line(raw: &str, min: usize, max: usize) -> Result<String, String> {
    let text = &composed(folio_core::text::trim_blank_edges(raw));
    let chars = text.chars().count();
    if chars < min || chars > max {
        return Err(format!("must be {min} to {max} characters"));
    }
    if text.chars().any(folio_core::text::is_hidden_control) {
        return Err("must not contain control characters (bidirectional overrides included)".to_string());
    }
    if min > 0 && !folio_core::text::has_visible(text) {
        return Err(
            "must contain a visible character (not only zero-width or other invisible ones)".to_string()
        );
    }
    Ok(text.to_string())
}

macro_rules! one_line_text {
    ($(#[$doc:meta])* $name:ident, $min:expr, $max:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub const MIN_CHARS: usize = $min;
            pub const MAX_CHARS: usize = $max;

            /// Trims what shows nothing at the edges, then checks length and characters.
            pub fn parse(raw: &str) -> Result<Self, String> {
                one_line(raw, Self::MIN_CHARS, Self::MAX_CHARS).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
    };
}

one_line_text!(
    /// A title: 1–300 characters.
    Title, 1, 300
);
one_line_text!(
    /// An author's name: 1–200 characters.
    Author, 1, 200
);
one_line_text!(
    /// A genre: 1–50 characters, free text (the catalogue does not fix the set).
    Genre, 1, 50
);

/// A description: up to 10,000 characters, possibly empty. Kept as written (line breaks and
/// tabs allowed), other control characters refused.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Description(String);

impl Description {
    pub const MAX_CHARS: usize = 10_000;

    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = &composed(raw);
        if raw.chars().count() > Self::MAX_CHARS {
            return Err(format!("must be at most {} characters", Self::MAX_CHARS));
        }
        if raw.chars().any(|c| folio_core::text::is_hidden_control(c) && !matches!(c, '\n' | '\r' | '\t')) {
            return Err("must not contain control characters other than line breaks and tabs".into());
        }
        Ok(Self(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The year a book was published: from 1450 (Gutenberg) to next year (announced books), where
/// "next year" comes from the host clock, never from the build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct PublishedYear(i32);

impl PublishedYear {
    pub const MIN: i32 = 1450;

    /// The latest acceptable year at `now_ms` (milliseconds since the epoch, UTC).
    pub fn max_at(now_ms: i64) -> i32 {
        let now = time::OffsetDateTime::from_unix_timestamp_nanos(now_ms as i128 * 1_000_000)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        now.year() + 1
    }

    /// `max` is [`PublishedYear::max_at`] of the current time.
    pub fn parse(year: i64, max: i32) -> Result<Self, String> {
        if year < Self::MIN as i64 || year > max as i64 {
            return Err(format!("must be from {} to {max}", Self::MIN));
        }
        Ok(Self(year as i32))
    }

    pub fn get(self) -> i32 {
        self.0
    }
}

macro_rules! bounded_int {
    ($(#[$doc:meta])* $name:ident, $inner:ty, $min:expr, $max:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name($inner);

        impl $name {
            pub const MIN: $inner = $min;
            pub const MAX: $inner = $max;

            pub fn parse(value: i64) -> Result<Self, String> {
                if value < Self::MIN as i64 || value > Self::MAX as i64 {
                    return Err(format!("must be from {} to {}", Self::MIN, Self::MAX));
                }
                Ok(Self(value as $inner))
            }

            pub fn get(self) -> $inner {
                self.0
            }
        }
    };
}

bounded_int!(
    /// Number of pages: 1–100,000.
    Pages, u32, 1, 100_000
);
bounded_int!(
    /// Price in integer cents: 0–100,000,000 (one million in the currency's units).
    PriceCents, i64, 0, 100_000_000
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_kept_composed() {
        let decomposed = "Jose\u{301} Saramago";
        assert_eq!(Author::parse(decomposed).unwrap().as_str(), "Jos\u{e9} Saramago");
        assert_eq!(Author::parse(decomposed), Author::parse("Jos\u{e9} Saramago"));
        assert_eq!(Description::parse("cafe\u{301}").unwrap().as_str(), "caf\u{e9}");
        assert_eq!(Title::parse("\u{fb01}").unwrap().as_str(), "\u{fb01}", "compatibility forms stay");
    }

    #[test]
    fn text_bounds_count_characters_not_bytes() {
        assert!(Title::parse("").is_err());
        assert!(Title::parse("   ").is_err(), "only whitespace is empty");
        assert!(Title::parse("\u{200B}\u{FEFF}").is_err(), "only zero-width characters is empty too");
        assert_eq!(Title::parse("\u{200B}Dune\u{FEFF}").unwrap().as_str(), "Dune", "blank edges go");
        assert_eq!(Author::parse("\u{FEFF}=HYPERLINK()").unwrap().as_str(), "=HYPERLINK()");
        assert_eq!(Title::parse("  Dune ").unwrap().as_str(), "Dune");
        assert!(Title::parse(&"é".repeat(300)).is_ok(), "300 two-byte characters fit");
        assert!(Title::parse(&"a".repeat(301)).is_err());
        assert!(Author::parse(&"a".repeat(200)).is_ok());
        assert!(Author::parse(&"a".repeat(201)).is_err());
        assert!(Genre::parse(&"a".repeat(50)).is_ok());
        assert!(Genre::parse(&"a".repeat(51)).is_err());
        assert!(Title::parse("line\nbreak").is_err());
        assert!(Author::parse("nul\0byte").is_err());
        // A right-to-left override would show `abc\u{202E}fdp.exe` as `abcexe.pdf` in a list.
        assert!(Title::parse("abc\u{202E}fdp.exe").is_err());
        assert!(Author::parse("\u{2067}isolate").is_err());
        assert!(Title::parse("می\u{200C}خواهم").is_ok(), "a Persian joiner is text");
    }

    #[test]
    fn description_allows_empty_and_line_breaks_up_to_ten_thousand() {
        assert!(Description::parse("").is_ok());
        assert!(Description::parse("one\ntwo\r\n\tthree").is_ok());
        assert!(Description::parse(&"ü".repeat(10_000)).is_ok());
        assert!(Description::parse(&"a".repeat(10_001)).is_err());
        assert!(Description::parse("bell\u{7}").is_err());
        assert!(Description::parse("turn\u{202E}ed").is_err());
    }

    #[test]
    fn year_runs_from_1450_to_next_year_by_the_clock() {
        // 2026-11-23T09:12:16Z
        let max = PublishedYear::max_at(1_795_425_136_000);
        assert_eq!(max, 2027);
        assert!(PublishedYear::parse(1449, max).is_err());
        assert!(PublishedYear::parse(1450, max).is_ok());
        assert!(PublishedYear::parse(2027, max).is_ok());
        assert!(PublishedYear::parse(2028, max).is_err());
        // A year later the bound moves with the clock.
        assert_eq!(PublishedYear::max_at(1_795_425_136_000 + 366 * 86_400_000), 2028);
    }

    #[test]
    fn pages_and_price_bounds() {
        assert!(Pages::parse(0).is_err());
        assert_eq!(Pages::parse(1).unwrap().get(), 1);
        assert!(Pages::parse(100_000).is_ok());
        assert!(Pages::parse(100_001).is_err());
        assert!(Pages::parse(-5).is_err());
        assert!(PriceCents::parse(-1).is_err());
        assert_eq!(PriceCents::parse(0).unwrap().get(), 0);
        assert!(PriceCents::parse(100_000_000).is_ok());
        assert!(PriceCents::parse(100_000_001).is_err());
    }
}
