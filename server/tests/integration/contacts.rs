//! The `projected_contacts` projection beyond names: interactions and the last interaction
//! date, the next meeting with its notes rendered safely, and the list's sorting, search and
//! pagination.

use crate::common;

use engine::db::Conn;

use app::backend::Actor;
use app::events::{
    ContactDeleted, Event, InteractionCorrected, InteractionRecorded, InteractionRemoved,
    NextMeetingCancelled, NextMeetingScheduled,
};
use app::views::{ContactView, ContactsView, ListQuery, SortKey};
use chrono::{NaiveDate, NaiveTime, TimeZone, Utc};
use common::{TestDb, created, edited};

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn recorded(contact: &str, on: &str, kind: &str) -> Event {
    Event::from(InteractionRecorded {
        contact: contact.into(),
        occurred_on: day(on),
        kind: kind.into(),
        note: String::new(),
    })
}

fn meeting(contact: &str, on: &str, at: &str, zone: &str, notes: &str) -> Event {
    Event::from(NextMeetingScheduled {
        contact: contact.into(),
        meeting_on: day(on),
        meeting_time: NaiveTime::parse_from_str(at, "%H:%M").unwrap(),
        time_zone: zone.into(),
        notes: notes.into(),
    })
}

async fn contact(db: &TestDb, actor: Actor, name: &str) -> ContactView {
    db.dispatcher().run_until_caught_up().await.unwrap();
    server::contacts::queries::contact(
        db.store().reader(),
        db.dispatcher(),
        actor.account_id,
        name,
        chrono::Utc::now(),
    )
    .await
    .unwrap()
}

