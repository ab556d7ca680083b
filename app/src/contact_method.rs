//! Reading what a person typed as a contact's contact method: an email address, a web
//! address, a phone number or other text; and the only links that are ever made of it.

use crate::events::{ContactMethod, ContactMethodKind};

impl ContactMethod {
    /// Recognizes what was typed: nothing (blank), an email address, a web address, a phone
    /// number, or other text such as "@bob on Mastodon".
    pub fn recognize(text: &str) -> Option<Self> {
        let value = text.trim();
        if value.is_empty() {
            return None;
        }
        let kind = if is_email(value) {
            ContactMethodKind::Email
        } else if is_web(value) {
            ContactMethodKind::Web
        } else if is_phone(value) {
            ContactMethodKind::Phone
        } else {
            ContactMethodKind::Other
        };
        Some(Self {
            kind,
            value: value.to_owned(),
        })
    }

    /// Where a link to this contact method goes, if it can be a link. Only `mailto:`, `tel:`,
    /// `http:` and `https:` addresses are ever made, so no typed text can become a script.
    pub fn href(&self) -> Option<String> {
        match self.kind {
            ContactMethodKind::Email => Some(format!("mailto:{}", self.value)),
            ContactMethodKind::Phone => Some(format!(
                "tel:{}",
                self.value
                    .chars()
                    .filter(|c| c.is_ascii_digit() || *c == '+')
                    .collect::<String>()
            )),
            ContactMethodKind::Web if has_web_scheme(&self.value) => Some(self.value.clone()),
            ContactMethodKind::Web => Some(format!("https://{}", self.value)),
            ContactMethodKind::Other => None,
        }
    }
}

fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !text.chars().any(|c| c.is_whitespace() || c == ':' || c == '/')
}

fn has_web_scheme(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

fn is_web(text: &str) -> bool {
    !text.chars().any(char::is_whitespace)
        && (has_web_scheme(text) || text.to_ascii_lowercase().starts_with("www."))
}

fn is_phone(text: &str) -> bool {
    let digits = text.chars().filter(char::is_ascii_digit).count();
    digits >= 5
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '-' | '(' | ')' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contact_methods_are_recognized_and_only_safe_links_are_made() {
        let cases = [
            (
                "  steve@next.com ",
                ContactMethodKind::Email,
                Some("mailto:steve@next.com"),
            ),
            (
                "+44 (0)20 7946 0958",
                ContactMethodKind::Phone,
                Some("tel:+4402079460958"),
            ),
            (
                "https://next.com/steve",
                ContactMethodKind::Web,
                Some("https://next.com/steve"),
            ),
            (
                "www.next.com",
                ContactMethodKind::Web,
                Some("https://www.next.com"),
            ),
            ("@steve on Mastodon", ContactMethodKind::Other, None),
            ("javascript:alert(1)", ContactMethodKind::Other, None),
            ("by post, 1 Infinite Loop", ContactMethodKind::Other, None),
            ("a@b", ContactMethodKind::Other, None),
            ("12 34", ContactMethodKind::Other, None),
        ];
        for (typed, kind, href) in cases {
            let method = ContactMethod::recognize(typed).unwrap();
            assert_eq!((method.kind, method.href().as_deref()), (kind, href), "{typed:?}");
            assert_eq!(method.value, typed.trim());
        }
        assert_eq!(ContactMethod::recognize("   "), None);
    }
}
