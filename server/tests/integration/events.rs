//! The event browser's query: an account's own events only, newest first, filtered by type and
//! by contact, a page at a time.

use crate::common;

use app::views::EventQuery;
use common::{TestDb, created, edited};

#[tokio::test]
async fn an_account_sees_only_its_own_events_newest_first_filtered_and_paged() {
    let db = TestDb::new().await;
    let (ada, eve) = (db.local(), db.bare_account().await);
    db.accept(ada, &created("Bob", "builder")).await;
    db.accept(ada, &edited("Bob", Some("Robert"), "builder")).await;
    db.accept(ada, &created("Sally", "engineer")).await;
    db.accept(eve, &created("Mallory", "secret")).await;

    let all = server::event_browser::events(db.store().reader(), ada.account_id, EventQuery::default())
        .await
        .unwrap();
    let types: Vec<&str> = all.events.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(types, ["contact-created", "contact-edited", "contact-created"]);
    assert!(all.events.windows(2).all(|w| w[0].id > w[1].id), "newest first");
    assert!(all.events.iter().all(|e| e.caused_by == "you" && e.version == 2));
    assert!(
        all.events[0].payload.contains("\"name\": \"Sally\""),
        "{}",
        all.events[0].payload
    );
    assert!(all.events.iter().all(|e| !e.payload.contains("Mallory")));
    assert!(all.event_types.contains(&"meeting-notes-email-sent".to_owned()));
    assert_eq!(all.older, None);

    let query = |search: &str| EventQuery::from_query(search);
    let edits =
        server::event_browser::events(db.store().reader(), ada.account_id, query("type=contact-edited"))
            .await
            .unwrap();
    assert_eq!(edits.events.len(), 1);
    // The filter finds the events that name the contact, and every event of the contact it is
    // now: Robert's creation, stored as Bob's, is found under either name.
    db.dispatcher().run_until_caught_up().await.unwrap();
    for (name, count) in [("Bob", 2), ("Robert", 2)] {
        let bob = server::event_browser::events(
            db.store().reader(),
            ada.account_id,
            query(&format!("contact={name}")),
        )
        .await
        .unwrap();
        assert_eq!(bob.events.len(), count, "{name}");
    }
    let none = server::event_browser::events(db.store().reader(), eve.account_id, query("contact=Bob"))
        .await
        .unwrap();
    assert!(none.events.is_empty());

    // Pages of 50: the second starts where the first ended.
    for n in 0..60 {
        db.accept(ada, &created(&format!("Person {n}"), "")).await;
    }
    let first = server::event_browser::events(db.store().reader(), ada.account_id, EventQuery::default())
        .await
        .unwrap();
    assert_eq!(first.events.len(), 50);
    let older = first.older.expect("a next page");
    assert_eq!(older, first.events.last().unwrap().id);
    let second = server::event_browser::events(
        db.store().reader(),
        ada.account_id,
        EventQuery {
            before: Some(older),
            ..EventQuery::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(second.events.len(), 13);
    assert!(second.events[0].id < older);
    assert_eq!(
        query(&second.query.to_url().replace("/events?", "")),
        second.query
    );
}
