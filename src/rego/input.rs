//! The input document Rego policies see: the model as `agentlock.model/v1`, and the span of
//! every value in it, so that a result's `at` (a path into the input) points at a file, line
//! and column.
//!
//! Every key of the schema is present: an empty list, an empty object or `null` where the
//! repository declares nothing, so that a rule never fails silently on an undefined field.
//!
//! The document is built as regorus holds it (no JSON value or text between the model and the
//! interpreter), and its sections are built in parallel. The span index is keyed by a 64-bit
//! hash of each path, not by the path's text: one lookup per finding, no string per value.

use crate::load::codeowners::Ownership;
use crate::load::model::{Model, Sp};
use crate::lock::{Field, Lock};
use crate::node::{Node, Value as NodeValue};
use crate::source::Span;
use regorus::Value;
use regorus::value::Object;
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

/// The schema name of the document (its JSON Schema, `agentlock schema model`, is generated
/// from the tables of [`crate::schema::model`]).
pub use crate::schema::model::SCHEMA;

/// The document and where each of its values was declared, by path.
pub struct Doc {
    pub value: Value,
    /// One index per group of sections built in parallel (see [`Doc::section`]).
    spans: [Spans; 4],
}

/// Spans by path hash ([`P`]): the key is already a hash, so the map does not hash it again.
type Spans = HashMap<u64, Span, BuildHasherDefault<Identity>>;

#[derive(Default)]
struct Identity(u64);

impl Hasher for Identity {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// A path into the document, as the hash of its segments: `P::ROOT.k("agents").k("a")`.
/// Segments are delimited (0xff is never in UTF-8), so `["ab", "c"]` and `["a", "bc"]` differ.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct P(u64);

impl P {
    const ROOT: P = P(0x6167_656e_746c_6f63);

    fn k(self, seg: &str) -> P {
        let seg = redacted(seg);
        let mut h = std::collections::hash_map::DefaultHasher::new();
        h.write_u64(self.0);
        h.write(seg.as_bytes());
        h.write_u8(0xff);
        P(h.finish())
    }

    /// The segment of a list index: its decimal digits, as a dotted path writes it.
    fn i(self, i: usize) -> P {
        let mut buf = [0u8; 20];
        let mut n = i;
        let mut at = buf.len();
        loop {
            at -= 1;
            buf[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.k(std::str::from_utf8(&buf[at..]).unwrap_or("0"))
    }

    #[cfg(test)]
    fn path(segs: &[impl AsRef<str>]) -> P {
        segs.iter().fold(P::ROOT, |p, s| p.k(s.as_ref()))
    }
}

/// The value at `key` of an object (`None` for another kind of value).
pub fn get<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    match v {
        Value::Object(o) => o.get(&Value::from(key)),
        _ => None,
    }
}

impl Doc {
    /// The span of the value at `path` (its segments), or of its nearest declared ancestor.
    pub fn span_of(&self, path: &[impl AsRef<str>]) -> Option<Span> {
        let spans = &self.spans[Doc::section(path.first()?.as_ref())?];
        let mut hashes = Vec::with_capacity(path.len());
        let mut p = P::ROOT;
        for s in path {
            p = p.k(s.as_ref());
            hashes.push(p.0);
        }
        hashes.iter().rev().find_map(|h| spans.get(h).copied())
    }

    /// The index that holds the spans of a top-level key (as [`build`] groups them).
    fn section(key: &str) -> Option<usize> {
        match key {
            "agents" => Some(0),
            "project" | "models" => Some(1),
            "prompts" => Some(2),
            "tools" | "deploy" | "datasets" => Some(3),
            _ => None,
        }
    }

    /// The segments a dotted path names in the document: a key may itself hold dots (a model
    /// alias `gpt-4.1`), so at each level the longest run of segments that is a key wins.
    ///
    /// A path is a policy's, but may be built from the repository's names: at most
    /// [`MAX_SEGMENTS`] segments are read, and a key is tried as at most [`MAX_KEY_DOTS`] + 1
    /// of them, so that a name of thousands of dots costs a bounded search, not a cubic one.
    pub fn resolve(&self, dotted: &str) -> Vec<String> {
        let parts: Vec<&str> = dotted
            .split('.')
            .filter(|p| !p.is_empty())
            .take(MAX_SEGMENTS)
            .collect();
        let mut out = Vec::new();
        let mut at = Some(&self.value);
        let mut i = 0;
        while i < parts.len() {
            let mut step = 1;
            match at {
                Some(Value::Object(m)) => {
                    if let Some(n) = (1..=(parts.len() - i).min(MAX_KEY_DOTS + 1))
                        .rev()
                        .find(|&n| m.contains_key(&Value::from(parts[i..i + n].join("."))))
                    {
                        step = n;
                    }
                    let key = parts[i..i + step].join(".");
                    at = m.get(&Value::from(key.as_str()));
                    out.push(key);
                }
                Some(Value::Array(a)) => {
                    at = parts[i].parse::<usize>().ok().and_then(|k| a.get(k));
                    out.push(parts[i].to_string());
                }
                _ => {
                    at = None;
                    out.push(parts[i].to_string());
                }
            }
            i += step;
        }
        out
    }

