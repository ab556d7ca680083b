//! The account settings page, `/settings`, backed by `projected_accounts`: display name, the
//! address meeting notes go to, the time zone and the hour of the morning email.

use leptos::prelude::*;
use leptos::server;
use leptos::server_fn::codec::Postcard;
use leptos_meta::Title;

use crate::account::{DISPLAY_NAME_MAX, EMAIL_MAX, SettingsForm};
use crate::catch_up::{CatchUpNotice, CatchUpTracker};
use crate::components::field::{Field, SelectField};
use crate::components::notice::{ErrorNotice, FreshnessNote, RejectionSummary, field_error, shown_rejection};
use crate::error::{AppError, CommandOutcome};
use crate::form_echo::FormEcho;
use crate::plain_form::{ServerForm, use_form_echo};
use crate::views::{ProjectionName, SettingsView};
use crate::wire;

/// The signed-in account's settings, from `projected_accounts`.
#[server(input = crate::wire::Fields, output = Postcard)]
pub async fn get_settings() -> Result<SettingsView, AppError> {
    let signed_in = crate::backend::signed_in().ok_or(AppError::SignedOut)?;
    crate::backend::backend()?.settings(&signed_in).await
}

/// Changes the account's settings: appends "account settings changed", or says why not.
#[server(input = crate::wire::Fields, output = Postcard)]
pub async fn save_settings(
    display_name: String,
    notes_email: String,
    time_zone: String,
    morning_email_hour: String,
) -> Result<CommandOutcome, AppError> {
    let backend = crate::backend::backend()?;
    let form = SettingsForm {
        display_name,
        notes_email,
        time_zone,
        morning_email_hour,
    };
    let event = form
        .clone()
        .check(|zone| backend.is_time_zone(zone))
        .map(|settings| crate::events::AccountSettingsChanged(settings).into());
    let result = crate::backend::execute(event).await;
    crate::plain_form::follow_up(
        &result,
        ProjectionName::Accounts,
        crate::plain_form::NextPage::Settings,
        ("/settings", "settings"),
        &form.typed(),
    )
    .await;
    result
}

#[component]
pub fn SettingsPage() -> impl IntoView {
    let settings = wire::load(|| (), |_| get_settings());
    let echo = use_form_echo();
    let save = ServerAction::<SaveSettings>::new();
    let tracker = CatchUpTracker::new();
    tracker.follow(
        move || save.value().get(),
        ProjectionName::Accounts,
        move || settings.refetch(),
    );
    view! {
        <Title text="Settings" />
        <div class="page narrow">
            <CatchUpNotice tracker />
            <Transition fallback=|| view! { <p class="loading">"Loading settings…"</p> }>
                {move || Suspend::new(async move {
                    let echo = echo.await.unwrap_or_default().for_form("settings");
                    match settings.await {
                        Ok(view) => view! { <SettingsDetails view save echo /> }.into_any(),
                        Err(error) => view! { <ErrorNotice error=error /> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}

#[component]
fn SettingsDetails(view: SettingsView, save: ServerAction<SaveSettings>, echo: FormEcho) -> impl IntoView {
    let SettingsView {
        settings,
        email,
        time_zones,
        freshness,
    } = view;
    let Some(settings) = settings else {
        return view! {
            <section class="card empty">
                <h1>"Settings"</h1>
                <p>"Your new account is still being set up. This page will show your settings in a moment; reload it if it does not."</p>
            </section>
        }
        .into_any();
    };
    let initial = SettingsForm::from_echo(&echo, &SettingsForm::from_settings(&settings));
    let rejection = shown_rejection(move || save.value().get(), echo);
    let error_for = move |field: &'static str| field_error(rejection, field);
    let zones = time_zones
        .into_iter()
        .map(|zone| (zone.clone(), zone.replace('_', " ")))
        .collect();
    let hours = (0..24)
        .map(|hour| (hour.to_string(), format!("{hour:02}:00")))
        .collect();
    view! {
        <section class="card" aria-labelledby="settings-heading">
            <h1 id="settings-heading">"Settings"</h1>
            <p class="signed-in-as">"You sign in as " <strong>{email}</strong> "."</p>
            <ServerForm action=save attr:novalidate="true">
                <RejectionSummary rejection except=&["display_name", "notes_email", "time_zone", "morning_email_hour"] />
                <Field
                    form="settings"
                    name="display_name"
                    label="Display name"
                    value=initial.display_name
                    error=error_for("display_name")
                    maxlength=DISPLAY_NAME_MAX
                    required=true
                    autocomplete="name"
                />
                <Field
                    form="settings"
                    name="notes_email"
                    label="Email address for meeting notes"
                    value=initial.notes_email
                    error=error_for("notes_email")
                    maxlength=EMAIL_MAX
                    required=true
                    input_type="email"
                    autocomplete="email"
                    hint="On the morning of a meeting, its notes are sent here."
                />
                <SelectField
                    form="settings"
                    name="time_zone"
                    label="Time zone"
                    options=zones
                    selected=initial.time_zone
                    error=error_for("time_zone")
                    hint="Meeting times and the morning email follow it."
                />
                <SelectField
                    form="settings"
                    name="morning_email_hour"
                    label="Send the morning email at"
                    options=hours
                    selected=initial.morning_email_hour
                    error=error_for("morning_email_hour")
                    hint="Local time, on the day of each meeting."
                />
                <div class="actions">
                    <button type="submit" class="primary" disabled=move || save.pending().get()>
                        "Save settings"
                    </button>
                </div>
            </ServerForm>
        </section>
        <FreshnessNote freshness />
    }
    .into_any()
}
