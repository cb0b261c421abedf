use super::*;

/// `agentlock evidence add FILE…`.
pub(super) const SPEC: Spec = Spec {
    name: "evidence",
    accepts: Accepts::Formats(&[Format::Human, Format::Json]),
    findings: false,
};

pub(super) fn run(
    cli: &Cli,
    action: &crate::cli::EvidenceAction,
    color: bool,
    out: &mut Sink<'_>,
) -> Result<i32, Fatal> {
    let crate::cli::EvidenceAction::Add {
        files,
        dataset,
        harness,
    } = action;
    let harness = match harness.as_deref() {
        Some(h) => Some(crate::evidence::results::Harness::parse(h).ok_or_else(|| {
            fatal(
                format!("`--harness {h}` is not a harness agentlock reads"),
                Some("one of promptfoo, inspect, deepeval, junit, agentlock.eval/v1"),
            )
        })?),
        None => None,
    };
    let wt = worktree(cli)?;
    let model = load(&wt)?;
    match crate::pipeline::add_evidence(
        &wt,
        model,
        files,
        dataset.as_deref(),
        harness,
        crate::date::today(),
    ) {
        Err(message) => Err(fatal(message, None)),
        Ok(Err(not)) => {
            let ctx = ReportCtx {
                title: "evidence add",
                prefix: String::new(),
            };
            let text = render_findings(
                cli.format,
                &not.findings,
                0,
                &not.model.sources,
                &[],
                color,
                &ctx,
                Extras::of(cli),
                out,
            );
            let _ = out.write_all(text.as_bytes());
            if cli.format == Format::Human {
                let _ = writeln!(
                    out,
                    "agentlock: no evidence was added: fix the files above first"
                );
            }
            Ok(EXIT_FINDINGS)
        }
        Ok(Ok(added)) => {
            if cli.format == Format::Json {
                let entries: Vec<serde_json::Value> = added
                    .entries
                    .iter()
                    .map(|e| {
                        serde_json::json!({
                            "path": e.path, "sha256": e.sha256, "harness": e.harness,
                            "datasets": e.datasets, "cases": e.cases,
                            "observations": e.observations, "tests": e.tests,
                        })
                    })
                    .collect();
                let v = serde_json::json!({
                    "schema": "agentlock.evidence/v1",
                    "behaviour": added.behaviour,
                    "added": entries,
                    "removed": added.replaced,
                    "kept": added.left.iter().map(|(path, why)| serde_json::json!({"path": path, "why": why})).collect::<Vec<_>>(),
                });
                let _ = writeln!(
                    out,
                    "{}",
                    serde_json::to_string_pretty(&v).unwrap_or_default()
                );
            } else {
                for e in &added.entries {
                    let what = if e.harness == crate::evidence::qa::SCHEMA {
                        "QA review".to_string()
                    } else if e.tests > 0 && e.observations == 0 {
                        format!("{}: {} tests", e.harness, e.tests)
                    } else {
                        format!(
                            "{}: {} cases of {}, {} observations",
                            e.harness,
                            e.cases,
                            e.datasets.join(", "),
                            e.observations
                        )
                    };
                    let _ = writeln!(out, "added {} ({what})", crate::source::shown_path(&e.path));
                }
                for r in &added.replaced {
                    let _ = writeln!(
                        out,
                        "removed {} (stale: recorded against another lock; the release's copy stays in git)",
                        crate::source::shown_path(r)
                    );
                }
                for (r, why) in &added.left {
                    let _ = writeln!(out, "kept {} ({why})", crate::source::shown_path(r));
                }
                let _ = writeln!(
                    out,
                    "bound to behaviour {} (prompts, models, agents, topology, tool surfaces, datasets); commit the evidence with the change",
                    crate::lock::short(&added.behaviour),
                );
            }
            Ok(EXIT_OK)
        }
    }
}
