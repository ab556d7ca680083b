//! A contact's history: the events behind one contact, read in stream order and told as an
//! audit trail ("description changed from “A” to “B”, by you, 3 days ago"). Each event is
//! compared with the contact as the events before it left it, as the contacts fold (the
//! projection's one interpretation of each event, see `fold.rs`) has it.

use app::events::{
    ContactCreated, ContactEdited, Event, InteractionCorrected, InteractionRecorded, InteractionRemoved,
    MeetingNotesEmailFailed, MeetingNotesEmailRequested, MeetingNotesEmailSent,
};
use app::receipt::EventId;
use app::views::HistoryLine;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;

use super::fold::{ContactState, ContactsFold};
use crate::time;

/// One event behind a contact, with who caused it.
pub struct Entry {
    pub id: EventId,
    pub event: Event,
    /// "you", or the system process ("the mailer").
    pub caused_by: String,
    pub at: DateTime<Utc>,
}

/// Any account: the entries are all one account's, and the fold keeps them apart by name.
const ACCOUNT: i64 = 0;

/// The lines of a contact's history, newest first, from its events in stream order. Each
/// event is applied to the contacts fold (the same function the replay uses), and its line
/// compares the contact before the event with the event.
pub fn lines(entries: Vec<Entry>, now: DateTime<Utc>, zone: Tz) -> Vec<HistoryLine> {
    let mut fold = ContactsFold::default();
    let mut lines: Vec<HistoryLine> = entries
        .into_iter()
        .map(|entry| {
            let before = entry
                .event
                .contact()
                .and_then(|name| fold.state(ACCOUNT, name))
                .unwrap_or_default();
            // An event the fold cannot apply (a zone this build does not know) is still told.
            let _ = fold.step(ACCOUNT, entry.id, entry.at, &entry.event);
            HistoryLine {
                event_id: entry.id,
                text: tell(&entry.event, &before),
                caused_by: entry.caused_by,
                at: entry.at,
                when: time::describe(entry.at, zone),
                ago: ago(entry.at, now),
            }
        })
        .collect();
    lines.reverse();
    lines
}

/// A next meeting as a line names it: "13 Nov 2026 at 09:30 (Europe/London)".
fn meeting_at(meeting_on: NaiveDate, meeting_time: NaiveTime, time_zone: &str) -> String {
    format!(
        "{} at {} ({})",
        day(meeting_on),
        meeting_time.format("%H:%M"),
        time_zone.replace('_', " ")
    )
}

/// What `event` did to the contact that was `before`, in words.
fn tell(event: &Event, before: &ContactState) -> String {
    match event {
        Event::ContactCreated(ContactCreated {
            name,
            description,
            contact_method,
        }) => {
            let mut text = format!("Added {}", quote(name));
            if !description.is_empty() {
                text += &format!(", described as {}", quote(description));
            }
            if let Some(method) = contact_method {
                text += &format!(", reached at {}", quote(&method.value));
            }
            text
        }
        Event::ContactEdited(ContactEdited {
            name,
            new_name,
            description,
            contact_method,
        }) => {
            let mut changes = Vec::new();
            if let Some(new_name) = new_name {
                changes.push(format!("renamed from {} to {}", quote(name), quote(new_name)));
            }
            if *description != before.description {
                changes.push(changed("description", &before.description, description));
            }
            let method = contact_method
                .as_ref()
                .map(|m| m.value.as_str())
                .unwrap_or_default();
            if method != before.contact_method {
                changes.push(changed("contact method", &before.contact_method, method));
            }
            if changes.is_empty() {
                "Details saved without a change".to_owned()
            } else {
                capitalized(&changes.join("; "))
            }
        }
        Event::ContactDeleted(_) => "Deleted".to_owned(),
        Event::InteractionRecorded(InteractionRecorded {
            occurred_on,
            kind,
            note,
            ..
        }) => with_note(format!("Recorded {} on {}", quote(kind), day(*occurred_on)), note),
        Event::InteractionCorrected(InteractionCorrected {
            interaction,
            occurred_on,
            kind,
            note,
            ..
        }) => match before.interactions.get(interaction) {
            Some((was_on, was_kind, was_note)) => {
                let mut changes = Vec::new();
                if was_on != occurred_on {
                    changes.push(changed("date", &day(*was_on), &day(*occurred_on)));
                }
                if was_kind != kind {
                    changes.push(changed("kind", was_kind, kind));
                }
                if was_note != note {
                    changes.push(changed("note", was_note, note));
                }
                if changes.is_empty() {
                    format!(
                        "Saved the {} of {} without a change",
                        quote(was_kind),
                        day(*was_on)
                    )
                } else {
                    format!(
                        "Corrected the {} of {}: {}",
                        quote(was_kind),
                        day(*was_on),
                        changes.join("; ")
                    )
                }
            }
            None => format!(
                "Corrected an interaction: now {} on {}",
                quote(kind),
                day(*occurred_on)
            ),
        },
        Event::InteractionRemoved(InteractionRemoved { interaction, .. }) => {
            match before.interactions.get(interaction) {
                Some((on, kind, _)) => format!("Removed the {} of {}", quote(kind), day(*on)),
                None => "Removed an interaction".to_owned(),
            }
        }
        Event::NextMeetingScheduled(meeting) => {
            let at = meeting_at(meeting.meeting_on, meeting.meeting_time, &meeting.time_zone);
            match before.meeting.as_ref() {
                None => with_note(format!("Scheduled the next meeting for {at}"), &meeting.notes),
                Some(was) => {
                    let mut changes = Vec::new();
                    let was_at = meeting_at(was.on, was.time, &was.time_zone);
                    if was_at != at {
                        changes.push(format!("moved from {was_at} to {at}"));
                    }
                    if was.notes != meeting.notes {
                        changes.push(changed("notes", &was.notes, &meeting.notes));
                    }
                    if changes.is_empty() {
                        "Saved the next meeting without a change".to_owned()
                    } else {
                        format!("Next meeting {}", changes.join("; "))
                    }
                }
            }
        }
        Event::NextMeetingCancelled(_) => match before.meeting.as_ref() {
            Some(was) => format!("Cancelled the meeting of {}", day(was.on)),
            None => "Cancelled the next meeting".to_owned(),
        },
        Event::MeetingNotesEmailSent(MeetingNotesEmailSent { meeting_on, .. }) => {
            format!("Emailed the notes for the meeting of {}", day(*meeting_on))
        }
        Event::MeetingNotesEmailFailed(MeetingNotesEmailFailed {
            meeting_on, reason, ..
        }) => format!(
            "Could not email the notes for the meeting of {}: {}",
            day(*meeting_on),
            reason
        ),
        Event::MeetingNotesEmailRequested(MeetingNotesEmailRequested { meeting_on, .. }) => {
            format!(
                "Asked for the notes for the meeting of {} to be emailed again",
                day(*meeting_on)
            )
        }
        Event::AccountRegistered(_) | Event::AccountSettingsChanged(_) => "Changed the account".to_owned(),
    }
}

