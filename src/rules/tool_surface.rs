//! TOOL006: the contract of each MCP tool definition (its input and output schemas), and the
//! reading of a definition as the JSON a client receives.

use super::{Context, Rule};
use crate::finding::{Control, Meta, Scope};
use crate::finding::{Finding, Severity};
use crate::load::model::ToolDef;
use crate::node::{Key, Node, Value};
use crate::source::Span;

pub static TOOL006: Rule = Rule {
    meta: Meta {
        code: "TOOL006",
        name: "invalid-tool-contract",
        severity: Severity::Error,
        summary: "A tool's inputSchema or outputSchema is missing, not valid JSON Schema, or not `type: object`.",
        checklist: Some("1.3"),
        needs: &[],
        scope: Scope::Tools,
        control: Control::Full,
        docs: r#"
## Why
The input schema is the contract between the model and the tool: the client validates the
arguments a model produces against it before the call, and the model reads it to learn which
arguments exist. MCP requires one, with `type: object` at its root. An invalid schema is
ignored or rejected by clients, so malformed arguments reach the server unchecked. The output
schema lets the client check the structured result before an agent acts on it; without it a
changed or broken answer from the server passes silently. Schemas are checked against the JSON
Schema meta-schema (draft 2020-12, or the draft named by `$schema`).

## How to fix
Give every tool an `inputSchema` and an `outputSchema`, each an object schema. Correct the
keyword the finding points at: type names are `string`, `integer`, `number`, `boolean`,
`array`, `object` and `null`; `required` is a list of property names; each entry of
`properties` is itself a schema. A tool without arguments uses `{ type: object }`.

## Example
```yaml
tools:
  - name: create_issue
    description: Create a GitHub issue.
    inputSchema:
      type: object
      properties: { repo: { type: string }, title: { type: string } }
      required: [repo, title]          # a list, not `required: title`
    outputSchema: { type: object, properties: { number: { type: integer } } }
```
"#,
    },
    check: check_contract,
};

// ---------------------------------------------------------------------------------------------
// Node → JSON

/// The JSON value a spanned node stands for (what a client would receive from `tools/list`).
/// Numbers JSON cannot hold (infinities, NaN) become strings, as in the canonical form. Key
/// order is not kept (nor needed): errors are mapped back through the node, by JSON pointer.
pub fn to_json(node: &Node) -> serde_json::Value {
    use serde_json::Value as J;
    match &node.value {
        Value::Null => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Int(i) => J::from(*i),
        Value::Float(f) => {
            serde_json::Number::from_f64(*f).map_or_else(|| J::String(f.to_string()), J::Number)
        }
        Value::Str(s) => J::String(s.clone()),
        Value::Seq(items) => J::Array(items.iter().map(to_json).collect()),
        Value::Map(entries) => J::Object(
            entries
                .iter()
                .map(|(k, v)| (k.name.clone(), to_json(v)))
                .collect(),
        ),
    }
}

/// The segments of a JSON pointer (RFC 6901), unescaped.
fn pointer_segments(pointer: &str) -> impl Iterator<Item = String> + '_ {
    pointer
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
}

/// The node a JSON pointer designates, or the deepest node on its way there that exists.
pub fn node_at<'a>(root: &'a Node, pointer: &str) -> &'a Node {
    let mut node = root;
    for seg in pointer_segments(pointer) {
        let next = match &node.value {
            Value::Map(entries) => entries.iter().find(|(k, _)| k.name == seg).map(|(_, v)| v),
            Value::Seq(items) => seg.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        };
        match next {
            Some(n) => node = n,
            None => break,
        }
    }
    node
}

// ---------------------------------------------------------------------------------------------
// TOOL006

/// One thing wrong with a tool's contract.
#[derive(Debug)]
struct Problem {
    span: Span,
    message: String,
    label: String,
    help: String,
}

pub(super) fn check_contract(ctx: &Context) -> Vec<Finding> {
    // Servers in parallel (each schema is checked against its meta-schema), joined in order.
    use rayon::prelude::*;
    let each: Vec<Vec<Finding>> = ctx.model.tools.par_iter().map(contract_of).collect();
    each.into_iter().flatten().collect()
}

fn contract_of(server: &crate::load::model::ToolServer) -> Vec<Finding> {
    let mut out = Vec::new();
    for def in &server.tools {
        let subject = format!("{}.{}", server.server.value, def.name.value);
        for problem in contract_problems(def) {
            out.push(
                Finding::new(
                    &TOOL006,
                    problem.span,
                    subject.clone(),
                    format!("tool `{subject}`: {}", problem.message),
                )
                .label(problem.label)
                .help(problem.help),
            );
        }
    }
    out
}

