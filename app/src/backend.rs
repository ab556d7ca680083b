//! The server side of the contract: what server functions may ask of the back end.
//!
//! The `server` crate implements [`Backend`] over its event store and projections and puts it
//! into the Leptos context; server functions reach it with [`backend`]. Only built with `ssr`.

use std::sync::Arc;
use std::time::Duration;

use crate::error::{AppError, CommandOutcome, Rejection};
use crate::events::Event;
use crate::plain_form::FormEcho;
use crate::receipt::EventId;
use crate::views::{CatchUp, ContactView, ContactsView, HealthView, ProjectionName};

/// Whoever causes an event: the entity recorded with it, acting for an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Actor {
    pub entity_id: i64,
    pub account_id: i64,
}

#[async_trait::async_trait]
pub trait Backend: Send + Sync + 'static {
    /// The account the current request acts for.
    async fn current_actor(&self) -> Result<Actor, AppError>;

    /// Validates `event` against its schema and the account's current contacts and appends it.
    /// Returns once the event is durably stored.
    async fn execute(&self, actor: Actor, event: Event) -> Result<CommandOutcome, AppError>;

    async fn contacts(&self, account_id: i64) -> Result<ContactsView, AppError>;

    async fn contact(&self, account_id: i64, name: &str) -> Result<ContactView, AppError>;

    /// Waits up to `wait` for `projection` to have applied `event_id`.
    async fn catch_up(
        &self,
        projection: ProjectionName,
        event_id: EventId,
        wait: Duration,
    ) -> Result<CatchUp, AppError>;

    async fn health(&self) -> Result<HealthView, AppError>;

    /// Keeps the refusal of a plain form post for the page it returns to; returns its token.
    async fn keep_refusal(&self, echo: &FormEcho) -> Result<String, AppError>;

    /// The refusal kept under `token`, while it is kept.
    async fn refusal(&self, token: &str) -> Result<Option<FormEcho>, AppError>;
}

pub type SharedBackend = Arc<dyn Backend>;

/// Runs a command for the account of the current request: appends `event`, or hands back the
/// refusal its input got.
pub async fn execute(event: Result<Event, Rejection>) -> Result<CommandOutcome, AppError> {
    let backend = backend()?;
    let actor = backend.current_actor().await?;
    match event {
        Ok(event) => backend.execute(actor, event).await,
        Err(rejection) => Ok(rejection.into()),
    }
}

/// The back end of the running server, from the request's context.
pub fn backend() -> Result<SharedBackend, AppError> {
    leptos::prelude::use_context::<SharedBackend>()
        .ok_or_else(|| AppError::Storage("the back end is missing from the request context".into()))
}
