//! Kith, an event-sourced personal CRM: the crate shared by the browser and the server.
//!
//! It holds the contract between them: the event types and their schemas, the views pages
//! render, the receipt, the server functions (commands and queries) and the pages themselves.
//! Server-only code sits behind the `ssr` feature so it never reaches the WebAssembly build.

pub mod account;
#[cfg(feature = "ssr")]
pub mod backend;
pub mod catch_up;
pub mod clock;
pub mod components;
pub mod contact;
pub mod contact_method;
pub mod error;
pub mod events;
pub mod form_echo;
pub mod interaction;
pub mod names;
pub mod plain_form;
pub mod raw_text;
pub mod receipt;
pub mod routes;
pub mod url;
pub mod views;
pub mod wire;

use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags, Title, provide_meta_context};
use leptos_router::components::{A, Redirect, Route, Router, Routes};
use leptos_router::{Lazy, SsrMode, path};

use components::account_menu::AccountMenu;
use routes::contacts::ContactsPage;
use routes::not_found::NotFound;
use routes::sign_in::SignInPage;
use routes::{ContactRoute, EventsRoute, ProcessingRoute, SettingsRoute, SignUpRoute, StatusRoute};

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <meta
                    name="description"
                    content="Kith, a personal CRM: the people you know, what you last talked about, and when to meet again."
                />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <AutoReload options=options.clone() />
                <HashedStylesheet options=options.clone() id="leptos" />
                // The app's code loads at low priority and hydrates once the browser is idle:
                // the page is readable first, and its links and forms work as plain HTML
                // until then.
                <HydrationScripts options defer=true />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The document's title for a page titled `page` (a contact's name, say).
fn page_title(page: String) -> String {
    let title = if page.is_empty() {
        "Kith".to_owned()
    } else {
        format!("{page} · Kith")
    };
    raw_text::escaped(title)
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Marks the page once the browser app has taken over (end-to-end tests wait for it).
    #[cfg(feature = "hydrate")]
    Effect::new(|| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    view! {
        <Title formatter=page_title />
        <Router>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <header class="site-header">
                <A href="/contacts" attr:class="brand">"Kith"</A>
                <AccountMenu />
            </header>
            <main id="main">
                // Pages render whole on the server (async mode) so that they are complete
                // without JavaScript; the hydrated app then takes over navigation, loading
                // each page's code when the page is first shown (see `routes`).
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=|| view! { <Redirect path="/contacts" /> } ssr=SsrMode::Async />
                    <Route path=path!("/contacts") view=ContactsPage ssr=SsrMode::Async />
                    <Route path=path!("/contacts/:name") view={Lazy::<ContactRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/events") view={Lazy::<EventsRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/processing") view={Lazy::<ProcessingRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/settings") view={Lazy::<SettingsRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/sign-in") view=SignInPage ssr=SsrMode::Async />
                    <Route path=path!("/sign-up") view={Lazy::<SignUpRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/status") view={Lazy::<StatusRoute>::new()} ssr=SsrMode::Async />
                </Routes>
            </main>
        </Router>
    }
}
