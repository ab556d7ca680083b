//! The tests that run several real processes against one database: `server worker`
//! processes, a mailer killed midway, appenders racing each other.

#[path = "../common/mod.rs"]
mod common;

mod concurrent_appenders;
mod mailer_processes;
mod worker_processes;
