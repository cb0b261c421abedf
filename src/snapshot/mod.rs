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

pub use path::{PathError, RepoPath};
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

/// One file a snapshot lists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub path: RepoPath,
    pub kind: EntryKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryKind {
    /// A regular file (or a symlink to one inside the repository).
    File,
    /// A symlink whose target lies outside the repository: it is never followed. Its target
    /// is not kept: it may name private places on this machine.
    SymlinkOutside,
    /// A FIFO, socket or device: never opened.
    NotAFile(&'static str),
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
    /// is listed as one [`EntryKind::SymlinkOutside`] entry and not entered.
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
