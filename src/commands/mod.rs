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
mod model;
mod policy;
mod rollback;
mod rules;
mod scan;
mod schema;
mod traces;
mod verify;

pub const EXIT_OK: i32 = 0;

pub const EXIT_FINDINGS: i32 = 1;

pub const EXIT_ERROR: i32 = 2;

/// The arguments of this process, parsed by the command line [`command`] describes.
pub fn parse() -> Cli {
    use clap::FromArgMatches;
    let matches = command().get_matches();
    let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    cli.format = cli.formats.first().copied().unwrap_or_default();
    cli
}

/// The format and file of a second report (`--format A --format B --output FILE`: B goes to
/// FILE), after checking the formats and files the command line asks for.
fn second_report(cli: &Cli) -> Result<Option<(Format, &std::path::Path)>, Fatal> {
    match (cli.formats.as_slice(), cli.output.as_deref()) {
        ([_, second], Some(file)) => Ok(Some((*second, file))),
        ([_, _], None) => Err(fatal(
            "`--format` is given twice but there is no `--output FILE` for the second report",
            Some(
                "`--format human --format sarif --output results.sarif` prints the first and writes the second",
            ),
        )),
        ([_, _, _, ..], _) => Err(fatal(
            "`--format` is given more than twice",
            Some("give one format for standard output and, with `--output FILE`, one for the file"),
        )),
        _ => Ok(None),
    }
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
    let result = report(cli, color, out, err);
    let mut err = Sink::new(err, Mode::Text, color);
    let code = report_fatal(result, color, &mut err);
    err.finish();
    if cli.exit_zero && code == EXIT_FINDINGS {
        EXIT_OK
    } else {
        code
    }
}

/// Runs the command with its report where the flags send it: standard output, the
/// `--output` file, or nowhere (`--silent`); notes on `err` unless `--quiet` or `--silent`.
fn report(cli: &Cli, color: bool, out: &mut dyn Write, err: &mut dyn Write) -> Result<i32, Fatal> {
    // Refused before anything is read or written.
    spec(&cli.command).check(cli)?;
    second_report(cli)?;
    let mut file = match (&cli.output, cli.formats.len()) {
        (Some(path), 0 | 1) => Some(create(cli, path)?),
        _ => None,
    };
    let color = color && file.is_none();
    let mut nothing = std::io::sink();
    // (`--silent` prints nothing; a file the user asked for is still written)
    let out: &mut dyn Write = match &mut file {
        Some(f) => f,
        None if cli.silent => &mut nothing,
        None => out,
    };
    let mut out = Sink::new(out, out_mode(cli), color);
    let mut quiet = std::io::sink();
    let err: &mut dyn Write = if cli.quiet || cli.silent {
        &mut quiet
    } else {
        err
    };
    let mut err = Sink::new(err, Mode::Text, color);
    let progress = !cli.quiet && !cli.silent && progress_wanted();
    crate::timing::start(cli.verbose, progress);
    let result = dispatch(cli, color, &mut out, &mut err);
    // The progress line is cleared before the report reaches the terminal.
    let phases = crate::timing::stop();
    out.finish();
    if cli.verbose {
        let _ = writeln!(err, "agentlock: {}", crate::timing::describe(&phases));
    }
    err.finish();
    result
}

/// How a command's output is escaped: as JSON where it prints JSON whatever the format (the
/// `model` document, one schema), else as its format says. (Escaped as text, an invisible
/// character a repository holds, `\u{200b}`, would make the JSON invalid.)
fn out_mode(cli: &Cli) -> Mode {
    match &cli.command {
        Some(Command::Model)
        | Some(Command::Schema {
            name: Some(_),
            write: None,
        }) => Mode::Json,
        _ => mode(cli.format),
    }
}

/// How a report in `format` is escaped.
fn mode(format: Format) -> Mode {
    match format {
        Format::Json | Format::Sarif => Mode::Json,
        Format::Junit => Mode::Xml,
        _ => Mode::Text,
    }
}

