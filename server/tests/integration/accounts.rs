//! Accounts: sign-up stores an argon2id hash and never a credential in an event, sign-in
//! opens a session and slows down repeated failures, sessions end, and every event records
//! the entity (account or system process) that caused it.

use crate::common;

use app::account::SignUpForm;
use app::events::{AccountSettings, AccountSettingsChanged, Event};
use chrono::{Duration, Utc};
use common::{PASSWORD, TestDb};
use server::accounts;

fn sign_up_form(email: &str) -> SignUpForm {
    SignUpForm {
        email: email.into(),
        password: PASSWORD.into(),
        display_name: "Ada".into(),
        time_zone: "Europe/Paris".into(),
    }
}

#[tokio::test]
async fn sign_up_keeps_an_argon2id_hash_and_records_an_event_without_credentials() {
    let db = TestDb::new().await;
    let session = db.sign_up("Ada@Example.com").await;
    let hash: String = engine::on_pool!(db.store().reader(), p => sqlx::query_scalar("SELECT password_hash FROM credentials WHERE account_id = $1")
        .bind(session.actor.account_id)
        .fetch_one(p)
        .await)
        .unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(!hash.contains(PASSWORD));

    let (payload, entity_id, name): (String, i64, String) = engine::on_pool!(db.store().reader(), p => sqlx::query_as(
        "SELECT CAST(e.payload AS TEXT), e.entity_id, t.name FROM events e JOIN event_types t ON t.id = e.event_type_id",
    )
    .fetch_one(p)
    .await)
    .unwrap();
    assert_eq!(name, "account-registered");
    assert_eq!(
        entity_id, session.actor.entity_id,
        "the account caused its own registration"
    );
    assert!(
        !payload.contains(PASSWORD) && !payload.contains("argon2"),
        "{payload}"
    );
    let kind: String = engine::on_pool!(db.store().reader(), p => sqlx::query_scalar("SELECT kind FROM entities WHERE id = $1")
        .bind(entity_id)
        .fetch_one(p)
        .await)
        .unwrap();
    assert_eq!(kind, "account");

    // The settings projection has the account, with the defaults.
    db.dispatcher().run_until_caught_up().await.unwrap();
    let settings =
        server::accounts::settings::account_settings(db.store().reader(), session.actor.account_id)
            .await
            .unwrap()
            .unwrap();
    assert_eq!(
        settings,
        AccountSettings {
            display_name: "Ada".into(),
            notes_email: "Ada@Example.com".into(),
            time_zone: "UTC".into(),
            morning_email_hour: 7,
        }
    );
}

#[tokio::test]
async fn an_address_signs_up_once_whatever_its_case_and_a_refusal_stores_nothing() {
    let db = TestDb::new().await;
    db.sign_up("ada@example.com").await;
    let events = db.count("SELECT COUNT(*) FROM events").await;
    let refused = accounts::sign_up(
        db.store(),
        sign_up_form("ADA@example.com")
            .check(server::accounts::settings::is_time_zone)
            .unwrap(),
    )
    .await
    .unwrap()
    .unwrap_err();
    assert_eq!(
        refused.for_field("email"),
        Some("There is already an account with this email address. Sign in instead.")
    );
    assert_eq!(db.count("SELECT COUNT(*) FROM events").await, events);
    assert_eq!(db.count("SELECT COUNT(*) FROM credentials").await, 1);
    assert_eq!(
        db.count("SELECT COUNT(*) FROM accounts WHERE id NOT IN (SELECT account_id FROM credentials)")
            .await,
        1,
        "only the test's bare account"
    );
}

