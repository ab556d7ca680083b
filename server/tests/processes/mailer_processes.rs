//! The mailer as separate processes (`server mailer`) on one database file, on the system
//! clock: a process killed between sending an email and recording it, and two processes at
//! once. Each account's zone is picked so that it is around noon there, whenever the test runs.

use crate::common;

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use app::backend::Actor;
use app::events::{
    AccountSettings, AccountSettingsChanged, Event, MeetingNotesEmailRequested, NextMeetingScheduled,
};
use app::views::MeetingEmailView;
use chrono::{NaiveDate, NaiveTime, Timelike, Utc};
use common::smtp::{Behaviour, SmtpServer};
use common::{TestDb, created};
use engine::clock::ManualClock;
use server::meetings::mailer::{Mailer, MailerSettings, Transport};

const FROM: &str = "Kith <kith@kith.test>";

/// A fixed-offset zone where it is about noon now, and today's date there.
fn noon_zone() -> (String, NaiveDate) {
    let now = Utc::now();
    let offset = 12 - i32::try_from(now.hour()).unwrap();
    // The Etc zones count the other way round: Etc/GMT-3 is three hours ahead of UTC.
    let name = match offset {
        0 => "Etc/GMT".to_owned(),
        o if o > 0 => format!("Etc/GMT-{o}"),
        o => format!("Etc/GMT+{}", -o),
    };
    let zone: chrono_tz::Tz = name.parse().unwrap();
    (name, now.with_timezone(&zone).date_naive())
}

/// An account in a zone where it is noon, whose email goes out from midnight, with a meeting
/// today with each of `contacts`.
async fn due_meetings(db: &TestDb, contacts: &[String]) -> (Actor, NaiveDate) {
    let ada = db.local();
    let (zone, today) = noon_zone();
    db.accept(
        ada,
        &Event::from(AccountSettingsChanged(AccountSettings {
            display_name: "Ada".into(),
            notes_email: "ada@example.com".into(),
            time_zone: zone.clone(),
            morning_email_hour: 0,
        })),
    )
    .await;
    for contact in contacts {
        db.accept(ada, &created(contact, "")).await;
        let meeting = NextMeetingScheduled {
            contact: contact.clone(),
            meeting_on: today,
            meeting_time: NaiveTime::from_hms_opt(23, 0, 0).unwrap(),
            time_zone: zone.clone(),
            notes: "notes".into(),
        };
        db.accept(ada, &Event::from(meeting)).await;
    }
    db.dispatcher().run_until_caught_up().await.unwrap();
    (ada, today)
}

/// `server mailer` on the test's database, sending to `smtp`.
fn mailer_process(db: &TestDb, smtp: &SmtpServer) -> Child {
    Command::new(env!("CARGO_BIN_EXE_server"))
        .arg("mailer")
        .env("DATABASE_URL", db.url())
        .env("SMTP_URL", smtp.url())
        .env("KITH_MAIL_FROM", FROM)
        .env("KITH_MAIL_INTERVAL_MS", "50")
        .env("KITH_SMTP_TIMEOUT_SECS", "5")
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the server binary starts")
}

