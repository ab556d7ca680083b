//! What the settings page reads: the account's settings as `projected_accounts` has them, and
//! the time zones a person may pick.

use app::backend::SignedIn;
use app::events::AccountSettings;
use app::views::{ProjectionName, SettingsView};

use crate::crm::StoreError;
use crate::freshness::freshness;
use engine::db::Pool;
use engine::on_pool;

/// The account's settings, as last projected.
pub async fn account_settings(pool: &Pool, account_id: i64) -> Result<Option<AccountSettings>, StoreError> {
    let row: Option<(String, String, String, i64)> = on_pool!(pool, p => sqlx::query_as(
        "SELECT display_name, notes_email, time_zone, morning_email_hour FROM projected_accounts \
         WHERE account_id = $1",
    )
    .bind(account_id)
    .fetch_optional(p)
    .await)?;
    Ok(
        row.map(|(display_name, notes_email, time_zone, hour)| AccountSettings {
            display_name,
            notes_email,
            time_zone,
            morning_email_hour: u8::try_from(hour).unwrap_or(app::account::DEFAULT_MORNING_HOUR),
        }),
    )
}

/// The settings page of the signed-in account.
pub async fn settings(pool: &Pool, signed_in: &SignedIn) -> Result<SettingsView, StoreError> {
    let account_id = signed_in.actor.account_id;
    let (freshness, _) =
        freshness(pool.acquire().await?.conn(), account_id, ProjectionName::Accounts).await?;
    Ok(SettingsView {
        settings: account_settings(pool, account_id).await?,
        email: signed_in.email.clone(),
        time_zones: time_zones(),
        freshness,
    })
}

/// Every IANA time zone a person would pick (Area/Location names, and UTC), sorted; worked
/// out once.
pub fn time_zones() -> Vec<String> {
    static NAMES: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
        let mut names: Vec<String> = chrono_tz::TZ_VARIANTS
            .iter()
            .map(|tz| tz.name())
            .filter(|name| *name == "UTC" || (name.contains('/') && !name.starts_with("Etc/")))
            .map(str::to_owned)
            .collect();
        names.sort();
        names
    });
    NAMES.clone()
}

/// Whether `name` is an IANA time zone name.
pub fn is_time_zone(name: &str) -> bool {
    name.parse::<chrono_tz::Tz>().is_ok()
}
