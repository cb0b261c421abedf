//! The lockfile: hashing the model, writing `agentlock.lock`, reading it back, comparing.
//!
//! The lock is TOML with entries sorted, byte-identical across runs and machines. Its `root`
//! digest is the SHA-256 of everything below the `root` line, so one string names a release.
//!
//! - `mod.rs`: the entries and the lock of a model;
//! - `file.rs`: the lockfile's text, written and read back;
//! - `compare.rs`: what changed between two locks;
//! - `status.rs`: the lockfile in the snapshot against the repository, for the REL rules.

mod compare;
mod file;
mod status;
#[cfg(test)]
mod tests;

pub use compare::*;
pub use file::*;
pub use status::*;

use crate::digest::sha256_hex;
use crate::load::model::Model;
use crate::node::{self, Node, Value};
use crate::source::{FileId, Span};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Whether a change of a `kind` entry may be only the echo of a file that failed to load
/// (`incomplete`): every agent of an agents.yaml that does not parse looks removed, and so does
/// the prompt a broken file held. CONF001 says why; reports hold these back and count them.
pub fn echoes_a_failed_load(
    incomplete: &crate::load::model::Incomplete,
    kind: Kind,
    removed: bool,
) -> bool {
    match kind {
        Kind::Agent | Kind::Topology => incomplete.agents,
        Kind::Model => incomplete.models,
        Kind::Deploy => incomplete.deploy,
        Kind::Prompt => incomplete.prompts && removed,
        Kind::Tool => incomplete.tools && removed,
        Kind::Dataset => incomplete.datasets && removed,
        Kind::Policy => false,
    }
}

pub const LOCKFILE: &str = "agentlock.lock";
pub const LOCK_VERSION: i64 = 1;

/// What one entry of the lock pins. Entries are compared by `kind` + `key`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub kind: Kind,
    /// Identity within its kind: `planner@1.3.0`, `github`, `reasoning`, …
    pub key: String,
    /// The fields as written to the lock, in order.
    pub fields: Vec<(&'static str, Field)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Field {
    Str(String),
    /// An inline table of name → digest (tool definitions).
    Table(BTreeMap<String, String>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Prompt,
    Model,
    Tool,
    Agent,
    Topology,
    Dataset,
    Deploy,
    Policy,
}

impl Kind {
    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::Prompt => "prompt",
            Kind::Model => "model",
            Kind::Tool => "tool",
            Kind::Agent => "agent",
            Kind::Topology => "topology",
            Kind::Dataset => "dataset",
            Kind::Deploy => "deploy",
            Kind::Policy => "policy",
        }
    }

    fn from_str(s: &str) -> Option<Kind> {
        KINDS.iter().copied().find(|k| k.as_str() == s)
    }

    /// `[topology]` and `[deploy]` are single tables; the others are arrays of tables. A
    /// repository with several crews has several topologies: `[[topology]]` then.
    fn single(self) -> bool {
        matches!(self, Kind::Topology | Kind::Deploy | Kind::Policy)
    }

    /// A single table that may be an array of tables when there are several.
    fn may_repeat(self) -> bool {
        self == Kind::Topology
    }

    /// The fields that make up an entry's identity, in order.
    fn key_fields(self) -> &'static [&'static str] {
        match self {
            Kind::Prompt | Kind::Dataset => &["name", "version"],
            Kind::Model => &["alias"],
            Kind::Tool => &["server"],
            Kind::Agent => &["name"],
            // a crew's topology is its file; agentlock's own has none
            Kind::Topology => &["path"],
            Kind::Deploy | Kind::Policy => &[],
        }
    }
}

/// Every kind, in the lockfile's order.
pub const KINDS: &[Kind] = &[
    Kind::Prompt,
    Kind::Model,
    Kind::Tool,
    Kind::Agent,
    Kind::Topology,
    Kind::Dataset,
    Kind::Deploy,
    Kind::Policy,
];

/// The name of every kind, in the lockfile's order: an entry's `kind` in the model document
/// and its JSON Schema.
pub const KIND_NAMES: &[&str] = &{
    let mut names = [""; KINDS.len()];
    let mut i = 0;
    while i < KINDS.len() {
        names[i] = KINDS[i].as_str();
        i += 1;
    }
    names
};

