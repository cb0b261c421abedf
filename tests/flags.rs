//! The command line a ruff or cargo-deny user expects: report flags (`--quiet`, `--silent`,
//! `--verbose`, `--output`, `--exit-zero`, `--select`, `--ignore`, `--statistics`,
//! `--format concise`), `verify --new-since`, fatal errors as `error: …`, `explain` hints and
//! JSON, `init DIR`, the rollback plan's refusal, and the root cause first.

mod common;
use common::*;
use std::path::Path;
use std::process::Output;

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A copy of example-repo with one edit of one file.
fn example_with(file: &str, from: &str, to: &str) -> tempfile::TempDir {
    let dir = copy_to_temp(&root().join("example-repo"));
    edit(dir.path(), file, from, to);
    dir
}

fn edit(dir: &Path, file: &str, from: &str, to: &str) {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{file} holds {from:?}");
    std::fs::write(&path, text.replace(from, to)).unwrap();
}

/// example-repo with the critic → planner loop bound over the policy's limit: TOPO001,
/// TOPO007 and two stale-lockfile findings, all errors.
fn failing() -> tempfile::TempDir {
    example_with("agents.yaml", "max_iterations: 3", "max_iterations: 30")
}

/// The same, in a git repository whose first commit (tagged v1.0.0) was example-repo as it
/// is; the loop bound is changed after the tag.
fn released() -> tempfile::TempDir {
    let dir = copy_to_temp(&root().join("example-repo"));
    git_in(dir.path(), &["init", "-q"]);
    git_in(dir.path(), &["add", "-A"]);
    git_in(dir.path(), &["commit", "-qm", "v1"]);
    git_in(dir.path(), &["tag", "v1.0.0"]);
    edit(
        dir.path(),
        "agents.yaml",
        "max_iterations: 3",
        "max_iterations: 30",
    );
    dir
}

fn concise(dir: &Path, args: &[&str]) -> Output {
    let mut all = vec!["--format", "concise"];
    all.extend_from_slice(args);
    run_in(dir, &all)
}

#[test]
fn concise_is_one_line_a_finding_and_quiet_drops_the_summary() {
    let dir = failing();
    let o = concise(dir.path(), &["verify"]);
    assert_eq!(o.status.code(), Some(1));
    snap!("flags_concise", out(&o));
    let q = concise(dir.path(), &["-q", "verify"]);
    let all = out(&o);
    let lines: Vec<&str> = all.lines().collect();
    assert_eq!(out(&q), lines[..lines.len() - 1].join("\n") + "\n");
    assert_eq!(q.status.code(), Some(1));
    // --quiet keeps the human findings and drops the summary line
    let h = run_in(dir.path(), &["--quiet", "verify"]);
    assert!(out(&h).contains("TOPO001(unbounded-cycle)"), "{}", out(&h));
    assert!(!out(&h).contains("agentlock: failed"), "{}", out(&h));
}

