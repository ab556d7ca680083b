//! The command side's guards, in the order they run inside each append's transaction: each
//! checks an event against what its feature has recorded and records the event's effect. A
//! refusal by any of them stores nothing (the appender rolls the event back).

use app::error::Rejection;
use app::events::Event;
use app::receipt::EventId;
use engine::db::Conn;

use crate::crm::{Crm, Guard};
use crate::{contacts, meetings};

/// The CRM's guards, as the store runs them.
pub struct CrmGuards;

#[async_trait::async_trait]
impl Guard<Crm> for CrmGuards {
    /// The contacts' guard first (the contact named must exist), then the morning email's.
    async fn check(
        &self,
        mut conn: Conn<'_>,
        account_id: i64,
        event: &Event,
    ) -> Result<Result<(), Rejection>, sqlx::Error> {
        if let Err(rejection) = contacts::guard::check(conn.re(), account_id, event).await? {
            return Ok(Err(rejection));
        }
        meetings::guard::check(conn, account_id, event).await
    }

    async fn record_stored(
        &self,
        conn: Conn<'_>,
        account_id: i64,
        event_id: EventId,
        event: &Event,
    ) -> Result<(), sqlx::Error> {
        contacts::guard::record_stored(conn, account_id, event_id, event).await
    }
}
