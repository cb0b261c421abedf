use super::*;
use crate::schema::{SCHEMAS, Schema};

/// `agentlock schema [NAME] [--write DIR]`.
pub(super) const SPEC: Spec = Spec {
    name: "schema",
    accepts: Accepts::Formats(&[Format::Human, Format::Json]),
    findings: false,
};

/// Lists the schemas, prints one, or writes them into a directory of the repository.
pub(super) fn run(
    cli: &Cli,
    name: Option<&str>,
    write: Option<&std::path::Path>,
    out: &mut Sink<'_>,
) -> Result<i32, Fatal> {
    let chosen: Vec<&'static Schema> = match name {
        Some(n) => vec![crate::schema::get(n).ok_or_else(|| {
            let hint = crate::suggest::hint(n, SCHEMAS.iter().map(|s| s.name));
            fatal(
                format!("no schema `{n}`.{hint}"),
                Some("`agentlock schema` lists the schemas"),
            )
        })?],
        None => SCHEMAS.iter().collect(),
    };
    if let Some(dir) = write {
        return write_all(cli, dir, &chosen, out);
    }
    match (name, cli.format) {
        (Some(_), _) => {
            let _ = out.write_all(chosen[0].text().as_bytes());
        }
        (None, Format::Json) => {
            let list: Vec<serde_json::Value> = SCHEMAS
                .iter()
                .map(|s| {
                    serde_json::json!({
                        "name": s.name,
                        "title": s.title,
                        "id": format!("{}{}", crate::schema::BASE, s.file_name()),
                        "output": s.output,
                    })
                })
                .collect();
            let text = serde_json::to_string_pretty(&list).unwrap_or_default();
            let _ = writeln!(out, "{text}");
        }
        (None, _) => {
            let width = SCHEMAS.iter().map(|s| s.name.len()).max().unwrap_or(0);
            for s in SCHEMAS {
                let _ = writeln!(out, "{:width$}  {}", s.name, s.title);
            }
            let _ = writeln!(
                out,
                "\n`agentlock schema NAME` prints one; `agentlock schema --write DIR` writes each as DIR/NAME.schema.json"
            );
        }
    }
    Ok(EXIT_OK)
}

/// Writes the schemas into `dir`, a directory inside the repository (relative to the current
/// directory, as the command line names it), through the confined working tree: never
/// outside the repository, never through a symlink.
fn write_all(
    cli: &Cli,
    dir: &std::path::Path,
    schemas: &[&Schema],
    out: &mut Sink<'_>,
) -> Result<i32, Fatal> {
    let wt = worktree(cli)?;
    let lossy = dir.to_string_lossy();
    let shown = crate::source::printable(&lossy);
    let at = crate::pipeline::repo_path_of(&wt, dir).ok_or_else(|| {
        fatal(
            format!("refusing to write the schemas into {shown}: it is not inside the repository"),
            Some("`--write DIR` names a directory inside the repository (see --repo), such as `.agentlock/schemas`"),
        )
    })?;
    let mut written = Vec::new();
    for s in schemas {
        let path = at
            .join(&s.file_name())
            .ok_or_else(|| fatal(format!("cannot write into {shown}"), None))?;
        wt.write_atomic(&path, s.text().as_bytes(), true)
            .map_err(|e| fatal(format!("cannot write {path}: {e}"), None))?;
        written.push(path);
    }
    let _ = writeln!(
        out,
        "wrote {} schema{} into {shown}:",
        written.len(),
        if written.len() == 1 { "" } else { "s" }
    );
    for p in written {
        let _ = writeln!(out, "  {p}");
    }
    Ok(EXIT_OK)
}
