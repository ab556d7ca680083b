//! Isolation between accounts, through every server function and page: account B gets "not
//! found" for account A's contact (never "forbidden", which would tell B it exists), changes
//! nothing of A's, and may have a contact of the same name.

use crate::common;

use app::error::CommandOutcome;
use app::routes::contact::interactions::{CorrectInteraction, RecordInteraction, RemoveInteraction};
use app::routes::contact::meeting::{CancelMeeting, ScheduleMeeting};
use app::routes::contact::{DeleteContact, EditContact, GetContact};
use app::routes::contacts::{AddContact, ListContacts};
use app::views::{ContactView, ContactsView};
use axum::http::StatusCode;
use common::{TestDb, call, page};
use leptos::server_fn::ServerFn;

async fn command(db: &TestDb, path: &str, token: &str, body: &str) -> CommandOutcome {
    let (status, answer) = call(db, path, token, body).await;
    assert_eq!(status, StatusCode::OK, "{path}: {answer:?}");
    answer.unwrap()
}

fn event_id(outcome: CommandOutcome) -> i64 {
    match outcome {
        CommandOutcome::Accepted(receipt) => receipt.event_id,
        CommandOutcome::Rejected(rejection) => panic!("refused: {rejection}"),
    }
}

#[tokio::test]
async fn another_account_finds_nothing_of_yours_anywhere_and_may_use_the_same_names() {
    let db = TestDb::new().await;
    let a = db.sign_up("a@example.com").await.token;
    let b = db.sign_up("b@example.com").await.token;

    let body = "name=Bob&description=A%27s+old+friend&contact_method=bob%40a.example";
    event_id(command(&db, AddContact::PATH, &a, body).await);
    let body = "contact=Bob&occurred_on=2019-08-13&kind=coffee&note=";
    let interaction = event_id(command(&db, RecordInteraction::PATH, &a, body).await);
    let body = "contact=Bob&meeting_on=2019-08-20&meeting_time=09%3A30&notes=Ask+about+Postgres";
    event_id(command(&db, ScheduleMeeting::PATH, &a, body).await);
    db.dispatcher().run_until_caught_up().await.unwrap();
    let events = db.count("SELECT COUNT(*) FROM events").await;

    // Every command of B's that names A's contact is refused as "no such contact".
    let attempts = [
        (
            EditContact::PATH,
            "current_name=Bob&name=Bob&description=B+was+here&contact_method=".to_owned(),
        ),
        (DeleteContact::PATH, "name=Bob".to_owned()),
        (
            RecordInteraction::PATH,
            "contact=Bob&occurred_on=2019-08-14&kind=call&note=".to_owned(),
        ),
        (
            CorrectInteraction::PATH,
            format!("contact=Bob&interaction={interaction}&occurred_on=2019-08-14&kind=call&note="),
        ),
        (
            RemoveInteraction::PATH,
            format!("contact=Bob&interaction={interaction}"),
        ),
        (
            ScheduleMeeting::PATH,
            "contact=Bob&meeting_on=2019-09-01&meeting_time=10%3A00&notes=".to_owned(),
        ),
        (CancelMeeting::PATH, "contact=Bob".to_owned()),
    ];
    for (path, body) in &attempts {
        match command(&db, path, &b, body).await {
            CommandOutcome::Rejected(rejection) => {
                let message = rejection.for_field("contact").unwrap_or_default();
                assert!(
                    message.contains("There is no contact named “Bob”"),
                    "{path}: {rejection}"
                );
                assert!(
                    !message.to_lowercase().contains("forbidden"),
                    "{path}: {rejection}"
                );
            }
            accepted => panic!("{path} was accepted for B: {accepted:?}"),
        }
    }
    // Not even by guessing A's interaction under a contact of B's own.
    event_id(
        command(
            &db,
            AddContact::PATH,
            &b,
            "name=Carol&description=&contact_method=",
        )
        .await,
    );
    let body = format!("contact=Carol&interaction={interaction}");
    let outcome = command(&db, RemoveInteraction::PATH, &b, &body).await;
    assert!(matches!(outcome, CommandOutcome::Rejected(_)), "{outcome:?}");
    assert_eq!(db.count("SELECT COUNT(*) FROM events").await, events + 1);

    // Every query of B's: nothing of A's.
    let (_, answer) = call::<ContactView>(&db, GetContact::PATH, &b, "name=Bob").await;
    let view = answer.unwrap();
    assert_eq!(
        (view.contact, view.interactions.len(), view.meeting),
        (None, 0, None)
    );
    db.dispatcher().run_until_caught_up().await.unwrap();
    let (_, answer) = call::<ContactsView>(&db, ListContacts::PATH, &b, "query=").await;
    let list = answer.unwrap();
    let names: Vec<&str> = list.contacts.iter().map(|c| c.name.as_str()).collect();
    assert_eq!((names, list.total), (vec!["Carol"], 1));
    let (_, answer) = call::<ContactsView>(&db, ListContacts::PATH, &b, "query=q%3DBob").await;
    let list = answer.unwrap();
    assert_eq!(list.matching, 0);

    // Every page of B's: a 404 that says no such contact, and none of A's words.
    let (status, html) = page(&db, "/contacts/Bob", &b).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("No contact called"), "{html}");
    for secret in ["old friend", "bob@a.example", "Postgres", "coffee"] {
        assert!(!html.contains(secret), "B's page shows {secret}");
    }
    let (status, html) = page(&db, "/contacts", &b).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("old friend") && html.contains("Carol"), "{html}");

    // A still has everything, untouched.
    let (status, html) = page(&db, "/contacts/Bob", &a).await;
    assert_eq!(status, StatusCode::OK);
    for shown in ["old friend", "coffee", "Postgres"] {
        assert!(html.contains(shown), "A's page lacks {shown}");
    }

    // And B may have a Bob of their own.
    event_id(
        command(
            &db,
            AddContact::PATH,
            &b,
            "name=Bob&description=B%27s+Bob&contact_method=",
        )
        .await,
    );
    db.dispatcher().run_until_caught_up().await.unwrap();
    let (status, html) = page(&db, "/contacts/Bob", &b).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("B&#x27;s Bob") || html.contains("B's Bob"),
        "{html}"
    );
    assert!(!html.contains("old friend"));
}
