//! Kith's benchmark suite: `cargo bench -p server` prints, for the embedded SQLite store and
//! then for PostgreSQL, the figures the README's measurements table holds, each beside its
//! target:
//!
//! - append throughput: validated, durable events per second, one event per command,
//!   with 1 and 8 concurrent writers, beside what the database commits per second when it
//!   does nothing but one-row inserts from as many connections (pgbench's measure);
//! - replay rate: rebuilding `projected_contacts` from 100,000 and 1,000,000 events;
//! - read-your-writes: receipt to projection applied, p50 and p99 over 1,000 commands, idle and
//!   under a background write load;
//! - the listeners working through a backlog: events per second until every projection has
//!   applied a stream appended while they were stopped;
//! - the server-rendered `/contacts` page of an account with 10,000 contacts under load;
//! - the WebAssembly and JavaScript, raw, gzip and brotli, in all and for a first visit to
//!   `/sign-in`, `/contacts` and a contact's page, when a release build is there.
//!
//! `cargo bench -p server -- --quick` runs each with less work (to check the suite runs);
//! `-- --only NAME` runs one of append, replay, latency, backlog, page and wasm;
//! `-- --backend sqlite|postgres` runs one backend; `-- --postgres URL` names the PostgreSQL
//! server (default `postgres://postgres@127.0.0.1:5432`), where each part makes a database of
//! its own and drops it after; `-- --site DIR` measures the WebAssembly of the site in `DIR`
//! (default this tree's `target/site`), such as an older release built in a worktree. Not a
//! test: CI builds it (clippy's `--all-targets`) so it cannot rot, but never runs it, since
//! timings on a shared machine are no pass or fail.

mod append;
mod contacts_page;
mod listeners;
mod read_your_writes;
mod replay;
mod support;
mod wasm;

use std::path::{Path, PathBuf};
use std::time::Duration;

use support::Error;

struct Plan {
    appends: usize,
    replays: &'static [u64],
    commands: usize,
    backlog: u64,
    contacts: u64,
    page_load: Duration,
}

const FULL: Plan = Plan {
    appends: 8_000,
    replays: &[100_000, 1_000_000],
    commands: 1_000,
    backlog: 50_000,
    contacts: 10_000,
    page_load: Duration::from_secs(10),
};

const QUICK: Plan = Plan {
    appends: 800,
    replays: &[10_000],
    commands: 100,
    backlog: 2_000,
    contacts: 1_000,
    page_load: Duration::from_secs(1),
};

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let plan = if args.iter().any(|a| a == "--quick") {
        QUICK
    } else {
        FULL
    };
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|at| args.get(at + 1))
        .cloned();
    let option = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|at| args.get(at + 1))
            .cloned()
    };
    let backend = option("--backend");
    let postgres = option("--postgres").unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432".into());
    // PostgreSQL's page target is a share of SQLite's figure in the same run.
    let mut sqlite_page = None;
    for (name, server) in [("sqlite", None), ("postgres", Some(postgres))] {
        if backend.as_deref().is_none_or(|b| b == name) {
            let page = run(&plan, only.as_deref(), server, sqlite_page)?;
            if name == "sqlite" {
                sqlite_page = page;
            }
        }
    }
    if only.as_deref().is_none_or(|only| only == "wasm") {
        let site = option("--site")
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/site"));
        let pkg = site.join("pkg");
        match wasm::bundle(&pkg) {
            Ok(bundle) => {
                let shown = |sizes: wasm::Sizes| {
                    format!(
                        "{} bytes raw, {} gzip, {} brotli",
                        sizes.raw, sizes.gzip, sizes.brotli
                    )
                };
                println!(
                    "WebAssembly and JavaScript ({} as last built; after `cargo leptos build --release \
                     --precompress --split` it is what ships):",
                    bundle.main.display()
                );
                println!("  main module:         {}", shown(bundle.main_sizes));
                println!(
                    "  all of it:           {}   ({} chunks split off)",
                    shown(bundle.all),
                    bundle.chunks
                );
                for (page, sizes, chunks) in &bundle.first_pages {
                    println!(
                        "  first visit, {page:<16} {}   (+{chunks} chunks; target < 250 KB brotli)",
                        shown(*sizes)
                    );
                }
            }
            Err(error) => println!(
                "WebAssembly bundle:  not measured ({error}); run `cargo leptos build --release --precompress --split` first"
            ),
        }
    }
    Ok(())
}

