//! The Kith server: the CRM's features, one folder each (`accounts/`, `contacts/` with their
//! interactions, `meetings/` with the morning email), on the engine's event store, dispatcher
//! and replay (the `engine` crate, which [`crm`] tells what the CRM's events are), and the web
//! server that puts the app in front of them.

// The crate is also `server` to itself, so code written from outside (the generators'
// templates, which the integration tests compile) reads the same inside it.
extern crate self as server;

// Every binary built on the server (the server itself, its tests and benchmarks) allocates with
// mimalloc: a page render and an append allocate many small values, from several threads. Built
// without transparent huge pages (`no_thp`): zeroing a fresh 2 MB page at a time cost a replay's
// reading about a tenth of its time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod accounts;
pub mod backend;
pub mod config;
pub mod contacts;
pub mod crm;
pub mod event_browser;
pub mod freshness;
pub mod guards;
pub mod meetings;
pub mod projections;
pub mod refusals;
pub mod scaffold;
pub mod time;
pub mod web;

use std::sync::Arc;

use crate::crm::{Dispatcher, EventStore, StoreError};

/// The system processes that can cause events, each an entity of its own.
pub const PROCESSES: &[&str] = &["dispatcher", "mailer"];

/// An opened database with its dispatcher, ready to serve.
pub struct Kith {
    pub dispatcher: Arc<Dispatcher>,
}

impl Kith {
    /// Opens the database at `database_url`, registers the system processes and the projections.
    pub async fn open(database_url: &str) -> Result<Self, StoreError> {
        let store = Arc::new(EventStore::open(database_url, Arc::new(guards::CrmGuards)).await?);
        // Keys kept before names and addresses were folded in Rust, folded now, before anyone
        // appends.
        contacts::names::fold_old_keys(store.writer()).await?;
        accounts::fold_email_keys(store.writer()).await?;
        for process in PROCESSES {
            store.ensure_process(process).await?;
        }
        let dispatcher = Arc::new(Dispatcher::new(store, projections::all()).await?);
        Ok(Self { dispatcher })
    }
}
