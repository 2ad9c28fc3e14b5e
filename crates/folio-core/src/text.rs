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

#[cfg(test)]
mod tests {
    use super::*;

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
