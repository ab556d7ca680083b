//! Every projection the application keeps, each in its feature's folder
//! (`contacts/projection.rs`, `accounts/projection.rs`, ...): register a new one in [`all`].

use std::sync::Arc;

use crate::crm::{Crm, Projection};

/// Every projection the application keeps.
pub fn all() -> Vec<Arc<dyn Projection<Crm>>> {
    vec![
        Arc::new(crate::contacts::projection::ContactsProjection),
        Arc::new(crate::accounts::projection::AccountsProjection),
        Arc::new(crate::meetings::projection::MeetingNotesEmailsProjection),
        Arc::new(crate::contacts::contact_events::ContactEventsProjection),
    ]
}
