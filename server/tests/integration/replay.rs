//! Replay beside the live tables: a rebuild while commands keep arriving ends equal to a
//! rebuild from scratch, loses none of the events appended meanwhile, and leaves the live
//! tables serving until the swap.

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use app::backend::Actor;
use app::events::{
    AccountSettings, AccountSettingsChanged, Event, InteractionRecorded, MeetingNotesEmailFailed,
    NextMeetingCancelled, NextMeetingScheduled,
};
use chrono::{NaiveDate, NaiveTime};
use common::{TestDb, created, edited, snapshot};
use server::projections;

/// A few commands of every kind for `actor`, numbered `n`.
fn commands(n: usize) -> Vec<Event> {
    let name = format!("Contact {n}");
    let day = NaiveDate::from_ymd_opt(2030, 1, 1).unwrap() + chrono::Days::new(n as u64 % 300);
    let mut events = vec![
        created(&name, "met at a conference"),
        Event::from(InteractionRecorded {
            contact: name.clone(),
            occurred_on: day,
            kind: "coffee".into(),
            note: format!("note {n}"),
        }),
        Event::from(NextMeetingScheduled {
            contact: name.clone(),
            meeting_on: day,
            meeting_time: NaiveTime::from_hms_opt(9, 30, 0).unwrap(),
            time_zone: "Europe/Paris".into(),
            notes: format!("Ask about **item {n}**"),
        }),
    ];
    match n % 4 {
        0 => events.push(edited(&name, Some(&format!("Renamed {n}")), "renamed")),
        1 => events.push(Event::from(NextMeetingCancelled { contact: name })),
        2 => events.push(Event::from(app::events::ContactDeleted { name })),
        _ => {}
    }
    events
}

async fn settle(db: &TestDb, actor: Actor) {
    db.accept(
        actor,
        &Event::from(AccountSettingsChanged(AccountSettings {
            display_name: "Ada".into(),
            notes_email: "ada@example.com".into(),
            time_zone: "Europe/Paris".into(),
            morning_email_hour: 7,
        })),
    )
    .await;
}

