//! Meeting notes: Markdown rendered to HTML that is safe to put in a page, and a plain-text
//! excerpt for the contacts list.
//!
//! Rendering is bounded work: Markdown's containers (quotes, lists, items) nest at most
//! [`MAX_DEPTH`] deep, deeper ones are flattened into their parent, so a note of 20,000 `>`
//! characters costs what any other note of that length does. (Raw HTML in the notes is
//! sanitized, not flattened; the HTML parser handles its nesting in linear time.) Pages and the mailer render when they show the
//! notes, on a blocking thread ([`render_off_thread`]); the projections keep only the Markdown
//! and the excerpt, which reads a bounded start of it. So no account's notes slow down the
//! thread that stores everyone's events.

use std::sync::LazyLock;

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

/// Characters of the excerpt shown in the contacts list.
const EXCERPT_CHARS: usize = 120;

/// Bytes of the notes the excerpt reads: enough for its text under any ordinary formatting.
const EXCERPT_SOURCE: usize = 4 * 1024;

/// How deep quotes, lists and list items nest in the rendered notes.
pub const MAX_DEPTH: usize = 16;

/// Renders `markdown` to HTML and sanitizes it (ammonia): no scripts, no event-handler
/// attributes, no `javascript:` links, and links open with `rel="noopener noreferrer"`.
pub fn render(markdown: &str) -> String {
    debug_assert_ne!(
        std::thread::current().name(),
        Some(crate::crm::WRITER_THREAD),
        "notes are rendered off the thread that stores everyone's events"
    );
    // The sanitizer's rules are built once: building them costs about as much as a short note.
    static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
        let mut builder = ammonia::Builder::default();
        builder
            .url_schemes(["http", "https", "mailto", "tel"].into())
            .link_rel(Some("noopener noreferrer nofollow"));
        builder
    });
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, bounded(Parser::new_ext(markdown, options())));
    SANITIZER.clean(&html).to_string()
}

/// [`render`] on a blocking thread, off the async threads that serve everyone's requests.
pub async fn render_off_thread(markdown: String) -> String {
    let source: std::sync::Arc<str> = markdown.into();
    let rendering = source.clone();
    match tokio::task::spawn_blocking(move || render(&rendering)).await {
        Ok(html) => html,
        // Rendering panicked: show the notes as plain text instead of failing the page.
        Err(error) => {
            tracing::error!(%error, "rendering meeting notes failed");
            plain(&source)
        }
    }
}

/// `text` as preformatted HTML text.
fn plain(text: &str) -> String {
    let escaped = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    format!("<pre>{escaped}</pre>")
}

/// Whether `tag` opens a container whose nesting is bounded.
fn is_container(tag: &Tag<'_>) -> bool {
    matches!(tag, Tag::BlockQuote(_) | Tag::List(_) | Tag::Item)
}

fn ends_container(tag: &TagEnd) -> bool {
    matches!(tag, TagEnd::BlockQuote(_) | TagEnd::List(_) | TagEnd::Item)
}

/// Whether raw HTML in the notes opens or closes a part of a table. Tables come from
/// Markdown's own syntax, always well formed; raw table tags out of place would make the HTML
/// parser move content around ("foster parenting"), and log a warning each time.
fn has_table_tag(html: &str) -> bool {
    const TABLE_TAGS: &[&str] = &[
        "table", "thead", "tbody", "tfoot", "tr", "td", "th", "caption", "colgroup", "col",
    ];
    html.match_indices('<').any(|(at, _)| {
        let rest = html[at + 1..].trim_start_matches('/').trim_start();
        let name: String = rest
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        TABLE_TAGS.contains(&name.as_str())
    })
}

/// The events of `parser` with containers deeper than [`MAX_DEPTH`] left out (their content
/// stays, in the deepest container kept), and raw HTML with table tags shown as text.
fn bounded<'a>(parser: Parser<'a>) -> impl Iterator<Item = Event<'a>> {
    // For each open container: whether it was kept.
    let mut open: Vec<bool> = Vec::new();
    let mut kept = 0usize;
    let parser = parser.map(|event| match event {
        Event::Html(html) | Event::InlineHtml(html) if has_table_tag(&html) => Event::Text(html),
        event => event,
    });
    parser.filter(move |event| match event {
        Event::Start(tag) if is_container(tag) => {
            let keep = kept < MAX_DEPTH;
            open.push(keep);
            kept += usize::from(keep);
            keep
        }
        Event::End(tag) if ends_container(tag) => {
            let keep = open.pop().unwrap_or(true);
            kept -= usize::from(keep);
            keep
        }
        _ => true,
    })
}

