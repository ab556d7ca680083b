//! What makes an interaction or a next meeting valid, checked the same way in the browser and
//! on the server; the limits match the event schemas (a test keeps them in step).

use chrono::{NaiveDate, NaiveTime};

use crate::error::{FieldError, Rejection};
use crate::events::{
    InteractionCorrected, InteractionRecorded, InteractionRemoved, MeetingNotesEmailRequested,
    NextMeetingCancelled, NextMeetingScheduled,
};
use crate::form_echo::FormEcho;

pub const KIND_MAX: usize = 100;
pub const NOTE_MAX: usize = 5000;
pub const NOTES_MAX: usize = 20000;

/// Dates outside these years are typing mistakes, not interactions.
const FIRST_YEAR: i32 = 1900;
const LAST_YEAR: i32 = 2200;

/// The interaction form, as typed: a date (`YYYY-MM-DD`, as `<input type=date>` sends it),
/// what it was, and a note.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InteractionForm {
    pub occurred_on: String,
    pub kind: String,
    pub note: String,
}

struct Interaction {
    occurred_on: NaiveDate,
    kind: String,
    note: String,
}

impl InteractionForm {
    pub fn from_echo(echo: &FormEcho, fallback: &InteractionForm) -> Self {
        Self {
            occurred_on: echo.value_or("occurred_on", &fallback.occurred_on),
            kind: echo.value_or("kind", &fallback.kind),
            note: echo.value_or("note", &fallback.note),
        }
    }

    pub fn typed(&self) -> [(&'static str, &str); 3] {
        [
            ("occurred_on", &self.occurred_on),
            ("kind", &self.kind),
            ("note", &self.note),
        ]
    }

    /// `latest` is the last day an interaction can have happened on (tomorrow, to allow for
    /// time zones ahead of the server's).
    fn check(self, latest: NaiveDate) -> Result<Interaction, Rejection> {
        let mut errors = Vec::new();
        let occurred_on = match check_date(&self.occurred_on, "Date") {
            Ok(date) if date > latest => {
                errors.push(FieldError::new("occurred_on", "Date cannot be in the future."));
                None
            }
            Ok(date) => Some(date),
            Err(message) => {
                errors.push(FieldError::new("occurred_on", message));
                None
            }
        };
        let kind = self.kind.trim().to_owned();
        if kind.is_empty() {
            errors.push(FieldError::new(
                "kind",
                "Say what it was: coffee, a call, anything.",
            ));
        }
        check_length(&mut errors, "kind", "What it was", &kind, KIND_MAX);
        let note = self.note.trim().to_owned();
        check_length(&mut errors, "note", "Note", &note, NOTE_MAX);
        match occurred_on {
            Some(occurred_on) if errors.is_empty() => Ok(Interaction {
                occurred_on,
                kind,
                note,
            }),
            _ => Err(Rejection { errors }),
        }
    }

    /// The "interaction recorded" event for the contact called `contact`.
    pub fn record(self, contact: &str, latest: NaiveDate) -> Result<InteractionRecorded, Rejection> {
        let Interaction {
            occurred_on,
            kind,
            note,
        } = self.check(latest)?;
        Ok(InteractionRecorded {
            contact: contact.to_owned(),
            occurred_on,
            kind,
            note,
        })
    }

    /// The "interaction corrected" event for interaction `interaction` of `contact`.
    pub fn correct(
        self,
        contact: &str,
        interaction: i64,
        latest: NaiveDate,
    ) -> Result<InteractionCorrected, Rejection> {
        let Interaction {
            occurred_on,
            kind,
            note,
        } = self.check(latest)?;
        Ok(InteractionCorrected {
            contact: contact.to_owned(),
            interaction,
            occurred_on,
            kind,
            note,
        })
    }
}

/// The "interaction removed" event.
pub fn remove(contact: &str, interaction: i64) -> InteractionRemoved {
    InteractionRemoved {
        contact: contact.to_owned(),
        interaction,
    }
}

/// The next-meeting form, as typed: a date, a local time (`HH:MM`) and Markdown notes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MeetingForm {
    pub meeting_on: String,
    pub meeting_time: String,
    pub notes: String,
}

impl MeetingForm {
    pub fn from_echo(echo: &FormEcho, fallback: &MeetingForm) -> Self {
        Self {
            meeting_on: echo.value_or("meeting_on", &fallback.meeting_on),
            meeting_time: echo.value_or("meeting_time", &fallback.meeting_time),
            notes: echo.value_or("notes", &fallback.notes),
        }
    }

