//! Forms that work before hydration (or with JavaScript off), the seed's way.
//!
//! A plain `<form>` post to a command gets a redirect instead of data: on success to the
//! "Processing..." page, which refreshes itself until the page's projection has applied the
//! event; on a refusal back to the form's page. What the refusal said and what was typed are
//! kept on the server under a random token (`?refused=<token>`), never in the URL: nothing
//! typed is lost, private text stays out of addresses and logs, and a crafted link cannot put
//! words into the app's mouth.

use crate::error::AppError;
use crate::form_echo::FormEcho;
use crate::url::{contact_path, query_value};
use crate::wire;
use leptos::prelude::*;
use leptos::server;
use leptos::server_fn::codec::Postcard;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use leptos::server_fn::{Http, ServerFn};
use leptos_router::hooks::use_location;
use serde::de::DeserializeOwned;

/// A form bound to a server function. Before hydration (or with JavaScript off) the browser
/// posts its fields to the function's URL and follows the redirect it answers with; once
/// hydrated, submitting reads the same fields into the function's arguments and dispatches
/// `action` in place. Attributes given as `attr:name` land on the `<form>`.
#[component]
pub fn ServerForm<ServFn>(
    action: ServerAction<ServFn>,
    /// The `<form>` element, for a caller that resets it after a success.
    #[prop(optional)]
    node_ref: Option<NodeRef<leptos::html::Form>>,
    children: Children,
) -> impl IntoView
where
    ServFn: DeserializeOwned
        + ServerFn<Protocol = Http<wire::Fields, Postcard>, Error = AppError>
        + Clone
        + Send
        + Sync
        + 'static,
    ServFn::Output: Send + Sync + 'static,
{
    let form = node_ref.unwrap_or_default();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        if ev.default_prevented() {
            return;
        }
        ev.prevent_default();
        let Some(element) = form.get_untracked() else {
            return;
        };
        match wire::fields_of::<ServFn>(&element) {
            Ok(arguments) => {
                action.dispatch(arguments);
            }
            Err(message) => {
                let error = AppError::from_server_fn_error(ServerFnErrorErr::Args(message));
                action.value().set(Some(Err(error)));
                action.version().update(|version| *version += 1);
            }
        }
    };
    view! {
        <form action=ServFn::url() method="post" node_ref=form on:submit=on_submit>
            {children()}
        </form>
    }
}

/// The refusal kept under `token`, if it is still there.
#[server(input = crate::wire::Fields, output = Postcard)]
pub async fn form_refusal(token: String) -> Result<Option<FormEcho>, AppError> {
    let session = crate::backend::signed_in().map(|s| s.session);
    crate::backend::backend()?
        .refusal(session.as_deref(), &token)
        .await
}

/// The refusal that brought the browser to this page (`?refused=<token>`), if any.
pub fn use_form_echo() -> wire::Loaded<Option<FormEcho>> {
    let location = use_location();
    let token = move || query_value(&location.search.get(), "refused");
    wire::load_blocking(token, |token| async move {
        match token {
            Some(token) => form_refusal(token).await.ok().flatten(),
            None => None,
        }
    })
}

/// Where the browser goes once the change shows: a fixed set of pages, never a URL taken from
/// the request, so no link can send anyone elsewhere.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NextPage {
    Contacts,
    Contact(String),
    Settings,
}

impl NextPage {
    pub fn path(&self) -> String {
        match self {
            Self::Contacts => "/contacts".to_owned(),
            Self::Contact(name) => contact_path(name),
            Self::Settings => "/settings".to_owned(),
        }
    }

    /// The query parameters that name this page.
    fn to_query(&self) -> String {
        match self {
            Self::Contacts => String::new(),
            Self::Contact(name) => format!("&contact={}", urlencoding::encode(name)),
            Self::Settings => "&next=settings".to_owned(),
        }
    }

