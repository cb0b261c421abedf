//! The readers of eval-harness result files: each turns one harness's file into [`Results`].
//!
//! [`read`] reads a file as the harness it is told, or, told none, as the harness its content
//! shows ([`detect`]: the first characters and the first top-level keys, never the file name).
//! Every observation and test carries the byte offsets of the value it was read from, and every
//! [`ReadError`] the offsets of the offending value (or of the point where parsing stopped), so
//! findings point into the file.
//!
//! Result files hold user text and possibly secrets: messages name paths, keys and types, and
//! quote a value only when it is a short scalar where a number or a verdict was expected (a
//! `"high"` where a score belongs), never a case id, an input or anything longer than 40
//! characters.
//!
//! Inspect and DeepEval are Python programs whose JSON may hold the non-standard `NaN`,
//! `Infinity` and `-Infinity` (Python's `json` and pydantic write them): those readers accept
//! them (an unscored Inspect value is `NaN`): a file holding one is parsed from a copy of the
//! same length with those words replaced, so its offsets are the file's. promptfoo (JavaScript)
//! and agentlock's own JSONL are read as strict JSON.
//!
//! A file that is well-formed but holds no result (`"results": []`, `"samples": []`, no
//! `<testcase>`) reads as empty [`Results`]: whether that is acceptable evidence is for the
//! caller to say.

use crate::evidence::results::{Harness, ReadError, Results};
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

pub mod deepeval;
pub mod inspect;
pub mod jsonl;
pub mod junit;
pub mod promptfoo;

/// What agentlock reads, for messages that name the formats.
const FORMATS: &str = "promptfoo `-o results.json`, an Inspect log written with \
`--log-format=json`, a DeepEval test run (`.deepeval/.latest_run_full.json`), JUnit XML, or \
agentlock.eval/v1 JSONL";

/// How to write agentlock's own format, for files no harness reader takes.
const JSONL_HELP: &str = "write the results as agentlock.eval/v1 JSONL, one observation a line: \
{\"dataset\": \"golden_happy_path\", \"case\": \"hp-001\", \"metric\": \"correctness\", \
\"pass\": true, \"score\": 4.5} (`dataset`, `case` and `metric` required, with `pass` or \
`score`; optional `latency_ms`, `cost_usd`, `critical`, `repeat`)";

/// Reads a results file written by `harness`, or, when `harness` is `None`, by the harness its
/// content shows ([`detect`]). A ZIP archive (an Inspect `.eval` log) is refused with how to
/// convert it, whatever the harness.
pub fn read(text: &str, harness: Option<Harness>) -> Result<Results, ReadError> {
    if crate::snapshot::lfs::is_pointer(text.as_bytes()) {
        return Err(error(crate::snapshot::lfs::POINTER, (0, 0)).help(crate::snapshot::lfs::HELP));
    }
    if is_zip(text.as_bytes()) {
        return Err(zip_error());
    }
    let harness = match harness {
        Some(h) => h,
        None => match detect(text) {
            Some(h) => h,
            None => return Err(unknown_format(text)),
        },
    };
    let results = match harness {
        Harness::Promptfoo => promptfoo::read(text),
        Harness::Inspect => inspect::read(text),
        Harness::Deepeval => deepeval::read(text),
        Harness::Junit => junit::read(text),
        Harness::Agentlock => jsonl::read(text),
    }?;
    checked(results)
}

/// The largest magnitude a score, latency or cost may have: sums of a million of them stay
/// exact enough, where `1.7e308` overflowed to infinity and printed `$NaN`.
pub const MAX_MAGNITUDE: f64 = 1e15;

/// One rule for every reader's observations: a metric has a name; a score, latency and cost
/// are finite and at most [`MAX_MAGNITUDE`] in size; a latency and a cost are not negative
/// (agentlock's JSONL said so already; promptfoo's `latencyMs: -5` was taken).
fn checked(results: Results) -> Result<Results, ReadError> {
    for o in &results.observations {
        let at = (o.start, o.end);
        if o.metric.trim().is_empty() {
            return Err(error("an observation has an empty metric name", at)
                .help("name every score (`namedScores` keys, scorer names)"));
        }
        for (what, v, signed) in [
            ("score", o.score, true),
            ("latency", o.latency_ms, false),
            ("cost", o.cost_usd, false),
        ] {
            let Some(v) = v else { continue };
            let why = if !v.is_finite() {
                "is not a finite number"
            } else if v.abs() > MAX_MAGNITUDE {
                "is too large to compare (at most 1e15 in size)"
            } else if !signed && v < 0.0 {
                "is negative"
            } else {
                continue;
            };
            return Err(error(
                format!(
                    "the {what} of case {} ({}) {why}",
                    crate::source::printable(o.case.as_deref().unwrap_or("without an id")),
                    crate::source::printable(&o.metric)
                ),
                at,
            )
            .help("the file is not what the harness writes: run the evals again"));
        }
    }
    Ok(results)
}

