//! The health of the background workers, shown when a change is slow to appear.

use leptos::prelude::*;

use crate::views::HealthView;

#[component]
pub fn HealthPanel(health: Option<HealthView>) -> impl IntoView {
    let Some(health) = health else {
        return view! {
            <p class="health-unknown">"The server did not say how its background workers are doing."</p>
        }
        .into_any();
    };
    let workers = health
        .workers
        .into_iter()
        .map(|worker| {
            let state = if worker.error.is_some() {
                "failing"
            } else if worker.alive {
                "running"
            } else {
                "not responding"
            };
            let heartbeat = worker
                .seconds_since_heartbeat
                .map(|s| format!("last heartbeat {s:.1} s ago"))
                .unwrap_or_else(|| "no heartbeat yet".into());
            let facts = format!(
                "applied up to #{} · {} behind · {heartbeat}",
                worker.checkpoint, worker.behind
            );
            view! {
                <li>
                    <strong>{worker.projection}</strong>
                    " "
                    <span class=format!("state state-{}", state.replace(' ', "-"))>{state}</span>
                    <span class="health-facts">{facts}</span>
                    {worker.error.map(|error| view! { <span class="health-error">{error}</span> })}
                </li>
            }
        })
        .collect_view();
    view! {
        <div class="health">
            <p class="health-title">"Background workers · newest event #" {health.head}</p>
            <ul>{workers}</ul>
        </div>
    }
    .into_any()
}
