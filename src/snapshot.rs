//! Where the bytes come from.
//!
//! A [`Snapshot`] is the only part of agentlock that knows whether a file comes from the working
//! tree, the git index or a git revision. Loaders ask it for files by repository-relative path
//! (always `/`-separated) and never touch the filesystem or git themselves.

use std::io;
use std::path::{Path, PathBuf};

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
    /// Path relative to the repository root, `/`-separated.
    pub path: String,
    pub kind: EntryKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntryKind {
    /// A regular file (or a symlink to one inside the repository).
    File,
    /// A symlink whose target lies outside the repository: it is never followed.
    SymlinkOutside { target: String },
}

/// Why a file could not be read.
#[derive(Debug)]
pub enum ReadError {
    NotFound,
    TooLarge { size: u64, limit: u64 },
    SymlinkOutside { target: String },
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
            ReadError::SymlinkOutside { target } => write!(
                f,
                "symlink leads outside the repository (to `{target}`); it was not followed"
            ),
            ReadError::Io(e) => write!(f, "could not be read: {e}"),
        }
    }
}

/// A source of repository files.
pub trait Snapshot: Sync {
    /// A short description for messages, e.g. `working tree`.
    fn describe(&self) -> String;

    /// Every file below each of the given directories (repository-relative, `""` for the
    /// whole repository), recursively, but for those inside [`PRUNED_DIRS`]. Directories that
    /// do not exist yield nothing.
    fn list(&self, dirs: &[String]) -> io::Result<Vec<Entry>>;

    /// The bytes of one file, refusing files over `max_size` without reading them.
    fn read(&self, path: &str, max_size: u64) -> Result<Vec<u8>, ReadError>;
}

/// The working tree of a repository on disk.
pub struct Worktree {
    root: PathBuf,
    canonical_root: PathBuf,
}

