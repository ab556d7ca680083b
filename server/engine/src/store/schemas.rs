//! The event types' JSON Schemas: registered into `event_types` at start-up and checked against
//! every payload before it is stored.

use std::collections::HashMap;

use chrono::Utc;
use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{ValidationError, Validator};
use serde_json::Value;

use super::StoreError;
use crate::db::Conn;
use crate::domain::{EventType, FieldProblem};
use crate::on;

/// An event type as registered in `event_types`, with its compiled schema.
struct Registered {
    id: i64,
    event_type: EventType,
    /// Whether new events are written in this version (no newer one of its name is known).
    latest: bool,
    validator: Validator,
}

/// Every event type the application knows, by name and version, and by id.
pub struct Schemas {
    registered: Vec<Registered>,
    by_id: HashMap<i64, EventType>,
}

impl Schemas {
    /// Registers `types` into `event_types`, adding the new ones. A schema already registered
    /// must be unchanged: stored payloads were checked against it, so a change needs a new
    /// version instead.
    pub async fn register(mut conn: Conn<'_>, types: &[EventType]) -> Result<Self, StoreError> {
        let mut registered = Vec::new();
        let mut by_id = HashMap::new();
        let latest = |event_type: &EventType| {
            !types
                .iter()
                .any(|other| other.name == event_type.name && other.version > event_type.version)
        };
        for &event_type in types {
            let schema: Value = serde_json::from_str(event_type.schema)
                .map_err(|e| StoreError::Schema(format!("{event_type}: the schema file is not JSON: {e}")))?;
            let validator = jsonschema::validator_for(&schema).map_err(|e| {
                StoreError::Schema(format!(
                    "{event_type}: the schema is not a valid JSON Schema: {e}"
                ))
            })?;
            let stored: Option<(i64, String)> = on!(conn.re(), c =>
                sqlx::query_as("SELECT id, schema FROM event_types WHERE name = $1 AND version = $2")
                    .bind(event_type.name)
                    .bind(event_type.version)
                    .fetch_optional(c)
                    .await)?;
            let id = match stored {
                Some((id, text)) => {
                    let registered: Value = serde_json::from_str(&text).map_err(|e| {
                        StoreError::Schema(format!("{event_type}: the registered schema is not JSON: {e}"))
                    })?;
                    if registered != schema {
                        let instead = if latest(&event_type) {
                            format!(
                                "add version {} instead of changing this one",
                                event_type.version + 1
                            )
                        } else {
                            "an older version's schema must stay as it was, so its events stay readable"
                                .to_owned()
                        };
                        return Err(StoreError::Schema(format!(
                            "the schema of {event_type} differs from the one registered when its events were \
                             stored; {instead}"
                        )));
                    }
                    id
                }
                None => on!(conn.re(), c => sqlx::query_scalar(
                    "INSERT INTO event_types (name, version, schema, registered_at) VALUES ($1, $2, $3, $4) \
                         RETURNING id",
                )
                .bind(event_type.name)
                .bind(event_type.version)
                .bind(schema.to_string())
                .bind(Utc::now())
                .fetch_one(c)
                .await)?,
            };
            by_id.insert(id, event_type);
            registered.push(Registered {
                id,
                event_type,
                latest: latest(&event_type),
                validator,
            });
        }
        Ok(Self { registered, by_id })
    }

    /// The id of the event type, once `payload` has been checked against its schema; or what
    /// is wrong with it.
    pub fn check(&self, name: &str, version: i32, payload: &Value) -> Result<i64, Vec<FieldProblem>> {
        let registered = self
            .registered
            .iter()
            .find(|r| r.event_type.name == name && r.event_type.version == version)
            .ok_or_else(|| {
                vec![FieldProblem::new(
                    "event_type",
                    format!("There is no event type {name} v{version}."),
                )]
            })?;
        if !registered.latest {
            return Err(vec![FieldProblem::new(
                "event_type",
                format!(
                    "{} is kept only to read the events stored in it; new events are written in the latest version.",
                    registered.event_type
                ),
            )]);
        }
        let errors: Vec<FieldProblem> = registered
            .validator
            .iter_errors(payload)
            .flat_map(|error| field_errors(&registered.event_type, &error))
            .collect();
        if errors.is_empty() {
            Ok(registered.id)
        } else {
            Err(errors)
        }
    }

    /// The event type registered under `id`.
    pub fn by_id(&self, id: i64) -> Option<EventType> {
        self.by_id.get(&id).copied()
    }
}

/// Turns one schema violation into messages that name the field.
fn field_errors(event_type: &EventType, error: &ValidationError<'_>) -> Vec<FieldProblem> {
    let at = field_name(error.instance_path().as_str());
    let label = |field: &str| {
        if field.is_empty() {
            "The payload".to_owned()
        } else {
            format!("“{field}”")
        }
    };
    match error.kind() {
        ValidationErrorKind::Required { property } => {
            let field = join(&at, property.as_str().unwrap_or_default());
            let message = format!("{} is required.", label(&field));
            vec![FieldProblem::new(field, message)]
        }
        ValidationErrorKind::AdditionalProperties { unexpected } => unexpected
            .iter()
            .map(|property| {
                let field = join(&at, property);
                let message = format!("{} is not a field of {event_type}.", label(&field));
                FieldProblem::new(field, message)
            })
            .collect(),
        ValidationErrorKind::Type { kind } => {
            let expected = match kind {
                TypeKind::Single(single) => single.to_string(),
                TypeKind::Multiple(set) => set.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(" or "),
            };
            vec![FieldProblem::new(
                at.clone(),
                format!("{} must be of type {expected}.", label(&at)),
            )]
        }
        ValidationErrorKind::MinLength { limit: 1 } => {
            vec![FieldProblem::new(
                at.clone(),
                format!("{} must not be empty.", label(&at)),
            )]
        }
        ValidationErrorKind::MinLength { limit } => {
            vec![FieldProblem::new(
                at.clone(),
                format!("{} must have at least {limit} characters.", label(&at)),
            )]
        }
        ValidationErrorKind::MaxLength { limit } => {
            vec![FieldProblem::new(
                at.clone(),
                format!("{} must have at most {limit} characters.", label(&at)),
            )]
        }
        _ => vec![FieldProblem::new(at.clone(), format!("{}: {error}", label(&at)))],
    }
}

/// "/address/street" becomes "address.street"; the payload itself is "".
fn field_name(pointer: &str) -> String {
    pointer.trim_start_matches('/').replace('/', ".")
}

fn join(parent: &str, property: &str) -> String {
    if parent.is_empty() {
        property.to_owned()
    } else {
        format!("{parent}.{property}")
    }
}
