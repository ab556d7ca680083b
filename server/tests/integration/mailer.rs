//! The morning email, end to end on real parts: a real SQLite file, the real projections, and
//! lettre speaking real SMTP to a server on loopback. The clock is moved by hand, so whole
//! days run in milliseconds.

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use app::backend::Actor;
use app::events::{
    AccountSettings, AccountSettingsChanged, Event, MeetingNotesEmailRequested, NextMeetingCancelled,
    NextMeetingScheduled,
};
use app::receipt::EventId;
use app::views::{MeetingEmailView, MeetingView};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use common::smtp::{Behaviour, Received, SmtpServer};
use common::{TestDb, created, edited};
use engine::clock::{Clock, ManualClock};
use server::meetings::mailer::{Mailer, MailerSettings, RunReport, Transport};

const FROM: &str = "Kith <kith@kith.test>";
const INTERVAL: Duration = Duration::from_secs(5 * 60);

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn settings(zone: &str, hour: u8) -> Event {
    Event::from(AccountSettingsChanged(AccountSettings {
        display_name: "Ada".into(),
        notes_email: "ada@example.com".into(),
        time_zone: zone.into(),
        morning_email_hour: hour,
    }))
}

fn meeting(contact: &str, on: &str, time: &str, zone: &str, notes: &str) -> Event {
    Event::from(NextMeetingScheduled {
        contact: contact.into(),
        meeting_on: day(on),
        meeting_time: NaiveTime::parse_from_str(time, "%H:%M").unwrap(),
        time_zone: zone.into(),
        notes: notes.into(),
    })
}

fn ask_again(contact: &str, on: &str) -> Event {
    Event::from(MeetingNotesEmailRequested {
        contact: contact.into(),
        meeting_on: day(on),
    })
}

/// A database with one account in `zone` whose email goes out at `hour`, a mail server on
/// loopback and a clock at `now`.
struct Fixture {
    db: TestDb,
    ada: Actor,
    smtp: SmtpServer,
    clock: Arc<ManualClock>,
    mailer: Mailer,
}

async fn mailer_on(db: &TestDb, transport: Transport, clock: Arc<ManualClock>, runner: &str) -> Mailer {
    let settings = MailerSettings {
        from: FROM.parse().unwrap(),
        interval: INTERVAL,
        runner: runner.into(),
        catch_up: Duration::ZERO,
    };
    Mailer::new(db.store().clone(), transport, settings, clock)
        .await
        .unwrap()
}

fn smtp_transport(smtp: &SmtpServer) -> Transport {
    Transport::smtp(&smtp.url(), Duration::from_millis(400)).unwrap()
}

impl Fixture {
    async fn new(zone: &str, hour: u8, now: &str) -> Self {
        let db = TestDb::new().await;
        let ada = db.local();
        db.accept(ada, &settings(zone, hour)).await;
        let smtp = SmtpServer::start(Behaviour::Accept).await;
        let clock = Arc::new(ManualClock::new(at(now)));
        let mailer = mailer_on(&db, smtp_transport(&smtp), clock.clone(), "test mailer").await;
        Self {
            db,
            ada,
            smtp,
            clock,
            mailer,
        }
    }

    async fn add(&self, events: &[Event]) {
        for event in events {
            self.db.accept(self.ada, event).await;
        }
    }

    /// Brings every projection up to date, then runs the mailer once at the clock's time.
    async fn tick(&self) -> RunReport {
        self.db.dispatcher().run_until_caught_up().await.unwrap();
        let report = self.mailer.tick().await.unwrap();
        self.db.dispatcher().run_until_caught_up().await.unwrap();
        report
    }

    async fn meeting(&self, contact: &str) -> MeetingView {
        self.db.dispatcher().run_until_caught_up().await.unwrap();
        server::contacts::queries::contact(
            self.db.store().reader(),
            self.db.dispatcher(),
            self.ada.account_id,
            contact,
            self.clock.now(),
        )
        .await
        .unwrap()
        .meeting
        .unwrap_or_else(|| panic!("{contact} has no meeting"))
    }

