//! The two databases Kith runs on: SQLite, the embedded default, and PostgreSQL, for several
//! server and worker processes sharing one database.
//!
//! Each query is written once. [`on!`](crate::on) and [`on_pool!`](crate::on_pool) expand the
//! code that runs it once per backend, so the same text type-checks against both drivers; where
//! the two SQL dialects differ, the fragment comes from [`Backend`]. Rows decode into the same
//! Rust types on both: `INTEGER`/`BIGINT` as `i64`, `TEXT`/`TIMESTAMPTZ` timestamps as
//! `DateTime<Utc>`, dates as `NaiveDate`, payloads as JSON (`TEXT` on SQLite, `JSONB` on
//! PostgreSQL).

use sqlx::pool::PoolConnection;
use sqlx::{Connection, PgConnection, PgPool, Postgres, Sqlite, SqliteConnection, SqlitePool, Transaction};

/// Which database a URL names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// How every PostgreSQL write transaction of the command side begins (see
/// [`Pool::begin_write`]): it takes the advisory lock 0x6b697468 ("kith" in ASCII) in the same
/// message as its `BEGIN`, so the two cost one round trip.
const BEGIN_WRITE: &str = "BEGIN; SELECT pg_advisory_xact_lock(1802073192)";

/// The advisory lock every PostgreSQL write of the command side holds (see [`BEGIN_WRITE`]).
pub const WRITE_LOCK: i64 = 1802073192;

impl Backend {
    /// `postgres://` and `postgresql://` URLs select PostgreSQL; anything else (a file path or
    /// a `sqlite:` URL) is a SQLite database.
    pub fn of(url: &str) -> Self {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Self::Postgres
        } else {
            Self::Sqlite
        }
    }

    /// The text of the top-level `key` of the JSON document in `column`.
    pub fn json_text(self, column: &str, key: &str) -> String {
        match self {
            Self::Sqlite => format!("json_extract({column}, '$.{key}')"),
            Self::Postgres => format!("({column} ->> '{key}')"),
        }
    }

    /// The schema of the live tables.
    pub fn main_schema(self) -> &'static str {
        match self {
            Self::Sqlite => "main",
            Self::Postgres => "public",
        }
    }
}

/// A pool of connections to either database.
#[derive(Clone, Debug)]
pub enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A connection to either database, borrowed: a pooled one, a transaction or a savepoint.
#[derive(Debug)]
pub enum Conn<'c> {
    Sqlite(&'c mut SqliteConnection),
    Postgres(&'c mut PgConnection),
}

/// A connection taken from a [`Pool`].
#[derive(Debug)]
pub enum PoolConn {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
}

/// A connection of its own to the database, outside the store's pools.
#[derive(Debug)]
pub enum OwnConn {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

impl OwnConn {
    pub fn conn(&mut self) -> Conn<'_> {
        match self {
            Self::Sqlite(c) => Conn::Sqlite(c),
            Self::Postgres(c) => Conn::Postgres(c),
        }
    }

    pub async fn close(self) -> Result<(), sqlx::Error> {
        match self {
            Self::Sqlite(c) => c.close().await,
            Self::Postgres(c) => c.close().await,
        }
    }
}

/// A transaction (or a savepoint inside one) on either database; dropped without
/// [`Tx::commit`], it rolls back.
#[derive(Debug)]
pub enum Tx<'c> {
    Sqlite(Transaction<'c, Sqlite>),
    Postgres(Transaction<'c, Postgres>),
}

/// Runs `$body` with `$c` bound to the `&mut SqliteConnection` or `&mut PgConnection` inside
/// the [`Conn`] `$conn`: the body is written once and compiled for each backend.
#[macro_export]
macro_rules! on {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::db::Conn::Sqlite($c) => $body,
            $crate::db::Conn::Postgres($c) => $body,
        }
    };
}

/// Runs `$body` with `$p` bound to the `&SqlitePool` or `&PgPool` inside the [`Pool`] `$pool`.
#[macro_export]
macro_rules! on_pool {
    ($pool:expr, $p:ident => $body:expr) => {
        match $pool {
            $crate::db::Pool::Sqlite($p) => $body,
            $crate::db::Pool::Postgres($p) => $body,
        }
    };
}

impl Pool {
    pub fn backend(&self) -> Backend {
        match self {
            Self::Sqlite(_) => Backend::Sqlite,
            Self::Postgres(_) => Backend::Postgres,
        }
    }

    pub async fn acquire(&self) -> Result<PoolConn, sqlx::Error> {
        Ok(match self {
            Self::Sqlite(pool) => PoolConn::Sqlite(pool.acquire().await?),
            Self::Postgres(pool) => PoolConn::Postgres(pool.acquire().await?),
        })
    }

