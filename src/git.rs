//! Reading git with gix, never by running `git`: the repository around an agentlock root,
//! snapshots of the index and of any revision, and the release tags.
//!
//! The agentlock root may be a directory inside the git work tree (a monorepo); every path a
//! [`GitSnapshot`] lists is relative to that root, exactly as the working tree's are.

use crate::snapshot::path::follow_link;
use crate::snapshot::{Entry, EntryKind, ReadError, RepoPath, Snapshot};
use gix::ObjectId;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;

/// A git operation that failed, said for a person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GitError {
    pub message: String,
    pub help: Option<String>,
}

impl GitError {
    fn new(message: impl Into<String>) -> Self {
        GitError {
            message: message.into(),
            help: None,
        }
    }

    fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

impl std::fmt::Display for GitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// The git repository that holds an agentlock root.
pub struct Git {
    repo: gix::ThreadSafeRepository,
    /// The agentlock root relative to the work tree, `/`-separated; empty at the top.
    prefix: String,
}

/// A commit, named for messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Commit(pub ObjectId);

impl Commit {
    pub fn hex(&self) -> String {
        self.0.to_string()
    }

    /// The first 12 hex digits.
    pub fn short(&self) -> String {
        self.hex()[..12].to_string()
    }
}

impl Git {
    /// Finds the repository that holds `root`, searching upwards like git does (and honouring
    /// `GIT_DIR`, `GIT_INDEX_FILE` and `GIT_CEILING_DIRECTORIES`, which hooks rely on).
    pub fn discover(root: &Path) -> Result<Git, GitError> {
        let repo =
            gix::ThreadSafeRepository::discover_with_environment_overrides(root).map_err(|e| {
                GitError::new(format!(
                    "{} is not in a git repository ({e})",
                    root.display()
                ))
                .help("run agentlock inside a git work tree, or `git init` one")
            })?;
        let workdir = repo
            .work_dir()
            .ok_or_else(|| GitError::new("the git repository is bare: it has no work tree"))?
            .to_path_buf();
        let canon = |p: &Path| {
            p.canonicalize()
                .map_err(|e| GitError::new(format!("cannot resolve {}: {e}", p.display())))
        };
        let (workdir, root_abs) = (canon(&workdir)?, canon(root)?);
        let rel = root_abs.strip_prefix(&workdir).map_err(|_| {
            GitError::new(format!(
                "{} is outside the work tree of the git repository at {}",
                root.display(),
                workdir.display()
            ))
        })?;
        let prefix = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        Ok(Git { repo, prefix })
    }

    /// The agentlock root relative to the work tree (`""` at the top).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    fn local(&self) -> gix::Repository {
        self.repo.to_thread_local()
    }

    /// The commit HEAD points at; `None` before the first commit.
    pub fn head(&self) -> Result<Option<Commit>, GitError> {
        let repo = self.local();
        let mut head = repo
            .head()
            .map_err(|e| GitError::new(format!("cannot read HEAD: {e}")))?;
        if head.is_unborn() {
            return Ok(None);
        }
        let commit = head
            .peel_to_commit()
            .map_err(|e| GitError::new(format!("HEAD does not point at a commit: {e}")))?;
        Ok(Some(Commit(commit.id)))
    }

    /// Resolves a revision (`v1.2.0`, `HEAD~1`, a commit id) to the commit it names.
    pub fn resolve(&self, rev: &str) -> Result<Commit, GitError> {
        let repo = self.local();
        let id = repo.rev_parse_single(rev).map_err(|e| {
            GitError::new(format!(
                "`{rev}` names no revision in this repository ({e})"
            ))
            .help("list the release tags with `git tag --list`")
        })?;
        let object = id
            .object()
            .map_err(|e| GitError::new(format!("cannot read `{rev}`: {e}")))?;
        let kind = object.kind;
        let commit = object.peel_to_commit().map_err(|_| {
            GitError::new(format!("`{rev}` names a {kind}, not a commit"))
                .help("name a commit or a tag that points at one")
        })?;
        Ok(Commit(commit.id))
    }

    /// Whether this is a shallow clone (history cut off, tags maybe not fetched).
    pub fn is_shallow(&self) -> bool {
        self.local().is_shallow().unwrap_or(false)
    }

