//! agentlock without a Rust toolchain: the wheel maturin builds from this checkout installs
//! into a fresh virtualenv with no network and runs; the GitHub Action (`action.yml`) is
//! well-formed, pins what it uses, and its shell steps do what it says when run with a fake
//! `GITHUB_*` environment.

mod common;

use common::packaging::{pip_install_offline, skipped, venv, wheel_dir, wheel_file};
use common::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

fn text(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn the_wheel_installs_offline_and_runs() {
    let wheels = match wheel_dir() {
        Ok(d) => d,
        Err(why) => return skipped("the_wheel_installs_offline_and_runs", &why),
    };
    let wheel = wheel_file(&wheels);
    let name = wheel.file_name().unwrap().to_string_lossy().into_owned();
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        name.starts_with(&format!("agentlock-{version}-py3-none-")),
        "a binary wheel for any Python 3: {name}"
    );
    let tmp = tempfile::tempdir().unwrap();
    let bin = match venv(&tmp.path().join("venv")) {
        Ok(b) => b,
        Err(why) => return skipped("the_wheel_installs_offline_and_runs", &why),
    };
    let started = Instant::now();
    let out = pip_install_offline(&bin, &wheels, "agentlock");
    let took = started.elapsed();
    assert!(out.status.success(), "pip install: {}", text(&out));
    let size = std::fs::metadata(&wheel).unwrap().len();
    eprintln!(
        "wheel {name}: {:.1} MB (dev profile), installed with no network in {:.2} s",
        size as f64 / 1e6,
        took.as_secs_f64()
    );

    let agentlock = bin.join("agentlock");
    let v = Command::new(&agentlock).arg("--version").output().unwrap();
    assert!(v.status.success(), "{}", text(&v));
    assert_eq!(
        String::from_utf8_lossy(&v.stdout).trim(),
        format!("agentlock {version}")
    );
    // The installed command is the packaged binary, not a Python launcher around something else.
    let head = std::fs::read(&agentlock).unwrap();
    assert_eq!(
        &head[..4],
        b"\x7fELF",
        "the wheel's script is the binary itself"
    );

    let repo = copy_to_temp(&root().join("example-repo"));
    let o = Command::new(&agentlock)
        .args(["verify", "--repo"])
        .arg(repo.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "verify example-repo: {}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("0 errors"),
        "{}",
        text(&o)
    );
}

#[test]
fn the_source_distribution_holds_what_the_binary_is_built_from() {
    // The files the non-test code includes at compile time must be in the sdist, or
    // `pip install agentlock` from source fails on a machine that has Rust.
    let py = std::fs::read_to_string(root().join("pyproject.toml")).unwrap();
    let doc: toml::Value = toml::from_str(&py).unwrap();
    assert_eq!(
        doc["build-system"]["build-backend"].as_str(),
        Some("maturin")
    );
    assert_eq!(doc["tool"]["maturin"]["bindings"].as_str(), Some("bin"));
    assert!(
        doc["project"]["dynamic"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v.as_str() == Some("version")),
        "the version is Cargo.toml's, written once"
    );
    let excluded: Vec<String> = doc["tool"]["maturin"]["exclude"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().trim_end_matches("/**").to_string())
        .collect();
    for entry in walkdir::WalkDir::new(root().join("src")) {
        let entry = entry.unwrap();
        if !entry.file_type().is_file() {
            continue;
        }
        let code = std::fs::read_to_string(entry.path()).unwrap();
        // Code before the unit tests: what a release build compiles.
        let code = code.split("#[cfg(test)]").next().unwrap();
        for (at, _) in code.match_indices("include_str!(\"") {
            let rest = &code[at + "include_str!(\"".len()..];
            let rel = &rest[..rest.find('"').unwrap()];
            let path = entry.path().parent().unwrap().join(rel);
            let path = path.canonicalize().unwrap();
            let inside = path.strip_prefix(root().canonicalize().unwrap()).unwrap();
            let top = inside.components().next().unwrap();
            let top = top.as_os_str().to_string_lossy();
            assert!(
                !excluded.iter().any(|e| *e == top),
                "{} includes {}, which pyproject.toml leaves out of the sdist",
                entry.path().display(),
                inside.display()
            );
        }
    }
}

// ---- the GitHub Action ----------------------------------------------------------------------

fn action_text() -> String {
    std::fs::read_to_string(root().join("action.yml")).unwrap()
}

