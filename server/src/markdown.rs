//! Meeting notes: Markdown rendered to HTML that is safe to put in a page, and a plain-text
//! excerpt for the contacts list.

use std::sync::LazyLock;

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

/// Characters of the excerpt shown in the contacts list.
const EXCERPT_CHARS: usize = 120;

/// Renders `markdown` to HTML and sanitizes it (ammonia): no scripts, no event-handler
/// attributes, no `javascript:` links, and links open with `rel="noopener noreferrer"`.
pub fn render(markdown: &str) -> String {
    // The sanitizer's rules are built once: building them costs about as much as a short note.
    static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
        let mut builder = ammonia::Builder::default();
        builder
            .url_schemes(["http", "https", "mailto", "tel"].into())
            .link_rel(Some("noopener noreferrer nofollow"));
        builder
    });
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, Parser::new_ext(markdown, options()));
    SANITIZER.clean(&html).to_string()
}

fn options() -> Options {
    Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TABLES | Options::ENABLE_TASKLISTS
}

/// The start of the notes' text, without Markdown syntax, on one line.
pub fn excerpt(markdown: &str) -> String {
    let mut text = String::new();
    for event in Parser::new_ext(markdown, options()) {
        match event {
            Event::Text(t) | Event::Code(t) => text.push_str(&t),
            Event::SoftBreak
            | Event::HardBreak
            | Event::End(TagEnd::Paragraph | TagEnd::Item | TagEnd::Heading(_)) => text.push(' '),
            Event::Start(Tag::Item) if !text.is_empty() => text.push(' '),
            _ => {}
        }
        if text.chars().count() > EXCERPT_CHARS * 2 {
            break;
        }
    }
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if words.chars().count() <= EXCERPT_CHARS {
        return words;
    }
    let cut: String = words.chars().take(EXCERPT_CHARS).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_is_rendered() {
        let html = render("Ask Sally about **Postgres**\n\n- indexes\n- [docs](https://www.postgresql.org)");
        assert!(html.contains("<strong>Postgres</strong>"), "{html}");
        assert!(html.contains("<li>indexes</li>"), "{html}");
        assert!(html.contains("href=\"https://www.postgresql.org\""), "{html}");
    }

    #[test]
    fn scripts_handlers_and_javascript_links_never_survive() {
        let hostile = "<script>alert(1)</script>\n\n\
            <img src=x onerror=\"alert(2)\">\n\n\
            [click](javascript:alert(3))\n\n\
            <a href=\"javascript:alert(4)\" onclick=\"alert(5)\">x</a>\n\n\
            <p onmouseover=\"alert(6)\">hover</p>\n\n\
            <iframe src=\"https://evil.example\"></iframe>";
        let html = render(hostile).to_lowercase();
        for forbidden in [
            "<script",
            "onerror",
            "onclick",
            "onmouseover",
            "javascript:",
            "<iframe",
            "alert(",
        ] {
            assert!(!html.contains(forbidden), "{forbidden} survived in {html}");
        }
        assert!(html.contains("hover"), "harmless text stays: {html}");
    }

    #[test]
    fn the_excerpt_is_plain_text_cut_at_a_word() {
        assert_eq!(
            excerpt("# Agenda\n\n- ask about **Postgres**\n- `VACUUM`"),
            "Agenda ask about Postgres VACUUM"
        );
        let long = "word ".repeat(100);
        let cut = excerpt(&long);
        assert!(
            cut.ends_with('…') && cut.chars().count() <= EXCERPT_CHARS + 1,
            "{cut}"
        );
        assert_eq!(excerpt(""), "");
    }
}
