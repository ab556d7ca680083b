//! The generators: `server new event` and `server new projection` write their new files from
//! the templates into a copy of the repository, say how to register them, edit no existing
//! file, refuse bad names and never overwrite.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use server::scaffold::{self, ScaffoldError};

/// A copy of the parts of the repository the generators read.
fn repository_copy() -> (tempfile::TempDir, PathBuf) {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_owned();
    for file in [
        "app/src/events.rs",
        "server/src/projections/mod.rs",
        "server/src/lib.rs",
        "server/src/contacts/mod.rs",
    ] {
        std::fs::create_dir_all(root.join(file).parent().unwrap()).unwrap();
        std::fs::copy(source.join(file), root.join(file)).unwrap();
    }
    for backend in ["migrations/sqlite", "migrations/postgres"] {
        std::fs::create_dir_all(root.join(backend)).unwrap();
        for migration in std::fs::read_dir(source.join(backend)).unwrap() {
            let migration = migration.unwrap();
            std::fs::copy(migration.path(), root.join(backend).join(migration.file_name())).unwrap();
        }
    }
    (dir, root)
}

/// Every file under `root`, with its text.
fn tree(root: &Path) -> BTreeMap<PathBuf, String> {
    let mut files = BTreeMap::new();
    let mut folders = vec![root.to_owned()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else {
                let text = std::fs::read_to_string(&path).unwrap();
                files.insert(path.strip_prefix(root).unwrap().to_owned(), text);
            }
        }
    }
    files
}

fn read(root: &Path, file: &str) -> String {
    std::fs::read_to_string(root.join(file)).unwrap()
}

/// The files that are new in `after`; fails if a file of `before` changed or went.
fn new_files(before: &BTreeMap<PathBuf, String>, after: &BTreeMap<PathBuf, String>) -> Vec<PathBuf> {
    for (path, text) in before {
        assert_eq!(after.get(path), Some(text), "{} changed", path.display());
    }
    after
        .keys()
        .filter(|p| !before.contains_key(*p))
        .cloned()
        .collect()
}

