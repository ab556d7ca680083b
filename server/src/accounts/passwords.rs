//! Password hashing with argon2id, a few at a time.
//!
//! Each hash holds about 19 MiB and a CPU for a few dozen milliseconds, by design. Without a
//! bound, a burst of sign-ins holds that many times over: 200 at once took the server from
//! 0.8 GB to 4.7 GB. Hashing runs on threads of its own, one per CPU but one (at least one),
//! so the pages keep a CPU however many sign in. A sign-in or sign-up first waits for a
//! [`Turn`] (up to [`QUEUE_WAIT`], then it is told to try again in a moment), and only then
//! touches the database: a flood of guesses waits here, not on the connection that stores
//! everyone's events. The threads live as long as the process: on the runtime's blocking
//! threads, which come and go, each new thread's allocator kept another 19 MiB (200 at once
//! still reached 0.7 GB).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex, OnceLock, mpsc};
use std::time::Duration;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Argon2, password_hash};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::crm::{CrmError, StoreError};

/// How long a sign-in or sign-up waits for its turn to hash before giving up.
const QUEUE_WAIT: Duration = Duration::from_secs(10);

/// Hashes at once: a CPU is left to everything else.
fn hashers() -> usize {
    std::thread::available_parallelism()
        .map_or(1, usize::from)
        .saturating_sub(1)
        .max(1)
}

static TURNS: LazyLock<Arc<Semaphore>> = LazyLock::new(|| Arc::new(Semaphore::new(hashers())));

type Job = Box<dyn FnOnce() + Send>;

/// The queue of the hashing threads, started on first use.
static QUEUE: LazyLock<Mutex<mpsc::Sender<Job>>> = LazyLock::new(|| {
    let (queue, jobs) = mpsc::channel::<Job>();
    let jobs = Arc::new(Mutex::new(jobs));
    for n in 0..hashers() {
        let jobs = jobs.clone();
        let started = std::thread::Builder::new()
            .name(format!("kith-hasher-{n}"))
            .spawn(move || {
                loop {
                    let job = jobs.lock().expect("the hashing queue").recv();
                    match job {
                        Ok(job) => job(),
                        Err(_) => break,
                    }
                }
            });
        if let Err(error) = started {
            tracing::error!(%error, "could not start a password hashing thread");
        }
    }
    Mutex::new(queue)
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

/// The right to run one hash now, held until the hash is done.
pub struct Turn {
    _permit: OwnedSemaphorePermit,
}

/// Waits up to [`QUEUE_WAIT`] for a turn to hash.
pub async fn turn() -> Result<Turn, Busy> {
    match tokio::time::timeout(QUEUE_WAIT, TURNS.clone().acquire_owned()).await {
        Ok(Ok(permit)) => Ok(Turn { _permit: permit }),
        _ => Err(Busy),
    }
}

/// Runs `work` on a hashing thread and answers what it gives. `turn` goes with the work, so a
/// caller that stops waiting (a closed connection) does not free it while the hash still runs.
async fn on_a_hasher<T: Send + 'static>(
    turn: Option<Turn>,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, StoreError> {
    let (answer, answered) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let running = RUNNING.fetch_add(1, Ordering::SeqCst) + 1;
        PEAK.fetch_max(running, Ordering::SeqCst);
        let done = work();
        RUNNING.fetch_sub(1, Ordering::SeqCst);
        drop(turn);
        let _ = answer.send(done);
    });
    QUEUE
        .lock()
        .expect("the hashing queue")
        .send(job)
        .map_err(|_| password_failure("the hashing threads have stopped"))?;
    answered
        .await
        .map_err(|_| password_failure("a hashing thread stopped"))
}

fn hash_now(password: &str) -> Result<String, StoreError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| password_failure(format!("hashing failed: {error}")))
}

impl Turn {
    /// `password` hashed with argon2id and a new salt, as a PHC string.
    pub async fn hash(self, password: String) -> Result<String, StoreError> {
        on_a_hasher(Some(self), move || hash_now(&password)).await?
    }

    /// Whether `password` matches the PHC string `hash`.
    pub async fn verify(self, password: String, hash: String) -> Result<bool, StoreError> {
        on_a_hasher(Some(self), move || {
            CHECKS.fetch_add(1, Ordering::Relaxed);
            let parsed = PasswordHash::new(&hash)?;
            match Argon2::default().verify_password(password.as_bytes(), &parsed) {
                Ok(()) => Ok(true),
                Err(password_hash::Error::Password) => Ok(false),
                Err(error) => Err(error),
            }
        })
        .await?
        .map_err(|error| password_failure(format!("a stored password hash is unreadable: {error}")))
    }
}

/// A hash of a password nobody has, checked when an address is unknown so that a wrong
/// address takes as long to refuse as a wrong password. Made once, on a hashing thread,
/// without a turn of its own (its caller holds one).
pub async fn decoy() -> Result<String, StoreError> {
    static DECOY: OnceLock<String> = OnceLock::new();
    if let Some(hash) = DECOY.get() {
        return Ok(hash.clone());
    }
    let hash = on_a_hasher(None, || hash_now(&crate::accounts::random_hex(32))).await??;
    Ok(DECOY.get_or_init(|| hash).clone())
}

/// A failure of the hashing threads, as the store reports it.
fn password_failure(what: impl Into<String>) -> StoreError {
    CrmError::Password(what.into()).into()
}
