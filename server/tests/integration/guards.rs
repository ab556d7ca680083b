//! The command side's checks give the same answer whichever way an event is appended: through
//! the appender (on PostgreSQL, the guards' SQL functions, a batch in one statement) or inside
//! the caller's own transaction (the guards' statements one by one, as on SQLite).

use crate::common;

use app::error::Rejection;
use app::events::{
    ContactDeleted, Event, InteractionCorrected, InteractionRecorded, InteractionRemoved,
    MeetingNotesEmailRequested, NextMeetingScheduled,
};
use chrono::{NaiveDate, NaiveTime};
use common::{TestDb, created, edited};
use engine::db::Backend;
use engine::on;

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, d).unwrap()
}

fn coffee(contact: &str) -> Event {
    Event::from(InteractionRecorded {
        contact: contact.into(),
        occurred_on: day(1),
        kind: "coffee".into(),
        note: String::new(),
    })
}

fn corrected(contact: &str, interaction: i64) -> Event {
    Event::from(InteractionCorrected {
        contact: contact.into(),
        interaction,
        occurred_on: day(2),
        kind: "call".into(),
        note: "corrected".into(),
    })
}

fn removed(contact: &str, interaction: i64) -> Event {
    Event::from(InteractionRemoved {
        contact: contact.into(),
        interaction,
    })
}

fn email_again(contact: &str, meeting_on: NaiveDate) -> Event {
    Event::from(MeetingNotesEmailRequested {
        contact: contact.into(),
        meeting_on,
    })
}

/// What the guard answers for `event` inside a write transaction that is then rolled back, so
/// nothing of it stays.
async fn in_a_transaction(db: &TestDb, event: &Event) -> Result<(), Rejection> {
    let mut tx = db.store().writer().begin_write().await.unwrap();
    let outcome = db
        .store()
        .append_in(tx.conn(), db.local(), event)
        .await
        .expect("the store answers");
    tx.rollback().await.unwrap();
    outcome.map(drop)
}

/// Appends `event` through the appender, after checking that an append of it inside a
/// transaction gets the same answer; returns the answer.
async fn both_ways(db: &TestDb, event: &Event) -> Result<i64, Rejection> {
    let inside = in_a_transaction(db, event).await;
    let appended = db
        .store()
        .append(db.local(), event)
        .await
        .expect("the store answers")
        .map(|receipt| receipt.event_id);
    assert_eq!(
        appended.as_ref().map(drop),
        inside.as_ref().map(drop),
        "{event:?}: the appender and the transaction differ"
    );
    appended
}

