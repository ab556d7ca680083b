//! What the measuring examples share: a fresh database in a temporary folder with one signed-up
//! account to act for.

use app::account::SignUpForm;
use app::backend::Actor;
use server::{Kith, accounts};
use tempfile::TempDir;

/// Opens Kith on a new SQLite file (kept while the `TempDir` lives) and signs up an account.
pub async fn fresh_database() -> Result<(TempDir, Kith, Actor), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let kith = Kith::open(&dir.path().join("kith.sqlite3").display().to_string()).await?;
    let sign_up = SignUpForm {
        email: "bench@example.com".into(),
        password: "correct horse battery staple".into(),
        ..Default::default()
    };
    let checked = sign_up
        .check(server::queries::is_time_zone)
        .map_err(|r| r.to_string())?;
    let account = accounts::sign_up(kith.dispatcher.store(), checked)
        .await?
        .map_err(|r| r.to_string())?
        .actor;
    Ok((dir, kith, account))
}
