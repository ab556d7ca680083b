//! The next meeting with a contact and its morning email: the command-side records of which
//! emails are claimed, sent or failed (`deliveries.rs`) and the guard that keeps them
//! (`guard.rs`), the projection of emails still to send (`projection.rs`), the mailer job that
//! sends them (`mailer/`), and the meeting notes' Markdown (`markdown.rs`).

pub mod deliveries;
pub mod guard;
pub mod mailer;
pub mod markdown;
pub mod projection;
