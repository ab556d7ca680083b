//! One contact's page, `/contacts/:name`, backed by `projected_contacts`: its details, the
//! form that edits it and the button that deletes it.

use leptos::prelude::*;
use leptos::server;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

use crate::catch_up::{CatchUpNotice, CatchUpTracker};
use crate::components::contact_fields::ContactFields;
use crate::contact::ContactForm;
use crate::error::{AppError, CommandOutcome};
use crate::plain_form::FormEcho;
use crate::routes::contact_path;
use crate::views::{ContactSummary, ContactView, ProjectionName};

/// The signed-in account's contact called `name`.
#[server]
pub async fn get_contact(name: String) -> Result<ContactView, AppError> {
    let backend = crate::backend::backend()?;
    let actor = backend.current_actor().await?;
    backend.contact(actor.account_id, &name).await
}

/// Edits the contact called `current_name`, renaming it when `name` differs.
#[server]
pub async fn edit_contact(
    current_name: String,
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
    let outcome = match form.edit(&current_name) {
        Ok(event) => backend.execute(actor, event.into()).await?,
        Err(rejection) => rejection.into(),
    };
    let next = match &outcome {
        CommandOutcome::Accepted(_) => contact_path(&crate::contact::normalize_name(&name)),
        CommandOutcome::Rejected(_) => contact_path(&current_name),
    };
    let typed = [
        ("name", name.as_str()),
        ("description", &description),
        ("contact_method", &contact_method),
    ];
    crate::plain_form::follow_up(
        &outcome,
        ProjectionName::Contacts,
        &next,
        &contact_path(&current_name),
        &typed,
    );
    Ok(outcome)
}

/// Deletes the contact called `name`.
#[server]
pub async fn delete_contact(name: String) -> Result<CommandOutcome, AppError> {
    let backend = crate::backend::backend()?;
    let actor = backend.current_actor().await?;
    let outcome = match crate::contact::delete(&name) {
        Ok(event) => backend.execute(actor, event.into()).await?,
        Err(rejection) => rejection.into(),
    };
    crate::plain_form::follow_up(
        &outcome,
        ProjectionName::Contacts,
        "/contacts",
        &contact_path(&name),
        &[],
    );
    Ok(outcome)
}

#[component]
pub fn ContactPage() -> impl IntoView {
    let params = use_params_map();
    let name = Memo::new(move |_| params.read().get("name").unwrap_or_default());
    let contact = Resource::new(move || name.get(), get_contact);
    let edit = ServerAction::<EditContact>::new();
    let delete = ServerAction::<DeleteContact>::new();
    let tracker = CatchUpTracker::new();
    let navigate = use_navigate();

    // The action forgets its input once it resolves; keep the name that was submitted so a
    // rename can follow the contact to its new address.
    let submitted_name = StoredValue::new(String::new());
    Effect::new(move |_| {
        if let Some(input) = edit.input().get() {
            submitted_name.set_value(crate::contact::normalize_name(&input.name));
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(CommandOutcome::Accepted(receipt))) = edit.value().get() {
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
        <Title text=move || name.get() />
        <div class="page contact-page">
            <p class="breadcrumb"><A href="/contacts">"← All contacts"</A></p>
            <CatchUpNotice tracker />
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match contact.await {
                        Ok(ContactView { contact: Some(found), freshness }) => view! {
                            <ContactDetails contact=found edit delete />
                            <p class="freshness">
                                "Read from " <code>{freshness.projection.as_str()}</code> ", up to event #" {freshness.last_event_id} "."
                            </p>
                        }.into_any(),
                        Ok(ContactView { contact: None, .. }) => view! { <ContactMissing name=name.get_untracked() /> }.into_any(),
                        Err(error) => view! { <p class="notice notice-error" role="alert">{error.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}

#[component]
fn ContactDetails(
    contact: ContactSummary,
    edit: ServerAction<EditContact>,
    delete: ServerAction<DeleteContact>,
) -> impl IntoView {
    let echo = FormEcho::from_query(&use_query_map().get_untracked());
    let typed = |field: &str, stored: &str| echo.value(field).unwrap_or_else(|| stored.to_owned());
    let initial = ContactForm {
        name: typed("name", &contact.name),
        description: typed("description", &contact.description),
        contact_method: typed("contact_method", &contact.contact_method),
    };
    let rejection = Memo::new(move |_| match edit.value().get() {
        None => echo.rejection.clone(),
        Some(Ok(outcome)) => outcome.rejection().cloned(),
        Some(Err(_)) => None,
    });
    let delete_refusal = move || match delete.value().get() {
        Some(Ok(CommandOutcome::Rejected(rejection))) => Some(rejection.to_string()),
        Some(Err(error)) => Some(error.to_string()),
        _ => None,
    };
    let edit_failure = move || match edit.value().get() {
        Some(Err(error)) => {
            Some(view! { <p class="notice notice-error" role="alert">{error.to_string()}</p> })
        }
        _ => None,
    };
    let or_dash = |text: Option<String>| text.unwrap_or_else(|| "—".to_owned());
    let name = contact.name.clone();
    view! {
        <article class="card contact-details" aria-labelledby="contact-heading">
            <h1 id="contact-heading">{contact.name.clone()}</h1>
            <dl class="facts">
                <dt>"Description"</dt>
                <dd>{or_dash(Some(contact.description.clone()).filter(|d| !d.is_empty()))}</dd>
                <dt>"Contact method"</dt>
                <dd>{or_dash(Some(contact.contact_method.clone()).filter(|c| !c.is_empty()))}</dd>
                <dt>"Last interaction"</dt>
                <dd>{or_dash(contact.last_interacted_on.map(|d| d.format("%Y-%m-%d").to_string()))}</dd>
                <dt>"Next meeting"</dt>
                <dd>{or_dash(contact.next_meeting_at.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()))}</dd>
            </dl>
        </article>
        <section class="card" aria-labelledby="edit-heading">
            <h2 id="edit-heading">"Edit"</h2>
            <ActionForm action=edit attr:novalidate="true">
                <input type="hidden" name="current_name" value=contact.name.clone() />
                <ContactFields form="edit" initial rejection />
                <div class="actions">
                    <button type="submit" class="primary" disabled=move || edit.pending().get()>
                        "Save changes"
                    </button>
                </div>
            </ActionForm>
            {edit_failure}
        </section>
        <section class="card danger-zone" aria-labelledby="delete-heading">
            <h2 id="delete-heading">"Delete"</h2>
            <details>
                <summary>"Delete this contact…"</summary>
                <p>"This removes " <strong>{name.clone()}</strong> " from your contacts. The history of events stays in the stream."</p>
                <ActionForm action=delete>
                    <input type="hidden" name="name" value=name.clone() />
                    <button type="submit" class="danger" disabled=move || delete.pending().get()>
                        {format!("Delete {name}")}
                    </button>
                </ActionForm>
            </details>
            {move || delete_refusal().map(|message| view! { <p class="notice notice-error" role="alert">{message}</p> })}
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
            <p>"It may have been renamed or deleted. " <A href="/contacts">"See all your contacts"</A> "."</p>
        </section>
    }
}
