//! Password hashing with argon2id, a few at a time.
//!
//! Each hash holds about 19 MiB and a CPU for a few dozen milliseconds, by design. Without a
//! bound, a burst of sign-ins holds that many times over: 200 at once took the server from
//! 0.45 GB to 3.9 GB. Hashing runs on blocking threads, at most one per CPU at a time; the rest
//! wait their turn for up to [`QUEUE_WAIT`], then are told to try again in a moment.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Argon2, password_hash};
use tokio::sync::Semaphore;

use crate::store::StoreError;

/// How long a sign-in or sign-up waits for its turn to hash before giving up.
const QUEUE_WAIT: Duration = Duration::from_secs(10);

/// Hashes at once: one per CPU.
static TURNS: LazyLock<Arc<Semaphore>> = LazyLock::new(|| {
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    Arc::new(Semaphore::new(cpus))
});

/// Every password check this process has made (a wrong guess, a right one, a decoy).
static CHECKS: AtomicU64 = AtomicU64::new(0);

/// How many passwords this process has checked against a hash since it started.
pub fn checks() -> u64 {
    CHECKS.load(Ordering::Relaxed)
}

/// Hashes running right now, and the most that ever ran at once in this process.
static RUNNING: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// The most hashes this process has run at once.
pub fn peak() -> usize {
    PEAK.load(Ordering::Relaxed)
}

/// Hashing had to wait too long for its turn: the server is busy.
#[derive(Debug)]
pub struct Busy;

/// Runs `work` on a blocking thread once a turn is free, waiting up to [`QUEUE_WAIT`]. The turn
/// goes with the work, so a caller that stops waiting (a closed connection) does not free it
/// while the hash still runs.
async fn in_turn<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<Result<T, Busy>, StoreError> {
    let Ok(Ok(turn)) = tokio::time::timeout(QUEUE_WAIT, TURNS.clone().acquire_owned()).await else {
        return Ok(Err(Busy));
    };
    let done = tokio::task::spawn_blocking(move || {
        let running = RUNNING.fetch_add(1, Ordering::SeqCst) + 1;
        PEAK.fetch_max(running, Ordering::SeqCst);
        let done = work();
        RUNNING.fetch_sub(1, Ordering::SeqCst);
        drop(turn);
        done
    })
    .await
    .map_err(|e| StoreError::Password(format!("the hashing thread stopped: {e}")))?;
    Ok(Ok(done))
}

/// `password` hashed with argon2id and a new salt, as a PHC string.
pub async fn hash(password: String) -> Result<Result<String, Busy>, StoreError> {
    let hashed = in_turn(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
    })
    .await?;
    match hashed {
        Ok(Ok(hash)) => Ok(Ok(hash)),
        Ok(Err(error)) => Err(StoreError::Password(format!("hashing failed: {error}"))),
        Err(busy) => Ok(Err(busy)),
    }
}

/// Whether `password` matches the PHC string `hash`.
pub async fn verify(password: String, hash: String) -> Result<Result<bool, Busy>, StoreError> {
    let checked = in_turn(move || {
        CHECKS.fetch_add(1, Ordering::Relaxed);
        let parsed = PasswordHash::new(&hash)?;
        match Argon2::default().verify_password(password.as_bytes(), &parsed) {
            Ok(()) => Ok(true),
            Err(password_hash::Error::Password) => Ok(false),
            Err(error) => Err(error),
        }
    })
    .await?;
    match checked {
        Ok(Ok(matches)) => Ok(Ok(matches)),
        Ok(Err(error)) => Err(StoreError::Password(format!(
            "a stored password hash is unreadable: {error}"
        ))),
        Err(busy) => Ok(Err(busy)),
    }
}

/// A hash of a password nobody has, checked when an address is unknown so that a wrong
/// address takes as long to refuse as a wrong password.
pub async fn decoy() -> Result<Result<String, Busy>, StoreError> {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    if let Some(hash) = DECOY.get() {
        return Ok(Ok(hash.clone()));
    }
    Ok(hash(crate::store::random_hex(32))
        .await?
        .map(|hash| DECOY.get_or_init(|| hash).clone()))
}
