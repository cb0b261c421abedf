//! The README's generated parts (the rule table from the registry, the formats each command
//! writes from the commands' declarations); this test fails when one is out of date.
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

/// Replaces the text between `<!-- NAME:start -->` and `<!-- NAME:end -->` with `want`, or
/// fails when it differs (unless `UPDATE_README` is set).
fn generated(name: &str, want: &str) {
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
