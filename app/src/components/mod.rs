//! Components shared by several pages.

pub mod account_menu;
pub mod contact_fields;
pub mod contact_method;
pub mod field;
pub mod health;
pub mod notice;
