//! The working tree: the one place agentlock touches the filesystem of the repository.
//!
//! Every read and write starts from a handle on the repository root and walks one component at
//! a time, never letting the operating system follow a symlink (`O_NOFOLLOW` on every step).
//! A symlink is followed by [`follow_link`], which resolves its target lexically inside the
//! repository and refuses one that leaves it, at any depth. So no configured path, glob or
//! planted link can make agentlock read or write a file outside the repository, and a link
//! swapped in while agentlock runs is not followed either: there is no path string handed to the
//! kernel that it could resolve differently.
//!
//! Writes create a temporary file with `O_CREAT | O_EXCL | O_NOFOLLOW` in the target's own
//! directory (so a planted file or link of that name is never opened), then rename it over the
//! target (which replaces a symlink there rather than writing through it). A temporary file a
//! killed run left behind is removed by the next write of the same file.

use super::path::{RepoPath, follow_link};
use super::{Entry, EntryKind, MAX_DEPTH, MAX_PATH_BYTES, PRUNED_DIRS, ReadError, Snapshot};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// How many symlinks one path may pass through.
const MAX_HOPS: usize = 40;

/// How many directories a working tree keeps open for reads (each is one file descriptor).
const MAX_OPEN_DIRS: usize = 256;

/// A listing keeps open the directories of the deepest this many levels it is inside of, and
/// every [`CHECKPOINT`]th level above them; one it closed is opened again, from the nearest
/// open one above it, when its next subdirectory is entered. So a listing holds a few dozen file
/// descriptors however deep the tree, and never runs out of them (a tree deeper than the limit
/// on open files was not listed at all).
const KEEP_OPEN: usize = 16;
const CHECKPOINT: usize = 64;

/// The working tree of a repository on disk.
pub struct Worktree {
    root: PathBuf,
    canonical_root: PathBuf,
    dir: std::sync::Arc<sys::Dir>,
    /// Most entries a listing may visit before it gives up (`None`: no limit).
    walk_limit: Option<usize>,
    /// How deep a listing descends ([`MAX_DEPTH`]).
    max_depth: usize,
    /// Directories already reached from the root through real directories only (no symlink
    /// on the way), by their repository path: a read of `prompts/a.prompt` then opens the file
    /// in `prompts` without walking from the root again. The descriptor is the directory that
    /// was checked, so a component swapped for a symlink later changes nothing. Emptied by
    /// every write.
    dirs: std::sync::Mutex<std::collections::HashMap<String, std::sync::Arc<sys::Dir>>>,
}

/// A directory's entries with what each is; a name that is not UTF-8 as its bytes.
type Listed = Vec<(Result<String, Vec<u8>>, Kind)>;

/// What a path is, seen without following a symlink.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    File,
    Dir,
    Link,
    /// A FIFO, socket or device: never opened.
    Special(&'static str),
}

impl Worktree {
    pub fn new(root: impl Into<PathBuf>) -> io::Result<Self> {
        let root = root.into();
        let canonical_root = root.canonicalize()?;
        let dir = sys::open_root(&canonical_root)?;
        Ok(Worktree {
            root,
            canonical_root,
            dir: std::sync::Arc::new(dir),
            walk_limit: None,
            max_depth: MAX_DEPTH,
            dirs: Default::default(),
        })
    }

    /// Stops a listing after `limit` entries, with an error: for a directory that is not a
    /// repository, which may be a whole filesystem.
    pub fn with_walk_limit(mut self, limit: usize) -> Self {
        self.walk_limit = Some(limit);
        self
    }

