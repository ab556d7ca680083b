//! Every event type's schema, in every version: the examples stored beside each schema file
//! (`schemas/<type>/examples/v<version>.json`) must be accepted by it and upcast to the latest
//! version; refusals (missing field, wrong type, unknown field, malformed value) name the field
//! and store nothing; older versions are read, upcast, replayed, and never written.

use crate::common;

use std::path::{Path, PathBuf};

use app::events::{EVENT_TYPES, Event, EventType, LATEST_EVENT_TYPES};
use common::{TestDb, created, snapshot};
use serde_json::{Value, json};

fn schemas_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas")
}

/// The examples stored for `event_type`; every version must have at least one.
fn examples(event_type: &EventType) -> Vec<Value> {
    let path = schemas_dir().join(format!(
        "{}/examples/v{}.json",
        event_type.name, event_type.version
    ));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{event_type}: no examples at {}: {e}", path.display()));
    let examples: Vec<Value> = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{}: not a JSON array of payloads: {e}", path.display()));
    assert!(
        !examples.is_empty(),
        "{}: add at least one example",
        path.display()
    );
    examples
}

/// The first example of the latest version of `name`, pointing at the interaction `interaction`.
fn example(name: &str, interaction: i64) -> Value {
    let latest = LATEST_EVENT_TYPES
        .iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("no event type {name}"));
    let mut example = examples(latest).remove(0);
    if example.get("interaction").is_some() {
        example["interaction"] = json!(interaction);
    }
    example
}

#[test]
fn every_schema_file_is_known_and_every_version_accepts_its_examples_and_upcasts_them() {
    let mut on_disk = Vec::new();
    for entry in std::fs::read_dir(schemas_dir()).unwrap() {
        let dir = entry.unwrap().path();
        for file in std::fs::read_dir(&dir).unwrap() {
            let file = file.unwrap().file_name().into_string().unwrap();
            if let Some(version) = file.strip_prefix('v').and_then(|f| f.strip_suffix(".json")) {
                let name = dir.file_name().unwrap().to_str().unwrap().to_owned();
                on_disk.push((name, version.parse::<i32>().unwrap()));
            }
        }
    }
    on_disk.sort();
    let mut known: Vec<_> = EVENT_TYPES
        .iter()
        .map(|t| (t.name.to_owned(), t.version))
        .collect();
    known.sort();
    assert_eq!(
        on_disk, known,
        "every schema file is declared in app/src/events.rs"
    );

    let mut upcast = 0;
    for event_type in EVENT_TYPES {
        let schema: Value = serde_json::from_str(event_type.schema).unwrap();
        let validator = jsonschema::validator_for(&schema).unwrap();
        let latest = LATEST_EVENT_TYPES
            .iter()
            .find(|t| t.name == event_type.name)
            .unwrap();
        let latest_validator =
            jsonschema::validator_for(&serde_json::from_str::<Value>(latest.schema).unwrap()).unwrap();
        for payload in examples(event_type) {
            let errors: Vec<String> = validator.iter_errors(&payload).map(|e| e.to_string()).collect();
            assert!(
                errors.is_empty(),
                "{event_type} refuses its stored example {payload}: {errors:?}"
            );
            let event = Event::from_payload(event_type.name, event_type.version, payload.clone())
                .unwrap_or_else(|e| panic!("{event_type}: {payload} cannot be read: {e}"));
            assert_eq!(
                event.event_type(),
                *latest,
                "{payload} is read as the latest version"
            );
            assert!(
                latest_validator.is_valid(&event.to_payload()),
                "{event_type}: {payload} upcast to {} breaks its schema",
                latest
            );
            if event_type != latest {
                upcast += 1;
            }
        }
    }
    assert!(
        upcast >= 4,
        "the older versions' examples went through the upcasters"
    );
}

#[tokio::test]
async fn an_older_version_is_read_but_never_written() {
    let db = TestDb::new().await;
    let old = EVENT_TYPES.iter().find(|t| !t.is_latest()).unwrap();
    let refused = db
        .store()
        .append_payload(db.local(), old.name, old.version, examples(old).remove(0))
        .await
        .unwrap()
        .unwrap_err();
    assert!(
        refused
            .for_field("event_type")
            .unwrap()
            .contains("new events are written in the latest version"),
        "{refused}"
    );
    assert_eq!(db.count("SELECT COUNT(*) FROM events").await, 0);
}

