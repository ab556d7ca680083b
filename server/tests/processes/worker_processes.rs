//! `server worker` as separate processes on one database file: two workers share the
//! listeners' work while commands are appended, one is killed mid-way, and every projection
//! still ends up with every event applied once, equal to a rebuild from the stream.

use crate::common;

use std::time::Duration;

use app::events::{Event, InteractionRecorded};
use chrono::NaiveDate;
use common::{TestDb, checkpoints, created, server_worker, snapshot, wait_for_workers};
use engine::replay;
use server::projections;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_one_killed_midway_apply_every_event_once() {
    let db = TestDb::new().await;
    let outbox = tempfile::tempdir().unwrap();
    let mut first = Some(server_worker(&db, outbox.path(), 20));
    let second = server_worker(&db, outbox.path(), 20);

    let actor = db.local();
    let day = NaiveDate::from_ymd_opt(2030, 1, 1).unwrap();
    for n in 0..150 {
        let name = format!("Contact {n}");
        db.accept(actor, &created(&name, "met at a conference")).await;
        db.accept(
            actor,
            &Event::from(InteractionRecorded {
                contact: name,
                occurred_on: day + chrono::Days::new(n % 300),
                kind: "coffee".into(),
                note: String::new(),
            }),
        )
        .await;
        if n == 75 {
            // Killed whatever it is doing, perhaps half-way through a batch.
            drop(first.take());
        }
    }

    wait_for_workers(&db, Duration::from_secs(60)).await;
    let head = db.store().head().await.unwrap();
    drop(second);
    assert!(checkpoints(&db).await.iter().all(|&c| c == head));

    let kept = snapshot(&db).await;
    let interactions = kept
        .iter()
        .filter(|row| row.starts_with("projected_contact_interactions:"))
        .count();
    assert_eq!(interactions, 150, "each interaction once");
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
