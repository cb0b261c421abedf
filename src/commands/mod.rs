//! The commands, over the library: each in its own file builds a value and renders it, and
//! returns the process exit code. This file dispatches, checks `--format` against what each
//! command declares, and holds what the commands share.

use crate::cli::{Cli, Color, Command, Format};
use crate::diff::{DiffReport, FileAction, RollbackReport, Side};
use crate::git::{Commit, Git, GitError};
use crate::history::{History, release_lock};
use crate::load::config::ConfigError;
use crate::lock::{LOCKFILE, Lock};
use crate::output::{Mode, Sink};
use crate::report::release;
use crate::report::{self, human, json};
use crate::snapshot::{Snapshot, Worktree};
use std::io::Write;

mod checklist;
mod completions;
mod diff;
mod evidence;
mod explain;
mod gate;
mod graph;
mod init;
mod lock;
mod man;
mod rollback;
mod rules;
mod scan;
mod traces;
mod verify;

pub const EXIT_OK: i32 = 0;

pub const EXIT_FINDINGS: i32 = 1;

pub const EXIT_ERROR: i32 = 2;

/// The arguments of this process, parsed by the command line [`command`] describes.
pub fn parse() -> Cli {
    use clap::FromArgMatches;
    let matches = command().get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

/// The command line: clap's definitions, with each subcommand's help naming the formats it
/// writes (from its declaration, as the check and the README do).
pub fn command() -> clap::Command {
    use clap::CommandFactory;
    let mut cmd = Cli::command();
    // Every subcommand, in clap's order (mutating one moves it last).
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect();
    for name in names {
        let help = SPECS
            .iter()
            .find(|s| s.name == name)
            .and_then(|s| s.accepts.help());
        cmd = cmd.mut_subcommand(name, |c| match help {
            Some(text) => c.after_help(text),
            None => c,
        });
    }
    cmd
}

/// Runs one command. `today` is read from the clock here and nowhere else.
///
/// Everything a command prints goes through a [`Sink`] (redacted, escaped, unable to start a
/// workflow command), but for `completions` and `man`, which print only what clap generates.
pub fn run(cli: &Cli, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    match &cli.command {
        Some(Command::Completions { shell }) => {
            return finish(completions::run(*shell, out), err);
        }
        Some(Command::Man { out_dir }) => return finish(man::run(out_dir.as_deref(), out), err),
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
    // Refused before anything is read or written.
    if let Err(e) = spec(&cli.command).check(cli.format) {
        return report_fatal(Err(e), color, err);
    }
    let result = match &cli.command {
        None => verify::run(cli, false, false, None, color, out, err),
        Some(Command::Verify {
            no_lock_check,
            staged,
            rev,
        }) => verify::run(
            cli,
            *no_lock_check,
            *staged,
            rev.as_deref(),
            color,
            out,
            err,
        ),
        Some(Command::Diff { base, head }) => {
            diff::run(cli, base.as_deref(), head.as_deref(), out, err)
        }
        Some(Command::Rollback { to, apply }) => {
            rollback::run(cli, to.as_deref(), *apply, out, err)
        }
        Some(Command::Lock { check }) => lock::run(cli, *check, color, out),
        Some(Command::Explain { code }) => explain::run(code, out),
        Some(Command::Rules) => rules::run(cli.format, out),
        Some(Command::Scan { files }) => scan::run(cli, files, color, out, err),
        Some(Command::Checklist { traces }) => checklist::run(cli, traces, out, err),
        Some(Command::Evidence { action }) => evidence::run(cli, action, color, out),
        Some(Command::Gate) => gate::run(cli, color, out, err),
        Some(Command::Traces { files }) => traces::run(cli, files, color, out, err),
        Some(Command::Graph { output }) => graph::run(cli, *output, out, err),
        Some(Command::Init) => init::run(cli, out),
        Some(Command::Completions { .. } | Command::Man { .. }) => unreachable!("run"),
    };
    report_fatal(result, color, err)
}

/// What a command declares about itself: its name and the formats it writes.
pub struct Spec {
    pub name: &'static str,
    pub accepts: Accepts,
}

/// Which `--format`s a command writes.
#[derive(Clone, Copy)]
pub enum Accepts {
    /// These (the first is what it writes by default).
    Formats(&'static [Format]),
    /// None: `--format` does not apply (the command writes files, or a picture chosen another
    /// way); the help says what to use instead.
    NotApplicable(Option<&'static str>),
    /// It writes one text whatever `--format` says.
    Ignored,
}

impl Accepts {
    /// The line its `--help` ends with.
    fn help(self) -> Option<String> {
        match self {
            Accepts::Formats(f) => Some(format!("Formats (--format): {}", names(f, ", "))),
            Accepts::NotApplicable(_) => Some("--format does not apply".into()),
            Accepts::Ignored => None,
        }
    }
}

/// Every command, in the order the help and the README list them.
pub const SPECS: &[Spec] = &[
    verify::SPEC,
    scan::SPEC,
    diff::SPEC,
    rollback::SPEC,
    checklist::SPEC,
    gate::SPEC,
    traces::SPEC,
    evidence::SPEC,
    lock::SPEC,
    rules::SPEC,
    explain::SPEC,
    graph::SPEC,
    init::SPEC,
    completions::SPEC,
    man::SPEC,
];

/// Every format.
const ALL: &[Format] = &[
    Format::Human,
    Format::Json,
    Format::Markdown,
    Format::Sarif,
    Format::Github,
    Format::Junit,
];

fn names(formats: &[Format], sep: &str) -> String {
    formats
        .iter()
        .map(|f| f.as_str())
        .collect::<Vec<_>>()
        .join(sep)
}

/// The declaration of a command (`None`: the default command, verify).
fn spec(command: &Option<Command>) -> &'static Spec {
    match command {
        None | Some(Command::Verify { .. }) => &verify::SPEC,
        Some(Command::Scan { .. }) => &scan::SPEC,
        Some(Command::Diff { .. }) => &diff::SPEC,
        Some(Command::Rollback { .. }) => &rollback::SPEC,
        Some(Command::Checklist { .. }) => &checklist::SPEC,
        Some(Command::Gate) => &gate::SPEC,
        Some(Command::Traces { .. }) => &traces::SPEC,
        Some(Command::Evidence { .. }) => &evidence::SPEC,
        Some(Command::Lock { .. }) => &lock::SPEC,
        Some(Command::Rules) => &rules::SPEC,
        Some(Command::Explain { .. }) => &explain::SPEC,
        Some(Command::Graph { .. }) => &graph::SPEC,
        Some(Command::Init) => &init::SPEC,
        Some(Command::Completions { .. }) => &completions::SPEC,
        Some(Command::Man { .. }) => &man::SPEC,
    }
}

impl Spec {
    /// Whether the command writes `format`; the error that says what it writes when not.
    fn check(&self, format: Format) -> Result<(), Fatal> {
        match self.accepts {
            Accepts::Formats(f) if f.contains(&format) => Ok(()),
            Accepts::Formats(_) => Err(fatal(
                format!(
                    "`--format {}` is not available for `{}`",
                    format.as_str(),
                    self.name
                ),
                Some(&which_writes_what()),
            )),
            Accepts::NotApplicable(_) if format == Format::Human => Ok(()),
            Accepts::NotApplicable(help) => Err(fatal(
                format!("`--format` does not apply to `{}`", self.name),
                help,
            )),
            Accepts::Ignored => Ok(()),
        }
    }
}

/// `verify and scan write every format; diff, rollback and checklist write human, json and
/// markdown; …`, from the declarations.
pub fn which_writes_what() -> String {
    let mut groups: Vec<(&[Format], Vec<&str>)> = Vec::new();
    for s in SPECS {
        if let Accepts::Formats(f) = s.accepts {
            match groups.iter_mut().find(|(g, _)| *g == f) {
                Some((_, names)) => names.push(s.name),
                None => groups.push((f, vec![s.name])),
            }
        }
    }
    groups
        .iter()
        .map(|(f, cmds)| {
            let what = if *f == ALL {
                "every format".to_string()
            } else {
                and_list(&f.iter().map(|f| f.as_str()).collect::<Vec<_>>())
            };
            format!("{} write {what}", and_list(cmds))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
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
fn load(snapshot: &dyn Snapshot) -> Result<crate::load::model::Model, Fatal> {
    crate::load::load(snapshot).map_err(|e| with_manifest(e, snapshot))
}

fn with_manifest(e: ConfigError, snapshot: &dyn Snapshot) -> Fatal {
    use crate::snapshot::ReadExt;
    let text = snapshot
        .read_str(
            crate::load::config::MANIFEST,
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
    Fatal(
        e,
        text.map(|t| (crate::load::config::MANIFEST.to_string(), t)),
    )
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
    rules: &[(&crate::rules::Rule, Option<crate::pipeline::NotRun>)],
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
    model: &crate::load::model::Model,
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

/// The evidence of the release to compare with (the rollback target), when the repository is
/// in git and has one.
fn load_baseline(
    git: Option<&Git>,
    history: Option<&History>,
    model: &mut crate::load::model::Model,
) -> Option<crate::evidence::Baseline> {
    crate::evidence::baseline(git?, history?, &model.config.paths.evidence)
}

/// Notes about tags that look like releases but cannot be read as one.
fn note_skipped(releases: &crate::git::Releases, err: &mut Sink<'_>) {
    for s in &releases.skipped {
        let _ = writeln!(err, "agentlock: {s}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every subcommand clap knows is declared in SPECS once (the help, the README's table and
    /// the leak test read SPECS).
    #[test]
    fn every_subcommand_has_one_spec() {
        use clap::CommandFactory;
        let names: Vec<String> = Cli::command()
            .get_subcommands()
            .map(|c| c.get_name().to_string())
            .collect();
        for name in &names {
            assert_eq!(SPECS.iter().filter(|s| s.name == name).count(), 1, "{name}");
        }
        assert_eq!(SPECS.len(), names.len());
    }
}
