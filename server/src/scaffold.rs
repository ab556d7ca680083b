//! The generators behind `server new event <name>` and `server new projection <name>`: they
//! write the files a new event type or projection needs and register it, so that adding a
//! feature is one command plus the interesting code. Nothing is written unless every file can
//! be; nothing that exists is overwritten.

use std::path::{Path, PathBuf};

/// Why a generator wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    #[error("{0}")]
    Name(String),
    #[error("{path} already exists; choose another name")]
    Exists { path: PathBuf },
    #[error("{path} is not where it should be: run this from the repository's root")]
    NotARepository { path: PathBuf },
    #[error("could not find where to register it in {path}: {what}")]
    NoAnchor { path: PathBuf, what: &'static str },
    #[error("could not write {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

/// A file to create or replace, and what to put in it.
struct Change {
    path: PathBuf,
    text: String,
    new: bool,
}

/// What a generator did, for the command to print.
#[derive(Debug)]
pub struct Generated {
    pub created: Vec<PathBuf>,
    pub changed: Vec<PathBuf>,
    /// What is left to the developer: the interesting code.
    pub next_steps: Vec<String>,
}

const EVENTS_RS: &str = "app/src/events.rs";
const PROJECTIONS_RS: &str = "server/src/projections/mod.rs";
/// The migrations of each database: a schema change gets a file in both.
const SQLITE_MIGRATIONS: &str = "migrations/sqlite";
const POSTGRES_MIGRATIONS: &str = "migrations/postgres";

/// Writes the version 1 schema of the event type `name` (kebab-case, e.g. `contact-tagged`),
/// an example payload under test, its typed payload and its line in `event_types!`.
pub fn new_event(root: &Path, name: &str) -> Result<Generated, ScaffoldError> {
    if !is_kebab(name) {
        return Err(ScaffoldError::Name(format!(
            "{name:?} is not an event type name: use lower-case words joined by '-', in the past \
             tense, e.g. contact-tagged"
        )));
    }
    let type_name = camel(name, '-');
    let schema_dir = root.join("schemas").join(name);
    let events_rs = root.join(EVENTS_RS);
    let events = read(&events_rs)?;
    if schema_dir.exists() {
        return Err(ScaffoldError::Exists { path: schema_dir });
    }
    if events.contains(&format!("pub struct {type_name} ")) {
        return Err(ScaffoldError::Name(format!(
            "{EVENTS_RS} already declares {type_name}; choose another name"
        )));
    }
    let title = title(name, '-');
    let schema = format!(
        r#"{{
  "$schema": "http://json-schema.org/draft-04/schema#",
  "$id": "https://crm.invalid/schemas/{name}/v1.json",
  "title": "{title}",
  "description": "Used when an account ... (say when this event is appended)",
  "type": "object",
  "properties": {{
    "contact": {{
      "type": "string",
      "minLength": 1,
      "maxLength": 200,
      "description": "The name of the contact the event is about, as it is spelled now"
    }}
  }},
  "required": ["contact"],
  "additionalProperties": false
}}
"#
    );
    let examples = "[\n  { \"contact\": \"Bob\" }\n]\n".to_owned();
    let declaration = format!("    {type_name} => \"{name}\" v 1;\n");
    let events = insert_before_block_end(&events, "event_types! {\n", &declaration).ok_or(
        ScaffoldError::NoAnchor {
            path: events_rs.clone(),
            what: "the `event_types! {` declaration",
        },
    )?;
    let payload = format!(
        "/// {title}: say what happened. The fields are the schema's, `schemas/{name}/v1.json`.\n\
         #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]\n\
         #[serde(deny_unknown_fields)]\n\
         pub struct {type_name} {{\n    pub contact: String,\n}}\n\n"
    );
    let events =
        insert_before(&events, "/// Instants as RFC 3339", &payload).ok_or(ScaffoldError::NoAnchor {
            path: events_rs.clone(),
            what: "the payload structs (they end before `mod utc_seconds`)",
        })?;
    let changes = vec![
        Change {
            path: schema_dir.join("v1.json"),
            text: schema,
            new: true,
        },
        Change {
            path: schema_dir.join("examples/v1.json"),
            text: examples,
            new: true,
        },
        Change {
            path: events_rs,
            text: events,
            new: false,
        },
    ];
    let mut generated = write(changes)?;
    generated.next_steps = vec![
        format!("Give {name} its fields in schemas/{name}/v1.json and in `{type_name}` (app/src/events.rs)."),
        format!("Write real examples in schemas/{name}/examples/v1.json; the schema tests check them."),
        "Run `cargo build`: the compiler names each match that must say what the event means: \
         which contact it is about (Event::contact), what the command side checks \
         (server/src/contacts/guard.rs) and how a contact's history tells it (server/src/contacts/history.rs)."
            .to_owned(),
        format!("Append it from a command: `Event::from({type_name} {{ .. }})`."),
    ];
    Ok(generated)
}

