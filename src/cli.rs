//! Command-line definitions (clap derive).

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "agentlock",
    version,
    about = "Lockfile and policy-as-code checks for multi-agent LLM systems kept in git",
    long_about = "agentlock reads a repository of prompts, agent topology, MCP tool manifests, model \
choices and golden datasets; writes a content-hashed lockfile that names a release with one digest; \
and checks the repository against the deployment checklist as policy-as-code.\n\n\
Exit codes: 0 clean (warnings allowed), 1 a finding at error severity, 2 agentlock could not run."
)]
pub struct Cli {
    /// The repository root (the directory with agentlock.toml)
    #[arg(long, global = true, default_value = ".", value_name = "DIR")]
    pub repo: PathBuf,

    /// Output format. Given twice with `--output`, the first goes to standard output and the
    /// second to the file (verify, scan, traces): `--format human --format sarif -o a.sarif`
    #[arg(long = "format", global = true, value_enum, value_name = "FORMAT", action = clap::ArgAction::Append)]
    pub formats: Vec<Format>,

    /// The format of standard output's report (the first `--format`; human by default)
    #[arg(skip)]
    pub format: Format,

    /// Write the report to FILE instead of standard output (never through a symlink)
    #[arg(short, long, global = true, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Print the findings and nothing else: no summary line, no notes
    #[arg(short, long, global = true, conflicts_with = "silent")]
    pub quiet: bool,

    /// Print nothing but a fatal error; the exit code says the result (a file `--output`
    /// names is still written)
    #[arg(short, long, global = true)]
    pub silent: bool,

    /// Print how long each phase took, on standard error
    #[arg(short, long, global = true)]
    pub verbose: bool,

    /// Exit 0 even when a finding is an error (2 still means agentlock could not run)
    #[arg(long, global = true)]
    pub exit_zero: bool,

    /// Evaluate only these packages of the Rego policies (`[policy] rego`), for this run
    /// (comma-separated or repeated; default: every package)
    #[arg(long, global = true, value_name = "PACKAGE", value_delimiter = ',')]
    pub namespace: Vec<String>,

    /// Report only these rules, for this run (codes, code prefixes such as `TOPO`, or names;
    /// comma-separated or repeated). The policy and the lock are not changed
    #[arg(long, global = true, value_name = "RULE", value_delimiter = ',')]
    pub select: Vec<String>,

    /// Do not report these rules, for this run (as `--select`)
    #[arg(long, global = true, value_name = "RULE", value_delimiter = ',')]
    pub ignore: Vec<String>,

    /// Print how many findings each rule has, instead of the findings
    #[arg(long, global = true)]
    pub statistics: bool,

