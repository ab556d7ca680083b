//! The command side's record of which contact names each account uses.
//!
//! It is written in the same transaction as each append, so commands see every earlier
//! command at once: two quick "add Bob" never both succeed, and an edit of a contact that was
//! just deleted is refused, however far behind the projections are. No two contacts of an
//! account may differ only in case; edits and deletions must name the contact exactly as it is
//! spelled now, which is how the projections find it.

use app::error::Rejection;
use app::events::{ContactCreated, ContactDeleted, ContactEdited, Event};
use sqlx::SqliteConnection;

fn key(name: &str) -> String {
    name.to_lowercase()
}

/// The spelling in use of the account's contact whose name folds to the same key as `name`.
async fn spelling(
    conn: &mut SqliteConnection,
    account_id: i64,
    name: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT name FROM contact_names WHERE account_id = $1 AND key = $2")
        .bind(account_id)
        .bind(key(name))
        .fetch_optional(conn)
        .await
}

async fn record(conn: &mut SqliteConnection, account_id: i64, name: &str) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT OR REPLACE INTO contact_names (account_id, key, name) VALUES ($1, $2, $3)")
        .bind(account_id)
        .bind(key(name))
        .bind(name)
        .execute(conn)
        .await
        .map(drop)
}

async fn forget(conn: &mut SqliteConnection, account_id: i64, name: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM contact_names WHERE account_id = $1 AND key = $2")
        .bind(account_id)
        .bind(key(name))
        .execute(conn)
        .await
        .map(drop)
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

/// Checks `event` against the account's contact names and records its effect on them.
pub async fn check_and_record(
    conn: &mut SqliteConnection,
    account_id: i64,
    event: &Event,
) -> Result<Result<(), Rejection>, sqlx::Error> {
    match event {
        Event::ContactCreated(ContactCreated { name, .. }) => {
            if let Some(existing) = spelling(conn, account_id, name).await? {
                return Ok(Err(duplicate(&existing)));
            }
            record(conn, account_id, name).await?;
        }
        Event::ContactEdited(ContactEdited { name, new_name, .. }) => {
            if spelling(conn, account_id, name).await?.as_deref() != Some(name.as_str()) {
                return Ok(Err(missing(name)));
            }
            if let Some(new_name) = new_name {
                if key(new_name) != key(name)
                    && let Some(existing) = spelling(conn, account_id, new_name).await?
                {
                    return Ok(Err(duplicate(&existing)));
                }
                forget(conn, account_id, name).await?;
                record(conn, account_id, new_name).await?;
            }
        }
        Event::ContactDeleted(ContactDeleted { name }) => {
            if spelling(conn, account_id, name).await?.as_deref() != Some(name.as_str()) {
                return Ok(Err(missing(name)));
            }
            forget(conn, account_id, name).await?;
        }
    }
    Ok(Ok(()))
}
