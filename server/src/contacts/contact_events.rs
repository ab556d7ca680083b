//! `projected_contact_events`: which events are about each contact, under the contact's
//! current name, for the contact's history and the event browser's contact filter.

use app::events::{ContactDeleted, ContactEdited, Event};
use app::views::ProjectionName;

use crate::crm::{Crm, Projection, StoreError, StoredEvent};
use engine::db::Conn;
use engine::on;

pub struct ContactEventsProjection;

#[async_trait::async_trait]
impl Projection<Crm> for ContactEventsProjection {
    fn tables(&self) -> &'static [&'static str] {
        &["projected_contact_events"]
    }

    fn name(&self) -> &'static str {
        ProjectionName::ContactEvents.as_str()
    }

    async fn apply(&self, mut conn: Conn<'_>, stored: &StoredEvent, event: &Event) -> Result<(), StoreError> {
        let Some(contact) = event.contact() else {
            return Ok(());
        };
        let account_id = stored.account()?;
        let contact = match event {
            // The history goes with the contact.
            Event::ContactDeleted(ContactDeleted { name }) => {
                on!(conn.re(), c => sqlx::query(
                    "DELETE FROM projected_contact_events WHERE account_id = $1 AND contact_name = $2",
                )
                .bind(account_id)
                .bind(name)
                .execute(c)
                .await
                .map(drop))?;
                return Ok(());
            }
            Event::ContactEdited(ContactEdited {
                name,
                new_name: Some(new_name),
                ..
            }) => {
                on!(conn.re(), c => sqlx::query(
                    "UPDATE projected_contact_events SET contact_name = $1 \
                     WHERE account_id = $2 AND contact_name = $3",
                )
                .bind(new_name)
                .bind(account_id)
                .bind(name)
                .execute(c)
                .await
                .map(drop))?;
                new_name.as_str()
            }
            _ => contact,
        };
        on!(conn, c => sqlx::query(
            "INSERT INTO projected_contact_events (event_id, account_id, contact_name) VALUES ($1, $2, $3)",
        )
        .bind(stored.id)
        .bind(account_id)
        .bind(contact)
        .execute(c)
        .await
        .map(drop))?;
        Ok(())
    }
}
