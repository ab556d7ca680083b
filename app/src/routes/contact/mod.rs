//! One contact's page, `/contacts/:name`, backed by `projected_contacts`: its details, its
//! next meeting with the notes rendered, its interactions, its history (from
//! `projected_contact_events`), and the forms that change them.

use leptos::prelude::*;
use leptos::server;
use leptos::server_fn::codec::Postcard;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_location, use_navigate};

pub mod history;
pub mod interactions;
pub mod meeting;

use history::History;
use interactions::{Interactions, InteractionsActions};
use meeting::{Meeting, MeetingActions};

use crate::catch_up::{CatchUpNotice, CatchUpTracker};
use crate::components::contact_fields::ContactFields;
use crate::components::contact_method::ContactMethodText;
use crate::components::notice::{ErrorNotice, FreshnessNote, RejectionSummary, shown_rejection};
use crate::contact::{ContactForm, normalize_name};
use crate::error::{AppError, CommandOutcome};
use crate::form_echo::FormEcho;
use crate::plain_form::{ServerForm, use_form_echo};
use crate::url::{contact_in_path, contact_path};
use crate::views::{ContactSummary, ContactView, ProjectionName};
use crate::wire;

/// The signed-in account's contact called `name`, with its interactions and next meeting.
#[server(input = crate::wire::Fields, output = Postcard)]
pub async fn get_contact(name: String) -> Result<ContactView, AppError> {
    let actor = crate::backend::current_actor()?;
    crate::backend::backend()?.contact(actor.account_id, &name).await
}

/// Sends a plain form post of a command about `contact` on to its page (through the
/// processing page), or back to the form `form_id` there with its refusal.
#[cfg(feature = "ssr")]
async fn follow_up_on_contact(
    result: &Result<CommandOutcome, AppError>,
    contact: &str,
    form_id: &str,
    values: &[(&str, &str)],
) {
    let page = contact_path(contact);
    let next = crate::plain_form::NextPage::Contact(contact.to_owned());
    crate::plain_form::follow_up(result, ProjectionName::Contacts, next, (&page, form_id), values).await;
}

/// Edits the contact called `current_name`, renaming it when `name` differs.
#[server(input = crate::wire::Fields, output = Postcard)]
pub async fn edit_contact(
    current_name: String,
    name: String,
    description: String,
    contact_method: String,
) -> Result<CommandOutcome, AppError> {
    let form = ContactForm {
        name,
        description,
        contact_method,
    };
    let result = crate::backend::execute(form.clone().edit(&current_name).map(Into::into)).await;
    let next = crate::plain_form::NextPage::Contact(normalize_name(&form.name));
    let page = contact_path(&current_name);
    crate::plain_form::follow_up(
        &result,
        ProjectionName::Contacts,
        next,
        (&page, "edit"),
        &form.typed(),
    )
    .await;
    result
}

/// Deletes the contact called `name`.
#[server(input = crate::wire::Fields, output = Postcard)]
pub async fn delete_contact(name: String) -> Result<CommandOutcome, AppError> {
    let result = crate::backend::execute(crate::contact::delete(&name).map(Into::into)).await;
    let page = contact_path(&name);
    crate::plain_form::follow_up(
        &result,
        ProjectionName::Contacts,
        crate::plain_form::NextPage::Contacts,
        (&page, "delete"),
        &[],
    )
    .await;
    result
}

