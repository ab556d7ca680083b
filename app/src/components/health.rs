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
    let rows = health
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
                .map(|s| format!("{s:.1} s ago"))
                .unwrap_or_else(|| "never".into());
            view! {
                <tr>
                    <th scope="row">{worker.projection}</th>
                    <td class=format!("state state-{}", state.replace(' ', "-"))>{state}</td>
                    <td>{worker.checkpoint}</td>
                    <td>{worker.behind}</td>
                    <td>{heartbeat}</td>
                    <td>{worker.error.unwrap_or_default()}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="health">
            <table>
                <caption>"Background workers (newest event #" {health.head} ")"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Projection"</th>
                        <th scope="col">"State"</th>
                        <th scope="col">"Applied up to"</th>
                        <th scope="col">"Behind"</th>
                        <th scope="col">"Last heartbeat"</th>
                        <th scope="col">"Error"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}
