//! JSON Schemas (draft 2020-12) of agentlock's own file formats, for editors
//! (`agentlock schema`), and of the document `agentlock model` prints.
//!
//! Each schema of an input file is generated from the field table its loader checks keys
//! against ([`crate::load::fields`]): the same names, types and docs, never written twice. A
//! table the loader closes (it reports an unknown key) has `additionalProperties: false`; a
//! string field the loader also reads from a number or a boolean takes those too, so that what
//! the loader accepts validates. The model document's schema is generated from the tables of
//! [`model`] the same way, as an output: a string is a string, and null only where a field
//! says so.

pub mod model;

use crate::load::fields::{self, Field, Table, Ty};
use serde_json::{Map, Value, json};

/// One schema: a name for the command line, the files it describes and their table.
pub struct Schema {
    pub name: &'static str,
    /// The files it is for, as a title: `agents.yaml`.
    pub title: &'static str,
    pub table: &'static Table,
    /// The files are YAML or JSON, where a key written with no value is null (the loader
    /// takes it for a key that is not there); TOML has no null. False for an output, where
    /// null is a value of the fields that say so and nothing else.
    pub nulls: bool,
    /// A document agentlock writes (`agentlock model`), not a file it reads: `schema --write`
    /// writes it, but no input file gets a modeline pointing at it, and `init` leaves it out.
    pub output: bool,
}

/// Every schema, in the order `agentlock schema` lists them.
pub const SCHEMAS: &[Schema] = &[
    Schema {
        name: "agentlock",
        title: "agentlock.toml",
        table: &crate::load::config::FILE,
        nulls: false,
        output: false,
    },
    Schema {
        name: "policy",
        title: "a policy file (`[policy] extends = \"policy/acme.toml\"`)",
        table: &crate::load::config::PACK,
        nulls: false,
        output: false,
    },
    Schema {
        name: "agents",
        title: "agents.yaml",
        table: &crate::load::model::agent::FILE,
        nulls: true,
        output: false,
    },
    Schema {
        name: "tool",
        title: "tools/*.yaml, tools/*.json",
        table: &crate::load::model::tool::FILE,
        nulls: true,
        output: false,
    },
    Schema {
        name: "models",
        title: "models.yaml",
        table: &crate::load::model::llm::FILE,
        nulls: true,
        output: false,
    },
    Schema {
        name: "deploy",
        title: "deploy.yaml",
        table: &crate::load::model::deploy::FILE,
        nulls: true,
        output: false,
    },
    Schema {
        name: "lock",
        title: "agentlock.lock",
        table: &crate::lock::FILE,
        nulls: false,
        output: false,
    },
    Schema {
        name: "evidence",
        title: "evidence/index.toml",
        table: &crate::evidence::store::FILE,
        nulls: false,
        output: false,
    },
    Schema {
        name: "qa",
        title: "a QA review (agentlock.qa/v1)",
        table: &crate::evidence::qa::FILE,
        nulls: true,
        output: false,
    },
    Schema {
        name: "model",
        title: "the output of `agentlock model` (agentlock.model/v1), the input of Rego policies",
        table: &model::FILE,
        nulls: false,
        output: true,
    },
];

/// Where the schemas are published: `$id` is `{BASE}{name}.schema.json`.
pub const BASE: &str = "https://agentlock.dev/schemas/";

pub fn get(name: &str) -> Option<&'static Schema> {
    SCHEMAS.iter().find(|s| s.name == name)
}

impl Schema {
    /// The schema's file name: `agents.schema.json`.
    pub fn file_name(&self) -> String {
        format!("{}.schema.json", self.name)
    }

