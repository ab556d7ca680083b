//! The contacts list, `/contacts`, backed by the `projected_contacts` projection, with the
//! form that adds a contact.

use leptos::prelude::*;
use leptos::server;
use leptos_meta::Title;

use crate::catch_up::{CatchUpNotice, CatchUpTracker};
use crate::components::contact_fields::ContactFields;
use crate::components::notice::{ErrorNotice, FreshnessNote, shown_rejection};
use crate::contact::ContactForm;
use crate::error::{AppError, CommandOutcome};
use crate::plain_form::{FormEcho, use_form_echo};
use crate::url::contact_path;
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
        "/contacts",
        &form.typed(),
    )
    .await;
    result
}

#[component]
pub fn ContactsPage() -> impl IntoView {
    let contacts = Resource::new(|| (), |_| list_contacts());
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
                            Ok(view) => contact_table(view).into_any(),
                            Err(error) => view! { <ErrorNotice message=error.to_string() /> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
            <section class="card add-contact" aria-labelledby="add-heading">
                <h2 id="add-heading">"Add a contact"</h2>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        let echo = echo.await.unwrap_or_default();
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
    Effect::new(move |_| {
        if let Some(Ok(CommandOutcome::Accepted(receipt))) = add.value().get() {
            if let Some(form) = form.get_untracked() {
                form.reset();
            }
            tracker.track(ProjectionName::Contacts, receipt, on_shown);
        }
    });
    let initial = ContactForm::from_echo(&echo, &ContactForm::default());
    let rejection = shown_rejection(move || add.value().get(), echo);
    view! {
        <ActionForm action=add node_ref=form attr:novalidate="true">
            <ContactFields form="add" initial rejection />
            <div class="actions">
                <button type="submit" class="primary" disabled=move || add.pending().get()>
                    "Add contact"
                </button>
            </div>
        </ActionForm>
        <CatchUpNotice tracker />
    }
}

fn contact_table(view: ContactsView) -> impl IntoView {
    let body = if view.contacts.is_empty() {
        view! {
            <div class="empty">
                <p>
                    <strong>"No contacts yet."</strong>
                </p>
                <p>
                    "Add the first person you want to keep track of with "
                    <a href="#add-name">"the form on this page"</a> "."
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
        <FreshnessNote freshness=view.freshness />
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
                <ContactLink name=contact.name />
            </td>
            {cell("Description", Some(contact.description))}
            {cell("Contact method", Some(contact.contact_method))}
            {cell("Last interaction", contact.last_interacted_on.map(|d| d.format("%Y-%m-%d").to_string()))}
            {cell("Next meeting", contact.next_meeting_at.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()))}
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
