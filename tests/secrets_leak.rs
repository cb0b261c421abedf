//! No output ever contains a secret. Every detector's samples from the labelled corpus are
//! planted in one repository, in every kind of file and in places that make other rules quote
//! the value (a malformed timeout, a model id, a tool source); then every command and format
//! runs, and none of the values may appear in stdout, stderr or the lockfile.

mod common;
use common::*;
use std::path::Path;

/// Every labelled secret of the corpus: (detector id, value, the corpus lines it sits in).
fn samples() -> Vec<(String, String, String)> {
    let dir = root().join("tests/fixtures/secrets");
    let labels = std::fs::read_to_string(dir.join("labels.tsv")).unwrap();
    let mut out = Vec::new();
    for row in labels
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let cols: Vec<&str> = row.split('\t').collect();
        let (file, line, id) = (cols[0], cols[1].parse::<usize>().unwrap(), cols[2]);
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        for hit in agentlock::secrets::scan(&text) {
            let at = text[..hit.secret.start].matches('\n').count() + 1;
            if at == line && hit.detector.id == id {
                // the whole lines of the secret, with the context a detector may need
                let start = text[..hit.secret.start].rfind('\n').map_or(0, |i| i + 1);
                let end = text[hit.secret.end..]
                    .find('\n')
                    .map_or(text.len(), |i| hit.secret.end + i);
                out.push((
                    id.to_string(),
                    text[hit.secret.clone()].to_string(),
                    text[start..end].to_string(),
                ));
            }
        }
    }
    assert!(out.len() >= 25, "the corpus yields {} samples", out.len());
    out
}

/// Whether the scanner finds `value` on its own in `line`: a detector that needs context (a
/// `Bearer` or `password =` before the value) does not, and then the value is not a secret
/// there and may be printed like any other text.
fn found_in(line: &str, value: &str) -> bool {
    agentlock::secrets::scan(line)
        .iter()
        .any(|h| &line[h.secret.clone()] == value)
}

fn plant(dir: &Path, samples: &[(String, String, String)]) {
    let mut agents = std::fs::read_to_string(dir.join("agents.yaml")).unwrap();
    let mut models = std::fs::read_to_string(dir.join("models.yaml")).unwrap();
    for (i, (_, value, context)) in samples.iter().enumerate() {
        // a prompt body takes the corpus lines as they are, multi-line keys too
        std::fs::write(
            dir.join(format!("prompts/leak{i}.prompt")),
            format!("---\nname: leak{i}\nversion: 1.0.0\nmodel: fast\n---\n{context}\n"),
        )
        .unwrap();
        if value.contains(['\n', '\'', '"', '\\']) {
            continue;
        }
        // a manifest env value, a URL source, a malformed timeout, a model id: where the
        // scanner recognises the bare value
        let env = format!("env: {{ TOKEN: '{value}' }}");
        if found_in(&env, value) {
            std::fs::write(
                dir.join(format!("tools/leak{i}.yaml")),
                format!("server: leak{i}\nversion: 1.0.0\nsource: {{ url: 'https://example.com/{value}' }}\n{env}\n"),
            )
            .unwrap();
        }
        let timeout = format!("    timeout: '{value}'");
        if found_in(&timeout, value) {
            agents.push_str(&format!(
                "  leak{i}:\n    role: executor\n    prompt: leak{i}@1.0.0\n{timeout}\n"
            ));
        }
        let model = format!("  leak{i}: {{ provider: openai, id: '{value}' }}");
        if found_in(&model, value) {
            models.push_str(&format!("{model}\n"));
        }
    }
    std::fs::write(dir.join("agents.yaml"), agents).unwrap();
    std::fs::write(dir.join("models.yaml"), models).unwrap();
    // An organisation policy that repeats every string of its input as a finding, code,
    // subject and place: what it prints is redacted like everything else.
    with_rego(
        dir,
        &[(
            "policy/echo.rego",
            "package echo\n\nimport rego.v1\n\ndeny contains r if {\n  walk(input, [path, v])\n  is_string(v)\n  r := {\"msg\": v, \"code\": v, \"subject\": v, \"help\": v}\n}\n\nwarn contains k if {\n  walk(input, [path, _])\n  some k in path\n  is_string(k)\n}\n",
        )],
    );
    plant_evidence(dir, samples);
}

