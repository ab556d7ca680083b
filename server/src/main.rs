//! The `server` command: runs the app on the embedded default or the configured database.

use std::sync::Arc;

use clap::{Parser, Subcommand};
use leptos::config::get_configuration;
use server::backend::Crm;
use server::config::Config;
use server::{Kith, web};
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
    },
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .init();
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Serve {
        without_listeners: false,
    }) {
        Command::Serve { without_listeners } => serve(cli.config, !without_listeners).await,
    }
}

async fn serve(config: Config, listeners: bool) -> Result<(), Box<dyn std::error::Error>> {
    // Under cargo-leptos the LEPTOS_* variables say where the site is; otherwise Cargo.toml does.
    let leptos = if std::env::var_os("LEPTOS_OUTPUT_NAME").is_some() {
        get_configuration(None)?
    } else {
        get_configuration(Some("Cargo.toml"))?
    };
    let options = leptos.leptos_options;
    let address = options.site_addr;
    let kith = Kith::open(&config.database_url).await?;
    tracing::info!(database = %config.database_url, "database ready");
    let _listeners = if listeners {
        kith.dispatcher.start(config.poll())
    } else {
        Vec::new()
    };
    let backend = Arc::new(Crm::new(kith.dispatcher.clone()));
    web::serve(web::router(options, backend), address).await?;
    Ok(())
}
