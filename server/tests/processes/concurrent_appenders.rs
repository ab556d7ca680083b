//! No event is ever skipped because appends commit out of order: four processes append to one
//! database at once, some of their transactions deliberately slow (an id taken, then a pause
//! before the commit), while two `server worker` processes keep the projections; every
//! projection must end with every event applied exactly once.
//!
//! What keeps it so lives in `engine::db::Pool::begin_write`: appends take ids and commit one
//! transaction at a time, and each commit is visible before the next can take an id. Without
//! that, a listener reading "every event after its checkpoint" while a slow transaction holds
//! a smaller id would move past that id for good.
//!
//! The appending processes are this test binary run again with the ignored test
//! [`appending_process`] as the only one, told what to do by environment variables.

use crate::common;

use std::process::{Command, Stdio};
use std::time::Duration;

use app::backend::Actor;
use app::events::{Event, InteractionRecorded};
use chrono::NaiveDate;
use common::{ChildProcess, TestDb, created, server_worker, snapshot, wait_for_workers};
use engine::replay;
use server::projections;

const PROCESSES: usize = 4;
const EVENTS_PER_PROCESS: usize = 2_000;
/// Every this many appends, a process appends in a slow transaction of its own.
const SLOW_EVERY: usize = 50;
const SLOW_FOR: Duration = Duration::from_millis(30);

fn appender(db: &TestDb, process: usize, actor: Actor) -> ChildProcess {
    let child = Command::new(std::env::current_exe().expect("the test binary"))
        .args([
            "concurrent_appenders::appending_process",
            "--exact",
            "--ignored",
            "--nocapture",
        ])
        .env("KITH_APPEND_URL", db.url())
        .env("KITH_APPEND_PROCESS", process.to_string())
        .env(
            "KITH_APPEND_ACTOR",
            format!("{} {}", actor.entity_id, actor.account_id),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the test binary starts again");
    ChildProcess(child)
}

/// The `n`th event of process `process`: every tenth creates a contact, the others record an
/// interaction with the contact created last.
fn event(process: usize, n: usize) -> Event {
    let contact = format!("P{process} C{}", n / 10);
    if n.is_multiple_of(10) {
        return created(&contact, "appended concurrently");
    }
    Event::from(InteractionRecorded {
        contact,
        occurred_on: NaiveDate::from_ymd_opt(2030, 1, 1).unwrap() + chrono::Days::new(n as u64 % 365),
        kind: "coffee".into(),
        note: format!("event {n} of process {process}"),
    })
}

/// One appending process (run by [`every_projection_applies_every_event_once`]).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a child process of every_projection_applies_every_event_once"]
async fn appending_process() {
    let url = std::env::var("KITH_APPEND_URL").expect("run by the parent test");
    let process: usize = std::env::var("KITH_APPEND_PROCESS").unwrap().parse().unwrap();
    let ids: Vec<i64> = std::env::var("KITH_APPEND_ACTOR")
        .unwrap()
        .split(' ')
        .map(|id| id.parse().unwrap())
        .collect();
    let actor = Actor {
        entity_id: ids[0],
        account_id: ids[1],
    };
    let kith = server::Kith::open(&url).await.expect("open the database");
    let store = kith.dispatcher.store();
    for n in 0..EVENTS_PER_PROCESS {
        let event = event(process, n);
        if n % SLOW_EVERY == SLOW_EVERY - 1 {
            // The id is taken at the insert; the commit comes a while later.
            let mut tx = store.writer().begin_write().await.unwrap();
            let receipt = store
                .append_in(tx.conn(), actor, &event)
                .await
                .unwrap()
                .expect("accepted");
            tokio::time::sleep(SLOW_FOR).await;
            tx.commit().await.unwrap();
            store.appended(receipt.event_id);
        } else {
            store.append(actor, &event).await.unwrap().expect("accepted");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_projection_applies_every_event_once() {
    let db = TestDb::new().await;
    let outbox = tempfile::tempdir().unwrap();
    let workers = [
        server_worker(&db, outbox.path(), 1000),
        server_worker(&db, outbox.path(), 1000),
    ];
    let actor = db.local();

    let appenders: Vec<ChildProcess> = (0..PROCESSES).map(|p| appender(&db, p, actor)).collect();
    for mut appender in appenders {
        let status = appender.0.wait().unwrap();
        assert!(status.success(), "an appending process failed: {status}");
    }

    let total = (PROCESSES * EVENTS_PER_PROCESS) as i64;
    assert_eq!(db.count("SELECT COUNT(*) FROM events").await, total);
    wait_for_workers(&db, Duration::from_secs(120)).await;
    drop(workers);

    // Every interaction once: a skipped event would be missing here.
    let interactions = PROCESSES * EVENTS_PER_PROCESS * 9 / 10;
    assert_eq!(
        db.count("SELECT COUNT(*) FROM projected_contact_interactions")
            .await,
        interactions as i64
    );
    assert_eq!(
        db.count("SELECT COUNT(*) FROM projected_contact_events").await,
        total,
        "every event in the contacts' histories, once"
    );
    assert_eq!(
        db.count("SELECT COUNT(*) FROM events WHERE processed_at IS NULL")
            .await,
        0
    );
    let kept = snapshot(&db).await;
    for projection in projections::all() {
        replay::rebuild(db.store(), projection.as_ref(), |_| {})
            .await
            .unwrap();
    }
    assert_eq!(
        snapshot(&db).await,
        kept,
        "what the workers kept equals a rebuild"
    );
}
