//! The release diff (two locks compared entry by entry, each version bump classed) and the
//! rollback plan (which entries to restore, and which files that touches).

use crate::load::config::Config;
use crate::lock::{Entry, Kind, Lock};
use std::collections::{BTreeMap, BTreeSet};

/// How an entry changed from the base to the head.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChangeKind {
    Added,
    Removed,
    Modified,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
            ChangeKind::Modified => "modified",
        }
    }
}

/// How far a version moved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bump {
    Major,
    Minor,
    Patch,
    /// Only the pre-release or build part changed.
    Prerelease,
    /// The version went down.
    Downgrade,
    /// The version changed but one side is not semver (a dataset's `2026.01`).
    Other,
}

impl Bump {
    pub fn as_str(self) -> &'static str {
        match self {
            Bump::Major => "major",
            Bump::Minor => "minor",
            Bump::Patch => "patch",
            Bump::Prerelease => "prerelease",
            Bump::Downgrade => "downgrade",
            Bump::Other => "other",
        }
    }

    /// The bump from one version to another; `None` when they are equal.
    pub fn of(from: &str, to: &str) -> Option<Bump> {
        if from == to {
            return None;
        }
        let (Ok(a), Ok(b)) = (semver::Version::parse(from), semver::Version::parse(to)) else {
            return Some(Bump::Other);
        };
        Some(if b < a {
            Bump::Downgrade
        } else if a.major != b.major {
            Bump::Major
        } else if a.minor != b.minor {
            Bump::Minor
        } else if a.patch != b.patch {
            Bump::Patch
        } else {
            Bump::Prerelease
        })
    }
}

/// One entry that differs between two locks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub kind: Kind,
    /// The prompt, dataset or agent name, tool server or model alias; `None` for the single
    /// tables (topology, deploy, policy).
    pub name: Option<String>,
    pub change: ChangeKind,
    pub from: Option<Entry>,
    pub to: Option<Entry>,
    /// The fields that differ (`sha256`, `version`, `definitions.create_issue`), for a
    /// modification.
    pub fields: Vec<String>,
    pub bump: Option<Bump>,
}

impl Change {
    pub fn version(entry: Option<&Entry>) -> Option<&str> {
        entry.and_then(|e| e.get("version"))
    }
}

fn name_of(e: &Entry) -> Option<String> {
    let field = match e.kind {
        Kind::Prompt | Kind::Dataset | Kind::Agent => "name",
        Kind::Tool => "server",
        Kind::Model => "alias",
        Kind::Topology | Kind::Deploy | Kind::Policy => return None,
    };
    e.get(field).map(str::to_string)
}

fn version_key(e: &Entry) -> (Option<semver::Version>, String) {
    let v = e.get("version").unwrap_or("");
    (semver::Version::parse(v).ok(), v.to_string())
}

/// Every entry that differs from `base` to `head`. Prompts and datasets are matched by name, so
/// `planner` 1.2.0 → 1.3.0 is one modification with its bump, not a removal and an addition.
pub fn diff(base: &Lock, head: &Lock) -> Vec<Change> {
    type Group<'a> = BTreeMap<(Kind, Option<String>), Vec<&'a Entry>>;
    fn group(l: &Lock) -> Group<'_> {
        let mut g: Group = BTreeMap::new();
        for e in &l.entries {
            g.entry((e.kind, name_of(e))).or_default().push(e);
        }
        g
    }
    let (old, new) = (group(base), group(head));
    let keys: BTreeSet<&(Kind, Option<String>)> = old.keys().chain(new.keys()).collect();
    let mut out = Vec::new();
    for key in keys {
        let mut olds: Vec<&Entry> = old.get(key).cloned().unwrap_or_default();
        let mut news: Vec<&Entry> = new.get(key).cloned().unwrap_or_default();
        // The same version on both sides first.
        let mut pairs = Vec::new();
        olds.retain(|o| match news.iter().position(|n| n.key == o.key) {
            Some(i) => {
                pairs.push((*o, news.remove(i)));
                false
            }
            None => true,
        });
        // Then the highest remaining versions with each other.
        olds.sort_by_key(|e| version_key(e));
        news.sort_by_key(|e| version_key(e));
        while let (Some(_), Some(_)) = (olds.last(), news.last()) {
            pairs.push((olds.pop().unwrap(), news.pop().unwrap()));
        }
        for (o, n) in pairs {
            if o == n {
                continue;
            }
            let fields = crate::lock::field_changes(o, n)
                .into_iter()
                .map(|(f, _, _)| f)
                .collect();
            let bump = match (o.get("version"), n.get("version")) {
                (Some(a), Some(b)) => Bump::of(a, b),
                _ => None,
            };
            out.push(Change {
                kind: key.0,
                name: key.1.clone(),
                change: ChangeKind::Modified,
                from: Some(o.clone()),
                to: Some(n.clone()),
                fields,
                bump,
            });
        }
        for o in olds {
            out.push(Change {
                kind: key.0,
                name: key.1.clone(),
                change: ChangeKind::Removed,
                from: Some(o.clone()),
                to: None,
                fields: Vec::new(),
                bump: None,
            });
        }
        for n in news {
            out.push(Change {
                kind: key.0,
                name: key.1.clone(),
                change: ChangeKind::Added,
                from: None,
                to: Some(n.clone()),
                fields: Vec::new(),
                bump: None,
            });
        }
    }
    out.sort_by(|a, b| {
        (a.kind, &a.name, a.change, Change::version(a.from.as_ref())).cmp(&(
            b.kind,
            &b.name,
            b.change,
            Change::version(b.from.as_ref()),
        ))
    });
    out
}

