//! The commands, over the library: each returns the process exit code.

use crate::cli::{Cli, Color, Command, Format};
use crate::config::ConfigError;
use crate::lock::{self, LOCKFILE, Lock};
use crate::report::{self, human, json};
use crate::rules;
use crate::snapshot::Worktree;
use std::io::Write;

pub const EXIT_OK: i32 = 0;
pub const EXIT_FINDINGS: i32 = 1;
pub const EXIT_ERROR: i32 = 2;

/// Runs one command. `today` is read from the clock here and nowhere else.
pub fn run(cli: &Cli, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let color = use_color(cli.color);
    let result = match &cli.command {
        None => verify(cli, false, color, out),
        Some(Command::Verify { no_lock_check }) => verify(cli, *no_lock_check, color, out),
        Some(Command::Lock { check }) => lock_cmd(cli, *check, color, out),
        Some(Command::Explain { code }) => explain(code, out),
        Some(Command::Rules) => list_rules(cli.format, out),
        Some(Command::Scan { files }) => scan(cli, files, color, out, err),
    };
    match result {
        Ok(code) => code,
        Err(Fatal(e, source)) => {
            let at =
                e.at.and_then(|span| source.as_ref().map(|(p, t)| (p.clone(), t.clone(), span)));
            let _ = write!(
                err,
                "{}",
                human::render_fatal(&e.message, e.help.as_deref(), at, color)
            );
            EXIT_ERROR
        }
    }
}

/// An error that stops agentlock (exit 2), with the file it points into, if any.
struct Fatal(ConfigError, Option<(String, String)>);

impl From<ConfigError> for Fatal {
    fn from(e: ConfigError) -> Self {
        Fatal(e, None)
    }
}

fn fatal(message: impl Into<String>, help: Option<&str>) -> Fatal {
    Fatal(
        ConfigError {
            message: message.into(),
            help: help.map(str::to_string),
            at: None,
        },
        None,
    )
}

fn use_color(c: Color) -> bool {
    use std::io::IsTerminal;
    match c {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    }
}

fn worktree(cli: &Cli) -> Result<Worktree, Fatal> {
    Worktree::new(&cli.repo).map_err(|e| {
        fatal(
            format!("cannot open repository {}: {e}", cli.repo.display()),
            Some("pass the repository root with --repo DIR"),
        )
    })
}

/// Loads the model, turning a manifest error into a fatal error that shows the manifest.
fn load(wt: &Worktree) -> Result<crate::model::Model, Fatal> {
    crate::load::load(wt).map_err(|e| with_manifest(e, wt))
}

fn with_manifest(e: ConfigError, wt: &Worktree) -> Fatal {
    let text = std::fs::read_to_string(wt.root().join(crate::config::MANIFEST)).ok();
    // The excerpt never shows a credential, even in a manifest that does not parse.
    let text = text.map(|t| {
        let ranges: Vec<_> = crate::secrets::scan(&t)
            .into_iter()
            .map(|h| h.secret)
            .collect();
        crate::source::mask_ranges(&t, &ranges)
    });
    Fatal(e, text.map(|t| (crate::config::MANIFEST.to_string(), t)))
}

