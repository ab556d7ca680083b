//! The event types of the stream: their names, versions, JSON Schemas and typed payloads.
//!
//! Each event type is declared once in [`event_types!`] below. The declaration embeds the
//! schema file `schemas/<name>/v<version>.json`, so the schema the store validates against is
//! the one in the repository, and adding an event type is a schema file, a payload struct and
//! one line here (`server new event <name>` writes the schema and prints the other two).
//!
//! A type changes by gaining a version: its payload struct takes the new shape, the older
//! schema files stay, and the line names the upcaster that lifts each older payload to the next
//! version. Stored events keep their version; [`Event::from_payload`] upcasts them before anyone
//! reads them, and new events are written in the latest version only.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
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
    ($($variant:ident => $name:literal v $version:literal
        $(, upcast [$($older:literal => $step:path),+ $(,)?])?;)+) => {
        /// Every event the application knows, with its typed payload in its latest version.
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

        /// Every event type in the version new events are written in.
        pub const LATEST_EVENT_TYPES: &[EventType] = &[$(<$variant as Payload>::TYPE,)+];

        /// Every event type, in every version the application can read: the latest ones, then
        /// the older versions still found in the stream.
        pub const EVENT_TYPES: &[EventType] = &[
            $(<$variant as Payload>::TYPE,)+
            $($($(EventType {
                name: $name,
                version: $older,
                schema: include_str!(concat!("../../schemas/", $name, "/v", $older, ".json")),
            },)+)?)+
        ];

        /// The steps that lift an older version's payload to the next version.
        const UPCASTERS: &[Upcaster] = &[
            $($($(Upcaster { name: $name, from: $older, step: $step },)+)?)+
        ];

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

            /// Reads a stored payload from its JSON text: straight into the typed payload when
            /// it is in the latest version, through [`upcast`] when it is older.
            pub fn from_payload_text(name: &str, version: i32, text: &str) -> Result<Self, DecodeError> {
                $(if name == $name && version == $version {
                    return serde_json::from_str(text).map(Self::$variant).map_err(|e| {
                        DecodeError::Payload {
                            event_type: format!("{} v{}", $name, $version),
                            reason: e.to_string(),
                        }
                    });
                })+
                let payload = serde_json::from_str(text).map_err(|e| DecodeError::Payload {
                    event_type: format!("{name} v{version}"),
                    reason: e.to_string(),
                })?;
                Self::from_payload(name, version, payload)
            }

            /// Reads a stored payload of any version back into a typed event: an older version
            /// is upcast to the latest first, so no listener ever sees it.
            pub fn from_payload(name: &str, version: i32, payload: Value) -> Result<Self, DecodeError> {
                let (version, payload) = upcast(name, version, payload)?;
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

/// One step of an upcaster chain: turns a payload of `name` version `from` into version
/// `from + 1`, or says why it cannot.
struct Upcaster {
    name: &'static str,
    from: i32,
    step: fn(Value) -> Result<Value, String>,
}

/// Lifts a stored payload through every step from its version to the latest one.
pub fn upcast(name: &str, mut version: i32, mut payload: Value) -> Result<(i32, Value), DecodeError> {
    while let Some(upcaster) = UPCASTERS.iter().find(|u| u.name == name && u.from == version) {
        payload = (upcaster.step)(payload).map_err(|reason| DecodeError::Payload {
            event_type: format!("{name} v{version}"),
            reason,
        })?;
        version += 1;
    }
    Ok((version, payload))
}

impl EventType {
    /// Whether new events of this type are written in this version.
    pub fn is_latest(&self) -> bool {
        LATEST_EVENT_TYPES
            .iter()
            .any(|t| t.name == self.name && t.version == self.version)
    }
}

event_types! {
    ContactCreated => "contact-created" v 2, upcast [1 => upcasters::structured_contact_method];
    ContactEdited => "contact-edited" v 2, upcast [1 => upcasters::structured_contact_method];
    ContactDeleted => "contact-deleted" v 1;
    AccountRegistered => "account-registered" v 1;
    AccountSettingsChanged => "account-settings-changed" v 1;
    InteractionRecorded => "interaction-recorded" v 1;
    InteractionCorrected => "interaction-corrected" v 1;
    InteractionRemoved => "interaction-removed" v 1;
    NextMeetingScheduled => "next-meeting-scheduled" v 1;
    NextMeetingCancelled => "next-meeting-cancelled" v 1;
    MeetingNotesEmailSent => "meeting-notes-email-sent" v 1;
    MeetingNotesEmailFailed => "meeting-notes-email-failed" v 1;
    MeetingNotesEmailRequested => "meeting-notes-email-requested" v 1;
}

/// The steps from older versions of payloads to newer ones, each named for what changed.
mod upcasters {
    use serde_json::Value;

    use super::ContactMethod;

    /// v1 kept the contact method as free text ("" for none); v2 keeps it structured, so the
    /// app can offer an email, phone or web address as a link. The text is kept as typed and
    /// recognized the way the contact form recognizes it today.
    pub fn structured_contact_method(mut payload: Value) -> Result<Value, String> {
        let object = payload.as_object_mut().ok_or("the payload is not an object")?;
        let text = match object.remove("contact_method") {
            Some(Value::String(text)) => text,
            Some(other) => return Err(format!("contact_method is not text: {other}")),
            None => return Err("contact_method is missing".to_owned()),
        };
        if let Some(method) = ContactMethod::recognize(&text) {
            let method = serde_json::to_value(method).map_err(|e| e.to_string())?;
            object.insert("contact_method".to_owned(), method);
        }
        Ok(payload)
    }
}

/// An account added a contact. With the account, `name` is the contact's natural key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactCreated {
    pub name: String,
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_method: Option<ContactMethod>,
}

/// How to reach a contact: the address as the account holder typed it, and what kind of
/// address it is, so that an email, a phone number or a web address can be offered as a link.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactMethod {
    pub kind: ContactMethodKind,
    pub value: String,
}

