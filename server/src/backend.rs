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
use app::receipt::{EventId, EventReceipt};
use app::views::{
    CatchUp, ContactView, ContactsView, EventQuery, EventsView, HealthView, JobHealth, ListQuery,
    ProjectionName, Rebuilding, SettingsView, WorkerHealth,
};
use chrono::Utc;

use crate::accounts::settings;
use crate::accounts::throttle::{self, SignUpLimits};
use crate::contacts::queries;
use crate::crm::{Dispatcher, StoreError};
use crate::{accounts, event_browser, refusals};

/// The one place a failure of the store on a request's path is logged (by [`AppError::failure`]).
fn logged(error: StoreError) -> AppError {
    AppError::failure(&error)
}

pub struct CrmBackend {
    dispatcher: Arc<Dispatcher>,
    sign_ups: SignUpLimits,
}

impl CrmBackend {
    /// The back end over `dispatcher`'s store, with the default limits on sign-ups.
    pub fn new(dispatcher: Arc<Dispatcher>) -> Self {
        Self::with_limits(dispatcher, SignUpLimits::default())
    }

    pub fn with_limits(dispatcher: Arc<Dispatcher>, sign_ups: SignUpLimits) -> Self {
        Self { dispatcher, sign_ups }
    }
}

#[async_trait::async_trait]
impl Backend for CrmBackend {
    async fn sign_up(&self, sign_up: SignUp, client: Option<IpAddr>) -> Result<SessionOutcome, AppError> {
        let store = self.dispatcher.store();
        let mut tx = store
            .writer()
            .begin_write()
            .await
            .map_err(|error| logged(StoreError::from(error)))?;
        let reserved = throttle::reserve_sign_up(tx.conn(), client, self.sign_ups, Utc::now())
            .await
            .map_err(logged)?;
        tx.commit()
            .await
            .map_err(|error| logged(StoreError::from(error)))?;
        if let Err(refusal) = reserved {
            return Ok(Err(refusal));
        }
        let outcome = accounts::sign_up(store, sign_up).await.map_err(logged)?;
        Ok(outcome.map(|session| session.token))
    }

    async fn sign_in(&self, email: &str, password: &str) -> Result<SessionOutcome, AppError> {
        let outcome = accounts::sign_in(self.dispatcher.store(), email, password, Utc::now())
            .await
            .map_err(logged)?;
        Ok(outcome.map(|session| session.token))
    }

    async fn session(&self, token: &str) -> Result<Option<SignedIn>, AppError> {
        accounts::session(self.dispatcher.store(), token, Utc::now())
            .await
            .map_err(logged)
    }

    async fn sign_out(&self, session: &str) -> Result<(), AppError> {
        accounts::sign_out(self.dispatcher.store(), session)
            .await
            .map_err(logged)
    }

    async fn execute(&self, actor: Actor, event: Event) -> Result<CommandOutcome, AppError> {
        Ok(
            match self
                .dispatcher
                .store()
                .append(actor, &event)
                .await
                .map_err(logged)?
            {
                Ok(receipt) => CommandOutcome::Accepted(EventReceipt {
                    event_id: receipt.event_id,
                    created_at: receipt.created_at,
                }),
                Err(rejection) => CommandOutcome::Rejected(rejection),
            },
        )
    }

    async fn contacts(&self, account_id: i64, query: ListQuery) -> Result<ContactsView, AppError> {
        queries::contacts(self.dispatcher.store().reader(), account_id, query)
            .await
            .map_err(logged)
    }

    async fn contact(&self, account_id: i64, name: &str) -> Result<ContactView, AppError> {
        queries::contact(
            self.dispatcher.store().reader(),
            &self.dispatcher,
            account_id,
            name,
            Utc::now(),
        )
        .await
        .map_err(logged)
    }

    async fn events(&self, account_id: i64, query: EventQuery) -> Result<EventsView, AppError> {
        event_browser::events(self.dispatcher.store().reader(), account_id, query)
            .await
            .map_err(logged)
    }

    async fn settings(&self, signed_in: &SignedIn) -> Result<SettingsView, AppError> {
        settings::settings(self.dispatcher.store().reader(), signed_in)
            .await
            .map_err(logged)
    }

    async fn account_settings(&self, account_id: i64) -> Result<Option<AccountSettings>, AppError> {
        settings::account_settings(self.dispatcher.store().reader(), account_id)
            .await
            .map_err(logged)
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
        if store.owner(event_id).await.map_err(logged)? != Some(Some(account_id)) {
            return Ok(CatchUp {
                applied: false,
                known: false,
                behind: 0,
            });
        }
        let caught_up = self
            .dispatcher
            .catch_up(projection.as_str(), event_id, wait)
            .await
            .map_err(logged)?;
        let behind = if caught_up.applied {
            0
        } else {
            store
                .count_after(account_id, caught_up.checkpoint)
                .await
                .map_err(logged)?
        };
        Ok(CatchUp {
            applied: caught_up.applied,
            known: true,
            behind,
        })
    }

    async fn health(&self, account_id: i64) -> Result<HealthView, AppError> {
        let health = self.dispatcher.health().await.map_err(logged)?;
        let store = self.dispatcher.store();
        let mut workers = Vec::with_capacity(health.workers.len());
        for listener in health.workers {
            let behind = if listener.behind == 0 {
                0
            } else {
                store
                    .count_after(account_id, listener.checkpoint)
                    .await
                    .map_err(logged)?
            };
            workers.push(WorkerHealth {
                projection: listener.projection,
                alive: listener.alive,
                milliseconds_since_heartbeat: listener
                    .seconds_since_heartbeat
                    .map(|seconds| (seconds * 1000.0).round().max(0.0) as u64),
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
        refusals::keep(self.dispatcher.store(), session, echo)
            .await
            .map_err(logged)
    }

    async fn refusal(&self, session: Option<&str>, token: &str) -> Result<Option<FormEcho>, AppError> {
        refusals::find(self.dispatcher.store(), session, token)
            .await
            .map_err(logged)
    }
}
