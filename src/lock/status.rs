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

/// The lockfile of a snapshot as read, before it is compared with anything: reading it needs
/// no lock of the repository, so it can run while that is made. It is parsed only when it is
/// not the very text the repository's lock writes (the usual case, a lock committed with its
/// change, needs no parse: 10 ms for 10,000 entries).
pub struct Read {
    id: FileId,
    /// The text, to join the sources under `id`; or why there is none.
    text: Result<String, LockStatus>,
}

/// Reads the lockfile, as the file `id` (the id [`Read::against`] registers it under: the
/// next of the sources).
pub fn read(snapshot: &dyn crate::snapshot::Snapshot, id: FileId, max_file_size: u64) -> Read {
    use crate::snapshot::{ReadError, ReadExt};
    let text = match snapshot.read_str(LOCKFILE, max_file_size) {
        Ok(bytes) => String::from_utf8(bytes).map_err(|_| {
            LockStatus::Unreadable(
                "the lockfile is not UTF-8 text".into(),
                Span::file_start(id),
            )
        }),
        Err(ReadError::NotFound) => Err(LockStatus::Missing),
        Err(e) => Err(LockStatus::Unreadable(e.to_string(), Span::file_start(id))),
    };
    Read { id, text }
}

/// The entries of a lockfile's text (the file `id`), and whether its recorded root differs
/// from theirs; or why it cannot be read.
fn parse(text: &str, id: FileId) -> Result<(Lock, bool), LockStatus> {
    let parsed = Lock::parse_written(text).map_or_else(|| Lock::parse(text, id), Ok);
    match parsed {
        Ok((locked, recorded_root)) => {
            let root_mismatch = recorded_root.as_deref() != Some(locked.root().as_str());
            Ok((locked, root_mismatch))
        }
        Err((msg, span)) if newer(text) => Err(LockStatus::Newer(msg, span)),
        Err((msg, span)) => Err(LockStatus::Unreadable(msg, span)),
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
        let (text, failed) = match self.text {
            Err(LockStatus::Missing) => return LockStatus::Missing,
            Ok(text) => (Some(text), None),
            Err(status) => (None, Some(status)),
        };
        // The very file `agentlock lock` would write now (the usual case: the lock committed
        // with the change): nothing differs, as its entries read back as they were written
        // and its root is theirs (the round trip is tested), so there is nothing to parse.
        let parsed = text
            .as_deref()
            .filter(|t| *t != written)
            .map(|t| parse(t, self.id));
        let id = sources.add(LOCKFILE.into(), text.map(Into::into));
        assert_eq!(
            id, self.id,
            "the lockfile was read as another file than it joins the sources as"
        );
        let (locked, root_mismatch) = match (failed, parsed) {
            (Some(status), _) | (None, Some(Err(status))) => return status,
            (None, None) => return LockStatus::Fresh,
            (None, Some(Ok(l))) => l,
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
