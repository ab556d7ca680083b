//! The event browser, `/events`: the signed-in account's own events, newest first, filtered by
//! event type and by contact, each with its type, version, who caused it, when, and its payload.
//! The one page read from the stream itself rather than a projection.

use leptos::prelude::*;
use leptos::server;
use leptos::server_fn::codec::Postcard;
use leptos_meta::Title;
use leptos_router::hooks::use_location;

use crate::components::notice::ErrorNotice;
use crate::error::AppError;
use crate::views::{EventQuery, EventsView};
use crate::wire;

/// A page of the signed-in account's events; `query` is the page's query string.
#[server(input = crate::wire::Fields, output = Postcard)]
pub async fn list_events(query: String) -> Result<EventsView, AppError> {
    let actor = crate::backend::current_actor()?;
    crate::backend::backend()?
        .events(actor.account_id, EventQuery::from_query(&query))
        .await
}

#[component]
pub fn EventsPage() -> impl IntoView {
    let location = use_location();
    let events = wire::load(move || location.search.get(), list_events);
    view! {
        <Title text="Events" />
        <div class="page contact-page">
            <section class="card" aria-labelledby="events-heading">
                <h1 id="events-heading">"Events"</h1>
                <p class="lead">
                    "Everything you have done, and everything Kith did for you, as it was recorded: "
                    "newest first."
                </p>
                <Transition fallback=|| view! { <p class="loading">"Loading events…"</p> }>
                    {move || Suspend::new(async move {
                        match events.await {
                            Ok(view) => event_list(view).into_any(),
                            Err(error) => view! { <ErrorNotice error=error /> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
        </div>
    }
}

fn event_list(view: EventsView) -> impl IntoView {
    let EventsView {
        events,
        query,
        event_types,
        older,
    } = view;
    let filtered = !query.event_type.is_empty() || !query.contact.is_empty();
    let types = event_types
        .into_iter()
        .map(|name| {
            let selected = name == query.event_type;
            view! { <option value=name.clone() selected=selected>{name.clone()}</option> }
        })
        .collect_view();
    let filters = view! {
        <form method="get" action="/events" class="list-controls">
            <div class="control">
                <label for="events-type">"Event type"</label>
                <select id="events-type" name="type">
                    <option value="" selected=query.event_type.is_empty()>"All types"</option>
                    {types}
                </select>
            </div>
            <div class="control grow">
                <label for="events-contact">"Contact"</label>
                <input id="events-contact" name="contact" type="search" value=query.contact.clone()
                    placeholder="A contact's exact name" maxlength="200" />
            </div>
            <div class="control">
                <button type="submit">"Filter"</button>
            </div>
        </form>
    };
    let body = if events.is_empty() {
        let text = if filtered {
            "No events match these filters."
        } else {
            "No events yet. Add a contact and it appears here."
        };
        view! {
            <p class="empty">
                {text}
                {filtered.then(|| view! { " " <a href="/events">"Show every event"</a> })}
            </p>
        }
        .into_any()
    } else {
        let items = events
            .into_iter()
            .map(|event| {
                let when = crate::clock::utc_clock(event.created_at);
                view! {
                    <li class="event">
                        <p class="event-head">
                            <strong>{event.event_type}</strong>
                            " v" {event.version} " · #" {event.id} " · by " {event.caused_by} " · "
                            <time datetime=event.created_at.to_rfc3339()>{when}</time>
                        </p>
                        <pre class="payload">{event.payload}</pre>
                    </li>
                }
            })
            .collect_view();
        view! { <ol class="events">{items}</ol> }.into_any()
    };
    let next = older.map(|before| {
        let href = EventQuery {
            before: Some(before),
            ..query.clone()
        }
        .to_url();
        view! { <nav class="pagination" aria-label="Pages"><a href=href>"Older events"</a></nav> }
    });
    view! {
        {filters}
        {body}
        {next}
    }
}
