//! Refused plain form posts, kept for an hour under a random token for the page they return
//! to (see `app::plain_form`), and shown only to the browser session that made them.

use app::plain_form::FormEcho;
use chrono::{Duration, Utc};

use crate::store::{EventStore, StoreError, random_hex};
use crate::{on, on_pool};

/// How long a refusal is kept: long enough to read it, and to reload the page.
const KEPT_FOR: Duration = Duration::hours(1);

/// Keeps `echo` for `session` (`None`: signed out) and returns its token (128 random bits,
/// hex). Older refusals are dropped.
pub async fn keep(store: &EventStore, session: Option<&str>, echo: &FormEcho) -> Result<String, StoreError> {
    let echo = serde_json::to_string(echo).map_err(|e| StoreError::Inconsistent(e.to_string()))?;
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
    echo.map(|echo| serde_json::from_str(&echo).map_err(|e| StoreError::Inconsistent(e.to_string())))
        .transpose()
}