/// Stores `payload` as `name` v`version` the way an earlier release of the app did.
async fn store_as_an_earlier_release(db: &TestDb, name: &str, version: i32, payload: Value) {
    engine::on_pool!(db.store().writer(), p => sqlx::query(
        "INSERT INTO events (payload, event_type_id, entity_id, account_id, created_at) \
         SELECT $1, id, $2, $3, '2019-08-13T09:00:00Z' FROM event_types WHERE name = $4 AND version = $5",
    )
    .bind(sqlx::types::Json(payload))
    .bind(db.local().entity_id)
    .bind(db.local().account_id)
    .bind(name)
    .bind(version)
    .execute(p)
    .await.map(drop))
    .unwrap();
}

#[tokio::test]
async fn a_stream_mixing_v1_and_v2_projects_and_replays_to_the_right_rows() {
    let db = TestDb::new().await;
    let v1 =
        |name: &str, method: &str| json!({ "name": name, "description": "v1", "contact_method": method });
    store_as_an_earlier_release(&db, "contact-created", 1, v1("Steve", "steve@next.com")).await;
    store_as_an_earlier_release(&db, "contact-created", 1, v1("Sally", "")).await;
    store_as_an_earlier_release(
        &db,
        "contact-edited",
        1,
        json!({ "name": "Sally", "description": "v1 edit", "contact_method": "+1 555 010 4477" }),
    )
    .await;
    // The command side learns the names from its own records, which the earlier release kept.
    for name in ["Steve", "Sally"] {
        engine::on_pool!(db.store().writer(), p => sqlx::query("INSERT INTO contact_names (account_id, key, name) VALUES ($1, lower($2), $2)")
            .bind(db.local().account_id)
            .bind(name)
            .execute(p)
            .await.map(drop))
            .unwrap();
    }
    db.accept(db.local(), &created("Tim Berners-Lee", "v2")).await;
    db.accept(
        db.local(),
        &Event::from(app::events::ContactEdited {
            name: "Steve".into(),
            new_name: None,
            description: "v2 edit".into(),
            contact_method: app::events::ContactMethod::recognize("https://next.com"),
        }),
    )
    .await;
    db.dispatcher().run_until_caught_up().await.unwrap();

    let rows: Vec<(String, String, String, Option<String>)> =
        engine::on_pool!(db.store().reader(), p => sqlx::query_as(
        "SELECT name, description, contact_method, contact_method_kind FROM projected_contacts ORDER BY name",
    )
    .fetch_all(p)
    .await)
        .unwrap();
    let expected = [
        ("Sally", "v1 edit", "+1 555 010 4477", Some("phone")),
        ("Steve", "v2 edit", "https://next.com", Some("web")),
        (
            "Tim Berners-Lee",
            "v2",
            "tim.berners-lee@example.com",
            Some("email"),
        ),
    ];
    let expected: Vec<_> = expected
        .iter()
        .map(|(n, d, m, k)| (n.to_string(), d.to_string(), m.to_string(), k.map(str::to_owned)))
        .collect();
    assert_eq!(rows, expected);

    let incremental = snapshot(&db).await;
    for projection in server::projections::all() {
        engine::replay::rebuild(db.store(), projection.as_ref(), |_| {})
            .await
            .unwrap();
    }
    assert_eq!(snapshot(&db).await, incremental, "a replay gives the same rows");
    let stored_versions: Vec<i32> = engine::on_pool!(db.store().reader(), p => sqlx::query_scalar(
        "SELECT t.version FROM events e JOIN event_types t ON t.id = e.event_type_id ORDER BY e.id",
    )
    .fetch_all(p)
    .await)
    .unwrap();
    assert_eq!(
        stored_versions,
        [1, 1, 1, 2, 2],
        "stored events keep their version"
    );
}