    /// The schema as JSON.
    pub fn json(&self) -> Value {
        let mut defs: Vec<&'static Table> = Vec::new();
        let g = Gen {
            nulls: self.nulls,
            output: self.output,
        };
        let mut root = g.table(self.table, &mut defs);
        let mut out = Map::new();
        out.insert(
            "$schema".into(),
            json!("https://json-schema.org/draft/2020-12/schema"),
        );
        out.insert("$id".into(), json!(format!("{BASE}{}", self.file_name())));
        out.insert("title".into(), json!(self.title));
        if let Value::Object(m) = &mut root {
            out.append(m);
        }
        // Each table reached, once (a table may be reached again while one is generated).
        let mut done: Map<String, Value> = Map::new();
        let mut i = 0;
        while i < defs.len() {
            let t = defs[i];
            i += 1;
            if done.contains_key(t.name) {
                continue;
            }
            let v = g.table(t, &mut defs);
            done.insert(t.name.to_string(), v);
        }
        if !done.is_empty() {
            out.insert("$defs".into(), Value::Object(done));
        }
        Value::Object(out)
    }

    /// The schema as pretty JSON, ending in a newline.
    pub fn text(&self) -> String {
        let mut s = serde_json::to_string_pretty(&self.json()).unwrap_or_default();
        s.push('\n');
        s
    }
}

struct Gen {
    nulls: bool,
    /// An output document: strings are strings, a field is null only where it says so, and a
    /// mapping's values are never null.
    output: bool,
}

impl Gen {
    fn table(&self, t: &'static Table, defs: &mut Vec<&'static Table>) -> Value {
        let mut props = Map::new();
        let mut required = Vec::new();
        for field in t.fields {
            props.insert(field.name.into(), self.field(field, defs));
            if field.required {
                required.push(json!(field.name));
            }
        }
        let mut m = Map::new();
        m.insert("type".into(), json!("object"));
        m.insert("description".into(), json!(t.doc));
        m.insert("properties".into(), Value::Object(props));
        if !required.is_empty() {
            m.insert("required".into(), Value::Array(required));
        }
        if !t.open {
            m.insert("additionalProperties".into(), json!(false));
        }
        if !t.exactly_one.is_empty() {
            let one: Vec<Value> = t
                .exactly_one
                .iter()
                .map(|k| json!({ "required": [k] }))
                .collect();
            m.insert("oneOf".into(), Value::Array(one));
        }
        Value::Object(m)
    }

    fn field(&self, field: &Field, defs: &mut Vec<&'static Table>) -> Value {
        let mut v = self.ty(&field.ty, defs);
        if (self.nulls || self.output) && field.null {
            v = nullable(v);
        }
        let mut m = match v {
            Value::Object(m) => m,
            other => {
                let mut m = Map::new();
                m.insert("allOf".into(), json!([other]));
                m
            }
        };
        m.insert("description".into(), json!(field.doc));
        Value::Object(m)
    }

    fn ty(&self, ty: &Ty, defs: &mut Vec<&'static Table>) -> Value {
        match ty {
            Ty::Str if self.output => json!({ "type": "string" }),
            Ty::Str => json!({ "type": ["string", "number", "boolean"] }),
            Ty::Text => json!({ "type": "string" }),
            Ty::Pattern(p) => json!({ "type": "string", "pattern": p }),
            Ty::Uint => json!({ "type": "integer", "minimum": 0 }),
            Ty::Positive => json!({ "type": "integer", "minimum": 1 }),
            Ty::Int => json!({ "type": "integer" }),
            Ty::Number => json!({ "type": "number" }),
            Ty::Range(lo, hi) => {
                let mut m = json!({ "type": "number", "minimum": lo });
                if *hi < f64::MAX {
                    m["maximum"] = json!(hi);
                }
                m
            }
            Ty::Bool => json!({ "type": "boolean" }),
            Ty::Duration => json!({ "type": "string", "pattern": fields::DURATION_PATTERN }),
            Ty::Rate => json!({ "type": "string", "pattern": fields::RATE_PATTERN }),
            Ty::Date => json!({ "type": "string", "pattern": fields::DATE_PATTERN }),
            Ty::Size => json!({ "anyOf": [
                { "type": "integer", "minimum": 1 },
                { "type": "string", "pattern": fields::SIZE_PATTERN },
            ] }),
            Ty::Enum(values) => json!({ "enum": values }),
            Ty::ConstInt(n) => json!({ "const": n }),
            Ty::List(item) => json!({ "type": "array", "items": self.ty(item, defs) }),
            Ty::StrList => json!({ "anyOf": [
                { "type": "string" },
                { "type": "array", "items": self.ty(&Ty::Str, defs) },
            ] }),
            Ty::Object(t) => {
                defs.push(t);
                json!({ "$ref": format!("#/$defs/{}", t.name) })
            }
            // A mapping of anything (deploy.yaml as written): an object.
            Ty::Map(Ty::Any) if self.output => json!({ "type": "object" }),
            Ty::Map(item) => {
                let mut v = self.ty(item, defs);
                if self.nulls && !self.output {
                    v = nullable(v);
                }
                json!({ "type": "object", "additionalProperties": v })
            }
            Ty::OneOf(tys) => {
                let all: Vec<Value> = tys.iter().map(|t| self.ty(t, defs)).collect();
                json!({ "anyOf": all })
            }
            Ty::Any => json!({}),
        }
    }
}