    pub fn typed(&self) -> [(&'static str, &str); 3] {
        [
            ("meeting_on", &self.meeting_on),
            ("meeting_time", &self.meeting_time),
            ("notes", &self.notes),
        ]
    }

    /// The "next meeting scheduled" event for `contact`, in the account's `time_zone`.
    pub fn schedule(self, contact: &str, time_zone: &str) -> Result<NextMeetingScheduled, Rejection> {
        let mut errors = Vec::new();
        let meeting_on = check_date(&self.meeting_on, "Meeting date")
            .map_err(|message| errors.push(FieldError::new("meeting_on", message)))
            .ok();
        let meeting_time = NaiveTime::parse_from_str(self.meeting_time.trim(), "%H:%M")
            .map_err(|_| {
                let message = if self.meeting_time.trim().is_empty() {
                    "Time is required."
                } else {
                    "Enter a time like 09:30."
                };
                errors.push(FieldError::new("meeting_time", message));
            })
            .ok();
        let notes = self.notes.trim_end().to_owned();
        check_length(&mut errors, "notes", "Notes", &notes, NOTES_MAX);
        match (meeting_on, meeting_time) {
            (Some(meeting_on), Some(meeting_time)) if errors.is_empty() => Ok(NextMeetingScheduled {
                contact: contact.to_owned(),
                meeting_on,
                meeting_time,
                time_zone: time_zone.to_owned(),
                notes,
            }),
            _ => Err(Rejection { errors }),
        }
    }
}

/// The "meeting notes email requested" event: send the failed email for the meeting on
/// `meeting_on` (as `YYYY-MM-DD`) again.
pub fn request_notes_email(contact: &str, meeting_on: &str) -> Result<MeetingNotesEmailRequested, Rejection> {
    let meeting_on =
        check_date(meeting_on, "Meeting date").map_err(|message| Rejection::one("meeting_on", message))?;
    Ok(MeetingNotesEmailRequested {
        contact: contact.to_owned(),
        meeting_on,
    })
}

/// The "next meeting cancelled" event.
pub fn cancel_meeting(contact: &str) -> NextMeetingCancelled {
    NextMeetingCancelled {
        contact: contact.to_owned(),
    }
}

fn check_date(text: &str, label: &str) -> Result<NaiveDate, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(format!("{label} is required."));
    }
    match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        Ok(date) if (FIRST_YEAR..=LAST_YEAR).contains(&chrono::Datelike::year(&date)) => Ok(date),
        Ok(_) => Err(format!("{label} must be between {FIRST_YEAR} and {LAST_YEAR}.")),
        Err(_) => Err(format!("{label} must be a date like 2019-08-13.")),
    }
}

fn check_length(errors: &mut Vec<FieldError>, field: &str, label: &str, value: &str, max: usize) {
    let length = value.chars().count();
    if length > max {
        errors.push(FieldError::new(
            field,
            format!("{label} is too long: {length} characters, at most {max}."),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::EVENT_TYPES;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2019, 8, 14).unwrap()
    }

    #[test]
    fn an_interaction_needs_a_past_date_and_what_it_was() {
        let form = InteractionForm {
            occurred_on: "2019-08-16".into(),
            kind: " ".into(),
            note: String::new(),
        };
        let refused = form.record("Bob", today()).unwrap_err();
        assert_eq!(
            refused.for_field("occurred_on"),
            Some("Date cannot be in the future.")
        );
        assert_eq!(
            refused.for_field("kind"),
            Some("Say what it was: coffee, a call, anything.")
        );
        let refused = InteractionForm {
            occurred_on: "13/08/2019".into(),
            kind: "coffee".into(),
            note: String::new(),
        }
        .record("Bob", today())
        .unwrap_err();
        assert_eq!(
            refused.for_field("occurred_on"),
            Some("Date must be a date like 2019-08-13.")
        );
        let recorded = InteractionForm {
            occurred_on: "2019-08-13".into(),
            kind: " coffee ".into(),
            note: "Talked about Postgres".into(),
        }
        .record("Bob", today())
        .unwrap();
        assert_eq!(
            recorded.occurred_on,
            NaiveDate::from_ymd_opt(2019, 8, 13).unwrap()
        );
        assert_eq!(recorded.kind, "coffee");
    }

    #[test]
    fn a_meeting_needs_a_date_and_a_time() {
        let refused = MeetingForm {
            meeting_on: String::new(),
            meeting_time: "9h".into(),
            notes: String::new(),
        }
        .schedule("Sally", "UTC")
        .unwrap_err();
        assert_eq!(refused.for_field("meeting_on"), Some("Meeting date is required."));
        assert_eq!(
            refused.for_field("meeting_time"),
            Some("Enter a time like 09:30.")
        );
        let scheduled = MeetingForm {
            meeting_on: "2019-08-20".into(),
            meeting_time: "09:30".into(),
            notes: "- ask about Postgres\n".into(),
        }
        .schedule("Sally", "Europe/Paris")
        .unwrap();
        assert_eq!(scheduled.time_zone, "Europe/Paris");
        assert_eq!(scheduled.notes, "- ask about Postgres");
    }

    #[test]
    fn the_limits_here_match_the_schemas() {
        let limits = [("kind", KIND_MAX), ("note", NOTE_MAX), ("notes", NOTES_MAX)];
        let mut checked = 0;
        for event_type in EVENT_TYPES {
            let schema: serde_json::Value = serde_json::from_str(event_type.schema).unwrap();
            for (field, max) in limits {
                if let Some(definition) = schema["properties"].get(field) {
                    assert_eq!(
                        definition["maxLength"].as_u64(),
                        Some(max as u64),
                        "{event_type} {field}"
                    );
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 5, "kind and note in two events, notes in one");
    }
}
