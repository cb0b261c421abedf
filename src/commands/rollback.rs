use super::*;

pub(super) const SPEC: Spec = Spec {
    name: "rollback",
    accepts: Accepts::Formats(&[Format::Human, Format::Json, Format::Markdown]),
    findings: false,
};

/// `agentlock rollback`: the target release and what restoring it takes; `--apply` does it.
pub(super) fn run(
    cli: &Cli,
    to: Option<&str>,
    apply: bool,
    out: &mut Sink<'_>,
    err: &mut Sink<'_>,
) -> Result<i32, Fatal> {
    let git = git(cli)?;
    let wt = worktree(cli)?;
    let head = git.head()?;
    let model = load(&wt)?;
    let current = Lock::from_model(&model, crate::rules::catalog());
    let releases = git.releases(&model.config.release, head)?;
    note_skipped(&releases, err);
    let (tag, commit) = match to {
        Some(tag) => (tag.to_string(), git.resolve(tag)?),
        None => match releases.rollback_target() {
            Some(r) => (r.tag.clone(), r.commit),
            None => {
                let why = releases.none_reason();
                return Err(fatal(
                    format!("there is no release to roll back to: {why}"),
                    Some("name one with `--to TAG`; `git tag --list` shows the tags"),
                ));
            }
        },
    };
    let (target, target_lock) = super::diff::release_side(&git, &tag, commit)?;
    let target_snapshot = git.tree(commit, &tag)?;
    let target_config = {
        let mut sources = crate::source::SourceMap::default();
        let mut problems = Vec::new();
        crate::load::config::load_or_discover(&target_snapshot, &mut sources, &mut problems)?
    };
    let restore = crate::diff::diff(&current, &target_lock.lock);
    // Asked one path at a time: a listing of the whole revision stops at its limits.
    let (files, unheld) =
        crate::diff::file_actions(&restore, &model.config, &target_config, &|p| {
            target_snapshot.contains(p)
        });
    let mut report = RollbackReport {
        target,
        head: Side {
            tag: None,
            rev: None,
            commit: head,
            root: current.root(),
            worktree: true,
        },
        restore,
        files,
        unheld,
        applied: None,
        refusal: None,
    };
    if !report.restore.is_empty() {
        let checked = preflight(&git, &wt, head, &report.files);
        match (apply, checked) {
            (true, plan) => report.applied = Some(apply_rollback(&wt, &target_snapshot, plan?)?),
            (false, Err(Fatal(e, _))) => report.refusal = Some(e.message),
            (false, Ok(_)) => {}
        }
    }
    let text = match cli.format {
        Format::Json => release::rollback_json(&report),
        Format::Markdown => release::rollback_markdown(&report),
        _ => release::rollback_human(&report),
    };
    let _ = out.write_all(text.as_bytes());
    Ok(EXIT_OK)
}

/// The files `--apply` would write, or why it refuses (touching nothing): a path outside the
/// repository or through a symlink, or uncommitted changes it would overwrite.
fn preflight<'f>(
    git: &Git,
    wt: &Worktree,
    head: Option<Commit>,
    files: &'f [FileAction],
) -> Result<Vec<(crate::snapshot::RepoPath, &'f FileAction)>, Fatal> {
    use crate::snapshot::{ReadError, RepoPath};
    let limit = u64::MAX;
    let mut plan: Vec<(RepoPath, &FileAction)> = Vec::new();
    let mut refused: Vec<String> = Vec::new();
    for f in files {
        let shown = crate::source::shown_path(f.path());
        match RepoPath::parse(f.path()) {
            Ok(p) if wt.writable(&p).is_ok() => plan.push((p, f)),
            Ok(_) => refused.push(format!("{shown} (through a symlink)")),
            Err(e) => refused.push(format!("{shown} (the path {e})")),
        }
    }
    if !refused.is_empty() {
        return Err(fatal(
            format!("refusing to write these paths: {}", refused.join(", ")),
            Some(
                "nothing was written; replace the symlinked directories with real ones first, and rename files whose names agentlock cannot write",
            ),
        ));
    }
    // Nothing uncommitted may be lost.
    let committed = head.map(|c| git.tree(c, "HEAD")).transpose()?;
    let lockfile = RepoPath::fixed(LOCKFILE);
    let same = |p: &RepoPath| -> bool {
        let ours = match wt.read(p, limit) {
            Ok(b) => Some(b),
            Err(ReadError::NotFound) => None,
            Err(_) => return false,
        };
        let theirs = match committed.as_ref().map(|t| t.read(p, limit)) {
            Some(Ok(b)) => Some(b),
            None | Some(Err(ReadError::NotFound)) => None,
            Some(Err(_)) => return false,
        };
        ours == theirs
    };
    let dirty: Vec<&str> = plan
        .iter()
        .map(|(p, _)| p)
        .chain([&lockfile])
        .filter(|p| !same(p))
        .map(RepoPath::as_str)
        .collect();
    if !dirty.is_empty() {
        return Err(fatal(
            format!(
                "these files have uncommitted changes that the rollback would overwrite: {}",
                dirty.join(", ")
            ),
            Some("commit or stash them first (`git stash`), then run the rollback again"),
        ));
    }
    Ok(plan)
}

/// Writes the target's files into the working tree, deletes the files added since, and
/// rewrites agentlock.lock; returns the new lock root.
fn apply_rollback(
    wt: &Worktree,
    target: &dyn Snapshot,
    plan: Vec<(crate::snapshot::RepoPath, &FileAction)>,
) -> Result<String, Fatal> {
    let limit = u64::MAX;
    let lockfile = crate::snapshot::RepoPath::fixed(LOCKFILE);
    // Everything is read from the target before anything is written: a file it cannot give
    // (a symlink out of the repository at the tag) stops the rollback with nothing changed.
    let mut writes: Vec<(&crate::snapshot::RepoPath, Option<Vec<u8>>)> = Vec::new();
    for (path, f) in &plan {
        writes.push(match f {
            FileAction::Restore(_) => {
                let bytes = target
                    .read(path, limit)
                    .map_err(|e| fatal(format!("cannot read {path} at the target: {e}"), None))?;
                (path, Some(bytes))
            }
            FileAction::Remove(_) => (path, None),
        });
    }
    for (path, bytes) in writes {
        let io = |e: std::io::Error| fatal(format!("cannot write {path}: {e}"), None);
        match bytes {
            Some(bytes) => wt.write_atomic(path, &bytes, true).map_err(io)?,
            None => wt.remove(path).map_err(io)?,
        }
    }
    let model = load(wt)?;
    let lock = Lock::from_model(&model, crate::rules::catalog());
    wt.write_atomic(&lockfile, lock.to_toml().as_bytes(), false)
        .map_err(|e| fatal(format!("cannot write {LOCKFILE}: {e}"), None))?;
    Ok(lock.root())
}
