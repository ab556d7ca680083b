//! The contacts list, `/contacts`, backed by the `projected_contacts` projection: sorted,
//! searched and paginated from its URL, with the form that adds a contact.

use leptos::prelude::*;
use leptos::server_fn::codec::Postcard;
use leptos::{ev, html, server};
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_location, use_navigate};

use crate::catch_up::{CatchUpNotice, CatchUpTracker};
use crate::components::contact_fields::ContactFields;
use crate::components::contact_method::ContactMethodText;
use crate::components::notice::{ErrorNotice, FreshnessNote, shown_rejection};
use crate::contact::ContactForm;
use crate::error::{AppError, CommandOutcome};
use crate::form_echo::FormEcho;
use crate::plain_form::{ServerForm, use_form_echo};
use crate::url::contact_path;
use crate::views::{ContactSummary, ContactsView, ListQuery, ProjectionName, SortKey};
use crate::wire;

/// One page of the signed-in account's contacts, from `projected_contacts`, as the list's query
/// string (`sort`, `dir`, `q`, `page`) asks.
#[server(input = crate::wire::Fields, output = Postcard)]
pub async fn list_contacts(query: String) -> Result<ContactsView, AppError> {
    let actor = crate::backend::current_actor()?;
    crate::backend::backend()?
        .contacts(actor.account_id, ListQuery::from_query(&query))
        .await
}

/// Adds a contact: appends "contact created", or says why not.
#[server(input = crate::wire::Fields, output = Postcard)]
pub async fn add_contact(
    name: String,
    description: String,
    contact_method: String,
) -> Result<CommandOutcome, AppError> {
    let form = ContactForm {
        name,
        description,
        contact_method,
    };
    let result = crate::backend::execute(form.clone().create().map(Into::into)).await;
    let next = crate::plain_form::NextPage::Contacts;
    crate::plain_form::follow_up(
        &result,
        ProjectionName::Contacts,
        next,
        ("/contacts", "add"),
        &form.typed(),
    )
    .await;
    result
}

