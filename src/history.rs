//! The releases of a repository and what each one pinned: what the history rules (PRM001,
//! TOOL007, DATA002, REL003), `diff` and `rollback` compare against.

use crate::finding::Meta;
use crate::git::{Commit, Git, GitError, Release, Releases};
use crate::load::config::ReleaseConfig;
use crate::lock::{Entry, Kind, LOCKFILE, Lock};
use crate::snapshot::DEFAULT_MAX_FILE_SIZE;
use crate::source::FileId;
use rayon::prelude::*;
use std::borrow::Cow;
use std::collections::HashMap;

/// What a release pinned.
#[derive(Clone, Debug)]
pub struct ReleaseLock {
    pub lock: Lock,
    /// The root digest that names the release: as recorded in its agentlock.lock, or computed
    /// from its tree when it has none.
    pub root: String,
    /// Whether `lock` was read from the release's agentlock.lock (else computed from its tree).
    pub recorded: bool,
    /// Each entry's position in `lock`, by key, per kind.
    index: HashMap<Kind, HashMap<String, usize>>,
}

impl ReleaseLock {
    fn new(lock: Lock, root: String, recorded: bool) -> Self {
        let mut index: HashMap<Kind, HashMap<String, usize>> = HashMap::new();
        for (i, e) in lock.entries.iter().enumerate() {
            index.entry(e.kind).or_default().insert(e.key.clone(), i);
        }
        ReleaseLock {
            lock,
            root,
            recorded,
            index,
        }
    }

    /// The entry of a kind with a key (`planner@1.3.0`, `github`).
    pub fn get(&self, kind: Kind, key: &str) -> Option<&Entry> {
        self.index
            .get(&kind)?
            .get(key)
            .map(|&i| &self.lock.entries[i])
    }
}