/// Writes the projection `name` (snake_case, e.g. `contact_tags`): its module with a handler,
/// a migration creating `projected_<name>` for each database, its registration, and a test to
/// fill in.
pub fn new_projection(root: &Path, name: &str) -> Result<Generated, ScaffoldError> {
    let name = name.strip_prefix("projected_").unwrap_or(name);
    if !is_snake(name) {
        return Err(ScaffoldError::Name(format!(
            "{name:?} is not a projection name: use lower-case words joined by '_', e.g. contact_tags"
        )));
    }
    let table = format!("projected_{name}");
    let type_name = format!("{}Projection", camel(name, '_'));
    let module = root.join("server/src/projections").join(format!("{name}.rs"));
    let test = root.join("server/tests").join(format!("projection_{name}.rs"));
    let projections_rs = root.join(PROJECTIONS_RS);
    let registry = read(&projections_rs)?;
    for path in [&module, &test] {
        if path.exists() {
            return Err(ScaffoldError::Exists { path: path.clone() });
        }
    }
    // Each folder numbers its own migrations.
    let sqlite_migrations = root.join(SQLITE_MIGRATIONS);
    let sqlite_migration =
        sqlite_migrations.join(format!("{:04}_{table}.sql", next_migration(&sqlite_migrations)?));
    let postgres_migrations = root.join(POSTGRES_MIGRATIONS);
    let postgres_migration = postgres_migrations.join(format!(
        "{:04}_{table}.sql",
        next_migration(&postgres_migrations)?
    ));

    let handler = format!(
        r#"//! `{table}`: say what the table keeps and which page reads it.

use app::events::{{ContactCreated, ContactDeleted, Event}};

use super::Projection;
use engine::db::Conn;
use engine::on;
use crate::store::{{StoreError, StoredEvent}};

pub struct {type_name};

#[async_trait::async_trait]
impl Projection for {type_name} {{
    fn name(&self) -> &'static str {{
        "{table}"
    }}

    fn tables(&self) -> &'static [&'static str] {{
        &["{table}"]
    }}

    // Each statement runs on SQLite or PostgreSQL: `on!` compiles it for both, so write SQL
    // that both understand (see server/src/db.rs).
    async fn apply(
        &self,
        conn: Conn<'_>,
        stored: &StoredEvent,
        event: &Event,
    ) -> Result<(), StoreError> {{
        match event {{
            Event::ContactCreated(ContactCreated {{ name, .. }}) => {{
                let account_id = stored.account()?;
                on!(conn, c => sqlx::query(
                    "INSERT INTO {table} (account_id, contact_name, last_updated_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (account_id, contact_name) DO UPDATE SET last_updated_at = excluded.last_updated_at",
                )
                .bind(account_id)
                .bind(name)
                .bind(stored.created_at)
                .execute(c)
                .await
                .map(drop))?;
            }}
            Event::ContactDeleted(ContactDeleted {{ name }}) => {{
                let account_id = stored.account()?;
                on!(conn, c => sqlx::query("DELETE FROM {table} WHERE account_id = $1 AND contact_name = $2")
                    .bind(account_id)
                    .bind(name)
                    .execute(c)
                    .await
                    .map(drop))?;
            }}
            // Other events do not touch the table.
            _ => {{}}
        }}
        Ok(())
    }}
}}
"#
    );
    let header = format!(
        "-- {table}: say what the table keeps. Kept from the stream by server/src/projections/{name}.rs;\n\
         -- fill it for the events already stored with `server replay {table}`.\n"
    );
    let sqlite_sql = format!(
        "{header}\
         CREATE TABLE {table} (\n    account_id      INTEGER NOT NULL,\n    contact_name    TEXT    NOT NULL,\n    \
         last_updated_at TEXT    NOT NULL,\n    PRIMARY KEY (account_id, contact_name)\n);\n"
    );
    let postgres_sql = format!(
        "{header}\
         -- The same table as in ../sqlite: ids BIGINT, instants TIMESTAMPTZ, dates DATE, flags BOOLEAN.\n\
         CREATE TABLE {table} (\n    account_id      BIGINT      NOT NULL,\n    contact_name    TEXT        NOT NULL,\n    \
         last_updated_at TIMESTAMPTZ NOT NULL,\n    PRIMARY KEY (account_id, contact_name)\n);\n"
    );
    let test_text = format!(
        r#"//! `{table}`: what the projection keeps, and that a replay rebuilds the same rows.

mod common;

use common::{{TestDb, created, snapshot}};

#[tokio::test]
async fn the_projection_keeps_a_row_per_contact_and_a_replay_rebuilds_it() {{
    let db = TestDb::new().await;
    db.accept(db.local(), &created("Bob", "Builder")).await;
    db.dispatcher().run_until_caught_up().await.unwrap();
    let rows: Vec<String> = engine::on_pool!(db.store().reader(), p => sqlx::query_scalar(
        "SELECT contact_name FROM {table}"
    )
    .fetch_all(p)
    .await)
    .unwrap();
    assert_eq!(rows, ["Bob"]);

    let live = snapshot(&db).await;
    let projection = server::projections::all()
        .into_iter()
        .find(|p| p.name() == "{table}")
        .unwrap();
    server::replay::rebuild(db.store(), projection.as_ref(), |_| {{}})
        .await
        .unwrap();
    assert_eq!(snapshot(&db).await, live);
}}
"#
    );
    let registry = insert_module(&registry, name).ok_or(ScaffoldError::NoAnchor {
        path: projections_rs.clone(),
        what: "the `mod` lines",
    })?;
    let registration = format!("        Arc::new({name}::{type_name}),\n");
    let registry = insert_before_block_end(
        &registry,
        "pub fn all() -> Vec<Arc<dyn Projection>> {\n    vec![\n",
        &registration,
    )
    .ok_or(ScaffoldError::NoAnchor {
        path: projections_rs.clone(),
        what: "the list in `all()`",
    })?;
    let changes = vec![
        Change {
            path: module,
            text: handler,
            new: true,
        },
        Change {
            path: sqlite_migration,
            text: sqlite_sql,
            new: true,
        },
        Change {
            path: postgres_migration,
            text: postgres_sql,
            new: true,
        },
        Change {
            path: test,
            text: test_text,
            new: true,
        },
        Change {
            path: projections_rs,
            text: registry,
            new: false,
        },
    ];
    let mut generated = write(changes)?;
    generated.next_steps = vec![
        format!(
            "Give {table} the columns a page needs in both migrations (migrations/sqlite and migrations/postgres), then handle the events that fill them in server/src/projections/{name}.rs."
        ),
        format!("Say what the rows must be in server/tests/projection_{name}.rs."),
        format!(
            "Read it from the queries of the feature whose page shows it (e.g. server/src/contacts/queries.rs); on a database that has events, `server replay {table}` fills it."
        ),
    ];
    Ok(generated)
}

