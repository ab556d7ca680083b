//! The morning email itself: its Message-ID, subject, and plain-text and HTML parts.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use lettre::Message;
use lettre::message::{Mailbox, MultiPart};
use sha2::{Digest, Sha256};

use crate::time;

/// What the email for one meeting says, and to whom.
pub struct MorningEmail<'a> {
    pub display_name: &'a str,
    pub to: &'a str,
    pub contact: &'a str,
    pub meeting_at: DateTime<Utc>,
    /// The account's time zone, in which the meeting time is given.
    pub zone: Tz,
    /// The notes in Markdown (the plain-text part) and rendered and sanitized (the HTML part).
    pub notes: &'a str,
    pub notes_html: &'a str,
}

/// The Message-ID of the email for the account's meeting with `contact` on `meeting_on`: the
/// same every time it is built, so a second copy (sent again on request) is recognisably the
/// same message.
pub fn message_id(account_id: i64, contact: &str, meeting_on: NaiveDate, domain: &str) -> String {
    let digest = Sha256::digest(format!(
        "kith meeting notes\0{account_id}\0{contact}\0{meeting_on}"
    ));
    let hex: String = digest[..16].iter().map(|byte| format!("{byte:02x}")).collect();
    format!("<meeting-notes.{hex}@{domain}>")
}

/// The recipient address could not be used.
#[derive(Debug, thiserror::Error)]
#[error("the address for notes, “{address}”, cannot be sent to: {reason}")]
pub struct BadAddress {
    pub address: String,
    pub reason: String,
}

impl MorningEmail<'_> {
    /// "Notes for your meeting with Bob at 14:30".
    pub fn subject(&self) -> String {
        let time = self.meeting_at.with_timezone(&self.zone).format("%H:%M");
        format!("Notes for your meeting with {} at {time}", self.contact)
    }

    fn when(&self) -> String {
        format!(
            "{} ({})",
            time::describe(self.meeting_at, self.zone),
            self.zone.name().replace('_', " ")
        )
    }

    pub fn plain_text(&self) -> String {
        let notes = if self.notes.trim().is_empty() {
            "(No notes for this meeting.)"
        } else {
            self.notes
        };
        format!(
            "Your meeting with {contact} is on {when}.\n\nYour notes:\n\n{notes}\n\n-- \nSent by Kith, \
             your personal CRM, on the morning of the meeting.\n",
            contact = self.contact,
            when = self.when(),
        )
    }

    pub fn html(&self) -> String {
        let notes = if self.notes_html.trim().is_empty() {
            "<p><em>No notes for this meeting.</em></p>".to_owned()
        } else {
            // Rendered from Markdown and sanitized when the email is built (crate::meetings::markdown).
            self.notes_html.to_owned()
        };
        format!(
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{subject}</title></head>\
             <body style=\"font-family: system-ui, sans-serif; line-height: 1.5; color: #1f2328\">\
             <p>Your meeting with <strong>{contact}</strong> is on <strong>{when}</strong>.</p>\
             <h2 style=\"font-size: 1.1em\">Your notes</h2>{notes}\
             <hr><p style=\"color: #59636e; font-size: 0.9em\">Sent by Kith, your personal CRM, \
             on the morning of the meeting.</p></body></html>\n",
            subject = escape(&self.subject()),
            contact = escape(self.contact),
            when = escape(&self.when()),
        )
    }

    /// The whole message, from `from`, with the Message-ID `message_id`, dated `now`.
    pub fn build(&self, from: &Mailbox, message_id: &str, now: DateTime<Utc>) -> Result<Message, BadAddress> {
        let bad = |reason: String| BadAddress {
            address: self.to.to_owned(),
            reason,
        };
        let to: Mailbox = self
            .to
            .parse()
            .map_err(|e: lettre::address::AddressError| bad(e.to_string()))?;
        let to = Mailbox::new(
            Some(self.display_name.to_owned()).filter(|n| !n.is_empty()),
            to.email,
        );
        Message::builder()
            .from(from.clone())
            .to(to)
            .subject(self.subject())
            .message_id(Some(message_id.to_owned()))
            .date(now.into())
            .multipart(MultiPart::alternative_plain_html(self.plain_text(), self.html()))
            .map_err(|e| bad(e.to_string()))
    }
}

/// Text made safe to put into HTML.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email<'a>(contact: &'a str, notes: &'a str, notes_html: &'a str) -> MorningEmail<'a> {
        MorningEmail {
            display_name: "Ada",
            to: "ada@example.com",
            contact,
            meeting_at: "2026-11-27T13:30:00Z".parse().unwrap(),
            zone: time::zone("Europe/Paris").unwrap(),
            notes,
            notes_html,
        }
    }

    #[test]
    fn the_message_id_is_stable_and_differs_per_account_contact_and_day() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        let id = message_id(7, "Bob", day, "kith.example");
        assert_eq!(id, message_id(7, "Bob", day, "kith.example"));
        assert!(
            id.starts_with("<meeting-notes.") && id.ends_with("@kith.example>"),
            "{id}"
        );
        assert_ne!(id, message_id(8, "Bob", day, "kith.example"));
        assert_ne!(id, message_id(7, "Sally", day, "kith.example"));
        assert_ne!(id, message_id(7, "Bob", day.succ_opt().unwrap(), "kith.example"));
    }

    #[test]
    fn the_meeting_time_is_given_in_the_accounts_zone_and_the_contact_is_escaped() {
        let email = email(
            "<Bob & Co>",
            "Ask about **Postgres**",
            "<p>Ask about <strong>Postgres</strong></p>",
        );
        assert_eq!(email.subject(), "Notes for your meeting with <Bob & Co> at 14:30");
        assert!(
            email
                .plain_text()
                .contains("Friday 27 November 2026 at 14:30 (Europe/Paris)"),
            "{}",
            email.plain_text()
        );
        assert!(email.plain_text().contains("Ask about **Postgres**"));
        let html = email.html();
        assert!(html.contains("<strong>&lt;Bob &amp; Co&gt;</strong>"), "{html}");
        assert!(
            html.contains("<p>Ask about <strong>Postgres</strong></p>"),
            "{html}"
        );
    }

    #[test]
    fn a_bad_address_is_named() {
        let mut email = email("Bob", "", "");
        email.to = "not an address";
        let from: Mailbox = "Kith <kith@localhost>".parse().unwrap();
        let error = email.build(&from, "<x@localhost>", Utc::now()).unwrap_err();
        assert!(error.to_string().contains("“not an address”"), "{error}");
    }
}
