//! The fast path for plain YAML: the block mappings, block sequences, one-line flow
//! collections and one-line scalars that agentlock's own files and most configuration files
//! are written in.
//!
//! [`parse`] gives the tree [`super::parse_yaml`] would give through serde-saphyr, spans
//! included, or `None` for anything outside that subset (anchors, tags, block scalars,
//! multi-line scalars or flow collections, a scalar whose type is not obvious, a duplicate key,
//! any error): the caller then takes the general parser, which also words every error. The
//! subset is a promise of equality, kept by a differential test against serde-saphyr over
//! generated documents (`tests` below) and the `yaml_plain` fuzz target.

use super::{Key, Node, Value};
use crate::source::{FileId, Span};

/// Deeper documents go to the general parser (which refuses more than 32 levels).
const MAX_DEPTH: usize = 24;

/// YAML limits a key written without `?` to 1024 characters; longer ones (in bytes, which
/// count no fewer) go to the general parser.
const MAX_KEY: usize = 1000;

/// The keys a mapping has so far, to refuse a duplicate: compared one by one while the mapping
/// is small, hashed once it is not (a file of 2,000 agents would otherwise compare 2 million
/// pairs). Two keys with the same hash count as a duplicate, which only sends the document to
/// the general parser.
#[derive(Default)]
struct Seen(Option<std::collections::HashSet<u64>>);

impl Seen {
    const LINEAR: usize = 16;

    fn duplicate(&mut self, entries: &[(Key, Node)], name: &str) -> bool {
        if name == "<<" {
            return true;
        }
        if entries.len() < Self::LINEAR {
            return entries.iter().any(|(k, _)| k.name == name);
        }
        let hash = |n: &str| {
            use std::hash::{Hash, Hasher};
            let mut h = std::hash::DefaultHasher::new();
            n.hash(&mut h);
            h.finish()
        };
        let set = self
            .0
            .get_or_insert_with(|| entries.iter().map(|(k, _)| hash(&k.name)).collect());
        !set.insert(hash(name))
    }
}

/// The tree of `text`, when it is plain YAML.
pub fn parse(text: &str, file: FileId) -> Option<Node> {
    let b = text.as_bytes();
    if !clean(text) {
        return None;
    }
    let mut lines = Vec::new();
    let mut start = 0;
    while start < b.len() {
        let end = memchr::memchr(b'\n', &b[start..]).map_or(b.len(), |i| start + i);
        let line = &b[start..end];
        if line.starts_with(b"---") || line.starts_with(b"...") || line.first() == Some(&b'%') {
            return None;
        }
        let indent = line.iter().take_while(|&&c| c == b' ').count();
        if indent < line.len() && line[indent] != b'#' {
            lines.push(Line {
                indent,
                start: start + indent,
                end,
            });
        }
        start = end + 1;
    }
    let first = lines.first()?;
    if first.indent != 0 {
        return None;
    }
    let mut p = Parser {
        b,
        text,
        lines,
        i: 0,
        file,
    };
    let node = p.block(0, 0)?;
    (p.i == p.lines.len()).then_some(node)
}

/// No tab, carriage return, control character or character YAML refuses or reads specially.
fn clean(text: &str) -> bool {
    let ascii_ok = |c: u8| c == b'\n' || (0x20..0x7f).contains(&c);
    if text.bytes().all(ascii_ok) {
        return true;
    }
    text.chars().all(|c| {
        if c.is_ascii() {
            ascii_ok(c as u8)
        } else {
            !matches!(
                c,
                '\u{80}'
                    ..='\u{9f}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}' | '\u{2028}' | '\u{2029}'
            )
        }
    })
}

/// A line with content (not blank, not only a comment).
struct Line {
    indent: usize,
    /// Offset of its first non-space byte.
    start: usize,
    /// Offset of its end (its `\n`, or the end of the text).
    end: usize,
}

struct Parser<'a> {
    b: &'a [u8],
    text: &'a str,
    lines: Vec<Line>,
    /// The next line to read.
    i: usize,
    file: FileId,
}