    /// Rebuilds `projected_meeting_notes_emails` in place from the events up to `upto` only, as
    /// a replay half-way through would have it, and sets its checkpoint to `checkpoint`.
    async fn rebuild_emails_up_to(&self, upto: EventId, checkpoint: EventId) {
        self.db
            .dispatcher()
            .reset("projected_meeting_notes_emails")
            .await
            .unwrap();
        let emails = server::projections::all()
            .into_iter()
            .find(|p| p.name() == "projected_meeting_notes_emails")
            .unwrap();
        let store = self.db.store();
        let mut tx = store.writer().begin().await.unwrap();
        for stored in store.events_after(tx.conn(), 0, upto).await.unwrap() {
            emails
                .apply(tx.conn(), &stored, &stored.decode().unwrap())
                .await
                .unwrap();
        }
        engine::on!(tx.conn(), c => sqlx::query(
            "UPDATE projections SET last_event_id = $1 WHERE name = 'projected_meeting_notes_emails'",
        )
        .bind(checkpoint)
        .execute(c)
        .await
        .map(drop))
        .unwrap();
        tx.commit().await.unwrap();
    }

    async fn pending(&self) -> i64 {
        self.db
            .count("SELECT COUNT(*) FROM projected_meeting_notes_emails")
            .await
    }

    async fn events_of(&self, event_type: &str) -> i64 {
        engine::on_pool!(self.db.store().reader(), p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM events e JOIN event_types t ON t.id = e.event_type_id WHERE t.name = $1",
        )
        .bind(event_type)
        .fetch_one(p)
        .await)
        .unwrap()
    }
}

fn subjects(received: &[Received]) -> Vec<String> {
    received
        .iter()
        .map(|r| r.header("Subject").unwrap_or_default())
        .collect()
}

#[tokio::test]
async fn a_whole_day_across_the_spring_change_sends_one_email_at_seven_in_paris() {
    let f = Fixture::new("Europe/Paris", 7, "2026-03-28T12:00:00Z").await;
    f.add(&[
        created("Bob", "a friend"),
        meeting(
            "Bob",
            "2026-03-29",
            "14:30",
            "Europe/Paris",
            "Ask about **Postgres**",
        ),
    ])
    .await;
    assert_eq!(
        f.meeting("Bob").await.email,
        MeetingEmailView::Scheduled {
            at: "Sunday 29 March 2026 at 07:00".into(),
            due: false
        }
    );

    // Every five minutes from noon the day before to midnight after: 432 runs, no sleeping.
    let mut sent_at = Vec::new();
    while f.clock.now() < at("2026-03-30T00:00:00Z") {
        let report = f.tick().await;
        if report.sent > 0 {
            sent_at.push(f.clock.now());
        }
        f.clock.advance(chrono::Duration::minutes(5));
    }
    // Clocks went forward at 02:00 that night: 07:00 in Paris is 05:00 UTC.
    assert_eq!(sent_at, [at("2026-03-29T05:00:00Z")]);
    let received = f.smtp.received();
    assert_eq!(subjects(&received), ["Notes for your meeting with Bob at 14:30"]);
    assert_eq!(f.pending().await, 0, "the sent event removes the row");
    assert!(matches!(
        f.meeting("Bob").await.email,
        MeetingEmailView::Sent { .. }
    ));
}

#[tokio::test]
async fn a_meeting_scheduled_for_today_after_the_hour_goes_at_the_next_run() {
    // 10:00 in New York, three hours after the account's 07:00.
    let f = Fixture::new("America/New_York", 7, "2026-11-27T15:00:00Z").await;
    f.add(&[
        created("Sally", "an engineer"),
        meeting("Sally", "2026-11-27", "16:00", "America/New_York", "Postgres"),
    ])
    .await;
    assert!(matches!(
        f.meeting("Sally").await.email,
        MeetingEmailView::Scheduled { due: true, .. }
    ));
    assert_eq!(f.tick().await.sent, 1);
    assert_eq!(f.smtp.received().len(), 1);
    // Runs later that day send nothing more.
    f.clock.advance(chrono::Duration::hours(3));
    assert_eq!(f.tick().await, RunReport::default());
    assert_eq!(f.smtp.received().len(), 1);
}

