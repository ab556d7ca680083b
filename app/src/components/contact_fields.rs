//! The fields of a contact (name, description, contact method), shared by the add and edit forms.

use leptos::prelude::*;

use crate::components::field::Field;
use crate::components::notice::{RejectionSummary, field_error};
use crate::contact::{CONTACT_METHOD_MAX, ContactForm, DESCRIPTION_MAX, NAME_MAX};
use crate::error::Rejection;

const FIELDS: &[&str] = &["name", "description", "contact_method"];

/// The three contact fields with their errors, and a summary of any error no field shows.
#[component]
pub fn ContactFields(
    /// Makes element ids unique on the page.
    form: &'static str,
    /// What the fields start with.
    initial: ContactForm,
    #[prop(into)] rejection: Signal<Option<Rejection>>,
) -> impl IntoView {
    let error_for = move |field: &'static str| field_error(rejection, field);
    view! {
        <RejectionSummary rejection except=FIELDS />
        <Field form name="name" label="Name" value=initial.name error=error_for("name") maxlength=NAME_MAX required=true />
        <Field
            form
            name="description"
            label="Description"
            value=initial.description
            error=error_for("description")
            maxlength=DESCRIPTION_MAX
            multiline=true
            hint="How you know them, or who they are."
        />
        <Field
            form
            name="contact_method"
            label="Contact method"
            value=initial.contact_method
            error=error_for("contact_method")
            maxlength=CONTACT_METHOD_MAX
            hint="An email address, a phone number, a web address or a handle. The first three become links."
        />
    }
}
