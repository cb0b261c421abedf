//! Entry points for the fuzz targets in `fuzz/` (and for the regression tests that replay what
//! they found, `tests/fuzz_regressions.rs`). Each one puts arbitrary bytes where a hostile
//! repository could put them and runs the whole pipeline on them: load, every rule, every
//! output format through the output sink, the lockfile written and read back. A panic
//! anywhere is a bug; so is a broken invariant, asserted here:
//!
//! - the lockfile agentlock writes parses back to the same lock, with the same root;
//! - no output contains a credential planted in the input ([`secret_never_printed`]).

#![doc(hidden)]

use crate::output::{Mode, Sink};
use crate::snapshot::MemorySnapshot;
use std::io::Write;

/// The scaffold `agentlock init` writes: a small, complete system the input is placed into.
fn base() -> MemorySnapshot {
    let mut snap = MemorySnapshot::default();
    for (path, text) in crate::init::files("fuzz", 20_000) {
        snap.files.insert(path.to_string(), text.into_bytes());
    }
    snap
}

/// Everything agentlock does with a snapshot, every format written through a sink. Returns
/// what was printed.
fn pipeline(snap: &MemorySnapshot) -> String {
    // Each input is a run of its own: what an earlier one found is not known to this one.
    crate::secrets::known::clear();
    let today = 20_000;
    let mut printed: Vec<u8> = Vec::new();
    let model = match crate::load::load(snap) {
        Ok(m) => m,
        Err(e) => {
            let text =
                crate::report::human::render_fatal(&e.message, e.help.as_deref(), None, false);
            let _ = Sink::new(&mut printed, Mode::Text, false).write_all(text.as_bytes());
            return String::from_utf8_lossy(&printed).into_owned();
        }
    };
    // The lockfile: written, read back, the same.
    let lock = crate::lock::Lock::from_model(&model, crate::rules::catalog());
    let toml = lock.to_toml();
    let parsed = crate::lock::Lock::parse_written(&toml)
        .map(Ok)
        .unwrap_or_else(|| crate::lock::Lock::parse(&toml, crate::source::FileId(0)));
    match parsed {
        Ok((back, root)) => {
            assert_eq!(
                back.root(),
                lock.root(),
                "the lockfile reads back to its root"
            );
            assert_eq!(root.as_deref(), Some(lock.root().as_str()));
        }
        Err((message, _)) => panic!("agentlock wrote a lockfile it cannot read: {message}"),
    }
    let mut with_lock = MemorySnapshot {
        files: snap.files.clone(),
    };
    with_lock
        .files
        .insert(crate::lock::LOCKFILE.to_string(), toml.into_bytes());
    let graph = [
        crate::report::graph::render(&model, crate::graph::Output::Mermaid),
        crate::report::graph::render(&model, crate::graph::Output::Dot),
    ];
    let v = crate::pipeline::check(model, &with_lock, true, None, None, &[], today);
    let list = crate::checklist::Checklist::build(&v, &crate::checklist::GitState::None, today);
    let f = &v.findings;
    let s = &v.model.sources;
    let (commands, github) = crate::report::github::render(f, v.suppressed, s, "");
    let outputs = [
        (
            Mode::Text,
            crate::report::human::render(f, v.suppressed, s, false),
        ),
        (
            Mode::Text,
            crate::report::human::render(f, v.suppressed, s, true),
        ),
        (Mode::Json, crate::report::json::render(f, v.suppressed, s)),
        (Mode::Json, crate::report::sarif::render(f, s, "")),
        (
            Mode::Xml,
            crate::report::junit::render(f, v.suppressed, s, &v.rules, "agentlock"),
        ),
        (
            Mode::Text,
            crate::report::markdown::render(f, v.suppressed, s, "", "verify"),
        ),
        (Mode::Text, github),
        (Mode::Text, crate::report::checklist::markdown(&list)),
        (Mode::Json, crate::report::checklist::json(&list)),
        (Mode::Text, graph[0].clone()),
        (Mode::Text, graph[1].clone()),
    ];
    let decision = crate::evidence::decision::decide(f, v.gate.as_ref(), None);
    let outputs = outputs.into_iter().chain([
        (
            Mode::Text,
            crate::report::gate::human(&decision, v.gate.as_ref()),
        ),
        (
            Mode::Json,
            crate::report::gate::json(&decision, v.gate.as_ref(), f, s),
        ),
        (
            Mode::Text,
            crate::report::gate::markdown(&decision, v.gate.as_ref()),
        ),
    ]);
    {
        let mut sink = Sink::new(&mut printed, Mode::Text, false);
        sink.command(&commands);
    }
    for (mode, text) in outputs {
        let mut one: Vec<u8> = Vec::new();
        {
            let mut sink = Sink::new(&mut one, mode, true);
            let _ = sink.write_all(text.as_bytes());
        }
        if mode == Mode::Json {
            assert!(
                serde_json::from_slice::<serde_json::Value>(&one).is_ok(),
                "a JSON report that does not parse as printed"
            );
        }
        printed.extend(one);
    }
    String::from_utf8_lossy(&printed).into_owned()
}

