//! A repository under review may be hostile. One test per item of the list of attacks that
//! held against agentlock (reading, printing or writing outside the repository, leaking a
//! credential used as a name, injecting terminal or workflow commands, crashing, passing
//! silently, and the smaller robustness gaps): each attack is made, and fails.

mod common;
use common::*;
use std::path::Path;
use std::process::Output;

/// A marker no file of agentlock's or of the fixtures contains: it may only appear in output
/// if agentlock read a file outside the repository.
const OUTSIDE: &str = "OUTSIDE-MARKER-f3a9c1";
const TOKEN: &str = "ghp_R8kWq3ZtY6vB1nM4xC7pL2sD9fG5hJ0aQe3T";

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A directory outside any repository holding files with the marker: an agents.yaml, prompts,
/// a secret-looking file.
fn outside() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, body) in [
        (
            "agents.yaml",
            format!(
                "entry: x\n# {OUTSIDE}\nagents:\n  x: {{ role: router, timeout: 1s, retries: 1 }}\n"
            ),
        ),
        (
            "a.prompt",
            format!("---\nname: a\nversion: 1.0.0\n---\n{OUTSIDE}\n"),
        ),
        (
            "b.prompt",
            format!("---\nname: b\nversion: 1.0.0\n---\n{OUTSIDE}\n"),
        ),
        ("passwd", format!("root:x:0:0:{OUTSIDE}:/root:/bin/bash\n")),
    ] {
        std::fs::write(dir.path().join(name), body).unwrap();
    }
    dir
}