fn read(path: &Path) -> Result<String, ScaffoldError> {
    std::fs::read_to_string(path).map_err(|_| ScaffoldError::NotARepository {
        path: path.to_owned(),
    })
}

/// Writes every change, or none when one would overwrite a file.
fn write(changes: Vec<Change>) -> Result<Generated, ScaffoldError> {
    if let Some(existing) = changes.iter().find(|c| c.new && c.path.exists()) {
        return Err(ScaffoldError::Exists {
            path: existing.path.clone(),
        });
    }
    let mut generated = Generated {
        created: Vec::new(),
        changed: Vec::new(),
        next_steps: Vec::new(),
    };
    for change in changes {
        let io = |source| ScaffoldError::Io {
            path: change.path.clone(),
            source,
        };
        if let Some(dir) = change.path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        std::fs::write(&change.path, &change.text).map_err(io)?;
        if change.new {
            generated.created.push(change.path);
        } else {
            generated.changed.push(change.path);
        }
    }
    Ok(generated)
}

/// The number of the next migration in `dir` (`0009_...sql` makes it 10).
fn next_migration(dir: &Path) -> Result<u32, ScaffoldError> {
    let entries =
        std::fs::read_dir(dir).map_err(|_| ScaffoldError::NotARepository { path: dir.to_owned() })?;
    let last = entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.split('_').next()?.parse::<u32>().ok())
        .max()
        .unwrap_or(0);
    Ok(last + 1)
}

