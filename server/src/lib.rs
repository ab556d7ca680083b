//! The Kith server: the event store, the dispatcher and its listeners, the projections and
//! the queries that read them, and the web server that puts the app in front of them.

pub mod backend;
pub mod config;
pub mod dispatch;
pub mod projections;
pub mod queries;
pub mod refusals;
pub mod store;
pub mod web;

use std::sync::Arc;

use app::backend::Actor;

use crate::dispatch::Dispatcher;
use crate::store::{EventStore, StoreError};

/// The name of the local account every request acts for until accounts arrive.
pub const LOCAL_ACCOUNT: &str = "local";

/// An opened database with its dispatcher, ready to serve.
pub struct Kith {
    pub dispatcher: Arc<Dispatcher>,
    pub local: Actor,
}

impl Kith {
    /// Opens the database at `database_url` and registers the projections.
    pub async fn open(database_url: &str) -> Result<Self, StoreError> {
        let store = Arc::new(EventStore::open(database_url).await?);
        let local = store.ensure_account(LOCAL_ACCOUNT, "You").await?;
        let dispatcher = Arc::new(Dispatcher::new(store, projections::all()).await?);
        Ok(Self { dispatcher, local })
    }
}
