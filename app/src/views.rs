//! The projection views that pages render, and the health of the workers behind them.
//!
//! Each page reads exactly one projection; its view says which one and how fresh it is, so the
//! page can wait for its own projection after a command.

use chrono::serde::{ts_microseconds, ts_microseconds_option};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::events::ContactMethod;

use crate::receipt::EventId;
use crate::wire;

/// The projections a page can be backed by and wait on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ProjectionName {
    /// Contacts with their interactions and next meeting: the list and each contact's page.
    #[serde(rename = "projected_contacts")]
    Contacts,
    /// Each account's settings: the settings page.
    #[serde(rename = "projected_accounts")]
    Accounts,
    /// The morning emails still to send: read by the mailer, not by a page.
    #[serde(rename = "projected_meeting_notes_emails")]
    MeetingNotesEmails,
    /// Each contact's events under its current name: a contact's history.
    #[serde(rename = "projected_contact_events")]
    ContactEvents,
}

impl ProjectionName {
    pub const ALL: &[ProjectionName] = &[
        ProjectionName::Contacts,
        ProjectionName::Accounts,
        ProjectionName::MeetingNotesEmails,
        ProjectionName::ContactEvents,
    ];

    /// The name in the `projections` table and in URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Contacts => "projected_contacts",
            Self::Accounts => "projected_accounts",
            Self::MeetingNotesEmails => "projected_meeting_notes_emails",
            Self::ContactEvents => "projected_contact_events",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|p| p.as_str() == name)
    }
}

impl std::fmt::Display for ProjectionName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How fresh the projection behind a view is, as far as the signed-in account goes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Freshness {
    pub projection: ProjectionName,
    /// How many of the account's events the projection had yet to apply when the view was read.
    pub behind: i64,
}

/// One row of `projected_contacts`, as the pages show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactSummary {
    pub name: String,
    pub description: String,
    pub contact_method: Option<ContactMethod>,
    #[serde(with = "wire::optional_day")]
    pub last_interacted_on: Option<NaiveDate>,
    pub next_meeting: Option<MeetingSummary>,
    #[serde(with = "ts_microseconds")]
    pub last_updated_at: DateTime<Utc>,
}

/// The next meeting with a contact, as the list shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingSummary {
    #[serde(with = "ts_microseconds")]
    pub at: DateTime<Utc>,
    /// The local date and time as scheduled, e.g. "2019-08-20 09:30".
    pub local: String,
    pub time_zone: String,
    /// The start of the notes' text, without Markdown.
    pub excerpt: String,
}

/// The contacts list page: one page of the account's contacts, sorted and filtered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactsView {
    pub contacts: Vec<ContactSummary>,
    pub query: ListQuery,
    /// How many contacts match the search, on every page.
    pub matching: i64,
    /// How many contacts the account has in all.
    pub total: i64,
    pub pages: u32,
    pub freshness: Freshness,
}

/// What the contacts list is sorted by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SortKey {
    #[default]
    Name,
    LastInteraction,
    NextMeeting,
}

impl SortKey {
    pub const ALL: [SortKey; 3] = [SortKey::Name, SortKey::LastInteraction, SortKey::NextMeeting];

    /// The name in URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::LastInteraction => "last_interaction",
            Self::NextMeeting => "next_meeting",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Name => "Name",
            Self::LastInteraction => "Last interaction",
            Self::NextMeeting => "Next meeting",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// The sort, search and page of the contacts list, as kept in its URL.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListQuery {
    pub sort: SortKey,
    pub descending: bool,
    /// Contacts whose name or description contains this (any case); empty for all.
    pub search: String,
    /// From 1.
    pub page: u32,
}

impl ListQuery {
    /// Contacts per page.
    pub const PAGE_SIZE: u32 = 50;

    /// Reads the list's query string (`?sort=next_meeting&dir=desc&q=bob&page=2`); anything
    /// unknown falls back to the default.
    pub fn from_query(search: &str) -> Self {
        let value = |key| crate::url::query_value(search, key);
        Self {
            sort: value("sort").and_then(|s| SortKey::parse(&s)).unwrap_or_default(),
            descending: value("dir").as_deref() == Some("desc"),
            search: value("q").map(|q| q.trim().to_owned()).unwrap_or_default(),
            page: value("page")
                .and_then(|p| p.parse().ok())
                .filter(|p| *p >= 1)
                .unwrap_or(1),
        }
    }

