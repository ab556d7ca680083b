//! The shape of the tree, as far as a test can hold it: the engine knows no CRM word.

use std::path::Path;

/// The words of the CRM: none may appear in the engine, not even in its comments, so what it
/// does stays true for any application built on it.
const CRM_WORDS: &[&str] = &["contact", "interaction", "meeting", "mailer", "email", "crm"];

fn engine_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/engine"))
}

#[test]
fn the_engine_depends_on_neither_the_contract_nor_the_server() {
    let manifest = std::fs::read_to_string(engine_dir().join("Cargo.toml")).unwrap();
    let dependencies: Vec<&str> = manifest
        .split("\n[")
        .filter(|section| section.starts_with("dependencies]") || section.starts_with("dev-dependencies]"))
        .flat_map(|section| section.lines().skip(1))
        .filter_map(|line| line.split(['=', '.']).next())
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .collect();
    assert!(dependencies.contains(&"sqlx"), "read the list: {dependencies:?}");
    for crate_name in ["app", "server", "frontend"] {
        assert!(
            !dependencies.contains(&crate_name),
            "the engine depends on {crate_name}: {dependencies:?}"
        );
    }
}

#[test]
fn the_engine_names_no_crm_word() {
    let mut files = vec![engine_dir().join("src")];
    let mut read = 0;
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(
                std::fs::read_dir(&path)
                    .unwrap()
                    .map(|entry| entry.unwrap().path()),
            );
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap().to_lowercase();
        read += 1;
        for (number, line) in text.lines().enumerate() {
            for word in CRM_WORDS {
                assert!(
                    !line.contains(word),
                    "{}:{} names the CRM ({word}): {line}",
                    path.display(),
                    number + 1
                );
            }
        }
    }
    assert!(read >= 8, "the engine's sources were read ({read} files)");
}
