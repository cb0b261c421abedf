//! Where the bytes come from.
//!
//! A [`Snapshot`] is the only part of agentlock that knows whether a file comes from the working
//! tree, the git index or a git revision. Loaders ask it for files by [`RepoPath`] and never
//! touch the filesystem or git themselves; a `RepoPath` cannot name a place outside the
//! repository ([`path`]), and every snapshot follows symlinks only inside it, so what
//! agentlock reads is confined to the repository by construction. The working tree
//! ([`worktree`]) is also the only place that writes.

pub mod lfs;
pub mod path;
pub mod stream;
pub mod worktree;

pub use path::{BadName, PathError, RepoPath};
pub use worktree::Worktree;

use std::io;

/// Files larger than this are not read (a CONF001 finding says so).
pub const DEFAULT_MAX_FILE_SIZE: u64 = 10 * 1024 * 1024;

/// Directories no listing descends into: version control, dependency trees, virtual
/// environments and tool caches. Nobody keeps prompts or agent configs there, and they can hold
/// hundreds of thousands of files (`**/*.prompty` would otherwise walk all of them).
pub const PRUNED_DIRS: &[&str] = &[
    ".git",
    "node_modules",
    ".venv",
    "venv",
    "__pycache__",
    "site-packages",
    ".tox",
    ".nox",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".terraform",
];

/// Whether a repository-relative path lies inside a [`PRUNED_DIRS`] directory.
pub fn in_pruned_dir(path: &str) -> bool {
    let mut parts: Vec<&str> = path.split('/').collect();
    parts.pop();
    parts.iter().any(|p| PRUNED_DIRS.contains(p))
}

/// Most entries (files and directories) one listing of a working tree that is not in git
/// visits: a directory that is not a repository may be a whole disk. Beyond it the listing
/// fails with an error rather than running for minutes.
pub const WALK_LIMIT: usize = 200_000;

/// Most entries one listing of a git revision visits: ten times [`WALK_LIMIT`], for the
/// monorepos a release tag can hold (a working tree in git has no limit), while a tree that
/// names the same subtree twice at every level, millions of paths in a few objects, stops
/// within seconds.
pub const GIT_WALK_LIMIT: usize = 2_000_000;

/// How deep a listing descends, in directories below the repository root: git's own
/// `core.maxTreeDepth` (2048 since git 2.45). A directory deeper than that is listed as one
/// [`EntryKind::Unlisted`] entry and not entered; git itself refuses such trees.
pub const MAX_DEPTH: usize = 2048;

/// Most bytes of paths one listing keeps (every entry's full path, added up): a tree nested
/// thousands of levels deep, or with names megabytes long, costs memory quadratic in its depth.
/// A real repository's paths average well under 100 bytes, so this is several million files.
pub const MAX_PATH_BYTES: usize = 512 << 20;

/// The error a listing fails with beyond [`WALK_LIMIT`] or [`MAX_PATH_BYTES`].
pub(crate) fn too_big(what: &str, entries: usize, bytes: usize) -> io::Error {
    if bytes > MAX_PATH_BYTES {
        io::Error::other(format!(
            "{what} names more than {} MiB of paths; agentlock stops listing it there (a tree \
             that repeats itself, or nests directories thousands of levels deep)",
            MAX_PATH_BYTES >> 20
        ))
    } else {
        io::Error::other(format!(
            "{what} holds more than {entries} files and directories; agentlock stops listing \
             it there (a tree that repeats itself, or a directory that is not a repository)"
        ))
    }
}