fn action() -> Value {
    serde_saphyr::from_str(&action_text()).unwrap()
}

fn steps(a: &Value) -> &Vec<Value> {
    a["runs"]["steps"].as_array().unwrap()
}

/// `${{ … }}` expressions in a text.
fn expressions(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(at) = rest.find("${{") {
        let after = &rest[at + 3..];
        let end = after.find("}}").expect("an expression ends");
        out.push(after[..end].trim().to_string());
        rest = &after[end + 2..];
    }
    out
}

/// The dotted names an expression reads: `inputs.sarif-file`, `steps.run.outputs.exit-code`.
fn words(e: &str) -> Vec<&str> {
    e.split(|c: char| !(c.is_alphanumeric() || "._-".contains(c)))
        .filter(|w| w.contains('.'))
        .collect()
}

/// Every `uses:` line of a workflow or action file, with its line number.
fn uses_lines(text: &str) -> Vec<(usize, String)> {
    text.lines()
        .enumerate()
        .filter_map(|(i, l)| {
            let t = l.trim_start().trim_start_matches("- ");
            t.strip_prefix("uses:")
                .map(|u| (i + 1, u.trim().to_string()))
        })
        .collect()
}

fn pinned(uses: &str) -> bool {
    let (reference, comment) = uses.split_once('#').unwrap_or((uses, ""));
    let Some((name, rev)) = reference.trim().split_once('@') else {
        return false;
    };
    name.contains('/')
        && rev.len() == 40
        && rev
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        && comment.trim().starts_with('v')
}

#[test]
fn the_action_is_well_formed() {
    let a = action();
    assert_eq!(a["runs"]["using"].as_str(), Some("composite"));
    assert!(a["name"].is_string() && a["description"].is_string());
    let inputs = a["inputs"].as_object().unwrap();
    // The expressions of the steps: in `${{ }}`, and the `if:` conditions, which are bare.
    let conditions: Vec<String> = steps(&a)
        .iter()
        .filter_map(|s| s["if"].as_str())
        .map(|c| format!("${{{{ {c} }}}}"))
        .collect();
    let runs = serde_json::to_string(&a["runs"]).unwrap() + &conditions.concat();
    let outputs = serde_json::to_string(&a["outputs"]).unwrap();
    for (name, spec) in inputs {
        let doc = spec["description"].as_str().unwrap_or("");
        assert!(doc.len() > 20, "input `{name}` is documented: {doc:?}");
        assert!(
            spec.get("default").is_some(),
            "input `{name}` has a default"
        );
        assert!(
            expressions(&runs)
                .iter()
                .flat_map(|e| words(e))
                .any(|w| w == format!("inputs.{name}")),
            "input `{name}` is used by a step"
        );
    }
    // Every expression names something that exists.
    let ids: Vec<&str> = steps(&a).iter().filter_map(|s| s["id"].as_str()).collect();
    for e in expressions(&runs).iter().chain(&expressions(&outputs)) {
        for w in words(e) {
            let parts: Vec<&str> = w.split('.').collect();
            match parts[0] {
                "inputs" => assert!(inputs.contains_key(parts[1]), "{e}: no input {}", parts[1]),
                "steps" => assert!(ids.contains(&parts[1]), "{e}: no step {}", parts[1]),
                "github" | "runner" => {}
                other => panic!("{e}: unexpected context {other}"),
            }
        }
    }
    for (i, step) in steps(&a).iter().enumerate() {
        let name = step["name"].as_str().unwrap_or("");
        assert!(!name.is_empty(), "step {i} has a name");
        if let Some(run) = step["run"].as_str() {
            // Inputs reach a script only through its environment: no template injection.
            assert!(
                !run.contains("${{"),
                "step `{name}` interpolates an expression into its script"
            );
            assert_eq!(step["shell"].as_str(), Some("bash"), "step `{name}`");
            assert!(
                step.get("if").is_none(),
                "step `{name}` decides in its script"
            );
        } else {
            assert!(step["uses"].is_string(), "step `{name}` runs or uses");
        }
    }
    // The run step writes the outputs the action declares.
    let run = steps(&a).iter().find(|s| s["id"] == "run").unwrap()["run"]
        .as_str()
        .unwrap();
    for out in a["outputs"].as_object().unwrap().keys() {
        assert!(
            run.contains(&format!("{out}=")),
            "the run step writes `{out}`"
        );
    }
}