#[tokio::test]
async fn sign_in_opens_a_session_that_sign_out_ends() {
    let db = TestDb::new().await;
    let signed_up = db.sign_up("ada@example.com").await;
    let now = Utc::now();
    let session = accounts::sign_in(db.store(), " ADA@example.com ", PASSWORD, now)
        .await
        .unwrap()
        .expect("the right password signs in");
    assert_eq!(session.actor, signed_up.actor);
    let signed_in = accounts::session(db.store(), &session.token, now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(signed_in.actor, signed_up.actor);
    assert_eq!(signed_in.email, "ada@example.com");
    assert_ne!(
        signed_in.session, session.token,
        "only a hash of the token is stored"
    );
    let stored = db.count("SELECT COUNT(*) FROM sessions").await;
    assert_eq!(stored, 2, "one session from sign-up, one from sign-in");

    accounts::sign_out(db.store(), &signed_in.session).await.unwrap();
    assert_eq!(
        accounts::session(db.store(), &session.token, now).await.unwrap(),
        None
    );
    // The sign-up's session is another browser's: it stays until it expires.
    assert!(
        accounts::session(db.store(), &signed_up.token, now)
            .await
            .unwrap()
            .is_some()
    );
    let later = now + Duration::days(31);
    assert_eq!(
        accounts::session(db.store(), &signed_up.token, later)
            .await
            .unwrap(),
        None
    );
    // Signing in forgets sessions that have ended.
    accounts::sign_in(db.store(), "ada@example.com", PASSWORD, later)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(db.count("SELECT COUNT(*) FROM sessions").await, 1);
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_address_get_the_same_answer() {
    let db = TestDb::new().await;
    db.sign_up("ada@example.com").await;
    let wrong = accounts::sign_in(db.store(), "ada@example.com", "not the password", Utc::now())
        .await
        .unwrap()
        .unwrap_err();
    let unknown = accounts::sign_in(db.store(), "nobody@example.com", PASSWORD, Utc::now())
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(wrong, unknown);
    assert!(wrong.for_field("password").unwrap().contains("do not match"));
    let empty = accounts::sign_in(db.store(), " ", "", Utc::now())
        .await
        .unwrap()
        .unwrap_err();
    let fields: Vec<&str> = empty.errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["email", "password"]);
}

#[tokio::test]
async fn repeated_failed_sign_ins_for_one_address_are_slowed_down() {
    let db = TestDb::new().await;
    db.sign_up("ada@example.com").await;
    db.sign_up("bob@example.com").await;
    let start = Utc::now();
    for attempt in 0..5 {
        let refused = accounts::sign_in(db.store(), "ada@example.com", "guess", start)
            .await
            .unwrap()
            .unwrap_err();
        assert!(
            refused.for_field("password").is_some(),
            "attempt {attempt}: {refused}"
        );
    }
    // Five failures cost nothing; the sixth must wait, even with the right password.
    let refused = accounts::sign_in(db.store(), "ADA@example.com", PASSWORD, start)
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(
        refused.for_field("email"),
        Some("Too many failed sign-ins for this address. Wait 1 s and try again.")
    );
    // Another address is not slowed down.
    accounts::sign_in(db.store(), "bob@example.com", PASSWORD, start)
        .await
        .unwrap()
        .expect("bob is not throttled");

    // After the wait, another wrong guess doubles it.
    let later = start + Duration::seconds(2);
    accounts::sign_in(db.store(), "ada@example.com", "guess", later)
        .await
        .unwrap()
        .unwrap_err();
    let refused = accounts::sign_in(db.store(), "ada@example.com", PASSWORD, later)
        .await
        .unwrap()
        .unwrap_err();
    assert!(
        refused.for_field("email").unwrap().contains("Wait 2 s"),
        "{refused}"
    );

    // Once the wait is over, the right password signs in and the count starts again.
    let much_later = later + Duration::seconds(3);
    accounts::sign_in(db.store(), "ada@example.com", PASSWORD, much_later)
        .await
        .unwrap()
        .expect("the right password after the wait");
    assert_eq!(db.count("SELECT COUNT(*) FROM sign_in_failures").await, 0);
}

#[tokio::test]
async fn system_processes_are_entities_and_settings_changes_are_events_of_the_account() {
    let db = TestDb::new().await;
    let processes: Vec<(String, String)> =
        engine::on_pool!(db.store().reader(), p => sqlx::query_as("SELECT kind, name FROM entities WHERE kind = 'process' ORDER BY name")
            .fetch_all(p)
            .await)
            .unwrap();
    assert_eq!(
        processes,
        [
            ("process".to_owned(), "dispatcher".to_owned()),
            ("process".to_owned(), "mailer".to_owned())
        ]
    );

    let ada = db.sign_up("ada@example.com").await.actor;
    let changed = Event::from(AccountSettingsChanged(AccountSettings {
        display_name: "Ada L.".into(),
        notes_email: "notes@example.com".into(),
        time_zone: "Europe/London".into(),
        morning_email_hour: 6,
    }));
    let receipt = db.accept(ada, &changed).await;
    let entity: i64 = engine::on_pool!(db.store().reader(), p => sqlx::query_scalar("SELECT entity_id FROM events WHERE id = $1")
        .bind(receipt.event_id)
        .fetch_one(p)
        .await)
        .unwrap();
    assert_eq!(entity, ada.entity_id);
    db.dispatcher().run_until_caught_up().await.unwrap();
    let settings = server::accounts::settings::account_settings(db.store().reader(), ada.account_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (settings.time_zone.as_str(), settings.morning_email_hour),
        ("Europe/London", 6)
    );
}

#[test]
fn every_address_the_settings_accept_is_one_address_to_the_mailer() {
    let accepted = [
        "ada@example.com",
        "o'brien+notes@example.co.uk",
        "first.last@sub.example.org",
        "zoë@exämple.de",
        "a!#$%&*=?^_`{|}~-b@example.com",
    ];
    for address in accepted {
        assert_eq!(app::account::check_email(address), Ok(()), "{address}");
        let parsed: lettre::Address = address.parse().unwrap_or_else(|e| panic!("{address}: {e}"));
        assert_eq!(parsed.to_string(), address);
        let mailbox: lettre::message::Mailbox = address.parse().unwrap();
        assert_eq!(mailbox.email, parsed, "{address} is one mailbox");
    }
    for address in [
        "a,b@y.com",
        "a@x.com, b@y.com",
        "Ada <ada@example.com>",
        "\"a\"@x.com",
    ] {
        assert!(app::account::check_email(address).is_err(), "{address}");
    }
}