/// The input as text: fuzzers find UTF-8 slowly, and the loaders refuse other bytes early.
fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// Arbitrary bytes as the file at `path` of an otherwise complete repository.
pub fn file(path: &str, data: &[u8]) -> String {
    // Any file may be a Git LFS pointer: one that parses names an object the store can only
    // hold under a path of hex digits.
    if let Some(p) = crate::snapshot::lfs::parse(data) {
        assert!(
            p.oid.len() == 64
                && p.oid
                    .bytes()
                    .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
            "an LFS oid that is no path of the store"
        );
    }
    let mut snap = base();
    snap.files.insert(path.to_string(), data.to_vec());
    pipeline(&snap)
}

/// The first byte picks which of agentlock's YAML or JSON manifests the rest replaces.
pub fn manifest(data: &[u8]) {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let path = [
        "agents.yaml",
        "models.yaml",
        "deploy.yaml",
        "tools/kb.yaml",
        "tools/fuzz.json",
        "datasets/golden_happy_path.jsonl",
    ][pick as usize % 6];
    file(path, rest);
}

/// A prompt: front matter and body, agentlock's own (in a project), or another tool's (Prompty,
/// dotprompt, a Claude Code subagent, a Copilot chat mode: discovered, with no agentlock.toml).
pub fn prompt(data: &[u8]) {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    match pick % 6 {
        0 => drop(file("prompts/router.prompt", rest)),
        1 => drop(file("prompts/fuzz.prompt", rest)),
        2 => discovered(&[("app/fuzz.prompty", rest)]),
        3 => discovered(&[
            ("genkit/_partial.prompt", rest),
            ("genkit/plain.prompt", rest),
        ]),
        4 => discovered(&[(".claude/agents/fuzz.md", rest)]),
        _ => discovered(&[(".github/chatmodes/fuzz.chatmode.md", rest)]),
    }
}

/// The YAML fast path against serde-saphyr: where the fast path gives a tree, serde-saphyr
/// gives the same one, spans included (see `node::plain`).
pub fn yaml_plain(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        crate::node::plain::agrees(text);
    }
}

/// agentlock.toml, and a policy file it may extend.
pub fn config(data: &[u8]) {
    let t = text(data);
    let (manifest, policy) = t.split_once("\n\0\n").unwrap_or((&t, ""));
    let mut snap = base();
    snap.files
        .insert("agentlock.toml".into(), manifest.as_bytes().to_vec());
    snap.files
        .insert("policy/team.toml".into(), policy.as_bytes().to_vec());
    pipeline(&snap);
}

/// The lockfile, compared with a complete repository.
pub fn lockfile(data: &[u8]) {
    file(crate::lock::LOCKFILE, data);
}

