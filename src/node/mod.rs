//! A spanned value tree shared by the YAML, JSON and TOML loaders.
//!
//! Every key and value keeps its byte span, so a rule can point at the exact place in the file.
//! The tree is also what structured items are hashed from (see [`Node::canonical_json`]).

use crate::source::{FileId, Span};
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt::Write as _;

pub mod plain;

#[derive(Clone, Debug)]
pub struct Node {
    pub value: Value,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Key {
    pub name: String,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Key, Node)>),
}

/// A parse error with the location it was found at.
#[derive(Clone, Debug)]
pub struct ParseError {
    pub message: String,
    /// Byte offset of the error, when the parser knows it.
    pub offset: Option<usize>,
    /// 1-based line and column, when the parser gives those instead.
    pub line_col: Option<(usize, usize)>,
}

impl Node {
    pub fn kind(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(Key, Node)]> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.name == key)
            .map(|(_, v)| v)
    }

    /// Scalar text as written (numbers and booleans rendered), for values such as versions
    /// that a user may write unquoted.
    pub fn scalar_text(&self) -> Option<String> {
        match &self.value {
            Value::Str(s) => Some(s.clone()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// Canonical JSON: keys sorted, no insignificant whitespace, numbers in shortest form.
    /// Comments, quoting style, key order and layout do not change it; any change of meaning does.
    pub fn canonical_json(&self) -> String {
        let mut out = String::new();
        self.write_canonical(&mut out);
        out
    }

    fn write_canonical(&self, out: &mut String) {
        match &self.value {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Value::Float(f) => write_float(*f, out),
            Value::Str(s) => write_json_str(s, out),
            Value::Seq(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write_canonical(out);
                }
                out.push(']');
            }
            Value::Map(entries) => {
                let mut sorted: Vec<&(Key, Node)> = entries.iter().collect();
                sorted.sort_by(|a, b| a.0.name.cmp(&b.0.name));
                out.push('{');
                for (i, (k, v)) in sorted.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_json_str(&k.name, out);
                    out.push(':');
                    v.write_canonical(out);
                }
                out.push('}');
            }
        }
    }
}

/// Writes a float as JSON: integral values as integers, others in shortest round-trip form,
/// non-finite values as strings (JSON has no literal for them).
pub fn write_float(f: f64, out: &mut String) {
    if !f.is_finite() {
        write_json_str(&f.to_string(), out);
    } else if f.fract() == 0.0 && f.abs() < 1e15 {
        let _ = write!(out, "{}", f as i64);
    } else {
        let _ = write!(out, "{f}");
    }
}

/// `s` as a JSON string: `"`, `\` and control characters escaped, everything else as it is.
/// The canonical form digests are made of: it never changes.
pub fn write_json_str(s: &str, out: &mut String) {
    write_quoted(s, out, false);
}

/// `s` as a TOML basic string: as [`write_json_str`], and DEL escaped too, which TOML forbids
/// raw (a file name may hold one). For every TOML file agentlock writes.
pub fn write_toml_str(s: &str, out: &mut String) {
    write_quoted(s, out, true);
}

/// [`write_toml_str`] into a string of its own.
pub fn toml_string(s: &str) -> String {
    let mut out = String::new();
    write_toml_str(s, &mut out);
    out
}

