//! How a rebuilt projection takes the live one's place on SQLite.
//!
//! SQLite cannot move a table from `temp` into `main`, and copying the rows inside the swap held
//! the write lock for most of a second at a million events. So before the swap the rebuilt rows
//! are copied into tables beside the live ones in `main`, named `<table>__rebuilt`, in write
//! transactions of [`ROWS_PER_STEP`] rows, and their indexes are built after the rows, one
//! write transaction each. Appends wait for one such step at most. The swap then only renames:
//! the live table becomes `<table>__stale`, the rebuilt one takes its name, and the stale one
//! is dropped once the swap has committed.
//!
//! SQLite cannot rename an index either, and a rebuilt table's indexes are built while the live
//! ones hold their names; so a projection's index is called by its migration's name or by that
//! name and [`REPLAYED`], from one replay to the next. A migration that drops such an index
//! drops both names (`DROP INDEX IF EXISTS name; DROP INDEX IF EXISTS name__replayed;`).
//!
//! One replay at a time writes beside a database's tables in `main`: it holds an exclusive lock
//! on the file `<database>-replay.lock` (released by the system when its process ends), so
//! what a replay that stopped midway left there is dropped by the next one.

use std::fs::{File, TryLockError};
use std::time::{Duration, Instant};

use sqlx::SqliteConnection;

use crate::store::StoreError;

/// Rows copied into `main` per write transaction.
pub(super) const ROWS_PER_STEP: i64 = 20_000;
/// The suffix of a rebuilt table in `main` until the swap.
const REBUILT: &str = "__rebuilt";
/// The suffix of the live table between the swap and its drop.
const STALE: &str = "__stale";
/// The suffix of an index built by every other replay.
const REPLAYED: &str = "__replayed";

/// The lock of a database's replay, held as long as this lives (none for a database in memory).
pub(super) struct ReplayLock {
    _held: Option<File>,
}

/// Takes the database's replay lock, or says that another replay holds it.
pub(super) async fn lock(c: &mut SqliteConnection) -> Result<ReplayLock, StoreError> {
    let file: String = sqlx::query_scalar("SELECT file FROM pragma_database_list WHERE name = 'main'")
        .fetch_one(&mut *c)
        .await?;
    if file.is_empty() {
        return Ok(ReplayLock { _held: None });
    }
    let path = format!("{file}-replay.lock");
    let refused = |what: String| StoreError::Rebuild {
        table: "*".to_owned(),
        what,
    };
    let held = File::create(&path).map_err(|error| refused(format!("could not open {path}: {error}")))?;
    match held.try_lock() {
        Ok(()) => Ok(ReplayLock { _held: Some(held) }),
        Err(TryLockError::WouldBlock) => Err(refused(format!(
            "another replay of this database is running (it holds {path})"
        ))),
        Err(TryLockError::Error(error)) => Err(refused(format!("could not lock {path}: {error}"))),
    }
}

/// Drops what a replay that stopped midway left beside `table` in `main`.
pub(super) async fn clear_leftovers(c: &mut SqliteConnection, table: &str) -> Result<(), StoreError> {
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP TABLE IF EXISTS main.{table}{REBUILT}; DROP TABLE IF EXISTS main.{table}{STALE};"
    )))
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Copies `temp.<table>` into a new `main.<table>__rebuilt`, made as the live table is, then
/// builds its indexes, each step a write transaction of its own; drops `temp.<table>`. Returns
/// the longest step.
pub(super) async fn copy_beside(c: &mut SqliteConnection, table: &str) -> Result<Duration, StoreError> {
    let inconsistent = |what: String| StoreError::Rebuild {
        table: table.to_owned(),
        what,
    };
    let ddl: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT type, name, sql FROM main.sqlite_master WHERE tbl_name = $1 AND sql IS NOT NULL \
         ORDER BY type = 'index'",
    )
    .bind(table)
    .fetch_all(&mut *c)
    .await?;
    let Some((_, _, create_table)) = ddl.iter().find(|(kind, ..)| kind == "table") else {
        return Err(inconsistent("the table does not exist".to_owned()));
    };
    let rebuilt = format!("{table}{REBUILT}");
    let create_rebuilt = renamed(create_table, "CREATE TABLE ", table, &rebuilt)
        .ok_or_else(|| inconsistent(format!("unexpected definition {create_table:?}")))?;
    let mut longest = Duration::ZERO;
    let mut step = async |c: &mut SqliteConnection, sql: String| -> Result<(), StoreError> {
        longest = longest.max(write_step(c, sql).await?);
        Ok(())
    };
    step(c, create_rebuilt).await?;
    let without_rowid = create_table
        .trim_end()
        .to_ascii_uppercase()
        .ends_with("WITHOUT ROWID");
    if without_rowid {
        // Small tables keyed by their columns: one step.
        step(
            c,
            format!("INSERT INTO main.{rebuilt} SELECT * FROM temp.{table}"),
        )
        .await?;
    } else {
        let mut after = i64::MIN;
        loop {
            let upto: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT rowid FROM temp.{table} WHERE rowid > {after} ORDER BY rowid LIMIT 1 OFFSET {}",
                ROWS_PER_STEP - 1
            )))
            .fetch_optional(&mut *c)
            .await?;
            let below = upto
                .map(|upto| format!(" AND rowid <= {upto}"))
                .unwrap_or_default();
            step(
                c,
                format!("INSERT INTO main.{rebuilt} SELECT * FROM temp.{table} WHERE rowid > {after}{below}"),
            )
            .await?;
            match upto {
                Some(upto) => after = upto,
                None => break,
            }
        }
    }
    for (_, index, sql) in ddl.iter().filter(|(kind, ..)| kind == "index") {
        let base = index.strip_suffix(REPLAYED).unwrap_or(index);
        let other = if base == index {
            format!("{index}{REPLAYED}")
        } else {
            base.to_owned()
        };
        let prefix = if sql.starts_with("CREATE UNIQUE INDEX ") {
            "CREATE UNIQUE INDEX "
        } else {
            "CREATE INDEX "
        };
        let create_index = renamed(sql, prefix, index, &other)
            .and_then(|sql| {
                // `… "<index>" ON <table> (…)`, its spacing kept.
                let head = format!("{prefix}\"{other}\"");
                let rest = &sql[head.len()..];
                let on = rest.trim_start();
                let on_table = on.strip_prefix("ON")?;
                let table_at = on_table.trim_start();
                let gaps = (
                    &rest[..rest.len() - on.len()],
                    &on_table[..on_table.len() - table_at.len()],
                );
                Some(format!(
                    "{head}{}ON{}{}",
                    gaps.0,
                    gaps.1,
                    renamed(table_at, "", table, &rebuilt)?
                ))
            })
            .ok_or_else(|| inconsistent(format!("unexpected definition {sql:?}")))?;
        step(c, create_index).await?;
    }
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP TABLE temp.{table}")))
        .execute(&mut *c)
        .await?;
    Ok(longest)
}

