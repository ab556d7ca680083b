//! The contacts projection as a pure function of the stream: [`ContactsFold::step`] is what
//! each contact event does to the rows of `projected_contacts` and
//! `projected_contact_interactions`, and nothing else says it. The live listener loads the rows
//! a batch of events touches into a fold, steps it and writes back what changed; a replay folds
//! the whole stream and writes every row once; a contact's history folds the contact's events
//! and compares the state before each one with it. (`rows.rs` reads and writes the rows.)

use std::collections::{BTreeMap, BTreeSet, HashMap};

use app::events::{
    ContactCreated, ContactDeleted, ContactEdited, Event, InteractionCorrected, InteractionRecorded,
    InteractionRemoved, MeetingNotesEmailFailed, MeetingNotesEmailRequested, MeetingNotesEmailSent,
    NextMeetingScheduled,
};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

use super::names;
use crate::crm::{CrmError, StoreError};
use crate::meetings::markdown;
use crate::time::meeting_instant;

/// A contact, found by (account, name).
pub(super) type Key = (i64, String);

/// A row of `projected_contacts`, every column (its name is in its key).
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Contact {
    pub id: i64,
    /// The name folded as the list sorts by it, and the name and description folded as the
    /// search reads them: worked out when the name or the description changes.
    pub name_key: String,
    pub search_key: String,
    pub description: String,
    pub contact_method: String,
    pub contact_method_kind: Option<&'static str>,
    pub last_interacted_on: Option<NaiveDate>,
    pub last_updated_at: DateTime<Utc>,
    pub meeting: Option<Meeting>,
    pub email_on: Option<NaiveDate>,
    pub email_sent_at: Option<DateTime<Utc>>,
    pub email_failure: Option<String>,
    pub email_retry_at: Option<DateTime<Utc>>,
    pub email_given_up: bool,
    pub email_last_sent_on: Option<NaiveDate>,
    pub email_last_sent_at: Option<DateTime<Utc>>,
}

/// The next meeting: the instant, the local day and time in its zone, and its notes with
/// the excerpt the list shows.
#[derive(Clone, Debug, PartialEq)]
pub struct Meeting {
    pub at: DateTime<Utc>,
    pub on: NaiveDate,
    pub time: NaiveTime,
    pub time_zone: String,
    pub notes: String,
    pub excerpt: String,
}

impl Meeting {
    /// The local day and time as the table keeps them: "YYYY-MM-DD HH:MM".
    pub fn local(&self) -> String {
        self.on.and_time(self.time).format(LOCAL).to_string()
    }
}

/// How `projected_contacts.next_meeting_local` spells a local day and time.
pub(super) const LOCAL: &str = "%Y-%m-%d %H:%M";

/// One contact as the fold has left it, as its history compares before and after an event:
/// its details, its next meeting, and its interactions by id (day, kind, note).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ContactState {
    pub description: String,
    pub contact_method: String,
    pub meeting: Option<Meeting>,
    pub interactions: BTreeMap<i64, (NaiveDate, String, String)>,
}

/// A row of `projected_contact_interactions`.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Interaction {
    pub account_id: i64,
    pub contact_name: String,
    pub occurred_on: NaiveDate,
    pub kind: String,
    pub note: String,
    pub recorded_at: DateTime<Utc>,
    pub last_updated_at: DateTime<Utc>,
}

/// Both tables, or the part of them some events touch, in memory.
#[derive(Clone, Default)]
pub struct ContactsFold {
    pub(super) contacts: HashMap<Key, Contact>,
    pub(super) interactions: HashMap<i64, Interaction>,
    /// Each contact's interactions, by the `contact_name` they are kept under.
    pub(super) by_contact: HashMap<Key, BTreeSet<i64>>,
}

