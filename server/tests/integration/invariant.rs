//! The invariant of event sourcing, tested on random histories: for every projection, the
//! tables kept up to date event by event equal the tables rebuilt from the stream, whether
//! beside the live ones (`server replay`) or in place from scratch.

use crate::common;

use std::collections::HashMap;

use app::backend::Actor;
use app::events::{
    AccountSettings, AccountSettingsChanged, ContactDeleted, Event, InteractionCorrected,
    InteractionRecorded, InteractionRemoved, MeetingNotesEmailFailed, MeetingNotesEmailSent,
    NextMeetingCancelled, NextMeetingScheduled,
};
use app::receipt::EventId;
use chrono::{Days, NaiveDate, NaiveTime};
use common::{TestDb, created, edited, snapshot};
use engine::replay;
use proptest::prelude::*;
use server::projections;

const NAMES: [&str; 5] = ["Ada", "Bob", "Carol", "Dave", "Eve"];
const ZONES: [&str; 3] = ["Europe/Paris", "America/New_York", "Asia/Tokyo"];

/// One command of one account, with indexes into small pools so histories collide often.
#[derive(Clone, Debug)]
enum Command {
    Create(usize),
    Edit {
        name: usize,
        rename: Option<usize>,
        description: u8,
    },
    Delete(usize),
    Record {
        name: usize,
        day: u64,
    },
    Correct {
        name: usize,
        nth: usize,
        day: u64,
    },
    Remove {
        name: usize,
        nth: usize,
    },
    Schedule {
        name: usize,
        day: u64,
        hour: u32,
    },
    Cancel(usize),
    Settings {
        zone: usize,
        hour: u8,
    },
    EmailSent {
        name: usize,
        day: u64,
    },
    EmailFailed {
        name: usize,
        day: u64,
        given_up: bool,
    },
}

fn command() -> impl Strategy<Value = Command> {
    let name = 0..NAMES.len();
    prop_oneof![
        3 => name.clone().prop_map(Command::Create),
        1 => (name.clone(), proptest::option::of(0..NAMES.len()), any::<u8>())
            .prop_map(|(name, rename, description)| Command::Edit { name, rename, description }),
        1 => name.clone().prop_map(Command::Delete),
        3 => (name.clone(), 0..20u64).prop_map(|(name, day)| Command::Record { name, day }),
        1 => (name.clone(), 0..4usize, 0..20u64).prop_map(|(name, nth, day)| Command::Correct { name, nth, day }),
        1 => (name.clone(), 0..4usize).prop_map(|(name, nth)| Command::Remove { name, nth }),
        2 => (name.clone(), 0..5u64, 0..24u32).prop_map(|(name, day, hour)| Command::Schedule { name, day, hour }),
        1 => name.clone().prop_map(Command::Cancel),
        1 => (0..ZONES.len(), 0..24u8).prop_map(|(zone, hour)| Command::Settings { zone, hour }),
        1 => (name.clone(), 0..5u64).prop_map(|(name, day)| Command::EmailSent { name, day }),
        1 => (name, 0..5u64, any::<bool>()).prop_map(|(name, day, given_up)| Command::EmailFailed { name, day, given_up }),
    ]
}

fn day(n: u64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2030, 3, 28).unwrap() + Days::new(n)
}

/// The event a command would append, given the interactions recorded so far.
fn event(
    command: &Command,
    interactions: &HashMap<(i64, &str), Vec<EventId>>,
    account: i64,
) -> Option<Event> {
    let recorded = |name: usize, nth: usize| {
        let ids = interactions.get(&(account, NAMES[name]))?;
        ids.get(nth % ids.len().max(1)).copied()
    };
    Some(match *command {
        Command::Create(name) => created(NAMES[name], "met once"),
        Command::Edit {
            name,
            rename,
            description,
        } => edited(
            NAMES[name],
            rename.map(|r| NAMES[r]),
            &format!("description {description}"),
        ),
        Command::Delete(name) => Event::from(ContactDeleted {
            name: NAMES[name].into(),
        }),
        Command::Record { name, day: d } => Event::from(InteractionRecorded {
            contact: NAMES[name].into(),
            occurred_on: day(d),
            kind: "coffee".into(),
            note: String::new(),
        }),
        Command::Correct { name, nth, day: d } => Event::from(InteractionCorrected {
            contact: NAMES[name].into(),
            interaction: recorded(name, nth)?,
            occurred_on: day(d),
            kind: "tea".into(),
            note: "corrected".into(),
        }),
        Command::Remove { name, nth } => Event::from(InteractionRemoved {
            contact: NAMES[name].into(),
            interaction: recorded(name, nth)?,
        }),
        Command::Schedule { name, day: d, hour } => Event::from(NextMeetingScheduled {
            contact: NAMES[name].into(),
            meeting_on: day(d),
            // 02:30 on 2030-03-31 does not exist in Paris: daylight saving is in the mix.
            meeting_time: NaiveTime::from_hms_opt(hour, 30, 0).unwrap(),
            time_zone: "Europe/Paris".into(),
            notes: format!("notes at {hour}"),
        }),
        Command::Cancel(name) => Event::from(NextMeetingCancelled {
            contact: NAMES[name].into(),
        }),
        Command::Settings { zone, hour } => Event::from(AccountSettingsChanged(AccountSettings {
            display_name: "Someone".into(),
            notes_email: "someone@example.com".into(),
            time_zone: ZONES[zone].into(),
            morning_email_hour: hour,
        })),
        Command::EmailSent { name, day: d } => Event::from(MeetingNotesEmailSent {
            contact: NAMES[name].into(),
            meeting_on: day(d),
            message_id: "<meeting-notes.x@kith.test>".into(),
        }),
        Command::EmailFailed {
            name,
            day: d,
            given_up,
        } => Event::from(MeetingNotesEmailFailed {
            contact: NAMES[name].into(),
            meeting_on: day(d),
            reason: "refused".into(),
            retry_at: None,
            given_up,
        }),
    })
}

async fn check(history: Vec<(usize, Command)>) {
    let db = TestDb::new().await;
    let accounts: Vec<Actor> = vec![db.local(), db.bare_account().await, db.bare_account().await];
    let mut interactions: HashMap<(i64, &str), Vec<EventId>> = HashMap::new();
    for (who, command) in &history {
        let actor = accounts[*who];
        let Some(event) = event(command, &interactions, actor.account_id) else {
            continue;
        };
        // Commands the command side refuses (a duplicate name, a missing contact) store nothing.
        if let Ok(receipt) = db.store().append(actor, &event).await.unwrap() {
            if let Command::Record { name, .. } = command {
                interactions
                    .entry((actor.account_id, NAMES[*name]))
                    .or_default()
                    .push(receipt.event_id);
            }
            // Kept up to date event by event.
            db.dispatcher().run_until_caught_up().await.unwrap();
        }
    }
    let incremental = snapshot(&db).await;

    for projection in projections::all() {
        replay::rebuild_in_batches(db.store(), projection.as_ref(), 3, |_| {})
            .await
            .unwrap();
    }
    assert_eq!(snapshot(&db).await, incremental, "rebuilt beside the live tables");

    for projection in projections::all() {
        db.dispatcher().reset(projection.name()).await.unwrap();
    }
    db.dispatcher().run_until_caught_up().await.unwrap();
    assert_eq!(snapshot(&db).await, incremental, "rebuilt in place from scratch");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn incremental_projections_equal_a_rebuild_from_the_stream(
        history in proptest::collection::vec((0..3usize, command()), 1..60)
    ) {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(check(history));
    }
}
