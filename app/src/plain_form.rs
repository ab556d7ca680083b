//! Forms that work before hydration (or with JavaScript off), the seed's way.
//!
//! A plain `<form>` post to a command gets a redirect instead of data: on success to the
//! "Processing..." page, which refreshes itself until the page's projection has applied the
//! event; on a refusal back to the form's page, with the messages and what was typed carried
//! in the query string so the page can show them and nothing typed is lost.

use leptos_router::params::ParamsMap;

use crate::error::Rejection;

/// What a refused plain form post left in the query string of the form's page.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FormEcho {
    pub rejection: Option<Rejection>,
    values: Vec<(String, String)>,
}

impl FormEcho {
    /// Reads the echo from a page's query; empty when the page was not reached by a refusal.
    pub fn from_query(query: &ParamsMap) -> Self {
        let mut errors = Vec::new();
        let mut values = Vec::new();
        for (key, value) in query.clone() {
            if let Some(field) = key.strip_prefix("error.") {
                errors.push(crate::error::FieldError::new(field, value));
            } else if let Some(field) = key.strip_prefix("form.") {
                values.push((field.to_owned(), value));
            }
        }
        let rejection = (!errors.is_empty()).then_some(Rejection { errors });
        Self { rejection, values }
    }

    /// What was typed into `field` before the refusal.
    pub fn value(&self, field: &str) -> Option<String> {
        self.values
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, v)| v.clone())
    }
}

/// Where a refused plain form post goes: `page`, carrying the messages and the typed values.
pub fn refusal_url(page: &str, rejection: &Rejection, values: &[(&str, &str)]) -> String {
    let mut pairs: Vec<String> = rejection
        .errors
        .iter()
        .map(|e| format!("error.{}={}", e.field, urlencoding::encode(&e.message)))
        .collect();
    pairs.extend(
        values
            .iter()
            .map(|(field, value)| format!("form.{field}={}", urlencoding::encode(value))),
    );
    format!("{page}?{}", pairs.join("&"))
}

/// The "Processing..." page that waits for `projection` to apply `event_id`, then goes to `next`.
pub fn processing_url(projection: crate::views::ProjectionName, event_id: i64, next: &str) -> String {
    format!(
        "/processing?projection={projection}&event={event_id}&next={}",
        urlencoding::encode(next)
    )
}

/// Only local paths may be redirected to, so a crafted link cannot send people elsewhere.
pub fn safe_next(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next
    } else {
        "/contacts"
    }
}

#[cfg(feature = "ssr")]
mod redirects {
    use axum::http::{header::ACCEPT, request::Parts};
    use leptos::prelude::use_context;

    use super::{processing_url, refusal_url};
    use crate::error::CommandOutcome;
    use crate::views::ProjectionName;

    /// True when the request is a plain HTML form post rather than a call from the hydrated app.
    pub fn is_plain_form_post() -> bool {
        use_context::<Parts>()
            .and_then(|parts| parts.headers.get(ACCEPT)?.to_str().ok().map(str::to_owned))
            .is_some_and(|accept| accept.contains("text/html"))
    }

    /// Sends a plain form post on: to the processing page for `next`, or back to `form_page`.
    /// Does nothing for calls from the hydrated app, which wait for the projection themselves.
    pub fn follow_up(
        outcome: &CommandOutcome,
        projection: ProjectionName,
        next: &str,
        form_page: &str,
        values: &[(&str, &str)],
    ) {
        if !is_plain_form_post() {
            return;
        }
        let target = match outcome {
            CommandOutcome::Accepted(receipt) => processing_url(projection, receipt.event_id, next),
            CommandOutcome::Rejected(rejection) => refusal_url(form_page, rejection, values),
        };
        leptos_axum::redirect(&target);
    }
}

#[cfg(feature = "ssr")]
pub use redirects::follow_up;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::FieldError;

    #[test]
    fn a_refusal_round_trips_through_the_query_string() {
        let rejection = Rejection {
            errors: vec![FieldError::new(
                "name",
                "A contact named \"Bob & Co\" already exists.",
            )],
        };
        let url = refusal_url(
            "/contacts",
            &rejection,
            &[("name", "Bob & Co"), ("description", "50% off?")],
        );
        let query = url.split_once('?').unwrap().1;
        let echo = FormEcho::from_query(&ParamsMap::from_iter(query.split('&').map(|pair| {
            let (k, v) = pair.split_once('=').unwrap();
            (k.to_owned(), urlencoding::decode(v).unwrap().into_owned())
        })));
        assert_eq!(echo.rejection, Some(rejection));
        assert_eq!(echo.value("name").as_deref(), Some("Bob & Co"));
        assert_eq!(echo.value("description").as_deref(), Some("50% off?"));
        assert_eq!(echo.value("contact_method"), None);
    }

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(safe_next("/contacts/Bob"), "/contacts/Bob");
        assert_eq!(safe_next("//evil.example"), "/contacts");
        assert_eq!(safe_next("https://evil.example"), "/contacts");
        assert_eq!(safe_next("/\\evil.example"), "/contacts");
    }
}
