//! The generators behind `server new event <name>` and `server new projection <name>`: they
//! write the new files an event type or a projection needs from the templates in
//! `server/templates/`, and say which lines register them in the files that exist (they edit
//! no existing file). Nothing is written unless every file can be; nothing is overwritten.
//!
//! A template is a working file for an example called "kith template": the projection's
//! template is compiled and run by the integration tests (`templates.rs`), so a generated
//! projection starts out building and keeping its table.

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
    #[error("could not write {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

/// What a generator did, for the command to print.
#[derive(Debug)]
pub struct Generated {
    pub created: Vec<PathBuf>,
    /// The lines that register the new code, each with the file it goes into.
    pub register: Vec<(PathBuf, String)>,
    /// What is left to the developer: the interesting code.
    pub next_steps: Vec<String>,
}

/// The templates, with the names they are written for.
pub mod templates {
    pub const EVENT_SCHEMA: &str = include_str!("../templates/event/schema.json");
    pub const EVENT_EXAMPLE: &str = include_str!("../templates/event/example.json");
    pub const EVENT_PAYLOAD: &str = include_str!("../templates/event/payload.rs");
    pub const EVENT_DECLARATION: &str = include_str!("../templates/event/declaration.rs");
    pub const PROJECTION: &str = include_str!("../templates/projection/projection.rs");
    pub const PROJECTION_FEATURE: &str = include_str!("../templates/projection/mod.rs");
    pub const PROJECTION_SQLITE: &str = include_str!("../templates/projection/sqlite.sql");
    pub const PROJECTION_POSTGRES: &str = include_str!("../templates/projection/postgres.sql");
    pub const PROJECTION_TEST: &str = include_str!("../templates/projection/test.rs");
}

/// The example's name in each spelling the templates use, and the feature folder's.
const KEBAB: &str = "kith-template";
const SNAKE: &str = "kith_template";
const CAMEL: &str = "KithTemplate";
const TITLE: &str = "Kith Template";
const FEATURE: &str = "kith_feature";

const EVENTS_RS: &str = "app/src/events.rs";
const PROJECTIONS_RS: &str = "server/src/projections/mod.rs";
const LIB_RS: &str = "server/src/lib.rs";
const INTEGRATION_TESTS: &str = "server/tests/integration";
/// The migrations of each database: a schema change gets a file in both.
const SQLITE_MIGRATIONS: &str = "migrations/sqlite";
const POSTGRES_MIGRATIONS: &str = "migrations/postgres";

/// A name in each of its spellings, put in place of the example's.
struct Names {
    kebab: String,
    snake: String,
    camel: String,
    title: String,
    feature: String,
}

impl Names {
    fn of(words: &[&str], feature: &str) -> Self {
        let capitalized: Vec<String> = words.iter().map(|w| capitalized(w)).collect();
        Self {
            kebab: words.join("-"),
            snake: words.join("_"),
            camel: capitalized.concat(),
            title: capitalized.join(" "),
            feature: feature.to_owned(),
        }
    }

    /// `template` written for these names.
    fn fill(&self, template: &str) -> String {
        template
            .replace(KEBAB, &self.kebab)
            .replace(SNAKE, &self.snake)
            .replace(CAMEL, &self.camel)
            .replace(TITLE, &self.title)
            .replace(FEATURE, &self.feature)
    }
}

