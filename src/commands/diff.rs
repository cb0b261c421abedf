use super::*;

/// The side a release is: its tag, commit and lock (recorded, or computed from its tree).
pub(super) fn release_side(
    git: &Git,
    tag: &str,
    commit: Commit,
) -> Result<(Side, crate::history::ReleaseLock), Fatal> {
    let lock = release_lock(git, commit, tag, crate::rules::catalog())?.ok_or_else(|| {
        fatal(
            format!(
                "{tag} has no {} and no file agentlock discovers at {}: it predates agentlock, so there is nothing to compare with",
                crate::load::config::MANIFEST,
                if git.prefix().is_empty() {
                    "the repository root".to_string()
                } else {
                    git.prefix().to_string()
                }
            ),
            Some("name a later release with --base/--to"),
        )
    })?;
    let side = Side {
        tag: Some(tag.to_string()),
        rev: None,
        commit: Some(commit),
        root: lock.root.clone(),
        worktree: false,
    };
    Ok((side, lock))
}

pub(super) const SPEC: Spec = Spec {
    name: "diff",
    accepts: Accepts::Formats(&[Format::Human, Format::Json, Format::Markdown]),
    findings: false,
};

/// `agentlock diff`: every change from the last release (or `--base`) to the working tree (or
/// `--head`).
pub(super) fn run(
    cli: &Cli,
    base: Option<&str>,
    head: Option<&str>,
    out: &mut Sink<'_>,
    err: &mut Sink<'_>,
) -> Result<i32, Fatal> {
    let git = git(cli)?;
    let (snapshot, commit): (Box<dyn Snapshot>, Option<Commit>) = match head {
        Some(rev) => {
            let c = git.resolve(rev)?;
            (Box::new(git.tree(c, rev)?), Some(c))
        }
        None => (Box::new(worktree(cli)?), git.head()?),
    };
    let model = load(snapshot.as_ref())?;
    let head_lock = Lock::from_model(&model, crate::rules::catalog());
    let head_side = Side {
        tag: None,
        rev: head.map(str::to_string),
        commit,
        root: head_lock.root(),
        worktree: head.is_none(),
    };
    let releases = git.releases(&model.config.release, commit)?;
    note_skipped(&releases, err);
    let base = match base {
        Some(tag) => Some(release_side(&git, tag, git.resolve(tag)?)?),
        None => match releases.last() {
            Some(r) => Some(release_side(&git, &r.tag, r.commit)?),
            None => None,
        },
    };
    let rollback = match releases.rollback_target() {
        Some(r)
            if base
                .as_ref()
                .is_some_and(|(s, _)| s.tag.as_deref() == Some(&r.tag)) =>
        {
            base.as_ref().map(|(s, _)| s.clone())
        }
        Some(r) => Some(release_side(&git, &r.tag, r.commit)?.0),
        None => None,
    };
    let empty = Lock {
        entries: Vec::new(),
    };
    let mut changes = crate::diff::diff(base.as_ref().map_or(&empty, |(_, l)| &l.lock), &head_lock);
    // A head file that did not load makes its entries look removed: held back and counted.
    let before = changes.len();
    changes.retain(|c| {
        !crate::lock::echoes_a_failed_load(
            &model.incomplete,
            c.kind,
            c.change == crate::diff::ChangeKind::Removed,
        )
    });
    let not_compared = before - changes.len();
    // The evidence recorded at each side.
    // Each side's where its own manifest puts it (the head's is the model's): a change that
    // moves `[paths] evidence` must not make the release's evidence look removed.
    let index = |s: &dyn Snapshot, dir: &str| {
        use crate::snapshot::ReadExt;
        let path = format!(
            "{}/{}",
            dir.trim_end_matches('/'),
            crate::evidence::store::INDEX
        );
        s.read_str(&path, crate::snapshot::DEFAULT_MAX_FILE_SIZE)
            .ok()
            .and_then(|b| crate::evidence::store::index_entries(&String::from_utf8_lossy(&b)))
            .unwrap_or_default()
    };
    let base_index = match base.as_ref().and_then(|(s, _)| s.commit.zip(s.tag.clone())) {
        Some((c, tag)) => git
            .tree(c, &tag)
            .map(|t| {
                index(
                    &t,
                    &crate::evidence::dir_at(&t, &model.config.paths.evidence),
                )
            })
            .unwrap_or_default(),
        None => Vec::new(),
    };
    let head_index = index(snapshot.as_ref(), &model.config.paths.evidence);
    let evidence = crate::diff::evidence_changes(&base_index, &head_index);
    let no_base = (base.is_none() && (!releases.all.is_empty() || releases.shallow))
        .then(|| releases.none_reason());
    let report = DiffReport {
        no_base,
        not_compared,
        base: base.map(|(s, _)| s),
        head: head_side,
        changes,
        rollback,
        pattern: model.config.release.tag_pattern.clone(),
        evidence,
    };
    let text = match cli.format {
        Format::Json => release::diff_json(&report),
        Format::Markdown => release::diff_markdown(&report),
        _ => release::diff_human(&report),
    };
    let _ = out.write_all(text.as_bytes());
    Ok(EXIT_OK)
}
