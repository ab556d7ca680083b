//! Every event type's schema, in every version: an example that must be accepted, and the
//! refusals (missing field, wrong type, unknown field, malformed value) that name the field
//! and store nothing.

mod common;

use app::events::EVENT_TYPES;
use common::{TestDb, created};
use serde_json::{Value, json};

/// A valid payload of each event type; every type must have one.
fn example(name: &str, interaction: i64) -> Value {
    match name {
        "contact-created" => json!({ "name": "Carol", "description": "", "contact_method": "" }),
        "contact-edited" => json!({ "name": "Bob", "description": "Builder", "contact_method": "" }),
        "contact-deleted" => json!({ "name": "Bob" }),
        "account-registered" | "account-settings-changed" => json!({
            "display_name": "Ada", "notes_email": "ada@example.com",
            "time_zone": "Europe/Paris", "morning_email_hour": 7
        }),
        "interaction-recorded" => {
            json!({ "contact": "Bob", "occurred_on": "2019-08-13", "kind": "coffee", "note": "" })
        }
        "interaction-corrected" => json!({
            "contact": "Bob", "interaction": interaction, "occurred_on": "2019-08-12", "kind": "tea", "note": "x"
        }),
        "interaction-removed" => json!({ "contact": "Bob", "interaction": interaction }),
        "next-meeting-scheduled" => json!({
            "contact": "Bob", "meeting_on": "2019-08-20", "meeting_time": "09:30",
            "time_zone": "Europe/Paris", "notes": "Ask about **Postgres**"
        }),
        "next-meeting-cancelled" => json!({ "contact": "Bob" }),
        "meeting-notes-email-sent" => json!({
            "contact": "Bob", "meeting_on": "2019-08-20", "message_id": "<meeting-notes.0f1e@kith.test>"
        }),
        "meeting-notes-email-failed" => json!({
            "contact": "Bob", "meeting_on": "2019-08-20", "reason": "Not sent yet: the mail server said to try later.",
            "retry_at": "2019-08-20T07:05:00Z", "given_up": false
        }),
        "meeting-notes-email-requested" => json!({ "contact": "Bob", "meeting_on": "2019-08-20" }),
        other => panic!("no example for {other}: add one"),
    }
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
    sqlx::query(
        "INSERT INTO meeting_notes_deliveries (account_id, contact_name, meeting_on, message_id, state, \
             attempts, updated_at) VALUES ($1, 'Bob', '2019-08-20', '<x@kith.test>', 'failed', 1, '2019-08-20T07:00:00Z')",
    )
    .bind(db.local().account_id)
    .execute(db.store().writer())
    .await
    .unwrap();
    // The removal and the deletion come last, so every other example still finds its target.
    let mut types: Vec<_> = EVENT_TYPES.iter().collect();
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