/// The commands numbered below `count` for the local account, projected.
async fn project_commands(db: &TestDb, count: usize) {
    for n in 0..count {
        for event in commands(n) {
            db.accept(db.local(), &event).await;
        }
    }
    db.dispatcher().run_until_caught_up().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rebuild_beside_the_live_tables_while_commands_arrive_equals_a_rebuild_from_scratch() {
    let db = TestDb::new().await;
    let (ada, bob) = (db.local(), db.bare_account().await);
    settle(&db, ada).await;
    settle(&db, bob).await;
    for n in 0..40 {
        for event in commands(n) {
            db.accept(if n % 2 == 0 { ada } else { bob }, &event).await;
        }
    }
    let _listeners = db.dispatcher().start(Duration::from_millis(20));
    db.wait_until_caught_up("projected_contacts").await;
    let before = snapshot(&db).await;

    // Commands keep arriving while every projection is rebuilt, in small batches.
    let store = db.store().clone();
    let writer = tokio::spawn(async move {
        for n in 40..80 {
            for event in commands(n) {
                store.append(ada, &event).await.unwrap().unwrap();
            }
        }
    });
    let mut batches_seen = 0;
    for projection in projections::all() {
        let live_before = snapshot(&db).await;
        let rebuilt =
            engine::replay::rebuild_in_batches(db.store(), projection.as_ref(), 7, |_| batches_seen += 1)
                .await
                .unwrap();
        assert!(rebuilt.events > 0);
        assert!(!live_before.is_empty(), "the live tables served all along");
    }
    writer.await.unwrap();
    assert!(
        batches_seen > 3 * 20,
        "the rebuilds ran in many batches: {batches_seen}"
    );
    for projection in projections::all() {
        db.wait_until_caught_up(projection.name()).await;
    }
    let after_rebuild = snapshot(&db).await;
    assert_ne!(
        after_rebuild, before,
        "the commands made during the rebuild are there"
    );

    // The same stream, rebuilt from scratch in place, gives exactly the same rows.
    for projection in projections::all() {
        db.dispatcher().reset(projection.name()).await.unwrap();
    }
    for projection in projections::all() {
        db.wait_until_caught_up(projection.name()).await;
    }
    assert_eq!(snapshot(&db).await, after_rebuild);
}

#[tokio::test]
async fn the_live_tables_are_untouched_until_the_swap() {
    let db = TestDb::new().await;
    project_commands(&db, 10).await;
    let live = snapshot(&db).await;
    // Break the live table on purpose: a rebuild beside it must not read or change it until
    // it swaps, and the swap puts the right rows back.
    engine::on_pool!(db.store().writer(), p => sqlx::query("UPDATE projected_contacts SET description = 'tampered'")
        .execute(p)
        .await.map(drop))
        .unwrap();
    let contacts = projections::all()
        .into_iter()
        .find(|p| p.name() == "projected_contacts")
        .unwrap();
    let url = db.url();
    let seen_during = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = seen_during.clone();
    let rebuilt = engine::replay::rebuild_in_batches(db.store(), contacts.as_ref(), 5, move |_| {
        let url = url.clone();
        let seen = seen.clone();
        // Read the live table, and the progress the status page shows, from another connection
        // after each batch.
        let (description, done): (String, Option<i64>) = std::thread::spawn(move || {
            tokio::runtime::Runtime::new().unwrap().block_on(async move {
                // This runtime's own connections: the test's runtime waits for this thread.
                let reader = TestDb::other_pool(&url).await;
                let description = engine::on_pool!(&reader, p => sqlx::query_scalar(
                    "SELECT description FROM projected_contacts WHERE name = 'Contact 1'"
                )
                .fetch_one(p)
                .await)
                .unwrap();
                let done = engine::on_pool!(&reader, p => sqlx::query_scalar(
                    "SELECT rebuild_done FROM projections WHERE name = 'projected_contacts'",
                )
                .fetch_one(p)
                .await)
                .unwrap();
                (description, done)
            })
        })
        .join()
        .unwrap();
        seen.lock().unwrap().push((description, done));
    })
    .await
    .unwrap();
    let seen = seen_during.lock().unwrap().clone();
    assert!(seen.len() > 3);
    let during = &seen[..seen.len() - 1];
    assert!(during.iter().all(|(d, _)| d == "tampered"), "{seen:?}");
    let progress: Vec<i64> = during
        .iter()
        .map(|(_, done)| done.expect("progress is recorded"))
        .collect();
    assert!(
        progress.windows(2).all(|w| w[0] < w[1]),
        "progress only grows: {progress:?}"
    );
    assert_eq!(
        seen.last().unwrap().0,
        "met at a conference",
        "the swap brought the rebuilt rows"
    );
    assert_eq!(
        seen.last().unwrap().1,
        None,
        "and the status page no longer shows a rebuild"
    );
    let health = db.dispatcher().health().await.unwrap();
    assert!(health.workers.iter().all(|w| w.rebuilding.is_none()));
    assert_eq!(snapshot(&db).await, live);
    assert_eq!(rebuilt.checkpoint, db.store().head().await.unwrap());
}

/// The contacts projection rebuilds in memory (its fold) and keeps event by event (its
/// handler): for each kind of event, in the orders that matter, both give the same rows.
#[tokio::test]
async fn the_in_memory_rebuild_of_contacts_gives_the_handlers_rows() {
    let db = TestDb::new().await;
    let (ada, bob) = (db.local(), db.bare_account().await);
    settle(&db, ada).await;
    let day = NaiveDate::from_ymd_opt(2030, 5, 17).unwrap();
    let meeting = |contact: &str, on: NaiveDate, notes: &str| {
        Event::from(NextMeetingScheduled {
            contact: contact.into(),
            meeting_on: on,
            meeting_time: NaiveTime::from_hms_opt(9, 30, 0).unwrap(),
            time_zone: "Europe/Paris".into(),
            notes: notes.into(),
        })
    };
    // Sally's email of the 17th failed and was asked for again; Erin's went out, then her
    // meeting moved away and back; Carol's failed with a retry planned, then her meeting was
    // cancelled; Dan was renamed with his interactions and deleted, and a new Dan was added.
    for event in [
        created("Sally", "engineer"),
        created("Erin", ""),
        created("Carol", ""),
        created("Dan", "old"),
        meeting("Sally", day, "Ask about **Postgres**"),
        meeting("Carol", day, "- a list"),
        meeting("Erin", day, "first"),
        Event::from(MeetingNotesEmailFailed {
            contact: "Sally".into(),
            meeting_on: day,
            reason: "the mail server refused it".into(),
            retry_at: None,
            given_up: false,
        }),
        Event::from(MeetingNotesEmailFailed {
            contact: "Carol".into(),
            meeting_on: day,
            reason: "try later".into(),
            retry_at: Some("2030-05-17T07:05:00Z".parse().unwrap()),
            given_up: false,
        }),
    ] {
        db.accept(ada, &event).await;
    }
    engine::on_pool!(db.store().writer(), p => sqlx::query(
        "INSERT INTO meeting_notes_deliveries (account_id, contact_name, meeting_on, message_id, state, \
             attempts, updated_at) VALUES ($1, 'Sally', $2, '<x@kith.test>', 'failed', 1, '2030-05-17T07:00:00Z')",
    )
    .bind(ada.account_id)
    .bind(day)
    .execute(p)
    .await.map(drop))
    .unwrap();
    let recorded = db
        .accept(
            ada,
            &Event::from(InteractionRecorded {
                contact: "Dan".into(),
                occurred_on: day,
                kind: "call".into(),
                note: String::new(),
            }),
        )
        .await;
    for event in [
        Event::from(app::events::MeetingNotesEmailRequested {
            contact: "Sally".into(),
            meeting_on: day,
        }),
        Event::from(app::events::MeetingNotesEmailSent {
            contact: "Erin".into(),
            meeting_on: day,
            message_id: "<m@kith.test>".into(),
        }),
        meeting("Erin", day + chrono::Days::new(1), "moved"),
        meeting("Erin", day, "back"),
        NextMeetingCancelled {
            contact: "Carol".into(),
        }
        .into(),
        Event::from(app::events::InteractionCorrected {
            contact: "Dan".into(),
            interaction: recorded.event_id,
            occurred_on: day - chrono::Days::new(3),
            kind: "tea".into(),
            note: "corrected".into(),
        }),
        edited("Dan", Some("Daniel"), "renamed"),
        Event::from(InteractionRecorded {
            contact: "Daniel".into(),
            occurred_on: day,
            kind: "coffee".into(),
            note: String::new(),
        }),
        Event::from(app::events::ContactDeleted {
            name: "Daniel".into(),
        }),
        created("Dan", "a new Dan"),
        created("Sally", "Bob's Sally"),
    ] {
        let actor = if matches!(&event, Event::ContactCreated(c) if c.description == "Bob's Sally") {
            bob
        } else {
            ada
        };
        db.accept(actor, &event).await;
    }
    db.dispatcher().run_until_caught_up().await.unwrap();
    let incremental = snapshot(&db).await;
    assert!(
        incremental.iter().any(|row| row.contains("'back'")),
        "Erin's meeting is there: {incremental:#?}"
    );
    let contacts = projections::all()
        .into_iter()
        .find(|p| p.name() == "projected_contacts")
        .unwrap();
    assert!(contacts.rebuilder().is_some(), "contacts rebuild in memory");
    for batch in [1, 4, 1000] {
        engine::replay::rebuild_in_batches(db.store(), contacts.as_ref(), batch, |_| {})
            .await
            .unwrap();
        assert_eq!(snapshot(&db).await, incremental, "batches of {batch}");
    }
}

#[tokio::test]
async fn the_status_view_shows_a_rebuild_while_it_runs() {
    let db = TestDb::new().await;
    engine::on_pool!(db.store().writer(), p => sqlx::query(
        "UPDATE projections SET rebuild_done = 250, rebuild_total = 1000, rebuild_started_at = '2026-11-27T10:00:00Z' \
         WHERE name = 'projected_contacts'",
    )
    .execute(p)
    .await.map(drop))
    .unwrap();
    let health = db.dispatcher().health().await.unwrap();
    let contacts = health
        .workers
        .iter()
        .find(|w| w.projection == "projected_contacts")
        .unwrap();
    let rebuilding = contacts.rebuilding.as_ref().expect("a rebuild is shown");
    assert_eq!((rebuilding.done, rebuilding.total), (250, 1000));
    assert!(contacts.last_updated_at.is_none(), "nothing applied yet");
}

#[test]
fn the_replay_command_rebuilds_a_projection_and_names_the_ones_there_are() {
    let dir = tempfile::tempdir().unwrap();
    let url = dir.path().join("kith.sqlite3").display().to_string();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_server"))
            .args(args)
            .env("DATABASE_URL", &url)
            .env("RUST_LOG", "error")
            .output()
            .unwrap()
    };
    let ok = run(&["replay", "projected_contacts"]);
    let stderr = String::from_utf8_lossy(&ok.stderr);
    assert!(ok.status.success(), "{stderr}");
    assert!(
        stderr.contains("projected_contacts: 0 events rebuilt beside the live tables"),
        "{stderr}"
    );
    let unknown = run(&["replay", "projected_nothing"]);
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert!(!unknown.status.success());
    assert!(
        stderr.contains("there is no projection called \"projected_nothing\""),
        "{stderr}"
    );
    assert!(stderr.contains("projected_meeting_notes_emails"), "{stderr}");
    let all = run(&["replay", "--all"]);
    assert!(all.status.success(), "{}", String::from_utf8_lossy(&all.stderr));
}