    /// The files of the agentlock root at a commit, read from git objects with no checkout.
    pub fn tree(&self, commit: Commit, name: &str) -> Result<GitSnapshot, GitError> {
        let repo = self.local();
        let err = |e: gix::Error| GitError::new(format!("cannot read the tree of {name}: {e}"));
        let tree = repo
            .find_object(commit.0)
            .map_err(err)?
            .peel_to_tree()
            .map_err(err)?;
        let mut files = BTreeMap::new();
        let sub = if self.prefix.is_empty() {
            Some(tree)
        } else {
            match tree.lookup_entry_by_path(&self.prefix).map_err(err)? {
                Some(e) if e.mode().is_tree() => {
                    Some(e.object().map_err(err)?.peel_to_tree().map_err(err)?)
                }
                _ => None, // the root did not exist at this commit: an empty snapshot
            }
        };
        if let Some(sub) = sub {
            let mut recorder = gix::traverse::tree::Recorder::default();
            sub.traverse().breadthfirst(&mut recorder).map_err(err)?;
            for r in recorder.records {
                let kind = if r.mode.is_link() {
                    Stored::Link
                } else if r.mode.is_blob() {
                    Stored::File
                } else {
                    continue; // trees and submodules
                };
                if let Ok(path) = String::from_utf8(r.filepath.into()) {
                    files.insert(path, (r.oid, kind));
                }
            }
        }
        Ok(GitSnapshot {
            repo: self.repo.clone(),
            files,
            what: name.to_string(),
        })
    }

    /// One file of the agentlock root at a commit, without listing the tree; `None` when the
    /// commit has no such file.
    pub fn read_at(
        &self,
        commit: Commit,
        path: &str,
        max_size: u64,
    ) -> Result<Option<Vec<u8>>, GitError> {
        match self.blob_at(commit, path)? {
            Some(id) => self.read_blob(id, path, max_size).map(Some),
            None => Ok(None),
        }
    }

    /// The blob id of one file of the agentlock root at a commit (no content is read), so
    /// releases that share a file are read once.
    pub fn blob_at(&self, commit: Commit, path: &str) -> Result<Option<ObjectId>, GitError> {
        let repo = self.local();
        let err =
            |e: gix::Error| GitError::new(format!("cannot read {path} at {}: {e}", commit.short()));
        let tree = repo
            .find_object(commit.0)
            .map_err(err)?
            .peel_to_tree()
            .map_err(err)?;
        let full = if self.prefix.is_empty() {
            path.to_string()
        } else {
            format!("{}/{path}", self.prefix)
        };
        let Some(entry) = tree.lookup_entry_by_path(&full).map_err(err)? else {
            return Ok(None);
        };
        Ok(entry.mode().is_blob().then(|| entry.object_id()))
    }

    /// The content of a blob, refusing one over `max_size`.
    pub fn read_blob(&self, id: ObjectId, path: &str, max_size: u64) -> Result<Vec<u8>, GitError> {
        read_blob(&self.local(), id, max_size)
            .map_err(|e| GitError::new(format!("{path} ({}): {e}", &id.to_string()[..12])))
    }

    /// The files of the agentlock root as staged in the index: what the next commit will hold.
    /// Unstaged edits and untracked files are not in it.
    pub fn index(&self) -> Result<GitSnapshot, GitError> {
        let repo = self.local();
        let index = repo
            .index_or_empty()
            .map_err(|e| GitError::new(format!("cannot read the git index: {e}")))?;
        let prefix = if self.prefix.is_empty() {
            String::new()
        } else {
            format!("{}/", self.prefix)
        };
        let mut files = BTreeMap::new();
        for entry in index.entries() {
            use gix::index::entry::{Flags, Mode, Stage};
            if entry.stage() != Stage::Unconflicted || entry.flags.contains(Flags::INTENT_TO_ADD) {
                continue; // a conflict, or a file only announced with `git add -N`
            }
            let kind = if entry.mode == Mode::SYMLINK {
                Stored::Link
            } else if entry.mode == Mode::FILE || entry.mode == Mode::FILE_EXECUTABLE {
                Stored::File
            } else {
                continue;
            };
            let path = entry.path(&index);
            let Ok(path) = std::str::from_utf8(path) else {
                continue;
            };
            if let Some(rel) = path.strip_prefix(&prefix) {
                files.insert(rel.to_string(), (entry.id, kind));
            }
        }
        Ok(GitSnapshot {
            repo: self.repo.clone(),
            files,
            what: "the git index".into(),
        })
    }

