//! Helpers shared by the integration tests: a fresh database per test, a SQLite file, or with
//! `KITH_TEST_POSTGRES` set (a server URL such as `postgres://postgres@127.0.0.1:5432`), a new
//! PostgreSQL database on that server, dropped after the test.

#![allow(dead_code)]

pub mod smtp;

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use leptos::config::LeptosOptions;
use leptos::server_fn::error::SERVER_FN_ERROR_HEADER;
use serde::de::DeserializeOwned;
use server::backend::CrmBackend;
use tower::ServiceExt;

use app::account::SignUpForm;
use app::backend::Actor;
use app::error::{AppError, Rejection};
use app::events::{ContactCreated, ContactEdited, ContactMethod, Event};
use engine::domain::Receipt;
use server::Kith;
use server::accounts::{self, NewSession};
use server::crm::{Dispatcher, EventStore};
use tempfile::TempDir;

/// A child process, killed when dropped (also when the test fails).
pub struct ChildProcess(pub std::process::Child);

impl Drop for ChildProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A `server worker` process on the test's database, its listeners polling every `poll_ms`,
/// its mailer writing to `outbox`.
pub fn server_worker(db: &TestDb, outbox: &std::path::Path, poll_ms: u64) -> ChildProcess {
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_server"))
        .arg("worker")
        .env("DATABASE_URL", db.url())
        .env("KITH_POLL_MS", poll_ms.to_string())
        .env("KITH_OUTBOX", outbox)
        .env("KITH_MAIL_INTERVAL_MS", "200")
        .env("RUST_LOG", "error")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .expect("the server binary starts");
    ChildProcess(child)
}

/// Every projection's checkpoint, as the `projections` table has it.
pub async fn checkpoints(db: &TestDb) -> Vec<i64> {
    engine::on_pool!(db.store().reader(), p => sqlx::query_scalar("SELECT last_event_id FROM projections ORDER BY name")
        .fetch_all(p)
        .await)
    .unwrap()
}