/// What the database says of the projections' tables: their columns, defaults, keys and
/// indexes, by name and definition; and any schema a rebuild writes beside them.
async fn catalog(db: &TestDb) -> Vec<String> {
    match db.store().reader() {
        engine::db::Pool::Sqlite(pool) => sqlx::query_scalar(
            "SELECT type || ' ' || name || ': ' || coalesce(sql, '') FROM sqlite_master \
             WHERE tbl_name LIKE 'projected\\_%' ESCAPE '\\' ORDER BY type, name",
        )
        .fetch_all(pool)
        .await
        .unwrap(),
        engine::db::Pool::Postgres(pool) => sqlx::query_scalar(
            "SELECT d FROM ( \
               SELECT format('column %s.%s %s %s %s', table_name, column_name, data_type, is_nullable, \
                             column_default) AS d \
               FROM information_schema.columns WHERE table_schema = 'public' AND table_name LIKE 'projected\\_%' \
               UNION ALL SELECT format('index %s: %s', indexname, indexdef) FROM pg_indexes \
               WHERE schemaname = 'public' AND tablename LIKE 'projected\\_%' \
               UNION ALL SELECT format('constraint %s on %s: %s', k.conname, t.relname, pg_get_constraintdef(k.oid)) \
               FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid \
               WHERE t.relnamespace = 'public'::regnamespace AND t.relname LIKE 'projected\\_%' \
               UNION ALL SELECT format('schema %s', nspname) FROM pg_namespace WHERE nspname LIKE 'kith%' \
             ) catalog ORDER BY d",
        )
        .fetch_all(pool)
        .await
        .unwrap(),
    }
}

