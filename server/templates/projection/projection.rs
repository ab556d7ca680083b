//! `projected_kith_template`: say what the table keeps and which page reads it.

use app::events::{ContactCreated, ContactDeleted, Event};

use engine::db::Conn;
use engine::on;
use server::crm::{Crm, Projection, StoreError, StoredEvent};

pub struct KithTemplateProjection;

#[async_trait::async_trait]
impl Projection<Crm> for KithTemplateProjection {
    fn name(&self) -> &'static str {
        "projected_kith_template"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["projected_kith_template"]
    }

    // Each statement runs on SQLite or PostgreSQL: `on!` compiles it for both, so write SQL
    // that both understand (see server/engine/src/db.rs).
    async fn apply(&self, conn: Conn<'_>, stored: &StoredEvent, event: &Event) -> Result<(), StoreError> {
        match event {
            Event::ContactCreated(ContactCreated { name, .. }) => {
                let account_id = stored.account()?;
                on!(conn, c => sqlx::query(
                    "INSERT INTO projected_kith_template (account_id, contact_name, last_updated_at) \
                     VALUES ($1, $2, $3) \
                     ON CONFLICT (account_id, contact_name) DO UPDATE SET last_updated_at = excluded.last_updated_at",
                )
                .bind(account_id)
                .bind(name)
                .bind(stored.created_at)
                .execute(c)
                .await
                .map(drop))?;
            }
            Event::ContactDeleted(ContactDeleted { name }) => {
                let account_id = stored.account()?;
                on!(conn, c => sqlx::query(
                    "DELETE FROM projected_kith_template WHERE account_id = $1 AND contact_name = $2",
                )
                .bind(account_id)
                .bind(name)
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