/// The kinds of contact method the app recognizes; anything else is `Other` and shown as text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ContactMethodKind {
    Email,
    Phone,
    Web,
    Other,
}

impl ContactMethodKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Phone => "phone",
            Self::Web => "web",
            Self::Other => "other",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Email, Self::Phone, Self::Web, Self::Other]
            .into_iter()
            .find(|kind| kind.as_str() == text)
    }
}

/// An account changed a contact's details; `new_name` is set when the contact was renamed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactEdited {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_name: Option<String>,
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_method: Option<ContactMethod>,
}

/// An account deleted a contact.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactDeleted {
    pub name: String,
}

/// The settings of an account, as a person chooses them. Credentials are never in an event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountSettings {
    pub display_name: String,
    /// Where the morning email of meeting notes goes.
    pub notes_email: String,
    /// An IANA time zone name, e.g. "Europe/Paris".
    pub time_zone: String,
    /// The local hour (0-23) at which the morning email goes out.
    pub morning_email_hour: u8,
}

/// A person signed up; the account starts with these settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AccountRegistered(pub AccountSettings);

/// An account holder changed their settings (the whole new state).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AccountSettingsChanged(pub AccountSettings);

/// An account recorded an interaction with a contact. The event's id identifies the interaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InteractionRecorded {
    pub contact: String,
    /// The calendar day it happened, which may be long before it was recorded.
    pub occurred_on: NaiveDate,
    pub kind: String,
    pub note: String,
}

/// An account corrected an interaction (the whole new state of it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InteractionCorrected {
    pub contact: String,
    /// The id of the event that recorded the interaction.
    pub interaction: i64,
    pub occurred_on: NaiveDate,
    pub kind: String,
    pub note: String,
}

/// An account removed an interaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InteractionRemoved {
    pub contact: String,
    pub interaction: i64,
}

/// An account scheduled the next meeting with a contact, or changed its time or notes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NextMeetingScheduled {
    pub contact: String,
    /// The local date and time of the meeting, in `time_zone`.
    pub meeting_on: NaiveDate,
    #[serde(with = "hour_minute")]
    pub meeting_time: NaiveTime,
    pub time_zone: String,
    /// Notes for the meeting, in Markdown.
    pub notes: String,
}

/// An account cancelled the next meeting with a contact.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NextMeetingCancelled {
    pub contact: String,
}

/// The mailer sent the morning email with the notes for the meeting on `meeting_on`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeetingNotesEmailSent {
    pub contact: String,
    pub meeting_on: NaiveDate,
    pub message_id: String,
}