fn entry<'a>(node: &'a Node, key: &str) -> Option<(&'a Key, &'a Node)> {
    node.as_map()?
        .iter()
        .find(|(k, _)| k.name == key)
        .map(|(k, v)| (k, v))
}

fn contract_problems(def: &ToolDef) -> Vec<Problem> {
    let mut out = Vec::new();
    match entry(&def.node, "inputSchema") {
        None => out.push(Problem {
            span: def.name.span,
            message: "no inputSchema: MCP requires one, a JSON Schema with `type: object` at its root".into(),
            label: "no inputSchema".into(),
            help: "describe the arguments: `inputSchema: { type: object, properties: { … }, required: [ … ] }`; a tool without arguments uses `{ type: object }`".into(),
        }),
        Some((key, schema)) => out.extend(schema_problems("inputSchema", key, schema)),
    }
    match entry(&def.node, "outputSchema") {
        None => out.push(Problem {
            span: def.name.span,
            message: "no outputSchema, so the structured result cannot be checked before an agent uses it".into(),
            label: "no outputSchema".into(),
            help: "describe the result: `outputSchema: { type: object, properties: { … } }`".into(),
        }),
        Some((key, schema)) => out.extend(schema_problems("outputSchema", key, schema)),
    }
    out
}

/// Short display of a scalar or small value, for messages.
fn show(node: &Node) -> String {
    let text = node.scalar_text().unwrap_or_else(|| node.canonical_json());
    clip(&text, 60)
}

/// `text` in at most `max` characters, the last one `…` when it is cut; credentials are
/// redacted before the cut ([`crate::secrets::clip`]), so no piece of one is left.
pub(super) fn clip(text: &str, max: usize) -> String {
    crate::secrets::clip(text, max, "…")
}

const SCHEMA_TYPES: &[&str] = &[
    "string", "integer", "number", "boolean", "array", "object", "null",
];

/// Keywords whose entries are schemas keyed by a name of the user's choosing.
const SCHEMA_MAPS: &[&str] = &[
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "dependentSchemas",
];

fn schema_problems(which: &str, key: &Key, schema: &Node) -> Vec<Problem> {
    let mut out = Vec::new();
    if schema.as_map().is_none() {
        let span = if matches!(schema.value, Value::Null) {
            key.span
        } else {
            schema.span
        };
        out.push(Problem {
            span,
            message: format!(
                "{which} must be a JSON Schema object with `type: object` at its root, found {}",
                schema.kind()
            ),
            label: "not an object schema".into(),
            help: format!("write `{which}: {{ type: object, properties: {{ … }} }}`"),
        });
        return out;
    }
    let json = to_json(schema);
    let mut reported: Vec<String> = Vec::new();
    let draft = jsonschema::Draft::Draft202012.detect(&json);
    if draft == jsonschema::Draft::Unknown {
        let at = schema.get("$schema").unwrap_or(schema);
        out.push(Problem {
            span: at.span,
            message: format!(
                "{which} declares the dialect `{}`, which agentlock cannot check offline",
                show(at)
            ),
            label: "unknown JSON Schema dialect".into(),
            help: "remove `$schema` (MCP's default is draft 2020-12) or name a published draft, e.g. `https://json-schema.org/draft/2020-12/schema`".into(),
        });
    } else if let Ok(meta) = jsonschema::meta::validator_for(&json)
        // (Most schemas are valid: a yes or no is quicker than the list of every error.)
        && !meta.is_valid(&json)
    {
        for error in meta.iter_errors(&json) {
            let pointer = error.instance_path().as_str().to_string();
            if reported.contains(&pointer) {
                continue;
            }
            let at = node_at(schema, &pointer);
            out.push(meta_problem(which, &pointer, at, &error));
            reported.push(pointer);
        }
        out.sort_by_key(|p| p.span.start);
    }
    match schema.get("type") {
        Some(t) if t.as_str() == Some("object") => {}
        Some(_) if reported.iter().any(|p| p == "/type") => {} // already explained
        Some(t) => out.push(Problem {
            span: t.span,
            message: format!(
                "the root of {which} has type `{}`; MCP requires `object`",
                show(t)
            ),
            label: "must be `object`".into(),
            help: format!(
                "make the root an object and put the values under `properties`, e.g. `{which}: {{ type: object, properties: {{ items: {{ type: array }} }} }}`"
            ),
        }),
        None => out.push(Problem {
            span: key.span,
            message: format!("{which} has no `type: object` at its root; MCP requires it"),
            label: "no `type: object`".into(),
            help: format!("add `type: object` to {which}"),
        }),
    }
    out
}

