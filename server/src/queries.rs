//! Queries: what pages read, taken from the projections only, never from the stream.

use app::views::{ContactSummary, ContactView, ContactsView, Freshness, ProjectionName};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::SqlitePool;

use crate::dispatch::Dispatcher;
use crate::store::StoreError;

/// A row of `projected_contacts`, as the pages see it.
#[derive(sqlx::FromRow)]
struct ContactRow {
    name: String,
    description: String,
    contact_method: String,
    last_interacted_on: Option<NaiveDate>,
    next_meeting_at: Option<DateTime<Utc>>,
    last_updated_at: DateTime<Utc>,
}

impl From<ContactRow> for ContactSummary {
    fn from(row: ContactRow) -> Self {
        let ContactRow {
            name,
            description,
            contact_method,
            last_interacted_on,
            next_meeting_at,
            last_updated_at,
        } = row;
        Self {
            name,
            description,
            contact_method,
            last_interacted_on,
            next_meeting_at,
            last_updated_at,
        }
    }
}

/// `SELECT` of one account's contact rows, followed by the rest of the statement.
macro_rules! select_contacts {
    ($rest:literal) => {
        concat!(
            "SELECT name, description, contact_method, last_interacted_on, next_meeting_at, \
             last_updated_at FROM projected_contacts WHERE account_id = $1 ",
            $rest
        )
    };
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
    let rows: Vec<ContactRow> = sqlx::query_as(select_contacts!("ORDER BY name COLLATE NOCASE, name"))
        .bind(account_id)
        .fetch_all(pool)
        .await?;
    Ok(ContactsView {
        contacts: rows.into_iter().map(Into::into).collect(),
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
    let row: Option<ContactRow> = sqlx::query_as(select_contacts!("AND name = $2"))
        .bind(account_id)
        .bind(name)
        .fetch_optional(pool)
        .await?;
    Ok(ContactView {
        contact: row.map(Into::into),
        freshness,
    })
}