/// Trace files hold names and user text: each secret the scanner recognises on its own as an
/// agent, tool, model, prompt, golden case and release root of a span; each context line (which
/// makes its secret recognisable) as the name of a span a finding quotes and inside a line that
/// is not JSON. Returns the file's path.
fn plant_traces(dir: &Path, samples: &[(String, String, String)]) -> String {
    let attr = |k: &str, v: &str| serde_json::json!({"key": k, "value": {"stringValue": v}});
    let mut lines = String::new();
    for (i, (_, value, context)) in samples.iter().enumerate() {
        let tid = format!("{:032x}", i + 1);
        let span = |id: u64, parent: u64, name: &str, attrs: Vec<serde_json::Value>| {
            serde_json::json!({"traceId": tid, "spanId": format!("{id:016x}"), "parentSpanId": if parent == 0 { String::new() } else { format!("{parent:016x}") },
                "name": name, "startTimeUnixNano": "1767225600000000000", "endTimeUnixNano": "1767225601000000000", "attributes": attrs})
        };
        let mut spans = vec![span(
            1,
            0,
            "workflow",
            vec![attr("gen_ai.operation.name", "invoke_workflow")],
        )];
        if !value.contains('\n')
            && found_in(&format!("a trace shows agent `{value}`, which"), value)
        {
            spans.push(span(
                2,
                1,
                "invoke_agent",
                vec![
                    attr("gen_ai.operation.name", "invoke_agent"),
                    attr("gen_ai.agent.name", value),
                    attr("agentlock.case", value),
                ],
            ));
            spans.push(span(
                3,
                1,
                "invoke_agent writer",
                vec![
                    attr("gen_ai.operation.name", "invoke_agent"),
                    attr("gen_ai.agent.name", "writer"),
                    attr("agentlock.prompt", value),
                ],
            ));
            spans.push(span(
                4,
                3,
                "execute_tool",
                vec![
                    attr("gen_ai.operation.name", "execute_tool"),
                    attr("gen_ai.tool.name", value),
                ],
            ));
            spans.push(span(
                5,
                3,
                "chat",
                vec![
                    attr("gen_ai.operation.name", "chat"),
                    attr("gen_ai.response.model", value),
                ],
            ));
        }
        if !context.contains('\n') {
            spans.push(span(
                6,
                1,
                context,
                vec![attr("gen_ai.operation.name", "invoke_agent")],
            ));
            lines.push_str(&format!("not json {context}\n"));
        }
        let resource = serde_json::json!({"attributes": [attr("agentlock.lock.root", value)]});
        let req = serde_json::json!({"resourceSpans": [{"resource": resource, "scopeSpans": [{"spans": spans}]}]});
        lines.push_str(&format!("{req}\n"));
    }
    let path = dir.join("leak-traces.jsonl");
    std::fs::write(&path, lines).unwrap();
    path.display().to_string()
}

/// Results files hold user text: each secret as a case id, a metric name and a result's
/// input, in a stored results file, a QA review and a file `evidence add` is given.
fn plant_evidence(dir: &Path, samples: &[(String, String, String)]) {
    use sha2::Digest;
    let mut jsonl = String::new();
    let mut qa = String::from("schema: agentlock.qa/v1\nreviewer: qa\nissues:\n");
    for (i, (_, value, context)) in samples.iter().enumerate() {
        // A multi-line value (a key's body) is no credential without the lines around it;
        // its whole block is planted escaped, in the QA review.
        if value.contains('\n') {
            qa.push_str(&format!(
                "  - id: QA-{i}\n    severity: critical\n    status: open\n    summary: {}\n",
                serde_json::to_string(&format!(
                    "-----BEGIN RSA PRIVATE KEY-----\n{context}\n-----END RSA PRIVATE KEY-----"
                ))
                .unwrap()
            ));
            continue;
        }
        let v = serde_json::to_string(value).unwrap();
        let c = serde_json::to_string(context).unwrap();
        jsonl.push_str(&format!(
            "{{\"dataset\": \"golden_happy_path\", \"case\": {v}, \"metric\": {v}, \"pass\": false}}\n"
        ));
        jsonl.push_str(&format!(
            "{{\"dataset\": {c}, \"case\": 1, \"metric\": \"overall\", \"pass\": false}}\n"
        ));
        qa.push_str(&format!(
            "  - id: QA-{i}\n    severity: critical\n    status: open\n    summary: {v}\n"
        ));
    }
    std::fs::create_dir_all(dir.join("evidence")).unwrap();
    let mut index = String::from("version = 1\n");
    for (name, text, harness) in [
        ("results.jsonl", &jsonl, "agentlock.eval/v1"),
        ("qa.yaml", &qa, "agentlock.qa/v1"),
    ] {
        std::fs::write(dir.join("evidence").join(name), text).unwrap();
        let sha = format!("{:x}", sha2::Sha256::digest(text.as_bytes()));
        index.push_str(&format!(
            "\n[[evidence]]\npath = \"evidence/{name}\"\nsha256 = \"sha256:{sha}\"\nharness = \"{harness}\"\nbehaviour = \"sha256:0\"\n"
        ));
    }
    std::fs::write(dir.join("evidence/index.toml"), index).unwrap();
    std::fs::write(dir.join("leak-results.jsonl"), &jsonl).unwrap();
}

