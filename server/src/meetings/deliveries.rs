//! The command side's record of each morning email the mailer has tried
//! (`meeting_notes_deliveries`), one per contact and meeting day.
//!
//! It is what keeps an email from going out twice: a mailer claims an email here before it
//! sends, in a write transaction, so two mailers never both send it; the "sent" event is
//! appended in the same transaction that marks it sent; and a replay of the projections never
//! touches this table. A claim whose mailer never came back (a crash between sending and
//! recording) is not sent again on a guess: it becomes a failure the account holder sees.

use app::error::Rejection;
use chrono::{DateTime, NaiveDate, Utc};

use crate::accounts::random_hex;
use engine::db::Conn;
use engine::on;

/// Which email: the account's contact and the local date of the meeting.
#[derive(Clone, Copy, Debug)]
pub struct DeliveryKey<'a> {
    pub account_id: i64,
    pub contact: &'a str,
    pub meeting_on: NaiveDate,
}

/// Where an email stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeliveryState {
    /// A mailer is sending it; its claim holds until `lease_until`.
    Sending {
        lease_until: DateTime<Utc>,
    },
    /// To be tried again from `next_attempt_at` (at once without one).
    Waiting {
        next_attempt_at: Option<DateTime<Utc>>,
    },
    Sent,
    /// Waits for the account holder to ask for it again.
    Failed,
    /// The meeting's day ended first: it will not be sent.
    GivenUp,
}

/// An email's row.
#[derive(Clone, Debug)]
pub struct Delivery {
    /// The row's own id: it stays when the contact is renamed.
    pub id: i64,
    pub message_id: String,
    pub state: DeliveryState,
    pub attempts: i64,
    pub last_error: Option<String>,
}

#[derive(sqlx::FromRow)]
struct DeliveryRow {
    id: i64,
    message_id: String,
    state: String,
    attempts: i64,
    lease_until: Option<DateTime<Utc>>,
    next_attempt_at: Option<DateTime<Utc>>,
    last_error: Option<String>,
}

/// The email's row, if a mailer has ever tried it.
pub async fn find(conn: Conn<'_>, key: DeliveryKey<'_>) -> Result<Option<Delivery>, sqlx::Error> {
    let row: Option<DeliveryRow> = on!(conn, c => sqlx::query_as(
        "SELECT id, message_id, state, attempts, lease_until, next_attempt_at, last_error \
         FROM meeting_notes_deliveries WHERE account_id = $1 AND contact_name = $2 AND meeting_on = $3",
    )
    .bind(key.account_id)
    .bind(key.contact)
    .bind(key.meeting_on)
    .fetch_optional(c)
    .await)?;
    row.map(|row| {
        let state = match row.state.as_str() {
            "sending" => DeliveryState::Sending {
                lease_until: row.lease_until.unwrap_or_default(),
            },
            "waiting" => DeliveryState::Waiting {
                next_attempt_at: row.next_attempt_at,
            },
            "sent" => DeliveryState::Sent,
            "failed" => DeliveryState::Failed,
            "given_up" => DeliveryState::GivenUp,
            other => {
                return Err(sqlx::Error::Decode(
                    format!("unknown delivery state {other:?}").into(),
                ));
            }
        };
        Ok(Delivery {
            id: row.id,
            message_id: row.message_id,
            state,
            attempts: row.attempts,
            last_error: row.last_error,
        })
    })
    .transpose()
}

/// What a mailer may do with an email that is due.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    /// Send it now, as attempt number `attempt`: the claim is this mailer's until its lease
    /// ends, and `token` proves it.
    Send {
        id: i64,
        message_id: String,
        attempt: i64,
        token: String,
    },
    /// Leave it: sent already, claimed by another mailer, or waiting (for its time or for the
    /// account holder).
    Leave,
    /// A mailer claimed it and never said how it went: it may or may not have gone out.
    Interrupted { id: i64 },
}

