//! `agentlock init`: scaffolds a repository that passes `verify`, from the templates in
//! `src/init/`, and never overwrites a file.
//!
//! The templates are a small but complete system (a router, an assistant and a reviewer with a
//! bounded loop, one MCP server, two pinned models, a deploy plan, the three kinds of golden
//! dataset, CODEOWNERS). Three placeholders are filled in: `{{project}}` (the directory's name),
//! `{{today}}` (the kill switch's `tested_on`) and `{{dataset_version}}` (`YYYY.MM`). The
//! lockfile is computed from the written files last.

use crate::lock::{LOCKFILE, Lock};
use crate::snapshot::{RepoPath, Worktree};
use std::path::Path;

/// A template: its path in the new repository and its text.
const TEMPLATES: &[(&str, &str)] = &[
    ("agentlock.toml", include_str!("init/agentlock.toml")),
    ("agents.yaml", include_str!("init/agents.yaml")),
    ("models.yaml", include_str!("init/models.yaml")),
    ("deploy.yaml", include_str!("init/deploy.yaml")),
    (
        "prompts/router.prompt",
        include_str!("init/prompts/router.prompt"),
    ),
    (
        "prompts/assistant.prompt",
        include_str!("init/prompts/assistant.prompt"),
    ),
    (
        "prompts/reviewer.prompt",
        include_str!("init/prompts/reviewer.prompt"),
    ),
    ("tools/kb.yaml", include_str!("init/tools/kb.yaml")),
    (
        "datasets/golden_happy_path.jsonl",
        include_str!("init/datasets/golden_happy_path.jsonl"),
    ),
    (
        "datasets/golden_edge_cases.jsonl",
        include_str!("init/datasets/golden_edge_cases.jsonl"),
    ),
    (
        "datasets/golden_failures.jsonl",
        include_str!("init/datasets/golden_failures.jsonl"),
    ),
    ("CODEOWNERS", include_str!("init/CODEOWNERS")),
];

/// What `init` did.
#[derive(Debug)]
pub struct Scaffolded {
    /// The files written, relative to the repository, in the order written (the lockfile last).
    pub written: Vec<String>,
    /// The lock's root digest, when the lockfile was written.
    pub root: Option<String>,
    /// A CODEOWNERS file that was already there (GitHub's order), kept instead of writing one.
    pub kept_codeowners: Option<String>,
    /// Why the lockfile was not written: other files under the scaffold's paths that do not
    /// load cleanly (the CONF001 count).
    pub problems: usize,
}

#[derive(Debug)]
pub enum InitError {
    /// These files exist; nothing was written.
    Exists(Vec<String>),
    /// Writing failed; the files created by this run were removed again.
    Io(String),
    /// The written files do not load (the files created by this run were removed again).
    Load(crate::load::config::ConfigError),
}

/// Where `init` writes the JSON Schemas its files' modelines point at.
pub const SCHEMA_DIR: &str = ".agentlock/schemas";

/// The schema of a file `init` writes, by its path: the modeline written first in it.
fn schema_of(path: &str) -> Option<&'static str> {
    match path {
        "agentlock.toml" => Some("agentlock"),
        "agents.yaml" => Some("agents"),
        "models.yaml" => Some("models"),
        "deploy.yaml" => Some("deploy"),
        p if p.starts_with("tools/") && p.ends_with(".yaml") => Some("tool"),
        _ => None,
    }
}

/// The first line that points an editor at the file's schema: taplo's `#:schema` in TOML,
/// the YAML language server's `$schema` in YAML; the path relative to the file.
fn modeline(path: &str) -> Option<String> {
    let schema = crate::schema::get(schema_of(path)?).filter(|s| !s.output)?;
    let up = "../".repeat(path.matches('/').count());
    let target = format!("{up}{SCHEMA_DIR}/{}", schema.file_name());
    Some(if path.ends_with(".toml") {
        format!("#:schema {target}\n")
    } else {
        format!("# yaml-language-server: $schema={target}\n")
    })
}

/// The files `init` writes (the lockfile aside), with the placeholders filled in, a modeline
/// first in each file that has a schema, and the schemas of the input files (not the model
/// document's, which no file of the repository is).
pub fn files(project: &str, today: i64) -> Vec<(String, String)> {
    let (y, m, d) = crate::date::civil_from_days(today);
    let date = format!("{y:04}-{m:02}-{d:02}");
    let version = format!("{y:04}.{m:02}");
    TEMPLATES
        .iter()
        .map(|&(path, text)| {
            let text = match path {
                "agentlock.toml" => text.replace("{{project}}", &crate::node::toml_string(project)),
                "deploy.yaml" => text.replace("{{today}}", &date),
                p if p.starts_with("datasets/") => text.replace("{{dataset_version}}", &version),
                _ => text.to_string(),
            };
            let text = match modeline(path) {
                Some(line) => line + &text,
                None => text,
            };
            (path.to_string(), text)
        })
        .chain(
            crate::schema::SCHEMAS
                .iter()
                .filter(|s| !s.output)
                .map(|s| (format!("{SCHEMA_DIR}/{}", s.file_name()), s.text())),
        )
        .collect()
}

/// The project name for a directory: its last path component, or `my-agents`.
pub fn project_name(dir: &Path) -> String {
    let abs = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    abs.file_name()
        .map(|n| n.to_string_lossy().trim().to_string())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "my-agents".to_string())
}