/// Creates (or truncates) a report file the user named on the command line.
fn create(cli: &Cli, path: &std::path::Path) -> Result<Box<dyn Write>, Fatal> {
    crate::snapshot::stream::create_named(path, &cli.repo).map_err(|e| {
        fatal(
            format!(
                "cannot write {}: {e}",
                crate::source::printable(&path.to_string_lossy())
            ),
            Some("`--output FILE` names a file to create, in a directory that exists"),
        )
    })
}

/// A command's result as an exit code, its fatal error written to `err`.
fn finish(result: Result<i32, Fatal>, err: &mut dyn Write) -> i32 {
    let mut err = Sink::new(err, Mode::Text, false);
    report_fatal(result, false, &mut err)
}

fn dispatch(cli: &Cli, color: bool, out: &mut Sink<'_>, err: &mut Sink<'_>) -> Result<i32, Fatal> {
    match &cli.command {
        None => verify::run(cli, &verify::Args::default(), color, out, err),
        Some(Command::Verify {
            no_lock_check,
            staged,
            rev,
            new_since,
        }) => verify::run(
            cli,
            &verify::Args {
                no_lock_check: *no_lock_check,
                staged: *staged,
                rev: rev.as_deref(),
                new_since: new_since.as_deref(),
            },
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
        Some(Command::Explain { code }) => explain::run(cli, code, out),
        Some(Command::Rules) => rules::run(cli.format, out),
        Some(Command::Scan { files }) => scan::run(cli, files, color, out, err),
        Some(Command::Checklist { traces }) => checklist::run(cli, traces, out, err),
        Some(Command::Evidence { action }) => evidence::run(cli, action, color, out),
        Some(Command::Gate) => gate::run(cli, color, out, err),
        Some(Command::Traces { files }) => traces::run(cli, files, color, out, err),
        Some(Command::Graph) => graph::run(cli, out, err),
        Some(Command::Init { dir }) => init::run(cli, dir.as_deref(), out),
        Some(Command::Model) => model::run(cli, out, err),
        Some(Command::Policy {
            action: crate::cli::PolicyAction::Test,
        }) => policy::test(cli, out, err),
        Some(Command::Schema { name, write }) => {
            schema::run(cli, name.as_deref(), write.as_deref(), out)
        }
        Some(Command::Completions { .. } | Command::Man { .. }) => unreachable!("run"),
    }
}

/// What a command declares about itself: its name and the formats it writes.
pub struct Spec {
    pub name: &'static str,
    pub accepts: Accepts,
    /// It reports findings: `--select`, `--ignore`, `--statistics` and a second `--format`
    /// apply.
    pub findings: bool,
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
    schema::SPEC,
    model::SPEC,
    policy::SPEC,
    completions::SPEC,
    man::SPEC,
];

/// Every format.
const ALL: &[Format] = &[
    Format::Human,
    Format::Concise,
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
        Some(Command::Graph) => &graph::SPEC,
        Some(Command::Init { .. }) => &init::SPEC,
        Some(Command::Schema { .. }) => &schema::SPEC,
        Some(Command::Model) => &model::SPEC,
        Some(Command::Policy { .. }) => &policy::SPEC,
        Some(Command::Completions { .. }) => &completions::SPEC,
        Some(Command::Man { .. }) => &man::SPEC,
    }
}