    /// Lists directories only down to `depth` levels below the root (else [`MAX_DEPTH`]);
    /// deeper ones are [`EntryKind::Unlisted`]. For tests.
    pub fn with_max_depth(mut self, depth: usize) -> Self {
        self.max_depth = depth;
        self
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The root as the operating system resolves it (symlinks and `..` removed).
    pub fn canonical_root(&self) -> &Path {
        &self.canonical_root
    }

    /// Opens what `path` names, following symlinks only inside the repository. `want_dir` says
    /// which the caller needs; the other is an error.
    fn open(&self, path: &RepoPath, want_dir: bool) -> Result<Opened, ReadError> {
        use std::sync::Arc;
        let roots = [self.root.as_path(), self.canonical_root.as_path()];
        let mut pending: Vec<String> = path.components().rev().map(str::to_string).collect();
        let mut resolved: Vec<String> = Vec::new();
        let mut dir = Arc::clone(&self.dir);
        // Start from the deepest directory of the path already reached (the parent, usually).
        if pending.len() > 1 {
            let parent = pending[1..]
                .iter()
                .rev()
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join("/");
            if let Some(d) = self.cached(&parent) {
                dir = d;
                resolved = pending.drain(1..).rev().collect();
            }
        }
        // The last component in a directory already reached, opened at once: with O_NOFOLLOW a
        // symlink does not open, and anything but a regular file (a link, a directory, a FIFO)
        // takes the walk below, which says what it is. One system call fewer per file.
        #[cfg(unix)]
        if !want_dir
            && let [name] = pending.as_slice()
            && let Ok(file) = sys::open_file(&dir, name)
            && let Ok(meta) = file.metadata()
            && meta.is_file()
        {
            return Ok(Opened::File(file, Some(meta)));
        }
        let mut hops = 0;
        while let Some(name) = pending.pop() {
            let last = pending.is_empty();
            match sys::kind(&dir, &name) {
                Err(e) if is_not_found(&e) => return Err(ReadError::NotFound),
                Err(e) => return Err(io_error(e)),
                Ok(Kind::Link) => {
                    hops += 1;
                    if hops > MAX_HOPS {
                        return Err(ReadError::Io("too many levels of symbolic links".into()));
                    }
                    let target = sys::read_link(&dir, &name).map_err(io_error)?;
                    let Some(next) = follow_link(&resolved, &target, &roots) else {
                        return Err(ReadError::SymlinkOutside);
                    };
                    pending.extend(next.into_iter().rev());
                    resolved.clear();
                    dir = Arc::clone(&self.dir);
                }
                Ok(Kind::Dir) if last && !want_dir => {
                    return Err(ReadError::NotAFile("a directory"));
                }
                Ok(Kind::Dir) => {
                    dir = Arc::new(sys::open_dir(&dir, &name).map_err(io_error)?);
                    resolved.push(name);
                    // Only the directory the path ends in or the one holding its last name: the
                    // next read is most likely beside this one, and a deep path does not fill
                    // the cache (each entry is a file descriptor) with the levels above it.
                    if hops == 0 && pending.len() <= 1 {
                        self.remember(resolved.join("/"), &dir);
                    }
                }
                Ok(Kind::File) if last && !want_dir => {
                    let file = sys::open_file(&dir, &name).map_err(io_error)?;
                    return Ok(Opened::File(file, None));
                }
                // a file where a directory is needed: nothing is there
                Ok(Kind::File) if !last => return Err(ReadError::NotFound),
                Ok(Kind::File) => return Err(ReadError::NotAFile("a file")),
                Ok(Kind::Special(what)) => return Err(ReadError::NotAFile(what)),
            }
        }
        if want_dir {
            Ok(Opened::Dir(dir))
        } else {
            Err(ReadError::NotAFile("a directory"))
        }
    }

    /// A directory reached before from the root through real directories only.
    fn cached(&self, path: &str) -> Option<std::sync::Arc<sys::Dir>> {
        let dirs = self.dirs.lock().unwrap_or_else(|e| e.into_inner());
        dirs.get(path).cloned()
    }

    fn remember(&self, path: String, dir: &std::sync::Arc<sys::Dir>) {
        let mut dirs = self.dirs.lock().unwrap_or_else(|e| e.into_inner());
        if dirs.len() < MAX_OPEN_DIRS {
            dirs.entry(path)
                .or_insert_with(|| std::sync::Arc::clone(dir));
        }
    }

    /// Forgets the directories kept open: a write may have removed or replaced one.
    fn forget_dirs(&self) {
        self.dirs.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// The directory `path` names, for writing into: every component must be a real
    /// directory (a symlink is refused, not followed), and missing ones are created when
    /// `create` is set.
    fn write_dir(&self, path: &RepoPath, create: bool) -> io::Result<sys::Dir> {
        self.forget_dirs();
        let mut dir = self.dir.try_clone()?;
        let mut at = RepoPath::root();
        for name in path.components() {
            at = at.join(name).ok_or_else(|| invalid(path))?;
            match sys::kind(&dir, name) {
                Ok(Kind::Dir) => {}
                Ok(Kind::Link) => {
                    return Err(io::Error::other(format!(
                        "refusing to write through the symlink {at}"
                    )));
                }
                Ok(_) => {
                    return Err(io::Error::other(format!("{at} is not a directory")));
                }
                Err(e) if is_not_found(&e) && create => sys::mkdir(&dir, name)?,
                Err(e) => return Err(e),
            }
            dir = sys::open_dir(&dir, name)?;
        }
        Ok(dir)
    }

    /// Whether `path` (as the user named it, relative to the current directory) resolves,
    /// symlinks followed, to a place inside the repository: the longest part of it that exists
    /// (a directory `init` is to create may not yet). A path that cannot be resolved at all is
    /// taken as inside: opening it says why it cannot be.
    pub fn resolves_inside(&self, path: &Path) -> bool {
        let mut existing = path.to_path_buf();
        loop {
            if let Ok(real) = std::fs::canonicalize(&existing) {
                return real.starts_with(self.canonical_root());
            }
            if !existing.pop() || existing.as_os_str().is_empty() {
                return true;
            }
        }
    }

    /// Whether `path` could be written without passing through a symlink or a file: every
    /// directory above it that exists is a real directory. Nothing is created.
    pub fn writable(&self, path: &RepoPath) -> io::Result<()> {
        let parent = path.parent().ok_or_else(|| invalid(path))?;
        let mut dir = self.dir.try_clone()?;
        let mut at = RepoPath::root();
        for name in parent.components() {
            at = at.join(name).ok_or_else(|| invalid(path))?;
            match sys::kind(&dir, name) {
                Ok(Kind::Dir) => dir = sys::open_dir(&dir, name)?,
                Ok(Kind::Link) => {
                    return Err(io::Error::other(format!(
                        "refusing to write through the symlink {at}"
                    )));
                }
                Ok(_) => return Err(io::Error::other(format!("{at} is not a directory"))),
                Err(e) if is_not_found(&e) => return Ok(()),
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Writes `bytes` to `path` atomically: a new temporary file beside it, then a rename over
    /// it. Never writes through a symlink, at the file or any directory above it; with
    /// `create_dirs`, creates missing directories.
    pub fn write_atomic(&self, path: &RepoPath, bytes: &[u8], create_dirs: bool) -> io::Result<()> {
        refuse_credentials(bytes)?;
        let parent = path.parent().ok_or_else(|| invalid(path))?;
        let name = path.file_name();
        let dir = self.write_dir(&parent, create_dirs)?;
        remove_stale_temporaries(&dir, name);
        let pid = std::process::id();
        let mut attempt = 0u32;
        let (tmp, mut file) = loop {
            let tmp = format!(".{name}.{pid}.{attempt}.tmp");
            match sys::create_new(&dir, &tmp) {
                Ok(f) => break (tmp, f),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 1000 => {
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        };
        let result = file
            .write_all(bytes)
            .and_then(|()| file.sync_all())
            .and_then(|()| sys::rename(&dir, &tmp, name));
        if result.is_err() {
            let _ = sys::unlink(&dir, &tmp);
        }
        result
    }

    /// Creates `path` with `bytes`; fails if anything (a file, a link) is there already.
    pub fn create_new(&self, path: &RepoPath, bytes: &[u8]) -> io::Result<()> {
        refuse_credentials(bytes)?;
        let parent = path.parent().ok_or_else(|| invalid(path))?;
        let dir = self.write_dir(&parent, true)?;
        let mut file = sys::create_new(&dir, path.file_name())?;
        file.write_all(bytes)?;
        file.sync_all()
    }

    /// Removes the file (or the symlink itself) at `path`, in a directory reached without
    /// following a symlink. A path that is not there is not an error.
    pub fn remove(&self, path: &RepoPath) -> io::Result<()> {
        let parent = path.parent().ok_or_else(|| invalid(path))?;
        let dir = match self.write_dir(&parent, false) {
            Ok(d) => d,
            Err(e) if is_not_found(&e) => return Ok(()),
            Err(e) => return Err(e),
        };
        match sys::unlink(&dir, path.file_name()) {
            Err(e) if is_not_found(&e) => Ok(()),
            other => other,
        }
    }

    /// What `path` is without following a symlink at its end (directories above it may be
    /// links inside the repository); `None` when nothing is there.
    pub fn kind_of(&self, path: &RepoPath) -> Result<Option<Kind>, ReadError> {
        let Some(parent) = path.parent() else {
            return Ok(Some(Kind::Dir));
        };
        let dir = match self.open(&parent, true) {
            Ok(Opened::Dir(d)) => d,
            Ok(Opened::File(..)) => return Ok(None),
            Err(ReadError::NotFound | ReadError::NotAFile(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        match sys::kind(&dir, path.file_name()) {
            Ok(k) => Ok(Some(k)),
            Err(e) if is_not_found(&e) => Ok(None),
            Err(e) => Err(io_error(e)),
        }
    }

    /// Lists the tree below `start` (the directory `at`) into `out`, depth first, with a stack
    /// of its own rather than the program's, holding only a few directories open ([`KEEP_OPEN`]).
    /// A directory that cannot be opened or read, or is deeper than the depth limit, is an
    /// [`EntryKind::Unlisted`] entry, a name no path can hold an [`EntryKind::Unnamed`] one:
    /// nothing is skipped without a word.
    fn walk(
        &self,
        start: sys::Dir,
        at: &RepoPath,
        out: &mut Vec<Entry>,
        budget: &mut Budget,
    ) -> io::Result<()> {
        let mut stack: Vec<Frame> = Vec::new();
        let depth = at.components().count();
        if let Some(frame) = self.enter(start, at.clone(), depth, out, budget)? {
            stack.push(frame);
        }
        while let Some(top) = stack.last_mut() {
            let Some(name) = top.subdirs.pop() else {
                stack.pop();
                continue;
            };
            let Some(path) = top.path.join(&name) else {
                continue;
            };
            let depth = top.depth + 1;
            if depth > self.max_depth {
                out.push(Entry {
                    path,
                    kind: EntryKind::Unlisted(format!(
                        "is nested {depth} directories deep, deeper than the {} that agentlock \
                         (and git) lists",
                        self.max_depth
                    )),
                });
                continue;
            }
            let top = stack.len() - 1;
            let opened = reopen(&mut stack, top).and_then(|parent| sys::open_dir(parent, &name));
            let child = match opened {
                Ok(c) => c,
                Err(e) => {
                    out.push(unlisted(path, "cannot be opened", &e));
                    continue;
                }
            };
            // A directory tagged as a cache (CACHEDIR.TAG: cargo's target/, …).
            if matches!(sys::kind(&child, "CACHEDIR.TAG"), Ok(Kind::File)) {
                continue;
            }
            if let Some(frame) = self.enter(child, path, depth, out, budget)? {
                stack.push(frame);
                let n = stack.len();
                if n > KEEP_OPEN && !(n - 1 - KEEP_OPEN).is_multiple_of(CHECKPOINT) {
                    stack[n - 1 - KEEP_OPEN].dir = None;
                }
            }
        }
        Ok(())
    }

    /// Lists one directory: its files into `out`, its subdirectories into the frame returned
    /// (none when it has no subdirectory to enter; the directory is closed then).
    fn enter(
        &self,
        dir: sys::Dir,
        path: RepoPath,
        depth: usize,
        out: &mut Vec<Entry>,
        budget: &mut Budget,
    ) -> io::Result<Option<Frame>> {
        let entries = match sys::read_dir(&dir) {
            Ok(e) => e,
            Err(e) => {
                out.push(unlisted(path, "cannot be listed", &e));
                return Ok(None);
            }
        };
        let mut subdirs = Vec::new();
        for (name, kind) in entries {
            let bytes = match &name {
                Ok(n) => n.as_bytes(),
                Err(b) => b.as_slice(),
            };
            // git's own directory (a submodule's `.git` file too) is no file of the repository.
            if bytes == b".git" {
                continue;
            }
            let child = match path.child_listed(bytes) {
                Ok(child) => child,
                Err(why) => {
                    budget.count(path.as_str().len() + bytes.len())?;
                    out.push(Entry::unnamed(&path, bytes, kind == Kind::Dir, why));
                    continue;
                }
            };
            budget.count(child.as_str().len())?;
            match kind {
                Kind::Dir => {
                    if !PRUNED_DIRS.contains(&child.file_name()) {
                        subdirs.push(child.file_name().to_string());
                    }
                }
                Kind::File => out.push(Entry {
                    path: child,
                    kind: EntryKind::File,
                }),
                Kind::Link => match self.open(&child, false) {
                    Ok(_) => out.push(Entry {
                        path: child,
                        kind: EntryKind::File,
                    }),
                    Err(ReadError::SymlinkOutside) => out.push(Entry {
                        path: child,
                        kind: EntryKind::SymlinkOutside,
                    }),
                    // a link to a directory inside is not descended (no loops); a dangling
                    // or looping link is said
                    Err(e) => {
                        if let Some(kind) = super::broken_link(&e) {
                            out.push(Entry { path: child, kind });
                        }
                    }
                },
                Kind::Special(what) => out.push(Entry {
                    path: child,
                    kind: EntryKind::NotAFile(what),
                }),
            }
        }
        if subdirs.is_empty() {
            return Ok(None);
        }
        subdirs.reverse();
        Ok(Some(Frame {
            path,
            depth,
            dir: Some(dir),
            subdirs,
        }))
    }
}

/// A directory of a listing whose subdirectories are still being entered.
struct Frame {
    path: RepoPath,
    /// Directories below the repository root.
    depth: usize,
    /// The directory, while it is kept open.
    dir: Option<sys::Dir>,
    /// Subdirectories not entered yet, the next one last.
    subdirs: Vec<String>,
}

/// The directory of `stack[i]`, opened again if it was closed: from the nearest directory above
/// it still open (the first is never closed), one real directory at a time (`O_NOFOLLOW`, as it
/// was opened the first time).
fn reopen(stack: &mut [Frame], i: usize) -> io::Result<&sys::Dir> {
    if stack[i].dir.is_none() {
        let from = (0..i).rev().find(|&j| stack[j].dir.is_some());
        let Some(from) = from else {
            return Err(io::Error::other("the directory above it was closed"));
        };
        let mut dir: Option<sys::Dir> = None;
        for k in from + 1..=i {
            let parent = dir.as_ref().or(stack[from].dir.as_ref());
            let parent = parent.ok_or_else(|| io::Error::other("closed"))?;
            dir = Some(sys::open_dir(parent, stack[k].path.file_name())?);
        }
        stack[i].dir = dir;
    }
    stack[i]
        .dir
        .as_ref()
        .ok_or_else(|| io::Error::other("the directory could not be opened again"))
}

/// An [`EntryKind::Unlisted`] entry for the directory `path`, saying what failed.
fn unlisted(path: RepoPath, what: &str, e: &io::Error) -> Entry {
    let why = describe_io(e);
    Entry {
        path,
        kind: EntryKind::Unlisted(format!("{what}: {why}")),
    }
}

/// An error as a phrase: `too many open files`, without the `(os error 24)`.
fn describe_io(e: &io::Error) -> String {
    let text = e.to_string();
    let text = match text.rfind(" (os error ") {
        Some(i) if text.ends_with(')') => text[..i].to_string(),
        _ => text,
    };
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => text,
    }
}

/// What one listing has used of its limits.
struct Budget {
    seen: usize,
    bytes: usize,
    limit: Option<usize>,
}

impl Budget {
    fn count(&mut self, path_bytes: usize) -> io::Result<()> {
        self.seen += 1;
        self.bytes = self.bytes.saturating_add(path_bytes);
        if let Some(limit) = self.limit
            && self.seen > limit
        {
            return Err(io::Error::other(format!(
                "it holds more than {limit} files and is not a git repository"
            )));
        }
        if self.bytes > MAX_PATH_BYTES {
            return Err(super::too_big("it", self.seen, self.bytes));
        }
        Ok(())
    }
}

enum Opened {
    /// A file, and what `fstat` said of it when it is already known to be regular.
    File(std::fs::File, Option<std::fs::Metadata>),
    Dir(std::sync::Arc<sys::Dir>),
}

/// Every write goes through here: no file agentlock writes (a lockfile, an evidence copy or
/// index, a schema, a file `rollback --apply` restores) holds a credential found in the files
/// this run read, whichever command built its bytes.
fn refuse_credentials(bytes: &[u8]) -> io::Result<()> {
    if crate::known::holds(bytes) {
        return Err(io::Error::other(
            "it would hold a credential found in the files this run read (`agentlock scan` \
             says where); nothing was written",
        ));
    }
    Ok(())
}

fn invalid(path: &RepoPath) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("`{path}` is not a file path"),
    )
}

fn is_not_found(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::NotFound || e.raw_os_error() == Some(sys::ENOTDIR)
}

fn io_error(e: io::Error) -> ReadError {
    ReadError::Io(e.to_string())
}

/// Removes `.NAME.PID.N.tmp` (and the older `.NAME.PID.tmp`) files in `dir` that a process
/// no longer running left behind. A live process's temporary file is left alone.
fn remove_stale_temporaries(dir: &sys::Dir, name: &str) {
    let Ok(entries) = sys::read_dir(dir) else {
        return;
    };
    let prefix = format!(".{name}.");
    for (entry, kind) in entries {
        let Ok(entry) = entry else { continue };
        let Some(rest) = entry
            .strip_prefix(&prefix)
            .and_then(|r| r.strip_suffix(".tmp"))
        else {
            continue;
        };
        let pid = rest.split('.').next().and_then(|p| p.parse::<u32>().ok());
        let shape = rest.split('.').count() <= 2
            && rest
                .split('.')
                .all(|p| p.bytes().all(|b| b.is_ascii_digit()));
        if let Some(pid) = pid
            && shape
            && matches!(kind, Kind::File | Kind::Link)
            && !sys::process_alive(pid)
        {
            let _ = sys::unlink(dir, &entry);
        }
    }
}

impl Snapshot for Worktree {
    fn describe(&self) -> String {
        "working tree".to_string()
    }

    fn list(&self, dirs: &[RepoPath]) -> io::Result<Vec<Entry>> {
        let mut out = Vec::new();
        let mut budget = Budget {
            seen: 0,
            bytes: 0,
            limit: self.walk_limit,
        };
        for start in dirs {
            match self.open(start, true) {
                // The walk's own handle: the one `open` returned may be kept for reads.
                Ok(Opened::Dir(dir)) => match dir.try_clone() {
                    Ok(dir) => self.walk(dir, start, &mut out, &mut budget)?,
                    Err(e) => out.push(unlisted(start.clone(), "cannot be opened", &e)),
                },
                Ok(Opened::File(..)) => {}
                Err(ReadError::SymlinkOutside) => out.push(Entry {
                    path: start.clone(),
                    kind: EntryKind::SymlinkOutside,
                }),
                // missing, or not a directory: nothing below it
                Err(ReadError::NotFound | ReadError::NotAFile(_)) => {}
                Err(e) => out.push(Entry {
                    path: start.clone(),
                    kind: EntryKind::Unlisted(format!(
                        "cannot be opened: {}",
                        match e {
                            ReadError::Io(e) => e,
                            e => e.to_string(),
                        }
                    )),
                }),
            }
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    fn read(&self, path: &RepoPath, max_size: u64) -> Result<Vec<u8>, ReadError> {
        let (file, meta) = match self.open(path, false)? {
            Opened::File(f, Some(meta)) => (f, meta),
            Opened::File(f, None) => {
                let meta = f.metadata().map_err(io_error)?;
                (f, meta)
            }
            Opened::Dir(_) => return Err(ReadError::NotAFile("a directory")),
        };
        if !meta.is_file() {
            return Err(ReadError::NotAFile("not a regular file"));
        }
        if meta.len() > max_size {
            return Err(ReadError::TooLarge {
                size: meta.len(),
                limit: max_size,
            });
        }
        // The file as large as it was when its size was read, so never past the limit: one
        // that grows meanwhile is read as it was (as if read a moment before), and the read
        // ends without asking the system for more (a system call a file fewer: 10,000 on the
        // large benchmark).
        let mut bytes = Vec::with_capacity(meta.len() as usize);
        file.take(meta.len())
            .read_to_end(&mut bytes)
            .map_err(io_error)?;
        Ok(bytes)
    }
}

/// The system calls, relative to an open directory, never following a symlink.
#[cfg(unix)]
mod sys {
    use super::Kind;
    use rustix::fs::{AtFlags, FileType, Mode, OFlags};
    use std::io;
    use std::os::fd::OwnedFd;

    pub const ENOTDIR: i32 = rustix::io::Errno::NOTDIR.raw_os_error();

    pub struct Dir(OwnedFd);

    impl Dir {
        pub fn try_clone(&self) -> io::Result<Dir> {
            Ok(Dir(self.0.try_clone()?))
        }
    }

    fn kind_of(t: FileType) -> Kind {
        match t {
            FileType::RegularFile => Kind::File,
            FileType::Directory => Kind::Dir,
            FileType::Symlink => Kind::Link,
            FileType::Fifo => Kind::Special("a FIFO"),
            FileType::Socket => Kind::Special("a socket"),
            FileType::CharacterDevice | FileType::BlockDevice => Kind::Special("a device"),
            _ => Kind::Special("not a regular file"),
        }
    }

    pub fn open_root(path: &std::path::Path) -> io::Result<Dir> {
        let fd = rustix::fs::open(
            path,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        Ok(Dir(fd))
    }

    pub fn kind(dir: &Dir, name: &str) -> io::Result<Kind> {
        let st = rustix::fs::statat(&dir.0, name, AtFlags::SYMLINK_NOFOLLOW)?;
        Ok(kind_of(FileType::from_raw_mode(st.st_mode)))
    }

    pub fn open_dir(dir: &Dir, name: &str) -> io::Result<Dir> {
        let fd = rustix::fs::openat(
            &dir.0,
            name,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        Ok(Dir(fd))
    }

    pub fn open_file(dir: &Dir, name: &str) -> io::Result<std::fs::File> {
        // NONBLOCK: a FIFO swapped in after the check above cannot hang the open.
        let fd = rustix::fs::openat(
            &dir.0,
            name,
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK,
            Mode::empty(),
        )?;
        Ok(std::fs::File::from(fd))
    }

    pub fn read_link(dir: &Dir, name: &str) -> io::Result<String> {
        let target = rustix::fs::readlinkat(&dir.0, name, Vec::new())?;
        target
            .into_string()
            .map_err(|_| io::Error::other("a symlink whose target is not UTF-8"))
    }

    /// The entries of a directory, sorted by name, with what each is. A name that is not
    /// UTF-8 (no repository path can name it) is given as its bytes.
    pub fn read_dir(dir: &Dir) -> io::Result<super::Listed> {
        let mut out = Vec::new();
        for entry in rustix::fs::Dir::read_from(&dir.0)? {
            let entry = entry?;
            let bytes = entry.file_name().to_bytes();
            if bytes == b"." || bytes == b".." {
                continue;
            }
            let kind = match entry.file_type() {
                FileType::Unknown => {
                    match rustix::fs::statat(&dir.0, entry.file_name(), AtFlags::SYMLINK_NOFOLLOW) {
                        Ok(st) => kind_of(FileType::from_raw_mode(st.st_mode)),
                        Err(_) => continue, // removed since it was listed
                    }
                }
                t => kind_of(t),
            };
            let name = std::str::from_utf8(bytes)
                .map(str::to_string)
                .map_err(|_| bytes.to_vec());
            out.push((name, kind));
        }
        out.sort();
        Ok(out)
    }

    pub fn create_new(dir: &Dir, name: &str) -> io::Result<std::fs::File> {
        let fd = rustix::fs::openat(
            &dir.0,
            name,
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o644),
        )?;
        Ok(std::fs::File::from(fd))
    }

    pub fn rename(dir: &Dir, from: &str, to: &str) -> io::Result<()> {
        Ok(rustix::fs::renameat(&dir.0, from, &dir.0, to)?)
    }

    pub fn unlink(dir: &Dir, name: &str) -> io::Result<()> {
        Ok(rustix::fs::unlinkat(&dir.0, name, AtFlags::empty())?)
    }

    pub fn mkdir(dir: &Dir, name: &str) -> io::Result<()> {
        Ok(rustix::fs::mkdirat(
            &dir.0,
            name,
            Mode::from_raw_mode(0o755),
        )?)
    }

    pub fn process_alive(pid: u32) -> bool {
        let Some(pid) = i32::try_from(pid)
            .ok()
            .and_then(rustix::process::Pid::from_raw)
        else {
            return false;
        };
        // EPERM: it exists, owned by someone else.
        !matches!(
            rustix::process::test_kill_process(pid),
            Err(rustix::io::Errno::SRCH)
        )
    }
}

/// Elsewhere: the same operations on paths, checking each component with `symlink_metadata`
/// before using it. Without `*at` calls this cannot rule out a link swapped in while agentlock
/// runs, only the links the repository holds.
#[cfg(not(unix))]
mod sys {
    use super::Kind;
    use std::io;
    use std::path::PathBuf;

    pub const ENOTDIR: i32 = 267; // ERROR_DIRECTORY

    pub struct Dir(PathBuf);

    impl Dir {
        pub fn try_clone(&self) -> io::Result<Dir> {
            Ok(Dir(self.0.clone()))
        }
    }

    fn kind_of(t: std::fs::FileType) -> Kind {
        if t.is_symlink() {
            Kind::Link
        } else if t.is_dir() {
            Kind::Dir
        } else if t.is_file() {
            Kind::File
        } else {
            Kind::Special("not a regular file")
        }
    }

    pub fn open_root(path: &std::path::Path) -> io::Result<Dir> {
        Ok(Dir(path.to_path_buf()))
    }

    pub fn kind(dir: &Dir, name: &str) -> io::Result<Kind> {
        Ok(kind_of(
            std::fs::symlink_metadata(dir.0.join(name))?.file_type(),
        ))
    }

    pub fn open_dir(dir: &Dir, name: &str) -> io::Result<Dir> {
        match kind(dir, name)? {
            Kind::Dir => Ok(Dir(dir.0.join(name))),
            _ => Err(io::Error::other("not a directory")),
        }
    }

    pub fn open_file(dir: &Dir, name: &str) -> io::Result<std::fs::File> {
        std::fs::File::open(dir.0.join(name))
    }

    pub fn read_link(dir: &Dir, name: &str) -> io::Result<String> {
        let t = std::fs::read_link(dir.0.join(name))?;
        t.to_str()
            .map(|s| s.replace('\\', "/"))
            .ok_or_else(|| io::Error::other("a symlink whose target is not UTF-8"))
    }

    pub fn read_dir(dir: &Dir) -> io::Result<super::Listed> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&dir.0)? {
            let entry = entry?;
            let name = entry
                .file_name()
                .into_string()
                .map_err(|n| n.as_encoded_bytes().to_vec());
            out.push((name, kind_of(entry.file_type()?)));
        }
        out.sort();
        Ok(out)
    }

    pub fn create_new(dir: &Dir, name: &str) -> io::Result<std::fs::File> {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(dir.0.join(name))
    }

    pub fn rename(dir: &Dir, from: &str, to: &str) -> io::Result<()> {
        std::fs::rename(dir.0.join(from), dir.0.join(to))
    }

    pub fn unlink(dir: &Dir, name: &str) -> io::Result<()> {
        std::fs::remove_file(dir.0.join(name))
    }

    pub fn mkdir(dir: &Dir, name: &str) -> io::Result<()> {
        std::fs::create_dir(dir.0.join(name))
    }

    pub fn process_alive(_pid: u32) -> bool {
        true // unknown: leave the file
    }
}