/// A morning email's record in `state`, as the mailer leaves it.
async fn delivery(db: &TestDb, contact: &str, meeting_on: NaiveDate, state: &str) {
    let mut tx = db.store().writer().begin_write().await.unwrap();
    on!(tx.conn(), c => sqlx::query(
        "INSERT INTO meeting_notes_deliveries \
         (account_id, contact_name, meeting_on, message_id, state, attempts, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 1, $6)",
    )
    .bind(db.local().account_id)
    .bind(contact)
    .bind(meeting_on)
    .bind(format!("<{state}@kith.test>"))
    .bind(state)
    .bind(chrono::Utc::now())
    .execute(c)
    .await
    .map(drop))
    .unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn the_appender_and_a_transaction_refuse_alike_and_say_the_same() {
    let db = TestDb::new().await;
    for event in [created("Bob", "Friend"), created("Carol", "Friend")] {
        both_ways(&db, &event).await.expect("a new name is accepted");
    }
    let bobs_coffee = both_ways(&db, &coffee("Bob")).await.expect("Bob exists");
    delivery(&db, "Bob", day(10), "sent").await;
    delivery(&db, "Bob", day(11), "given_up").await;
    delivery(&db, "Bob", day(12), "waiting").await;
    delivery(&db, "Bob", day(13), "failed").await;
    let meeting = Event::from(NextMeetingScheduled {
        contact: "Nobody".into(),
        meeting_on: day(20),
        meeting_time: NaiveTime::from_hms_opt(9, 30, 0).unwrap(),
        time_zone: "Europe/Paris".into(),
        notes: String::new(),
    });

    let refused = [
        (created("bob", ""), "name"),
        (created("BOB", ""), "name"),
        (edited("Nobody", None, ""), "contact"),
        (edited("Bob", Some("carol"), ""), "name"),
        (coffee("Nobody"), "contact"),
        (meeting, "contact"),
        (corrected("Bob", bobs_coffee + 1000), "interaction"),
        (removed("Carol", bobs_coffee), "interaction"),
        (email_again("Bob", day(9)), "meeting_on"),
        (email_again("Bob", day(10)), "meeting_on"),
        (email_again("Bob", day(11)), "meeting_on"),
        (email_again("Bob", day(12)), "meeting_on"),
    ];
    let mut messages = Vec::new();
    for (event, field) in &refused {
        let inside = in_a_transaction(&db, event).await.unwrap_err();
        let appended = db.refuse(db.local(), event).await;
        assert_eq!(appended, inside, "{event:?}");
        assert_eq!(appended.errors[0].field, *field, "{event:?}: {appended:?}");
        messages.push(appended.errors[0].message.clone());
    }
    assert!(messages[0].contains("“Bob”"), "{messages:?}");
    assert!(messages[2].contains("“Nobody”"), "{messages:?}");
    let email_refusals: std::collections::BTreeSet<_> = messages[8..].iter().collect();
    assert_eq!(email_refusals.len(), 4, "each state says why: {messages:?}");

    both_ways(&db, &email_again("Bob", day(13)))
        .await
        .expect("a failed email may be asked for again");
    let again = db.refuse(db.local(), &email_again("Bob", day(13))).await;
    assert_eq!(again, db.refuse(db.local(), &email_again("Bob", day(12))).await);

    both_ways(&db, &edited("Bob", Some("Robert"), "Friend"))
        .await
        .expect("a rename to a free name is accepted");
    let moved: i64 = db
        .count("SELECT COUNT(*) FROM meeting_notes_deliveries WHERE contact_name = 'Robert'")
        .await;
    assert_eq!(moved, 4, "the emails follow the rename");
    both_ways(&db, &corrected("Robert", bobs_coffee))
        .await
        .expect("the interaction follows the rename");
    both_ways(&db, &removed("Robert", bobs_coffee))
        .await
        .expect("and can be removed");
    assert_eq!(
        both_ways(&db, &removed("Robert", bobs_coffee))
            .await
            .unwrap_err()
            .errors[0]
            .field,
        "interaction"
    );
    both_ways(
        &db,
        &Event::from(ContactDeleted {
            name: "Robert".into(),
        }),
    )
    .await
    .expect("Robert can be deleted");
    assert_eq!(
        db.count("SELECT COUNT(*) FROM meeting_notes_deliveries").await,
        0,
        "and his emails go with him"
    );
    both_ways(&db, &created("robert", "A new one"))
        .await
        .expect("the name is free again");
}

/// On PostgreSQL the appender runs the guards in the database: a check function that refuses
/// everything refuses the appender's events, and not those appended in a transaction.
#[tokio::test]
async fn on_postgres_the_appender_runs_the_guards_in_the_database() {
    let db = TestDb::new().await;
    if db.backend() != Backend::Postgres {
        return;
    }
    let before = db.count("SELECT COUNT(*) FROM events").await;
    let pool = TestDb::other_pool(&db.url()).await;
    engine::on_pool!(&pool, p => sqlx::raw_sql(
        "CREATE OR REPLACE FUNCTION kith_guard_check(account bigint, facts jsonb) RETURNS jsonb \
         LANGUAGE sql AS $$ SELECT jsonb_build_object('refusal', 'no_interaction') $$",
    )
    .execute(p)
    .await
    .map(drop))
    .unwrap();

    let refused = db.refuse(db.local(), &created("Bob", "")).await;
    assert_eq!(refused.errors[0].field, "interaction", "{refused:?}");
    assert_eq!(in_a_transaction(&db, &created("Bob", "")).await, Ok(()));
    assert_eq!(db.count("SELECT COUNT(*) FROM events").await, before);
}