/// Writes the version 1 schema of the event type `name` (kebab-case, e.g. `contact-tagged`)
/// and an example payload under test, and says how to declare its typed payload.
pub fn new_event(root: &Path, name: &str) -> Result<Generated, ScaffoldError> {
    if !is_name(name, '-') {
        return Err(ScaffoldError::Name(format!(
            "{name:?} is not an event type name: use lower-case words joined by '-', in the past \
             tense, e.g. contact-tagged"
        )));
    }
    let names = Names::of(&name.split('-').collect::<Vec<_>>(), "");
    let events_rs = root.join(EVENTS_RS);
    let events = read(&events_rs)?;
    if events.contains(&format!("pub struct {} ", names.camel)) {
        return Err(ScaffoldError::Name(format!(
            "{EVENTS_RS} already declares {}; choose another name",
            names.camel
        )));
    }
    let schema_dir = root.join("schemas").join(name);
    let created = write(vec![
        (schema_dir.join("v1.json"), names.fill(templates::EVENT_SCHEMA)),
        (
            schema_dir.join("examples/v1.json"),
            names.fill(templates::EVENT_EXAMPLE),
        ),
    ])?;
    let camel = &names.camel;
    Ok(Generated {
        created,
        register: vec![
            (
                PathBuf::from(format!("{EVENTS_RS}, in event_types!")),
                names.fill(templates::EVENT_DECLARATION),
            ),
            (
                PathBuf::from(format!("{EVENTS_RS}, among the payloads")),
                names.fill(templates::EVENT_PAYLOAD),
            ),
        ],
        next_steps: vec![
            format!("Give {name} its fields in schemas/{name}/v1.json and in `{camel}`."),
            format!("Write real examples in schemas/{name}/examples/v1.json; the schema tests check them."),
            "Run `cargo build`: the compiler names each match that must say what the event means: \
             which contact it is about (Event::contact), what the command side checks \
             (server/src/contacts/guard.rs) and how a contact's history tells it \
             (server/src/contacts/history.rs)."
                .to_owned(),
            format!("Append it from a command: `Event::from({camel} {{ .. }})`."),
        ],
    })
}

/// Writes the projection `name` (snake_case, e.g. `contact_tags`, its table
/// `projected_contact_tags`) into the feature folder `feature` (`server/src/<feature>/`, made
/// when new): its module with a handler, a migration for each database and a test.
pub fn new_projection(root: &Path, name: &str, feature: Option<&str>) -> Result<Generated, ScaffoldError> {
    let name = name.strip_prefix("projected_").unwrap_or(name);
    let feature = feature.unwrap_or(name);
    for (what, given) in [("projection", name), ("feature folder", feature)] {
        if !is_name(given, '_') {
            return Err(ScaffoldError::Name(format!(
                "{given:?} is not a {what} name: use lower-case words joined by '_', e.g. contact_tags"
            )));
        }
    }
    let names = Names::of(&name.split('_').collect::<Vec<_>>(), feature);
    let lib_rs = read(&root.join(LIB_RS))?;
    read(&root.join(PROJECTIONS_RS))?;
    let sqlite_migration = migration(root, SQLITE_MIGRATIONS, name)?;
    let postgres_migration = migration(root, POSTGRES_MIGRATIONS, name)?;

    let folder = root.join("server/src").join(feature);
    let new_feature = !lib_rs.contains(&format!("pub mod {feature};"));
    let (module, module_path) = if new_feature {
        ("projection".to_owned(), folder.join("projection.rs"))
    } else {
        (name.to_owned(), folder.join(format!("{name}.rs")))
    };
    let test = format!("projection_{name}");
    let mut files = vec![
        (module_path, names.fill(templates::PROJECTION)),
        (sqlite_migration, names.fill(templates::PROJECTION_SQLITE)),
        (postgres_migration, names.fill(templates::PROJECTION_POSTGRES)),
        (
            root.join(INTEGRATION_TESTS).join(format!("{test}.rs")),
            names.fill(templates::PROJECTION_TEST),
        ),
    ];
    let mut register = Vec::new();
    if new_feature {
        files.push((folder.join("mod.rs"), names.fill(templates::PROJECTION_FEATURE)));
        register.push((PathBuf::from(LIB_RS), format!("pub mod {feature};\n")));
    } else {
        register.push((
            PathBuf::from(format!("server/src/{feature}/mod.rs")),
            format!("pub mod {name};\n"),
        ));
    }
    let type_name = format!("{}Projection", names.camel);
    register.push((
        PathBuf::from(format!("{PROJECTIONS_RS}, in all()")),
        format!("        Arc::new(crate::{feature}::{module}::{type_name}),\n"),
    ));
    register.push((
        PathBuf::from(format!("{INTEGRATION_TESTS}/main.rs")),
        format!("mod {test};\n"),
    ));
    let created = write(files)?;
    let table = format!("projected_{name}");
    Ok(Generated {
        created,
        register,
        next_steps: vec![
            format!(
                "Give {table} the columns a page needs in both migrations, then handle the events \
                 that fill them in server/src/{feature}/{module}.rs."
            ),
            format!("Say what the rows must be in {INTEGRATION_TESTS}/{test}.rs."),
            format!(
                "Read it from the feature's queries (server/src/{feature}/); on a database that \
                 has events, `server replay {table}` fills it."
            ),
        ],
    })
}