/// The harness a results file's content shows, if any: after a UTF-8 byte order mark and
/// whitespace, `<` is JUnit XML; a first line that is a whole JSON object with a `metric`,
/// `case` or `schema` key is agentlock.eval/v1 JSONL; otherwise the top-level keys of the JSON
/// object, scanned only until they decide (a 100 MB file is not parsed for this): `results`
/// with `evalId` or `config` is promptfoo, `eval` with `samples` or `version` is Inspect,
/// `testCases` (or DeepEval's `testRunData` wrapper) is DeepEval.
pub fn detect(text: &str) -> Option<Harness> {
    let (body, _) = without_bom(text);
    let t = body.trim_start();
    match t.as_bytes().first()? {
        b'<' => Some(Harness::Junit),
        b'{' => scan_keys(t),
        _ => None,
    }
}

/// Whether the bytes are a ZIP archive (Inspect's default `.eval` log format is one): check
/// before decoding a file as UTF-8, to say what it is rather than that it is not text.
pub fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06")
}

/// A fuzz target's body: reads arbitrary bytes (as UTF-8, when they are) as every harness and
/// as an undetected file, and checks that nothing panics and that every offset returned lies
/// within the text, on a character boundary, with `start <= end`.
pub fn fuzz(bytes: &[u8]) {
    let _ = is_zip(bytes);
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let _ = detect(text);
    let check = |start: usize, end: usize, what: &str| {
        assert!(
            start <= end && end <= text.len(),
            "{what} offsets {start}..{end} outside 0..{}",
            text.len()
        );
        assert!(
            text.is_char_boundary(start) && text.is_char_boundary(end),
            "{what} offsets {start}..{end} not on character boundaries"
        );
    };
    for harness in [
        None,
        Some(Harness::Promptfoo),
        Some(Harness::Inspect),
        Some(Harness::Deepeval),
        Some(Harness::Junit),
        Some(Harness::Agentlock),
    ] {
        match read(text, harness) {
            Ok(results) => {
                for o in &results.observations {
                    check(o.start, o.end, "an observation's");
                    assert!(
                        o.pass.is_some()
                            || o.score.is_some()
                            || o.error
                            || o.metric == crate::evidence::compare::OVERALL
                    );
                    assert!(o.score.is_none_or(f64::is_finite), "a non-finite score");
                }
                for t in &results.tests {
                    check(t.start, t.end, "a test's");
                }
            }
            Err(e) => {
                check(e.start, e.end, "an error's");
                assert!(!e.message.is_empty(), "an empty message");
            }
        }
    }
}

fn zip_error() -> ReadError {
    error(
        "this is a ZIP archive (Inspect's `.eval` log format), not a JSON or XML results file",
        (0, 2),
    )
    .help(
        "convert the log: `inspect log convert --to json LOG`, or run the eval with \
         `--log-format=json`",
    )
}

fn unknown_format(text: &str) -> ReadError {
    let (body, bom) = without_bom(text);
    let lead = body.len() - body.trim_start().len();
    let at = bom + lead;
    let (message, span) = if body.trim().is_empty() {
        ("the results file is empty".to_string(), (0, 0))
    } else if is_inspect_listing(body) {
        let end = next_boundary(text, at);
        return error(
            "this is the listing of an Inspect log directory (`logs.json`: the headers of its `.eval` logs, no samples), not a log",
            (at, end),
        )
        .help("add the logs themselves, as JSON: `inspect log convert --to json LOG`, or run the eval with `--log-format=json`");
    } else {
        let end = next_boundary(text, at);
        (
            format!("the format of this results file is not one agentlock reads ({FORMATS})"),
            (at, end),
        )
    };
    error(message, span).help(format!(
        "name the harness if the file is one of those (`agentlock evidence add --harness NAME`), or {JSONL_HELP}"
    ))
}

/// Whether `body` is the `logs.json` Inspect writes beside its logs: an object whose first key
/// is a log's file name.
fn is_inspect_listing(body: &str) -> bool {
    let Some(rest) = body.trim_start().strip_prefix('{') else {
        return false;
    };
    let Some(rest) = rest.trim_start().strip_prefix('"') else {
        return false;
    };
    rest.split_once('"').is_some_and(|(key, _)| {
        key.ends_with(".eval") || (key.ends_with(".json") && key.contains('_'))
    })
}

// ----- errors ---------------------------------------------------------------------------------

/// A [`ReadError`] at `span`, with no help.
pub(crate) fn error(message: impl Into<String>, span: (usize, usize)) -> ReadError {
    ReadError {
        message: message.into(),
        start: span.0,
        end: span.1,
        help: None,
    }
}

/// Adds help to a [`ReadError`].
pub(crate) trait Help {
    fn help(self, help: impl Into<String>) -> Self;
}