#[tokio::test]
async fn the_email_follows_the_latest_state_of_each_meeting_before_the_morning() {
    let f = Fixture::new("UTC", 7, "2026-11-26T20:00:00Z").await;
    f.add(&[
        created("Bob", ""),
        created("Sally", ""),
        created("Carol", ""),
        created("Dave", ""),
        meeting("Bob", "2026-11-27", "09:00", "UTC", "first notes"),
        meeting("Bob", "2026-11-27", "10:30", "UTC", "**second** notes"),
        meeting("Sally", "2026-11-27", "09:00", "UTC", "moved"),
        meeting("Sally", "2026-11-28", "09:00", "UTC", "moved"),
        meeting("Carol", "2026-11-27", "09:00", "UTC", "cancelled"),
        Event::from(NextMeetingCancelled {
            contact: "Carol".into(),
        }),
        meeting("Dave", "2026-11-27", "11:00", "UTC", "renamed"),
        edited("Dave", Some("David"), ""),
    ])
    .await;
    assert_eq!(f.tick().await.sent, 0, "nothing is due the evening before");
    f.clock.set(at("2026-11-27T07:00:00Z"));
    assert_eq!(f.tick().await.sent, 2);
    let received = f.smtp.received();
    let mut subjects = subjects(&received);
    subjects.sort();
    assert_eq!(
        subjects,
        [
            "Notes for your meeting with Bob at 10:30",
            "Notes for your meeting with David at 11:00"
        ]
    );
    let bob = received
        .iter()
        .find(|r| r.header("Subject").unwrap().contains("Bob"))
        .unwrap();
    let plain = bob.part("text/plain").unwrap();
    assert!(
        plain.contains("**second** notes") && !plain.contains("first notes"),
        "{plain}"
    );
    // Re-noting Bob's meeting the same day does not send it again.
    f.add(&[meeting("Bob", "2026-11-27", "10:30", "UTC", "third notes")])
        .await;
    f.clock.set(at("2026-11-27T08:00:00Z"));
    assert_eq!(f.tick().await.sent, 0);
    assert_eq!(
        f.pending().await,
        1,
        "only Sally's email (tomorrow) is still to send"
    );
    assert!(matches!(
        f.meeting("Bob").await.email,
        MeetingEmailView::Sent { .. }
    ));
    f.clock.set(at("2026-11-28T07:00:00Z"));
    assert_eq!(f.tick().await.sent, 1);
    assert_eq!(f.smtp.received().len(), 3);
}

#[tokio::test]
async fn after_downtime_past_the_meeting_day_the_email_is_given_up_and_says_so() {
    let f = Fixture::new("Europe/Paris", 7, "2030-11-26T12:00:00Z").await;
    f.add(&[
        created("Bob", ""),
        meeting("Bob", "2030-11-27", "14:30", "Europe/Paris", "notes"),
    ])
    .await;
    // The mailer does not run again until the morning after the meeting.
    f.clock.set(at("2030-11-28T08:00:00Z"));
    let report = f.tick().await;
    assert_eq!(
        report,
        RunReport {
            given_up: 1,
            ..RunReport::default()
        }
    );
    assert!(f.smtp.received().is_empty(), "nothing is sent late");
    match f.meeting("Bob").await.email {
        MeetingEmailView::NotSent { reason } => {
            assert!(
                reason.contains(
                    "the mailer did not send the notes between Wednesday 27 November 2030 at 07:00 and midnight"
                ),
                "{reason}"
            );
        }
        other => panic!("expected NotSent, got {other:?}"),
    }
    assert_eq!(f.events_of("meeting-notes-email-failed").await, 1);
    assert_eq!(f.pending().await, 0);
    // Later runs add nothing.
    f.clock.advance(chrono::Duration::hours(1));
    assert_eq!(f.tick().await, RunReport::default());
    assert_eq!(f.events_of("meeting-notes-email-failed").await, 1);
}

