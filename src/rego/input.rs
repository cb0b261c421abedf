//! The input document Rego policies see: the model as `agentlock.model/v1`, and the span of
//! every value in it, so that a result's `at` (a path into the input) points at a file, line
//! and column.
//!
//! Every key of the schema is present: an empty list, an empty object or `null` where the
//! repository declares nothing, so that a rule never fails silently on an undefined field.

use crate::load::model::{Model, Sp};
use crate::lock::{Field, Lock};
use crate::node::{Node, Value as NodeValue};
use crate::source::Span;
use serde_json::{Map, Value, json};
use std::collections::HashMap;

/// The schema name of the document (its JSON Schema, `agentlock schema model`, is generated
/// from the tables of [`crate::schema::model`]).
pub use crate::schema::model::SCHEMA;

/// The document and where each of its values was declared, by path.
pub struct Doc {
    pub value: Value,
    /// By path, its segments joined with [`SEP`].
    spans: HashMap<String, Span>,
}

/// What joins the segments of a path in [`Doc`]'s index: no key of the input holds it.
const SEP: char = '\u{1f}';

fn key(path: &[impl AsRef<str>]) -> String {
    let mut k = String::new();
    for (i, p) in path.iter().enumerate() {
        if i > 0 {
            k.push(SEP);
        }
        k.push_str(p.as_ref());
    }
    k
}

impl Doc {
    /// The span of the value at `path` (its segments), or of its nearest declared ancestor.
    pub fn span_of(&self, path: &[String]) -> Option<Span> {
        (1..=path.len())
            .rev()
            .find_map(|n| self.spans.get(&key(&path[..n])).copied())
    }

    /// The segments a dotted path names in the document: a key may itself hold dots (a model
    /// alias `gpt-4.1`), so at each level the longest run of segments that is a key wins.
    pub fn resolve(&self, dotted: &str) -> Vec<String> {
        let parts: Vec<&str> = dotted.split('.').filter(|p| !p.is_empty()).collect();
        let mut out = Vec::new();
        let mut at = Some(&self.value);
        let mut i = 0;
        while i < parts.len() {
            let mut step = 1;
            if let Some(Value::Object(m)) = at {
                if let Some(n) = (1..=parts.len() - i)
                    .rev()
                    .find(|&n| m.contains_key(&parts[i..i + n].join(".")))
                {
                    step = n;
                }
                let key = parts[i..i + step].join(".");
                at = m.get(&key);
                out.push(key);
            } else if let Some(Value::Array(a)) = at {
                at = parts[i].parse::<usize>().ok().and_then(|k| a.get(k));
                out.push(parts[i].to_string());
            } else {
                at = None;
                out.push(parts[i].to_string());
            }
            i += step;
        }
        out
    }
}

struct Builder {
    spans: HashMap<String, Span>,
}

impl Builder {
    fn at(&mut self, path: &[&str], span: Span) {
        self.spans.entry(key(path)).or_insert(span);
    }

    fn str(&mut self, path: &[&str], v: &Option<Sp<String>>) -> Value {
        match v {
            Some(s) => {
                self.at(path, s.span);
                json!(s.value)
            }
            None => Value::Null,
        }
    }

    fn uint(&mut self, path: &[&str], v: &Option<Sp<u64>>) -> Value {
        match v {
            Some(s) => {
                self.at(path, s.span);
                json!(s.value)
            }
            None => Value::Null,
        }
    }

    fn list(&mut self, path: &[&str], v: &[Sp<String>]) -> Value {
        let mut out = Vec::new();
        for (i, s) in v.iter().enumerate() {
            let i = i.to_string();
            let mut p = path.to_vec();
            p.push(&i);
            self.at(&p, s.span);
            out.push(json!(s.value));
        }
        Value::Array(out)
    }

    /// A parsed tree as JSON, with the span of every value below `path` (its key, segments
    /// joined with [`SEP`]).
    fn node(&mut self, path: &mut String, n: &Node) -> Value {
        self.spans.entry(path.clone()).or_insert(n.span);
        let child = |b: &mut Builder, path: &mut String, seg: &str, c: &Node| {
            let len = path.len();
            path.push(SEP);
            path.push_str(seg);
            let v = b.node(path, c);
            path.truncate(len);
            v
        };
        match &n.value {
            NodeValue::Null => Value::Null,
            NodeValue::Bool(b) => json!(b),
            NodeValue::Int(i) => json!(i),
            NodeValue::Float(f) => json!(f),
            NodeValue::Str(s) => json!(s),
            NodeValue::Seq(items) => Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, c)| child(self, path, &i.to_string(), c))
                    .collect(),
            ),
            NodeValue::Map(entries) => {
                let mut m = Map::new();
                for (k, c) in entries {
                    let v = child(self, path, &k.name, c);
                    m.insert(k.name.clone(), v);
                }
                Value::Object(m)
            }
        }
    }
}

