//! Projections: tables kept up to date from the stream, one file per projection holding its
//! table's handler. Register a new projection in [`all`].

mod accounts;
mod contacts;

use std::sync::Arc;

use app::events::Event;
use sqlx::SqliteConnection;

use crate::store::{StoreError, StoredEvent};

/// A table kept from the stream. The dispatcher calls [`Projection::apply`] for every event,
/// in stream order, inside the transaction that also advances the projection's checkpoint.
#[async_trait::async_trait]
pub trait Projection: Send + Sync + 'static {
    /// The projection's name: its table, and its row in `projections`.
    fn name(&self) -> &'static str;

    /// Applies one event to the table; events this projection does not care about are ignored.
    async fn apply(
        &self,
        conn: &mut SqliteConnection,
        stored: &StoredEvent,
        event: &Event,
    ) -> Result<(), StoreError>;

    /// Empties the table, before a rebuild from the start of the stream.
    async fn reset(&self, conn: &mut SqliteConnection) -> Result<(), StoreError>;
}

/// Every projection the application keeps.
pub fn all() -> Vec<Arc<dyn Projection>> {
    vec![
        Arc::new(contacts::ContactsProjection),
        Arc::new(accounts::AccountsProjection),
    ]
}
