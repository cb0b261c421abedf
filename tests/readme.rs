//! The README's generated parts (the rule table and count from the registry, the formats each
//! command writes from the commands' declarations, the global flags from clap, the lockfile
//! excerpt from example-repo's lock, the schemas and the keys of the model document from the
//! tables its schema is generated from); this test fails when one is out of date.
//! Regenerate them with `UPDATE_README=1 cargo test --test readme`.

mod common;

fn table() -> String {
    let mut out = String::from(
        "| code | name | default | checklist | what it checks |\n|---|---|---|---|---|\n",
    );
    for r in agentlock::rules::RULES {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            r.code,
            r.name,
            r.severity.as_str(),
            r.checklist.unwrap_or(""),
            r.summary.replace('|', "\\|")
        ));
    }
    out
}

fn formats() -> String {
    use agentlock::commands::{Accepts, SPECS};
    let mut out = String::from("| command | `--format` |\n|---|---|\n");
    for spec in SPECS {
        let formats = match spec.accepts {
            Accepts::Formats(f) => f
                .iter()
                .map(|f| format!("`{}`", f.as_str()))
                .collect::<Vec<_>>()
                .join(", "),
            Accepts::NotApplicable(_) => "does not apply".into(),
            Accepts::Ignored => "ignored (one text)".into(),
        };
        out.push_str(&format!("| `{}` | {formats} |\n", spec.name));
    }
    out
}

/// The flags every command takes, from clap's definitions.
fn flags() -> String {
    let mut cmd = agentlock::commands::command();
    cmd.build();
    let mut out = String::from("| flag | meaning |\n|---|---|\n");
    for a in cmd.get_arguments().filter(|a| a.is_global_set()) {
        let Some(long) = a.get_long() else { continue };
        let mut flag = format!("--{long}");
        if let Some(short) = a.get_short() {
            flag = format!("-{short}, {flag}");
        }
        let takes_value = a.get_num_args().is_some_and(|n| n.takes_values());
        if takes_value {
            let possible: Vec<String> = a
                .get_possible_values()
                .iter()
                .map(|v| v.get_name().to_string())
                .collect();
            let value = if possible.is_empty() {
                a.get_value_names()
                    .and_then(|v| v.first())
                    .map_or("VALUE".to_string(), |v| v.to_string())
            } else {
                possible.join("\\|")
            };
            flag = format!("{flag} {value}");
        }
        let help = a
            .get_long_help()
            .or(a.get_help())
            .map(|h| h.to_string())
            .unwrap_or_default()
            .replace('\n', " ")
            .replace('|', "\\|");
        out.push_str(&format!("| `{flag}` | {help} |\n"));
    }
    out
}

/// One entry of each kind of example-repo's lockfile (the first of each), with its header.
fn lock_excerpt() -> String {
    let lock = std::fs::read_to_string(common::root().join("example-repo/agentlock.lock")).unwrap();
    let mut blocks = lock.split("\n\n");
    let header = blocks.next().unwrap();
    let mut seen = Vec::new();
    let mut out = format!("```toml\n{header}\n");
    for b in blocks {
        let kind = b.lines().next().unwrap_or("");
        if kind == "[[dataset]]" || seen.contains(&kind) {
            continue;
        }
        seen.push(kind);
        out.push_str(&format!("\n{}\n", b.trim_end()));
    }
    out.push_str("```\n");
    out
}

/// Held while a test reads and rewrites README.md: the tests run in parallel, and two
/// updating it at once would each write back the README the other had not changed yet.
static README: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Replaces the text between `<!-- NAME:start -->` and `<!-- NAME:end -->` with `want`, or
/// fails when it differs (unless `UPDATE_README` is set).
fn generated(name: &str, want: &str) {
    // A test that failed while holding it changed nothing: the README is still whole.
    let _held = README.lock().unwrap_or_else(|e| e.into_inner());
    let path = common::root().join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let (start, end) = (
        format!("<!-- {name}:start -->\n"),
        format!("<!-- {name}:end -->"),
    );
    let a = readme
        .find(&start)
        .unwrap_or_else(|| panic!("README has the {name}:start marker"))
        + start.len();
    let b = readme
        .find(&end)
        .unwrap_or_else(|| panic!("README has the {name}:end marker"));
    if readme[a..b] != *want {
        if std::env::var_os("UPDATE_README").is_some() {
            std::fs::write(&path, format!("{}{want}{}", &readme[..a], &readme[b..])).unwrap();
        } else {
            panic!(
                "the README's {name} section is out of date: run `UPDATE_README=1 cargo test --test readme`"
            );
        }
    }
}