impl Help for ReadError {
    fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// The byte offset of serde_json's 1-based `line` and `column` in `text`, on a character
/// boundary and within it.
pub(crate) fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let mut start = 0;
    for _ in 1..line {
        match memchr::memchr(b'\n', &text.as_bytes()[start..]) {
            Some(i) => start += i + 1,
            None => return text.len(),
        }
    }
    let mut at = (start + column.saturating_sub(1)).min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The end of the character at `at` (or `at` at the end of the text).
pub(crate) fn next_boundary(text: &str, at: usize) -> usize {
    let mut end = (at + 1).min(text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    end
}

/// serde_json's message without its ` at line L column C`, cut like [`cut`] (its data errors
/// quote the value they met: `invalid type: string "…"`).
pub(crate) fn serde_message(e: &serde_json::Error) -> String {
    let full = e.to_string();
    match full.rfind(" at line ") {
        Some(i) => cut(&full[..i]),
        None => cut(&full),
    }
}

/// A parser's message for a message of ours: every quoted part (`"…"`, `` `…` ``, `'…'`) cut to
/// 40 characters, and the whole to 200.
pub(crate) fn cut(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len().min(220));
    let mut quoted: Option<(char, usize)> = None;
    for (count, c) in msg.chars().enumerate() {
        if count >= 200 {
            out.push('…');
            break;
        }
        match quoted {
            None => {
                if matches!(c, '"' | '`' | '\'') {
                    quoted = Some((c, 0));
                }
                out.push(c);
            }
            Some((q, n)) if c == q => {
                if n > 40 {
                    out.push('…');
                }
                out.push(c);
                quoted = None;
            }
            Some((q, n)) => {
                if n < 40 && !c.is_control() {
                    out.push(c);
                }
                quoted = Some((q, n + 1));
            }
        }
    }
    out
}

/// `key` for a message: itself in backticks when short and printable, else what it is.
pub(crate) fn key_shown(key: &str) -> String {
    if key.chars().count() <= 40 && !key.chars().any(char::is_control) && !key.contains('`') {
        format!("`{key}`")
    } else {
        "a key".to_string()
    }
}

/// `key` as one segment of a path in a message (`scores.match`, `scores[…]`).
pub(crate) fn path_key(key: &str) -> String {
    let plain = !key.is_empty()
        && key.chars().count() <= 40
        && key
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '/' | ':'));
    if plain {
        format!(".{key}")
    } else {
        "[…]".to_string()
    }
}

// ----- JSON documents -------------------------------------------------------------------------

/// A UTF-8 byte order mark's length at the start of `text` (0 or 3), and the text after it.
pub(crate) fn without_bom(text: &str) -> (&str, usize) {
    match text.strip_prefix('\u{feff}') {
        Some(rest) => (rest, 3),
        None => (text, 0),
    }
}

/// What a JSON value is, from its first character.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Object,
    Array,
    String,
    Number,
    Bool,
    Null,
}

impl Kind {
    pub(crate) fn of(raw: &RawValue) -> Kind {
        match raw.get().as_bytes().first() {
            Some(b'{') => Kind::Object,
            Some(b'[') => Kind::Array,
            Some(b'"') => Kind::String,
            Some(b't' | b'f') => Kind::Bool,
            Some(b'n') => Kind::Null,
            _ => Kind::Number,
        }
    }

    /// `an object`, `a string`, …
    pub(crate) fn article(self) -> &'static str {
        match self {
            Kind::Object => "an object",
            Kind::Array => "an array",
            Kind::String => "a string",
            Kind::Number => "a number",
            Kind::Bool => "a boolean",
            Kind::Null => "null",
        }
    }
}

/// A number as a reader met it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Num {
    Finite(f64),
    /// Python's `NaN`.
    NaN,
    /// `Infinity`, `-Infinity`, or a literal too large for a double (`1e999`).
    Infinite,
    /// Not a number at all.
    Not(Kind),
}

/// A JSON document being read: the text serde parses (the file's, or a copy of the same length
/// with Python's non-finite literals replaced by numbers of the same width, their places noted),
/// so that the offset of any borrowed value is its offset in the file.
/// The metadata a harness keeps beside a case (promptfoo's `testCase.metadata`, DeepEval's
/// `additionalMetadata`): the keys agentlock reads in it.
#[derive(serde::Deserialize)]
pub(crate) struct CaseMeta<'a> {
    #[serde(borrow)]
    pub(crate) id: Option<&'a RawValue>,
    #[serde(borrow)]
    pub(crate) dataset: Option<&'a RawValue>,
    #[serde(borrow)]
    pub(crate) critical: Option<&'a RawValue>,
}

pub(crate) struct Doc<'a> {
    text: Cow<'a, str>,
    /// Where the UTF-8 byte order mark ends (0 or 3).
    bom: usize,
    /// (offset, value) of each replaced `NaN`/`Infinity`/`-Infinity`, in order.
    nonfinite: Vec<(usize, f64)>,
}