    /// When to color human output (NO_COLOR is honoured with `auto`)
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto)]
    pub color: Color,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    #[default]
    Human,
    /// One line a finding: `path:line:col: CODE message`
    Concise,
    Json,
    /// A pull-request comment
    Markdown,
    /// SARIF 2.1.0, for GitHub code scanning (verify, scan)
    Sarif,
    /// GitHub Actions annotations (verify, scan)
    Github,
    /// JUnit XML, a test case per rule (verify, scan)
    Junit,
    /// A Mermaid flowchart (graph; renders in GitHub and GitLab Markdown)
    Mermaid,
    /// Graphviz DOT (graph; `dot -Tsvg`)
    Dot,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Human => "human",
            Format::Concise => "concise",
            Format::Json => "json",
            Format::Markdown => "markdown",
            Format::Sarif => "sarif",
            Format::Github => "github",
            Format::Junit => "junit",
            Format::Mermaid => "mermaid",
            Format::Dot => "dot",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run every rule and check the lockfile (the default command)
    Verify {
        /// Do not compare the lockfile with the repository (REL001, REL002)
        #[arg(long)]
        no_lock_check: bool,
        /// Check what is staged in the git index (what the next commit will hold), not the
        /// working tree; for pre-commit hooks
        #[arg(long, conflicts_with = "rev")]
        staged: bool,
        /// Check a git revision (a tag, a branch, a commit), read from git with no checkout
        #[arg(long, value_name = "REV")]
        rev: Option<String>,
        /// Report only the findings that are not also at REV (default: the last release
        /// tag): what this change introduced, matched by the finding's fingerprint
        #[arg(long, value_name = "REV", num_args = 0..=1, default_missing_value = "")]
        new_since: Option<String>,
    },
    /// Write agentlock.lock, pinning every prompt, tool, model, agent and dataset by hash
    Lock {
        /// Write nothing; exit 1 if the lockfile would change, naming each entry that would
        #[arg(long)]
        check: bool,
    },
    /// Scan for credentials: the given files, whatever they are (pre-commit passes them), or
    /// every file of the model when none is given
    Scan {
        /// Files to scan, relative to the current directory
        files: Vec<std::path::PathBuf>,
    },
    /// What changed since the last release: every prompt, tool, model, agent, dataset and
    /// setting, with each version bump classed major, minor or patch
    Diff {
        /// The release to compare with (default: the newest release tag that HEAD reaches)
        #[arg(long, value_name = "TAG")]
        base: Option<String>,
        /// The revision to compare (default: the working tree)
        #[arg(long, value_name = "REV")]
        head: Option<String>,
    },
    /// The rollback target (the release before the current one) and each entry to restore;
    /// `--apply` restores those files from the tag and rewrites agentlock.lock
    Rollback {
        /// The release to roll back to (default: the newest release tag that HEAD reaches and
        /// that is not HEAD itself)
        #[arg(long, value_name = "TAG")]
        to: Option<String>,
        /// Write the files from the tag into the working tree and rewrite agentlock.lock;
        /// nothing is committed
        #[arg(long)]
        apply: bool,
    },
    /// Explain a rule: what it checks, why it matters, how to fix it
    Explain {
        /// A rule code (TOPO001) or name (unbounded-cycle)
        code: String,
    },
    /// List every rule with its code, name and default severity
    Rules,
    /// The deployment checklist, filled in from what `verify` finds (Markdown, or JSON)
    ///
    /// Each item a rule checks is ticked or crossed with its evidence, each item only a person
    /// can check is left open, and the sign-off names the version (lock root digest, last
    /// release tag, HEAD commit). Exit 1 on a finding at error severity, like `verify`.
    /// With `--traces`, exported traces are checked too (as `agentlock traces` checks them)
    /// and tick the telemetry, prompt-version and deterministic-run items.
    Checklist {
        /// An exported trace file to hold against the lock (repeat for more; `-` is stdin)
        #[arg(long = "traces", value_name = "FILE")]
        traces: Vec<std::path::PathBuf>,
    },
    /// Keep eval and test results as evidence of this release, bound to what they tested
    Evidence {
        #[command(subcommand)]
        action: EvidenceAction,
    },
    /// The release decision (checklist 2.4): the evidence against the last release's
    ///
    /// Compares the golden results with those recorded at the last release tag, per dataset
    /// and metric, paired by case (exact McNemar for pass rates, Wilcoxon signed-rank and a
    /// bootstrap interval for scores, Holm across metrics), measures the KPIs of deploy.yaml,
    /// and says BLOCKED or ALLOWED with each reason. Exit 1 when blocked.
    Gate,
    /// Exported traces held against the lock: what the agents really did
    ///
    /// Reads OTLP/JSON (the OpenTelemetry Collector's file exporter: one request a line, or
    /// one document) and Langfuse trace exports, streaming, and checks every trace against
    /// the declared agents, handoffs, loop bounds, tools, pinned models, prompt versions,
    /// timeouts, retry limits and releases (TRACE001–TRACE012). Prints a summary per agent and
    /// tool. Exit 1 on an error finding.
    Traces {
        /// Trace files (`-` reads standard input)
        #[arg(value_name = "FILE", required = true)]
        files: Vec<std::path::PathBuf>,
    },
    /// Draw the agent topology as a Mermaid or Graphviz DOT picture
    ///
    /// Agents are nodes with their role, model (alias and id) and timeout; the entry agent is
    /// marked; handoffs are edges labelled with their loop bound. Loops with no bound on any
    /// edge are red, agents the entry cannot reach are dashed grey, and handoff targets that are
    /// not defined are dashed red.
    ///
    /// `--format mermaid` (the default) or `--format dot`.
    Graph,
    /// Scaffold a new repository that passes `verify`
    ///
    /// Writes agentlock.toml, agents.yaml, prompts/, tools/, models.yaml, deploy.yaml,
    /// datasets/, CODEOWNERS (unless the repository has one) and agentlock.lock into --repo DIR,
    /// creating it if needed. Never overwrites a file: if any of them exists, nothing is
    /// written.
    Init {
        /// The directory to scaffold (default: `--repo`, the current directory)
        #[arg(value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Print the repository as the input Rego policies see (`agentlock.model/v1`)
    ///
    /// The document organisation policies (`[policy] rego`) are evaluated against: project,
    /// agents, prompts, tools, models, deploy, datasets, the lock and, in git, the last
    /// release. Every key is present (null or empty where nothing is declared). Use it with
    /// `opa eval` or conftest too: `agentlock model > input.json`.
    Model,
    /// Work with the organisation's Rego policies
    Policy {
        #[command(subcommand)]
        action: PolicyAction,
    },
    /// Print the JSON Schemas of agentlock's files, for editors, and of `agentlock model`
    ///
    /// With no NAME, lists the schemas; with NAME, prints that schema (JSON Schema draft
    /// 2020-12). `--write DIR` writes every schema (or NAME's) as DIR/NAME.schema.json,
    /// creating DIR, which must be inside the repository. Point an editor at them: a first
    /// line `# yaml-language-server: $schema=.agentlock/schemas/agents.schema.json` in a YAML
    /// file, `#:schema .agentlock/schemas/agentlock.schema.json` in a TOML file (taplo);
    /// `agentlock init` writes both. `model` describes the document `agentlock model` prints
    /// (the input of Rego policies), not a file: no modeline points at it.
    Schema {
        /// The schema to print (agentlock, policy, agents, tool, models, deploy, lock,
        /// evidence, qa, model)
        #[arg(value_name = "NAME")]
        name: Option<String>,
        /// Write the schemas into this directory (inside the repository) instead of printing
        #[arg(long, value_name = "DIR")]
        write: Option<PathBuf>,
    },
    /// Print a shell completion script
    ///
    /// For example: `agentlock completions bash > ~/.local/share/bash-completion/completions/agentlock`
    Completions {
        /// The shell to complete in
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff)
    ///
    /// For example: `agentlock man > ~/.local/share/man/man1/agentlock.1`, or with
    /// `--out-dir ~/.local/share/man/man1` the page of each subcommand too.
    Man {
        /// Write agentlock.1 and a page per subcommand (agentlock-verify.1, …) into this
        /// directory instead of printing agentlock.1
        #[arg(long, value_name = "DIR")]
        out_dir: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub enum EvidenceAction {
    /// Validate results files and store them under evidence/ with their index entry
    ///
    /// Reads promptfoo (`-o results.json`), Inspect AI (`--log-format=json`), DeepEval test
    /// runs, JUnit XML, agentlock.eval/v1 JSONL and agentlock.qa/v1 QA reviews. Each file is
    /// checked against the golden datasets (every case must be an item of its dataset, at the
    /// locked version) and bound to the digest of what decides behaviour; on any problem
    /// nothing is stored.
    Add {
        /// Results files inside the repository, relative to the current directory
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The golden dataset the results are for, when the file does not say
        #[arg(long, value_name = "NAME")]
        dataset: Option<String>,
        /// The harness that wrote them, when it cannot be told from the content
        /// (promptfoo, inspect, deepeval, junit, agentlock.eval/v1)
        #[arg(long, value_name = "HARNESS")]
        harness: Option<String>,
    },
}

/// `agentlock policy …`.
#[derive(Clone, Debug, clap::Subcommand)]
pub enum PolicyAction {
    /// Run the `test_` rules of the Rego policies, as `opa test` does
    ///
    /// Each test passes when it is defined and true; the repository is its `input` unless it
    /// says `with input as …`. Exit 1 when a test fails or a policy does not compile.
    Test,
}
