//! The header's account menu: who is signed in, their settings, and signing out.

use leptos::prelude::*;
use leptos::server;
use leptos::server_fn::codec::Postcard;
use leptos_router::components::A;

use crate::error::AppError;
use crate::plain_form::ServerForm;
use crate::wire;

/// The email address of the signed-in account, if any.
#[server(input = crate::wire::Fields, output = Postcard)]
pub async fn signed_in_as() -> Result<Option<String>, AppError> {
    Ok(crate::backend::signed_in().map(|s| s.email))
}

/// Ends this browser's session and sends it to the sign-in page.
#[server(input = crate::wire::Fields, output = Postcard)]
pub async fn sign_out() -> Result<(), AppError> {
    use leptos_axum::ResponseOptions;
    if let Some(signed_in) = crate::backend::signed_in() {
        crate::backend::backend()?.sign_out(&signed_in.session).await?;
    }
    if let Some(response) = use_context::<ResponseOptions>() {
        response.append_header(
            axum::http::header::SET_COOKIE,
            crate::backend::cleared_session_cookie(),
        );
    }
    leptos_axum::redirect("/sign-in");
    Ok(())
}

#[component]
pub fn AccountMenu() -> impl IntoView {
    let account = wire::load_blocking(|| (), |_| signed_in_as());
    let sign_out = ServerAction::<SignOut>::new();
    // Signing out forgets the whole page, not just the header.
    Effect::new(move |_| {
        if let Some(Ok(())) = sign_out.value().get() {
            #[cfg(feature = "hydrate")]
            let _ = window().location().set_href("/sign-in");
        }
    });
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match account.await {
                    Ok(Some(email)) => view! {
                        <nav class="main-nav" aria-label="Main">
                            <A href="/contacts">"Contacts"</A>
                            <A href="/events">"Events"</A>
                            <A href="/settings">"Settings"</A>
                            <A href="/status">"Status"</A>
                        </nav>
                        <div class="account">
                            <span class="account-email" title="Signed in as">{email}</span>
                            <ServerForm action=sign_out>
                                <button type="submit" class="link-button">"Sign out"</button>
                            </ServerForm>
                        </div>
                    }
                    .into_any(),
                    _ => view! {
                        <nav class="main-nav" aria-label="Account">
                            <A href="/sign-in">"Sign in"</A>
                            <A href="/sign-up">"Sign up"</A>
                        </nav>
                    }
                    .into_any(),
                }
            })}
        </Suspense>
    }
}