fn signal(pid: u32, signal: &str) {
    let status = Command::new("kill")
        .args([signal, &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success(), "kill {signal} {pid}");
}

#[tokio::test]
async fn a_mailer_killed_between_sending_and_recording_never_sends_a_second_copy_unasked() {
    let db = TestDb::new().await;
    let (ada, today) = due_meetings(&db, &["Bob".to_owned()]).await;
    let smtp = SmtpServer::start(Behaviour::Accept).await;
    // The moment the server has the message, freeze the mailer process, so it never hears the
    // server accept it and never records it; then kill it.
    let pid = Arc::new(AtomicU32::new(0));
    let (got, mut message_in) = tokio::sync::mpsc::unbounded_channel();
    let frozen = pid.clone();
    let armed = AtomicBool::new(true);
    smtp.on_message(move || {
        if armed.swap(false, Ordering::SeqCst) {
            signal(frozen.load(Ordering::SeqCst), "-STOP");
            let _ = got.send(());
        }
    });
    let mut child = mailer_process(&db, &smtp);
    pid.store(child.id(), Ordering::SeqCst);
    let heard = tokio::time::timeout(Duration::from_secs(60), message_in.recv()).await;
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(heard.is_ok(), "the mailer process sent nothing within a minute");
    assert_eq!(smtp.received().len(), 1);
    assert_eq!(
        db.count("SELECT COUNT(*) FROM meeting_notes_deliveries WHERE state = 'sending'")
            .await,
        1
    );

    // The mailer runs again after the crash (here in this process, its clock past the claim).
    let clock = Arc::new(ManualClock::new(Utc::now() + chrono::Duration::minutes(10)));
    let settings = MailerSettings {
        from: FROM.parse().unwrap(),
        interval: Duration::from_secs(60),
        runner: "after the crash".into(),
        catch_up: Duration::ZERO,
    };
    let transport = Transport::smtp(&smtp.url(), Duration::from_secs(5)).unwrap();
    let mailer = Mailer::new(db.store().clone(), transport, settings, clock.clone())
        .await
        .unwrap();
    assert_eq!(mailer.tick().await.unwrap().failed, 1);
    clock.advance(chrono::Duration::minutes(10));
    assert_eq!(mailer.tick().await.unwrap().sent, 0);
    assert_eq!(smtp.received().len(), 1, "no second copy on a guess");

    let contact = |db: &TestDb| {
        let db_reader = db.store().reader().clone();
        let dispatcher = db.dispatcher().clone();
        async move {
            dispatcher.run_until_caught_up().await.unwrap();
            server::contacts::queries::contact(&db_reader, &dispatcher, ada.account_id, "Bob", Utc::now())
                .await
                .unwrap()
                .meeting
                .unwrap()
                .email
        }
    };
    match contact(&db).await {
        MeetingEmailView::Failed {
            reason,
            can_send_again,
        } => {
            assert!(reason.contains("Kith stopped while it was sending"), "{reason}");
            assert!(can_send_again);
        }
        other => panic!("expected Failed, got {other:?}"),
    }

    // The account holder finds no email and asks again: a second copy, with the same Message-ID.
    db.accept(
        ada,
        &Event::from(MeetingNotesEmailRequested {
            contact: "Bob".into(),
            meeting_on: today,
        }),
    )
    .await;
    db.dispatcher().run_until_caught_up().await.unwrap();
    assert_eq!(mailer.tick().await.unwrap().sent, 1);
    let received = smtp.received();
    assert_eq!(received.len(), 2);
    assert_eq!(received[0].header("Message-ID"), received[1].header("Message-ID"));
    assert!(matches!(contact(&db).await, MeetingEmailView::Sent { .. }));
}

#[tokio::test]
async fn two_mailer_processes_at_once_send_each_email_once() {
    let db = TestDb::new().await;
    let contacts: Vec<String> = (0..10).map(|i| format!("Contact {i}")).collect();
    due_meetings(&db, &contacts).await;
    let smtp = SmtpServer::start(Behaviour::Accept).await;
    let mut first = mailer_process(&db, &smtp);
    let mut second = mailer_process(&db, &smtp);
    smtp.wait_for(contacts.len(), Duration::from_secs(60)).await;
    // Wait until every email is recorded as sent, then give both a few more runs to send one twice.
    for _ in 0..120 {
        if db
            .count("SELECT COUNT(*) FROM meeting_notes_deliveries WHERE state = 'sent'")
            .await
            == 10
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    for child in [&mut first, &mut second] {
        child.kill().unwrap();
        child.wait().unwrap();
    }
    assert_eq!(
        db.count("SELECT COUNT(*) FROM meeting_notes_deliveries WHERE state = 'sent'")
            .await,
        10
    );
    let received = smtp.received();
    assert_eq!(received.len(), 10);
    let mut ids: Vec<String> = received.iter().map(|r| r.header("Message-ID").unwrap()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 10, "each email once, none twice");
}
