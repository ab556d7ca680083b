//! The contacts projection as a pure function of the stream: [`ContactsFold::step`] is what
//! each contact event does to the rows. A replay folds the whole stream into rows held here,
//! then writes each row once, many rows per statement; a contact's history (`history.rs`)
//! folds the contact's events and compares the state before each one with it. It gives exactly
//! the rows that the event-by-event handler (`projection.rs`) gives
//! (`server/tests/integration/invariant.rs` and `replay.rs` compare them), and is what makes a
//! replay fast: the handler costs a call into SQLite per event, the fold a call per few hundred
//! rows.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use app::events::{
    ContactCreated, ContactDeleted, ContactEdited, Event, InteractionCorrected, InteractionRecorded,
    InteractionRemoved, MeetingNotesEmailFailed, MeetingNotesEmailRequested, MeetingNotesEmailSent,
    NextMeetingScheduled,
};
use std::fmt::Write as _;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::postgres::PgArguments;
use sqlx::sqlite::SqliteArguments;
use sqlx::{Arguments, Encode, Postgres, Sqlite, Type};

use crate::contacts::names;
use crate::dispatch::Rebuild;
use crate::meetings::markdown;
use crate::store::{StoreError, StoredEvent};
use crate::time::meeting_instant_of;
use engine::db::{Backend, Conn};

/// A contact, found by (account, name).
type Key = (i64, String);

/// A row of `projected_contacts`, every column. The notes' HTML and excerpt are rendered when
/// the row is written.
struct Contact {
    id: i64,
    description: String,
    contact_method: String,
    contact_method_kind: Option<&'static str>,
    last_interacted_on: Option<NaiveDate>,
    last_updated_at: DateTime<Utc>,
    meeting: Option<Meeting>,
    email_on: Option<NaiveDate>,
    email_sent_at: Option<DateTime<Utc>>,
    email_failure: Option<String>,
    email_retry_at: Option<DateTime<Utc>>,
    email_given_up: bool,
    email_last_sent_on: Option<NaiveDate>,
    email_last_sent_at: Option<DateTime<Utc>>,
}

/// The next meeting's columns.
#[derive(Clone, Debug, PartialEq)]
pub struct Meeting {
    pub at: DateTime<Utc>,
    pub local: String,
    pub time_zone: String,
    pub notes: String,
}

/// One contact as the fold has left it, as its history compares before and after an event:
/// its details, its next meeting, and its interactions by id (day, kind, note).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ContactState {
    pub description: String,
    pub contact_method: String,
    pub meeting: Option<Meeting>,
    pub interactions: BTreeMap<i64, (NaiveDate, String, String)>,
}

/// A row of `projected_contact_interactions`.
struct Interaction {
    account_id: i64,
    contact_name: String,
    occurred_on: NaiveDate,
    kind: String,
    note: String,
    recorded_at: DateTime<Utc>,
    last_updated_at: DateTime<Utc>,
}

/// Both tables, in memory.
#[derive(Default)]
pub struct ContactsFold {
    contacts: HashMap<Key, Contact>,
    interactions: HashMap<i64, Interaction>,
    /// Each contact's interactions, by the `contact_name` they are kept under.
    by_contact: HashMap<Key, BTreeSet<i64>>,
}

impl ContactsFold {
    /// The contact `name` of the account, as the events so far have left it.
    pub fn state(&self, account_id: i64, name: &str) -> Option<ContactState> {
        let key = (account_id, name.to_owned());
        let contact = self.contacts.get(&key)?;
        let interactions = self
            .by_contact
            .get(&key)
            .into_iter()
            .flatten()
            .filter_map(|id| {
                let i = self.interactions.get(id)?;
                Some((*id, (i.occurred_on, i.kind.clone(), i.note.clone())))
            })
            .collect();
        Some(ContactState {
            description: contact.description.clone(),
            contact_method: contact.contact_method.clone(),
            meeting: contact.meeting.clone(),
            interactions,
        })
    }

