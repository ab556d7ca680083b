//! How fresh a page's projection is for the signed-in account: how many of the account's own
//! events it has still to apply.

use app::receipt::EventId;
use app::views::{Freshness, ProjectionName};

use engine::db::Conn;

use crate::crm::{Dispatcher, StoreError};

/// How fresh `projection` is for the account, and the event it has applied up to, in one
/// statement on `conn`. As the first read of a page's read transaction, the rows read after it
/// are at least as new as it says.
pub async fn freshness(
    conn: Conn<'_>,
    account_id: i64,
    projection: ProjectionName,
) -> Result<(Freshness, EventId), StoreError> {
    let (checkpoint, behind) = Dispatcher::behind(conn, projection.as_str(), account_id).await?;
    Ok((Freshness { projection, behind }, checkpoint))
}