fn assert_clean(what: &str, text: &str, samples: &[(String, String, String)]) {
    // A long enough piece of the value: a redacted form shows at most 4 characters. Every
    // piece of every sample is looked for in one pass over the output.
    let pieces: Vec<(&str, &str)> = samples
        .iter()
        .flat_map(|(id, value, _)| {
            value
                .lines()
                .filter(|l| l.len() >= 8)
                .map(move |l| (id.as_str(), l))
        })
        .collect();
    let automaton = aho_corasick::AhoCorasick::new(pieces.iter().map(|(_, l)| l)).unwrap();
    if let Some(m) = automaton.find(text) {
        let (id, piece) = pieces[m.pattern().as_usize()];
        let start = text[..m.start()].rfind('\n').map_or(0, |i| i + 1);
        let end = text[m.end()..]
            .find('\n')
            .map_or(text.len(), |i| m.end() + i);
        panic!(
            "{what} prints (part of) a {id} secret: {}",
            text[start..end].replace(piece, "<SECRET>")
        );
    }
}

#[test]
#[should_panic(expected = "prints (part of) a")]
fn the_leak_check_sees_a_secret() {
    let samples = samples();
    let (_, value, _) = &samples[0];
    assert_clean("a planted output", &format!("report:\n{value}\n"), &samples);
}