#[test]
fn silent_prints_nothing_and_the_exit_code_says_it() {
    let dir = failing();
    let o = run_in(dir.path(), &["--silent", "verify"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!((out(&o), err(&o)), (String::new(), String::new()));
    // a report file asked for is still written
    let file = dir.path().join("silent.json");
    let o = run_in(
        dir.path(),
        &[
            "-s",
            "--format",
            "json",
            "-o",
            file.to_str().unwrap(),
            "verify",
        ],
    );
    assert_eq!((o.status.code(), out(&o)), (Some(1), String::new()));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(v["summary"]["error"], 4);
    // a fatal error still says what went wrong
    let o = run_bin(&["-s", "--repo", "/no/such/dir", "verify"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).starts_with("error: cannot open repository"),
        "{}",
        err(&o)
    );
}

#[test]
fn exit_zero_passes_findings_but_not_a_failure_to_run() {
    let dir = failing();
    let o = concise(dir.path(), &["--exit-zero", "verify"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        out(&o).contains("TOPO001"),
        "the findings are still reported"
    );
    let o = run_bin(&["--exit-zero", "--repo", "/no/such/dir", "verify"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn select_and_ignore_filter_one_run_and_say_so() {
    let dir = failing();
    let lock_before = std::fs::read(dir.path().join("agentlock.lock")).unwrap();
    let o = concise(dir.path(), &["--select", "TOPO", "-q", "verify"]);
    snap!("flags_select", format!("{}---\n{}", out(&o), err(&o)));
    let o = concise(dir.path(), &["--ignore", "REL002,topo001", "verify"]);
    let text = out(&o);
    let codes: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split(' ').nth(1))
        .filter(|c| c.chars().any(|c| c.is_ascii_digit()))
        .collect();
    assert_eq!(codes, ["TOPO007"], "{}", out(&o));
    assert!(
        err(&o).contains("3 findings left out by --ignore REL002,topo001 (this run only"),
        "{}",
        err(&o)
    );
    // ignoring every error passes the run
    let o = concise(dir.path(), &["--ignore", "REL002,TOPO", "verify"]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    // a selector that names no rule is an error with the closest
    let o = concise(dir.path(), &["--select", "TPOO001", "verify"]);
    assert_eq!(o.status.code(), Some(2));
    snap!("flags_select_unknown", err(&o));
    // the lock is never touched, and the flags are refused where there are no findings
    assert_eq!(
        std::fs::read(dir.path().join("agentlock.lock")).unwrap(),
        lock_before
    );
    let o = run_in(dir.path(), &["--select", "TOPO", "diff"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("`--select` does not apply to `diff`"),
        "{}",
        err(&o)
    );
}

#[test]
fn a_file_that_did_not_load_is_reported_whatever_is_selected_and_comes_first() {
    let dir = example_with(
        "agents.yaml",
        "defaults: { timeout: 30s, retries: 2 }",
        "defaults: { timeout: 30s, retries: 2",
    );
    let o = run_in(dir.path(), &["--format", "json", "verify"]);
    let codes = codes(&o);
    assert_eq!(
        codes.first().map(String::as_str),
        Some("CONF001"),
        "{codes:?}"
    );
    // the echoes of the failed load are one quiet count, not a finding per agent
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let messages: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert!(
        !messages
            .iter()
            .any(|m| m.contains("no longer in the repository")),
        "{messages:#?}"
    );
    let human = run_in(dir.path(), &["verify"]);
    assert!(
        out(&human).starts_with("CONF001(invalid-file)"),
        "{}",
        out(&human)
    );
    let o = concise(dir.path(), &["--select", "TOPO", "verify"]);
    assert!(out(&o).contains("CONF001"), "{}", out(&o));
}

#[test]
fn statistics_count_findings_per_rule() {
    let dir = failing();
    let o = run_in(dir.path(), &["--statistics", "verify"]);
    assert_eq!(o.status.code(), Some(1));
    snap!("flags_statistics", out(&o));
    let o = run_in(dir.path(), &["--statistics", "--format", "json", "verify"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["schema"], "agentlock.statistics/v1");
    assert_eq!(v["rules"][0]["code"], "REL002");
    assert_eq!(v["rules"][0]["count"], 2);
    let o = run_in(dir.path(), &["--statistics", "--format", "sarif", "verify"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn output_writes_the_report_to_a_file_and_a_second_format_beside_stdout() {
    let dir = failing();
    let file = dir.path().join("report.sarif");
    let f = file.to_str().unwrap();
    let o = run_in(dir.path(), &["--format", "sarif", "--output", f, "verify"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(out(&o), "", "the report went to the file");
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    // human on standard output and SARIF in the file, from one run
    std::fs::remove_file(&file).unwrap();
    let o = run_in(
        dir.path(),
        &[
            "--format", "concise", "--format", "sarif", "-o", f, "verify",
        ],
    );
    assert!(out(&o).contains("TOPO001"), "{}", out(&o));
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 4, "{sarif:#}");
    // two formats without a file, three formats, an unwritable file: refused
    let o = run_in(
        dir.path(),
        &["--format", "human", "--format", "sarif", "verify"],
    );
    assert_eq!(o.status.code(), Some(2));
    snap!("flags_two_formats_no_file", err(&o));
    let o = run_in(dir.path(), &["-o", "/no/such/dir/x.sarif", "verify"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).starts_with("error: cannot write /no/such/dir/x.sarif"),
        "{}",
        err(&o)
    );
    // the second format is for the commands that report findings
    let o = run_in(
        dir.path(),
        &["--format", "json", "--format", "markdown", "-o", f, "diff"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
}

#[test]
fn verbose_times_each_phase_on_stderr() {
    let dir = copy_to_temp(&root().join("example-repo"));
    let o = run_in(dir.path(), &["--verbose", "verify"]);
    assert_eq!(o.status.code(), Some(0));
    let e = err(&o);
    for phase in ["load ", "lockfile ", "rules ", "report ", "total "] {
        assert!(e.contains(phase), "{phase}: {e}");
    }
    assert_eq!(out(&o), "agentlock: passed: 0 errors, 0 warnings\n");
    // standard error is not a terminal here: no progress line
    assert!(!e.contains('\r'), "{e:?}");
}

#[test]
fn new_since_reports_only_what_the_change_introduced() {
    let dir = released();
    // at the tag, REL003 (no earlier release) was already there; the loop bound is new
    let o = concise(dir.path(), &["verify", "--new-since"]);
    assert_eq!(o.status.code(), Some(1));
    let all = concise(dir.path(), &["verify"]);
    assert!(out(&all).contains("REL003"), "{}", out(&all));
    assert!(!out(&o).contains("REL003"), "{}", out(&o));
    assert!(out(&o).contains("TOPO001"), "{}", out(&o));
    assert!(
        err(&o).contains("1 finding also at v1.0.0 left out (--new-since): 4 new"),
        "{}",
        err(&o)
    );
    // against a revision named, and nothing new when nothing changed
    git_in(dir.path(), &["stash", "-q"]);
    let o = concise(dir.path(), &["verify", "--new-since", "HEAD"]);
    assert_eq!(
        out(&o),
        "agentlock: passed: 0 errors, 0 warnings\n",
        "{}",
        err(&o)
    );
    // outside git, or with no release tag, it says what to do
    let plain = copy_to_temp(&root().join("example-repo"));
    let o = run_in(plain.path(), &["verify", "--new-since"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).starts_with("error: "), "{}", err(&o));
}

#[test]
fn fatal_errors_start_with_error_as_cargo_and_ruff_do() {
    let dir = copy_to_temp(&root().join("example-repo"));
    let o = run_in(dir.path(), &["scan", "no-such-file.txt"]);
    assert_eq!(o.status.code(), Some(2));
    snap!("flags_scan_missing", err(&o));
    edit(dir.path(), "agentlock.toml", "[project]", "[project");
    let o = run_in(dir.path(), &["verify"]);
    assert_eq!(o.status.code(), Some(2));
    snap!("flags_fatal_with_excerpt", err(&o));
}

#[test]
fn explain_suggests_the_rule_a_word_is_about_and_writes_json() {
    let o = run_bin(&["explain", "cycle"]);
    assert_eq!(o.status.code(), Some(2));
    snap!("flags_explain_cycle", err(&o));
    let o = run_bin(&["explain", "TOPO01"]);
    assert!(err(&o).contains("Did you mean `TOPO001`?"), "{}", err(&o));
    let o = run_bin(&["--format", "json", "explain", "unbounded-cycle"]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["schema"], "agentlock.rule/v1");
    assert_eq!(v["code"], "TOPO001");
    assert!(v["docs"].as_str().unwrap().contains("## How to fix"));
}

#[test]
fn init_takes_the_directory_as_an_argument() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("new-system");
    let o = run_bin(&["init", target.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(target.join("agentlock.toml").is_file());
    let o = run_in(&target, &["verify"]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
}

#[test]
fn the_rollback_plan_says_when_apply_would_refuse() {
    let dir = released();
    git_in(dir.path(), &["add", "-A"]);
    git_in(dir.path(), &["commit", "-qm", "raise the bound"]);
    git_in(dir.path(), &["tag", "v1.1.0"]);
    // an uncommitted edit to a file the rollback restores
    let agents = dir.path().join("agents.yaml");
    edit(
        dir.path(),
        "agents.yaml",
        "entry: router",
        "# local edit\nentry: router",
    );
    let o = run_in(dir.path(), &["rollback"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(
        out(&o).contains("`--apply` would refuse, touching nothing: these files have uncommitted changes that the rollback would overwrite: agents.yaml"),
        "{}",
        out(&o)
    );
    let o = run_in(dir.path(), &["--format", "json", "rollback"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        v["apply_refused"].as_str().unwrap().contains("agents.yaml"),
        "{v:#}"
    );
    // and --apply does refuse, touching nothing
    let o = run_in(dir.path(), &["rollback", "--apply"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        std::fs::read_to_string(&agents)
            .unwrap()
            .contains("# local edit\n")
    );
}

#[test]
fn graph_takes_its_language_as_a_format() {
    let repo = root().join("example-repo");
    let o = run_in(&repo, &["--format", "dot", "graph"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(out(&o).starts_with("digraph"), "{}", out(&o));
    let o = run_in(&repo, &["graph"]);
    assert!(
        out(&o).starts_with("flowchart") || out(&o).contains("flowchart"),
        "{}",
        out(&o)
    );
    let o = run_in(&repo, &["--format", "dot", "verify"]);
    assert_eq!(o.status.code(), Some(2));
}

/// Runs `agentlock ARGS` on a pseudo-terminal (util-linux `script`), its standard output to
/// /dev/null, with `env` set; returns what the terminal showed, or `None` when `script` is not
/// installed. Fails when the run does not end within a minute (a progress line that blocks).
fn on_a_terminal(dir: &Path, env: &str, args: &str) -> Option<String> {
    let script = std::process::Command::new("script")
        .arg("--version")
        .output();
    if !script.is_ok_and(|o| o.status.success()) {
        eprintln!("SKIPPED: util-linux `script` is not installed; the progress line is not tested");
        return None;
    }
    let log = dir.join("terminal.log");
    let command = format!(
        "env {env} {} --repo {} {args} > /dev/null",
        env!("CARGO_BIN_EXE_agentlock"),
        dir.display()
    );
    let mut child = std::process::Command::new("script")
        .args(["-qfec", &command])
        .arg(&log)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > std::time::Duration::from_secs(60) {
            let _ = child.kill();
            panic!("the run on a terminal did not end: {command}");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    Some(std::fs::read_to_string(&log).unwrap_or_default())
}

#[test]
fn a_long_run_on_a_terminal_shows_progress_and_clears_it() {
    // 30,000 agents no handoff reaches: a run of a few seconds in a debug build
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "agentlock.toml", "[project]\nname = \"long\"\n");
    let mut agents = String::from(
        "entry: router\ndefaults: { timeout: 30s, retries: 1 }\nagents:\n  router: { role: router }\n",
    );
    for i in 0..30_000 {
        agents.push_str(&format!("  worker_{i}: {{ role: executor }}\n"));
    }
    write(dir.path(), "agents.yaml", &agents);
    let args = "--format json verify --no-lock-check";
    let Some(shown) = on_a_terminal(dir.path(), "-u CI", args) else {
        return;
    };
    if !shown.contains("agentlock: ") {
        // a fast machine: under a second, so no progress line is due
        eprintln!("SKIPPED: the run took under a second; no progress line was due");
        return;
    }
    assert!(shown.contains("\r\x1b[2Kagentlock: "), "{shown:?}");
    assert!(
        shown.trim_end().contains("\r\x1b[2K"),
        "the line is cleared at the end: {shown:?}"
    );
    // never in CI, never with --quiet
    for (env, args) in [
        ("CI=true", args),
        ("-u CI", "-q --format json verify --no-lock-check"),
    ] {
        let shown = on_a_terminal(dir.path(), env, args).unwrap();
        assert!(!shown.contains("agentlock: "), "{env} {args}: {shown:?}");
    }
}
