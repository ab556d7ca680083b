//! `projected_contacts`: one row per contact, found by its natural key (name, account).

use app::events::{ContactCreated, ContactDeleted, ContactEdited, Event};
use app::views::ProjectionName;
use sqlx::SqliteConnection;

use super::Projection;
use crate::store::{StoreError, StoredEvent};

pub struct ContactsProjection;

#[async_trait::async_trait]
impl Projection for ContactsProjection {
    fn name(&self) -> &'static str {
        ProjectionName::Contacts.as_str()
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
                    "event {} concerns a contact but names no account",
                    stored.id
                ))
            })
        };
        match event {
            // The seed's upsert: a contact that already exists under this key is overwritten.
            Event::ContactCreated(ContactCreated {
                name,
                description,
                contact_method,
            }) => {
                sqlx::query(
                    "INSERT INTO projected_contacts \
                         (id, name, description, contact_method, account_id, last_updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (name, account_id) DO UPDATE SET \
                         description = excluded.description, \
                         contact_method = excluded.contact_method, \
                         last_updated_at = excluded.last_updated_at",
                )
                .bind(stored.id)
                .bind(name)
                .bind(description)
                .bind(contact_method)
                .bind(account_id()?)
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
                sqlx::query(
                    "UPDATE projected_contacts SET \
                         name = COALESCE($1, name), description = $2, contact_method = $3, last_updated_at = $4 \
                     WHERE account_id = $5 AND name = $6",
                )
                .bind(new_name)
                .bind(description)
                .bind(contact_method)
                .bind(stored.created_at)
                .bind(account_id()?)
                .bind(name)
                .execute(conn)
                .await?;
            }
            Event::ContactDeleted(ContactDeleted { name }) => {
                sqlx::query("DELETE FROM projected_contacts WHERE account_id = $1 AND name = $2")
                    .bind(account_id()?)
                    .bind(name)
                    .execute(conn)
                    .await?;
            }
        }
        Ok(())
    }

    async fn reset(&self, conn: &mut SqliteConnection) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM projected_contacts")
            .execute(conn)
            .await?;
        Ok(())
    }
}
