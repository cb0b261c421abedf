use super::*;

/// `agentlock checklist`: what `verify` finds in the working tree (lockfile and, in git, the
/// release history included), as the deployment checklist, with the trace files named by
/// `--traces` checked as `agentlock traces` checks them. Exit code as `verify`'s.
pub(super) const SPEC: Spec = Spec {
    name: "checklist",
    accepts: Accepts::Formats(&[Format::Human, Format::Json, Format::Markdown]),
    findings: false,
};

pub(super) fn run(
    cli: &Cli,
    traces: &[std::path::PathBuf],
    out: &mut Sink<'_>,
    err: &mut Sink<'_>,
) -> Result<i32, Fatal> {
    use crate::checklist::{Checklist, GitState};
    let wt = worktree(cli)?;
    // Named files that cannot be opened stop the run before anything is checked.
    let inputs = super::traces::open(&wt, traces)?;
    let Checked {
        mut v,
        history,
        git,
        head,
    } = check_worktree(cli, &wt, err)?;
    let today = crate::date::today();
    if !inputs.is_empty() {
        v = v.with_traces(history.as_ref(), inputs, today);
    }
    let state = match &git {
        Some(_) => GitState::Repo {
            head,
            history: history.as_ref(),
        },
        None => GitState::None,
    };
    let list = Checklist::build(&v, &state, today);
    let text = match cli.format {
        Format::Json => report::checklist::json(&list),
        _ => report::checklist::markdown(&list), // human and markdown
    };
    let _ = out.write_all(text.as_bytes());
    Ok(report::exit_code(&v.findings))
}
