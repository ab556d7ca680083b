//! The `server` command: runs the app on the embedded default or the configured database.

use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use engine::clock::SystemClock;
use engine::cpu;
use engine::replay;
use leptos::config::get_configuration;
use server::backend::CrmBackend;
use server::config::Config;
use server::crm::Listeners;
use server::meetings::mailer::Mailer;
use server::{Kith, projections, scaffold, web};
use tokio::task::JoinHandle;
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(version, about = "Kith, an event-sourced personal CRM")]
struct Cli {
    #[command(flatten)]
    config: Config,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web app and run the listeners (the default).
    Serve {
        /// Serve only; leave the listeners to another process. Without one, changes are
        /// stored but the pages never show them (the end-to-end tests use this to see a
        /// stalled projection).
        #[arg(long)]
        without_listeners: bool,
        /// Leave the morning emails to another process (`server mailer`).
        #[arg(long)]
        without_mailer: bool,
    },
    /// Run the background work without the web app: the listeners that keep the projections
    /// and the mailer. Several may run against one database beside `serve --without-listeners`;
    /// each event is still applied once per projection, and each email sent once.
    Worker,
    /// Run only the mailer: the job that sends the morning emails of meeting notes. Several
    /// may run against one database; each email still goes out once.
    Mailer,
    /// Rebuild a projection from the whole stream beside its live tables, then swap it in.
    /// A running server keeps serving the old tables meanwhile.
    Replay {
        /// The projection to rebuild, e.g. projected_contacts.
        #[arg(required_unless_present = "all")]
        projection: Option<String>,
        /// Rebuild every projection, one after the other.
        #[arg(long, conflicts_with = "projection")]
        all: bool,
    },
    /// Print how every listener and scheduled job is doing, for the operator: the stream's
    /// newest event, each projection's checkpoint and last failure, who ran each job and
    /// what its last run did (for every account; the pages show each account its own part).
    Status,
    /// Write what a new event type or projection needs, from the repository's root.
    New {
        #[command(subcommand)]
        what: New,
    },
}