/// A quoted string, copied a run at a time: the escaped characters are ASCII, so a run ends on
/// a character boundary.
fn write_quoted(s: &str, out: &mut String, escape_del: bool) {
    out.reserve(s.len() + 2);
    out.push('"');
    let mut start = 0;
    for (i, &b) in s.as_bytes().iter().enumerate() {
        let escaped = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            b if b < 0x20 || (escape_del && b == 0x7f) => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if escaped.is_empty() {
            let _ = write!(out, "\\u{:04x}", b);
        } else {
            out.push_str(escaped);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

// ---------------------------------------------------------------------------------------------
// YAML and JSON, through serde-saphyr

/// The raw tree serde-saphyr builds; converted to [`Node`] with the file id attached.
enum Raw {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<serde_saphyr::Spanned<Raw>>),
    Map(Vec<(serde_saphyr::Spanned<String>, serde_saphyr::Spanned<Raw>)>),
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Raw;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any YAML value")
            }
            fn visit_unit<E>(self) -> Result<Raw, E> {
                Ok(Raw::Null)
            }
            fn visit_none<E>(self) -> Result<Raw, E> {
                Ok(Raw::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Raw, D::Error> {
                Raw::deserialize(d)
            }
            fn visit_bool<E>(self, b: bool) -> Result<Raw, E> {
                Ok(Raw::Bool(b))
            }
            fn visit_i64<E>(self, i: i64) -> Result<Raw, E> {
                Ok(Raw::Int(i))
            }
            fn visit_u64<E>(self, u: u64) -> Result<Raw, E> {
                Ok(i64::try_from(u).map_or(Raw::Float(u as f64), Raw::Int))
            }
            fn visit_i128<E>(self, i: i128) -> Result<Raw, E> {
                Ok(i64::try_from(i).map_or(Raw::Float(i as f64), Raw::Int))
            }
            fn visit_u128<E>(self, u: u128) -> Result<Raw, E> {
                Ok(i64::try_from(u).map_or(Raw::Float(u as f64), Raw::Int))
            }
            fn visit_f64<E>(self, f: f64) -> Result<Raw, E> {
                Ok(Raw::Float(f))
            }
            fn visit_str<E>(self, s: &str) -> Result<Raw, E> {
                Ok(Raw::Str(s.to_owned()))
            }
            fn visit_string<E>(self, s: String) -> Result<Raw, E> {
                Ok(Raw::Str(s))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Raw, A::Error> {
                let mut items = Vec::new();
                while let Some(x) = a.next_element()? {
                    items.push(x);
                }
                Ok(Raw::Seq(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Raw, A::Error> {
                let mut entries = Vec::new();
                while let Some(e) = a.next_entry()? {
                    entries.push(e);
                }
                Ok(Raw::Map(entries))
            }
        }
        d.deserialize_any(V)
    }
}

fn saphyr_options() -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    // Configuration files are small: these limits stop alias bombs and deep nesting early
    // while leaving room for a topology of thousands of agents.
    budget.max_aliases = 1_000;
    budget.max_depth = 32;
    budget.flow_nesting_limit = 32;
    budget.max_nodes = 2_000_000;
    budget.max_events = 8_000_000;
    budget.max_recorded_anchor_events = 100_000;
    let mut opts = serde_saphyr::Options::default();
    opts.budget = Some(budget);
    // YAML 1.2 booleans only: `country: NO` and `answer: y` stay strings.
    opts.strict_booleans = true;
    opts
}

/// Parses JSON strictly (as JSON, not as YAML's looser flow syntax) into a spanned tree.
pub fn parse_json(text: &str, file: FileId) -> Result<Node, ParseError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let check = serde::de::IgnoredAny::deserialize(&mut de).and_then(|_| de.end());
    if let Err(e) = check {
        let msg = e.to_string();
        let message = msg.split(" at line ").next().unwrap_or(&msg).to_string();
        return Err(ParseError {
            message,
            offset: None,
            line_col: Some((e.line(), e.column().max(1))),
        });
    }
    parse_yaml(text, file)
}

/// Parses JSON with comments (`//`, `/* */`) and trailing commas, as VS Code and Cursor allow in
/// their config files. Comments and trailing commas are blanked out in place, so every span
/// still addresses the original text.
pub fn parse_jsonc(text: &str, file: FileId) -> Result<Node, ParseError> {
    parse_json(&blank_jsonc(text), file)
}

/// `text` with JSONC comments and trailing commas replaced by spaces (line breaks kept).
fn blank_jsonc(text: &str) -> String {
    let mut b = text.as_bytes().to_vec();
    let blank = |b: &mut Vec<u8>, from: usize, to: usize| {
        for c in &mut b[from..to] {
            if *c != b'\n' {
                *c = b' ';
            }
        }
    };
    // Comments.
    let (mut i, mut in_str) = (0, false);
    while i < b.len() {
        match (in_str, b[i], b.get(i + 1)) {
            (true, b'\\', _) => i += 1,
            (true, b'"', _) | (false, b'"', _) => in_str = !in_str,
            (false, b'/', Some(b'/')) => {
                let end = b[i..]
                    .iter()
                    .position(|&c| c == b'\n')
                    .map_or(b.len(), |p| i + p);
                blank(&mut b, i, end);
                i = end;
                continue;
            }
            (false, b'/', Some(b'*')) => {
                let end = b[i + 2..]
                    .windows(2)
                    .position(|w| w == b"*/")
                    .map_or(b.len(), |p| i + 2 + p + 2);
                blank(&mut b, i, end);
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    // Trailing commas: a comma whose next non-blank byte closes an object or array.
    let (mut i, mut in_str) = (0, false);
    while i < b.len() {
        match (in_str, b[i]) {
            (true, b'\\') => i += 1,
            (_, b'"') => in_str = !in_str,
            (false, b',') => {
                let next = b[i + 1..].iter().find(|c| !c.is_ascii_whitespace());
                if matches!(next, Some(b'}' | b']')) {
                    b[i] = b' ';
                }
            }
            _ => {}
        }
        i += 1;
    }
    // Only ASCII bytes outside strings were replaced, by ASCII: still UTF-8.
    String::from_utf8(b).unwrap_or_else(|_| text.to_string())
}

/// Parses YAML (and therefore JSON) text into a spanned tree.
pub fn parse_yaml(text: &str, file: FileId) -> Result<Node, ParseError> {
    if text.trim().is_empty() {
        return Ok(Node {
            value: Value::Null,
            span: Span::file_start(file),
        });
    }
    if let Some(node) = plain::parse(text, file) {
        return Ok(node);
    }
    parse_yaml_general(text, file)
}

/// Parses any YAML through serde-saphyr (what [`parse_yaml`] does when the fast path declines).
pub fn parse_yaml_general(text: &str, file: FileId) -> Result<Node, ParseError> {
    if text.trim().is_empty() {
        return Ok(Node {
            value: Value::Null,
            span: Span::file_start(file),
        });
    }
    match serde_saphyr::from_str_with_options::<serde_saphyr::Spanned<Raw>>(text, saphyr_options())
    {
        Ok(raw) => Ok(convert(raw, file)),
        Err(e) => Err(saphyr_error(&e)),
    }
}

/// A parser's message without the advice it gives its own callers (`use from_str_multiple`,
/// `set DuplicateKeyPolicy in Options`): a user of agentlock can do nothing with it.
fn without_library_advice(message: &str) -> String {
    let mut m = message;
    for cut in ["; use ", ", use ", ", set ", "; set "] {
        if let Some(at) = m.find(cut) {
            m = &m[..at];
        }
    }
    m.trim_end().to_string()
}

fn saphyr_error(e: &serde_saphyr::Error) -> ParseError {
    // The first line of the error is `error: line L column C: message`; the rest is a snippet
    // of the source, which we render ourselves (and which must never leak into JSON output).
    let full = e.to_string();
    let first = full.lines().next().unwrap_or("invalid YAML").trim();
    let first = first.strip_prefix("error: ").unwrap_or(first);
    let message = match first.split_once(": ") {
        Some((head, rest)) if head.starts_with("line ") => rest.to_string(),
        _ => first.to_string(),
    };
    let message = without_library_advice(&message);
    let message = match message.strip_prefix("budget breached: ") {
        Some(detail) => {
            let limit = detail.split([' ', '{', '(']).next().unwrap_or("size");
            format!(
                "the document expands beyond agentlock's limits ({limit}): alias bombs, deep nesting and huge documents are refused"
            )
        }
        None if message.starts_with("multiple YAML documents") => {
            "the file holds more than one YAML document (a `---` line starts another); agentlock reads one: remove the extra `---`".to_string()
        }
        None if message.contains("recursion limit") => {
            "nesting is too deep (more than 32 levels)".to_string()
        }
        None => message,
    };
    let line_col = e
        .location()
        .filter(|l| l.line() > 0)
        .map(|l| (l.line() as usize, l.column().max(1) as usize));
    ParseError {
        message,
        offset: None,
        line_col,
    }
}

fn span_of(loc: &serde_saphyr::Location, file: FileId) -> Span {
    let s = loc.span();
    match (s.byte_offset(), s.byte_len()) {
        (Some(o), Some(l)) => Span::new(file, o as usize, (o + l) as usize),
        _ => Span::file_start(file),
    }
}

fn convert(raw: serde_saphyr::Spanned<Raw>, file: FileId) -> Node {
    let span = span_of(&raw.referenced, file);
    let value = match raw.value {
        Raw::Null => Value::Null,
        Raw::Bool(b) => Value::Bool(b),
        Raw::Int(i) => Value::Int(i),
        Raw::Float(f) => Value::Float(f),
        Raw::Str(s) => Value::Str(s),
        Raw::Seq(items) => Value::Seq(items.into_iter().map(|i| convert(i, file)).collect()),
        Raw::Map(entries) => Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| {
                    let key = Key {
                        span: span_of(&k.referenced, file),
                        name: k.value,
                    };
                    (key, convert(v, file))
                })
                .collect(),
        ),
    };
    Node { value, span }
}

// ---------------------------------------------------------------------------------------------
// TOML

/// Parses TOML text into a spanned tree.
pub fn parse_toml(text: &str, file: FileId) -> Result<Node, ParseError> {
    match toml::de::DeTable::parse(text) {
        Ok(table) => {
            let span = Span::file_start(file);
            let map = convert_table(table.into_inner(), file);
            Ok(Node {
                value: Value::Map(map),
                span,
            })
        }
        Err(e) => Err(ParseError {
            message: e.message().trim().to_string(),
            offset: e.span().map(|s| s.start),
            line_col: None,
        }),
    }
}

fn convert_table(t: toml::de::DeTable<'_>, file: FileId) -> Vec<(Key, Node)> {
    let mut entries: Vec<(Key, Node)> = t
        .into_iter()
        .map(|(k, v)| {
            let ks = k.span();
            let key = Key {
                name: k.into_inner().into_owned(),
                span: Span::new(file, ks.start, ks.end),
            };
            (key, convert_toml_value(v, file))
        })
        .collect();
    // Keep the order of the file, so diagnostics and did-you-mean read naturally.
    entries.sort_by_key(|(k, _)| k.span.start);
    entries
}

fn convert_toml_value(v: toml::Spanned<toml::de::DeValue<'_>>, file: FileId) -> Node {
    use toml::de::DeValue;
    let s = v.span();
    let span = Span::new(file, s.start, s.end);
    let value = match v.into_inner() {
        DeValue::String(s) => Value::Str(s.into_owned()),
        DeValue::Integer(i) => match i64::from_str_radix(&i.as_str().replace('_', ""), i.radix()) {
            Ok(n) => Value::Int(n),
            Err(_) => Value::Str(i.as_str().to_string()),
        },
        DeValue::Float(f) => match f.as_str().replace('_', "").parse::<f64>() {
            Ok(n) => Value::Float(n),
            Err(_) => Value::Str(f.as_str().to_string()),
        },
        DeValue::Boolean(b) => Value::Bool(b),
        DeValue::Datetime(d) => Value::Str(d.to_string()),
        DeValue::Array(items) => Value::Seq(
            items
                .into_iter()
                .map(|i| convert_toml_value(i, file))
                .collect(),
        ),
        DeValue::Table(t) => Value::Map(convert_table(t, file)),
    };
    Node { value, span }
}

#[cfg(test)]
mod tests {
    /// What `write_json_str` must write: its first form, a character at a time.
    fn json_str_by_char(s: &str) -> String {
        use std::fmt::Write;
        let mut out = String::from('"');
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c if (c as u32) < 0x20 => {
                    let _ = write!(out, "\\u{:04x}", c as u32);
                }
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }

    #[test]
    fn toml_strings_read_back_as_written() {
        // Every ASCII character, and some beyond, alone and between letters, through the
        // `toml` crate's reader.
        let mut cases: Vec<String> = (0u8..=0x7f).map(|b| format!("a{}b", b as char)).collect();
        cases.extend(["", "é\u{80}\u{9f}€🦀", "\u{7f}\u{7f}", "\"\\\u{0}"].map(String::from));
        for s in &cases {
            let mut quoted = String::new();
            write_toml_str(s, &mut quoted);
            let parsed: toml::Table = toml::from_str(&format!("k = {quoted}"))
                .unwrap_or_else(|e| panic!("{s:?} written as {quoted}: {e}"));
            assert_eq!(parsed["k"].as_str(), Some(s.as_str()), "{quoted}");
        }
    }

    #[test]
    fn json_strings_are_escaped_as_a_character_at_a_time() {
        // Every string of up to 4 characters from a set with each kind of character.
        let chars = [
            'a', '"', '\\', '\n', '\r', '\t', '\u{1}', '\u{1f}', ' ', '\u{7f}', 'é', '€', '🦀',
        ];
        let mut strings = vec![String::new()];
        for _ in 0..4 {
            let longer: Vec<String> = strings
                .iter()
                .filter(|s| s.chars().count() == strings.last().map_or(0, |l| l.chars().count()))
                .flat_map(|s| chars.iter().map(move |c| format!("{s}{c}")))
                .collect();
            strings.extend(longer);
        }
        assert!(strings.len() > 30_000);
        for s in &strings {
            let mut out = String::new();
            write_json_str(s, &mut out);
            assert_eq!(out, json_str_by_char(s), "{s:?}");
        }
    }

    use super::*;

    const F: FileId = FileId(0);

    #[test]
    fn parser_messages_give_no_advice_meant_for_the_parsers_callers() {
        for (text, want) in [
            ("a: 1\n---\nb: 2\n", "more than one YAML document"),
            ("a: 1\na: 2\n", "duplicate"),
        ] {
            let e = parse_yaml(text, F).unwrap_err();
            assert!(e.message.contains(want), "{text:?}: {}", e.message);
            for advice in ["from_str", "Options", "Policy", "; use", ", set"] {
                assert!(!e.message.contains(advice), "{text:?}: {}", e.message);
            }
        }
    }

    #[test]
    fn yaml_spans_point_at_keys_and_values() {
        let text = "a: 1\nb:\n  c: hello\n";
        let n = parse_yaml(text, F).unwrap();
        let b = n.get("b").unwrap();
        let c = b.get("c").unwrap();
        assert_eq!(&text[c.span.start as usize..c.span.end as usize], "hello");
        let (k, _) = &b.as_map().unwrap()[0];
        assert_eq!(&text[k.span.start as usize..k.span.end as usize], "c");
    }

    #[test]
    fn canonical_json_ignores_layout_and_comments() {
        let a = parse_yaml("# c\nb: [1, 2]\na: {x: 'y'}\n", F).unwrap();
        let b = parse_yaml("a:\n  x: y   # trailing\nb:\n  - 1\n  - 2\n", F).unwrap();
        assert_eq!(a.canonical_json(), b.canonical_json());
        assert_eq!(a.canonical_json(), r#"{"a":{"x":"y"},"b":[1,2]}"#);
        let c = parse_yaml("a: {x: 'z'}\nb: [1, 2]\n", F).unwrap();
        assert_ne!(a.canonical_json(), c.canonical_json());
    }

    #[test]
    fn json_parses_as_yaml() {
        let n = parse_yaml("{\"server\": \"gh\", \"n\": 1.5, \"t\": [true, null]}", F).unwrap();
        assert_eq!(
            n.canonical_json(),
            r#"{"n":1.5,"server":"gh","t":[true,null]}"#
        );
    }

    #[test]
    fn json_is_strict() {
        let e = parse_json("{\n  \"a\": [1,],\n}", F).unwrap_err();
        assert_eq!(e.line_col.map(|l| l.0), Some(2));
        assert!(parse_json("{\"a\": 1}", F).is_ok());
    }

    #[test]
    fn jsonc_comments_and_trailing_commas() {
        let text = "{\n  // a comment with \"quotes\" and a , comma\n  \"a\": \"http://x/*y*/\", /* b */\n  \"l\": [1, 2,],\n}\n";
        let n = parse_jsonc(text, F).unwrap();
        assert_eq!(n.canonical_json(), r#"{"a":"http://x/*y*/","l":[1,2]}"#);
        let a = n.get("a").unwrap();
        assert_eq!(
            &text[a.span.start as usize..a.span.end as usize],
            "\"http://x/*y*/\""
        );
        assert!(parse_jsonc("{\"a\": 1 // end", F).is_err());
        assert_eq!(blank_jsonc("[\"a,]\",]"), "[\"a,]\" ]");
    }

    #[test]
    fn yaml_errors_have_locations() {
        let e = parse_yaml("a: [1, 2\nb: 3\n", F).unwrap_err();
        assert!(e.line_col.is_some());
        let e = parse_yaml("a: 1\na: 2\n", F).unwrap_err();
        assert!(e.message.contains("duplicate"), "{}", e.message);
        assert_eq!(e.line_col, Some((2, 1)));
    }

    #[test]
    fn alias_bomb_and_deep_nesting_are_refused() {
        let mut bomb = String::from("a: &a [x,x,x,x,x,x,x,x,x]\n");
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
        for w in names.windows(2) {
            let refs = vec![format!("*{}", w[0]); 9].join(",");
            bomb.push_str(&format!("{}: &{} [{}]\n", w[1], w[1], refs));
        }
        assert!(parse_yaml(&bomb, F).is_err());
        assert!(parse_yaml(&"[".repeat(5000), F).is_err());
        let deep_flow = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert!(
            parse_yaml(&deep_flow, F)
                .unwrap_err()
                .message
                .contains("too deep")
        );
        assert!(parse_json(&deep_flow, F).is_err());
        let mut deep_block = String::new();
        for i in 0..100 {
            deep_block.push_str(&format!("{}k{i}:\n", "  ".repeat(i)));
        }
        assert!(parse_yaml(&deep_block, F).is_err());
        assert!(parse_yaml(&format!("{}1{}", "- ".repeat(10), ""), F).is_ok());
    }

    #[test]
    fn toml_spans() {
        let text = "[project]\nname = \"x\"\n[policy.severity]\nX001 = \"off\"\n";
        let n = parse_toml(text, F).unwrap();
        let name = n.get("project").unwrap().get("name").unwrap();
        assert_eq!(
            &text[name.span.start as usize..name.span.end as usize],
            "\"x\""
        );
        let sev = n
            .get("policy")
            .unwrap()
            .get("severity")
            .unwrap()
            .get("X001")
            .unwrap();
        assert_eq!(sev.as_str(), Some("off"));
        assert!(parse_toml("[project\n", F).unwrap_err().offset.is_some());
    }
}
