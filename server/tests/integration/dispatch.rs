//! The dispatcher and the contacts projection: every event applied once and in order, the
//! checkpoint moving with the table, concurrent appends, rebuilds and the catch-up wait.

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use app::events::{ContactDeleted, Event, InteractionCorrected, InteractionRecorded, NextMeetingScheduled};
use app::views::ProjectionName;
use chrono::{NaiveDate, NaiveTime};
use common::{TestDb, created, edited};
use engine::db::Conn;
use server::crm::{Crm, CrmError, Dispatcher, Projection, StoreError, StoredEvent};
use server::projections;

const CONTACTS: &str = "projected_contacts";

/// A row of `projected_contacts`, every column.
#[derive(Debug, PartialEq, sqlx::FromRow)]
struct Row {
    id: i64,
    name: String,
    description: String,
    contact_method: String,
    contact_method_kind: Option<String>,
    account_id: i64,
    last_interacted_on: Option<chrono::NaiveDate>,
    next_meeting_notes: Option<String>,
    next_meeting_at: Option<chrono::DateTime<chrono::Utc>>,
    last_updated_at: chrono::DateTime<chrono::Utc>,
    next_meeting_local: Option<String>,
    next_meeting_time_zone: Option<String>,
    next_meeting_notes_excerpt: Option<String>,
    name_key: Option<String>,
    search_key: Option<String>,
}

async fn contact_rows(db: &TestDb) -> Vec<Row> {
    engine::on_pool!(db.store().reader(), p => sqlx::query_as(
        "SELECT id, name, description, contact_method, contact_method_kind, account_id, last_interacted_on, \
                next_meeting_notes, next_meeting_at, last_updated_at, next_meeting_local, \
                next_meeting_time_zone, next_meeting_notes_excerpt, name_key, search_key \
         FROM projected_contacts ORDER BY account_id, name",
    )
    .fetch_all(p)
    .await)
    .unwrap()
}

type InteractionRow = (
    i64,
    i64,
    String,
    chrono::NaiveDate,
    String,
    String,
    chrono::DateTime<chrono::Utc>,
    chrono::DateTime<chrono::Utc>,
);

async fn interaction_rows(db: &TestDb) -> Vec<InteractionRow> {
    engine::on_pool!(db.store().reader(), p => sqlx::query_as(
        "SELECT id, account_id, contact_name, occurred_on, kind, note, recorded_at, last_updated_at \
         FROM projected_contact_interactions ORDER BY id",
    )
    .fetch_all(p)
    .await)
    .unwrap()
}

async fn checkpoint(db: &TestDb) -> i64 {
    db.dispatcher().freshness(CONTACTS).await.unwrap().0
}

#[tokio::test]
async fn an_append_then_a_dispatch_updates_the_projection_and_its_checkpoint() {
    let db = TestDb::new().await;
    db.accept(db.local(), &created("Steve Jobs", "CEO of NEXT")).await;
    assert!(
        contact_rows(&db).await.is_empty(),
        "projections change only through the dispatcher"
    );

    db.dispatcher().run_until_caught_up().await.unwrap();
    let rows = contact_rows(&db).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].name.as_str(), rows[0].description.as_str()),
        ("Steve Jobs", "CEO of NEXT")
    );
    assert_eq!(rows[0].account_id, db.local().account_id);

    let receipt = db
        .accept(db.local(), &edited("Steve Jobs", None, "CEO of Apple"))
        .await;
    db.dispatcher().run_until_caught_up().await.unwrap();
    assert_eq!(contact_rows(&db).await[0].description, "CEO of Apple");
    assert_eq!(checkpoint(&db).await, receipt.event_id);

    let receipt = db
        .accept(db.local(), &edited("Steve Jobs", Some("Steve"), "CEO of Apple"))
        .await;
    db.dispatcher().run_until_caught_up().await.unwrap();
    assert_eq!(contact_rows(&db).await[0].name, "Steve", "a rename keeps the row");
    assert_eq!(
        contact_rows(&db).await[0].id,
        1,
        "the row keeps the id of the event that created it"
    );

    db.accept(db.local(), &Event::from(ContactDeleted { name: "Steve".into() }))
        .await;
    db.dispatcher().run_until_caught_up().await.unwrap();
    assert!(contact_rows(&db).await.is_empty());
    assert!(checkpoint(&db).await > receipt.event_id);
    assert_eq!(
        db.count("SELECT COUNT(*) FROM events WHERE processed_at IS NULL")
            .await,
        0,
        "every event applied by every projection is marked processed"
    );
}

/// Applies the contacts handler, then fails on the second event of the batch.
struct FailsOnSecondEvent {
    applied: AtomicUsize,
}

