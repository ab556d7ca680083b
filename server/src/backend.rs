//! The server's side of the contract: [`app::backend::Backend`] over the store, the
//! dispatcher and the queries.

use std::sync::Arc;
use std::time::Duration;

use app::backend::{Actor, Backend};
use app::error::{AppError, CommandOutcome};
use app::events::Event;
use app::plain_form::FormEcho;
use app::receipt::EventId;
use app::views::{CatchUp, ContactView, ContactsView, HealthView, ProjectionName};

use crate::dispatch::Dispatcher;
use crate::store::StoreError;
use crate::{queries, refusals};

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        tracing::error!(%error, "store failure");
        AppError::Storage(error.to_string())
    }
}

pub struct Crm {
    dispatcher: Arc<Dispatcher>,
    /// Until accounts arrive, every request acts for this one local account.
    local: Actor,
}

impl Crm {
    pub fn new(dispatcher: Arc<Dispatcher>, local: Actor) -> Self {
        Self { dispatcher, local }
    }
}

#[async_trait::async_trait]
impl Backend for Crm {
    async fn current_actor(&self) -> Result<Actor, AppError> {
        Ok(self.local)
    }

    async fn execute(&self, actor: Actor, event: Event) -> Result<CommandOutcome, AppError> {
        Ok(match self.dispatcher.store().append(actor, &event).await? {
            Ok(receipt) => CommandOutcome::Accepted(receipt),
            Err(rejection) => CommandOutcome::Rejected(rejection),
        })
    }

    async fn contacts(&self, account_id: i64) -> Result<ContactsView, AppError> {
        Ok(queries::contacts(self.dispatcher.store().reader(), &self.dispatcher, account_id).await?)
    }

    async fn contact(&self, account_id: i64, name: &str) -> Result<ContactView, AppError> {
        Ok(queries::contact(
            self.dispatcher.store().reader(),
            &self.dispatcher,
            account_id,
            name,
        )
        .await?)
    }

    async fn catch_up(
        &self,
        projection: ProjectionName,
        event_id: EventId,
        wait: Duration,
    ) -> Result<CatchUp, AppError> {
        Ok(self
            .dispatcher
            .catch_up(projection.as_str(), event_id, wait)
            .await?)
    }

    async fn health(&self) -> Result<HealthView, AppError> {
        Ok(self.dispatcher.health().await?)
    }

    async fn keep_refusal(&self, echo: &FormEcho) -> Result<String, AppError> {
        Ok(refusals::keep(self.dispatcher.store(), echo).await?)
    }

    async fn refusal(&self, token: &str) -> Result<Option<FormEcho>, AppError> {
        Ok(refusals::find(self.dispatcher.store(), token).await?)
    }
}
