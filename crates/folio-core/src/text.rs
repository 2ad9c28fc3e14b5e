//! What a line of text that people read (a title, a name, an address line) may not contain.

use std::borrow::Cow;

/// True for a control character (C0, DEL, C1) or an invisible bidirectional control: the
/// embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) and the direction marks
/// (U+200E, U+200F, U+061C). A bidirectional control displays nothing and reorders what follows
/// it, so `abc\u{202E}fdp.exe` reads as `abcexe.pdf` in an admin list, a CSV cell or a terminal.
/// Joiners (U+200C, U+200D) are not refused: Persian and Indic names need them.
pub fn is_hidden_control(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// True for a character that shows nothing on its own: white space and separators, controls,
/// format characters (zero-width space and joiners, the byte order mark, invisible operators,
/// tag characters), combining marks (nothing without a base), the Hangul fillers and the
/// braille blank. The table is generated from the Unicode Character Database
/// (`tools/unicode/invisible_table.py`), not listed by hand. Allowed inside a text, these are not
/// enough to make one.
pub fn is_invisible(c: char) -> bool {
    in_table(crate::text_invisible::INVISIBLE, c)
}

fn in_table(table: &[(char, char)], c: char) -> bool {
    table
        .binary_search_by(|&(low, high)| {
            if high < c {
                std::cmp::Ordering::Less
            } else if low > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// `text` without what shows nothing at its edges: [`str::trim`] for every invisible character
/// of [`is_invisible`] at the start (a zero-width space, a byte order mark, a mark with no base
/// before it) and, at the end, for those that add nothing there (spaces, format characters such as
/// U+200B and U+FEFF; not a combining mark or a variation selector, which ends a syllable or an
/// emoji, nor a tag character, which ends a flag). So `\u{200B}Ann Lee` is the author `Ann Lee`,
/// not a look-alike listed apart from her, and a CSV cell cannot hide a leading `=` behind one.
/// Controls other than white space stay, for the caller to refuse ([`is_hidden_control`]): a
/// text that carries one was not typed by a person.
pub fn trim_blank_edges(text: &str) -> &str {
    let blank = |c: char| c.is_whitespace() || !is_hidden_control(c);
    text.trim_start_matches(|c| is_invisible(c) && blank(c))
        .trim_end_matches(|c| in_table(crate::text_invisible::BLANK_AT_THE_END, c) && blank(c))
}

/// True when `text` has at least one character that shows: a title of zero-width spaces is
/// as empty as one of spaces, and reads as a blank row in every list.
pub fn has_visible(text: &str) -> bool {
    text.chars().any(|c| !is_invisible(c))
}

/// How much of a request's path an answer repeats (a `404`'s detail).
pub const ECHOED_PATH_CHARS: usize = 200;
/// How much of it a log line keeps.
pub const LOGGED_PATH_CHARS: usize = 2048;

/// The longest path segment a log line repeats as sent, in bytes: the app's ids are 26
/// characters and its file names shorter; a longer segment is likelier a token pasted into a URL.
pub const LOGGED_SEGMENT_BYTES: usize = 40;

/// What a log line shows of a request's path: at most [`LOGGED_PATH_CHARS`] (a path of tens of
/// kilobytes, which Spin takes, must not make every line that size), with each segment that may
/// be a secret or an address (longer than [`LOGGED_SEGMENT_BYTES`], or holding an `@`, plain or
/// percent-encoded) shown as `<redacted>`: the log promises no token and no e-mail address, and
/// clients do put them in paths (`GET /api/auth/users/alice@example.com`). Borrowed, with no
/// work beyond one scan, for every path the app itself serves.
pub fn path_for_log(path: &str) -> Cow<'_, str> {
    let path = at_most_chars(path, LOGGED_PATH_CHARS);
    let hidden = |segment: &str| {
        segment.len() > LOGGED_SEGMENT_BYTES
            || segment.contains('@')
            || segment.as_bytes().windows(3).any(|w| w.eq_ignore_ascii_case(b"%40"))
    };
    if !path.split('/').any(hidden) {
        return Cow::Borrowed(path);
    }
    Cow::Owned(
        path.split('/').map(|s| if hidden(s) { "<redacted>" } else { s }).collect::<Vec<_>>().join("/"),
    )
}

/// At most `max` characters of `s` (on a character boundary): what an answer or a log line
/// repeats of something a client sent, so that a 64 KiB path is not echoed back or logged whole.
pub fn at_most_chars(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_edges_go_and_what_ends_a_syllable_or_an_emoji_stays() {
        assert_eq!(trim_blank_edges("\u{200B}\u{FEFF} Ann Lee\u{200B}\u{2060} "), "Ann Lee");
        assert_eq!(trim_blank_edges("\u{301}\u{200D}=cmd"), "=cmd", "a mark with no base before it");
        // A virama ends a Devanagari conjunct; a variation selector an emoji; a cancel tag a flag.
        for kept in [
            "\u{915}\u{94D}",
            "\u{2764}\u{FE0F}",
            "\u{1F3F4}\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}",
        ] {
            assert_eq!(trim_blank_edges(kept), kept);
        }
        assert_eq!(trim_blank_edges("\u{200B}\u{200B}"), "");
        assert_eq!(trim_blank_edges("a\u{200B}b"), "a\u{200B}b", "only the edges");
        assert_eq!(trim_blank_edges("\u{202E}abc\u{7}\t"), "\u{202E}abc\u{7}", "controls stay to be refused");
    }

    #[test]
    fn logged_paths_hide_what_may_be_a_token_or_an_address() {
        let id = "01jc8f1x2y3z4a5b6c7d8e9f0g";
        let book = format!("/api/books/{id}");
        assert!(matches!(path_for_log(&book), Cow::Borrowed(p) if p == book));
        let jwt = "eyJhbGciOiJFZERTQSIsImtpZCI6ImsxIn0.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
        assert_eq!(path_for_log(&format!("/api/books/{jwt}")), "/api/books/<redacted>");
        assert_eq!(
            path_for_log("/api/auth/users/alice@example.com/password"),
            "/api/auth/users/<redacted>/password"
        );
        assert_eq!(path_for_log("/api/auth/users/alice%40example.com"), "/api/auth/users/<redacted>");
        assert_eq!(
            path_for_log("/assets/swagger-ui/swagger-ui-bundle.js.LICENSE.txt"),
            "/assets/swagger-ui/swagger-ui-bundle.js.LICENSE.txt"
        );
        let long = "/x".repeat(5_000);
        assert_eq!(path_for_log(&long).chars().count(), LOGGED_PATH_CHARS);
    }

    #[test]
    fn at_most_chars_cuts_on_a_character_boundary() {
        assert_eq!(at_most_chars("abc", 5), "abc");
        assert_eq!(at_most_chars("ééé", 2), "éé");
        assert_eq!(at_most_chars("", 0), "");
    }

    #[test]
    fn the_generated_table_is_sorted_and_disjoint() {
        let table = crate::text_invisible::INVISIBLE;
        assert!(table.iter().all(|(low, high)| low <= high));
        assert!(table.windows(2).all(|w| w[0].1 < w[1].0));
    }

    #[test]
    fn a_text_of_invisible_characters_has_nothing_visible() {
        for blank in [
            "",
            " ",
            "\u{200B}",
            "\u{200B}\u{200D}\u{FEFF}",
            "\u{3164}\u{00AD}",
            "\u{E0041}",
            "\u{2800}",
            "\u{206A}\u{206F}",
            "\u{1D173}",
            "\u{1BCA0}",
            "\u{0600}",
            "\u{13430}",
            "\u{FFF9}\u{FFFB}",
            "\u{301}",
            "\u{180E}",
        ] {
            assert!(!has_visible(blank), "{blank:?}");
        }
        for shown in
            ["a", "\u{200B}a", "ک\u{200C}ه", "日本", "\u{1F600}", "e\u{301}", "क्ष", "ไทย", "\u{10FFFD}"]
        {
            assert!(has_visible(shown), "{shown:?}");
        }
    }

    #[test]
    fn controls_and_bidi_overrides_are_hidden_joiners_and_letters_are_not() {
        for c in ['\u{0}', '\n', '\u{7F}', '\u{85}', '\u{202E}', '\u{2066}', '\u{200F}', '\u{061C}'] {
            assert!(is_hidden_control(c), "{:?}", c);
        }
        for c in ['a', 'é', 'ا', '\u{200C}', '\u{200D}', ' ', '\u{A0}'] {
            assert!(!is_hidden_control(c), "{:?}", c);
        }
    }
}
