//! Kith's event-sourcing engine: what any event-sourced application on SQLite or PostgreSQL
//! needs, with no word of the application in it (the compiler keeps it so: this crate depends
//! on neither the contract nor the server, and a test keeps the application's words out of its
//! text). The application tells the engine what it needs to know through [`domain::Domain`].
//!
//! - [`domain`]: what the engine asks of an application, and the plain data it hands back.
//! - [`store`]: appending events (schema checks, the application's guard, group commit) and
//!   reading the stream.
//! - [`dispatch`]: the listeners that keep each projection from the stream, exactly once, and
//!   the health view of them.
//! - [`replay`]: rebuilding a projection beside the live one and swapping it in.
//! - [`db`]: the two databases, one query text for both, and write transactions.
//! - [`cpu`]: keeping a thread and its connection's worker on one CPU.
//! - [`clock`]: the time as scheduled jobs see it.
//! - [`jobs`]: the runs of scheduled jobs, for the health view.

pub mod clock;
pub mod cpu;
pub mod db;
pub mod dispatch;
pub mod domain;
pub mod jobs;
pub mod replay;
pub mod store;
