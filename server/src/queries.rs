//! Queries: what pages read, taken from the projections only, never from the stream.

use app::views::{ContactSummary, ContactView, ContactsView, Freshness, ProjectionName};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::SqlitePool;

use crate::dispatch::Dispatcher;
use crate::store::StoreError;

type ContactRow = (
    String,
    String,
    String,
    Option<NaiveDate>,
    Option<DateTime<Utc>>,
    DateTime<Utc>,
);

fn summary(
    (name, description, contact_method, last_interacted_on, next_meeting_at, last_updated_at): ContactRow,
) -> ContactSummary {
    ContactSummary {
        name,
        description,
        contact_method,
        last_interacted_on,
        next_meeting_at,
        last_updated_at,
    }
}

async fn freshness(dispatcher: &Dispatcher, projection: ProjectionName) -> Result<Freshness, StoreError> {
    let (last_event_id, last_updated_at) = dispatcher.freshness(projection.as_str()).await?;
    Ok(Freshness {
        projection,
        last_event_id,
        last_updated_at,
    })
}

/// The account's contacts, by name.
pub async fn contacts(
    pool: &SqlitePool,
    dispatcher: &Dispatcher,
    account_id: i64,
) -> Result<ContactsView, StoreError> {
    // Read the freshness first: the rows are then at least as new as it says.
    let freshness = freshness(dispatcher, ProjectionName::Contacts).await?;
    let rows: Vec<ContactRow> = sqlx::query_as(
        "SELECT name, description, contact_method, last_interacted_on, next_meeting_at, last_updated_at \
         FROM projected_contacts WHERE account_id = $1 ORDER BY name COLLATE NOCASE, name",
    )
    .bind(account_id)
    .fetch_all(pool)
    .await?;
    Ok(ContactsView {
        contacts: rows.into_iter().map(summary).collect(),
        freshness,
    })
}

/// The account's contact called `name`, if there is one.
pub async fn contact(
    pool: &SqlitePool,
    dispatcher: &Dispatcher,
    account_id: i64,
    name: &str,
) -> Result<ContactView, StoreError> {
    let freshness = freshness(dispatcher, ProjectionName::Contacts).await?;
    let row: Option<ContactRow> = sqlx::query_as(
        "SELECT name, description, contact_method, last_interacted_on, next_meeting_at, last_updated_at \
         FROM projected_contacts WHERE account_id = $1 AND name = $2",
    )
    .bind(account_id)
    .bind(name)
    .fetch_optional(pool)
    .await?;
    Ok(ContactView {
        contact: row.map(summary),
        freshness,
    })
}
