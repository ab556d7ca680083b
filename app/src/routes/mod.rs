//! One module per page, each with the server functions it calls, and the lazy routes: the code
//! of a page behind one reaches the browser only when the page is first shown.

pub mod chunks;
pub mod contact;
pub mod contacts;
pub mod events;
pub mod not_found;
pub mod processing;
pub mod settings;
pub mod sign_in;
pub mod sign_up;
pub mod status;

use leptos::prelude::*;
use leptos_router::{LazyRoute, lazy_route};

/// Declares for each page a route (`Lazy::<Route>::new()` in the router) whose view is split
/// out of the main WebAssembly: `cargo leptos build --split` gives each its own chunk, loaded
/// when the page is first shown (the server's page names the chunks it needs, see [`chunks`],
/// so the browser fetches them beside the main one). Built without `--split`, all stay in one bundle.
macro_rules! lazy_pages {
    ($($route:ident => $page:path),* $(,)?) => {$(
        #[doc = concat!("The lazy route of [`", stringify!($page), "`].")]
        pub struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            fn view(_this: Self) -> AnyView {
                chunks::preload(stringify!($route));
                $page().into_any()
            }
        }
    )*};
}

// The pages people open first, `/contacts` (signed in) and `/sign-in` (not yet), stay in the
// main module: split off, a first visit would fetch them as dozens of small chunks, more bytes
// in all than unsplit (small modules compress less well), and they share most of their code
// with the main module anyway. Every other page is a lazy route.
lazy_pages! {
    ContactRoute => contact::ContactPage,
    EventsRoute => events::EventsPage,
    ProcessingRoute => processing::ProcessingPage,
    SettingsRoute => settings::SettingsPage,
    SignUpRoute => sign_up::SignUpPage,
    StatusRoute => status::StatusPage,
}