#[test]
fn every_action_used_is_pinned_by_commit() {
    let files = [
        ("action.yml", action_text()),
        (
            "docs/agentlock-pr-check.yml",
            std::fs::read_to_string(root().join("docs/agentlock-pr-check.yml")).unwrap(),
        ),
    ];
    let mut seen = 0;
    for (file, text) in &files {
        for (line, uses) in uses_lines(text) {
            seen += 1;
            // agentlock's own action is named by its release tag: its commit is not known
            // before the release (the README says to pin it by commit once published).
            if uses.starts_with("agentlock/agentlock@v") {
                continue;
            }
            assert!(
                pinned(&uses),
                "{file}:{line}: `{uses}` is not pinned by a full commit SHA with a `# vX` comment"
            );
        }
    }
    assert!(seen >= 4, "the files use actions: {seen}");
    assert!(pinned(
        "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2"
    ));
    assert!(!pinned("actions/checkout@v4"));
    assert!(!pinned("actions/checkout@11bd719 # v4"));
}

/// What running the action's shell steps gave.
struct Ran {
    /// (step name, exit code) of the steps that ran.
    steps: Vec<(String, i32)>,
    /// Outputs by step id.
    outputs: BTreeMap<String, BTreeMap<String, String>>,
    /// Everything the steps printed.
    log: String,
    summary: String,
    skipped: Vec<String>,
}

/// Runs the action's `run:` steps as a runner would (`bash --noprofile --norc -eo pipefail`,
/// a fresh `GITHUB_OUTPUT` per step, `GITHUB_PATH` prepended to later steps' PATH). A `uses:`
/// step is not run (it is fetched from GitHub): its outputs are empty, as a skipped step's are.
/// How agentlock gets onto the runner in a test.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Install {
    /// The install step installs the wheel built from this checkout; nothing else is on PATH.
    Wheel,
    /// This build's binary is on PATH already (an earlier use of the action in the job), and
    /// the install step runs.
    Present,
    /// This build's binary is on PATH, and the install step is not run.
    Skip,
}

