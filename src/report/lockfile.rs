//! What `agentlock lock` did: the summary it prints (human) or `agentlock.lock/v1` (JSON).

use crate::lock::LOCKFILE;

/// The outcome of `lock` or `lock --check`.
pub struct LockSummary {
    pub root: String,
    pub entries: usize,
    /// `--check`: nothing is written.
    pub check: bool,
    pub written: bool,
    /// What differs from the lockfile on disk, one line each (empty: up to date).
    pub changes: Vec<String>,
}

impl LockSummary {
    pub fn up_to_date(&self) -> bool {
        self.changes.is_empty()
    }
}

pub fn human(s: &LockSummary) -> String {
    let (root, entries) = (&s.root, s.entries);
    if s.up_to_date() {
        return format!("{LOCKFILE} is up to date ({entries} entries, root {root})\n");
    }
    let mut out = if s.check {
        format!("{LOCKFILE} is out of date:\n")
    } else {
        format!("{LOCKFILE} changes:\n")
    };
    for c in &s.changes {
        out.push_str(&format!("  - {c}\n"));
    }
    if s.written {
        out.push_str(&format!(
            "wrote {LOCKFILE} ({entries} entries, root {root})\n"
        ));
    } else {
        out.push_str("run `agentlock lock` to update it\n");
    }
    out
}

pub fn json(s: &LockSummary) -> String {
    let v = serde_json::json!({
        "schema": "agentlock.lock/v1",
        "root": s.root,
        "entries": s.entries,
        "up_to_date": s.up_to_date(),
        "written": s.written,
        "changes": s.changes,
    });
    serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
}
