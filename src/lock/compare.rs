//! What changed between two locks: entries added, removed, or with fields that differ.

use super::*;

/// One difference between the lockfile and the repository.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub kind: Kind,
    pub key: String,
    pub what: ChangeKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    /// In the repository, not in the lock.
    Added,
    /// In the lock, no longer in the repository.
    Removed,
    /// In both; the fields that differ, with the locked and the current value.
    Modified(Vec<(String, String, String)>),
}

/// What [`ChangeKind::as_str`] names each change, in order.
pub const CHANGES: &[&str] = &["added", "removed", "modified"];

impl ChangeKind {
    /// The change's name: `added`, `removed` or `modified`.
    pub fn as_str(&self) -> &'static str {
        match self {
            ChangeKind::Added => CHANGES[0],
            ChangeKind::Removed => CHANGES[1],
            ChangeKind::Modified(_) => CHANGES[2],
        }
    }
}

/// Entry-by-entry differences from `old` (the lock) to `new` (the repository).
pub fn compare(old: &Lock, new: &Lock) -> Vec<Change> {
    fn index(l: &Lock) -> BTreeMap<(Kind, &str), &Entry> {
        l.entries
            .iter()
            .map(|e| ((e.kind, e.key.as_str()), e))
            .collect()
    }
    let (a, b) = (index(old), index(new));
    let mut out = Vec::new();
    for (k, e) in &b {
        match a.get(k) {
            None => out.push(Change {
                kind: k.0,
                key: k.1.to_string(),
                what: ChangeKind::Added,
            }),
            Some(o) if o != e => out.push(Change {
                kind: k.0,
                key: k.1.to_string(),
                what: ChangeKind::Modified(field_changes(o, e)),
            }),
            Some(_) => {}
        }
    }
    for k in a.keys() {
        if !b.contains_key(k) {
            out.push(Change {
                kind: k.0,
                key: k.1.to_string(),
                what: ChangeKind::Removed,
            });
        }
    }
    out.sort_by(|x, y| (x.kind, &x.key).cmp(&(y.kind, &y.key)));
    out
}

pub fn field_changes(old: &Entry, new: &Entry) -> Vec<(String, String, String)> {
    let mut names: Vec<&str> = old
        .fields
        .iter()
        .chain(&new.fields)
        .map(|(k, _)| *k)
        .collect();
    names.dedup();
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for n in names {
        if !seen.insert(n) {
            continue;
        }
        match (old.table(n), new.table(n)) {
            (Some(a), Some(b)) => {
                for (tool, digest) in b {
                    match a.get(tool) {
                        None => out.push((format!("{n}.{tool}"), "(none)".into(), short(digest))),
                        Some(d) if d != digest => {
                            out.push((format!("{n}.{tool}"), short(d), short(digest)))
                        }
                        _ => {}
                    }
                }
                for (tool, digest) in a {
                    if !b.contains_key(tool) {
                        out.push((format!("{n}.{tool}"), short(digest), "(none)".into()));
                    }
                }
            }
            _ => {
                let (x, y) = (old.get(n), new.get(n));
                if x != y {
                    let f = |v: Option<&str>| {
                        v.map_or("(none)".to_string(), |s| {
                            if n == "sha256" || n == "registry" {
                                short(s)
                            } else {
                                s.to_string()
                            }
                        })
                    };
                    out.push((n.to_string(), f(x), f(y)));
                }
            }
        }
    }
    out
}

/// A digest shortened for messages: `sha256:1a2b3c4d5e6f`.
pub fn short(d: &str) -> String {
    let hex = d.strip_prefix("sha256:").unwrap_or(d);
    hex[..hex.len().min(12)].to_string()
}

impl Change {
    pub fn describe(&self) -> String {
        let label = if self.key.is_empty() {
            self.kind.as_str().to_string()
        } else {
            format!("{} `{}`", self.kind.as_str(), self.key)
        };
        match &self.what {
            ChangeKind::Added => format!("{label} is not in the lockfile"),
            ChangeKind::Removed => {
                format!("{label} is in the lockfile but no longer in the repository")
            }
            ChangeKind::Modified(fields) => {
                let parts: Vec<String> = fields
                    .iter()
                    .map(|(f, a, b)| format!("{f} {a} → {b}"))
                    .collect();
                format!("{label} differs from the lockfile: {}", parts.join(", "))
            }
        }
    }
}
