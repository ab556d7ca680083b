//! The "Processing..." page, `/processing`, for forms posted without JavaScript (the seed's
//! approach): it refreshes itself until the projection behind the next page has applied the
//! event, then sends the browser on. It never waits forever without saying why: after a few
//! refreshes it shows the health of the background workers.

use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::components::Redirect;
use leptos_router::hooks::use_location;

use crate::catch_up::{await_projection, worker_health};
use crate::components::health::HealthPanel;
use crate::plain_form::{NextPage, processing_url};
use crate::url::query_value;
use crate::views::{HealthView, ProjectionName};
use crate::wire;

/// Refreshes after which the page shows the workers' health.
const PATIENT_REFRESHES: u32 = 3;

#[derive(Clone, Debug, PartialEq)]
struct Request {
    projection: ProjectionName,
    event_id: i64,
    next: NextPage,
    attempt: u32,
}

impl Request {
    fn from_query(search: &str) -> Option<Self> {
        Some(Self {
            projection: ProjectionName::parse(&query_value(search, "projection")?)?,
            event_id: query_value(search, "event")?.parse().ok()?,
            next: NextPage::from_query(search),
            attempt: query_value(search, "attempt")
                .and_then(|a| a.parse().ok())
                .unwrap_or(0),
        })
    }

    fn refresh_url(&self) -> String {
        processing_url(self.projection, self.event_id, &self.next, self.attempt + 1)
    }
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
enum Progress {
    Applied,
    /// The event is not one of the account's: there is nothing to wait for.
    Unknown,
    Waiting(Option<HealthView>),
}

async fn progress(request: Request) -> Progress {
    match await_projection(request.projection, request.event_id, 500).await {
        Ok(caught_up) if caught_up.applied => Progress::Applied,
        Ok(caught_up) if !caught_up.known => Progress::Unknown,
        _ => Progress::Waiting(worker_health().await.ok()),
    }
}

#[component]
pub fn ProcessingPage() -> impl IntoView {
    let Some(request) = Request::from_query(&use_location().search.get_untracked()) else {
        return view! {
            <Title text="Processing" />
            <section class="card empty">
                <h1>"Nothing to wait for"</h1>
                <p>"This link does not say which change to wait for. " <a href="/contacts">"Go to your contacts"</a> "."</p>
            </section>
        }
        .into_any();
    };
    let waiting = wire::load_blocking(
        {
            let request = request.clone();
            move || request.clone()
        },
        progress,
    );
    view! {
        <Title text="Processing…" />
        <Suspense fallback=|| view! { <p class="loading">"Processing…"</p> }>
            {move || {
                let request = request.clone();
                Suspend::new(async move {
                    match waiting.await {
                        Progress::Applied => view! {
                            <Redirect path=request.next.path() />
                            <p>"Done. " <a href=request.next.path()>"Continue"</a></p>
                        }
                        .into_any(),
                        Progress::Unknown => view! {
                            <section class="card empty">
                                <h1>"Nothing to wait for"</h1>
                                <p>
                                    "None of your changes is event #" {request.event_id} ". "
                                    <a href=request.next.path()>"Continue"</a>
                                </p>
                            </section>
                        }
                        .into_any(),
                        Progress::Waiting(health) => {
                            let slow = request.attempt >= PATIENT_REFRESHES;
                            let delay = if slow { 3 } else { 1 };
                            view! {
                                <Meta http_equiv="refresh" content=format!("{delay}; url={}", request.refresh_url()) />
                                <section class="card processing" aria-live="polite">
                                    <h1>"Processing…"</h1>
                                    <p>
                                        "Your change is saved (event #" {request.event_id} "). "
                                        "This page refreshes itself until it shows up."
                                    </p>
                                    {slow.then(|| view! {
                                        <p>"This is taking longer than it should. Here is how the background workers are doing:"</p>
                                        <HealthPanel health />
                                    })}
                                    <p><a href=request.refresh_url()>"Check again now"</a> " · " <a href=request.next.path()>"Go on without waiting"</a></p>
                                </section>
                            }
                            .into_any()
                        }
                    }
                })
            }}
        </Suspense>
    }
    .into_any()
}
