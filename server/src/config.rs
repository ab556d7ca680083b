//! Configuration, from the environment (and the command line, which can override it).

use std::time::Duration;

/// Where the embedded database lives unless `DATABASE_URL` says otherwise.
pub const DEFAULT_DATABASE: &str = "data/kith.sqlite3";

#[derive(Clone, Debug, clap::Args)]
pub struct Config {
    /// The database: a SQLite file path or `sqlite:` URL.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE)]
    pub database_url: String,

    /// How often listeners look for events appended by other processes, in milliseconds.
    /// Appends by this process wake them at once.
    #[arg(long, env = "KITH_POLL_MS", default_value_t = 1000)]
    pub poll_ms: u64,
}

impl Config {
    pub fn poll(&self) -> Duration {
        Duration::from_millis(self.poll_ms.max(10))
    }
}
