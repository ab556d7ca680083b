//! Accounts' credentials and sessions: sign-up, sign-in (slowed down after repeated failures),
//! sign-out, and finding the account behind a session cookie.
//!
//! Passwords are hashed with argon2id into the `credentials` table; no credential ever enters
//! an event. Sessions are random 256-bit tokens kept in an HttpOnly cookie; the database keeps
//! only their SHA-256.

mod passwords;
pub mod projection;
pub mod settings;
pub mod throttle;

use app::account::{EMAIL_MAX, PASSWORD_MAX, SignUp, email_key};
use app::backend::{Actor, SESSION_DAYS, SignedIn};
use app::error::{FieldError, Rejection};
use app::events::{AccountRegistered, Event};
use app::form_echo::FORM_FIELD;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

use crate::crm::{EventStore, StoreError};
use engine::db::Conn;
use engine::{on, on_pool};

pub use passwords::{checks as password_checks, peak as hashing_peak};

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

/// `bytes` random bytes, as lowercase hex (session tokens, names no one can guess).
pub fn random_hex(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    OsRng.fill_bytes(&mut buffer);
    hex(&buffer)
}

/// A new account and its entity, inside the caller's write transaction.
pub async fn create_account(tx: Conn<'_>, display_name: &str) -> Result<Actor, StoreError> {
    let now = Utc::now();
    let (entity_id, account_id) = on!(tx, c => {
        let entity_id: i64 = sqlx::query_scalar(
            "INSERT INTO entities (kind, name, created_at) VALUES ('account', $1, $2) RETURNING id",
        )
        .bind(format!("account-{}", random_hex(8)))
        .bind(now)
        .fetch_one(&mut *c)
        .await?;
        let account_id: i64 = sqlx::query_scalar(
            "INSERT INTO accounts (entity_id, display_name, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(entity_id)
        .bind(display_name)
        .bind(now)
        .fetch_one(&mut *c)
        .await?;
        (entity_id, account_id)
    });
    Ok(Actor {
        entity_id,
        account_id,
    })
}

/// Said when password hashing is busy with other sign-ins for longer than a person waits.
fn busy() -> Rejection {
    Rejection::one(
        FORM_FIELD,
        "The server is busy checking other sign-ins. Try again in a moment.",
    )
}

/// The most sessions an account keeps open at once; signing in again ends the oldest.
pub const SESSIONS_KEPT: i64 = 50;

async fn open_session(conn: Conn<'_>, account_id: i64, now: DateTime<Utc>) -> Result<String, StoreError> {
    let token = random_hex(32);
    on!(conn, c => {
        sqlx::query(
            "INSERT INTO sessions (token_hash, account_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(hash_token(&token))
        .bind(account_id)
        .bind(now)
        .bind(now + Duration::days(SESSION_DAYS))
        .execute(&mut *c)
        .await?;
        sqlx::query(
            "DELETE FROM sessions WHERE account_id = $1 AND token_hash NOT IN \
             (SELECT token_hash FROM sessions WHERE account_id = $1 \
              ORDER BY created_at DESC, token_hash LIMIT $2)",
        )
        .bind(account_id)
        .bind(SESSIONS_KEPT)
        .execute(&mut *c)
        .await?;
    });
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
    let Ok(turn) = passwords::turn().await else {
        return Ok(Err(busy()));
    };
    let password_hash = turn.hash(password).await?;
    let now = Utc::now();
    let mut tx = store.writer().begin_write().await?;
    // Addresses are unique without regard to case, folded the same way on both databases.
    let key = email_key(&email);
    let taken: Option<i64> = on!(tx.conn(), c => sqlx::query_scalar("SELECT account_id FROM credentials WHERE email_key = $1")
        .bind(&key)
        .fetch_optional(c)
        .await)?;
    if taken.is_some() {
        tx.rollback().await?;
        return Ok(Err(Rejection::one(
            "email",
            "There is already an account with this email address. Sign in instead.",
        )));
    }
    let actor = create_account(tx.conn(), &settings.display_name).await?;
    on!(tx.conn(), c => sqlx::query(
        "INSERT INTO credentials (account_id, email, password_hash, created_at, email_key) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(actor.account_id)
    .bind(&email)
    .bind(password_hash)
    .bind(now)
    .bind(&key)
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
/// attempts during the wait are refused without checking the password. Every attempt is
/// counted before its password is checked (see [`throttle`]), and forgotten once one succeeds.
pub async fn sign_in(
    store: &EventStore,
    email: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<Result<NewSession, Rejection>, StoreError> {
    let key = email_key(email);
    let mut errors = Vec::new();
    if key.is_empty() {
        errors.push(FieldError::new("email", "Email address is required."));
    } else if key.chars().count() > EMAIL_MAX {
        errors.push(FieldError::new(
            "email",
            format!("Email address is too long (at most {EMAIL_MAX} characters)."),
        ));
    }
    if password.is_empty() {
        errors.push(FieldError::new("password", "Password is required."));
    } else if password.chars().count() > PASSWORD_MAX {
        errors.push(FieldError::new(
            "password",
            format!("Password must have at most {PASSWORD_MAX} characters."),
        ));
    }
    if !errors.is_empty() {
        return Ok(Err(Rejection { errors }));
    }
    // The turn first: a flood of attempts waits for it without touching the database.
    let Ok(turn) = passwords::turn().await else {
        return Ok(Err(busy()));
    };
    let mut tx = store.writer().begin_write().await?;
    if let Err(refusal) = throttle::reserve_sign_in(tx.conn(), &key, now).await? {
        tx.commit().await?;
        return Ok(Err(refusal));
    }
    let found: Option<(i64, i64, String)> = on!(tx.conn(), c => sqlx::query_as(
        "SELECT c.account_id, a.entity_id, c.password_hash FROM credentials c \
         JOIN accounts a ON a.id = c.account_id WHERE c.email_key = $1",
    )
    .bind(&key)
    .fetch_optional(c)
    .await)?;
    tx.commit().await?;
    let (hash, actor) = match found {
        Some((account_id, entity_id, hash)) => (
            hash,
            Some(Actor {
                entity_id,
                account_id,
            }),
        ),
        None => (passwords::decoy().await?, None),
    };
    let matches = turn.verify(password.to_owned(), hash).await?;
    let Some(actor) = actor.filter(|_| matches) else {
        return Ok(Err(wrong_credentials()));
    };
    let mut tx = store.writer().begin_write().await?;
    // Ended sessions are forgotten.
    on!(tx.conn(), c => sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(now)
        .execute(c)
        .await
        .map(drop))?;
    throttle::signed_in(tx.conn(), &key).await?;
    let token = open_session(tx.conn(), actor.account_id, now).await?;
    tx.commit().await?;
    Ok(Ok(NewSession { token, actor }))
}

/// Credentials kept before addresses were folded in Rust (SQLite's `NOCASE` folds ASCII only,
/// so `Émile@…` never matched `émile@…`) get their folded key. Runs at start-up; one address
/// that folds like another one already has is left unfolded, and said so in the log.
pub async fn fold_email_keys(pool: &engine::db::Pool) -> Result<(), StoreError> {
    let unfolded: Vec<(i64, String)> = on_pool!(pool, p => sqlx::query_as(
        "SELECT account_id, email FROM credentials WHERE email_key IS NULL ORDER BY account_id",
    )
    .fetch_all(p)
    .await)?;
    if unfolded.is_empty() {
        return Ok(());
    }
    let mut tx = pool.begin_write().await?;
    for (account_id, email) in unfolded {
        let key = email_key(&email);
        let taken: Option<i64> = on!(tx.conn(), c => sqlx::query_scalar("SELECT account_id FROM credentials WHERE email_key = $1")
            .bind(&key)
            .fetch_optional(c)
            .await)?;
        if taken.is_some() {
            tracing::warn!(
                account_id,
                "two accounts sign in with addresses that differ only in case"
            );
            continue;
        }
        on!(tx.conn(), c => sqlx::query("UPDATE credentials SET email_key = $1 WHERE account_id = $2")
            .bind(&key)
            .bind(account_id)
            .execute(c)
            .await
            .map(drop))?;
    }
    tx.commit().await?;
    Ok(())
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
