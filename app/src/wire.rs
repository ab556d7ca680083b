//! How values cross from the server to the browser: every server function answers in postcard
//! (`#[server(output = Postcard)]`), its errors too (see [`crate::error`]), and a page's
//! resources carry their values into the hydrated app in postcard (base64 in the page).
//!
//! Postcard is a compact binary encoding of the same serde types: the browser decodes each view
//! with a few lines of generated code instead of a JSON parser's, which keeps the WebAssembly
//! small, and the server encodes it faster than JSON.

use std::future::Future;

use codee::binary::PostcardCodec;
use leptos::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A resource whose value reaches the browser in postcard.
pub type Loaded<T> = Resource<T, PostcardCodec>;

/// A resource loaded by `fetcher` whenever `source` changes; the page streams in as it loads.
#[track_caller]
pub fn load<S, T, Fut>(
    source: impl Fn() -> S + Send + Sync + 'static,
    fetcher: impl Fn(S) -> Fut + Send + Sync + 'static,
) -> Loaded<T>
where
    S: PartialEq + Clone + Send + Sync + 'static,
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
    Fut: Future<Output = T> + Send + 'static,
{
    Resource::new_with_options(source, fetcher, false)
}

/// As [`load`], but the page is held until it has loaded: for what the head of the page or
/// its first answer depends on.
#[track_caller]
pub fn load_blocking<S, T, Fut>(
    source: impl Fn() -> S + Send + Sync + 'static,
    fetcher: impl Fn(S) -> Fut + Send + Sync + 'static,
) -> Loaded<T>
where
    S: PartialEq + Clone + Send + Sync + 'static,
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
    Fut: Future<Output = T> + Send + 'static,
{
    Resource::new_with_options(source, fetcher, true)
}

/// A date as its day number (days from 1 January of year 1), so that the browser needs no
/// date parser: `#[serde(with = "wire::day")]`.
pub mod day {
    use chrono::{Datelike, NaiveDate};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(date: &NaiveDate, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i32(date.num_days_from_ce())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<NaiveDate, D::Error> {
        from_days(i32::deserialize(deserializer)?)
    }

    /// The date of day number `days`, or an error the deserializer reports.
    pub(super) fn from_days<E: serde::de::Error>(days: i32) -> Result<NaiveDate, E> {
        NaiveDate::from_num_days_from_ce_opt(days).ok_or_else(|| E::custom("a day out of range"))
    }
}

/// [`day`] for a date that may be missing: `#[serde(with = "wire::optional_day")]`.
pub mod optional_day {
    use chrono::{Datelike, NaiveDate};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(date: &Option<NaiveDate>, serializer: S) -> Result<S::Ok, S::Error> {
        date.map(|date| date.num_days_from_ce()).serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<NaiveDate>, D::Error> {
        Option::<i32>::deserialize(deserializer)?
            .map(super::day::from_days)
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, NaiveDate, Utc};
    use serde::{Deserialize, Serialize};

    use crate::views::{ContactSummary, MeetingSummary};

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Dates {
        #[serde(with = "super::day")]
        day: NaiveDate,
        #[serde(with = "super::optional_day")]
        maybe: Option<NaiveDate>,
    }

    #[test]
    fn dates_and_times_cross_as_numbers_and_come_back_the_same() {
        for (day, maybe) in [
            (NaiveDate::MIN, None),
            (
                NaiveDate::from_ymd_opt(2019, 8, 13).unwrap(),
                NaiveDate::from_ymd_opt(2026, 12, 3),
            ),
            (NaiveDate::MAX, Some(NaiveDate::MIN)),
        ] {
            let dates = Dates { day, maybe };
            let bytes = postcard::to_allocvec(&dates).unwrap();
            assert_eq!(postcard::from_bytes::<Dates>(&bytes).unwrap(), dates);
        }
        let at = DateTime::<Utc>::from_timestamp_micros(1_764_760_000_123_456).unwrap();
        let contact = ContactSummary {
            name: "Ada".into(),
            description: String::new(),
            contact_method: None,
            last_interacted_on: NaiveDate::from_ymd_opt(2019, 8, 13),
            next_meeting: Some(MeetingSummary {
                at,
                local: "2019-08-20 09:30".into(),
                time_zone: "Europe/London".into(),
                excerpt: String::new(),
            }),
            last_updated_at: at,
        };
        let bytes = postcard::to_allocvec(&contact).unwrap();
        assert_eq!(postcard::from_bytes::<ContactSummary>(&bytes).unwrap(), contact);
        // Out-of-range day numbers are refused, not wrapped.
        let bytes = postcard::to_allocvec(&(i32::MAX, None::<i32>)).unwrap();
        assert!(postcard::from_bytes::<Dates>(&bytes).is_err());
    }
}