/// Scaffolds a repository in `dir` (created if missing). Refuses, writing nothing, when any
/// file it would write exists. A CODEOWNERS file already in one of GitHub's places is kept (a
/// new root one could shadow or be shadowed by it), and none is written.
pub fn init(dir: &Path, today: i64) -> Result<Scaffolded, InitError> {
    // The directory itself is the user's choice; everything inside it is written through the
    // confined working tree, so a symlink already there is never written through.
    std::fs::create_dir_all(dir)
        .map_err(|e| InitError::Io(format!("cannot create {}: {e}", dir.display())))?;
    let wt = Worktree::new(dir)
        .map_err(|e| InitError::Io(format!("cannot open {}: {e}", dir.display())))?;
    let exists = |p: &str| {
        !matches!(
            wt.kind_of(&RepoPath::parse(p).expect("a template path")),
            Ok(None)
        )
    };
    let kept_codeowners = crate::load::CODEOWNERS_PATHS
        .iter()
        .find(|p| exists(p))
        .map(|p| p.to_string());
    let plan: Vec<(String, String)> = files(&project_name(dir), today)
        .into_iter()
        .filter(|(p, _)| !(p == "CODEOWNERS" && kept_codeowners.is_some()))
        .collect();
    let mut conflicts: Vec<String> = Vec::new();
    for p in plan.iter().map(|(p, _)| p.as_str()).chain([LOCKFILE]) {
        match wt.kind_of(&RepoPath::parse(p).expect("a template path")) {
            Ok(None) => {}
            Ok(Some(_)) => conflicts.push(p.to_string()),
            // (a directory on the way that is a symlink, or one that cannot be read: said as
            // it is, not as a file that exists)
            Err(e) => return Err(InitError::Io(format!("cannot write {p}: {e}"))),
        }
    }
    if !conflicts.is_empty() {
        return Err(InitError::Exists(conflicts));
    }
    let mut written: Vec<String> = Vec::new();
    let undo = |written: &[String]| {
        for p in written.iter().rev() {
            if let Ok(p) = RepoPath::parse(p) {
                let _ = wt.remove(&p);
            }
        }
    };
    let create_new = |path: &str, bytes: &[u8]| {
        let path = RepoPath::parse(path).expect("a template path");
        wt.create_new(&path, bytes)
    };
    for (path, text) in &plan {
        if let Err(e) = create_new(path, text.as_bytes()) {
            undo(&written);
            return Err(InitError::Io(format!("cannot write {path}: {e}")));
        }
        written.push(path.to_string());
    }
    let model = match crate::load::load(&wt) {
        Ok(m) => m,
        Err(e) => {
            undo(&written);
            return Err(InitError::Load(e));
        }
    };
    let problems = crate::rules::conf::of_model(&model);
    if !problems.is_empty() {
        return Ok(Scaffolded {
            written,
            root: None,
            kept_codeowners,
            problems: problems.len(),
        });
    }
    let lock = Lock::from_model(&model, crate::rules::catalog());
    if let Err(e) = create_new(LOCKFILE, lock.to_toml().as_bytes()) {
        undo(&written);
        return Err(InitError::Io(format!("cannot write {LOCKFILE}: {e}")));
    }
    written.push(LOCKFILE.to_string());
    Ok(Scaffolded {
        written,
        root: Some(lock.root()),
        kept_codeowners,
        problems: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_strings_are_escaped() {
        let cases = [
            ("plain", "\"plain\""),
            ("a \"b\"", "\"a \\\"b\\\"\""),
            ("c:\\dir", "\"c:\\\\dir\""),
            ("x\ny", "\"x\\ny\""),
            ("bell\u{7}", "\"bell\\u0007\""),
        ];
        for (input, want) in cases {
            assert_eq!(crate::node::toml_string(input), want);
            let parsed: toml::Table = toml::from_str(&format!("k = {want}")).unwrap();
            assert_eq!(parsed["k"].as_str(), Some(input));
        }
    }

    #[test]
    fn placeholders_are_filled_and_only_those() {
        let today = crate::date::parse_date("2026-03-07").unwrap();
        let files = files("my \"agents\"", today);
        let get = |p: &str| &files.iter().find(|(q, _)| q == p).unwrap().1;
        assert!(get("agentlock.toml").contains("name = \"my \\\"agents\\\"\"\n"));
        assert!(get("deploy.yaml").contains("tested_on: 2026-03-07 }"));
        assert!(get("datasets/golden_failures.jsonl").contains("\"version\": \"2026.03\""));
        // A prompt's own template variables are left alone.
        assert!(get("prompts/assistant.prompt").contains("{{request}}"));
        for (path, text) in &files {
            for p in ["{{project}}", "{{today}}", "{{dataset_version}}"] {
                assert!(!text.contains(p), "{path} still has {p}");
            }
        }
    }

    #[test]
    fn modelines_point_at_the_schemas_written() {
        let files = files("p", 0);
        let get = |p: &str| &files.iter().find(|(q, _)| q == p).unwrap().1;
        assert!(
            get("agentlock.toml")
                .starts_with("#:schema .agentlock/schemas/agentlock.schema.json\n")
        );
        assert!(get("agents.yaml").starts_with(
            "# yaml-language-server: $schema=.agentlock/schemas/agents.schema.json\n"
        ));
        assert!(get("tools/kb.yaml").starts_with(
            "# yaml-language-server: $schema=../.agentlock/schemas/tool.schema.json\n"
        ));
        for (path, text) in &files {
            for line in text.lines().take(1) {
                if let Some(target) = line
                    .strip_prefix("#:schema ")
                    .or_else(|| line.strip_prefix("# yaml-language-server: $schema="))
                {
                    let up = path.matches('/').count();
                    let resolved = target.trim_start_matches("../");
                    assert_eq!(target.len() - resolved.len(), 3 * up, "{path}");
                    assert!(files.iter().any(|(q, _)| q == resolved), "{path}: {target}");
                }
            }
        }
    }
}