/// Long texts are cut, so a line stays a line.
const QUOTED_MAX: usize = 80;

fn quote(text: &str) -> String {
    if text.is_empty() {
        return "nothing".to_owned();
    }
    let mut chars = text.chars();
    let cut: String = chars.by_ref().take(QUOTED_MAX).collect();
    let cut = cut.replace('\n', " ");
    if chars.next().is_some() {
        format!("“{}…”", cut.trim_end())
    } else {
        format!("“{cut}”")
    }
}

fn changed(what: &str, before: &str, after: &str) -> String {
    format!("{what} changed from {} to {}", quote(before), quote(after))
}

fn with_note(text: String, note: &str) -> String {
    if note.is_empty() {
        text
    } else {
        format!("{text}, noting {}", quote(note))
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn day(date: NaiveDate) -> String {
    date.format("%-d %B %Y").to_string()
}

/// How long ago `at` was, as a person says it.
pub fn ago(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let seconds = (now - at).num_seconds().max(0);
    let plural = |n: i64, unit: &str| {
        if n == 1 {
            format!("1 {unit} ago")
        } else {
            format!("{n} {unit}s ago")
        }
    };
    match seconds {
        0..60 => "just now".to_owned(),
        60..3_600 => plural(seconds / 60, "minute"),
        3_600..86_400 => plural(seconds / 3_600, "hour"),
        86_400..172_800 => "yesterday".to_owned(),
        172_800..2_678_400 => plural(seconds / 86_400, "day"),
        _ => format!("on {}", day(at.date_naive())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::events::{ContactMethod, NextMeetingCancelled, NextMeetingScheduled};
    use chrono::NaiveTime;

    fn entry(id: EventId, event: impl Into<Event>, days_ago: i64, now: DateTime<Utc>) -> Entry {
        Entry {
            id,
            event: event.into(),
            caused_by: "you".into(),
            at: now - chrono::Duration::days(days_ago),
        }
    }

    #[test]
    fn an_edit_says_what_changed_from_what_and_lines_come_newest_first() {
        let now: DateTime<Utc> = "2026-11-27T10:00:00Z".parse().unwrap();
        let bob_on = NaiveDate::from_ymd_opt(2026, 11, 13).unwrap();
        let entries = vec![
            entry(
                1,
                ContactCreated {
                    name: "Bob".into(),
                    description: "Builder".into(),
                    contact_method: None,
                },
                10,
                now,
            ),
            entry(
                2,
                InteractionRecorded {
                    contact: "Bob".into(),
                    occurred_on: bob_on,
                    kind: "coffee".into(),
                    note: String::new(),
                },
                9,
                now,
            ),
            entry(
                3,
                InteractionCorrected {
                    contact: "Bob".into(),
                    interaction: 2,
                    occurred_on: bob_on,
                    kind: "tea".into(),
                    note: String::new(),
                },
                8,
                now,
            ),
            entry(
                4,
                ContactEdited {
                    name: "Bob".into(),
                    new_name: Some("Robert".into()),
                    description: "Architect".into(),
                    contact_method: ContactMethod::recognize("bob@example.com"),
                },
                3,
                now,
            ),
            entry(
                5,
                NextMeetingScheduled {
                    contact: "Robert".into(),
                    meeting_on: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
                    meeting_time: NaiveTime::from_hms_opt(9, 30, 0).unwrap(),
                    time_zone: "Europe/Paris".into(),
                    notes: "Ask about the bridge".into(),
                },
                0,
                now,
            ),
        ];
        let lines = lines(entries, now, Tz::UTC);
        let texts: Vec<(&str, &str)> = lines.iter().map(|l| (l.text.as_str(), l.ago.as_str())).collect();
        assert_eq!(
            texts,
            [
                (
                    "Scheduled the next meeting for 1 December 2026 at 09:30 (Europe/Paris), noting “Ask about the bridge”",
                    "just now"
                ),
                (
                    "Renamed from “Bob” to “Robert”; description changed from “Builder” to “Architect”; \
                     contact method changed from nothing to “bob@example.com”",
                    "3 days ago"
                ),
                (
                    "Corrected the “coffee” of 13 November 2026: kind changed from “coffee” to “tea”",
                    "8 days ago"
                ),
                ("Recorded “coffee” on 13 November 2026", "9 days ago"),
                ("Added “Bob”, described as “Builder”", "10 days ago"),
            ]
        );
        assert_eq!(lines[0].event_id, 5);
    }

    /// The state before each event comes from the contacts fold, which follows renames: an
    /// interaction recorded under the old name is still known when it is removed.
    #[test]
    fn moves_cancellations_and_removals_after_a_rename_are_told_against_the_state_before() {
        let now: DateTime<Utc> = "2026-11-27T10:00:00Z".parse().unwrap();
        let on = NaiveDate::from_ymd_opt(2026, 11, 13).unwrap();
        let meeting = |day: u32, notes: &str| NextMeetingScheduled {
            contact: "Robert".into(),
            meeting_on: NaiveDate::from_ymd_opt(2026, 12, day).unwrap(),
            meeting_time: NaiveTime::from_hms_opt(9, 30, 0).unwrap(),
            time_zone: "Europe/Paris".into(),
            notes: notes.into(),
        };
        let entries = vec![
            entry(
                1,
                ContactCreated {
                    name: "Bob".into(),
                    description: String::new(),
                    contact_method: None,
                },
                9,
                now,
            ),
            entry(
                2,
                InteractionRecorded {
                    contact: "Bob".into(),
                    occurred_on: on,
                    kind: "coffee".into(),
                    note: String::new(),
                },
                8,
                now,
            ),
            entry(
                3,
                ContactEdited {
                    name: "Bob".into(),
                    new_name: Some("Robert".into()),
                    description: String::new(),
                    contact_method: None,
                },
                7,
                now,
            ),
            entry(4, meeting(1, "Bridge"), 6, now),
            entry(5, meeting(1, "Bridge"), 5, now),
            entry(6, meeting(2, "Tunnel"), 4, now),
            entry(
                7,
                NextMeetingCancelled {
                    contact: "Robert".into(),
                },
                3,
                now,
            ),
            entry(
                8,
                InteractionRemoved {
                    contact: "Robert".into(),
                    interaction: 2,
                },
                2,
                now,
            ),
            entry(
                9,
                InteractionRemoved {
                    contact: "Robert".into(),
                    interaction: 2,
                },
                1,
                now,
            ),
        ];
        let texts: Vec<String> = lines(entries, now, Tz::UTC).into_iter().map(|l| l.text).collect();
        assert_eq!(
            texts,
            [
                "Removed an interaction",
                "Removed the “coffee” of 13 November 2026",
                "Cancelled the meeting of 2 December 2026",
                "Next meeting moved from 1 December 2026 at 09:30 (Europe/Paris) to 2 December 2026 at \
                 09:30 (Europe/Paris); notes changed from “Bridge” to “Tunnel”",
                "Saved the next meeting without a change",
                "Scheduled the next meeting for 1 December 2026 at 09:30 (Europe/Paris), noting “Bridge”",
                "Renamed from “Bob” to “Robert”",
                "Recorded “coffee” on 13 November 2026",
                "Added “Bob”",
            ]
        );
    }

    #[test]
    fn long_values_are_cut_and_times_read_as_people_say_them() {
        let long = "x".repeat(200);
        assert_eq!(quote(&long).chars().count(), QUOTED_MAX + 3);
        let now: DateTime<Utc> = "2026-11-27T10:00:00Z".parse().unwrap();
        let before = |seconds: i64| now - chrono::Duration::seconds(seconds);
        assert_eq!(ago(before(5), now), "just now");
        assert_eq!(ago(before(60), now), "1 minute ago");
        assert_eq!(ago(before(7_200), now), "2 hours ago");
        assert_eq!(ago(before(90_000), now), "yesterday");
        assert_eq!(ago(before(3 * 86_400), now), "3 days ago");
        assert_eq!(ago(before(40 * 86_400), now), "on 18 October 2026");
    }
}
