//! Helpers shared by the integration tests: a fresh database file per test.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use app::backend::Actor;
use app::error::Rejection;
use app::events::{ContactCreated, ContactEdited, Event};
use app::receipt::EventReceipt;
use server::Kith;
use server::dispatch::Dispatcher;
use server::store::EventStore;
use tempfile::TempDir;

/// A real SQLite file in a temporary folder, opened as the server opens it.
pub struct TestDb {
    pub dir: TempDir,
    pub kith: Kith,
}

impl TestDb {
    pub async fn new() -> Self {
        let dir = tempfile::tempdir().expect("temporary folder");
        let kith = Kith::open(&Self::url_in(&dir)).await.expect("open the database");
        Self { dir, kith }
    }

    pub fn url_in(dir: &TempDir) -> String {
        dir.path().join("data").join("kith.sqlite3").display().to_string()
    }

    pub fn url(&self) -> String {
        Self::url_in(&self.dir)
    }

    pub fn store(&self) -> &Arc<EventStore> {
        self.kith.dispatcher.store()
    }

    pub fn dispatcher(&self) -> &Arc<Dispatcher> {
        &self.kith.dispatcher
    }

    pub fn local(&self) -> Actor {
        self.kith.local
    }

    /// Appends `event` caused by `actor`; it must be accepted.
    pub async fn accept(&self, actor: Actor, event: &Event) -> EventReceipt {
        match self
            .store()
            .append(actor, event)
            .await
            .expect("the store answers")
        {
            Ok(receipt) => receipt,
            Err(rejection) => panic!("{event:?} was refused: {rejection}"),
        }
    }

    /// Appends `event` caused by `actor`; it must be refused. Returns why.
    pub async fn refuse(&self, actor: Actor, event: &Event) -> Rejection {
        match self
            .store()
            .append(actor, event)
            .await
            .expect("the store answers")
        {
            Ok(receipt) => panic!("{event:?} was accepted as event {}", receipt.event_id),
            Err(rejection) => rejection,
        }
    }

    pub async fn count(&self, sql: &'static str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(self.store().reader())
            .await
            .expect(sql)
    }

    /// Polls until `projection` has applied everything in the stream.
    pub async fn wait_until_caught_up(&self, projection: &str) {
        let head = self.store().head().await.unwrap();
        let caught_up = self
            .dispatcher()
            .catch_up(projection, head, Duration::from_secs(30))
            .await
            .unwrap();
        assert!(
            caught_up.applied,
            "{projection} did not reach event {head}: {caught_up:?}"
        );
    }
}

pub fn created(name: &str, description: &str) -> Event {
    Event::from(ContactCreated {
        name: name.into(),
        description: description.into(),
        contact_method: format!("{}@example.com", name.to_lowercase().replace(' ', ".")),
    })
}

pub fn edited(name: &str, new_name: Option<&str>, description: &str) -> Event {
    Event::from(ContactEdited {
        name: name.into(),
        new_name: new_name.map(Into::into),
        description: description.into(),
        contact_method: "by post".into(),
    })
}
