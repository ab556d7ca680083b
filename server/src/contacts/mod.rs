//! Contacts and their interactions: everything a contact event means lives here. The
//! command-side guard (`guard.rs`); what each event does to the `projected_contacts` rows, said
//! once (`fold.rs`), the rows' SQL (`rows.rs`), the count of each account's contacts kept beside
//! them (`counts.rs`) and the projection that listens and replays with
//! them (`projection.rs`); the projection of each contact's events (`contact_events.rs`); the
//! history told in words (`history.rs`); how names fold (`names.rs`); and the queries the list
//! and the contact's page read (`queries.rs`).

pub mod contact_events;
mod counts;
pub mod fold;
pub mod guard;
pub mod history;
pub mod names;
pub mod projection;
pub mod queries;
mod rows;