#[test]
fn no_command_or_format_prints_a_secret() {
    let samples = samples();
    let dir = copy_to_temp(&fixture("clean"));
    plant(dir.path(), &samples);
    let files: Vec<String> = std::fs::read_dir(dir.path().join("prompts"))
        .unwrap()
        .chain(std::fs::read_dir(dir.path().join("tools")).unwrap())
        .map(|e| e.unwrap().path().display().to_string())
        .collect();
    // A git repository with a release and a commit after it, so diff and rollback have a base.
    let git = |args: &[&str]| {
        git_in(dir.path(), args);
    };
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&["commit", "-qm", "planted"]);
    git(&["tag", "v1.0.0"]);
    git(&["commit", "-q", "--allow-empty", "-m", "after"]);
    let mut runs: Vec<(String, Vec<String>)> = Vec::new();
    for format in ["human", "json", "markdown", "sarif", "github", "junit"] {
        for args in [["diff"], ["rollback"], ["checklist"], ["gate"]] {
            let mut all = vec!["--format".to_string(), format.to_string()];
            all.extend(args.iter().map(|s| s.to_string()));
            runs.push((format!("{format} {}", args.join(" ")), all));
        }
        for args in [
            vec!["verify"],
            vec!["verify", "--no-lock-check"],
            vec!["scan"],
            vec!["lock", "--check"],
        ] {
            let mut all = vec!["--format".to_string(), format.to_string()];
            all.extend(args.iter().map(|s| s.to_string()));
            runs.push((format!("{format} {}", args.join(" ")), all));
        }
        if format == "human" {
            for output in ["mermaid", "dot"] {
                runs.push((
                    format!("graph {output}"),
                    vec!["--format".into(), output.into(), "graph".into()],
                ));
            }
        }
        let results = dir.path().join("leak-results.jsonl").display().to_string();
        runs.push((
            format!("{format} evidence add"),
            ["--format", format, "evidence", "add", &results]
                .map(String::from)
                .to_vec(),
        ));
        let mut scan = vec!["--format".to_string(), format.to_string(), "scan".into()];
        scan.extend(files.iter().cloned());
        runs.push((format!("{format} scan FILE…"), scan));
    }
    // The report flags: one line a finding, counts per rule, a filtered run
    for extra in [
        &["--format", "concise", "verify"][..],
        &["--statistics", "verify"],
        &["--select", "SECRET", "--format", "concise", "verify"],
        &["--verbose", "verify", "--no-lock-check"],
    ] {
        runs.push((
            extra.join(" "),
            extra.iter().map(|s| s.to_string()).collect(),
        ));
    }
    // The input document of the Rego policies, and their tests.
    for format in ["human", "json"] {
        runs.push((
            format!("{format} model"),
            vec!["--format".into(), format.into(), "model".into()],
        ));
        runs.push((
            format!("{format} policy test"),
            vec![
                "--format".into(),
                format.into(),
                "policy".into(),
                "test".into(),
            ],
        ));
    }
    let mut scan = vec!["--format".to_string(), "concise".into(), "scan".into()];
    scan.extend(files.iter().cloned());
    runs.push(("concise scan FILE…".into(), scan));
    // Every command that reads the repository is run (the others print only the catalog, the
    // schemas or what clap generates, or write templates).
    for spec in agentlock::commands::SPECS {
        // (`traces` is run below, on a repository that loads)
        let reads_nothing = [
            "rules",
            "explain",
            "init",
            "schema",
            "completions",
            "man",
            "traces",
        ];
        assert!(
            reads_nothing.contains(&spec.name)
                || runs.iter().any(|(_, a)| a.iter().any(|x| x == spec.name)),
            "the leak test runs `{}`",
            spec.name
        );
    }
    // The runs that only read the repository two at a time, then those that may write to it
    // (`evidence add`) one by one.
    let (reading, writing): (Vec<_>, Vec<_>) = runs
        .iter()
        .partition(|(_, args)| !args.iter().any(|a| a == "evidence"));
    let found_any = std::sync::atomic::AtomicBool::new(false);
    for (batch, threads) in [(reading, 2), (writing, 1)] {
        let next = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(|| {
                    while let Some((what, args)) =
                        batch.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
                    {
                        let args: Vec<&str> = args.iter().map(String::as_str).collect();
                        let out = run_in(dir.path(), &args);
                        let stdout = String::from_utf8_lossy(&out.stdout);
                        let stderr = String::from_utf8_lossy(&out.stderr);
                        assert_clean(what, &stdout, &samples);
                        assert_clean(what, &stderr, &samples);
                        if stdout.contains("SECRET00") {
                            found_any.store(true, std::sync::atomic::Ordering::Relaxed);
                        }
                    }
                });
            }
        });
    }
    assert!(found_any.into_inner(), "the planted secrets are reported");
    // A report written to a file is redacted like standard output.
    let file = dir.path().join("leak-report.sarif");
    let f = file.to_str().unwrap();
    for args in [
        &[
            "--format", "concise", "--format", "sarif", "--output", f, "verify",
        ][..],
        &["--format", "json", "--output", f, "verify"],
    ] {
        let out = run_in(dir.path(), args);
        assert_clean("--output", &String::from_utf8_lossy(&out.stdout), &samples);
        let written = std::fs::read_to_string(&file).unwrap();
        assert!(written.contains("SECRET00"), "{written}");
        assert_clean("--output FILE", &written, &samples);
    }
    // `lock` refuses while files fail to load (the malformed timeouts): lock the prompts alone.
    let locked = copy_to_temp(&fixture("clean"));
    for (i, (_, _, context)) in samples.iter().enumerate() {
        std::fs::write(
            locked.path().join(format!("prompts/leak{i}.prompt")),
            format!("---\nname: leak{i}\nversion: 1.0.0\nmodel: fast\n---\n{context}\n"),
        )
        .unwrap();
    }
    let out = run_in(locked.path(), &["lock"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lock = std::fs::read_to_string(locked.path().join("agentlock.lock")).unwrap();
    assert_clean("agentlock.lock", &lock, &samples);
    // `evidence add` of results quoting every secret, in a repository that loads: each result
    // is refused with a finding at its line, and nothing is printed of the values.
    plant_evidence(locked.path(), &samples);
    let results = locked
        .path()
        .join("leak-results.jsonl")
        .display()
        .to_string();
    for format in ["human", "json"] {
        let out = run_in(
            locked.path(),
            &["--format", format, "evidence", "add", &results],
        );
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_clean(
            "evidence add",
            &String::from_utf8_lossy(&out.stdout),
            &samples,
        );
        assert_clean(
            "evidence add",
            &String::from_utf8_lossy(&out.stderr),
            &samples,
        );
    }
    for format in ["human", "json", "markdown"] {
        let out = run_in(locked.path(), &["--format", format, "gate"]);
        assert_clean("gate", &String::from_utf8_lossy(&out.stdout), &samples);
    }
    // `traces` of spans naming every secret, in a repository that loads
    let traces = plant_traces(locked.path(), &samples);
    let mut reported = false;
    for format in [
        "human", "concise", "json", "markdown", "sarif", "github", "junit",
    ] {
        let out = run_in(locked.path(), &["--format", format, "traces", &traces]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_clean("traces", &stdout, &samples);
        assert_clean("traces", &String::from_utf8_lossy(&out.stderr), &samples);
        reported |= stdout.contains("TRACE001");
    }
    assert!(reported, "the planted traces are checked");
}

#[test]
fn a_broken_manifest_excerpt_masks_a_secret() {
    let samples = samples();
    let (_, value, _) = samples
        .iter()
        .find(|(_, v, _)| {
            !v.contains(['\n', '"', '\\']) && found_in(&format!("token = \"{v}\""), v)
        })
        .unwrap();
    let dir = copy_to_temp(&fixture("clean"));
    std::fs::write(
        dir.path().join("agentlock.toml"),
        format!("[project]\nname = \"x\"\ntoken = \"{value}\"\n[paths\n"),
    )
    .unwrap();
    let out = run_in(dir.path(), &["verify"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not valid TOML"), "{stderr}");
    assert_clean("the fatal error", &stderr, &samples);
}

/// A token joined to a name by `-` or `_` (`prod-ghp_…`, `bot_xoxb-…`), after an escaped line
/// break, glued to a word (`Wsk-ant-…`, reported; `xghp_…`, not reported, as a prefix glued to a
/// word may be its tail) or in a tag name (`v1.3.0-ghp_…`, quoted by a note on stderr): no
/// command or format prints it, in a finding, the excerpt of a neighbouring one or a note.
#[test]
fn a_token_joined_to_a_name_or_a_tag_is_never_printed() {
    // FAKE tokens of the providers' shapes.
    let ghp = "ghp_fkCzJr4i0B3JrTAwR4y9ojfljoQoaF1Llqsa";
    let xoxb = "xoxb-13721590109-281590139624-9wMxEhh2FDEEtfjgVvVqE1Sk";
    let ant = "sk-ant-api03-Qm7vX2kR9tLw4Zp8Nc3Bh6Jd1Fs5Gy0Ta7Ue2Io9Lr4We8Xb3Yn6Mk1Pz5Qv0Hs7Dj2Kf9Ag4Ct8Ex3Rw6Bu1Ni5Ol0";
    let proj = "sk-proj-Tq9vW2xLr7Nc4Bk8Jh3Fd6Gs1Pz5Ym0Qa7Ue2Io9Lw4Rt8Ex3Vb6Nm1";
    let glued = "ghp_Hq2Wv8Rz5Lk1Tn7Yc4Xb9Md3Jf6Gs0Pa2Eu8K";
    let tag_ghp = "ghp_Pz4Kq8Wm2Xr6Tn1Vb7Lc3Hd9Jf5Gs0Ya2Eu8Q";
    let tag_rc = "ghp_Bx7Nc2Vm9Lk4Jh1Gf6Ds3Ap8Qw5Er0Ty2Ui7O";
    let tag_xoxb = "xoxb-20481590113-981590139620-Zr3Kq8Wn2Lv6Tb1Yc7Hm4Jd";
    let prompt = format!(
        "deploy key: prod-{ghp}\n\
         slack: bot_{xoxb}\n\
         claude: W{ant}\n\
         notes: \"rotated\\n{proj}\"\n\
         glued: deploy{glued} (a word, not a token)\n"
    );
    let samples: Vec<(String, String, String)> = [
        ("github-pat-classic", ghp),
        ("slack-bot-token", xoxb),
        ("anthropic-api-key", ant),
        ("openai-project-key", proj),
        ("github-pat-classic", glued),
        ("github-pat-classic", tag_ghp),
        ("github-pat-classic", tag_rc),
        ("slack-bot-token", tag_xoxb),
    ]
    .iter()
    .map(|(id, v)| (id.to_string(), v.to_string(), String::new()))
    .collect();
    let dir = copy_to_temp(&fixture("clean"));
    std::fs::write(
        dir.path().join("prompts/joined.prompt"),
        format!("---\nname: joined\nversion: 1.0.0\nmodel: fast\n---\n{prompt}"),
    )
    .unwrap();
    let git = |args: &[&str]| {
        git_in(dir.path(), args);
    };
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&["commit", "-qm", "joined"]);
    git(&["tag", "v1.0.0"]);
    for tag in [
        format!("v1.3.0-{tag_ghp}"),
        format!("v1.4.0-{tag_rc}-rc1"),
        format!("v2.0.0_{tag_xoxb}"),
    ] {
        git(&["tag", &tag]);
    }
    git(&["commit", "-q", "--allow-empty", "-m", "after"]);
    let mut reported = String::new();
    let mut noted = String::new();
    for format in [
        "human", "concise", "json", "markdown", "sarif", "github", "junit",
    ] {
        for cmd in [
            &["verify", "--no-lock-check"][..],
            &["scan"],
            &["scan", "prompts/joined.prompt"],
            &["diff"],
            &["rollback"],
            &["gate"],
            &["checklist"],
        ] {
            let mut args = vec!["--format", format];
            args.extend_from_slice(cmd);
            let out = run_in(dir.path(), &args);
            let what = args.join(" ");
            let stdout = String::from_utf8_lossy(&out.stdout);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_clean(&what, &stdout, &samples);
            assert_clean(&what, &stderr, &samples);
            if format == "concise" && cmd == ["scan"] {
                reported = stdout.into_owned();
            }
            if format == "human" && cmd == ["rollback"] {
                noted = stderr.into_owned();
            }
        }
    }
    // The joined and glued forms the scanner knows are findings; the glued word is not.
    for shown in [
        "ghp_…lqsa",
        "xoxb-…E1Sk",
        "sk-ant-api03-…5Ol0",
        "sk-proj-…6Nm1",
    ] {
        assert!(reported.contains(shown), "{shown} is reported:\n{reported}");
    }
    assert_eq!(
        reported.matches("SECRET001").count(),
        4,
        "the glued word is no finding:\n{reported}"
    );
    // The tags are read, and quoted redacted.
    for shown in ["v1.3.0-ghp_…", "v1.4.0-ghp_…", "v2.0.0_xoxb-…"] {
        assert!(noted.contains(shown), "{shown} in:\n{noted}");
    }
}

/// A name or value a message shortens (a dataset case id cut at 40 characters, a JUnit test
/// name at 80, a QA issue id at 40, a tool manifest value at 60) is redacted before it is cut:
/// a GitHub token in it leaves no piece of itself in the report, though the cut falls inside
/// it (the output's redaction sees only whole tokens).
#[test]
fn a_token_in_a_shortened_name_leaves_no_piece_of_itself() {
    // FAKE: `ghp_` and 36 letters and digits drawn from a fixed generator.
    let alphabet = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut x = 0x2545_f491_4f6c_dd1d_u64;
    let body: String = (0..36)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            alphabet[(x % alphabet.len() as u64) as usize] as char
        })
        .collect();
    let token = ["ghp", "_", body.as_str()].concat();
    assert_eq!(
        agentlock::secrets::scan(&token).len(),
        1,
        "a token the scanner knows"
    );

    let dir = copy_to_temp(&fixture("clean"));
    let root = dir.path();
    let git = |args: &[&str]| {
        git_in(root, args);
    };
    // The case id: `case-` and the token, cut at 40 inside the token.
    let ds = root.join("datasets/golden_happy_path.jsonl");
    let text = std::fs::read_to_string(&ds).unwrap();
    std::fs::write(
        &ds,
        format!("{text}{{\"id\": \"case-{token}\", \"input\": \"hi\", \"expected\": {{\"route\": \"writer\"}}}}\n"),
    )
    .unwrap();
    // The tool value: a schema type no one knows, cut at 60 inside the token.
    let tool = root.join("tools/github.yaml");
    let text = std::fs::read_to_string(&tool).unwrap();
    std::fs::write(
        &tool,
        text.replacen(
            "title: { type: string }",
            &format!("title: {{ type: \"strng the token is here ok x_{token}\" }}"),
            1,
        ),
    )
    .unwrap();
    git(&["init", "-q"]);
    let out = run_in(root, &["lock"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    git(&["add", "-A"]);
    git(&["commit", "-qm", "planted"]);
    let results = format!(
        "{{\"dataset\": \"golden_happy_path\", \"case\": 1, \"metric\": \"overall\", \"pass\": true}}\n\
         {{\"dataset\": \"golden_happy_path\", \"case\": \"case-{token}\", \"metric\": \"overall\", \"pass\": false}}\n\
         {{\"dataset\": \"golden_edge_cases\", \"case\": 1, \"metric\": \"overall\", \"pass\": true}}\n\
         {{\"dataset\": \"golden_failures\", \"case\": 1, \"metric\": \"overall\", \"pass\": true}}\n"
    );
    // The JUnit name: `classname.name`, cut at 80 inside the token.
    let junit = format!(
        "<testsuites><testsuite name=\"s\"><testcase classname=\"tests.test_agent.TestTheRefundAgentWithALongName\" name=\"{token}\"><failure message=\"no\"/></testcase></testsuite></testsuites>"
    );
    // The QA issue id: `QA-` and the token, cut at 40 inside the token.
    let qa = format!(
        "schema: agentlock.qa/v1\nreviewer: qa\nissues:\n  - id: QA-{token}-and-more\n    severity: critical\n    status: open\n    summary: open\n"
    );
    for (name, text) in [
        ("r.jsonl", results.as_str()),
        ("r.xml", junit.as_str()),
        ("qa.yaml", qa.as_str()),
    ] {
        // `evidence add` refuses results quoting the token, printing no piece of it ...
        std::fs::write(root.join(name), text).unwrap();
        let path = root.join(name).display().to_string();
        let out = run_in(root, &["evidence", "add", &path]);
        // (1: a finding at the token; 2: the write refused, for a token the scanner does not
        // see there but the run found elsewhere)
        assert!(
            matches!(out.status.code(), Some(1 | 2)),
            "evidence add {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!pieces_of(&body).iter().any(|p| said.contains(p)), "{said}");
        // ... so it is stored as another tool would: the same results with the token blanked
        // added, then the token put back in the stored file and its recorded digest
        // (the dataset has a case named with the token: its result line is left out)
        let clean = if name.ends_with(".jsonl") {
            text.lines()
                .filter(|l| !l.contains(&token))
                .map(|l| format!("{l}\n"))
                .collect()
        } else {
            text.replace(&token, &"x".repeat(token.len()))
        };
        std::fs::write(root.join(name), &clean).unwrap();
        let out = run_in(root, &["evidence", "add", &path]);
        assert!(
            out.status.success(),
            "evidence add {name}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        std::fs::remove_file(root.join(name)).unwrap();
        let sha = |t: &str| {
            use sha2::Digest;
            format!("{:x}", sha2::Sha256::digest(t.as_bytes()))
        };
        let index_path = root.join("evidence/index.toml");
        let index = std::fs::read_to_string(&index_path).unwrap();
        let stored = std::fs::read_dir(root.join("evidence"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| std::fs::read_to_string(p).is_ok_and(|t| t == clean))
            .unwrap();
        std::fs::write(&stored, text).unwrap();
        std::fs::write(&index_path, index.replace(&sha(&clean), &sha(text))).unwrap();
    }
    git(&["add", "-A"]);
    git(&["commit", "-qm", "evidence"]);

    let pieces = pieces_of(&body);
    for format in ["json", "human", "concise"] {
        let out = run_in(root, &["--format", format, "verify"]);
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        for code in ["EVAL001", "EVAL007", "EVAL008", "TOOL006"] {
            assert!(all.contains(code), "{format}: no {code}:\n{all}");
        }
        for piece in &pieces {
            assert!(
                !all.contains(piece),
                "{format} prints a piece of the token:\n{}",
                all.replace(piece, "<PIECE>")
            );
        }
    }
}

/// Every 12-byte piece of `body`: more than a redacted form ever shows.
fn pieces_of(body: &str) -> Vec<&str> {
    (0..=body.len() - 12).map(|i| &body[i..i + 12]).collect()
}