fn run_action(
    workspace: &Path,
    inputs: &[(&str, &str)],
    env: &[(&str, &str)],
    install: Install,
) -> Ran {
    let a = action();
    let gh = tempfile::tempdir().unwrap();
    let g = gh.path();
    let summary = g.join("summary.md");
    let path_file = g.join("path");
    let env_file = g.join("env");
    std::fs::write(&summary, "").unwrap();
    std::fs::write(&path_file, "").unwrap();
    std::fs::write(&env_file, "").unwrap();
    let input = |name: &str| -> String {
        inputs
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
            .unwrap_or_else(|| {
                let d = &a["inputs"][name]["default"];
                d.as_str().map_or_else(|| d.to_string(), str::to_string)
            })
    };
    let mut ran = Ran {
        steps: Vec::new(),
        outputs: BTreeMap::new(),
        log: String::new(),
        summary: String::new(),
        skipped: Vec::new(),
    };
    // This build's binary on PATH, unless the wheel is what is tested.
    let mut extra_path = Vec::new();
    if install != Install::Wheel {
        let bin = Path::new(env!("CARGO_BIN_EXE_agentlock"));
        let shim = g.join("bin");
        std::fs::create_dir_all(&shim).unwrap();
        std::os::unix::fs::symlink(bin, shim.join("agentlock")).unwrap();
        extra_path.push(shim.display().to_string());
    }
    let mut failed = false;
    for step in steps(&a) {
        let name = step["name"].as_str().unwrap().to_string();
        let Some(script) = step["run"].as_str() else {
            ran.skipped.push(name);
            continue;
        };
        if failed {
            ran.skipped.push(name);
            continue;
        }
        if name == "Install agentlock" && install == Install::Skip {
            ran.skipped.push(name);
            continue;
        }
        let out_file = g.join(format!("output-{}", ran.steps.len()));
        std::fs::write(&out_file, "").unwrap();
        let script_file = g.join(format!("step-{}.sh", ran.steps.len()));
        std::fs::write(&script_file, script).unwrap();
        let mut cmd = Command::new("bash");
        cmd.args(["--noprofile", "--norc", "-eo", "pipefail"])
            .arg(&script_file)
            .current_dir(workspace)
            .env_clear();
        let lines = std::fs::read_to_string(&path_file).unwrap();
        let mut path: Vec<String> = lines.lines().rev().map(str::to_string).collect();
        path.extend(extra_path.iter().cloned());
        path.push(std::env::var("PATH").unwrap());
        cmd.env("PATH", path.join(":"))
            .env("HOME", g)
            .env("CI", "true")
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_WORKSPACE", workspace)
            .env("GITHUB_ACTION_PATH", root())
            .env("GITHUB_STEP_SUMMARY", &summary)
            .env("GITHUB_OUTPUT", &out_file)
            .env("GITHUB_PATH", &path_file)
            .env("GITHUB_ENV", &env_file)
            .env("RUNNER_TEMP", g)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("PIP_CONFIG_FILE", "/dev/null");
        for (k, v) in env {
            cmd.env(k, v);
        }
        if let Some(vars) = step["env"].as_object() {
            for (k, v) in vars {
                let v = v.as_str().unwrap();
                let mut value = String::new();
                let mut rest = v;
                while let Some(at) = rest.find("${{") {
                    value.push_str(&rest[..at]);
                    let after = &rest[at + 3..];
                    let end = after.find("}}").unwrap();
                    let e = after[..end].trim();
                    let parts: Vec<&str> = e.split('.').collect();
                    value.push_str(&match parts.as_slice() {
                        ["inputs", n] => input(n),
                        ["steps", id, "outputs", n] => ran
                            .outputs
                            .get(*id)
                            .and_then(|o| o.get(*n))
                            .cloned()
                            .unwrap_or_default(),
                        _ => panic!("the harness does not evaluate `{e}`"),
                    });
                    rest = &after[end + 2..];
                }
                value.push_str(rest);
                cmd.env(k, value);
            }
        }
        let o = cmd.output().unwrap();
        let code = o.status.code().unwrap_or(-1);
        ran.log.push_str(&text(&o));
        let outputs = std::fs::read_to_string(&out_file).unwrap();
        if let Some(id) = step["id"].as_str() {
            let map = outputs
                .lines()
                .filter_map(|l| l.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            ran.outputs.insert(id.to_string(), map);
        }
        ran.steps.push((name, code));
        failed = code != 0;
    }
    ran.summary = std::fs::read_to_string(&summary).unwrap();
    ran
}

/// example-repo as a git repository whose `origin/main` is its first commit.
fn workspace() -> tempfile::TempDir {
    let dir = copy_to_temp(&root().join("example-repo"));
    git_in(dir.path(), &["init", "-q"]);
    git_in(dir.path(), &["add", "-A"]);
    git_in(dir.path(), &["commit", "-qm", "start"]);
    git_in(
        dir.path(),
        &["update-ref", "refs/remotes/origin/main", "HEAD"],
    );
    dir
}

fn exit_of(ran: &Ran, step: &str) -> Option<i32> {
    ran.steps.iter().find(|(n, _)| n == step).map(|(_, c)| *c)
}

/// The wheel for the install step, or `None` (said) when maturin is missing: the other steps
/// then run the binary this test suite built.
fn wheel_for(test: &str) -> Option<PathBuf> {
    match wheel_dir() {
        Ok(d) => Some(d),
        Err(why) => {
            skipped(
                &format!("{test} (its install step only)"),
                &format!("{why}; the run step uses this build's binary"),
            );
            None
        }
    }
}

#[test]
fn the_action_on_a_pull_request_reports_what_it_introduced() {
    let ws = workspace();
    let w = ws.path();
    // The pull request breaks the topology; the base has no such finding.
    let agents = std::fs::read_to_string(w.join("agents.yaml")).unwrap();
    std::fs::write(
        w.join("agents.yaml"),
        agents.replacen("entry: router", "entry: nobody", 1),
    )
    .unwrap();
    let wheels = wheel_for("the_action_on_a_pull_request_reports_what_it_introduced");
    let wheel_input = wheels.as_ref().map(|d| d.display().to_string());
    let mut inputs = vec![("python-version", "")];
    if let Some(d) = &wheel_input {
        inputs.push(("wheel-dir", d.as_str()));
    }
    let env = [
        ("GITHUB_EVENT_NAME", "pull_request"),
        ("GITHUB_BASE_REF", "main"),
    ];
    let how = if wheels.is_some() {
        Install::Wheel
    } else {
        Install::Skip
    };
    let ran = run_action(w, &inputs, &env, how);
    if wheels.is_some() {
        assert_eq!(exit_of(&ran, "Install agentlock"), Some(0), "{}", ran.log);
        assert!(!ran.log.contains("installed already"), "{}", ran.log);
        let line = format!("\nagentlock {}\n", env!("CARGO_PKG_VERSION"));
        assert!(format!("\n{}", ran.log).contains(&line), "{}", ran.log);
    }
    assert_eq!(
        exit_of(&ran, "Run agentlock"),
        Some(1),
        "fails the job: {}",
        ran.log
    );
    let out = &ran.outputs["run"];
    assert_eq!(out["exit-code"], "1");
    // Annotations for the finding the pull request introduced, and only for it.
    assert!(
        ran.log.contains("::error file=agents.yaml,line="),
        "{}",
        ran.log
    );
    assert!(ran.log.contains("TOPO004"), "{}", ran.log);
    let base_findings = run_in(w, &["--format", "concise", "verify"]);
    let base = String::from_utf8_lossy(&base_findings.stdout);
    assert!(
        base.contains("REL003"),
        "the base has findings of its own: {base}"
    );
    assert!(
        !ran.log.contains("REL003"),
        "only what it introduced: {}",
        ran.log
    );
    // SARIF for code scanning, at the path the upload step is given.
    let sarif_path = w.join(&out["sarif-file"]);
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif_path).unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(results.iter().any(|r| r["ruleId"] == "TOPO004"));
    // The Markdown report in the step summary.
    assert!(ran.summary.contains("TOPO004"), "{}", ran.summary);
    assert!(
        ran.summary.contains('|') || ran.summary.contains('#'),
        "{}",
        ran.summary
    );
    // The upload step is the action's to run (it comes from GitHub): it was not run here.
    assert!(ran.skipped.iter().any(|s| s == "Upload SARIF"));
}

