//! The next meeting with a contact on its page: when it is, its notes rendered from Markdown,
//! and the forms that schedule, change or cancel it.

use leptos::prelude::*;
use leptos::server;
use leptos::server_fn::codec::Postcard;

use crate::catch_up::CatchUpTracker;
use crate::components::field::Field;
use crate::components::notice::{RejectionSummary, field_error, shown_rejection};
use crate::error::{AppError, CommandOutcome};
use crate::form_echo::FormEcho;
use crate::interaction::{MeetingForm, NOTES_MAX};
use crate::plain_form::ServerForm;
use crate::views::{MeetingEmailView, MeetingView, ProjectionName};

/// Schedules the next meeting with `contact` (or changes it), at a local time in the account's
/// time zone, with Markdown notes.
#[server(input = crate::wire::Fields, output = Postcard)]
pub async fn schedule_meeting(
    contact: String,
    meeting_on: String,
    meeting_time: String,
    notes: String,
) -> Result<CommandOutcome, AppError> {
    let actor = crate::backend::current_actor()?;
    let time_zone = crate::backend::backend()?
        .account_settings(actor.account_id)
        .await?
        .map(|settings| settings.time_zone)
        .unwrap_or_else(|| crate::account::DEFAULT_TIME_ZONE.to_owned());
    let form = MeetingForm {
        meeting_on,
        meeting_time,
        notes,
    };
    let event = form.clone().schedule(&contact, &time_zone).map(Into::into);
    let result = crate::backend::execute(event).await;
    super::follow_up_on_contact(&result, &contact, "meeting", &form.typed()).await;
    result
}

/// Cancels the next meeting with `contact`, notes included.
#[server(input = crate::wire::Fields, output = Postcard)]
pub async fn cancel_meeting(contact: String) -> Result<CommandOutcome, AppError> {
    let result = crate::backend::execute(Ok(crate::interaction::cancel_meeting(&contact).into())).await;
    super::follow_up_on_contact(&result, &contact, "cancel-meeting", &[]).await;
    result
}

/// Asks for the failed morning email of the meeting with `contact` on `meeting_on` to be sent
/// again.
#[server(input = crate::wire::Fields, output = Postcard)]
pub async fn send_notes_again(contact: String, meeting_on: String) -> Result<CommandOutcome, AppError> {
    let event = crate::interaction::request_notes_email(&contact, &meeting_on).map(Into::into);
    let result = crate::backend::execute(event).await;
    super::follow_up_on_contact(&result, &contact, "send-again", &[]).await;
    result
}

/// The meeting commands of a contact's page; each waits for `projected_contacts` and then
/// refreshes the page's data.
#[derive(Clone, Copy)]
pub struct MeetingActions {
    schedule: ServerAction<ScheduleMeeting>,
    cancel: ServerAction<CancelMeeting>,
    send_again: ServerAction<SendNotesAgain>,
}

impl MeetingActions {
    pub fn new(tracker: CatchUpTracker, refetch: impl Fn() + Copy + Send + Sync + 'static) -> Self {
        let actions = Self {
            schedule: ServerAction::new(),
            cancel: ServerAction::new(),
            send_again: ServerAction::new(),
        };
        tracker.follow(
            move || actions.send_again.value().get(),
            ProjectionName::Contacts,
            refetch,
        );
        tracker.follow(
            move || actions.schedule.value().get(),
            ProjectionName::Contacts,
            refetch,
        );
        tracker.follow(
            move || actions.cancel.value().get(),
            ProjectionName::Contacts,
            refetch,
        );
        actions
    }
}

