//! What a line of text that people read (a title, a name, an address line) may not contain.

/// True for a control character (C0, DEL, C1) or an invisible bidirectional control: the
/// embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) and the direction marks
/// (U+200E, U+200F, U+061C). A bidirectional control displays nothing and reorders what follows
/// it, so `abc\u{202E}fdp.exe` reads as `abcexe.pdf` in an admin list, a CSV cell or a terminal.
/// Joiners (U+200C, U+200D) are not refused: Persian and Indic names need them.
pub fn is_hidden_control(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// True for a character that shows nothing on its own: white space, and the invisible format
/// characters (zero-width space and joiners, the word joiner and invisible operators, the byte
/// order mark, the soft hyphen, Hangul fillers, variation selectors, tag characters), besides
/// the hidden controls above. Allowed inside a text, they are not enough to make one.
pub fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || is_hidden_control(c)
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200D}'
                | '\u{2060}'..='\u{2064}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{E0000}'..='\u{E0FFF}'
        )
}

/// True when `text` has at least one character that shows: a title of zero-width spaces is
/// as empty as one of spaces, and reads as a blank row in every list.
pub fn has_visible(text: &str) -> bool {
    text.chars().any(|c| !is_invisible(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_of_invisible_characters_has_nothing_visible() {
        for blank in ["", " ", "\u{200B}", "\u{200B}\u{200D}\u{FEFF}", "\u{3164}\u{00AD}", "\u{E0041}"] {
            assert!(!has_visible(blank), "{blank:?}");
        }
        for shown in ["a", "\u{200B}a", "ک\u{200C}ه", "日本", "\u{1F600}"] {
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