impl Spec {
    /// Whether the command takes the formats and report flags the command line gives; the
    /// error that says what it takes when not.
    fn check(&self, cli: &Cli) -> Result<(), Fatal> {
        for &format in &cli.formats {
            self.check_format(format)?;
        }
        let findings_only = [
            (cli.formats.len() > 1, "`--format` given twice"),
            (!cli.select.is_empty(), "`--select`"),
            (!cli.ignore.is_empty(), "`--ignore`"),
            (cli.statistics, "`--statistics`"),
        ];
        if !self.findings
            && let Some((_, flag)) = findings_only.iter().find(|(given, _)| *given)
        {
            let reporting: Vec<&str> = SPECS
                .iter()
                .filter(|s| s.findings)
                .map(|s| s.name)
                .collect();
            return Err(fatal(
                format!("{flag} does not apply to `{}`", self.name),
                Some(&format!(
                    "it applies to the commands that report findings: {}",
                    crate::suggest::and_list(&reporting)
                )),
            ));
        }
        if cli.statistics
            && let Some(f) = cli
                .formats
                .iter()
                .find(|f| !matches!(f, Format::Human | Format::Json))
        {
            return Err(fatal(
                format!(
                    "`--statistics` is written as human or json, not `{}`",
                    f.as_str()
                ),
                Some("drop `--format`, or use `--format json`"),
            ));
        }
        Ok(())
    }

    /// Whether the command writes `format`; the error that says what it writes when not.
    fn check_format(&self, format: Format) -> Result<(), Fatal> {
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
                crate::suggest::and_list(&f.iter().map(|f| f.as_str()).collect::<Vec<_>>())
            };
            let verb = if cmds.len() == 1 { "writes" } else { "write" };
            format!("{} {verb} {what}", crate::suggest::and_list(cmds))
        })
        .collect::<Vec<_>>()
        .join("; ")
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

/// Whether a progress line may be drawn: standard error is a terminal and this is not CI.
fn progress_wanted() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal() && std::env::var_os("CI").is_none()
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
        // a home directory or a disk is not a repository: refused rather than read for minutes
        wt.with_walk_limit(crate::snapshot::WALK_LIMIT)
    })
}

/// Loads the model, turning a manifest error into a fatal error that shows the manifest.
fn load(snapshot: &dyn Snapshot) -> Result<crate::load::model::Model, Fatal> {
    crate::timing::phase("load", || crate::load::load(snapshot))
        .map_err(|e| with_manifest(e, snapshot))
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
    cli: &Cli,
    mut v: crate::pipeline::Verified,
    color: bool,
    ctx: &ReportCtx,
    out: &mut Sink<'_>,
    err: &mut Sink<'_>,
) -> Result<i32, Fatal> {
    select(cli, &mut v.findings, err)?;
    emit(cli, color, out, &|format, color, out| {
        let text = render_findings(
            format,
            &v.findings,
            v.suppressed,
            &v.model.sources,
            &v.rules,
            color,
            ctx,
            Extras::of(cli),
            out,
        );
        let _ = out.write_all(text.as_bytes());
    })?;
    let code = report::exit_code(&v.findings);
    // Freeing a large repository's model piece by piece takes milliseconds (8 ms for 10,000
    // prompts) that the exit right after does at once: off the critical path, as the Rego
    // document is.
    rayon::spawn(move || drop(v));
    Ok(code)
}

/// Leaves out what `--select` and `--ignore` do not report, and says on `err` how many.
fn select(
    cli: &Cli,
    findings: &mut Vec<crate::finding::Finding>,
    err: &mut Sink<'_>,
) -> Result<(), Fatal> {
    let selection =
        crate::select::Selection::parse(&cli.select, &cli.ignore, crate::rules::catalog())
            .map_err(|e| fatal(e, Some("`agentlock rules` lists every code and name")))?;
    if selection.is_empty() {
        return Ok(());
    }
    let left_out = selection.apply(findings);
    if left_out > 0 {
        let _ = writeln!(
            err,
            "agentlock: {} left out by {} (this run only: the policy and the lock are unchanged)",
            crate::checklist::plural(left_out, "finding", "findings"),
            selection.described
        );
    }
    Ok(())
}

