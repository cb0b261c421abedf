use super::*;

pub(super) const SPEC: Spec = Spec {
    name: "init",
    accepts: Accepts::NotApplicable(None),
    findings: false,
};

/// `agentlock init [DIR]`: scaffolds a repository in DIR, else in `--repo DIR` (see
/// [`crate::init`]).
pub(super) fn run(
    cli: &Cli,
    dir: Option<&std::path::Path>,
    out: &mut Sink<'_>,
) -> Result<i32, Fatal> {
    use crate::init::InitError;
    if let Some(named) = dir
        && let Ok(wt) = crate::snapshot::Worktree::new(&cli.repo)
        && crate::pipeline::leaves_through_a_link(&wt, named)
    {
        return Err(fatal(
            format!(
                "nothing was written: {} is in the repository, and a symlink on the way leads outside it",
                crate::source::printable(&named.to_string_lossy())
            ),
            Some(
                "agentlock does not write through a repository's symlink; name the directory the link points at, if you mean it",
            ),
        ));
    }
    let dir = dir.unwrap_or(&cli.repo);
    let done = match crate::init::init(dir, crate::date::today()) {
        Ok(done) => done,
        Err(InitError::Exists(files)) => {
            return Err(fatal(
                format!(
                    "nothing was written: {} already exist{} in {}: {}",
                    if files.len() == 1 {
                        "this file"
                    } else {
                        "these files"
                    },
                    if files.len() == 1 { "s" } else { "" },
                    dir.display(),
                    files.join(", ")
                ),
                Some(if files.len() == 1 {
                    "`agentlock init` never overwrites a file: run it in a new directory (`agentlock init DIR`), or move the file away first"
                } else {
                    "`agentlock init` never overwrites a file: run it in a new directory (`agentlock init DIR`), or move the files away first"
                }),
            ));
        }
        Err(InitError::Io(message)) => {
            return Err(fatal(format!("{message}; nothing was left behind"), None));
        }
        Err(InitError::Load(e)) => return Err(Fatal::from(e)),
    };
    let _ = writeln!(
        out,
        "agentlock: scaffolded {} ({} files):",
        dir.display(),
        done.written.len()
    );
    // The schemas in one line: what they are for, not each name.
    let dir_prefix = format!("{}/", crate::init::SCHEMA_DIR);
    let schemas = done
        .written
        .iter()
        .filter(|f| f.starts_with(&dir_prefix))
        .count();
    let mut said_schemas = false;
    for f in &done.written {
        if !f.starts_with(&dir_prefix) {
            let _ = writeln!(out, "  {f}");
        } else if !said_schemas {
            said_schemas = true;
            let _ = writeln!(
                out,
                "  {dir_prefix}*.schema.json ({schemas} JSON Schemas: the first line of each file points editors at its own)"
            );
        }
    }
    if let Some(c) = &done.kept_codeowners {
        let _ = writeln!(
            out,
            "kept the existing {c} (no CODEOWNERS written): make sure it names owners for prompts/"
        );
    }
    if let Some(root) = &done.root {
        let _ = writeln!(out, "lock root: {root}");
    } else {
        let _ = writeln!(
            out,
            "{LOCKFILE} was not written: {} file(s) already in the repository do not load; `agentlock verify` shows them, then run `agentlock lock`",
            done.problems
        );
    }
    let repo = match dir.display().to_string() {
        d if d == "." => String::new(),
        d if d.contains(|c: char| c.is_whitespace() || "'\"$`\\".contains(c)) => {
            format!(" --repo '{}'", d.replace('\'', "'\\''"))
        }
        d => format!(" --repo {d}"),
    };
    let _ = write!(
        out,
        "\nNext steps:
  1. Make it yours: the prompts, agents.yaml, the MCP servers in tools/, models.yaml, the numbers
     in deploy.yaml, the teams in CODEOWNERS and the golden datasets.
  2. Test the kill switch and record the date in deploy.yaml (`tested_on` is set to today).
  3. After each change: `agentlock{repo} lock`, then `agentlock{repo} verify`.
  4. See the topology: `agentlock{repo} graph`.
  5. Commit, and tag each release when it ships (`git tag v0.1.0`): `diff` and `rollback` compare
     with the tags; in git, `verify` warns ({}) while no earlier release exists.
",
        crate::rules::release::REL003.code
    );
    Ok(if done.root.is_some() {
        EXIT_OK
    } else {
        EXIT_FINDINGS
    })
}
