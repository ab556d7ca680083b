//! How values cross between server and browser: every server function answers in postcard
//! (`#[server(input = wire::Fields, output = Postcard)]`), its errors too (see
//! [`crate::error`]), and a page's resources carry their values into the hydrated app in
//! postcard (base64 in the page). Arguments go the other way as form fields ([`Fields`]).
//!
//! Postcard is a compact binary encoding of the same serde types: the browser decodes each view
//! with a few lines of generated code instead of a JSON parser's, which keeps the WebAssembly
//! small, and the server encodes it faster than JSON.

use std::future::Future;

use codee::binary::PostcardCodec;
use leptos::prelude::*;
use leptos::server_fn::codec::Post;
use leptos::server_fn::{Bytes, ContentType, Decodes, Encodes, Format, FormatType};
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

/// How a server function's arguments travel: as the fields a plain `<form>` posts
/// (`application/x-www-form-urlencoded`), so one function answers both a form posted before
/// hydration and a call from the hydrated app. The arguments are flat (strings, numbers, unit
/// enums), which serde_urlencoded reads and writes in a few kilobytes of WebAssembly, where
/// the router's default (serde_qs, for nested forms) costs about ten kilobytes compressed.
pub type Fields = Post<FieldsEncoding>;

/// The codec behind [`Fields`].
pub struct FieldsEncoding;

impl ContentType for FieldsEncoding {
    const CONTENT_TYPE: &'static str = "application/x-www-form-urlencoded";
}

impl FormatType for FieldsEncoding {
    const FORMAT_TYPE: Format = Format::Text;
}

impl<T: Serialize> Encodes<T> for FieldsEncoding {
    type Error = serde_urlencoded::ser::Error;

    fn encode(arguments: &T) -> Result<Bytes, Self::Error> {
        serde_urlencoded::to_string(arguments).map(Bytes::from)
    }
}

impl<T: DeserializeOwned> Decodes<T> for FieldsEncoding {
    type Error = serde_urlencoded::de::Error;

    fn decode(body: Bytes) -> Result<T, Self::Error> {
        serde_urlencoded::from_bytes(&body)
    }
}

/// The arguments a submitted form's fields give, read as [`Fields`] reads them on the server.
pub fn fields_of<T: DeserializeOwned>(form: &web_sys::HtmlFormElement) -> Result<T, String> {
    let data = web_sys::FormData::new_with_form(form).map_err(|_| "the form could not be read".to_owned())?;
    let fields = web_sys::UrlSearchParams::new_with_str_sequence_sequence(&data)
        .map_err(|_| "the form could not be read".to_owned())?;
    let body: String = fields.to_string().into();
    serde_urlencoded::from_str(&body).map_err(|error| error.to_string())
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

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Arguments {
        contact: String,
        interaction: i64,
        wait_ms: u32,
        projection: crate::views::ProjectionName,
    }

    #[test]
    fn arguments_cross_as_the_fields_a_form_posts() {
        use leptos::server_fn::{Decodes, Encodes};

        use super::FieldsEncoding;

        let hostile = "A&B=C+D %41 ☃\n<script>alert(1)</script>?#";
        let arguments = Arguments {
            contact: hostile.to_owned(),
            interaction: -7,
            wait_ms: 1_500,
            projection: crate::views::ProjectionName::Contacts,
        };
        let body = <FieldsEncoding as Encodes<Arguments>>::encode(&arguments).unwrap();
        // What the browser sends is what a form would post, read back by the URL parser.
        let fields: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
        assert_eq!(
            fields,
            [
                ("contact".to_owned(), hostile.to_owned()),
                ("interaction".to_owned(), "-7".to_owned()),
                ("wait_ms".to_owned(), "1500".to_owned()),
                ("projection".to_owned(), "projected_contacts".to_owned()),
            ]
        );
        assert_eq!(
            <FieldsEncoding as Decodes<Arguments>>::decode(body).unwrap(),
            arguments
        );

        // A form posted before hydration reads the same, in whatever order its fields come.
        let posted = "projection=projected_contacts&wait_ms=0&interaction=3&contact=Ada+Lovelace%21&extra=1";
        let read = <FieldsEncoding as Decodes<Arguments>>::decode(posted.into()).unwrap();
        assert_eq!(read.contact, "Ada Lovelace!");
        assert_eq!(read.interaction, 3);

        // What is missing or malformed is named.
        let missing = <FieldsEncoding as Decodes<Arguments>>::decode("interaction=3".into()).unwrap_err();
        assert!(missing.to_string().contains("contact"), "{missing}");
        let malformed = "contact=A&interaction=three&wait_ms=0&projection=projected_contacts";
        let malformed = <FieldsEncoding as Decodes<Arguments>>::decode(malformed.into()).unwrap_err();
        assert!(malformed.to_string().contains("invalid digit"), "{malformed}");
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
