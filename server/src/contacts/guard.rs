//! The command side's invariants of contacts: which contact names each account uses, and
//! which interactions it has recorded.
//!
//! These records are written in the same transaction as each append, so commands see every
//! earlier command at once: two quick "add Bob" never both succeed, and an edit of a contact
//! (or a correction of an interaction) that was just deleted is refused, however far behind the
//! projections are. No two contacts of an account may differ only in case; commands must name
//! the contact exactly as it is spelled now, which is how the projections find it.
//!
//! `guard.sql` holds the same checks as PostgreSQL functions, for the batch append there: a
//! change here is made there too (the integration tests run on both databases).

use super::names::key;
use app::error::Rejection;
use app::events::{
    ContactCreated, ContactDeleted, ContactEdited, Event, InteractionCorrected, InteractionRemoved,
};
use app::receipt::EventId;
use engine::db::Conn;
use engine::on;

/// The spelling in use of the account's contact whose name is `name`, or else folds to the
/// same key, as the command side keeps it. The exact name wins: two names kept from before
/// names were folded as they are now may share a key (see [`crate::contacts::names::fold_old_keys`]).
async fn spelling(conn: Conn<'_>, account_id: i64, name: &str) -> Result<Option<String>, sqlx::Error> {
    on!(conn, c => sqlx::query_scalar(
        "SELECT name FROM contact_names WHERE account_id = $1 AND (name = $2 OR key = $3) \
         ORDER BY CASE WHEN name = $2 THEN 0 ELSE 1 END LIMIT 1",
    )
    .bind(account_id)
    .bind(name)
    .bind(key(name))
    .fetch_optional(c)
    .await)
}

/// The key of the account's contact spelled exactly `name`, if there is one.
async fn exactly(conn: Conn<'_>, account_id: i64, name: &str) -> Result<Option<String>, sqlx::Error> {
    on!(conn, c => sqlx::query_scalar("SELECT key FROM contact_names WHERE account_id = $1 AND name = $2")
        .bind(account_id)
        .bind(name)
        .fetch_optional(c)
        .await)
}

async fn record(conn: Conn<'_>, account_id: i64, name: &str) -> Result<(), sqlx::Error> {
    on!(conn, c => sqlx::query(
        "INSERT INTO contact_names (account_id, key, name) VALUES ($1, $2, $3) \
         ON CONFLICT (account_id, key) DO UPDATE SET name = excluded.name",
    )
    .bind(account_id)
    .bind(key(name))
    .bind(name)
    .execute(c)
    .await
    .map(drop))
}

async fn forget(conn: Conn<'_>, account_id: i64, key: &str) -> Result<(), sqlx::Error> {
    on!(conn, c => sqlx::query("DELETE FROM contact_names WHERE account_id = $1 AND key = $2")
        .bind(account_id)
        .bind(key)
        .execute(c)
        .await
        .map(drop))
}

fn duplicate(existing: &str) -> Rejection {
    Rejection::one(
        "name",
        format!("You already have a contact named “{existing}”. Choose another name."),
    )
}

fn missing(name: &str) -> Rejection {
    Rejection::one(
        "contact",
        format!("There is no contact named “{name}” any more. It may have been renamed or deleted."),
    )
}

fn no_interaction() -> Rejection {
    Rejection::one(
        "interaction",
        "That interaction is not there any more. It may have been removed.",
    )
}

/// The refusal the guard's SQL form (`guard.sql`) answered as `code`, with its `answer`.
pub fn refusal(code: &str, answer: &serde_json::Value) -> Option<Rejection> {
    let text = |field: &str| answer[field].as_str().unwrap_or_default().to_owned();
    match code {
        "duplicate" => Some(duplicate(&text("existing"))),
        "missing" => Some(missing(&text("name"))),
        "no_interaction" => Some(no_interaction()),
        _ => None,
    }
}

/// Whether the account has the interaction `id`, recorded for the contact kept under
/// `contact_key`.
async fn has_interaction(
    conn: Conn<'_>,
    account_id: i64,
    id: EventId,
    contact_key: &str,
) -> Result<bool, sqlx::Error> {
    let found: Option<i64> = on!(conn, c => sqlx::query_scalar(
        "SELECT account_id FROM known_interactions WHERE account_id = $1 AND id = $2 AND contact_key = $3",
    )
    .bind(account_id)
    .bind(id)
    .bind(contact_key)
    .fetch_optional(c)
    .await)?;
    Ok(found.is_some())
}

