//! The contacts projection's rows in the database: reading the rows some events touch into a
//! fold, and writing a fold's rows back, many rows per statement. What the rows mean is
//! `fold.rs`'s business; this module only moves them. One SQL text serves both backends (the
//! query builder writes each one's placeholders).

use std::collections::{BTreeSet, HashSet};

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{FromRow, QueryBuilder};

use super::fold::{Contact, ContactsFold, Interaction, Key, LOCAL, Meeting, Touched};
use super::names;
use crate::crm::{CrmError, StoreError};
use crate::meetings::markdown;
use app::events::ContactMethodKind;
use engine::db::Conn;
use engine::on;

/// Every column of `projected_contacts`, in the order rows are written.
const CONTACT_COLUMNS: &str = "id, name, description, contact_method, contact_method_kind, account_id, \
     last_interacted_on, next_meeting_notes, next_meeting_at, last_updated_at, next_meeting_local, \
     next_meeting_time_zone, next_meeting_notes_excerpt, meeting_email_on, meeting_email_sent_at, \
     meeting_email_failure, meeting_email_retry_at, meeting_email_given_up, \
     meeting_email_last_sent_on, meeting_email_last_sent_at, name_key, search_key";
const CONTACT_COLUMN_COUNT: usize = 22;

/// A written row whose id exists replaces the row (a rename keeps the contact's id).
const CONTACT_UPSERT: &str = " ON CONFLICT (id) DO UPDATE SET name = excluded.name, \
     description = excluded.description, contact_method = excluded.contact_method, \
     contact_method_kind = excluded.contact_method_kind, account_id = excluded.account_id, \
     last_interacted_on = excluded.last_interacted_on, next_meeting_notes = excluded.next_meeting_notes, \
     next_meeting_at = excluded.next_meeting_at, last_updated_at = excluded.last_updated_at, \
     next_meeting_local = excluded.next_meeting_local, next_meeting_time_zone = excluded.next_meeting_time_zone, \
     next_meeting_notes_excerpt = excluded.next_meeting_notes_excerpt, meeting_email_on = excluded.meeting_email_on, \
     meeting_email_sent_at = excluded.meeting_email_sent_at, meeting_email_failure = excluded.meeting_email_failure, \
     meeting_email_retry_at = excluded.meeting_email_retry_at, meeting_email_given_up = excluded.meeting_email_given_up, \
     meeting_email_last_sent_on = excluded.meeting_email_last_sent_on, \
     meeting_email_last_sent_at = excluded.meeting_email_last_sent_at, \
     name_key = excluded.name_key, search_key = excluded.search_key";

/// Every column of `projected_contact_interactions`, in the order rows are written.
const INTERACTION_COLUMNS: &str =
    "id, account_id, contact_name, occurred_on, kind, note, recorded_at, last_updated_at";
const INTERACTION_COLUMN_COUNT: usize = 8;

const INTERACTION_UPSERT: &str = " ON CONFLICT (id) DO UPDATE SET account_id = excluded.account_id, \
     contact_name = excluded.contact_name, occurred_on = excluded.occurred_on, kind = excluded.kind, \
     note = excluded.note, recorded_at = excluded.recorded_at, last_updated_at = excluded.last_updated_at";

/// SQLite takes up to 32,766 parameters per statement (PostgreSQL 65,535).
const PARAMETERS_PER_STATEMENT: usize = 32_766;

/// Keys looked up per statement when reading.
const KEYS_PER_STATEMENT: usize = 1_000;

/// Whether rows are written into empty tables, or over the rows they replace.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Write {
    Insert,
    Upsert,
}

/// Writes every row of `fold`: a replay's, into empty tables.
pub(super) async fn write_all(mut conn: Conn<'_>, fold: ContactsFold) -> Result<(), StoreError> {
    let mut contacts: Vec<_> = fold.contacts.into_iter().collect();
    contacts.sort_by_key(|(_, contact)| contact.id);
    write_contacts(conn.re(), contacts, Write::Insert).await?;
    let mut interactions: Vec<_> = fold.interactions.into_iter().collect();
    interactions.sort_by_key(|(id, _)| *id);
    write_interactions(conn, interactions, Write::Insert).await
}

