//! Append throughput: validated, durable events per second, one event per command, with
//! 1 and with 8 concurrent writers; the listeners not running, so appends have the database to
//! themselves.

use std::time::Instant;

use app::events::{ContactCreated, Event, InteractionRecorded};
use chrono::NaiveDate;

use crate::support::{Error, fresh_database};

pub struct Appended {
    pub rate: f64,
    /// Events stored per durable commit, on average.
    pub per_commit: f64,
}

/// Events per second with `writers` tasks appending `events` in all.
pub async fn rate(writers: usize, events: usize) -> Result<Appended, Error> {
    let fresh = fresh_database().await?;
    let (store, account) = (fresh.kith.dispatcher.store().clone(), fresh.account);
    let bob = Event::from(ContactCreated {
        name: "Bob".into(),
        description: String::new(),
        contact_method: None,
    });
    store.append(account, &bob).await?.map_err(|r| r.to_string())?;
    let commits_before = store.append_commits();
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
                    store.append(account, &event).await?.map_err(|r| r.to_string())?;
                }
                Ok::<(), Error>(())
            })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    let rate = events as f64 / started.elapsed().as_secs_f64();
    Ok(Appended {
        rate,
        per_commit: events as f64 / (store.append_commits() - commits_before) as f64,
    })
}
