//! The command side's guards, in the order they run inside each append's transaction: each
//! checks an event against what its feature has recorded and records the event's effect. A
//! refusal by any of them stores nothing (the appender rolls the event back).
//!
//! On PostgreSQL the appender runs the same checks as SQL functions instead (each feature's
//! `guard.sql`, composed in `guards.sql`), so a batch of appends is one round trip; the guards
//! here tell those functions what they need to know of each event.

use app::error::Rejection;
use app::events::{
    ContactCreated, ContactDeleted, ContactEdited, Event, InteractionCorrected, InteractionRecorded,
    InteractionRemoved, MeetingNotesEmailRequested,
};
use app::receipt::EventId;
use engine::db::Conn;
use engine::store::PostgresGuard;
use serde_json::{Value, json};

use crate::crm::{Crm, Guard};
use crate::{contacts, meetings};

/// The CRM's guards, as the store runs them.
pub struct CrmGuards;

#[async_trait::async_trait]
impl Guard<Crm> for CrmGuards {
    /// The contacts' guard first (the contact named must exist), then the morning email's.
    async fn check(
        &self,
        mut conn: Conn<'_>,
        account_id: i64,
        event: &Event,
    ) -> Result<Result<(), Rejection>, sqlx::Error> {
        if let Err(rejection) = contacts::guard::check(conn.re(), account_id, event).await? {
            return Ok(Err(rejection));
        }
        meetings::guard::check(conn, account_id, event).await
    }

    async fn record_stored(
        &self,
        conn: Conn<'_>,
        account_id: i64,
        event_id: EventId,
        event: &Event,
    ) -> Result<(), sqlx::Error> {
        contacts::guard::record_stored(conn, account_id, event_id, event).await
    }

    fn postgres(&self) -> Option<&dyn PostgresGuard<Crm>> {
        Some(self)
    }
}

impl PostgresGuard<Crm> for CrmGuards {
    fn functions(&self) -> &'static [&'static str] {
        &[
            include_str!("contacts/guard.sql"),
            include_str!("meetings/guard.sql"),
            include_str!("guards.sql"),
        ]
    }

    /// The event's kind and the names it uses, folded as [`contacts::names::key`] folds them.
    fn facts(&self, event: &Event) -> Value {
        let key = contacts::names::key;
        match event {
            Event::ContactCreated(ContactCreated { name, .. }) => {
                json!({ "kind": "contact_created", "name": name, "key": key(name) })
            }
            Event::ContactEdited(ContactEdited { name, new_name, .. }) => json!({
                "kind": "contact_edited",
                "name": name,
                "new_name": new_name,
                "new_key": new_name.as_deref().map(key),
            }),
            Event::ContactDeleted(ContactDeleted { name }) => {
                json!({ "kind": "contact_deleted", "name": name })
            }
            Event::InteractionCorrected(InteractionCorrected {
                contact, interaction, ..
            }) => json!({ "kind": "interaction_corrected", "contact": contact, "interaction": interaction }),
            Event::InteractionRemoved(InteractionRemoved { contact, interaction }) => {
                json!({ "kind": "interaction_removed", "contact": contact, "interaction": interaction })
            }
            Event::InteractionRecorded(InteractionRecorded { contact, .. }) => {
                json!({ "kind": "interaction_recorded", "contact": contact, "key": key(contact) })
            }
            Event::MeetingNotesEmailRequested(MeetingNotesEmailRequested { contact, meeting_on }) => {
                json!({ "kind": "email_requested", "contact": contact, "meeting_on": meeting_on })
            }
            Event::NextMeetingScheduled(_) | Event::NextMeetingCancelled(_) => {
                json!({ "kind": "names_contact", "contact": event.contact().unwrap_or_default() })
            }
            Event::MeetingNotesEmailSent(_)
            | Event::MeetingNotesEmailFailed(_)
            | Event::AccountRegistered(_)
            | Event::AccountSettingsChanged(_) => json!({ "kind": "unguarded" }),
        }
    }

    fn refusal(&self, answer: &Value) -> Result<Rejection, String> {
        let code = answer["refusal"].as_str().unwrap_or_default();
        contacts::guard::refusal(code, answer)
            .or_else(|| meetings::deliveries::refusal(code))
            .ok_or_else(|| format!("a refusal no guard knows: {answer}"))
    }
}