/// Writes what changed from `before` (the rows as read) to `after` (the same rows stepped by
/// some events): deletes the rows that are gone, then writes the new and changed ones.
pub(super) async fn write_changes(
    mut conn: Conn<'_>,
    before: &ContactsFold,
    after: ContactsFold,
) -> Result<(), StoreError> {
    let kept: HashSet<i64> = after.contacts.values().map(|c| c.id).collect();
    let gone: Vec<i64> = before
        .contacts
        .values()
        .map(|c| c.id)
        .filter(|id| !kept.contains(id))
        .collect();
    delete(conn.re(), "projected_contacts", &gone).await?;
    let gone: Vec<i64> = before
        .interactions
        .keys()
        .filter(|id| !after.interactions.contains_key(id))
        .copied()
        .collect();
    delete(conn.re(), "projected_contact_interactions", &gone).await?;

    let changed: Vec<_> = after
        .contacts
        .into_iter()
        .filter(|(key, contact)| before.contacts.get(key) != Some(contact))
        .collect();
    write_contacts(conn.re(), changed, Write::Upsert).await?;
    let changed: Vec<_> = after
        .interactions
        .into_iter()
        .filter(|(id, interaction)| before.interactions.get(id) != Some(interaction))
        .collect();
    write_interactions(conn, changed, Write::Upsert).await
}

/// Reads the rows `touched` names into a fold: the contacts, every interaction of the
/// contacts whose interactions it needs, and the interactions named by id.
pub(super) async fn load(mut conn: Conn<'_>, touched: &Touched) -> Result<ContactsFold, StoreError> {
    let mut fold = ContactsFold::default();
    let contacts = format!("SELECT {CONTACT_COLUMNS} FROM projected_contacts WHERE (account_id, name) IN (");
    for row in select::<ContactColumns>(conn.re(), &contacts, Among::Keys(&touched.contacts)).await? {
        let (key, contact) = row.into_contact()?;
        fold.insert_contact(key, contact);
    }
    let interactions = format!("SELECT {INTERACTION_COLUMNS} FROM projected_contact_interactions WHERE ");
    let of_contacts = format!("{interactions}(account_id, contact_name) IN (");
    let by_id = format!("{interactions}id IN (");
    let rows = [
        select::<InteractionColumns>(conn.re(), &of_contacts, Among::Keys(&touched.interactions_of)).await?,
        select::<InteractionColumns>(conn.re(), &by_id, Among::Ids(&touched.interactions)).await?,
    ];
    for row in rows.into_iter().flatten() {
        let (id, interaction) = row.into_interaction();
        fold.insert_interaction(id, interaction);
    }
    Ok(fold)
}