impl Parser<'_> {
    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start, end)
    }

    /// The block node whose first line is the current one, at `indent`.
    fn block(&mut self, indent: usize, depth: usize) -> Option<Node> {
        if depth > MAX_DEPTH {
            return None;
        }
        let line = self.lines.get(self.i)?;
        if line.indent != indent {
            return None;
        }
        let at = line.start;
        if self.dash(at) {
            self.seq(indent, false, depth)
        } else {
            self.map(at, indent, depth)
        }
    }

    /// Whether a block sequence item starts at `at`: `- ` or a `-` that ends the line.
    fn dash(&self, at: usize) -> bool {
        self.b[at] == b'-' && matches!(self.b.get(at + 1), None | Some(b' ' | b'\n'))
    }

    fn line_end(&self) -> usize {
        self.lines[self.i].end
    }

    /// A block sequence at `indent`: its items are lines at that indent starting `- `. An
    /// `indentless` one (a mapping's value at the mapping's own indent) is placed where its first
    /// item starts, as serde-saphyr places it; another at its first dash.
    fn seq(&mut self, indent: usize, indentless: bool, depth: usize) -> Option<Node> {
        let mut start = self.lines[self.i].start;
        let mut items = Vec::new();
        while let Some(line) = self.lines.get(self.i) {
            if line.indent != indent || !self.dash(line.start) {
                break;
            }
            let end = line.end;
            let mut at = line.start + 1;
            while at < end && self.b[at] == b' ' {
                at += 1;
            }
            // An empty item, a nested `- - x` or a comment where the item should be: the
            // general parser's.
            if at >= end || self.b[at] == b'#' || self.dash(at) {
                return None;
            }
            if indentless && items.is_empty() {
                start = at;
            }
            let column = at - (line.start - line.indent);
            if self.key_at(at, end).is_some() {
                items.push(self.map(at, column, depth + 1)?);
            } else {
                let (node, after) = self.inline(at, end, depth + 1)?;
                self.rest_is_comment(after, end)?;
                self.i += 1;
                self.no_continuation(indent)?;
                items.push(node);
            }
        }
        Some(Node {
            value: Value::Seq(items),
            span: self.span(start, start),
        })
    }

    /// A block mapping whose first key starts at `at` (on the current line) in column `indent`;
    /// its other keys are lines at that indent.
    fn map(&mut self, at: usize, indent: usize, depth: usize) -> Option<Node> {
        if depth > MAX_DEPTH {
            return None;
        }
        let mut entries: Vec<(Key, Node)> = Vec::new();
        let mut seen = Seen::default();
        let mut key_at = at;
        loop {
            let end = self.line_end();
            let (key, colon) = self.key_at(key_at, end)?;
            if seen.duplicate(&entries, &key.name) {
                return None;
            }
            let mut v = colon + 1;
            while v < end && self.b[v] == b' ' {
                v += 1;
            }
            let value = if v >= end || self.b[v] == b'#' {
                // The value is on the lines below, or there is none.
                self.i += 1;
                match self.lines.get(self.i) {
                    Some(next) if next.indent > indent => self.block(next.indent, depth + 1)?,
                    Some(next) if next.indent == indent && self.dash(next.start) => {
                        self.seq(indent, true, depth + 1)?
                    }
                    _ => {
                        // A comment after the colon: where the general parser puts the null is
                        // not worth guessing.
                        if v < end {
                            return None;
                        }
                        Node {
                            value: Value::Null,
                            span: self.span(colon, colon),
                        }
                    }
                }
            } else {
                let (node, after) = self.inline(v, end, depth + 1)?;
                self.rest_is_comment(after, end)?;
                self.i += 1;
                self.no_continuation(indent)?;
                node
            };
            entries.push((key, value));
            match self.lines.get(self.i) {
                Some(next) if next.indent == indent && !self.dash(next.start) => {
                    key_at = next.start;
                }
                Some(next) if next.indent > indent => return None,
                _ => break,
            }
        }
        Some(Node {
            value: Value::Map(entries),
            span: self.span(at, at),
        })
    }

    /// After a value that ended its line, the next line must not be more indented than the
    /// collection holding it (that would continue a plain scalar, or be an error).
    fn no_continuation(&self, indent: usize) -> Option<()> {
        match self.lines.get(self.i) {
            Some(next) if next.indent > indent => None,
            _ => Some(()),
        }
    }

    fn rest_is_comment(&self, mut at: usize, end: usize) -> Option<()> {
        let had_space = at < end && self.b[at] == b' ';
        while at < end && self.b[at] == b' ' {
            at += 1;
        }
        (at == end || (had_space && self.b[at] == b'#')).then_some(())
    }

    /// The key starting at `at` and the offset of its colon, when `at..end` is `key:` followed
    /// by a space or the end of the line.
    fn key_at(&self, at: usize, end: usize) -> Option<(Key, usize)> {
        let b = self.b;
        let (name, key_end) = match b[at] {
            b'"' | b'\'' => self.quoted(at, end)?,
            _ => {
                if !plain_start(b, at, end) {
                    return None;
                }
                let mut j = at;
                loop {
                    if j >= end {
                        return None;
                    }
                    match b[j] {
                        b':' if matches!(b.get(j + 1), None | Some(b' ' | b'\n'))
                            || j + 1 == end =>
                        {
                            break;
                        }
                        b'#' if b[j - 1] == b' ' => return None,
                        _ => j += 1,
                    }
                }
                if b[j - 1] == b' ' {
                    return None;
                }
                let name = &self.text[at..j];
                // A key YAML reads as a number, a boolean or null is the general parser's.
                if !matches!(resolve(name), Some(Value::Str(_))) {
                    return None;
                }
                (name.to_string(), j)
            }
        };
        let colon_ok =
            key_end < end && b[key_end] == b':' && (key_end + 1 == end || b[key_end + 1] == b' ');
        if !colon_ok || key_end - at > MAX_KEY {
            return None;
        }
        Some((
            Key {
                name,
                span: self.span(at, key_end),
            },
            key_end,
        ))
    }

    /// A value on one line starting at `at`: a scalar or a flow collection, and where it ends.
    fn inline(&self, at: usize, end: usize, depth: usize) -> Option<(Node, usize)> {
        match self.b[at] {
            b'[' | b'{' => self.flow(at, end, depth),
            b'"' | b'\'' => {
                let (s, after) = self.quoted(at, end)?;
                Some((
                    Node {
                        value: Value::Str(s),
                        span: self.span(at, after),
                    },
                    after,
                ))
            }
            _ => {
                if !plain_start(self.b, at, end) {
                    return None;
                }
                // A plain scalar runs to a comment or the end of the line.
                let mut j = at;
                while j < end && !(self.b[j] == b'#' && self.b[j - 1] == b' ') {
                    j += 1;
                }
                let mut e = j;
                while self.b[e - 1] == b' ' {
                    e -= 1;
                }
                let s = &self.text[at..e];
                if s.contains(": ") || s.ends_with(':') || s.contains(" #") {
                    return None;
                }
                Some((
                    Node {
                        value: resolve(s)?,
                        span: self.span(at, e),
                    },
                    e,
                ))
            }
        }
    }

    /// A flow collection that opens at `at` and closes on the same line, and the offset after it.
    fn flow(&self, at: usize, end: usize, depth: usize) -> Option<(Node, usize)> {
        if depth > MAX_DEPTH {
            return None;
        }
        let b = self.b;
        let map = b[at] == b'{';
        let close = if map { b'}' } else { b']' };
        let mut j = skip_spaces(b, at + 1, end);
        let mut items = Vec::new();
        let mut entries: Vec<(Key, Node)> = Vec::new();
        let mut seen = Seen::default();
        if j < end && b[j] == close {
            j += 1;
        } else {
            loop {
                if j >= end {
                    return None;
                }
                if map {
                    let (key, after) = self.flow_scalar(j, end, true)?;
                    let Value::Str(name) = key.value else {
                        return None;
                    };
                    if seen.duplicate(&entries, &name) {
                        return None;
                    }
                    if after >= end
                        || b[after] != b':'
                        || b.get(after + 1) != Some(&b' ')
                        || after - j > MAX_KEY
                    {
                        return None;
                    }
                    let v = skip_spaces(b, after + 1, end);
                    let (value, after) = self.flow_item(v, end, depth)?;
                    entries.push((
                        Key {
                            name,
                            span: key.span,
                        },
                        value,
                    ));
                    j = after;
                } else {
                    let (item, after) = self.flow_item(j, end, depth)?;
                    items.push(item);
                    j = after;
                }
                j = skip_spaces(b, j, end);
                match b.get(j) {
                    Some(&c) if c == close && j < end => {
                        j += 1;
                        break;
                    }
                    Some(b',') if j < end => {
                        j = skip_spaces(b, j + 1, end);
                        // A trailing comma, or an empty entry: the general parser's.
                        if j >= end || b[j] == b',' || b[j] == close {
                            return None;
                        }
                    }
                    _ => return None,
                }
            }
        }
        let value = if map {
            Value::Map(entries)
        } else {
            Value::Seq(items)
        };
        Some((
            Node {
                value,
                span: self.span(at, at + 1),
            },
            j,
        ))
    }

    /// An entry of a flow collection: a nested collection or a scalar.
    fn flow_item(&self, at: usize, end: usize, depth: usize) -> Option<(Node, usize)> {
        if at >= end {
            return None;
        }
        match self.b[at] {
            b'[' | b'{' => self.flow(at, end, depth + 1),
            _ => {
                let (node, after) = self.flow_scalar(at, end, false)?;
                // `[a: b]` is a mapping inside a sequence: the general parser's.
                if after < end && self.b[after] == b':' {
                    return None;
                }
                Some((node, after))
            }
        }
    }

    /// A scalar inside a flow collection (a key when `key`), and the offset after it.
    fn flow_scalar(&self, at: usize, end: usize, key: bool) -> Option<(Node, usize)> {
        let b = self.b;
        if b[at] == b'"' || b[at] == b'\'' {
            let (s, after) = self.quoted(at, end)?;
            return Some((
                Node {
                    value: Value::Str(s),
                    span: self.span(at, after),
                },
                after,
            ));
        }
        if !plain_start(b, at, end) {
            return None;
        }
        let mut j = at;
        while j < end {
            match b[j] {
                b',' | b'[' | b']' | b'{' | b'}' => break,
                b':' if matches!(b.get(j + 1), Some(b' ' | b',' | b'[' | b']' | b'{' | b'}'))
                    || j + 1 == end =>
                {
                    break;
                }
                b'#' if b[j - 1] == b' ' => return None,
                _ => j += 1,
            }
        }
        let mut e = j;
        while e > at && b[e - 1] == b' ' {
            e -= 1;
        }
        if e == at {
            return None;
        }
        let s = &self.text[at..e];
        let value = resolve(s)?;
        if key && !matches!(value, Value::Str(_)) {
            return None;
        }
        Some((
            Node {
                value,
                span: self.span(at, e),
            },
            e,
        ))
    }

    /// A quoted scalar on one line: its value and the offset after its closing quote.
    fn quoted(&self, at: usize, end: usize) -> Option<(String, usize)> {
        let b = self.b;
        let q = b[at];
        let mut out = String::new();
        let mut run = at + 1;
        let mut j = at + 1;
        while j < end {
            let c = b[j];
            if q == b'\'' && c == b'\'' {
                out.push_str(&self.text[run..j]);
                if b.get(j + 1) == Some(&b'\'') && j + 1 < end {
                    out.push('\'');
                    j += 2;
                    run = j;
                    continue;
                }
                return Some((out, j + 1));
            }
            if q == b'"' && c == b'"' {
                out.push_str(&self.text[run..j]);
                return Some((out, j + 1));
            }
            if q == b'"' && c == b'\\' {
                out.push_str(&self.text[run..j]);
                let e = *b.get(j + 1).filter(|_| j + 1 < end)?;
                out.push(match e {
                    b'"' => '"',
                    b'\\' => '\\',
                    b'/' => '/',
                    b'n' => '\n',
                    b't' => '\t',
                    _ => return None,
                });
                j += 2;
                run = j;
                continue;
            }
            j += 1;
        }
        None
    }
}

