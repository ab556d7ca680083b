//! Measures a replay: rebuilding `projected_contacts` beside the live tables from a stream of
//! many events, as `server replay projected_contacts` does.
//!
//! `cargo run --release -p server --example replay_rate -- [EVENTS]` (default 1,000,000), on a
//! fresh SQLite file in a temporary folder. The stream is written straight into `events` in
//! large transactions (it is the replay being measured, not the appends): a tenth of the events
//! create contacts, the rest record interactions with them, schedule meetings and edit them.
//! Prints the rate of the rebuild, and how long the swap held the write lock. It runs on one
//! CPU, as `server replay` does.

mod support;

use std::time::Instant;

use app::events::{
    ContactCreated, ContactEdited, ContactMethod, Event, InteractionRecorded, NextMeetingScheduled,
};
use chrono::{Days, NaiveDate, NaiveTime, Utc};
use server::{projections, replay};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // As `server replay` does: one CPU, one runtime thread.
    let cpu = replay::pin_to_one_cpu()?;
    println!("on CPU {cpu:?}");
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(measure())
}

async fn measure() -> Result<(), Box<dyn std::error::Error>> {
    let total: u64 = std::env::args()
        .nth(1)
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let (_dir, kith, account) = support::fresh_database().await?;
    let store = kith.dispatcher.store().clone();
    let contacts = (total / 10).max(1);
    let first_day = NaiveDate::from_ymd_opt(2015, 1, 1).expect("a date");

    let started = Instant::now();
    let mut tx = store.writer().begin().await?;
    let mut type_ids = std::collections::HashMap::new();
    for i in 0..total {
        let contact = format!("Person {:06}", i % contacts);
        let event = if i < contacts {
            Event::from(ContactCreated {
                name: contact,
                description: format!("met at event {}", i % 97),
                contact_method: None,
            })
        } else {
            match i % 10 {
                0..=5 => Event::from(InteractionRecorded {
                    contact,
                    occurred_on: first_day + Days::new((i * 7919) % 3650),
                    kind: "coffee".into(),
                    note: String::new(),
                }),
                6..=8 => Event::from(NextMeetingScheduled {
                    contact,
                    meeting_on: first_day + Days::new(4000 + (i % 500)),
                    meeting_time: NaiveTime::from_hms_opt(9, 30, 0).expect("a time"),
                    time_zone: "Europe/Paris".into(),
                    notes: format!("Ask about **item {i}**"),
                }),
                _ => Event::from(ContactEdited {
                    name: contact,
                    new_name: None,
                    description: format!("edited by event {i}"),
                    contact_method: ContactMethod::recognize("by post"),
                }),
            }
        };
        let event_type = event.event_type();
        let type_id: i64 = match type_ids.get(event_type.name) {
            Some(id) => *id,
            None => {
                let id = sqlx::query_scalar("SELECT id FROM event_types WHERE name = $1 AND version = $2")
                    .bind(event_type.name)
                    .bind(event_type.version)
                    .fetch_one(&mut *tx)
                    .await?;
                type_ids.insert(event_type.name, id);
                id
            }
        };
        sqlx::query(
            "INSERT INTO events (payload, event_type_id, entity_id, account_id, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(event.to_payload().to_string())
        .bind(type_id)
        .bind(account.entity_id)
        .bind(account.account_id)
        .bind(Utc::now())
        .execute(&mut *tx)
        .await?;
        if i % 100_000 == 99_999 {
            tx.commit().await?;
            tx = store.writer().begin().await?;
        }
    }
    tx.commit().await?;
    println!(
        "wrote {total} events ({contacts} contacts) in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let contacts_projection = projections::all()
        .into_iter()
        .find(|p| p.name() == "projected_contacts")
        .expect("projected_contacts is registered");
    // The progress after the last batch read tells when the stream was read and folded; the
    // rest of the build is writing the rows and their indexes.
    let mut batches = Vec::new();
    let rebuilt = replay::rebuild(&store, contacts_projection.as_ref(), |p| batches.push(p.elapsed)).await?;
    let rate = rebuilt.events as f64 / rebuilt.building.as_secs_f64();
    println!(
        "replayed {} events into projected_contacts beside the live tables in {:.2} s: {:.0} events/s",
        rebuilt.events,
        rebuilt.building.as_secs_f64(),
        rate
    );
    if let [.., read, _] = batches[..] {
        println!(
            "  reading and applying the stream {:.2} s, writing the rows and indexes {:.2} s",
            read.as_secs_f64(),
            (rebuilt.building - read).as_secs_f64()
        );
    }
    println!(
        "the swap held the write lock for {:.0} ms",
        rebuilt.swapping.as_secs_f64() * 1000.0
    );
    Ok(())
}
