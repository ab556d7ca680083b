//! Measures read-your-writes latency: the time from a command's return (its receipt) to the
//! `projected_contacts` projection having applied its event, as the catch-up wait sees it.
//!
//! `cargo run --release -p server --example read_your_writes -- [COMMANDS]` (default 100),
//! on a fresh SQLite file in a temporary folder, with the listeners running as in the server.

mod support;

use std::time::{Duration, Instant};

use app::events::{ContactCreated, Event};
use app::views::ProjectionName;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let commands: usize = std::env::args()
        .nth(1)
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(100);
    let (_dir, kith, account) = support::fresh_database().await?;
    let _listeners = kith.dispatcher.start(Duration::from_secs(1));
    let store = kith.dispatcher.store().clone();
    let projection = ProjectionName::Contacts.as_str();

    let mut append = Vec::with_capacity(commands);
    let mut catch_up = Vec::with_capacity(commands);
    for i in 0..commands {
        let event = Event::from(ContactCreated {
            name: format!("Person {i}"),
            description: "measured".into(),
            contact_method: None,
        });
        let started = Instant::now();
        let receipt = store.append(account, &event).await?.map_err(|r| r.to_string())?;
        let returned = Instant::now();
        let waited = kith
            .dispatcher
            .catch_up(projection, receipt.event_id, Duration::from_secs(10))
            .await?;
        assert!(
            waited.applied,
            "event {} was not applied within 10 s",
            receipt.event_id
        );
        append.push(returned - started);
        catch_up.push(returned.elapsed());
    }
    report("append (durable commit)", &mut append);
    report("receipt -> projection applied", &mut catch_up);
    Ok(())
}

fn report(what: &str, samples: &mut [Duration]) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1e3;
    println!(
        "{what:32} n={:<5} median={:7.3} ms  p90={:7.3} ms  p99={:7.3} ms  max={:7.3} ms",
        samples.len(),
        at(0.5),
        at(0.9),
        at(0.99),
        at(1.0)
    );
}