impl Worktree {
    pub fn new(root: impl Into<PathBuf>) -> io::Result<Self> {
        let root = root.into();
        let canonical_root = root.canonicalize()?;
        Ok(Worktree {
            root,
            canonical_root,
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn classify_symlink(&self, full: &Path) -> Option<EntryKind> {
        match full.canonicalize() {
            Ok(target) if target.starts_with(&self.canonical_root) => {
                if target.is_file() {
                    Some(EntryKind::File)
                } else {
                    None // a link to a directory inside the repo: not descended, avoids loops
                }
            }
            Ok(target) => Some(EntryKind::SymlinkOutside {
                target: target.display().to_string(),
            }),
            Err(_) => {
                let target = std::fs::read_link(full)
                    .map(|t| t.display().to_string())
                    .unwrap_or_default();
                // A dangling link: harmless unless it points outside.
                let outside = Path::new(&target).is_absolute() || target.starts_with("..");
                outside.then_some(EntryKind::SymlinkOutside { target })
            }
        }
    }
}

fn rel_path(root: &Path, full: &Path) -> Option<String> {
    let rel = full.strip_prefix(root).ok()?;
    let parts: Vec<&str> = rel
        .components()
        .map(|c| c.as_os_str().to_str())
        .collect::<Option<_>>()?;
    Some(parts.join("/"))
}

impl Snapshot for Worktree {
    fn describe(&self) -> String {
        "working tree".to_string()
    }

    fn list(&self, dirs: &[String]) -> io::Result<Vec<Entry>> {
        let mut out = Vec::new();
        for dir in dirs {
            let start = if dir.is_empty() {
                self.root.clone()
            } else {
                self.root.join(dir)
            };
            if !start.is_dir() {
                continue;
            }
            let walker = walkdir::WalkDir::new(&start)
                .follow_links(false)
                .sort_by_file_name()
                .into_iter()
                // A directory tagged as a cache (CACHEDIR.TAG: cargo's target/, …) is pruned too.
                .filter_entry(|e| {
                    e.depth() == 0
                        || e.file_name() != ".git"
                            && !(e.file_type().is_dir()
                                && (e
                                    .file_name()
                                    .to_str()
                                    .is_some_and(|n| PRUNED_DIRS.contains(&n))
                                    || e.path().join("CACHEDIR.TAG").is_file()))
                });
            for entry in walker {
                let Ok(entry) = entry else { continue };
                let ft = entry.file_type();
                let Some(path) = rel_path(&self.root, entry.path()) else {
                    continue;
                };
                let kind = if ft.is_file() {
                    Some(EntryKind::File)
                } else if ft.is_symlink() {
                    self.classify_symlink(entry.path())
                } else {
                    None
                };
                if let Some(kind) = kind {
                    out.push(Entry { path, kind });
                }
            }
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        out.dedup_by(|a, b| a.path == b.path);
        Ok(out)
    }

    fn read(&self, path: &str, max_size: u64) -> Result<Vec<u8>, ReadError> {
        let full = self.root.join(path);
        let meta = match std::fs::symlink_metadata(&full) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(ReadError::NotFound),
            Err(e) => return Err(ReadError::Io(e.to_string())),
        };
        let meta = if meta.file_type().is_symlink() {
            match self.classify_symlink(&full) {
                Some(EntryKind::File) => {
                    std::fs::metadata(&full).map_err(|e| ReadError::Io(e.to_string()))?
                }
                Some(EntryKind::SymlinkOutside { target }) => {
                    return Err(ReadError::SymlinkOutside { target });
                }
                None => return Err(ReadError::NotFound),
            }
        } else {
            meta
        };
        if !meta.is_file() {
            return Err(ReadError::NotFound);
        }
        if meta.len() > max_size {
            return Err(ReadError::TooLarge {
                size: meta.len(),
                limit: max_size,
            });
        }
        std::fs::read(&full).map_err(|e| ReadError::Io(e.to_string()))
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

    fn list(&self, dirs: &[String]) -> io::Result<Vec<Entry>> {
        let mut out: Vec<Entry> = self
            .files
            .keys()
            .filter(|p| !in_pruned_dir(p))
            .filter(|p| {
                dirs.iter()
                    .any(|d| d.is_empty() || p.starts_with(&format!("{d}/")))
            })
            .map(|p| Entry {
                path: p.clone(),
                kind: EntryKind::File,
            })
            .collect();
        out.dedup_by(|a, b| a.path == b.path);
        Ok(out)
    }

    fn read(&self, path: &str, max_size: u64) -> Result<Vec<u8>, ReadError> {
        let bytes = self.files.get(path).ok_or(ReadError::NotFound)?;
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
mod tests {
    use super::*;

    #[test]
    fn worktree_lists_and_refuses_outside_symlinks() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret.txt"), "x").unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("prompts/sub")).unwrap();
        std::fs::write(dir.path().join("prompts/a.prompt"), "a").unwrap();
        std::fs::write(dir.path().join("prompts/sub/b.prompt"), "b").unwrap();
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(
                outside.path().join("secret.txt"),
                dir.path().join("prompts/evil.prompt"),
            )
            .unwrap();
            std::os::unix::fs::symlink("a.prompt", dir.path().join("prompts/alias.prompt"))
                .unwrap();
        }
        let wt = Worktree::new(dir.path()).unwrap();
        let entries = wt.list(&["prompts".to_string()]).unwrap();
        let paths: Vec<&str> = entries.iter().map(|e| e.path.as_str()).collect();
        assert!(paths.contains(&"prompts/a.prompt"));
        assert!(paths.contains(&"prompts/sub/b.prompt"));
        #[cfg(unix)]
        {
            let evil = entries
                .iter()
                .find(|e| e.path == "prompts/evil.prompt")
                .unwrap();
            assert!(matches!(evil.kind, EntryKind::SymlinkOutside { .. }));
            assert!(matches!(
                wt.read("prompts/evil.prompt", 100),
                Err(ReadError::SymlinkOutside { .. })
            ));
            assert_eq!(wt.read("prompts/alias.prompt", 100).unwrap(), b"a");
        }
        assert!(matches!(
            wt.read("prompts/a.prompt", 0),
            Err(ReadError::TooLarge { .. })
        ));
        assert!(matches!(wt.read("nope", 100), Err(ReadError::NotFound)));
    }
}