#[async_trait::async_trait]
impl Projection<Crm> for FailsOnSecondEvent {
    fn name(&self) -> &'static str {
        CONTACTS
    }

    async fn apply(&self, conn: Conn<'_>, stored: &StoredEvent, event: &Event) -> Result<(), StoreError> {
        if self.applied.fetch_add(1, Ordering::SeqCst) == 1 {
            // A failure a handler can meet: an event naming a zone this build does not know.
            return Err(CrmError::UnknownTimeZone {
                what: format!("event {}", stored.id),
                zone: "Nowhere/On_Purpose".into(),
            }
            .into());
        }
        projections::all()[0].apply(conn, stored, event).await
    }

    fn tables(&self) -> &'static [&'static str] {
        projections::all()[0].tables()
    }
}

#[tokio::test]
async fn the_checkpoint_and_the_projection_change_commit_together() {
    let db = TestDb::new().await;
    db.accept(db.local(), &created("Ada", "")).await;
    db.accept(db.local(), &created("Bob", "")).await;

    let failing = Arc::new(FailsOnSecondEvent {
        applied: AtomicUsize::new(0),
    });
    let dispatcher = Dispatcher::new(db.store().clone(), vec![failing.clone()])
        .await
        .unwrap();
    let error = dispatcher.run_until_caught_up().await.unwrap_err();
    assert!(error.to_string().contains("Nowhere/On_Purpose"), "{error}");
    // The failed batch was rolled back whole; what came before the failing event was then
    // applied again and committed with its checkpoint, and the listener stopped there.
    assert_eq!(contact_rows(&db).await.len(), 1, "Ada, and not Bob");
    assert_eq!(
        checkpoint(&db).await,
        1,
        "the checkpoint moved with Ada's row, and no further"
    );

    // The next attempt starts from the failing event and applies it once.
    dispatcher.run_until_caught_up().await.unwrap();
    assert_eq!(contact_rows(&db).await.len(), 2);
    assert_eq!(checkpoint(&db).await, 2);
    assert_eq!(
        failing.applied.load(Ordering::SeqCst),
        4,
        "Ada and the failure, Ada again, then Bob"
    );
}

/// Records every event it is given, so a second delivery breaks the primary key.
struct AppliedLog;