fn options() -> Options {
    Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TABLES | Options::ENABLE_TASKLISTS
}

/// The start of `text`, at most `bytes` long, cut at a character.
fn prefix(text: &str, bytes: usize) -> &str {
    if text.len() <= bytes {
        return text;
    }
    let mut end = bytes;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The start of the notes' text, without Markdown syntax, on one line.
pub fn excerpt(markdown: &str) -> String {
    let mut text = String::new();
    for event in Parser::new_ext(prefix(markdown, EXCERPT_SOURCE), options()) {
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

    /// How deep `tag` elements nest in `html`.
    fn nesting(html: &str, tag: &str) -> usize {
        let (open, close) = (format!("<{tag}"), format!("</{tag}>"));
        let (mut depth, mut deepest, mut rest) = (0usize, 0usize, html);
        while let Some(at) = rest.find('<') {
            rest = &rest[at..];
            if rest.starts_with(&close) {
                depth = depth.saturating_sub(1);
            } else if rest.starts_with(&open) {
                depth += 1;
                deepest = deepest.max(depth);
            }
            rest = &rest[1..];
        }
        deepest
    }

    #[test]
    fn deeply_nested_notes_are_flattened_and_keep_their_text() {
        let quotes = format!("{}deep inside", "> ".repeat(10_000));
        let html = render(&quotes);
        assert_eq!(nesting(&html, "blockquote"), MAX_DEPTH, "{}", &html[..200]);
        assert!(html.contains("deep inside"));
        let lists: String = (0..2_000)
            .map(|depth| format!("{}- level {depth}\n", "  ".repeat(depth)))
            .collect();
        let html = render(&lists);
        assert!(
            nesting(&html, "ul") + nesting(&html, "li") <= MAX_DEPTH,
            "{}",
            &html[..400]
        );
        assert!(html.contains("level 1999"));
        let shallow = render("> quoted\n>\n> > twice\n\n- a\n  - b");
        assert_eq!(nesting(&shallow, "blockquote"), 2, "{shallow}");
        assert_eq!(nesting(&shallow, "ul"), 2, "{shallow}");
    }

    /// Counts what html5ever and the rest log at warning level or above while notes render.
    struct Counter(std::sync::atomic::AtomicUsize);

    impl log::Log for Counter {
        fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
            metadata.level() <= log::Level::Warn
        }
        fn log(&self, record: &log::Record<'_>) {
            if self.enabled(record.metadata()) {
                self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }
        fn flush(&self) {}
    }

    static WARNINGS: Counter = Counter(std::sync::atomic::AtomicUsize::new(0));

    #[test]
    fn hostile_notes_render_without_flooding_the_log() {
        let _ = log::set_logger(&WARNINGS);
        log::set_max_level(log::LevelFilter::Warn);
        let before = WARNINGS.0.load(std::sync::atomic::Ordering::Relaxed);
        for notes in [
            format!("{}x", "> ".repeat(10_000)),
            "<table>text<tr>more</tr></table>\n".repeat(500),
            format!("{}x", "- ".repeat(5_000)),
            "<b>".repeat(5_000),
            "[".repeat(10_000),
        ] {
            render(&notes);
        }
        let warnings = WARNINGS.0.load(std::sync::atomic::Ordering::Relaxed) - before;
        assert_eq!(warnings, 0);
        let table = render("| a | b |\n| - | - |\n| <b>1</b> | 2 |\n\n<table><tr><td>raw</td></tr></table>");
        assert!(table.contains("<td><b>1</b></td>"), "{table}");
        assert!(
            table.contains("&lt;table&gt;"),
            "raw table tags show as text: {table}"
        );
    }

    #[test]
    fn the_excerpt_reads_only_the_start_of_long_notes() {
        let notes = format!("Agenda first.\n\n{}", "> ".repeat(50_000));
        assert_eq!(excerpt(&notes), "Agenda first.");
        assert_eq!(prefix("é".repeat(3).as_str(), 3), "é");
    }
}