/// `scan [FILE…]`: the secret rules only, over the given files whatever they are, or over the
/// whole model.
fn scan(
    cli: &Cli,
    files: &[std::path::PathBuf],
    color: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<i32, Fatal> {
    let wt = worktree(cli)?;
    let today = crate::date::today();
    let v = if files.is_empty() {
        crate::scan_model(&wt, today).map_err(|e| with_manifest(e, &wt))?
    } else {
        let scanned = crate::scan_files(&wt, files, today).map_err(|e| with_manifest(e, &wt))?;
        if !scanned.skipped.is_empty() {
            let _ = writeln!(
                err,
                "agentlock: not scanned ({}): {}",
                scanned.skipped.len(),
                scanned.skipped.join("; ")
            );
        }
        scanned.verified
    };
    let text = match cli.format {
        Format::Human => human::render(&v.findings, v.suppressed, &v.model.sources, color),
        Format::Json => json::render(&v.findings, v.suppressed, &v.model.sources),
    };
    let _ = out.write_all(text.as_bytes());
    Ok(report::exit_code(&v.findings))
}

fn verify(cli: &Cli, no_lock_check: bool, color: bool, out: &mut dyn Write) -> Result<i32, Fatal> {
    let wt = worktree(cli)?;
    let v = crate::verify(&wt, !no_lock_check, crate::date::today())
        .map_err(|e| with_manifest(e, &wt))?;
    let text = match cli.format {
        Format::Human => human::render(&v.findings, v.suppressed, &v.model.sources, color),
        Format::Json => json::render(&v.findings, v.suppressed, &v.model.sources),
    };
    let _ = out.write_all(text.as_bytes());
    Ok(report::exit_code(&v.findings))
}

fn lock_cmd(cli: &Cli, check: bool, color: bool, out: &mut dyn Write) -> Result<i32, Fatal> {
    let wt = worktree(cli)?;
    let mut model = load(&wt)?;
    // A lockfile of a repository with unreadable files would be partial: refuse to write it.
    if !model.problems.is_empty() {
        let mut problems = std::mem::take(&mut model.problems);
        crate::policy::sort(&mut problems, &model.sources);
        model.scrub(&mut problems);
        let text = match cli.format {
            Format::Human => human::render(&problems, 0, &model.sources, color),
            Format::Json => json::render(&problems, 0, &model.sources),
        };
        let _ = out.write_all(text.as_bytes());
        if cli.format == Format::Human {
            let _ = writeln!(
                out,
                "agentlock: {LOCKFILE} was not written: fix the files above first"
            );
        }
        return Ok(EXIT_FINDINGS);
    }
    let status = lock::check(&wt, &mut model);
    let new = Lock::from_model(&model);
    let changes: Vec<String> = match &status {
        lock::LockStatus::Missing => vec!["(new lockfile)".to_string()],
        lock::LockStatus::Unreadable(reason, _) => {
            vec![format!("{LOCKFILE} cannot be read: {reason}")]
        }
        lock::LockStatus::Stale {
            changes,
            root_mismatch,
        } => {
            let mut c: Vec<String> = changes.iter().map(|c| c.describe()).collect();
            if *root_mismatch && c.is_empty() {
                c.push("the root digest does not match the entries".into());
            }
            c
        }
        lock::LockStatus::Fresh => Vec::new(),
    };
    let root = new.root();
    let up_to_date = changes.is_empty();
    let written = !check && !up_to_date;
    if written {
        lock::write_atomic(&wt.root().join(LOCKFILE), &new.to_toml())
            .map_err(|e| fatal(format!("cannot write {LOCKFILE}: {e}"), None))?;
    }
    match cli.format {
        Format::Json => {
            let v = serde_json::json!({
                "schema": "agentlock.lock/v1",
                "root": root,
                "entries": new.entries.len(),
                "up_to_date": up_to_date,
                "written": written,
                "changes": changes,
            });
            let _ = writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&v).unwrap_or_default()
            );
        }
        Format::Human => {
            if up_to_date {
                let _ = writeln!(
                    out,
                    "{LOCKFILE} is up to date ({} entries, root {root})",
                    new.entries.len()
                );
            } else {
                let _ = writeln!(
                    out,
                    "{}:",
                    if check {
                        format!("{LOCKFILE} is out of date")
                    } else {
                        format!("{LOCKFILE} changes")
                    }
                );
                for c in &changes {
                    let _ = writeln!(out, "  - {c}");
                }
                if written {
                    let _ = writeln!(
                        out,
                        "wrote {LOCKFILE} ({} entries, root {root})",
                        new.entries.len()
                    );
                } else {
                    let _ = writeln!(out, "run `agentlock lock` to update it");
                }
            }
        }
    }
    Ok(if check && !up_to_date {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    })
}

fn explain(code: &str, out: &mut dyn Write) -> Result<i32, Fatal> {
    match rules::find(code) {
        Some(rule) => {
            let _ = out.write_all(rules::explain(rule).as_bytes());
            Ok(EXIT_OK)
        }
        None => {
            let hint = crate::suggest::hint(
                &code.to_ascii_uppercase(),
                rules::RULES.iter().map(|r| r.code),
            );
            Err(fatal(
                format!("no rule `{code}`.{hint}"),
                Some("`agentlock rules` lists every rule"),
            ))
        }
    }
}

fn list_rules(format: Format, out: &mut dyn Write) -> Result<i32, Fatal> {
    match format {
        Format::Json => {
            let list: Vec<_> = rules::RULES
                .iter()
                .map(|r| serde_json::json!({"code": r.code, "name": r.name, "severity": r.severity.as_str(), "summary": r.summary, "checklist": r.checklist}))
                .collect();
            let v = serde_json::json!({"schema": "agentlock.rules/v1", "rules": list});
            let _ = writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&v).unwrap_or_default()
            );
        }
        Format::Human => {
            let width = rules::RULES.iter().map(|r| r.name.len()).max().unwrap_or(0);
            for r in rules::RULES {
                let _ = writeln!(
                    out,
                    "{:<9} {:<width$} {:<8} {}",
                    r.code,
                    r.name,
                    r.severity.as_str(),
                    r.summary
                );
            }
        }
    }
    Ok(EXIT_OK)
}