/// Runs the parts `only` names (all by default) on SQLite, or on the PostgreSQL `server`
/// (beside SQLite's `/contacts` figure of this run, when there is one); answers the `/contacts`
/// requests per second when it measured them.
fn run(
    plan: &Plan,
    only: Option<&str>,
    server: Option<String>,
    sqlite_page: Option<f64>,
) -> Result<Option<f64>, Error> {
    let runs = |name: &str| only.is_none_or(|only| only == name);
    if !["append", "replay", "latency", "backlog", "page"]
        .iter()
        .any(|part| runs(part))
    {
        return Ok(None);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    match &server {
        Some(server) => println!("\nKith benchmarks on PostgreSQL at {server} (a new database for each)\n"),
        None => println!("Kith benchmarks on SQLite (a fresh file in a temporary folder for each)\n"),
    }
    let postgres = server.is_some();
    support::use_postgres(server);
    if runs("append") {
        for writers in [1, 8] {
            let appended = runtime.block_on(append::rate(writers, plan.appends))?;
            // SQLite commits one writer at a time, so its loop is the same for both.
            let baseline_writers = if postgres { writers } else { 1 };
            let baseline = runtime.block_on(append::baseline(baseline_writers, plan.appends))?;
            let target = match (postgres, writers) {
                (_, 1) => format!("target {:.0}, 80% of the loop", 0.8 * baseline),
                (true, _) => "target 10000".into(),
                (false, _) => "target 20000".into(),
            };
            println!(
                "append, {writers} writer(s):  {:>9.0} events/s   ({} durable appends, {:.1} per commit; \
                 one-row commits in a loop from {baseline_writers} connection(s): {baseline:.0}/s, Kith {:.0}% of it; {target})",
                appended.rate,
                plan.appends,
                appended.per_commit,
                100.0 * appended.rate / baseline
            );
        }
    }
    if runs("replay") {
        for &events in plan.replays {
            let replayed = replay::rebuild(events)?;
            println!(
                "replay {:>9} events:  {:>9.0} events/s   (reading and folding {:.2} s, writing {:.2} s, \
                 swap {:.0} ms, longest other write step {:.0} ms; target 150000, swap < 500 ms)",
                replayed.events,
                replayed.rate,
                replayed.reading.as_secs_f64(),
                replayed.writing.as_secs_f64(),
                replayed.swapping.as_secs_f64() * 1e3,
                replayed.longest_step.as_secs_f64() * 1e3
            );
        }
    }
    if runs("latency") {
        for (load, background) in [("idle", 0), ("under load", 4)] {
            let latency = runtime.block_on(read_your_writes::measure(plan.commands, background))?;
            let meanwhile = if background > 0 {
                format!(
                    "; {background} writers appended {:.0} events/s meanwhile",
                    latency.background_rate
                )
            } else {
                String::new()
            };
            println!(
                "read-your-writes, {load:>10}:  p50 {:.2} ms, p99 {:.2} ms   ({} commands{meanwhile}; target p99 < 20 ms)",
                latency.p50, latency.p99, plan.commands
            );
        }
    }
    if runs("backlog") {
        let rate = runtime.block_on(listeners::backlog_rate(plan.backlog))?;
        println!(
            "listeners, a backlog of {} events:  {rate:.0} events/s until all {} projections caught up",
            plan.backlog,
            app::views::ProjectionName::ALL.len()
        );
    }
    if !runs("page") {
        return Ok(None);
    }
    let load = runtime.block_on(contacts_page::measure(plan.contacts, 8, plan.page_load))?;
    let target = match (postgres, sqlite_page) {
        (false, _) => "target 2500 requests/s, p99 < 10 ms".to_owned(),
        (true, Some(sqlite)) => format!(
            "target {:.0} requests/s, 60% of SQLite's {sqlite:.0} in this run, p99 < 25 ms",
            0.6 * sqlite
        ),
        (true, None) => "target 60% of SQLite's requests/s, p99 < 25 ms".to_owned(),
    };
    println!(
        "/contacts, {} contacts:  {:.0} requests/s, p50 {:.2} ms, p99 {:.2} ms   (8 clients for {} s, a new connection each; {target})",
        plan.contacts,
        load.requests_per_second,
        load.p50,
        load.p99,
        plan.page_load.as_secs()
    );
    Ok(Some(load.requests_per_second))
}