/// The catalog as a replay keeps it: on SQLite a table renamed into place has its name quoted
/// in its definition, and its indexes alternate between two names, from one replay to the next.
fn as_kept(catalog: &[String]) -> Vec<String> {
    let mut kept: Vec<String> = catalog
        .iter()
        .map(|line| line.replace('"', "").replace("__replayed", ""))
        .collect();
    kept.sort();
    kept
}

/// After a replay the projections' tables are the ones the migrations made, keys and indexes
/// and all: on PostgreSQL the rebuilt tables take the live ones' place, analyzed, and nothing
/// is left beside them; on SQLite nothing is left in `main` beside them either. Two replays, so
/// that SQLite's indexes take each of their two names.
#[tokio::test]
async fn a_replay_leaves_the_tables_as_the_migrations_made_them() {
    let db = TestDb::new().await;
    project_commands(&db, 6).await;
    let migrated = catalog(&db).await;
    assert!(
        migrated
            .iter()
            .any(|line| line.contains("projected_contacts_by_name")),
        "{migrated:#?}"
    );
    let rows = snapshot(&db).await;
    for round in 0..2 {
        for projection in projections::all() {
            engine::replay::rebuild(db.store(), projection.as_ref(), |_| ())
                .await
                .unwrap();
        }
        let replayed = catalog(&db).await;
        assert_eq!(as_kept(&replayed), as_kept(&migrated), "after replay {round}");
        if let engine::db::Pool::Sqlite(_) = db.store().reader() {
            let renamed = replayed.iter().filter(|line| line.contains("__replayed")).count();
            assert_eq!(renamed > 0, round == 0, "after replay {round}: {replayed:#?}");
        }
        assert_eq!(snapshot(&db).await, rows);
    }
    if let engine::db::Pool::Postgres(pool) = db.store().reader() {
        // Moved in with their statistics, which only ANALYZE gathers.
        let columns: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_stats WHERE schemaname = 'public' AND tablename = 'projected_contacts'",
        )
        .fetch_one(pool)
        .await
        .unwrap();
        assert!(columns > 0, "no statistics for projected_contacts");
    }
}

