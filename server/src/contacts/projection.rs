//! `projected_contacts`: one row per contact, found by its natural key (name, account), with
//! its last interaction and next meeting; and `projected_contact_interactions`, each contact's
//! interactions. One listener keeps both, so a contact's page reads one projection. The
//! handler applies events one by one; a replay folds the stream in memory instead (`fold.rs`).

use app::events::{
    ContactCreated, ContactDeleted, ContactEdited, Event, InteractionCorrected, InteractionRecorded,
    InteractionRemoved, MeetingNotesEmailFailed, MeetingNotesEmailRequested, MeetingNotesEmailSent,
    NextMeetingCancelled, NextMeetingScheduled,
};
use app::views::ProjectionName;

use super::fold::method_columns;
use super::names;
use crate::dispatch::{Projection, Rebuild};
use crate::meetings::markdown;
use crate::store::{StoreError, StoredEvent};
use crate::time::meeting_instant;
use engine::db::Conn;
use engine::on;

pub struct ContactsProjection;

/// The statement that sets a contact's `last_interacted_on` to the latest day among its
/// interactions (the day they happened, not the day they were recorded), run after each
/// statement that changes them. `$1` is the event's time, `$2` the account and `$3` the
/// contact.
macro_rules! follow_last_interaction {
    () => {
        "UPDATE projected_contacts SET last_updated_at = $1, last_interacted_on = \
             (SELECT MAX(occurred_on) FROM projected_contact_interactions \
              WHERE account_id = $2 AND contact_name = $3) \
         WHERE account_id = $2 AND name = $3"
    };
}

/// Runs the statements `$first` and `$second` on the connection `$conn`, both given every one
/// of `$bind` (`$1`, `$2`, ... in order; a statement may leave some of them unused). SQLite
/// runs both in one call, as the text `$first; $second`; PostgreSQL takes one statement per
/// call when parameters are bound, so there they run one after the other.
macro_rules! both {
    (@run $conn:expr, $first:expr, $second:expr, $together:expr; $($bind:expr),+) => {
        match $conn {
            engine::db::Conn::Sqlite(c) => {
                sqlx::query($together)$(.bind($bind))+.execute(c).await?;
            }
            engine::db::Conn::Postgres(c) => {
                sqlx::query($first)$(.bind($bind))+.execute(&mut *c).await?;
                sqlx::query($second)$(.bind($bind))+.execute(c).await?;
            }
        }
    };
    ($conn:expr, $first:literal, $second:literal, $($bind:expr),+ $(,)?) => {
        both!(@run $conn, $first, $second, concat!($first, "; ", $second); $($bind),+)
    };
}