/// One side of a diff or rollback: a release, a revision or the working tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Side {
    /// The release tag, when the side is one.
    pub tag: Option<String>,
    /// The revision as given (`--head HEAD~1`); `None` for a tag or the working tree.
    pub rev: Option<String>,
    /// The commit; for the working tree or the index, the commit HEAD points at (none before
    /// the first commit).
    pub commit: Option<crate::git::Commit>,
    /// The lock root digest that names the side.
    pub root: String,
    /// Whether the side is the working tree (uncommitted edits included).
    pub worktree: bool,
}

impl Side {
    /// How a person names it: `v1.2.0`, `HEAD~1`, `the working tree`.
    pub fn label(&self) -> String {
        match (&self.tag, &self.rev) {
            (Some(t), _) => t.clone(),
            (None, Some(r)) => r.clone(),
            (None, None) if self.worktree => "the working tree".into(),
            _ => self.commit.map_or("(no commit)".into(), |c| c.short()),
        }
    }
}

/// `agentlock diff`: what changed from the last release (or a given tag) to the head.
#[derive(Clone, Debug)]
pub struct DiffReport {
    /// `None` when there is no release yet: every entry is new.
    pub base: Option<Side>,
    pub head: Side,
    pub changes: Vec<Change>,
    /// Where a rollback of the head would go.
    pub rollback: Option<Side>,
    /// The tag pattern releases were looked for with, for messages.
    pub pattern: String,
    /// Without a base although there are tags: why none is one (a shallow clone's history
    /// that ends before them, tags on other branches).
    pub no_base: Option<String>,
    /// How many changes were left out as the echoes of a head file that did not load (its
    /// entries would all look removed): `verify` reports the file as CONF001.
    pub not_compared: usize,
    /// The evidence files added and removed since the base (evidence/index.toml).
    pub evidence: Vec<EvidenceChange>,
}

/// An evidence file added or removed between two revisions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvidenceChange {
    pub added: bool,
    pub path: String,
    pub harness: String,
    pub datasets: Vec<String>,
    pub cases: usize,
}

/// The evidence entries of `head` not in `base` (added), then those of `base` not in `head`.
pub fn evidence_changes(
    base: &[crate::evidence::store::NewEntry],
    head: &[crate::evidence::store::NewEntry],
) -> Vec<EvidenceChange> {
    let change = |e: &crate::evidence::store::NewEntry, added| EvidenceChange {
        added,
        path: e.path.clone(),
        harness: e.harness.clone(),
        datasets: e.datasets.clone(),
        cases: e.cases,
    };
    let has = |list: &[crate::evidence::store::NewEntry], p: &str| list.iter().any(|e| e.path == p);
    head.iter()
        .filter(|e| !has(base, &e.path))
        .map(|e| change(e, true))
        .chain(
            base.iter()
                .filter(|e| !has(head, &e.path))
                .map(|e| change(e, false)),
        )
        .collect()
}

/// `agentlock rollback`: the target release and what restoring it takes.
#[derive(Clone, Debug)]
pub struct RollbackReport {
    pub target: Side,
    pub head: Side,
    /// Each entry that differs, from the working tree (from) to the target (to).
    pub restore: Vec<Change>,
    pub files: Vec<FileAction>,
    /// Paths the target's lockfile names that its tree does not hold: left out of `files`.
    pub unheld: Vec<String>,
    /// After `--apply`: the lock root the working tree now has.
    pub applied: Option<String>,
    /// Without `--apply`: why `--apply` would refuse, touching nothing (uncommitted changes
    /// it would overwrite, a path through a symlink).
    pub refusal: Option<String>,
}