/// An MCP client config (JSON with comments, or Codex TOML), in a repository without
/// agentlock.toml, where discovery reads it.
pub fn client_config(data: &[u8]) {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let path = [
        ".mcp.json",
        ".vscode/mcp.json",
        ".cursor/mcp.json",
        "claude_desktop_config.json",
        ".codex/config.toml",
        ".gemini/settings.json",
        "opencode.json",
        ".continue/config.yaml",
        "smithery.yaml",
        "mcp.json",
        ".windsurf/mcp_config.json",
        ".continue/mcpServers/block.yaml",
    ][pick as usize % 12];
    discovered(&[(path, rest)]);
}

/// A registry `server.json`, discovered.
pub fn registry(data: &[u8]) {
    discovered(&[("server.json", data)]);
}

/// A CrewAI crew: agents.yaml and tasks.yaml, split at the first NUL, discovered.
pub fn crewai(data: &[u8]) {
    let (agents, tasks) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    discovered(&[
        ("src/crew/config/agents.yaml", agents),
        ("src/crew/config/tasks.yaml", tasks),
    ]);
}

fn discovered(files: &[(&str, &[u8])]) {
    let mut snap = MemorySnapshot::default();
    for (path, data) in files {
        snap.files.insert(path.to_string(), data.to_vec());
    }
    pipeline(&snap);
}

/// A results file: read as each harness's format and as a QA review (every offset a reader
/// returns lies in the text), then stored as evidence of a repository (an index naming it,
/// with its digest) through the whole pipeline, the gate's reports included.
pub fn evidence(data: &[u8]) {
    use crate::evidence::results::Harness;
    // every reader, with the readers' own checks of the offsets they return
    crate::evidence::read::fuzz(data);
    let t = text(data);
    let found = crate::evidence::read::read(&t, None)
        .ok()
        .map(|r| r.harness);
    let _ = crate::evidence::qa::read(&t, crate::source::FileId(0));
    let harness = match found {
        Some(h) => h.as_str(),
        None if crate::evidence::qa::is_review(&t) => crate::evidence::qa::SCHEMA,
        None => Harness::Agentlock.as_str(),
    };
    let mut snap = base();
    let sha = crate::digest::sha256_hex(t.as_bytes());
    snap.files
        .insert("evidence/results".to_string(), t.as_bytes().to_vec());
    snap.files.insert(
        "evidence/index.toml".to_string(),
        format!(
            "version = 1\n\n[[evidence]]\npath = \"evidence/results\"\nsha256 = \"sha256:{sha}\"\nharness = \"{harness}\"\nbehaviour = \"sha256:0\"\ndataset = \"golden_happy_path\"\n"
        )
        .into_bytes(),
    );
    pipeline(&snap);
}

/// A Rego policy: what it declares, read from its text, then evaluated over a repository that
/// names it in `[policy] rego` (a policy that does not compile or fails is POL002, never a
/// crash).
pub fn rego(data: &[u8]) {
    let t = text(data);
    let d = crate::load::rego::read(&t);
    for h in &d.heads {
        assert!(h.start <= h.end && h.end <= t.len());
        let _ = crate::load::rego::Kind::of(&h.name);
    }
    let mut snap = base();
    if let Some(m) = snap.files.get_mut("agentlock.toml") {
        let text = String::from_utf8_lossy(m).replacen(
            "[policy]\n",
            "[policy]\nrego = [\"policy/*.rego\"]\n",
            1,
        );
        *m = text.into_bytes();
    }
    snap.files.insert("policy/fuzz.rego".into(), data.to_vec());
    // The worker is sent only the sections of the input a policy reads: its rules give the
    // same outcomes as with the input whole (each section is different, so reading one it
    // was not sent shows).
    if let Some(package) = &d.package {
        let input = regorus::Value::from_json_str(
            r#"{"schema": "agentlock.model/v1", "agents": {"a": {"role": "x", "tools": ["s.t"]}},
                "prompts": {"p": {"owners": ["@a"]}}, "tools": {"s": {"sources": []}},
                "models": {"m": {"id": "i"}}, "lock": {"root": "sha256:0", "entries": []},
                "release": null, "deploy": {}, "datasets": {}, "project": {"name": "n"}}"#,
        )
        .expect("the fuzzer's input is JSON");
        let files = [crate::rego::worker::File {
            path: "policy/fuzz.rego".into(),
            text: t.to_string(),
            v0: false,
            package: Some(package.clone()),
        }];
        let jobs: Vec<crate::rego::worker::Job> = d
            .heads
            .iter()
            .filter(|h| crate::load::rego::Kind::of(&h.name).is_some())
            .take(8)
            .map(|h| crate::rego::worker::Job {
                package: package.clone(),
                rule: h.name.clone(),
            })
            .collect();
        assert!(
            crate::rego::worker::same_outcomes_with_the_whole_input_for_fuzzing(
                &files, &input, &jobs
            ),
            "a rule gave another outcome on the sections of the input it was sent"
        );
    }
    // (In agentlock the rules run in a worker process; here, in this one, so that the fuzzer
    // reaches regorus and the reading of each value back into findings.)
    crate::rego::worker::evaluate_here_for_fuzzing();
    pipeline(&snap);
}