#[component]
pub fn ContactPage() -> impl IntoView {
    let location = use_location();
    let name = Memo::new(move |_| contact_in_path(&location.pathname.get()).unwrap_or_default());
    let contact = wire::load(move || name.get(), get_contact);
    let echo = use_form_echo();
    let edit = ServerAction::<EditContact>::new();
    let delete = ServerAction::<DeleteContact>::new();
    let tracker = CatchUpTracker::new();
    let interactions = InteractionsActions::new(tracker, move || contact.refetch());
    let meeting = MeetingActions::new(tracker, move || contact.refetch());

    // The action forgets its input once it resolves; keep the name that was submitted so a
    // rename can follow the contact to its new address.
    let submitted_name = StoredValue::new(String::new());
    Effect::new(move |_| {
        if let Some(input) = edit.input().get() {
            submitted_name.set_value(normalize_name(&input.name));
        }
    });
    let navigate = use_navigate();
    Effect::new(move |_| match edit.value().get() {
        Some(Ok(CommandOutcome::Accepted(receipt))) => {
            let new_name = submitted_name.get_value();
            let navigate = navigate.clone();
            tracker.track(ProjectionName::Contacts, receipt, move || {
                if new_name != name.get_untracked() {
                    navigate(&contact_path(&new_name), Default::default());
                } else {
                    contact.refetch();
                }
            });
        }
        Some(_) => tracker.quiet(),
        None => {}
    });
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(CommandOutcome::Accepted(receipt))) = delete.value().get() {
            let navigate = navigate.clone();
            tracker.track(ProjectionName::Contacts, receipt, move || {
                navigate("/contacts", Default::default())
            });
        }
    });

    view! {
        // Read from the router's location, not from `name`: the page may be a lazy route's
        // view, and the title must follow the address whatever owns this page's signals.
        <Title text=move || contact_in_path(&location.pathname.get()).unwrap_or_default() />
        <div class="page contact-page">
            <p class="breadcrumb">
                <A href="/contacts">"← All contacts"</A>
            </p>
            <CatchUpNotice tracker />
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let echo = echo.await.unwrap_or_default();
                    match contact.await {
                        Ok(ContactView { contact: Some(found), interactions: list, meeting: next, history, today, freshness }) => {
                            let name = found.name.clone();
                            view! {
                                <ContactFacts contact=found.clone() />
                                <Meeting contact=name.clone() meeting=next actions=meeting echo=echo.clone() />
                                <Interactions contact=name.clone() interactions=list today actions=interactions echo=echo.clone() />
                                <History contact=name lines=history />
                                <ContactDetails contact=found edit delete echo />
                                <FreshnessNote freshness />
                            }
                                .into_any()
                        }
                        Ok(ContactView { contact: None, .. }) => {
                            view! { <ContactMissing name=name.get_untracked() /> }.into_any()
                        }
                        Err(error) => view! { <ErrorNotice error=error /> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}

/// What is known about the contact, at the top of the page.
#[component]
fn ContactFacts(contact: ContactSummary) -> impl IntoView {
    let or_dash = |text: Option<String>| text.filter(|t| !t.is_empty()).unwrap_or_else(|| "—".to_owned());
    let next_meeting = contact
        .next_meeting
        .map(|m| format!("{} ({})", m.local, m.time_zone.replace('_', " ")));
    view! {
        <article class="card contact-details" aria-labelledby="contact-heading">
            <h1 id="contact-heading">{contact.name.clone()}</h1>
            <dl class="facts">
                <dt>"Description"</dt>
                <dd>{or_dash(Some(contact.description))}</dd>
                <dt>"Contact method"</dt>
                <dd><ContactMethodText method=contact.contact_method /></dd>
                <dt>"Last interaction"</dt>
                <dd>{or_dash(contact.last_interacted_on.map(|d| d.to_string()))}</dd>
                <dt>"Next meeting"</dt>
                <dd>{or_dash(next_meeting)}</dd>
            </dl>
        </article>
    }
}

/// The forms that edit and delete the contact itself.
#[component]
fn ContactDetails(
    contact: ContactSummary,
    edit: ServerAction<EditContact>,
    delete: ServerAction<DeleteContact>,
    echo: FormEcho,
) -> impl IntoView {
    let stored = ContactForm {
        name: contact.name.clone(),
        description: contact.description.clone(),
        contact_method: contact
            .contact_method
            .as_ref()
            .map(|m| m.value.clone())
            .unwrap_or_default(),
    };
    let edit_echo = echo.for_form("edit");
    let initial = ContactForm::from_echo(&edit_echo, &stored);
    let edit_rejection = shown_rejection(move || edit.value().get(), edit_echo);
    let delete_rejection = shown_rejection(move || delete.value().get(), echo.for_form("delete"));
    let name = contact.name.clone();
    view! {
        <section class="card" aria-labelledby="edit-heading">
            <h2 id="edit-heading">"Edit details"</h2>
            <ServerForm action=edit attr:novalidate="true">
                <input type="hidden" name="current_name" value=contact.name.clone() />
                <ContactFields form="edit" initial rejection=edit_rejection />
                <div class="actions">
                    <button type="submit" class="primary" disabled=move || edit.pending().get()>
                        "Save changes"
                    </button>
                </div>
            </ServerForm>
        </section>
        <section class="card danger-zone" aria-labelledby="delete-heading">
            <h2 id="delete-heading">"Delete"</h2>
            <details>
                <summary>"Delete this contact…"</summary>
                <p>
                    "This removes " <strong>{name.clone()}</strong>
                    " from your contacts. The history of events stays in the stream."
                </p>
                <ServerForm action=delete>
                    <input type="hidden" name="name" value=name.clone() />
                    <button type="submit" class="danger" disabled=move || delete.pending().get()>
                        {format!("Delete {name}")}
                    </button>
                </ServerForm>
            </details>
            <RejectionSummary rejection=delete_rejection except=&[] />
        </section>
    }
}

/// Shown when the account has no contact by that name (deleted, renamed or mistyped).
#[component]
fn ContactMissing(name: String) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <section class="card empty">
            <h1>"No contact called “" {name} "”"</h1>
            <p>
                "It may have been renamed or deleted. " <A href="/contacts">"See all your contacts"</A>
                "."
            </p>
        </section>
    }
}
