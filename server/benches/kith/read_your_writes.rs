//! Read-your-writes latency: from a command's return (its receipt) to `projected_contacts`
//! having applied its event, as the catch-up wait sees it, with the listeners running as in the
//! server; idle, and under a background write load.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use app::events::{ContactCreated, Event, InteractionRecorded};
use app::views::ProjectionName;
use chrono::NaiveDate;

use crate::support::{Error, fresh_database, quantile_ms};

pub struct Latency {
    /// Receipt to applied, p50 and p99, in milliseconds.
    pub p50: f64,
    pub p99: f64,
    /// Events the background writers appended meanwhile, per second.
    pub background_rate: f64,
}

/// `commands` commands one after the other, each followed by the catch-up wait; meanwhile
/// `background` tasks append as fast as they can.
pub async fn measure(commands: usize, background: usize) -> Result<Latency, Error> {
    let fresh = fresh_database().await?;
    let kith = &fresh.kith;
    let _listeners = kith.dispatcher.start(Duration::from_secs(1));
    let store = kith.dispatcher.store().clone();
    let projection = ProjectionName::Contacts.as_str();

    let stop = Arc::new(AtomicBool::new(false));
    let appended = Arc::new(AtomicU64::new(0));
    let loaders: Vec<_> = (0..background as u64)
        .map(|writer| {
            let (store, stop, appended, account) =
                (store.clone(), stop.clone(), appended.clone(), fresh.account);
            tokio::spawn(async move {
                let name = format!("Background {writer}");
                let created = Event::from(ContactCreated {
                    name: name.clone(),
                    description: String::new(),
                    contact_method: None,
                });
                store
                    .append(account, &created)
                    .await?
                    .map_err(|r| r.to_string())?;
                for i in 0.. {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let coffee = Event::from(InteractionRecorded {
                        contact: name.clone(),
                        occurred_on: NaiveDate::from_ymd_opt(2026, 1, 1).expect("a date"),
                        kind: "coffee".into(),
                        note: format!("background {i}"),
                    });
                    store.append(account, &coffee).await?.map_err(|r| r.to_string())?;
                    appended.fetch_add(1, Ordering::Relaxed);
                }
                Ok::<(), Error>(())
            })
        })
        .collect();

    let started = Instant::now();
    let mut samples = Vec::with_capacity(commands);
    for i in 0..commands {
        let event = Event::from(ContactCreated {
            name: format!("Measured {i}"),
            description: "measured".into(),
            contact_method: None,
        });
        let receipt = store
            .append(fresh.account, &event)
            .await?
            .map_err(|r| r.to_string())?;
        let returned = Instant::now();
        let waited = kith
            .dispatcher
            .catch_up(projection, receipt.event_id, Duration::from_secs(10))
            .await?;
        if !waited.applied {
            return Err(format!("event {} was not applied within 10 s", receipt.event_id).into());
        }
        samples.push(returned.elapsed());
    }
    let elapsed = started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    for loader in loaders {
        loader.await??;
    }
    Ok(Latency {
        p50: quantile_ms(&mut samples, 0.5),
        p99: quantile_ms(&mut samples, 0.99),
        background_rate: appended.load(Ordering::Relaxed) as f64 / elapsed,
    })
}
