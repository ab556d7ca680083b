//! How many contacts each account has, kept by the contacts projection beside its rows in
//! `projected_contact_counts`, so the list says "n contacts" without counting them: counting
//! an account's 10,000 rows took longer than reading the page of 50 it shows.

use std::collections::BTreeMap;

use sqlx::QueryBuilder;

use super::fold::ContactsFold;
use crate::crm::StoreError;
use engine::db::Conn;
use engine::on;

/// Accounts per statement (two parameters each).
const ACCOUNTS_PER_STATEMENT: usize = 10_000;

/// Contacts per account: all of them, or a change to the counts.
pub(super) type Counts = BTreeMap<i64, i64>;

/// The contacts of each account in `fold`.
pub(super) fn of(fold: &ContactsFold) -> Counts {
    let mut counts = Counts::new();
    for (account_id, _) in fold.contacts.keys() {
        *counts.entry(*account_id).or_default() += 1;
    }
    counts
}

/// What stepping the rows `before` into `after` changes: one more for each contact created, one
/// less for each deleted, nothing for a rename.
pub(super) fn changes(before: &ContactsFold, after: &ContactsFold) -> Counts {
    let mut changes = of(after);
    for (account_id, count) in of(before) {
        *changes.entry(account_id).or_default() -= count;
    }
    changes.retain(|_, change| *change != 0);
    changes
}

/// Writes a replay's counts into the empty table.
pub(super) async fn write_all(conn: Conn<'_>, counts: Counts) -> Result<(), StoreError> {
    write(conn, counts, "").await
}

/// Adds `changes` to the counts; an account left with no contact has no row, as after a replay.
pub(super) async fn write_changes(mut conn: Conn<'_>, changes: Counts) -> Result<(), StoreError> {
    if changes.is_empty() {
        return Ok(());
    }
    let accounts: Vec<i64> = changes.keys().copied().collect();
    write(
        conn.re(),
        changes,
        " ON CONFLICT (account_id) DO UPDATE SET contacts = projected_contact_counts.contacts + excluded.contacts",
    )
    .await?;
    for chunk in accounts.chunks(ACCOUNTS_PER_STATEMENT) {
        on!(conn.re(), c => {
            let mut query =
                QueryBuilder::new("DELETE FROM projected_contact_counts WHERE contacts = 0 AND account_id IN (");
            let mut list = query.separated(", ");
            for account_id in chunk {
                list.push_bind(*account_id);
            }
            query.push(")");
            query.build().persistent(false).execute(c).await.map(drop)
        })?;
    }
    Ok(())
}

async fn write(mut conn: Conn<'_>, counts: Counts, on_conflict: &str) -> Result<(), StoreError> {
    let counts: Vec<(i64, i64)> = counts.into_iter().collect();
    for chunk in counts.chunks(ACCOUNTS_PER_STATEMENT) {
        on!(conn.re(), c => {
            let mut query = QueryBuilder::new("INSERT INTO projected_contact_counts (account_id, contacts) ");
            query.push_values(chunk, |mut row, (account_id, contacts)| {
                row.push_bind(*account_id).push_bind(*contacts);
            });
            query.push(on_conflict);
            query.build().persistent(false).execute(c).await.map(drop)
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_creations_and_deletions_change_a_count() {
        use app::events::{ContactCreated, ContactDeleted, ContactEdited, Event};
        let created = |name: &str| {
            Event::from(ContactCreated {
                name: name.into(),
                description: String::new(),
                contact_method: None,
            })
        };
        let at = chrono::Utc::now();
        let mut before = ContactsFold::default();
        before.step(1, 1, at, &created("Ada")).unwrap();
        before.step(1, 2, at, &created("Bob")).unwrap();
        let mut after = before.clone();
        let rename = Event::from(ContactEdited {
            name: "Ada".into(),
            new_name: Some("Ada Lovelace".into()),
            description: String::new(),
            contact_method: None,
        });
        after.step(1, 3, at, &rename).unwrap();
        assert!(changes(&before, &after).is_empty(), "a rename changes nothing");
        after.step(2, 4, at, &created("Cy")).unwrap();
        after
            .step(1, 5, at, &Event::from(ContactDeleted { name: "Bob".into() }))
            .unwrap();
        assert_eq!(changes(&before, &after), Counts::from([(1, -1), (2, 1)]));
        assert_eq!(of(&after), Counts::from([(1, 1), (2, 1)]));
    }
}
