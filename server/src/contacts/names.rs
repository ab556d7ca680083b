//! How contact names compare: one fold, computed here in Rust, for the command side's
//! duplicate check, the list's sort order and its search, on both databases.
//!
//! SQLite's `NOCASE` and `LIKE` fold ASCII only, and PostgreSQL's `lower()` follows the
//! server's locale, so the two disagreed with each other and with the duplicate check
//! (`émile` found nothing while `Émile` was called its duplicate). Instead each row keeps its
//! folded name (`name_key`) and folded text to search (`search_key`); queries compare and sort
//! those as plain bytes (SQLite's default, and `COLLATE "C"` on PostgreSQL), so every script
//! folds the same way everywhere.

use std::collections::HashMap;

use unicode_normalization::UnicodeNormalization;

use crate::crm::StoreError;
use engine::db::Pool;
use engine::on;

/// `text` folded for comparison: Unicode default case folding between canonical
/// compositions, so `Émile`, `É` written as `E` + U+0301, and `ÉMILE` are all `émile`.
pub fn key(text: &str) -> String {
    let composed: String = text.nfc().collect();
    caseless::default_case_fold_str(&composed).nfc().collect()
}

/// What a search looks through: the folded name and description, on separate lines (a
/// search term never holds a line break, so none matches across the two).
pub fn search_key(name: &str, description: &str) -> String {
    format!("{}\n{}", key(name), key(description))
}

/// A search term as typed, folded like [`search_key`], on one line.
pub fn search_term(text: &str) -> String {
    key(&text.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Contact rows written before names were folded here: their keys are filled in, and the
/// command side's keys (folded with `str::to_lowercase`, uncomposed) are folded again. Runs at
/// start-up, in one write transaction; does nothing once done.
pub async fn fold_old_keys(pool: &Pool) -> Result<(), StoreError> {
    // Most starts: nothing to do, and no need for the write lock to know it.
    let pending: Option<i64> = engine::on_pool!(pool, p => sqlx::query_scalar("SELECT one FROM name_keys_pending")
        .fetch_optional(p)
        .await)?;
    if pending.is_none() {
        return Ok(());
    }
    let mut tx = pool.begin_write().await?;
    let pending: Option<i64> = on!(tx.conn(), c => sqlx::query_scalar("SELECT one FROM name_keys_pending")
        .fetch_optional(c)
        .await)?;
    if pending.is_none() {
        tx.rollback().await?;
        return Ok(());
    }
    let rows: Vec<(i64, String, String)> = on!(tx.conn(), c => sqlx::query_as(
        "SELECT id, name, description FROM projected_contacts WHERE name_key IS NULL",
    )
    .fetch_all(c)
    .await)?;
    for (id, name, description) in rows {
        on!(tx.conn(), c => sqlx::query("UPDATE projected_contacts SET name_key = $1, search_key = $2 WHERE id = $3")
            .bind(key(&name))
            .bind(search_key(&name, &description))
            .bind(id)
            .execute(c)
            .await
            .map(drop))?;
    }
    let names: Vec<(i64, String, String)> = on!(tx.conn(), c => sqlx::query_as(
        "SELECT account_id, key, name FROM contact_names ORDER BY account_id, name",
    )
    .fetch_all(c)
    .await)?;
    // Two old names that now fold alike keep their old keys: the command side finds each by
    // its exact name first, so both stay reachable.
    let mut taken: HashMap<(i64, String), usize> = HashMap::new();
    for (account_id, _, name) in &names {
        *taken.entry((*account_id, key(name))).or_default() += 1;
    }
    for (account_id, old, name) in &names {
        let new = key(name);
        if &new == old || taken[&(*account_id, new.clone())] > 1 {
            continue;
        }
        on!(tx.conn(), c => {
            sqlx::query("UPDATE contact_names SET key = $1 WHERE account_id = $2 AND key = $3")
                .bind(&new)
                .bind(account_id)
                .bind(old)
                .execute(&mut *c)
                .await?;
            sqlx::query("UPDATE known_interactions SET contact_key = $1 WHERE account_id = $2 AND contact_key = $3")
                .bind(&new)
                .bind(account_id)
                .bind(old)
                .execute(&mut *c)
                .await?;
        });
    }
    on!(tx.conn(), c => sqlx::query("DELETE FROM name_keys_pending").execute(c).await.map(drop))?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fold_alike_in_every_script_and_composition() {
        for (a, b) in [
            ("Émile", "émile"),
            ("E\u{301}mile", "émile"),
            ("ÉMILE", "e\u{301}mile"),
            ("Straße", "STRASSE"),
            ("ΟΔΥΣΣΕΥΣ", "οδυσσευς"),
            ("Ǆemal", "ǆemal"),
            ("ДМИТРИЙ", "дмитрий"),
            ("İstanbul", "i\u{307}stanbul"),
        ] {
            assert_eq!(key(a), key(b), "{a} and {b}");
        }
        assert_ne!(key("Emile"), key("Émile"), "accents are not case");
        assert_eq!(search_term("  Émile   ZOLA "), "émile zola");
        assert_eq!(search_key("Ada", "Analyst"), "ada\nanalyst");
    }
}
