//! The server's side of the contract: [`app::backend::Backend`] over the store, the
//! dispatcher, the accounts and the queries.

use std::sync::Arc;
use std::time::Duration;

use app::account::SignUp;
use app::backend::{Actor, Backend, SessionOutcome, SignedIn};
use app::error::{AppError, CommandOutcome};
use app::events::{AccountSettings, Event};
use app::plain_form::FormEcho;
use app::receipt::EventId;
use app::views::{
    CatchUp, ContactView, ContactsView, EventQuery, EventsView, HealthView, ListQuery, ProjectionName,
    SettingsView,
};
use chrono::Utc;

use crate::dispatch::Dispatcher;
use crate::store::StoreError;
use crate::{accounts, queries, refusals};

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        tracing::error!(%error, "store failure");
        AppError::Storage(error.to_string())
    }
}

pub struct Crm {
    dispatcher: Arc<Dispatcher>,
}

impl Crm {
    pub fn new(dispatcher: Arc<Dispatcher>) -> Self {
        Self { dispatcher }
    }
}

#[async_trait::async_trait]
impl Backend for Crm {
    async fn sign_up(&self, sign_up: SignUp) -> Result<SessionOutcome, AppError> {
        let outcome = accounts::sign_up(self.dispatcher.store(), sign_up).await?;
        Ok(outcome.map(|session| session.token))
    }

    async fn sign_in(&self, email: &str, password: &str) -> Result<SessionOutcome, AppError> {
        let outcome = accounts::sign_in(self.dispatcher.store(), email, password, Utc::now()).await?;
        Ok(outcome.map(|session| session.token))
    }

    async fn session(&self, token: &str) -> Result<Option<SignedIn>, AppError> {
        Ok(accounts::session(self.dispatcher.store(), token, Utc::now()).await?)
    }

    async fn sign_out(&self, session: &str) -> Result<(), AppError> {
        Ok(accounts::sign_out(self.dispatcher.store(), session).await?)
    }

    async fn execute(&self, actor: Actor, event: Event) -> Result<CommandOutcome, AppError> {
        Ok(match self.dispatcher.store().append(actor, &event).await? {
            Ok(receipt) => CommandOutcome::Accepted(receipt),
            Err(rejection) => CommandOutcome::Rejected(rejection),
        })
    }

    async fn contacts(&self, account_id: i64, query: ListQuery) -> Result<ContactsView, AppError> {
        Ok(queries::contacts(
            self.dispatcher.store().reader(),
            &self.dispatcher,
            account_id,
            query,
        )
        .await?)
    }

    async fn contact(&self, account_id: i64, name: &str) -> Result<ContactView, AppError> {
        Ok(queries::contact(
            self.dispatcher.store().reader(),
            &self.dispatcher,
            account_id,
            name,
            Utc::now(),
        )
        .await?)
    }

    async fn events(&self, account_id: i64, query: EventQuery) -> Result<EventsView, AppError> {
        Ok(queries::events(self.dispatcher.store().reader(), account_id, query).await?)
    }

    async fn settings(&self, signed_in: &SignedIn) -> Result<SettingsView, AppError> {
        Ok(queries::settings(self.dispatcher.store().reader(), &self.dispatcher, signed_in).await?)
    }

    async fn account_settings(&self, account_id: i64) -> Result<Option<AccountSettings>, AppError> {
        Ok(queries::account_settings(self.dispatcher.store().reader(), account_id).await?)
    }

    fn is_time_zone(&self, name: &str) -> bool {
        queries::is_time_zone(name)
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

    async fn keep_refusal(&self, session: Option<&str>, echo: &FormEcho) -> Result<String, AppError> {
        Ok(refusals::keep(self.dispatcher.store(), session, echo).await?)
    }

    async fn refusal(&self, session: Option<&str>, token: &str) -> Result<Option<FormEcho>, AppError> {
        Ok(refusals::find(self.dispatcher.store(), session, token).await?)
    }
}
