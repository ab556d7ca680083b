//! The event browser: the account's own events as stored, newest first, filtered by type and
//! by contact. It reads the stream itself, not a projection.

use app::events::EVENT_TYPES;
use app::views::{EVENTS_PAGE, EventQuery, EventView, EventsView};
use chrono::{DateTime, Utc};
use sqlx::AssertSqlSafe;

use crate::crm::StoreError;
use engine::db::Pool;
use engine::on_pool;

/// An event as the event browser and a contact's history read it: with its type's name and
/// version and the kind and name of the entity that caused it.
#[derive(sqlx::FromRow)]
pub(crate) struct StreamRow {
    pub id: i64,
    pub name: String,
    pub version: i32,
    pub kind: String,
    pub entity: String,
    pub created_at: DateTime<Utc>,
    pub payload: String,
}

/// Who caused an event, as pages say it: "you", or "the mailer".
pub(crate) fn caused_by(kind: &str, entity: &str) -> String {
    if kind == "account" {
        "you".to_owned()
    } else {
        format!("the {entity}")
    }
}

/// A page of the account's own events, newest first, filtered by type and by contact (the
/// `contact` or `name` its payload names, or the contact it is about now, after renames). The event browser's query: it reads the stream
/// itself, through the `events_by_account` index.
pub async fn events(pool: &Pool, account_id: i64, query: EventQuery) -> Result<EventsView, StoreError> {
    let limit = i64::try_from(EVENTS_PAGE).unwrap_or(50) + 1;
    let backend = pool.backend();
    let [contact, name, new_name] =
        ["contact", "name", "new_name"].map(|key| backend.json_text("e.payload", key));
    // Put together from fixed fragments only; input is always bound.
    let sql = format!(
        "SELECT e.id, t.name, t.version, n.kind, n.name AS entity, e.created_at, \
             CAST(e.payload AS TEXT) AS payload \
         FROM events e JOIN event_types t ON t.id = e.event_type_id JOIN entities n ON n.id = e.entity_id \
         WHERE e.account_id = $1 AND e.id < $2 AND ($3 = '' OR t.name = $3) \
             AND ($4 = '' OR {contact} = $4 OR {name} = $4 OR {new_name} = $4 \
                 OR e.id IN (SELECT event_id FROM projected_contact_events WHERE account_id = $1 AND contact_name = $4)) \
         ORDER BY e.id DESC LIMIT $5"
    );
    let mut rows: Vec<StreamRow> = on_pool!(pool, p => sqlx::query_as(AssertSqlSafe(sql))
        .bind(account_id)
        .bind(query.before.unwrap_or(i64::MAX))
        .bind(&query.event_type)
        .bind(&query.contact)
        .bind(limit)
        .fetch_all(p)
        .await)?;
    let older = (rows.len() > EVENTS_PAGE).then(|| rows[EVENTS_PAGE - 1].id);
    rows.truncate(EVENTS_PAGE);
    let events = rows
        .into_iter()
        .map(|row| EventView {
            id: row.id,
            event_type: row.name,
            version: row.version,
            caused_by: caused_by(&row.kind, &row.entity),
            created_at: row.created_at,
            payload: serde_json::from_str::<serde_json::Value>(&row.payload)
                .and_then(|value| serde_json::to_string_pretty(&value))
                .unwrap_or(row.payload),
        })
        .collect();
    Ok(EventsView {
        events,
        query,
        event_types: EVENT_TYPES
            .iter()
            .map(|t| t.name.to_owned())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect(),
        older,
    })
}