    /// The document as pretty JSON (what `agentlock model` prints).
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(&self.value).unwrap_or_default()
    }
}

/// The most segments of a path [`Doc::resolve`] reads.
pub const MAX_SEGMENTS: usize = 256;

/// The most dots a key of the document is looked for with (`gpt-4.1` has one).
pub const MAX_KEY_DOTS: usize = 15;

/// A string value.
fn s(v: &str) -> Value {
    Value::from(redacted(v).as_ref())
}

/// A string of the repository as the document holds it: each credential the secret scan found
/// in its redacted form, as `agentlock model` prints it. A policy is code a pull request can
/// add, and it could print a value in a form the output's redaction does not know (reversed,
/// encoded), so it never sees the value. Every string and key of the document, and every
/// segment of a path into it, goes through here.
fn redacted(v: &str) -> std::borrow::Cow<'_, str> {
    if crate::secrets::known::any() {
        crate::secrets::known::scrub(v)
    } else {
        std::borrow::Cow::Borrowed(v)
    }
}

/// An optional string value, or null.
fn opt_s(v: Option<&str>) -> Value {
    v.map_or(Value::Null, Value::from)
}

/// An object of the fields given, each key once.
fn obj<const N: usize>(fields: [(&str, Value); N]) -> Value {
    let m: BTreeMap<Value, Value> = fields.into_iter().map(|(k, v)| (s(k), v)).collect();
    Object::from(m).into_value()
}

/// An object of named entries.
fn map(m: BTreeMap<Value, Value>) -> Value {
    Object::from(m).into_value()
}

fn arr(v: Vec<Value>) -> Value {
    Value::from(v)
}

/// The spans of one section of the document, as it is built.
#[derive(Default)]
struct Builder {
    spans: Spans,
}

impl Builder {
    fn at(&mut self, p: P, span: Span) {
        self.spans.entry(p.0).or_insert(span);
    }

    fn str(&mut self, p: P, v: &Option<Sp<String>>) -> Value {
        match v {
            Some(x) => {
                self.at(p, x.span);
                s(&x.value)
            }
            None => Value::Null,
        }
    }

    fn uint(&mut self, p: P, v: &Option<Sp<u64>>) -> Value {
        match v {
            Some(x) => {
                self.at(p, x.span);
                Value::from(x.value)
            }
            None => Value::Null,
        }
    }

    fn list(&mut self, p: P, v: &[Sp<String>]) -> Value {
        let mut out = Vec::with_capacity(v.len());
        for (i, x) in v.iter().enumerate() {
            self.at(p.i(i), x.span);
            out.push(s(&x.value));
        }
        arr(out)
    }

