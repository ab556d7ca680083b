//! What makes a name (a contact's, an account's display name) safe to show and to compare:
//! one canonical form (Unicode NFC, single spaces), at least one visible character, and none
//! of the characters that make two names look alike or turn text around: direction controls,
//! zero-width spaces, fillers. Checked the same way in the browser and on the server.
//!
//! Joiners and variation selectors are how some scripts and emoji are written (ZWNJ in
//! Persian, ZWJ and U+FE0F in emoji sequences), so they are allowed where they do that work:
//! between or after characters beyond ASCII, never beside Latin letters where they could only
//! hide something.

/// `text` in its canonical form: runs of whitespace as one space, trimmed, and composed (NFC),
/// so that `É` typed as `E` + U+0301 is the same name as `É`.
pub fn normalize(text: &str) -> String {
    compose(&text.split_whitespace().collect::<Vec<_>>().join(" "))
}

#[cfg(feature = "ssr")]
fn compose(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    text.nfc().collect()
}

#[cfg(all(feature = "hydrate", not(feature = "ssr")))]
fn compose(text: &str) -> String {
    js_sys::JsString::from(text)
        .normalize("NFC")
        .as_string()
        .unwrap_or_else(|| text.to_owned())
}

#[cfg(not(any(feature = "ssr", feature = "hydrate")))]
fn compose(text: &str) -> String {
    text.to_owned()
}

/// Characters that turn the direction of text (they can make "txt.exe" read "exe.txt").
fn is_direction_control(c: char) -> bool {
    matches!(c, '\u{61C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Characters that take no room, or only blank room, and serve no script.
fn is_hidden(c: char) -> bool {
    matches!(
        c,
        '\u{AD}'
            | '\u{34F}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'
            | '\u{2060}'..='\u{2064}'
            | '\u{206A}'..='\u{206F}'
            | '\u{2800}'
            | '\u{3164}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E001F}'
            | '\u{E0080}'..='\u{E0FFF}'
    )
}

fn is_joiner(c: char) -> bool {
    matches!(c, '\u{200C}' | '\u{200D}')
}

fn is_variation_selector(c: char) -> bool {
    matches!(c, '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}')
}

fn is_tag(c: char) -> bool {
    matches!(c, '\u{E0020}'..='\u{E007F}')
}

/// A character that shows: not a space, control, or any of the kinds above.
fn is_visible(c: char) -> bool {
    !(c.is_whitespace()
        || c.is_control()
        || is_direction_control(c)
        || is_hidden(c)
        || is_joiner(c)
        || is_variation_selector(c)
        || is_tag(c))
}

/// Why `name` (already normalized) cannot be a name, or `None`. `label` starts the message
/// ("Name", "Display name").
pub fn problem(label: &str, name: &str) -> Option<String> {
    let chars: Vec<char> = name.chars().collect();
    if chars.iter().any(|c| c.is_control()) {
        return Some(format!("{label} cannot contain control characters."));
    }
    if chars.iter().copied().any(is_direction_control) {
        return Some(format!(
            "{label} cannot contain characters that change the direction of text (such as U+202E)."
        ));
    }
    if !chars.iter().copied().any(is_visible) {
        return Some(format!("{label} must have at least one visible character."));
    }
    let hidden = chars.iter().enumerate().any(|(at, &c)| {
        let before = at.checked_sub(1).map(|i| chars[i]);
        let after = chars.get(at + 1).copied();
        let beyond_ascii = |c: Option<char>| c.is_some_and(|c| !c.is_ascii() && !c.is_whitespace());
        if is_hidden(c) {
            true
        } else if is_joiner(c) {
            !(beyond_ascii(before) && beyond_ascii(after))
        } else if is_variation_selector(c) {
            // After an emoji or another non-ASCII character, or a keycap's digit, # or *.
            !(beyond_ascii(before) || before.is_some_and(|b| b.is_ascii_digit() || b == '#' || b == '*'))
        } else if is_tag(c) {
            // Only in a flag's tag sequence: after U+1F3F4 or another tag.
            !before.is_some_and(|b| b == '\u{1F3F4}' || is_tag(b))
        } else {
            false
        }
    });
    hidden.then(|| format!("{label} cannot contain invisible characters such as zero-width spaces."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_single_spaced_and_composed() {
        assert_eq!(normalize("  Ada   Lovelace "), "Ada Lovelace");
        #[cfg(feature = "ssr")]
        assert_eq!(normalize("E\u{301}mile"), "Émile");
    }

    #[test]
    fn invisible_reversed_and_hidden_characters_are_refused() {
        for name in [
            "\u{200B}", "\u{FEFF}", "\u{3164}", "\u{2800}", "\u{200D}", "\u{FE0F}",
        ] {
            assert_eq!(
                problem("Name", name).as_deref(),
                Some("Name must have at least one visible character."),
                "{name:?}"
            );
        }
        for name in ["Bob\u{202E}gnp.exe", "\u{2067}Bob", "Bob\u{200F}"] {
            assert!(problem("Name", name).unwrap().contains("direction"), "{name:?}");
        }
        for name in [
            "B\u{200B}ob",
            "Bob\u{FEFF}",
            "B\u{200C}ob",
            "Bob\u{200D}",
            "Bo\u{AD}b",
            "Bob\u{FE0F}",
        ] {
            assert!(problem("Name", name).unwrap().contains("invisible"), "{name:?}");
        }
        assert!(problem("Name", "bell\u{7}").unwrap().contains("control"));
    }

    #[test]
    fn scripts_and_emoji_that_need_joiners_are_accepted() {
        for name in [
            "Ada Lovelace",
            "Émile Zola",
            "می\u{200C}خواهم",
            "👨\u{200D}👩\u{200D}👧 family",
            "❤\u{FE0F} Mum",
            "1\u{FE0F}\u{20E3} first",
            "\u{1F3F4}\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F} Scots",
            "李小龍",
            "AC/DC 100%41 Who? C# & co",
        ] {
            assert_eq!(problem("Name", name), None, "{name:?}");
        }
    }
}
