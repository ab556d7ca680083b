//! Slowing down guesses and mass sign-ups, and bounding what they leave in the database.
//!
//! A sign-in attempt is counted before its password is checked, in the write transaction that
//! reads the count: attempts that arrive together take that transaction one after another, so
//! however many run at once, only the free ones get a password check. Sign-ups are counted per
//! client address and overall, per hour. The tables these write are capped in size (keys of a
//! fixed length) and in rows (the oldest go first), so requests from people who are not signed
//! in cannot fill the disk.

use std::net::IpAddr;

use app::error::{FieldError, Rejection};
use app::plain_form::FORM_FIELD;
use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

use crate::db::Conn;
use crate::on;
use crate::store::StoreError;

/// Failed sign-ins for one address that cost nothing; each further one doubles the wait.
pub const FREE_FAILURES: i64 = 5;
/// The longest wait between sign-in attempts for one address.
const LONGEST_WAIT_SECONDS: i64 = 15 * 60;
/// Addresses whose failures are remembered at most; beyond, the oldest are forgotten.
pub const FAILURES_KEPT: i64 = 10_000;

/// How many sign-ups an hour the server accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignUpLimits {
    /// From one client address.
    pub per_address: i64,
    /// From everyone together.
    pub overall: i64,
}

impl Default for SignUpLimits {
    fn default() -> Self {
        Self {
            per_address: 10,
            overall: 100,
        }
    }
}

/// The key sign-in failures are kept under: the SHA-256 of the folded address, in hex.
fn failure_key(email_key: &str) -> String {
    Sha256::digest(email_key.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Seconds, rounded up: a wait of 1.2 s is not over after 1 s.
fn seconds(wait: Duration) -> i64 {
    ((wait.num_milliseconds() + 999) / 1000).max(1)
}

/// Counts a sign-in attempt for the address folded to `email_key`, unless the address must
/// wait first; then says how long. Runs in the caller's write transaction.
pub async fn reserve_sign_in(
    mut tx: Conn<'_>,
    email_key: &str,
    now: DateTime<Utc>,
) -> Result<Result<(), Rejection>, StoreError> {
    let key = failure_key(email_key);
    let failures: Option<(i64, DateTime<Utc>)> = on!(tx.re(), c =>
        sqlx::query_as("SELECT failures, last_failed_at FROM sign_in_failures WHERE email = $1")
            .bind(&key)
            .fetch_optional(c)
            .await)?;
    if let Some((failures, last_failed_at)) = failures
        && failures >= FREE_FAILURES
    {
        let doublings = (failures - FREE_FAILURES).min(20) as u32;
        let wait = Duration::seconds((1i64 << doublings).min(LONGEST_WAIT_SECONDS));
        let remaining = last_failed_at + wait - now;
        if remaining > Duration::zero() {
            return Ok(Err(Rejection::one(
                "email",
                format!(
                    "Too many failed sign-ins for this address. Wait {} s and try again.",
                    seconds(remaining)
                ),
            )));
        }
    }
    // The existing row's count is named with its table: PostgreSQL finds a bare column name
    // ambiguous beside `excluded`.
    on!(tx.re(), c => {
        sqlx::query(
            "INSERT INTO sign_in_failures (email, failures, last_failed_at) VALUES ($1, 1, $2) \
             ON CONFLICT (email) DO UPDATE SET failures = sign_in_failures.failures + 1, \
                 last_failed_at = excluded.last_failed_at",
        )
        .bind(&key)
        .bind(now)
        .execute(&mut *c)
        .await?;
        // Failures nobody has repeated for a day are forgotten, and the oldest beyond the cap.
        sqlx::query("DELETE FROM sign_in_failures WHERE last_failed_at < $1")
            .bind(now - Duration::days(1))
            .execute(&mut *c)
            .await?;
        sqlx::query(
            "DELETE FROM sign_in_failures WHERE last_failed_at < \
             (SELECT last_failed_at FROM sign_in_failures ORDER BY last_failed_at DESC LIMIT 1 OFFSET $1)",
        )
        .bind(FAILURES_KEPT)
        .execute(&mut *c)
        .await?;
    });
    Ok(Ok(()))
}

/// Forgets the failures of the address folded to `email_key`: it has just signed in.
pub async fn signed_in(tx: Conn<'_>, email_key: &str) -> Result<(), StoreError> {
    on!(tx, c => sqlx::query("DELETE FROM sign_in_failures WHERE email = $1")
        .bind(failure_key(email_key))
        .execute(c)
        .await
        .map(drop))?;
    Ok(())
}

/// The key of the overall count of sign-ups.
const EVERYONE: &str = "*";

/// Counts a sign-up from `client` (unknown: `None`) within `limits`, or refuses it, saying
/// when to try again. Runs in the caller's write transaction.
pub async fn reserve_sign_up(
    mut tx: Conn<'_>,
    client: Option<IpAddr>,
    limits: SignUpLimits,
    now: DateTime<Utc>,
) -> Result<Result<(), Rejection>, StoreError> {
    let hour_ago = now - Duration::hours(1);
    on!(tx.re(), c => sqlx::query("DELETE FROM sign_up_attempts WHERE window_started_at <= $1")
        .bind(hour_ago)
        .execute(c)
        .await
        .map(drop))?;
    let client = client.map_or_else(|| "unknown".to_owned(), |address| address.to_string());
    for (key, limit) in [(client.as_str(), limits.per_address), (EVERYONE, limits.overall)] {
        let counted: Option<(i64, DateTime<Utc>)> = on!(tx.re(), c => sqlx::query_as(
            "SELECT attempts, window_started_at FROM sign_up_attempts WHERE client = $1",
        )
        .bind(key)
        .fetch_optional(c)
        .await)?;
        if let Some((attempts, started)) = counted
            && attempts >= limit
        {
            let minutes = (seconds(started + Duration::hours(1) - now) + 59) / 60;
            let whose = if key == EVERYONE {
                "Many accounts were created in the last hour"
            } else {
                "Many accounts were created from your network in the last hour"
            };
            return Ok(Err(Rejection {
                errors: vec![FieldError::new(
                    FORM_FIELD,
                    format!("{whose}. Try again in {minutes} min."),
                )],
            }));
        }
    }
    for key in [client.as_str(), EVERYONE] {
        on!(tx.re(), c => sqlx::query(
            "INSERT INTO sign_up_attempts (client, attempts, window_started_at) VALUES ($1, 1, $2) \
             ON CONFLICT (client) DO UPDATE SET attempts = sign_up_attempts.attempts + 1",
        )
        .bind(key)
        .bind(now)
        .execute(c)
        .await
        .map(drop))?;
    }
    Ok(Ok(()))
}