async fn list(db: &TestDb, actor: Actor, query: &str) -> ContactsView {
    db.dispatcher().run_until_caught_up().await.unwrap();
    server::contacts::queries::contacts(
        db.store().reader(),
        actor.account_id,
        ListQuery::from_query(query),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn the_last_interaction_follows_the_day_it_happened_not_the_day_it_was_recorded() {
    let db = TestDb::new().await;
    let me = db.local();
    db.accept(me, &created("Bob", "")).await;
    db.accept(me, &recorded("Bob", "2019-08-13", "coffee")).await;
    // Recorded today, for last month: the last interaction stays the 13th of August.
    let older = db.accept(me, &recorded("Bob", "2019-07-01", "call")).await;
    let view = contact(&db, me, "Bob").await;
    assert_eq!(view.contact.unwrap().last_interacted_on, Some(day("2019-08-13")));
    let kinds: Vec<&str> = view.interactions.iter().map(|i| i.kind.as_str()).collect();
    assert_eq!(kinds, ["coffee", "call"], "newest first");
    assert_eq!(
        view.interactions[1].id, older.event_id,
        "identified by the recording event"
    );

    // Correcting the older one to a later day moves it forward; removing it moves it back.
    db.accept(
        me,
        &Event::from(InteractionCorrected {
            contact: "Bob".into(),
            interaction: older.event_id,
            occurred_on: day("2019-09-02"),
            kind: "call".into(),
            note: "about the job".into(),
        }),
    )
    .await;
    let view = contact(&db, me, "Bob").await;
    assert_eq!(view.contact.unwrap().last_interacted_on, Some(day("2019-09-02")));
    assert_eq!(view.interactions[0].note, "about the job");
    db.accept(
        me,
        &Event::from(InteractionRemoved {
            contact: "Bob".into(),
            interaction: older.event_id,
        }),
    )
    .await;
    let view = contact(&db, me, "Bob").await;
    assert_eq!(view.contact.unwrap().last_interacted_on, Some(day("2019-08-13")));
    assert_eq!(view.interactions.len(), 1);

    // A removed interaction cannot be corrected or removed again.
    let again = Event::from(InteractionRemoved {
        contact: "Bob".into(),
        interaction: older.event_id,
    });
    let refused = db.refuse(me, &again).await;
    assert!(refused.for_field("interaction").is_some(), "{refused}");
}

#[tokio::test]
async fn interactions_follow_a_renamed_contact_and_go_with_a_deleted_one() {
    let db = TestDb::new().await;
    let me = db.local();
    db.accept(me, &created("Bob", "")).await;
    let first = db.accept(me, &recorded("Bob", "2019-08-13", "coffee")).await;
    db.accept(me, &edited("Bob", Some("Robert"), "")).await;
    let view = contact(&db, me, "Robert").await;
    assert_eq!(view.interactions.len(), 1);
    assert_eq!(view.contact.unwrap().last_interacted_on, Some(day("2019-08-13")));
    // The command side followed the rename too: the interaction is Robert's now.
    let correction = Event::from(InteractionCorrected {
        contact: "Robert".into(),
        interaction: first.event_id,
        occurred_on: day("2019-08-14"),
        kind: "coffee".into(),
        note: String::new(),
    });
    db.accept(me, &correction).await;

    db.accept(
        me,
        &Event::from(ContactDeleted {
            name: "Robert".into(),
        }),
    )
    .await;
    db.accept(me, &created("Robert", "A different Robert")).await;
    let view = contact(&db, me, "Robert").await;
    assert!(
        view.interactions.is_empty(),
        "a new contact starts without the old one's interactions"
    );
    assert_eq!(view.contact.unwrap().last_interacted_on, None);
    let refused = db.refuse(me, &correction).await;
    assert!(refused.for_field("interaction").is_some(), "{refused}");
}

#[tokio::test]
async fn an_interaction_or_meeting_for_a_contact_that_does_not_exist_is_refused() {
    let db = TestDb::new().await;
    let me = db.local();
    for event in [
        recorded("Nobody", "2019-08-13", "coffee"),
        meeting("Nobody", "2019-08-20", "09:30", "UTC", ""),
        Event::from(NextMeetingCancelled {
            contact: "Nobody".into(),
        }),
    ] {
        let refused = db.refuse(me, &event).await;
        assert!(
            refused
                .for_field("contact")
                .unwrap()
                .contains("There is no contact named “Nobody”")
        );
    }
    assert_eq!(db.count("SELECT COUNT(*) FROM events").await, 0);
}

#[tokio::test]
async fn the_next_meeting_is_kept_in_its_zone_with_notes_rendered_and_sanitized() {
    let db = TestDb::new().await;
    let me = db.local();
    db.accept(me, &created("Sally", "")).await;
    let notes = "Ask about **Postgres**\n\n<script>alert('x')</script>\n\n\
                 [docs](javascript:alert(1)) <img src=x onerror=alert(2)>";
    db.accept(
        me,
        &meeting("Sally", "2019-08-20", "09:30", "America/New_York", notes),
    )
    .await;
    let view = contact(&db, me, "Sally").await;
    let summary = view.contact.unwrap().next_meeting.expect("a next meeting");
    assert_eq!(
        summary.at,
        Utc.with_ymd_and_hms(2019, 8, 20, 13, 30, 0).unwrap(),
        "09:30 EDT"
    );
    assert_eq!(
        (summary.local.as_str(), summary.time_zone.as_str()),
        ("2019-08-20 09:30", "America/New_York")
    );
    assert!(
        summary.excerpt.starts_with("Ask about Postgres"),
        "{}",
        summary.excerpt
    );
    let meeting_view = view.meeting.expect("the meeting on the contact's page");
    assert_eq!(meeting_view.notes, notes, "the Markdown is kept as written");
    let html = meeting_view.notes_html.to_lowercase();
    assert!(html.contains("<strong>postgres</strong>"), "{html}");
    for forbidden in ["<script", "javascript:", "onerror", "alert("] {
        assert!(!html.contains(forbidden), "{forbidden} reached the page: {html}");
    }

    db.accept(
        me,
        &Event::from(NextMeetingCancelled {
            contact: "Sally".into(),
        }),
    )
    .await;
    let view = contact(&db, me, "Sally").await;
    assert_eq!((view.contact.unwrap().next_meeting, view.meeting), (None, None));
}

#[tokio::test]
async fn meeting_times_that_daylight_saving_skips_or_repeats_are_resolved() {
    let db = TestDb::new().await;
    let me = db.local();
    db.accept(me, &created("Early", "")).await;
    db.accept(me, &created("Twice", "")).await;
    // 2026-03-08 02:30 does not exist in New York (clocks jump from 02:00 to 03:00).
    db.accept(
        me,
        &meeting("Early", "2026-03-08", "02:30", "America/New_York", ""),
    )
    .await;
    // 2026-11-01 01:30 happens twice there; the first one (EDT) is meant.
    db.accept(
        me,
        &meeting("Twice", "2026-11-01", "01:30", "America/New_York", ""),
    )
    .await;
    let early = contact(&db, me, "Early")
        .await
        .contact
        .unwrap()
        .next_meeting
        .unwrap();
    assert_eq!(
        early.at,
        Utc.with_ymd_and_hms(2026, 3, 8, 7, 30, 0).unwrap(),
        "03:30 EDT"
    );
    let twice = contact(&db, me, "Twice")
        .await
        .contact
        .unwrap()
        .next_meeting
        .unwrap();
    assert_eq!(
        twice.at,
        Utc.with_ymd_and_hms(2026, 11, 1, 5, 30, 0).unwrap(),
        "01:30 EDT"
    );
}

#[tokio::test]
async fn the_list_sorts_searches_and_pages_with_empty_dates_last() {
    let db = TestDb::new().await;
    let me = db.local();
    for (name, description) in [
        ("alice", "Engineer"),
        ("Bob", "Builder"),
        ("carol", "100% engineer"),
        ("Dave", ""),
    ] {
        db.accept(me, &created(name, description)).await;
    }
    db.accept(me, &recorded("Bob", "2019-08-13", "coffee")).await;
    db.accept(me, &recorded("carol", "2019-08-01", "call")).await;
    db.accept(me, &meeting("Dave", "2019-09-01", "09:00", "UTC", ""))
        .await;
    db.accept(me, &meeting("alice", "2019-09-01", "08:00", "Europe/Paris", ""))
        .await;

    let names = |view: &ContactsView| view.contacts.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
    assert_eq!(
        names(&list(&db, me, "").await),
        ["alice", "Bob", "carol", "Dave"],
        "by name, any case"
    );
    assert_eq!(
        names(&list(&db, me, "dir=desc").await),
        ["Dave", "carol", "Bob", "alice"]
    );
    assert_eq!(
        names(&list(&db, me, "sort=last_interaction").await),
        ["carol", "Bob", "alice", "Dave"]
    );
    assert_eq!(
        names(&list(&db, me, "sort=last_interaction&dir=desc").await),
        ["Bob", "carol", "alice", "Dave"]
    );
    // 08:00 in Paris is 06:00 UTC, before 09:00 UTC.
    assert_eq!(
        names(&list(&db, me, "sort=next_meeting").await),
        ["alice", "Dave", "Bob", "carol"]
    );
    assert_eq!(
        names(&list(&db, me, "sort=next_meeting&dir=desc").await),
        ["Dave", "alice", "Bob", "carol"]
    );

    let found = list(&db, me, "q=ENGINEER").await;
    assert_eq!(
        (names(&found), found.matching, found.total),
        (vec!["alice".to_owned(), "carol".to_owned()], 2, 4)
    );
    for blank in ["", "q=", "q=+++"] {
        let all = list(&db, me, blank).await;
        assert_eq!(
            (all.contacts.len(), all.matching, all.total, all.pages),
            (4, 4, 4, 1),
            "no search term ({blank:?}) matches every contact"
        );
    }
    assert_eq!(
        names(&list(&db, me, "q=100%25").await),
        ["carol"],
        "% is taken literally"
    );
    assert_eq!(names(&list(&db, me, "q=0%25+e").await), ["carol"]);
    assert!(
        list(&db, me, "q=_").await.contacts.is_empty(),
        "_ is taken literally"
    );

    // Pages of 50.
    for i in 0..60 {
        db.accept(me, &created(&format!("Person {i:02}"), "")).await;
    }
    let first = list(&db, me, "").await;
    assert_eq!((first.contacts.len(), first.pages, first.total), (50, 2, 64));
    let second = list(&db, me, "page=2").await;
    assert_eq!(second.contacts.len(), 14);
    assert_eq!(second.query.page, 2);
    let beyond = list(&db, me, "page=99").await;
    assert_eq!(beyond.query.page, 2, "a page past the end shows the last one");
    assert_eq!(beyond.contacts.len(), 14);
    let farthest = list(&db, me, &format!("page={}", u32::MAX)).await;
    assert_eq!((farthest.query.page, farthest.contacts.len()), (2, 14));
    let none = list(&db, me, "q=nobody&page=3").await;
    assert_eq!(
        (none.query.page, none.pages, none.matching, none.total),
        (1, 1, 0, 64)
    );
    let query = ListQuery::from_query("sort=next_meeting&dir=desc&q=a%20b&page=2");
    assert_eq!(
        (query.sort, query.descending, query.search.as_str(), query.page),
        (SortKey::NextMeeting, true, "a b", 2)
    );
    assert_eq!(
        query.to_url(),
        "/contacts?sort=next_meeting&dir=desc&q=a%20b&page=2"
    );
}

#[tokio::test]
async fn every_order_of_the_list_is_read_from_an_index_without_sorting() {
    let db = TestDb::new().await;
    for sort in SortKey::ALL {
        for descending in [false, true] {
            let query = ListQuery {
                sort,
                descending,
                ..ListQuery::default()
            };
            let order = server::contacts::queries::order_by(&query);
            let sql = format!("SELECT id FROM projected_contacts WHERE account_id = 1 {order} LIMIT 50");
            let mut conn = db.store().reader().acquire().await.unwrap();
            let (steps, sorted) = match conn.conn() {
                Conn::Sqlite(c) => {
                    let plan: Vec<(i64, i64, i64, String)> =
                        sqlx::query_as(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}")))
                            .fetch_all(c)
                            .await
                            .unwrap();
                    let steps: Vec<String> = plan.into_iter().map(|step| step.3).collect();
                    let indexed = steps.iter().any(|s| s.contains("USING COVERING INDEX"))
                        && !steps.iter().any(|s| s.contains("TEMP B-TREE"));
                    (steps, !indexed)
                }
                Conn::Postgres(c) => {
                    // The table is tiny, so a plain scan would win: ask what an index gives.
                    sqlx::query("SET enable_seqscan = off")
                        .execute(&mut *c)
                        .await
                        .unwrap();
                    let steps: Vec<String> =
                        sqlx::query_scalar(sqlx::AssertSqlSafe(format!("EXPLAIN {sql}")))
                            .fetch_all(&mut *c)
                            .await
                            .unwrap();
                    sqlx::query("RESET enable_seqscan")
                        .execute(&mut *c)
                        .await
                        .unwrap();
                    let sorted = !steps.iter().any(|s| s.contains("Index"))
                        || steps.iter().any(|s| s.contains("Sort"));
                    (steps, sorted)
                }
            };
            assert!(!sorted, "{sort:?} descending={descending}: {steps:?}");
        }
    }
}

/// Names in several scripts and compositions, as the add-contact form turns them into events.
fn typed(name: &str) -> Event {
    let form = app::contact::ContactForm {
        name: name.into(),
        description: format!("About {name}"),
        contact_method: String::new(),
    };
    Event::from(form.create().unwrap())
}

#[tokio::test]
async fn names_fold_alike_for_the_duplicate_check_the_search_and_the_sort_on_either_database() {
    let db = TestDb::new().await;
    let me = db.local();
    let names = [
        "Émile Zola",
        "zoë",
        "Ada",
        "ДМИТРИЙ",
        "Straße",
        "Οδυσσέας",
        "李小龍",
        "adam",
        "Æsa",
        "émilie",
    ];
    for name in names {
        db.accept(me, &typed(name)).await;
    }
    // Typed another way, or in another case, a name is the same name.
    for same in [
        "E\u{301}mile Zola",
        "ÉMILE ZOLA",
        "émile zola",
        "STRASSE",
        "дмитрий",
    ] {
        let refused = db.refuse(me, &typed(same)).await;
        assert!(
            refused
                .for_field("name")
                .unwrap()
                .starts_with("You already have a contact named"),
            "{same}: {refused}"
        );
    }
    let shown = |view: ContactsView| view.contacts.into_iter().map(|c| c.name).collect::<Vec<_>>();
    // Sorted by the folded name as bytes: the same order on SQLite and PostgreSQL.
    let mut expected: Vec<&str> = names.to_vec();
    expected.sort_by_key(|name| server::contacts::names::key(name));
    assert_eq!(shown(list(&db, me, "sort=name").await), expected);
    expected.reverse();
    assert_eq!(shown(list(&db, me, "sort=name&dir=desc").await), expected);
    // Search folds the same way, whatever the script or the composition of the term.
    for (term, found) in [
        ("émile", vec!["Émile Zola"]),
        ("E%CC%81MILE", vec!["Émile Zola"]),
        ("ÉMIL", vec!["Émile Zola", "émilie"]),
        ("дмитрий", vec!["ДМИТРИЙ"]),
        ("strasse", vec!["Straße"]),
        ("ΟΔΥΣΣΈΑΣ", vec!["Οδυσσέας"]),
        ("小", vec!["李小龍"]),
        ("about zoë", vec!["zoë"]),
        ("%", vec![]),
        ("_", vec![]),
    ] {
        let mut matched = shown(list(&db, me, &format!("sort=name&q={term}")).await);
        matched.sort_by_key(|name| server::contacts::names::key(name));
        assert_eq!(matched, found, "searching {term}");
    }
}

#[test]
fn names_that_hide_or_turn_text_are_refused_by_field() {
    for name in [
        "\u{200B}",
        "\u{FEFF}\u{200B}",
        "Bob\u{202E}",
        "B\u{200B}ob",
        "\u{2066}Eve",
    ] {
        let form = app::contact::ContactForm {
            name: name.into(),
            ..Default::default()
        };
        let refused = form.create().unwrap_err();
        assert!(refused.for_field("name").is_some(), "{name:?}: {refused}");
    }
    let composed = app::contact::ContactForm {
        name: "E\u{301}mile".into(),
        ..Default::default()
    };
    assert_eq!(composed.create().unwrap().name, "Émile");
}

#[tokio::test]
async fn names_kept_before_folding_stay_reachable_when_they_now_fold_alike() {
    let db = TestDb::new().await;
    let me = db.local();
    db.accept(me, &created("Émile", "")).await;
    // A second spelling, as an older release kept it: its lower case alone told the two apart.
    engine::on_pool!(db.store().writer(), p => {
        sqlx::query("INSERT INTO contact_names (account_id, key, name) VALUES ($1, $2, $3)")
            .bind(me.account_id)
            .bind("e\u{301}mile")
            .bind("E\u{301}MILE")
            .execute(p)
            .await
            .unwrap();
        sqlx::query("INSERT INTO name_keys_pending (one) VALUES (1)")
            .execute(p)
            .await
            .unwrap();
    });
    server::contacts::names::fold_old_keys(db.store().writer())
        .await
        .unwrap();
    for name in ["E\u{301}MILE", "Émile"] {
        db.accept(me, &edited(name, None, "still here")).await;
        db.accept(me, &recorded(name, "2026-11-30", "coffee")).await;
    }
    for name in ["E\u{301}MILE", "Émile"] {
        db.accept(me, &Event::from(ContactDeleted { name: name.into() }))
            .await;
    }
    assert_eq!(db.count("SELECT COUNT(*) FROM contact_names").await, 0);
    assert_eq!(db.count("SELECT COUNT(*) FROM known_interactions").await, 0);
    assert_eq!(db.count("SELECT COUNT(*) FROM name_keys_pending").await, 0);
}

/// The list's count of contacts is kept by the projection: one more for a contact created, one
/// less for one deleted, none for a rename, each account its own; a replay gives the same.
#[tokio::test]
async fn the_count_of_contacts_follows_creations_deletions_and_renames() {
    let db = TestDb::new().await;
    let me = db.local();
    let other = db.sign_up("other@example.com").await.actor;
    for name in ["Ada", "Bob", "Cy"] {
        db.accept(me, &created(name, "")).await;
    }
    db.accept(other, &created("Dee", "")).await;
    let total = |view: ContactsView| (view.total, view.matching, view.contacts.len() as i64);
    assert_eq!(total(list(&db, me, "").await), (3, 3, 3));
    assert_eq!(total(list(&db, other, "").await), (1, 1, 1));

    db.accept(me, &edited("Ada", Some("Ada Lovelace"), "")).await;
    db.accept(me, &Event::from(ContactDeleted { name: "Bob".into() }))
        .await;
    assert_eq!(total(list(&db, me, "").await), (2, 2, 2));
    assert_eq!(total(list(&db, me, "q=ada").await), (2, 1, 1));

    for name in ["Ada Lovelace", "Cy"] {
        db.accept(me, &Event::from(ContactDeleted { name: name.into() }))
            .await;
    }
    assert_eq!(total(list(&db, me, "").await), (0, 0, 0));
    assert_eq!(total(list(&db, other, "").await), (1, 1, 1));

    let live = common::snapshot(&db).await;
    let contacts = server::projections::all()
        .into_iter()
        .find(|p| p.name() == "projected_contacts")
        .unwrap();
    engine::replay::rebuild(db.store(), contacts.as_ref(), |_| {})
        .await
        .unwrap();
    assert_eq!(common::snapshot(&db).await, live, "a replay counts the same");
}

/// On PostgreSQL a page without a search reads the sort's index, in the plan PostgreSQL keeps
/// for a prepared statement after a few runs, made for any parameters: such a plan of a
/// statement that allowed for a search read every contact of the account and sorted them
/// (one account of 10,000 contacts among fifty small ones).
#[tokio::test]
async fn pages_without_a_search_read_the_sorts_index_on_postgres() {
    let db = TestDb::new().await;
    let engine::db::Pool::Postgres(pool) = db.store().reader() else {
        return;
    };
    let mut c = pool.acquire().await.unwrap();
    sqlx::raw_sql(
        "INSERT INTO projected_contacts (id, name, account_id, last_updated_at, name_key, search_key) \
         SELECT g, 'Person ' || g, CASE WHEN g <= 10000 THEN 1 ELSE 2 + g % 50 END, now(), \
         'person ' || g, 'person ' || g FROM generate_series(1, 11000) g; \
         ANALYZE projected_contacts; \
         SET plan_cache_mode = force_generic_plan",
    )
    .execute(&mut *c)
    .await
    .unwrap();
    let mut n = 0;
    for sort in [SortKey::Name, SortKey::LastInteraction, SortKey::NextMeeting] {
        for descending in [false, true] {
            n += 1;
            let query = ListQuery {
                sort,
                descending,
                ..ListQuery::default()
            };
            let statement = server::contacts::queries::page_statement(&query, false);
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "PREPARE page_{n} (BIGINT, TEXT, BIGINT, BIGINT) AS {statement}"
            )))
            .execute(&mut *c)
            .await
            .unwrap();
            let explain = format!("EXPLAIN EXECUTE page_{n} (1, 'projected_contacts', 50, 0)");
            let plan: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(explain))
                .fetch_all(&mut *c)
                .await
                .unwrap();
            let plan = plan.join("\n");
            assert!(
                plan.contains("Index Scan") && !plan.contains("Sort"),
                "{sort:?}, descending {descending}:\n{plan}"
            );
        }
    }
}

