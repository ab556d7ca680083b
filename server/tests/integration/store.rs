//! The event store: schema validation before anything is stored, the command-side checks,
//! receipts, and the durability settings.

use crate::common;

use engine::db::Conn;
use engine::on_pool;

use app::error::FieldError;
use app::events::{Event, InteractionRecorded};
use chrono::NaiveDate;
use common::{TestDb, created, edited};
use serde_json::json;

/// The seed's own example: a contact named Steve Jobs, the CEO of NeXT.
fn seed_example() -> serde_json::Value {
    json!({
        "name": "Steve Jobs",
        "description": "CEO of NEXT",
        "contact_method": { "kind": "email", "value": "steve@next.com" }
    })
}

#[tokio::test]
async fn the_seed_example_is_accepted_and_stored() {
    let db = TestDb::new().await;
    let receipt = db
        .store()
        .append_payload(db.local(), "contact-created", 2, seed_example())
        .await
        .unwrap()
        .expect("the seed's example matches its schema");
    assert!(receipt.event_id > 0);
    let (payload, entity_id, account_id): (String, i64, i64) =
        on_pool!(db.store().reader(), p => sqlx::query_as("SELECT CAST(payload AS TEXT), entity_id, account_id FROM events WHERE id = $1")
            .bind(receipt.event_id)
            .fetch_one(p)
            .await)
            .unwrap();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&payload).unwrap(),
        seed_example()
    );
    assert_eq!(
        (entity_id, account_id),
        (db.local().entity_id, db.local().account_id)
    );
}

async fn refused(db: &TestDb, payload: serde_json::Value) -> Vec<FieldError> {
    db.store()
        .append_payload(db.local(), "contact-created", 2, payload)
        .await
        .unwrap()
        .expect_err("the payload breaks the schema")
        .errors
}

#[tokio::test]
async fn a_payload_that_breaks_the_schema_is_refused_naming_the_field_and_nothing_is_stored() {
    let db = TestDb::new().await;

    let mut missing = seed_example();
    missing.as_object_mut().unwrap().remove("description");
    assert_eq!(
        refused(&db, missing).await,
        [FieldError::new("description", "“description” is required.")]
    );

    let mut wrong_type = seed_example();
    wrong_type["name"] = json!(42);
    assert_eq!(
        refused(&db, wrong_type).await,
        [FieldError::new("name", "“name” must be of type string.")]
    );

    let mut extra = seed_example();
    extra["twitter"] = json!("@sj");
    assert_eq!(
        refused(&db, extra).await,
        [FieldError::new(
            "twitter",
            "“twitter” is not a field of contact-created v2."
        )]
    );

    let mut empty_name = seed_example();
    empty_name["name"] = json!("");
    assert_eq!(
        refused(&db, empty_name).await,
        [FieldError::new("name", "“name” must not be empty.")]
    );

    let unknown = db
        .store()
        .append_payload(db.local(), "contact-created", 7, seed_example())
        .await
        .unwrap();
    assert_eq!(unknown.unwrap_err().errors[0].field, "event_type");

    assert_eq!(
        db.count("SELECT COUNT(*) FROM events").await,
        0,
        "nothing was stored"
    );
    assert_eq!(
        db.count("SELECT COUNT(*) FROM contact_names").await,
        0,
        "no name was taken"
    );
}

#[tokio::test]
async fn a_duplicate_name_is_refused_whatever_its_case_and_nothing_is_stored() {
    let db = TestDb::new().await;
    db.accept(db.local(), &created("Ada Lovelace", "Analyst")).await;
    let refusal = db
        .refuse(db.local(), &created("ada lovelace", "Someone else"))
        .await;
    assert_eq!(
        refusal.errors,
        [FieldError::new(
            "name",
            "You already have a contact named “Ada Lovelace”. Choose another name."
        )]
    );
    assert_eq!(db.count("SELECT COUNT(*) FROM events").await, 1);
}

#[tokio::test]
async fn another_account_may_use_the_same_name() {
    let db = TestDb::new().await;
    let other = db.bare_account().await;
    db.accept(db.local(), &created("Bob", "Mine")).await;
    db.store()
        .append(other, &created("Bob", "Theirs"))
        .await
        .unwrap()
        .expect("names are per account");
}

