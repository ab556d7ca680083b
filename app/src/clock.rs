//! Times as the pages write them, in UTC: `2026-12-03 10:51:31 UTC`. Written from chrono's
//! `Display` rather than a `format` string, whose parser and formatter would otherwise be in
//! the WebAssembly every page loads first.

use chrono::{DateTime, SubsecRound, Utc};

/// The date and time to the second, e.g. `2026-12-03 10:51:31 UTC`.
pub fn utc_clock(at: DateTime<Utc>) -> String {
    at.trunc_subsecs(0).to_string()
}

/// The time of day to the second, e.g. `10:51:31 UTC`.
pub fn utc_time(at: DateTime<Utc>) -> String {
    format!("{} UTC", at.time().trunc_subsecs(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_the_strftime_formats_did() {
        let at = DateTime::<Utc>::from_timestamp_micros(1_764_759_091_987_654).unwrap();
        assert_eq!(utc_clock(at), at.format("%Y-%m-%d %H:%M:%S UTC").to_string());
        assert_eq!(utc_time(at), at.format("%H:%M:%S UTC").to_string());
        let whole = DateTime::<Utc>::from_timestamp(1_764_759_091, 0).unwrap();
        assert_eq!(utc_clock(whole), "2025-12-03 10:51:31 UTC");
    }
}
