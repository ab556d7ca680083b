//! Text for the elements whose content the HTML parser does not read as markup (`<title>` and
//! `<textarea>`), escaped for the server-rendered page.
//!
//! leptos_meta 0.8 writes a `<Title>`'s text into the page as it is, and tachys 0.2 writes a
//! `<textarea>`'s children as they are (it escapes children of every other element): a contact
//! called `</title><script>…` would end the element and run the script. Until that is fixed
//! upstream (see `docs/upstream/raw-text-escaping.md`), Kith escapes the text itself on the
//! server. In the browser the same text goes into the DOM (`document.title`, a text node), which
//! never parses it, so there it stays as it is.

/// `text` as the server writes it between `<title>` or `<textarea>` tags: `&`, `<` and `>` as
/// character references, which both elements decode back into the same text. In the browser,
/// `text` unchanged.
pub fn escaped(text: String) -> String {
    if cfg!(feature = "ssr") {
        escape(&text)
    } else {
        text
    }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closing_tags_and_references_cannot_be_written_through() {
        assert_eq!(
            escape("</textarea><img src=x onerror=alert(1)> &lt;"),
            "&lt;/textarea&gt;&lt;img src=x onerror=alert(1)&gt; &amp;lt;"
        );
        assert_eq!(escape("Émile “Zola”"), "Émile “Zola”");
    }
}