/// CODEOWNERS, parsed and matched against paths, then in a repository.
pub fn codeowners(data: &[u8]) {
    let t = text(data);
    let (mut owners, _) =
        crate::load::codeowners::Codeowners::parse(crate::source::FileId(0), "CODEOWNERS", &t);
    let paths = [
        "prompts/router.prompt",
        "a/b/c",
        "",
        "docs/x.md",
        ".github/CODEOWNERS",
    ];
    let linear: Vec<Option<usize>> = paths
        .iter()
        .map(|p| owners.owner_of(p).map(|r| r.line))
        .collect();
    // The budgeted decision agrees with the direct one wherever it decides.
    owners.decide(paths);
    for (p, want) in paths.iter().zip(linear) {
        match owners.ownership(p) {
            crate::load::codeowners::Ownership::NoRule => assert_eq!(want, None, "{p}"),
            crate::load::codeowners::Ownership::Rule { rule, .. } => {
                assert_eq!(want, Some(rule.line), "{p}")
            }
            crate::load::codeowners::Ownership::Unknown => {}
        }
    }
    file("CODEOWNERS", data);
}

/// A launch command: NUL-separated words, the first the command, as `command` and `args`
/// of a client config; and the same words as one command line.
pub fn launch(data: &[u8]) {
    let t = text(data);
    let span = crate::source::Span::file_start(crate::source::FileId(0));
    let mut words = t
        .split('\0')
        .map(|w| crate::load::model::Sp::new(w.to_string(), span));
    let Some(command) = words.next() else {
        return;
    };
    let args: Vec<_> = words.collect();
    let _ = crate::load::model::launch::source(&command, &args);
    let joined = crate::load::model::Sp::new(t.replace('\0', " "), span);
    let _ = crate::load::model::launch::source(&joined, &[]);
}

/// Realistic credentials of kinds the scanner knows, each found by it on its own (checked
/// below); the property plants one.
const PLANTED: &[&str] = &[
    "ghp_R8kWq3ZtY6vB1nM4xC7pL2sD9fG5hJ0aQe3T",
    "sk-proj-Xq7Rk2Lm9Xw4Tb8Vn1Hc5Jd3Fs6Gp0Ay2Ue4Io9Pw3Qz8Lr6Ks1Mt5Nv7Bx0Cy2",
    "AKIAZ3MPLQ7RT2XW4VNB",
    "xoxb-2749371058-8361920475-Zq7Rk2Lm9Xw4Tb8Vn1Hc5Jd3",
    "glpat-Zq7Rk2Lm9Xw4Tb8Vn1Hc",
    "sk-ant-api03-Zq7Rk2Lm9Xw4Tb8Vn1Hc5Jd3Fs6Gp0Ay2Ue4Io9Pw3Qz8Lr6Ks1Mt5Nv7Bx0Cy2Zq7Rk2Lm9Xw4Tb8Vn1Hc5Jd3Fs6Gp0A-x9QAAA",
];

