//! The contacts list, `/contacts`, backed by the `projected_contacts` projection, with the
//! form that adds a contact.

use leptos::prelude::*;
use leptos::server;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::catch_up::{CatchUpNotice, CatchUpTracker};
use crate::components::contact_fields::ContactFields;
use crate::contact::ContactForm;
use crate::error::{AppError, CommandOutcome};
use crate::plain_form::FormEcho;
use crate::routes::contact_path;
use crate::views::{ContactSummary, ContactsView, ProjectionName};

/// The signed-in account's contacts, from `projected_contacts`.
#[server]
pub async fn list_contacts() -> Result<ContactsView, AppError> {
    let backend = crate::backend::backend()?;
    let actor = backend.current_actor().await?;
    backend.contacts(actor.account_id).await
}

/// Adds a contact: appends "contact created", or says why not.
#[server]
pub async fn add_contact(
    name: String,
    description: String,
    contact_method: String,
) -> Result<CommandOutcome, AppError> {
    let backend = crate::backend::backend()?;
    let actor = backend.current_actor().await?;
    let form = ContactForm {
        name: name.clone(),
        description: description.clone(),
        contact_method: contact_method.clone(),
    };
    let outcome = match form.create() {
        Ok(event) => backend.execute(actor, event.into()).await?,
        Err(rejection) => rejection.into(),
    };
    let typed = [
        ("name", name.as_str()),
        ("description", &description),
        ("contact_method", &contact_method),
    ];
    crate::plain_form::follow_up(
        &outcome,
        ProjectionName::Contacts,
        "/contacts",
        "/contacts",
        &typed,
    );
    Ok(outcome)
}

#[component]
pub fn ContactsPage() -> impl IntoView {
    let add = ServerAction::<AddContact>::new();
    let contacts = Resource::new(|| (), |_| list_contacts());
    let tracker = CatchUpTracker::new();
    let form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        if let Some(Ok(CommandOutcome::Accepted(receipt))) = add.value().get() {
            if let Some(form) = form.get_untracked() {
                form.reset();
            }
            tracker.track(ProjectionName::Contacts, receipt, move || contacts.refetch());
        }
    });

    let echo = FormEcho::from_query(&use_query_map().get_untracked());
    let initial = ContactForm {
        name: echo.value("name").unwrap_or_default(),
        description: echo.value("description").unwrap_or_default(),
        contact_method: echo.value("contact_method").unwrap_or_default(),
    };
    let rejection = Memo::new(move |_| match add.value().get() {
        None => echo.rejection.clone(),
        Some(Ok(outcome)) => outcome.rejection().cloned(),
        Some(Err(_)) => None,
    });
    let failure = move || match add.value().get() {
        Some(Err(error)) => {
            Some(view! { <p class="notice notice-error" role="alert">{error.to_string()}</p> })
        }
        _ => None,
    };

    view! {
        <Title text="Contacts" />
        <div class="page contacts-page">
            <section class="contacts" aria-labelledby="contacts-heading">
                <div class="section-head">
                    <h1 id="contacts-heading">"Contacts"</h1>
                    <a class="jump" href="#add-heading">"Add a contact"</a>
                </div>
                <Transition fallback=|| view! { <p class="loading">"Loading contacts…"</p> }>
                    {move || Suspend::new(async move {
                        match contacts.await {
                            Ok(view) => contact_table(view).into_any(),
                            Err(error) => view! { <p class="notice notice-error" role="alert">{error.to_string()}</p> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
            <section class="card add-contact" aria-labelledby="add-heading">
                <h2 id="add-heading">"Add a contact"</h2>
                <ActionForm action=add node_ref=form attr:novalidate="true">
                    <ContactFields form="add" initial rejection />
                    <div class="actions">
                        <button type="submit" class="primary" disabled=move || add.pending().get()>
                            "Add contact"
                        </button>
                    </div>
                </ActionForm>
                {failure}
                <CatchUpNotice tracker />
            </section>
        </div>
    }
}

fn contact_table(view: ContactsView) -> impl IntoView {
    let freshness = view.freshness;
    let body = if view.contacts.is_empty() {
        view! {
            <div class="empty">
                <p><strong>"No contacts yet."</strong></p>
                <p>
                    "Add the first person you want to keep track of with "
                    <a href="#add-name">"the form on this page"</a>
                    "."
                </p>
            </div>
        }
        .into_any()
    } else {
        let rows = view.contacts.into_iter().map(contact_row).collect_view();
        view! {
            <table class="contact-table">
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Description"</th>
                        <th scope="col">"Contact method"</th>
                        <th scope="col">"Last interaction"</th>
                        <th scope="col">"Next meeting"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        }
        .into_any()
    };
    view! {
        {body}
        <p class="freshness">
            "Read from " <code>{freshness.projection.as_str()}</code> ", up to event #" {freshness.last_event_id} "."
        </p>
    }
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
    view! {
        <tr>
            <td data-label="Name">
                <a href=contact_path(&contact.name)>{contact.name.clone()}</a>
            </td>
            {cell("Description", Some(contact.description))}
            {cell("Contact method", Some(contact.contact_method))}
            {cell("Last interaction", contact.last_interacted_on.map(|d| d.format("%Y-%m-%d").to_string()))}
            {cell("Next meeting", contact.next_meeting_at.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()))}
        </tr>
    }
}