/// Appends the example of every type to a database that has Bob and one of his interactions.
#[tokio::test]
async fn every_event_type_accepts_its_example_and_refuses_broken_payloads_by_field() {
    let db = TestDb::new().await;
    db.accept(db.local(), &created("Bob", "")).await;
    let interaction = db
        .store()
        .append_payload(
            db.local(),
            "interaction-recorded",
            1,
            example("interaction-recorded", 0),
        )
        .await
        .unwrap()
        .unwrap()
        .event_id;
    // Bob's morning email of 2019-08-20 failed, so it may be asked for again.
    engine::on_pool!(db.store().writer(), p => sqlx::query(
        "INSERT INTO meeting_notes_deliveries (account_id, contact_name, meeting_on, message_id, state, \
             attempts, updated_at) VALUES ($1, 'Bob', '2019-08-20', '<x@kith.test>', 'failed', 1, '2019-08-20T07:00:00Z')",
    )
    .bind(db.local().account_id)
    .execute(p)
    .await.map(drop))
    .unwrap();
    // The removal and the deletion come last, so every other example still finds its target.
    let mut types: Vec<_> = LATEST_EVENT_TYPES.iter().collect();
    types.sort_by_key(|t| match t.name {
        "interaction-removed" => 1,
        "contact-deleted" => 2,
        _ => 0,
    });
    for event_type in types {
        let (name, version) = (event_type.name, event_type.version);
        let valid = example(name, interaction);
        let schema: Value = serde_json::from_str(event_type.schema).unwrap();
        let required: Vec<&str> = schema["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let before = db.count("SELECT COUNT(*) FROM events").await;

        for field in &required {
            let mut missing = valid.clone();
            missing.as_object_mut().unwrap().remove(*field);
            let refused = db
                .store()
                .append_payload(db.local(), name, version, missing)
                .await
                .unwrap()
                .expect_err("a missing field is refused");
            assert_eq!(
                refused.for_field(field),
                Some(format!("“{field}” is required.").as_str()),
                "{name}"
            );
        }
        let mut extra = valid.clone();
        extra["surprise"] = json!(1);
        let refused = db
            .store()
            .append_payload(db.local(), name, version, extra)
            .await
            .unwrap()
            .unwrap_err();
        assert!(refused.for_field("surprise").is_some(), "{name}: {refused}");
        let mut wrong_type = valid.clone();
        wrong_type[required[0]] = json!([1, 2]);
        let refused = db
            .store()
            .append_payload(db.local(), name, version, wrong_type)
            .await
            .unwrap()
            .unwrap_err();
        assert!(
            refused
                .for_field(required[0])
                .unwrap()
                .contains("must be of type"),
            "{name}: {refused}"
        );
        assert_eq!(
            db.count("SELECT COUNT(*) FROM events").await,
            before,
            "{name}: a refusal stores nothing"
        );

        db.store()
            .append_payload(db.local(), name, version, valid)
            .await
            .unwrap()
            .unwrap_or_else(|r| panic!("{name} v{version}: the example is refused: {r}"));
    }
}

#[tokio::test]
async fn malformed_dates_times_and_hours_are_refused_by_the_schema() {
    let db = TestDb::new().await;
    db.accept(db.local(), &created("Bob", "")).await;
    let cases = [
        ("interaction-recorded", "occurred_on", json!("13/08/2019")),
        ("next-meeting-scheduled", "meeting_on", json!("2019-8-20")),
        ("next-meeting-scheduled", "meeting_time", json!("9:30")),
        ("next-meeting-scheduled", "meeting_time", json!("24:00")),
        ("account-settings-changed", "morning_email_hour", json!(24)),
        ("account-settings-changed", "morning_email_hour", json!(-1)),
        ("interaction-recorded", "kind", json!("")),
        (
            "meeting-notes-email-failed",
            "retry_at",
            json!("2019-08-20 07:05"),
        ),
        ("meeting-notes-email-failed", "given_up", json!("no")),
        ("meeting-notes-email-requested", "meeting_on", json!("20 August")),
    ];
    for (name, field, value) in cases {
        let mut payload = example(name, 1);
        payload[field] = value.clone();
        let refused = db
            .store()
            .append_payload(db.local(), name, 1, payload)
            .await
            .unwrap()
            .unwrap_err();
        assert!(
            refused.for_field(field).is_some(),
            "{name} {field}={value}: {refused}"
        );
    }
    assert_eq!(db.count("SELECT COUNT(*) FROM events").await, 1);
}
