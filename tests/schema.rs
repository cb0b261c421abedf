//! `agentlock schema`: the JSON Schemas of agentlock's own files, generated from the loaders'
//! field tables, held to the loaders themselves: every schema is a valid 2020-12 schema; every
//! file the loader accepts in example-repo/ and the fixtures validates, and every file it
//! rejects for an unknown key or a wrong type is rejected; and, field by field over the
//! tables, a value of the wrong type or an unknown key is rejected by both. Then the command:
//! its listing and one schema (snapshots), `--write` (inside the repository only) and `init`'s
//! modelines. Last, the schema of the document `agentlock model` prints: held to the output of
//! every repository the tests have, in git with a release too, and strict enough to reject an
//! unknown key, a missing one and a value of the wrong type.

mod common;

use agentlock::load::fields::{Table, Ty};
use agentlock::schema::{SCHEMAS, Schema};
use common::*;
use serde_json::{Value, json};
use std::path::Path;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn validator(s: &Schema) -> jsonschema::Validator {
    jsonschema::draft202012::new(&s.json()).unwrap_or_else(|e| panic!("{}: {e}", s.name))
}

fn schema(name: &str) -> &'static Schema {
    agentlock::schema::get(name).unwrap()
}

/// A file's text as JSON, read with agentlock's own parsers (the tree the loader reads).
fn to_json(path: &str, text: &str) -> Option<Value> {
    let file = agentlock::source::FileId(0);
    let node = if path.ends_with(".toml") || path.ends_with(".lock") {
        agentlock::node::parse_toml(text, file).ok()?
    } else if path.ends_with(".json") {
        agentlock::node::parse_json(text, file).ok()?
    } else {
        agentlock::node::parse_yaml(text, file).ok()?
    };
    serde_json::from_str(&node.canonical_json()).ok()
}

