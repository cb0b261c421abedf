use super::*;

pub(super) const SPEC: Spec = Spec {
    name: "graph",
    accepts: Accepts::Formats(&[Format::Mermaid, Format::Dot]),
    findings: false,
};

/// `agentlock graph`: the topology in Mermaid or DOT (see [`crate::graph`]).
pub(super) fn run(cli: &Cli, out: &mut Sink<'_>, err: &mut Sink<'_>) -> Result<i32, Fatal> {
    // Mermaid unless `--format dot`.
    let output = match cli.format {
        Format::Dot => crate::graph::Output::Dot,
        _ => crate::graph::Output::Mermaid,
    };
    let wt = worktree(cli)?;
    let model = load(&wt)?;
    if model.topologies.is_empty() {
        return Err(fatal(
            format!(
                "there is no agent topology to draw: {} is missing or cannot be read",
                model.config.paths.agents
            ),
            Some("`agentlock verify` says what is wrong with it"),
        ));
    }
    if !model.problems.is_empty() {
        let _ = writeln!(
            err,
            "agentlock: {} problem(s) loading the repository; the picture may be incomplete (`agentlock verify` shows them)",
            model.problems.len()
        );
    }
    let text = crate::report::graph::render(&model, output);
    let _ = out.write_all(text.as_bytes());
    Ok(EXIT_OK)
}
