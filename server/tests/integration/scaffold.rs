//! The generators: `server new event` and `server new projection` write their files and
//! registrations into a copy of the repository, refuse bad names and never overwrite.

use std::path::{Path, PathBuf};

use server::scaffold::{self, ScaffoldError};

/// A copy of the parts of the repository the generators read and change.
fn repository_copy() -> (tempfile::TempDir, PathBuf) {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_owned();
    for file in ["app/src/events.rs", "server/src/projections/mod.rs"] {
        std::fs::create_dir_all(root.join(file).parent().unwrap()).unwrap();
        std::fs::copy(source.join(file), root.join(file)).unwrap();
    }
    for folder in [
        "migrations/sqlite",
        "migrations/postgres",
        "schemas",
        "server/tests",
    ] {
        std::fs::create_dir_all(root.join(folder)).unwrap();
    }
    for backend in ["migrations/sqlite", "migrations/postgres"] {
        for migration in std::fs::read_dir(source.join(backend)).unwrap() {
            let migration = migration.unwrap();
            std::fs::copy(migration.path(), root.join(backend).join(migration.file_name())).unwrap();
        }
    }
    (dir, root)
}

fn read(root: &Path, file: &str) -> String {
    std::fs::read_to_string(root.join(file)).unwrap()
}

#[test]
fn a_new_event_gets_a_schema_an_example_a_payload_and_a_declaration() {
    let (_dir, root) = repository_copy();
    let before = read(&root, "app/src/events.rs");
    let generated = scaffold::new_event(&root, "contact-tagged").unwrap();
    assert_eq!(generated.created.len(), 2);
    let schema: serde_json::Value =
        serde_json::from_str(&read(&root, "schemas/contact-tagged/v1.json")).unwrap();
    assert_eq!(
        schema["$id"],
        "https://crm.invalid/schemas/contact-tagged/v1.json"
    );
    let examples: Vec<serde_json::Value> =
        serde_json::from_str(&read(&root, "schemas/contact-tagged/examples/v1.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    assert!(
        examples.iter().all(|e| validator.is_valid(e)),
        "the example fits the schema"
    );

    let events = read(&root, "app/src/events.rs");
    let declaration = events
        .find("    ContactTagged => \"contact-tagged\" v 1;\n}")
        .expect("declared last");
    let block = events.find("event_types! {\n").unwrap();
    assert!(declaration > block);
    assert!(events.contains("pub struct ContactTagged {\n    pub contact: String,\n}"));
    let payload_start = events.find("/// Contact Tagged: say what happened.").unwrap();
    let payload_end = payload_start + events[payload_start..].find("}\n\n").unwrap() + 3;
    let mut without = events.clone();
    without.replace_range(payload_start..payload_end, "");
    assert_eq!(
        without.replacen("    ContactTagged => \"contact-tagged\" v 1;\n", "", 1),
        before,
        "nothing else in events.rs changed"
    );
    assert!(!generated.next_steps.is_empty());

    // A second time, nothing is overwritten.
    let again = scaffold::new_event(&root, "contact-tagged").unwrap_err();
    assert!(matches!(again, ScaffoldError::Exists { .. }), "{again}");
    assert_eq!(read(&root, "app/src/events.rs"), events);
    let bad = scaffold::new_event(&root, "Contact Tagged").unwrap_err();
    assert!(
        bad.to_string().contains("kebab") || bad.to_string().contains("lower-case"),
        "{bad}"
    );
}

#[test]
fn a_new_projection_gets_a_module_a_migration_a_registration_and_a_test() {
    let (_dir, root) = repository_copy();
    let migrations_before = std::fs::read_dir(root.join("migrations/sqlite")).unwrap().count();
    let generated = scaffold::new_projection(&root, "contact_tags").unwrap();
    assert_eq!(generated.created.len(), 4, "{:?}", generated.created);
    let module = read(&root, "server/src/projections/contact_tags.rs");
    assert!(module.contains("pub struct ContactTagsProjection;"));
    assert!(module.contains("\"projected_contact_tags\""));
    let registry = read(&root, "server/src/projections/mod.rs");
    assert!(registry.contains("\nmod contact_tags;\n"), "{registry}");
    assert!(
        registry.contains("        Arc::new(contact_tags::ContactTagsProjection),\n    ]"),
        "{registry}"
    );
    let migrations: Vec<String> = std::fs::read_dir(root.join("migrations/sqlite"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(migrations.len(), migrations_before + 1);
    let newest = migrations.iter().max().unwrap();
    assert!(newest.ends_with("_projected_contact_tags.sql"), "{newest}");
    assert!(
        read(&root, &format!("migrations/sqlite/{newest}")).contains("CREATE TABLE projected_contact_tags")
    );
    let postgres: Vec<String> = std::fs::read_dir(root.join("migrations/postgres"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    let newest = postgres.iter().max().unwrap();
    assert!(
        read(&root, &format!("migrations/postgres/{newest}")).contains("CREATE TABLE projected_contact_tags"),
        "the PostgreSQL schema gets the table too: {newest}"
    );
    assert!(read(&root, "server/tests/projection_contact_tags.rs").contains("#[tokio::test]"));

    let again = scaffold::new_projection(&root, "projected_contact_tags").unwrap_err();
    assert!(matches!(again, ScaffoldError::Exists { .. }), "{again}");
    let bad = scaffold::new_projection(&root, "contact-tags").unwrap_err();
    assert!(matches!(bad, ScaffoldError::Name(_)), "{bad}");
}

#[test]
fn outside_the_repository_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let refused = scaffold::new_event(dir.path(), "contact-tagged").unwrap_err();
    assert!(
        matches!(refused, ScaffoldError::NotARepository { .. }),
        "{refused}"
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