/// Claims the email for `runner` until `lease_until`, if it may be sent now. `message_id` is
/// the Message-ID to use the first time; later attempts keep the first one.
pub async fn claim(
    mut conn: Conn<'_>,
    key: DeliveryKey<'_>,
    message_id: &str,
    runner: &str,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> Result<Claim, sqlx::Error> {
    // A token per claim, so a mailer whose claim was taken over cannot record over the other's.
    let token = format!("{runner}#{}", random_hex(8));
    let Some(delivery) = find(conn.re(), key).await? else {
        let id: i64 = on!(conn, c => sqlx::query_scalar(
            "INSERT INTO meeting_notes_deliveries (account_id, contact_name, meeting_on, message_id, state, \
                 attempts, claimed_by, lease_until, updated_at) \
             VALUES ($1, $2, $3, $4, 'sending', 1, $5, $6, $7) RETURNING id",
        )
        .bind(key.account_id)
        .bind(key.contact)
        .bind(key.meeting_on)
        .bind(message_id)
        .bind(&token)
        .bind(lease_until)
        .bind(now)
        .fetch_one(c)
        .await)?;
        return Ok(Claim::Send {
            id,
            message_id: message_id.to_owned(),
            attempt: 1,
            token,
        });
    };
    match delivery.state {
        DeliveryState::Waiting { next_attempt_at } if next_attempt_at.is_none_or(|at| at <= now) => {
            on!(conn, c => sqlx::query(
                "UPDATE meeting_notes_deliveries SET state = 'sending', attempts = attempts + 1, \
                     claimed_by = $1, lease_until = $2, next_attempt_at = NULL, updated_at = $3 \
                 WHERE id = $4",
            )
            .bind(&token)
            .bind(lease_until)
            .bind(now)
            .bind(delivery.id)
            .execute(c)
            .await.map(drop))?;
            Ok(Claim::Send {
                id: delivery.id,
                message_id: delivery.message_id,
                attempt: delivery.attempts + 1,
                token,
            })
        }
        DeliveryState::Sending { lease_until } if lease_until <= now => {
            Ok(Claim::Interrupted { id: delivery.id })
        }
        DeliveryState::Sending { .. }
        | DeliveryState::Waiting { .. }
        | DeliveryState::Sent
        | DeliveryState::Failed
        | DeliveryState::GivenUp => Ok(Claim::Leave),
    }
}

/// Moves the email `id` to `state`, with `error` as its last problem. With a `token`, only
/// while that claim still holds; returns whether the row moved.
async fn set(
    conn: Conn<'_>,
    id: i64,
    token: Option<&str>,
    state: &str,
    next_attempt_at: Option<DateTime<Utc>>,
    error: Option<&str>,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let moved = on!(conn, c => sqlx::query(
        "UPDATE meeting_notes_deliveries SET state = $1, next_attempt_at = $2, \
             last_error = COALESCE($3, last_error), lease_until = NULL, updated_at = $4 \
         WHERE id = $5 AND ($6 IS NULL OR (state = 'sending' AND claimed_by = $6))",
    )
    .bind(state)
    .bind(next_attempt_at)
    .bind(error)
    .bind(now)
    .bind(id)
    .bind(token)
    .execute(c)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(moved == 1)
}

/// The contact's name now, for the email `id` (`None` once the contact is deleted).
pub async fn contact_now(conn: Conn<'_>, id: i64) -> Result<Option<String>, sqlx::Error> {
    on!(conn, c => sqlx::query_scalar("SELECT contact_name FROM meeting_notes_deliveries WHERE id = $1")
        .bind(id)
        .fetch_optional(c)
        .await)
}

/// The email went out: recorded whoever holds the claim now, because it is true.
pub async fn mark_sent(conn: Conn<'_>, id: i64, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    set(conn, id, None, "sent", None, None, now).await.map(drop)
}

/// The email is tried again from `retry_at`, after `error`, if the claim `token` still holds.
pub async fn mark_waiting(
    conn: Conn<'_>,
    id: i64,
    token: &str,
    retry_at: DateTime<Utc>,
    error: &str,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    set(conn, id, Some(token), "waiting", Some(retry_at), Some(error), now).await
}

/// The email waits for the account holder, after `error`: if the claim `token` still holds
/// (without a token: a claim whose mailer never came back).
pub async fn mark_failed(
    conn: Conn<'_>,
    id: i64,
    token: Option<&str>,
    error: &str,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    set(conn, id, token, "failed", None, Some(error), now).await
}

/// The meeting's day is over: the email will not be sent. Records it even if no mailer ever
/// tried it.
pub async fn mark_given_up(
    conn: Conn<'_>,
    key: DeliveryKey<'_>,
    message_id: &str,
    error: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    on!(conn, c => sqlx::query(
        "INSERT INTO meeting_notes_deliveries (account_id, contact_name, meeting_on, message_id, state, \
             attempts, last_error, updated_at) \
         VALUES ($1, $2, $3, $4, 'given_up', 0, $5, $6) \
         ON CONFLICT (account_id, contact_name, meeting_on) DO UPDATE SET state = 'given_up', \
             lease_until = NULL, next_attempt_at = NULL, last_error = excluded.last_error, \
             updated_at = excluded.updated_at",
    )
    .bind(key.account_id)
    .bind(key.contact)
    .bind(key.meeting_on)
    .bind(message_id)
    .bind(error)
    .bind(now)
    .execute(c)
    .await
    .map(drop))
}

/// The account holder asks for a failed email to be sent again: it may be, if it failed. (If
/// its day is over meanwhile, the mailer gives it up at its next run and says so.)
pub async fn request_again(
    mut conn: Conn<'_>,
    key: DeliveryKey<'_>,
    now: DateTime<Utc>,
) -> Result<Result<(), Rejection>, sqlx::Error> {
    let found = find(conn.re(), key).await?;
    let why = match found {
        None => NotAgain::NoFailedEmail,
        Some(delivery) => match delivery.state {
            DeliveryState::Failed => {
                set(conn, delivery.id, None, "waiting", None, None, now).await?;
                return Ok(Ok(()));
            }
            DeliveryState::Sent => NotAgain::AlreadySent,
            DeliveryState::GivenUp => NotAgain::DayOver,
            DeliveryState::Sending { .. } | DeliveryState::Waiting { .. } => NotAgain::OnItsWay,
        },
    };
    Ok(Err(why.rejection()))
}

/// Why an email may not be asked for again.
#[derive(Clone, Copy, Debug)]
enum NotAgain {
    NoFailedEmail,
    AlreadySent,
    DayOver,
    OnItsWay,
}

impl NotAgain {
    fn rejection(self) -> Rejection {
        let why = match self {
            Self::NoFailedEmail => "There is no failed email for that meeting.",
            Self::AlreadySent => "That email has already been sent.",
            Self::DayOver => "The meeting's day is over, so its notes will not be emailed.",
            Self::OnItsWay => "That email is already on its way; there is no need to ask again.",
        };
        Rejection::one("meeting_on", why)
    }
}

/// The refusal the guard's SQL form (`guard.sql`) answers as `code`, if it is one of
/// [`request_again`]'s.
pub fn refusal(code: &str) -> Option<Rejection> {
    let why = match code {
        "no_failed_email" => NotAgain::NoFailedEmail,
        "already_sent" => NotAgain::AlreadySent,
        "day_over" => NotAgain::DayOver,
        "on_its_way" => NotAgain::OnItsWay,
        _ => return None,
    };
    Some(why.rejection())
}

/// The contact called `name` is now called `new_name`.
pub async fn follow_rename(
    conn: Conn<'_>,
    account_id: i64,
    name: &str,
    new_name: &str,
) -> Result<(), sqlx::Error> {
    on!(conn, c => sqlx::query(
        "UPDATE meeting_notes_deliveries SET contact_name = $1 WHERE account_id = $2 AND contact_name = $3",
    )
    .bind(new_name)
    .bind(account_id)
    .bind(name)
    .execute(c)
    .await
    .map(drop))
}

/// The contact called `name` is gone; a new contact of that name starts afresh.
pub async fn forget_contact(conn: Conn<'_>, account_id: i64, name: &str) -> Result<(), sqlx::Error> {
    on!(conn, c => sqlx::query("DELETE FROM meeting_notes_deliveries WHERE account_id = $1 AND contact_name = $2")
        .bind(account_id)
        .bind(name)
        .execute(c)
        .await
        .map(drop))
}
