//! `projected_contacts`: one row per contact, found by its natural key (name, account), with
//! its last interaction and next meeting; and `projected_contact_interactions`, each contact's
//! interactions. One listener keeps both, so a contact's page reads one projection.
//!
//! What an event does to the rows is said once, by [`ContactsFold::step`]. The live listener
//! reads the rows a batch of events touches, steps them and writes back what changed; a replay
//! folds the whole stream in memory and writes every row once.

use app::events::Event;
use app::views::ProjectionName;

use super::fold::{ContactsFold, Touched};
use super::rows;
use crate::crm::{Crm, Projection, Rebuild, StoreError, StoredEvent};
use engine::db::Conn;

pub struct ContactsProjection;

#[async_trait::async_trait]
impl Projection<Crm> for ContactsProjection {
    fn tables(&self) -> &'static [&'static str] {
        &["projected_contacts", "projected_contact_interactions"]
    }

    fn name(&self) -> &'static str {
        ProjectionName::Contacts.as_str()
    }

    fn rebuilder(&self) -> Option<Box<dyn Rebuild<Crm>>> {
        Some(Box::<ContactsFold>::default())
    }

    async fn apply(&self, conn: Conn<'_>, stored: &StoredEvent, event: &Event) -> Result<(), StoreError> {
        self.apply_batch(conn, &[(stored, event)])
            .await
            .map_err(|(_, error)| error)
    }

    async fn apply_batch(
        &self,
        mut conn: Conn<'_>,
        events: &[(&StoredEvent, &Event)],
    ) -> Result<(), (usize, StoreError)> {
        let mut touched = Touched::default();
        for (at, (stored, event)) in events.iter().enumerate() {
            if event.contact().is_some() {
                touched.add(stored.account().map_err(|e| (at, e))?, event);
            }
        }
        if touched.contacts.is_empty() {
            return Ok(());
        }
        let before = rows::load(conn.re(), &touched).await.map_err(|e| (0, e))?;
        let mut after = before.clone();
        for (at, (stored, event)) in events.iter().enumerate() {
            if event.contact().is_some() {
                let account_id = stored.account().map_err(|e| (at, e))?;
                after
                    .step(account_id, stored.id, stored.created_at, event)
                    .map_err(|e| (at, e))?;
            }
        }
        rows::write_changes(conn, &before, after)
            .await
            .map_err(|e| (0, e))
    }
}

#[async_trait::async_trait]
impl Rebuild<Crm> for ContactsFold {
    fn apply(&mut self, stored: &StoredEvent, event: &Event) -> Result<(), StoreError> {
        if event.contact().is_none() {
            return Ok(());
        }
        self.step(stored.account()?, stored.id, stored.created_at, event)
    }

    async fn write(self: Box<Self>, conn: Conn<'_>) -> Result<(), StoreError> {
        rows::write_all(conn, *self).await
    }
}