impl<'a> Doc<'a> {
    /// Strict JSON (promptfoo, JSONL lines).
    pub(crate) fn strict(text: &'a str) -> Doc<'a> {
        Doc {
            bom: without_bom(text).1,
            text: Cow::Borrowed(text),
            nonfinite: Vec::new(),
        }
    }

    /// JSON as Python writes it: `NaN`, `Infinity` and `-Infinity` are read as those numbers.
    pub(crate) fn python(text: &'a str) -> Doc<'a> {
        let bom = without_bom(text).1;
        let found = nonfinite_literals(text.as_bytes());
        if found.is_empty() {
            return Doc {
                text: Cow::Borrowed(text),
                bom,
                nonfinite: Vec::new(),
            };
        }
        let mut bytes = text.as_bytes().to_vec();
        let mut nonfinite = Vec::with_capacity(found.len());
        for (at, width, value) in found {
            // Same width, ASCII for ASCII: the copy stays UTF-8 and every offset stays.
            let with: &[u8] = match width {
                3 => b"0e0",
                8 => b"0.000000",
                _ => b"-0.000000",
            };
            if let Some(slot) = bytes.get_mut(at..at + width) {
                slot.copy_from_slice(with);
                nonfinite.push((at, value));
            }
        }
        match String::from_utf8(bytes) {
            Ok(copy) => Doc {
                text: Cow::Owned(copy),
                bom,
                nonfinite,
            },
            Err(_) => Doc {
                text: Cow::Borrowed(text),
                bom,
                nonfinite: Vec::new(),
            },
        }
    }

    /// Where the text after the byte order mark starts (0 or 3).
    pub(crate) fn bom(&self) -> usize {
        self.bom
    }

    /// The offsets of the first character of the content (after the byte order mark and any
    /// whitespace), for errors about the file as a whole.
    pub(crate) fn first_span(&self) -> (usize, usize) {
        let body = self.body();
        let at = self.bom + (body.len() - body.trim_start().len());
        (at, next_boundary(self.text(), at))
    }

    /// The text after the byte order mark, which serde parses.
    pub(crate) fn body(&self) -> &str {
        self.text.get(self.bom..).unwrap_or("")
    }

    /// The whole text (the same length as the file's).
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    /// The offsets in the file of a value borrowed from [`Doc::body`].
    pub(crate) fn span(&self, raw: &RawValue) -> (usize, usize) {
        let base = self.text.as_ptr() as usize;
        let at = raw.get().as_ptr() as usize;
        let len = raw.get().len();
        match at.checked_sub(base) {
            Some(start) if start + len <= self.text.len() => (start, start + len),
            _ => (0, 0),
        }
    }

    /// A JSON error of the whole body as a [`ReadError`] at the point it names; `what` names
    /// the value (`the file`, `line 3`).
    pub(crate) fn json_error(
        &self,
        e: &serde_json::Error,
        what: &(impl fmt::Display + ?Sized),
    ) -> ReadError {
        let at = floor_boundary(
            self.text(),
            self.bom + offset_of(self.body(), e.line(), e.column()),
        );
        let span = (at, next_boundary(self.text(), at));
        self.error_of(e, what, span)
    }

    /// A JSON error met parsing the value `raw` (borrowed from the body) as a [`ReadError`].
    pub(crate) fn json_error_in(
        &self,
        raw: &RawValue,
        e: &serde_json::Error,
        what: &(impl fmt::Display + ?Sized),
    ) -> ReadError {
        let (start, _) = self.span(raw);
        let at = start + offset_of(raw.get(), e.line(), e.column());
        let span = (
            at.min(self.text.len()),
            next_boundary(self.text(), at.min(self.text.len())),
        );
        self.error_of(e, what, span)
    }

    fn error_of(
        &self,
        e: &serde_json::Error,
        what: &(impl fmt::Display + ?Sized),
        span: (usize, usize),
    ) -> ReadError {
        let message = match e.classify() {
            serde_json::error::Category::Data => {
                format!("{what} is not of the expected shape: {}", serde_message(e))
            }
            serde_json::error::Category::Eof => {
                format!("{what} ends before its JSON does ({})", serde_message(e))
            }
            _ => format!("{what} is not valid JSON: {}", serde_message(e)),
        };
        error(message, span)
    }

    /// A number, or what else the value is.
    pub(crate) fn num(&self, raw: &RawValue) -> Num {
        match Kind::of(raw) {
            Kind::Number => {}
            k => return Num::Not(k),
        }
        if !self.nonfinite.is_empty() {
            let (start, _) = self.span(raw);
            if let Ok(i) = self.nonfinite.binary_search_by_key(&start, |&(at, _)| at) {
                let v = self.nonfinite.get(i).map_or(f64::NAN, |&(_, v)| v);
                return if v.is_nan() { Num::NaN } else { Num::Infinite };
            }
        }
        match raw.get().parse::<f64>() {
            Ok(v) if v.is_finite() => Num::Finite(v),
            Ok(_) => Num::Infinite,
            Err(_) => Num::Not(Kind::Number),
        }
    }

    /// A value for a message: a short scalar as written (`"high"`, `-1`, `true`), else what it
    /// is (`a string`, `an object`).
    pub(crate) fn shown(&self, raw: &RawValue) -> String {
        let s = raw.get();
        match Kind::of(raw) {
            Kind::Number => match self.num(raw) {
                Num::NaN => "NaN".to_string(),
                Num::Infinite if s.starts_with('-') => "-Infinity".to_string(),
                Num::Infinite if !s.contains(['e', 'E']) => "Infinity".to_string(),
                _ if s.len() <= 40 => s.to_string(),
                _ => "a number".to_string(),
            },
            Kind::String
                if s.len() <= 42 && !s.contains('\\') && !s.chars().any(char::is_control) =>
            {
                s.to_string()
            }
            Kind::Bool | Kind::Null => s.to_string(),
            k => k.article().to_string(),
        }
    }

    /// An error that the value at `path` is `raw`, not `expected` (`a number`).
    pub(crate) fn not_a(
        &self,
        raw: &RawValue,
        path: &(impl fmt::Display + ?Sized),
        expected: &str,
    ) -> ReadError {
        error(
            format!("{path} is {}, not {expected}", self.shown(raw)),
            self.span(raw),
        )
    }

    /// An error that the value at `path` is a `raw` of a kind other than `expected`, naming only
    /// its kind (for values that are user text: case ids, names).
    pub(crate) fn not_a_kind(
        &self,
        raw: &RawValue,
        path: &(impl fmt::Display + ?Sized),
        expected: &str,
    ) -> ReadError {
        error(
            format!("{path} is {}, not {expected}", Kind::of(raw).article()),
            self.span(raw),
        )
    }

    /// An optional finite number at `path`; `NaN` reads as absent when `nan_is_absent`.
    pub(crate) fn opt_number(
        &self,
        raw: Option<&RawValue>,
        path: &(impl fmt::Display + ?Sized),
        nan_is_absent: bool,
    ) -> Result<Option<f64>, ReadError> {
        let Some(raw) = raw else { return Ok(None) };
        match self.num(raw) {
            Num::Finite(v) => Ok(Some(v)),
            Num::NaN if nan_is_absent => Ok(None),
            Num::NaN | Num::Infinite => Err(error(
                format!("{path} is {}, not a finite number", self.shown(raw)),
                self.span(raw),
            )),
            Num::Not(Kind::Null) => Ok(None),
            Num::Not(_) => Err(self.not_a(raw, path, "a number")),
        }
    }

    /// An optional boolean at `path` (`null` is absent).
    pub(crate) fn opt_bool(
        &self,
        raw: Option<&RawValue>,
        path: &(impl fmt::Display + ?Sized),
    ) -> Result<Option<bool>, ReadError> {
        match raw.map(|r| (r, r.get())) {
            None | Some((_, "null")) => Ok(None),
            Some((_, "true")) => Ok(Some(true)),
            Some((_, "false")) => Ok(Some(false)),
            Some((r, _)) => Err(self.not_a(r, path, "true or false")),
        }
    }

    /// A case's metadata object at `path`, when there is one (`null` is absent).
    pub(crate) fn case_meta(
        &self,
        raw: Option<&'a RawValue>,
        path: &(impl fmt::Display + ?Sized),
    ) -> Result<Option<CaseMeta<'a>>, ReadError> {
        match raw {
            Some(m) if Kind::of(m) != Kind::Null => Ok(Some(self.object(m, path)?)),
            _ => Ok(None),
        }
    }

    /// An optional string at `path` (`null` is absent); only its kind is named if it is not one.
    pub(crate) fn opt_string(
        &self,
        raw: Option<&RawValue>,
        path: &(impl fmt::Display + ?Sized),
    ) -> Result<Option<String>, ReadError> {
        let Some(raw) = raw else { return Ok(None) };
        match Kind::of(raw) {
            Kind::Null => Ok(None),
            Kind::String => match string(raw) {
                Some(s) => Ok(Some(s.into_owned())),
                None => Err(self.not_a_kind(raw, path, "a string")),
            },
            _ => Err(self.not_a_kind(raw, path, "a string")),
        }
    }

    /// An optional case id at `path`: a string as itself, a number as its JSON text (the way
    /// golden datasets write ids: `7`, not `7.0`); `null` is absent.
    pub(crate) fn opt_case_id(
        &self,
        raw: Option<&RawValue>,
        path: &(impl fmt::Display + ?Sized),
    ) -> Result<Option<String>, ReadError> {
        let Some(raw) = raw else { return Ok(None) };
        match Kind::of(raw) {
            Kind::Null => Ok(None),
            Kind::String => Ok(string(raw).map(Cow::into_owned)),
            Kind::Number => match serde_json::from_str::<serde_json::Number>(raw.get()) {
                Ok(n) => Ok(Some(n.to_string())),
                Err(_) => Err(self.not_a_kind(raw, path, "a string or a number")),
            },
            _ => Err(self.not_a_kind(raw, path, "a string or a number")),
        }
    }

    /// An optional count (a non-negative integer that fits 32 bits) at `path`.
    pub(crate) fn opt_count(
        &self,
        raw: Option<&RawValue>,
        path: &(impl fmt::Display + ?Sized),
    ) -> Result<Option<u32>, ReadError> {
        let Some(raw) = raw else { return Ok(None) };
        if Kind::of(raw) == Kind::Null {
            return Ok(None);
        }
        let s = raw.get();
        let int = s.strip_suffix(".0").unwrap_or(s);
        match int.parse::<u32>() {
            Ok(n) if Kind::of(raw) == Kind::Number => Ok(Some(n)),
            _ => Err(self.not_a(raw, path, "a whole number from 0")),
        }
    }

    /// Parses an object value (its kind checked first) into `T`.
    pub(crate) fn object<T>(
        &self,
        raw: &'a RawValue,
        path: &(impl fmt::Display + ?Sized),
    ) -> Result<T, ReadError>
    where
        T: Deserialize<'a>,
    {
        if Kind::of(raw) != Kind::Object {
            return Err(self.not_a_kind(raw, path, "an object"));
        }
        serde_json::from_str(raw.get()).map_err(|e| self.json_error_in(raw, &e, path))
    }
}

/// Seconds read at `path` as milliseconds (an error if they overflow).
pub(crate) fn millis(
    doc: &Doc,
    seconds: Option<f64>,
    raw: Option<&RawValue>,
    path: &(impl fmt::Display + ?Sized),
) -> Result<Option<f64>, ReadError> {
    match (seconds.map(|s| s * 1000.0), raw) {
        (Some(ms), Some(raw)) if !ms.is_finite() => Err(error(
            format!("{path} is too large a number of seconds"),
            doc.span(raw),
        )),
        (ms, _) => Ok(ms),
    }
}

/// The largest character boundary of `text` at or before `at` (and within it).
pub(crate) fn floor_boundary(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// A JSON string value's content (escapes decoded; borrowed when there are none).
pub(crate) fn string(raw: &RawValue) -> Option<Cow<'_, str>> {
    let s = raw.get();
    let inner = s.strip_prefix('"')?.strip_suffix('"')?;
    if !inner.contains('\\') {
        return Some(Cow::Borrowed(inner));
    }
    serde_json::from_str::<String>(s).ok().map(Cow::Owned)
}

/// The offset, width and value of every `NaN`, `Infinity` and `-Infinity` outside the strings
/// of a JSON text (none, quickly, when the text holds neither word).
fn nonfinite_literals(b: &[u8]) -> Vec<(usize, usize, f64)> {
    let mut out = Vec::new();
    if memchr::memmem::find(b, b"NaN").is_none() && memchr::memmem::find(b, b"Infinity").is_none() {
        return out;
    }
    let mut i = 0;
    while let Some(j) = memchr::memchr3(b'"', b'N', b'I', b.get(i..).unwrap_or(&[])) {
        let at = i + j;
        let rest = b.get(at..).unwrap_or(&[]);
        match rest.first() {
            Some(b'"') => match skip_string(b, at) {
                Some(end) => i = end,
                None => break,
            },
            Some(b'N') if rest.starts_with(b"NaN") => {
                out.push((at, 3, f64::NAN));
                i = at + 3;
            }
            Some(b'I') if rest.starts_with(b"Infinity") => {
                if at > 0 && b.get(at - 1) == Some(&b'-') {
                    out.push((at - 1, 9, f64::NEG_INFINITY));
                } else {
                    out.push((at, 8, f64::INFINITY));
                }
                i = at + 8;
            }
            _ => i = at + 1,
        }
    }
    out
}

/// The index after the string that starts with the quote at `at`.
fn skip_string(b: &[u8], at: usize) -> Option<usize> {
    let mut i = at + 1;
    loop {
        let j = memchr::memchr2(b'"', b'\\', b.get(i..)?)?;
        match b.get(i + j)? {
            b'\\' => i += j + 2,
            _ => return Some(i + j + 1),
        }
    }
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

/// The index after the JSON value at `i` (scanned, not validated).
fn skip_value(b: &[u8], i: usize) -> Option<usize> {
    match b.get(i)? {
        b'"' => skip_string(b, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            loop {
                match b.get(j)? {
                    b'"' => {
                        j = skip_string(b, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth = depth.checked_sub(1)?;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
        }
        _ => {
            let mut j = i;
            while let Some(c) = b.get(j) {
                if matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r') {
                    break;
                }
                j += 1;
            }
            (j > i).then_some(j)
        }
    }
}

/// Decides a JSON object's harness from its top-level keys, reading only until they decide.
fn scan_keys(t: &str) -> Option<Harness> {
    let b = t.as_bytes();
    #[derive(Default)]
    struct Seen {
        results: bool,
        eval_id: bool,
        config: bool,
        eval: bool,
        samples: bool,
        version: bool,
        test_cases: bool,
        line_keys: bool,
    }
    let mut seen = Seen::default();
    let mut i = 1;
    loop {
        i = skip_ws(b, i);
        if b.get(i)? != &b'"' {
            return None;
        }
        let end = skip_string(b, i)?;
        let key = t.get(i + 1..end - 1)?;
        i = skip_ws(b, end);
        if b.get(i)? != &b':' {
            return None;
        }
        i = skip_ws(b, i + 1);
        match key {
            "results" => seen.results = true,
            "evalId" => seen.eval_id = true,
            "config" => seen.config = true,
            "eval" => seen.eval = true,
            "samples" => seen.samples = true,
            "version" => seen.version = true,
            "testCases" | "testRunData" | "conversationalTestCases" | "testRunLink" => {
                seen.test_cases = true
            }
            "metric" | "case" => seen.line_keys = true,
            "schema" => {
                let value = t.get(i..skip_value(b, i)?)?;
                seen.line_keys |= value.starts_with("\"agentlock");
            }
            _ => {}
        }
        if seen.line_keys && first_line_is_object(t) {
            return Some(Harness::Agentlock);
        }
        if seen.results && (seen.eval_id || seen.config) {
            return Some(Harness::Promptfoo);
        }
        if seen.eval && (seen.samples || seen.version) {
            return Some(Harness::Inspect);
        }
        if seen.test_cases {
            return Some(Harness::Deepeval);
        }
        i = skip_ws(b, skip_value(b, i)?);
        match b.get(i)? {
            b',' => i += 1,
            _ => return None,
        }
    }
}

fn first_line_is_object(t: &str) -> bool {
    let line = match memchr::memchr(b'\n', t.as_bytes()) {
        Some(i) => &t[..i],
        None => t,
    };
    serde_json::from_str::<IgnoredAny>(line).is_ok()
}

// ----- borrowed collections -------------------------------------------------------------------

/// A JSON value that should be an array: its elements, borrowed unparsed, or what it is instead.
pub(crate) enum RawList<'a> {
    Array(Vec<&'a RawValue>),
    Not(Kind),
}

impl<'de: 'a, 'a> Deserialize<'de> for RawList<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = RawList<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut v = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 16));
                while let Some(x) = seq.next_element::<&'de RawValue>()? {
                    v.push(x);
                }
                Ok(RawList::Array(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(RawList::Not(Kind::Object))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(RawList::Not(Kind::String))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(RawList::Not(Kind::Bool))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(RawList::Not(Kind::Number))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(RawList::Not(Kind::Number))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(RawList::Not(Kind::Number))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(RawList::Not(Kind::Null))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// A JSON object's entries in file order, keys decoded (borrowed when they have no escapes),
/// values borrowed unparsed. Deserialize only values known to be objects.
pub(crate) struct Entries<'a>(pub(crate) Vec<(Cow<'a, str>, &'a RawValue)>);

struct Key<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Key<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Key<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V(PhantomData))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Entries<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Entries<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut v = Vec::new();
                while let Some((k, raw)) = map.next_entry::<Key<'a>, &'a RawValue>()? {
                    v.push((k.0, raw));
                }
                Ok(Entries(v))
            }
        }
        d.deserialize_map(V(PhantomData))
    }
}

