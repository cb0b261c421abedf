//! The commands, over the library: each returns the process exit code.

use crate::cli::{Cli, Color, Command, Format};
use crate::config::ConfigError;
use crate::diff::{DiffReport, FileAction, RollbackReport, Side};
use crate::git::{Commit, Git, GitError};
use crate::history::{History, release_lock};
use crate::lock::{self, LOCKFILE, Lock};
use crate::output::{Mode, Sink};
use crate::report::release;
use crate::report::{self, human, json};
use crate::rules;
use crate::snapshot::{Snapshot, Worktree};
use std::io::Write;

pub const EXIT_OK: i32 = 0;
pub const EXIT_FINDINGS: i32 = 1;
pub const EXIT_ERROR: i32 = 2;

/// Runs one command. `today` is read from the clock here and nowhere else.
///
/// Everything a command prints goes through a [`Sink`] (redacted, escaped, unable to start a
/// workflow command), but for `completions` and `man`, which print only what clap generates.
pub fn run(cli: &Cli, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    match &cli.command {
        Some(Command::Completions { shell }) => return finish(completions(*shell, out), err),
        Some(Command::Man { out_dir }) => return finish(man(out_dir.as_deref(), out), err),
        _ => {}
    }
    let color = use_color(cli.color);
    let mode = match cli.format {
        Format::Json | Format::Sarif => Mode::Json,
        Format::Junit => Mode::Xml,
        _ => Mode::Text,
    };
    let mut out = Sink::new(out, mode, color);
    let mut err = Sink::new(err, Mode::Text, color);
    let code = dispatch(cli, color, &mut out, &mut err);
    out.finish();
    err.finish();
    code
}

/// A command's result as an exit code, its fatal error written to `err`.
fn finish(result: Result<i32, Fatal>, err: &mut dyn Write) -> i32 {
    let mut err = Sink::new(err, Mode::Text, false);
    report_fatal(result, false, &mut err)
}

fn dispatch(cli: &Cli, color: bool, out: &mut Sink<'_>, err: &mut Sink<'_>) -> i32 {
    let result = match &cli.command {
        None => verify(cli, false, false, None, color, out, err),
        Some(Command::Verify {
            no_lock_check,
            staged,
            rev,
        }) => verify(
            cli,
            *no_lock_check,
            *staged,
            rev.as_deref(),
            color,
            out,
            err,
        ),
        Some(Command::Diff { base, head }) => diff(cli, base.as_deref(), head.as_deref(), out, err),
        Some(Command::Rollback { to, apply }) => rollback(cli, to.as_deref(), *apply, out, err),
        Some(Command::Lock { check }) => lock_cmd(cli, *check, color, out),
        Some(Command::Explain { code }) => explain(code, out),
        Some(Command::Rules) => list_rules(cli.format, out),
        Some(Command::Scan { files }) => scan(cli, files, color, out, err),
        Some(Command::Checklist) => checklist(cli, out, err),
        Some(Command::Graph { output }) => graph(cli, *output, out, err),
        Some(Command::Init) => init(cli, out),
        Some(Command::Completions { .. } | Command::Man { .. }) => unreachable!("run"),
    };
    report_fatal(result, color, err)
}

