//! The tables a rebuild writes beside the live ones: where they are (SQLite's `temp`, or a
//! PostgreSQL schema of the rebuild's connection) and how they are made, from the live tables'
//! own definitions in the catalog.

use crate::db::{Backend, Conn};
use crate::on;
use crate::store::StoreError;

/// What of a table [`create_beside`] creates.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Definition {
    Table,
    Indexes,
}

/// Where this connection's rebuild writes, and makes it so: SQLite's `temp`; on PostgreSQL
/// `kith_rebuild_<backend pid>`, first on the connection's search path. Such schemas left by
/// rebuilds whose connection has gone (a process that stopped) are dropped first.
pub(super) async fn open_beside(conn: Conn<'_>) -> Result<String, StoreError> {
    let c = match conn {
        Conn::Sqlite(c) => {
            // EXPERIMENT
            sqlx::raw_sql("PRAGMA main.cache_size = -262144; PRAGMA temp.cache_size = -262144")
                .execute(&mut *c)
                .await?;
            return Ok("temp".to_owned());
        }
        Conn::Postgres(c) => c,
    };
    let left: Vec<String> = sqlx::query_scalar(
        "SELECT format('DROP SCHEMA %I CASCADE', nspname) FROM pg_namespace \
         WHERE nspname LIKE 'kith\\_rebuild\\_%' \
         AND substr(nspname, 14) NOT IN (SELECT pid::text FROM pg_stat_activity)",
    )
    .fetch_all(&mut *c)
    .await?;
    for drop_schema in left {
        sqlx::raw_sql(sqlx::AssertSqlSafe(drop_schema))
            .execute(&mut *c)
            .await?;
    }
    let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut *c)
        .await?;
    let schema = format!("kith_rebuild_{pid}");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}; SET search_path = {schema}, public"
    )))
    .execute(&mut *c)
    .await?;
    Ok(schema)
}

/// Creates `table` or its indexes in the schema `beside`, as they are in the live one (on
/// PostgreSQL its keys too, so that the table can take the live one's place). Rows written in
/// bulk go in before the indexes, which are then built in one pass.
pub(super) async fn create_beside(
    mut conn: Conn<'_>,
    table: &str,
    what: Definition,
    beside: &str,
) -> Result<(), StoreError> {
    let inconsistent = |what: &str| StoreError::Rebuild {
        table: table.to_owned(),
        what: what.to_owned(),
    };
    let backend = conn.backend();
    if what == Definition::Table {
        on!(conn.re(), c => sqlx::query(sqlx::AssertSqlSafe(format!("DROP TABLE IF EXISTS {beside}.{table}")))
            .execute(c)
            .await.map(drop))?;
    }
    let ddl: Vec<(String, String)> = match backend {
        Backend::Sqlite => on!(conn.re(), c => sqlx::query_as(
            "SELECT type, sql FROM main.sqlite_master WHERE tbl_name = $1 AND sql IS NOT NULL \
             ORDER BY type = 'index'",
        )
        .bind(table)
        .fetch_all(c)
        .await)?,
        Backend::Postgres => on!(conn.re(), c => sqlx::query_as(
            "SELECT kind, sql FROM ( \
               SELECT 0 AS step, 'table' AS kind, format('CREATE TABLE %I.%I (LIKE public.%I \
                 INCLUDING ALL EXCLUDING INDEXES)', $2::text, tablename, tablename) AS sql \
               FROM pg_tables WHERE schemaname = 'public' AND tablename = $1 \
               UNION ALL SELECT 1, 'index', indexdef FROM pg_indexes \
               WHERE schemaname = 'public' AND tablename = $1 \
               UNION ALL SELECT 2, 'key', format('ALTER TABLE %I.%I ADD CONSTRAINT %I %s USING INDEX %I', \
                 $2::text, $1::text, k.conname, CASE k.contype WHEN 'p' THEN 'PRIMARY KEY' ELSE 'UNIQUE' END, \
                 i.relname) \
               FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid JOIN pg_class i ON i.oid = k.conindid \
               WHERE t.relnamespace = 'public'::regnamespace AND t.relname = $1 AND k.contype IN ('p', 'u') \
             ) definitions ORDER BY step",
        )
        .bind(table)
        .bind(beside)
        .fetch_all(c)
        .await)?,
    };
    if !ddl.iter().any(|(kind, _)| kind == "table") {
        return Err(inconsistent("the table does not exist"));
    }
    for (kind, sql) in ddl {
        let rewritten = match (kind.as_str(), backend, what) {
            ("table", Backend::Sqlite, Definition::Table) => {
                sql.replacen("CREATE TABLE ", "CREATE TEMP TABLE ", 1)
            }
            ("index", Backend::Sqlite, Definition::Indexes) => sql
                .replacen("CREATE UNIQUE INDEX ", "CREATE UNIQUE INDEX temp.", 1)
                .replacen("CREATE INDEX ", "CREATE INDEX temp.", 1),
            ("index", Backend::Postgres, Definition::Indexes) => {
                sql.replacen(" ON public.", &format!(" ON {beside}."), 1)
            }
            // Written for the schema beside by the query itself.
            ("table", Backend::Postgres, Definition::Table)
            | ("key", Backend::Postgres, Definition::Indexes) => {
                on!(conn.re(), c => sqlx::query(sqlx::AssertSqlSafe(sql)).execute(c).await.map(drop))?;
                continue;
            }
            _ => continue,
        };
        if rewritten == sql {
            return Err(inconsistent(&format!("unexpected definition {sql:?}")));
        }
        on!(conn.re(), c => sqlx::query(sqlx::AssertSqlSafe(rewritten)).execute(c).await.map(drop))?;
    }
    Ok(())
}