fn skip_spaces(b: &[u8], mut at: usize, end: usize) -> usize {
    while at < end && b[at] == b' ' {
        at += 1;
    }
    at
}

/// Whether a plain scalar may start at `at` (YAML's indicators may not start one).
fn plain_start(b: &[u8], at: usize, end: usize) -> bool {
    at < end
        && !matches!(
            b[at],
            b'-' | b'?'
                | b':'
                | b','
                | b'['
                | b']'
                | b'{'
                | b'}'
                | b'#'
                | b'&'
                | b'*'
                | b'!'
                | b'|'
                | b'>'
                | b'\''
                | b'"'
                | b'%'
                | b'@'
                | b'`'
                | b' '
        )
        || (at < end && b[at] == b'-' && b.get(at + 1).is_some_and(u8::is_ascii_digit))
}

/// The value of a plain scalar, when its type is beyond doubt.
fn resolve(s: &str) -> Option<Value> {
    match s {
        "null" | "Null" | "NULL" | "~" => return Some(Value::Null),
        "true" | "True" | "TRUE" => return Some(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Some(Value::Bool(false)),
        _ => {}
    }
    let b = s.as_bytes();
    let digits = |d: &[u8]| !d.is_empty() && d.iter().all(u8::is_ascii_digit);
    let unsigned_str = s.strip_prefix('-').unwrap_or(s);
    let unsigned = unsigned_str.as_bytes();
    // A decimal integer without a leading zero, small enough to be exact.
    if digits(unsigned) && unsigned.len() <= 18 && (unsigned[0] != b'0' || unsigned.len() == 1) {
        if s == "-0" {
            return None;
        }
        return s.parse().ok().map(Value::Int);
    }
    // A decimal fraction: `0.2`, `-1.5`.
    if unsigned.first().is_some_and(u8::is_ascii_digit)
        && let Some((int, frac)) = unsigned_str.split_once('.')
        && digits(int.as_bytes())
        && digits(frac.as_bytes())
        && (int == "0" || !int.starts_with('0'))
        && unsigned.len() <= 15
    {
        return s.parse().ok().map(Value::Float);
    }
    let word = s.trim_start_matches(['+', '-']).trim_start_matches('.');
    let any_case = |w: &str, of: &[&str]| of.iter().any(|o| w.eq_ignore_ascii_case(o));
    if any_case(word, &["inf", "nan", "infinity"]) {
        return None;
    }
    let numberish = |c: &u8| {
        c.is_ascii_hexdigit()
            || matches!(
                c,
                b'x' | b'X' | b'o' | b'O' | b'.' | b'_' | b'+' | b'-' | b':'
            )
    };
    if b[0].is_ascii_digit() || matches!(b[0], b'+' | b'-' | b'.') {
        // `1.0.0`: digits and two dots or more is no number.
        let version = b.iter().all(|c| c.is_ascii_digit() || *c == b'.')
            && b.iter().filter(|c| **c == b'.').count() >= 2;
        if b.iter().all(numberish) && !version {
            return None;
        }
        return Some(Value::Str(s.to_string()));
    }
    if any_case(
        s,
        &[
            "null", "true", "false", "yes", "no", "on", "off", "y", "n", "nan", "inf", "infinity",
        ],
    ) {
        return None;
    }
    Some(Value::Str(s.to_string()))
}

/// Whether the fast path takes `text`; panics when it takes it and serde-saphyr gives another
/// tree or refuses it. The differential check of the tests and of the `yaml_plain` fuzz target.
pub fn agrees(text: &str) -> bool {
    let file = FileId(0);
    let Some(fast) = parse(text, file) else {
        return false;
    };
    match super::parse_yaml_general(text, file) {
        Ok(general) => assert_eq!(
            dump(&fast),
            dump(&general),
            "the YAML fast path disagrees on {text:?}"
        ),
        Err(e) => panic!(
            "the YAML fast path took {text:?}, which serde-saphyr refuses: {}",
            e.message
        ),
    }
    true
}

/// A tree with its spans, as text: what the differential checks compare.
fn dump(n: &Node) -> String {
    let mut out = String::new();
    fn walk(n: &Node, out: &mut String) {
        use std::fmt::Write as _;
        let _ = write!(out, "@{}..{}:", n.span.start, n.span.end);
        match &n.value {
            Value::Map(m) => {
                out.push('{');
                for (k, v) in m {
                    let _ = write!(out, "{:?}@{}..{}=", k.name, k.span.start, k.span.end);
                    walk(v, out);
                    out.push(',');
                }
                out.push('}');
            }
            Value::Seq(items) => {
                out.push('[');
                for v in items {
                    walk(v, out);
                    out.push(',');
                }
                out.push(']');
            }
            Value::Float(f) => {
                let _ = write!(out, "Float({:x})", f.to_bits());
            }
            v => {
                let _ = write!(out, "{v:?}");
            }
        }
    }
    walk(n, &mut out);
    out
}

#[cfg(test)]
mod tests;