/// A name from a directory listing or a git tree that is not UTF-8, written with each byte that
/// is not part of valid UTF-8 as `\xNN`: printable, and never the raw bytes.
pub fn escape_name(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 8);
    for chunk in bytes.utf8_chunks() {
        // (`/` and NUL only a hand-made git tree entry holds: shown, never taken as a path.)
        for c in chunk.valid().chars() {
            match c {
                '/' => out.push_str("\\x2f"),
                '\0' => out.push_str("\\x00"),
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// What a symlink that leads to no file is, for a listing: `None` for a link to a directory
/// inside the repository (not descended, so that links cannot loop a walk), else the
/// [`EntryKind::NotAFile`] a listing gives it, so a link a glob matches is never dropped in
/// silence.
pub(crate) fn broken_link(e: &ReadError) -> Option<EntryKind> {
    match e {
        ReadError::NotFound => Some(EntryKind::NotAFile("a symlink to nothing")),
        ReadError::Io(why) if why.contains("symbolic links") => {
            Some(EntryKind::NotAFile("a symlink loop"))
        }
        ReadError::NotAFile(_) | ReadError::SymlinkOutside => None,
        _ => Some(EntryKind::NotAFile("a symlink that cannot be followed")),
    }
}

/// One file a snapshot lists.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    pub path: RepoPath,
    pub kind: EntryKind,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum EntryKind {
    /// A regular file (or a symlink to one inside the repository).
    File,
    /// A symlink whose target lies outside the repository: it is never followed. Its target
    /// is not kept: it may name private places on this machine.
    SymlinkOutside,
    /// A FIFO, socket or device: never opened.
    NotAFile(&'static str),
    /// An entry of the directory `path` whose name no [`RepoPath`] can hold (`why`: not UTF-8,
    /// a spelling of `.git`, `..`, …), so it is neither read nor entered. `name` is the name
    /// [`escape_name`]d; `dir` says whether it is a directory.
    Unnamed {
        name: String,
        dir: bool,
        why: BadName,
    },
    /// A directory that was not listed, with why (it could not be opened or read, or it is
    /// nested deeper than [`MAX_DEPTH`]): what it holds is unknown.
    Unlisted(String),
}

impl Entry {
    /// The entry of the directory `dir` called `name` (as listed) that no path can hold.
    pub fn unnamed(dir: &RepoPath, name: &[u8], is_dir: bool, why: BadName) -> Entry {
        Entry {
            path: dir.clone(),
            kind: EntryKind::Unnamed {
                name: escape_name(name),
                dir: is_dir,
                why,
            },
        }
    }

    /// The path a report shows for this entry: the escaped name inside its directory for a
    /// [`EntryKind::Unnamed`] one (it is never a path to read), else the path.
    pub fn shown(&self) -> String {
        match &self.kind {
            EntryKind::Unnamed { name, .. } if self.path.is_root() => name.clone(),
            EntryKind::Unnamed { name, .. } => format!("{}/{name}", self.path),
            _ => self.path.to_string(),
        }
    }
}

/// How many bytes of repository content one run reads in all: the model's files of every
/// snapshot a run loads (the working tree, a revision, the `--new-since` base) and the
/// evidence files (counted at [`ReadBudget::EVIDENCE_WEIGHT`]). `[paths] max_file_size`
/// bounds one file; this bounds how much a pull request can add, so a few kilobytes of
/// compressed git objects cannot inflate into gigabytes of memory.
pub const MAX_TOTAL_READ: u64 = 1024 * 1024 * 1024;

/// An account of bytes that reads draw from. [`ReadBudget::run`] is the one a run's loaders
/// share: a second snapshot does not get a fresh budget.
#[derive(Debug)]
pub struct ReadBudget {
    left: std::sync::atomic::AtomicU64,
    total: u64,
}

impl ReadBudget {
    /// Parsed evidence holds about four times its size in memory (a 256 MiB results file
    /// took 1.1 GB), so an evidence byte costs four of the budget.
    pub const EVIDENCE_WEIGHT: u64 = 4;

    pub const fn new(total: u64) -> ReadBudget {
        ReadBudget {
            left: std::sync::atomic::AtomicU64::new(total),
            total,
        }
    }

    /// The process's budget: every loader of a run draws from it.
    pub fn run() -> &'static ReadBudget {
        static RUN: ReadBudget = ReadBudget::new(MAX_TOTAL_READ);
        &RUN
    }

    pub fn total(&self) -> u64 {
        self.total
    }

    pub fn left(&self) -> u64 {
        self.left.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Takes `n` bytes (all that is left, when less is).
    pub fn take(&self, n: u64) {
        use std::sync::atomic::Ordering::Relaxed;
        let _ = self
            .left
            .fetch_update(Relaxed, Relaxed, |l| Some(l.saturating_sub(n)));
    }

    /// Gives back `n` bytes taken (a read done again).
    pub fn give_back(&self, n: u64) {
        use std::sync::atomic::Ordering::Relaxed;
        let total = self.total;
        let _ = self
            .left
            .fetch_update(Relaxed, Relaxed, |l| Some(l.saturating_add(n).min(total)));
    }
}

/// Why a file could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    NotFound,
    TooLarge {
        size: u64,
        limit: u64,
    },
    SymlinkOutside,
    /// A directory, a FIFO, a socket or a device where a file is wanted (what it is).
    NotAFile(&'static str),
    /// A path that is not inside the repository ([`ReadExt::read_str`] only).
    Invalid(PathError),
    Io(String),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::NotFound => write!(f, "file not found"),
            ReadError::TooLarge { size, limit } => write!(
                f,
                "file is {} bytes, over the limit of {} bytes; it was not read",
                size, limit
            ),
            ReadError::SymlinkOutside => {
                write!(
                    f,
                    "symlink leads outside the repository; it was not followed"
                )
            }
            ReadError::NotAFile(what) => write!(f, "is {what}, not a file; it was not read"),
            ReadError::Invalid(e) => write!(f, "the path {e}"),
            ReadError::Io(e) => write!(f, "could not be read: {e}"),
        }
    }
}

/// A source of repository files.
pub trait Snapshot: Sync {
    /// A short description for messages, e.g. `working tree`.
    fn describe(&self) -> String;

    /// Every file below each of the given directories (the root for the whole repository),
    /// recursively, but for those inside [`PRUNED_DIRS`], sorted by path. Directories that do
    /// not exist yield nothing; a directory that is a symlink leading outside the repository
    /// is listed as one [`EntryKind::SymlinkOutside`] entry and not entered. Nothing is left
    /// out without an entry saying so: a directory that cannot be listed or is too deep is an
    /// [`EntryKind::Unlisted`] entry, a name no path can hold an [`EntryKind::Unnamed`] one.
    /// A listing over its entry limit ([`WALK_LIMIT`], [`GIT_WALK_LIMIT`]) or [`MAX_PATH_BYTES`] is
    /// an error.
    fn list(&self, dirs: &[RepoPath]) -> io::Result<Vec<Entry>>;

    /// The bytes of one file, refusing files over `max_size` without reading them.
    fn read(&self, path: &RepoPath, max_size: u64) -> Result<Vec<u8>, ReadError>;
}

/// Reading by a path written as text (a configured value, a fixed name): checked into a
/// [`RepoPath`] first, so text can never reach a snapshot unchecked.
pub trait ReadExt {
    fn read_str(&self, path: &str, max_size: u64) -> Result<Vec<u8>, ReadError>;
}

impl<S: Snapshot + ?Sized> ReadExt for S {
    fn read_str(&self, path: &str, max_size: u64) -> Result<Vec<u8>, ReadError> {
        let path = RepoPath::parse(path).map_err(ReadError::Invalid)?;
        self.read(&path, max_size)
    }
}

/// An in-memory snapshot, for tests and for content that is not on disk.
#[derive(Default)]
pub struct MemorySnapshot {
    pub files: std::collections::BTreeMap<String, Vec<u8>>,
}

impl MemorySnapshot {
    pub fn with(mut self, path: &str, content: impl Into<Vec<u8>>) -> Self {
        self.files.insert(path.to_string(), content.into());
        self
    }
}

impl Snapshot for MemorySnapshot {
    fn describe(&self) -> String {
        "memory".to_string()
    }

    fn list(&self, dirs: &[RepoPath]) -> io::Result<Vec<Entry>> {
        let out: Vec<Entry> = self
            .files
            .keys()
            .filter(|p| !in_pruned_dir(p))
            .filter_map(|p| RepoPath::parse(p).ok())
            .filter(|p| dirs.iter().any(|d| p != d && p.starts_with(d)))
            .map(|path| Entry {
                path,
                kind: EntryKind::File,
            })
            .collect();
        Ok(out)
    }

    fn read(&self, path: &RepoPath, max_size: u64) -> Result<Vec<u8>, ReadError> {
        let bytes = self.files.get(path.as_str()).ok_or(ReadError::NotFound)?;
        if bytes.len() as u64 > max_size {
            return Err(ReadError::TooLarge {
                size: bytes.len() as u64,
                limit: max_size,
            });
        }
        Ok(bytes.clone())
    }
}

#[cfg(test)]
mod tests;
