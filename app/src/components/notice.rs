//! Small notices shared by the pages: errors, refusals and how fresh a projection is.

use leptos::prelude::*;

use crate::error::{AppError, Refusable, Rejection};
use crate::form_echo::{FORM_FIELD, FormEcho};
use crate::views::Freshness;

/// A failure the person should see at once, in words; a page rendered on the server answers
/// with the failure's status too.
#[component]
pub fn ErrorNotice(error: AppError) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(error.status());
    }
    view! { <p class="notice notice-error" role="alert">{error.to_string()}</p> }
}

/// The messages of a refusal that no field on the form shows (`except` lists those fields).
#[component]
pub fn RejectionSummary(
    #[prop(into)] rejection: Signal<Option<Rejection>>,
    except: &'static [&'static str],
) -> impl IntoView {
    move || {
        let messages: Vec<String> = rejection
            .get()
            .map(|r| {
                r.errors
                    .into_iter()
                    .filter(|e| !except.contains(&e.field.as_str()))
            })
            .into_iter()
            .flatten()
            .map(|e| e.message)
            .collect();
        (!messages.is_empty()).then(|| {
            view! {
                <div class="notice notice-error" role="alert">
                    {messages.into_iter().map(|m| view! { <p>{m}</p> }).collect_view()}
                </div>
            }
        })
    }
}

/// Which projection a page was read from and how far it had got.
#[component]
pub fn FreshnessNote(freshness: Freshness) -> impl IntoView {
    view! {
        <p class="freshness">
            "Read from " <code>{freshness.projection.as_str()}</code> ", "
            {match freshness.behind {
                0 => "with all your changes.".to_owned(),
                1 => "before your latest change: it is still being applied.".to_owned(),
                n => format!("before your latest {n} changes: they are still being applied."),
            }}
        </p>
    }
}

/// The message `rejection` has for `field`, for that field's error slot.
pub fn field_error(
    rejection: impl Into<Signal<Option<Rejection>>>,
    field: &'static str,
) -> Signal<Option<String>> {
    let rejection = rejection.into();
    Signal::derive(move || {
        rejection
            .get()
            .and_then(|r| r.for_field(field).map(str::to_owned))
    })
}

/// The refusal a form shows: the latest answer to its action or, before any, the refusal of a
/// plain form post that led here. A failure of the server is shown as the form's own error.
pub fn shown_rejection<T: Refusable>(
    outcome: impl Fn() -> Option<Result<T, AppError>> + Send + Sync + 'static,
    echo: FormEcho,
) -> Memo<Option<Rejection>> {
    Memo::new(move |_| match outcome() {
        None => echo.rejection.clone(),
        Some(Ok(outcome)) => outcome.refusal().cloned(),
        Some(Err(error)) => Some(Rejection::one(FORM_FIELD, error.to_string())),
    })
}
