//! `projected_contacts`: one row per contact, found by its natural key (name, account), with
//! its last interaction and next meeting; and `projected_contact_interactions`, each contact's
//! interactions. One listener keeps both, so a contact's page reads one projection. The
//! handler applies events one by one; a replay folds the stream in memory instead (`fold.rs`).

use app::events::{
    ContactCreated, ContactDeleted, ContactEdited, ContactMethod, Event, InteractionCorrected,
    InteractionRecorded, InteractionRemoved, MeetingNotesEmailFailed, MeetingNotesEmailRequested,
    MeetingNotesEmailSent, NextMeetingCancelled, NextMeetingScheduled,
};
use app::views::ProjectionName;
use sqlx::SqliteConnection;

mod fold;

use super::{Projection, Rebuild, meeting_instant};
use crate::markdown;
use crate::store::{StoreError, StoredEvent};

pub struct ContactsProjection;

/// `$statement`, which changes a contact's interactions, followed by the statement that sets
/// the contact's `last_interacted_on` to the latest day among them (the day they happened, not
/// the day they were recorded): both run in one call to SQLite. In both, `$1` is the event's
/// time, `$2` the account and `$3` the contact.
macro_rules! then_follow_last_interaction {
    ($statement:literal) => {
        concat!(
            $statement,
            "; UPDATE projected_contacts SET last_updated_at = $1, last_interacted_on = \
                 (SELECT MAX(occurred_on) FROM projected_contact_interactions \
                  WHERE account_id = $2 AND contact_name = $3) \
             WHERE account_id = $2 AND name = $3"
        )
    };
}

/// A contact method as the table keeps it: its text ("" for none) and its kind (NULL for none).
fn method_columns(method: Option<&ContactMethod>) -> (&str, Option<&'static str>) {
    method.map_or(("", None), |m| (m.value.as_str(), Some(m.kind.as_str())))
}