    /// Every tag matching the release pattern, newest version first, each marked with whether
    /// `head` reaches it. Tags that are not releases (not semver, a pre-release when those are
    /// not wanted) are left out; tags that cannot be one (pointing at a tree or a blob) are
    /// listed in `skipped` with why.
    pub fn releases(
        &self,
        release: &crate::load::config::ReleaseConfig,
        head: Option<Commit>,
    ) -> Result<Releases, GitError> {
        let repo = self.local();
        let matcher = globset::Glob::new(&release.tag_pattern)
            .map_err(|e| GitError::new(format!("release.tag_pattern: {e}")))?
            .compile_matcher();
        let literal = literal_prefix(&release.tag_pattern);
        let refs = repo
            .references()
            .map_err(|e| GitError::new(format!("cannot read the references: {e}")))?;
        let tags = refs
            .tags()
            .map_err(|e| GitError::new(format!("cannot read the tags: {e}")))?;
        let mut out = Releases {
            pattern: release.tag_pattern.clone(),
            shallow: repo.is_shallow().unwrap_or(false),
            ..Releases::default()
        };
        for tag in tags {
            let Ok(mut tag) = tag else { continue };
            out.tags += 1;
            let name = tag.name().shorten().to_string();
            if !matcher.is_match(&name) {
                continue;
            }
            let Some(version) = tag_version(&name, literal) else {
                out.skipped
                    .push(format!("tag `{name}` is not a semver version; skipped"));
                continue;
            };
            if !version.pre.is_empty() && !release.prereleases {
                continue;
            }
            let id = match tag.peel_to_id() {
                Ok(id) => id.detach(),
                Err(e) => {
                    out.skipped
                        .push(format!("tag `{name}` cannot be read ({e}); skipped"));
                    continue;
                }
            };
            let kind = repo.find_header(id).map(|h| h.kind());
            match kind {
                Ok(gix::object::Kind::Commit) => out.all.push(Release {
                    tag: name,
                    version,
                    commit: Commit(id),
                    reachable: false,
                }),
                Ok(kind) => out.skipped.push(format!(
                    "tag `{name}` points at a {kind}, not a commit; skipped"
                )),
                Err(e) => out
                    .skipped
                    .push(format!("tag `{name}` cannot be read ({e}); skipped")),
            }
        }
        out.all
            .sort_by(|a, b| b.version.cmp(&a.version).then_with(|| a.tag.cmp(&b.tag)));
        if let Some(head) = head {
            let reachable = self.reachable(head.0, out.all.iter().map(|r| r.commit.0))?;
            for r in &mut out.all {
                r.reachable = reachable.contains(&r.commit.0);
            }
        }
        out.head = head;
        Ok(out)
    }

    /// Which of `targets` are ancestors of `head` (or `head` itself): one walk down the
    /// history, stopping as soon as every target has been seen.
    fn reachable(
        &self,
        head: ObjectId,
        targets: impl Iterator<Item = ObjectId>,
    ) -> Result<HashSet<ObjectId>, GitError> {
        let mut wanted: HashSet<ObjectId> = targets.collect();
        let mut found = HashSet::new();
        if wanted.is_empty() {
            return Ok(found);
        }
        let repo = self.local();
        let walk = repo
            .rev_walk([head])
            .all()
            .map_err(|e| GitError::new(format!("cannot walk the history: {e}")))?;
        for info in walk {
            let Ok(info) = info else { break }; // the edge of a shallow clone
            let id = info.id;
            if wanted.remove(&id) {
                found.insert(id);
                if wanted.is_empty() {
                    break;
                }
            }
        }
        Ok(found)
    }
}

/// `v*` → `v`; `release/*` → `release/`.
fn literal_prefix(pattern: &str) -> &str {
    let end = pattern
        .find(['*', '?', '[', '{', '\\'])
        .unwrap_or(pattern.len());
    &pattern[..end]
}

/// The semver version a tag names: the pattern's literal prefix stripped, then a `v`.
fn tag_version(tag: &str, literal: &str) -> Option<semver::Version> {
    let rest = tag.strip_prefix(literal).unwrap_or(tag);
    let rest = rest.strip_prefix(['v', 'V']).unwrap_or(rest);
    semver::Version::parse(rest).ok()
}