#[component]
pub fn ContactsPage() -> impl IntoView {
    let location = use_location();
    let query = Memo::new(move |_| ListQuery::from_query(&location.search.get()));
    let contacts = wire::load(
        move || query.get().to_url(),
        |url| list_contacts(url.split_once('?').map(|(_, q)| q.to_owned()).unwrap_or_default()),
    );
    let echo = use_form_echo();
    view! {
        <Title text="Contacts" />
        <div class="page contacts-page">
            <section class="contacts" aria-labelledby="contacts-heading">
                <div class="section-head">
                    <h1 id="contacts-heading">"Contacts"</h1>
                    <a class="jump" href="#add-heading">
                        "Add a contact"
                    </a>
                </div>
                <Transition fallback=|| view! { <p class="loading">"Loading contacts…"</p> }>
                    {move || Suspend::new(async move {
                        match contacts.await {
                            Ok(view) => contact_list(view).into_any(),
                            Err(error) => view! { <ErrorNotice error=error /> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
            <section class="card add-contact" aria-labelledby="add-heading">
                <h2 id="add-heading">"Add a contact"</h2>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        let echo = echo.await.unwrap_or_default().for_form("add");
                        view! { <AddContactForm echo on_shown=move || contacts.refetch() /> }
                    })}
                </Suspense>
            </section>
        </div>
    }
}

/// The form that adds a contact; `on_shown` runs once the list's projection has the new one.
#[component]
fn AddContactForm(echo: FormEcho, on_shown: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let add = ServerAction::<AddContact>::new();
    let tracker = CatchUpTracker::new();
    let form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| match add.value().get() {
        Some(Ok(CommandOutcome::Accepted(receipt))) => {
            if let Some(form) = form.get_untracked() {
                form.reset();
            }
            tracker.track(ProjectionName::Contacts, receipt, on_shown);
        }
        Some(_) => tracker.quiet(),
        None => {}
    });
    let initial = ContactForm::from_echo(&echo, &ContactForm::default());
    let rejection = shown_rejection(move || add.value().get(), echo);
    view! {
        <ServerForm action=add node_ref=form attr:novalidate="true">
            <ContactFields form="add" initial rejection />
            <div class="actions">
                <button type="submit" class="primary" disabled=move || add.pending().get()>
                    "Add contact"
                </button>
            </div>
        </ServerForm>
        <CatchUpNotice tracker />
    }
}

fn contact_list(view: ContactsView) -> impl IntoView {
    if view.total == 0 {
        return view! {
            <div class="empty">
                <p>
                    <strong>"No contacts yet."</strong>
                </p>
                <p>
                    "Add the first person you want to keep track of with "
                    <a href="#add-name">"the form on this page"</a> ". "
                    "Then record when you meet them and write notes for your next meeting. "
                    "Meeting times follow the time zone in " <A href="/settings">"your settings"</A> "."
                </p>
            </div>
            <FreshnessNote freshness=view.freshness />
        }
        .into_any();
    }
    let query = view.query.clone();
    let body = if view.contacts.is_empty() {
        view! {
            <div class="empty">
                <p>
                    <strong>"No contacts match “" {query.search.clone()} "”."</strong>
                </p>
                <p>
                    "Names and descriptions are searched. " <A href="/contacts">"Show all contacts"</A> "."
                </p>
            </div>
        }
        .into_any()
    } else {
        let rows = view.contacts.into_iter().map(contact_row).collect_view();
        let header = |key: SortKey| {
            let sorted = query.sort == key;
            let aria_sort = sorted.then_some(if query.descending {
                "descending"
            } else {
                "ascending"
            });
            let arrow = if !sorted {
                ""
            } else if query.descending {
                " ↓"
            } else {
                " ↑"
            };
            view! {
                <th scope="col" aria-sort=aria_sort>
                    <A href=query.sorted_by(key).to_url() attr:class="sort-link">
                        {key.label()}
                        {arrow}
                    </A>
                </th>
            }
        };
        view! {
            <div class="table-scroll">
            <table class="contact-table">
                <thead>
                    <tr>
                        {header(SortKey::Name)}
                        <th scope="col">"Description"</th>
                        <th scope="col">"Contact method"</th>
                        {header(SortKey::LastInteraction)}
                        {header(SortKey::NextMeeting)}
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
            </div>
        }
        .into_any()
    };
    view! {
        <ListControls query=query.clone() />
        <p class="list-count" role="status">{count_text(&query, view.matching, view.total)}</p>
        {body}
        <Pagination query pages=view.pages />
        <FreshnessNote freshness=view.freshness />
    }
    .into_any()
}

fn count_text(query: &ListQuery, matching: i64, total: i64) -> String {
    let plural = |n: i64| if n == 1 { "contact" } else { "contacts" };
    let size = i64::from(ListQuery::PAGE_SIZE);
    let first = i64::from(query.page - 1) * size + 1;
    let last = (first + size - 1).min(matching);
    let shown = if matching > size {
        format!("{first}–{last} of ")
    } else {
        String::new()
    };
    if query.search.is_empty() {
        format!("{shown}{total} {}", plural(total))
    } else {
        format!(
            "{shown}{matching} of {total} {} match “{}”",
            plural(total),
            query.search
        )
    }
}

/// The search box and the sort, as a GET form: the list's state lives in its URL, so it
/// survives a reload and works without JavaScript. With JavaScript the router shows the new
/// URL in place, as its links do.
#[component]
fn ListControls(query: ListQuery) -> impl IntoView {
    let sorts = SortKey::ALL
        .into_iter()
        .map(|key| {
            let selected = key == query.sort;
            view! { <option value=key.as_str() selected=selected>{key.label()}</option> }
        })
        .collect_view();
    let (search, sort, dir) = (
        NodeRef::<html::Input>::new(),
        NodeRef::<html::Select>::new(),
        NodeRef::<html::Select>::new(),
    );
    let navigate = use_navigate();
    let show = move |submit: ev::SubmitEvent| {
        let (Some(search), Some(sort), Some(dir)) = (search.get(), sort.get(), dir.get()) else {
            return;
        };
        submit.prevent_default();
        let shown = ListQuery {
            sort: SortKey::parse(&sort.value()).unwrap_or_default(),
            descending: dir.value() == "desc",
            search: search.value().trim().to_owned(),
            page: 1,
        };
        navigate(&shown.to_url(), Default::default());
    };
    view! {
        <form method="get" action="/contacts" class="list-controls" role="search" on:submit=show>
            <div class="control grow">
                <label for="list-q">"Search"</label>
                <input id="list-q" type="search" name="q" value=query.search.clone() placeholder="Name or description" node_ref=search />
            </div>
            <div class="control">
                <label for="list-sort">"Sort by"</label>
                <select id="list-sort" name="sort" node_ref=sort>{sorts}</select>
            </div>
            <div class="control">
                <label for="list-dir">"Order"</label>
                <select id="list-dir" name="dir" node_ref=dir>
                    <option value="asc" selected=!query.descending>"Ascending"</option>
                    <option value="desc" selected=query.descending>"Descending"</option>
                </select>
            </div>
            <button type="submit">"Show"</button>
        </form>
    }
}

#[component]
fn Pagination(query: ListQuery, pages: u32) -> impl IntoView {
    (pages > 1).then(|| {
        let page = query.page;
        let previous = (page > 1).then(|| query.on_page(page - 1).to_url());
        let next = (page < pages).then(|| query.on_page(page + 1).to_url());
        view! {
            <nav class="pagination" aria-label="Pages">
                {previous.map(|href| view! { <A href=href attr:rel="prev">"← Previous"</A> })}
                <span>{format!("Page {page} of {pages}")}</span>
                {next.map(|href| view! { <A href=href attr:rel="next">"Next →"</A> })}
            </nav>
        }
    })
}

fn contact_row(contact: ContactSummary) -> impl IntoView {
    // Empty cells show a dash, and are left out of the one-column layout on phones.
    let cell = |label: &'static str, text: Option<String>| {
        let text = text.filter(|t| !t.is_empty());
        let empty = text.is_none();
        view! {
            <td data-label=label class=("empty-cell", empty)>
                {text.unwrap_or_else(|| "—".to_owned())}
            </td>
        }
    };
    let no_method = contact.contact_method.is_none();
    view! {
        <tr>
            <td data-label="Name">
                <ContactLink name=contact.name />
            </td>
            {cell("Description", Some(contact.description))}
            <td data-label="Contact method" class=("empty-cell", no_method)>
                <ContactMethodText method=contact.contact_method />
            </td>
            {cell("Last interaction", contact.last_interacted_on.map(|d| d.to_string()))}
            {match contact.next_meeting {
                Some(meeting) => view! {
                    <td data-label="Next meeting" class="meeting-cell">
                        <span class="when">{meeting.local}</span>
                        " "
                        <span class="zone">{meeting.time_zone.replace('_', " ")}</span>
                        {(!meeting.excerpt.is_empty()).then(|| view! { <span class="excerpt">{meeting.excerpt}</span> })}
                    </td>
                }
                .into_any(),
                None => cell("Next meeting", None).into_any(),
            }}
        </tr>
    }
}

/// A link to a contact's page.
#[component]
pub fn ContactLink(name: String) -> impl IntoView {
    // The router decodes a clicked link's path once before routing (leptos_router 0.8), which
    // turns a name holding "%41" into "A"; such links load the page afresh instead.
    let rel = name.contains('%').then_some("external");
    view! {
        <a href=contact_path(&name) rel=rel>
            {name.clone()}
        </a>
    }
}
