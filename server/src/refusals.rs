//! Refused plain form posts, kept for an hour under a random token for the page they return
//! to (see `app::plain_form`), and shown only to the browser session that made them.
//!
//! What is kept is bounded: each typed value at most [`VALUE_CHARS`] characters (the longest
//! field, the meeting notes, holds 20,000; signed out, at most [`SIGNED_OUT_VALUE_CHARS`]: those
//! forms hold an address and a display name), and at most [`SIGNED_OUT_KEPT`] refusals of
//! signed-out browsers at a time, the oldest going first, so posts from anyone at all cannot
//! fill the disk.

use app::form_echo::FormEcho;
use chrono::{Duration, Utc};

use crate::accounts::random_hex;
use crate::crm::{CrmError, EventStore, StoreError};
use engine::{on, on_pool};

/// How long a refusal is kept: long enough to read it, and to reload the page.
const KEPT_FOR: Duration = Duration::hours(1);

/// The most characters of one typed value kept for a signed-in browser.
pub const VALUE_CHARS: usize = 20_000;
/// The most characters of one typed value kept for a signed-out browser.
pub const SIGNED_OUT_VALUE_CHARS: usize = 300;
/// The most values of one form kept.
const VALUES: usize = 16;
/// The most refusals kept for signed-out browsers at once.
pub const SIGNED_OUT_KEPT: i64 = 1_000;

/// `echo` cut down to what may be kept for `session`.
fn bounded(echo: &FormEcho, session: Option<&str>) -> FormEcho {
    let chars = if session.is_some() {
        VALUE_CHARS
    } else {
        SIGNED_OUT_VALUE_CHARS
    };
    let cut = |text: &str| text.chars().take(chars).collect::<String>();
    FormEcho {
        rejection: echo.rejection.clone().map(|mut rejection| {
            rejection.errors.truncate(VALUES);
            for error in &mut rejection.errors {
                error.field = cut(&error.field);
                error.message = cut(&error.message);
            }
            rejection
        }),
        values: echo
            .values
            .iter()
            .take(VALUES)
            .map(|(field, value)| (cut(field), cut(value)))
            .collect(),
    }
}

/// Keeps `echo` for `session` (`None`: signed out) and returns its token (128 random bits,
/// hex). Older refusals are dropped.
pub async fn keep(store: &EventStore, session: Option<&str>, echo: &FormEcho) -> Result<String, StoreError> {
    let echo = serde_json::to_string(&bounded(echo, session))
        .map_err(|error| StoreError::from(CrmError::Echo(error)))?;
    let now = Utc::now();
    let token = random_hex(16);
    let mut tx = store.writer().begin_write().await?;
    on!(tx.conn(), c => {
        sqlx::query("DELETE FROM form_refusals WHERE created_at < $1")
            .bind(now - KEPT_FOR)
            .execute(&mut *c)
            .await?;
        sqlx::query("INSERT INTO form_refusals (token, echo, created_at, session) VALUES ($1, $2, $3, $4)")
            .bind(&token)
            .bind(echo)
            .bind(now)
            .bind(session)
            .execute(&mut *c)
            .await?;
        if session.is_none() {
            sqlx::query(
                "DELETE FROM form_refusals WHERE session IS NULL AND token NOT IN \
                 (SELECT token FROM form_refusals WHERE session IS NULL \
                  ORDER BY created_at DESC, token LIMIT $1)",
            )
            .bind(SIGNED_OUT_KEPT)
            .execute(&mut *c)
            .await?;
        }
    });
    tx.commit().await?;
    Ok(token)
}

/// The refusal kept under `token` for `session`, unless it has expired.
pub async fn find(
    store: &EventStore,
    session: Option<&str>,
    token: &str,
) -> Result<Option<FormEcho>, StoreError> {
    let echo: Option<String> = on_pool!(store.reader(), p => sqlx::query_scalar(
        "SELECT echo FROM form_refusals WHERE token = $1 AND created_at >= $2 AND session IS NOT DISTINCT FROM $3",
    )
    .bind(token)
    .bind(Utc::now() - KEPT_FOR)
    .bind(session)
    .fetch_optional(p)
    .await)?;
    echo.map(|echo| serde_json::from_str(&echo).map_err(|error| StoreError::from(CrmError::Echo(error))))
        .transpose()
}