fn read(path: &Path) -> Result<String, ScaffoldError> {
    std::fs::read_to_string(path).map_err(|_| ScaffoldError::NotARepository {
        path: path.to_owned(),
    })
}

/// Writes every file, or none when one exists.
fn write(files: Vec<(PathBuf, String)>) -> Result<Vec<PathBuf>, ScaffoldError> {
    if let Some((existing, _)) = files.iter().find(|(path, _)| path.exists()) {
        return Err(ScaffoldError::Exists {
            path: existing.clone(),
        });
    }
    let mut created = Vec::new();
    for (path, text) in files {
        let io = |source| ScaffoldError::Io {
            path: path.clone(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        std::fs::write(&path, text).map_err(io)?;
        created.push(path);
    }
    Ok(created)
}

/// The path of the next migration in `dir` that creates `projected_<name>` (after
/// `0009_...sql` comes `0010_...`); each folder numbers its own.
fn migration(root: &Path, dir: &str, name: &str) -> Result<PathBuf, ScaffoldError> {
    let dir = root.join(dir);
    let entries = std::fs::read_dir(&dir).map_err(|_| ScaffoldError::NotARepository { path: dir.clone() })?;
    let last = entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.split('_').next()?.parse::<u32>().ok())
        .max()
        .unwrap_or(0);
    Ok(dir.join(format!("{:04}_projected_{name}.sql", last + 1)))
}

/// Lower-case ASCII words joined by `separator`, starting with a letter.
fn is_name(name: &str, separator: char) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.split(separator).all(|word| {
            !word.is_empty() && word.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_and_spelled_each_way() {
        assert!(
            is_name("contact-tagged", '-') && !is_name("Contact-Tagged", '-') && !is_name("tagged-", '-')
        );
        assert!(is_name("contact_tags", '_') && !is_name("contact-tags", '_') && !is_name("_x", '_'));
        assert!(!is_name("a__b", '_') && !is_name("", '_') && !is_name("1a", '_'));
        let names = Names::of(&["contact", "tagged"], "contacts");
        assert_eq!(
            names.fill("kith-template kith_template KithTemplate Kith Template kith_feature"),
            "contact-tagged contact_tagged ContactTagged Contact Tagged contacts"
        );
    }

    #[test]
    fn every_template_is_filled_entirely() {
        let names = Names::of(&["contact", "tags"], "contacts");
        for template in [
            templates::EVENT_SCHEMA,
            templates::EVENT_EXAMPLE,
            templates::EVENT_PAYLOAD,
            templates::EVENT_DECLARATION,
            templates::PROJECTION,
            templates::PROJECTION_FEATURE,
            templates::PROJECTION_SQLITE,
            templates::PROJECTION_POSTGRES,
            templates::PROJECTION_TEST,
        ] {
            let filled = names.fill(template);
            assert!(
                !filled.to_lowercase().contains("kith template")
                    && !filled.contains("kith_")
                    && !filled.contains("kith-")
                    && !filled.contains("Kith"),
                "{filled}"
            );
        }
    }
}