#[tokio::test]
async fn the_message_has_both_parts_the_time_in_the_accounts_zone_and_a_stable_message_id() {
    let f = Fixture::new("Asia/Tokyo", 8, "2026-11-27T00:00:00Z").await;
    f.add(&[
        created("Bob", ""),
        meeting(
            "Bob",
            "2026-11-27",
            "10:30",
            "Asia/Tokyo",
            "Ask about **Postgres** <script>alert(1)</script> [x](javascript:alert(2))",
        ),
    ])
    .await;
    assert_eq!(f.tick().await.sent, 1);
    let received = f.smtp.received();
    let message = &received[0];
    assert_eq!(message.to, ["<ada@example.com>"]);
    assert_eq!(
        message.header("Subject").unwrap(),
        "Notes for your meeting with Bob at 10:30"
    );
    let expected_id =
        server::meetings::mailer::message_id(f.ada.account_id, "Bob", day("2026-11-27"), "kith.test");
    assert_eq!(message.header("Message-ID").unwrap(), expected_id);
    assert!(
        message
            .header("Content-Type")
            .unwrap()
            .starts_with("multipart/alternative")
    );
    let plain = message.part("text/plain").unwrap();
    assert!(
        plain.contains("Friday 27 November 2026 at 10:30 (Asia/Tokyo)"),
        "{plain}"
    );
    assert!(plain.contains("Ask about **Postgres**"), "{plain}");
    let html = message.part("text/html").unwrap();
    assert!(html.contains("<strong>Postgres</strong>"), "{html}");
    assert!(
        !html.contains("<script") && !html.contains("javascript:"),
        "{html}"
    );
    assert_eq!(f.events_of("meeting-notes-email-sent").await, 1);
}

#[tokio::test]
async fn without_smtp_each_email_is_a_file_in_the_outbox() {
    let f = Fixture::new("UTC", 7, "2026-11-27T07:00:00Z").await;
    let outbox = f.db.dir.path().join("outbox");
    let mailer = mailer_on(
        &f.db,
        Transport::outbox(&outbox).unwrap(),
        f.clock.clone(),
        "outbox",
    )
    .await;
    f.add(&[
        created("Bob", ""),
        meeting("Bob", "2026-11-27", "09:00", "UTC", "notes"),
    ])
    .await;
    f.db.dispatcher().run_until_caught_up().await.unwrap();
    assert_eq!(mailer.tick().await.unwrap().sent, 1);
    let files: Vec<_> = std::fs::read_dir(&outbox)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].extension().unwrap(), "eml");
    let text = std::fs::read_to_string(&files[0]).unwrap();
    assert!(
        text.contains("Subject: Notes for your meeting with Bob at 09:00"),
        "{text}"
    );
}

#[tokio::test]
async fn a_refusing_server_is_a_visible_failure_sent_once_asked_again() {
    let f = Fixture::new("UTC", 7, "2026-11-27T07:00:00Z").await;
    f.smtp.set_behaviour(Behaviour::RefuseRecipient);
    f.add(&[
        created("Bob", ""),
        meeting("Bob", "2026-11-27", "09:00", "UTC", "notes"),
    ])
    .await;
    assert_eq!(f.tick().await.failed, 1);
    let email = f.meeting("Bob").await.email;
    match &email {
        MeetingEmailView::Failed {
            reason,
            can_send_again,
        } => {
            assert!(reason.contains("refused") && reason.contains("550"), "{reason}");
            assert!(can_send_again);
        }
        other => panic!("expected Failed, got {other:?}"),
    }
    // It is not tried again by itself.
    f.clock.advance(chrono::Duration::hours(1));
    assert_eq!(f.tick().await, RunReport::default());
    assert_eq!(f.smtp.connections(), 1);
    // The account holder fixes things and asks again: it goes out once.
    f.smtp.set_behaviour(Behaviour::Accept);
    f.add(&[ask_again("Bob", "2026-11-27")]).await;
    assert!(matches!(
        f.meeting("Bob").await.email,
        MeetingEmailView::Scheduled { due: true, .. }
    ));
    assert_eq!(f.tick().await.sent, 1);
    assert_eq!(f.smtp.received().len(), 1);
    assert!(matches!(
        f.meeting("Bob").await.email,
        MeetingEmailView::Sent { .. }
    ));
    // Asking again once it is sent is refused, by name.
    let refusal = f.db.refuse(f.ada, &ask_again("Bob", "2026-11-27")).await;
    assert_eq!(refusal.errors[0].field, "meeting_on");
    assert!(refusal.errors[0].message.contains("already been sent"));
}