#[test]
fn every_schema_is_a_valid_2020_12_schema() {
    for s in SCHEMAS {
        let json = s.json();
        if let Err(e) = jsonschema::meta::validate(&json) {
            panic!("{}: not a valid schema: {e}", s.name);
        }
        assert_eq!(
            json["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        assert_eq!(
            json["$id"],
            format!("https://agentlock.dev/schemas/{}.schema.json", s.name)
        );
        assert!(json["title"].is_string());
        validator(s);
        // Every property says what it is.
        fn described(v: &Value, at: &str) {
            if let Some(props) = v.get("properties").and_then(Value::as_object) {
                for (k, p) in props {
                    assert!(p["description"].is_string(), "{at}.{k} has no description");
                }
            }
            if let Some(defs) = v.get("$defs").and_then(Value::as_object) {
                for (k, d) in defs {
                    described(d, &format!("{at}#{k}"));
                }
            }
        }
        described(&json, s.name);
    }
}

/// The files of a repository that a schema describes, with the schema's name (the default
/// paths, and the policy files `extends` names).
fn schema_files(dir: &Path) -> Vec<(String, &'static str)> {
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(dir) {
        let entry = entry.unwrap();
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = entry
            .path()
            .strip_prefix(dir)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let name = match rel.as_str() {
            "agentlock.toml" => "agentlock",
            "agents.yaml" => "agents",
            "models.yaml" => "models",
            "deploy.yaml" => "deploy",
            "agentlock.lock" => "lock",
            "evidence/index.toml" => "evidence",
            r if r.starts_with("tools/")
                && !r[6..].contains('/')
                && (r.ends_with(".yaml") || r.ends_with(".json")) =>
            {
                "tool"
            }
            r if r.starts_with("evidence/") && r.ends_with(".yaml") => "qa",
            _ => continue,
        };
        out.push((rel, name));
    }
    let manifest = std::fs::read_to_string(dir.join("agentlock.toml")).unwrap_or_default();
    if let Ok(t) = manifest.parse::<toml::Table>()
        && let Some(e) = t
            .get("policy")
            .and_then(|p| p.get("extends"))
            .and_then(|e| e.as_str())
        && e.ends_with(".toml")
        && dir.join(e).is_file()
    {
        out.push((e.to_string(), "policy"));
    }
    out.sort();
    out
}

/// Every repository the tests check: example-repo/ and each fixture.
fn repositories() -> Vec<(String, std::path::PathBuf)> {
    let mut out = vec![("example-repo".to_string(), root().join("example-repo"))];
    let mut names: Vec<String> = std::fs::read_dir(root().join("tests/fixtures"))
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| is_repo_fixture(&e.path()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for n in names {
        out.push((n.clone(), fixture(&n)));
    }
    out
}

/// Whether a loader's problem says the file breaks its format's shape: a key it does not
/// know or a value of the wrong type (the schema's business), rather than something only the
/// loader can tell (a duplicate, a fallback loop, an unknown pack).
fn is_shape_problem(message: &str) -> bool {
    message.contains("unknown key")
        || message.contains(" must be a ")
        || message.contains(" must be true or false")
        || message.contains(" must be a whole number")
        || message.contains("is not a key of")
        || message.starts_with("invalid ")
}

#[test]
fn the_built_in_policy_packs_validate_against_the_policy_schema() {
    let v = validator(schema("policy"));
    for (name, body) in agentlock::load::config::PACKS {
        let doc = to_json("pack.toml", body).unwrap();
        let errors: Vec<String> = v.iter_errors(&doc).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{name}: {errors:?}");
    }
}

#[test]
fn the_files_the_loader_accepts_validate_and_those_it_rejects_for_their_shape_do_not() {
    let mut checked = 0;
    let mut rejected = 0;
    for (name, dir) in repositories() {
        let files = schema_files(&dir);
        if files.is_empty() {
            continue;
        }
        let wt = agentlock::snapshot::Worktree::new(&dir).unwrap();
        // The loader's problems, by file (a repository it cannot load at all is skipped).
        let Ok(model) = agentlock::load::load(&wt) else {
            continue;
        };
        let problems = |path: &str| -> Vec<String> {
            model
                .problems
                .iter()
                .filter(|p| model.sources.get(p.span.file).path == path)
                .map(|p| p.message.clone())
                .collect()
        };
        for (path, kind) in files {
            let body = std::fs::read_to_string(dir.join(&path)).unwrap_or_default();
            let Some(doc) = to_json(&path, &body) else {
                continue; // not parseable: CONF001, no schema can say more
            };
            let mut found = problems(&path);
            if kind == "lock"
                && let Err((m, _)) =
                    agentlock::lock::Lock::parse(&body, agentlock::source::FileId(0))
            {
                found.push(m);
            }
            if kind == "qa"
                && let Err(p) = agentlock::evidence::qa::read(&body, agentlock::source::FileId(0))
            {
                found.push(p.message);
            }
            let v = validator(schema(kind));
            let errors: Vec<String> = v
                .iter_errors(&doc)
                .map(|e| format!("{} at {}", e, e.instance_path()))
                .collect();
            if found.is_empty() {
                assert!(
                    errors.is_empty(),
                    "{name}/{path}: the loader accepts it, the {kind} schema does not: {errors:#?}"
                );
                checked += 1;
            } else if found.iter().any(|m| is_shape_problem(m)) {
                assert!(
                    !errors.is_empty(),
                    "{name}/{path}: the loader rejects it ({found:?}), the {kind} schema accepts it"
                );
                eprintln!("rejected: {name}/{path}: {found:?}");
                rejected += 1;
            }
        }
    }
    eprintln!("{checked} files validate, {rejected} rejected for their shape");
    assert!(checked > 100, "only {checked} files validated");
    assert!(
        rejected >= 2,
        "only {rejected} files rejected for their shape"
    );
}

// ---------------------------------------------------------------------------------------------
// The differential test over the tables.

/// A value of the type that the loader accepts.
fn sample(ty: &Ty) -> Value {
    match ty {
        Ty::Str | Ty::Text => json!("x"),
        Ty::Pattern(p) if p.contains("0-9a-fA-F") => json!("0123456789abcdef"),
        Ty::Pattern(p) if p.contains("npm") => json!("npm:x@1.0.0"),
        Ty::Pattern(p) => panic!("no sample for the pattern {p}"),
        Ty::Uint | Ty::Positive | Ty::Int | Ty::Number => json!(1),
        Ty::Range(lo, _) => json!(lo),
        Ty::Bool => json!(true),
        Ty::Duration => json!("30s"),
        Ty::Rate => json!("5/s"),
        Ty::Date => json!("2026-01-01"),
        Ty::Size => json!("10MiB"),
        Ty::Enum(values) => json!(values[0]),
        Ty::ConstInt(n) => json!(n),
        Ty::List(item) => json!([sample(item)]),
        Ty::StrList => json!(["x"]),
        Ty::Object(t) => minimal(t, None),
        Ty::Map(item) => json!({ "k": sample(item) }),
        Ty::OneOf(tys) => sample(&tys[0]),
        Ty::Any => json!("x"),
    }
}

/// Values of other types, that the loader must reject.
fn wrong(ty: &Ty) -> Vec<Value> {
    let all = || {
        vec![
            json!(5),
            json!(1.5),
            json!(true),
            json!("x"),
            json!([]),
            json!({}),
        ]
    };
    let but = |keep: &[Value]| -> Vec<Value> {
        all().into_iter().filter(|v| !keep.contains(v)).collect()
    };
    match ty {
        Ty::Str => vec![json!([]), json!({})],
        Ty::Text => but(&[json!("x")]),
        Ty::Pattern(_) => all(),
        Ty::Uint => {
            let mut v = but(&[json!(5)]);
            v.push(json!(-1));
            v
        }
        Ty::Positive => {
            let mut v = but(&[json!(5)]);
            v.push(json!(0));
            v
        }
        Ty::Int => but(&[json!(5)]),
        Ty::Number => but(&[json!(5), json!(1.5)]),
        Ty::Range(lo, hi) => {
            let mut v = but(&[json!(5), json!(1.5)]);
            v.push(json!(lo - 1.0));
            if *hi < f64::MAX {
                v.push(json!(hi + 1.0));
            }
            v
        }
        Ty::Bool => but(&[json!(true)]),
        Ty::Duration => vec![
            json!(30),
            json!("30"),
            json!("30x"),
            json!("-1s"),
            json!([]),
        ],
        Ty::Rate => vec![json!(5), json!("5"), json!("0/s"), json!("5/d"), json!({})],
        Ty::Date => vec![json!("x"), json!("2026-13-01"), json!(5), json!([])],
        Ty::Size => vec![
            json!("x"),
            json!(0),
            json!(-1),
            json!("10 parsecs"),
            json!([]),
        ],
        Ty::Enum(_) => vec![json!("not-one-of-them"), json!([]), json!({})],
        Ty::ConstInt(n) => vec![json!(n + 998), json!("x")],
        Ty::List(_) => but(&[json!([]), json!(1.5)]),
        Ty::StrList => vec![json!(5), json!({}), json!(true)],
        Ty::Object(_) | Ty::Map(_) => but(&[json!({}), json!(1.5)]),
        Ty::OneOf(tys) => {
            let mut common: Vec<Value> = wrong(&tys[0]);
            for t in &tys[1..] {
                let w = wrong(t);
                common.retain(|v| w.contains(v));
            }
            common
        }
        Ty::Any => Vec::new(),
    }
}

/// A mapping of `t` with its required keys (and, where it needs exactly one of some keys,
/// the first, unless `field` is another of them).
fn minimal(t: &Table, field: Option<&str>) -> Value {
    let mut m = serde_json::Map::new();
    for f in t.fields.iter().filter(|f| f.required) {
        m.insert(f.name.into(), sample(&f.ty));
    }
    if let Some(first) = t.exactly_one.first()
        && !field.is_some_and(|f| t.exactly_one.contains(&f))
    {
        m.insert((*first).into(), sample(&t.get(first).unwrap().ty));
    }
    Value::Object(m)
}

/// One document of the differential test: where in the file, the document with a valid
/// value there, and the one with a wrong value (or an unknown key).
struct Case {
    at: String,
    base: Value,
    bad: Value,
    /// `bad` has null where `base` has a value: which the loader may take for a key that is
    /// not there.
    null: bool,
}

/// Every case of `t`, each wrapped into a whole document by `wrap`.
fn cases(t: &Table, at: &str, wrap: &dyn Fn(Value) -> Value, out: &mut Vec<Case>) {
    if !t.open {
        let base = minimal(t, None);
        let mut bad = base.clone();
        bad["zz_not_a_key"] = json!(1);
        out.push(Case {
            at: format!("{at}.zz_not_a_key"),
            base: wrap(base),
            bad: wrap(bad),
            null: false,
        });
    }
    for f in t.fields {
        let mut base = minimal(t, Some(f.name));
        base[f.name] = sample(&f.ty);
        for w in wrong(&f.ty).into_iter().chain([Value::Null]) {
            let mut bad = base.clone();
            bad[f.name] = w.clone();
            out.push(Case {
                at: format!("{at}.{} = {w}", f.name),
                base: wrap(base.clone()),
                bad: wrap(bad),
                null: w.is_null(),
            });
        }
        // The elements of a list or a mapping, and the tables below.
        let (element, table): (Option<&Ty>, Option<&Table>) = match &f.ty {
            Ty::List(item) | Ty::Map(item) => (Some(item), table_of(item)),
            other => (None, table_of(other)),
        };
        let put = |inner: Value| -> Value {
            let mut doc = minimal(t, Some(f.name));
            doc[f.name] = match &f.ty {
                Ty::List(_) => json!([inner]),
                Ty::Map(_) => json!({ "k": inner }),
                _ => inner,
            };
            doc
        };
        if let Some(item) = element {
            for w in wrong(item).into_iter().chain([Value::Null]) {
                out.push(Case {
                    at: format!("{at}.{}[] = {w}", f.name),
                    base: wrap(put(sample(item))),
                    bad: wrap(put(w.clone())),
                    null: w.is_null(),
                });
            }
        }
        if let Some(inner) = table {
            let wrap_inner = |v: Value| wrap(put(v));
            cases(inner, &format!("{at}.{}", f.name), &wrap_inner, out);
        }
    }
}

/// The table a type holds directly (an object, or one of the choices).
fn table_of(ty: &Ty) -> Option<&'static Table> {
    match ty {
        Ty::Object(t) => Some(t),
        Ty::OneOf(tys) => tys.iter().find_map(|t| match t {
            Ty::Object(t) => Some(*t),
            _ => None,
        }),
        _ => None,
    }
}

/// A document as the text of its file: TOML for the TOML formats, else JSON (which is YAML).
fn file_text(s: &Schema, doc: &Value) -> String {
    if s.nulls {
        serde_json::to_string_pretty(doc).unwrap()
    } else {
        let Value::Object(m) = doc else {
            panic!("{doc}: a TOML document is a table")
        };
        m.iter()
            .map(|(k, v)| format!("{} = {}\n", json!(k), inline_toml(v)))
            .collect()
    }
}

/// A value as TOML, inline (strings and keys quoted as JSON quotes them, which TOML reads).
fn inline_toml(v: &Value) -> String {
    match v {
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(inline_toml).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(m) => {
            let items: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{} = {}", json!(k), inline_toml(v)))
                .collect();
            format!("{{ {} }}", items.join(", "))
        }
        Value::Null => panic!("TOML has no null"),
        other => other.to_string(),
    }
}

#[test]
fn a_wrong_type_or_an_unknown_key_is_rejected_by_the_loader_and_the_schema_alike() {
    let mut n = 0;
    let mut failures = Vec::new();
    for s in SCHEMAS {
        // The evidence index names files to read: its loader is not run on a text alone.
        if agentlock::schema::load_problems(s.name, "").is_none() {
            continue;
        }
        let v = validator(s);
        let mut all = Vec::new();
        cases(s.table, s.name, &|d| d, &mut all);
        for c in all.into_iter().filter(|c| !c.null) {
            n += 1;
            let base_errors: Vec<String> = v.iter_errors(&c.base).map(|e| e.to_string()).collect();
            if !base_errors.is_empty() {
                failures.push(format!(
                    "{}: the valid document {} is rejected by the schema: {base_errors:?}",
                    c.at, c.base
                ));
                continue;
            }
            if v.is_valid(&c.bad) {
                failures.push(format!("{}: the schema accepts {}", c.at, c.bad));
            }
            let base = agentlock::schema::load_problems(s.name, &file_text(s, &c.base)).unwrap();
            let mut bad = agentlock::schema::load_problems(s.name, &file_text(s, &c.bad)).unwrap();
            for m in &base {
                if let Some(i) = bad.iter().position(|b| b == m) {
                    bad.remove(i);
                }
            }
            if bad.is_empty() {
                failures.push(format!(
                    "{}: the loader accepts {} (its problems: {base:?})",
                    c.at, c.bad
                ));
            }
        }
    }
    assert!(n > 300, "only {n} cases");
    assert!(
        failures.is_empty(),
        "{} of {n} cases fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Where the loader rejects null but the schema cannot say so: a model alias with no value
/// (`models: { fast: }`; the schema's mappings of names take null for each value, as
/// agents.yaml's and deploy.yaml's `kpis` do).
const NULL_ACCEPTED_BY_THE_SCHEMA_ONLY: &[&str] = &["models.models[] = null"];

#[test]
fn null_is_accepted_by_the_loader_and_the_schema_alike() {
    let mut n = 0;
    let mut failures = Vec::new();
    for s in SCHEMAS.iter().filter(|s| s.nulls) {
        let v = validator(s);
        let mut all = Vec::new();
        cases(s.table, s.name, &|d| d, &mut all);
        for c in all.into_iter().filter(|c| c.null) {
            n += 1;
            let base = agentlock::schema::load_problems(s.name, &file_text(s, &c.base)).unwrap();
            let mut bad = agentlock::schema::load_problems(s.name, &file_text(s, &c.bad)).unwrap();
            for m in &base {
                if let Some(i) = bad.iter().position(|b| b == m) {
                    bad.remove(i);
                }
            }
            let loader = bad.is_empty();
            let schema = v.is_valid(&c.bad);
            if loader != schema && !NULL_ACCEPTED_BY_THE_SCHEMA_ONLY.contains(&c.at.as_str()) {
                failures.push(format!(
                    "{}: the loader {} it ({bad:?}), the schema {}",
                    c.at,
                    if loader { "accepts" } else { "rejects" },
                    if schema { "accepts it" } else { "rejects it" }
                ));
            }
        }
    }
    assert!(n > 50, "only {n} cases");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// The command.

#[test]
fn schema_lists_the_schemas_and_prints_one() {
    let out = run_bin(&["schema"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    snap!("schema_list.stdout", text(&out.stdout));
    let out = run_bin(&["schema", "agents"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let printed = text(&out.stdout);
    assert_eq!(printed, schema("agents").text());
    snap!("schema_agents.json", printed);
    // Every schema prints as the JSON it is.
    for s in SCHEMAS {
        let out = run_bin(&["schema", s.name]);
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v, s.json(), "{}", s.name);
    }
    let out = run_bin(&["schema", "--format", "json"]);
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list.as_array().unwrap().len(), SCHEMAS.len());
}

#[test]
fn an_unknown_schema_is_exit_2_with_a_suggestion() {
    let out = run_bin(&["schema", "agent", "--color", "never"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("no schema `agent`"), "{err}");
    assert!(err.contains("agents"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn schema_write_writes_inside_the_repository() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let out = run_in(
        dir,
        &[
            "schema",
            "--write",
            dir.join("editor/schemas").to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    for s in SCHEMAS {
        let written =
            std::fs::read_to_string(dir.join("editor/schemas").join(s.file_name())).unwrap();
        assert_eq!(written, s.text());
    }
    // One schema.
    let out = run_in(
        dir,
        &[
            "schema",
            "deploy",
            "--write",
            dir.join("one").to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let names: Vec<String> = std::fs::read_dir(dir.join("one"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["deploy.schema.json"]);
}

#[cfg(unix)]
#[test]
fn schema_write_refuses_a_directory_outside_the_repository() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    let outside = tmp.path().join("outside");
    std::fs::create_dir_all(&repo).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    let repo_s = repo.to_str().unwrap();
    for target in [
        outside.to_str().unwrap().to_string(),
        format!("{repo_s}/../outside"),
        "/tmp".to_string(),
    ] {
        let out = run_bin(&[
            "--repo", repo_s, "schema", "--write", &target, "--color", "never",
        ]);
        assert_eq!(out.status.code(), Some(2), "{target}");
        assert!(
            text(&out.stderr).contains("not inside the repository"),
            "{}",
            text(&out.stderr)
        );
    }
    // A symlink in the repository that leads out of it is not written through.
    std::os::unix::fs::symlink(&outside, repo.join("link")).unwrap();
    let out = run_bin(&[
        "--repo",
        repo_s,
        "schema",
        "--write",
        &format!("{repo_s}/link"),
        "--color",
        "never",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    let out = run_bin(&[
        "--repo",
        repo_s,
        "schema",
        "--write",
        &format!("{repo_s}/link/deeper"),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    assert_eq!(
        std::fs::read_dir(&outside).unwrap().count(),
        0,
        "something was written outside"
    );
}

#[test]
fn init_writes_the_schemas_and_modelines_and_still_verifies() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("bot");
    let out = run_in(&dir, &["init"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    for s in SCHEMAS {
        let at = dir.join(".agentlock/schemas").join(s.file_name());
        if s.output {
            // The model document is no file of the repository: no modeline points at it.
            assert!(!at.exists(), "init wrote {}", s.file_name());
            continue;
        }
        let written = std::fs::read_to_string(at).unwrap();
        assert_eq!(written, s.text(), "{}", s.name);
    }
    let first = |p: &str| -> String {
        std::fs::read_to_string(dir.join(p))
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        first("agentlock.toml"),
        "#:schema .agentlock/schemas/agentlock.schema.json"
    );
    for (p, name) in [
        ("agents.yaml", "agents"),
        ("models.yaml", "models"),
        ("deploy.yaml", "deploy"),
    ] {
        assert_eq!(
            first(p),
            format!("# yaml-language-server: $schema=.agentlock/schemas/{name}.schema.json")
        );
    }
    assert_eq!(
        first("tools/kb.yaml"),
        "# yaml-language-server: $schema=../.agentlock/schemas/tool.schema.json"
    );
    // Each file validates against the schema its modeline names, resolved from the file.
    for (path, _) in schema_files(&dir) {
        let body = std::fs::read_to_string(dir.join(&path)).unwrap();
        let line = body.lines().next().unwrap();
        let Some(target) = line
            .strip_prefix("#:schema ")
            .or_else(|| line.strip_prefix("# yaml-language-server: $schema="))
        else {
            assert_eq!(path, "agentlock.lock", "{path} has no modeline");
            continue;
        };
        let at = dir.join(&path).parent().unwrap().join(target);
        let s: Value = serde_json::from_str(&std::fs::read_to_string(&at).unwrap()).unwrap();
        let v = jsonschema::draft202012::new(&s).unwrap();
        let doc = to_json(&path, &body).unwrap();
        assert!(
            v.is_valid(&doc),
            "{path} does not validate against {target}"
        );
    }
    // It verifies clean, its lock is current, and nothing under .agentlock/ is read.
    assert_passes_and_lock_is_current(&dir);
    let model = agentlock::load::load(&agentlock::snapshot::Worktree::new(&dir).unwrap()).unwrap();
    for (_, file) in model.sources.iter() {
        assert!(
            !file.path.starts_with(".agentlock/"),
            "{} was read",
            file.path
        );
    }
    // Nor with every format of other tools discovered.
    let mut manifest = std::fs::read_to_string(dir.join("agentlock.toml")).unwrap();
    manifest.push_str("\n[sources]\n");
    std::fs::write(dir.join("agentlock.toml"), manifest).unwrap();
    let model = agentlock::load::load(&agentlock::snapshot::Worktree::new(&dir).unwrap()).unwrap();
    assert!(model.config.sources.is_some());
    assert!(model.problems.is_empty(), "{:?}", model.problems);
    for (_, file) in model.sources.iter() {
        assert!(
            !file.path.starts_with(".agentlock/"),
            "{} was read",
            file.path
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The model document (`agentlock model`, agentlock.model/v1).

/// `agentlock model` of a repository, or `None` when it cannot run there.
fn model_doc(dir: &Path) -> Option<Value> {
    let out = run_in(dir, &["model"]);
    if out.status.code() != Some(0) {
        return None;
    }
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

/// The schema's errors for a document, each with where it is.
fn errors(v: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    v.iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

#[test]
fn the_model_schema_is_an_output_schema_closed_but_where_the_user_writes() {
    let s = schema("model");
    assert!(s.output);
    assert!(SCHEMAS.iter().filter(|s| s.output).count() == 1);
    let json = s.json();
    jsonschema::meta::validate(&json).unwrap();
    assert_eq!(
        json["$id"],
        "https://agentlock.dev/schemas/model.schema.json"
    );
    assert_eq!(
        json["properties"]["schema"]["enum"],
        json!([agentlock::schema::model::SCHEMA])
    );
    assert_eq!(
        agentlock::schema::model::SCHEMA,
        agentlock::rego::input::SCHEMA
    );
    // Every object: each of its keys required, closed unless it holds what the user wrote.
    const OPEN: &[&str] = &["tool", "entry"];
    let mut objects = vec![("(root)".to_string(), &json)];
    for (name, d) in json["$defs"].as_object().unwrap() {
        objects.push((name.clone(), d));
    }
    for (name, o) in &objects {
        let props: Vec<&String> = o["properties"].as_object().unwrap().keys().collect();
        let mut required: Vec<&str> = o["required"]
            .as_array()
            .unwrap_or_else(|| panic!("{name} requires nothing"))
            .iter()
            .map(|r| r.as_str().unwrap())
            .collect();
        required.sort();
        assert_eq!(props, required, "{name}: every key is required");
        if OPEN.contains(&name.as_str()) {
            assert!(o.get("additionalProperties").is_none(), "{name}");
        } else {
            assert_eq!(o["additionalProperties"], false, "{name} is not closed");
        }
    }
    // A string is a string (the input schemas' "a number or a boolean read as text" is an
    // input's leniency), and the mappings of names hold objects, never null.
    let text = s.text();
    assert!(!text.contains("\"number\""), "{text}");
    for key in ["agents", "prompts", "tools", "models", "datasets"] {
        let p = &json["properties"][key];
        assert_eq!(p["type"], "object", "{key}");
        assert!(p["additionalProperties"]["$ref"].is_string(), "{key}");
    }
    assert_eq!(
        json["properties"]["deploy"]["type"],
        json!(["object", "null"])
    );
    // The lock entry kinds are the lock's own.
    let kinds: Vec<&str> = agentlock::lock::KINDS.iter().map(|k| k.as_str()).collect();
    assert_eq!(
        json["$defs"]["entry"]["properties"]["kind"]["enum"],
        json!(kinds)
    );
    assert_eq!(
        json["$defs"]["change"]["properties"]["kind"]["enum"],
        json!(kinds)
    );
}

/// The repositories `agentlock model` runs on: example-repo, every fixture repository and the
/// fixtures read by discovery (no agentlock.toml).
fn model_repositories() -> Vec<(String, std::path::PathBuf)> {
    let mut out = repositories();
    let mut discovered: Vec<String> = std::fs::read_dir(root().join("tests/fixtures"))
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| !is_repo_fixture(&e.path()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("discover_"))
        .collect();
    discovered.sort();
    assert!(discovered.len() >= 4, "{discovered:?}");
    for n in discovered {
        out.push((n.clone(), fixture(&n)));
    }
    out.push((
        "discover_crewai/src/research_crew".into(),
        fixture("discover_crewai/src/research_crew"),
    ));
    out
}

#[test]
fn the_model_of_every_repository_validates_against_the_model_schema() {
    let v = validator(schema("model"));
    let mut validated = Vec::new();
    let mut skipped = Vec::new();
    let mut failures = Vec::new();
    for (name, dir) in model_repositories() {
        let Some(doc) = model_doc(&dir) else {
            skipped.push(name);
            continue;
        };
        assert_eq!(doc["schema"], agentlock::schema::model::SCHEMA, "{name}");
        let errors = errors(&v, &doc);
        if !errors.is_empty() {
            failures.push(format!("{name}: {errors:#?}"));
        }
        validated.push(name);
    }
    eprintln!(
        "{} models validate; skipped (agentlock model cannot run): {skipped:?}",
        validated.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(validated.len() > 60, "only {} validated", validated.len());
    for want in [
        "example-repo",
        "discover_real",
        "discover_crewai",
        "discover_mcp",
    ] {
        assert!(
            validated.iter().any(|n| n == want),
            "{want} was not checked"
        );
    }
}

#[test]
fn the_model_is_valid_json_whatever_the_format() {
    // Its tool descriptions hide instructions behind invisible characters (U+200B): escaped
    // as text (`\u{200b}`) they would break the JSON; escaped as JSON they do not.
    let dir = fixture("tool008_suspicious_tool_description");
    let human = run_in(&dir, &["model"]);
    let json = run_in(&dir, &["--format", "json", "model"]);
    assert_eq!(human.status.code(), Some(0), "{}", text(&human.stderr));
    assert_eq!(text(&human.stdout), text(&json.stdout));
    let doc: Value = serde_json::from_slice(&human.stdout).unwrap();
    assert!(
        doc.to_string().contains('\u{200b}'),
        "the fixture lost its U+200B"
    );
}

#[test]
fn the_model_in_git_with_a_release_validates_against_the_model_schema() {
    let tmp = copy_to_temp(&root().join("example-repo"));
    let d = tmp.path();
    release_v1(d);
    // One entry of each change since the release: modified, removed, added.
    let critic = std::fs::read_to_string(d.join("prompts/critic.prompt")).unwrap();
    write(
        d,
        "prompts/critic.prompt",
        &format!("{critic}\nOne more line.\n"),
    );
    std::fs::remove_file(d.join("datasets/golden_failures.jsonl")).unwrap();
    write(
        d,
        "prompts/note.prompt",
        "---\nname: note\nversion: 1.0.0\nmodel: fast\n---\nWrite a note.\n",
    );
    let doc = model_doc(d).expect("agentlock model runs");
    let release = &doc["release"];
    assert_eq!(release["tag"], "v1.0.0", "{doc:#}");
    let changes: Vec<&str> = release["changed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["change"].as_str().unwrap())
        .collect();
    for want in agentlock::lock::CHANGES {
        assert!(changes.contains(want), "no {want} change: {changes:?}");
    }
    let v = validator(schema("model"));
    let errors = errors(&v, &doc);
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn the_model_schema_rejects_an_unknown_key_a_missing_one_and_a_wrong_type() {
    let v = validator(schema("model"));
    let doc = model_doc(&root().join("example-repo")).unwrap();
    assert!(errors(&v, &doc).is_empty());
    let first_key = |v: &Value| v.as_object().unwrap().keys().next().unwrap().clone();
    let agent = first_key(&doc["agents"]);
    let server = first_key(&doc["tools"]);
    let tool = first_key(&doc["tools"][&server]["tools"]);
    let pointer = |p: &str| -> String {
        p.replace("AGENT", &agent)
            .replace("SERVER", &server)
            .replace("TOOL", &tool)
    };
    let set = |at: &str, value: Value| -> Value {
        let mut d = doc.clone();
        *d.pointer_mut(&pointer(at))
            .unwrap_or_else(|| panic!("{at}: not in the document")) = value;
        d
    };
    let add = |at: &str, key: &str, value: Value| -> Value {
        let mut d = doc.clone();
        d.pointer_mut(&pointer(at))
            .and_then(Value::as_object_mut)
            .unwrap_or_else(|| panic!("{at}: not an object"))
            .insert(key.into(), value);
        d
    };
    let remove = |at: &str, key: &str| -> Value {
        let mut d = doc.clone();
        let removed = d
            .pointer_mut(&pointer(at))
            .and_then(Value::as_object_mut)
            .unwrap()
            .remove(key);
        assert!(removed.is_some(), "{at}/{key}");
        d
    };
    let rejected: Vec<(&str, Value)> = vec![
        // an unknown key
        ("unknown key at the root", add("", "zz_not_a_key", json!(1))),
        ("unknown key in project", add("/project", "zz", json!(1))),
        (
            "unknown key in an agent",
            add("/agents/AGENT", "timeout", json!("20s")),
        ),
        (
            "unknown key in a handoff",
            add("/agents/critic/handoffs/0", "zz", json!(1)),
        ),
        (
            "unknown key in a server",
            add("/tools/SERVER", "zz", json!(1)),
        ),
        ("unknown key in the lock", add("/lock", "version", json!(1))),
        // a required key missing
        ("no release", remove("", "release")),
        ("no deploy", remove("", "deploy")),
        ("no agent timeout_ms", remove("/agents/AGENT", "timeout_ms")),
        (
            "no tool description",
            remove("/tools/SERVER/tools/TOOL", "description"),
        ),
        ("no lock root", remove("/lock", "root")),
        ("no entry kind", remove("/lock/entries/0", "kind")),
        // a value of the wrong type
        (
            "another schema",
            set("/schema", json!("agentlock.model/v2")),
        ),
        (
            "timeout_ms as text",
            set("/agents/AGENT/timeout_ms", json!("20s")),
        ),
        ("negative retries", set("/agents/AGENT/retries", json!(-1))),
        (
            "owners as a string",
            set("/prompts/critic/owners", json!("@acme")),
        ),
        ("agents as a list", set("/agents", json!([]))),
        ("an agent as null", set("/agents/AGENT", Value::Null)),
        ("project as null", set("/project", Value::Null)),
        ("deploy as a list", set("/deploy", json!([]))),
        ("release as a tag", set("/release", json!("v1.0.0"))),
        (
            "an unknown entry kind",
            set("/lock/entries/0/kind", json!("widget")),
        ),
        (
            "an unknown pinning",
            set("/models/fast/pinning", json!("loose")),
        ),
        (
            "a rate with no period",
            set("/agents/AGENT/rate_limit", json!("10")),
        ),
        (
            "a short digest",
            set("/prompts/critic/sha256", json!("abc")),
        ),
        (
            "a lock root with no algorithm",
            set("/lock/root", json!("abc")),
        ),
        (
            "timeout_inherited as null",
            set("/agents/AGENT/timeout_inherited", Value::Null),
        ),
    ];
    for (what, bad) in &rejected {
        assert!(!v.is_valid(bad), "the schema accepts {what}");
    }
    // What the user wrote is open, and a null where the document may hold one is valid.
    let accepted: Vec<(&str, Value)> = vec![
        (
            "a key of deploy.yaml",
            add("/deploy", "zz_custom", json!({"a": 1})),
        ),
        (
            "a key of a tool definition",
            add("/tools/SERVER/tools/TOOL", "title", json!("T")),
        ),
        (
            "a field of a lock entry",
            add("/lock/entries/0", "zz", json!("x")),
        ),
        (
            "another agent",
            add("/agents", "zz_agent", doc["agents"][&agent].clone()),
        ),
        ("no deploy.yaml", set("/deploy", Value::Null)),
        ("no release", set("/release", Value::Null)),
        ("no timeout", set("/agents/AGENT/timeout_ms", Value::Null)),
        ("no pinning", set("/models/fast/pinning", Value::Null)),
        (
            "a schema with no type",
            set("/tools/SERVER/tools/TOOL/inputSchema", json!(true)),
        ),
    ];
    for (what, good) in &accepted {
        let e = errors(&v, good);
        assert!(e.is_empty(), "the schema rejects {what}: {e:?}");
    }
}

#[test]
fn schema_model_prints_the_model_schema() {
    let out = run_bin(&["schema", "model"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let printed = text(&out.stdout);
    assert_eq!(printed, schema("model").text());
    snap!("schema_model.json", printed);
    // `--write` writes it with the others; the JSON list says it is an output.
    let out = run_bin(&["schema", "--format", "json"]);
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    let outputs: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["output"] == true)
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(outputs, ["model"]);
}