/// What a read looks for: rows by (account, name), or by id.
enum Among<'a> {
    Keys(&'a BTreeSet<Key>),
    Ids(&'a BTreeSet<i64>),
}

/// The rows `select` (a statement that ends in `IN (`) finds among `among`, a chunk of keys per
/// statement.
async fn select<T>(mut conn: Conn<'_>, select: &str, among: Among<'_>) -> Result<Vec<T>, StoreError>
where
    T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin,
{
    let mut found = Vec::new();
    match among {
        Among::Keys(keys) => {
            let keys: Vec<&Key> = keys.iter().collect();
            for chunk in keys.chunks(KEYS_PER_STATEMENT) {
                let rows: Vec<T> = on!(conn.re(), c => {
                    let mut query = QueryBuilder::new(select);
                    query.push_values(chunk, |mut b, (account_id, name)| {
                        b.push_bind(*account_id).push_bind(name.as_str());
                    });
                    query.push(")");
                    query.build_query_as().persistent(false).fetch_all(c).await
                })?;
                found.extend(rows);
            }
        }
        Among::Ids(ids) => {
            let ids: Vec<i64> = ids.iter().copied().collect();
            for chunk in ids.chunks(KEYS_PER_STATEMENT) {
                let rows: Vec<T> = on!(conn.re(), c => {
                    let mut query = QueryBuilder::new(select);
                    let mut list = query.separated(", ");
                    for id in chunk {
                        list.push_bind(*id);
                    }
                    query.push(")");
                    query.build_query_as().persistent(false).fetch_all(c).await
                })?;
                found.extend(rows);
            }
        }
    }
    Ok(found)
}

async fn delete(mut conn: Conn<'_>, table: &'static str, ids: &[i64]) -> Result<(), StoreError> {
    for chunk in ids.chunks(KEYS_PER_STATEMENT) {
        on!(conn.re(), c => {
            let mut query = QueryBuilder::new(format!("DELETE FROM {table} WHERE id IN ("));
            let mut list = query.separated(", ");
            for id in chunk {
                list.push_bind(*id);
            }
            query.push(")");
            query.build().persistent(false).execute(c).await.map(drop)
        })?;
    }
    Ok(())
}

async fn write_contacts(
    mut conn: Conn<'_>,
    rows: Vec<(Key, Contact)>,
    write: Write,
) -> Result<(), StoreError> {
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let batch = rows
            .by_ref()
            .take(PARAMETERS_PER_STATEMENT / CONTACT_COLUMN_COUNT);
        on!(conn.re(), c => {
            let mut query = QueryBuilder::new(format!("INSERT INTO projected_contacts ({CONTACT_COLUMNS}) "));
            query.push_values(batch, |mut b, ((account_id, name), c)| {
                let meeting = c.meeting.as_ref();
                let notes = meeting.map(|m| m.notes.as_str());
                b.push_bind(c.id)
                    .push_bind(name)
                    .push_bind(c.description)
                    .push_bind(c.contact_method)
                    .push_bind(c.contact_method_kind)
                    .push_bind(account_id)
                    .push_bind(c.last_interacted_on)
                    .push_bind(notes.map(str::to_owned))
                    .push_bind(meeting.map(|m| m.at))
                    .push_bind(c.last_updated_at)
                    .push_bind(meeting.map(Meeting::local))
                    .push_bind(meeting.map(|m| m.time_zone.clone()))
                    .push_bind(meeting.map(|m| m.excerpt.clone()))
                    .push_bind(c.email_on)
                    .push_bind(c.email_sent_at)
                    .push_bind(c.email_failure)
                    .push_bind(c.email_retry_at)
                    .push_bind(c.email_given_up)
                    .push_bind(c.email_last_sent_on)
                    .push_bind(c.email_last_sent_at)
                    .push_bind(c.name_key)
                    .push_bind(c.search_key);
            });
            if write == Write::Upsert {
                query.push(CONTACT_UPSERT);
            }
            query.build().persistent(write == Write::Insert).execute(c).await.map(drop)
        })?;
    }
    Ok(())
}

async fn write_interactions(
    mut conn: Conn<'_>,
    rows: Vec<(i64, Interaction)>,
    write: Write,
) -> Result<(), StoreError> {
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let batch = rows
            .by_ref()
            .take(PARAMETERS_PER_STATEMENT / INTERACTION_COLUMN_COUNT);
        on!(conn.re(), c => {
            let mut query =
                QueryBuilder::new(format!("INSERT INTO projected_contact_interactions ({INTERACTION_COLUMNS}) "));
            query.push_values(batch, |mut b, (id, i)| {
                b.push_bind(id)
                    .push_bind(i.account_id)
                    .push_bind(i.contact_name)
                    .push_bind(i.occurred_on)
                    .push_bind(i.kind)
                    .push_bind(i.note)
                    .push_bind(i.recorded_at)
                    .push_bind(i.last_updated_at);
            });
            if write == Write::Upsert {
                query.push(INTERACTION_UPSERT);
            }
            query.build().persistent(write == Write::Insert).execute(c).await.map(drop)
        })?;
    }
    Ok(())
}