#[async_trait::async_trait]
impl Projection<Crm> for AppliedLog {
    fn name(&self) -> &'static str {
        "test_applied_log"
    }

    async fn apply(&self, conn: Conn<'_>, stored: &StoredEvent, _: &Event) -> Result<(), StoreError> {
        // Its place in the order of application, next to its id.
        engine::on!(conn, c => sqlx::query(
            "INSERT INTO test_applied_log (event_id, applied_seq) \
             SELECT $1, COUNT(*) + 1 FROM test_applied_log"
        )
            .bind(stored.id)
            .execute(c)
            .await
            .map(drop))?;
        Ok(())
    }

    fn tables(&self) -> &'static [&'static str] {
        &["test_applied_log"]
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn four_concurrent_writers_of_500_appends_leave_every_event_applied_once_in_order() {
    const WRITERS: usize = 4;
    const APPENDS: usize = 500;
    let db = TestDb::new().await;
    engine::on_pool!(db.store().writer(), p => sqlx::query(
        "CREATE TABLE test_applied_log (event_id BIGINT PRIMARY KEY, applied_seq BIGINT NOT NULL)"
    )
    .execute(p)
    .await
    .map(drop))
    .unwrap();
    let mut all = projections::all();
    all.push(Arc::new(AppliedLog));
    let dispatcher = Arc::new(Dispatcher::new(db.store().clone(), all).await.unwrap());
    let listeners = dispatcher.start(Duration::from_millis(50));

    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let store = db.store().clone();
            let actor = db.local();
            tokio::spawn(async move {
                for i in 0..APPENDS {
                    // Every other append edits the contact the previous one created.
                    let name = format!("Writer {writer} contact {}", i / 2);
                    let event = if i % 2 == 0 {
                        created(&name, "new")
                    } else {
                        edited(&name, None, &format!("edited by {writer}"))
                    };
                    store
                        .append(actor, &event)
                        .await
                        .unwrap()
                        .expect("every append is valid");
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }

    let head = db.store().head().await.unwrap();
    assert_eq!(head as usize, WRITERS * APPENDS);
    for projection in [CONTACTS, "test_applied_log"] {
        let caught_up = dispatcher
            .catch_up(projection, head, Duration::from_secs(60))
            .await
            .unwrap();
        assert!(caught_up.applied, "{projection}: {caught_up:?}");
    }
    let (applied, distinct, first, last): (i64, i64, i64, i64) =
        engine::on_pool!(db.store().reader(), p => sqlx::query_as(
        "SELECT COUNT(*), COUNT(DISTINCT event_id), MIN(event_id), MAX(event_id) FROM test_applied_log",
    )
    .fetch_one(p)
    .await)
        .unwrap();
    assert_eq!(
        (applied, distinct, first, last),
        (head, head, 1, head),
        "every event exactly once"
    );
    let out_of_order = db
        .count("SELECT COUNT(*) FROM test_applied_log WHERE applied_seq != event_id")
        .await;
    assert_eq!(out_of_order, 0, "events were applied in stream order");

    let rows = contact_rows(&db).await;
    assert_eq!(rows.len(), WRITERS * APPENDS / 2);
    assert!(
        rows.iter().all(|row| row.description.starts_with("edited by")),
        "every edit landed on its contact"
    );
    drop(listeners);
}

#[tokio::test]
async fn dropping_the_projection_and_replaying_gives_exactly_the_same_rows() {
    let db = TestDb::new().await;
    let other = db.bare_account().await;
    // The incremental run applies each event as it arrives, as the live listener does; the
    // rebuild then applies the whole stream in batches.
    let apply = |actor, event: Event| {
        let db = &db;
        async move {
            db.store()
                .append(actor, &event)
                .await
                .unwrap()
                .expect("a valid command");
            db.dispatcher().run_until_caught_up().await.unwrap();
        }
    };
    for i in 0..120 {
        let actor = if i % 3 == 0 { other } else { db.local() };
        let person = format!("Person {i}");
        apply(actor, created(&person, "first")).await;
        if i % 2 == 0 {
            let on = NaiveDate::from_ymd_opt(2019, 1 + (i % 12) as u32, 1 + (i % 28) as u32).unwrap();
            let interaction = Event::from(InteractionRecorded {
                contact: person.clone(),
                occurred_on: on,
                kind: "coffee".into(),
                note: format!("note {i}"),
            });
            let receipt = db.accept(actor, &interaction).await;
            if i % 8 == 0 {
                let correction = Event::from(InteractionCorrected {
                    contact: person.clone(),
                    interaction: receipt.event_id,
                    occurred_on: on - chrono::Days::new(40),
                    kind: "call".into(),
                    note: String::new(),
                });
                apply(actor, correction).await;
            }
        }
        if i % 4 == 0 {
            apply(actor, edited(&person, None, "second")).await;
        }
        if i % 6 == 0 {
            let meeting = Event::from(NextMeetingScheduled {
                contact: person.clone(),
                meeting_on: NaiveDate::from_ymd_opt(2030, 3, 1 + (i % 28) as u32).unwrap(),
                meeting_time: NaiveTime::from_hms_opt(9, 30, 0).unwrap(),
                time_zone: "Europe/Paris".into(),
                notes: format!("Ask about **item {i}** <script>x()</script>"),
            });
            apply(actor, meeting).await;
        }
        let mut name = person.clone();
        if i % 5 == 0 {
            name = format!("Renamed {i}");
            apply(actor, edited(&person, Some(&name), "third")).await;
        }
        if i % 7 == 0 {
            apply(actor, Event::from(ContactDeleted { name })).await;
        }
    }
    db.dispatcher().run_until_caught_up().await.unwrap();
    let incremental = contact_rows(&db).await;
    let interactions = interaction_rows(&db).await;
    assert!(incremental.len() > 90);
    assert!(interactions.len() > 40);
    assert!(
        incremental
            .iter()
            .filter(|row| row.next_meeting_notes_excerpt.is_some())
            .count()
            > 10,
        "meetings with notes"
    );

    db.dispatcher().reset(CONTACTS).await.unwrap();
    assert!(contact_rows(&db).await.is_empty());
    assert!(interaction_rows(&db).await.is_empty());
    assert_eq!(checkpoint(&db).await, 0);
    db.dispatcher().run_until_caught_up().await.unwrap();
    assert_eq!(contact_rows(&db).await, incremental);
    assert_eq!(interaction_rows(&db).await, interactions);
    assert_eq!(checkpoint(&db).await, db.store().head().await.unwrap());
}

#[tokio::test]
async fn a_running_listener_follows_a_rebuild() {
    let db = TestDb::new().await;
    let listeners = db.dispatcher().start(Duration::from_millis(20));
    for i in 0..10 {
        db.accept(db.local(), &created(&format!("P{i}"), "")).await;
    }
    db.wait_until_caught_up(CONTACTS).await;
    db.dispatcher().reset(CONTACTS).await.unwrap();
    db.wait_until_caught_up(CONTACTS).await;
    assert_eq!(contact_rows(&db).await.len(), 10);
    drop(listeners);
}

#[tokio::test]
async fn the_catch_up_wait_answers_as_soon_as_the_event_is_applied_and_gives_up_when_bounded() {
    let db = TestDb::new().await;
    let receipt = db.accept(db.local(), &created("Ada", "")).await;

    // No listener running: the wait ends at its bound and says the event is not applied.
    let waited = db
        .dispatcher()
        .catch_up(CONTACTS, receipt.event_id, Duration::from_millis(100))
        .await
        .unwrap();
    assert!(!waited.applied);
    assert_eq!(waited.checkpoint, 0);
    let health = db.dispatcher().health().await.unwrap();
    assert_eq!(health.head, receipt.event_id);
    let worker = health
        .workers
        .iter()
        .find(|w| w.projection == CONTACTS)
        .expect("the contacts listener");
    assert_eq!(
        (worker.projection.as_str(), worker.alive, worker.behind),
        (CONTACTS, false, 1)
    );

    let listeners = db.dispatcher().start(Duration::from_secs(60));
    let waited = db
        .dispatcher()
        .catch_up(CONTACTS, receipt.event_id, Duration::from_secs(10))
        .await
        .unwrap();
    assert!(
        waited.applied,
        "a starting listener applies what is already in the stream"
    );

    // The listener now sleeps on a one-minute poll: only the append's wake-up can bring it back.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let second = db.accept(db.local(), &created("Bob", "")).await;
    let waited = db
        .dispatcher()
        .catch_up(CONTACTS, second.event_id, Duration::from_secs(10))
        .await
        .unwrap();
    assert!(waited.applied, "the append woke the listener");
    let health = db.dispatcher().health().await.unwrap();
    assert!(health.workers.iter().all(|w| w.alive), "{health:?}");
    let contacts = health.workers.iter().find(|w| w.projection == CONTACTS).unwrap();
    assert_eq!(contacts.behind, 0);
    drop(listeners);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_catch_up_wait_hears_a_listener_in_another_process() {
    // The web process stores the command and waits; a worker process (a second Kith on the same
    // database file) runs the listeners.
    let web = TestDb::new().await;
    let worker = server::Kith::open(&web.url()).await.unwrap();
    let listeners = worker.dispatcher.start(Duration::from_millis(20));
    let receipt = web.accept(web.local(), &created("Ada", "")).await;

    let waited = tokio::time::timeout(
        Duration::from_secs(20),
        web.dispatcher()
            .catch_up(CONTACTS, receipt.event_id, Duration::from_secs(60)),
    )
    .await
    .expect("the wait ends once the other process has applied the event, not at its bound")
    .unwrap();
    assert!(waited.applied);
    assert!(waited.checkpoint >= receipt.event_id);
    drop(listeners);
}

/// Listeners in another process hear of an append at once on PostgreSQL (LISTEN/NOTIFY), so
/// they do not wait for their poll, set here to a minute. SQLite has no such channel: there a
/// worker hears of it at its next poll, set here to 200 ms.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listeners_in_another_process_hear_of_an_append_before_their_poll() {
    let web = TestDb::new().await;
    let poll = match web.backend() {
        engine::db::Backend::Postgres => Duration::from_secs(60),
        engine::db::Backend::Sqlite => Duration::from_millis(200),
    };
    let worker = server::Kith::open(&web.url()).await.unwrap();
    let listeners = worker.dispatcher.start(poll);
    // The worker's listeners have looked once and found nothing; they now sleep.
    tokio::time::sleep(Duration::from_millis(300)).await;

    for name in ["Ada", "Bob", "Cy"] {
        let receipt = web.accept(web.local(), &created(name, "")).await;
        let waited = worker
            .dispatcher
            .catch_up(CONTACTS, receipt.event_id, Duration::from_secs(5))
            .await
            .unwrap();
        assert!(
            waited.applied,
            "the worker applied {name}'s event within 5 s, though it polls every {poll:?}"
        );
    }
    drop(listeners);
}

#[tokio::test]
async fn dropping_the_listeners_stops_them() {
    let db = TestDb::new().await;
    let listeners = db.dispatcher().start(Duration::from_millis(20));
    let first = db.accept(db.local(), &created("Ada", "")).await;
    let waited = db
        .dispatcher()
        .catch_up(CONTACTS, first.event_id, Duration::from_secs(10))
        .await
        .unwrap();
    assert!(waited.applied, "the listeners run");

    drop(listeners);
    let second = db.accept(db.local(), &created("Bob", "")).await;
    let waited = db
        .dispatcher()
        .catch_up(CONTACTS, second.event_id, Duration::from_millis(300))
        .await
        .unwrap();
    assert!(!waited.applied, "no listener applies what comes after the drop");
    assert_eq!(waited.checkpoint, first.event_id);
}

#[test]
fn every_page_projection_is_kept_by_a_listener() {
    let kept: Vec<&str> = projections::all().iter().map(|p| p.name()).collect();
    for page_projection in ProjectionName::ALL {
        assert!(
            kept.contains(&page_projection.as_str()),
            "{page_projection} has no listener"
        );
    }
}

/// Stores `payload` as an event of the type `event_type` (its latest version) of the local
/// account, by hand, past the store's checks; returns its id.
async fn stored_by_hand(db: &TestDb, event_type: &str, payload: &str) -> i64 {
    let type_id: i64 = engine::on_pool!(db.store().reader(), p => sqlx::query_scalar(
        "SELECT id FROM event_types WHERE name = $1 ORDER BY version DESC LIMIT 1"
    )
    .bind(event_type)
    .fetch_one(p)
    .await)
    .unwrap();
    // The payload as a literal: each backend reads it into its payload column's type.
    let insert = format!(
        "INSERT INTO events (payload, event_type_id, entity_id, account_id, created_at) \
         VALUES ('{}', $1, $2, $3, '2026-11-27T10:00:00Z') RETURNING id",
        payload.replace('\'', "''")
    );
    engine::on_pool!(db.store().writer(), p => sqlx::query_scalar(sqlx::AssertSqlSafe(insert))
        .bind(type_id)
        .bind(db.local().entity_id)
        .bind(db.local().account_id)
        .fetch_one(p)
        .await)
    .unwrap()
}

#[tokio::test]
async fn a_listener_that_cannot_handle_an_event_stops_there_and_says_so() {
    let db = TestDb::new().await;
    db.accept(db.local(), &created("Ada", "")).await;
    // An event that got into the stream without its schema (by hand): its payload lacks a field.
    let broken = stored_by_hand(&db, "contact-created", r#"{"description": ""}"#).await;
    db.accept(db.local(), &created("Bob", "")).await;
    let _listeners = db.dispatcher().start(Duration::from_millis(20));
    tokio::time::sleep(Duration::from_millis(500)).await;

    let health = db.dispatcher().health().await.unwrap();
    let contacts = health.workers.iter().find(|w| w.projection == CONTACTS).unwrap();
    let error = contacts
        .error
        .as_deref()
        .expect("the error is on the health view");
    assert!(
        error.contains(&format!("stored event {broken} cannot be read")),
        "{error}"
    );
    assert_eq!(
        contacts.checkpoint,
        broken - 1,
        "it stopped before the event, and skipped nothing"
    );
    let names: Vec<String> =
        engine::on_pool!(db.store().reader(), p => sqlx::query_scalar("SELECT name FROM projected_contacts")
        .fetch_all(p)
        .await)
        .unwrap();
    assert_eq!(names, ["Ada"], "Bob, after the broken event, waits behind it");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_contacts_listener_applies_a_batch_up_to_the_event_it_cannot_apply() {
    let db = TestDb::new().await;
    db.accept(db.local(), &created("Ada", "")).await;
    // A meeting in a zone this build does not know, put into the stream by hand: the schema
    // takes any zone name, the fold cannot place the meeting in time.
    let unplaceable = stored_by_hand(
        &db,
        "next-meeting-scheduled",
        r#"{"contact": "Ada", "meeting_on": "2026-12-24", "meeting_time": "10:00",
            "time_zone": "Nowhere/On_Purpose", "notes": ""}"#,
    )
    .await;
    db.accept(db.local(), &created("Bob", "")).await;
    let _listeners = db.dispatcher().start(Duration::from_millis(20));
    tokio::time::sleep(Duration::from_millis(500)).await;

    let health = db.dispatcher().health().await.unwrap();
    let contacts = health.workers.iter().find(|w| w.projection == CONTACTS).unwrap();
    let error = contacts
        .error
        .as_deref()
        .expect("the error is on the health view");
    assert!(error.contains("Nowhere/On_Purpose"), "{error}");
    assert_eq!(
        contacts.checkpoint,
        unplaceable - 1,
        "Ada's creation, before it, is applied"
    );
    let names: Vec<String> =
        engine::on_pool!(db.store().reader(), p => sqlx::query_scalar("SELECT name FROM projected_contacts")
        .fetch_all(p)
        .await)
        .unwrap();
    assert_eq!(names, ["Ada"], "Bob, after it, waits behind it");
}