fn report_fatal(result: Result<i32, Fatal>, color: bool, err: &mut Sink<'_>) -> i32 {
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

/// How many entries a walk of a directory that is not in git may visit (discovery walks the
/// whole tree): a home directory or a disk is not a repository, and is refused rather than
/// read for minutes.
const WALK_LIMIT: usize = 200_000;

fn worktree(cli: &Cli) -> Result<Worktree, Fatal> {
    let wt = Worktree::new(&cli.repo).map_err(|e| {
        fatal(
            format!("cannot open repository {}: {e}", cli.repo.display()),
            Some("pass the repository root with --repo DIR"),
        )
    })?;
    if wt.canonical_root().parent().is_none() {
        return Err(fatal(
            format!(
                "refusing to check {}: it is the root of the filesystem, not a repository",
                cli.repo.display()
            ),
            Some("run agentlock at the root of the repository, or pass --repo DIR"),
        ));
    }
    Ok(if Git::discover(&cli.repo).is_ok() {
        wt
    } else {
        wt.with_walk_limit(WALK_LIMIT)
    })
}

/// Loads the model, turning a manifest error into a fatal error that shows the manifest.
fn load(snapshot: &dyn Snapshot) -> Result<crate::model::Model, Fatal> {
    crate::load::load(snapshot).map_err(|e| with_manifest(e, snapshot))
}

fn with_manifest(e: ConfigError, snapshot: &dyn Snapshot) -> Fatal {
    use crate::snapshot::ReadExt;
    let text = snapshot
        .read_str(
            crate::config::MANIFEST,
            crate::snapshot::DEFAULT_MAX_FILE_SIZE,
        )
        .ok()
        .and_then(|b| String::from_utf8(b).ok());
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
    out: &mut Sink<'_>,
    err: &mut Sink<'_>,
) -> Result<i32, Fatal> {
    let wt = worktree(cli)?;
    let today = crate::date::today();
    let v = if files.is_empty() {
        crate::pipeline::scan_model(&wt, today).map_err(|e| with_manifest(e, &wt))?
    } else {
        let scanned = match crate::pipeline::scan_files(&wt, files, today)
            .map_err(|e| with_manifest(e, &wt))?
        {
            Ok(s) => s,
            Err(crate::pipeline::Missing(missing)) => {
                return Err(fatal(
                    format!("cannot scan {}: no such file", missing.join(", ")),
                    Some("scan takes files that exist, relative to the current directory"),
                ));
            }
        };
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
    let ctx = ReportCtx {
        title: "scan",
        prefix: git_prefix(cli),
    };
    report_verified(cli.format, &v, color, &ctx, out)
}

/// The agentlock root's directory in the git work tree (`""` at its top, or outside git): the
/// prefix of the paths code scanning and annotations resolve.
fn git_prefix(cli: &Cli) -> String {
    Git::discover(&cli.repo)
        .map(|g| g.prefix().to_string())
        .unwrap_or_default()
}

/// What a findings report needs besides the findings.
struct ReportCtx {
    /// The command, for headings.
    title: &'static str,
    prefix: String,
}

/// Writes what `verify` or `scan` found; the exit code comes from the findings.
fn report_verified(
    format: Format,
    v: &crate::pipeline::Verified,
    color: bool,
    ctx: &ReportCtx,
    out: &mut Sink<'_>,
) -> Result<i32, Fatal> {
    if format == Format::Github {
        let (commands, text) =
            report::github::render(&v.findings, v.suppressed, &v.model.sources, &ctx.prefix);
        out.command(&commands);
        let _ = out.write_all(text.as_bytes());
        return Ok(report::exit_code(&v.findings));
    }
    let text = render_findings(
        format,
        &v.findings,
        v.suppressed,
        &v.model.sources,
        &v.rules,
        color,
        ctx,
    )?;
    let _ = out.write_all(text.as_bytes());
    Ok(report::exit_code(&v.findings))
}

fn render_findings(
    format: Format,
    findings: &[crate::finding::Finding],
    suppressed: usize,
    sources: &crate::source::SourceMap,
    rules: &[(&rules::Rule, Option<crate::pipeline::NotRun>)],
    color: bool,
    ctx: &ReportCtx,
) -> Result<String, Fatal> {
    use crate::report::{github, junit, markdown, sarif};
    Ok(match format {
        Format::Human => human::render(findings, suppressed, sources, color),
        Format::Json => json::render(findings, suppressed, sources),
        Format::Markdown => markdown::render(findings, suppressed, sources, &ctx.prefix, ctx.title),
        Format::Sarif => sarif::render(findings, sources, &ctx.prefix),
        // (lock writes human or JSON only; verify and scan take the path above)
        Format::Github => {
            let (commands, text) = github::render(findings, suppressed, sources, &ctx.prefix);
            commands + &text
        }
        Format::Junit => junit::render(
            findings,
            suppressed,
            sources,
            rules,
            &format!("agentlock {}", ctx.title),
        ),
    })
}

/// A format a command does not write.
fn unsupported(format: Format, command: &str) -> Fatal {
    fatal(
        format!(
            "`--format {}` is not available for `{command}`",
            format.as_str()
        ),
        Some(
            "verify and scan write every format; diff, rollback and checklist write human, json and markdown; lock and rules write human and json",
        ),
    )
}

impl From<GitError> for Fatal {
    fn from(e: GitError) -> Self {
        Fatal(
            ConfigError {
                message: e.message,
                help: e.help,
                at: None,
            },
            None,
        )
    }
}

/// The git repository around `--repo`, for the commands that need one.
fn git(cli: &Cli) -> Result<Git, Fatal> {
    Ok(Git::discover(&cli.repo)?)
}

/// The release history for the history rules, when in git. A history that cannot be read is
/// said on stderr and the history rules do not run; tags that cannot be releases are named.
fn load_history(
    git: Option<&Git>,
    model: &crate::model::Model,
    head: Option<Commit>,
    err: &mut Sink<'_>,
) -> Option<History> {
    match History::load(git?, &model.config.release, head, crate::rules::catalog()) {
        Ok(h) => {
            note_skipped(&h.releases, err);
            Some(h)
        }
        Err(e) => {
            let _ = writeln!(err, "agentlock: the release history was not checked: {e}");
            None
        }
    }
}

/// Notes about tags that look like releases but cannot be read as one.
fn note_skipped(releases: &crate::git::Releases, err: &mut Sink<'_>) {
    for s in &releases.skipped {
        let _ = writeln!(err, "agentlock: {s}");
    }
}

fn verify(
    cli: &Cli,
    no_lock_check: bool,
    staged: bool,
    rev: Option<&str>,
    color: bool,
    out: &mut Sink<'_>,
    err: &mut Sink<'_>,
) -> Result<i32, Fatal> {
    let wt = worktree(cli)?;
    // The snapshot, and the commit whose history holds the releases to compare with.
    let discovered = Git::discover(&cli.repo);
    let (snapshot, head): (Box<dyn Snapshot>, Option<Commit>) = if staged || rev.is_some() {
        let git = discovered.as_ref().map_err(|e| Fatal::from(e.clone()))?;
        match rev {
            Some(rev) => {
                let commit = git.resolve(rev)?;
                (Box::new(git.tree(commit, rev)?), Some(commit))
            }
            None => (Box::new(git.index()?), git.head()?),
        }
    } else {
        let head = discovered
            .as_ref()
            .ok()
            .and_then(|g| g.head().ok().flatten());
        (Box::new(wt), head)
    };
    let model = load(snapshot.as_ref())?;
    let history = load_history(discovered.as_ref().ok(), &model, head, err);
    let v = crate::pipeline::check(
        model,
        snapshot.as_ref(),
        !no_lock_check,
        history.as_ref(),
        crate::date::today(),
    );
    let ctx = ReportCtx {
        title: "verify",
        prefix: discovered
            .as_ref()
            .map(|g| g.prefix().to_string())
            .unwrap_or_default(),
    };
    report_verified(cli.format, &v, color, &ctx, out)
}

/// `agentlock checklist`: what `verify` finds in the working tree (lockfile and, in git, the
/// release history included), as the deployment checklist. Exit code as `verify`'s.
fn checklist(cli: &Cli, out: &mut Sink<'_>, err: &mut Sink<'_>) -> Result<i32, Fatal> {
    use crate::checklist::{Checklist, GitState};
    if matches!(cli.format, Format::Sarif | Format::Github | Format::Junit) {
        return Err(unsupported(cli.format, "checklist"));
    }
    let wt = worktree(cli)?;
    let model = load(&wt)?;
    let git = Git::discover(&cli.repo).ok();
    let head = git.as_ref().and_then(|g| g.head().ok().flatten());
    let history = load_history(git.as_ref(), &model, head, err);
    let today = crate::date::today();
    let v = crate::pipeline::check(model, &wt, true, history.as_ref(), today);
    let state = match &git {
        Some(_) => GitState::Repo {
            head,
            history: history.as_ref(),
        },
        None => GitState::None,
    };
    let list = Checklist::build(&v, &state, today);
    let text = match cli.format {
        Format::Json => list.to_json(),
        _ => list.to_markdown(), // human and markdown; the others were refused above
    };
    let _ = out.write_all(text.as_bytes());
    Ok(report::exit_code(&v.findings))
}

fn lock_cmd(cli: &Cli, check: bool, color: bool, out: &mut Sink<'_>) -> Result<i32, Fatal> {
    // Refused before anything is written.
    if !matches!(cli.format, Format::Human | Format::Json) {
        return Err(unsupported(cli.format, "lock"));
    }
    let wt = worktree(cli)?;
    let mut model = load(&wt)?;
    // A lockfile of a repository with unreadable files would be partial: refuse to write it.
    let mut problems = crate::rules::conf::of_model(&model);
    if !problems.is_empty() {
        crate::policy::sort(&mut problems, &model.sources);
        model.scrub(&mut problems);
        // Human or JSON only (checked above): no git prefix or rule list is needed.
        let ctx = ReportCtx {
            title: "lock",
            prefix: String::new(),
        };
        let text = render_findings(cli.format, &problems, 0, &model.sources, &[], color, &ctx)?;
        let _ = out.write_all(text.as_bytes());
        if cli.format == Format::Human {
            let _ = writeln!(
                out,
                "agentlock: {LOCKFILE} was not written: fix the files above first"
            );
        }
        return Ok(EXIT_FINDINGS);
    }
    let status = lock::check(&wt, &mut model, crate::rules::catalog());
    if let lock::LockStatus::Newer(reason, _) = &status {
        return Err(fatal(
            format!("{LOCKFILE} was not rewritten: {reason}"),
            Some("upgrade agentlock to the version the project uses"),
        ));
    }
    let new = Lock::from_model(&model, crate::rules::catalog());
    let changes: Vec<String> = match &status {
        lock::LockStatus::Missing => vec!["(new lockfile)".to_string()],
        lock::LockStatus::Unreadable(reason, _) | lock::LockStatus::Newer(reason, _) => {
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
        wt.write_atomic(
            &crate::snapshot::RepoPath::fixed(LOCKFILE),
            new.to_toml().as_bytes(),
            false,
        )
        .map_err(|e| fatal(format!("cannot write {LOCKFILE}: {e}"), None))?;
    }
    match cli.format {
        Format::Markdown | Format::Sarif | Format::Github | Format::Junit => {
            return Err(unsupported(cli.format, "lock"));
        }
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

fn explain(code: &str, out: &mut Sink<'_>) -> Result<i32, Fatal> {
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

fn list_rules(format: Format, out: &mut Sink<'_>) -> Result<i32, Fatal> {
    match format {
        Format::Markdown | Format::Sarif | Format::Github | Format::Junit => {
            return Err(unsupported(format, "rules"));
        }
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

/// The side a release is: its tag, commit and lock (recorded, or computed from its tree).
fn release_side(
    git: &Git,
    tag: &str,
    commit: Commit,
) -> Result<(Side, crate::history::ReleaseLock), Fatal> {
    let lock = release_lock(git, commit, tag, crate::rules::catalog())?.ok_or_else(|| {
        fatal(
            format!(
                "{tag} has no {} and no file agentlock discovers at {}: it predates agentlock, so there is nothing to compare with",
                crate::config::MANIFEST,
                if git.prefix().is_empty() {
                    "the repository root".to_string()
                } else {
                    git.prefix().to_string()
                }
            ),
            Some("name a later release with --base/--to"),
        )
    })?;
    let side = Side {
        tag: Some(tag.to_string()),
        rev: None,
        commit: Some(commit),
        root: lock.root.clone(),
        worktree: false,
    };
    Ok((side, lock))
}

/// `agentlock diff`: every change from the last release (or `--base`) to the working tree (or
/// `--head`).
fn diff(
    cli: &Cli,
    base: Option<&str>,
    head: Option<&str>,
    out: &mut Sink<'_>,
    err: &mut Sink<'_>,
) -> Result<i32, Fatal> {
    if matches!(cli.format, Format::Sarif | Format::Github | Format::Junit) {
        return Err(unsupported(cli.format, "diff"));
    }
    let git = git(cli)?;
    let (snapshot, commit): (Box<dyn Snapshot>, Option<Commit>) = match head {
        Some(rev) => {
            let c = git.resolve(rev)?;
            (Box::new(git.tree(c, rev)?), Some(c))
        }
        None => (Box::new(worktree(cli)?), git.head()?),
    };
    let model = load(snapshot.as_ref())?;
    let head_lock = Lock::from_model(&model, crate::rules::catalog());
    let head_side = Side {
        tag: None,
        rev: head.map(str::to_string),
        commit,
        root: head_lock.root(),
        worktree: head.is_none(),
    };
    let releases = git.releases(&model.config.release, commit)?;
    note_skipped(&releases, err);
    let base = match base {
        Some(tag) => Some(release_side(&git, tag, git.resolve(tag)?)?),
        None => match releases.last() {
            Some(r) => Some(release_side(&git, &r.tag, r.commit)?),
            None => None,
        },
    };
    let rollback = match releases.rollback_target() {
        Some(r)
            if base
                .as_ref()
                .is_some_and(|(s, _)| s.tag.as_deref() == Some(&r.tag)) =>
        {
            base.as_ref().map(|(s, _)| s.clone())
        }
        Some(r) => Some(release_side(&git, &r.tag, r.commit)?.0),
        None => None,
    };
    let empty = Lock {
        entries: Vec::new(),
    };
    let changes = crate::diff::diff(base.as_ref().map_or(&empty, |(_, l)| &l.lock), &head_lock);
    let report = DiffReport {
        base: base.map(|(s, _)| s),
        head: head_side,
        changes,
        rollback,
        pattern: model.config.release.tag_pattern.clone(),
    };
    let text = match cli.format {
        Format::Human => release::diff_human(&report),
        Format::Json => release::diff_json(&report),
        Format::Markdown => release::diff_markdown(&report),
        f => return Err(unsupported(f, "diff")),
    };
    let _ = out.write_all(text.as_bytes());
    Ok(EXIT_OK)
}

/// `agentlock rollback`: the target release and what restoring it takes; `--apply` does it.
fn rollback(
    cli: &Cli,
    to: Option<&str>,
    apply: bool,
    out: &mut Sink<'_>,
    err: &mut Sink<'_>,
) -> Result<i32, Fatal> {
    if matches!(cli.format, Format::Sarif | Format::Github | Format::Junit) {
        return Err(unsupported(cli.format, "rollback"));
    }
    let git = git(cli)?;
    let wt = worktree(cli)?;
    let head = git.head()?;
    let model = load(&wt)?;
    let current = Lock::from_model(&model, crate::rules::catalog());
    let releases = git.releases(&model.config.release, head)?;
    note_skipped(&releases, err);
    let (tag, commit) = match to {
        Some(tag) => (tag.to_string(), git.resolve(tag)?),
        None => match releases.rollback_target() {
            Some(r) => (r.tag.clone(), r.commit),
            None => {
                let why = if releases.shallow && releases.tags == 0 {
                    "this is a shallow clone with no tags; fetch them with `git fetch --tags --unshallow`".to_string()
                } else if releases.all.is_empty() {
                    format!("no release tag matches `{}`", releases.pattern)
                } else {
                    "no release before the current one is in the history of HEAD".to_string()
                };
                return Err(fatal(
                    format!("there is no release to roll back to: {why}"),
                    Some("name one with `--to TAG`; `git tag --list` shows the tags"),
                ));
            }
        },
    };
    let (target, target_lock) = release_side(&git, &tag, commit)?;
    let target_snapshot = git.tree(commit, &tag)?;
    let target_config = {
        let mut sources = crate::source::SourceMap::default();
        let mut problems = Vec::new();
        crate::config::load_or_discover(&target_snapshot, &mut sources, &mut problems)?
    };
    let at_target: std::collections::HashSet<&str> = target_snapshot.paths().collect();
    let restore = crate::diff::diff(&current, &target_lock.lock);
    let files = crate::diff::file_actions(&restore, &model.config, &target_config, &|p| {
        at_target.contains(p)
    });
    let mut report = RollbackReport {
        target,
        head: Side {
            tag: None,
            rev: None,
            commit: head,
            root: current.root(),
            worktree: true,
        },
        restore,
        files,
        applied: None,
    };
    if apply && !report.restore.is_empty() {
        report.applied = Some(apply_rollback(
            &git,
            &wt,
            head,
            &target_snapshot,
            &report.files,
        )?);
    }
    let text = match cli.format {
        Format::Human => release::rollback_human(&report),
        Format::Json => release::rollback_json(&report),
        Format::Markdown => release::rollback_markdown(&report),
        f => return Err(unsupported(f, "rollback")),
    };
    let _ = out.write_all(text.as_bytes());
    Ok(EXIT_OK)
}

/// Writes the target's files into the working tree, deletes the files added since, and
/// rewrites agentlock.lock; returns the new lock root. Refuses, touching nothing, when one of
/// those files has uncommitted changes.
fn apply_rollback(
    git: &Git,
    wt: &Worktree,
    head: Option<Commit>,
    target: &dyn Snapshot,
    files: &[FileAction],
) -> Result<String, Fatal> {
    use crate::snapshot::{ReadError, RepoPath};
    let limit = u64::MAX;
    let mut plan: Vec<(RepoPath, &FileAction)> = Vec::new();
    let mut refused: Vec<&str> = Vec::new();
    for f in files {
        match RepoPath::parse(f.path()) {
            Ok(p) if wt.writable(&p).is_ok() => plan.push((p, f)),
            _ => refused.push(f.path()),
        }
    }
    if !refused.is_empty() {
        return Err(fatal(
            format!(
                "refusing to write outside the repository or through a symlink: {}",
                refused.join(", ")
            ),
            Some("nothing was written; replace the symlinked directories with real ones first"),
        ));
    }
    // Nothing uncommitted may be lost.
    let committed = head.map(|c| git.tree(c, "HEAD")).transpose()?;
    let lockfile = RepoPath::fixed(LOCKFILE);
    let same = |p: &RepoPath| -> bool {
        let ours = match wt.read(p, limit) {
            Ok(b) => Some(b),
            Err(ReadError::NotFound) => None,
            Err(_) => return false,
        };
        let theirs = match committed.as_ref().map(|t| t.read(p, limit)) {
            Some(Ok(b)) => Some(b),
            None | Some(Err(ReadError::NotFound)) => None,
            Some(Err(_)) => return false,
        };
        ours == theirs
    };
    let dirty: Vec<&str> = plan
        .iter()
        .map(|(p, _)| p)
        .chain([&lockfile])
        .filter(|p| !same(p))
        .map(RepoPath::as_str)
        .collect();
    if !dirty.is_empty() {
        return Err(fatal(
            format!(
                "these files have uncommitted changes that the rollback would overwrite: {}",
                dirty.join(", ")
            ),
            Some("commit or stash them first (`git stash`), then run the rollback again"),
        ));
    }
    // Everything is read from the target before anything is written: a file it cannot give
    // (a symlink out of the repository at the tag) stops the rollback with nothing changed.
    let mut writes: Vec<(&RepoPath, Option<Vec<u8>>)> = Vec::new();
    for (path, f) in &plan {
        writes.push(match f {
            FileAction::Restore(_) => {
                let bytes = target
                    .read(path, limit)
                    .map_err(|e| fatal(format!("cannot read {path} at the target: {e}"), None))?;
                (path, Some(bytes))
            }
            FileAction::Remove(_) => (path, None),
        });
    }
    for (path, bytes) in writes {
        let io = |e: std::io::Error| fatal(format!("cannot write {path}: {e}"), None);
        match bytes {
            Some(bytes) => wt.write_atomic(path, &bytes, true).map_err(io)?,
            None => wt.remove(path).map_err(io)?,
        }
    }
    let model = load(wt)?;
    let lock = Lock::from_model(&model, crate::rules::catalog());
    wt.write_atomic(&lockfile, lock.to_toml().as_bytes(), false)
        .map_err(|e| fatal(format!("cannot write {LOCKFILE}: {e}"), None))?;
    Ok(lock.root())
}

/// `agentlock graph`: the topology in Mermaid or DOT (see [`crate::graph`]).
fn graph(
    cli: &Cli,
    output: crate::graph::Output,
    out: &mut Sink<'_>,
    err: &mut Sink<'_>,
) -> Result<i32, Fatal> {
    if cli.format != Format::Human {
        return Err(fatal(
            "`--format` does not apply to `graph`",
            Some("choose the picture's language with `--output mermaid` or `--output dot`"),
        ));
    }
    let wt = worktree(cli)?;
    let model = load(&wt)?;
    if model.topologies.is_empty() {
        return Err(fatal(
            format!(
                "there is no agent topology to draw: {} is missing or cannot be read",
                model.config.paths.agents
            ),
            Some("`agentlock verify` says what is wrong with it"),
        ));
    }
    if !model.problems.is_empty() {
        let _ = writeln!(
            err,
            "agentlock: {} problem(s) loading the repository; the picture may be incomplete (`agentlock verify` shows them)",
            model.problems.len()
        );
    }
    // Labels quote model ids and names: a credential among them is shown redacted.
    let mut text = crate::graph::render(&model, output);
    for secret in &model.secrets {
        if secret.occurs_in(&text) {
            text = secret.scrub(&text);
        }
    }
    let _ = out.write_all(text.as_bytes());
    Ok(EXIT_OK)
}

/// `agentlock init`: scaffolds a repository in `--repo DIR` (see [`crate::init`]).
fn init(cli: &Cli, out: &mut Sink<'_>) -> Result<i32, Fatal> {
    use crate::init::InitError;
    if cli.format != Format::Human {
        return Err(fatal("`--format` does not apply to `init`", None));
    }
    let dir = &cli.repo;
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
                    "`agentlock init` never overwrites a file: run it in a new directory (`--repo DIR`), or move the file away first"
                } else {
                    "`agentlock init` never overwrites a file: run it in a new directory (`--repo DIR`), or move the files away first"
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
    for f in &done.written {
        let _ = writeln!(out, "  {f}");
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

/// `agentlock completions SHELL`: the completion script, generated from the clap definitions.
fn completions(shell: clap_complete::Shell, out: &mut dyn Write) -> Result<i32, Fatal> {
    use clap::CommandFactory;
    let mut cmd = Cli::command();
    clap_complete::generate(shell, &mut cmd, "agentlock", out);
    Ok(EXIT_OK)
}

/// `agentlock man`: the man page (roff), generated from the clap definitions; with a
/// directory, one page per subcommand as well.
fn man(dir: Option<&std::path::Path>, out: &mut dyn Write) -> Result<i32, Fatal> {
    use clap::CommandFactory;
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    match dir {
        None => {
            let _ = clap_mangen::Man::new(cmd).render(out);
        }
        Some(dir) => {
            let io = |e: std::io::Error| {
                fatal(
                    format!("cannot write the man pages into {}: {e}", dir.display()),
                    None,
                )
            };
            let mut pages: Vec<String> = cmd
                .get_subcommands()
                .filter(|s| !s.is_hide_set())
                .map(|s| format!("agentlock-{}.1", s.get_name()))
                .chain(["agentlock.1".to_string()])
                .collect();
            pages.sort();
            std::fs::create_dir_all(dir).map_err(io)?;
            clap_mangen::generate_to(cmd, dir).map_err(io)?;
            let _ = writeln!(
                out,
                "wrote {} man pages into {}:",
                pages.len(),
                dir.display()
            );
            for p in pages {
                let _ = writeln!(out, "  {p}");
            }
        }
    }
    Ok(EXIT_OK)
}