/// Checks `event` against the account's contacts and interactions, before it is appended, and
/// records its effect on the contact names.
pub async fn check(
    mut conn: Conn<'_>,
    account_id: i64,
    event: &Event,
) -> Result<Result<(), Rejection>, sqlx::Error> {
    match event {
        Event::ContactCreated(ContactCreated { name, .. }) => {
            if let Some(existing) = spelling(conn.re(), account_id, name).await? {
                return Ok(Err(duplicate(&existing)));
            }
            record(conn.re(), account_id, name).await?;
        }
        Event::ContactEdited(ContactEdited { name, new_name, .. }) => {
            let Some(old_key) = exactly(conn.re(), account_id, name).await? else {
                return Ok(Err(missing(name)));
            };
            if let Some(new_name) = new_name {
                if let Some(existing) = spelling(conn.re(), account_id, new_name).await?
                    && existing != *name
                {
                    return Ok(Err(duplicate(&existing)));
                }
                forget(conn.re(), account_id, &old_key).await?;
                record(conn.re(), account_id, new_name).await?;
                on!(conn.re(), c => sqlx::query(
                    "UPDATE known_interactions SET contact_key = $1 WHERE account_id = $2 AND contact_key = $3",
                )
                .bind(key(new_name))
                .bind(account_id)
                .bind(&old_key)
                .execute(c)
                .await
                .map(drop))?;
            }
        }
        Event::ContactDeleted(ContactDeleted { name }) => {
            let Some(old_key) = exactly(conn.re(), account_id, name).await? else {
                return Ok(Err(missing(name)));
            };
            forget(conn.re(), account_id, &old_key).await?;
            on!(conn.re(), c => sqlx::query("DELETE FROM known_interactions WHERE account_id = $1 AND contact_key = $2")
                .bind(account_id)
                .bind(&old_key)
                .execute(c)
                .await
                .map(drop))?;
        }
        Event::InteractionCorrected(InteractionCorrected {
            contact, interaction, ..
        })
        | Event::InteractionRemoved(InteractionRemoved { contact, interaction }) => {
            let Some(contact_key) = exactly(conn.re(), account_id, contact).await? else {
                return Ok(Err(missing(contact)));
            };
            if !has_interaction(conn.re(), account_id, *interaction, &contact_key).await? {
                return Ok(Err(no_interaction()));
            }
            if let Event::InteractionRemoved(_) = event {
                on!(conn.re(), c => sqlx::query("DELETE FROM known_interactions WHERE account_id = $1 AND id = $2")
                    .bind(account_id)
                    .bind(interaction)
                    .execute(c)
                    .await
                    .map(drop))?;
            }
        }
        Event::InteractionRecorded(_)
        | Event::NextMeetingScheduled(_)
        | Event::NextMeetingCancelled(_)
        | Event::MeetingNotesEmailRequested(_) => {
            let contact = event.contact().unwrap_or_default();
            if exactly(conn.re(), account_id, contact).await?.is_none() {
                return Ok(Err(missing(contact)));
            }
        }
        // What the mailer did is a fact about the past: it is recorded even if the contact
        // has been renamed or deleted since.
        Event::MeetingNotesEmailSent(_) | Event::MeetingNotesEmailFailed(_) => {}
        Event::AccountRegistered(_) | Event::AccountSettingsChanged(_) => {}
    }
    Ok(Ok(()))
}

/// Records what an accepted event, now stored as `event_id`, adds to the command side.
pub async fn record_stored(
    conn: Conn<'_>,
    account_id: i64,
    event_id: EventId,
    event: &Event,
) -> Result<(), sqlx::Error> {
    if let Event::InteractionRecorded(recorded) = event {
        // Under the key of the contact spelled so (see `exactly`), in the same statement.
        on!(conn, c => sqlx::query(
            "INSERT INTO known_interactions (account_id, id, contact_key) VALUES ($1, $2, \
             COALESCE((SELECT key FROM contact_names WHERE account_id = $1 AND name = $3), $4))",
        )
        .bind(account_id)
        .bind(event_id)
        .bind(&recorded.contact)
        .bind(key(&recorded.contact))
        .execute(c)
        .await
        .map(drop))?;
    }
    Ok(())
}
