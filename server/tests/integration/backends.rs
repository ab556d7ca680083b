//! The two backends cannot drift apart: their migrated schemas hold the same tables, columns
//! (types mapped), keys and indexes, and the same names give the same answers on both where
//! text is folded, ordered and compared. Each test needs both databases, so it runs in the
//! PostgreSQL pass (`make postgres`) and says so when skipped.

use std::collections::BTreeSet;

use app::events::{ContactCreated, ContactMethod, Event};
use app::views::{ContactsView, ListQuery, SortKey};
use engine::db::Pool;
use engine::on_pool;
use server::Kith;

use crate::common::{self, DropDatabase};

/// A migrated SQLite database and a migrated PostgreSQL one, or `None` without a server.
async fn both() -> Option<(Kith, Kith, tempfile::TempDir, DropDatabase)> {
    let Some(server) = common::postgres_server() else {
        eprintln!("skipped: needs KITH_TEST_POSTGRES (it runs in `make postgres`)");
        return None;
    };
    let dir = tempfile::tempdir().expect("temporary folder");
    let sqlite = Kith::open(&dir.path().join("kith.sqlite3").display().to_string())
        .await
        .expect("a SQLite database");
    let url = format!(
        "{}/kith_test_{}",
        server.trim_end_matches('/'),
        server::accounts::random_hex(8)
    );
    {
        use sqlx::migrate::MigrateDatabase;
        sqlx::Postgres::create_database(&url)
            .await
            .expect("a PostgreSQL database");
    }
    let dropped = DropDatabase(url.clone());
    let postgres = Kith::open(&url).await.expect("a PostgreSQL database");
    Some((sqlite, postgres, dir, dropped))
}

/// One column, as both backends can say it: its type in SQLite's words (PostgreSQL's
/// `BIGINT`, `INTEGER` and `BOOLEAN` are SQLite integers; `TEXT`, `DATE`, `TIMESTAMPTZ` and
/// `JSONB` are SQLite text), whether it may be null, whether it is the primary key.
type Column = (String, String, String, bool, bool);
/// One index: its table, whether it is unique, and its columns (or expressions) in order.
type Index = (String, bool, String);

async fn sqlite_schema(pool: &Pool) -> (BTreeSet<Column>, BTreeSet<Index>) {
    let Pool::Sqlite(pool) = pool else { unreachable!() };
    let columns: Vec<(String, String, String, bool, bool)> = sqlx::query_as(
        "SELECT m.name, c.name, upper(c.type), c.\"notnull\" = 0 AND c.pk = 0, c.pk > 0 \
         FROM sqlite_master m, pragma_table_info(m.name) c \
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '_sqlx_migrations'",
    )
    .fetch_all(pool)
    .await
    .expect("the columns");
    let indexes: Vec<(String, bool, String)> = sqlx::query_as(
        "SELECT m.name, l.\"unique\" = 1, \
                (SELECT group_concat(coalesce(x.name, '(expression)'), ',') FROM \
                   (SELECT name FROM pragma_index_xinfo(l.name) WHERE key = 1 ORDER BY seqno) x) \
         FROM sqlite_master m, pragma_index_list(m.name) l \
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '_sqlx_migrations' \
           AND l.origin <> 'pk'",
    )
    .fetch_all(pool)
    .await
    .expect("the indexes");
    (columns.into_iter().collect(), indexes.into_iter().collect())
}

async fn postgres_schema(pool: &Pool) -> (BTreeSet<Column>, BTreeSet<Index>) {
    let Pool::Postgres(pool) = pool else {
        unreachable!()
    };
    let columns: Vec<(String, String, String, bool, bool)> = sqlx::query_as(
        "SELECT c.table_name::text, c.column_name::text, \
                CASE WHEN c.data_type IN ('bigint', 'integer', 'smallint', 'boolean') THEN 'INTEGER' \
                     WHEN c.data_type IN ('text', 'date', 'timestamp with time zone', 'jsonb') THEN 'TEXT' \
                     ELSE c.data_type END, \
                c.is_nullable = 'YES', \
                EXISTS (SELECT 1 FROM pg_index i \
                        JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) \
                        WHERE i.indisprimary AND i.indrelid = ('public.' || quote_ident(c.table_name))::regclass \
                          AND a.attname = c.column_name) \
         FROM information_schema.columns c \
         WHERE c.table_schema = 'public' AND c.table_name <> '_sqlx_migrations'",
    )
    .fetch_all(pool)
    .await
    .expect("the columns");
    let indexes: Vec<(String, bool, String)> = sqlx::query_as(
        "SELECT t.relname::text, i.indisunique, \
                (SELECT string_agg(CASE WHEN i.indkey[k - 1] = 0 THEN '(expression)' \
                                        ELSE pg_get_indexdef(i.indexrelid, k, true) END, ',' ORDER BY k) \
                   FROM generate_series(1, i.indnkeyatts) k) \
         FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         WHERE n.nspname = 'public' AND NOT i.indisprimary AND t.relname <> '_sqlx_migrations'",
    )
    .fetch_all(pool)
    .await
    .expect("the indexes");
    (columns.into_iter().collect(), indexes.into_iter().collect())
}

