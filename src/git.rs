//! Reading git with gix, never by running `git`: the repository around an agentlock root,
//! snapshots of the index and of any revision, and the release tags.
//!
//! The agentlock root may be a directory inside the git work tree (a monorepo); every path a
//! [`GitSnapshot`] lists is relative to that root, exactly as the working tree's are.

use crate::snapshot::path::{check_name, follow_link};
use crate::snapshot::{
    BadName, DEFAULT_MAX_FILE_SIZE, Entry, EntryKind, ReadError, RepoPath, Snapshot,
};
use gix::ObjectId;
use std::collections::{BTreeMap, HashMap, HashSet};
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
    ///
    /// Only a `.git` is a repository: a directory on the way up that looks like a bare one
    /// (`HEAD`, `objects/`, `refs/`) is not taken for it, as git's `safe.bareRepository =
    /// explicit` would not. Those are files a pull request can commit (a `.git` it cannot), and
    /// below the root of a monorepo they would make another repository's refs and objects
    /// (symlinked, or named in `objects/info/alternates`) the release history read.
    pub fn discover(root: &Path) -> Result<Git, GitError> {
        let options = gix::discover::upwards::Options {
            dot_git_only: true,
            ..Default::default()
        };
        let repo = gix::ThreadSafeRepository::discover_with_environment_overrides_opts(
            root,
            options,
            Default::default(),
        )
        .map_err(|e| {
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
    /// Nothing is listed here: a listing walks only the directories it is asked for, within
    /// the limits of [`crate::snapshot::GIT_WALK_LIMIT`], [`crate::snapshot::MAX_DEPTH`] and
    /// [`crate::snapshot::MAX_PATH_BYTES`] (a tree can name one subtree twice at every level:
    /// a few objects that describe millions of paths).
    pub fn tree(&self, commit: Commit, name: &str) -> Result<GitSnapshot, GitError> {
        let repo = self.local();
        let err = |e: gix::Error| GitError::new(format!("cannot read the tree of {name}: {e}"));
        let tree = repo
            .find_object(commit.0)
            .map_err(err)?
            .peel_to_tree()
            .map_err(err)?;
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
        Ok(GitSnapshot {
            repo: self.repo.clone(),
            files: Files::Tree {
                root: sub.map(|t| t.id),
                trees: Default::default(),
                dirs: Default::default(),
                all: Default::default(),
            },
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
        let mut unnamed = std::collections::BTreeSet::new();
        // One staged file, under the agentlock root or not at all. A name no repository path
        // can hold (not UTF-8, `..`, `.GIT`: only a hand-made index has one) is kept as the
        // first such component, in the directory above it, so a listing says it is there.
        let mut add = |path: &[u8], id: ObjectId, kind: Stored| {
            let Some(rel) = path.strip_prefix(prefix.as_bytes()) else {
                return;
            };
            match first_unnamed(rel) {
                Some(bad) => {
                    unnamed.insert(bad);
                }
                None => {
                    files.insert(String::from_utf8_lossy(rel).into_owned(), (id, kind));
                }
            }
        };
        let mut sparse: Vec<(Vec<u8>, ObjectId)> = Vec::new();
        for entry in index.entries() {
            use gix::index::entry::{Flags, Mode, Stage};
            if entry.flags.contains(Flags::INTENT_TO_ADD) {
                continue; // a file only announced with `git add -N`: not in the next commit
            }
            let kind = if entry.stage() != Stage::Unconflicted {
                // Stages 1 to 3 of one path: a read of it says why there is no content.
                Stored::Conflict
            } else if entry.mode == Mode::SYMLINK {
                Stored::Link
            } else if entry.mode == Mode::FILE || entry.mode == Mode::FILE_EXECUTABLE {
                Stored::File
            } else if entry.mode == Mode::DIR {
                // A sparse index keeps a directory outside the cone as one entry, its tree:
                // its files are in the next commit as that tree holds them. Read as absent,
                // they gave false findings and were never scanned.
                let path: &[u8] = entry.path(&index);
                sparse.push((path.to_vec(), entry.id));
                continue;
            } else {
                continue; // a gitlink (a submodule's commit): no file of this repository
            };
            add(entry.path(&index), entry.id, kind);
        }
        // The sparse directories' files, from their trees (within the listing limit).
        let mut stack = sparse;
        let mut listed = index.entries().len();
        while let Some((dir, tree)) = stack.pop() {
            let tree = repo.find_tree(tree).map_err(|e| {
                GitError::new(format!(
                    "cannot read a sparse directory of the git index: {e}"
                ))
            })?;
            let decoded = tree.decode().map_err(|e| {
                GitError::new(format!(
                    "cannot read a sparse directory of the git index: {e}"
                ))
            })?;
            for e in &decoded.entries {
                listed += 1;
                if listed > crate::snapshot::GIT_WALK_LIMIT {
                    return Err(GitError::new(format!(
                        "the git index names more than {} files",
                        crate::snapshot::GIT_WALK_LIMIT
                    )));
                }
                // (a sparse directory entry's path ends in `/`)
                let mut path = dir.strip_suffix(b"/").unwrap_or(&dir).to_vec();
                path.push(b'/');
                path.extend_from_slice(e.filename);
                let kind = if e.mode.is_tree() {
                    stack.push((path, e.oid.to_owned()));
                    continue;
                } else if e.mode.is_link() {
                    Stored::Link
                } else if e.mode.is_blob() {
                    Stored::File
                } else {
                    continue;
                };
                add(&path, e.oid.to_owned(), kind);
            }
        }
        Ok(GitSnapshot {
            repo: self.repo.clone(),
            files: Files::Index {
                files,
                unnamed: unnamed.into_iter().collect(),
            },
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
        // Tags this configuration does not call releases, which an earlier one may have: a
        // pull request that edits `[release]` must not make the releases before it disappear.
        let mut others: Vec<(String, ObjectId)> = Vec::new();
        for tag in tags {
            let Ok(mut tag) = tag else { continue };
            out.tags += 1;
            let name = tag.name().shorten().to_string();
            let version = if matcher.is_match(&name) {
                let Some(version) = tag_version(&name, literal) else {
                    out.skipped
                        .push(format!("tag `{name}` is not a semver version; skipped"));
                    continue;
                };
                (version.pre.is_empty() || release.prereleases).then_some(version)
            } else {
                None
            };
            let Some(version) = version else {
                if semver_like(&name)
                    && let Ok(id) = tag.peel_to_id()
                    && matches!(
                        repo.find_header(id).map(|h| h.kind()),
                        Ok(gix::object::Kind::Commit)
                    )
                {
                    others.push((name, id.detach()));
                }
                continue;
            };
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
        out.all.extend(self.released_by_their_own(others));
        out.all
            .sort_by(|a, b| b.version.cmp(&a.version).then_with(|| a.tag.cmp(&b.tag)));
        if let Some(head) = head {
            let (reachable, cut_off) =
                self.reachable(head.0, out.all.iter().map(|r| r.commit.0))?;
            out.cut_off = cut_off;
            for r in &mut out.all {
                r.reachable = reachable.contains(&r.commit.0);
            }
        }
        out.head = head;
        Ok(out)
    }

    /// The tags among `tags` that are releases by the `[release]` of the agentlock.toml their
    /// own commit holds (a release made before `tag_pattern` or `prereleases` changed). Each
    /// distinct manifest is read once.
    fn released_by_their_own(&self, tags: Vec<(String, ObjectId)>) -> Vec<Release> {
        type Own = Option<(globset::GlobMatcher, String, bool)>;
        let mut manifests: HashMap<ObjectId, Own> = HashMap::new();
        let mut out = Vec::new();
        for (name, id) in tags {
            let commit = Commit(id);
            let Ok(Some(blob)) = self.blob_at(commit, crate::load::config::MANIFEST) else {
                continue; // not an agentlock release
            };
            let own = manifests.entry(blob).or_insert_with(|| {
                let bytes = self
                    .read_blob(blob, crate::load::config::MANIFEST, DEFAULT_MAX_FILE_SIZE)
                    .ok()?;
                let release = crate::load::config::release_of(std::str::from_utf8(&bytes).ok()?)?;
                let matcher = globset::Glob::new(&release.tag_pattern)
                    .ok()?
                    .compile_matcher();
                Some((
                    matcher,
                    literal_prefix(&release.tag_pattern).to_string(),
                    release.prereleases,
                ))
            });
            let Some((matcher, literal, prereleases)) = own else {
                continue;
            };
            if !matcher.is_match(&name) {
                continue;
            }
            let Some(version) = tag_version(&name, literal) else {
                continue;
            };
            if version.pre.is_empty() || *prereleases {
                out.push(Release {
                    tag: name,
                    version,
                    commit,
                    reachable: false,
                });
            }
        }
        out
    }

    /// Which of `targets` are ancestors of `head` (or `head` itself): one walk down the
    /// history, stopping as soon as every target has been seen. Second, whether the walk
    /// ended at the edge of a shallow clone with targets not seen: those may be ancestors too.
    fn reachable(
        &self,
        head: ObjectId,
        targets: impl Iterator<Item = ObjectId>,
    ) -> Result<(HashSet<ObjectId>, bool), GitError> {
        let mut wanted: HashSet<ObjectId> = targets.collect();
        let mut found = HashSet::new();
        if wanted.is_empty() {
            return Ok((found, false));
        }
        let repo = self.local();
        let walk = repo
            .rev_walk([head])
            .all()
            .map_err(|e| GitError::new(format!("cannot walk the history: {e}")))?;
        let mut cut_off = false;
        for info in walk {
            let Ok(info) = info else {
                cut_off = true; // the edge of a shallow clone
                break;
            };
            let id = info.id;
            if wanted.remove(&id) {
                found.insert(id);
                if wanted.is_empty() {
                    break;
                }
            }
        }
        // A shallow clone's walk can also end cleanly at its boundary commits.
        let cut_off = !wanted.is_empty() && (cut_off || repo.is_shallow().unwrap_or(false));
        Ok((found, cut_off))
    }
}

/// Whether a tag name holds `N.N.N`, as every name a semver release can have does: the cheap
/// test before a tag the configuration does not match is looked at further.
fn semver_like(name: &str) -> bool {
    let b = name.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let mut j = i;
        let mut parts = 0;
        loop {
            let start = j;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            if j == start {
                break;
            }
            parts += 1;
            if parts == 3 {
                return true;
            }
            if j < b.len() && b[j] == b'.' {
                j += 1;
            } else {
                break;
            }
        }
        i += 1;
    }
    false
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
    /// Whether the history of the head ends (a shallow clone's boundary) before it reaches
    /// some release tags: they may be earlier releases of it that agentlock cannot see.
    pub cut_off: bool,
    /// The commit reachability was computed from.
    pub head: Option<Commit>,
}

impl Releases {
    /// Why there is no release before the head, for a message: no tag at all in a shallow
    /// clone, no tag matching the pattern, the history cut off before the tags, or the tags on
    /// other branches.
    pub fn none_reason(&self) -> String {
        let fetch = "`git fetch --tags --unshallow` (with actions/checkout, `fetch-depth: 0`)";
        if self.shallow && self.tags == 0 {
            format!("this is a shallow clone with no tags; fetch them with {fetch}")
        } else if self.all.is_empty() {
            format!("no release tag matches `{}`", self.pattern)
        } else if self.cut_off {
            format!(
                "the history of this shallow clone ends before it reaches {} of the release tags matching `{}`; fetch it with {fetch}",
                self.all.iter().filter(|r| !r.reachable).count(),
                self.pattern
            )
        } else if let Some(last) = self.last() {
            format!(
                "{} is this commit, and no earlier release is in its history",
                last.tag
            )
        } else {
            format!(
                "none of the {} release tags matching `{}` is in the history of this commit",
                self.all.len(),
                self.pattern
            )
        }
    }

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
    /// A path with an unresolved merge conflict (the index only).
    Conflict,
}

/// The first component of `path` (an index entry's) that no repository path can hold, as
/// (the directory above it, its escaped name, whether more components follow: it is a
/// directory, why); `None` when every component is a name.
fn first_unnamed(path: &[u8]) -> Option<(String, String, bool, BadName)> {
    let parts: Vec<&[u8]> = path.split(|b| *b == b'/').collect();
    let (bad, why) = parts.iter().enumerate().find_map(|(i, p)| {
        let why = match std::str::from_utf8(p) {
            Ok(name) => check_name(name).err()?,
            Err(_) => BadName::NotUtf8,
        };
        Some((i, why))
    })?;
    let dir = parts[..bad]
        .iter()
        .map(|p| String::from_utf8_lossy(p))
        .collect::<Vec<_>>()
        .join("/");
    let name = crate::snapshot::escape_name(parts[bad]);
    Some((dir, name, bad + 1 < parts.len(), why))
}

/// What a tree entry is, for agentlock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Node {
    Tree,
    File,
    Link,
    /// A submodule's commit: nothing agentlock reads.
    Other,
}

/// One entry of a tree object.
struct Item {
    name: Vec<u8>,
    node: Node,
    id: ObjectId,
}

/// How many tree entries a revision snapshot keeps decoded (it forgets them all beyond).
const MAX_CACHED_ITEMS: usize = 100_000;

/// Trees decoded, by id, each sorted by name: a tree repeated at every level is decoded once.
#[derive(Default)]
struct TreeCache {
    trees: std::collections::HashMap<ObjectId, std::sync::Arc<Vec<Item>>>,
    items: usize,
}

/// Where a snapshot's files come from.
enum Files {
    /// The index: every staged file, listed by git already. A name no repository path can
    /// hold is kept apart: the directory above it, the name escaped, whether it is a
    /// directory, and why.
    Index {
        files: BTreeMap<String, (ObjectId, Stored)>,
        unnamed: Vec<(String, String, bool, BadName)>,
    },
    /// A revision: the tree of the agentlock root (`None`: it did not exist at that commit),
    /// read as needed.
    Tree {
        root: Option<ObjectId>,
        trees: std::sync::Mutex<TreeCache>,
        /// Directories reached from the root through real trees only, by path (at most
        /// [`MAX_CACHED_DIRS`]): a read starts from the directory of the file.
        dirs: std::sync::Mutex<std::collections::HashMap<String, ObjectId>>,
        /// Every file, for [`GitSnapshot::paths`], listed the first time it is asked for.
        all: std::sync::OnceLock<Vec<String>>,
    },
}

const MAX_CACHED_DIRS: usize = 4096;

/// What a path resolves to.
enum Found {
    File(ObjectId),
    /// A directory, with its tree when the snapshot is a revision's.
    Dir(Option<ObjectId>),
}

/// The files of the agentlock root in the index or at a commit, read lazily from the object
/// database. Symlinks are resolved inside the snapshot and never lead out of the root.
pub struct GitSnapshot {
    repo: gix::ThreadSafeRepository,
    files: Files,
    what: String,
}

impl GitSnapshot {
    /// Follows symlinks at any component of the path, as [`GitSnapshot::resolve_flat`] and
    /// [`GitSnapshot::resolve_tree`] do for each kind of snapshot.
    fn resolve(&self, path: &RepoPath, want_dir: bool) -> Result<(RepoPath, Found), ReadError> {
        match &self.files {
            Files::Index { files, .. } => {
                let (p, id) = self.resolve_flat(files, path, want_dir)?;
                Ok((p, id.map_or(Found::Dir(None), Found::File)))
            }
            Files::Tree { root: None, .. } => Err(ReadError::NotFound),
            Files::Tree {
                root: Some(root), ..
            } => self.resolve_tree(*root, path, want_dir),
        }
    }

    /// The entries of a tree, sorted by name (decoded once while the cache holds it).
    fn items(
        &self,
        repo: &gix::Repository,
        id: ObjectId,
    ) -> Result<std::sync::Arc<Vec<Item>>, String> {
        let Files::Tree { trees, .. } = &self.files else {
            return Err("not a revision".into());
        };
        if let Some(t) = trees
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .trees
            .get(&id)
        {
            return Ok(std::sync::Arc::clone(t));
        }
        let tree = repo.find_tree(id).map_err(|e| e.to_string())?;
        let decoded = tree.decode().map_err(|e| e.to_string())?;
        let mut items: Vec<Item> = decoded
            .entries
            .iter()
            .map(|e| Item {
                name: e.filename.to_vec(),
                node: if e.mode.is_tree() {
                    Node::Tree
                } else if e.mode.is_link() {
                    Node::Link
                } else if e.mode.is_blob() {
                    Node::File
                } else {
                    Node::Other
                },
                id: e.oid.to_owned(),
            })
            .collect();
        items.sort_by(|a, b| a.name.cmp(&b.name));
        let items = std::sync::Arc::new(items);
        let mut cache = trees.lock().unwrap_or_else(|e| e.into_inner());
        if cache.items + items.len() > MAX_CACHED_ITEMS {
            *cache = TreeCache::default();
        }
        cache.items += items.len();
        cache.trees.insert(id, std::sync::Arc::clone(&items));
        Ok(items)
    }

    /// [`GitSnapshot::resolve_flat`] for a revision: one tree at a time from the root (or from
    /// the directory of the path, when it was reached before), following symlinks (at most 40)
    /// inside the root.
    fn resolve_tree(
        &self,
        root: ObjectId,
        path: &RepoPath,
        want_dir: bool,
    ) -> Result<(RepoPath, Found), ReadError> {
        let Files::Tree { dirs, .. } = &self.files else {
            return Err(ReadError::NotFound);
        };
        let repo = self.repo.to_thread_local();
        let mut pending: Vec<String> = path.components().rev().map(str::to_string).collect();
        let mut resolved: Vec<String> = Vec::new();
        let mut tree = root;
        let mut hops = 0;
        // Start from the directory holding the last name, when it was reached before.
        let jump = |pending: &mut Vec<String>, resolved: &mut Vec<String>, tree: &mut ObjectId| {
            if pending.len() > 1 {
                let parent = pending[1..].iter().rev().cloned().collect::<Vec<_>>();
                let key = parent.join("/");
                if let Some(id) = dirs.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
                    *tree = *id;
                    *resolved = parent;
                    pending.truncate(1);
                }
            }
        };
        jump(&mut pending, &mut resolved, &mut tree);
        while let Some(name) = pending.pop() {
            let items = self.items(&repo, tree).map_err(ReadError::Io)?;
            let Ok(i) = items.binary_search_by(|it| it.name.as_slice().cmp(name.as_bytes())) else {
                return Err(ReadError::NotFound);
            };
            let item = &items[i];
            let last = pending.is_empty();
            match item.node {
                Node::Link => {
                    hops += 1;
                    if hops > 40 {
                        return Err(ReadError::Io("too many levels of symbolic links".into()));
                    }
                    // The link's own text, never an LFS object it might spell.
                    let target = read_git_blob(&repo, item.id, 4096)?;
                    let target = String::from_utf8_lossy(&target).into_owned();
                    // A git symlink is never absolute inside the repository.
                    let next =
                        follow_link(&resolved, &target, &[]).ok_or(ReadError::SymlinkOutside)?;
                    pending.extend(next.into_iter().rev());
                    resolved.clear();
                    tree = root;
                    jump(&mut pending, &mut resolved, &mut tree);
                }
                Node::Tree if last && !want_dir => return Err(ReadError::NotAFile("a directory")),
                Node::Tree => {
                    tree = item.id;
                    resolved.push(name);
                    if pending.len() <= 1 {
                        let mut dirs = dirs.lock().unwrap_or_else(|e| e.into_inner());
                        if dirs.len() < MAX_CACHED_DIRS {
                            dirs.insert(resolved.join("/"), tree);
                        }
                    }
                }
                Node::File if last && !want_dir => {
                    resolved.push(name);
                    let path =
                        RepoPath::from_listing(&resolved.join("/")).ok_or(ReadError::NotFound)?;
                    return Ok((path, Found::File(item.id)));
                }
                Node::File if last => return Err(ReadError::NotAFile("a file")),
                Node::File | Node::Other => return Err(ReadError::NotFound),
            }
        }
        let path = RepoPath::from_listing(&resolved.join("/")).unwrap_or_default();
        if want_dir {
            Ok((path, Found::Dir(Some(tree))))
        } else {
            Err(ReadError::NotAFile("a directory"))
        }
    }

    /// Lists the tree `tree` (the directory `at`, at `depth` below the root) into `out`,
    /// depth first with a stack of its own, within the limits `budget` keeps.
    fn walk_tree(
        &self,
        tree: ObjectId,
        at: &RepoPath,
        out: &mut Vec<Entry>,
        budget: &mut Budget,
    ) -> std::io::Result<()> {
        use crate::snapshot::{MAX_DEPTH, PRUNED_DIRS};
        let repo = self.repo.to_thread_local();
        let mut stack = vec![(tree, at.clone(), at.components().count())];
        while let Some((id, at, depth)) = stack.pop() {
            let items = match self.items(&repo, id) {
                Ok(items) => items,
                Err(e) => {
                    out.push(Entry {
                        path: at,
                        kind: EntryKind::Unlisted(format!("cannot be read from git ({e})")),
                    });
                    continue;
                }
            };
            for item in items.iter() {
                budget.count(at.as_str().len() + item.name.len() + 1)?;
                // A name no checkout could hold (not UTF-8; `..`, `.GIT`, `a/b`, only a
                // hand-made tree has one): said, never read.
                let path = match at.child_listed(&item.name) {
                    Ok(path) => path,
                    Err(why) => {
                        let dir = item.node == Node::Tree;
                        out.push(Entry::unnamed(&at, &item.name, dir, why));
                        continue;
                    }
                };
                let name = path.file_name();
                match item.node {
                    Node::Tree if PRUNED_DIRS.contains(&name) => {}
                    Node::Tree if depth + 1 > MAX_DEPTH => out.push(Entry {
                        path,
                        kind: EntryKind::Unlisted(format!(
                            "is nested {} directories deep, deeper than the {MAX_DEPTH} that \
                             agentlock (and git) lists",
                            depth + 1
                        )),
                    }),
                    Node::Tree => stack.push((item.id, path, depth + 1)),
                    Node::File => out.push(Entry {
                        path,
                        kind: EntryKind::File,
                    }),
                    Node::Link => match self.resolve(&path, false) {
                        Ok(_) => out.push(Entry {
                            path,
                            kind: EntryKind::File,
                        }),
                        Err(ReadError::SymlinkOutside) => out.push(Entry {
                            path,
                            kind: EntryKind::SymlinkOutside,
                        }),
                        Err(e) => {
                            if let Some(kind) = crate::snapshot::broken_link(&e) {
                                out.push(Entry { path, kind });
                            }
                        }
                    },
                    Node::Other => {}
                }
            }
        }
        Ok(())
    }

    /// Whether the snapshot holds a file (or a symlink to one) at `path`.
    pub fn contains(&self, path: &str) -> bool {
        RepoPath::parse(path)
            .ok()
            .is_some_and(|p| matches!(self.resolve(&p, false), Ok((_, Found::File(_)))))
    }

    /// Follows symlinks (at most 40), at any component of the path, to a file of the snapshot
    /// or (with `want_dir`) a directory; returns the resolved path and, for a file, its blob.
    /// A link whose target leaves the root is [`ReadError::SymlinkOutside`].
    fn resolve_flat(
        &self,
        files: &BTreeMap<String, (ObjectId, Stored)>,
        path: &RepoPath,
        want_dir: bool,
    ) -> Result<(RepoPath, Option<ObjectId>), ReadError> {
        let mut pending: Vec<String> = path.components().rev().map(str::to_string).collect();
        let mut resolved: Vec<String> = Vec::new();
        let mut hops = 0;
        while let Some(name) = pending.pop() {
            resolved.push(name);
            let here = resolved.join("/");
            match files.get(&here) {
                Some((_, Stored::Link)) => {
                    hops += 1;
                    if hops > 40 {
                        return Err(ReadError::Io("too many levels of symbolic links".into()));
                    }
                    let (id, _) = files[&here];
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
                Some((_, Stored::Conflict)) if pending.is_empty() && !want_dir => {
                    return Err(ReadError::Io(
                        "it has an unresolved merge conflict; resolve it and `git add` it".into(),
                    ));
                }
                Some((_, Stored::Conflict)) => return Err(ReadError::NotFound),
                None => {
                    // a directory exists when some file lies below it
                    let prefix = format!("{here}/");
                    let is_dir = files
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

    /// The paths of every file, for tests and for `rollback`. A revision is listed whole for
    /// it, within the limits of every listing: what a tree over them holds is not all there
    /// ([`GitSnapshot::contains`] asks about one path without listing anything).
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        let all: &[String] = match &self.files {
            Files::Index { files, .. } => {
                return Box::new(files.keys().map(String::as_str))
                    as Box<dyn Iterator<Item = &str>>;
            }
            Files::Tree { all, .. } => all.get_or_init(|| {
                let mut out = Vec::new();
                let mut budget = Budget::default();
                if let Ok((_, Found::Dir(Some(tree)))) = self.resolve(&RepoPath::root(), true) {
                    let _ = self.walk_tree(tree, &RepoPath::root(), &mut out, &mut budget);
                }
                out.into_iter()
                    .filter(|e| e.kind == EntryKind::File)
                    .map(|e| e.path.as_str().to_string())
                    .collect()
            }),
        };
        Box::new(all.iter().map(String::as_str))
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
        let mut budget = Budget::default();
        for start in dirs {
            // The directory as git stores it: a symlinked directory is listed under its own
            // name, with the files of its target.
            let (resolved, tree) = match self.resolve(start, true) {
                Ok((r, Found::Dir(tree))) => (r, tree),
                Ok((_, Found::File(_))) => continue,
                Err(ReadError::SymlinkOutside) => {
                    out.push(Entry {
                        path: start.clone(),
                        kind: EntryKind::SymlinkOutside,
                    });
                    continue;
                }
                Err(ReadError::Io(e)) => {
                    out.push(Entry {
                        path: start.clone(),
                        kind: EntryKind::Unlisted(format!("cannot be read from git ({e})")),
                    });
                    continue;
                }
                Err(_) => continue,
            };
            if let Some(tree) = tree {
                // Listed under `start` itself: below a symlinked directory, each path is
                // read through the link.
                self.walk_tree(tree, start, &mut out, &mut budget)?;
                continue;
            }
            let Files::Index { files, unnamed } = &self.files else {
                continue;
            };
            let shown_at = |path: &RepoPath| -> Option<RepoPath> {
                if path == &resolved || !path.starts_with(&resolved) {
                    return None;
                }
                let rest = &path.as_str()[resolved.as_str().len()..].trim_start_matches('/');
                if start.is_root() {
                    RepoPath::from_listing(rest)
                } else {
                    RepoPath::from_listing(&format!("{start}/{rest}"))
                }
            };
            for (path, (_, kind)) in files {
                let Some(path) = RepoPath::from_listing(path) else {
                    continue; // a name no checkout could hold
                };
                let Some(shown) = shown_at(&path) else {
                    continue;
                };
                if crate::snapshot::in_pruned_dir(shown.as_str()) {
                    continue;
                }
                let kind = match kind {
                    Stored::File | Stored::Conflict => EntryKind::File,
                    Stored::Link => match self.resolve(&shown, false) {
                        Ok(_) => EntryKind::File,
                        Err(ReadError::SymlinkOutside) => EntryKind::SymlinkOutside,
                        Err(e) => match crate::snapshot::broken_link(&e) {
                            Some(kind) => kind,
                            None => continue,
                        },
                    },
                };
                out.push(Entry { path: shown, kind });
            }
            for (dir, name, is_dir, why) in unnamed {
                let here = if dir.is_empty() {
                    Some(RepoPath::root())
                } else {
                    RepoPath::from_listing(dir)
                };
                let Some(here) = here else { continue };
                // The directory itself may be the start: it is shown as the start then.
                let shown = if here == resolved {
                    Some(start.clone())
                } else {
                    shown_at(&here)
                };
                let Some(shown) = shown else { continue };
                if crate::snapshot::in_pruned_dir(&format!("{shown}/x")) {
                    continue;
                }
                out.push(Entry {
                    path: shown,
                    kind: EntryKind::Unnamed {
                        name: name.clone(),
                        dir: *is_dir,
                        why: *why,
                    },
                });
            }
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    fn read(&self, path: &RepoPath, max_size: u64) -> Result<Vec<u8>, ReadError> {
        match self.resolve(path, false)? {
            (_, Found::File(id)) => self.blob(id, max_size),
            (_, Found::Dir(_)) => Err(ReadError::NotAFile("a directory")),
        }
    }
}

/// What one listing of a snapshot has used of its limits: entries visited and bytes of paths.
#[derive(Default)]
struct Budget {
    seen: usize,
    bytes: usize,
}

impl Budget {
    fn count(&mut self, path_bytes: usize) -> std::io::Result<()> {
        use crate::snapshot::{GIT_WALK_LIMIT, MAX_PATH_BYTES};
        self.seen += 1;
        self.bytes = self.bytes.saturating_add(path_bytes);
        if self.seen > GIT_WALK_LIMIT || self.bytes > MAX_PATH_BYTES {
            return Err(crate::snapshot::too_big("it", GIT_WALK_LIMIT, self.bytes));
        }
        Ok(())
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
