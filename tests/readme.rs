//! The README's rule table is generated from the registry; this test fails when it is out of
//! date. Regenerate it with `UPDATE_README=1 cargo test --test readme`.

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

#[test]
fn readme_rule_table_matches_the_registry() {
    let path = common::root().join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let (start, end) = ("<!-- rules:start -->\n", "<!-- rules:end -->");
    let a = readme
        .find(start)
        .expect("README has the rules:start marker")
        + start.len();
    let b = readme.find(end).expect("README has the rules:end marker");
    let want = table();
    if readme[a..b] != want {
        if std::env::var_os("UPDATE_README").is_some() {
            std::fs::write(&path, format!("{}{want}{}", &readme[..a], &readme[b..])).unwrap();
        } else {
            panic!(
                "the README's rule table is out of date: run `UPDATE_README=1 cargo test --test readme`"
            );
        }
    }
}