#[tokio::test]
async fn edits_and_deletions_must_name_a_contact_that_exists_now() {
    let db = TestDb::new().await;
    let store = db.store();
    let missing = db.refuse(db.local(), &edited("Nobody", None, "x")).await;
    assert_eq!(missing.errors[0].field, "contact");

    db.accept(db.local(), &created("Bob", "Friend")).await;
    db.accept(db.local(), &created("Carol", "Friend")).await;
    let clash = db.refuse(db.local(), &edited("Bob", Some("carol"), "x")).await;
    assert_eq!(
        clash.errors[0].field, "name",
        "renaming onto another contact is refused"
    );

    db.accept(db.local(), &edited("Bob", Some("Robert"), "Friend"))
        .await;
    let stale = db.refuse(db.local(), &edited("Bob", None, "x")).await;
    assert_eq!(
        stale.errors[0].field, "contact",
        "the old name is gone after a rename"
    );
    store
        .append(db.local(), &created("Bob", "A new Bob"))
        .await
        .unwrap()
        .expect("the old name is free again");

    let delete = |name: &str| app::events::Event::from(app::events::ContactDeleted { name: name.into() });
    db.accept(db.local(), &delete("Robert")).await;
    let twice = db.refuse(db.local(), &delete("Robert")).await;
    assert_eq!(twice.errors[0].field, "contact");
    assert_eq!(db.count("SELECT COUNT(*) FROM events").await, 5);
}

