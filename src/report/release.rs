//! `diff` and `rollback` rendered for people (a table), machines (JSON) and pull requests
//! (Markdown).

use crate::diff::{Change, ChangeKind, DiffReport, FileAction, RollbackReport, Side};
use crate::lock::Field;
use crate::lock::{Entry, short};
use crate::report::markdown::{cell as md, code as md_code};
use std::fmt::Write as _;

/// A cell for one side of a change: the version (or model id), with the short digest when the
/// content is what changed or there is no version.
fn cell(e: Option<&Entry>, change: &Change) -> String {
    let Some(e) = e else {
        return "-".into();
    };
    let sha_changed =
        change.change != ChangeKind::Modified || change.fields.iter().any(|f| f == "sha256");
    let digest = e.get("sha256").map(short);
    let label = e.get("version").or_else(|| e.get("id"));
    match (label, digest) {
        (Some(l), Some(d)) if sha_changed => format!("{l} ({d})"),
        (Some(l), _) => l.to_string(),
        (None, Some(d)) => d,
        (None, None) => "-".into(),
    }
}

fn detail(c: &Change) -> String {
    match (c.bump, c.change) {
        (Some(crate::diff::Bump::Other), _) => "new version".into(),
        (Some(b), _) => format!("{} bump", b.as_str()),
        (None, ChangeKind::Modified) => {
            let fields: Vec<&str> = c
                .fields
                .iter()
                .map(String::as_str)
                .filter(|f| *f != "sha256" || c.fields.len() == 1)
                .collect();
            fields.join(", ")
        }
        _ => String::new(),
    }
}

fn name(c: &Change) -> String {
    c.name.clone().unwrap_or_else(|| "-".into())
}

fn root(s: &Side) -> String {
    format!("sha256:{}", short(&s.root))
}

fn describe(s: &Side) -> String {
    match (s.worktree, s.commit) {
        (true, Some(c)) => format!(
            "the working tree (HEAD {}, lock root {})",
            c.short(),
            root(s)
        ),
        (true, None) => format!("the working tree (no commit yet, lock root {})", root(s)),
        (false, Some(c)) if s.tag.is_some() || s.rev.is_some() => {
            format!(
                "{} (commit {}, lock root {})",
                s.label(),
                c.short(),
                root(s)
            )
        }
        _ => format!("{} (lock root {})", s.label(), root(s)),
    }
}

fn table(rows: &[[String; 6]], out: &mut String) {
    let mut width = [0usize; 6];
    for r in rows {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    for r in rows {
        let mut line = String::from(" ");
        for (w, c) in width.iter().zip(r) {
            let _ = write!(line, " {c:<w$}");
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
}

fn counts(changes: &[Change]) -> String {
    let n = |k| changes.iter().filter(|c| c.change == k).count();
    format!(
        "{} change{}: {} added, {} removed, {} modified",
        changes.len(),
        if changes.len() == 1 { "" } else { "s" },
        n(ChangeKind::Added),
        n(ChangeKind::Removed),
        n(ChangeKind::Modified)
    )
}

pub fn diff_human(r: &DiffReport) -> String {
    let mut out = String::new();
    match &r.base {
        Some(base) => {
            let _ = writeln!(
                out,
                "Changes from {} to {}:",
                describe(base),
                describe(&r.head)
            );
        }
        None => match &r.no_base {
            Some(why) => {
                let _ = writeln!(
                    out,
                    "No release to compare with: {why}.\nEverything in {} is new.",
                    describe(&r.head)
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "No release tag matches `{}` yet: everything in {} is new.",
                    r.pattern,
                    describe(&r.head)
                );
            }
        },
    }
    out.push('\n');
    if r.changes.is_empty() {
        out.push_str("  nothing changed\n");
    } else {
        let mut rows = vec![[
            "kind".to_string(),
            "name".into(),
            "change".into(),
            "from".into(),
            "to".into(),
            "detail".into(),
        ]];
        for c in &r.changes {
            rows.push([
                c.kind.as_str().to_string(),
                name(c),
                c.change.as_str().into(),
                cell(c.from.as_ref(), c),
                cell(c.to.as_ref(), c),
                detail(c),
            ]);
        }
        table(&rows, &mut out);
    }
    out.push('\n');
    let _ = writeln!(out, "{}", counts(&r.changes));
    if let Some(note) = not_compared_note(r) {
        let _ = writeln!(out, "{note}");
    }
    if !r.evidence.is_empty() {
        let _ = writeln!(out, "\nEvidence:");
        for e in &r.evidence {
            let _ = writeln!(out, "  {}", evidence_line(e));
        }
        out.push('\n');
    }
    match &r.rollback {
        Some(t) => {
            let _ = writeln!(
                out,
                "Rollback target: {} (`agentlock rollback --to {}`)",
                describe(t),
                t.label()
            );
        }
        None => {
            let _ = writeln!(out, "Rollback target: none (no earlier release)");
        }
    }
    out
}

/// One change as JSON, keys in DESIGN §4's order, then `fields` and `bump`.
#[derive(serde::Serialize)]
struct ChangeJson<'a> {
    kind: &'static str,
    name: Option<&'a str>,
    change: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    from: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    to: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fields: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bump: Option<&'static str>,
}

fn change_json(c: &Change) -> ChangeJson<'_> {
    ChangeJson {
        kind: c.kind.as_str(),
        name: c.name.as_deref(),
        change: c.change.as_str(),
        from: c.from.as_ref().map(entry_json),
        to: c.to.as_ref().map(entry_json),
        fields: (c.change == ChangeKind::Modified).then_some(c.fields.as_slice()),
        bump: c.bump.map(|b| b.as_str()),
    }
}

#[derive(serde::Serialize)]
struct DiffJson<'a> {
    schema: &'static str,
    base: Option<SideJson<'a>>,
    head: SideJson<'a>,
    changes: Vec<ChangeJson<'a>>,
    rollback: Option<SideJson<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    evidence: Vec<serde_json::Value>,
    /// Without a base although there are tags: why none is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    no_base: Option<&'a str>,
    /// Changes held back: a file of the head did not load.
    #[serde(skip_serializing_if = "is_zero")]
    not_compared: usize,
}

