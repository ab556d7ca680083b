//! The page for addresses that lead nowhere.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found" />
        <section class="card empty">
            <h1>"Nothing here"</h1>
            <p>"This address does not lead to a page. " <A href="/contacts">"Go to your contacts"</A> "."</p>
        </section>
    }
}
