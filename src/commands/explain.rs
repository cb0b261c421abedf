use super::*;

pub(super) const SPEC: Spec = Spec {
    name: "explain",
    accepts: Accepts::Formats(&[Format::Human, Format::Json]),
    findings: false,
};

pub(super) fn run(cli: &Cli, code: &str, out: &mut Sink<'_>) -> Result<i32, Fatal> {
    let found = crate::rules::find(code)
        .map(|r| &r.meta)
        .or_else(|| org_rule(cli, code));
    match found {
        Some(rule) => {
            let text = crate::rules::explain(rule);
            let text = match cli.format {
                Format::Json => crate::report::catalog::explain_json(rule, &text),
                _ => text,
            };
            let _ = out.write_all(text.as_bytes());
            Ok(EXIT_OK)
        }
        None => {
            let hint = hint(code);
            Err(fatal(
                format!("no rule `{code}`.{hint}"),
                Some("`agentlock rules` lists every rule"),
            ))
        }
    }
}

/// An organisation rule of the repository (`[policy] rego`), when there is one to read.
fn org_rule(cli: &Cli, code: &str) -> Option<&'static crate::finding::Meta> {
    let wt = worktree(cli).ok()?;
    let model = crate::load::load(&wt).ok()?;
    crate::finding::find(&model.catalog(&[]), code)
}

/// ` Did you mean …?` for a word that is not a rule: the closest code or name, else the rules
/// whose name holds the word (`cycle` → TOPO001 unbounded-cycle).
fn hint(word: &str) -> String {
    let rules = crate::rules::RULES;
    let close = crate::suggest::did_you_mean(
        &word.to_ascii_uppercase(),
        rules
            .iter()
            .map(|r| r.code)
            .chain(rules.iter().map(|r| r.name)),
    );
    if let Some(c) = close {
        return format!(" Did you mean `{c}`?");
    }
    let lower = word.to_ascii_lowercase();
    let holding: Vec<String> = rules
        .iter()
        .filter(|r| !lower.is_empty() && r.name.split('-').any(|w| w == lower))
        .map(|r| format!("`{}` ({})", r.code, r.name))
        .collect();
    match holding.as_slice() {
        [] => String::new(),
        [one] => format!(" Did you mean {one}?"),
        many if many.len() <= 5 => format!(" Did you mean one of {}?", many.join(", ")),
        many => format!(
            " {} rules are about `{}`: `agentlock rules` lists them",
            many.len(),
            crate::source::printable(word)
        ),
    }
}