    /// The `/contacts` URL showing this list; defaults are left out.
    pub fn to_url(&self) -> String {
        let mut parts = Vec::new();
        if self.sort != SortKey::Name {
            parts.push(format!("sort={}", self.sort.as_str()));
        }
        if self.descending {
            parts.push("dir=desc".to_owned());
        }
        if !self.search.is_empty() {
            parts.push(format!("q={}", urlencoding::encode(&self.search)));
        }
        if self.page > 1 {
            parts.push(format!("page={}", self.page));
        }
        if parts.is_empty() {
            "/contacts".to_owned()
        } else {
            format!("/contacts?{}", parts.join("&"))
        }
    }

    /// The same list sorted by `sort`: the other direction if it is already sorted by it.
    pub fn sorted_by(&self, sort: SortKey) -> Self {
        Self {
            sort,
            descending: self.sort == sort && !self.descending,
            search: self.search.clone(),
            page: 1,
        }
    }

    pub fn on_page(&self, page: u32) -> Self {
        Self { page, ..self.clone() }
    }
}

/// One recorded interaction, as a contact's page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InteractionView {
    /// The id of the event that recorded it: stable across rebuilds.
    pub id: i64,
    #[serde(with = "wire::day")]
    pub occurred_on: NaiveDate,
    pub kind: String,
    pub note: String,
}

/// The next meeting with a contact, as its page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingView {
    #[serde(with = "wire::day")]
    pub meeting_on: NaiveDate,
    /// `HH:MM`, local to `time_zone`.
    pub meeting_time: String,
    pub time_zone: String,
    pub notes: String,
    /// The notes rendered from Markdown and sanitized on the server: safe to put in the page.
    pub notes_html: String,
    /// The morning email with the notes.
    pub email: MeetingEmailView,
    /// Said when the mailer has stopped running, so the email would not go out.
    pub mailer_warning: Option<String>,
}

/// Where the morning email of a meeting stands. Times are in the account's time zone, written
/// out on the server, e.g. "Friday 27 November 2026 at 07:00".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MeetingEmailView {
    /// Goes out at `at`; `due` once that time has come (it goes at the mailer's next run).
    Scheduled {
        at: String,
        due: bool,
    },
    /// An attempt failed; the mailer tries again by itself at `retry_at`.
    Retrying {
        reason: String,
        retry_at: String,
    },
    Sent {
        at: String,
    },
    /// Waits for the account holder to ask again, which they may while the day lasts.
    Failed {
        reason: String,
        can_send_again: bool,
    },
    /// The meeting's day ended first: it will not be sent.
    NotSent {
        reason: String,
    },
}

/// One contact's page; `contact` is `None` when the account has no contact of that name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactView {
    pub contact: Option<ContactSummary>,
    /// Newest first.
    pub interactions: Vec<InteractionView>,
    pub meeting: Option<MeetingView>,
    /// What happened to the contact, newest first.
    pub history: Vec<HistoryLine>,
    /// Today on the server (UTC): the default date of a new interaction.
    #[serde(with = "wire::day")]
    pub today: NaiveDate,
    pub freshness: Freshness,
}

/// One event behind a contact, told as a line of its history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryLine {
    pub event_id: EventId,
    /// What happened, e.g. "Description changed from “A” to “B”".
    pub text: String,
    /// "you", or the system process ("the mailer").
    pub caused_by: String,
    #[serde(with = "ts_microseconds")]
    pub at: DateTime<Utc>,
    /// `at` in the account's zone, e.g. "Friday 27 November 2026 at 07:00".
    pub when: String,
    /// `at` as a person says it, e.g. "3 days ago".
    pub ago: String,
}

/// The account settings page, from `projected_accounts`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsView {
    /// `None` until the projection has applied the account's registration.
    pub settings: Option<crate::events::AccountSettings>,
    /// The address the account signs in with.
    pub email: String,
    /// Every IANA time zone the server knows, for the form's list.
    pub time_zones: Vec<String>,
    pub freshness: Freshness,
}

