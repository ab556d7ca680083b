//! Measures the contacts list for an account with many contacts: each sort, both directions,
//! the first and the last page, and a search, read from `projected_contacts` as the page does.
//!
//! `cargo run --release -p server --example list_contacts -- [CONTACTS]` (default 10000), on a
//! fresh SQLite file in a temporary folder. Half the contacts have interactions and a third a
//! next meeting. Prints the median and p99 of 50 reads of each, and the query plan.

// The benchmark suite's fresh database with a signed-up account; this example uses only that.
#[allow(dead_code)]
#[path = "../benches/kith/support.rs"]
mod support;

use std::time::{Duration, Instant};

use app::events::{ContactCreated, Event, InteractionRecorded, NextMeetingScheduled};
use app::views::ListQuery;
use chrono::{Days, NaiveDate, NaiveTime};
use server::contacts::queries;

#[tokio::main]
async fn main() -> Result<(), support::Error> {
    let contacts: u64 = std::env::args()
        .nth(1)
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(10_000);
    let fresh = support::fresh_database().await?;
    let (kith, account) = (&fresh.kith, fresh.account);
    let store = kith.dispatcher.store().clone();

    let started = Instant::now();
    let first_day = NaiveDate::from_ymd_opt(2015, 1, 1).expect("a date");
    for i in 0..contacts {
        let name = format!("Person {i:05}");
        let mut events = vec![Event::from(ContactCreated {
            name: name.clone(),
            description: format!("met at event {}", i % 97),
            contact_method: None,
        })];
        if i % 2 == 0 {
            events.push(Event::from(InteractionRecorded {
                contact: name.clone(),
                occurred_on: first_day + Days::new((i * 7919) % 3650),
                kind: "coffee".into(),
                note: String::new(),
            }));
        }
        if i % 3 == 0 {
            events.push(Event::from(NextMeetingScheduled {
                contact: name.clone(),
                meeting_on: first_day + Days::new(4000 + (i * 104_729) % 700),
                meeting_time: NaiveTime::from_hms_opt(9, 30, 0).expect("a time"),
                time_zone: "Europe/Paris".into(),
                notes: format!("Ask about **item {i}**"),
            }));
        }
        for event in events {
            store.append(account, &event).await?.map_err(|r| r.to_string())?;
        }
    }
    kith.dispatcher.run_until_caught_up().await?;
    println!(
        "{contacts} contacts ({} events) appended and projected in {:.1} s",
        store.head().await?,
        started.elapsed().as_secs_f64()
    );

    let last_page = contacts.div_ceil(u64::from(ListQuery::PAGE_SIZE));
    let cases = [
        "sort=name".to_owned(),
        "sort=name&dir=desc".to_owned(),
        "sort=last_interaction".to_owned(),
        "sort=last_interaction&dir=desc".to_owned(),
        "sort=next_meeting".to_owned(),
        "sort=next_meeting&dir=desc".to_owned(),
        format!("sort=name&page={last_page}"),
        format!("sort=next_meeting&page={last_page}"),
        "q=event%2042".to_owned(),
    ];
    println!("{:<36} {:>10} {:>10}", "list query", "median", "p99");
    for case in &cases {
        let mut times = Vec::with_capacity(50);
        for _ in 0..50 {
            let query = ListQuery::from_query(case);
            let started = Instant::now();
            let view = queries::contacts(store.reader(), account.account_id, query).await?;
            times.push(started.elapsed());
            assert!(!view.contacts.is_empty(), "{case} shows contacts");
        }
        times.sort();
        let ms = |d: Duration| format!("{:.2} ms", d.as_secs_f64() * 1000.0);
        println!(
            "{case:<36} {:>10} {:>10}",
            ms(times[times.len() / 2]),
            ms(times[times.len() * 99 / 100])
        );
    }

    for case in &cases[..6] {
        let order = queries::order_by(&ListQuery::from_query(case));
        let plan: Vec<(i64, i64, i64, String)> = engine::on_pool!(store.reader(), p => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "EXPLAIN QUERY PLAN SELECT id FROM projected_contacts WHERE account_id = 1 {order} LIMIT 50"
        )))
        .fetch_all(p)
        .await)?;
        let steps: Vec<String> = plan.into_iter().map(|(_, _, _, detail)| detail).collect();
        println!("plan for {case}: {}", steps.join("; "));
    }
    Ok(())
}