/// What `rollback --apply` does to one file.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FileAction {
    /// Write the file as it is at the target.
    Restore(String),
    /// Delete the file: it holds only entries added since the target.
    Remove(String),
}

impl FileAction {
    pub fn path(&self) -> &str {
        match self {
            FileAction::Restore(p) | FileAction::Remove(p) => p,
        }
    }
}

/// The files a rollback touches: for each change from the current lock to the target's, the
/// file that holds the entry. `at_target` says whether a path exists at the target.
///
/// Only the current side decides what is removed: a file the working tree's own model read
/// and the target does not hold. A path the target's lockfile names but its tree does not hold
/// (a hand-edited lockfile, or one naming `/etc/passwd`) is neither restored nor removed; it is
/// returned second, for the plan to say so.
pub fn file_actions(
    changes: &[Change],
    current: &Config,
    target: &Config,
    at_target: &dyn Fn(&str) -> bool,
) -> (Vec<FileAction>, Vec<String>) {
    let mut restore: BTreeSet<String> = BTreeSet::new();
    let mut remove: BTreeSet<String> = BTreeSet::new();
    let config_files = |c: &Config| -> Vec<String> {
        // (a repository without agentlock.toml has none to restore)
        let mut files: Vec<String> = c
            .project
            .then(|| crate::load::config::MANIFEST.to_string())
            .into_iter()
            .collect();
        files.extend(
            c.policy
                .layers
                .iter()
                .filter(|l| !l.origin.starts_with("(built-in)"))
                .map(|l| l.origin.clone()),
        );
        files
    };
    for c in changes {
        // `changes` go from the current lock (from) to the target's (to).
        let files_of = |e: Option<&Entry>, config: &Config| -> Vec<String> {
            match c.kind {
                Kind::Prompt | Kind::Tool | Kind::Dataset => e
                    .and_then(|e| e.get("path"))
                    .map(|p| vec![p.to_string()])
                    .unwrap_or_default(),
                // Entries read from another tool's files name them; the others are in
                // models.yaml and agents.yaml.
                Kind::Model | Kind::Agent | Kind::Topology
                    if e.is_some_and(|e| e.get("path").is_some()) =>
                {
                    let e = e.expect("checked");
                    ["path", "tasks"]
                        .iter()
                        .filter_map(|f| e.get(f).map(str::to_string))
                        .collect()
                }
                Kind::Model => vec![config.paths.models.clone()],
                Kind::Agent | Kind::Topology => vec![config.paths.agents.clone()],
                Kind::Deploy => vec![config.paths.deploy.clone()],
                Kind::Policy => {
                    // The registry digest belongs to the agentlock binary, not to a file.
                    if c.fields.iter().all(|f| f == "registry") {
                        Vec::new()
                    } else {
                        config_files(config)
                    }
                }
            }
        };
        for p in files_of(c.to.as_ref(), target) {
            restore.insert(p);
        }
        for p in files_of(c.from.as_ref(), current) {
            remove.insert(p);
        }
    }
    let mut out = Vec::new();
    let mut unheld = Vec::new();
    for p in &restore {
        if at_target(p) {
            out.push(FileAction::Restore(p.clone()));
        } else if !remove.contains(p) {
            unheld.push(p.clone());
        }
    }
    for p in remove {
        if at_target(&p) {
            if !restore.contains(&p) {
                out.push(FileAction::Restore(p));
            }
        } else {
            out.push(FileAction::Remove(p));
        }
    }
    out.sort_by(|a, b| a.path().cmp(b.path()));
    out.dedup();
    (out, unheld)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bumps() {
        assert_eq!(Bump::of("1.2.0", "1.2.0"), None);
        assert_eq!(Bump::of("1.2.0", "2.0.0"), Some(Bump::Major));
        assert_eq!(Bump::of("1.2.0", "1.3.0"), Some(Bump::Minor));
        assert_eq!(Bump::of("1.2.0", "1.2.1"), Some(Bump::Patch));
        assert_eq!(Bump::of("1.2.0-rc.1", "1.2.0"), Some(Bump::Prerelease));
        assert_eq!(Bump::of("1.3.0", "1.2.9"), Some(Bump::Downgrade));
        assert_eq!(Bump::of("2026.01", "2026.02"), Some(Bump::Other));
    }
}
