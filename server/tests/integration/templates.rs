//! The generators' templates work as they are: the projection's template, compiled here,
//! keeps the table its migration templates create, on either backend, and a replay rebuilds
//! the same rows.

#[path = "../../templates/projection/projection.rs"]
mod kith_template;

use std::sync::Arc;

use app::events::{ContactDeleted, Event};
use engine::db::Backend;
use engine::on_pool;
use kith_template::KithTemplateProjection;
use server::crm::Dispatcher;
use server::scaffold::templates;

use crate::common::{TestDb, created};

async fn rows(db: &TestDb) -> Vec<(i64, String)> {
    on_pool!(db.store().reader(), p => sqlx::query_as(
        "SELECT account_id, contact_name FROM projected_kith_template ORDER BY contact_name"
    )
    .fetch_all(p)
    .await)
    .unwrap()
}

#[tokio::test]
async fn the_projection_template_keeps_its_table_and_a_replay_rebuilds_it() {
    let db = TestDb::new().await;
    let migration = match db.backend() {
        Backend::Sqlite => templates::PROJECTION_SQLITE,
        Backend::Postgres => templates::PROJECTION_POSTGRES,
    };
    on_pool!(db.store().writer(), p => sqlx::raw_sql(sqlx::AssertSqlSafe(migration)).execute(p).await.map(drop))
        .unwrap();
    let account = db.local().account_id;
    for name in ["Bob", "Ada"] {
        db.accept(db.local(), &created(name, "")).await;
    }
    db.accept(db.local(), &Event::from(ContactDeleted { name: "Ada".into() }))
        .await;

    let dispatcher = Dispatcher::new(db.store().clone(), vec![Arc::new(KithTemplateProjection)])
        .await
        .unwrap();
    dispatcher.run_until_caught_up().await.unwrap();
    assert_eq!(rows(&db).await, [(account, "Bob".to_owned())]);

    engine::replay::rebuild(db.store(), &KithTemplateProjection, |_| {})
        .await
        .unwrap();
    assert_eq!(rows(&db).await, [(account, "Bob".to_owned())]);
}
