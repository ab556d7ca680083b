//! What the dispatcher keeps up to date: a projection, the tables it keeps from the stream,
//! and the faster way to rebuild them from the whole stream at once.

use crate::db::Conn;
use crate::domain::Domain;
use crate::on;
use crate::store::{StoreError, StoredEvent};

/// A table kept from the stream. The dispatcher calls [`Projection::apply`] for every event,
/// in stream order, inside the transaction that also advances the projection's checkpoint.
#[async_trait::async_trait]
pub trait Projection<D: Domain>: Send + Sync + 'static {
    /// The projection's name: its table, and its row in `projections`.
    fn name(&self) -> &'static str;

    /// Applies one event to the table; events this projection does not care about are ignored.
    async fn apply(
        &self,
        conn: Conn<'_>,
        stored: &StoredEvent<D>,
        event: &D::Event,
    ) -> Result<(), StoreError>;

    /// Applies a batch's events in stream order, as [`Projection::apply`] would one by one
    /// (the default does just that). On failure: the place in the batch of the event that
    /// failed (0 when none can be blamed), and why; the dispatcher then applies the events
    /// before it as a batch of their own.
    async fn apply_batch(
        &self,
        mut conn: Conn<'_>,
        events: &[(&StoredEvent<D>, &D::Event)],
    ) -> Result<(), (usize, StoreError)> {
        for (at, (stored, event)) in events.iter().enumerate() {
            self.apply(conn.re(), stored, event)
                .await
                .map_err(|error| (at, error))?;
        }
        Ok(())
    }

    /// The tables this projection keeps: the ones a rebuild builds beside the live ones and
    /// swaps in.
    fn tables(&self) -> &'static [&'static str];

    /// A faster way to rebuild the tables from the whole stream: fold it in memory, then write
    /// each row once. `None` (the default): a rebuild applies the events one by one.
    fn rebuilder(&self) -> Option<Box<dyn Rebuild<D>>> {
        None
    }

    /// Empties the tables, before a rebuild from the start of the stream in place.
    async fn reset(&self, mut conn: Conn<'_>) -> Result<(), StoreError> {
        for table in self.tables() {
            on!(conn.re(), c => sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table}")))
                .execute(c)
                .await.map(drop))?;
        }
        Ok(())
    }
}

/// A projection's tables built in memory from the stream, from its first event: a replay feeds
/// it every event in order, then has it write its rows into the empty tables beside the live
/// ones. It must give exactly the rows that [`Projection::apply`] gives.
#[async_trait::async_trait]
pub trait Rebuild<D: Domain>: Send {
    /// Takes in the next event of the stream.
    fn apply(&mut self, stored: &StoredEvent<D>, event: &D::Event) -> Result<(), StoreError>;

    /// Writes the rows into the tables `conn` sees.
    async fn write(self: Box<Self>, conn: Conn<'_>) -> Result<(), StoreError>;
}
