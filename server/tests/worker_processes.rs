//! `server worker` as separate processes on one database file: two workers share the
//! listeners' work while commands are appended, one is killed mid-way, and every projection
//! still ends up with every event applied once, equal to a rebuild from the stream.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use app::events::{Event, InteractionRecorded};
use chrono::NaiveDate;
use common::{TestDb, created, snapshot};
use server::{projections, replay};

/// A `server worker` process, killed when dropped (also when the test fails).
struct Worker(Child);

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn worker(db: &TestDb, outbox: &std::path::Path) -> Worker {
    let child = Command::new(env!("CARGO_BIN_EXE_server"))
        .arg("worker")
        .env("DATABASE_URL", db.url())
        .env("KITH_POLL_MS", "20")
        .env("KITH_OUTBOX", outbox)
        .env("KITH_MAIL_INTERVAL_MS", "200")
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the server binary starts");
    Worker(child)
}

/// Every projection's checkpoint, as the `projections` table has it.
async fn checkpoints(db: &TestDb) -> Vec<i64> {
    server::on_pool!(db.store().reader(), p => sqlx::query_scalar("SELECT last_event_id FROM projections ORDER BY name")
        .fetch_all(p)
        .await)
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_one_killed_midway_apply_every_event_once() {
    let db = TestDb::new().await;
    let outbox = tempfile::tempdir().unwrap();
    let mut first = Some(worker(&db, outbox.path()));
    let second = worker(&db, outbox.path());

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

    let head = db.store().head().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while checkpoints(&db).await.iter().any(|&c| c < head) {
        assert!(
            Instant::now() < deadline,
            "the surviving worker did not catch up: {:?} of {head}",
            checkpoints(&db).await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
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
