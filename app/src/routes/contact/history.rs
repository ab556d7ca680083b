//! A contact's history on its page: the events behind the contact as readable lines, newest
//! first, the older ones folded away.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::views::{EventQuery, HistoryLine};

/// How many lines show before "Show earlier changes".
const SHOWN: usize = 8;

#[component]
pub fn History(contact: String, lines: Vec<HistoryLine>) -> impl IntoView {
    let browser = EventQuery {
        contact,
        ..EventQuery::default()
    }
    .to_url();
    let mut lines = lines;
    let earlier = if lines.len() > SHOWN {
        lines.split_off(SHOWN)
    } else {
        Vec::new()
    };
    let earlier_count = earlier.len();
    view! {
        <section class="card history" aria-labelledby="history-heading">
            <h2 id="history-heading">"History"</h2>
            <HistoryList lines />
            {(earlier_count > 0).then(|| view! {
                <details class="history-earlier">
                    <summary>
                        {format!("Show {earlier_count} earlier change{}", if earlier_count == 1 { "" } else { "s" })}
                    </summary>
                    <HistoryList lines=earlier />
                </details>
            })}
            <p class="history-source">
                <A href=browser>"These events in the event browser"</A>
            </p>
        </section>
    }
}

#[component]
fn HistoryList(lines: Vec<HistoryLine>) -> impl IntoView {
    view! {
        <ol class="history-list">
            {lines
                .into_iter()
                .map(|line| {
                    view! {
                        <li>
                            <p class="history-text">{line.text}</p>
                            <p class="history-meta">
                                {format!("by {}, ", line.caused_by)}
                                <time datetime=line.at.to_rfc3339() title=line.when>{line.ago}</time>
                            </p>
                        </li>
                    }
                })
                .collect_view()}
        </ol>
    }
}