#[tokio::test]
async fn a_server_saying_try_later_is_tried_again_by_itself() {
    let f = Fixture::new("UTC", 7, "2026-11-27T07:00:00Z").await;
    f.smtp.set_behaviour(Behaviour::TryLater);
    f.add(&[
        created("Bob", ""),
        meeting("Bob", "2026-11-27", "09:00", "UTC", "notes"),
    ])
    .await;
    assert_eq!(f.tick().await.failed, 1);
    match f.meeting("Bob").await.email {
        MeetingEmailView::Retrying { reason, retry_at } => {
            assert!(reason.contains("451"), "{reason}");
            assert_eq!(retry_at, "Friday 27 November 2026 at 07:01");
        }
        other => panic!("expected Retrying, got {other:?}"),
    }
    // Not before its time; then it goes, once.
    f.clock.advance(chrono::Duration::seconds(30));
    assert_eq!(f.tick().await, RunReport::default());
    assert_eq!(f.smtp.connections(), 1);
    f.smtp.set_behaviour(Behaviour::Accept);
    f.clock.advance(chrono::Duration::seconds(31));
    assert_eq!(f.tick().await.sent, 1);
    assert_eq!(f.smtp.received().len(), 1);
    assert!(matches!(
        f.meeting("Bob").await.email,
        MeetingEmailView::Sent { .. }
    ));
}

#[tokio::test]
async fn a_server_that_stops_answering_after_the_message_never_gets_a_second_copy_unasked() {
    let f = Fixture::new("UTC", 7, "2026-11-27T07:00:00Z").await;
    f.smtp.set_behaviour(Behaviour::SilentAfterData);
    f.add(&[
        created("Bob", ""),
        meeting("Bob", "2026-11-27", "09:00", "UTC", "notes"),
    ])
    .await;
    assert_eq!(f.tick().await.failed, 1);
    assert_eq!(f.smtp.received().len(), 1, "the server has the message");
    match f.meeting("Bob").await.email {
        MeetingEmailView::Failed {
            reason,
            can_send_again,
        } => {
            assert!(reason.contains("may or may not have arrived"), "{reason}");
            assert!(can_send_again);
        }
        other => panic!("expected Failed, got {other:?}"),
    }
    for _ in 0..3 {
        f.clock.advance(chrono::Duration::minutes(30));
        assert_eq!(f.tick().await, RunReport::default());
    }
    assert_eq!(f.smtp.received().len(), 1);
    assert_eq!(f.smtp.connections(), 1);
}

#[tokio::test]
async fn a_server_that_never_answers_is_a_visible_failure() {
    let f = Fixture::new("UTC", 7, "2026-11-27T07:00:00Z").await;
    f.smtp.set_behaviour(Behaviour::Silent);
    f.add(&[
        created("Bob", ""),
        meeting("Bob", "2026-11-27", "09:00", "UTC", "notes"),
    ])
    .await;
    assert_eq!(f.tick().await.failed, 1);
    assert!(matches!(
        f.meeting("Bob").await.email,
        MeetingEmailView::Failed {
            can_send_again: true,
            ..
        }
    ));
    // It is not tried again by itself: the server may have taken it.
    f.clock.advance(chrono::Duration::minutes(30));
    assert_eq!(f.tick().await, RunReport::default());
    assert_eq!(f.smtp.connections(), 1);
}