#[test]
fn readme_rule_table_matches_the_registry() {
    generated("rules", &table());
}

#[test]
fn readme_formats_match_the_commands() {
    generated("formats", &formats());
}

#[test]
fn readme_flags_lock_excerpt_and_counts_match_the_code() {
    generated("flags", &flags());
    generated("lock-example", &lock_excerpt());
    let rules = agentlock::rules::RULES.len();
    let entries = std::fs::read_to_string(common::root().join("example-repo/agentlock.lock"))
        .unwrap()
        .lines()
        .filter(|l| l.starts_with('['))
        .count();
    let workflow =
        std::fs::read_to_string(common::root().join("docs/agentlock-pr-check.yml")).unwrap();
    generated("pr-workflow", &format!("```yaml\n{workflow}```\n"));
    generated(
        "counts",
        &format!(
            "{rules} rules check a repository; example-repo's lockfile pins it in {entries} entries.\n"
        ),
    );
}

/// The action's inputs, from action.yml.
fn action_inputs() -> String {
    let text = std::fs::read_to_string(common::root().join("action.yml")).unwrap();
    let a: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
    let mut out = String::from("| input | default | what |\n|---|---|---|\n");
    for (name, spec) in a["inputs"].as_object().unwrap() {
        let default = spec["default"].as_str().unwrap_or("");
        let default = if default.is_empty() {
            "(empty)".to_string()
        } else {
            format!("`{default}`")
        };
        let what = spec["description"]
            .as_str()
            .unwrap_or("")
            .trim()
            .replace('\n', " ");
        out.push_str(&format!("| `{name}` | {default} | {what} |\n"));
    }
    out
}

#[test]
fn readme_action_inputs_match_action_yml() {
    generated("action-inputs", &action_inputs());
}

#[test]
fn readme_schema_table_matches_the_schemas() {
    let mut out = String::from("| name | for |\n|---|---|\n");
    for s in agentlock::schema::SCHEMAS {
        out.push_str(&format!("| `{}` | {} |\n", s.name, s.title));
    }
    generated("schemas", &out);
}

/// The keys of the document `agentlock model` prints, from the tables `agentlock schema model`
/// is generated from: one row per key, with its type. A mapping keyed by names of the user's
/// choice is written with its value's table name in capitals (`agents.AGENT.file`), a list's
/// items with `[]` (`agents.AGENT.handoffs[].to`).
fn model_keys() -> String {
    use agentlock::load::fields::{Table, Ty};
    fn placeholder(t: &Table) -> String {
        t.name.to_uppercase()
    }
    fn object(t: &Table) -> &'static str {
        if t.open { "object (open)" } else { "object" }
    }
    fn ty_text(ty: &Ty) -> String {
        match ty {
            Ty::Str | Ty::Text | Ty::Pattern(_) => "string".into(),
            Ty::Uint => "integer ≥ 0".into(),
            Ty::Bool => "boolean".into(),
            Ty::Enum(values) => values
                .iter()
                .map(|v| format!("`{v}`"))
                .collect::<Vec<_>>()
                .join(", "),
            Ty::List(Ty::Text) => "list of strings".into(),
            Ty::List(Ty::Object(t)) if t.open => "list of objects (open)".into(),
            Ty::List(Ty::Object(_)) => "list of objects".into(),
            Ty::Object(t) => object(t).into(),
            Ty::Map(Ty::Any) => "object (open)".into(),
            Ty::Map(Ty::Object(t)) => format!("{} → {}", placeholder(t), object(t)),
            Ty::Any => "as written".into(),
            other => panic!("no README text for {other:?}: add one"),
        }
    }
    fn walk(t: &Table, prefix: &str, out: &mut String) {
        for f in t.fields {
            let path = format!("{prefix}{}", f.name);
            let mut ty = ty_text(&f.ty);
            if f.null {
                ty.push_str(" or null");
            }
            out.push_str(&format!(
                "| `{path}` | {ty} | {} |\n",
                f.doc.replace('|', "\\|")
            ));
            match &f.ty {
                Ty::Object(inner) => walk(inner, &format!("{path}."), out),
                Ty::Map(Ty::Object(inner)) => {
                    walk(inner, &format!("{path}.{}.", placeholder(inner)), out)
                }
                Ty::List(Ty::Object(inner)) => walk(inner, &format!("{path}[]."), out),
                _ => {}
            }
        }
    }
    let mut out = String::from("| key | type | what |\n|---|---|---|\n");
    walk(&agentlock::schema::model::FILE, "", &mut out);
    out
}

#[test]
fn readme_model_keys_match_the_model_schema() {
    generated("model-keys", &model_keys());
}
