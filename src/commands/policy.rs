use super::*;

/// `agentlock policy test`.
pub(super) const SPEC: Spec = Spec {
    name: "policy",
    accepts: Accepts::Formats(&[Format::Human, Format::Json]),
    findings: false,
};

/// Runs the `test_` rules of the Rego policies; exit 1 when one fails or a file does not
/// compile.
pub(super) fn test(cli: &Cli, out: &mut Sink<'_>, err: &mut Sink<'_>) -> Result<i32, Fatal> {
    let wt = worktree(cli)?;
    let model = load(&wt)?;
    if model.rego.is_empty() {
        return Err(fatal(
            "there are no Rego policies to test",
            Some("name them in agentlock.toml: `[policy] rego = [\"policy/*.rego\"]`"),
        ));
    }
    let doc = rego_document(cli, &model, err);
    let policies = crate::rego::compile(&model, crate::rules::catalog());
    let results = crate::rego::test(&model, &policies, &doc);
    let failed = results.iter().filter(|t| t.failure.is_some()).count() + policies.errors.len();
    let place = |span: crate::source::Span| {
        let (path, line, col) = model.sources.locate(span);
        format!("{path}:{line}:{col}")
    };
    if cli.format == Format::Json {
        let tests: Vec<serde_json::Value> = results
            .iter()
            .map(|t| {
                let (path, line, _) = model.sources.locate(t.span);
                serde_json::json!({
                    "package": t.package,
                    "name": t.name,
                    "path": path,
                    "line": line,
                    "passed": t.failure.is_none(),
                    "failure": t.failure,
                    "millis": t.millis,
                })
            })
            .collect();
        let errors: Vec<serde_json::Value> = policies
            .errors
            .iter()
            .map(|e| {
                let (path, line, _) = model.sources.locate(e.span);
                serde_json::json!({"path": path, "line": line, "message": e.message})
            })
            .collect();
        let v = serde_json::json!({
            "schema": "agentlock.policy-test/v1",
            "passed": results.len() + policies.errors.len() - failed,
            "failed": failed,
            "tests": tests,
            "errors": errors,
        });
        let _ = writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&v).unwrap_or_default()
        );
    } else {
        for e in &policies.errors {
            let _ = writeln!(out, "ERROR {}: {}", place(e.span), e.message);
        }
        for t in &results {
            match &t.failure {
                None => {
                    let _ = writeln!(out, "PASS  data.{}.{} ({} ms)", t.package, t.name, t.millis);
                }
                Some(why) => {
                    let _ = writeln!(
                        out,
                        "FAIL  data.{}.{} at {}: {why}",
                        t.package,
                        t.name,
                        place(t.span)
                    );
                }
            }
        }
        let _ = writeln!(
            out,
            "{}: {} passed, {} failed",
            if failed == 0 { "PASS" } else { "FAIL" },
            results.len() - results.iter().filter(|t| t.failure.is_some()).count(),
            failed
        );
    }
    Ok(if failed == 0 { EXIT_OK } else { EXIT_FINDINGS })
}