/// On SQLite a replay that stopped midway leaves its copy beside the live tables; the next one
/// drops it and swaps in a whole one. While a replay holds the database's replay lock, another
/// is refused and changes nothing.
#[tokio::test]
async fn a_replay_clears_what_a_stopped_one_left_and_is_refused_while_another_runs() {
    let db = TestDb::new().await;
    let engine::db::Pool::Sqlite(pool) = db.store().writer().clone() else {
        return;
    };
    project_commands(&db, 6).await;
    let rows = snapshot(&db).await;
    let contacts = projections::all()
        .into_iter()
        .find(|p| p.name() == "projected_contacts")
        .unwrap();
    let file: String = sqlx::query_scalar("SELECT file FROM pragma_database_list WHERE name = 'main'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let held = std::fs::File::create(format!("{file}-replay.lock")).unwrap();
    held.try_lock().unwrap();
    let refused = engine::replay::rebuild(db.store(), contacts.as_ref(), |_| ())
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("another replay"), "{refused}");
    held.unlock().unwrap();

    sqlx::raw_sql(
        "CREATE TABLE projected_contacts__rebuilt (half TEXT); INSERT INTO projected_contacts__rebuilt VALUES ('x'); \
         CREATE TABLE projected_contact_counts__stale (account_id INTEGER)",
    )
    .execute(&pool)
    .await
    .unwrap();
    engine::replay::rebuild(db.store(), contacts.as_ref(), |_| ())
        .await
        .unwrap();
    let left: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE name LIKE '%\\_\\_rebuilt' ESCAPE '\\' OR name LIKE '%\\_\\_stale' ESCAPE '\\'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(left, Vec::<String>::new());
    assert_eq!(snapshot(&db).await, rows);
}

/// On SQLite an index of a projection has one of two names after a replay (its migration's, or
/// that name and `__replayed`), so a migration written after replays began swapping by rename
/// (the 15 before it ran on tables no replay had renamed) drops an index by both names.
#[test]
fn a_migration_drops_an_index_by_both_its_names() {
    let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations/sqlite"));
    let mut checked = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        checked += 1;
        let number: u32 = name.split('_').next().unwrap().parse().unwrap();
        if number <= 15 {
            continue;
        }
        let sql = std::fs::read_to_string(&path).unwrap().to_ascii_lowercase();
        let words: Vec<&str> = sql
            .split(|c: char| c.is_whitespace() || c == ';')
            .filter(|w| !w.is_empty())
            .collect();
        for (at, window) in words.windows(2).enumerate() {
            if window != ["drop", "index"] {
                continue;
            }
            let rest = &words[at + 2..];
            let (exists, index) = match rest {
                ["if", "exists", index, ..] => (true, *index),
                [index, ..] => (false, *index),
                [] => panic!("{name}: DROP INDEX names no index"),
            };
            let base = index.strip_suffix("__replayed").unwrap_or(index);
            assert!(exists, "{name}: DROP INDEX {index} must be DROP INDEX IF EXISTS");
            for both in [base.to_owned(), format!("{base}__replayed")] {
                assert!(
                    sql.contains(&format!("drop index if exists {both}")),
                    "{name}: drops {base} but not {both}"
                );
            }
        }
    }
    assert!(checked >= 15, "read {checked} migrations in {dir:?}");
}
