//! What makes a contact's fields valid, checked the same way in the browser and on the server.
//!
//! Commands turn raw form input into typed events here; the limits match the event schemas
//! (a test keeps them in step), so a person sees the same message whether the browser or the
//! store catches the problem.

use crate::error::{FieldError, Rejection};
use crate::events::{ContactCreated, ContactDeleted, ContactEdited};

pub const NAME_MAX: usize = 200;
pub const DESCRIPTION_MAX: usize = 2000;
pub const CONTACT_METHOD_MAX: usize = 500;

/// The fields of the contact form, as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContactForm {
    pub name: String,
    pub description: String,
    pub contact_method: String,
}

/// The cleaned fields, ready to become an event.
struct Fields {
    name: String,
    description: String,
    contact_method: String,
}

impl ContactForm {
    fn check(self) -> Result<Fields, Rejection> {
        let mut errors = Vec::new();
        let name = normalize_name(&self.name);
        if name.is_empty() {
            errors.push(FieldError::new("name", "Name is required."));
        }
        check_length(&mut errors, "name", "Name", &name, NAME_MAX);
        let description = self.description.trim().to_owned();
        check_length(
            &mut errors,
            "description",
            "Description",
            &description,
            DESCRIPTION_MAX,
        );
        let contact_method = self.contact_method.trim().to_owned();
        check_length(
            &mut errors,
            "contact_method",
            "Contact method",
            &contact_method,
            CONTACT_METHOD_MAX,
        );
        if errors.is_empty() {
            Ok(Fields {
                name,
                description,
                contact_method,
            })
        } else {
            Err(Rejection { errors })
        }
    }

    /// The "contact created" event for this form, or what is wrong with it.
    pub fn create(self) -> Result<ContactCreated, Rejection> {
        let Fields {
            name,
            description,
            contact_method,
        } = self.check()?;
        Ok(ContactCreated {
            name,
            description,
            contact_method,
        })
    }

    /// The "contact edited" event that turns the contact called `current_name` into this form.
    pub fn edit(self, current_name: &str) -> Result<ContactEdited, Rejection> {
        let Fields {
            name,
            description,
            contact_method,
        } = self.check()?;
        let new_name = (name != current_name).then_some(name);
        Ok(ContactEdited {
            name: current_name.to_owned(),
            new_name,
            description,
            contact_method,
        })
    }
}

/// The "contact deleted" event for the contact called `name`.
pub fn delete(name: &str) -> Result<ContactDeleted, Rejection> {
    if name.trim().is_empty() {
        return Err(Rejection::one("name", "Name is required."));
    }
    Ok(ContactDeleted {
        name: name.to_owned(),
    })
}

/// Names are keys: "Ada  Lovelace " and "Ada Lovelace" must be the same contact.
pub fn normalize_name(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn check_length(errors: &mut Vec<FieldError>, field: &str, label: &str, value: &str, max: usize) {
    let length = value.chars().count();
    if length > max {
        errors.push(FieldError::new(
            field,
            format!("{label} is too long: {length} characters, at most {max}."),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{EVENT_TYPES, Payload};

    fn form(name: &str, description: &str, contact_method: &str) -> ContactForm {
        ContactForm {
            name: name.into(),
            description: description.into(),
            contact_method: contact_method.into(),
        }
    }

    #[test]
    fn a_name_is_required_and_trimmed() {
        let rejected = form("   ", "", "").create().unwrap_err();
        assert_eq!(rejected.for_field("name"), Some("Name is required."));
        let created = form("  Ada   Lovelace ", " Analyst ", "").create().unwrap();
        assert_eq!(created.name, "Ada Lovelace");
        assert_eq!(created.description, "Analyst");
    }

    #[test]
    fn every_field_that_is_too_long_is_named() {
        let rejected = form(&"n".repeat(201), &"d".repeat(2001), &"c".repeat(501))
            .create()
            .unwrap_err();
        let fields: Vec<&str> = rejected.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "description", "contact_method"]);
    }

    #[test]
    fn an_edit_names_the_new_name_only_when_it_changes() {
        let same = form("Bob", "Friend", "").edit("Bob").unwrap();
        assert_eq!(same.new_name, None);
        let renamed = form("Robert", "Friend", "").edit("Bob").unwrap();
        assert_eq!(
            (renamed.name.as_str(), renamed.new_name.as_deref()),
            ("Bob", Some("Robert"))
        );
    }

    #[test]
    fn the_limits_here_match_the_schemas() {
        for event_type in EVENT_TYPES.iter().filter(|t| t.name.starts_with("contact-")) {
            let schema: serde_json::Value = serde_json::from_str(event_type.schema).unwrap();
            for (field, max) in [
                ("name", NAME_MAX),
                ("new_name", NAME_MAX),
                ("description", DESCRIPTION_MAX),
                ("contact_method", CONTACT_METHOD_MAX),
            ] {
                if let Some(limit) = schema["properties"][field]["maxLength"].as_u64() {
                    assert_eq!(limit as usize, max, "{event_type} {field}");
                }
            }
        }
        assert_eq!(ContactCreated::TYPE.name, "contact-created");
    }
}
