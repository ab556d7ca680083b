//! Read your writes: after a command, wait until the page's projection has applied its event.
//!
//! The hydrated app holds the command's receipt and asks the server (a long-poll of up to a
//! second) whether the projection has reached it, pausing with backoff between asks. The wait
//! is bounded: after a few seconds the page says the change is saved and still processing and
//! shows the health of the background workers (or that the server cannot be reached), and it
//! keeps checking quietly, two seconds an ask, until the change lands or two minutes pass.

use leptos::prelude::*;
use leptos::server;
use leptos::server_fn::codec::Postcard;

use crate::components::health::HealthPanel;
use crate::error::{AppError, CommandOutcome};
use crate::receipt::{EventId, EventReceipt};
use crate::views::{CatchUp, HealthView, ProjectionName};

/// The longest a single long-poll may hold the request on the server.
pub const MAX_WAIT_MS: u32 = 2_000;

/// Has `projection` applied `event_id`? Waits up to `wait_ms` (capped) for it to happen.
#[server(input = crate::wire::Fields, output = Postcard)]
pub async fn await_projection(
    projection: ProjectionName,
    event_id: EventId,
    wait_ms: u32,
) -> Result<CatchUp, AppError> {
    let actor = crate::backend::current_actor()?;
    let wait = std::time::Duration::from_millis(wait_ms.min(MAX_WAIT_MS).into());
    crate::backend::backend()?
        .catch_up(actor.account_id, projection, event_id, wait)
        .await
}

/// The background workers' health, for the "still processing" notice and the processing page.
#[server(input = crate::wire::Fields, output = Postcard)]
pub async fn worker_health() -> Result<HealthView, AppError> {
    let actor = crate::backend::current_actor()?;
    crate::backend::backend()?.health(actor.account_id).await
}

/// Where the wait for the latest command stands.
#[derive(Clone, Debug, PartialEq)]
pub enum CatchUpStatus {
    Idle,
    /// The projection has applied the latest command's event; the page shows it.
    Applied,
    /// Saved; waiting for the projection to apply the event.
    Waiting(EventId),
    /// Saved, but the projection has not applied it within the bound; still checking.
    StillProcessing(EventId, Option<HealthView>),
    /// Saved, but the server stopped answering while the page checked.
    Unreachable(EventId, String),
    /// The projection did not apply it even after the long check.
    GaveUp(EventId, Option<HealthView>),
}

/// Tracks the wait after a page's commands. Cheap to copy into closures. Only the latest
/// command's wait speaks on the page; an earlier one still refreshes the data when it ends.
#[derive(Clone, Copy)]
pub struct CatchUpTracker {
    status: RwSignal<CatchUpStatus>,
    latest: StoredValue<EventId>,
}

impl Default for CatchUpTracker {
    fn default() -> Self {
        Self::new()
    }
}

impl CatchUpTracker {
    pub fn new() -> Self {
        Self {
            status: RwSignal::new(CatchUpStatus::Idle),
            latest: StoredValue::new(0),
        }
    }

    pub fn status(&self) -> CatchUpStatus {
        self.status.get()
    }

    /// Waits (in the browser) until `projection` has applied the receipt's event, then runs
    /// `done`, typically a refetch of the page's data.
    pub fn track(&self, projection: ProjectionName, receipt: EventReceipt, done: impl FnOnce() + 'static) {
        let tracker = *self;
        tracker.latest.set_value(receipt.event_id);
        tracker.status.set(CatchUpStatus::Waiting(receipt.event_id));
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            let caught_up = browser::wait(projection, receipt.event_id, tracker).await;
            if caught_up {
                tracker.report(receipt.event_id, CatchUpStatus::Applied);
                done();
            }
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = (projection, done);
    }

    /// After every accepted command whose outcome `outcome` reads (an action's value), waits
    /// for `projection` to apply it and then runs `done`; after a refused one, says nothing
    /// more of the commands before it (the form shows why this one was refused).
    pub fn follow(
        &self,
        outcome: impl Fn() -> Option<Result<CommandOutcome, AppError>> + 'static,
        projection: ProjectionName,
        done: impl Fn() + Copy + 'static,
    ) {
        let tracker = *self;
        Effect::new(move |_| match outcome() {
            Some(Ok(CommandOutcome::Accepted(receipt))) => tracker.track(projection, receipt, done),
            Some(_) => tracker.quiet(),
            None => {}
        });
    }

