//! Slowing down guesses and mass sign-ups, and bounding what they leave in the database.
//!
//! A sign-in attempt is counted before its password is checked, in the write transaction that
//! reads the count: attempts that arrive together take that transaction one after another, so
//! however many run at once, only the free ones get a password check. Sign-ups are counted per
//! client address and overall, per hour. The tables these write are capped in size (keys of a
//! fixed length) and in rows (the oldest go first), so requests from people who are not signed
//! in cannot fill the disk.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};

use app::error::{FieldError, Rejection};
use app::form_echo::FORM_FIELD;
use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

use crate::crm::StoreError;
use engine::db::Conn;
use engine::on;

/// Failed sign-ins for one address that cost nothing; each further one doubles the wait.
pub const FREE_FAILURES: i64 = 5;
/// The longest wait between sign-in attempts for one address.
const LONGEST_WAIT_SECONDS: i64 = 15 * 60;
/// Addresses with a few failures remembered at most; beyond, the oldest are forgotten first.
pub const FAILURES_KEPT: i64 = 10_000;
/// Addresses that must wait remembered at most. They are forgotten last, so failures for many
/// other addresses cannot flush one that is being guessed at.
pub const WAITING_KEPT: i64 = 100_000;
/// One attempt in this many also forgets old failures (a few statements, on the writer).
const CLEAN_EVERY: u64 = 64;

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
    on!(tx.re(), c => sqlx::query(
        "INSERT INTO sign_in_failures (email, failures, last_failed_at) VALUES ($1, 1, $2) \
         ON CONFLICT (email) DO UPDATE SET failures = sign_in_failures.failures + 1, \
             last_failed_at = excluded.last_failed_at",
    )
    .bind(&key)
    .bind(now)
    .execute(c)
    .await
    .map(drop))?;
    static ATTEMPTS: AtomicU64 = AtomicU64::new(0);
    if ATTEMPTS
        .fetch_add(1, Ordering::Relaxed)
        .is_multiple_of(CLEAN_EVERY)
    {
        forget_old_failures(tx, now, FAILURES_KEPT, WAITING_KEPT).await?;
    }
    Ok(Ok(()))
}

/// Forgets failures nobody has repeated for a day, then the oldest of those beyond `few`
/// addresses with fewer than the free failures, then the oldest beyond `waiting` addresses
/// that must wait.
pub async fn forget_old_failures(
    tx: Conn<'_>,
    now: DateTime<Utc>,
    few: i64,
    waiting: i64,
) -> Result<(), StoreError> {
    on!(tx, c => {
        sqlx::query("DELETE FROM sign_in_failures WHERE last_failed_at < $1")
            .bind(now - Duration::days(1))
            .execute(&mut *c)
            .await?;
        sqlx::query(
            "DELETE FROM sign_in_failures WHERE failures < $2 AND email NOT IN \
             (SELECT email FROM sign_in_failures WHERE failures < $2 \
              ORDER BY last_failed_at DESC, email LIMIT $1)",
        )
        .bind(few)
        .bind(FREE_FAILURES)
        .execute(&mut *c)
        .await?;
        sqlx::query(
            "DELETE FROM sign_in_failures WHERE failures >= $2 AND email NOT IN \
             (SELECT email FROM sign_in_failures WHERE failures >= $2 \
              ORDER BY last_failed_at DESC, email LIMIT $1)",
        )
        .bind(waiting)
        .bind(FREE_FAILURES)
        .execute(&mut *c)
        .await?;
    });
    Ok(())
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

/// The part of a client's address that counts: an IPv4 address, or an IPv6 /64 (one
/// subscriber's network; a host may pick any address in it).
fn client_key(address: IpAddr) -> String {
    match address {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let [a, b, c, d, ..] = v6.segments();
                format!("{a:x}:{b:x}:{c:x}:{d:x}::/64")
            }
        },
    }
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
    let client = client.map_or_else(|| "unknown".to_owned(), client_key);
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