#[tokio::test]
async fn two_mailers_at_once_send_each_email_exactly_once() {
    let f = Fixture::new("UTC", 7, "2026-11-27T07:00:00Z").await;
    let names: Vec<String> = (0..12).map(|i| format!("Contact {i:02}")).collect();
    for name in &names {
        f.add(&[
            created(name, ""),
            meeting(name, "2026-11-27", "09:00", "UTC", "notes"),
        ])
        .await;
    }
    f.db.dispatcher().run_until_caught_up().await.unwrap();
    // A second process on the same database file: its own connections, its own mailer.
    let other = server::Kith::open(&f.db.url()).await.unwrap();
    let settings = MailerSettings {
        from: FROM.parse().unwrap(),
        interval: INTERVAL,
        runner: "second mailer".into(),
        catch_up: Duration::ZERO,
    };
    let second = Mailer::new(
        other.dispatcher.store().clone(),
        smtp_transport(&f.smtp),
        settings,
        f.clock.clone(),
    )
    .await
    .unwrap();
    for _ in 0..3 {
        let (a, b) = tokio::join!(f.mailer.tick(), second.tick());
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a.failed + b.failed, 0);
        f.db.dispatcher().run_until_caught_up().await.unwrap();
    }
    let received = f.smtp.received();
    let mut ids: Vec<String> = received.iter().map(|r| r.header("Message-ID").unwrap()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(received.len(), 12, "{:?}", subjects(&received));
    assert_eq!(ids.len(), 12);
    assert_eq!(f.events_of("meeting-notes-email-sent").await, 12);
    assert_eq!(f.pending().await, 0);
}

#[tokio::test]
async fn a_replay_of_every_projection_sends_nothing_again() {
    let f = Fixture::new("UTC", 7, "2026-11-27T07:00:00Z").await;
    for name in ["Bob", "Sally", "Carol"] {
        f.add(&[
            created(name, ""),
            meeting(name, "2026-11-27", "09:00", "UTC", "notes"),
        ])
        .await;
    }
    let last_scheduled = f.db.store().head().await.unwrap();
    assert_eq!(f.tick().await.sent, 3);

    // Replay the emails projection only up to the scheduling, so its rows are back, and mark it
    // caught up all the same: even a projection that wrongly holds emails already sent makes
    // the mailer send nothing again, because the deliveries record says they went.
    let head = f.db.store().head().await.unwrap();
    f.rebuild_emails_up_to(last_scheduled, head).await;
    assert_eq!(f.pending().await, 3, "the rows of emails already sent are back");
    f.clock.advance(chrono::Duration::minutes(5));
    assert_eq!(f.mailer.tick().await.unwrap(), RunReport::default());
    assert_eq!(f.smtp.received().len(), 3);
    // A replay of every projection from the start sends nothing either: while the projections
    // are behind the stream the mailer waits, and once they have caught up the emails are done.
    for projection in app::views::ProjectionName::ALL {
        f.db.dispatcher().reset(projection.as_str()).await.unwrap();
    }
    f.clock.advance(chrono::Duration::minutes(5));
    assert!(f.mailer.tick().await.unwrap().waited);
    assert_eq!(f.tick().await, RunReport::default());
    assert_eq!(f.pending().await, 0);
    assert_eq!(f.smtp.received().len(), 3);
    assert!(matches!(
        f.meeting("Bob").await.email,
        MeetingEmailView::Sent { .. }
    ));
}

#[tokio::test]
async fn the_mailers_last_and_next_run_are_in_the_health_view() {
    let f = Fixture::new("UTC", 7, "2026-11-27T07:00:00Z").await;
    let before = f.db.dispatcher().health().await.unwrap();
    let job = before.jobs.iter().find(|j| j.name == "mailer").unwrap();
    assert!(!job.running && job.last_run_at.is_none(), "{job:?}");

    // As precisely as both databases keep times.
    let now = engine::db::now();
    f.clock.set(now);
    f.tick().await;
    let after = f.db.dispatcher().health().await.unwrap();
    let job = after.jobs.iter().find(|j| j.name == "mailer").unwrap();
    assert_eq!(job.last_run_at, Some(now));
    assert_eq!(job.next_run_at, Some(now + chrono::Duration::minutes(5)));
    assert_eq!(job.runner.as_deref(), Some("test mailer"));
    assert!(job.running);
    // Once the next run is overdue, the job is reported as stopped.
    let later = engine::jobs::health(
        f.db.store().reader(),
        <server::crm::Crm as engine::domain::Domain>::JOBS,
        now + chrono::Duration::minutes(11),
    )
    .await
    .unwrap();
    assert!(!later[0].running);
    f.add(&[
        created("Bob", ""),
        meeting("Bob", "2099-01-01", "09:00", "UTC", "notes"),
    ])
    .await;
    let bob = f.meeting("Bob").await;
    assert_eq!(bob.mailer_warning, None, "the mailer ran moments ago");
}

