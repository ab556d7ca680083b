//! The command side's invariants of the morning email: its records (see [`deliveries`]) follow
//! a contact's renames and deletion, and a failed email may be asked for again only while it
//! can still be sent. Runs after the contacts' guard, so the contact named exists.
//!
//! `guard.sql` holds the same checks as PostgreSQL functions, for the batch append there.

use app::error::Rejection;
use app::events::{ContactDeleted, ContactEdited, Event, MeetingNotesEmailRequested};
use chrono::Utc;
use engine::db::Conn;

use super::deliveries::{self, DeliveryKey};

/// Checks `event` against the account's morning emails, and records its effect on them.
pub async fn check(
    mut conn: Conn<'_>,
    account_id: i64,
    event: &Event,
) -> Result<Result<(), Rejection>, sqlx::Error> {
    match event {
        Event::ContactEdited(ContactEdited {
            name,
            new_name: Some(new_name),
            ..
        }) => deliveries::follow_rename(conn.re(), account_id, name, new_name).await?,
        Event::ContactDeleted(ContactDeleted { name }) => {
            deliveries::forget_contact(conn.re(), account_id, name).await?;
        }
        Event::MeetingNotesEmailRequested(MeetingNotesEmailRequested { contact, meeting_on }) => {
            let key = DeliveryKey {
                account_id,
                contact,
                meeting_on: *meeting_on,
            };
            if let Err(rejection) = deliveries::request_again(conn.re(), key, Utc::now()).await? {
                return Ok(Err(rejection));
            }
        }
        _ => {}
    }
    Ok(Ok(()))
}