/// The lockfile text of the agentlock root at a commit, in the layout `agentlock lock` writes:
/// its agentlock.lock as committed, or (when it has none, or one that does not parse) the lock
/// computed from the files at the commit. `None` when the commit has no agentlock.toml (a
/// release from before agentlock was adopted). `lockfile` is the blob of its agentlock.lock,
/// if it has one.
fn release_text(
    git: &Git,
    commit: Commit,
    name: &str,
    lockfile: Option<gix::ObjectId>,
    catalog: &[&'static Meta],
    budget: &crate::snapshot::ReadBudget,
) -> Result<Option<String>, GitError> {
    if let Some(id) = lockfile
        && let Ok(text) = String::from_utf8(git.read_blob(id, LOCKFILE, DEFAULT_MAX_FILE_SIZE)?)
    {
        if Lock::is_written(&text) {
            return Ok(Some(text));
        }
        if let Ok((lock, _)) = Lock::parse(&text, FileId(0)) {
            return Ok(Some(lock.to_toml()));
        }
    }
    let snapshot = git.tree(commit, name)?;
    Ok(crate::load::load_within(&snapshot, budget)
        .ok()
        .map(|model| Lock::from_model(&model, catalog).to_toml()))
}

/// What a release pinned: its committed lockfile, or the lock computed from its tree. `None`
/// when the commit has no agentlock.toml.
pub fn release_lock(
    git: &Git,
    commit: Commit,
    name: &str,
    catalog: &[&'static Meta],
) -> Result<Option<ReleaseLock>, GitError> {
    // A committed lockfile names the release with the root it records.
    if let Some(bytes) = git.read_at(commit, LOCKFILE, DEFAULT_MAX_FILE_SIZE)?
        && let Ok(text) = String::from_utf8(bytes)
        && let Some((lock, root)) =
            Lock::parse_written(&text).or_else(|| Lock::parse(&text, FileId(0)).ok())
    {
        let root = root.unwrap_or_else(|| lock.root());
        return Ok(Some(ReleaseLock::new(lock, root, true)));
    }
    let snapshot = git.tree(commit, name)?;
    Ok(crate::load::load(&snapshot).ok().map(|model| {
        let lock = Lock::from_model(&model, catalog);
        let root = lock.root();
        ReleaseLock::new(lock, root, false)
    }))
}

/// Where a prompt version was released: the content and the oldest release that holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Released {
    pub sha256: String,
    /// An index into [`Releases::all`].
    pub release: usize,
}

/// The releases seen from one head: what the history rules compare with.
#[derive(Debug)]
pub struct History {
    pub releases: Releases,
    /// The lock of the last release (TOOL007, DATA002).
    pub last: Option<ReleaseLock>,
    /// Every prompt version any release holds, by name then version, with each distinct
    /// content, oldest release first (PRM001).
    prompts: HashMap<String, HashMap<String, Vec<Released>>>,
    /// The root digest each release's lock names, with the oldest release tag that names it
    /// (TRACE009: which release produced a trace).
    roots: HashMap<String, String>,
}

/// How many release lockfiles are read at once: each is decompressed in parallel, then
/// merged; a thousand releases never sit in memory together.
const CHUNK: usize = 16;

impl History {
    /// Reads every release: the last one's whole lock, and every prompt version of all of them.
    pub fn load(
        git: &Git,
        config: &ReleaseConfig,
        head: Option<Commit>,
        catalog: &[&'static Meta],
    ) -> Result<History, GitError> {
        let releases = git.releases(config, head)?;
        let last = match releases.last() {
            Some(r) => release_lock(git, r.commit, &r.tag, catalog)?,
            None => None,
        };
        let mut prompts: HashMap<String, HashMap<String, Vec<Released>>> = HashMap::new();
        let mut roots = HashMap::new();
        // The release trees without a lockfile are loaded to compute theirs: all of them
        // together read at most what one run may (a thousand such tags cannot read a thousand
        // budgets), apart from the run's own, which the candidate and its evidence need.
        let trees = crate::snapshot::ReadBudget::new(crate::snapshot::MAX_TOTAL_READ);
        // Oldest first, so the first content recorded for a version is the original. Releases
        // on one commit, or whose lockfiles are the same blob, are read once: a later one adds
        // nothing the first did not.
        let mut seen_commits = std::collections::HashSet::new();
        let mut seen_blobs = std::collections::HashSet::new();
        let order: Vec<(usize, Option<gix::ObjectId>)> = (0..releases.all.len())
            .rev()
            .filter_map(|i| {
                let commit = releases.all[i].commit;
                if !seen_commits.insert(commit) {
                    return None;
                }
                // A commit whose tree cannot be read contributes nothing.
                let lockfile = git.blob_at(commit, LOCKFILE).ok()?;
                match lockfile {
                    Some(blob) if !seen_blobs.insert(blob) => None,
                    _ => Some((i, lockfile)),
                }
            })
            .collect();
        for chunk in order.chunks(CHUNK) {
            let texts: Vec<(usize, Option<String>)> = chunk
                .par_iter()
                .map(|&(i, lockfile)| {
                    let r = &releases.all[i];
                    (
                        i,
                        release_text(git, r.commit, &r.tag, lockfile, catalog, &trees)
                            .ok()
                            .flatten(),
                    )
                })
                .collect();
            for (i, text) in texts {
                if let Some(text) = text {
                    merge_prompts(&text, i, &mut prompts);
                    if let Some(root) = written_root(&text) {
                        roots
                            .entry(root.to_string())
                            .or_insert_with(|| releases.all[i].tag.clone());
                    }
                }
            }
        }
        Ok(History {
            releases,
            last,
            prompts,
            roots,
        })
    }

    /// The last release (the newest reachable from the head) and its lock.
    pub fn last(&self) -> Option<(&Release, Option<&ReleaseLock>)> {
        self.releases.last().map(|r| (r, self.last.as_ref()))
    }

    /// The oldest release tag whose lock has this root digest.
    pub fn release_of_root(&self, root: &str) -> Option<&str> {
        self.roots.get(root).map(String::as_str)
    }

    /// Each distinct content a release holds for `name@version`, oldest first.
    pub fn released_prompt(&self, name: &str, version: &str) -> &[Released] {
        self.prompts
            .get(name)
            .and_then(|v| v.get(version))
            .map_or(&[], Vec::as_slice)
    }
}

/// The `root = "sha256:…"` a lockfile in the written layout names (its third line).
fn written_root(text: &str) -> Option<&str> {
    text.lines()
        .nth(2)?
        .strip_prefix("root = \"")?
        .strip_suffix('"')
}

/// Adds the `[[prompt]]` entries of a lockfile in the written layout, without building the
/// lock: the strings are borrowed from the text and copied only for a version not seen yet.
fn merge_prompts(
    text: &str,
    release: usize,
    into: &mut HashMap<String, HashMap<String, Vec<Released>>>,
) {
    /// The fields of the `[[prompt]]` entry being read.
    #[derive(Default)]
    struct Pending<'a> {
        name: Option<Cow<'a, str>>,
        version: Option<Cow<'a, str>>,
        sha: Option<Cow<'a, str>>,
    }
    let mut flush = |p: Pending| {
        let (Some(n), Some(v), Some(s)) = (p.name, p.version, p.sha) else {
            return;
        };
        let versions = match into.get_mut(n.as_ref()) {
            Some(m) => m,
            None => into.entry(n.into_owned()).or_default(),
        };
        let shas = match versions.get_mut(v.as_ref()) {
            Some(list) => list,
            None => versions.entry(v.into_owned()).or_default(),
        };
        if !shas.iter().any(|r| r.sha256 == s.as_ref()) {
            shas.push(Released {
                sha256: s.into_owned(),
                release,
            });
        }
    };
    let mut in_prompt = false;
    let mut pending = Pending::default();
    for line in text.lines() {
        if line.starts_with('[') {
            flush(std::mem::take(&mut pending));
            in_prompt = line == "[[prompt]]";
            continue;
        }
        if !in_prompt {
            continue;
        }
        let Some((key, value)) = line.split_once(" = ") else {
            continue;
        };
        let slot = match key {
            "name" => &mut pending.name,
            "version" => &mut pending.version,
            "sha256" => &mut pending.sha,
            _ => continue,
        };
        *slot = crate::lock::read_str_borrowed(value);
    }
    flush(pending);
}
