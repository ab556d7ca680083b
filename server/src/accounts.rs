//! Accounts' credentials and sessions: sign-up, sign-in (slowed down after repeated failures),
//! sign-out, and finding the account behind a session cookie.
//!
//! Passwords are hashed with argon2id into the `credentials` table; no credential ever enters
//! an event. Sessions are random 256-bit tokens kept in an HttpOnly cookie; the database keeps
//! only their SHA-256.

use crate::db::Conn;
use crate::store::{EventStore, StoreError};
use crate::{on, on_pool};
use app::account::{SignUp, email_key};
use app::backend::{Actor, SESSION_DAYS, SignedIn};
use app::error::{FieldError, Rejection};
use app::events::{AccountRegistered, Event};
use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Argon2, password_hash};
use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

/// Failed sign-ins for one address that cost nothing; each further one doubles the wait.
const FREE_FAILURES: i64 = 5;
/// The longest wait between sign-in attempts for one address.
const LONGEST_WAIT_SECONDS: i64 = 15 * 60;

/// A new session: the token for the cookie (never stored) and the account it signs in.
#[derive(Clone, Debug)]
pub struct NewSession {
    pub token: String,
    pub actor: Actor,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hash_token(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    hex(&bytes)
}

/// Hashes a password with argon2id (on a blocking thread: it is deliberately slow).
async fn hash_password(password: String) -> Result<String, StoreError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
    })
    .await
    .map_err(|e| StoreError::Inconsistent(format!("password hashing stopped: {e}")))?
    .map_err(|e| StoreError::Inconsistent(format!("password hashing failed: {e}")))
}

/// Whether `password` matches the PHC string `hash`.
async fn verify_password(password: String, hash: String) -> Result<bool, StoreError> {
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&hash)?;
        match Argon2::default().verify_password(password.as_bytes(), &parsed) {
            Ok(()) => Ok(true),
            Err(password_hash::Error::Password) => Ok(false),
            Err(error) => Err(error),
        }
    })
    .await
    .map_err(|e| StoreError::Inconsistent(format!("password check stopped: {e}")))?
    .map_err(|e| StoreError::Inconsistent(format!("a stored password hash is unreadable: {e}")))
}

/// A hash of a password nobody has, checked when an address is unknown so that a wrong
/// address takes as long to refuse as a wrong password.
static DECOY_HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();

async fn decoy_hash() -> Result<String, StoreError> {
    if let Some(hash) = DECOY_HASH.get() {
        return Ok(hash.clone());
    }
    let hash = hash_password(random_token()).await?;
    Ok(DECOY_HASH.get_or_init(|| hash).clone())
}

