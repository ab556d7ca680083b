//! `projected_contacts`: one row per contact, found by its natural key (name, account), with
//! its last interaction and next meeting; `projected_contact_interactions`, each contact's
//! interactions; and `projected_contact_counts`, how many contacts each account has. One
//! listener keeps the three, so a page reads one projection.
//!
//! What an event does to the rows is said once, by [`ContactsFold::step`]. The live listener
//! reads the rows a batch of events touches, steps them and writes back what changed; a replay
//! folds the whole stream in memory and writes every row once.

use app::events::Event;
use app::views::ProjectionName;

use super::fold::{ContactsFold, Touched};
use super::{counts, rows};
use crate::crm::{Crm, Projection, Rebuild, StoreError, StoredEvent};
use engine::db::Conn;

pub struct ContactsProjection;

#[async_trait::async_trait]
impl Projection<Crm> for ContactsProjection {
    fn tables(&self) -> &'static [&'static str] {
        &[
            "projected_contacts",
            "projected_contact_interactions",
            "projected_contact_counts",
        ]
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
        let counted = counts::changes(&before, &after);
        rows::write_changes(conn.re(), &before, after)
            .await
            .map_err(|e| (0, e))?;
        counts::write_changes(conn, counted).await.map_err(|e| (0, e))
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

    async fn write(self: Box<Self>, mut conn: Conn<'_>) -> Result<(), StoreError> {
        let counted = counts::of(&self);
        rows::write_all(conn.re(), *self).await?;
        counts::write_all(conn, counted).await
    }
}
