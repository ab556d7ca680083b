//! Components shared by several pages.

pub mod contact_fields;
pub mod field;
pub mod health;
pub mod notice;
