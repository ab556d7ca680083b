//! Opening the store: creating and migrating the database on either backend, starting the
//! appender, registering the event types and, on PostgreSQL, hearing the appends of other
//! processes.

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::ConnectOptions;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use tokio::sync::watch;

use super::appender::{self, Appender};
use super::schemas::Schemas;
use super::stream::newest_event;
use super::{EVENTS_CHANNEL, EventStore, Guard, StoreError, advance};
use crate::db::{Backend, Conn, OwnConn, Pool};
use crate::domain::{Domain, EventId};
use crate::on_pool;

/// How to open another connection of the store's own (see [`EventStore::connect`]).
#[derive(Clone, Debug)]
pub enum Source {
    Sqlite(SqliteConnectOptions),
    Postgres(PgConnectOptions),
}

/// Where the database lives: a path, or a `sqlite:` URL.
fn database_path(location: &str) -> PathBuf {
    let path = location
        .strip_prefix("sqlite://")
        .or_else(|| location.strip_prefix("sqlite:"))
        .unwrap_or(location);
    PathBuf::from(path.split('?').next().unwrap_or(path))
}

impl<D: Domain> EventStore<D> {
    /// Opens (creating and migrating on first use) the database at `location`, a PostgreSQL URL
    /// or a SQLite file path or URL (see [`Backend::of`]), and registers the event types.
    /// Every append is checked by `guard`.
    pub async fn open(location: &str, guard: Arc<dyn Guard<D>>) -> Result<Self, StoreError> {
        match Backend::of(location) {
            Backend::Sqlite => Self::open_sqlite(location, guard).await,
            Backend::Postgres => Self::open_postgres(location, guard).await,
        }
    }

    /// SQLite in WAL mode with `synchronous=FULL`: a receipt means the event is on disk.
    async fn open_sqlite(location: &str, guard: Arc<dyn Guard<D>>) -> Result<Self, StoreError> {
        let path = database_path(location);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::DataDir {
                path: dir.to_owned(),
                source,
            })?;
        }
        let options = SqliteConnectOptions::from_str("sqlite:")?
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let head = Arc::new(watch::Sender::new(0));
        let (writer, appender) = appender::start_sqlite(options.clone(), head.clone()).await?;
        on_pool!(&writer, p => D::migrator(Backend::Sqlite).run(p).await)?;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .test_before_acquire(false)
            .connect_with(options.clone().read_only(true))
            .await?;
        Self::ready(
            Source::Sqlite(options),
            writer,
            appender,
            Pool::Sqlite(reader),
            guard,
            head,
        )
        .await
    }

    /// PostgreSQL, shared by any number of processes; a commit is durable there.
    async fn open_postgres(location: &str, guard: Arc<dyn Guard<D>>) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(location)?;
        // sqlx checks each connection as it comes back to the pool; checking it again as it is
        // taken out would cost every query a round trip more.
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(60))
            .connect_with(options.clone())
            .await?;
        D::migrator(Backend::Postgres).run(&pool).await?;
        let head = Arc::new(watch::Sender::new(0));
        let pool = Pool::Postgres(pool);
        let appender = appender::start_postgres(pool.clone(), head.clone());
        let store = Self::ready(
            Source::Postgres(options),
            pool.clone(),
            appender,
            pool,
            guard,
            head,
        )
        .await?;
        store.hear_other_processes().await?;
        Ok(store)
    }

    async fn ready(
        options: Source,
        writer: Pool,
        appender: Appender<D>,
        reader: Pool,
        guard: Arc<dyn Guard<D>>,
        head: Arc<watch::Sender<EventId>>,
    ) -> Result<Self, StoreError> {
        let schemas = {
            // Processes starting together register the types one after the other.
            let mut tx = writer.begin_write().await?;
            if let (Conn::Postgres(c), Some(guard)) = (tx.conn(), guard.postgres()) {
                super::batch_postgres::define(c, guard).await?;
            }
            let schemas = Schemas::register(tx.conn(), &D::event_types()).await?;
            tx.commit().await?;
            schemas
        };
        let newest = newest_event(&reader).await?;
        advance(&head, newest);
        Ok(Self {
            options,
            writer,
            appender,
            reader,
            schemas,
            guard,
            head,
        })
    }

    /// On PostgreSQL, every append transaction notifies the channel [`EVENTS_CHANNEL`] with its
    /// newest event id as it commits; a task of this store listens there and wakes this
    /// process's listeners, so they hear the appends of every process at once instead of at
    /// their next poll. Notifications sent while its connection is being re-established are
    /// lost, so after that it reads the head from the table.
    async fn hear_other_processes(&self) -> Result<(), StoreError> {
        let Pool::Postgres(pool) = &self.reader else {
            return Ok(());
        };
        let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
        listener.listen(EVENTS_CHANNEL).await?;
        let reader = self.reader.clone();
        let head = Arc::downgrade(&self.head);
        // Ends with the store: its `head` goes, and with it this receiver's sender.
        let mut appended = self.head.subscribe();
        tokio::spawn(async move {
            let store_closed = async move { while appended.changed().await.is_ok() {} };
            tokio::pin!(store_closed);
            loop {
                let heard = tokio::select! {
                    heard = listener.try_recv() => heard,
                    () = &mut store_closed => break,
                };
                let Some(head) = head.upgrade() else { break };
                let newest = match heard {
                    Ok(Some(notification)) => notification.payload().parse().ok(),
                    Ok(None) => None,
                    Err(error) => {
                        tracing::warn!(%error, "lost the notifications of appends; listening again");
                        tokio::time::sleep(Duration::from_millis(500)).await;
                        None
                    }
                };
                let newest = match newest {
                    Some(newest) => Ok(newest),
                    None => newest_event(&reader).await,
                };
                match newest {
                    Ok(newest) => advance(&head, newest),
                    Err(error) => tracing::warn!(%error, "could not read the newest event"),
                }
            }
        });
        Ok(())
    }

    /// A connection of its own to the database, outside both pools (a rebuild keeps its
    /// tables beside the live ones in this connection's temporary schema).
    pub async fn connect(&self) -> Result<OwnConn, StoreError> {
        Ok(match &self.options {
            Source::Sqlite(options) => OwnConn::Sqlite(options.connect().await?),
            Source::Postgres(options) => OwnConn::Postgres(options.connect().await?),
        })
    }
}
