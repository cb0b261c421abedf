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
/// repository as it is, whose text is `written`. The lockfile's text joins `sources` (findings
/// point into it); nothing else of the model is touched.
pub fn check(
    snapshot: &dyn crate::snapshot::Snapshot,
    current: &Lock,
    written: &str,
    sources: &mut crate::source::SourceMap,
    max_file_size: u64,
) -> LockStatus {
    read(snapshot, sources.next_id(), max_file_size).against(current, written, sources)
}

/// The lockfile of a snapshot as read, before it is compared with anything: reading and
/// parsing it (and hashing its entries) need no lock of the repository, so they can run while
/// that is made.
pub struct Read {
    /// The text, to join the sources under the id it was parsed with.
    text: Option<String>,
    id: FileId,
    state: Result<(Lock, bool), LockStatus>,
}

/// Reads the lockfile, as the file `id` (the id [`Read::against`] registers it under: the
/// next of the sources).
pub fn read(snapshot: &dyn crate::snapshot::Snapshot, id: FileId, max_file_size: u64) -> Read {
    use crate::snapshot::{ReadError, ReadExt};
    let failed = |status| Read {
        text: None,
        id,
        state: Err(status),
    };
    let bytes = match snapshot.read_str(LOCKFILE, max_file_size) {
        Ok(b) => b,
        Err(ReadError::NotFound) => return failed(LockStatus::Missing),
        Err(e) => return failed(LockStatus::Unreadable(e.to_string(), Span::file_start(id))),
    };
    let Ok(text) = String::from_utf8(bytes) else {
        return failed(LockStatus::Unreadable(
            "the lockfile is not UTF-8 text".into(),
            Span::file_start(id),
        ));
    };
    let parsed = Lock::parse_written(&text).map_or_else(|| Lock::parse(&text, id), Ok);
    let state = match parsed {
        Ok((locked, recorded_root)) => {
            let root_mismatch = recorded_root.as_deref() != Some(locked.root().as_str());
            Ok((locked, root_mismatch))
        }
        Err((msg, span)) if newer(&text) => Err(LockStatus::Newer(msg, span)),
        Err((msg, span)) => Err(LockStatus::Unreadable(msg, span)),
    };
    Read {
        text: Some(text),
        id,
        state,
    }
}

impl Read {
    /// The lockfile against `current`, whose text is `written` (its [`Lock::to_toml`]); the
    /// lockfile's text (or, unread, its name) joins `sources`.
    pub fn against(
        self,
        current: &Lock,
        written: &str,
        sources: &mut crate::source::SourceMap,
    ) -> LockStatus {
        if matches!(self.state, Err(LockStatus::Missing)) {
            return LockStatus::Missing;
        }
        // The very file `agentlock lock` would write now (the usual case: the lock committed
        // with the change): nothing differs, as its entries read back as they were written
        // and its root is theirs (the round trip is tested), so there is nothing to compare.
        let same = self.text.as_deref() == Some(written);
        let id = sources.add(LOCKFILE.into(), self.text.map(Into::into));
        assert_eq!(
            id, self.id,
            "the lockfile was read as another file than it joins the sources as"
        );
        let (locked, root_mismatch) = match self.state {
            _ if same => return LockStatus::Fresh,
            Ok(l) => l,
            Err(status) => return status,
        };
        let changes = compare(&locked, current);
        if changes.is_empty() && !root_mismatch {
            LockStatus::Fresh
        } else {
            LockStatus::Stale {
                changes,
                root_mismatch,
            }
        }
    }
}