/// The swap's part, in its write transaction: the rebuilt table takes the live one's name.
pub(super) async fn rename_into_place(c: &mut SqliteConnection, table: &str) -> Result<(), StoreError> {
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "ALTER TABLE main.{table} RENAME TO {table}{STALE}; ALTER TABLE main.{table}{REBUILT} RENAME TO {table};"
    )))
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Drops the tables the swap put aside, in one write transaction; returns how long it took.
pub(super) async fn drop_stale(c: &mut SqliteConnection, tables: &[&str]) -> Result<Duration, StoreError> {
    let drops: String = tables
        .iter()
        .map(|table| format!("DROP TABLE main.{table}{STALE};"))
        .collect();
    write_step(c, drops).await
}

/// Runs `sql` in a write transaction of its own; returns how long it held the write lock.
async fn write_step(c: &mut SqliteConnection, sql: String) -> Result<Duration, StoreError> {
    let started = Instant::now();
    let mut tx = sqlx::Connection::begin_with(&mut *c, "BEGIN IMMEDIATE").await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(started.elapsed())
}

/// `sql` with the name after `prefix`, `name` bare or in double quotes, replaced by `"new"`.
fn renamed(sql: &str, prefix: &str, name: &str, new: &str) -> Option<String> {
    let rest = sql.strip_prefix(prefix)?;
    let quoted = format!("\"{name}\"");
    let after = rest.strip_prefix(quoted.as_str()).or_else(|| {
        rest.strip_prefix(name)
            .filter(|after| after.starts_with(|c: char| c.is_whitespace() || c == '('))
    })?;
    Some(format!("{prefix}\"{new}\"{after}"))
}

#[cfg(test)]
mod tests {
    use super::renamed;

    #[test]
    fn a_definition_is_renamed_whether_its_name_is_quoted_or_not() {
        assert_eq!(
            renamed("CREATE TABLE t (id INTEGER)", "CREATE TABLE ", "t", "t__rebuilt").as_deref(),
            Some("CREATE TABLE \"t__rebuilt\" (id INTEGER)")
        );
        assert_eq!(
            renamed("CREATE TABLE \"t\"(id INTEGER)", "CREATE TABLE ", "t", "u").as_deref(),
            Some("CREATE TABLE \"u\"(id INTEGER)")
        );
        assert_eq!(
            renamed("CREATE INDEX t_by_x ON t (x)", "CREATE INDEX ", "t_by_x", "y").as_deref(),
            Some("CREATE INDEX \"y\" ON t (x)")
        );
        assert_eq!(
            renamed(
                "CREATE INDEX t_by_x\n    ON t (x)",
                "CREATE INDEX ",
                "t_by_x",
                "y"
            )
            .as_deref(),
            Some("CREATE INDEX \"y\"\n    ON t (x)")
        );
        assert_eq!(renamed("CREATE TABLE tt (id)", "CREATE TABLE ", "t", "u"), None);
        assert_eq!(renamed("CREATE TABLE [t] (id)", "CREATE TABLE ", "t", "u"), None);
    }
}
