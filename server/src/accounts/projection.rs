//! `projected_accounts`: each account's settings (display name, email for notes, time zone,
//! hour of the morning email), for the settings page and the commands that need the zone.

use app::events::{AccountRegistered, AccountSettings, AccountSettingsChanged, Event};
use app::views::ProjectionName;

use crate::crm::{Crm, Projection, StoreError, StoredEvent};
use engine::db::Conn;
use engine::on;

pub struct AccountsProjection;

#[async_trait::async_trait]
impl Projection<Crm> for AccountsProjection {
    fn tables(&self) -> &'static [&'static str] {
        &["projected_accounts"]
    }

    fn name(&self) -> &'static str {
        ProjectionName::Accounts.as_str()
    }

    async fn apply(&self, conn: Conn<'_>, stored: &StoredEvent, event: &Event) -> Result<(), StoreError> {
        let settings = match event {
            Event::AccountRegistered(AccountRegistered(settings))
            | Event::AccountSettingsChanged(AccountSettingsChanged(settings)) => settings,
            // Other events do not touch the table.
            _ => return Ok(()),
        };
        let account_id = stored.account()?;
        let AccountSettings {
            display_name,
            notes_email,
            time_zone,
            morning_email_hour,
        } = settings;
        on!(conn, c => sqlx::query(
            "INSERT INTO projected_accounts \
                 (account_id, display_name, notes_email, time_zone, morning_email_hour, last_updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (account_id) DO UPDATE SET display_name = excluded.display_name, \
                 notes_email = excluded.notes_email, time_zone = excluded.time_zone, \
                 morning_email_hour = excluded.morning_email_hour, last_updated_at = excluded.last_updated_at",
        )
        .bind(account_id)
        .bind(display_name)
        .bind(notes_email)
        .bind(time_zone)
        .bind(i64::from(*morning_email_hour))
        .bind(stored.created_at)
        .execute(c)
        .await
        .map(drop))?;
        Ok(())
    }
}