/// The list says how many of the account's own events its rows have still to show, read with
/// its rows: on a page of contacts, and on an empty one (an account whose first contact is not
/// listed yet).
#[tokio::test]
async fn the_list_says_how_far_behind_its_rows_are() {
    let db = TestDb::new().await;
    let me = db.local();
    let other = db.sign_up("other@example.com").await.actor;
    db.accept(me, &created("Ada", "")).await;
    db.dispatcher().run_until_caught_up().await.unwrap();
    let read = |actor: Actor| {
        server::contacts::queries::contacts(db.store().reader(), actor.account_id, ListQuery::default())
    };
    let names = |view: &ContactsView| view.contacts.iter().map(|c| c.name.clone()).collect::<Vec<_>>();

    db.accept(me, &created("Bob", "")).await;
    db.accept(me, &edited("Ada", None, "engineer")).await;
    db.accept(other, &created("Dee", "")).await;
    let mine = read(me).await.unwrap();
    assert_eq!(
        (names(&mine), mine.total, mine.freshness.behind),
        (vec!["Ada".to_owned()], 1, 2),
        "two of my events are not listed yet; the other account's is not mine"
    );
    let theirs = read(other).await.unwrap();
    assert_eq!(
        (
            theirs.contacts.len(),
            theirs.total,
            theirs.pages,
            theirs.freshness.behind
        ),
        (0, 0, 1, 1)
    );

    db.dispatcher().run_until_caught_up().await.unwrap();
    let mine = read(me).await.unwrap();
    assert_eq!(
        (names(&mine), mine.total, mine.freshness.behind),
        (vec!["Ada".to_owned(), "Bob".to_owned()], 2, 0)
    );
    assert_eq!(read(other).await.unwrap().freshness.behind, 0);
}
