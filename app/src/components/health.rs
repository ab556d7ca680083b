//! The health of the background workers (listeners and scheduled jobs), shown when a change is
//! slow to appear.

use leptos::prelude::*;

use crate::views::{HealthView, JobHealth};

/// A scheduled job: when it last ran, with what result, and when it runs next.
fn job_item(job: JobHealth) -> impl IntoView {
    let state = if job.last_error.is_some() {
        "failing"
    } else if job.running {
        "running"
    } else {
        "not running"
    };
    let clock = |at: chrono::DateTime<chrono::Utc>| at.format("%Y-%m-%d %H:%M:%S UTC").to_string();
    let facts = match (job.last_run_at, job.next_run_at) {
        (Some(last), Some(next)) => format!(
            "last run {} ({}) · next run {}{}",
            clock(last),
            job.last_result.unwrap_or_default(),
            clock(next),
            job.runner
                .map(|runner| format!(" · {runner}"))
                .unwrap_or_default()
        ),
        _ => "has never run".to_owned(),
    };
    view! {
        <li>
            <strong>{job.name}</strong>
            " "
            <span class=format!("state state-{}", state.replace(' ', "-"))>{state}</span>
            <span class="health-facts">{facts}</span>
            {job.last_error.map(|error| view! { <span class="health-error">{error}</span> })}
        </li>
    }
}

/// The health of the workers; `full` on the status page, otherwise with a link to it.
#[component]
pub fn HealthPanel(health: Option<HealthView>, #[prop(optional)] full: bool) -> impl IntoView {
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
            } else if worker.rebuilding.is_some() {
                "rebuilding"
            } else if worker.alive {
                "running"
            } else {
                "not responding"
            };
            let heartbeat = worker
                .seconds_since_heartbeat
                .map(|s| format!("last heartbeat {s:.1} s ago"))
                .unwrap_or_else(|| "no heartbeat yet".into());
            let updated = worker
                .last_updated_at
                .map(|at| format!(" · last updated {}", at.format("%Y-%m-%d %H:%M:%S UTC")))
                .unwrap_or_default();
            let facts = format!(
                "applied up to #{} · {} behind{updated} · {heartbeat}",
                worker.checkpoint, worker.behind
            );
            let rebuild = worker.rebuilding.map(|r| {
                let share = if r.total > 0 { r.done * 100 / r.total } else { 100 };
                let text = format!(
                    "rebuilding beside the live tables since {}: {} of {} events ({share}%)",
                    r.started_at.format("%H:%M:%S UTC"),
                    r.done,
                    r.total
                );
                view! {
                    <span class="health-facts">{text}</span>
                    <progress max=r.total.max(1) value=r.done aria-label="Rebuild progress"></progress>
                }
            });
            view! {
                <li>
                    <strong>{worker.projection}</strong>
                    " "
                    <span class=format!("state state-{}", state.replace(' ', "-"))>{state}</span>
                    <span class="health-facts">{facts}</span>
                    {rebuild}
                    {worker.error.map(|error| view! { <span class="health-error">{error}</span> })}
                </li>
            }
        })
        .collect_view();
    let jobs = health.jobs.into_iter().map(job_item).collect_view();
    view! {
        <div class="health">
            <p class="health-title">"Background workers · newest event #" {health.head}</p>
            <ul>{workers}{jobs}</ul>
            {(!full).then(|| view! { <p class="health-more"><a href="/status">"The full status page"</a></p> })}
        </div>
    }
    .into_any()
}
