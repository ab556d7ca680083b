//! Local times in IANA time zones (chrono-tz): which instant a local date and time stands for,
//! and how an instant reads in a zone. Daylight-saving changes are resolved the same way
//! everywhere: a local time that a change skips is taken an hour later, and a local time that
//! happens twice is taken the first time.

use app::events::NextMeetingScheduled;
use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::crm::{CrmError, StoreError};

/// The zone called `name`, if the server knows it.
pub fn zone(name: &str) -> Option<Tz> {
    name.parse().ok()
}

/// The instant the local date and time `local` stands for in `zone`.
pub fn instant(local: NaiveDateTime, zone: Tz) -> DateTime<Utc> {
    let resolved = zone
        .from_local_datetime(&local)
        .earliest()
        .or_else(|| zone.from_local_datetime(&(local + Duration::hours(1))).earliest())
        // No zone skips two hours in a row; should one, the UTC reading is still a valid answer.
        .unwrap_or_else(|| zone.from_utc_datetime(&local));
    resolved.with_timezone(&Utc)
}

/// How `at` reads in `zone`, e.g. "Friday 27 November 2026 at 07:00".
pub fn describe(at: DateTime<Utc>, zone: Tz) -> String {
    at.with_timezone(&zone)
        .format("%A %-d %B %Y at %H:%M")
        .to_string()
}

/// The instant a scheduled meeting's local date and time stand for in its time zone; the
/// meeting is the event `event_id`, which an unknown zone's error names.
pub fn meeting_instant(meeting: &NextMeetingScheduled, event_id: i64) -> Result<DateTime<Utc>, StoreError> {
    let zone = zone(&meeting.time_zone).ok_or_else(|| CrmError::UnknownTimeZone {
        what: format!("event {event_id}"),
        zone: meeting.time_zone.clone(),
    })?;
    Ok(instant(meeting.meeting_on.and_time(meeting.meeting_time), zone))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn local(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, min, 0)
            .unwrap()
    }

    #[test]
    fn skipped_times_move_an_hour_later_and_repeated_times_take_the_first() {
        let paris = zone("Europe/Paris").unwrap();
        // 2026-03-29 02:30 does not exist in Paris: clocks go from 02:00 to 03:00 (01:00 UTC).
        assert_eq!(
            instant(local(2026, 3, 29, 2, 30), paris).to_rfc3339(),
            "2026-03-29T01:30:00+00:00"
        );
        // 2026-10-25 02:30 happens twice in Paris; the first is still summer time (UTC+2).
        assert_eq!(
            instant(local(2026, 10, 25, 2, 30), paris).to_rfc3339(),
            "2026-10-25T00:30:00+00:00"
        );
        assert_eq!(
            describe(instant(local(2026, 11, 27, 7, 0), paris), paris),
            "Friday 27 November 2026 at 07:00"
        );
    }
}