/// A meta-schema violation, explained where it is.
fn meta_problem(
    which: &str,
    pointer: &str,
    at: &Node,
    error: &jsonschema::ValidationError<'_>,
) -> Problem {
    use jsonschema::error::ValidationErrorKind as K;
    let segments: Vec<String> = pointer_segments(pointer).collect();
    // The keyword the value belongs to: the last segment that is not a list index, unless it
    // names an entry of `properties` (or the like), which is a schema of its own.
    let named = segments.iter().rposition(|s| s.parse::<usize>().is_err());
    let (keyword, is_subschema) = match named {
        Some(i) if i > 0 && SCHEMA_MAPS.contains(&segments[i - 1].as_str()) => {
            (segments[i - 1].as_str(), true)
        }
        Some(i) => (segments[i].as_str(), false),
        None => ("", false),
    };
    let place = if pointer.is_empty() {
        String::new()
    } else {
        format!(" at `{pointer}`")
    };
    let mut at = at;
    let (explanation, label, help) = match (keyword, error.kind()) {
        ("type", K::AnyOf { .. } | K::Enum { .. }) if !is_subschema => {
            // In a list of types, point at the first that is not one.
            if let Value::Seq(items) = &at.value
                && let Some(bad) = items
                    .iter()
                    .find(|i| !i.as_str().is_some_and(|t| SCHEMA_TYPES.contains(&t)))
            {
                at = bad;
            }
            (
                format!("`{}` is not a JSON Schema type", show(at)),
                "not a JSON Schema type".to_string(),
                format!("use one of {}, or a list of them", SCHEMA_TYPES.join(", ")),
            )
        }
        (_, K::UniqueItems) => (
            clip(&error.to_string(), 160),
            "repeated item".to_string(),
            format!("list each item of `{keyword}` once"),
        ),
        (_, K::Type { .. }) => {
            let expected = expected_types(error);
            let help = match keyword {
                _ if is_subschema => subschema_help(keyword, &segments, named),
                "required" => "list the required property names: `required: [title]`".into(),
                "enum" => "list the allowed values: `enum: [open, closed]`".into(),
                "" => format!("write `{which}: {{ type: object, properties: {{ … }} }}`"),
                k => format!("`{k}` takes {expected}"),
            };
            (
                clip(&error.to_string(), 160),
                format!("expected {expected}"),
                help,
            )
        }
        _ => (
            clip(&error.to_string(), 160),
            "not valid JSON Schema".to_string(),
            if is_subschema {
                subschema_help(keyword, &segments, named)
            } else if keyword.is_empty() {
                format!("write `{which}: {{ type: object, properties: {{ … }} }}`")
            } else {
                format!(
                    "write `{keyword}` as JSON Schema 2020-12 defines it (https://json-schema.org/draft/2020-12)"
                )
            },
        ),
    };
    Problem {
        span: at.span,
        message: format!("{which} is not valid JSON Schema{place}: {explanation}"),
        label,
        help,
    }
}

fn subschema_help(keyword: &str, segments: &[String], named: Option<usize>) -> String {
    let name = named
        .and_then(|i| segments.get(i))
        .map_or("name", String::as_str);
    format!("each entry of `{keyword}` is a schema: write `{name}: {{ type: string }}`")
}

