use super::*;

pub(super) const SPEC: Spec = Spec {
    name: "lock",
    accepts: Accepts::Formats(&[Format::Human, Format::Json]),
    findings: false,
};

/// `agentlock lock [--check]`: writes agentlock.lock, or says how it would change.
pub(super) fn run(cli: &Cli, check: bool, color: bool, out: &mut Sink<'_>) -> Result<i32, Fatal> {
    let wt = worktree(cli)?;
    let mut model = load(&wt)?;
    // A lockfile of a repository with unreadable files would be partial: refuse to write it.
    let problems = crate::pipeline::unlockable(&model);
    if !problems.is_empty() {
        // Human or JSON only (checked above): no git prefix or rule list is needed.
        let ctx = ReportCtx {
            title: "lock",
            prefix: String::new(),
        };
        let text = render_findings(
            cli.format,
            &problems,
            0,
            &model.sources,
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
                "agentlock: {LOCKFILE} was not written: fix the files above first"
            );
        }
        return Ok(EXIT_FINDINGS);
    }
    let new = Lock::from_model(&model, crate::rules::catalog());
    let limit = model.config.paths.max_file_size;
    // The text it would write, also what the lockfile is compared with first.
    let text = new.to_toml();
    let status = crate::lock::check(&wt, &new, &text, &mut model.sources, limit);
    if let crate::lock::LockStatus::Newer(reason, _) = &status {
        return Err(fatal(
            format!("{LOCKFILE} was not rewritten: {reason}"),
            Some("upgrade agentlock to the version the project uses"),
        ));
    }
    let changes: Vec<String> = match &status {
        crate::lock::LockStatus::Missing => vec!["(new lockfile)".to_string()],
        crate::lock::LockStatus::Unreadable(reason, _)
        | crate::lock::LockStatus::Newer(reason, _) => {
            vec![format!("{LOCKFILE} cannot be read: {reason}")]
        }
        crate::lock::LockStatus::Stale {
            changes,
            root_mismatch,
        } => {
            let mut c: Vec<String> = changes.iter().map(|c| c.describe()).collect();
            if *root_mismatch && c.is_empty() {
                c.push("the root digest does not match the entries".into());
            }
            c
        }
        crate::lock::LockStatus::Fresh => Vec::new(),
    };
    let root = new.root();
    let up_to_date = changes.is_empty();
    let written = !check && !up_to_date;
    if written {
        wt.write_atomic(
            &crate::snapshot::RepoPath::fixed(LOCKFILE),
            text.as_bytes(),
            false,
        )
        .map_err(|e| fatal(format!("cannot write {LOCKFILE}: {e}"), None))?;
    }
    let summary = report::lockfile::LockSummary {
        root,
        entries: new.entries.len(),
        check,
        written,
        changes,
    };
    let text = match cli.format {
        Format::Json => report::lockfile::json(&summary),
        _ => report::lockfile::human(&summary),
    };
    let _ = out.write_all(text.as_bytes());
    Ok(if check && !up_to_date {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    })
}