#[component]
pub fn Meeting(
    contact: String,
    meeting: Option<MeetingView>,
    actions: MeetingActions,
    echo: FormEcho,
) -> impl IntoView {
    let MeetingActions {
        schedule,
        cancel,
        send_again,
    } = actions;
    let schedule_echo = echo.for_form("meeting");
    let stored = meeting
        .as_ref()
        .map(|m| MeetingForm {
            meeting_on: m.meeting_on.format("%Y-%m-%d").to_string(),
            meeting_time: m.meeting_time.clone(),
            notes: m.notes.clone(),
        })
        .unwrap_or_default();
    let initial = MeetingForm::from_echo(&schedule_echo, &stored);
    let refused = schedule_echo.rejection.is_some();
    let rejection = shown_rejection(move || schedule.value().get(), schedule_echo);
    let cancel_rejection = shown_rejection(move || cancel.value().get(), echo.for_form("cancel-meeting"));
    let error_for = move |field: &'static str| field_error(rejection, field);
    let contact_name = contact.clone();
    let form = view! {
        <ServerForm action=schedule attr:novalidate="true">
            <input type="hidden" name="contact" value=contact_name />
            <RejectionSummary rejection except=&["meeting_on", "meeting_time", "notes"] />
            <div class="field-row">
                <Field
                    form="meeting"
                    name="meeting_on"
                    label="Date"
                    value=initial.meeting_on
                    error=error_for("meeting_on")
                    maxlength=10
                    required=true
                    input_type="date"
                />
                <Field
                    form="meeting"
                    name="meeting_time"
                    label="Time"
                    value=initial.meeting_time
                    error=error_for("meeting_time")
                    maxlength=5
                    required=true
                    input_type="time"
                    hint="In your time zone (see Settings)."
                />
            </div>
            <Field
                form="meeting"
                name="notes"
                label="Notes for the meeting"
                value=initial.notes
                error=error_for("notes")
                maxlength=NOTES_MAX
                multiline=true
                rows=6
                hint="Markdown: **bold**, *italic*, - lists, [links](https://example.com). Emailed to you that morning."
            />
            <div class="actions">
                <button type="submit" class="primary" disabled=move || schedule.pending().get()>
                    "Save meeting"
                </button>
            </div>
        </ServerForm>
    };
    let body = match meeting {
        None => view! {
            <p class="empty">
                "No meeting planned. Schedule one to keep notes for it: on the morning of the "
                "meeting, the notes are emailed to you."
            </p>
            {form}
        }
        .into_any(),
        Some(meeting) => {
            let when = format!(
                "{} at {}",
                meeting.meeting_on.format("%A %-d %B %Y"),
                meeting.meeting_time
            );
            let notes = if meeting.notes_html.is_empty() {
                view! { <p class="empty">"No notes yet."</p> }.into_any()
            } else {
                // Rendered and sanitized on the server for this page (server/src/markdown.rs).
                view! { <div class="notes" inner_html=meeting.notes_html></div> }.into_any()
            };
            view! {
                <p class="meeting-when">
                    <strong>{when}</strong>
                    " "
                    <span class="zone">{meeting.time_zone.replace('_', " ")}</span>
                </p>
                {notes}
                <MorningEmail
                    contact=contact.clone()
                    meeting_on=meeting.meeting_on.format("%Y-%m-%d").to_string()
                    email=meeting.email
                    warning=meeting.mailer_warning
                    send_again
                    echo=echo.for_form("send-again")
                />
                <details open=refused>
                    <summary>"Change the meeting or its notes"</summary>
                    {form}
                    <ServerForm action=cancel>
                        <input type="hidden" name="contact" value=contact.clone() />
                        <RejectionSummary rejection=cancel_rejection except=&[] />
                        <div class="actions">
                            <button type="submit" class="danger" disabled=move || cancel.pending().get()>
                                "Cancel the meeting"
                            </button>
                        </div>
                    </ServerForm>
                </details>
            }
            .into_any()
        }
    };
    view! {
        <section class="card meeting" aria-labelledby="meeting-heading">
            <h2 id="meeting-heading">"Next meeting"</h2>
            {body}
        </section>
    }
}

/// Where the meeting's morning email stands, with a button to send a failed one again.
#[component]
fn MorningEmail(
    contact: String,
    meeting_on: String,
    email: MeetingEmailView,
    warning: Option<String>,
    send_again: ServerAction<SendNotesAgain>,
    echo: FormEcho,
) -> impl IntoView {
    let rejection = shown_rejection(move || send_again.value().get(), echo);
    let (class, text, offer_again) = match email {
        MeetingEmailView::Scheduled { at, due: false } => (
            "email-scheduled",
            format!("Your notes will be emailed to you on {at}."),
            false,
        ),
        MeetingEmailView::Scheduled { at, due: true } => (
            "email-scheduled",
            format!("Your notes are due to be emailed (from {at}); they go out at the mailer's next run."),
            false,
        ),
        MeetingEmailView::Retrying { reason, retry_at } => (
            "email-retrying",
            format!("{reason} The mailer tries again on {retry_at}."),
            false,
        ),
        MeetingEmailView::Sent { at } => (
            "email-sent",
            format!("Your notes were emailed to you on {at}."),
            false,
        ),
        MeetingEmailView::Failed {
            reason,
            can_send_again,
        } => ("email-failed", reason, can_send_again),
        MeetingEmailView::NotSent { reason } => ("email-failed", reason, false),
    };
    view! {
        <div class=format!("morning-email {class}") role="status">
            <h3>"Morning email"</h3>
            <p class="email-state">{text}</p>
            {warning.map(|warning| view! { <p class="notice notice-warn">{warning}</p> })}
            {offer_again
                .then(|| {
                    view! {
                        <ServerForm action=send_again>
                            <input type="hidden" name="contact" value=contact />
                            <input type="hidden" name="meeting_on" value=meeting_on />
                            <RejectionSummary rejection except=&[] />
                            <div class="actions">
                                <button type="submit" class="primary" disabled=move || send_again.pending().get()>
                                    "Send the email again"
                                </button>
                            </div>
                        </ServerForm>
                    }
                })}
            <p class="field-hint">
                "The address and the hour are in " <a href="/settings">"Settings"</a> "."
            </p>
        </div>
    }
}