/// The rows some events may read or change: the contacts they name (a rename names two); the
/// interactions they name by id; and every interaction of the contacts whose interactions
/// they change as a whole or whose last interaction they may move back (a correction, a
/// removal, a rename, a deletion). Recording an interaction needs none of them: the last
/// interaction only moves forward then.
#[derive(Default)]
pub(super) struct Touched {
    pub contacts: BTreeSet<Key>,
    pub interactions_of: BTreeSet<Key>,
    pub interactions: BTreeSet<i64>,
}

impl Touched {
    /// Adds what `event`, of `account_id`, touches.
    pub fn add(&mut self, account_id: i64, event: &Event) {
        let Some(name) = event.contact() else {
            return;
        };
        let key = (account_id, name.to_owned());
        self.contacts.insert(key.clone());
        match event {
            Event::ContactEdited(ContactEdited {
                new_name: Some(new_name),
                ..
            }) => {
                let new_key = (account_id, new_name.clone());
                self.contacts.insert(new_key.clone());
                self.interactions_of.insert(key);
                self.interactions_of.insert(new_key);
            }
            Event::ContactDeleted(_) => {
                self.interactions_of.insert(key);
            }
            Event::InteractionCorrected(InteractionCorrected { interaction, .. })
            | Event::InteractionRemoved(InteractionRemoved { interaction, .. }) => {
                self.interactions.insert(*interaction);
                self.interactions_of.insert(key);
            }
            _ => {}
        }
    }
}

impl ContactsFold {
    /// The contact `name` of the account, as the events so far have left it.
    pub fn state(&self, account_id: i64, name: &str) -> Option<ContactState> {
        let key = (account_id, name.to_owned());
        let contact = self.contacts.get(&key)?;
        let interactions = self
            .by_contact
            .get(&key)
            .into_iter()
            .flatten()
            .filter_map(|id| {
                let i = self.interactions.get(id)?;
                Some((*id, (i.occurred_on, i.kind.clone(), i.note.clone())))
            })
            .collect();
        Some(ContactState {
            description: contact.description.clone(),
            contact_method: contact.contact_method.clone(),
            meeting: contact.meeting.clone(),
            interactions,
        })
    }

    /// Takes in a contact's row, as read from the table.
    pub(super) fn insert_contact(&mut self, key: Key, contact: Contact) {
        self.contacts.insert(key, contact);
    }

    /// Takes in an interaction's row, as read from the table.
    pub(super) fn insert_interaction(&mut self, id: i64, interaction: Interaction) {
        let key = (interaction.account_id, interaction.contact_name.clone());
        self.by_contact.entry(key).or_default().insert(id);
        self.interactions.insert(id, interaction);
    }

    /// The contact's last interaction is the latest day among the interactions kept under its
    /// name.
    fn follow_last_interaction(&mut self, key: &Key, at: DateTime<Utc>) {
        let Some(contact) = self.contacts.get_mut(key) else {
            return;
        };
        contact.last_updated_at = at;
        contact.last_interacted_on = self
            .by_contact
            .get(key)
            .into_iter()
            .flatten()
            .filter_map(|id| self.interactions.get(id))
            .map(|i| i.occurred_on)
            .max();
    }

    fn remove_interaction(&mut self, account_id: i64, id: i64) {
        if let Some(interaction) = self.interactions.get(&id).filter(|i| i.account_id == account_id) {
            let key = (account_id, interaction.contact_name.clone());
            if let Some(ids) = self.by_contact.get_mut(&key) {
                ids.remove(&id);
            }
            self.interactions.remove(&id);
        }
    }
}