/// The answer to "has this projection applied my event yet?". It speaks of the signed-in
/// account's own events only: how far the stream has grown with other accounts' events is
/// none of its business.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatchUp {
    pub applied: bool,
    /// Whether the event is one of the account's own; any other is never waited for.
    pub known: bool,
    /// How many of the account's events the projection has yet to apply.
    pub behind: i64,
}

/// The state of one background listener, as far as the signed-in account is concerned.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkerHealth {
    /// The projection the listener keeps.
    pub projection: String,
    /// Whether the listener has shown a sign of life recently.
    pub alive: bool,
    /// Milliseconds since its last sign of life, if it has shown any.
    pub milliseconds_since_heartbeat: Option<u64>,
    /// How many of the account's events it has yet to apply.
    pub behind: i64,
    /// Whether it keeps failing (what failed is for the operator: see `server status`).
    pub failing: bool,
    /// A rebuild beside the live tables, while one runs (`server replay`).
    pub rebuilding: Option<Rebuilding>,
}

/// How far a rebuild of a projection has got.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rebuilding {
    /// Of the events in the stream when it began, 0 to 100.
    pub percent: u8,
    #[serde(with = "ts_microseconds")]
    pub started_at: DateTime<Utc>,
}

/// The state of one scheduled job (the mailer), from its last run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobHealth {
    pub name: String,
    /// `None` until it first runs.
    #[serde(with = "ts_microseconds_option")]
    pub last_run_at: Option<DateTime<Utc>>,
    #[serde(with = "ts_microseconds_option")]
    pub next_run_at: Option<DateTime<Utc>>,
    /// False when the job has never run or is overdue: its scheduler has stopped.
    pub running: bool,
    /// Whether its last run failed.
    pub failing: bool,
}

/// The health of every background listener and scheduled job, shown when a wait takes too
/// long, as the signed-in account sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HealthView {
    pub workers: Vec<WorkerHealth>,
    pub jobs: Vec<JobHealth>,
}

/// The event browser's filters: an event type, a contact, and where the page starts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventQuery {
    /// An event type's name, or empty for all.
    pub event_type: String,
    /// A contact's name (exactly), or empty for all.
    pub contact: String,
    /// Only events older than this one (the next page).
    pub before: Option<EventId>,
}

impl EventQuery {
    pub fn from_query(search: &str) -> Self {
        let value = |key| crate::url::query_value(search, key).unwrap_or_default();
        Self {
            event_type: value("type").trim().to_owned(),
            contact: value("contact").trim().to_owned(),
            before: value("before").parse().ok(),
        }
    }

    /// `/events?…` for these filters.
    pub fn to_url(&self) -> String {
        let mut parts = Vec::new();
        if !self.event_type.is_empty() {
            parts.push(format!("type={}", urlencoding::encode(&self.event_type)));
        }
        if !self.contact.is_empty() {
            parts.push(format!("contact={}", urlencoding::encode(&self.contact)));
        }
        if let Some(before) = self.before {
            parts.push(format!("before={before}"));
        }
        if parts.is_empty() {
            "/events".to_owned()
        } else {
            format!("/events?{}", parts.join("&"))
        }
    }
}

/// One event of the stream, as the event browser shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventView {
    pub id: EventId,
    pub event_type: String,
    pub version: i32,
    /// Who caused it: "you", or the system process ("the mailer").
    pub caused_by: String,
    #[serde(with = "ts_microseconds")]
    pub created_at: DateTime<Utc>,
    /// The payload as stored, indented.
    pub payload: String,
}

/// A page of the signed-in account's own events, newest first. Read from the stream itself:
/// the one page that is not backed by a projection, because the stream is what it shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventsView {
    pub events: Vec<EventView>,
    pub query: EventQuery,
    /// Every event type, for the filter.
    pub event_types: Vec<String>,
    /// Where the next (older) page starts, if there is one.
    pub older: Option<EventId>,
}

/// Events per page of the event browser.
pub const EVENTS_PAGE: usize = 50;
