//! The lockfile in the snapshot, read and compared with the lock of the repository.

use super::*;

/// Whether a lockfile's `version` is one a later agentlock writes.
pub(super) fn newer(text: &str) -> bool {
    node::parse_toml(text, FileId(0))
        .ok()
        .and_then(|root| match root.get("version").map(|v| &v.value) {
            Some(Value::Int(v)) => Some(*v > LOCK_VERSION),
            _ => None,
        })
        .unwrap_or(false)
}

/// The lockfile as compared with the repository, for the REL rules.
#[derive(Debug)]
pub enum LockStatus {
    Missing,
    /// The lockfile cannot be read; the reason and where.
    Unreadable(String, Span),
    /// A newer agentlock wrote it: this one must not rewrite it (the reason and where).
    Newer(String, Span),
    /// Differences, each with the span in the lockfile of the locked entry when it has one.
    Stale {
        changes: Vec<Change>,
        root_mismatch: bool,
    },
    Fresh,
}

/// Reads the lockfile from the snapshot and compares it with `current`, the lock of the
/// repository as it is. The lockfile's text joins `sources` (findings point into it); nothing
/// else of the model is touched.
pub fn check(
    snapshot: &dyn crate::snapshot::Snapshot,
    current: &Lock,
    sources: &mut crate::source::SourceMap,
    max_file_size: u64,
) -> LockStatus {
    use crate::snapshot::{ReadError, ReadExt};
    let bytes = match snapshot.read_str(LOCKFILE, max_file_size) {
        Ok(b) => b,
        Err(ReadError::NotFound) => return LockStatus::Missing,
        Err(e) => {
            let id = sources.add(LOCKFILE.into(), None);
            return LockStatus::Unreadable(e.to_string(), Span::file_start(id));
        }
    };
    let Ok(text) = String::from_utf8(bytes) else {
        let id = sources.add(LOCKFILE.into(), None);
        return LockStatus::Unreadable(
            "the lockfile is not UTF-8 text".into(),
            Span::file_start(id),
        );
    };
    let id = sources.add(LOCKFILE.into(), Some(text.clone().into()));
    let parsed = Lock::parse_written(&text).map_or_else(|| Lock::parse(&text, id), Ok);
    let (locked, recorded_root) = match parsed {
        Ok(l) => l,
        Err((msg, span)) if newer(&text) => return LockStatus::Newer(msg, span),
        Err((msg, span)) => return LockStatus::Unreadable(msg, span),
    };
    let changes = compare(&locked, current);
    let root_mismatch = recorded_root.as_deref() != Some(locked.root().as_str());
    if changes.is_empty() && !root_mismatch {
        LockStatus::Fresh
    } else {
        LockStatus::Stale {
            changes,
            root_mismatch,
        }
    }
}