#[derive(Subcommand)]
enum New {
    /// A new event type: its v1 schema and an example under test, and the lines that declare
    /// its typed payload. The name is kebab-case, in the past tense, e.g. contact-tagged.
    Event { name: String },
    /// A new projection: its module with a handler, a migration for each database and a test
    /// to fill in, and the lines that register them. The name is snake_case, e.g.
    /// contact_tags (its table: projected_contact_tags).
    Projection {
        name: String,
        /// The feature folder under server/src/ it belongs to (a new one, named after the
        /// projection, when not given).
        #[arg(long)]
        feature: Option<String>,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .init();
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve {
        without_listeners: false,
        without_mailer: false,
    });
    // A replay talks to SQLite's worker thread statement by statement: it runs on one CPU, on
    // a runtime of one thread (see engine::replay).
    let runtime = if let Command::Replay { .. } = command {
        if let Err(error) = cpu::pin_to_one_cpu() {
            tracing::warn!(%error, "could not keep the replay on one CPU; it will be slower");
        }
        tokio::runtime::Builder::new_current_thread().enable_all().build()
    } else {
        tokio::runtime::Builder::new_multi_thread().enable_all().build()
    };
    let runtime = match runtime {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("server: could not start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.config, command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("server: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: Config, command: Command) -> Result<(), Box<dyn std::error::Error>> {
    match command {
        Command::Serve {
            without_listeners,
            without_mailer,
        } => serve(config, !without_listeners, !without_mailer).await,
        Command::Worker => work(config).await,
        Command::Mailer => mail(config).await,
        Command::Replay { projection, all } => replay(config, projection, all).await,
        Command::Status => status(config).await,
        Command::New { what } => generate(what),
    }
}

fn generate(what: New) -> Result<(), Box<dyn std::error::Error>> {
    let root = std::path::Path::new(".");
    let generated = match what {
        New::Event { name } => scaffold::new_event(root, &name)?,
        New::Projection { name, feature } => scaffold::new_projection(root, &name, feature.as_deref())?,
    };
    for path in &generated.created {
        println!("created  {}", path.strip_prefix(root).unwrap_or(path).display());
    }
    println!("\nRegister it:");
    for (file, lines) in &generated.register {
        println!("  in {}:\n{}", file.display(), lines.trim_end_matches('\n'));
    }
    println!("\nNext:");
    for (n, step) in generated.next_steps.iter().enumerate() {
        println!("  {}. {step}", n + 1);
    }
    Ok(())
}

async fn replay(
    config: Config,
    projection: Option<String>,
    all: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    let kith = Kith::open(&config.database_url).await?;
    let every = projections::all();
    let chosen: Vec<_> = if all {
        every
    } else {
        let name = projection.unwrap_or_default();
        let names: Vec<&str> = every.iter().map(|p| p.name()).collect();
        let Some(found) = every.iter().find(|p| p.name() == name) else {
            return Err(format!(
                "there is no projection called {name:?}; there are: {}",
                names.join(", ")
            )
            .into());
        };
        vec![found.clone()]
    };
    for projection in chosen {
        let name = projection.name();
        let rebuilt = replay::rebuild(kith.dispatcher.store(), projection.as_ref(), |progress| {
            eprint!("\r{}", replay_line(name, &progress));
        })
        .await?;
        eprintln!();
        eprintln!(
            "{name}: {} events rebuilt beside the live tables in {:.1} s, swapped in {:.0} ms \
             (no other step held up writes longer than {:.0} ms); now at event {}",
            rebuilt.events,
            rebuilt.building.as_secs_f64(),
            rebuilt.swapping.as_secs_f64() * 1000.0,
            rebuilt.longest_step.as_secs_f64() * 1000.0,
            rebuilt.checkpoint
        );
    }
    Ok(())
}

/// "projected_contacts  [#########-----------]  45% 450000/1000000 events · 120000/s · 4 s left"
fn replay_line(name: &str, progress: &replay::Progress) -> String {
    let share = if progress.total == 0 {
        1.0
    } else {
        progress.done as f64 / progress.total as f64
    };
    let filled = (share * 20.0).round() as usize;
    format!(
        "{name}  [{}{}] {:>3.0}% {}/{} events · {:.0}/s · {} s left ",
        "#".repeat(filled.min(20)),
        "-".repeat(20 - filled.min(20)),
        share * 100.0,
        progress.done,
        progress.total,
        progress.rate(),
        progress.left().as_secs()
    )
}

async fn status(config: Config) -> Result<(), Box<dyn std::error::Error>> {
    let kith = Kith::open(&config.database_url).await?;
    let health = kith.dispatcher.health().await?;
    let clock = |at: Option<chrono::DateTime<chrono::Utc>>| {
        at.map_or_else(
            || "never".to_owned(),
            |at| at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        )
    };
    println!("newest event: #{}", health.head);
    for listener in &health.workers {
        println!(
            "{}: applied up to #{}, {} behind, last updated {}{}{}",
            listener.projection,
            listener.checkpoint,
            listener.behind,
            clock(listener.last_updated_at),
            listener
                .rebuilding
                .map(|r| format!(", rebuilding {}/{}", r.done, r.total))
                .unwrap_or_default(),
            listener
                .error
                .as_ref()
                .map(|error| format!(", failing: {error}"))
                .unwrap_or_default(),
        );
    }
    for job in &health.jobs {
        println!(
            "{}: {}, last run {} by {} ({}), next run {}{}",
            job.name,
            if job.running { "running" } else { "not running" },
            clock(job.last_run_at),
            job.runner.as_deref().unwrap_or("nobody"),
            job.last_result.as_deref().unwrap_or("no result"),
            clock(job.next_run_at),
            job.last_error
                .as_ref()
                .map(|error| format!(", failing: {error}"))
                .unwrap_or_default(),
        );
    }
    Ok(())
}

/// Starts the mailer on `kith`'s store, sending where `config` says.
async fn start_mailer(kith: &Kith, config: &Config) -> Result<JoinHandle<()>, Box<dyn std::error::Error>> {
    let mailer = Mailer::new(
        kith.dispatcher.store().clone(),
        config.mail_transport()?,
        config.mailer(),
        Arc::new(SystemClock),
    )
    .await?;
    tracing::info!(to = %mailer.destination(), "the mailer is running");
    Ok(Arc::new(mailer).start())
}

async fn work(config: Config) -> Result<(), Box<dyn std::error::Error>> {
    let kith = Kith::open(&config.database_url).await?;
    let _listeners = kith.dispatcher.start(config.poll());
    tracing::info!(database = %config.database_url, "the listeners are running");
    start_mailer(&kith, &config).await?.await?;
    Ok(())
}

async fn mail(config: Config) -> Result<(), Box<dyn std::error::Error>> {
    let kith = Kith::open(&config.database_url).await?;
    start_mailer(&kith, &config).await?.await?;
    Ok(())
}

async fn serve(config: Config, listeners: bool, mailer: bool) -> Result<(), Box<dyn std::error::Error>> {
    // Under cargo-leptos the LEPTOS_* variables say where the site is; otherwise Cargo.toml does.
    let leptos = if std::env::var_os("LEPTOS_OUTPUT_NAME").is_some() {
        get_configuration(None)?
    } else {
        get_configuration(Some("Cargo.toml"))?
    };
    let mut options = leptos.leptos_options;
    // Without the hash file the build writes beside the server, the pages cannot name the
    // site's files (Leptos would stop at the first page); the plain names are the best guess.
    if options.hash_files && web::hashed_names(&options).is_none() {
        tracing::warn!("no hash file beside the server: the pages name the site's files unhashed");
        options.hash_files = false;
    }
    let address = options.site_addr;
    let kith = Kith::open(&config.database_url).await?;
    tracing::info!(database = %config.database_url, "database ready");
    let _listeners = if listeners {
        kith.dispatcher.start(config.poll())
    } else {
        Listeners::none()
    };
    let _mailer = if mailer {
        Some(start_mailer(&kith, &config).await?)
    } else {
        None
    };
    let backend = Arc::new(CrmBackend::with_limits(
        kith.dispatcher.clone(),
        config.sign_ups(),
    ));
    let header_timeout = std::time::Duration::from_secs(config.header_timeout_secs.max(1));
    web::serve(web::router(options, backend), address, header_timeout).await?;
    Ok(())
}