    /// A transaction for reading, or for writes that need no order among writers (a listener's
    /// batch, which locks its own `projections` row).
    pub async fn begin(&self) -> Result<Tx<'static>, sqlx::Error> {
        Ok(match self {
            Self::Sqlite(pool) => Tx::Sqlite(pool.begin().await?),
            Self::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    /// A transaction whose reads all see the same moment: SQLite's do; PostgreSQL's default
    /// (READ COMMITTED) takes a new snapshot for each statement, so there it is REPEATABLE READ
    /// (said in its `BEGIN`, which saves a round trip).
    pub async fn begin_read(&self) -> Result<Tx<'static>, sqlx::Error> {
        Ok(match self {
            Self::Sqlite(pool) => Tx::Sqlite(pool.begin().await?),
            Self::Postgres(pool) => Tx::Postgres(
                pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .await?,
            ),
        })
    }

    /// A transaction of the command side: appends, and the records checked before them. Such
    /// transactions run one at a time, from every process: on SQLite, `BEGIN IMMEDIATE` takes
    /// the database's one write lock; on PostgreSQL, the transaction first takes one advisory
    /// lock, held until it commits or rolls back.
    ///
    /// On PostgreSQL this is also what keeps the stream gapless for its readers: an event's id
    /// comes from a sequence when it is inserted, and a transaction's rows become visible when
    /// it commits, so two appenders running side by side could commit ids 8 and 7 in that order,
    /// and a listener reading "every event after 6" between the two commits would see 8, move
    /// its checkpoint there and never see 7. Under the lock, ids are taken in the order the
    /// transactions will commit; and PostgreSQL makes a commit visible before it releases the
    /// transaction's locks, so the next writer's ids only become visible after this one's. A
    /// reader therefore never sees an id while a smaller one is still to come. (An id taken by
    /// a transaction that rolls back is never used: a gap that stays a gap.)
    pub async fn begin_write(&self) -> Result<Tx<'static>, sqlx::Error> {
        Ok(match self {
            Self::Sqlite(pool) => Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            Self::Postgres(pool) => Tx::Postgres(pool.begin_with(BEGIN_WRITE).await?),
        })
    }
}

impl PoolConn {
    pub fn conn(&mut self) -> Conn<'_> {
        match self {
            Self::Sqlite(c) => Conn::Sqlite(c),
            Self::Postgres(c) => Conn::Postgres(c),
        }
    }
}

impl<'c> Tx<'c> {
    pub fn conn(&mut self) -> Conn<'_> {
        match self {
            Self::Sqlite(tx) => Conn::Sqlite(tx),
            Self::Postgres(tx) => Conn::Postgres(tx),
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Self::Sqlite(_) => Backend::Sqlite,
            Self::Postgres(_) => Backend::Postgres,
        }
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Self::Sqlite(tx) => tx.commit().await,
            Self::Postgres(tx) => tx.commit().await,
        }
    }

    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        match self {
            Self::Sqlite(tx) => tx.rollback().await,
            Self::Postgres(tx) => tx.rollback().await,
        }
    }
}

impl<'c> Conn<'c> {
    /// The same connection, borrowed again for a shorter while.
    pub fn re(&mut self) -> Conn<'_> {
        match self {
            Self::Sqlite(c) => Conn::Sqlite(c),
            Self::Postgres(c) => Conn::Postgres(c),
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Self::Sqlite(_) => Backend::Sqlite,
            Self::Postgres(_) => Backend::Postgres,
        }
    }

    /// A command-side write transaction on a connection outside the pools (see
    /// [`Pool::begin_write`]).
    pub async fn begin_write(self) -> Result<Tx<'c>, sqlx::Error> {
        Ok(match self {
            Self::Sqlite(c) => Tx::Sqlite(c.begin_with("BEGIN IMMEDIATE").await?),
            Self::Postgres(c) => Tx::Postgres(c.begin_with(BEGIN_WRITE).await?),
        })
    }

    /// A transaction, or a savepoint when this connection is in one already.
    pub async fn begin(self) -> Result<Tx<'c>, sqlx::Error> {
        Ok(match self {
            Self::Sqlite(c) => Tx::Sqlite(Connection::begin(c).await?),
            Self::Postgres(c) => Tx::Postgres(Connection::begin(c).await?),
        })
    }
}

impl<'c> From<&'c mut SqliteConnection> for Conn<'c> {
    fn from(conn: &'c mut SqliteConnection) -> Self {
        Self::Sqlite(conn)
    }
}

impl<'c> From<&'c mut PgConnection> for Conn<'c> {
    fn from(conn: &'c mut PgConnection) -> Self {
        Self::Postgres(conn)
    }
}

/// The time now, to the microsecond: as precise as PostgreSQL keeps it, so a time handed out
/// (a receipt's) equals the one read back.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    use chrono::SubsecRound;
    chrono::Utc::now().trunc_subsecs(6)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_write_lock_is_kith_in_ascii() {
        let lock = i64::from_be_bytes([0, 0, 0, 0, b'k', b'i', b't', b'h']);
        assert_eq!(
            super::BEGIN_WRITE,
            format!("BEGIN; SELECT pg_advisory_xact_lock({lock})")
        );
        assert_eq!(super::WRITE_LOCK, lock);
    }
}
