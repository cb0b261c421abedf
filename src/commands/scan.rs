use super::*;

pub(super) const SPEC: Spec = Spec {
    name: "scan",
    accepts: Accepts::Formats(ALL),
    findings: true,
};

/// `scan [FILE…]`: the secret rules only, over the given files whatever they are, or over the
/// whole model.
pub(super) fn run(
    cli: &Cli,
    files: &[std::path::PathBuf],
    color: bool,
    out: &mut Sink<'_>,
    err: &mut Sink<'_>,
) -> Result<i32, Fatal> {
    let wt = worktree(cli)?;
    let today = crate::date::today();
    let v = if files.is_empty() {
        crate::pipeline::scan_model(&wt, today).map_err(|e| with_manifest(e, &wt))?
    } else {
        let scanned = match crate::pipeline::scan_files(&wt, files, today)
            .map_err(|e| with_manifest(e, &wt))?
        {
            Ok(s) => s,
            Err(crate::pipeline::Missing(missing)) => {
                return Err(fatal(
                    format!("cannot scan {}: no such file", missing.join(", ")),
                    Some("scan takes files that exist, relative to the current directory"),
                ));
            }
        };
        if !scanned.skipped.is_empty() {
            let _ = writeln!(
                err,
                "agentlock: not scanned ({}): {}",
                scanned.skipped.len(),
                scanned.skipped.join("; ")
            );
        }
        scanned.verified
    };
    let ctx = ReportCtx {
        title: "scan",
        prefix: git_prefix(cli),
    };
    report_verified(cli, v, color, &ctx, out, err)
}