/// Writes a report to standard output (or `--output`'s file) in `--format`, and when
/// `--format` is given twice, again in the second format to the `--output` file.
fn emit(
    cli: &Cli,
    color: bool,
    out: &mut Sink<'_>,
    render: &dyn Fn(Format, bool, &mut Sink<'_>),
) -> Result<(), Fatal> {
    crate::timing::phase("report", || render(cli.format, color, out));
    if let Some((format, path)) = second_report(cli)? {
        let mut file = create(cli, path)?;
        let mut sink = Sink::new(&mut file, mode(format), false);
        crate::timing::phase("report", || render(format, false, &mut sink));
        sink.finish();
    }
    Ok(())
}

/// What the report flags ask of a findings report besides its format.
#[derive(Clone, Copy)]
struct Extras {
    /// `--quiet`: the findings and nothing else.
    quiet: bool,
    /// `--statistics`: counts per rule instead of the findings.
    statistics: bool,
}

impl Extras {
    fn of(cli: &Cli) -> Extras {
        Extras {
            quiet: cli.quiet,
            statistics: cli.statistics,
        }
    }
}

/// A findings report in `format`. GitHub annotations are written to `out` as workflow
/// commands; the text returned follows them.
#[allow(clippy::too_many_arguments)]
fn render_findings(
    format: Format,
    findings: &[crate::finding::Finding],
    suppressed: usize,
    sources: &crate::source::SourceMap,
    rules: &[(&crate::rules::Rule, Option<crate::pipeline::NotRun>)],
    color: bool,
    ctx: &ReportCtx,
    extras: Extras,
    out: &mut Sink<'_>,
) -> String {
    use crate::report::{concise, github, junit, markdown, sarif, statistics};
    let summary = !extras.quiet;
    if extras.statistics {
        return match format {
            Format::Json => statistics::json(findings),
            _ => statistics::human(findings, suppressed, summary),
        };
    }
    match format {
        Format::Human => human::render_with(findings, suppressed, sources, color, summary),
        Format::Concise => concise::render(findings, suppressed, sources, summary),
        Format::Json => json::render(findings, suppressed, sources),
        Format::Markdown => markdown::render(findings, suppressed, sources, &ctx.prefix, ctx.title),
        Format::Sarif => sarif::render(findings, sources, &ctx.prefix),
        Format::Github => {
            let (commands, text) = github::render(findings, suppressed, sources, &ctx.prefix);
            out.command(&commands);
            text
        }
        Format::Junit => junit::render(
            findings,
            suppressed,
            sources,
            rules,
            &format!("agentlock {}", ctx.title),
        ),
        // (no findings command accepts them: `Spec::check` refused them)
        Format::Mermaid | Format::Dot => String::new(),
    }
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
    let git = git?;
    let loaded = crate::timing::phase("history", || {
        History::load(git, &model.config.release, head, crate::rules::catalog())
    });
    match loaded {
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

/// Every rule over the working tree, with the release history and the evidence to compare
/// with when in git: what `checklist` and `gate` decide on.
struct Checked {
    v: crate::pipeline::Verified,
    history: Option<History>,
    git: Option<Git>,
    head: Option<Commit>,
}

fn check_worktree(cli: &Cli, wt: &Worktree, err: &mut Sink<'_>) -> Result<Checked, Fatal> {
    let mut model = load(wt)?;
    let git = Git::discover(&cli.repo).ok();
    let head = git.as_ref().and_then(|g| g.head().ok().flatten());
    let history = load_history(git.as_ref(), &model, head, err);
    let baseline = load_baseline(git.as_ref(), history.as_ref(), &mut model);
    let v = crate::pipeline::check(
        model,
        wt,
        true,
        history.as_ref(),
        baseline,
        &cli.namespace,
        crate::date::today(),
    );
    Ok(Checked {
        v,
        history,
        git,
        head,
    })
}

/// The repository as the Rego policies see it (`model`, `policy test`): with its lock and, in
/// git, the last release.
fn rego_document(
    cli: &Cli,
    model: &crate::load::model::Model,
    err: &mut Sink<'_>,
) -> crate::rego::input::Doc {
    let git = Git::discover(&cli.repo).ok();
    let head = git.as_ref().and_then(|g| g.head().ok().flatten());
    let history = load_history(git.as_ref(), model, head, err);
    let lock = crate::lock::Lock::from_model(model, crate::rules::catalog());
    crate::rego::document(model, Some(&lock), history.as_ref())
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