/// `added evidence/promptfoo-….json (promptfoo: 30 cases of golden_happy_path)`.
fn evidence_line(e: &crate::diff::EvidenceChange) -> String {
    let what = if e.datasets.is_empty() {
        crate::source::printable(&e.harness).into_owned()
    } else {
        format!(
            "{}: {} cases of {}",
            crate::source::printable(&e.harness),
            e.cases,
            crate::source::printable(&e.datasets.join(", "))
        )
    };
    format!(
        "{} {} ({what})",
        if e.added { "added" } else { "removed" },
        crate::source::shown_path(&e.path)
    )
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Says how many changes were held back because a file of the head did not load.
fn not_compared_note(r: &DiffReport) -> Option<String> {
    match r.not_compared {
        0 => None,
        n => Some(format!(
            "{n} {} not compared: a file {} from did not load, so {} would only look removed (`agentlock verify` says which file and why)",
            if n == 1 { "entry was" } else { "entries were" },
            if n == 1 { "it comes" } else { "they come" },
            if n == 1 { "it" } else { "they" },
        )),
    }
}

pub fn diff_json(r: &DiffReport) -> String {
    let v = DiffJson {
        schema: "agentlock.diff/v1",
        base: r.base.as_ref().map(side_json),
        head: side_json(&r.head),
        changes: r.changes.iter().map(change_json).collect(),
        rollback: r.rollback.as_ref().map(side_json),
        evidence: r
            .evidence
            .iter()
            .map(|e| {
                serde_json::json!({
                    "change": if e.added { "added" } else { "removed" },
                    "path": e.path, "harness": e.harness, "datasets": e.datasets, "cases": e.cases,
                })
            })
            .collect(),
        no_base: r.no_base.as_deref(),
        not_compared: r.not_compared,
    };
    format!("{}\n", serde_json::to_string_pretty(&v).unwrap_or_default())
}

fn md_side(s: &Side) -> String {
    let what = if s.worktree {
        "the working tree".to_string()
    } else {
        format!("`{}`", md_code(&s.label()))
    };
    match s.commit {
        Some(c) => format!("{what} at `{}` (lock root `{}`)", c.short(), root(s)),
        None => format!("{what} (lock root `{}`)", root(s)),
    }
}

pub fn diff_markdown(r: &DiffReport) -> String {
    let mut out = String::new();
    match &r.base {
        Some(base) => {
            let _ = writeln!(
                out,
                "### agentlock: changes since `{}`\n",
                md(&base.label())
            );
            let _ = writeln!(out, "From {} to {}.\n", md_side(base), md_side(&r.head));
        }
        None => {
            let heading = if r.no_base.is_some() {
                "no release to compare with"
            } else {
                "first release"
            };
            let _ = writeln!(out, "### agentlock: {heading}\n");
            match &r.no_base {
                Some(why) => {
                    let _ = writeln!(
                        out,
                        "No release to compare with: {}.\n\nEverything in {} is new.\n",
                        md(why),
                        md_side(&r.head)
                    );
                }
                None => {
                    let _ = writeln!(
                        out,
                        "No release tag matches `{}` yet: everything in {} is new.\n",
                        md(&r.pattern),
                        md_side(&r.head)
                    );
                }
            }
        }
    }
    if r.changes.is_empty() {
        out.push_str("Nothing changed.\n\n");
    } else {
        out.push_str("| Kind | Name | Change | From | To | Detail |\n|---|---|---|---|---|---|\n");
        for c in &r.changes {
            let code = |s: String| {
                if s == "-" {
                    s
                } else {
                    format!("`{}`", md_code(&s))
                }
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                c.kind.as_str(),
                code(name(c)),
                c.change.as_str(),
                code(cell(c.from.as_ref(), c)),
                code(cell(c.to.as_ref(), c)),
                md(&detail(c))
            );
        }
        out.push('\n');
    }
    let _ = writeln!(out, "{}.\n", counts(&r.changes));
    if let Some(note) = not_compared_note(r) {
        let _ = writeln!(out, "**{}**\n", md(&note));
    }
    if !r.evidence.is_empty() {
        out.push_str("**Evidence:**\n\n");
        for e in &r.evidence {
            let _ = writeln!(out, "- {}", md(&evidence_line(e)));
        }
        out.push('\n');
    }
    match &r.rollback {
        Some(t) => {
            let _ = writeln!(
                out,
                "**Rollback target:** {}. To restore it: `agentlock rollback --to {} --apply`",
                md_side(t),
                md(&t.label())
            );
        }
        None => out.push_str("**Rollback target:** none: there is no earlier release.\n"),
    }
    out
}

fn restore_rows(r: &RollbackReport) -> Vec<[String; 6]> {
    let mut rows = vec![[
        "kind".to_string(),
        "name".into(),
        "version".into(),
        "sha256".into(),
        "path at tag".into(),
        "action".into(),
    ]];
    for c in &r.restore {
        let (sha, path) = match &c.to {
            Some(to) => (
                to.get("sha256").map(short).unwrap_or_else(|| "-".into()),
                to.get("path").unwrap_or("-").to_string(),
            ),
            None => ("-".into(), "-".into()),
        };
        let action = match c.change {
            // A path only the target's lockfile names (see `unheld`): nothing to restore.
            _ if r.unheld.contains(&path) => "none (its tree does not hold the file)",
            // The changes go from the working tree to the target.
            ChangeKind::Added => "restore (removed since)",
            ChangeKind::Modified => "restore",
            ChangeKind::Removed => "remove (added since)",
        };
        rows.push([
            c.kind.as_str().into(),
            name(c),
            c.to.as_ref()
                .and_then(|t| t.get("version"))
                .unwrap_or("-")
                .to_string(),
            sha,
            crate::source::shown_path(&path).into_owned(),
            action.into(),
        ]);
    }
    rows
}

pub fn rollback_human(r: &RollbackReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Rollback target: {}", describe(&r.target));
    let _ = writeln!(out, "Current:         {}", describe(&r.head));
    out.push('\n');
    if r.restore.is_empty() {
        let _ = writeln!(
            out,
            "Nothing to restore: the working tree pins what {} pinned.",
            r.target.label()
        );
        return out;
    }
    let _ = writeln!(out, "Entries to restore ({}):", r.restore.len());
    table(&restore_rows(r), &mut out);
    out.push('\n');
    let verb = if r.applied.is_some() {
        "Files"
    } else {
        "Files `--apply` would touch"
    };
    let _ = writeln!(out, "{verb} ({}):", r.files.len());
    for f in &r.files {
        let _ = match f {
            FileAction::Restore(p) => writeln!(
                out,
                "  restore {} from {}",
                crate::source::shown_path(p),
                r.target.label()
            ),
            FileAction::Remove(p) => writeln!(
                out,
                "  remove  {} (not in {})",
                crate::source::shown_path(p),
                r.target.label()
            ),
        };
    }
    if let Some(note) = unheld_note(r) {
        let _ = writeln!(out, "\n{note}");
    }
    out.push('\n');
    match &r.applied {
        Some(root) if *root == r.target.root => {
            let _ = writeln!(
                out,
                "Restored. agentlock.lock rewritten: root {} matches {}. Review and commit: `git commit -am \"Roll back to {}\"`",
                format_args!("sha256:{}", short(root)),
                r.target.label(),
                r.target.label()
            );
        }
        Some(root) => {
            let _ = writeln!(
                out,
                "Restored. agentlock.lock rewritten: root sha256:{} (the release recorded sha256:{}; the difference is this agentlock's model registry or files outside the lock). Review and commit.",
                short(root),
                short(&r.target.root)
            );
        }
        None => match &r.refusal {
            Some(why) => {
                let _ = writeln!(out, "`--apply` would refuse, touching nothing: {why}");
            }
            None => {
                let _ = writeln!(
                    out,
                    "Run `agentlock rollback --to {} --apply` to restore them and rewrite agentlock.lock.",
                    r.target.label()
                );
            }
        },
    }
    out
}

/// Says which paths of the target's lockfile its tree does not hold (they are in no plan):
/// the lockfile was edited by hand, or names files that were never committed.
fn unheld_note(r: &RollbackReport) -> Option<String> {
    let first = r.unheld.first()?;
    let more = match r.unheld.len() - 1 {
        0 => String::new(),
        n => format!(" and {n} more"),
    };
    let first = crate::source::shown_path(first);
    Some(format!(
        "Not in the plan: {first}{more}, which {}'s agentlock.lock names but its tree does not hold (the lockfile does not match the release's files: `agentlock verify --rev {}` shows where).",
        r.target.label(),
        r.target.label()
    ))
}

pub fn rollback_json(r: &RollbackReport) -> String {
    let restore: Vec<serde_json::Value> = r
        .restore
        .iter()
        .map(|c| {
            let e = c.to.as_ref();
            serde_json::json!({
                "kind": c.kind.as_str(),
                "name": c.name,
                "action": match e.and_then(|e| e.get("path")) {
                    Some(p) if r.unheld.iter().any(|u| u == p) => "none",
                    _ if c.change == ChangeKind::Removed => "remove",
                    _ => "restore",
                },
                "version": e.and_then(|e| e.get("version")),
                "sha256": e.and_then(|e| e.get("sha256")),
                "path": e.and_then(|e| e.get("path")),
                "current": c.from.as_ref().map(entry_json),
            })
        })
        .collect();
    let files: Vec<serde_json::Value> = r
        .files
        .iter()
        .map(|f| match f {
            FileAction::Restore(p) => serde_json::json!({"path": p, "action": "restore"}),
            FileAction::Remove(p) => serde_json::json!({"path": p, "action": "remove"}),
        })
        .collect();
    #[derive(serde::Serialize)]
    struct RollbackJson<'a> {
        schema: &'static str,
        target: SideJson<'a>,
        head: SideJson<'a>,
        restore: Vec<serde_json::Value>,
        files: Vec<serde_json::Value>,
        /// Paths the target's lockfile names that its tree does not hold.
        unheld: &'a [String],
        applied: bool,
        /// The lock root after `--apply`.
        root: Option<&'a str>,
        /// Why `--apply` would refuse (without `--apply`).
        #[serde(skip_serializing_if = "Option::is_none")]
        apply_refused: Option<&'a str>,
    }
    let v = RollbackJson {
        schema: "agentlock.rollback/v1",
        target: side_json(&r.target),
        head: side_json(&r.head),
        restore,
        files,
        unheld: &r.unheld,
        applied: r.applied.is_some(),
        root: r.applied.as_deref(),
        apply_refused: r.refusal.as_deref(),
    };
    format!("{}\n", serde_json::to_string_pretty(&v).unwrap_or_default())
}