#[test]
fn the_action_passes_a_clean_push_and_writes_the_summary() {
    let ws = workspace();
    // agentlock of the version asked for is on PATH (an earlier use of the action in the
    // job): the install step installs nothing, so it needs no network.
    let ran = run_action(
        ws.path(),
        &[("python-version", ""), ("upload-sarif", "false")],
        &[("GITHUB_EVENT_NAME", "push")],
        Install::Present,
    );
    assert_eq!(exit_of(&ran, "Install agentlock"), Some(0), "{}", ran.log);
    assert!(ran.log.contains("is installed already"), "{}", ran.log);
    assert_eq!(exit_of(&ran, "Run agentlock"), Some(0), "{}", ran.log);
    assert_eq!(ran.outputs["run"]["exit-code"], "0");
    // On a push, every finding: the warnings of the base are annotated.
    assert!(ran.log.contains("::warning"), "{}", ran.log);
    assert!(ran.outputs["run"].contains_key("sarif-file"));
    assert!(!ran.summary.trim().is_empty());

    // A report command: the checklist in the summary, no SARIF.
    let ran = run_action(
        ws.path(),
        &[("command", "checklist"), ("python-version", "")],
        &[("GITHUB_EVENT_NAME", "push")],
        Install::Skip,
    );
    assert_eq!(exit_of(&ran, "Run agentlock"), Some(0), "{}", ran.log);
    assert!(!ran.outputs["run"].contains_key("sarif-file"));
    assert!(
        ran.summary.contains("checklist") || ran.summary.contains("Checklist"),
        "{}",
        ran.summary
    );
}

#[test]
fn the_action_refuses_what_it_does_not_run_and_takes_arguments_as_words() {
    let ws = workspace();
    let w = ws.path();
    let ran = run_action(
        w,
        &[("command", "lock"), ("python-version", "")],
        &[],
        Install::Skip,
    );
    assert_eq!(exit_of(&ran, "Run agentlock"), Some(2), "{}", ran.log);
    assert!(ran.log.contains("::error title=agentlock::"), "{}", ran.log);
    assert_eq!(ran.outputs["run"]["exit-code"], "2");

    // An argument is a word: no command substitution, no globbing.
    let ran = run_action(
        w,
        &[
            ("args", "$(touch pwned) `touch pwned2` *"),
            ("python-version", ""),
        ],
        &[],
        Install::Skip,
    );
    assert_eq!(exit_of(&ran, "Run agentlock"), Some(2), "{}", ran.log);
    assert!(!w.join("pwned").exists() && !w.join("pwned2").exists());
    assert!(ran.log.contains("could not run"), "{}", ran.log);
}