/// Commits everything in `dir` to a new repository, then runs `--format json verify` on the
/// index (`--staged`) and on HEAD (`--rev`), each named for messages.
fn committed(dir: &Path) -> [(&'static str, Output); 2] {
    git_in(dir, &["init", "-q"]);
    git_in(dir, &["add", "-A"]);
    git_in(dir, &["commit", "-qm", "committed"]);
    let run = |mode: &[&str]| {
        let mut args = vec!["--format", "json", "verify"];
        args.extend_from_slice(mode);
        args.push("--no-lock-check");
        run_in(dir, &args)
    };
    [
        ("--staged", run(&["--staged"])),
        ("--rev HEAD", run(&["--rev", "HEAD"])),
    ]
}

fn manifest_with(dir: &Path, table: &str) {
    let base = std::fs::read_to_string(dir.join("agentlock.toml")).unwrap();
    std::fs::write(dir.join("agentlock.toml"), format!("{table}\n{base}")).unwrap();
}

/// Every command and format a CI job might run, on a repository; nothing they print may
/// contain `needle`.
fn assert_never_printed(dir: &Path, needle: &str, what: &str) {
    for format in ["human", "json", "sarif", "github", "junit", "markdown"] {
        for cmd in [
            &["verify"][..],
            &["verify", "--no-lock-check"],
            &["scan"],
            &["lock", "--check"],
            &["diff"],
            &["rollback"],
            &["checklist"],
        ] {
            let mut args = vec!["--format", format];
            args.extend_from_slice(cmd);
            let out = run_in(dir, &args);
            let all = text(&out);
            assert!(
                !all.contains(needle),
                "{what}: `{format} {}` prints it:\n{all}",
                cmd.join(" ")
            );
        }
    }
    for output in ["mermaid", "dot"] {
        let all = text(&run_in(dir, &["--format", output, "graph"]));
        assert!(!all.contains(needle), "{what}: graph {output}:\n{all}");
    }
}

// 1. Reads and prints files outside the repository.
#[test]
fn configured_paths_cannot_leave_the_repository() {
    let out_dir = outside();
    let o = out_dir.path();
    let cases = [
        format!("agents = \"{}\"", o.join("agents.yaml").display()),
        "agents = \"/etc/passwd\"".to_string(),
        format!("agents = \"{}\"", o.join("passwd").display()),
        "prompts = [\"../../../../../../../../etc/*\"]".to_string(),
        format!(
            "prompts = [\"../{}/*\"]",
            o.file_name().unwrap().to_str().unwrap()
        ),
        "agents = \"../outside/agents.yaml\"".to_string(),
        "tools = [\"{/etc/*,tools/*.yaml}\"]".to_string(),
        "datasets = [\"datasets/../../*\"]".to_string(),
        // git's own directory, in the spellings other file systems take for it
        "agents = \".git/config\"".to_string(),
        "agents = \".GIT/config\"".to_string(),
        "deploy = \"GIT~1/config\"".to_string(),
        // the root is a directory, not the file
        "agents = \".\"".to_string(),
    ];
    for case in cases {
        let dir = copy_to_temp(&fixture("clean"));
        // a sibling of the repository called `outside`, for the `../outside` case
        manifest_with(dir.path(), &format!("[paths]\n{case}"));
        let out = run_in(
            dir.path(),
            &["--format", "json", "verify", "--no-lock-check"],
        );
        let all = text(&out);
        assert!(
            !all.contains(OUTSIDE) && !all.contains("root:x:0"),
            "{case}:\n{all}"
        );
        assert_eq!(out.status.code(), Some(1), "{case}: {all}");
        let f = findings(&out);
        assert_eq!(f[0].0, "CONF001", "{case}: {f:?}");
        assert_eq!(f[0].1, "agentlock.toml", "{case}: {f:?}");
        assert_eq!(f[0].2, 2, "at the value: {case}: {f:?}");
        assert!(
            f[0].3.contains("absolute")
                || f[0].3.contains("`..`")
                || f[0].3.contains("git's own directory")
                || f[0].3.contains("the repository root, not a file"),
            "{case}: {f:?}"
        );
        // each said once, at the value: no echo at an empty path
        assert!(f.iter().all(|x| !x.1.is_empty()), "{case}: {f:?}");
        // the human excerpt shows the configured value, never the target's content
        let human = text(&run_in(dir.path(), &["verify", "--no-lock-check"]));
        assert!(
            !human.contains(OUTSIDE) && !human.contains("root:x:0"),
            "{human}"
        );
        assert!(human.contains("agentlock.toml:2:"), "{human}");
    }
    // `extends` was refused already; it still is, and says why
    let dir = copy_to_temp(&fixture("clean"));
    manifest_with(
        dir.path(),
        &format!("[policy]\nextends = \"{}\"", o.join("p.toml").display()),
    );
    let all = text(&run_in(dir.path(), &["verify", "--no-lock-check"]));
    assert!(all.contains("is absolute"), "{all}");
}

// 2. A top-level directory symlink out of the repository, in the working tree and in git.
#[cfg(unix)]
#[test]
fn a_directory_symlink_out_of_the_repository_is_refused() {
    let out_dir = outside();
    let dir = copy_to_temp(&fixture("clean"));
    std::fs::remove_dir_all(dir.path().join("prompts")).unwrap();
    std::os::unix::fs::symlink(out_dir.path(), dir.path().join("prompts")).unwrap();
    let out = run_in(
        dir.path(),
        &["--format", "json", "verify", "--no-lock-check"],
    );
    let all = text(&out);
    assert!(!all.contains(OUTSIDE), "{all}");
    let f = findings(&out);
    assert!(
        f.iter()
            .any(|(c, p, _, m)| c == "CONF001" && p == "prompts" && m.contains("outside")),
        "{f:?}"
    );
    // lock refuses, writing nothing from outside
    let out = run_in(dir.path(), &["lock"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(!dir.path().join("agentlock.lock").exists());
    // the same link committed to git: `--staged` and `--rev` refuse it too
    for (mode, out) in committed(dir.path()) {
        let f = findings(&out);
        assert!(
            f.iter()
                .any(|(c, p, _, _)| c == "CONF001" && p == "prompts"),
            "{mode}: {f:?}"
        );
        assert!(!text(&out).contains(OUTSIDE));
    }
}

// 3. Writes outside the repository: rollback through a committed directory link; lock through
// a planted temporary file or a linked lockfile.
#[cfg(unix)]
#[test]
fn rollback_never_writes_through_a_committed_directory_symlink() {
    let elsewhere = tempfile::tempdir().unwrap();
    let dir = copy_to_temp(&fixture("clean"));
    let d = dir.path();
    lock(d);
    release_v1(d);
    // the attacker's commit: prompts/ becomes a link to a directory outside
    for f in ["router", "writer", "reviewer"] {
        std::fs::copy(
            d.join(format!("prompts/{f}.prompt")),
            elsewhere.path().join(format!("{f}.prompt")),
        )
        .unwrap();
    }
    std::fs::write(elsewhere.path().join("router.prompt"), "changed\n").unwrap();
    std::fs::remove_dir_all(d.join("prompts")).unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), d.join("prompts")).unwrap();
    git_in(d, &["add", "-A"]);
    git_in(d, &["commit", "-qm", "link"]);
    let before: Vec<(String, Vec<u8>)> = read_all(elsewhere.path());
    let out = run_in(d, &["rollback", "--to", "v1.0.0", "--apply"]);
    assert_eq!(read_all(elsewhere.path()), before, "{}", text(&out));
    assert!(
        std::fs::symlink_metadata(d.join("prompts"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

fn read_all(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap_or_default(),
            )
        })
        .collect();
    v.sort();
    v
}

#[cfg(unix)]
#[test]
fn lock_never_writes_through_a_planted_link() {
    let victim_dir = tempfile::tempdir().unwrap();
    let victim = victim_dir.path().join("victim.txt");
    std::fs::write(&victim, "precious\n").unwrap();
    let dir = copy_to_temp(&fixture("clean"));
    let d = dir.path();
    // every temporary name an older agentlock could have chosen for the next few processes,
    // a link each, and the lockfile itself a link
    let me = std::process::id();
    for pid in me..me + 400 {
        for name in [
            format!(".agentlock.lock.{pid}.tmp"),
            format!(".agentlock.lock.{pid}.0.tmp"),
        ] {
            std::os::unix::fs::symlink(&victim, d.join(name)).unwrap();
        }
    }
    std::os::unix::fs::symlink(&victim, d.join("agentlock.lock")).unwrap();
    let out = run_in(d, &["lock"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    let meta = std::fs::symlink_metadata(d.join("agentlock.lock")).unwrap();
    assert!(
        meta.file_type().is_file(),
        "the lockfile is a file, not a link"
    );
    assert!(
        std::fs::read_to_string(d.join("agentlock.lock"))
            .unwrap()
            .contains("root = ")
    );
    let out = run_in(d, &["lock", "--check"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

// 4. Credentials used as names: a prompt's file name, a tool definition's name, an agent's
// name. Never printed, never in the lockfile, and the lock is stable.
#[test]
fn credentials_used_as_names_never_leak_and_the_lock_stays_fresh() {
    let dir = copy_to_temp(&fixture("clean"));
    let d = dir.path();
    let agents = std::fs::read_to_string(d.join("agents.yaml")).unwrap();
    std::fs::write(
        d.join("agents.yaml"),
        agents
            .replace("writer", TOKEN)
            .replace(&format!("prompt: {TOKEN}@"), "prompt: writer@"),
    )
    .unwrap();
    let tool = std::fs::read_to_string(d.join("tools/github.yaml")).unwrap();
    std::fs::write(d.join("tools/github.yaml"), tool.replacen("- name: create_issue", &format!("- name: create_issue\n  - name: {TOKEN}\n    description: x\n    inputSchema: {{ type: object }}\n    outputSchema: {{ type: object }}\n    annotations: {{ readOnlyHint: true }}\n    title: x\n  - name: create_issue_b"), 1)).unwrap();
    std::fs::write(
        d.join(format!("prompts/{TOKEN}.prompt")),
        "---\nname: extra\nversion: 1.0.0\nmodel: smart\n---\nHello.\n",
    )
    .unwrap();
    release_v1(d);
    std::fs::write(
        d.join("prompts/new.prompt"),
        "---\nname: new\nversion: 1.0.0\n---\nx\n",
    )
    .unwrap();
    let out = run_in(d, &["lock"]);
    assert!(!text(&out).contains(TOKEN), "{}", text(&out));
    let lockfile = std::fs::read_to_string(d.join("agentlock.lock")).unwrap();
    assert!(!lockfile.contains(TOKEN), "{lockfile}");
    let out = run_in(d, &["lock", "--check"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "lock then lock --check: {}",
        text(&out)
    );
    // the name is a finding of its own
    let f = findings(&run_in(d, &["--format", "json", "verify"]));
    assert!(
        f.iter()
            .any(|(c, _, _, m)| c == "SECRET001" && m.contains("in the name of prompt")),
        "{f:?}"
    );
    assert_never_printed(d, TOKEN, "a token as a name");
}

// 5. Injection: terminal controls and workflow commands in file names and values.
#[test]
fn names_and_values_cannot_inject_terminal_or_workflow_commands() {
    let dir = copy_to_temp(&fixture("clean"));
    let d = dir.path();
    let evil = "x\n::add-mask::foo\n::error file=a,line=1::pwned\n##[set-env name=A]b\u{1b}]0;title\u{7}\u{1b}[2J.prompt";
    if std::fs::write(
        d.join("prompts").join(evil),
        "---\nname: router\nversion: 1.0.0\n---\nx\n",
    )
    .is_err()
    {
        eprintln!("skipped: this filesystem refuses such names");
        return;
    }
    let agents = std::fs::read_to_string(d.join("agents.yaml")).unwrap();
    std::fs::write(
        d.join("agents.yaml"),
        agents.replacen("timeout: 45s", "timeout: \"45\\e[2J\\a::error::x\"", 1),
    )
    .unwrap();
    for format in ["human", "json", "sarif", "github", "junit", "markdown"] {
        for color in ["never", "always"] {
            let out = run_in(
                d,
                &[
                    "--color",
                    color,
                    "--format",
                    format,
                    "verify",
                    "--no-lock-check",
                ],
            );
            for (stream, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
                let s = String::from_utf8_lossy(bytes);
                assert!(!s.contains('\u{7}'), "{format} {stream}: BEL");
                for (i, _) in s.match_indices('\u{1b}') {
                    // only colour sequences, only when colour is on
                    assert!(
                        color == "always"
                            && s[i..].starts_with("\u{1b}[")
                            && s[i + 2..]
                                .chars()
                                .take_while(|c| c.is_ascii_digit() || *c == ';')
                                .count()
                                + i
                                + 2
                                < s.len()
                            && s[i + 2..]
                                .trim_start_matches(|c: char| c.is_ascii_digit() || c == ';')
                                .starts_with('m'),
                        "{format} {color} {stream}: a raw escape {:?}",
                        &s[i..(i + 12).min(s.len())]
                    );
                }
                for line in s.lines() {
                    let t = line.trim_start();
                    if t.starts_with("::") {
                        assert!(
                            format == "github"
                                && stream == "stdout"
                                && ["::error file=", "::warning file=", "::notice file="]
                                    .iter()
                                    .any(|p| t.starts_with(p))
                                && !t.contains('\n'),
                            "{format} {stream}: a line that starts a workflow command: {line:?}"
                        );
                    }
                    assert!(!line.contains("##["), "{format} {stream}: {line:?}");
                }
            }
            if format == "github" {
                // each annotation is one line: its data cannot end it
                let s = String::from_utf8_lossy(&out.stdout);
                let annotations: Vec<&str> = s.lines().filter(|l| l.starts_with("::")).collect();
                assert!(!annotations.is_empty());
                assert!(annotations.iter().all(|a| !a.contains("::add-mask::")));
            }
        }
    }
}

// 6. Crashes: a finding past column 65,535; verify in `/`.
#[test]
fn no_panic_on_a_finding_past_column_65535_or_in_the_filesystem_root() {
    let dir = copy_to_temp(&fixture("clean"));
    let big = format!(
        "{{\"server\": \"big\", \"description\": \"{}\", \"env\": {{\"T\": \"{TOKEN}\"}}, \"version\": \"latest\", \"tools\": []}}",
        "x".repeat(70_000)
    );
    std::fs::write(dir.path().join("tools/big.json"), big).unwrap();
    for format in ["human", "json", "github"] {
        let out = run_in(
            dir.path(),
            &["--format", format, "verify", "--no-lock-check"],
        );
        let all = text(&out);
        assert_eq!(out.status.code(), Some(1), "{format}: {all}");
        assert!(!all.contains("panicked"), "{all}");
        assert!(
            all.contains("TOOL001") && all.contains("SECRET002"),
            "{all}"
        );
        assert!(!all.contains(TOKEN));
        assert!(
            all.len() < 20_000,
            "{format}: the long line is not printed whole"
        );
    }
    let human = text(&run_in(dir.path(), &["verify", "--no-lock-check"]));
    assert!(human.contains("is too long to show"), "{human}");
    let out = run_bin(&["--repo", "/", "verify"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("root of the filesystem"),
        "{}",
        text(&out)
    );
}

// 7. Silent passes.
#[test]
fn a_missing_mistyped_or_special_agents_file_is_a_finding() {
    let run = |d: &Path| {
        let out = run_in(d, &["--format", "json", "verify", "--no-lock-check"]);
        (out.status.code(), findings(&out))
    };
    // missing
    let dir = copy_to_temp(&fixture("clean"));
    std::fs::remove_file(dir.path().join("agents.yaml")).unwrap();
    let (code, f) = run(dir.path());
    assert_eq!(code, Some(1));
    assert!(
        f[0].0 == "CONF001" && f[0].3.contains("there is no agents.yaml"),
        "{f:?}"
    );
    // mistyped
    let dir = copy_to_temp(&fixture("clean"));
    manifest_with(dir.path(), "[paths]\nagents = \"agent.yaml\"");
    let (code, f) = run(dir.path());
    assert_eq!(code, Some(1));
    assert_eq!(
        (f[0].0.as_str(), f[0].1.as_str(), f[0].2),
        ("CONF001", "agentlock.toml", 2),
        "{f:?}"
    );
    assert!(
        f[0].3.contains("`agent.yaml`, which does not exist"),
        "{f:?}"
    );
    // a directory
    let dir = copy_to_temp(&fixture("clean"));
    std::fs::remove_file(dir.path().join("agents.yaml")).unwrap();
    std::fs::create_dir(dir.path().join("agents.yaml")).unwrap();
    let (code, f) = run(dir.path());
    assert_eq!(code, Some(1));
    assert!(f[0].3.contains("is a directory"), "{f:?}");
    // lock refuses rather than dropping the topology
    assert_eq!(run_in(dir.path(), &["lock"]).status.code(), Some(1));
    // a FIFO: read, it would block forever
    #[cfg(unix)]
    {
        let dir = copy_to_temp(&fixture("clean"));
        std::fs::remove_file(dir.path().join("agents.yaml")).unwrap();
        let made = std::process::Command::new("mkfifo")
            .arg(dir.path().join("agents.yaml"))
            .status()
            .is_ok_and(|s| s.success());
        if made {
            let (code, f) = run(dir.path());
            assert_eq!(code, Some(1));
            assert!(f[0].3.contains("is a FIFO"), "{f:?}");
        }
    }
}

#[test]
fn a_manifest_directory_or_a_missing_scanned_file_stops_agentlock() {
    let dir = copy_to_temp(&fixture("clean"));
    std::fs::remove_file(dir.path().join("agentlock.toml")).unwrap();
    std::fs::create_dir(dir.path().join("agentlock.toml")).unwrap();
    std::fs::write(dir.path().join(".mcp.json"), r#"{"mcpServers": {}}"#).unwrap();
    for cmd in [&["verify"][..], &["lock"]] {
        let out = run_in(dir.path(), cmd);
        assert_eq!(out.status.code(), Some(2), "{cmd:?}: {}", text(&out));
        assert!(text(&out).contains("is a directory"), "{}", text(&out));
    }
    assert!(
        !dir.path().join("agentlock.lock").exists(),
        "discovery did not take over"
    );
    let dir = copy_to_temp(&fixture("clean"));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_agentlock"))
        .args(["scan", "does-not-exist.txt", "prompts/router.prompt"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("does-not-exist.txt: no such file"),
        "{}",
        text(&out)
    );
}

#[cfg(unix)]
#[test]
fn scan_reads_only_inside_the_repository() {
    let out_dir = outside();
    std::fs::write(
        out_dir.path().join("key.txt"),
        format!("token: {TOKEN}\n{OUTSIDE}\n"),
    )
    .unwrap();
    let dir = copy_to_temp(&fixture("clean"));
    std::os::unix::fs::symlink(out_dir.path().join("key.txt"), dir.path().join("notes.md"))
        .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_agentlock"))
        .arg("scan")
        .arg("notes.md")
        .arg(out_dir.path().join("key.txt"))
        .current_dir(dir.path())
        .output()
        .unwrap();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(!all.contains("SECRET") && !all.contains(OUTSIDE), "{all}");
    assert!(all.contains("notes.md: symlink leads outside"), "{all}");
    assert!(all.contains("key.txt: outside the repository"), "{all}");
}

// 8. Robustness short of a bug.
#[test]
fn leftovers_newer_lockfiles_fallback_loops_utf16_big_integers_and_names() {
    // a killed lock's temporary files are removed by the next one
    let dir = copy_to_temp(&fixture("clean"));
    let d = dir.path();
    std::fs::write(d.join(".agentlock.lock.4194999.0.tmp"), "half").unwrap();
    std::fs::write(d.join(".agentlock.lock.4194999.tmp"), "half").unwrap();
    assert_eq!(run_in(d, &["lock"]).status.code(), Some(0));
    assert!(!d.join(".agentlock.lock.4194999.0.tmp").exists());
    assert!(!d.join(".agentlock.lock.4194999.tmp").exists());
    // a lockfile from a newer agentlock is not rewritten
    let newer = "# This file is generated by `agentlock lock`. Do not edit it by hand.\nversion = 99\nroot = \"sha256:x\"\n";
    std::fs::write(d.join("agentlock.lock"), newer).unwrap();
    let out = run_in(d, &["lock"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("newer agentlock"), "{}", text(&out));
    assert_eq!(
        std::fs::read_to_string(d.join("agentlock.lock")).unwrap(),
        newer
    );
    let f = findings(&run_in(d, &["--format", "json", "verify"]));
    assert!(
        f.iter()
            .any(|(c, _, l, m)| c == "REL002" && *l == 2 && m.contains("newer agentlock")),
        "{f:?}"
    );

    // model fallback loops
    let dir = copy_to_temp(&fixture("clean"));
    let d = dir.path();
    std::fs::write(
        d.join("models.yaml"),
        "models:\n  smart: { provider: openai, id: gpt-4o-2024-08-06, fallback: fast }\n  fast: { provider: openai, id: gpt-4o-mini-2024-07-18, fallback: smart }\n  solo: { provider: openai, id: gpt-4o-mini-2024-07-18, fallback: solo }\n",
    )
    .unwrap();
    let f = findings(&run_in(
        d,
        &["--format", "json", "verify", "--no-lock-check"],
    ));
    let loops: Vec<&(String, String, u64, String)> = f
        .iter()
        .filter(|x| x.3.contains("fallbacks loop"))
        .collect();
    assert_eq!(loops.len(), 2, "{f:?}");
    assert!(
        loops.iter().any(|x| x.3.contains("smart → fast → smart")),
        "{loops:?}"
    );
    assert!(
        loops.iter().any(|x| x.3.contains("solo → solo")),
        "{loops:?}"
    );

    // UTF-16 is named as such, not as a NUL byte
    let dir = copy_to_temp(&fixture("clean"));
    let d = dir.path();
    let text16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(
            "entry: router\n"
                .encode_utf16()
                .flat_map(|u| u.to_le_bytes()),
        )
        .collect();
    std::fs::write(d.join("agents.yaml"), text16).unwrap();
    let f = findings(&run_in(
        d,
        &["--format", "json", "verify", "--no-lock-check"],
    ));
    assert!(f[0].3.contains("UTF-16"), "{f:?}");
    assert!(!f[0].3.contains("NUL"), "{f:?}");

    // integers too large for 64 bits are quoted as written
    let dir = copy_to_temp(&fixture("clean"));
    let d = dir.path();
    let agents = std::fs::read_to_string(d.join("agents.yaml")).unwrap();
    std::fs::write(
        d.join("agents.yaml"),
        agents.replacen("max_tokens: 4000", "max_tokens: 18446744073709551615", 1),
    )
    .unwrap();
    let f = findings(&run_in(
        d,
        &["--format", "json", "verify", "--no-lock-check"],
    ));
    assert!(
        f.iter().any(|x| x.3.contains("18446744073709551615")),
        "{f:?}"
    );
    assert!(
        !f.iter().any(|x| x.3.contains("18446744073709552000")),
        "{f:?}"
    );

    // `name = 5` says what is wrong with it
    let dir = copy_to_temp(&fixture("clean"));
    std::fs::write(dir.path().join("agentlock.toml"), "[project]\nname = 5\n").unwrap();
    let out = run_in(dir.path(), &["verify"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("must be a string, found an integer"),
        "{}",
        text(&out)
    );
}

#[test]
fn a_file_that_fails_to_load_comes_first_and_its_echoes_are_counted() {
    let dir = copy_to_temp(&fixture("clean"));
    let d = dir.path();
    lock(d);
    let agents = std::fs::read_to_string(d.join("agents.yaml")).unwrap();
    std::fs::write(
        d.join("agents.yaml"),
        agents.replacen("agents:", "agents: [", 1),
    )
    .unwrap();
    let out = run_in(d, &["--format", "json", "verify"]);
    let f = findings(&out);
    assert_eq!(f[0].0, "CONF001", "{f:?}");
    let rel002: Vec<_> = f.iter().filter(|x| x.0 == "REL002").collect();
    assert_eq!(rel002.len(), 1, "one count, not an echo per agent: {f:?}");
    assert!(rel002[0].3.contains("not compared"), "{rel002:?}");
}

// The working tree keeps the directories it reached open, so a read does not walk from the
// root again: a directory swapped for a symlink out of the repository after it was read leads
// nowhere outside, and after a write the swap is seen and refused.
#[cfg(unix)]
#[test]
fn a_directory_swapped_for_a_symlink_after_it_was_read_leads_nowhere_outside() {
    use agentlock::snapshot::{ReadError, RepoPath, Snapshot, Worktree};
    let out_dir = outside();
    std::fs::write(out_dir.path().join("a.txt"), OUTSIDE).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("p")).unwrap();
    std::fs::write(dir.path().join("p/a.txt"), "inside").unwrap();
    let wt = Worktree::new(dir.path()).unwrap();
    let path = RepoPath::parse("p/a.txt").unwrap();
    assert_eq!(wt.read(&path, 1 << 20).unwrap(), b"inside");
    // p is moved away and replaced by a link out of the repository
    std::fs::rename(dir.path().join("p"), dir.path().join("q")).unwrap();
    std::os::unix::fs::symlink(out_dir.path(), dir.path().join("p")).unwrap();
    match wt.read(&path, 1 << 20) {
        Ok(bytes) => assert_eq!(bytes, b"inside", "the directory that was checked"),
        Err(e) => panic!("{e}"),
    }
    // a write forgets the open directories: the link is seen, and refused
    wt.write_atomic(&RepoPath::parse("x.txt").unwrap(), b"x", false)
        .unwrap();
    assert!(matches!(
        wt.read(&path, 1 << 20),
        Err(ReadError::SymlinkOutside)
    ));
    // a fresh working tree refuses it too
    let fresh = Worktree::new(dir.path()).unwrap();
    assert!(matches!(
        fresh.read(&path, 1 << 20),
        Err(ReadError::SymlinkOutside)
    ));
}

/// A chain of `depth` directories named `d` below `dir`, made with `*at` calls (the whole path
/// is longer than PATH_MAX), with a file `name` holding `body` at the bottom.
#[cfg(unix)]
fn deep_chain(dir: &Path, depth: usize, name: &str, body: &str) {
    use rustix::fs::{Mode, OFlags, mkdirat, openat};
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    let mut fd = openat(rustix::fs::CWD, dir, flags, Mode::empty()).unwrap();
    for _ in 0..depth {
        mkdirat(&fd, "d", Mode::from_raw_mode(0o755)).unwrap();
        fd = openat(&fd, "d", flags, Mode::empty()).unwrap();
    }
    let f = openat(
        &fd,
        name,
        OFlags::WRONLY | OFlags::CREATE | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o644),
    )
    .unwrap();
    std::io::Write::write_all(&mut std::fs::File::from(f), body.as_bytes()).unwrap();
}

/// Removes a tree [`deep_chain`] made with `rm -rf` (quick; the standard library's removal
/// takes many seconds on a tree this deep).
#[cfg(unix)]
fn remove_deep(dir: &Path) {
    let status = std::process::Command::new("rm")
        .arg("-rf")
        .arg(dir)
        .status()
        .unwrap();
    assert!(status.success());
}

/// `agentlock --repo DIR args…` with at most `files` open file descriptors.
#[cfg(unix)]
fn run_with_fd_limit(dir: &Path, files: u32, args: &[&str]) -> Output {
    std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -n {files} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_agentlock"))
        .arg("--repo")
        .arg(dir)
        .args(args)
        .env_remove("NO_COLOR")
        .output()
        .unwrap()
}

// 4. Passes silently when directories go deeper than the limit on open files; overflows the
// stack deeper still.
#[cfg(unix)]
#[test]
fn a_tree_deeper_than_the_open_file_limit_is_read_or_reported_never_skipped() {
    let dir = copy_to_temp(&fixture("clean"));
    let prompt = format!("---\nname: deep\nversion: 1.0.0\n---\ntoken {TOKEN}\n");
    deep_chain(&dir.path().join("prompts"), 1500, "x.prompt", &prompt);
    // 1,500 levels with 128 descriptors: the walk holds a few dozen, and finds the token
    let out = run_with_fd_limit(
        dir.path(),
        128,
        &["--format", "json", "verify", "--no-lock-check"],
    );
    let f = findings(&out);
    assert!(
        f.iter().any(|(c, p, l, _)| c == "SECRET001"
            && p.ends_with("/d/x.prompt")
            && p.matches("/d").count() == 1500
            && *l == 5),
        "{f:?}"
    );
    assert!(!text(&out).contains(TOKEN));
    // with almost none, what could not be listed is a CONF001 (or agentlock stops): it never
    // passes
    for files in [8, 10, 12, 16, 24] {
        let out = run_with_fd_limit(dir.path(), files, &["verify", "--no-lock-check"]);
        let all = text(&out);
        assert_ne!(out.status.code(), Some(0), "ulimit -n {files}: {all}");
        assert!(
            all.contains("SECRET001") || all.to_lowercase().contains("too many open files"),
            "ulimit -n {files}: {all}"
        );
        assert!(!all.contains(TOKEN));
    }
    remove_deep(&dir.path().join("prompts"));
    // 2,100 levels (the stack overflowed at 20,000): the directory past git's depth limit is
    // a CONF001 at its path, line 1; the run is quick and bounded
    let dir = copy_to_temp(&fixture("clean"));
    deep_chain(&dir.path().join("prompts"), 2100, "x.prompt", &prompt);
    let out = run_in(
        dir.path(),
        &["--format", "json", "verify", "--no-lock-check"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let f = findings(&out);
    assert!(
        f.iter().any(|(c, p, l, m)| c == "CONF001"
            && *p == format!("prompts{}", "/d".repeat(2048))
            && *l == 1
            && m.contains("2049 directories deep")
            && m.contains("2048")),
        "{f:?}"
    );
    remove_deep(&dir.path().join("prompts"));
}

// 9. Files and directories whose names are not UTF-8 are skipped without a word.
#[cfg(unix)]
#[test]
fn a_name_that_is_not_utf8_is_a_finding_at_its_escaped_name_never_skipped() {
    use std::os::unix::ffi::OsStrExt;
    let dir = copy_to_temp(&fixture("clean"));
    let bad = std::ffi::OsStr::from_bytes(b"b\xffd.prompt");
    let prompt = format!("---\nname: bad\nversion: 1.0.0\n---\ntoken {TOKEN}\n");
    std::fs::write(dir.path().join("prompts").join(bad), &prompt).unwrap();
    // a file really called like the escaped name is still read as itself
    std::fs::write(
        dir.path().join("prompts/b\\xffd.prompt"),
        "---\nname: lit\nversion: 1.0.0\n---\nhello\n",
    )
    .unwrap();
    std::fs::write(
        dir.path()
            .join("tools")
            .join(std::ffi::OsStr::from_bytes(b"x\xfe.yaml")),
        "name: x\n",
    )
    .unwrap();
    // a name nobody configured: not reported
    std::fs::write(
        dir.path()
            .join(std::ffi::OsStr::from_bytes(b"notes\xff.txt")),
        "x",
    )
    .unwrap();
    let check = |out: &Output, what: &str| {
        assert_eq!(out.status.code(), Some(1), "{what}: {}", text(out));
        assert!(
            !out.stdout.contains(&0xff) && !out.stderr.contains(&0xff),
            "{what}"
        );
        assert!(!text(out).contains(TOKEN), "{what}");
    };
    let out = run_in(
        dir.path(),
        &["--format", "json", "verify", "--no-lock-check"],
    );
    check(&out, "verify");
    let f = findings(&out);
    for path in ["prompts/b\\xffd.prompt", "tools/x\\xfe.yaml"] {
        assert!(
            f.iter().any(|(c, p, l, m)| c == "CONF001"
                && p == path
                && *l == 1
                && m.contains("not UTF-8")),
            "{path}: {f:?}"
        );
    }
    assert!(!f.iter().any(|(_, p, _, _)| p.contains("notes")), "{f:?}");
    // `scan` did not read it either, and says so: a secret scan never passes over a file it
    // could not open (a file that does not parse is scanned, so that is not said)
    let out = run_in(dir.path(), &["--format", "json", "scan"]);
    check(&out, "scan");
    let f = findings(&out);
    assert!(
        f.iter()
            .any(|(c, p, _, _)| c == "CONF001" && p == "prompts/b\\xffd.prompt"),
        "{f:?}"
    );
    // the same names committed: `--staged` and `--rev` report them too
    for (mode, out) in committed(dir.path()) {
        check(&out, mode);
        let f = findings(&out);
        assert!(
            f.iter()
                .any(|(c, p, l, _)| c == "CONF001" && p == "prompts/b\\xffd.prompt" && *l == 1),
            "{mode}: {f:?}"
        );
    }
}

/// A symlink into git's own directory is not followed, as one out of the root is not: a CI
/// checkout's `.git/config` can hold the job's token (a remote URL with credentials, or
/// actions/checkout's `extraheader`), which no secret detector would know. Nothing of it is
/// printed, from the working tree, the index or a revision.
#[cfg(unix)]
#[test]
fn a_symlink_into_dot_git_is_never_followed() {
    let dir = copy_to_temp(&fixture("clean"));
    git_in(dir.path(), &["init", "-q"]);
    let secret = "oauth2-ci-job-credential-7f3a9c";
    let config = dir.path().join(".git/config");
    let mut git_config = std::fs::read_to_string(&config).unwrap();
    git_config.push_str(&format!(
        "[remote \"origin\"]\n\turl = https://gitlab-ci-token:{secret}@example.com/x.git\n[http]\n\textraheader = AUTHORIZATION: basic {secret}\n"
    ));
    std::fs::write(&config, git_config).unwrap();
    std::os::unix::fs::symlink("../.git/config", dir.path().join("prompts/x.prompt")).unwrap();
    std::os::unix::fs::symlink(".git/config", dir.path().join("agentlock.lock")).unwrap();
    let all = |out: &Output| text(out);
    let out = run_in(dir.path(), &["--format", "json", "verify"]);
    assert!(!all(&out).contains(secret), "{}", all(&out));
    let f = findings(&out);
    assert!(
        f.iter()
            .any(|(c, p, _, m)| c == "CONF001" && p == "prompts/x.prompt" && m.contains("symlink")),
        "{f:?}"
    );
    for args in [
        &["verify"][..],
        &["--format", "github", "verify"],
        &["scan"],
    ] {
        let out = run_in(dir.path(), args);
        assert!(!all(&out).contains(secret), "{args:?}: {}", all(&out));
    }
    for (mode, out) in committed(dir.path()) {
        assert!(!all(&out).contains(secret), "{mode}: {}", all(&out));
        assert!(
            findings(&out)
                .iter()
                .any(|(c, p, _, _)| c == "CONF001" && p == "prompts/x.prompt"),
            "{mode}: {}",
            all(&out)
        );
    }
}

/// `--output FILE` inside the repository never writes through a symlink a pull request
/// committed there (at the file, or at a directory on the way): the CI workflow writes
/// `agentlock.sarif` into the checkout.
#[cfg(unix)]
#[test]
fn output_inside_the_repository_never_writes_through_a_symlink() {
    let dir = copy_to_temp(&fixture("clean"));
    let out_dir = outside();
    let victim = out_dir.path().join("a.prompt");
    let before = std::fs::read(&victim).unwrap();
    std::os::unix::fs::symlink(&victim, dir.path().join("agentlock.sarif")).unwrap();
    std::os::unix::fs::symlink(out_dir.path(), dir.path().join("reports")).unwrap();
    let sarif = dir.path().join("agentlock.sarif");
    let via_dir = dir.path().join("reports/a.prompt");
    for target in [&sarif, &via_dir] {
        let t = target.to_str().unwrap();
        let out = run_in(dir.path(), &["--format", "sarif", "--output", t, "verify"]);
        assert_eq!(out.status.code(), Some(2), "{t}: {}", text(&out));
        assert!(text(&out).contains("symlink"), "{t}: {}", text(&out));
        assert_eq!(std::fs::read(&victim).unwrap(), before, "{t}");
    }
    // a plain file there is written as asked
    let plain = dir.path().join("report.json");
    let out = run_in(
        dir.path(),
        &[
            "--format",
            "json",
            "--output",
            plain.to_str().unwrap(),
            "verify",
        ],
    );
    assert_ne!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        std::fs::read_to_string(&plain)
            .unwrap()
            .contains("agentlock.report/v1")
    );
}

/// A symlink a glob matches that leads to nothing, or loops, is CONF001 at the link in every
/// mode: never dropped in silence (a link to a directory inside is still not descended).
#[cfg(unix)]
#[test]
fn a_dangling_or_looping_symlink_is_said_not_dropped() {
    let dir = copy_to_temp(&fixture("clean"));
    let p = dir.path().join("prompts");
    std::os::unix::fs::symlink("nowhere.prompt", p.join("dangling.prompt")).unwrap();
    std::os::unix::fs::symlink("loop2.prompt", p.join("loop1.prompt")).unwrap();
    std::os::unix::fs::symlink("loop1.prompt", p.join("loop2.prompt")).unwrap();
    let want = |out: &Output, mode: &str| {
        let f = findings(out);
        for (path, what) in [
            ("prompts/dangling.prompt", "a symlink to nothing"),
            ("prompts/loop1.prompt", "a symlink loop"),
            ("prompts/loop2.prompt", "a symlink loop"),
        ] {
            assert!(
                f.iter()
                    .any(|(c, p, l, m)| c == "CONF001" && p == path && *l == 1 && m.contains(what)),
                "{mode}: {path}: {f:?}"
            );
        }
    };
    let out = run_in(
        dir.path(),
        &["--format", "json", "verify", "--no-lock-check"],
    );
    want(&out, "worktree");
    for (mode, out) in committed(dir.path()) {
        want(&out, mode);
    }
}

// A release whose committed lockfile was edited to name paths its tree does not hold: outside
// the repository, in git's directory, and a file added after the release. Rollback must plan
// neither a restore nor a removal for any of them, say so, and still roll back the rest.
#[test]
fn rollback_plans_nothing_for_paths_only_the_release_lockfile_names() {
    let dir = copy_to_temp(&fixture("clean"));
    let d = dir.path();
    let mut lockfile = lock(d);
    for (i, path) in [
        "../outside.txt",
        "/etc/passwd",
        ".git/config",
        ".git::$INDEX_ALLOCATION/hooks/pre-commit",
        "added-later.txt",
    ]
    .iter()
    .enumerate()
    {
        lockfile.push_str(&format!(
            "\n[[prompt]]\nname = \"evil{i}\"\nversion = \"1.0.0\"\npath = \"{path}\"\nsha256 = \"{}\"\n",
            "0".repeat(64)
        ));
    }
    std::fs::write(d.join("agentlock.lock"), &lockfile).unwrap();
    release_v1(d);
    write(d, "added-later.txt", "kept\n");
    write(d, "prompts/router.prompt", "changed\n");
    git_in(d, &["add", "-A"]);
    git_in(d, &["commit", "-qm", "next"]);

    let out = run_in(d, &["--format", "json", "rollback", "--to", "v1.0.0"]);
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let files: Vec<(&str, &str)> = plan["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["action"].as_str().unwrap(), f["path"].as_str().unwrap()))
        .collect();
    assert_eq!(files, [("restore", "prompts/router.prompt")], "{plan}");
    assert_eq!(plan["unheld"].as_array().unwrap().len(), 5, "{plan}");
    let none = plan["restore"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "none")
        .count();
    assert_eq!(none, 5, "{plan}");
    assert!(plan.get("apply_refused").is_none(), "{plan}");

    let out = run_in(d, &["rollback", "--to", "v1.0.0"]);
    let human = text(&out);
    assert!(human.contains("Not in the plan:"), "{human}");
    assert!(!human.contains("remove "), "{human}");
    // and the entries' table says the same of each
    let evil = human
        .lines()
        .filter(|l| l.contains(" evil"))
        .collect::<Vec<_>>();
    assert_eq!(evil.len(), 5, "{human}");
    assert!(
        evil.iter()
            .all(|l| l.contains("none (its tree does not hold the file)")),
        "{human}"
    );

    let out = run_in(d, &["rollback", "--to", "v1.0.0", "--apply"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        std::fs::read_to_string(d.join("added-later.txt")).unwrap(),
        "kept\n"
    );
    assert_ne!(
        std::fs::read_to_string(d.join("prompts/router.prompt")).unwrap(),
        "changed\n"
    );
    assert!(!d.join(".git::$INDEX_ALLOCATION").exists());
}

// A pull request that raises `[paths] max_file_size` past the ceiling gets a CONF001 at the
// value, and the run reads with the ceiling: a file over it is refused unread.
#[test]
fn max_file_size_has_a_ceiling_a_pull_request_cannot_raise() {
    let dir = copy_to_temp(&fixture("clean"));
    let d = dir.path();
    let toml = std::fs::read_to_string(d.join("agentlock.toml")).unwrap();
    let toml = format!("{toml}\n[paths]\nmax_file_size = \"100GB\"\n");
    std::fs::write(d.join("agentlock.toml"), &toml).unwrap();
    let line = toml.lines().position(|l| l.contains("100GB")).unwrap() as u64 + 1;
    // a sparse prompt over the ceiling: refused from its size, never read
    let big = std::fs::File::create(d.join("prompts/huge.prompt")).unwrap();
    big.set_len(300 * 1024 * 1024).unwrap();
    let out = run_in(d, &["--format", "json", "verify", "--no-lock-check"]);
    let f = findings(&out);
    assert!(
        f.iter().any(|(c, p, l, m)| c == "CONF001"
            && p == "agentlock.toml"
            && *l == line
            && m.contains("at most 256 MiB")),
        "{f:?}"
    );
    assert!(
        f.iter().any(|(c, p, _, m)| c == "CONF001"
            && p == "prompts/huge.prompt"
            && m.contains("over the limit of 268435456 bytes")),
        "{f:?}"
    );
}

// A path the user names that lies in the repository as written, through a committed symlink
// that leads out of it: `traces` does not read through it and `init` does not write through it,
// as `scan`, `evidence add`, `--output` and `schema --write` already refuse.
#[cfg(unix)]
#[test]
fn named_paths_inside_the_repository_do_not_follow_its_links_out() {
    let outside = tempfile::tempdir().unwrap();
    let o = outside.path();
    std::fs::write(o.join("export.jsonl"), "{\"resourceSpans\": []}\n").unwrap();
    let dir = copy_to_temp(&fixture("clean"));
    let d = dir.path();
    std::fs::create_dir_all(d.join("otel")).unwrap();
    std::os::unix::fs::symlink(o.join("export.jsonl"), d.join("otel/traces.jsonl")).unwrap();
    std::os::unix::fs::symlink(o, d.join("services")).unwrap();
    let named = d.join("otel/traces.jsonl");
    let out = run_in(d, &["traces", named.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("leads outside"), "{}", text(&out));
    // named by its real place, it is the user's choice
    let real = o.join("export.jsonl");
    let out = run_in(d, &["traces", real.to_str().unwrap()]);
    assert_ne!(out.status.code(), Some(2), "{}", text(&out));
    let bot = d.join("services/bot");
    let out = run_in(d, &["init", bot.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(!o.join("bot").exists(), "init wrote through the link");
    // a new project whose `prompts/` is already a link out: refused as a link, not as files
    // that exist
    let fresh = d.join("fresh");
    std::fs::create_dir_all(&fresh).unwrap();
    std::os::unix::fs::symlink(o, fresh.join("prompts")).unwrap();
    let out = run_in(d, &["init", fresh.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("symlink"), "{}", text(&out));
    assert!(!text(&out).contains("already exist"), "{}", text(&out));
    assert!(
        !o.join("router.prompt").exists(),
        "init wrote through the link"
    );
}

// A CODEOWNERS file is read as GitHub reads it, whatever size a pull request gives it. GitHub
// does not load one of 3 MB or more: that is one finding at the file, not a PRM006 per prompt
// or minutes of matching. Just under the limit it is read, and decided as usual.
#[test]
fn a_codeowners_over_githubs_limit_is_one_finding_at_the_file() {
    let dir = copy_to_temp(&fixture("clean"));
    let d = dir.path();
    let mut big = String::from("/prompts/ @acme/a @acme/b\n");
    while big.len() < 3 * 1024 * 1024 {
        big.push_str("/services/nothing/here/ @acme/none\n");
    }
    std::fs::write(d.join("CODEOWNERS"), &big).unwrap();
    let f = findings(&run_in(
        d,
        &["--format", "json", "verify", "--no-lock-check"],
    ));
    let at_file: Vec<_> = f.iter().filter(|x| x.1 == "CODEOWNERS").collect();
    assert_eq!(at_file.len(), 1, "{f:?}");
    assert_eq!(at_file[0].0, "CONF001");
    assert_eq!(at_file[0].2, 1);
    assert!(
        at_file[0]
            .3
            .contains("GitHub does not load a CODEOWNERS file of 3 MB"),
        "{at_file:?}"
    );
    assert!(!f.iter().any(|x| x.0 == "PRM006"), "{f:?}");

    // The same rules a line shorter than the limit: read; the first line owns the prompts, and
    // an ownerless rule for one of them at the end takes it away.
    let cut = big[..3 * 1024 * 1024 - 200].rfind('\n').unwrap() + 1;
    let mut under = big[..cut].to_string();
    under.push_str("/prompts/router.prompt\n");
    assert!(under.len() < 3 * 1024 * 1024);
    std::fs::write(d.join("CODEOWNERS"), &under).unwrap();
    let f = findings(&run_in(
        d,
        &["--format", "json", "verify", "--no-lock-check"],
    ));
    assert!(!f.iter().any(|x| x.1 == "CODEOWNERS"), "{f:?}");
    let prm006: Vec<_> = f.iter().filter(|x| x.0 == "PRM006").collect();
    assert_eq!(prm006.len(), 1, "{f:?}");
    assert!(prm006[0].3.contains("`router@"), "{prm006:?}");
    assert!(prm006[0].3.contains("lists no owners"), "{prm006:?}");
}

/// A credential written with the string escapes of YAML or JSON is the same value to the
/// program that reads the file: a `\/` for `/`, a `\x67` for `g`, an escaped line break in
/// the middle. It is found, masked in every excerpt, and redacted in what a policy sees (one
/// that prints it reversed prints the reversed redaction).
#[test]
fn a_credential_written_with_escapes_is_found_and_never_printed() {
    let aws = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzz9UK3Xq4a";
    let dir = copy_to_temp(&fixture("clean"));
    let d = dir.path();
    let tool = std::fs::read_to_string(d.join("tools/github.yaml")).unwrap();
    let escaped_token = format!("\\x67{}", &TOKEN[1..]);
    let split = TOKEN.len() / 2;
    std::fs::write(
        d.join("tools/github.yaml"),
        tool.replace(
            "description: Create a GitHub issue.",
            &format!("description: \"Create an issue with {escaped_token}.\""),
        )
        .replace(
            "timeout: 20s",
            &format!("timeout: \"{}\\\n  {}\"", &TOKEN[..split], &TOKEN[split..]),
        ),
    )
    .unwrap();
    std::fs::write(
        d.join("tools/aws.json"),
        format!(
            "{{\"server\": \"aws\", \"version\": \"1.0.0\", \"source\": {{\"npm\": \"aws-mcp@1.0.0\"}}, \"env\": {{\"AWS_SECRET_ACCESS_KEY\": \"{}\"}}, \"timeout\": \"20s\", \"tools\": []}}\n",
            aws.replace('/', "\\/")
        ),
    )
    .unwrap();
    with_rego(
        d,
        &[(
            "policy/reverse.rego",
            "package reverse\n\nimport rego.v1\n\ndeny contains sprintf(\"rev=%s\", [strings.reverse(t.description)]) if {\n  some s in input.tools\n  some t in s.tools\n}\n\ndeny contains sprintf(\"env=%s\", [strings.reverse(v)]) if {\n  some s in input.tools\n  some v in s.env\n}\n",
        )],
    );
    // each is found where it is written
    let out = run_in(d, &["--format", "json", "verify", "--no-lock-check"]);
    let report = text(&out);
    for (path, what) in [
        ("tools/github.yaml", "a GitHub token"),
        ("tools/aws.json", "an AWS key"),
    ] {
        assert!(
            report.contains("\"SECRET002\"") && report.contains(path),
            "{what} in {path} is not found:\n{report}"
        );
    }
    let reversed = |s: &str| s.chars().rev().collect::<String>();
    for needle in [
        TOKEN.to_string(),
        reversed(TOKEN),
        TOKEN[4..].to_string(),
        aws.to_string(),
        reversed(aws),
        aws.replace('/', "\\/"),
        escaped_token.clone(),
        TOKEN[split..].to_string(),
    ] {
        assert_never_printed(d, &needle, "an escaped credential");
    }
}

/// `git` with `input` on its standard input, as [`git_in`] runs it otherwise.
fn git_with_input(dir: &Path, args: &[&str], input: &[u8]) -> String {
    use std::io::Write;
    let mut child = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "git {args:?}");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// A tree object written by hand: (mode, name, hex id) entries, as git's own format holds them
/// (no check of the names: that is what is attacked).
fn hand_made_tree(dir: &Path, entries: &[(&str, &[u8], &str)]) -> String {
    let mut bytes = Vec::new();
    for (mode, name, id) in entries {
        bytes.extend_from_slice(mode.as_bytes());
        bytes.push(b' ');
        bytes.extend_from_slice(name);
        bytes.push(0);
        for i in (0..id.len()).step_by(2) {
            bytes.push(u8::from_str_radix(&id[i..i + 2], 16).unwrap());
        }
    }
    let args = ["hash-object", "-t", "tree", "-w", "--literally", "--stdin"];
    git_with_input(dir, &args, &bytes)
}

/// A tree entry no checkout can hold (`.GIT` and `git~1`, which are git's own directory on a
/// case-insensitive or Windows file system, `..`, a name with a `/`), only a hand-made tree
/// has: never read, never skipped in silence. Where a configured path could match it, it is a
/// CONF001 at its (escaped) name, as a name that is not UTF-8 is; what it holds is not printed.
/// The same names on disk (Linux takes `.GIT` as an ordinary directory) are reported alike.
#[cfg(unix)]
#[test]
fn a_tree_entry_no_checkout_can_hold_is_a_finding_never_read() {
    let dir = copy_to_temp(&fixture("clean"));
    git_in(dir.path(), &["init", "-q"]);
    git_in(dir.path(), &["add", "-A"]);
    git_in(dir.path(), &["commit", "-qm", "clean"]);
    let evil = format!("---\nname: evil\nversion: 1.0.0\n---\ntoken {TOKEN}\n");
    let blob = git_with_input(
        dir.path(),
        &["hash-object", "-w", "--stdin"],
        evil.as_bytes(),
    );
    let inner = hand_made_tree(dir.path(), &[("100644", b"x.prompt", &blob)]);
    // prompts/ as committed, and the hand-made names beside its files
    let listed = git_in(dir.path(), &["ls-tree", "HEAD:prompts"]);
    let mut prompts: Vec<(String, Vec<u8>, String)> = listed
        .lines()
        .map(|l| {
            let (meta, name) = l.split_once('\t').unwrap();
            let f: Vec<&str> = meta.split(' ').collect();
            (f[0].to_string(), name.as_bytes().to_vec(), f[2].to_string())
        })
        .collect();
    prompts.push(("40000".into(), b".GIT".to_vec(), inner.clone()));
    prompts.push(("40000".into(), b"git~1".to_vec(), inner.clone()));
    prompts.push(("40000".into(), b"..".to_vec(), inner.clone()));
    prompts.push(("100644".into(), b"c/d.prompt".to_vec(), blob.clone()));
    let entries: Vec<(&str, &[u8], &str)> = prompts
        .iter()
        .map(|(m, n, i)| (m.as_str(), n.as_slice(), i.as_str()))
        .collect();
    let prompts_tree = hand_made_tree(dir.path(), &entries);
    let root: Vec<(String, Vec<u8>, String)> = git_in(dir.path(), &["ls-tree", "HEAD"])
        .lines()
        .map(|l| {
            let (meta, name) = l.split_once('\t').unwrap();
            let f: Vec<&str> = meta.split(' ').collect();
            let id = if name == "prompts" {
                &prompts_tree
            } else {
                f[2]
            };
            let mode = if f[1] == "tree" { "40000" } else { f[0] };
            (mode.to_string(), name.as_bytes().to_vec(), id.to_string())
        })
        .collect();
    let entries: Vec<(&str, &[u8], &str)> = root
        .iter()
        .map(|(m, n, i)| (m.as_str(), n.as_slice(), i.as_str()))
        .collect();
    let tree = hand_made_tree(dir.path(), &entries);
    let commit = git_in(
        dir.path(),
        &["commit-tree", &tree, "-p", "HEAD", "-m", "evil"],
    );
    let out = run_in(
        dir.path(),
        &[
            "--format",
            "json",
            "verify",
            "--rev",
            &commit,
            "--no-lock-check",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(!text(&out).contains(TOKEN));
    let f = findings(&out);
    let conf: Vec<(&str, &str)> = f
        .iter()
        .filter(|(c, _, _, _)| c == "CONF001")
        .map(|(_, p, _, m)| (p.as_str(), m.as_str()))
        .collect();
    for (path, says) in [
        ("prompts/.GIT", "git's own directory"),
        ("prompts/git~1", "git's own directory"),
        ("prompts/..", "only dots"),
        ("prompts/c\\x2fd.prompt", "no checkout can hold"),
    ] {
        assert!(
            conf.iter().any(|(p, m)| *p == path && m.contains(says)),
            "{path}: {conf:?}"
        );
    }
    // nothing below them was read: no prompt `evil` came from them
    assert!(!f.iter().any(|(_, _, _, m)| m.contains("evil")), "{f:?}");
    // on disk
    let dir = copy_to_temp(&fixture("clean"));
    write(dir.path(), "prompts/.GIT/x.prompt", &evil);
    write(dir.path(), "prompts/.git/x.prompt", &evil);
    let out = run_in(
        dir.path(),
        &["--format", "json", "verify", "--no-lock-check"],
    );
    assert!(!text(&out).contains(TOKEN));
    let f = findings(&out);
    assert!(
        f.iter().any(|(c, p, _, m)| c == "CONF001"
            && p == "prompts/.GIT"
            && m.contains("git's own directory")),
        "{f:?}"
    );
    // (`.git` itself, a submodule's, is git's and skipped as the root's is)
    assert!(!f.iter().any(|(_, p, _, _)| p.contains(".git")), "{f:?}");
}

/// A pull request cannot commit a `.git`, but it can commit what a bare repository is made of
/// (`HEAD`, `config`, `refs/`, `objects/`): below the root of a monorepo, discovery must not
/// take that directory for the repository, or another repository on the machine (its objects
/// symlinked, or named in `objects/info/alternates`) becomes what agentlock reads: its prompt
/// text printed, its tags the releases. Only a `.git` is a repository.
#[cfg(unix)]
#[test]
fn a_committed_directory_that_looks_like_a_bare_repository_is_not_taken_for_git() {
    const CANARY: &str = "PRIVATE-PROMPT-TEXT-FROM-ELSEWHERE";
    let private = copy_to_temp(&fixture("clean"));
    let prompt = std::fs::read_dir(private.path().join("prompts"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "prompt"))
        .unwrap();
    let original = std::fs::read_to_string(&prompt).unwrap();
    std::fs::write(&prompt, format!("{original}\n{CANARY}\n")).unwrap();
    git_in(private.path(), &["init", "-q"]);
    git_in(private.path(), &["add", "-A"]);
    git_in(private.path(), &["commit", "-qm", "private"]);
    git_in(private.path(), &["tag", "v9.9.9"]);
    let head = git_in(private.path(), &["rev-parse", "HEAD"]);
    let elsewhere = private.path().join(".git");
    for variant in ["symlinks", "alternates"] {
        let repo = tempfile::tempdir().unwrap();
        copy_tree(&fixture("clean"), &repo.path().join("sub"));
        git_in(repo.path(), &["init", "-q"]);
        git_in(repo.path(), &["add", "-A"]);
        git_in(repo.path(), &["commit", "-qm", "base"]);
        let sub = repo.path().join("sub");
        write(&sub, "HEAD", "ref: refs/heads/main\n");
        write(
            &sub,
            "config",
            "[core]\n\trepositoryformatversion = 0\n\tbare = false\n\tworktree = .\n",
        );
        if variant == "symlinks" {
            std::os::unix::fs::symlink(elsewhere.join("refs"), sub.join("refs")).unwrap();
            std::os::unix::fs::symlink(elsewhere.join("objects"), sub.join("objects")).unwrap();
        } else {
            let alternates = format!("{}\n", elsewhere.join("objects").display());
            write(&sub, "objects/info/alternates", &alternates);
            write(&sub, "refs/heads/main", &format!("{head}\n"));
            write(&sub, "refs/tags/v9.9.9", &format!("{head}\n"));
        }
        git_in(repo.path(), &["add", "-A"]);
        git_in(repo.path(), &["commit", "-qm", "pull request"]);
        for args in [
            &["verify", "--rev", "HEAD"][..],
            &["verify"],
            &["diff"],
            &["--format", "json", "verify", "--rev", "HEAD"],
        ] {
            let out = run_in(&sub, args);
            let all = text(&out);
            assert!(!all.contains(CANARY), "{variant} {args:?}: {all}");
            assert!(!all.contains("v9.9.9"), "{variant} {args:?}: {all}");
        }
    }
}
