//! The status page, `/status`: for each projection, how many of the account's own changes it
//! has yet to apply, whether it is being rebuilt (and how far), the listeners' heartbeats, and
//! the scheduled jobs' runs. The catch-up wait links here when it gives up. The stream's
//! global position, other accounts' activity and the processes behind it are for operators
//! (`server status`).

use leptos::prelude::*;
use leptos_meta::Title;

use crate::catch_up::worker_health;
use crate::components::health::HealthPanel;
use crate::components::notice::ErrorNotice;
use crate::wire;

#[component]
pub fn StatusPage() -> impl IntoView {
    let health = wire::load(|| (), |_| worker_health());
    view! {
        <Title text="Status" />
        <div class="page contact-page">
            <section class="card" aria-labelledby="status-heading">
                <h1 id="status-heading">"Status"</h1>
                <p class="lead">
                    "Every change is an event; listeners apply each event to the projections the "
                    "pages read, and scheduled jobs act on them. This is how far each has got."
                </p>
                <Transition fallback=|| view! { <p class="loading">"Loading the status…"</p> }>
                    {move || Suspend::new(async move {
                        match health.await {
                            Ok(health) => view! { <HealthPanel health=Some(health) full=true /> }.into_any(),
                            Err(error) => view! { <ErrorNotice error=error /> }.into_any(),
                        }
                    })}
                </Transition>
                <p class="aside">
                    <a href="/status">"Refresh"</a>
                </p>
            </section>
        </div>
    }
}
