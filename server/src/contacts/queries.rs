//! What the contacts list and a contact's page read: `projected_contacts`, and for the
//! history `projected_contact_events` with the events it names.

use app::account::{DEFAULT_MORNING_HOUR, DEFAULT_TIME_ZONE};
use app::events::{ContactMethod, ContactMethodKind};
use app::views::{
    ContactSummary, ContactView, ContactsView, Freshness, InteractionView, ListQuery, MeetingSummary,
    MeetingView, ProjectionName, SortKey,
};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use sqlx::AssertSqlSafe;

use super::{history, names};
use crate::crm::{Dispatcher, StoreError};
use crate::event_browser::{StreamRow, caused_by};
use crate::freshness::freshness;
use crate::meetings::mailer::{self, EmailFacts};
use crate::meetings::markdown;
use crate::time;
use engine::db::{Conn, Pool};
use engine::jobs::JobStatus;
use engine::{jobs, on, on_pool};

/// A row of `projected_contacts`, as the pages see it.
#[derive(sqlx::FromRow)]
struct ContactRow {
    name: String,
    description: String,
    contact_method: String,
    contact_method_kind: Option<String>,
    last_interacted_on: Option<NaiveDate>,
    next_meeting_at: Option<DateTime<Utc>>,
    next_meeting_local: Option<String>,
    next_meeting_time_zone: Option<String>,
    next_meeting_notes_excerpt: Option<String>,
    last_updated_at: DateTime<Utc>,
}

impl From<ContactRow> for ContactSummary {
    fn from(row: ContactRow) -> Self {
        let ContactRow {
            name,
            description,
            contact_method,
            contact_method_kind,
            last_interacted_on,
            next_meeting_at,
            next_meeting_local,
            next_meeting_time_zone,
            next_meeting_notes_excerpt,
            last_updated_at,
        } = row;
        let next_meeting = next_meeting_at.map(|at| MeetingSummary {
            at,
            local: next_meeting_local.unwrap_or_default(),
            time_zone: next_meeting_time_zone.unwrap_or_default(),
            excerpt: next_meeting_notes_excerpt.unwrap_or_default(),
        });
        // A row projected before kinds were kept shows its contact method as text until a
        // replay fills the kind in.
        let contact_method = (!contact_method.is_empty()).then(|| ContactMethod {
            kind: contact_method_kind
                .as_deref()
                .and_then(ContactMethodKind::parse)
                .unwrap_or(ContactMethodKind::Other),
            value: contact_method,
        });
        Self {
            name,
            description,
            contact_method,
            last_interacted_on,
            next_meeting,
            last_updated_at,
        }
    }
}

/// `SELECT` of one account's contact rows, followed by the rest of the statement.
/// `$extra` (before a `;`) adds columns after the list's own.
macro_rules! select_contacts {
    ($rest:literal) => {
        select_contacts!(""; $rest)
    };
    ($extra:literal; $rest:literal) => {
        concat!(
            "SELECT name, description, contact_method, contact_method_kind, last_interacted_on, next_meeting_at, \
             next_meeting_local, next_meeting_time_zone, next_meeting_notes_excerpt, last_updated_at",
            $extra,
            " FROM projected_contacts WHERE account_id = $1 ",
            $rest
        )
    };
}

/// The `ORDER BY` of a sort. Each has an index that matches it term for term (migration
/// 0011 on SQLite, 0003 on PostgreSQL), so pages are read in index order. Names sort by their
/// folded key (see [`names`]), as bytes on both databases; contacts without a date come last
/// whichever the direction; ties go by name, then by the contact's id.
pub fn order_by(query: &ListQuery) -> &'static str {
    match (query.sort, query.descending) {
        (SortKey::Name, false) => "ORDER BY name_key, id",
        (SortKey::Name, true) => "ORDER BY name_key DESC, id DESC",
        (SortKey::LastInteraction, false) => {
            "ORDER BY last_interacted_on IS NULL, last_interacted_on, name_key, id"
        }
        (SortKey::LastInteraction, true) => {
            "ORDER BY last_interacted_on IS NULL, last_interacted_on DESC, name_key, id"
        }
        (SortKey::NextMeeting, false) => "ORDER BY next_meeting_at IS NULL, next_meeting_at, name_key, id",
        (SortKey::NextMeeting, true) => {
            "ORDER BY next_meeting_at IS NULL, next_meeting_at DESC, name_key, id"
        }
    }
}

