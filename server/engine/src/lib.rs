//! Kith's event-sourcing engine: what any event-sourced application on SQLite or PostgreSQL
//! needs, with no word of the CRM in it (the compiler keeps it so: this crate does not depend
//! on the app). The server builds the CRM on it.
//!
//! - [`db`]: the two databases, one query text for both, and write transactions.
//! - [`cpu`]: keeping a thread and its connection's worker on one CPU.
//! - [`clock`]: the time as scheduled jobs see it.
//! - [`jobs`]: the runs of scheduled jobs, for the health view.

pub mod clock;
pub mod cpu;
pub mod db;
pub mod jobs;
