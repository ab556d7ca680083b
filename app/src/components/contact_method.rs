//! A contact method as pages show it: a link for an email address, a phone number or a web
//! address; text for anything else; a dash for none.

use leptos::prelude::*;

use crate::events::ContactMethod;

#[component]
pub fn ContactMethodText(method: Option<ContactMethod>) -> impl IntoView {
    match method {
        None => "—".into_any(),
        Some(method) => match method.href() {
            Some(href) => {
                let class = format!("contact-method contact-method-{}", method.kind.as_str());
                view! { <a href=href class=class>{method.value}</a> }.into_any()
            }
            None => view! { <span>{method.value}</span> }.into_any(),
        },
    }
}