    /// A parsed tree as a value, with the span of every value below `p`.
    fn node(&mut self, p: P, n: &Node) -> Value {
        self.at(p, n.span);
        match &n.value {
            NodeValue::Null => Value::Null,
            NodeValue::Bool(b) => Value::from(*b),
            NodeValue::Int(i) => Value::from(*i),
            NodeValue::Float(f) if f.is_finite() => Value::from(*f),
            NodeValue::Float(_) => Value::Null,
            NodeValue::Str(x) => s(x),
            NodeValue::Seq(items) => arr(items
                .iter()
                .enumerate()
                .map(|(i, c)| self.node(p.i(i), c))
                .collect()),
            NodeValue::Map(entries) => {
                let mut m = BTreeMap::new();
                for (k, c) in entries {
                    let v = self.node(p.k(&k.name), c);
                    m.insert(s(&k.name), v);
                }
                map(m)
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
pub fn build(model: &Model, lock: Option<&Lock>, release: Option<Release<'_>>) -> Doc {
    let ((agents, project_models), (prompts, (tools_etc, lock_release))) = rayon::join(
        || rayon::join(|| agents(model), || project_and_models(model)),
        || {
            rayon::join(
                || prompts(model),
                || {
                    rayon::join(
                        || tools_deploy_datasets(model),
                        || lock_and_release(lock, release),
                    )
                },
            )
        },
    );
    let (agents, b_agents) = agents;
    let ((project, models), b_pm) = project_models;
    let (prompts, b_prompts) = prompts;
    let ((tools, deploy, datasets), b_tools) = tools_etc;
    let (lock_v, release_v) = lock_release;
    let value = obj([
        ("schema", s(SCHEMA)),
        ("project", project),
        ("agents", agents),
        ("prompts", prompts),
        ("tools", tools),
        ("models", models),
        ("deploy", deploy),
        ("datasets", datasets),
        ("lock", lock_v),
        ("release", release_v),
    ]);
    Doc {
        value,
        spans: [b_agents.spans, b_pm.spans, b_prompts.spans, b_tools.spans],
    }
}

fn project_and_models(model: &Model) -> ((Value, Value), Builder) {
    let mut b = Builder::default();
    let c = &model.config;
    let project = P::ROOT.k("project");
    b.at(project, c.name.span);
    b.at(project.k("name"), c.name.span);
    let chain: Vec<Value> = c.policy.chain().into_iter().map(s).collect();
    let project = obj([
        ("name", s(&c.name.value)),
        ("agentlock_project", Value::from(c.project)),
        ("policy_chain", arr(chain)),
    ]);

    let registry = crate::model_ids::registry();
    let models = P::ROOT.k("models");
    let mut out = BTreeMap::new();
    for a in model.models.iter().flat_map(|m| &m.aliases) {
        let name = a.alias.value.as_str();
        let p = models.k(name);
        b.at(p, a.alias.span);
        let (pinning, retired) = match &a.id {
            Some(id) => {
                let c = crate::model_ids::classify(
                    a.provider.as_ref().map(|p| p.value.as_str()),
                    &id.value,
                    registry,
                );
                (
                    s(c.pinning.name()),
                    opt_s(c.entry.and_then(|e| e.retired_text.as_deref())),
                )
            }
            None => (Value::Null, Value::Null),
        };
        let v = obj([
            ("provider", b.str(p.k("provider"), &a.provider)),
            ("id", b.str(p.k("id"), &a.id)),
            ("fallback", b.str(p.k("fallback"), &a.fallback)),
            ("pinning", pinning),
            ("retired", retired),
        ]);
        out.insert(s(name), v);
    }
    ((project, map(out)), b)
}

fn agents(model: &Model) -> (Value, Builder) {
    let mut b = Builder::default();
    // Each alias with the model it stands for.
    let aliases: HashMap<&str, &crate::load::model::llm::ModelAlias> = model
        .models
        .iter()
        .flat_map(|m| &m.aliases)
        .map(|a| (a.alias.value.as_str(), a))
        .collect();
    let agents = P::ROOT.k("agents");
    let mut out: BTreeMap<Value, Value> = BTreeMap::new();
    for t in &model.topologies {
        let file = s(&model.sources.get(t.file).path);
        for a in &t.agents {
            let name = a.name.value.as_str();
            let key = s(name);
            if out.contains_key(&key) {
                continue;
            }
            let p = agents.k(name);
            b.at(p, a.name.span);
            let timeout_ms = match &a.timeout {
                Some(to) => {
                    b.at(p.k("timeout_ms"), to.span);
                    b.at(p.k("timeout"), to.span);
                    Value::from(to.value.millis())
                }
                None => Value::Null,
            };
            let model_id = a.model.as_ref().map(|m| {
                aliases
                    .get(m.value.as_str())
                    .and_then(|al| al.id.as_ref().map(|i| i.value.as_str()))
                    .unwrap_or(m.value.as_str())
            });
            let rate = match &a.rate_limit {
                Some(r) => {
                    b.at(p.k("rate_limit"), r.span);
                    s(&r.value.to_string())
                }
                None => Value::Null,
            };
            let hp = p.k("handoffs");
            let mut handoffs = Vec::with_capacity(a.handoffs.len());
            for (i, h) in a.handoffs.iter().enumerate() {
                let hi = hp.i(i);
                b.at(hi, h.to.span);
                b.at(hi.k("to"), h.to.span);
                let max = b.uint(hi.k("max_iterations"), &h.max_iterations);
                handoffs.push(obj([("to", s(&h.to.value)), ("max_iterations", max)]));
            }
            let v = obj([
                ("file", file.clone()),
                ("role", b.str(p.k("role"), &a.role)),
                ("prompt", b.str(p.k("prompt"), &a.prompt)),
                ("model", b.str(p.k("model"), &a.model)),
                ("model_id", opt_s(model_id)),
                ("timeout_ms", timeout_ms),
                ("timeout_inherited", Value::from(a.timeout_inherited)),
                ("retries", b.uint(p.k("retries"), &a.retries)),
                ("rate_limit", rate),
                ("max_tokens", b.uint(p.k("max_tokens"), &a.max_tokens)),
                ("tools", b.list(p.k("tools"), &a.tools)),
                ("handoffs", arr(handoffs)),
            ]);
            out.insert(key, v);
        }
    }
    (map(out), b)
}

fn prompts(model: &Model) -> (Value, Builder) {
    let mut b = Builder::default();
    let prompts = P::ROOT.k("prompts");
    let mut out: BTreeMap<Value, Value> = BTreeMap::new();
    for p in &model.prompts {
        let name = p.name.value.as_str();
        let key = s(name);
        if out.contains_key(&key) {
            continue;
        }
        let at = prompts.k(name);
        b.at(at, p.name.span);
        // Not decided (CONF001 at CODEOWNERS says why): null, not a list that says "none".
        let owners = match model.codeowners.as_ref().map(|c| c.ownership(&p.path)) {
            None | Some(Ownership::NoRule) => arr(Vec::new()),
            Some(Ownership::Rule { rule, .. }) => arr(rule.owners.iter().map(|o| s(o)).collect()),
            Some(Ownership::Unknown) => Value::Null,
        };
        let v = obj([
            ("version", b.str(at.k("version"), &p.version)),
            ("model", b.str(at.k("model"), &p.model)),
            ("path", s(&p.path)),
            ("sha256", s(&p.sha256)),
            ("owners", owners),
        ]);
        out.insert(key, v);
    }
    (map(out), b)
}

fn tools_deploy_datasets(model: &Model) -> ((Value, Value, Value), Builder) {
    let mut b = Builder::default();
    let tools = P::ROOT.k("tools");
    let mut out: BTreeMap<Value, Value> = BTreeMap::new();
    for t in &model.tools {
        let name = t.server.value.as_str();
        let key = s(name);
        if out.contains_key(&key) {
            continue;
        }
        let p = tools.k(name);
        b.at(p, t.server.span);
        let sp = p.k("sources");
        let mut sources = Vec::with_capacity(t.sources.len());
        for (i, x) in t.sources.iter().enumerate() {
            b.at(sp.i(i), x.value.span);
            sources.push(obj([
                ("kind", s(&x.kind.value)),
                ("value", s(&x.value.value)),
                ("sha256", opt_s(x.sha256.as_ref().map(|h| h.value.as_str()))),
            ]));
        }
        let timeout_ms = match &t.timeout {
            Some(to) => {
                b.at(p.k("timeout_ms"), to.span);
                b.at(p.k("timeout"), to.span);
                Value::from(to.value.millis())
            }
            None => Value::Null,
        };
        let rate = match &t.rate_limit {
            Some(r) => {
                b.at(p.k("rate_limit"), r.span);
                s(&r.value.to_string())
            }
            None => Value::Null,
        };
        let dp = p.k("tools");
        let mut defs = BTreeMap::new();
        for d in &t.tools {
            let at = dp.k(&d.name.value);
            b.at(at, d.name.span);
            let mut v = b.node(at, &d.node);
            if let Value::Object(_) = &v {
                let missing: Vec<&str> =
                    ["description", "inputSchema", "outputSchema", "annotations"]
                        .into_iter()
                        .filter(|k| get(&v, k).is_none())
                        .collect();
                if !missing.is_empty()
                    && let Ok(o) = v.as_object_mut()
                {
                    for k in missing {
                        o.insert(s(k), Value::Null);
                    }
                }
            }
            defs.insert(s(&d.name.value), v);
        }
        let v = obj([
            ("file", s(&t.path)),
            ("version", b.str(p.k("version"), &t.version)),
            ("sources", arr(sources)),
            ("permissions", b.list(p.k("permissions"), &t.permissions)),
            ("timeout_ms", timeout_ms),
            ("rate_limit", rate),
            ("on_failure", b.str(p.k("on_failure"), &t.on_failure)),
            ("fallback", b.str(p.k("fallback"), &t.fallback)),
            ("tools", map(defs)),
        ]);
        out.insert(key, v);
    }

    let deploy = match &model.deploy {
        Some(d) => b.node(P::ROOT.k("deploy"), &d.root),
        None => Value::Null,
    };

    let datasets = P::ROOT.k("datasets");
    let mut ds = BTreeMap::new();
    for d in &model.datasets {
        let name = d.name.value.as_str();
        let p = datasets.k(name);
        b.at(p, d.name.span);
        ds.insert(
            s(name),
            obj([
                ("version", b.str(p.k("version"), &d.version)),
                ("kind", b.str(p.k("kind"), &d.kind)),
                ("path", s(&d.path)),
                ("items", Value::from(d.items)),
                ("sha256", s(&d.sha256)),
            ]),
        );
    }
    ((map(out), deploy, map(ds)), b)
}

fn lock_and_release(lock: Option<&Lock>, release: Option<Release<'_>>) -> (Value, Value) {
    let Some(lock) = lock else {
        return (Value::Null, Value::Null);
    };
    let entries: Vec<Value> = lock.entries.iter().map(entry).collect();
    let release = match release {
        Some(r) => {
            let changes: Vec<Value> = crate::lock::compare(r.lock, lock)
                .into_iter()
                .map(|c| {
                    obj([
                        ("kind", s(c.kind.as_str())),
                        ("key", s(&c.key)),
                        ("change", s(c.what.as_str())),
                    ])
                })
                .collect();
            obj([
                ("tag", s(r.tag)),
                ("root", s(r.root)),
                ("changed", arr(changes)),
            ])
        }
        None => Value::Null,
    };
    let lock = obj([("root", s(&lock.root())), ("entries", arr(entries))]);
    (lock, release)
}

fn entry(e: &crate::lock::Entry) -> Value {
    let mut m = BTreeMap::new();
    m.insert(s("kind"), s(e.kind.as_str()));
    m.insert(s("key"), s(&e.key));
    for (k, f) in &e.fields {
        let v = match f {
            Field::Str(x) => s(x),
            Field::Table(t) => map(t.iter().map(|(k, v)| (s(k), s(v))).collect()),
        };
        m.insert(s(k), v);
    }
    map(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_hashes_delimit_segments_and_write_indices_as_digits() {
        assert_ne!(P::path(&["ab", "c"]), P::path(&["a", "bc"]));
        assert_ne!(P::path(&["a", ""]), P::path(&["a"]));
        assert_eq!(P::ROOT.k("t").i(0), P::path(&["t", "0"]));
        assert_eq!(P::ROOT.k("t").i(1207), P::path(&["t", "1207"]));
        assert_ne!(P::ROOT.k("t").i(12), P::path(&["t", "1", "2"]));
    }

    fn doc() -> Doc {
        let (mut agents, mut models_b) = (Builder::default(), Builder::default());
        let span = |n: usize| Span::new(crate::source::FileId(0), n, n + 1);
        models_b.at(P::path(&["models", "gpt-4.1"]), span(1));
        models_b.at(P::path(&["models", "gpt-4.1", "id"]), span(2));
        agents.at(P::path(&["agents", "a", "tools", "0"]), span(3));
        let model = obj([("id", s("gpt-4.1-2025-04-14"))]);
        let mut models = BTreeMap::new();
        models.insert(s("gpt-4.1"), model);
        let value = obj([("models", map(models)), ("agents", obj([]))]);
        Doc {
            value,
            spans: [
                agents.spans,
                models_b.spans,
                Spans::default(),
                Spans::default(),
            ],
        }
    }

    #[test]
    fn a_dotted_path_takes_the_longest_key_at_each_level() {
        let d = doc();
        assert_eq!(d.resolve("models.gpt-4.1.id"), ["models", "gpt-4.1", "id"]);
        assert_eq!(
            d.resolve("models.gpt-4.1.nope.x"),
            ["models", "gpt-4.1", "nope", "x"]
        );
    }

    #[test]
    fn a_path_of_thousands_of_dots_is_read_to_a_bound() {
        let d = doc();
        let dotted = format!("models.gpt-4.1.{}", "a.".repeat(200_000));
        let p = d.resolve(&dotted);
        // 256 segments read, two of them the key `gpt-4.1`.
        assert_eq!(p.len(), MAX_SEGMENTS - 1, "{:?}", &p[..4]);
        assert_eq!(&p[..3], ["models", "gpt-4.1", "a"]);
        assert_eq!(d.span_of(&p).map(|s| s.start), Some(1));
    }

    #[test]
    fn a_span_is_of_the_value_or_its_nearest_declared_ancestor() {
        let d = doc();
        let start = |p: &[&str]| d.span_of(p).map(|s| s.start);
        assert_eq!(start(&["models", "gpt-4.1", "id"]), Some(2));
        assert_eq!(start(&["models", "gpt-4.1", "provider"]), Some(1));
        assert_eq!(start(&["agents", "a", "tools", "0"]), Some(3));
        assert_eq!(start(&["agents", "b"]), None);
        assert_eq!(start(&["nowhere"]), None);
    }
}