    /// What `follow_last_interaction` does: the contact's last interaction is the latest day
    /// among the interactions kept under its name.
    fn follow_last_interaction(&mut self, key: &Key, at: DateTime<Utc>) {
        let Some(contact) = self.contacts.get_mut(key) else {
            return;
        };
        contact.last_updated_at = at;
        contact.last_interacted_on = self
            .by_contact
            .get(key)
            .into_iter()
            .flatten()
            .filter_map(|id| self.interactions.get(id))
            .map(|i| i.occurred_on)
            .max();
    }

    fn remove_interaction(&mut self, account_id: i64, id: i64) {
        if let Some(interaction) = self.interactions.get(&id).filter(|i| i.account_id == account_id) {
            let key = (account_id, interaction.contact_name.clone());
            if let Some(ids) = self.by_contact.get_mut(&key) {
                ids.remove(&id);
            }
            self.interactions.remove(&id);
        }
    }
}

impl ContactsFold {
    /// The one interpretation of a contact event: what `event` (the event `id` of
    /// `account_id`, stored `at`) does to the rows. The replay folds the stream with it and a
    /// contact's history compares the state before and after it.
    pub fn step(
        &mut self,
        account_id: i64,
        id: i64,
        at: DateTime<Utc>,
        event: &Event,
    ) -> Result<(), StoreError> {
        match event {
            Event::ContactCreated(ContactCreated {
                name,
                description,
                contact_method,
            }) => {
                let (method, kind) = method_columns(contact_method.as_ref());
                let key = (account_id, name.clone());
                match self.contacts.get_mut(&key) {
                    Some(contact) => {
                        contact.description.clone_from(description);
                        contact.contact_method = method.to_owned();
                        contact.contact_method_kind = kind;
                        contact.last_updated_at = at;
                    }
                    None => {
                        self.contacts.insert(
                            key,
                            Contact {
                                id,
                                description: description.clone(),
                                contact_method: method.to_owned(),
                                contact_method_kind: kind,
                                last_interacted_on: None,
                                last_updated_at: at,
                                meeting: None,
                                email_on: None,
                                email_sent_at: None,
                                email_failure: None,
                                email_retry_at: None,
                                email_given_up: false,
                                email_last_sent_on: None,
                                email_last_sent_at: None,
                            },
                        );
                    }
                }
            }
            Event::ContactEdited(ContactEdited {
                name,
                new_name,
                description,
                contact_method,
            }) => {
                let key = (account_id, name.clone());
                let (method, kind) = method_columns(contact_method.as_ref());
                if let Some(contact) = self.contacts.get_mut(&key) {
                    contact.description.clone_from(description);
                    contact.contact_method = method.to_owned();
                    contact.contact_method_kind = kind;
                    contact.last_updated_at = at;
                }
                if let Some(new_name) = new_name {
                    let new_key = (account_id, new_name.clone());
                    if let Some(contact) = self.contacts.remove(&key) {
                        if self.contacts.contains_key(&new_key) {
                            return Err(StoreError::RenameOntoExisting {
                                event: id,
                                from: name.clone(),
                                to: new_name.clone(),
                            });
                        }
                        self.contacts.insert(new_key.clone(), contact);
                    }
                    if let Some(ids) = self.by_contact.remove(&key) {
                        for id in &ids {
                            if let Some(interaction) = self.interactions.get_mut(id) {
                                interaction.contact_name.clone_from(new_name);
                            }
                        }
                        self.by_contact.entry(new_key).or_default().extend(ids);
                    }
                }
            }
            Event::ContactDeleted(ContactDeleted { name }) => {
                let key = (account_id, name.clone());
                self.contacts.remove(&key);
                for id in self.by_contact.remove(&key).into_iter().flatten() {
                    self.interactions.remove(&id);
                }
            }
            Event::InteractionRecorded(InteractionRecorded {
                contact,
                occurred_on,
                kind,
                note,
            }) => {
                let key = (account_id, contact.clone());
                self.interactions.insert(
                    id,
                    Interaction {
                        account_id: key.0,
                        contact_name: contact.clone(),
                        occurred_on: *occurred_on,
                        kind: kind.clone(),
                        note: note.clone(),
                        recorded_at: at,
                        last_updated_at: at,
                    },
                );
                self.by_contact.entry(key.clone()).or_default().insert(id);
                self.follow_last_interaction(&key, at);
            }
            Event::InteractionCorrected(InteractionCorrected {
                contact,
                interaction,
                occurred_on,
                kind,
                note,
            }) => {
                let key = (account_id, contact.clone());
                if let Some(row) = self
                    .interactions
                    .get_mut(interaction)
                    .filter(|i| i.account_id == key.0)
                {
                    row.occurred_on = *occurred_on;
                    row.kind.clone_from(kind);
                    row.note.clone_from(note);
                    row.last_updated_at = at;
                }
                self.follow_last_interaction(&key, at);
            }
            Event::InteractionRemoved(InteractionRemoved { contact, interaction }) => {
                let key = (account_id, contact.clone());
                self.remove_interaction(key.0, *interaction);
                self.follow_last_interaction(&key, at);
            }
            Event::NextMeetingScheduled(meeting) => {
                let instant = meeting_instant_of(meeting, id)?;
                let NextMeetingScheduled {
                    contact,
                    meeting_on,
                    meeting_time,
                    time_zone,
                    notes,
                } = meeting;
                let key = (account_id, contact.clone());
                if let Some(row) = self.contacts.get_mut(&key) {
                    row.meeting = Some(Meeting {
                        at: instant,
                        local: meeting_on
                            .and_time(*meeting_time)
                            .format("%Y-%m-%d %H:%M")
                            .to_string(),
                        time_zone: time_zone.clone(),
                        notes: notes.clone(),
                    });
                    row.last_updated_at = at;
                    // As the handler's CASEs: the email's state stays with its day.
                    let same_day = row.email_on == Some(*meeting_on);
                    if !same_day {
                        row.email_sent_at = if row.email_last_sent_on == Some(*meeting_on) {
                            row.email_last_sent_at
                        } else {
                            None
                        };
                        row.email_failure = None;
                        row.email_retry_at = None;
                        row.email_given_up = false;
                    }
                    row.email_on = Some(*meeting_on);
                }
            }
            Event::NextMeetingCancelled(cancelled) => {
                let key = (account_id, cancelled.contact.clone());
                if let Some(row) = self.contacts.get_mut(&key) {
                    row.meeting = None;
                    row.last_updated_at = at;
                }
            }
            Event::MeetingNotesEmailSent(MeetingNotesEmailSent {
                contact, meeting_on, ..
            }) => {
                let key = (account_id, contact.clone());
                if let Some(row) = self.contacts.get_mut(&key) {
                    if row.email_on == Some(*meeting_on) {
                        row.email_sent_at = Some(at);
                        row.email_failure = None;
                        row.email_retry_at = None;
                        row.email_given_up = false;
                    }
                    row.email_last_sent_on = Some(*meeting_on);
                    row.email_last_sent_at = Some(at);
                    row.last_updated_at = at;
                }
            }
            Event::MeetingNotesEmailFailed(MeetingNotesEmailFailed {
                contact,
                meeting_on,
                reason,
                retry_at,
                given_up,
            }) => {
                let key = (account_id, contact.clone());
                if let Some(row) = self
                    .contacts
                    .get_mut(&key)
                    .filter(|row| row.email_on == Some(*meeting_on) && row.email_sent_at.is_none())
                {
                    row.email_failure = Some(reason.clone());
                    row.email_retry_at = *retry_at;
                    row.email_given_up = *given_up;
                    row.last_updated_at = at;
                }
            }
            Event::MeetingNotesEmailRequested(MeetingNotesEmailRequested { contact, meeting_on }) => {
                let key = (account_id, contact.clone());
                if let Some(row) = self
                    .contacts
                    .get_mut(&key)
                    .filter(|row| row.email_on == Some(*meeting_on))
                {
                    row.email_failure = None;
                    row.email_retry_at = None;
                    row.email_given_up = false;
                    row.last_updated_at = at;
                }
            }
            // Other events do not touch the tables.
            _ => {}
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl Rebuild for ContactsFold {
    fn apply(&mut self, stored: &StoredEvent, event: &Event) -> Result<(), StoreError> {
        self.step(stored.account()?, stored.id, stored.created_at, event)
    }

    async fn write(self: Box<Self>, mut conn: Conn<'_>) -> Result<(), StoreError> {
        let ContactsFold {
            contacts,
            interactions,
            ..
        } = *self;
        let mut contacts: Vec<ContactRow> = contacts
            .into_iter()
            .map(|(key, contact)| ContactRow(key, contact))
            .collect();
        contacts.sort_by_key(|row| row.1.id);
        write_rows(conn.re(), contacts).await?;
        let mut interactions: Vec<InteractionRow> = interactions
            .into_iter()
            .map(|(id, interaction)| InteractionRow(id, interaction))
            .collect();
        interactions.sort_by_key(|row| row.0);
        write_rows(conn, interactions).await
    }
}

/// A row of `projected_contacts`, as written.
struct ContactRow(Key, Contact);

/// A row of `projected_contact_interactions`, as written.
struct InteractionRow(i64, Interaction);

type BindResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// The arguments of a statement, on either backend: a value is added to them the same way.
trait RowArguments: Arguments {
    fn push<'t, T>(&mut self, value: T) -> BindResult
    where
        T: Encode<'t, Sqlite> + Type<Sqlite> + Encode<'t, Postgres> + Type<Postgres>;
}

impl RowArguments for SqliteArguments {
    fn push<'t, T>(&mut self, value: T) -> BindResult
    where
        T: Encode<'t, Sqlite> + Type<Sqlite> + Encode<'t, Postgres> + Type<Postgres>,
    {
        Arguments::add(self, value)
    }
}

impl RowArguments for PgArguments {
    fn push<'t, T>(&mut self, value: T) -> BindResult
    where
        T: Encode<'t, Sqlite> + Type<Sqlite> + Encode<'t, Postgres> + Type<Postgres>,
    {
        Arguments::add(self, value)
    }
}

/// A rebuilt row: the table and columns it goes into, and its values in their order.
trait RebuiltRow {
    const TABLE_AND_COLUMNS: &'static str;
    const COLUMNS: usize;

    fn bind(self, args: &mut impl RowArguments) -> BindResult;
}

impl RebuiltRow for ContactRow {
    const TABLE_AND_COLUMNS: &'static str = "projected_contacts (id, name, description, contact_method, \
         contact_method_kind, account_id, last_interacted_on, next_meeting_notes, next_meeting_at, \
         last_updated_at, next_meeting_local, next_meeting_time_zone, \
         next_meeting_notes_excerpt, meeting_email_on, meeting_email_sent_at, meeting_email_failure, \
         meeting_email_retry_at, meeting_email_given_up, meeting_email_last_sent_on, meeting_email_last_sent_at, \
         name_key, search_key)";
    const COLUMNS: usize = 22;

    fn bind(self, args: &mut impl RowArguments) -> BindResult {
        let ContactRow((account_id, name), c) = self;
        let meeting = c.meeting.as_ref();
        let notes = meeting.map(|m| m.notes.as_str());
        let (name_key, search_key) = (names::key(&name), names::search_key(&name, &c.description));
        args.push(c.id)?;
        args.push(name)?;
        args.push(c.description)?;
        args.push(c.contact_method)?;
        args.push(c.contact_method_kind)?;
        args.push(account_id)?;
        args.push(c.last_interacted_on)?;
        args.push(notes.map(str::to_owned))?;
        args.push(meeting.map(|m| m.at))?;
        args.push(c.last_updated_at)?;
        args.push(meeting.map(|m| m.local.clone()))?;
        args.push(meeting.map(|m| m.time_zone.clone()))?;
        args.push(notes.map(markdown::excerpt))?;
        args.push(c.email_on)?;
        args.push(c.email_sent_at)?;
        args.push(c.email_failure)?;
        args.push(c.email_retry_at)?;
        args.push(c.email_given_up)?;
        args.push(c.email_last_sent_on)?;
        args.push(c.email_last_sent_at)?;
        args.push(name_key)?;
        args.push(search_key)?;
        Ok(())
    }
}

impl RebuiltRow for InteractionRow {
    const TABLE_AND_COLUMNS: &'static str = "projected_contact_interactions (id, account_id, contact_name, \
         occurred_on, kind, note, recorded_at, last_updated_at)";
    const COLUMNS: usize = 8;

    fn bind(self, args: &mut impl RowArguments) -> BindResult {
        let InteractionRow(id, i) = self;
        args.push(id)?;
        args.push(i.account_id)?;
        args.push(i.contact_name)?;
        args.push(i.occurred_on)?;
        args.push(i.kind)?;
        args.push(i.note)?;
        args.push(i.recorded_at)?;
        args.push(i.last_updated_at)?;
        Ok(())
    }
}

/// SQLite takes up to 32,766 parameters per statement (PostgreSQL 65,535).
const PARAMETERS_PER_STATEMENT: usize = 32_766;

/// Inserts `rows`, as many rows per statement as the parameters allow.
async fn write_rows<R: RebuiltRow>(mut conn: Conn<'_>, rows: Vec<R>) -> Result<(), StoreError> {
    let per_statement = PARAMETERS_PER_STATEMENT / R::COLUMNS;
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let batch = rows.by_ref().take(per_statement);
        match conn.re() {
            Conn::Sqlite(c) => {
                let (args, count): (SqliteArguments, usize) = arguments(batch)?;
                sqlx::query_with(sqlx::AssertSqlSafe(insert::<R>(Backend::Sqlite, count)), args)
                    .execute(c)
                    .await?;
            }
            Conn::Postgres(c) => {
                let (args, count): (PgArguments, usize) = arguments(batch)?;
                sqlx::query_with(sqlx::AssertSqlSafe(insert::<R>(Backend::Postgres, count)), args)
                    .execute(c)
                    .await?;
            }
        }
    }
    Ok(())
}

/// The arguments of a statement inserting `rows`, and how many rows they hold.
fn arguments<A: RowArguments, R: RebuiltRow>(
    rows: impl Iterator<Item = R>,
) -> Result<(A, usize), StoreError> {
    let mut args = A::default();
    let mut count = 0;
    for row in rows {
        row.bind(&mut args).map_err(StoreError::Encode)?;
        count += 1;
    }
    Ok((args, count))
}

/// The statement inserting `count` rows of `R`: `?` placeholders on SQLite, `$1`, `$2`, ... on
/// PostgreSQL.
fn insert<R: RebuiltRow>(backend: Backend, count: usize) -> String {
    let mut sql = format!("INSERT INTO {} VALUES ", R::TABLE_AND_COLUMNS);
    let mut parameter = 0;
    for row in 0..count {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for column in 0..R::COLUMNS {
            if column > 0 {
                sql.push_str(", ");
            }
            match backend {
                Backend::Sqlite => sql.push('?'),
                Backend::Postgres => {
                    parameter += 1;
                    let _ = write!(sql, "${parameter}");
                }
            }
        }
        sql.push(')');
    }
    sql
}

/// A contact method as the table keeps it: its text ("" for none) and its kind (NULL for none).
pub(super) fn method_columns(method: Option<&app::events::ContactMethod>) -> (&str, Option<&'static str>) {
    method.map_or(("", None), |m| (m.value.as_str(), Some(m.kind.as_str())))
}