#[tokio::test]
async fn the_two_migrated_schemas_agree() {
    let Some((sqlite, postgres, _dir, _dropped)) = both().await else {
        return;
    };
    let (sqlite_columns, sqlite_indexes) = sqlite_schema(sqlite.dispatcher.store().reader()).await;
    let (postgres_columns, postgres_indexes) = postgres_schema(postgres.dispatcher.store().reader()).await;
    assert!(sqlite_columns.len() > 50, "{sqlite_columns:?}");
    let only = |a: &BTreeSet<Column>, b: &BTreeSet<Column>| a.difference(b).cloned().collect::<Vec<_>>();
    assert_eq!(
        (
            only(&sqlite_columns, &postgres_columns),
            only(&postgres_columns, &sqlite_columns)
        ),
        (vec![], vec![]),
        "columns only in SQLite's schema, then only in PostgreSQL's (table, column, type, nullable, key)"
    );
    assert!(!sqlite_indexes.is_empty());
    let only = |a: &BTreeSet<Index>, b: &BTreeSet<Index>| a.difference(b).cloned().collect::<Vec<_>>();
    assert_eq!(
        (
            only(&sqlite_indexes, &postgres_indexes),
            only(&postgres_indexes, &sqlite_indexes)
        ),
        (vec![], vec![]),
        "indexes only in SQLite's schema, then only in PostgreSQL's (table, unique, columns)"
    );
}

/// Names in many scripts and forms, and searches that must find the same ones on both.
const NAMES: &[&str] = &[
    "Émile Zola",
    "émilie du Châtelet",
    "Ærøskøbing Ferry",
    "ÅSA Öberg",
    "Straße Müller",
    "STRASSE Meyer",
    "Ǆemal Bijedić",
    "Σίσυφος Οδυσσέας",
    "σοφία Αθηνά",
    "Дмитрий Шостакович",
    "дмитрий Медведев",
    "İstanbul Tarık",
    "ıssız Işık",
    "東京 太郎",
    "ada lovelace",
    "Ada Byron",
    "zoë Kravitz",
    "ZOE Saldana",
    "O'Brien",
    "50% Off",
    "under_score",
];
const SEARCHES: &[&str] = &[
    "émile",
    "ÉMILE",
    "emile",
    "straße",
    "strasse",
    "σοφ",
    "ΣΟΦ",
    "дмитрий",
    "ДМИТРИЙ",
    "istanbul",
    "ı",
    "ada",
    "ZOË",
    "o'b",
    "%",
    "_",
    "東京",
];

async fn answers(kith: &Kith) -> Vec<String> {
    let store = kith.dispatcher.store();
    let mut tx = store.writer().begin().await.expect("a write transaction");
    let actor = server::accounts::create_account(tx.conn(), "Both")
        .await
        .expect("an account");
    tx.commit().await.expect("commit");
    for name in NAMES {
        let event = Event::from(ContactCreated {
            name: (*name).into(),
            description: String::new(),
            contact_method: ContactMethod::recognize(""),
        });
        match store.append(actor, &event).await.expect("the store answers") {
            Ok(_) => {}
            Err(rejection) => panic!("{name} was refused: {rejection}"),
        }
    }
    kith.dispatcher
        .run_until_caught_up()
        .await
        .expect("the projections catch up");
    let mut answers = Vec::new();
    for descending in [false, true] {
        for search in [""].iter().chain(SEARCHES) {
            let query = ListQuery {
                sort: SortKey::Name,
                descending,
                search: (*search).to_owned(),
                page: 1,
            };
            let list: ContactsView =
                server::contacts::queries::contacts(store.reader(), actor.account_id, query)
                    .await
                    .expect("the list");
            let names: Vec<&str> = list.contacts.iter().map(|c| c.name.as_str()).collect();
            answers.push(format!("descending {descending}, {search:?}: {names:?}"));
        }
    }
    answers
}

#[tokio::test]
async fn the_same_names_give_the_same_answers_on_both() {
    let Some((sqlite, postgres, _dir, _dropped)) = both().await else {
        return;
    };
    let on_sqlite = answers(&sqlite).await;
    let on_postgres = answers(&postgres).await;
    assert!(on_sqlite.iter().any(|a| a.contains("Émile Zola")));
    for (sqlite, postgres) in on_sqlite.iter().zip(&on_postgres) {
        assert_eq!(sqlite, postgres, "SQLite's answer, then PostgreSQL's");
    }
    let count = |kith: &Kith| {
        let pool = kith.dispatcher.store().reader().clone();
        async move {
            on_pool!(&pool, p => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM projected_contacts")
                .fetch_one(p)
                .await)
            .unwrap()
        }
    };
    assert_eq!(count(&sqlite).await, NAMES.len() as i64);
    assert_eq!(count(&postgres).await, NAMES.len() as i64);
}
