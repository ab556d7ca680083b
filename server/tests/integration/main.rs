//! The integration tests, one binary: each module is one part of Kith, driven through its
//! public API on a fresh database (SQLite, or PostgreSQL with `KITH_TEST_POSTGRES` set).
//! The tests that start real `server` processes are in `tests/processes/`.

#[path = "../common/mod.rs"]
mod common;

mod accounts;
mod backends;
mod contacts;
mod delivery;
mod dispatch;
mod events;
mod guards;
mod invariant;
mod isolation;
mod layout;
mod mailer;
mod replay;
mod safety;
mod scaffold;
mod schemas;
mod store;
mod templates;
mod web;
