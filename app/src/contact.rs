//! What makes a contact's fields valid, checked the same way in the browser and on the server.
//!
//! Commands turn raw form input into typed events here; the limits match the event schemas
//! (a test keeps them in step), so a person sees the same message whether the browser or the
//! store catches the problem.

use crate::error::{FieldError, Rejection};
use crate::events::{ContactCreated, ContactDeleted, ContactEdited, ContactMethod};

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
    /// What was typed into the form before a refusal, field by field, or else `fallback`.
    pub fn from_echo(echo: &crate::form_echo::FormEcho, fallback: &ContactForm) -> Self {
        Self {
            name: echo.value_or("name", &fallback.name),
            description: echo.value_or("description", &fallback.description),
            contact_method: echo.value_or("contact_method", &fallback.contact_method),
        }
    }

    /// The fields as typed, by name, to keep with a refusal.
    pub fn typed(&self) -> [(&'static str, &str); 3] {
        [
            ("name", &self.name),
            ("description", &self.description),
            ("contact_method", &self.contact_method),
        ]
    }

    fn check(self) -> Result<Fields, Rejection> {
        let mut errors = Vec::new();
        let name = normalize_name(&self.name);
        if name.is_empty() {
            errors.push(FieldError::new("name", "Name is required."));
        } else if name == "." || name == ".." {
            // A page address cannot end in "." or ".." (browsers resolve them away).
            errors.push(FieldError::new("name", "Name must be more than dots."));
        } else if let Some(problem) = crate::names::problem("Name", &name) {
            errors.push(FieldError::new("name", problem));
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
            contact_method: ContactMethod::recognize(&contact_method),
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
            contact_method: ContactMethod::recognize(&contact_method),
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

/// Names are keys: "Ada  Lovelace " and "Ada Lovelace" must be the same contact, and so must
/// "Émile" however its É was typed (see [`crate::names::normalize`]).
pub fn normalize_name(text: &str) -> String {
    crate::names::normalize(text)
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
    use crate::events::EVENT_TYPES;

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
    fn a_name_must_be_usable_in_an_address() {
        for name in [".", "..", "bell\u{7}inside"] {
            let rejected = form(name, "", "").create().unwrap_err();
            assert!(rejected.for_field("name").is_some(), "{name:?} was accepted");
        }
        for name in ["...", "AC/DC", "100%41", "Who? C# & co", "Émile Zola"] {
            assert_eq!(form(name, "", "").create().unwrap().name, name);
        }
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
        let limits = [
            ("name", NAME_MAX),
            ("new_name", NAME_MAX),
            ("description", DESCRIPTION_MAX),
            ("contact_method", CONTACT_METHOD_MAX),
        ];
        let mut checked = 0;
        for event_type in EVENT_TYPES.iter().filter(|t| t.name.starts_with("contact-")) {
            let schema: serde_json::Value = serde_json::from_str(event_type.schema).unwrap();
            let properties = schema["properties"].as_object().expect("an object schema");
            for (field, definition) in properties {
                let (_, max) = limits
                    .iter()
                    .find(|(name, _)| name == field)
                    .unwrap_or_else(|| panic!("{event_type}: no limit is known for {field}"));
                // A structured contact method limits the length of its value.
                let limit = definition["maxLength"]
                    .as_u64()
                    .or_else(|| definition["properties"]["value"]["maxLength"].as_u64());
                assert_eq!(limit, Some(*max as u64), "{event_type} {field}");
                checked += 1;
            }
        }
        assert_eq!(
            checked, 15,
            "every property of the three contact events, in every version, was checked"
        );
    }
}
