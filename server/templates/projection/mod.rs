//! Kith Template: say what this feature is for. Its projection is `projection.rs`; its guard,
//! its queries and its history lines go beside it.

pub mod projection;
