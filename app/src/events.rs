//! The event types of the stream: their names, versions, JSON Schemas and typed payloads.
//!
//! Each event type is declared once in [`event_types!`] below. The declaration embeds the
//! schema file `schemas/<name>/v<version>.json`, so the schema the store validates against is
//! the one in the repository, and adding an event type is a schema file, a payload struct and
//! one line here.

use serde::{Deserialize, Serialize, de::DeserializeOwned};
use serde_json::Value;

/// A named, versioned event type and its JSON Schema (the text of its file under `schemas/`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventType {
    pub name: &'static str,
    pub version: i32,
    pub schema: &'static str,
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} v{}", self.name, self.version)
    }
}

/// A typed payload of one event type.
pub trait Payload: Serialize + DeserializeOwned {
    const TYPE: EventType;
}

/// An event's payload could not be turned into a typed [`Event`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("unknown event type {name} v{version}")]
    UnknownType { name: String, version: i32 },
    #[error("payload of {event_type} does not match its type: {reason}")]
    Payload { event_type: String, reason: String },
}

macro_rules! event_types {
    ($($variant:ident => $name:literal v $version:literal),+ $(,)?) => {
        /// Every event the application knows, with its typed payload.
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub enum Event {
            $($variant($variant),)+
        }

        $(impl Payload for $variant {
            const TYPE: EventType = EventType {
                name: $name,
                version: $version,
                schema: include_str!(concat!("../../schemas/", $name, "/v", $version, ".json")),
            };
        })+

        /// Every event type, in every version the application can read.
        pub const EVENT_TYPES: &[EventType] = &[$(<$variant as Payload>::TYPE,)+];

        impl Event {
            pub fn event_type(&self) -> EventType {
                match self {
                    $(Self::$variant(_) => <$variant as Payload>::TYPE,)+
                }
            }

            /// The payload as stored in the stream.
            pub fn to_payload(&self) -> Value {
                let value = match self {
                    $(Self::$variant(payload) => serde_json::to_value(payload),)+
                };
                value.expect("event payloads are plain structs that always serialize")
            }

            /// Reads a stored payload back into a typed event.
            pub fn from_payload(name: &str, version: i32, payload: Value) -> Result<Self, DecodeError> {
                $(if name == $name && version == $version {
                    return serde_json::from_value(payload).map(Self::$variant).map_err(|e| {
                        DecodeError::Payload {
                            event_type: format!("{} v{}", $name, $version),
                            reason: e.to_string(),
                        }
                    });
                })+
                Err(DecodeError::UnknownType { name: name.to_owned(), version })
            }
        }

        $(impl From<$variant> for Event {
            fn from(payload: $variant) -> Self {
                Self::$variant(payload)
            }
        })+
    };
}

event_types! {
    ContactCreated => "contact-created" v 1,
    ContactEdited => "contact-edited" v 1,
    ContactDeleted => "contact-deleted" v 1,
}

/// An account added a contact. With the account, `name` is the contact's natural key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactCreated {
    pub name: String,
    pub description: String,
    pub contact_method: String,
}

/// An account changed a contact's details; `new_name` is set when the contact was renamed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactEdited {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_name: Option<String>,
    pub description: String,
    pub contact_method: String,
}

/// An account deleted a contact.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactDeleted {
    pub name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schema_file_is_json_naming_its_type() {
        for event_type in EVENT_TYPES {
            let schema: Value = serde_json::from_str(event_type.schema)
                .unwrap_or_else(|e| panic!("{event_type}: schema is not JSON: {e}"));
            let id = schema["$id"].as_str().unwrap_or_default();
            assert!(
                id.ends_with(&format!("/{}/v{}.json", event_type.name, event_type.version)),
                "{event_type}: $id {id:?} does not name its own file"
            );
            assert_eq!(schema["additionalProperties"], Value::Bool(false), "{event_type}");
        }
    }

    #[test]
    fn payloads_round_trip_through_the_stream_format() {
        let events = [
            Event::from(ContactCreated {
                name: "Steve Jobs".into(),
                description: "CEO of NEXT".into(),
                contact_method: "steve@next.com".into(),
            }),
            Event::from(ContactEdited {
                name: "Steve Jobs".into(),
                new_name: Some("Steve".into()),
                description: "CEO of Apple".into(),
                contact_method: "steve@apple.com".into(),
            }),
            Event::from(ContactDeleted { name: "Steve".into() }),
        ];
        for event in events {
            let event_type = event.event_type();
            let back = Event::from_payload(event_type.name, event_type.version, event.to_payload());
            assert_eq!(back, Ok(event));
        }
    }

    #[test]
    fn an_unknown_type_or_version_is_refused_not_guessed() {
        let refused = Event::from_payload("contact-created", 99, serde_json::json!({}));
        assert_eq!(
            refused,
            Err(DecodeError::UnknownType {
                name: "contact-created".into(),
                version: 99
            })
        );
    }
}
