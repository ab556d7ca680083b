//! Measures append throughput: validated, durable events per second, one command per
//! transaction, with 1 and with 8 concurrent writers (the listeners not running, so appends
//! have the database to themselves).
//!
//! `cargo run --release -p server --example append_rate -- [EVENTS]` (default 4,000 per run),
//! on a fresh SQLite file in a temporary folder for each run.

mod support;

use std::time::Instant;

use app::events::{ContactCreated, Event, InteractionRecorded};
use chrono::NaiveDate;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let events: usize = std::env::args()
        .nth(1)
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(4_000);
    for writers in [1, 8] {
        let (_dir, kith, account) = support::fresh_database().await?;
        let store = kith.dispatcher.store().clone();
        let bob = Event::from(ContactCreated {
            name: "Bob".into(),
            description: String::new(),
            contact_method: None,
        });
        store.append(account, &bob).await?.map_err(|r| r.to_string())?;
        let started = Instant::now();
        let tasks: Vec<_> = (0..writers)
            .map(|writer| {
                let store = store.clone();
                tokio::spawn(async move {
                    for i in (writer..events).step_by(writers) {
                        let event = Event::from(InteractionRecorded {
                            contact: "Bob".into(),
                            occurred_on: NaiveDate::from_ymd_opt(2026, 1, 1).expect("a date"),
                            kind: "coffee".into(),
                            note: format!("append {i}"),
                        });
                        store
                            .append(account, &event)
                            .await
                            .map_err(|e| e.to_string())?
                            .map_err(|r| r.to_string())?;
                    }
                    Ok::<(), String>(())
                })
            })
            .collect();
        for task in tasks {
            task.await??;
        }
        let elapsed = started.elapsed().as_secs_f64();
        println!(
            "{writers} writer(s): {events} durable appends in {elapsed:.2} s: {:.0} events/s",
            events as f64 / elapsed
        );
    }
    Ok(())
}