impl ContactsFold {
    /// The one interpretation of a contact event: what `event` (the event `id` of
    /// `account_id`, stored `at`) does to the rows. The listener, the replay and a contact's
    /// history all step a fold with it.
    pub fn step(
        &mut self,
        account_id: i64,
        id: i64,
        at: DateTime<Utc>,
        event: &Event,
    ) -> Result<(), StoreError> {
        match event {
            Event::ContactCreated(ContactCreated {
                name,
                description,
                contact_method,
            }) => {
                let (method, kind) = method_columns(contact_method.as_ref());
                let key = (account_id, name.clone());
                match self.contacts.get_mut(&key) {
                    Some(contact) => {
                        if contact.description != *description {
                            contact.search_key = names::search_key(name, description);
                            contact.description.clone_from(description);
                        }
                        contact.contact_method = method.to_owned();
                        contact.contact_method_kind = kind;
                        contact.last_updated_at = at;
                    }
                    None => {
                        self.contacts.insert(
                            key,
                            Contact {
                                id,
                                name_key: names::key(name),
                                search_key: names::search_key(name, description),
                                description: description.clone(),
                                contact_method: method.to_owned(),
                                contact_method_kind: kind,
                                last_interacted_on: None,
                                last_updated_at: at,
                                meeting: None,
                                email_on: None,
                                email_sent_at: None,
                                email_failure: None,
                                email_retry_at: None,
                                email_given_up: false,
                                email_last_sent_on: None,
                                email_last_sent_at: None,
                            },
                        );
                    }
                }
            }
            Event::ContactEdited(ContactEdited {
                name,
                new_name,
                description,
                contact_method,
            }) => {
                let key = (account_id, name.clone());
                let (method, kind) = method_columns(contact_method.as_ref());
                let now_called = new_name.as_ref().unwrap_or(name);
                if let Some(contact) = self.contacts.get_mut(&key) {
                    if now_called != name {
                        contact.name_key = names::key(now_called);
                    }
                    if now_called != name || contact.description != *description {
                        contact.search_key = names::search_key(now_called, description);
                    }
                    contact.description.clone_from(description);
                    contact.contact_method = method.to_owned();
                    contact.contact_method_kind = kind;
                    contact.last_updated_at = at;
                }
                if let Some(new_name) = new_name {
                    let new_key = (account_id, new_name.clone());
                    if let Some(contact) = self.contacts.remove(&key) {
                        if self.contacts.contains_key(&new_key) {
                            return Err(CrmError::RenameOntoExisting {
                                event: id,
                                from: name.clone(),
                                to: new_name.clone(),
                            }
                            .into());
                        }
                        self.contacts.insert(new_key.clone(), contact);
                    }
                    if let Some(ids) = self.by_contact.remove(&key) {
                        for id in &ids {
                            if let Some(interaction) = self.interactions.get_mut(id) {
                                interaction.contact_name.clone_from(new_name);
                            }
                        }
                        self.by_contact.entry(new_key).or_default().extend(ids);
                    }
                }
            }
            Event::ContactDeleted(ContactDeleted { name }) => {
                let key = (account_id, name.clone());
                self.contacts.remove(&key);
                for id in self.by_contact.remove(&key).into_iter().flatten() {
                    self.interactions.remove(&id);
                }
            }
            Event::InteractionRecorded(InteractionRecorded {
                contact,
                occurred_on,
                kind,
                note,
            }) => {
                let key = (account_id, contact.clone());
                self.interactions.insert(
                    id,
                    Interaction {
                        account_id: key.0,
                        contact_name: contact.clone(),
                        occurred_on: *occurred_on,
                        kind: kind.clone(),
                        note: note.clone(),
                        recorded_at: at,
                        last_updated_at: at,
                    },
                );
                self.by_contact.entry(key.clone()).or_default().insert(id);
                // The latest day among the contact's interactions, one more of them: the later
                // of the two days.
                if let Some(row) = self.contacts.get_mut(&key) {
                    row.last_updated_at = at;
                    row.last_interacted_on = row.last_interacted_on.max(Some(*occurred_on));
                }
            }
            Event::InteractionCorrected(InteractionCorrected {
                contact,
                interaction,
                occurred_on,
                kind,
                note,
            }) => {
                let key = (account_id, contact.clone());
                if let Some(row) = self
                    .interactions
                    .get_mut(interaction)
                    .filter(|i| i.account_id == key.0)
                {
                    row.occurred_on = *occurred_on;
                    row.kind.clone_from(kind);
                    row.note.clone_from(note);
                    row.last_updated_at = at;
                }
                self.follow_last_interaction(&key, at);
            }
            Event::InteractionRemoved(InteractionRemoved { contact, interaction }) => {
                let key = (account_id, contact.clone());
                self.remove_interaction(key.0, *interaction);
                self.follow_last_interaction(&key, at);
            }
            Event::NextMeetingScheduled(meeting) => {
                let instant = meeting_instant(meeting, id)?;
                let NextMeetingScheduled {
                    contact,
                    meeting_on,
                    meeting_time,
                    time_zone,
                    notes,
                } = meeting;
                let key = (account_id, contact.clone());
                if let Some(row) = self.contacts.get_mut(&key) {
                    row.meeting = Some(Meeting {
                        at: instant,
                        on: *meeting_on,
                        time: *meeting_time,
                        time_zone: time_zone.clone(),
                        notes: notes.clone(),
                        excerpt: markdown::excerpt(notes),
                    });
                    row.last_updated_at = at;
                    // The email's state belongs to the meeting's day: it survives new notes or a
                    // new time on the same day, and starts afresh on another day (unless that
                    // day's email was the last one sent).
                    let same_day = row.email_on == Some(*meeting_on);
                    if !same_day {
                        row.email_sent_at = if row.email_last_sent_on == Some(*meeting_on) {
                            row.email_last_sent_at
                        } else {
                            None
                        };
                        row.email_failure = None;
                        row.email_retry_at = None;
                        row.email_given_up = false;
                    }
                    row.email_on = Some(*meeting_on);
                }
            }
            Event::NextMeetingCancelled(cancelled) => {
                let key = (account_id, cancelled.contact.clone());
                if let Some(row) = self.contacts.get_mut(&key) {
                    row.meeting = None;
                    row.last_updated_at = at;
                }
            }
            Event::MeetingNotesEmailSent(MeetingNotesEmailSent {
                contact, meeting_on, ..
            }) => {
                let key = (account_id, contact.clone());
                if let Some(row) = self.contacts.get_mut(&key) {
                    if row.email_on == Some(*meeting_on) {
                        row.email_sent_at = Some(at);
                        row.email_failure = None;
                        row.email_retry_at = None;
                        row.email_given_up = false;
                    }
                    row.email_last_sent_on = Some(*meeting_on);
                    row.email_last_sent_at = Some(at);
                    row.last_updated_at = at;
                }
            }
            Event::MeetingNotesEmailFailed(MeetingNotesEmailFailed {
                contact,
                meeting_on,
                reason,
                retry_at,
                given_up,
            }) => {
                let key = (account_id, contact.clone());
                if let Some(row) = self
                    .contacts
                    .get_mut(&key)
                    .filter(|row| row.email_on == Some(*meeting_on) && row.email_sent_at.is_none())
                {
                    row.email_failure = Some(reason.clone());
                    row.email_retry_at = *retry_at;
                    row.email_given_up = *given_up;
                    row.last_updated_at = at;
                }
            }
            Event::MeetingNotesEmailRequested(MeetingNotesEmailRequested { contact, meeting_on }) => {
                let key = (account_id, contact.clone());
                if let Some(row) = self
                    .contacts
                    .get_mut(&key)
                    .filter(|row| row.email_on == Some(*meeting_on))
                {
                    row.email_failure = None;
                    row.email_retry_at = None;
                    row.email_given_up = false;
                    row.last_updated_at = at;
                }
            }
            // Other events do not touch the tables.
            _ => {}
        }
        Ok(())
    }
}

/// A contact method as the table keeps it: its text ("" for none) and its kind (NULL for none).
fn method_columns(method: Option<&app::events::ContactMethod>) -> (&str, Option<&'static str>) {
    method.map_or(("", None), |m| (m.value.as_str(), Some(m.kind.as_str())))
}