#[test]
fn a_new_event_gets_a_schema_and_an_example_and_is_told_how_to_declare_its_payload() {
    let (_dir, root) = repository_copy();
    let before = tree(&root);
    let generated = scaffold::new_event(&root, "contact-tagged").unwrap();
    assert_eq!(
        new_files(&before, &tree(&root)),
        [
            PathBuf::from("schemas/contact-tagged/examples/v1.json"),
            PathBuf::from("schemas/contact-tagged/v1.json"),
        ]
    );
    assert_eq!(generated.created.len(), 2);
    let schema: serde_json::Value =
        serde_json::from_str(&read(&root, "schemas/contact-tagged/v1.json")).unwrap();
    assert_eq!(
        schema["$id"],
        "https://crm.invalid/schemas/contact-tagged/v1.json"
    );
    assert_eq!(schema["title"], "Contact Tagged");
    let examples: Vec<serde_json::Value> =
        serde_json::from_str(&read(&root, "schemas/contact-tagged/examples/v1.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    assert!(!examples.is_empty() && examples.iter().all(|e| validator.is_valid(e)));

    let lines: Vec<&str> = generated.register.iter().map(|(_, line)| line.as_str()).collect();
    assert_eq!(lines[0], "    ContactTagged => \"contact-tagged\" v 1;\n");
    assert!(
        lines[1].contains("pub struct ContactTagged {\n    pub contact: String,\n}"),
        "{}",
        lines[1]
    );
    assert!(
        generated
            .register
            .iter()
            .all(|(file, _)| file.to_string_lossy().starts_with("app/src/events.rs, "))
    );
    assert!(!generated.next_steps.is_empty());

    // A second time, nothing is overwritten.
    let written = tree(&root);
    let again = scaffold::new_event(&root, "contact-tagged").unwrap_err();
    assert!(matches!(again, ScaffoldError::Exists { .. }), "{again}");
    assert_eq!(tree(&root), written);
    let bad = scaffold::new_event(&root, "Contact Tagged").unwrap_err();
    assert!(bad.to_string().contains("lower-case"), "{bad}");
    let taken = scaffold::new_event(&root, "contact-created").unwrap_err();
    assert!(
        taken.to_string().contains("already declares ContactCreated"),
        "{taken}"
    );
}

#[test]
fn a_new_projection_gets_a_feature_folder_migrations_and_a_test() {
    let (_dir, root) = repository_copy();
    let before = tree(&root);
    let generated = scaffold::new_projection(&root, "contact_tags", None).unwrap();
    let new = new_files(&before, &tree(&root));
    let names: Vec<String> = new.iter().map(|p| p.display().to_string()).collect();
    assert_eq!(names.len(), 5, "{names:?}");
    assert!(
        names.contains(&"server/src/contact_tags/mod.rs".to_owned()),
        "{names:?}"
    );
    assert!(names.contains(&"server/tests/integration/projection_contact_tags.rs".to_owned()));
    let module = read(&root, "server/src/contact_tags/projection.rs");
    assert!(module.contains("pub struct ContactTagsProjection;"));
    assert!(module.contains("\"projected_contact_tags\""));
    for backend in ["sqlite", "postgres"] {
        let migration = names
            .iter()
            .find(|n| n.starts_with(&format!("migrations/{backend}/")))
            .unwrap_or_else(|| panic!("a {backend} migration: {names:?}"));
        let number: u32 = migration[format!("migrations/{backend}/").len()..][..4]
            .parse()
            .unwrap();
        let newest_before = before
            .keys()
            .filter_map(|p| p.strip_prefix(format!("migrations/{backend}")).ok())
            .filter_map(|p| p.to_str()?[..4].parse::<u32>().ok())
            .max()
            .unwrap();
        assert_eq!(number, newest_before + 1, "{migration}");
        assert!(migration.ends_with("_projected_contact_tags.sql"));
        assert!(read(&root, migration).contains("CREATE TABLE projected_contact_tags"));
    }
    let register: Vec<(String, &str)> = generated
        .register
        .iter()
        .map(|(file, line)| (file.display().to_string(), line.as_str()))
        .collect();
    assert_eq!(
        register,
        [
            ("server/src/lib.rs".to_owned(), "pub mod contact_tags;\n"),
            (
                "server/src/projections/mod.rs, in all()".to_owned(),
                "        Arc::new(crate::contact_tags::projection::ContactTagsProjection),\n"
            ),
            (
                "server/tests/integration/main.rs".to_owned(),
                "mod projection_contact_tags;\n"
            ),
        ]
    );

    let written = tree(&root);
    let again = scaffold::new_projection(&root, "projected_contact_tags", None).unwrap_err();
    assert!(matches!(again, ScaffoldError::Exists { .. }), "{again}");
    assert_eq!(tree(&root), written);
    let bad = scaffold::new_projection(&root, "contact-tags", None).unwrap_err();
    assert!(matches!(bad, ScaffoldError::Name(_)), "{bad}");
}

#[test]
fn a_projection_can_join_an_existing_feature_folder() {
    let (_dir, root) = repository_copy();
    let before = tree(&root);
    let generated = scaffold::new_projection(&root, "contact_tags", Some("contacts")).unwrap();
    let new = new_files(&before, &tree(&root));
    assert!(
        new.contains(&PathBuf::from("server/src/contacts/contact_tags.rs")),
        "{new:?}"
    );
    assert!(!new.iter().any(|p| p.ends_with("mod.rs")), "{new:?}");
    assert_eq!(
        generated.register[0],
        (
            PathBuf::from("server/src/contacts/mod.rs"),
            "pub mod contact_tags;\n".to_owned()
        )
    );
    assert!(
        generated.register[1]
            .1
            .contains("crate::contacts::contact_tags::ContactTagsProjection")
    );
}

#[test]
fn outside_the_repository_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let refused = scaffold::new_event(dir.path(), "contact-tagged").unwrap_err();
    assert!(
        matches!(refused, ScaffoldError::NotARepository { .. }),
        "{refused}"
    );
    let refused = scaffold::new_projection(dir.path(), "contact_tags", None).unwrap_err();
    assert!(
        matches!(refused, ScaffoldError::NotARepository { .. }),
        "{refused}"
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