/// One release: a tag, its version and the commit it points at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Release {
    pub tag: String,
    pub version: semver::Version,
    pub commit: Commit,
    /// Whether the head the releases were read for reaches it.
    pub reachable: bool,
}

/// The release tags of a repository, newest version first.
#[derive(Clone, Debug, Default)]
pub struct Releases {
    pub all: Vec<Release>,
    /// The tag pattern they were read with.
    pub pattern: String,
    /// Tags that match the pattern but cannot be releases, with why.
    pub skipped: Vec<String>,
    /// How many tags the repository has in all.
    pub tags: usize,
    pub shallow: bool,
    /// The commit reachability was computed from.
    pub head: Option<Commit>,
}

impl Releases {
    /// The last release: the newest one reachable from the head.
    pub fn last(&self) -> Option<&Release> {
        self.all.iter().find(|r| r.reachable)
    }

    /// Where a rollback goes: the newest reachable release that is not the head itself (when
    /// the head is a release, it is what is deployed, and the one before it is the target).
    pub fn rollback_target(&self) -> Option<&Release> {
        self.all
            .iter()
            .find(|r| r.reachable && Some(r.commit) != self.head)
    }

    pub fn find(&self, tag: &str) -> Option<&Release> {
        self.all.iter().find(|r| r.tag == tag)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stored {
    File,
    Link,
}

/// The files of the agentlock root in the index or at a commit, read lazily from the object
/// database. Symlinks are resolved inside the snapshot and never lead out of the root.
pub struct GitSnapshot {
    repo: gix::ThreadSafeRepository,
    files: BTreeMap<String, (ObjectId, Stored)>,
    what: String,
}

impl GitSnapshot {
    /// Follows symlinks (at most 40), at any component of the path, to a file of the snapshot
    /// or (with `want_dir`) a directory; returns the resolved path and, for a file, its blob.
    /// A link whose target leaves the root is [`ReadError::SymlinkOutside`].
    fn resolve(
        &self,
        path: &RepoPath,
        want_dir: bool,
    ) -> Result<(RepoPath, Option<ObjectId>), ReadError> {
        let mut pending: Vec<String> = path.components().rev().map(str::to_string).collect();
        let mut resolved: Vec<String> = Vec::new();
        let mut hops = 0;
        while let Some(name) = pending.pop() {
            resolved.push(name);
            let here = resolved.join("/");
            match self.files.get(&here) {
                Some((_, Stored::Link)) => {
                    hops += 1;
                    if hops > 40 {
                        return Err(ReadError::Io("too many levels of symbolic links".into()));
                    }
                    let (id, _) = self.files[&here];
                    // The link's own text, never an LFS object it might spell.
                    let target = read_git_blob(&self.repo.to_thread_local(), id, 4096)?;
                    let target = String::from_utf8_lossy(&target).into_owned();
                    resolved.pop();
                    // A git symlink is never absolute inside the repository.
                    let next =
                        follow_link(&resolved, &target, &[]).ok_or(ReadError::SymlinkOutside)?;
                    pending.extend(next.into_iter().rev());
                    resolved.clear();
                }
                Some((id, Stored::File)) if pending.is_empty() && !want_dir => {
                    let path = RepoPath::from_listing(&here).ok_or(ReadError::NotFound)?;
                    return Ok((path, Some(*id)));
                }
                Some((_, Stored::File)) if pending.is_empty() => {
                    return Err(ReadError::NotAFile("a file"));
                }
                Some((_, Stored::File)) => return Err(ReadError::NotFound),
                None => {
                    // a directory exists when some file lies below it
                    let prefix = format!("{here}/");
                    let is_dir = self
                        .files
                        .range(prefix.clone()..)
                        .next()
                        .is_some_and(|(p, _)| p.starts_with(&prefix));
                    if !is_dir {
                        return Err(ReadError::NotFound);
                    }
                    if pending.is_empty() && !want_dir {
                        return Err(ReadError::NotAFile("a directory"));
                    }
                }
            }
        }
        let path = RepoPath::from_listing(&resolved.join("/")).unwrap_or_default();
        if want_dir {
            Ok((path, None))
        } else {
            Err(ReadError::NotAFile("a directory"))
        }
    }

    fn blob(&self, id: ObjectId, max_size: u64) -> Result<Vec<u8>, ReadError> {
        read_blob(&self.repo.to_thread_local(), id, max_size)
    }

    /// The paths of every file, for tests and for `rollback`.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }
}

/// The content of a blob, refusing one over `max_size` before it is decompressed. A Git LFS
/// pointer gives the content it names when the repository's LFS store holds it (checked against
/// the pointer's size and SHA-256: [`lfs`](crate::snapshot::lfs)), else the pointer itself.
fn read_blob(repo: &gix::Repository, id: ObjectId, max_size: u64) -> Result<Vec<u8>, ReadError> {
    let data = read_git_blob(repo, id, max_size)?;
    match crate::snapshot::lfs::parse(&data) {
        Some(pointer) => Ok(
            crate::snapshot::lfs::stored(repo.common_dir(), &pointer, max_size)?.unwrap_or(data),
        ),
        None => Ok(data),
    }
}

fn read_git_blob(
    repo: &gix::Repository,
    id: ObjectId,
    max_size: u64,
) -> Result<Vec<u8>, ReadError> {
    let header = repo
        .find_header(id)
        .map_err(|e| ReadError::Io(e.to_string()))?;
    if header.size() > max_size {
        return Err(ReadError::TooLarge {
            size: header.size(),
            limit: max_size,
        });
    }
    let blob = repo
        .find_blob(id)
        .map_err(|e| ReadError::Io(e.to_string()))?;
    Ok(blob.detach().data)
}

impl Snapshot for GitSnapshot {
    fn describe(&self) -> String {
        self.what.clone()
    }

    fn list(&self, dirs: &[RepoPath]) -> std::io::Result<Vec<Entry>> {
        let mut out = Vec::new();
        for start in dirs {
            // The directory as git stores it: a symlinked directory is listed under its own
            // name, with the files of its target.
            let resolved = match self.resolve(start, true) {
                Ok((r, _)) => r,
                Err(ReadError::SymlinkOutside) => {
                    out.push(Entry {
                        path: start.clone(),
                        kind: EntryKind::SymlinkOutside,
                    });
                    continue;
                }
                Err(_) => continue,
            };
            for (path, (_, kind)) in &self.files {
                let Some(path) = RepoPath::from_listing(path) else {
                    continue; // a name no checkout could hold
                };
                if path == resolved || !path.starts_with(&resolved) {
                    continue;
                }
                let rest = &path.as_str()[resolved.as_str().len()..].trim_start_matches('/');
                let shown = if start.is_root() {
                    RepoPath::from_listing(rest)
                } else {
                    RepoPath::from_listing(&format!("{start}/{rest}"))
                };
                let Some(shown) = shown else { continue };
                if crate::snapshot::in_pruned_dir(shown.as_str()) {
                    continue;
                }
                let kind = match kind {
                    Stored::File => EntryKind::File,
                    Stored::Link => match self.resolve(&shown, false) {
                        Ok(_) => EntryKind::File,
                        Err(ReadError::SymlinkOutside) => EntryKind::SymlinkOutside,
                        Err(_) => continue,
                    },
                };
                out.push(Entry { path: shown, kind });
            }
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        out.dedup_by(|a, b| a.path == b.path);
        Ok(out)
    }

    fn read(&self, path: &RepoPath, max_size: u64) -> Result<Vec<u8>, ReadError> {
        match self.resolve(path, false)? {
            (_, Some(id)) => self.blob(id, max_size),
            (_, None) => Err(ReadError::NotAFile("a directory")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_versions() {
        assert_eq!(tag_version("v1.2.0", "v").unwrap().to_string(), "1.2.0");
        assert_eq!(tag_version("1.2.0", "").unwrap().to_string(), "1.2.0");
        assert_eq!(tag_version("v1.2.0", "").unwrap().to_string(), "1.2.0");
        assert_eq!(
            tag_version("release/v2.0.0-rc.1", "release/")
                .unwrap()
                .to_string(),
            "2.0.0-rc.1"
        );
        assert_eq!(tag_version("v1.2", "v"), None);
        assert_eq!(tag_version("vnext", "v"), None);
        assert_eq!(literal_prefix("v*"), "v");
        assert_eq!(literal_prefix("bot-v[0-9]*"), "bot-v");
        assert_eq!(literal_prefix("*"), "");
    }
}