/// `text` with `line` added as the last line of the block that `opening` starts (the block
/// ends at the first line after it that closes it at the opening's indentation).
fn insert_before_block_end(text: &str, opening: &str, line: &str) -> Option<String> {
    let start = text.find(opening)? + opening.len();
    // The block closes at the indentation of the line that opens it.
    let opening_line = text[..start].trim_end_matches('\n').rsplit('\n').next()?;
    let close_indent = &opening_line[..opening_line.len() - opening_line.trim_start_matches(' ').len()];
    let mut at = start;
    for l in text[start..].split_inclusive('\n') {
        let trimmed = l.trim_end();
        if trimmed.starts_with(close_indent) && trimmed[close_indent.len()..].starts_with(['}', ']']) {
            return Some(format!("{}{line}{}", &text[..at], &text[at..]));
        }
        at += l.len();
    }
    None
}

fn insert_before(text: &str, anchor: &str, insert: &str) -> Option<String> {
    let at = text.find(anchor)?;
    Some(format!("{}{insert}{}", &text[..at], &text[at..]))
}

/// Adds `mod name;` among the module's `mod` lines, in order.
fn insert_module(text: &str, name: &str) -> Option<String> {
    let line = format!("mod {name};\n");
    let mut offset = 0;
    let mut last_mod_end = None;
    for l in text.split_inclusive('\n') {
        if l.starts_with("mod ") {
            if l > line.as_str() {
                return Some(format!("{}{line}{}", &text[..offset], &text[offset..]));
            }
            last_mod_end = Some(offset + l.len());
        }
        offset += l.len();
    }
    // No `mod` lines yet: after the module's doc comment.
    let at = last_mod_end.or_else(|| {
        let docs: usize = text
            .split_inclusive('\n')
            .take_while(|l| l.starts_with("//!"))
            .map(str::len)
            .sum();
        (docs > 0).then_some(docs)
    })?;
    let line = if last_mod_end.is_none() {
        format!("\n{line}")
    } else {
        line
    };
    Some(format!("{}{line}{}", &text[..at], &text[at..]))
}

fn is_kebab(name: &str) -> bool {
    !name.is_empty()
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('-')
        && !name.contains("--")
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn is_snake(name: &str) -> bool {
    !name.is_empty()
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('_')
        && !name.contains("__")
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn capitalized_words(name: &str, separator: char) -> impl Iterator<Item = String> {
    name.split(separator).map(|word| {
        let mut chars = word.chars();
        chars
            .next()
            .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
            .unwrap_or_default()
    })
}

/// `contact-tagged` becomes `ContactTagged`.
fn camel(name: &str, separator: char) -> String {
    capitalized_words(name, separator).collect()
}

/// `contact-tagged` becomes `Contact Tagged`.
fn title(name: &str, separator: char) -> String {
    capitalized_words(name, separator).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_and_turned_into_rust_names() {
        assert!(is_kebab("contact-tagged") && !is_kebab("Contact-Tagged") && !is_kebab("tagged-"));
        assert!(is_snake("contact_tags") && !is_snake("contact-tags") && !is_snake("_x"));
        assert_eq!(camel("contact-tagged", '-'), "ContactTagged");
        assert_eq!(title("contact-tagged", '-'), "Contact Tagged");
        assert_eq!(camel("contact_tags", '_'), "ContactTags");
    }

    #[test]
    fn a_line_goes_at_the_end_of_its_block_and_a_module_in_order() {
        let text = "a! {\n    One;\n    Two;\n}\n\nfn b() {}\n";
        assert_eq!(
            insert_before_block_end(text, "a! {\n", "    Three;\n").unwrap(),
            "a! {\n    One;\n    Two;\n    Three;\n}\n\nfn b() {}\n"
        );
        let list = "pub fn all() -> Vec<X> {\n    vec![\n        Arc::new(A),\n    ]\n}\n";
        assert_eq!(
            insert_before_block_end(
                list,
                "pub fn all() -> Vec<X> {\n    vec![\n",
                "        Arc::new(B),\n"
            )
            .unwrap(),
            "pub fn all() -> Vec<X> {\n    vec![\n        Arc::new(A),\n        Arc::new(B),\n    ]\n}\n"
        );
        let mods = "//! doc\n\nmod accounts;\nmod contacts;\n\nuse x;\n";
        assert_eq!(
            insert_module(mods, "birthdays").unwrap(),
            "//! doc\n\nmod accounts;\nmod birthdays;\nmod contacts;\n\nuse x;\n"
        );
        assert_eq!(
            insert_module(mods, "tags").unwrap(),
            "//! doc\n\nmod accounts;\nmod contacts;\nmod tags;\n\nuse x;\n"
        );
    }
}
