//! `projected_meeting_notes_emails`: the morning emails still to send, one per contact whose
//! next meeting has not had its email yet, with what the email needs. The mailer reads it; its
//! "sent" event removes the row. `projected_meeting_notes_emails_done` remembers the days
//! whose email is done (sent or given up), so re-noting such a meeting, or moving a meeting
//! back to such a day, does not bring its email back.

use app::events::{
    ContactCreated, ContactDeleted, ContactEdited, Event, MeetingNotesEmailFailed,
    MeetingNotesEmailRequested, MeetingNotesEmailSent, NextMeetingCancelled, NextMeetingScheduled,
};
use app::views::ProjectionName;

use crate::crm::{Crm, Projection, StoreError, StoredEvent};
use crate::time::meeting_instant;
use engine::db::Conn;
use engine::on;

pub struct MeetingNotesEmailsProjection;

const TABLES: [&str; 2] = [
    "projected_meeting_notes_emails",
    "projected_meeting_notes_emails_done",
];

#[async_trait::async_trait]
impl Projection<Crm> for MeetingNotesEmailsProjection {
    fn tables(&self) -> &'static [&'static str] {
        &TABLES
    }

    fn name(&self) -> &'static str {
        ProjectionName::MeetingNotesEmails.as_str()
    }

    async fn apply(&self, mut conn: Conn<'_>, stored: &StoredEvent, event: &Event) -> Result<(), StoreError> {
        match event {
            Event::NextMeetingScheduled(meeting) => {
                let NextMeetingScheduled {
                    contact,
                    meeting_on,
                    notes,
                    ..
                } = meeting;
                let account_id = stored.account()?;
                let done: Option<i64> = on!(conn.re(), c => sqlx::query_scalar(
                    "SELECT account_id FROM projected_meeting_notes_emails_done \
                     WHERE account_id = $1 AND contact_name = $2 AND meeting_on = $3",
                )
                .bind(account_id)
                .bind(contact)
                .bind(meeting_on)
                .fetch_optional(c)
                .await)?;
                if done.is_some() {
                    // That day's email is done: nothing is left to send for this contact.
                    on!(conn, c => sqlx::query(
                        "DELETE FROM projected_meeting_notes_emails WHERE account_id = $1 AND contact_name = $2",
                    )
                    .bind(account_id)
                    .bind(contact)
                    .execute(c)
                    .await
                    .map(drop))?;
                    return Ok(());
                }
                // A failure stays with its meeting's day; another day starts afresh. (The row's
                // own columns are named with the table's name: PostgreSQL would find them
                // ambiguous with `excluded`'s.)
                let meeting_at = meeting_instant(meeting, stored.id)?;
                on!(conn, c => sqlx::query(
                    "INSERT INTO projected_meeting_notes_emails (account_id, contact_name, meeting_on, \
                         meeting_at, notes, last_updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (account_id, contact_name) DO UPDATE SET \
                         failed_at = CASE WHEN projected_meeting_notes_emails.meeting_on = excluded.meeting_on \
                             THEN projected_meeting_notes_emails.failed_at END, \
                         retry_at = CASE WHEN projected_meeting_notes_emails.meeting_on = excluded.meeting_on \
                             THEN projected_meeting_notes_emails.retry_at END, \
                         meeting_on = excluded.meeting_on, meeting_at = excluded.meeting_at, \
                         notes = excluded.notes, \
                         last_updated_at = excluded.last_updated_at",
                )
                .bind(account_id)
                .bind(contact)
                .bind(meeting_on)
                .bind(meeting_at)
                .bind(notes)
                .bind(stored.created_at)
                .execute(c)
                .await
                .map(drop))?;
            }
            Event::NextMeetingCancelled(NextMeetingCancelled { contact }) => {
                let account_id = stored.account()?;
                on!(conn, c => sqlx::query(
                    "DELETE FROM projected_meeting_notes_emails WHERE account_id = $1 AND contact_name = $2",
                )
                .bind(account_id)
                .bind(contact)
                .execute(c)
                .await
                .map(drop))?;
            }
            // A new contact starts afresh, even under the name of one deleted while its email
            // was on its way.
            Event::ContactCreated(ContactCreated { name, .. }) => {
                let account_id = stored.account()?;
                on!(conn, c => sqlx::query(
                    "DELETE FROM projected_meeting_notes_emails_done WHERE account_id = $1 AND contact_name = $2",
                )
                .bind(account_id)
                .bind(name)
                .execute(c)
                .await
                .map(drop))?;
            }
            Event::ContactEdited(ContactEdited {
                name,
                new_name: Some(new_name),
                ..
            }) => {
                let account_id = stored.account()?;
                // Days left under the new name by a contact deleted mid-send belong to nobody.
                on!(conn.re(), c => sqlx::query(
                    "DELETE FROM projected_meeting_notes_emails_done WHERE account_id = $1 AND contact_name = $2",
                )
                .bind(account_id)
                .bind(new_name)
                .execute(c)
                .await
                .map(drop))?;
                for table in TABLES {
                    on!(conn.re(), c => sqlx::query(sqlx::AssertSqlSafe(format!(
                        "UPDATE {table} SET contact_name = $1 WHERE account_id = $2 AND contact_name = $3"
                    )))
                    .bind(new_name)
                    .bind(account_id)
                    .bind(name)
                    .execute(c)
                    .await
                    .map(drop))?;
                }
            }
            Event::ContactDeleted(ContactDeleted { name }) => {
                let account_id = stored.account()?;
                for table in TABLES {
                    on!(conn.re(), c => sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DELETE FROM {table} WHERE account_id = $1 AND contact_name = $2"
                    )))
                    .bind(account_id)
                    .bind(name)
                    .execute(c)
                    .await
                    .map(drop))?;
                }
            }
            Event::MeetingNotesEmailSent(MeetingNotesEmailSent {
                contact, meeting_on, ..
            })
            | Event::MeetingNotesEmailFailed(MeetingNotesEmailFailed {
                contact,
                meeting_on,
                given_up: true,
                ..
            }) => {
                let account_id = stored.account()?;
                on!(conn.re(), c => sqlx::query(
                    "DELETE FROM projected_meeting_notes_emails \
                     WHERE account_id = $1 AND contact_name = $2 AND meeting_on = $3",
                )
                .bind(account_id)
                .bind(contact)
                .bind(meeting_on)
                .execute(c)
                .await
                .map(drop))?;
                on!(conn, c => sqlx::query(
                    "INSERT INTO projected_meeting_notes_emails_done (account_id, contact_name, meeting_on) \
                     VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                )
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
                retry_at,
                given_up: false,
                ..
            }) => {
                let account_id = stored.account()?;
                on!(conn, c => sqlx::query(
                    "UPDATE projected_meeting_notes_emails SET failed_at = $1, retry_at = $2, last_updated_at = $1 \
                     WHERE account_id = $3 AND contact_name = $4 AND meeting_on = $5",
                )
                .bind(stored.created_at)
                .bind(retry_at)
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
                    "UPDATE projected_meeting_notes_emails SET failed_at = NULL, retry_at = NULL, last_updated_at = $1 \
                     WHERE account_id = $2 AND contact_name = $3 AND meeting_on = $4",
                )
                .bind(stored.created_at)
                .bind(account_id)
                .bind(contact)
                .bind(meeting_on)
                .execute(c)
                .await
                .map(drop))?;
            }
            // Other events do not touch the table.
            _ => {}
        }
        Ok(())
    }
}
