//! Tidy checks, in the spirit of rust-analyzer's `tidy.rs`: the prose and the tree stay
//! together. Every Rust file says its job in a `//!` line; ARCHITECTURE.md names only files
//! that exist and describes every crate; crates depend on each other through
//! `[workspace.dependencies]`; the root `sample_data.sql` is the one novi-client embeds.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::{
    fs,
    path::{Path, PathBuf},
};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

/// Every file under `dir`, skipping build output, version control and dependencies.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                if !["target", ".git", "node_modules", "corpus", "artifacts"]
                    .contains(&name.as_str())
                {
                    stack.push(path);
                }
            } else {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// The workspace members, read from the root `Cargo.toml`.
fn members() -> Vec<String> {
    let manifest = fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let list = manifest
        .split("members = [")
        .nth(1)
        .and_then(|rest| rest.split(']').next())
        .unwrap();
    list.split(',')
        .map(|m| m.trim().trim_matches('"').to_owned())
        .filter(|m| !m.is_empty())
        .collect()
}

#[test]
fn every_rust_file_starts_with_its_job() {
    let missing: Vec<String> = files(&root())
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .filter(|p| {
            let text = fs::read_to_string(p).unwrap();
            !text.starts_with("//!")
        })
        .map(|p| p.strip_prefix(root()).unwrap().display().to_string())
        .collect();
    assert!(
        missing.is_empty(),
        "these files do not start with a `//!` line saying their job: {missing:#?}"
    );
}

/// Whether some file or directory's path ends with the components of `name`.
fn exists_under(files: &[PathBuf], base: &Path, name: &str) -> bool {
    let wanted: Vec<&str> = name.trim_end_matches('/').split('/').collect();
    let dir = name.ends_with('/');
    files.iter().any(|file| {
        let Ok(relative) = file.strip_prefix(base) else {
            return false;
        };
        let components: Vec<String> = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        // A directory matches through any file inside it.
        let candidates = if dir {
            (1..components.len())
                .map(|end| &components[..end])
                .collect::<Vec<_>>()
        } else {
            vec![&components[..]]
        };
        candidates
            .iter()
            .any(|c| c.len() >= wanted.len() && c[c.len() - wanted.len()..] == wanted[..])
    })
}

/// A backquoted token that names a file or directory of the repository.
fn is_path(token: &str) -> bool {
    let extensions = [
        ".rs", ".sql", ".yaml", ".toml", ".md", ".json", ".py", ".sh",
    ];
    !token.starts_with('/')
        && !token.contains(['<', '…', '*', ' ', '{'])
        && (extensions.iter().any(|e| token.ends_with(e)) || token.contains('/'))
}

#[test]
fn architecture_names_files_that_exist_and_every_crate() {
    let root = root();
    let all = files(&root);
    let text = fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    let mut crate_dir: Option<PathBuf> = None;
    let mut headings = Vec::new();
    let mut wrong = Vec::new();
    for line in text.lines() {
        if let Some(heading) = line.strip_prefix("### `") {
            let name = heading.split('`').next().unwrap_or_default();
            headings.push(name.trim_end_matches('/').to_owned());
            crate_dir = Some(root.join(name)).filter(|dir| dir.is_dir());
            continue;
        }
        if line.starts_with("## ") {
            crate_dir = None;
        }
        for (i, token) in line.split('`').enumerate() {
            if i % 2 == 0 || !is_path(token) {
                continue;
            }
            // Under a crate's heading a file is the crate's; elsewhere, anywhere.
            let found = match &crate_dir {
                Some(dir) => {
                    exists_under(&all, dir, token)
                        || exists_under(&all, &root, token) && token.contains('/')
                }
                None => exists_under(&all, &root, token),
            };
            if !found {
                wrong.push(format!("{token} (in: {line})"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "ARCHITECTURE.md names files that do not exist: {wrong:#?}"
    );
    let undescribed: Vec<String> = members()
        .into_iter()
        .filter(|member| !headings.contains(member))
        .collect();
    assert!(
        undescribed.is_empty(),
        "ARCHITECTURE.md has no `### `name`` section for {undescribed:?}"
    );
}

#[test]
fn every_crate_says_what_it_is_and_the_readme_lists_it() {
    let root = root();
    let readme = fs::read_to_string(root.join("README.md")).unwrap();
    for member in members() {
        let manifest = fs::read_to_string(root.join(&member).join("Cargo.toml")).unwrap();
        let description = manifest
            .lines()
            .find_map(|line| line.strip_prefix("description = "))
            .unwrap_or_else(|| panic!("{member}/Cargo.toml has no description"));
        assert!(description.len() > 20, "{member}: {description}");
        let name = manifest
            .lines()
            .find_map(|line| line.strip_prefix("name = "))
            .unwrap()
            .trim_matches('"');
        let listed = readme.contains(&format!("| `{name}` |"))
            || readme.contains(&format!("| `{member}/` (`{name}`) |"));
        assert!(listed, "README.md's table of crates does not list {name}");
    }
}

#[test]
fn internal_dependencies_come_from_the_workspace() {
    let root = root();
    let mut wrong = Vec::new();
    for member in members() {
        let manifest = fs::read_to_string(root.join(&member).join("Cargo.toml")).unwrap();
        let mut in_dependencies = false;
        for line in manifest.lines() {
            if line.starts_with('[') {
                in_dependencies = line.contains("dependencies");
                continue;
            }
            if in_dependencies
                && line.starts_with("novi-")
                && !line.contains(".workspace = true")
                && !line.contains("workspace = true")
            {
                wrong.push(format!("{member}: {line}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "these dependencies on Novi's crates bypass [workspace.dependencies]: {wrong:#?}"
    );
}

#[test]
fn the_sample_data_at_the_root_is_the_one_novi_client_embeds() {
    let root = root();
    assert_eq!(
        fs::read_to_string(root.join("sample_data.sql")).unwrap(),
        novi_client::SAMPLE_DATA,
        "copy novi-client/sample_data.sql to the root (or the other way)"
    );
}
