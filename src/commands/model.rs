use super::*;

/// `agentlock model`: the input document of the Rego policies.
pub(super) const SPEC: Spec = Spec {
    name: "model",
    accepts: Accepts::Formats(&[Format::Human, Format::Json]),
    findings: false,
};

/// Prints the repository as `agentlock.model/v1` (JSON whatever the format: it is a document,
/// not a report).
pub(super) fn run(cli: &Cli, out: &mut Sink<'_>, err: &mut Sink<'_>) -> Result<i32, Fatal> {
    let wt = worktree(cli)?;
    let model = load(&wt)?;
    let doc = rego_document(cli, &model, err);
    let text = doc.to_json_pretty();
    let _ = writeln!(out, "{text}");
    Ok(EXIT_OK)
}