/// A row of `projected_contacts` as read.
#[derive(sqlx::FromRow)]
struct ContactColumns {
    id: i64,
    name: String,
    description: String,
    contact_method: String,
    contact_method_kind: Option<String>,
    account_id: i64,
    last_interacted_on: Option<NaiveDate>,
    next_meeting_notes: Option<String>,
    next_meeting_at: Option<DateTime<Utc>>,
    last_updated_at: DateTime<Utc>,
    next_meeting_local: Option<String>,
    next_meeting_time_zone: Option<String>,
    next_meeting_notes_excerpt: Option<String>,
    meeting_email_on: Option<NaiveDate>,
    meeting_email_sent_at: Option<DateTime<Utc>>,
    meeting_email_failure: Option<String>,
    meeting_email_retry_at: Option<DateTime<Utc>>,
    meeting_email_given_up: bool,
    meeting_email_last_sent_on: Option<NaiveDate>,
    meeting_email_last_sent_at: Option<DateTime<Utc>>,
    name_key: Option<String>,
    search_key: Option<String>,
}

impl ContactColumns {
    fn into_contact(self) -> Result<(Key, Contact), StoreError> {
        let unreadable = |what: String| {
            StoreError::from(CrmError::Row {
                table: "projected_contacts",
                id: self.id,
                what,
            })
        };
        let contact_method_kind = match self.contact_method_kind.as_deref() {
            None => None,
            Some(kind) => Some(
                ContactMethodKind::parse(kind)
                    .ok_or_else(|| unreadable(format!("unknown contact method kind {kind:?}")))?
                    .as_str(),
            ),
        };
        let meeting = match (
            self.next_meeting_at,
            self.next_meeting_local,
            self.next_meeting_time_zone,
            self.next_meeting_notes,
        ) {
            (Some(at), Some(local), Some(time_zone), Some(notes)) => {
                let local = NaiveDateTime::parse_from_str(&local, LOCAL)
                    .map_err(|e| unreadable(format!("next_meeting_local {local:?}: {e}")))?;
                Some(Meeting {
                    at,
                    on: local.date(),
                    time: local.time(),
                    time_zone,
                    excerpt: self
                        .next_meeting_notes_excerpt
                        .unwrap_or_else(|| markdown::excerpt(&notes)),
                    notes,
                })
            }
            _ => None,
        };
        // Rows kept before the keys were folded in Rust have none until the start-up fills them.
        let name_key = self.name_key.unwrap_or_else(|| names::key(&self.name));
        let search_key = self
            .search_key
            .unwrap_or_else(|| names::search_key(&self.name, &self.description));
        let contact = Contact {
            id: self.id,
            name_key,
            search_key,
            description: self.description,
            contact_method: self.contact_method,
            contact_method_kind,
            last_interacted_on: self.last_interacted_on,
            last_updated_at: self.last_updated_at,
            meeting,
            email_on: self.meeting_email_on,
            email_sent_at: self.meeting_email_sent_at,
            email_failure: self.meeting_email_failure,
            email_retry_at: self.meeting_email_retry_at,
            email_given_up: self.meeting_email_given_up,
            email_last_sent_on: self.meeting_email_last_sent_on,
            email_last_sent_at: self.meeting_email_last_sent_at,
        };
        Ok(((self.account_id, self.name), contact))
    }
}

/// A row of `projected_contact_interactions` as read.
#[derive(sqlx::FromRow)]
struct InteractionColumns {
    id: i64,
    account_id: i64,
    contact_name: String,
    occurred_on: NaiveDate,
    kind: String,
    note: String,
    recorded_at: DateTime<Utc>,
    last_updated_at: DateTime<Utc>,
}

impl InteractionColumns {
    fn into_interaction(self) -> (i64, Interaction) {
        let interaction = Interaction {
            account_id: self.account_id,
            contact_name: self.contact_name,
            occurred_on: self.occurred_on,
            kind: self.kind,
            note: self.note,
            recorded_at: self.recorded_at,
            last_updated_at: self.last_updated_at,
        };
        (self.id, interaction)
    }
}