/// `$statement`, which changes a contact's interactions, followed by
/// `follow_last_interaction!`. `$1` is the event's time, `$2` the account and `$3` the contact;
/// the statement may use the further parameters. SQLite runs both as one text in one call;
/// PostgreSQL runs them one after the other, the second given only its own three parameters
/// (it caches a statement with the types of its first use, and the extra ones differ).
macro_rules! then_follow_last_interaction {
    ($conn:expr, $statement:literal, $time:expr, $account:expr, $contact:expr, $($bind:expr),+ $(,)?) => {
        match $conn {
            engine::db::Conn::Sqlite(c) => {
                sqlx::query(concat!($statement, "; ", follow_last_interaction!()))
                    .bind($time)
                    .bind($account)
                    .bind($contact)
                    $(.bind($bind))+
                    .execute(c)
                    .await?;
            }
            engine::db::Conn::Postgres(c) => {
                sqlx::query($statement)
                    .bind($time)
                    .bind($account)
                    .bind($contact)
                    $(.bind($bind))+
                    .execute(&mut *c)
                    .await?;
                sqlx::query(follow_last_interaction!())
                    .bind($time)
                    .bind($account)
                    .bind($contact)
                    .execute(c)
                    .await?;
            }
        }
    };
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
        Some(Box::<super::fold::ContactsFold>::default())
    }

    async fn apply(&self, conn: Conn<'_>, stored: &StoredEvent, event: &Event) -> Result<(), StoreError> {
        match event {
            // The seed's upsert: a contact that already exists under this key is overwritten.
            Event::ContactCreated(ContactCreated {
                name,
                description,
                contact_method,
            }) => {
                let (method, kind) = method_columns(contact_method.as_ref());
                let account_id = stored.account()?;
                on!(conn, c => sqlx::query(
                    "INSERT INTO projected_contacts \
                         (id, name, description, contact_method, contact_method_kind, account_id, last_updated_at, \
                          name_key, search_key) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                     ON CONFLICT (name, account_id) DO UPDATE SET \
                         description = excluded.description, \
                         contact_method = excluded.contact_method, \
                         contact_method_kind = excluded.contact_method_kind, \
                         last_updated_at = excluded.last_updated_at, \
                         search_key = excluded.search_key",
                )
                .bind(stored.id)
                .bind(name)
                .bind(description)
                .bind(method)
                .bind(kind)
                .bind(account_id)
                .bind(stored.created_at)
                .bind(names::key(name))
                .bind(names::search_key(name, description))
                .execute(c)
                .await
                .map(drop))?;
            }
            Event::ContactEdited(ContactEdited {
                name,
                new_name,
                description,
                contact_method,
            }) => {
                let (method, kind) = method_columns(contact_method.as_ref());
                let account_id = stored.account()?;
                let now_called = new_name.as_deref().unwrap_or(name);
                let (name_key, search_key) =
                    (names::key(now_called), names::search_key(now_called, description));
                // A rename takes the interactions along.
                both!(
                    conn,
                    "UPDATE projected_contacts SET \
                         name = COALESCE($1, name), description = $2, contact_method = $3, \
                         contact_method_kind = $4, last_updated_at = $5, name_key = $8, search_key = $9 \
                     WHERE account_id = $6 AND name = $7",
                    "UPDATE projected_contact_interactions SET contact_name = $1 \
                     WHERE $1 IS NOT NULL AND account_id = $6 AND contact_name = $7",
                    new_name,
                    description,
                    method,
                    kind,
                    stored.created_at,
                    account_id,
                    name,
                    &name_key,
                    &search_key,
                );
            }
            Event::ContactDeleted(ContactDeleted { name }) => {
                let account_id = stored.account()?;
                both!(
                    conn,
                    "DELETE FROM projected_contacts WHERE account_id = $1 AND name = $2",
                    "DELETE FROM projected_contact_interactions WHERE account_id = $1 AND contact_name = $2",
                    account_id,
                    name,
                );
            }
            Event::InteractionRecorded(InteractionRecorded {
                contact,
                occurred_on,
                kind,
                note,
            }) => {
                let account_id = stored.account()?;
                then_follow_last_interaction!(
                    conn,
                    "INSERT INTO projected_contact_interactions \
                         (id, account_id, contact_name, occurred_on, kind, note, recorded_at, last_updated_at) \
                     VALUES ($4, $2, $3, $5, $6, $7, $1, $1)",
                    stored.created_at,
                    account_id,
                    contact,
                    stored.id,
                    occurred_on,
                    kind,
                    note,
                );
            }
            Event::InteractionCorrected(InteractionCorrected {
                contact,
                interaction,
                occurred_on,
                kind,
                note,
            }) => {
                let account_id = stored.account()?;
                then_follow_last_interaction!(
                    conn,
                    "UPDATE projected_contact_interactions SET occurred_on = $4, kind = $5, note = $6, \
                         last_updated_at = $1 WHERE account_id = $2 AND id = $7",
                    stored.created_at,
                    account_id,
                    contact,
                    occurred_on,
                    kind,
                    note,
                    interaction,
                );
            }
            Event::InteractionRemoved(InteractionRemoved { contact, interaction }) => {
                let account_id = stored.account()?;
                then_follow_last_interaction!(
                    conn,
                    "DELETE FROM projected_contact_interactions WHERE account_id = $2 AND id = $4",
                    stored.created_at,
                    account_id,
                    contact,
                    interaction,
                );
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
                let at = meeting_instant(meeting, stored)?;
                let account_id = stored.account()?;
                // The email's state belongs to the meeting's day: it survives new notes or a new
                // time on the same day, and starts afresh on another day (unless that day's
                // email was the last one sent).
                on!(conn, c => sqlx::query(
                    "UPDATE projected_contacts SET next_meeting_at = $1, next_meeting_local = $2, \
                         next_meeting_time_zone = $3, next_meeting_notes = $4, \
                         next_meeting_notes_excerpt = $5, last_updated_at = $6, \
                         meeting_email_sent_at = CASE WHEN meeting_email_on = $9 THEN meeting_email_sent_at \
                             WHEN meeting_email_last_sent_on = $9 THEN meeting_email_last_sent_at END, \
                         meeting_email_failure = CASE WHEN meeting_email_on = $9 THEN meeting_email_failure END, \
                         meeting_email_retry_at = CASE WHEN meeting_email_on = $9 THEN meeting_email_retry_at END, \
                         meeting_email_given_up = CASE WHEN meeting_email_on = $9 THEN meeting_email_given_up ELSE FALSE END, \
                         meeting_email_on = $9 \
                     WHERE account_id = $7 AND name = $8",
                )
                .bind(at)
                .bind(local.format("%Y-%m-%d %H:%M").to_string())
                .bind(time_zone)
                .bind(notes)
                .bind(markdown::excerpt(notes))
                .bind(stored.created_at)
                .bind(account_id)
                .bind(contact)
                .bind(meeting_on)
                .execute(c)
                .await
                .map(drop))?;
            }
            Event::NextMeetingCancelled(NextMeetingCancelled { contact }) => {
                let account_id = stored.account()?;
                on!(conn, c => sqlx::query(
                    "UPDATE projected_contacts SET next_meeting_at = NULL, next_meeting_local = NULL, \
                         next_meeting_time_zone = NULL, next_meeting_notes = NULL, \
                         next_meeting_notes_excerpt = NULL, last_updated_at = $1 \
                     WHERE account_id = $2 AND name = $3",
                )
                .bind(stored.created_at)
                .bind(account_id)
                .bind(contact)
                .execute(c)
                .await
                .map(drop))?;
            }
            Event::MeetingNotesEmailSent(MeetingNotesEmailSent {
                contact, meeting_on, ..
            }) => {
                let account_id = stored.account()?;
                on!(conn, c => sqlx::query(
                    "UPDATE projected_contacts SET meeting_email_last_sent_on = $4, meeting_email_last_sent_at = $1, \
                         meeting_email_sent_at = CASE WHEN meeting_email_on = $4 THEN $1 ELSE meeting_email_sent_at END, \
                         meeting_email_failure = CASE WHEN meeting_email_on = $4 THEN NULL ELSE meeting_email_failure END, \
                         meeting_email_retry_at = CASE WHEN meeting_email_on = $4 THEN NULL ELSE meeting_email_retry_at END, \
                         meeting_email_given_up = CASE WHEN meeting_email_on = $4 THEN FALSE ELSE meeting_email_given_up END, \
                         last_updated_at = $1 \
                     WHERE account_id = $2 AND name = $3",
                )
                .bind(stored.created_at)
                .bind(account_id)
                .bind(contact)
                .bind(meeting_on)
                .execute(c)
                .await
                .map(drop))?;
            }
            Event::MeetingNotesEmailFailed(MeetingNotesEmailFailed {
                contact,
                meeting_on,
                reason,
                retry_at,
                given_up,
            }) => {
                let account_id = stored.account()?;
                on!(conn, c => sqlx::query(
                    "UPDATE projected_contacts SET meeting_email_failure = $2, \
                         meeting_email_retry_at = $3, meeting_email_given_up = $4, last_updated_at = $1 \
                     WHERE account_id = $5 AND name = $6 AND meeting_email_on = $7 \
                         AND meeting_email_sent_at IS NULL",
                )
                .bind(stored.created_at)
                .bind(reason)
                .bind(retry_at)
                .bind(given_up)
                .bind(account_id)
                .bind(contact)
                .bind(meeting_on)
                .execute(c)
                .await
                .map(drop))?;
            }
            Event::MeetingNotesEmailRequested(MeetingNotesEmailRequested { contact, meeting_on }) => {
                let account_id = stored.account()?;
                on!(conn, c => sqlx::query(
                    "UPDATE projected_contacts SET meeting_email_failure = NULL, \
                         meeting_email_retry_at = NULL, meeting_email_given_up = FALSE, last_updated_at = $1 \
                     WHERE account_id = $2 AND name = $3 AND meeting_email_on = $4",
                )
                .bind(stored.created_at)
                .bind(account_id)
                .bind(contact)
                .bind(meeting_on)
                .execute(c)
                .await
                .map(drop))?;
            }
            // Other events do not touch the tables.
            _ => {}
        }
        Ok(())
    }
}
