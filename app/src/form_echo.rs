//! What a refused plain form post said and what had been typed into it: plain data, kept by
//! the server under a token and shown again on the form's page.

use serde::{Deserialize, Serialize};

use crate::error::Rejection;

/// The field name under which a refusal carries a failure that is no field's fault.
pub const FORM_FIELD: &str = "form";

/// The name under which an echo records which form on the page it came from.
pub(crate) const FORM_ID: &str = "form_id";

/// What a refused plain form post said, and what had been typed into it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormEcho {
    pub rejection: Option<Rejection>,
    pub values: Vec<(String, String)>,
}

impl FormEcho {
    /// This echo if it came from the form `form` on the page, else an empty one: a page with
    /// several forms shows each refusal on the form that was sent.
    pub fn for_form(&self, form: &str) -> FormEcho {
        if self.value(FORM_ID).as_deref() == Some(form) {
            self.clone()
        } else {
            FormEcho::default()
        }
    }

    /// What was typed into `field` before the refusal, or else `stored`.
    pub fn value_or(&self, field: &str, stored: &str) -> String {
        self.value(field).unwrap_or_else(|| stored.to_owned())
    }

    /// What was typed into `field` before the refusal.
    pub fn value(&self, field: &str) -> Option<String> {
        self.values
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, v)| v.clone())
    }
}