impl Entry {
    pub fn get(&self, field: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| *k == field)
            .and_then(|(_, v)| match v {
                Field::Str(s) => Some(s.as_str()),
                Field::Table(_) => None,
            })
    }

    pub fn table(&self, field: &str) -> Option<&BTreeMap<String, String>> {
        self.fields
            .iter()
            .find(|(k, _)| *k == field)
            .and_then(|(_, v)| match v {
                Field::Table(t) => Some(t),
                Field::Str(_) => None,
            })
    }

    /// How a person names the entry: `prompt planner@1.3.0`.
    pub fn label(&self) -> String {
        if self.key.is_empty() {
            self.kind.as_str().to_string()
        } else {
            format!("{} {}", self.kind.as_str(), self.key)
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lock {
    pub entries: Vec<Entry>,
}

fn s(v: impl Into<String>) -> Field {
    Field::Str(v.into())
}

fn key_of(kind: Kind, fields: &[(&'static str, Field)]) -> String {
    // A crew's agent is named by its crew's file too: two crews may both have a `researcher`.
    if kind == Kind::Agent
        && let Some(Field::Str(path)) = fields.iter().find(|(f, _)| *f == "path").map(|(_, v)| v)
        && let Some(Field::Str(name)) = fields.iter().find(|(f, _)| *f == "name").map(|(_, v)| v)
    {
        return format!("{path}#{name}");
    }
    let parts: Vec<&str> = kind
        .key_fields()
        .iter()
        .filter_map(|k| {
            fields.iter().find(|(f, _)| f == k).and_then(|(_, v)| {
                if let Field::Str(s) = v {
                    Some(s.as_str())
                } else {
                    None
                }
            })
        })
        .collect();
    parts.join("@")
}

fn entry(kind: Kind, fields: Vec<(&'static str, Field)>) -> Entry {
    Entry {
        kind,
        key: key_of(kind, &fields),
        fields,
    }
}

impl Lock {
    /// Computes the lock of a model.
    /// The lock of a model; `catalog` (every rule) resolves the codes its policy names.
    pub fn from_model(model: &Model, catalog: &[&'static crate::finding::Meta]) -> Lock {
        use rayon::prelude::*;
        // (A large repository's entries are mostly prompts: made, and redacted below, in
        // parallel.)
        let mut entries: Vec<Entry> = model
            .prompts
            .par_iter()
            .map(|p| {
                let mut f = vec![("name", s(&p.name.value))];
                if let Some(v) = &p.version {
                    f.push(("version", s(&v.value)));
                }
                f.push(("path", s(&p.path)));
                f.push(("sha256", s(&p.sha256)));
                entry(Kind::Prompt, f)
            })
            .collect();
        if let Some(ms) = &model.models {
            for m in &ms.aliases {
                let mut f = vec![("alias", s(&m.alias.value))];
                if let Some(p) = &m.provider {
                    f.push(("provider", s(&p.value)));
                }
                if let Some(id) = &m.id {
                    f.push(("id", s(&id.value)));
                }
                f.push(("sha256", s(sha256_hex(m.canonical.as_bytes()))));
                if let Some(file) = m.file {
                    f.push(("path", s(&model.sources.get(file).path)));
                }
                entries.push(entry(Kind::Model, f));
            }
        }
        for t in &model.tools {
            let mut f = vec![("server", s(&t.server.value))];
            if let Some(v) = &t.version {
                f.push(("version", s(&v.value)));
            }
            if !t.sources.is_empty() {
                let all: Vec<String> = t.sources.iter().map(|s| s.display()).collect();
                f.push(("source", s(all.join(", "))));
            }
            f.push(("path", s(&t.path)));
            f.push(("sha256", s(sha256_hex(t.canonical.as_bytes()))));
            f.push(("definitions", Field::Table(definition_digests(t))));
            entries.push(entry(Kind::Tool, f));
        }
        for topo in &model.topologies {
            // A topology read from elsewhere than agents.yaml (a crew) names its files.
            let path = &model.sources.get(topo.file).path;
            let mut files = Vec::new();
            if *path != model.config.paths.agents || !model.config.project {
                files.push(("path", s(path)));
                if let Some(t) = topo.tasks {
                    files.push(("tasks", s(&model.sources.get(t).path)));
                }
            }
            for a in &topo.agents {
                let mut f = vec![
                    ("name", s(&a.name.value)),
                    ("sha256", s(sha256_hex(a.canonical.as_bytes()))),
                ];
                f.extend(files.iter().cloned());
                entries.push(entry(Kind::Agent, f));
            }
            let mut f = vec![("sha256", s(sha256_hex(topology_json(topo).as_bytes())))];
            f.extend(files);
            entries.push(entry(Kind::Topology, f));
        }
        for d in &model.datasets {
            let mut f = vec![("name", s(&d.name.value))];
            if let Some(v) = &d.version {
                f.push(("version", s(&v.value)));
            }
            f.push(("path", s(&d.path)));
            f.push(("sha256", s(&d.sha256)));
            entries.push(entry(Kind::Dataset, f));
        }
        if let Some(d) = &model.deploy {
            entries.push(entry(
                Kind::Deploy,
                vec![("sha256", s(sha256_hex(d.canonical.as_bytes())))],
            ));
        }
        // The effective policy: loosening it (a rule off, a limit raised, a new exception or
        // suppression) changes the lock, so it shows in review.
        let policy = crate::policy::Policy::new(
            &model.config,
            &model.suppressions,
            &model.sources,
            &model.catalog(catalog),
            0,
        );
        entries.push(entry(
            Kind::Policy,
            vec![
                ("chain", s(policy.chain.join(", "))),
                (
                    "sha256",
                    s(sha256_hex(policy.canonical_json(&model.sources).as_bytes())),
                ),
                // The model registry MODEL001/MODEL003 classify with (policy/models.toml).
                ("registry", s(crate::model_ids::registry_sha256())),
            ],
        ));
        // The organisation's Rego policies, each by its content: a changed rule is a changed
        // release.
        if !model.rego.is_empty() {
            let files: BTreeMap<String, String> = model
                .rego
                .iter()
                .map(|&(id, _)| {
                    let file = model.sources.get(id);
                    let text = file.text.as_deref().unwrap_or_default();
                    (
                        file.path.clone(),
                        format!("sha256:{}", crate::digest::sha256_lf(text.as_bytes())),
                    )
                })
                .collect();
            if let Some(e) = entries.last_mut() {
                e.fields.push(("rego", Field::Table(files)));
            }
        }
        // A credential never reaches the lockfile (a URL source with a password, a token as a
        // file, agent or tool name): the redacted form stands in for it, keys included, and a
        // SECRET rule reports it. Only this model's own secrets and what the scanner finds on
        // its own count, so the lock of a repository never depends on what else was read.
        entries.par_iter_mut().for_each(|e| {
            for (_, field) in &mut e.fields {
                match field {
                    Field::Str(v) => *v = redact(model, v),
                    Field::Table(t) => {
                        *t = std::mem::take(t)
                            .into_iter()
                            .map(|(k, v)| (redact(model, &k), redact(model, &v)))
                            .collect();
                    }
                }
            }
            e.key = key_of(e.kind, &e.fields);
        });
        let mut lock = Lock { entries };
        lock.sort();
        lock
    }

    /// Sorts by kind, the key fields, then path. A stable merge sort without allocating: a
    /// lockfile read back is already in order and costs one pass.
    fn sort(&mut self) {
        self.entries.sort_by(|a, b| {
            a.kind.cmp(&b.kind).then_with(|| {
                a.kind
                    .key_fields()
                    .iter()
                    .map(|f| a.get(f).unwrap_or("").cmp(b.get(f).unwrap_or("")))
                    .find(|o| o.is_ne())
                    .unwrap_or(std::cmp::Ordering::Equal)
                    .then_with(|| a.get("path").cmp(&b.get("path")))
            })
        });
    }
}

/// Each tool definition of a server by name, with the digest of its whole surface.
pub fn definition_digests(t: &crate::load::model::ToolServer) -> BTreeMap<String, String> {
    t.tools
        .iter()
        .map(|d| {
            (
                d.name.value.clone(),
                format!("sha256:{}", sha256_hex(d.canonical.as_bytes())),
            )
        })
        .collect()
}

/// The graph itself: the entry, the agents and every handoff with its bound.
fn topology_json(topo: &crate::load::model::Topology) -> String {
    let mut out = String::from("{\"agents\":[");
    let mut agents: Vec<_> = topo.agents.iter().collect();
    agents.sort_by(|a, b| a.name.value.cmp(&b.name.value));
    for (i, a) in agents.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        node::write_json_str(&a.name.value, &mut out);
    }
    out.push_str("],\"edges\":[");
    let mut edges = topo.edges();
    edges.sort();
    for (i, (from, to, bound)) in edges.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('[');
        node::write_json_str(from, &mut out);
        out.push(',');
        node::write_json_str(to, &mut out);
        let _ = write!(
            out,
            ",{}]",
            bound.map_or("null".to_string(), |b| b.to_string())
        );
    }
    out.push_str("],\"entry\":");
    match &topo.entry {
        Some(e) => node::write_json_str(&e.value, &mut out),
        None => out.push_str("null"),
    }
    out.push('}');
    out
}

/// A lockfile value with every credential of the model, and every one the scanner finds in
/// the value itself, replaced by its redacted form.
fn redact(model: &Model, value: &str) -> String {
    let v = model.scrub_text(value);
    crate::secrets::redact_found(&v).into_owned()
}
