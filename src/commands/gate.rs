use super::*;

/// `agentlock gate`: the release decision of checklist 2.4 over the working tree.
pub(super) const SPEC: Spec = Spec {
    name: "gate",
    accepts: Accepts::Formats(&[Format::Human, Format::Json, Format::Markdown]),
    findings: false,
};

pub(super) fn run(
    cli: &Cli,
    color: bool,
    out: &mut Sink<'_>,
    err: &mut Sink<'_>,
) -> Result<i32, Fatal> {
    let wt = worktree(cli)?;
    let Checked { v, history, .. } = check_worktree(cli, &wt, err)?;
    let rollback = history
        .as_ref()
        .and_then(|h| h.releases.rollback_target())
        .map(|r| (r.tag.as_str(), r.commit.hex()));
    let decision = crate::evidence::decision::decide(&v.findings, v.gate.as_ref(), rollback);
    let text = match cli.format {
        Format::Json => {
            report::gate::json(&decision, v.gate.as_ref(), &v.findings, &v.model.sources)
        }
        Format::Markdown => report::gate::markdown(&decision, v.gate.as_ref()),
        _ => {
            // the findings that block, as verify shows them, then the table and the verdict
            let blocking: Vec<crate::finding::Finding> = v
                .findings
                .iter()
                .filter(|f| f.code().starts_with("EVAL"))
                .cloned()
                .collect();
            let mut text = String::new();
            if !blocking.is_empty() {
                text.push_str(&human::render(&blocking, 0, &v.model.sources, color));
                text.push('\n');
            }
            text.push_str(&report::gate::human(&decision, v.gate.as_ref()));
            text
        }
    };
    let _ = out.write_all(text.as_bytes());
    Ok(if decision.allowed {
        EXIT_OK
    } else {
        EXIT_FINDINGS
    })
}
