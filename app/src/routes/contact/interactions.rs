//! A contact's interactions on its page: the list (newest first), the form that records one,
//! and the forms that correct or remove each.

use chrono::NaiveDate;
use leptos::prelude::*;
use leptos::server;
use leptos::server_fn::codec::Postcard;

use crate::catch_up::CatchUpTracker;
use crate::components::field::Field;
use crate::components::notice::{RejectionSummary, field_error, shown_rejection};
use crate::error::{AppError, CommandOutcome};
use crate::form_echo::FormEcho;
use crate::interaction::{InteractionForm, KIND_MAX, NOTE_MAX};
use crate::plain_form::ServerForm;
use crate::views::{InteractionView, ProjectionName};

/// The latest day an interaction can be dated: tomorrow on the server, for time zones ahead.
#[cfg(feature = "ssr")]
fn latest_day() -> NaiveDate {
    chrono::Utc::now().date_naive() + chrono::Days::new(1)
}

/// Records an interaction with the contact called `contact`.
#[server(input = crate::wire::Fields, output = Postcard)]
pub async fn record_interaction(
    contact: String,
    occurred_on: String,
    kind: String,
    note: String,
) -> Result<CommandOutcome, AppError> {
    let form = InteractionForm {
        occurred_on,
        kind,
        note,
    };
    let event = form.clone().record(&contact, latest_day()).map(Into::into);
    let result = crate::backend::execute(event).await;
    super::follow_up_on_contact(&result, &contact, "interaction", &form.typed()).await;
    result
}

/// Corrects the interaction `interaction` (the id of the event that recorded it).
#[server(input = crate::wire::Fields, output = Postcard)]
pub async fn correct_interaction(
    contact: String,
    interaction: i64,
    occurred_on: String,
    kind: String,
    note: String,
) -> Result<CommandOutcome, AppError> {
    let form = InteractionForm {
        occurred_on,
        kind,
        note,
    };
    let event = form
        .clone()
        .correct(&contact, interaction, latest_day())
        .map(Into::into);
    let result = crate::backend::execute(event).await;
    super::follow_up_on_contact(
        &result,
        &contact,
        &format!("correct-{interaction}"),
        &form.typed(),
    )
    .await;
    result
}

/// Removes the interaction `interaction`.
#[server(input = crate::wire::Fields, output = Postcard)]
pub async fn remove_interaction(contact: String, interaction: i64) -> Result<CommandOutcome, AppError> {
    let result = crate::backend::execute(Ok(crate::interaction::remove(&contact, interaction).into())).await;
    super::follow_up_on_contact(&result, &contact, &format!("remove-{interaction}"), &[]).await;
    result
}

/// The interaction commands of a contact's page; each waits for `projected_contacts` and then
/// refreshes the page's data.
#[derive(Clone, Copy)]
pub struct InteractionsActions {
    record: ServerAction<RecordInteraction>,
    correct: ServerAction<CorrectInteraction>,
    remove: ServerAction<RemoveInteraction>,
    /// The interaction whose correction or removal was sent last: its form shows the answer.
    last_sent: RwSignal<Option<i64>>,
}

impl InteractionsActions {
    pub fn new(tracker: CatchUpTracker, refetch: impl Fn() + Copy + Send + Sync + 'static) -> Self {
        let actions = Self {
            record: ServerAction::new(),
            correct: ServerAction::new(),
            remove: ServerAction::new(),
            last_sent: RwSignal::new(None),
        };
        let contacts = ProjectionName::Contacts;
        tracker.follow(move || actions.record.value().get(), contacts, refetch);
        tracker.follow(move || actions.correct.value().get(), contacts, refetch);
        tracker.follow(move || actions.remove.value().get(), contacts, refetch);
        Effect::new(move |_| {
            if let Some(input) = actions.correct.input().get() {
                actions.last_sent.set(Some(input.interaction));
            }
        });
        Effect::new(move |_| {
            if let Some(input) = actions.remove.input().get() {
                actions.last_sent.set(Some(input.interaction));
            }
        });
        actions
    }
}

