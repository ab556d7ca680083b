//! The health of the background workers (listeners and scheduled jobs), shown when a change is
//! slow to appear.

use leptos::prelude::*;

use crate::views::{HealthView, JobHealth};

/// A scheduled job: when it last ran and when it runs next.
fn job_item(job: JobHealth) -> impl IntoView {
    let state = if job.failing {
        "failing"
    } else if job.running {
        "running"
    } else {
        "not running"
    };
    let clock = crate::clock::utc_clock;
    let facts = match (job.last_run_at, job.next_run_at) {
        (Some(last), Some(next)) => format!("last run {} · next run {}", clock(last), clock(next)),
        _ => "has never run".to_owned(),
    };
    view! {
        <li>
            <strong>{job.name}</strong>
            " "
            <span class=format!("state state-{}", state.replace(' ', "-"))>{state}</span>
            <span class="health-facts">{facts}</span>
        </li>
    }
}

/// How far a listener is with the account's own changes.
fn behind_text(behind: i64) -> String {
    match behind {
        0 => "caught up with your changes".to_owned(),
        1 => "1 of your changes still to apply".to_owned(),
        n => format!("{n} of your changes still to apply"),
    }
}

/// When a listener last showed a sign of life, to a tenth of a second (integer arithmetic: a
/// float's formatting would weigh on the WebAssembly every page loads first).
fn heartbeat_text(milliseconds: Option<u64>) -> String {
    match milliseconds {
        Some(ms) => {
            let tenths = (ms + 50) / 100;
            format!("last heartbeat {}.{} s ago", tenths / 10, tenths % 10)
        }
        None => "no heartbeat yet".to_owned(),
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
            let state = if worker.failing {
                "failing"
            } else if worker.rebuilding.is_some() {
                "rebuilding"
            } else if worker.alive {
                "running"
            } else {
                "not responding"
            };
            let heartbeat = heartbeat_text(worker.milliseconds_since_heartbeat);
            let facts = format!("{} · {heartbeat}", behind_text(worker.behind));
            let rebuild = worker.rebuilding.map(|r| {
                let text = format!(
                    "rebuilding beside the live tables since {}: {}% done",
                    crate::clock::utc_time(r.started_at),
                    r.percent
                );
                view! {
                    <span class="health-facts">{text}</span>
                    <progress max=100 value=r.percent aria-label="Rebuild progress"></progress>
                }
            });
            let failing = worker.failing.then(|| {
                view! {
                    <span class="health-error">
                        "It keeps failing and retrying; nothing is lost, and the server's log says why."
                    </span>
                }
            });
            view! {
                <li>
                    <strong>{worker.projection}</strong>
                    " "
                    <span class=format!("state state-{}", state.replace(' ', "-"))>{state}</span>
                    <span class="health-facts">{facts}</span>
                    {rebuild}
                    {failing}
                </li>
            }
        })
        .collect_view();
    let jobs = health.jobs.into_iter().map(job_item).collect_view();
    view! {
        <div class="health">
            <p class="health-title">"Background workers"</p>
            <ul>{workers}{jobs}</ul>
            {(!full).then(|| view! { <p class="health-more"><a href="/status">"The full status page"</a></p> })}
        </div>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::heartbeat_text;

    #[test]
    fn a_heartbeat_reads_in_tenths_of_a_second_rounded() {
        assert_eq!(heartbeat_text(None), "no heartbeat yet");
        for (ms, text) in [
            (0, "0.0"),
            (49, "0.0"),
            (50, "0.1"),
            (1_960, "2.0"),
            (12_345, "12.3"),
        ] {
            assert_eq!(heartbeat_text(Some(ms)), format!("last heartbeat {text} s ago"));
        }
    }
}