#[async_trait::async_trait]
impl Projection for ContactsProjection {
    fn tables(&self) -> &'static [&'static str] {
        &["projected_contacts", "projected_contact_interactions"]
    }

    fn name(&self) -> &'static str {
        ProjectionName::Contacts.as_str()
    }

    fn rebuilder(&self) -> Option<Box<dyn Rebuild>> {
        Some(Box::<fold::ContactsFold>::default())
    }

    async fn apply(
        &self,
        conn: &mut SqliteConnection,
        stored: &StoredEvent,
        event: &Event,
    ) -> Result<(), StoreError> {
        match event {
            // The seed's upsert: a contact that already exists under this key is overwritten.
            Event::ContactCreated(ContactCreated {
                name,
                description,
                contact_method,
            }) => {
                let (method, kind) = method_columns(contact_method.as_ref());
                sqlx::query(
                    "INSERT INTO projected_contacts \
                         (id, name, description, contact_method, contact_method_kind, account_id, last_updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) \
                     ON CONFLICT (name, account_id) DO UPDATE SET \
                         description = excluded.description, \
                         contact_method = excluded.contact_method, \
                         contact_method_kind = excluded.contact_method_kind, \
                         last_updated_at = excluded.last_updated_at",
                )
                .bind(stored.id)
                .bind(name)
                .bind(description)
                .bind(method)
                .bind(kind)
                .bind(stored.account()?)
                .bind(stored.created_at)
                .execute(conn)
                .await?;
            }
            Event::ContactEdited(ContactEdited {
                name,
                new_name,
                description,
                contact_method,
            }) => {
                let (method, kind) = method_columns(contact_method.as_ref());
                // A rename takes the interactions along.
                sqlx::query(
                    "UPDATE projected_contacts SET \
                         name = COALESCE($1, name), description = $2, contact_method = $3, \
                         contact_method_kind = $4, last_updated_at = $5 \
                     WHERE account_id = $6 AND name = $7; \
                     UPDATE projected_contact_interactions SET contact_name = $1 \
                     WHERE $1 IS NOT NULL AND account_id = $6 AND contact_name = $7",
                )
                .bind(new_name)
                .bind(description)
                .bind(method)
                .bind(kind)
                .bind(stored.created_at)
                .bind(stored.account()?)
                .bind(name)
                .execute(conn)
                .await?;
            }
            Event::ContactDeleted(ContactDeleted { name }) => {
                sqlx::query(
                    "DELETE FROM projected_contacts WHERE account_id = $1 AND name = $2; \
                     DELETE FROM projected_contact_interactions WHERE account_id = $1 AND contact_name = $2",
                )
                .bind(stored.account()?)
                .bind(name)
                .execute(conn)
                .await?;
            }
            Event::InteractionRecorded(InteractionRecorded {
                contact,
                occurred_on,
                kind,
                note,
            }) => {
                sqlx::query(then_follow_last_interaction!(
                    "INSERT INTO projected_contact_interactions \
                         (id, account_id, contact_name, occurred_on, kind, note, recorded_at, last_updated_at) \
                     VALUES ($4, $2, $3, $5, $6, $7, $1, $1)"
                ))
                .bind(stored.created_at)
                .bind(stored.account()?)
                .bind(contact)
                .bind(stored.id)
                .bind(occurred_on)
                .bind(kind)
                .bind(note)
                .execute(conn)
                .await?;
            }
            Event::InteractionCorrected(InteractionCorrected {
                contact,
                interaction,
                occurred_on,
                kind,
                note,
            }) => {
                sqlx::query(then_follow_last_interaction!(
                    "UPDATE projected_contact_interactions SET occurred_on = $4, kind = $5, note = $6, \
                         last_updated_at = $1 WHERE account_id = $2 AND id = $7"
                ))
                .bind(stored.created_at)
                .bind(stored.account()?)
                .bind(contact)
                .bind(occurred_on)
                .bind(kind)
                .bind(note)
                .bind(interaction)
                .execute(conn)
                .await?;
            }
            Event::InteractionRemoved(InteractionRemoved { contact, interaction }) => {
                sqlx::query(then_follow_last_interaction!(
                    "DELETE FROM projected_contact_interactions WHERE account_id = $2 AND id = $4"
                ))
                .bind(stored.created_at)
                .bind(stored.account()?)
                .bind(contact)
                .bind(interaction)
                .execute(conn)
                .await?;
            }
            Event::NextMeetingScheduled(meeting) => {
                let NextMeetingScheduled {
                    contact,
                    meeting_on,
                    meeting_time,
                    time_zone,
                    notes,
                } = meeting;
                let local = meeting_on.and_time(*meeting_time);
                // The email's state belongs to the meeting's day: it survives new notes or a new
                // time on the same day, and starts afresh on another day (unless that day's
                // email was the last one sent).
                sqlx::query(
                    "UPDATE projected_contacts SET next_meeting_at = $1, next_meeting_local = $2, \
                         next_meeting_time_zone = $3, next_meeting_notes = $4, next_meeting_notes_html = $5, \
                         next_meeting_notes_excerpt = $6, last_updated_at = $7, \
                         meeting_email_sent_at = CASE WHEN meeting_email_on = $10 THEN meeting_email_sent_at \
                             WHEN meeting_email_last_sent_on = $10 THEN meeting_email_last_sent_at END, \
                         meeting_email_failure = CASE WHEN meeting_email_on = $10 THEN meeting_email_failure END, \
                         meeting_email_retry_at = CASE WHEN meeting_email_on = $10 THEN meeting_email_retry_at END, \
                         meeting_email_given_up = CASE WHEN meeting_email_on = $10 THEN meeting_email_given_up ELSE 0 END, \
                         meeting_email_on = $10 \
                     WHERE account_id = $8 AND name = $9",
                )
                .bind(meeting_instant(meeting, stored)?)
                .bind(local.format("%Y-%m-%d %H:%M").to_string())
                .bind(time_zone)
                .bind(notes)
                .bind(markdown::render(notes))
                .bind(markdown::excerpt(notes))
                .bind(stored.created_at)
                .bind(stored.account()?)
                .bind(contact)
                .bind(meeting_on)
                .execute(conn)
                .await?;
            }
            Event::NextMeetingCancelled(NextMeetingCancelled { contact }) => {
                sqlx::query(
                    "UPDATE projected_contacts SET next_meeting_at = NULL, next_meeting_local = NULL, \
                         next_meeting_time_zone = NULL, next_meeting_notes = NULL, next_meeting_notes_html = NULL, \
                         next_meeting_notes_excerpt = NULL, last_updated_at = $1 \
                     WHERE account_id = $2 AND name = $3",
                )
                .bind(stored.created_at)
                .bind(stored.account()?)
                .bind(contact)
                .execute(conn)
                .await?;
            }
            Event::MeetingNotesEmailSent(MeetingNotesEmailSent {
                contact, meeting_on, ..
            }) => {
                sqlx::query(
                    "UPDATE projected_contacts SET meeting_email_last_sent_on = $4, meeting_email_last_sent_at = $1, \
                         meeting_email_sent_at = CASE WHEN meeting_email_on = $4 THEN $1 ELSE meeting_email_sent_at END, \
                         meeting_email_failure = CASE WHEN meeting_email_on = $4 THEN NULL ELSE meeting_email_failure END, \
                         meeting_email_retry_at = CASE WHEN meeting_email_on = $4 THEN NULL ELSE meeting_email_retry_at END, \
                         meeting_email_given_up = CASE WHEN meeting_email_on = $4 THEN 0 ELSE meeting_email_given_up END, \
                         last_updated_at = $1 \
                     WHERE account_id = $2 AND name = $3",
                )
                .bind(stored.created_at)
                .bind(stored.account()?)
                .bind(contact)
                .bind(meeting_on)
                .execute(conn)
                .await?;
            }
            Event::MeetingNotesEmailFailed(MeetingNotesEmailFailed {
                contact,
                meeting_on,
                reason,
                retry_at,
                given_up,
            }) => {
                sqlx::query(
                    "UPDATE projected_contacts SET meeting_email_failure = $2, \
                         meeting_email_retry_at = $3, meeting_email_given_up = $4, last_updated_at = $1 \
                     WHERE account_id = $5 AND name = $6 AND meeting_email_on = $7 \
                         AND meeting_email_sent_at IS NULL",
                )
                .bind(stored.created_at)
                .bind(reason)
                .bind(retry_at)
                .bind(given_up)
                .bind(stored.account()?)
                .bind(contact)
                .bind(meeting_on)
                .execute(conn)
                .await?;
            }
            Event::MeetingNotesEmailRequested(MeetingNotesEmailRequested { contact, meeting_on }) => {
                sqlx::query(
                    "UPDATE projected_contacts SET meeting_email_failure = NULL, \
                         meeting_email_retry_at = NULL, meeting_email_given_up = 0, last_updated_at = $1 \
                     WHERE account_id = $2 AND name = $3 AND meeting_email_on = $4",
                )
                .bind(stored.created_at)
                .bind(stored.account()?)
                .bind(contact)
                .bind(meeting_on)
                .execute(conn)
                .await?;
            }
            // Other events do not touch the tables.
            _ => {}
        }
        Ok(())
    }
}