/// The mailer could not send the morning email for the meeting on `meeting_on` (or cannot
/// know whether it went out). With `retry_at` it tries again by itself then. Without, the email
/// waits for the account holder to ask for it again, unless `given_up`: the meeting's day is
/// over and the email will not be sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeetingNotesEmailFailed {
    pub contact: String,
    pub meeting_on: NaiveDate,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "utc_seconds")]
    pub retry_at: Option<DateTime<Utc>>,
    pub given_up: bool,
}

/// An account holder asked for a failed morning email to be sent again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeetingNotesEmailRequested {
    pub contact: String,
    pub meeting_on: NaiveDate,
}

/// Instants as RFC 3339 in UTC with a `Z`, as the schemas have them.
mod utc_seconds {
    use chrono::{DateTime, SecondsFormat, Utc};
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(at: &Option<DateTime<Utc>>, serializer: S) -> Result<S::Ok, S::Error> {
        match at {
            Some(at) => serializer.serialize_str(&at.to_rfc3339_opts(SecondsFormat::Secs, true)),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<DateTime<Utc>>, D::Error> {
        let text = String::deserialize(deserializer)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|at| Some(at.with_timezone(&Utc)))
            .map_err(D::Error::custom)
    }
}

/// Times of day as `HH:MM`, as the schema has them.
mod hour_minute {
    use chrono::NaiveTime;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(time: &NaiveTime, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&time.format("%H:%M").to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<NaiveTime, D::Error> {
        let text = String::deserialize(deserializer)?;
        NaiveTime::parse_from_str(&text, "%H:%M").map_err(D::Error::custom)
    }
}

impl Event {
    /// The name of the contact the event is about, if it is about one.
    pub fn contact(&self) -> Option<&str> {
        match self {
            Self::ContactCreated(ContactCreated { name, .. })
            | Self::ContactEdited(ContactEdited { name, .. })
            | Self::ContactDeleted(ContactDeleted { name }) => Some(name),
            Self::InteractionRecorded(InteractionRecorded { contact, .. })
            | Self::InteractionCorrected(InteractionCorrected { contact, .. })
            | Self::InteractionRemoved(InteractionRemoved { contact, .. })
            | Self::NextMeetingScheduled(NextMeetingScheduled { contact, .. })
            | Self::NextMeetingCancelled(NextMeetingCancelled { contact })
            | Self::MeetingNotesEmailSent(MeetingNotesEmailSent { contact, .. })
            | Self::MeetingNotesEmailFailed(MeetingNotesEmailFailed { contact, .. })
            | Self::MeetingNotesEmailRequested(MeetingNotesEmailRequested { contact, .. }) => Some(contact),
            Self::AccountRegistered(_) | Self::AccountSettingsChanged(_) => None,
        }
    }
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
                contact_method: ContactMethod::recognize("steve@next.com"),
            }),
            Event::from(ContactEdited {
                name: "Steve Jobs".into(),
                new_name: Some("Steve".into()),
                description: "CEO of Apple".into(),
                contact_method: None,
            }),
            Event::from(ContactDeleted { name: "Steve".into() }),
            Event::from(AccountRegistered(AccountSettings {
                display_name: "Ada".into(),
                notes_email: "ada@example.com".into(),
                time_zone: "Europe/London".into(),
                morning_email_hour: 7,
            })),
            Event::from(InteractionRecorded {
                contact: "Bob".into(),
                occurred_on: NaiveDate::from_ymd_opt(2019, 8, 13).unwrap(),
                kind: "coffee".into(),
                note: String::new(),
            }),
            Event::from(NextMeetingScheduled {
                contact: "Sally".into(),
                meeting_on: NaiveDate::from_ymd_opt(2019, 8, 20).unwrap(),
                meeting_time: NaiveTime::from_hms_opt(9, 30, 0).unwrap(),
                time_zone: "America/New_York".into(),
                notes: "Ask about **Postgres**".into(),
            }),
            Event::from(MeetingNotesEmailSent {
                contact: "Sally".into(),
                meeting_on: NaiveDate::from_ymd_opt(2019, 8, 20).unwrap(),
                message_id: "<meeting-notes.0f1e@kith.test>".into(),
            }),
            Event::from(MeetingNotesEmailFailed {
                contact: "Sally".into(),
                meeting_on: NaiveDate::from_ymd_opt(2019, 8, 20).unwrap(),
                reason: "the mail server refused the email".into(),
                retry_at: Some("2019-08-20T07:05:00Z".parse().unwrap()),
                given_up: false,
            }),
            Event::from(MeetingNotesEmailRequested {
                contact: "Sally".into(),
                meeting_on: NaiveDate::from_ymd_opt(2019, 8, 20).unwrap(),
            }),
        ];
        for event in events {
            let event_type = event.event_type();
            let text = event.to_payload().to_string();
            let from_text = Event::from_payload_text(event_type.name, event_type.version, &text);
            assert_eq!(from_text.as_ref(), Ok(&event));
            let back = Event::from_payload(event_type.name, event_type.version, event.to_payload());
            assert_eq!(back, Ok(event));
        }
    }

    #[test]
    fn dates_and_times_are_stored_as_the_schemas_say() {
        let meeting = Event::from(NextMeetingScheduled {
            contact: "Sally".into(),
            meeting_on: NaiveDate::from_ymd_opt(2019, 8, 20).unwrap(),
            meeting_time: NaiveTime::from_hms_opt(9, 5, 0).unwrap(),
            time_zone: "UTC".into(),
            notes: String::new(),
        });
        let payload = meeting.to_payload();
        assert_eq!(payload["meeting_on"], "2019-08-20");
        assert_eq!(payload["meeting_time"], "09:05");
        let settings = Event::from(AccountSettingsChanged(AccountSettings {
            display_name: "Ada".into(),
            notes_email: "ada@example.com".into(),
            time_zone: "UTC".into(),
            morning_email_hour: 7,
        }));
        assert_eq!(settings.to_payload()["morning_email_hour"], 7);
        let failed = Event::from(MeetingNotesEmailFailed {
            contact: "Sally".into(),
            meeting_on: NaiveDate::from_ymd_opt(2019, 8, 20).unwrap(),
            reason: "busy".into(),
            retry_at: Some("2019-08-20T07:05:00.123Z".parse().unwrap()),
            given_up: false,
        });
        assert_eq!(failed.to_payload()["retry_at"], "2019-08-20T07:05:00Z");
    }

    #[test]
    fn a_v1_contact_event_is_upcast_to_v2_before_anyone_reads_it() {
        let created = Event::from_payload(
            "contact-created",
            1,
            serde_json::json!({ "name": "Bob", "description": "", "contact_method": "bob@example.com" }),
        );
        assert_eq!(
            created,
            Ok(Event::from(ContactCreated {
                name: "Bob".into(),
                description: String::new(),
                contact_method: Some(ContactMethod {
                    kind: ContactMethodKind::Email,
                    value: "bob@example.com".into(),
                }),
            }))
        );
        let edited = Event::from_payload(
            "contact-edited",
            1,
            serde_json::json!({ "name": "Bob", "new_name": "Robert", "description": "x", "contact_method": "" }),
        );
        assert_eq!(
            edited,
            Ok(Event::from(ContactEdited {
                name: "Bob".into(),
                new_name: Some("Robert".into()),
                description: "x".into(),
                contact_method: None,
            }))
        );
        let text = r#"{"name":"Bob","description":"","contact_method":"bob@example.com"}"#;
        assert_eq!(Event::from_payload_text("contact-created", 1, text), created);
        let broken = upcast(
            "contact-created",
            1,
            serde_json::json!({ "name": "Bob", "contact_method": 7 }),
        );
        assert!(matches!(broken, Err(DecodeError::Payload { .. })), "{broken:?}");
    }

    #[test]
    fn every_older_version_has_an_upcaster_to_the_next_and_new_events_use_the_latest() {
        for event_type in EVENT_TYPES {
            let latest = LATEST_EVENT_TYPES
                .iter()
                .find(|t| t.name == event_type.name)
                .expect("every type has a latest version");
            if event_type.is_latest() {
                continue;
            }
            assert!(event_type.version < latest.version, "{event_type}");
            assert!(
                UPCASTERS
                    .iter()
                    .any(|u| u.name == event_type.name && u.from == event_type.version),
                "{event_type} has no upcaster"
            );
        }
        for latest in LATEST_EVENT_TYPES {
            for version in 1..latest.version {
                assert!(
                    EVENT_TYPES
                        .iter()
                        .any(|t| t.name == latest.name && t.version == version),
                    "{} v{version} is still in the stream but not readable",
                    latest.name
                );
            }
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