/// Waits up to `within` for every projection's checkpoint to reach the head of the stream,
/// moved by workers in other processes.
pub async fn wait_for_workers(db: &TestDb, within: Duration) {
    let head = db.store().head().await.unwrap();
    let deadline = std::time::Instant::now() + within;
    while checkpoints(db).await.iter().any(|&c| c < head) {
        assert!(
            std::time::Instant::now() < deadline,
            "the workers did not catch up: {:?} of {head}",
            checkpoints(db).await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A real database, opened as the server opens it: a SQLite file in a temporary folder, or a
/// PostgreSQL database of its own (see the module's note).
pub struct TestDb {
    pub dir: TempDir,
    pub kith: Kith,
    url: String,
    local: Actor,
    /// Last, so the database is dropped once everything using it is gone.
    _dropped_last: DropDatabase,
}

/// Drops the PostgreSQL database at its URL when it goes.
pub struct DropDatabase(pub String);

impl Drop for DropDatabase {
    fn drop(&mut self) {
        drop_database(&self.0);
    }
}

/// The PostgreSQL server the tests run on, if any.
pub fn postgres_server() -> Option<String> {
    std::env::var("KITH_TEST_POSTGRES")
        .ok()
        .filter(|url| !url.is_empty())
}

/// A fresh database's URL: a file in `dir`, or a new PostgreSQL database.
pub async fn fresh_database(dir: &TempDir) -> String {
    use sqlx::migrate::MigrateDatabase;
    match postgres_server() {
        Some(server) => {
            let name = format!("kith_test_{}", server::accounts::random_hex(8));
            let url = format!("{}/{name}", server.trim_end_matches('/'));
            sqlx::Postgres::create_database(&url)
                .await
                .expect("create a PostgreSQL database");
            url
        }
        None => dir.path().join("data").join("kith.sqlite3").display().to_string(),
    }
}

/// Drops the PostgreSQL database at `url`; a SQLite file goes with its folder.
pub fn drop_database(url: &str) {
    use sqlx::migrate::MigrateDatabase;
    if engine::db::Backend::of(url) != engine::db::Backend::Postgres {
        return;
    }
    let url = url.to_owned();
    // Drop may run inside a runtime, which cannot block on another: a thread of its own. On a
    // runtime of several threads, tasks of the store just dropped may still be connecting for
    // a moment (the LISTEN connection reconnects once), so a few tries.
    let dropped = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let mut outcome = Ok(());
        for _ in 0..10 {
            outcome = runtime.block_on(sqlx::Postgres::force_drop_database(&url));
            if outcome.is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        outcome
    })
    .join();
    if let Ok(Err(error)) = dropped {
        eprintln!("could not drop a test database: {error}");
    }
}

/// The password of every account the tests sign up.
pub const PASSWORD: &str = "correct horse battery staple";

impl TestDb {
    /// A fresh database with one account (see [`TestDb::local`]).
    pub async fn new() -> Self {
        let dir = tempfile::tempdir().expect("temporary folder");
        let url = fresh_database(&dir).await;
        let kith = Kith::open(&url).await.expect("open the database");
        let local = bare_account(&kith).await;
        Self {
            dir,
            kith,
            url: url.clone(),
            local,
            _dropped_last: DropDatabase(url),
        }
    }

    /// Another account without credentials or a registration event, so the stream holds only
    /// what a test appends.
    pub async fn bare_account(&self) -> Actor {
        bare_account(&self.kith).await
    }

    /// Signs up `email` with [`PASSWORD`], as the sign-up page does.
    pub async fn sign_up(&self, email: &str) -> NewSession {
        let form = SignUpForm {
            email: email.into(),
            password: PASSWORD.into(),
            ..Default::default()
        };
        let checked = form
            .check(server::accounts::settings::is_time_zone)
            .expect("a valid sign-up");
        accounts::sign_up(self.store(), checked)
            .await
            .expect("the store answers")
            .expect("the sign-up is accepted")
    }

    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// A pool of its own on the same database, for a runtime other than the test's.
    pub async fn other_pool(url: &str) -> engine::db::Pool {
        match engine::db::Backend::of(url) {
            engine::db::Backend::Sqlite => engine::db::Pool::Sqlite(
                sqlx::SqlitePool::connect(&format!("sqlite:{url}"))
                    .await
                    .expect("a pool"),
            ),
            engine::db::Backend::Postgres => {
                engine::db::Pool::Postgres(sqlx::PgPool::connect(url).await.expect("a pool"))
            }
        }
    }

    pub fn backend(&self) -> engine::db::Backend {
        self.store().backend()
    }

    pub fn store(&self) -> &Arc<EventStore> {
        self.kith.dispatcher.store()
    }

    pub fn dispatcher(&self) -> &Arc<Dispatcher> {
        &self.kith.dispatcher
    }

    /// The account most tests act for: it has no credentials and appended no event.
    pub fn local(&self) -> Actor {
        self.local
    }

    /// Appends `event` caused by `actor`; it must be accepted.
    pub async fn accept(&self, actor: Actor, event: &Event) -> Receipt {
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
        engine::on_pool!(self.store().reader(), p => sqlx::query_scalar(sql).fetch_one(p).await).expect(sql)
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

async fn bare_account(kith: &Kith) -> Actor {
    let store = kith.dispatcher.store();
    let mut tx = store.writer().begin().await.expect("a write transaction");
    let actor = server::accounts::create_account(tx.conn(), "Test")
        .await
        .expect("an account");
    tx.commit().await.expect("commit");
    actor
}

pub fn created(name: &str, description: &str) -> Event {
    Event::from(ContactCreated {
        name: name.into(),
        description: description.into(),
        contact_method: ContactMethod::recognize(&format!(
            "{}@example.com",
            name.to_lowercase().replace(' ', ".")
        )),
    })
}

pub fn edited(name: &str, new_name: Option<&str>, description: &str) -> Event {
    Event::from(ContactEdited {
        name: name.into(),
        new_name: new_name.map(Into::into),
        description: description.into(),
        contact_method: ContactMethod::recognize("by post"),
    })
}

/// Sends `request` to the app's router, as the server would receive it.
pub async fn send(db: &TestDb, request: Request<Body>) -> Response<Body> {
    let options = LeptosOptions::builder().output_name("crm").build();
    let backend = Arc::new(CrmBackend::new(db.dispatcher().clone()));
    server::web::router(options, backend)
        .oneshot(request)
        .await
        .expect("the router answers")
}

/// Calls a server function as the hydrated app does, in the session `token`; returns the
/// status and the answer read with the postcard crate: the value, or the error the server
/// function (or the web server, before it) answered with.
pub async fn call<T: DeserializeOwned>(
    db: &TestDb,
    path: &str,
    token: &str,
    body: &str,
) -> (StatusCode, Result<T, AppError>) {
    let request = Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, format!("kith_session={token}"))
        .body(Body::from(body.to_owned()))
        .unwrap();
    let response = send(db, request).await;
    let status = response.status();
    let content_type = response.headers().get(header::CONTENT_TYPE).cloned();
    assert_eq!(
        content_type.as_ref().and_then(|v| v.to_str().ok()),
        Some("application/x-postcard"),
        "{path} answered {status}"
    );
    let failed = response.headers().contains_key(SERVER_FN_ERROR_HEADER);
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let unreadable = |e: postcard::Error| -> ! { panic!("{path} answered {status} with {body:?}: {e}") };
    let answer = if failed {
        Err(postcard::from_bytes::<AppError>(&body).unwrap_or_else(|e| unreadable(e)))
    } else {
        Ok(postcard::from_bytes::<T>(&body).unwrap_or_else(|e| unreadable(e)))
    };
    (status, answer)
}

/// The HTML of the page at `path`, seen in the session `token`, with its status.
pub async fn page(db: &TestDb, path: &str, token: &str) -> (StatusCode, String) {
    let request = Request::get(path)
        .header(header::COOKIE, format!("kith_session={token}"))
        .header(header::ACCEPT, "text/html")
        .body(Body::empty())
        .unwrap();
    let response = send(db, request).await;
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// Every row of every projection's tables, in a stable order, as text.
pub async fn snapshot(db: &TestDb) -> Vec<String> {
    let mut rows = Vec::new();
    let (columns_of, quote) = match db.backend() {
        engine::db::Backend::Sqlite => ("SELECT name FROM pragma_table_info($1) ORDER BY cid", "quote"),
        engine::db::Backend::Postgres => (
            "SELECT column_name::text FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position",
            "quote_nullable",
        ),
    };
    for projection in server::projections::all() {
        for table in projection.tables() {
            let columns: Vec<String> =
                engine::on_pool!(db.store().reader(), p => sqlx::query_scalar(columns_of)
                .bind(table)
                .fetch_all(p)
                .await)
                .unwrap();
            let row = columns
                .iter()
                .map(|c| format!("{quote}({c})"))
                .collect::<Vec<_>>()
                .join(" || '|' || ");
            let mut table_rows: Vec<String> = engine::on_pool!(db.store().reader(), p => sqlx::query_scalar(
                sqlx::AssertSqlSafe(format!("SELECT '{table}: ' || {row} FROM {table}"))
            )
            .fetch_all(p)
            .await)
            .unwrap();
            table_rows.sort();
            rows.extend(table_rows);
        }
    }
    rows
}
