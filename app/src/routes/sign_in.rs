//! The sign-in page, `/sign-in`: email address and password, then on to the page the visitor
//! wanted (`?next=`) or their contacts.

use leptos::prelude::*;
use leptos::server;
use leptos::server_fn::codec::Postcard;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_location;

use crate::account::{AuthOutcome, EMAIL_MAX, PASSWORD_MAX};
use crate::components::field::Field;
use crate::components::notice::{RejectionSummary, field_error, shown_rejection};
use crate::error::AppError;
use crate::plain_form::{ServerForm, use_form_echo};
use crate::url::query_value;

/// Signs in: on success the session cookie is set and the browser goes on to `next`.
#[server(input = crate::wire::Fields, output = Postcard)]
pub async fn sign_in(email: String, password: String, next: String) -> Result<AuthOutcome, AppError> {
    let outcome = crate::backend::backend()?.sign_in(&email, &password).await?;
    let form_page = match next.as_str() {
        "/contacts" => "/sign-in".to_owned(),
        next => format!("/sign-in?next={}", urlencoding::encode(next)),
    };
    Ok(session::finish(outcome, &next, (&form_page, "sign-in"), &[("email", &email)]).await)
}

#[cfg(feature = "ssr")]
pub(crate) mod session {
    use leptos::prelude::use_context;
    use leptos_axum::ResponseOptions;

    use crate::account::{AuthOutcome, local_path};
    use crate::backend::{SessionOutcome, session_cookie};
    use crate::plain_form::{is_plain_form_post, return_refused};

    /// Sets the session cookie and sends the browser on, or back to the form with the refusal.
    pub async fn finish(
        outcome: SessionOutcome,
        next: &str,
        form: (&str, &str),
        values: &[(&str, &str)],
    ) -> AuthOutcome {
        match outcome {
            Ok(token) => {
                let headers = use_context::<axum::http::request::Parts>()
                    .map(|parts| parts.headers)
                    .unwrap_or_default();
                if let Some(response) = use_context::<ResponseOptions>() {
                    response.append_header(axum::http::header::SET_COOKIE, session_cookie(&token, &headers));
                }
                let next = local_path(next).unwrap_or_else(|| "/contacts".to_owned());
                if is_plain_form_post() {
                    leptos_axum::redirect(&next);
                }
                AuthOutcome::SignedIn { next }
            }
            Err(rejection) => {
                if is_plain_form_post() {
                    return_refused(rejection.clone(), form, values).await;
                }
                AuthOutcome::Rejected(rejection)
            }
        }
    }
}

/// After signing in, the whole page is loaded afresh so that every part of it is the account's.
pub(crate) fn go_on_after_auth(outcome: impl Fn() -> Option<Result<AuthOutcome, AppError>> + 'static) {
    Effect::new(move |_| {
        if let Some(Ok(AuthOutcome::SignedIn { next })) = outcome() {
            #[cfg(feature = "hydrate")]
            let _ = window().location().set_href(&next);
            #[cfg(not(feature = "hydrate"))]
            let _ = next;
        }
    });
}

#[component]
pub fn SignInPage() -> impl IntoView {
    let search = use_location().search.get_untracked();
    // Checked by the server when the form comes back (`local_path`), never followed as it is.
    let next = query_value(&search, "next").unwrap_or_else(|| "/contacts".to_owned());
    let echo = use_form_echo();
    let action = ServerAction::<SignIn>::new();
    go_on_after_auth(move || action.value().get());
    view! {
        <Title text="Sign in" />
        <div class="page narrow">
            <section class="card" aria-labelledby="sign-in-heading">
                <h1 id="sign-in-heading">"Sign in to Kith"</h1>
                <Suspense fallback=|| ()>
                    {
                        let next = next.clone();
                        move || {
                            let next = next.clone();
                            Suspend::new(async move {
                                let echo = echo.await.unwrap_or_default().for_form("sign-in");
                                let email = echo.value("email").unwrap_or_default();
                                let rejection = shown_rejection(move || action.value().get(), echo);
                                let error_for = move |field: &'static str| field_error(rejection, field);
                                view! {
                                    <ServerForm action attr:novalidate="true">
                                        <RejectionSummary rejection except=&["email", "password"] />
                                        <input type="hidden" name="next" value=next />
                                        <Field
                                            form="sign-in"
                                            name="email"
                                            label="Email address"
                                            value=email
                                            error=error_for("email")
                                            maxlength=EMAIL_MAX
                                            required=true
                                            input_type="email"
                                            autocomplete="email"
                                        />
                                        <Field
                                            form="sign-in"
                                            name="password"
                                            label="Password"
                                            value=""
                                            error=error_for("password")
                                            maxlength=PASSWORD_MAX
                                            required=true
                                            input_type="password"
                                            autocomplete="current-password"
                                        />
                                        <div class="actions">
                                            <button type="submit" class="primary" disabled=move || action.pending().get()>
                                                "Sign in"
                                            </button>
                                        </div>
                                    </ServerForm>
                                }
                            })
                        }
                    }
                </Suspense>
                <p class="aside">"New here? " <A href="/sign-up">"Create an account"</A> "."</p>
            </section>
        </div>
    }
}