#[component]
pub fn Interactions(
    contact: String,
    interactions: Vec<InteractionView>,
    today: NaiveDate,
    actions: InteractionsActions,
    echo: FormEcho,
) -> impl IntoView {
    let record = actions.record;
    let form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        if let Some(Ok(CommandOutcome::Accepted(_))) = record.value().get()
            && let Some(form) = form.get_untracked()
        {
            form.reset();
        }
    });
    let fresh = InteractionForm {
        occurred_on: today.format("%Y-%m-%d").to_string(),
        ..Default::default()
    };
    let record_echo = echo.for_form("interaction");
    let initial = InteractionForm::from_echo(&record_echo, &fresh);
    let rejection = shown_rejection(move || record.value().get(), record_echo);
    let list = if interactions.is_empty() {
        view! {
            <p class="empty">
                "No interactions recorded yet. Record when you last met, called or wrote, and the "
                "contacts list will show it."
            </p>
        }
        .into_any()
    } else {
        let items = interactions
            .into_iter()
            .map(|interaction| {
                let contact = contact.clone();
                view! { <InteractionItem contact interaction actions echo=echo.clone() /> }
            })
            .collect_view();
        view! { <ol class="interactions">{items}</ol> }.into_any()
    };
    view! {
        <section class="card" aria-labelledby="interactions-heading">
            <h2 id="interactions-heading">"Interactions"</h2>
            {list}
            <h3 id="record-heading">"Record an interaction"</h3>
            <ServerForm action=record node_ref=form attr:novalidate="true" attr:aria-labelledby="record-heading">
                <input type="hidden" name="contact" value=contact.clone() />
                <InteractionFields form="interaction" initial rejection />
                <div class="actions">
                    <button type="submit" class="primary" disabled=move || record.pending().get()>
                        "Record interaction"
                    </button>
                </div>
            </ServerForm>
        </section>
    }
}

/// The date, kind and note fields, with any refusal they got.
#[component]
fn InteractionFields(
    #[prop(into)] form: String,
    initial: InteractionForm,
    rejection: Memo<Option<crate::error::Rejection>>,
) -> impl IntoView {
    let error_for = move |field: &'static str| field_error(rejection, field);
    view! {
        <RejectionSummary rejection except=&["occurred_on", "kind", "note"] />
        <div class="field-row">
            <Field
                form=form.clone()
                name="occurred_on"
                label="Date"
                value=initial.occurred_on
                error=error_for("occurred_on")
                maxlength=10
                required=true
                input_type="date"
            />
            <Field
                form=form.clone()
                name="kind"
                label="What was it?"
                value=initial.kind
                error=error_for("kind")
                maxlength=KIND_MAX
                required=true
                hint="Coffee, a call, a letter: anything."
            />
        </div>
        <Field form name="note" label="Note" value=initial.note error=error_for("note") maxlength=NOTE_MAX multiline=true />
    }
}

/// One interaction, with the forms that correct or remove it.
#[component]
fn InteractionItem(
    contact: String,
    interaction: InteractionView,
    actions: InteractionsActions,
    echo: FormEcho,
) -> impl IntoView {
    let id = interaction.id;
    let correct_id = format!("correct-{id}");
    let remove_id = format!("remove-{id}");
    let correct_echo = echo.for_form(&correct_id);
    let remove_echo = echo.for_form(&remove_id);
    // A refused plain post of this item's forms opens them again.
    let open = correct_echo.rejection.is_some() || remove_echo.rejection.is_some();
    let stored = InteractionForm {
        occurred_on: interaction.occurred_on.format("%Y-%m-%d").to_string(),
        kind: interaction.kind.clone(),
        note: interaction.note.clone(),
    };
    let initial = InteractionForm::from_echo(&correct_echo, &stored);
    let InteractionsActions {
        correct,
        remove,
        last_sent,
        ..
    } = actions;
    let mine = move || last_sent.get() == Some(id);
    let correct_rejection = shown_rejection(move || correct.value().get().filter(|_| mine()), correct_echo);
    let remove_rejection = shown_rejection(move || remove.value().get().filter(|_| mine()), remove_echo);
    let date = interaction.occurred_on.format("%a %-d %b %Y").to_string();
    let contact_for_correction = contact.clone();
    view! {
        <li class="interaction">
            <p class="interaction-head">
                <time datetime=interaction.occurred_on.format("%Y-%m-%d").to_string()>{date}</time>
                " · "
                <strong>{interaction.kind}</strong>
            </p>
            {(!interaction.note.is_empty()).then(|| view! { <p class="interaction-note">{interaction.note}</p> })}
            <details open=open>
                <summary>"Correct or remove"</summary>
                <ServerForm action=correct attr:novalidate="true">
                    <input type="hidden" name="contact" value=contact_for_correction />
                    <input type="hidden" name="interaction" value=id />
                    <InteractionFields form=correct_id initial rejection=correct_rejection />
                    <div class="actions">
                        <button type="submit" class="primary" disabled=move || correct.pending().get()>
                            "Save correction"
                        </button>
                    </div>
                </ServerForm>
                <ServerForm action=remove>
                    <input type="hidden" name="contact" value=contact />
                    <input type="hidden" name="interaction" value=id />
                    <RejectionSummary rejection=remove_rejection except=&[] />
                    <div class="actions">
                        <button type="submit" class="danger" disabled=move || remove.pending().get()>
                            "Remove this interaction"
                        </button>
                    </div>
                </ServerForm>
            </details>
        </li>
    }
}
