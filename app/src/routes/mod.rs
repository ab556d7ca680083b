//! One module per page, each with the server functions it calls.

pub mod contact;
pub mod contacts;
pub mod events;
pub mod not_found;
pub mod processing;
pub mod settings;
pub mod sign_in;
pub mod sign_up;
pub mod status;
