//! `projected_meeting_notes_emails`: the morning emails still to send, one per contact whose
//! next meeting has not had its email yet, with what the email needs. The mailer reads it; its
//! "sent" event removes the row. `projected_meeting_notes_emails_sent` remembers the last
//! emailed meeting of each contact, so re-noting that meeting the same day does not bring its
//! email back.

use app::events::{
    ContactDeleted, ContactEdited, Event, MeetingNotesEmailFailed, MeetingNotesEmailRequested,
    MeetingNotesEmailSent, NextMeetingCancelled, NextMeetingScheduled,
};
use app::views::ProjectionName;
use sqlx::SqliteConnection;

use super::{Projection, meeting_instant};
use crate::markdown;
use crate::store::{StoreError, StoredEvent};

pub struct MeetingNotesEmailsProjection;

#[async_trait::async_trait]
impl Projection for MeetingNotesEmailsProjection {
    fn name(&self) -> &'static str {
        ProjectionName::MeetingNotesEmails.as_str()
    }

    async fn apply(
        &self,
        conn: &mut SqliteConnection,
        stored: &StoredEvent,
        event: &Event,
    ) -> Result<(), StoreError> {
        let account_id = || {
            stored.account_id.ok_or_else(|| {
                StoreError::Inconsistent(format!(
                    "event {} concerns a meeting but names no account",
                    stored.id
                ))
            })
        };
        match event {
            Event::NextMeetingScheduled(meeting) => {
                let NextMeetingScheduled {
                    contact,
                    meeting_on,
                    meeting_time,
                    time_zone,
                    notes,
                } = meeting;
                let already_sent: Option<i64> = sqlx::query_scalar(
                    "SELECT 1 FROM projected_meeting_notes_emails_sent \
                     WHERE account_id = $1 AND contact_name = $2 AND meeting_on = $3",
                )
                .bind(account_id()?)
                .bind(contact)
                .bind(meeting_on)
                .fetch_optional(&mut *conn)
                .await?;
                if already_sent.is_some() {
                    return Ok(());
                }
                // A failure stays with its meeting's day; another day starts afresh.
                sqlx::query(
                    "INSERT INTO projected_meeting_notes_emails (account_id, contact_name, meeting_on, \
                         meeting_time, time_zone, meeting_at, notes, notes_html, last_updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                     ON CONFLICT (account_id, contact_name) DO UPDATE SET \
                         failed_at = CASE WHEN meeting_on = excluded.meeting_on THEN failed_at END, \
                         failure = CASE WHEN meeting_on = excluded.meeting_on THEN failure END, \
                         retry_at = CASE WHEN meeting_on = excluded.meeting_on THEN retry_at END, \
                         meeting_on = excluded.meeting_on, meeting_time = excluded.meeting_time, \
                         time_zone = excluded.time_zone, meeting_at = excluded.meeting_at, \
                         notes = excluded.notes, notes_html = excluded.notes_html, \
                         last_updated_at = excluded.last_updated_at",
                )
                .bind(account_id()?)
                .bind(contact)
                .bind(meeting_on)
                .bind(meeting_time.format("%H:%M").to_string())
                .bind(time_zone)
                .bind(meeting_instant(meeting, stored)?)
                .bind(notes)
                .bind(markdown::render(notes))
                .bind(stored.created_at)
                .execute(conn)
                .await?;
            }
            Event::NextMeetingCancelled(NextMeetingCancelled { contact }) => {
                sqlx::query(
                    "DELETE FROM projected_meeting_notes_emails WHERE account_id = $1 AND contact_name = $2",
                )
                .bind(account_id()?)
                .bind(contact)
                .execute(conn)
                .await?;
            }
            Event::ContactEdited(ContactEdited {
                name,
                new_name: Some(new_name),
                ..
            }) => {
                for table in [
                    "projected_meeting_notes_emails",
                    "projected_meeting_notes_emails_sent",
                ] {
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "UPDATE {table} SET contact_name = $1 WHERE account_id = $2 AND contact_name = $3"
                    )))
                    .bind(new_name)
                    .bind(account_id()?)
                    .bind(name)
                    .execute(&mut *conn)
                    .await?;
                }
            }
            Event::ContactDeleted(ContactDeleted { name }) => {
                for table in [
                    "projected_meeting_notes_emails",
                    "projected_meeting_notes_emails_sent",
                ] {
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DELETE FROM {table} WHERE account_id = $1 AND contact_name = $2"
                    )))
                    .bind(account_id()?)
                    .bind(name)
                    .execute(&mut *conn)
                    .await?;
                }
            }
            Event::MeetingNotesEmailSent(MeetingNotesEmailSent {
                contact, meeting_on, ..
            }) => {
                sqlx::query(
                    "DELETE FROM projected_meeting_notes_emails \
                     WHERE account_id = $1 AND contact_name = $2 AND meeting_on = $3",
                )
                .bind(account_id()?)
                .bind(contact)
                .bind(meeting_on)
                .execute(&mut *conn)
                .await?;
                sqlx::query(
                    "INSERT OR REPLACE INTO projected_meeting_notes_emails_sent (account_id, contact_name, meeting_on) \
                     VALUES ($1, $2, $3)",
                )
                .bind(account_id()?)
                .bind(contact)
                .bind(meeting_on)
                .execute(conn)
                .await?;
            }
            Event::MeetingNotesEmailFailed(MeetingNotesEmailFailed {
                contact,
                meeting_on,
                given_up: true,
                ..
            }) => {
                sqlx::query(
                    "DELETE FROM projected_meeting_notes_emails \
                     WHERE account_id = $1 AND contact_name = $2 AND meeting_on = $3",
                )
                .bind(account_id()?)
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
                given_up: false,
            }) => {
                sqlx::query(
                    "UPDATE projected_meeting_notes_emails SET failed_at = $1, failure = $2, retry_at = $3, \
                         last_updated_at = $1 \
                     WHERE account_id = $4 AND contact_name = $5 AND meeting_on = $6",
                )
                .bind(stored.created_at)
                .bind(reason)
                .bind(retry_at)
                .bind(account_id()?)
                .bind(contact)
                .bind(meeting_on)
                .execute(conn)
                .await?;
            }
            Event::MeetingNotesEmailRequested(MeetingNotesEmailRequested { contact, meeting_on }) => {
                sqlx::query(
                    "UPDATE projected_meeting_notes_emails SET failed_at = NULL, failure = NULL, \
                         retry_at = NULL, last_updated_at = $1 \
                     WHERE account_id = $2 AND contact_name = $3 AND meeting_on = $4",
                )
                .bind(stored.created_at)
                .bind(account_id()?)
                .bind(contact)
                .bind(meeting_on)
                .execute(conn)
                .await?;
            }
            Event::ContactCreated(_)
            | Event::ContactEdited(_)
            | Event::AccountRegistered(_)
            | Event::AccountSettingsChanged(_)
            | Event::InteractionRecorded(_)
            | Event::InteractionCorrected(_)
            | Event::InteractionRemoved(_) => {}
        }
        Ok(())
    }

    async fn reset(&self, conn: &mut SqliteConnection) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM projected_meeting_notes_emails")
            .execute(&mut *conn)
            .await?;
        sqlx::query("DELETE FROM projected_meeting_notes_emails_sent")
            .execute(conn)
            .await?;
        Ok(())
    }
}