    pub fn from_query(search: &str) -> Self {
        match (query_value(search, "contact"), query_value(search, "next")) {
            (Some(name), _) => Self::Contact(name),
            (None, Some(next)) if next == "settings" => Self::Settings,
            _ => Self::Contacts,
        }
    }
}

/// The "Processing..." page that waits for `projection` to apply `event_id`, then goes to `next`.
pub fn processing_url(
    projection: crate::views::ProjectionName,
    event_id: i64,
    next: &NextPage,
    attempt: u32,
) -> String {
    format!(
        "/processing?projection={projection}&event={event_id}{}&attempt={attempt}",
        next.to_query()
    )
}

#[cfg(feature = "ssr")]
mod redirects {
    use axum::http::{header::ACCEPT, request::Parts};
    use leptos::prelude::use_context;

    use super::{NextPage, processing_url};
    use crate::error::{AppError, CommandOutcome, Rejection};
    use crate::form_echo::{FORM_FIELD, FORM_ID, FormEcho};
    use crate::views::ProjectionName;

    /// True when the request is a plain HTML form post rather than a call from the hydrated app.
    pub fn is_plain_form_post() -> bool {
        use_context::<Parts>()
            .and_then(|parts| parts.headers.get(ACCEPT)?.to_str().ok().map(str::to_owned))
            .is_some_and(|accept| accept.contains("text/html"))
    }

    /// Sends a plain form post on: to the processing page for `next`, or back to the form
    /// (`form`: its page and its id there) with the refusal kept for it. Does nothing for calls from the hydrated app, which wait
    /// for the projection themselves.
    pub async fn follow_up(
        result: &Result<CommandOutcome, AppError>,
        projection: ProjectionName,
        next: NextPage,
        form: (&str, &str),
        values: &[(&str, &str)],
    ) {
        if !is_plain_form_post() {
            return;
        }
        let rejection = match result {
            Ok(CommandOutcome::Accepted(receipt)) => {
                return leptos_axum::redirect(&processing_url(projection, receipt.event_id, &next, 0));
            }
            Ok(CommandOutcome::Rejected(rejection)) => rejection.clone(),
            Err(error) => Rejection::one(FORM_FIELD, error.to_string()),
        };
        return_refused(rejection, form, values).await;
    }

    /// Sends a refused plain form post back to its page, with the refusal and what was typed
    /// kept for this browser session. `form` is the page and the form's id on it.
    pub async fn return_refused(rejection: Rejection, form: (&str, &str), values: &[(&str, &str)]) {
        let (form_page, form_id) = form;
        let echo = FormEcho {
            rejection: Some(rejection),
            values: values
                .iter()
                .map(|(f, v)| (f.to_string(), v.to_string()))
                .chain([(FORM_ID.to_owned(), form_id.to_owned())])
                .collect(),
        };
        let session = crate::backend::signed_in().map(|s| s.session);
        let kept = match crate::backend::backend() {
            Ok(backend) => backend.keep_refusal(session.as_deref(), &echo).await,
            Err(error) => Err(error),
        };
        let separator = if form_page.contains('?') { '&' } else { '?' };
        match kept {
            Ok(token) => leptos_axum::redirect(&format!("{form_page}{separator}refused={token}")),
            // Nowhere to keep it: the post's own answer is the error.
            Err(error) => tracing::error!(%error, "could not keep a refused form"),
        }
    }
}

#[cfg(feature = "ssr")]
pub use redirects::{follow_up, is_plain_form_post, return_refused};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_page_survives_the_processing_url() {
        for next in [
            NextPage::Contacts,
            NextPage::Contact("AC/DC 100%41 Who? C# & co".into()),
            NextPage::Settings,
        ] {
            let url = processing_url(crate::views::ProjectionName::Contacts, 7, &next, 0);
            let search = url.split_once('?').unwrap().1;
            assert_eq!(NextPage::from_query(search), next, "{url}");
            assert_eq!(query_value(search, "event").as_deref(), Some("7"));
        }
        assert_eq!(NextPage::Contact("A/B".into()).path(), "/contacts/A%2FB");
    }
}