/// The secret scanner's property: a credential planted anywhere in arbitrary text (a prompt,
/// a manifest value, a file name) is found, and no output ever contains it.
pub fn secret_never_printed(data: &[u8]) {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let token = PLANTED[pick as usize % PLANTED.len()];
    assert_eq!(
        crate::secrets::scan(token).len(),
        1,
        "a planted value the scanner does not know proves nothing"
    );
    let t = text(rest);
    // the token goes where the input says, at a character boundary, between separators so it
    // is a token of its own
    let at = t
        .char_indices()
        .map(|(i, _)| i)
        .nth(rest.first().map_or(0, |&b| b as usize) % (t.chars().count() + 1))
        .unwrap_or(t.len());
    let body = format!("{} {token} {}", &t[..at], &t[at..]);
    let _ = crate::secrets::scan(&body);
    let _ = crate::secrets::mask(&body);
    let mut snap = base();
    let (where_, path) = match (pick as usize / PLANTED.len()) % 3 {
        0 => ("prompt", "prompts/fuzz.prompt".to_string()),
        1 => ("manifest", "tools/fuzz.yaml".to_string()),
        _ => ("name", format!("prompts/{token}.prompt")),
    };
    let content = match where_ {
        "prompt" => format!("---\nname: fuzz\nversion: 1.0.0\n---\n{body}\n"),
        "manifest" => format!(
            "server: fuzz\nversion: 1.0.0\nenv: {{ TOKEN: \"{token}\" }}\ndescription: {:?}\n",
            body
        ),
        _ => format!("---\nname: named\nversion: 1.0.0\n---\n{t}\n"),
    };
    snap.files.insert(path, content.into_bytes());
    let printed = pipeline(&snap);
    if let Some(line) = printed.lines().find(|l| l.contains(token)) {
        panic!(
            "a credential planted in a {where_} was printed: {}",
            line.replace(token, "<TOKEN>")
        );
    }
}

/// An exported trace file: read as one file (with the real chunk size and windows, and with
/// tiny ones, which must read the same spans) and split into two files; every span's place
/// lies in its file and is the span's object there, and the counts add up
/// ([`crate::traces::read::fuzz`]).
pub fn traces(data: &[u8]) {
    crate::traces::read::fuzz(data);
}

/// Inline suppressions in a file of each syntax (the first byte picks it). A suppression's
/// span is a comment in the text; and, where the real parser reads the text (YAML, TOML), no
/// suppression starts inside a string value it reads: a `#` in a value is never a comment.
pub fn suppressions(data: &[u8]) {
    use crate::load::suppress::{Syntax, scan};
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let syntax = [Syntax::Yaml, Syntax::Toml, Syntax::Rego, Syntax::Prompt][usize::from(pick % 4)];
    let file = crate::source::FileId(0);
    let mut problems = Vec::new();
    let found = scan(file, "f", text, syntax, &mut problems);
    for s in &found {
        let at = &text[s.span.start as usize..s.span.end as usize];
        assert!(at.starts_with('#') || at.starts_with("<!--"), "{at:?}");
    }
    let tree = match syntax {
        Syntax::Yaml => crate::node::parse_yaml(text, file),
        Syntax::Toml => crate::node::parse_toml(text, file),
        _ => return,
    };
    let Ok(root) = tree else { return };
    let mut strings = Vec::new();
    let mut stack = vec![&root];
    while let Some(n) = stack.pop() {
        match &n.value {
            crate::node::Value::Str(_) => strings.push(n.span),
            crate::node::Value::Seq(items) => stack.extend(items),
            crate::node::Value::Map(entries) => stack.extend(entries.iter().map(|(_, v)| v)),
            _ => {}
        }
    }
    // Malformed suppressions (problems) are comments too.
    let starts = found.iter().map(|s| s.span.start);
    for at in starts.chain(problems.iter().map(|p| p.span.start)) {
        assert!(
            !strings.iter().any(|v| v.start < at && at < v.end),
            "a suppression at byte {at} is inside a string value"
        );
    }
}