/// `text` as a `LIKE` pattern matching it anywhere, with `%`, `_` and `\` taken literally.
fn contains_pattern(text: &str) -> String {
    let escaped = text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// The search's condition on `projected_contacts`, its pattern bound as `$3`. Both sides are
/// folded, so `LIKE` compares bytes alike on both databases (SQLite's folds ASCII letters
/// only, and there are none in upper case left to fold).
const SEARCH: &str = "AND search_key LIKE $3 ESCAPE '\\' ";

/// The columns a page's statement reads beside its rows, all from the snapshot its rows come
/// from: how far the projection is behind the account (the account as `$1`, the projection's
/// name as `$2`), how many contacts the account has, and how many of them match (`{matching}`).
macro_rules! counts_columns {
    () => {
        concat!(
            engine::behind_sql!(),
            " AS behind, COALESCE((SELECT contacts FROM projected_contact_counts WHERE account_id = $1), 0) AS total, \
             {matching} AS matching"
        )
    };
}

/// How many of the account's contacts match: all of them, as the projection counts them,
/// without a search (counting 10,000 rows took longer than reading the page of 50); those
/// whose folded text has the pattern, with one.
fn matching(searching: bool) -> String {
    if searching {
        format!("(SELECT COUNT(*) FROM projected_contacts WHERE account_id = $1 {SEARCH})")
    } else {
        "COALESCE((SELECT contacts FROM projected_contact_counts WHERE account_id = $1), 0)".into()
    }
}

/// The statement that reads a page of the list with its freshness and counts: the account as
/// `$1`, the projection's name as `$2`, with a search its pattern as `$3`, then the limit and
/// the offset. It is put together from fixed fragments only; input is always bound. A page
/// without a search is a statement without the search's condition: PostgreSQL plans a
/// prepared statement once for any parameters after a few runs, and a plan that had to allow
/// for a search sorted all 10,000 rows of an account (17 ms) where the sort's index gives the
/// first 50 in order.
pub fn page_statement(query: &ListQuery, searching: bool) -> String {
    let order = order_by(query);
    let counts = format!(counts_columns!(), matching = matching(searching));
    let select = format!(select_contacts!(", {counts}"; ""), counts = counts);
    if searching {
        format!("{select}{SEARCH}{order} LIMIT $4 OFFSET $5")
    } else {
        format!("{select}{order} LIMIT $3 OFFSET $4")
    }
}

/// The freshness and counts alone, for a page that came back empty.
fn counts_statement(searching: bool) -> String {
    format!(
        concat!("SELECT ", counts_columns!()),
        matching = matching(searching)
    )
}

/// A row of a page's statement: the contact, and the same freshness and counts on each.
#[derive(sqlx::FromRow)]
struct PageRow {
    #[sqlx(flatten)]
    contact: ContactRow,
    #[sqlx(flatten)]
    counts: Counts,
}

#[derive(sqlx::FromRow, Clone, Copy)]
struct Counts {
    behind: i64,
    total: i64,
    matching: i64,
}

/// One page of the account's contacts, sorted and filtered as `query` says.
///
/// The page and what it says of itself (how fresh it is, how many contacts match) come from
/// one statement, so from one snapshot, without a transaction: one hand-over to the database
/// for the usual page. Only a page that comes back empty (nothing matches, or the page asked
/// for is past the last) reads its counts on their own, and then the last page if there is one.
pub async fn contacts(pool: &Pool, account_id: i64, query: ListQuery) -> Result<ContactsView, StoreError> {
    let term = names::search_term(&query.search);
    let pattern = (!term.is_empty()).then(|| contains_pattern(&term));
    let size = ListQuery::PAGE_SIZE;
    // The account, the projection and the search's pattern, as both statements take them.
    macro_rules! with_list_parameters {
        ($sql:expr) => {{
            let statement = sqlx::query_as(AssertSqlSafe($sql))
                .bind(account_id)
                .bind(ProjectionName::Contacts.as_str());
            match &pattern {
                Some(pattern) => statement.bind(pattern),
                None => statement,
            }
        }};
    }
    let read_page = async |page: u32| -> Result<Vec<PageRow>, StoreError> {
        let (limit, offset) = (i64::from(size), i64::from(page - 1) * i64::from(size));
        let sql = page_statement(&query, pattern.is_some());
        Ok(on_pool!(pool, p => with_list_parameters!(sql).bind(limit).bind(offset).fetch_all(p).await)?)
    };
    let mut page = query.page.max(1);
    let mut rows = read_page(page).await?;
    let counts = match rows.first() {
        Some(row) => row.counts,
        None => {
            let sql = counts_statement(pattern.is_some());
            let counts: Counts = on_pool!(pool, p => with_list_parameters!(sql).fetch_one(p).await)?;
            let last = pages(counts.matching, size);
            if page > last {
                page = last;
                if counts.matching > 0 {
                    rows = read_page(page).await?;
                }
            }
            rows.first().map_or(counts, |row| row.counts)
        }
    };
    Ok(ContactsView {
        contacts: rows.into_iter().map(|row| row.contact.into()).collect(),
        query: ListQuery { page, ..query },
        matching: counts.matching,
        total: counts.total,
        pages: pages(counts.matching, size),
        freshness: Freshness {
            projection: ProjectionName::Contacts,
            behind: counts.behind,
        },
    })
}

/// How many pages of `size` show `matching` contacts: at least one, empty when none match.
fn pages(matching: i64, size: u32) -> u32 {
    (matching.max(1) as u32).div_ceil(size)
}

#[derive(sqlx::FromRow)]
struct InteractionRow {
    id: i64,
    occurred_on: NaiveDate,
    kind: String,
    note: String,
}

/// A row of `projected_contacts` with what only the contact's own page shows: the notes.
#[derive(sqlx::FromRow)]
struct ContactPageRow {
    #[sqlx(flatten)]
    contact: ContactRow,
    next_meeting_notes: Option<String>,
    #[sqlx(flatten)]
    email: EmailFacts,
}

/// What the contact's page needs to say where the morning email stands.
struct EmailContext {
    zone: Tz,
    hour: u32,
    mailer: Option<JobStatus>,
    now: DateTime<Utc>,
}

impl ContactPageRow {
    /// The contact, and its next meeting as its page shows it.
    fn into_parts(self, context: &EmailContext) -> (ContactSummary, Option<MeetingView>) {
        let contact: ContactSummary = self.contact.into();
        let meeting = contact.next_meeting.as_ref().and_then(|summary| {
            let (date, time) = summary.local.split_once(' ')?;
            let meeting_on = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
            let email = mailer::email_view(&self.email, summary.at, context.zone, context.hour, context.now);
            let mailer_warning = mailer::mailer_warning(&email, context.mailer.as_ref(), context.zone);
            Some(MeetingView {
                meeting_on,
                meeting_time: time.to_owned(),
                time_zone: summary.time_zone.clone(),
                notes: self.next_meeting_notes.unwrap_or_default(),
                // Rendered by the caller, off the async threads.
                notes_html: String::new(),
                email,
                mailer_warning,
            })
        });
        (contact, meeting)
    }
}

/// The account's contact called `name` with its interactions (newest first) and next
/// meeting, if the account has such a contact; the meeting's email as it stands at `now`.
pub async fn contact(
    pool: &Pool,
    dispatcher: &Dispatcher,
    account_id: i64,
    name: &str,
    now: DateTime<Utc>,
) -> Result<ContactView, StoreError> {
    let (freshness, checkpoint) =
        freshness(pool.acquire().await?.conn(), account_id, ProjectionName::Contacts).await?;
    // The history has a projection of its own: let it reach the event the contact's row is at,
    // so a change just made shows in both at once.
    dispatcher
        .catch_up(
            ProjectionName::ContactEvents.as_str(),
            checkpoint,
            std::time::Duration::from_secs(1),
        )
        .await?;
    // One read transaction: the contact and its interactions come from the same moment.
    let mut tx = pool.begin_read().await?;
    let row: Option<ContactPageRow> = on!(tx.conn(), c => sqlx::query_as(select_contacts!(
        ", next_meeting_notes, meeting_email_sent_at, meeting_email_failure, \
         meeting_email_retry_at, meeting_email_given_up";
        "AND name = $2"
    ))
    .bind(account_id)
    .bind(name)
    .fetch_optional(c)
    .await)?;
    let Some(row) = row else {
        return Ok(ContactView {
            contact: None,
            interactions: Vec::new(),
            meeting: None,
            history: Vec::new(),
            today: now.date_naive(),
            freshness,
        });
    };
    let interactions: Vec<InteractionRow> = on!(tx.conn(), c => sqlx::query_as(
        "SELECT id, occurred_on, kind, note FROM projected_contact_interactions \
         WHERE account_id = $1 AND contact_name = $2 ORDER BY occurred_on DESC, id DESC",
    )
    .bind(account_id)
    .bind(name)
    .fetch_all(c)
    .await)?;
    let history = contact_history(tx.conn(), account_id, name).await?;
    // The account's zone and hour say when its emails go out (UTC at 07:00 until its settings
    // are projected).
    let settings: Option<(String, i64)> = on!(tx.conn(), c => sqlx::query_as(
        "SELECT time_zone, morning_email_hour FROM projected_accounts WHERE account_id = $1",
    )
    .bind(account_id)
    .fetch_optional(c)
    .await)?;
    let (zone, hour) =
        settings.unwrap_or_else(|| (DEFAULT_TIME_ZONE.to_owned(), i64::from(DEFAULT_MORNING_HOUR)));
    tx.commit().await?;
    let mailer = jobs::health(pool, &[mailer::JOB], now)
        .await?
        .into_iter()
        .find(|job| job.name == mailer::JOB);
    let context = EmailContext {
        zone: time::zone(&zone).unwrap_or(Tz::UTC),
        hour: u32::try_from(hour).unwrap_or(7).min(23),
        mailer,
        now,
    };
    let (contact, mut meeting) = row.into_parts(&context);
    if let Some(meeting) = &mut meeting {
        meeting.notes_html = markdown::render_off_thread(meeting.notes.clone()).await;
    }
    let history = history::lines(history, now, context.zone);
    Ok(ContactView {
        contact: Some(contact),
        interactions: interactions
            .into_iter()
            .map(|i| InteractionView {
                id: i.id,
                occurred_on: i.occurred_on,
                kind: i.kind,
                note: i.note,
            })
            .collect(),
        meeting,
        history,
        today: now.date_naive(),
        freshness,
    })
}

/// The events behind the contact called `name`, in stream order: the ones
/// `projected_contact_events` keeps under its current name, read from the stream.
async fn contact_history(
    conn: Conn<'_>,
    account_id: i64,
    name: &str,
) -> Result<Vec<history::Entry>, StoreError> {
    let rows: Vec<StreamRow> = on!(conn, c => sqlx::query_as(
        "SELECT e.id, t.name, t.version, n.kind, n.name AS entity, e.created_at, \
             CAST(e.payload AS TEXT) AS payload \
         FROM projected_contact_events c JOIN events e ON e.id = c.event_id \
             JOIN event_types t ON t.id = e.event_type_id JOIN entities n ON n.id = e.entity_id \
         WHERE c.account_id = $1 AND c.contact_name = $2 ORDER BY c.event_id",
    )
    .bind(account_id)
    .bind(name)
    .fetch_all(c)
    .await)?;
    rows.into_iter()
        .map(|row| {
            let id = row.id;
            let payload = serde_json::from_str(&row.payload)
                .map_err(|source| StoreError::Payload { event: id, source })?;
            let event =
                app::events::Event::from_payload(&row.name, row.version, payload).map_err(|error| {
                    StoreError::Decode {
                        id,
                        reason: error.to_string(),
                    }
                })?;
            Ok(history::Entry {
                id,
                event,
                caused_by: caused_by(&row.kind, &row.entity),
                at: row.created_at,
            })
        })
        .collect()
}