    /// Says nothing more of the commands so far: a later one was refused.
    pub fn quiet(&self) {
        self.latest.set_value(0);
        self.status.set(CatchUpStatus::Idle);
    }

    /// Shows `status` for the wait of `event_id`, unless a later command has taken over.
    #[cfg(feature = "hydrate")]
    fn report(&self, event_id: EventId, status: CatchUpStatus) {
        if self.latest.get_value() == event_id {
            self.status.set(status);
        }
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::time::Duration;

    use gloo_timers::future::sleep;

    use super::{CatchUpStatus, CatchUpTracker, await_projection, worker_health};
    use crate::receipt::EventId;
    use crate::views::ProjectionName;

    /// Asks made before the page admits the change is still processing (about three seconds).
    const PATIENT_ASKS: u32 = 3;
    /// Asks made after that, two seconds each, before giving up (about two minutes).
    const QUIET_ASKS: u32 = 60;

    enum Answer {
        Applied,
        NotYet,
        Unreachable(String),
    }

    async fn ask(projection: ProjectionName, event_id: EventId, wait_ms: u32) -> Answer {
        match await_projection(projection, event_id, wait_ms).await {
            Ok(catch_up) if catch_up.applied => Answer::Applied,
            Ok(_) => Answer::NotYet,
            Err(error) => Answer::Unreachable(error.to_string()),
        }
    }

    /// True once the projection has applied `event_id`; false when the long check ran out.
    pub async fn wait(projection: ProjectionName, event_id: EventId, tracker: CatchUpTracker) -> bool {
        let mut pause = Duration::from_millis(25);
        for _ in 0..PATIENT_ASKS {
            if let Answer::Applied = ask(projection, event_id, 1_000).await {
                return true;
            }
            sleep(pause).await;
            pause = (pause * 4).min(Duration::from_millis(400));
        }
        let health = worker_health().await.ok();
        tracker.report(event_id, CatchUpStatus::StillProcessing(event_id, health));
        for asked in 1..=QUIET_ASKS {
            match ask(projection, event_id, super::MAX_WAIT_MS).await {
                Answer::Applied => return true,
                Answer::Unreachable(error) => {
                    tracker.report(event_id, CatchUpStatus::Unreachable(event_id, error));
                    // The ask failed at once: wait out the time a long-poll would have taken.
                    sleep(Duration::from_millis(super::MAX_WAIT_MS.into())).await;
                }
                Answer::NotYet if asked % 5 == 0 => {
                    let health = worker_health().await.ok();
                    tracker.report(event_id, CatchUpStatus::StillProcessing(event_id, health));
                }
                Answer::NotYet => {}
            }
        }
        tracker.report(
            event_id,
            CatchUpStatus::GaveUp(event_id, worker_health().await.ok()),
        );
        false
    }
}

#[component]
pub fn CatchUpNotice(tracker: CatchUpTracker) -> impl IntoView {
    move || match tracker.status() {
        CatchUpStatus::Idle => None,
        CatchUpStatus::Applied => {
            Some(view! { <p class="notice notice-ok" role="status">"Saved."</p> }.into_any())
        }
        CatchUpStatus::Waiting(_) => {
            Some(view! { <p class="notice notice-progress" role="status">"Saving…"</p> }.into_any())
        }
        CatchUpStatus::StillProcessing(event_id, health) => Some(
            view! {
                <div class="notice notice-warn" role="status">
                    <p>
                        "Saved (event #" {event_id} "), still processing. "
                        "This page will update by itself once the change is applied."
                    </p>
                    <HealthPanel health />
                </div>
            }
            .into_any(),
        ),
        CatchUpStatus::Unreachable(event_id, error) => Some(
            view! {
                <div class="notice notice-error" role="alert">
                    <p>
                        "Saved (event #" {event_id} "), but the server cannot be reached to check "
                        "whether it is applied (" {error} "). This page keeps trying."
                    </p>
                </div>
            }
            .into_any(),
        ),
        CatchUpStatus::GaveUp(event_id, health) => Some(
            view! {
                <div class="notice notice-error" role="alert">
                    <p>
                        "Saved (event #" {event_id} "), but the background workers have not "
                        "applied it yet. Nothing is lost: reload the page later to see it."
                    </p>
                    <HealthPanel health />
                </div>
            }
            .into_any(),
        ),
    }
}