async fn open_session(conn: Conn<'_>, account_id: i64, now: DateTime<Utc>) -> Result<String, StoreError> {
    let token = random_token();
    on!(conn, c => sqlx::query(
        "INSERT INTO sessions (token_hash, account_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(hash_token(&token))
    .bind(account_id)
    .bind(now)
    .bind(now + Duration::days(SESSION_DAYS))
    .execute(c)
    .await.map(drop))?;
    Ok(token)
}

/// Creates the account, its credentials, its registration event and a first session, in one
/// transaction: either all of it exists afterwards or none of it.
pub async fn sign_up(
    store: &EventStore,
    sign_up: SignUp,
) -> Result<Result<NewSession, Rejection>, StoreError> {
    let SignUp {
        email,
        password,
        settings,
    } = sign_up;
    let password_hash = hash_password(password).await?;
    let now = Utc::now();
    let mut tx = store.writer().begin_write().await?;
    // Addresses are unique without regard to case (SQLite: the column is COLLATE NOCASE;
    // PostgreSQL: a unique index on lower(email)).
    let backend = tx.backend();
    let taken_sql = format!(
        "SELECT account_id FROM credentials WHERE {} = {}",
        backend.caseless("email"),
        backend.caseless("$1"),
    );
    let taken: Option<i64> = on!(tx.conn(), c => sqlx::query_scalar(sqlx::AssertSqlSafe(taken_sql))
        .bind(&email)
        .fetch_optional(c)
        .await)?;
    if taken.is_some() {
        tx.rollback().await?;
        return Ok(Err(Rejection::one(
            "email",
            "There is already an account with this email address. Sign in instead.",
        )));
    }
    let actor = store.create_account(tx.conn(), &settings.display_name).await?;
    on!(tx.conn(), c => sqlx::query(
        "INSERT INTO credentials (account_id, email, password_hash, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(actor.account_id)
    .bind(&email)
    .bind(password_hash)
    .bind(now)
    .execute(c)
    .await.map(drop))?;
    let event = Event::from(AccountRegistered(settings));
    let receipt = match store.append_in(tx.conn(), actor, &event).await? {
        Ok(receipt) => receipt,
        Err(rejection) => {
            tx.rollback().await?;
            return Ok(Err(rejection));
        }
    };
    let token = open_session(tx.conn(), actor.account_id, now).await?;
    tx.commit().await?;
    store.appended(receipt.event_id);
    Ok(Ok(NewSession { token, actor }))
}

/// How long `email` must wait before its next sign-in attempt, if at all.
async fn throttled_for(
    conn: Conn<'_>,
    key: &str,
    now: DateTime<Utc>,
) -> Result<Option<Duration>, StoreError> {
    let failures: Option<(i64, DateTime<Utc>)> = on!(conn, c =>
        sqlx::query_as("SELECT failures, last_failed_at FROM sign_in_failures WHERE email = $1")
            .bind(key)
            .fetch_optional(c)
            .await)?;
    let Some((failures, last_failed_at)) = failures else {
        return Ok(None);
    };
    if failures < FREE_FAILURES {
        return Ok(None);
    }
    let doublings = (failures - FREE_FAILURES).min(20) as u32;
    let wait = Duration::seconds((1i64 << doublings).min(LONGEST_WAIT_SECONDS));
    let remaining = last_failed_at + wait - now;
    Ok((remaining > Duration::zero()).then_some(remaining))
}

fn wrong_credentials() -> Rejection {
    Rejection {
        errors: vec![FieldError::new(
            "password",
            "That email address and password do not match an account. Check both and try again.",
        )],
    }
}

/// Signs in with `email` and `password`, or says why not. After a few failures for one
/// address, each further attempt must wait twice as long as the one before (up to 15 minutes);
/// attempts during the wait are refused without checking the password.
pub async fn sign_in(
    store: &EventStore,
    email: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<Result<NewSession, Rejection>, StoreError> {
    let key = email_key(email);
    if key.is_empty() || password.is_empty() {
        let mut errors = Vec::new();
        if key.is_empty() {
            errors.push(FieldError::new("email", "Email address is required."));
        }
        if password.is_empty() {
            errors.push(FieldError::new("password", "Password is required."));
        }
        return Ok(Err(Rejection { errors }));
    }
    let mut reader = store.reader().acquire().await?;
    if let Some(wait) = throttled_for(reader.conn(), &key, now).await? {
        // Rounded up: a wait of 1.2 s is not over after 1 s.
        let seconds = ((wait.num_milliseconds() + 999) / 1000).max(1);
        return Ok(Err(Rejection::one(
            "email",
            format!("Too many failed sign-ins for this address. Wait {seconds} s and try again."),
        )));
    }
    let backend = store.backend();
    let found_sql = format!(
        "SELECT c.account_id, a.entity_id, c.password_hash FROM credentials c \
         JOIN accounts a ON a.id = c.account_id WHERE {} = {}",
        backend.caseless("c.email"),
        backend.caseless("$1"),
    );
    let found: Option<(i64, i64, String)> = on!(reader.conn(), c => sqlx::query_as(sqlx::AssertSqlSafe(found_sql))
        .bind(&key)
        .fetch_optional(c)
        .await)?;
    drop(reader);
    let (matches, actor) = match found {
        Some((account_id, entity_id, hash)) => (
            verify_password(password.to_owned(), hash).await?,
            Some(Actor {
                entity_id,
                account_id,
            }),
        ),
        None => {
            verify_password(password.to_owned(), decoy_hash().await?).await?;
            (false, None)
        }
    };
    let mut tx = store.writer().begin_write().await?;
    // Ended sessions, and failures nobody has repeated for a day, are forgotten.
    on!(tx.conn(), c => {
        sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now)
            .execute(&mut *c)
            .await?;
        sqlx::query("DELETE FROM sign_in_failures WHERE last_failed_at < $1")
            .bind(now - Duration::days(1))
            .execute(&mut *c)
            .await?;
    });
    let outcome = match actor.filter(|_| matches) {
        Some(actor) => {
            on!(tx.conn(), c => sqlx::query("DELETE FROM sign_in_failures WHERE email = $1")
                .bind(&key)
                .execute(c)
                .await.map(drop))?;
            let token = open_session(tx.conn(), actor.account_id, now).await?;
            Ok(NewSession { token, actor })
        }
        None => {
            // The existing row's count is named with its table: PostgreSQL finds a bare
            // column name ambiguous beside `excluded`.
            on!(tx.conn(), c => sqlx::query(
                "INSERT INTO sign_in_failures (email, failures, last_failed_at) VALUES ($1, 1, $2) \
                 ON CONFLICT (email) DO UPDATE SET failures = sign_in_failures.failures + 1, \
                     last_failed_at = excluded.last_failed_at",
            )
            .bind(&key)
            .bind(now)
            .execute(c)
            .await.map(drop))?;
            Err(wrong_credentials())
        }
    };
    tx.commit().await?;
    Ok(outcome)
}

/// Ends the session whose token hashes to `session_hash`.
pub async fn sign_out(store: &EventStore, session_hash: &str) -> Result<(), StoreError> {
    on_pool!(store.writer(), p => sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(session_hash)
        .execute(p)
        .await.map(drop))?;
    Ok(())
}

/// The signed-in account behind a session cookie's `token`, unless the session has ended.
pub async fn session(
    store: &EventStore,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<SignedIn>, StoreError> {
    let session = hash_token(token);
    let found: Option<(i64, i64, String)> = on_pool!(store.reader(), p => sqlx::query_as(
        "SELECT s.account_id, a.entity_id, c.email FROM sessions s \
         JOIN accounts a ON a.id = s.account_id JOIN credentials c ON c.account_id = s.account_id \
         WHERE s.token_hash = $1 AND s.expires_at > $2",
    )
    .bind(&session)
    .bind(now)
    .fetch_optional(p)
    .await)?;
    Ok(found.map(|(account_id, entity_id, email)| SignedIn {
        actor: Actor {
            entity_id,
            account_id,
        },
        email,
        session,
    }))
}