pub fn rollback_markdown(r: &RollbackReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "### agentlock: rollback to `{}`\n",
        md(&r.target.label())
    );
    let _ = writeln!(
        out,
        "Target {}; current {}.\n",
        md_side(&r.target),
        md_side(&r.head)
    );
    if r.restore.is_empty() {
        out.push_str("Nothing to restore.\n");
        return out;
    }
    let rows = restore_rows(r);
    let _ = writeln!(out, "| {} |", rows[0].join(" | "));
    out.push_str("|---|---|---|---|---|---|\n");
    for row in &rows[1..] {
        let cells: Vec<String> = row.iter().map(|c| md(c)).collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    if let Some(note) = unheld_note(r) {
        let _ = writeln!(out, "\n{}", md(&note));
    }
    if let Some(why) = &r.refusal {
        let _ = writeln!(
            out,
            "\n`--apply` would refuse, touching nothing: {}",
            md(why)
        );
    }
    out
}

/// A side as JSON, keys in DESIGN §4's order.
#[derive(serde::Serialize)]
struct SideJson<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rev: Option<&'a str>,
    pub commit: Option<String>,
    pub root: &'a str,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub worktree: bool,
}

fn side_json(side: &Side) -> SideJson<'_> {
    SideJson {
        tag: side.tag.as_deref(),
        rev: side.rev.as_deref(),
        commit: side.commit.map(|c| c.hex()),
        root: &side.root,
        worktree: side.worktree,
    }
}

/// An entry's fields as JSON: strings as they are, tool definitions as an object.
fn entry_json(e: &Entry) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    for (k, v) in &e.fields {
        let value = match v {
            Field::Str(s) => serde_json::Value::String(s.clone()),
            Field::Table(t) => serde_json::Value::Object(
                t.iter()
                    .map(|(n, d)| (n.clone(), serde_json::Value::String(d.clone())))
                    .collect(),
            ),
        };
        map.insert((*k).to_string(), value);
    }
    serde_json::Value::Object(map)
}
