//! The sign-up page, `/sign-up`: an email address, a password of at least 12 characters and
//! an optional display name make an account, signed in at once.

use leptos::prelude::*;
use leptos::server;
use leptos::server_fn::codec::Postcard;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::account::{AuthOutcome, DISPLAY_NAME_MAX, EMAIL_MAX, PASSWORD_MAX};
use crate::components::field::Field;
use crate::components::notice::{RejectionSummary, field_error, shown_rejection};
use crate::error::AppError;
use crate::plain_form::{ServerForm, use_form_echo};
use crate::routes::sign_in::go_on_after_auth;

/// Creates an account and signs it in.
#[server(input = crate::wire::Fields, output = Postcard)]
pub async fn sign_up(
    email: String,
    password: String,
    display_name: String,
    time_zone: String,
) -> Result<AuthOutcome, AppError> {
    let backend = crate::backend::backend()?;
    let form = crate::account::SignUpForm {
        email,
        password,
        display_name,
        time_zone,
    };
    let outcome = match form.clone().check(|zone| backend.is_time_zone(zone)) {
        Ok(checked) => backend.sign_up(checked, crate::backend::client_address()).await?,
        Err(rejection) => Err(rejection),
    };
    let finished =
        super::sign_in::session::finish(outcome, "/contacts", ("/sign-up", "sign-up"), &form.typed()).await;
    Ok(finished)
}

#[component]
pub fn SignUpPage() -> impl IntoView {
    let echo = use_form_echo();
    let action = ServerAction::<SignUp>::new();
    // The account starts in the browser's time zone; without JavaScript, in UTC.
    let time_zone = RwSignal::new(String::new());
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| time_zone.set(browser_time_zone().unwrap_or_default()));
    go_on_after_auth(move || action.value().get());
    view! {
        <Title text="Create an account" />
        <div class="page narrow">
            <section class="card" aria-labelledby="sign-up-heading">
                <h1 id="sign-up-heading">"Create your Kith account"</h1>
                <p class="lead">"Keep track of the people you know: who they are, when you last met, and what to ask them next time."</p>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        let echo = echo.await.unwrap_or_default().for_form("sign-up");
                        let typed = |field| echo.value(field).unwrap_or_default();
                        let (email, display_name) = (typed("email"), typed("display_name"));
                        let rejection = shown_rejection(move || action.value().get(), echo);
                        let error_for = move |field: &'static str| field_error(rejection, field);
                        view! {
                            <ServerForm action attr:novalidate="true">
                                <input type="hidden" name="time_zone" prop:value=move || time_zone.get() />
                                <RejectionSummary rejection except=&["email", "password", "display_name"] />
                                <Field
                                    form="sign-up"
                                    name="email"
                                    label="Email address"
                                    value=email
                                    error=error_for("email")
                                    maxlength=EMAIL_MAX
                                    required=true
                                    input_type="email"
                                    autocomplete="email"
                                    hint="You sign in with it; meeting notes are sent to it unless you choose another address."
                                />
                                <Field
                                    form="sign-up"
                                    name="password"
                                    label="Password"
                                    value=""
                                    error=error_for("password")
                                    maxlength=PASSWORD_MAX
                                    required=true
                                    input_type="password"
                                    autocomplete="new-password"
                                    hint=PASSWORD_HINT
                                />
                                <Field
                                    form="sign-up"
                                    name="display_name"
                                    label="Display name"
                                    value=display_name
                                    error=error_for("display_name")
                                    maxlength=DISPLAY_NAME_MAX
                                    autocomplete="name"
                                    hint="Optional. How Kith greets you."
                                />
                                <div class="actions">
                                    <button type="submit" class="primary" disabled=move || action.pending().get()>
                                        "Create account"
                                    </button>
                                </div>
                            </ServerForm>
                        }
                    })}
                </Suspense>
                <p class="aside">"Already have an account? " <A href="/sign-in">"Sign in"</A> "."</p>
            </section>
        </div>
    }
}

/// The IANA time zone the browser is set to.
#[cfg(feature = "hydrate")]
fn browser_time_zone() -> Option<String> {
    let format = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new());
    js_sys::Reflect::get(&format.resolved_options(), &"timeZone".into())
        .ok()?
        .as_string()
}

/// Kept in step with `PASSWORD_MIN` by the test below.
const PASSWORD_HINT: &str = "At least 12 characters. A few unrelated words make a good one.";

#[cfg(test)]
mod tests {
    #[test]
    fn the_password_hint_states_the_minimum() {
        assert!(
            super::PASSWORD_HINT.contains(&format!("At least {} characters", crate::account::PASSWORD_MIN))
        );
    }
}