#[tokio::test]
async fn a_meeting_moved_away_and_back_after_its_email_went_out_gets_no_second_email() {
    let f = Fixture::new("UTC", 7, "2026-11-27T07:00:00Z").await;
    f.add(&[
        created("Bob", ""),
        meeting("Bob", "2026-11-27", "09:00", "UTC", "notes"),
    ])
    .await;
    assert_eq!(f.tick().await.sent, 1);
    f.add(&[
        meeting("Bob", "2026-11-29", "09:00", "UTC", "moved"),
        meeting("Bob", "2026-11-27", "09:00", "UTC", "moved back"),
    ])
    .await;
    assert_eq!(f.pending().await, 0, "nothing is left to send");
    assert!(matches!(
        f.meeting("Bob").await.email,
        MeetingEmailView::Sent { .. }
    ));
    for day in ["2026-11-27T12:00:00Z", "2026-11-29T07:00:00Z"] {
        f.clock.set(at(day));
        assert_eq!(f.tick().await, RunReport::default());
    }
    assert_eq!(f.smtp.received().len(), 1);
}

#[tokio::test]
async fn a_projection_being_rebuilt_never_sends_a_cancelled_or_moved_meeting() {
    let f = Fixture::new("UTC", 7, "2026-11-27T07:00:00Z").await;
    f.add(&[
        created("Carol", ""),
        created("Sally", ""),
        meeting("Carol", "2026-11-27", "09:00", "UTC", "cancelled"),
        meeting("Sally", "2026-11-27", "09:00", "UTC", "moved"),
    ])
    .await;
    let scheduled = f.db.store().head().await.unwrap();
    f.add(&[
        Event::from(NextMeetingCancelled {
            contact: "Carol".into(),
        }),
        meeting("Sally", "2026-11-28", "09:00", "UTC", "moved"),
    ])
    .await;
    f.db.dispatcher().run_until_caught_up().await.unwrap();
    // The rebuild has got as far as the scheduling, not yet the cancellation and the move.
    f.rebuild_emails_up_to(scheduled, scheduled).await;
    assert_eq!(f.pending().await, 2, "half-way, both of today's rows are back");
    assert!(f.mailer.tick().await.unwrap().waited);
    assert!(f.smtp.received().is_empty());
    // Once caught up, nothing is due today; Sally's email goes tomorrow.
    assert_eq!(f.tick().await, RunReport::default());
    f.clock.set(at("2026-11-28T07:00:00Z"));
    assert_eq!(f.tick().await.sent, 1);
    assert_eq!(
        subjects(&f.smtp.received()),
        ["Notes for your meeting with Sally at 09:00"]
    );
}

#[tokio::test]
async fn a_contact_deleted_while_its_email_was_on_its_way_leaves_nothing_behind() {
    let f = Fixture::new("UTC", 7, "2026-11-27T07:00:00Z").await;
    f.add(&[
        created("Bob", ""),
        meeting("Bob", "2026-11-27", "09:00", "UTC", "notes"),
        Event::from(app::events::ContactDeleted { name: "Bob".into() }),
        // The mailer records the email it sent just before the deletion reached it.
        Event::from(app::events::MeetingNotesEmailSent {
            contact: "Bob".into(),
            meeting_on: day("2026-11-27"),
            message_id: "<meeting-notes.1@kith.test>".into(),
        }),
        // A new Bob, met the same day, still gets his email.
        created("Bob", "another Bob"),
        meeting("Bob", "2026-11-27", "15:00", "UTC", "the other Bob"),
    ])
    .await;
    assert_eq!(f.tick().await.sent, 1);
    assert_eq!(
        subjects(&f.smtp.received()),
        ["Notes for your meeting with Bob at 15:00"]
    );
}
