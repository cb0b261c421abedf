use super::*;

pub(super) const SPEC: Spec = Spec {
    name: "verify",
    accepts: Accepts::Formats(ALL),
    findings: true,
};

/// `verify`'s own flags.
#[derive(Default)]
pub(super) struct Args<'a> {
    pub no_lock_check: bool,
    pub staged: bool,
    pub rev: Option<&'a str>,
    /// `--new-since [REV]`: `""` is the last release tag.
    pub new_since: Option<&'a str>,
}

pub(super) fn run(
    cli: &Cli,
    args: &Args<'_>,
    color: bool,
    out: &mut Sink<'_>,
    err: &mut Sink<'_>,
) -> Result<i32, Fatal> {
    let wt = worktree(cli)?;
    // The snapshot, and the commit whose history holds the releases to compare with.
    let discovered = Git::discover(&cli.repo);
    let (snapshot, head): (Box<dyn Snapshot>, Option<Commit>) = if args.staged || args.rev.is_some()
    {
        let git = discovered.as_ref().map_err(|e| Fatal::from(e.clone()))?;
        match args.rev {
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
    let (mut v, history) = checked(
        discovered.as_ref().ok(),
        snapshot.as_ref(),
        head,
        args.no_lock_check,
        &cli.namespace,
        err,
    )?;
    if let Some(since) = args.new_since {
        let git = discovered.as_ref().map_err(|e| Fatal::from(e.clone()))?;
        let rev = match since {
            "" => history
                .as_ref()
                .and_then(|h| h.last())
                .map(|(r, _)| r.tag.clone())
                .ok_or_else(|| {
                    fatal(
                        "`--new-since` has no release tag to compare with",
                        Some(
                            "name the revision the findings are compared with: `--new-since main`",
                        ),
                    )
                })?,
            rev => rev.to_string(),
        };
        let commit = git.resolve(&rev)?;
        let tree = git.tree(commit, &rev)?;
        // What that revision already had: its findings, as `verify --rev REV` finds them.
        let mut quiet = std::io::sink();
        let mut notes = Sink::new(&mut quiet, crate::output::Mode::Text, false);
        let before = match crate::load::load(&tree) {
            Ok(_) => Some(
                checked(
                    Some(git),
                    &tree,
                    Some(commit),
                    args.no_lock_check,
                    &cli.namespace,
                    &mut notes,
                )?
                .0,
            ),
            // Nothing loaded there (agentlock came later): every finding is new.
            Err(_) => None,
        };
        let old: std::collections::HashSet<String> = before
            .map(|b| {
                crate::finding::fingerprints(&b.findings, &b.model.sources)
                    .into_iter()
                    .collect()
            })
            .unwrap_or_default();
        let prints = crate::finding::fingerprints(&v.findings, &v.model.sources);
        let mut keep = prints.iter().map(|p| !old.contains(p));
        let total = v.findings.len();
        v.findings.retain(|_| keep.next().unwrap_or(true));
        let _ = writeln!(
            err,
            "agentlock: {} also at {} left out (--new-since): {} new",
            crate::checklist::plural(total - v.findings.len(), "finding", "findings"),
            crate::source::printable(&rev),
            v.findings.len()
        );
    }
    let ctx = ReportCtx {
        title: "verify",
        prefix: discovered
            .as_ref()
            .map(|g| g.prefix().to_string())
            .unwrap_or_default(),
    };
    report_verified(cli, v, color, &ctx, out, err)
}

/// Every rule over a snapshot, with the release history of `head` when in git.
fn checked(
    git: Option<&Git>,
    snapshot: &dyn Snapshot,
    head: Option<Commit>,
    no_lock_check: bool,
    namespaces: &[String],
    err: &mut Sink<'_>,
) -> Result<(crate::pipeline::Verified, Option<History>), Fatal> {
    let mut model = load(snapshot)?;
    let history = load_history(git, &model, head, err);
    let baseline = load_baseline(git, history.as_ref(), &mut model);
    let v = crate::pipeline::check(
        model,
        snapshot,
        !no_lock_check,
        history.as_ref(),
        baseline,
        namespaces,
        crate::date::today(),
    );
    Ok((v, history))
}
