//! What the benchmarks share: a fresh database with one signed-up account, a stream of
//! realistic events, and percentiles.

use std::sync::Mutex;
use std::time::Duration;

use app::account::SignUpForm;
use app::backend::Actor;
use app::events::{
    ContactCreated, ContactEdited, ContactMethod, Event, InteractionRecorded, NextMeetingScheduled,
};
use chrono::{Days, NaiveDate, NaiveTime};
use server::Kith;
use server::accounts::{self, NewSession};
use tempfile::TempDir;

pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// The PostgreSQL server fresh databases are made on; `None`: SQLite files.
static POSTGRES: Mutex<Option<String>> = Mutex::new(None);

/// Makes the next fresh databases on the PostgreSQL server at `server` (`None`: SQLite).
pub fn use_postgres(server: Option<String>) {
    *POSTGRES.lock().expect("the backend setting") = server;
}

/// A database of its own for one part: a SQLite file in a temporary folder, or a new PostgreSQL
/// database (see [`use_postgres`]), dropped with it.
pub struct Database {
    _dir: TempDir,
    url: String,
}

impl Database {
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        use sqlx::migrate::MigrateDatabase;
        if engine::db::Backend::of(&self.url) != engine::db::Backend::Postgres {
            return;
        }
        let url = self.url.clone();
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(sqlx::Postgres::force_drop_database(&url))?;
            Ok::<(), Error>(())
        })
        .join();
    }
}

/// A new, empty database on the PostgreSQL server in use, or `None` when the part runs on SQLite.
pub async fn fresh_postgres_database() -> Result<Option<Database>, Error> {
    use sqlx::migrate::MigrateDatabase;
    let Some(server) = POSTGRES.lock().expect("the backend setting").clone() else {
        return Ok(None);
    };
    let url = format!(
        "{}/kith_bench_{}",
        server.trim_end_matches('/'),
        server::accounts::random_hex(6)
    );
    sqlx::Postgres::create_database(&url).await?;
    Ok(Some(Database {
        _dir: tempfile::tempdir()?,
        url,
    }))
}

/// Kith opened on a fresh database, with one signed-up account.
pub struct Fresh {
    pub kith: Kith,
    pub account: Actor,
    /// The session token of the account, for its cookie.
    pub session: String,
    /// Dropped after Kith, which it holds.
    _database: Database,
}

/// Opens Kith on a new SQLite file in a temporary folder, or a new PostgreSQL database (see
/// [`use_postgres`]), and signs up an account.
pub async fn fresh_database() -> Result<Fresh, Error> {
    let database = match fresh_postgres_database().await? {
        Some(database) => database,
        None => {
            let dir = tempfile::tempdir()?;
            let url = dir.path().join("kith.sqlite3").display().to_string();
            Database { _dir: dir, url }
        }
    };
    let kith = Kith::open(database.url()).await?;
    let sign_up = SignUpForm {
        email: "bench@example.com".into(),
        password: "correct horse battery staple".into(),
        ..Default::default()
    };
    let checked = sign_up
        .check(server::accounts::settings::is_time_zone)
        .map_err(|r| r.to_string())?;
    let NewSession { actor, token } = accounts::sign_up(kith.dispatcher.store(), checked)
        .await?
        .map_err(|r| r.to_string())?;
    Ok(Fresh {
        kith,
        account: actor,
        session: token,
        _database: database,
    })
}

/// The `i`th event of a stream about `contacts` people: the first `contacts` events create
/// them; after that six in ten record an interaction, three schedule a next meeting with notes
/// and one edits the contact.
pub fn event(i: u64, contacts: u64) -> Event {
    let first_day = NaiveDate::from_ymd_opt(2015, 1, 1).expect("a date");
    let contact = format!("Person {:06}", i % contacts);
    if i < contacts {
        return Event::from(ContactCreated {
            name: contact,
            description: format!("met at event {}", i % 97),
            contact_method: None,
        });
    }
    match i % 10 {
        0..=5 => Event::from(InteractionRecorded {
            contact,
            occurred_on: first_day + Days::new((i * 7919) % 3650),
            kind: "coffee".into(),
            note: String::new(),
        }),
        6..=8 => Event::from(NextMeetingScheduled {
            contact,
            meeting_on: first_day + Days::new(4000 + (i % 500)),
            meeting_time: NaiveTime::from_hms_opt(9, 30, 0).expect("a time"),
            time_zone: "Europe/Paris".into(),
            notes: format!("Ask about **item {i}**"),
        }),
        _ => Event::from(ContactEdited {
            name: contact,
            new_name: None,
            description: format!("edited by event {i}"),
            contact_method: ContactMethod::recognize("by post"),
        }),
    }
}

/// Appends the first `events` events of the stream about `contacts` people (see [`event`]) from
/// eight concurrent writers, each contact's creation before the events about it.
pub async fn append_stream(fresh: &Fresh, events: u64, contacts: u64) -> Result<(), Error> {
    let writers: Vec<_> = (0..8)
        .map(|writer| {
            let (store, account) = (fresh.kith.dispatcher.store().clone(), fresh.account);
            tokio::spawn(async move {
                let creations = (writer..contacts.min(events)).step_by(8);
                for i in creations.chain((contacts + writer..events).step_by(8)) {
                    store
                        .append(account, &event(i, contacts))
                        .await?
                        .map_err(|r| r.to_string())?;
                }
                Ok::<(), Error>(())
            })
        })
        .collect();
    for writer in writers {
        writer.await??;
    }
    Ok(())
}

/// The `q` quantile of `samples` (sorted here), in milliseconds.
pub fn quantile_ms(samples: &mut [Duration], q: f64) -> f64 {
    samples.sort_unstable();
    let index = ((samples.len() as f64 - 1.0) * q).round() as usize;
    samples[index].as_secs_f64() * 1e3
}