#[tokio::test]
async fn receipts_carry_growing_ids_and_the_creation_time() {
    let db = TestDb::new().await;
    let before = chrono::Utc::now();
    let first = db.accept(db.local(), &created("A", "")).await;
    let second = db.accept(db.local(), &created("B", "")).await;
    assert!(second.event_id > first.event_id);
    assert!(first.created_at >= before && second.created_at >= first.created_at);
    let stored: chrono::DateTime<chrono::Utc> =
        on_pool!(db.store().reader(), p => sqlx::query_scalar("SELECT created_at FROM events WHERE id = $1")
            .bind(first.event_id)
            .fetch_one(p)
            .await)
        .unwrap();
    assert_eq!(stored, first.created_at);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_appends_share_commits_and_each_caller_gets_its_own_answer() {
    let db = TestDb::new().await;
    let commits_before = db.store().append_commits();
    let names: Vec<String> = (0..48)
        .map(|i| format!("Friend {i}"))
        .chain((0..16).map(|_| "Bob".to_owned()))
        .collect();
    let appends: Vec<_> = names
        .iter()
        .map(|name| {
            let (store, actor, event) = (db.store().clone(), db.local(), created(name, ""));
            tokio::spawn(async move { store.append(actor, &event).await })
        })
        .collect();
    let mut receipts = Vec::new();
    let mut refusals = Vec::new();
    for (name, append) in names.iter().zip(appends) {
        match append.await.unwrap().expect("the store answers") {
            Ok(receipt) => receipts.push((name.clone(), receipt.event_id)),
            Err(rejection) => refusals.push((name.clone(), rejection)),
        }
    }

    assert_eq!(receipts.len(), 49, "every friend and one Bob are stored");
    assert_eq!(refusals.len(), 15);
    assert!(
        refusals
            .iter()
            .all(|(name, r)| name == "Bob" && r.errors[0].field == "name"),
        "only the extra Bobs are refused, for their name: {refusals:?}"
    );
    let mut ids: Vec<i64> = receipts.iter().map(|(_, id)| *id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 49, "each caller has an event id of its own");
    assert_eq!(db.count("SELECT COUNT(*) FROM events").await, 49);
    assert_eq!(db.count("SELECT COUNT(*) FROM contact_names").await, 49);
    let commits = db.store().append_commits() - commits_before;
    assert!(
        commits < 64,
        "64 appends arriving together share commits, but took {commits}"
    );
}

#[tokio::test]
async fn the_database_is_durable_wal_with_full_sync() {
    let db = TestDb::new().await;
    let mut conn = db.store().writer().acquire().await.unwrap();
    let Conn::Sqlite(conn) = conn.conn() else {
        // PostgreSQL: a commit is durable unless the server is told otherwise.
        let synchronous: String =
            on_pool!(db.store().reader(), p => sqlx::query_scalar("SHOW synchronous_commit")
            .fetch_one(p)
            .await)
            .unwrap();
        assert_eq!(synchronous, "on", "a commit waits for the WAL to be on disk");
        return;
    };
    let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(journal, "wal");
    assert_eq!(synchronous, 2, "2 is FULL: every commit is synced to disk");
}

#[tokio::test]
async fn reopening_keeps_the_stream_and_the_registered_types() {
    let db = TestDb::new().await;
    db.accept(db.local(), &created("Ada", "")).await;
    let types = db.count("SELECT COUNT(*) FROM event_types").await;
    assert_eq!(types as usize, app::events::EVENT_TYPES.len());
    let again = server::Kith::open(&db.url()).await.unwrap();
    assert_eq!(again.dispatcher.store().head().await.unwrap(), 1);
    assert_eq!(
        db.count("SELECT COUNT(*) FROM entities WHERE kind = 'process'")
            .await,
        2,
        "the system processes are registered once"
    );
    assert_eq!(db.count("SELECT COUNT(*) FROM event_types").await, types);
}

#[tokio::test]
async fn a_changed_schema_of_a_registered_version_stops_the_start() {
    let db = TestDb::new().await;
    on_pool!(db.store().writer(), p => sqlx::query(
        "UPDATE event_types SET schema = '{\"type\": \"object\"}' WHERE name = 'contact-created' AND version = 1",
    )
        .execute(p)
        .await.map(drop))
        .unwrap();
    let error = match server::Kith::open(&db.url()).await {
        Ok(_) => panic!("a changed schema must not be accepted silently"),
        Err(error) => error.to_string(),
    };
    assert!(
        error.contains("contact-created v1") && error.contains("must stay as it was"),
        "an old version that changed is refused too: {error}"
    );
}

#[tokio::test]
async fn a_refusal_among_events_appended_together_leaves_out_that_event_only() {
    let db = TestDb::new().await;
    let coffee = Event::from(InteractionRecorded {
        contact: "Bob".into(),
        occurred_on: NaiveDate::from_ymd_opt(2026, 1, 13).unwrap(),
        kind: "coffee".into(),
        note: String::new(),
    });
    let events = [
        created("Bob", ""),
        created("bob", ""),
        coffee,
        created("Carol", ""),
    ];

    let outcomes = db.store().append_all(db.local(), &events).await.unwrap();

    let refusal = outcomes[1].as_ref().unwrap_err();
    assert_eq!(
        refusal.errors[0].field, "name",
        "the second Bob is refused: {refusal:?}"
    );
    let ids: Vec<i64> = outcomes
        .iter()
        .filter_map(|o| o.as_ref().ok().map(|r| r.event_id))
        .collect();
    assert_eq!(ids.len(), 3, "{outcomes:?}");
    assert_eq!(
        (ids[1], ids[2]),
        (ids[0] + 1, ids[0] + 2),
        "the others are stored, in order"
    );
    let stored: Vec<i64> =
        on_pool!(db.store().reader(), p => sqlx::query_scalar("SELECT id FROM events ORDER BY id")
        .fetch_all(p)
        .await)
        .unwrap();
    assert!(stored.ends_with(&ids), "{stored:?}");
    let names: Vec<String> =
        on_pool!(db.store().reader(), p => sqlx::query_scalar("SELECT name FROM contact_names ORDER BY name")
        .fetch_all(p)
        .await)
        .unwrap();
    assert_eq!(names, ["Bob", "Carol"]);
    assert_eq!(
        *db.store().subscribe().borrow(),
        ids[2],
        "the listeners hear of the batch"
    );
}

/// On PostgreSQL other processes hear of appends through one notification per transaction,
/// naming its newest event, whether the batch was stored at once or had a refusal in it.
#[tokio::test]
async fn other_processes_hear_of_each_batch_once() {
    use sqlx::postgres::PgListener;
    use std::time::Duration;
    let db = TestDb::new().await;
    if db.backend() != engine::db::Backend::Postgres {
        return;
    }
    let mut listener = PgListener::connect(&db.url()).await.unwrap();
    listener.listen(engine::store::EVENTS_CHANNEL).await.unwrap();
    let batches = [
        vec![created("Ada", ""), created("Bob", ""), created("Cy", "")],
        vec![created("Dee", ""), created("ada", ""), created("Eve", "")],
        vec![created("Fay", "")],
    ];
    for events in batches {
        let outcomes = db.store().append_all(db.local(), &events).await.unwrap();
        let newest = outcomes
            .iter()
            .filter_map(|o| o.as_ref().ok())
            .map(|r| r.event_id)
            .max();
        let heard = tokio::time::timeout(Duration::from_secs(5), listener.recv())
            .await
            .expect("a notification within 5 s")
            .unwrap();
        assert_eq!(heard.payload().parse::<i64>().ok(), newest, "{outcomes:?}");
        let more = tokio::time::timeout(Duration::from_millis(300), listener.recv()).await;
        assert!(
            more.is_err(),
            "one notification per batch, not {:?}",
            more.map(|m| m.map(|n| n.payload().to_owned()))
        );
    }
}

/// A read transaction sees one moment on PostgreSQL too: REPEATABLE READ, and read only.
#[tokio::test]
async fn read_transactions_see_one_moment_on_postgres() {
    let db = TestDb::new().await;
    if db.backend() != engine::db::Backend::Postgres {
        return;
    }
    let mut tx = db.store().reader().begin_read().await.unwrap();
    let engine::db::Conn::Postgres(c) = tx.conn() else {
        unreachable!("a PostgreSQL store reads from PostgreSQL")
    };
    let isolation: String = sqlx::query_scalar("SHOW transaction_isolation")
        .fetch_one(&mut *c)
        .await
        .unwrap();
    let read_only: String = sqlx::query_scalar("SHOW transaction_read_only")
        .fetch_one(&mut *c)
        .await
        .unwrap();
    assert_eq!(
        (isolation.as_str(), read_only.as_str()),
        ("repeatable read", "on")
    );
    tx.rollback().await.unwrap();
}
