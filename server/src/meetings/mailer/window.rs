//! When a meeting's morning email may go out: from the account's morning hour on the meeting's
//! day until midnight, in the account's time zone.

use chrono::{DateTime, Days, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;

use crate::time;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SendWindow {
    /// The morning hour on the meeting's day.
    pub opens: DateTime<Utc>,
    /// Midnight at the end of the meeting's day: after this the email is never sent.
    pub closes: DateTime<Utc>,
}

impl SendWindow {
    /// The window for a meeting at `meeting_at`: on its day in the account's `zone` (which may
    /// differ from the zone it was scheduled in), from `hour` o'clock.
    pub fn for_meeting(meeting_at: DateTime<Utc>, zone: Tz, hour: u32) -> Self {
        Self::new(meeting_at.with_timezone(&zone).date_naive(), zone, hour)
    }

    /// The window for a meeting on `meeting_on`, for an account in `zone` whose email goes out
    /// at `hour` o'clock. Daylight-saving changes are resolved as in [`time::instant`].
    pub fn new(meeting_on: NaiveDate, zone: Tz, hour: u32) -> Self {
        let at = |day: NaiveDate, hour: u32| {
            let local = day.and_time(NaiveTime::from_hms_opt(hour, 0, 0).unwrap_or(NaiveTime::MIN));
            time::instant(local, zone)
        };
        let next_day = meeting_on.checked_add_days(Days::new(1)).unwrap_or(meeting_on);
        Self {
            opens: at(meeting_on, hour),
            closes: at(next_day, 0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn the_window_follows_the_accounts_zone_across_daylight_saving() {
        let paris = time::zone("Europe/Paris").unwrap();
        // Winter: UTC+1.
        let winter = SendWindow::new(day(2026, 11, 27), paris, 7);
        assert_eq!(winter.opens.to_rfc3339(), "2026-11-27T06:00:00+00:00");
        assert_eq!(winter.closes.to_rfc3339(), "2026-11-27T23:00:00+00:00");
        // The day clocks go forward (02:00 → 03:00): 07:00 is UTC+2, and the day is 23 hours long.
        let spring = SendWindow::new(day(2026, 3, 29), paris, 7);
        assert_eq!(spring.opens.to_rfc3339(), "2026-03-29T05:00:00+00:00");
        assert_eq!(spring.closes.to_rfc3339(), "2026-03-29T22:00:00+00:00");
        // An hour the change skips is taken an hour later.
        assert_eq!(
            SendWindow::new(day(2026, 3, 29), paris, 2).opens.to_rfc3339(),
            "2026-03-29T01:00:00+00:00"
        );
        // The day clocks go back: 25 hours long.
        let autumn = SendWindow::new(day(2026, 10, 25), paris, 7);
        assert_eq!(autumn.opens.to_rfc3339(), "2026-10-25T06:00:00+00:00");
        assert_eq!(autumn.closes.to_rfc3339(), "2026-10-25T23:00:00+00:00");
    }

    #[test]
    fn the_day_is_the_meetings_day_in_the_accounts_zone() {
        // 08:00 on the 27th in Tokyo is 23:00 on the 26th in London.
        let meeting_at: DateTime<Utc> = "2026-11-26T23:00:00Z".parse().unwrap();
        let london = SendWindow::for_meeting(meeting_at, time::zone("Europe/London").unwrap(), 7);
        assert_eq!(london.opens.to_rfc3339(), "2026-11-26T07:00:00+00:00");
        let tokyo = SendWindow::for_meeting(meeting_at, time::zone("Asia/Tokyo").unwrap(), 7);
        assert_eq!(tokyo.opens.to_rfc3339(), "2026-11-26T22:00:00+00:00");
    }

    #[test]
    fn a_zone_whose_midnight_is_skipped_still_closes() {
        // Santiago skips from 00:00 to 01:00 on 2026-09-06: the day before closes at 01:00 local.
        let santiago = time::zone("America/Santiago").unwrap();
        let window = SendWindow::new(day(2026, 9, 5), santiago, 7);
        assert!(window.closes > window.opens);
        assert_eq!(window.closes.to_rfc3339(), "2026-09-06T04:00:00+00:00");
    }
}