/// `v`, or null.
fn nullable(v: Value) -> Value {
    let Value::Object(mut m) = v else { return v };
    if m.is_empty() {
        return Value::Object(m);
    }
    if let Some(t) = m.get_mut("type") {
        match t {
            Value::String(s) => *t = json!([s.clone(), "null"]),
            Value::Array(a) => a.push(json!("null")),
            _ => {}
        }
        return Value::Object(m);
    }
    if let Some(Value::Array(e)) = m.get_mut("enum") {
        e.push(Value::Null);
        return Value::Object(m);
    }
    if let Some(Value::Array(any)) = m.get_mut("anyOf") {
        any.push(json!({ "type": "null" }));
        return Value::Object(m);
    }
    json!({ "anyOf": [Value::Object(m), { "type": "null" }] })
}

/// The problems (CONF001 messages) agentlock reports for `text` as a file of schema `name`,
/// loaded as in a repository of its own: the other side of the schema, for tests that hold
/// the two to each other. `None` for a schema with no such loader here (the evidence index,
/// whose entries name files to read).
#[doc(hidden)]
pub fn load_problems(name: &str, text: &str) -> Option<Vec<String>> {
    use crate::snapshot::MemorySnapshot;
    const MANIFEST: &str = "[project]\nname = \"schema\"\n";
    let (snapshot, path) = match name {
        "agentlock" => (
            MemorySnapshot::default().with("agentlock.toml", text),
            "agentlock.toml",
        ),
        "policy" => (
            MemorySnapshot::default()
                .with(
                    "agentlock.toml",
                    format!("{MANIFEST}[policy]\nextends = \"p.toml\"\n"),
                )
                .with("p.toml", text),
            "p.toml",
        ),
        "agents" => (
            MemorySnapshot::default()
                .with("agentlock.toml", MANIFEST)
                .with("agents.yaml", text),
            "agents.yaml",
        ),
        "tool" => (
            MemorySnapshot::default()
                .with("agentlock.toml", MANIFEST)
                .with("tools/t.yaml", text),
            "tools/t.yaml",
        ),
        "models" => (
            MemorySnapshot::default()
                .with("agentlock.toml", MANIFEST)
                .with("models.yaml", text),
            "models.yaml",
        ),
        "deploy" => (
            MemorySnapshot::default()
                .with("agentlock.toml", MANIFEST)
                .with("deploy.yaml", text),
            "deploy.yaml",
        ),
        "lock" => {
            let file = crate::source::FileId(0);
            return Some(match crate::lock::Lock::parse(text, file) {
                Ok(_) => Vec::new(),
                Err((message, _)) => vec![message],
            });
        }
        "qa" => {
            let file = crate::source::FileId(0);
            return Some(match crate::evidence::qa::read(text, file) {
                Ok(_) => Vec::new(),
                Err(p) => vec![p.message],
            });
        }
        _ => return None,
    };
    Some(match crate::load::load(&snapshot) {
        Err(e) => vec![e.message],
        Ok(model) => model
            .problems
            .iter()
            .filter(|p| model.sources.get(p.span.file).path == path)
            .map(|p| p.message.clone())
            .collect(),
    })
}
