use super::*;

pub(super) const SPEC: Spec = Spec {
    name: "verify",
    accepts: Accepts::Formats(ALL),
};

pub(super) fn run(
    cli: &Cli,
    no_lock_check: bool,
    staged: bool,
    rev: Option<&str>,
    color: bool,
    out: &mut Sink<'_>,
    err: &mut Sink<'_>,
) -> Result<i32, Fatal> {
    let wt = worktree(cli)?;
    // The snapshot, and the commit whose history holds the releases to compare with.
    let discovered = Git::discover(&cli.repo);
    let (snapshot, head): (Box<dyn Snapshot>, Option<Commit>) = if staged || rev.is_some() {
        let git = discovered.as_ref().map_err(|e| Fatal::from(e.clone()))?;
        match rev {
            Some(rev) => {
                let commit = git.resolve(rev)?;
                (Box::new(git.tree(commit, rev)?), Some(commit))
            }
            None => (Box::new(git.index()?), git.head()?),
        }
    } else {
        let head = discovered
            .as_ref()
            .ok()
            .and_then(|g| g.head().ok().flatten());
        (Box::new(wt), head)
    };
    let mut model = load(snapshot.as_ref())?;
    let history = load_history(discovered.as_ref().ok(), &model, head, err);
    let baseline = load_baseline(discovered.as_ref().ok(), history.as_ref(), &mut model);
    let v = crate::pipeline::check(
        model,
        snapshot.as_ref(),
        !no_lock_check,
        history.as_ref(),
        baseline,
        crate::date::today(),
    );
    let ctx = ReportCtx {
        title: "verify",
        prefix: discovered
            .as_ref()
            .map(|g| g.prefix().to_string())
            .unwrap_or_default(),
    };
    report_verified(cli.format, &v, color, &ctx, out)
}
