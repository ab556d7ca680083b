//! How fresh a page's projection is for the signed-in account: how many of the account's own
//! events it has still to apply.

use app::receipt::EventId;
use app::views::{Freshness, ProjectionName};

use engine::db::Conn;

use crate::crm::{Dispatcher, StoreError};

/// How fresh `projection` is for the account, and the event it has applied up to.
pub async fn freshness(
    dispatcher: &Dispatcher,
    account_id: i64,
    projection: ProjectionName,
) -> Result<(Freshness, EventId), StoreError> {
    let (checkpoint, _) = dispatcher.freshness(projection.as_str()).await?;
    let behind = dispatcher.store().count_after(account_id, checkpoint).await?;
    Ok((Freshness { projection, behind }, checkpoint))
}

/// [`freshness`] in one statement on `conn`: the first read of a page's read transaction.
pub async fn freshness_in(
    conn: Conn<'_>,
    account_id: i64,
    projection: ProjectionName,
) -> Result<(Freshness, EventId), StoreError> {
    let (checkpoint, behind) = Dispatcher::behind(conn, projection.as_str(), account_id).await?;
    Ok((Freshness { projection, behind }, checkpoint))
}
