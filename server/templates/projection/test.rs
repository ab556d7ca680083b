//! `projected_kith_template`: what the projection keeps, and that a replay rebuilds the same
//! rows.

use crate::common::{TestDb, created, snapshot};

#[tokio::test]
async fn the_projection_keeps_a_row_per_contact_and_a_replay_rebuilds_it() {
    let db = TestDb::new().await;
    db.accept(db.local(), &created("Bob", "Builder")).await;
    db.dispatcher().run_until_caught_up().await.unwrap();
    let rows: Vec<String> = engine::on_pool!(db.store().reader(), p => sqlx::query_scalar(
        "SELECT contact_name FROM projected_kith_template"
    )
    .fetch_all(p)
    .await)
    .unwrap();
    assert_eq!(rows, ["Bob"]);

    let live = snapshot(&db).await;
    let projection = server::projections::all()
        .into_iter()
        .find(|p| p.name() == "projected_kith_template")
        .unwrap();
    engine::replay::rebuild(db.store(), projection.as_ref(), |_| {})
        .await
        .unwrap();
    assert_eq!(snapshot(&db).await, live);
}