/// "an array", "a string or a number": what a type error expected.
fn expected_types(error: &jsonschema::ValidationError<'_>) -> String {
    use jsonschema::error::{TypeKind, ValidationErrorKind as K};
    let article = |t: String| {
        if t.starts_with(['a', 'e', 'i', 'o', 'u']) {
            format!("an {t}")
        } else {
            format!("a {t}")
        }
    };
    match error.kind() {
        K::Type {
            kind: TypeKind::Single(t),
        } => article(t.to_string()),
        K::Type {
            kind: TypeKind::Multiple(set),
        } => set
            .iter()
            .map(|t| article(t.to_string()))
            .collect::<Vec<_>>()
            .join(" or "),
        _ => "another type".into(),
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::source::FileId;
    use serde_json::json;

    const F: FileId = FileId(0);

    pub(in crate::rules) fn yaml(text: &str) -> Node {
        crate::node::parse_yaml(text, F).unwrap()
    }

    pub(in crate::rules) fn at(text: &str, span: Span) -> &str {
        &text[span.start as usize..span.end as usize]
    }

    #[test]
    fn node_to_json() {
        let cases = [
            ("a: 1", json!({"a": 1})),
            ("a: 1.5", json!({"a": 1.5})),
            ("a: -3", json!({"a": -3})),
            ("a: null", json!({"a": null})),
            ("a: ~", json!({"a": null})),
            ("a: true", json!({"a": true})),
            ("a: 'true'", json!({"a": "true"})),
            ("a: [x, 2, {b: c}]", json!({"a": ["x", 2, {"b": "c"}]})),
            ("z: 1\na: 2", json!({"z": 1, "a": 2})),
            ("[1, [2]]", json!([1, [2]])),
            (
                "{\"type\": \"object\", \"properties\": {\"n\": {\"type\": \"integer\"}}}",
                json!({"type": "object", "properties": {"n": {"type": "integer"}}}),
            ),
        ];
        for (text, want) in cases {
            assert_eq!(to_json(&yaml(text)), want, "{text}");
        }
    }

    #[test]
    fn pointers_map_back_to_the_node() {
        let text = "type: object\nproperties:\n  repo: { type: strng }\n  a/b: { enum: [x, y] }\n  '7': { type: string }\nrequired: [repo, title]\n";
        let n = yaml(text);
        let cases = [
            ("/properties/repo/type", "strng"),
            ("/required/1", "title"),
            ("/properties/a~1b/enum/0", "x"),
            ("/properties/7/type", "string"),
            ("/type", "object"),
            // not there: the deepest node on the way
            ("/properties/repo/minimum/0", "{"),
        ];
        for (pointer, want) in cases {
            assert_eq!(at(text, node_at(&n, pointer).span), want, "{pointer}");
        }
        assert_eq!(node_at(&n, "").span, n.span);
    }

    fn problems(text: &str) -> Vec<(String, String)> {
        let n = yaml(text);
        let key = Key {
            name: "inputSchema".into(),
            span: Span::new(F, 0, 0),
        };
        schema_problems("inputSchema", &key, &n)
            .into_iter()
            .map(|p| (at(text, p.span).to_string(), p.message))
            .collect()
    }

    #[test]
    fn schema_problems_point_at_the_offending_value() {
        // (schema, [(text the finding points at, words its message has)])
        let cases: &[(&str, &[(&str, &str)])] = &[
            (
                "type: object\nproperties: { a: { type: string } }\nrequired: [a]\n",
                &[],
            ),
            ("type: object\n", &[]),
            (
                "type: object\nproperties:\n  a: { type: strng }\n",
                &[("strng", "`strng` is not a JSON Schema type")],
            ),
            (
                "type: object\nproperties:\n  a: { type: [string, strng] }\n",
                &[("strng", "`strng` is not a JSON Schema type")],
            ),
            (
                "type: object\nrequired: title\n",
                &[("title", "\"title\" is not of type \"array\"")],
            ),
            (
                "type: object\nproperties:\n  a: string\n",
                &[("string", "at `/properties/a`")],
            ),
            (
                "type: object\nproperties:\n  b: { minimum: x, enum: 3 }\n",
                &[
                    ("x", "is not of type \"number\""),
                    ("3", "is not of type \"array\""),
                ],
            ),
            ("type: object\nrequired: [a, a]\n", &[("[", "non-unique")]),
            (
                "type: array\nitems: { type: string }\n",
                &[("array", "MCP requires `object`")],
            ),
            ("type: strng\n", &[("strng", "not a JSON Schema type")]),
            ("properties: {}\n", &[("", "no `type: object`")]),
            (
                "$schema: http://example.com/my-dialect\ntype: object\n",
                &[("http://example.com/my-dialect", "cannot check offline")],
            ),
            (
                "$schema: http://json-schema.org/draft-07/schema#\ntype: object\nitems: [{ type: string }]\n",
                &[],
            ),
            ("[1, 2]\n", &[("[", "found a list")]),
        ];
        for (text, want) in cases {
            let got = problems(text);
            assert_eq!(got.len(), want.len(), "{text}: {got:?}");
            for ((span, msg), (want_span, want_msg)) in got.iter().zip(want.iter()) {
                assert_eq!(span, want_span, "{text}: {got:?}");
                assert!(msg.contains(want_msg), "{text}: {msg}");
            }
        }
    }

    fn def(text: &str) -> ToolDef {
        let node = yaml(text);
        let name = node.get("name").unwrap();
        ToolDef {
            name: crate::load::model::Sp::new(name.as_str().unwrap().to_string(), name.span),
            canonical: node.canonical_json(),
            node,
        }
    }

    #[test]
    fn missing_schemas_point_at_the_name() {
        let text = "name: add\ndescription: Adds.\n";
        let got = contract_problems(&def(text));
        assert_eq!(got.len(), 2);
        assert!(got[0].message.contains("no inputSchema"));
        assert!(got[1].message.contains("no outputSchema"));
        assert!(got.iter().all(|p| at(text, p.span) == "add"));
        let text = "name: add\ninputSchema: { type: object }\noutputSchema: { type: object }\n";
        assert!(contract_problems(&def(text)).is_empty());
        let text = "name: add\ninputSchema:\noutputSchema: { type: object }\n";
        let got = contract_problems(&def(text));
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(at(text, got[0].span), "inputSchema");
        assert!(got[0].message.contains("found null"));
    }
}