/// What changed since the last release, for `input.release`.
pub struct Release<'a> {
    pub tag: &'a str,
    pub root: &'a str,
    pub lock: &'a Lock,
}

/// The document of a model, its lock and (in git) its last release.
pub fn build(model: &Model, lock: &Lock, release: Option<Release<'_>>) -> Doc {
    let mut b = Builder {
        spans: HashMap::new(),
    };
    let c = &model.config;
    b.at(&["project"], c.name.span);
    b.at(&["project", "name"], c.name.span);
    let project = json!({
        "name": c.name.value,
        "agentlock_project": c.project,
        "policy_chain": c.policy.chain(),
    });

    // Each alias with the model it stands for.
    let aliases: HashMap<&str, &crate::load::model::llm::ModelAlias> = model
        .models
        .iter()
        .flat_map(|m| &m.aliases)
        .map(|a| (a.alias.value.as_str(), a))
        .collect();

    let mut agents = Map::new();
    for t in &model.topologies {
        for a in &t.agents {
            let name = a.name.value.as_str();
            if agents.contains_key(name) {
                continue;
            }
            b.at(&["agents", name], a.name.span);
            let inherited = a.timeout_inherited;
            let timeout_ms = match &a.timeout {
                Some(to) => {
                    b.at(&["agents", name, "timeout_ms"], to.span);
                    b.at(&["agents", name, "timeout"], to.span);
                    json!(to.value.millis())
                }
                None => Value::Null,
            };
            let model_id = a.model.as_ref().map(|m| {
                aliases
                    .get(m.value.as_str())
                    .and_then(|al| al.id.as_ref().map(|i| i.value.clone()))
                    .unwrap_or_else(|| m.value.clone())
            });
            let rate = match &a.rate_limit {
                Some(r) => {
                    b.at(&["agents", name, "rate_limit"], r.span);
                    json!(r.value.to_string())
                }
                None => Value::Null,
            };
            let mut handoffs = Vec::new();
            for (i, h) in a.handoffs.iter().enumerate() {
                let i = i.to_string();
                b.at(&["agents", name, "handoffs", &i], h.to.span);
                b.at(&["agents", name, "handoffs", &i, "to"], h.to.span);
                let max = b.uint(
                    &["agents", name, "handoffs", &i, "max_iterations"],
                    &h.max_iterations,
                );
                handoffs.push(json!({"to": h.to.value, "max_iterations": max}));
            }
            let v = obj(vec![
                ("file", json!(model.sources.get(t.file).path)),
                ("role", b.str(&["agents", name, "role"], &a.role)),
                ("prompt", b.str(&["agents", name, "prompt"], &a.prompt)),
                ("model", b.str(&["agents", name, "model"], &a.model)),
                ("model_id", json!(model_id)),
                ("timeout_ms", timeout_ms),
                ("timeout_inherited", json!(inherited)),
                ("retries", b.uint(&["agents", name, "retries"], &a.retries)),
                ("rate_limit", rate),
                (
                    "max_tokens",
                    b.uint(&["agents", name, "max_tokens"], &a.max_tokens),
                ),
                ("tools", b.list(&["agents", name, "tools"], &a.tools)),
                ("handoffs", Value::Array(handoffs)),
            ]);
            agents.insert(name.to_string(), v);
        }
    }

    let mut prompts = Map::new();
    for p in &model.prompts {
        let name = p.name.value.as_str();
        if prompts.contains_key(name) {
            continue;
        }
        b.at(&["prompts", name], p.name.span);
        let owners: Vec<&str> = model
            .codeowners
            .as_ref()
            .and_then(|c| c.owner_of(&p.path))
            .map(|r| r.owners.iter().map(String::as_str).collect())
            .unwrap_or_default();
        let v = json!({
            "version": b.str(&["prompts", name, "version"], &p.version),
            "model": b.str(&["prompts", name, "model"], &p.model),
            "path": p.path,
            "sha256": p.sha256,
            "owners": owners,
        });
        prompts.insert(name.to_string(), v);
    }

    let mut tools = Map::new();
    for t in &model.tools {
        let name = t.server.value.as_str();
        if tools.contains_key(name) {
            continue;
        }
        b.at(&["tools", name], t.server.span);
        let mut sources = Vec::new();
        for (i, s) in t.sources.iter().enumerate() {
            let i = i.to_string();
            b.at(&["tools", name, "sources", &i], s.value.span);
            sources.push(json!({
                "kind": s.kind.value,
                "value": s.value.value,
                "sha256": s.sha256.as_ref().map(|h| h.value.clone()),
            }));
        }
        let timeout_ms = match &t.timeout {
            Some(to) => {
                b.at(&["tools", name, "timeout_ms"], to.span);
                b.at(&["tools", name, "timeout"], to.span);
                json!(to.value.millis())
            }
            None => Value::Null,
        };
        let rate = match &t.rate_limit {
            Some(r) => {
                b.at(&["tools", name, "rate_limit"], r.span);
                json!(r.value.to_string())
            }
            None => Value::Null,
        };
        let mut defs = Map::new();
        for d in &t.tools {
            let mut path = key(&["tools", name, "tools", &d.name.value]);
            b.spans.insert(path.clone(), d.name.span);
            let mut v = b.node(&mut path, &d.node);
            if let Value::Object(m) = &mut v {
                for k in ["description", "inputSchema", "outputSchema", "annotations"] {
                    m.entry(k).or_insert(Value::Null);
                }
            }
            defs.insert(d.name.value.clone(), v);
        }
        let v = obj(vec![
            ("file", json!(t.path)),
            ("version", b.str(&["tools", name, "version"], &t.version)),
            ("sources", Value::Array(sources)),
            (
                "permissions",
                b.list(&["tools", name, "permissions"], &t.permissions),
            ),
            ("timeout_ms", timeout_ms),
            ("rate_limit", rate),
            (
                "on_failure",
                b.str(&["tools", name, "on_failure"], &t.on_failure),
            ),
            ("fallback", b.str(&["tools", name, "fallback"], &t.fallback)),
            ("tools", Value::Object(defs)),
        ]);
        tools.insert(name.to_string(), v);
    }

    let registry = crate::model_ids::registry();
    let mut models = Map::new();
    for a in model.models.iter().flat_map(|m| &m.aliases) {
        let name = a.alias.value.as_str();
        b.at(&["models", name], a.alias.span);
        let (pinning, retired) = match &a.id {
            Some(id) => {
                let c = crate::model_ids::classify(
                    a.provider.as_ref().map(|p| p.value.as_str()),
                    &id.value,
                    registry,
                );
                (
                    json!(c.pinning.name()),
                    json!(c.entry.and_then(|e| e.retired_text.clone())),
                )
            }
            None => (Value::Null, Value::Null),
        };
        let v = json!({
            "provider": b.str(&["models", name, "provider"], &a.provider),
            "id": b.str(&["models", name, "id"], &a.id),
            "fallback": b.str(&["models", name, "fallback"], &a.fallback),
            "pinning": pinning,
            "retired": retired,
        });
        models.insert(name.to_string(), v);
    }

    let deploy = match &model.deploy {
        Some(d) => b.node(&mut "deploy".to_string(), &d.root),
        None => Value::Null,
    };

    let mut datasets = Map::new();
    for d in &model.datasets {
        let name = d.name.value.as_str();
        b.at(&["datasets", name], d.name.span);
        datasets.insert(
            name.to_string(),
            json!({
                "version": b.str(&["datasets", name, "version"], &d.version),
                "kind": b.str(&["datasets", name, "kind"], &d.kind),
                "path": d.path,
                "items": d.items,
                "sha256": d.sha256,
            }),
        );
    }

    let entries: Vec<Value> = lock.entries.iter().map(entry_json).collect();
    let release = match release {
        Some(r) => {
            let changes: Vec<Value> = crate::lock::compare(r.lock, lock)
                .into_iter()
                .map(|c| json!({"kind": c.kind.as_str(), "key": c.key, "change": c.what.as_str()}))
                .collect();
            json!({"tag": r.tag, "root": r.root, "changed": changes})
        }
        None => Value::Null,
    };

    let value = obj(vec![
        ("schema", json!(SCHEMA)),
        ("project", project),
        ("agents", Value::Object(agents)),
        ("prompts", Value::Object(prompts)),
        ("tools", Value::Object(tools)),
        ("models", Value::Object(models)),
        ("deploy", deploy),
        ("datasets", Value::Object(datasets)),
        (
            "lock",
            obj(vec![
                ("root", json!(lock.root())),
                ("entries", Value::Array(entries)),
            ]),
        ),
        ("release", release),
    ]);
    Doc {
        value,
        spans: b.spans,
    }
}

/// An object of values moved in (`json!` would copy each one).
fn obj(fields: Vec<(&str, Value)>) -> Value {
    Value::Object(
        fields
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    )
}

fn entry_json(e: &crate::lock::Entry) -> Value {
    let mut m = Map::new();
    m.insert("kind".into(), json!(e.kind.as_str()));
    m.insert("key".into(), json!(e.key));
    for (k, f) in &e.fields {
        let v = match f {
            Field::Str(s) => json!(s),
            Field::Table(t) => json!(t),
        };
        m.insert((*k).to_string(), v);
    }
    Value::Object(m)
}
