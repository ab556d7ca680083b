//! The server's side of the contract: [`app::backend::Backend`] over the store, the
//! dispatcher, the accounts and the queries.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use app::account::SignUp;
use app::backend::{Actor, Backend, SessionOutcome, SignedIn};
use app::error::{AppError, CommandOutcome};
use app::events::{AccountSettings, Event};
use app::form_echo::FormEcho;
use app::receipt::EventId;
use app::views::{
    CatchUp, ContactView, ContactsView, EventQuery, EventsView, HealthView, JobHealth, ListQuery,
    ProjectionName, Rebuilding, SettingsView, WorkerHealth,
};
use chrono::Utc;

use crate::accounts::settings;
use crate::accounts::throttle::{self, SignUpLimits};
use crate::contacts::queries;
use crate::dispatch::Dispatcher;
use crate::store::StoreError;
use crate::{accounts, event_browser, refusals};

/// The one place a failure of the store on a request's path is logged (by [`AppError::failure`]).
impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        AppError::failure(&error)
    }
}

pub struct Crm {
    dispatcher: Arc<Dispatcher>,
    sign_ups: SignUpLimits,
}

impl Crm {
    /// The back end over `dispatcher`'s store, with the default limits on sign-ups.
    pub fn new(dispatcher: Arc<Dispatcher>) -> Self {
        Self::with_limits(dispatcher, SignUpLimits::default())
    }

    pub fn with_limits(dispatcher: Arc<Dispatcher>, sign_ups: SignUpLimits) -> Self {
        Self { dispatcher, sign_ups }
    }
}

#[async_trait::async_trait]
impl Backend for Crm {
    async fn sign_up(&self, sign_up: SignUp, client: Option<IpAddr>) -> Result<SessionOutcome, AppError> {
        let store = self.dispatcher.store();
        let mut tx = store.writer().begin_write().await.map_err(StoreError::from)?;
        let reserved = throttle::reserve_sign_up(tx.conn(), client, self.sign_ups, Utc::now()).await?;
        tx.commit().await.map_err(StoreError::from)?;
        if let Err(refusal) = reserved {
            return Ok(Err(refusal));
        }
        let outcome = accounts::sign_up(store, sign_up).await?;
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
        Ok(event_browser::events(self.dispatcher.store().reader(), account_id, query).await?)
    }

    async fn settings(&self, signed_in: &SignedIn) -> Result<SettingsView, AppError> {
        Ok(settings::settings(self.dispatcher.store().reader(), &self.dispatcher, signed_in).await?)
    }

    async fn account_settings(&self, account_id: i64) -> Result<Option<AccountSettings>, AppError> {
        Ok(settings::account_settings(self.dispatcher.store().reader(), account_id).await?)
    }

    fn is_time_zone(&self, name: &str) -> bool {
        settings::is_time_zone(name)
    }

    async fn catch_up(
        &self,
        account_id: i64,
        projection: ProjectionName,
        event_id: EventId,
        wait: Duration,
    ) -> Result<CatchUp, AppError> {
        let store = self.dispatcher.store();
        // Another account's event, or none: nothing to wait for, and nothing said about it.
        if store.owner(event_id).await? != Some(Some(account_id)) {
            return Ok(CatchUp {
                applied: false,
                known: false,
                behind: 0,
            });
        }
        let caught_up = self
            .dispatcher
            .catch_up(projection.as_str(), event_id, wait)
            .await?;
        let behind = if caught_up.applied {
            0
        } else {
            store.count_after(account_id, caught_up.checkpoint).await?
        };
        Ok(CatchUp {
            applied: caught_up.applied,
            known: true,
            behind,
        })
    }

    async fn health(&self, account_id: i64) -> Result<HealthView, AppError> {
        let health = self.dispatcher.health().await?;
        let store = self.dispatcher.store();
        let mut workers = Vec::with_capacity(health.workers.len());
        for listener in health.workers {
            let behind = if listener.behind == 0 {
                0
            } else {
                store.count_after(account_id, listener.checkpoint).await?
            };
            workers.push(WorkerHealth {
                projection: listener.projection,
                alive: listener.alive,
                seconds_since_heartbeat: listener.seconds_since_heartbeat,
                behind,
                failing: listener.error.is_some(),
                rebuilding: listener.rebuilding.map(|r| Rebuilding {
                    percent: u8::try_from((r.done * 100).checked_div(r.total).unwrap_or(100).clamp(0, 100))
                        .unwrap_or(100),
                    started_at: r.started_at,
                }),
            });
        }
        let jobs = health
            .jobs
            .into_iter()
            .map(|job| JobHealth {
                name: job.name,
                last_run_at: job.last_run_at,
                next_run_at: job.next_run_at,
                running: job.running,
                failing: job.last_error.is_some(),
            })
            .collect();
        Ok(HealthView { workers, jobs })
    }

    async fn keep_refusal(&self, session: Option<&str>, echo: &FormEcho) -> Result<String, AppError> {
        Ok(refusals::keep(self.dispatcher.store(), session, echo).await?)
    }

    async fn refusal(&self, session: Option<&str>, token: &str) -> Result<Option<FormEcho>, AppError> {
        Ok(refusals::find(self.dispatcher.store(), session, token).await?)
    }
}