impl<'a> Doc<'a> {
    /// The offsets of the top-level value of `key` (the body parsed again: for errors only).
    pub(crate) fn top_span(&self, key: &str) -> Option<(usize, usize)> {
        let top: Entries = serde_json::from_str(self.body()).ok()?;
        top.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| self.span(v))
    }

    /// The entries of an object value at `path`.
    pub(crate) fn entries(
        &self,
        raw: &'a RawValue,
        path: &(impl fmt::Display + ?Sized),
    ) -> Result<Entries<'a>, ReadError> {
        self.object(raw, path)
    }
}

/// Runs [`fuzz`] on every `cut_step`-th prefix of `text` and on copies of it with every
/// `flip_step`-th byte replaced by each of `bytes`: the readers' unit tests' smoke fuzzing.
#[cfg(test)]
pub(super) fn fuzz_smoke(text: &str, cut_step: usize, flip_step: usize, bytes: &[u8]) {
    for cut in (0..text.len()).step_by(cut_step) {
        if text.is_char_boundary(cut) {
            fuzz(&text.as_bytes()[..cut]);
        }
    }
    let mut copy = text.as_bytes().to_vec();
    for i in (0..copy.len()).step_by(flip_step) {
        let old = copy[i];
        for &b in bytes {
            copy[i] = b;
            fuzz(&copy);
        }
        copy[i] = old;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROMPTFOO: &str = r#"{"evalId": "eval-1", "results": {"version": 3, "results": []}}"#;
    const INSPECT: &str = "{\n  \"version\": 2,\n  \"status\": \"success\",\n  \"eval\": {}\n}";
    const DEEPEVAL: &str = r#"{"testFile": "t.py", "testCases": []}"#;

    #[test]
    fn detects_each_format_from_its_content() {
        assert_eq!(detect(PROMPTFOO), Some(Harness::Promptfoo));
        assert_eq!(detect(INSPECT), Some(Harness::Inspect));
        assert_eq!(detect(DEEPEVAL), Some(Harness::Deepeval));
        // A results file kept in Git LFS and not fetched.
        let pointer =
            "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a\nsize 126012495\n";
        assert!(
            read(pointer, None)
                .unwrap_err()
                .message
                .contains("Git LFS pointer")
        );
        // The listing Inspect writes beside its logs is said to be one.
        let listing = r#"{"2025-01-01T00-00-00+00-00_scicode_abc.eval": {"version": 2, "status": "success", "eval": {"task": "scicode"}}}"#;
        let e = read(listing, None).unwrap_err();
        assert!(
            e.message.contains("listing of an Inspect log directory"),
            "{}",
            e.message
        );
        // A run uploaded to Confident AI leaves only its link: DeepEval's, which says so.
        let link = r#"{"testRunLink": "https://app.confident-ai.com/project/p/test-runs/r"}"#;
        assert_eq!(detect(link), Some(Harness::Deepeval));
        let e = read(link, None).unwrap_err();
        assert!(e.message.contains("only a link"), "{}", e.message);
        assert_eq!(
            detect(r#"{"testRunData": {"testCases": []}}"#),
            Some(Harness::Deepeval)
        );
        assert_eq!(
            detect("\u{feff}  <?xml version=\"1.0\"?><testsuites/>"),
            Some(Harness::Junit)
        );
        assert_eq!(
            detect("{\"dataset\": \"d\", \"case\": 1, \"metric\": \"m\", \"pass\": true}\n{}"),
            Some(Harness::Agentlock)
        );
        assert_eq!(
            detect("{\"schema\": \"agentlock.eval/v1\"}\n"),
            Some(Harness::Agentlock)
        );
        // A pretty-printed object's first line is `{`: not JSONL, whatever its keys.
        assert_eq!(detect("{\n\"case\": 1, \"metric\": \"m\"}"), None);
        assert_eq!(detect(r#"{"results": []}"#), None);
        assert_eq!(detect("[1, 2]"), None);
        assert_eq!(detect(""), None);
        assert_eq!(
            detect("{\"a\": {\"b\": \"}\\\"\"}, \"config\": 1, \"results\": 2}"),
            Some(Harness::Promptfoo)
        );
    }

    #[test]
    fn detection_reads_only_the_keys_it_needs() {
        // Decided at `results`, before the (here broken) rest of the file.
        let text = r#"{"evalId": "x", "results": {"version": 3, "results": [ BROKEN"#;
        assert_eq!(detect(text), Some(Harness::Promptfoo));
    }

    #[test]
    fn unknown_and_empty_files_say_what_is_read() {
        let e = read("  [1]", None).unwrap_err();
        assert!(e.message.contains("promptfoo"), "{}", e.message);
        assert_eq!((e.start, e.end), (2, 3));
        assert!(e.help.unwrap().contains("agentlock.eval/v1"));
        let e = read(" \n", None).unwrap_err();
        assert_eq!(e.message, "the results file is empty");
    }

    #[test]
    fn zip_archives_are_named() {
        assert!(is_zip(b"PK\x03\x04rest"));
        assert!(!is_zip(b"PK"));
        let e = read("PK\u{3}\u{4}…", None).unwrap_err();
        assert!(e.help.unwrap().contains("inspect log convert --to json"));
        let e = read("PK\u{3}\u{4}…", Some(Harness::Inspect)).unwrap_err();
        assert!(e.message.contains("ZIP"));
    }

    #[test]
    fn python_literals_keep_offsets() {
        let text = r#"{"a": NaN, "b": "NaN Infinity", "c": -Infinity, "d": Infinity}"#;
        let doc = Doc::python(text);
        assert_eq!(doc.text().len(), text.len());
        let v: std::collections::BTreeMap<String, &RawValue> =
            serde_json::from_str(doc.body()).unwrap();
        assert_eq!(doc.num(v["a"]), Num::NaN);
        assert_eq!(doc.num(v["c"]), Num::Infinite);
        assert_eq!(doc.num(v["d"]), Num::Infinite);
        assert_eq!(string(v["b"]).unwrap(), "NaN Infinity");
        assert_eq!(doc.span(v["a"]), (6, 9));
        assert_eq!(doc.shown(v["c"]), "-Infinity");
    }

    #[test]
    fn json_errors_point_where_parsing_stopped() {
        let text = "\u{feff}{\n  \"a\": [1,\n  ]\n}";
        let doc = Doc::strict(text);
        let e = serde_json::from_str::<IgnoredAny>(doc.body()).unwrap_err();
        let r = doc.json_error(&e, "the file");
        assert_eq!(&text[r.start..r.end], "]");
        assert!(
            r.message.starts_with("the file is not valid JSON"),
            "{}",
            r.message
        );
        assert!(!r.message.contains("line"), "{}", r.message);
    }

    #[test]
    fn serde_messages_cut_quoted_values() {
        let long = "x".repeat(100);
        let e = serde_json::from_str::<u32>(&format!("\"{long}\"")).unwrap_err();
        let m = serde_message(&e);
        assert!(m.len() < 100, "{m}");
        assert!(m.contains('…'), "{m}");
    }

    #[test]
    fn offsets_of_lines_and_columns() {
        assert_eq!(offset_of("ab\ncd", 2, 2), 4);
        assert_eq!(offset_of("ab", 9, 1), 2);
        assert_eq!(offset_of("é", 1, 2), 0);
    }

    const FIXTURES: [&str; 5] = [
        include_str!("../../../tests/fixtures/evidence/results.json"),
        include_str!("../../../tests/fixtures/evidence/eval.json"),
        include_str!("../../../tests/fixtures/evidence/test_run.json"),
        include_str!("../../../tests/fixtures/evidence/junit.xml"),
        include_str!("../../../tests/fixtures/evidence/results.jsonl"),
    ];

    #[test]
    fn every_fixture_is_detected_and_read() {
        let want = [
            Harness::Promptfoo,
            Harness::Inspect,
            Harness::Deepeval,
            Harness::Junit,
            Harness::Agentlock,
        ];
        for (text, harness) in FIXTURES.iter().zip(want) {
            let r = read(text, None).unwrap();
            assert_eq!(r.harness, harness);
            assert!(!r.observations.is_empty() || !r.tests.is_empty());
        }
    }

    /// Truncations, and single bytes replaced by JSON's and XML's delimiters, of every fixture.
    #[test]
    fn fuzz_smoke_on_the_fixtures() {
        for text in FIXTURES {
            for cut in (0..text.len()).step_by(13) {
                fuzz(&text.as_bytes()[..cut]);
            }
            let mut bytes = text.as_bytes().to_vec();
            for i in (0..bytes.len()).step_by(29) {
                let old = bytes[i];
                for b in [b'"', b'{', b'}', b'[', b'<', b'>', b'&', b'N', b'\\', b'\n'] {
                    bytes[i] = b;
                    fuzz(&bytes);
                }
                bytes[i] = old;
            }
        }
    }

    #[test]
    fn fuzz_smoke_on_small_inputs() {
        for s in [
            "",
            "{",
            "<",
            "<testsuites>",
            "{\"results\":",
            "\u{feff}",
            "PK",
            "{\"eval\":{},\"samples\":[{}]}",
        ] {
            fuzz(s.as_bytes());
        }
        fuzz(&[0xff, 0xfe]);
    }
}
