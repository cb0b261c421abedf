//! The trace readers: exported trace files in, [`Trace`]s out, one at a time, memory bounded by
//! the traces still open rather than by the files.
//!
//! # Formats
//! Each file is read as what its first bytes show ([`Format`]): OTLP/JSON ([`otlp`]) when the
//! first of its marker keys met is `resourceSpans` (or the older `instrumentationLibrarySpans`),
//! a Langfuse export ([`langfuse`]) when it is `observations`, `parentObservationId`,
//! `startTime` or `htmlPath`. A file whose first line is a whole JSON value is JSON lines, one
//! value a line (the Collector's file exporter writes one `ExportTraceServiceRequest` a line);
//! otherwise it is one JSON document (or several, one after the other), read whole into memory
//! up to [`MAX_DOCUMENT`] bytes. A gzip or zstd file is refused with how to decompress it.
//!
//! # Streaming and grouping
//! Each file is read by a thread of its own in newline-aligned chunks of about 2 MiB
//! ([`Limits::chunk`]), parsed by a pool of workers (one a core), and the results are taken in
//! each file's order, files in turn, on the caller's thread, which groups spans by trace id
//! and calls `on_trace`. At most [`Limits::open_files`] files are read at once, and at most a few
//! chunks of each are in flight (bounded channels), so a reader that runs ahead waits.
//!
//! The grace window: a trace is handed on once its root span (a span with no parent) has been
//! seen and no span of it has arrived in the next [`GRACE_BYTES`] (64 MiB) of input or
//! [`GRACE_SPANS`] (200,000) spans, whichever comes first, counted from the end of the chunk
//! that held its last span, over all files as they are taken. A trace with no root yet is kept
//! [`ORPHAN_FACTOR`] times as long (256 MiB or 800,000 spans) and then handed on as it is (the
//! rules report its orphans), so a lost root does not hold memory to the end. At the end of the
//! input everything still open is handed on, in the order the traces were first seen.
//!
//! Late spans: a span that arrives for a trace already handed on counts in [`Outcome::late`]
//! and is handed on again, with the other late spans of that trace, as a new [`Trace`] with the
//! same id (a fragment: it holds only the late spans, usually no root), once the grace window has
//! passed over it too. [`Outcome::traces`] counts trace ids, not fragments.
//!
//! # Bad input
//! Nothing in a file stops the rest of it being read: a line that is not JSON (or not UTF-8),
//! a truncated last line, a span with a missing or invalid id or time, an attribute agentlock
//! reads holding a value of another type: each is a [`Problem`] at its place. A line cut off
//! mid-way still gives the spans before the cut. Of each kind of problem the first
//! [`PER_KIND`] of each file are problems, then one more says how many followed; the spans not
//! read are counted in [`Outcome::skipped`] (for a line that is not JSON, by the `"spanId"`s in
//! what could not be parsed). Unknown keys and attributes are skipped unread.
//!
//! Trace files hold what users typed and models wrote: messages name keys and kinds, never
//! values.

use crate::problem::Problem;
use crate::source::{FileId, Span};
use crate::traces::{SpanRec, Trace};
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;
use std::io::{self, Read};
use std::marker::PhantomData;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};

pub mod langfuse;
pub mod otlp;

/// One file to read.
pub struct Input {
    pub file: FileId,
    /// The file as the user named it (problems are about it).
    pub path: String,
    pub reader: Box<dyn Read + Send>,
}

/// What reading gave besides the traces.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Bad input, each at its place, with a help line.
    pub problems: Vec<Problem>,
    /// Each file's line starts (the byte offset of each line's first byte, from 0; none past
    /// 4 GiB), so findings can say the line.
    pub lines: Vec<(FileId, Vec<u32>)>,
    /// Bytes read, over all files.
    pub bytes: u64,
    /// Spans read.
    pub spans: u64,
    /// Traces handed on (trace ids: a fragment of late spans is not counted again).
    pub traces: u64,
    /// Spans not read (missing ids or times, a shape not understood, a line not JSON).
    pub skipped: u64,
    /// Spans that arrived for a trace already handed on (handed on again as a fragment).
    pub late: u64,
    /// What each file was read as (a file refused before its format was seen has none).
    pub format: Vec<(FileId, Format)>,
}

/// What a trace file was read as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// OTLP/JSON, one `ExportTraceServiceRequest` a line (the Collector's file exporter).
    OtlpJsonLines,
    /// OTLP/JSON as one document.
    OtlpJson,
    /// A Langfuse trace export (a trace, a list of traces, the API's `{"data": […]}`, or JSON
    /// lines of traces).
    Langfuse,
}

/// A trace with its root seen is handed on after this much more input without a span of it.
pub const GRACE_BYTES: u64 = 64 << 20;
/// … or after this many more spans, whichever comes first.
pub const GRACE_SPANS: u64 = 200_000;
/// A trace with no root is kept this many grace windows before it is handed on as it is.
pub const ORPHAN_FACTOR: u64 = 4;
/// The largest JSON document (or JSON line) read.
pub const MAX_DOCUMENT: usize = 512 << 20;
/// Problems of one kind shown per file; the rest are counted.
pub const PER_KIND: u32 = 3;

/// How reading is cut up (tests and fuzzing make every figure small).
#[derive(Clone, Debug)]
pub(crate) struct Limits {
    /// Bytes a read chunk holds (more when one line is longer).
    pub chunk: usize,
    pub max_document: usize,
    pub grace_bytes: u64,
    pub grace_spans: u64,
    pub orphan_factor: u64,
    /// Parsing threads.
    pub workers: usize,
    /// Files read at once.
    pub open_files: usize,
    /// Chunks of one file parsed or waiting to be taken.
    pub depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(1, 8));
        Limits {
            chunk: 2 << 20,
            max_document: MAX_DOCUMENT,
            grace_bytes: GRACE_BYTES,
            grace_spans: GRACE_SPANS,
            orphan_factor: ORPHAN_FACTOR,
            workers,
            open_files: 4,
            depth: workers + 2,
        }
    }
}

/// Reads every input (several at once, each parsed on all cores) and calls `on_trace`, on the
/// caller's thread, with each trace once it is complete: its root seen and the grace window
/// passed with no span of it (see the module documentation), or at the end of the input.
///
/// A span that arrives for a trace already handed on is counted in [`Outcome::late`] and handed
/// on again in a new [`Trace`] with the same id holding only the late spans: a fragment.
///
/// Each span's [`SpanRec::at`] is the span object in its file, from its `{` to just past its
/// `}` (offsets past 4 GiB saturate).
pub fn read(inputs: Vec<Input>, on_trace: &mut dyn FnMut(Trace)) -> Outcome {
    read_with(inputs, on_trace, &Limits::default())
}

// ----- problems ------------------------------------------------------------------------------

/// The kinds of problem, each counted on its own per file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Issue {
    /// The file as a whole: compressed, unknown format, empty, too large, a read error.
    File,
    /// Not JSON, not UTF-8, cut off.
    Json,
    /// JSON, but not of the shape of the format.
    Shape,
    /// A missing or invalid trace, span or parent id.
    Id,
    /// A missing or invalid start or end time.
    Time,
    /// An attribute agentlock reads holding a value of another type.
    Attribute,
}

const ISSUES: usize = 6;

impl Issue {
    fn index(self) -> usize {
        self as usize
    }

    const ALL: [Issue; ISSUES] = [
        Issue::File,
        Issue::Json,
        Issue::Shape,
        Issue::Id,
        Issue::Time,
        Issue::Attribute,
    ];

    fn plural(self) -> &'static str {
        match self {
            Issue::File => "problems reading the file",
            Issue::Json => "lines or documents that are not valid JSON",
            Issue::Shape => "values not of the expected shape",
            Issue::Id => "spans with a missing or invalid id",
            Issue::Time => "spans with a missing or invalid time",
            Issue::Attribute => "attributes holding a value of an unexpected type",
        }
    }
}

/// What one chunk (or one whole document) gave.
#[derive(Default)]
pub(crate) struct Out {
    pub spans: Vec<SpanRec>,
    pub problems: Vec<(Issue, Problem)>,
    shown: [u32; ISSUES],
    /// Problems past [`PER_KIND`] in this chunk, by kind.
    more: [u64; ISSUES],
    pub skipped: u64,
    /// The file offset after the last span object met (read or not).
    pub mark: u64,
}

impl Out {
    /// Records a problem of `issue` (made only when it will be shown).
    pub(crate) fn report(&mut self, issue: Issue, problem: impl FnOnce() -> Problem) {
        let i = issue.index();
        if self.shown[i] < PER_KIND {
            self.shown[i] += 1;
            self.problems.push((issue, problem()));
        } else {
            self.more[i] += 1;
        }
    }
}

/// Where the text being parsed lies: its file, and the file offset of the buffer it borrows.
pub(crate) struct Place<'p> {
    pub file: FileId,
    pub path: &'p str,
    base: usize,
    offset: u64,
    /// Whether the text is one JSON line (else a document).
    pub line: bool,
    /// Whether the text is a last line with no line break after it.
    pub unterminated: bool,
}

impl Place<'_> {
    /// The file offset of the first byte of `s`, a slice of the buffer.
    pub(crate) fn offset_of(&self, s: &str) -> u64 {
        (s.as_ptr() as usize).wrapping_sub(self.base) as u64 + self.offset
    }

    /// The span of `s`, a slice of the buffer.
    pub(crate) fn span(&self, s: &str) -> Span {
        let start = self.offset_of(s);
        span(self.file, start, start + s.len() as u64)
    }

    /// The span of the character at byte `at` of `s` (its end, when `at` is past it).
    pub(crate) fn point(&self, s: &str, at: usize) -> Span {
        let at = floor(s, at);
        let end = s[at..].chars().next().map_or(at, |c| at + c.len_utf8());
        let base = self.offset_of(s);
        span(self.file, base + at as u64, base + end as u64)
    }

    pub(crate) fn problem(&self, span: Span, message: impl Into<String>, help: &str) -> Problem {
        Problem::new(span, self.path, message).help(help)
    }
}

fn span(file: FileId, start: u64, end: u64) -> Span {
    let cap = |v: u64| v.min(u32::MAX as u64) as usize;
    Span::new(file, cap(start), cap(end))
}

fn floor(s: &str, at: usize) -> usize {
    let mut at = at.min(s.len());
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

// ----- JSON helpers shared by the formats ----------------------------------------------------

/// A string borrowed from the input when it has no escapes.
pub(crate) struct Str<'a>(pub Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Str<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V(PhantomData))
    }
}

/// A JSON string value's content (escapes decoded; borrowed when there are none), or `None`
/// when the value is not a string.
pub(crate) fn text(raw: &RawValue) -> Option<Cow<'_, str>> {
    let s = raw.get();
    let inner = s.strip_prefix('"')?.strip_suffix('"')?;
    if !inner.contains('\\') {
        return Some(Cow::Borrowed(inner));
    }
    serde_json::from_str::<String>(s).ok().map(Cow::Owned)
}

/// Whether a value is absent: `null` or the empty string.
pub(crate) fn blank(raw: &RawValue) -> bool {
    matches!(raw.get(), "null" | "\"\"")
}

/// A whole number from 0, written as a JSON number (`12`, `12.0`, `1.2e3`) or a string of
/// digits (proto3 JSON writes 64-bit integers as strings).
pub(crate) fn whole(raw: &RawValue) -> Option<u64> {
    let s = raw.get();
    let s = match s.strip_prefix('"') {
        Some(inner) => inner.strip_suffix('"')?,
        None => s,
    };
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().ok();
    }
    let v: f64 = s.parse().ok()?;
    (v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v < 1.8e19).then_some(v as u64)
}

/// A finite number, written as a JSON number or a string holding one.
pub(crate) fn number(raw: &RawValue) -> Option<f64> {
    let s = raw.get();
    let s = match s.strip_prefix('"') {
        Some(inner) => inner.strip_suffix('"')?,
        None => s,
    };
    if s.is_empty()
        || !s
            .bytes()
            .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b))
    {
        return None;
    }
    s.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// A serde message, every quoted part cut to 40 characters and the whole to 200, without the
/// position (the problem's span says it).
pub(crate) fn serde_message(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let msg = match full.rfind(" at line ") {
        Some(i) => &full[..i],
        None => &full,
    };
    crate::evidence::read::cut(msg)
}

/// `key` for a message: itself in backticks when short and plain, else `a key`.
pub(crate) fn key_shown(key: &str) -> String {
    let plain = !key.is_empty()
        && key.len() <= 40
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | ':'));
    if plain {
        format!("`{key}`")
    } else {
        "a key".to_string()
    }
}

/// The byte offset in `text` of serde_json's 1-based line and column.
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let mut start = 0;
    for _ in 1..line {
        match memchr::memchr(b'\n', &text.as_bytes()[start..]) {
            Some(i) => start += i + 1,
            None => return text.len(),
        }
    }
    floor(text, start + column.saturating_sub(1))
}

/// Parses one value of a format from a deserializer, giving its spans (those read before an
/// error too).
pub(crate) type ValueFn = for<'a> fn(
    &mut serde_json::Deserializer<serde_json::de::StrRead<'a>>,
    &Place,
    &mut Out,
) -> Result<(), serde_json::Error>;

/// The format's reader, and the key that starts each of its spans (for counting the spans of
/// what could not be parsed).
struct Reader {
    value: ValueFn,
    span_key: &'static [u8],
    help: &'static str,
}

fn reader_of(format: Format) -> Reader {
    match format {
        Format::Langfuse => Reader {
            value: langfuse::value,
            span_key: b"\"startTime\"",
            help: langfuse::HELP,
        },
        _ => Reader {
            value: otlp::value,
            span_key: b"\"spanId\"",
            help: otlp::HELP,
        },
    }
}

/// Reads the JSON values of `text` (one line, or a whole document) one after the other.
fn parse_values(text: &str, format: Format, place: &Place, out: &mut Out) {
    let reader = reader_of(format);
    let mut rest = text.trim_start_matches([' ', '\t', '\n', '\r']);
    while !rest.is_empty() {
        let mut de = serde_json::Deserializer::from_str(rest);
        let parsed = (reader.value)(&mut de, place, out);
        let trailing = parsed.is_ok();
        let Err(e) = parsed.and_then(|()| de.end()) else {
            return;
        };
        let at = offset_of(rest, e.line(), e.column());
        if trailing && e.is_syntax() && at > 0 {
            // Another value after this one.
            rest = rest[at..].trim_start_matches([' ', '\t', '\n', '\r']);
            continue;
        }
        let what = if place.line { "this line" } else { "this file" };
        let issue = if e.is_data() {
            Issue::Shape
        } else {
            Issue::Json
        };
        let message = if e.is_eof() {
            if place.line && place.unterminated {
                format!(
                    "{what} ends before its JSON does: the file looks cut off while it was being written"
                )
            } else {
                format!("{what} ends before its JSON does")
            }
        } else if e.is_data() {
            format!("{what} is not of the expected shape: {}", serde_message(&e))
        } else {
            format!("{what} is not valid JSON: {}", serde_message(&e))
        };
        out.report(issue, || {
            place.problem(place.point(rest, at), message, reader.help)
        });
        // The spans of what was not read: those after the last span met.
        let from = out.mark.saturating_sub(place.offset_of(rest)) as usize;
        let tail = rest.as_bytes().get(from.min(rest.len())..).unwrap_or(&[]);
        out.skipped += memchr::memmem::find_iter(tail, reader.span_key).count() as u64;
        return;
    }
}

// ----- ids -----------------------------------------------------------------------------------

/// `n` bytes of hex (either case) or of standard base64 (proto3's JSON mapping of bytes, which
/// some exporters write for ids), as a big-endian number.
fn id_bytes(s: &str, n: usize) -> Option<u128> {
    let b = s.as_bytes();
    if b.len() == 2 * n {
        // most ids: hex, read 16 digits at a time (`from_str_radix` is slow)
        let mut v: u128 = 0;
        let mut ok = true;
        for part in b.chunks(16) {
            match hex64(part) {
                Some(h) => v = (v << (4 * part.len())) | h as u128,
                None => ok = false,
            }
        }
        if ok {
            return Some(v);
        }
    }
    // base64: 4 characters for each 3 bytes, padded
    if b.len() != n.div_ceil(3) * 4 {
        return None;
    }
    let mut v: u128 = 0;
    let mut bits = 0u32;
    let mut count = 0usize;
    for &c in b {
        let d = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            _ => return None,
        };
        bits = bits * 64 + d as u32;
        count += 6;
        if count >= 8 {
            count -= 8;
            v = v.checked_mul(256)? | ((bits >> count) & 0xff) as u128;
            bits &= (1 << count) - 1;
        }
    }
    (v.leading_zeros() as usize >= 128 - 8 * n).then_some(v)
}

/// The value of each hex digit (either case); 0x80 for any other byte.
const HEX: [u8; 256] = {
    let mut t = [0x80u8; 256];
    let mut i = 0;
    while i < 10 {
        t[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        t[b'a' as usize + i] = 10 + i as u8;
        t[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    t
};

/// Up to 16 hex digits (either case) as a number.
fn hex64(b: &[u8]) -> Option<u64> {
    let mut v: u64 = 0;
    let mut bad = 0u8;
    for &c in b {
        let d = HEX[c as usize];
        bad |= d;
        v = (v << 4) | (d & 0xf) as u64;
    }
    (bad & 0x80 == 0).then_some(v)
}

/// A 16-byte trace id (32 hex digits, or base64); `None` when invalid or all zeros.
pub(crate) fn trace_id(s: &str) -> Option<u128> {
    id_bytes(s, 16).filter(|&v| v != 0)
}

/// An 8-byte span id (16 hex digits, or base64); `Some(0)` for all zeros.
pub(crate) fn span_id(s: &str) -> Option<u64> {
    id_bytes(s, 8).map(|v| v as u64)
}

/// A string id as a non-zero number: the id itself when it is already 32 (or 16) hex digits
/// (Langfuse keeps an OpenTelemetry trace's ids), else the first bytes of its SHA-256.
pub(crate) fn hashed(s: &str, bytes: usize) -> u128 {
    use sha2::Digest;
    if s.len() == 2 * bytes
        && s.bytes().all(|b| b.is_ascii_hexdigit())
        && let Ok(v) = u128::from_str_radix(s, 16)
        && v != 0
    {
        return v;
    }
    let d = sha2::Sha256::digest(s.as_bytes());
    let mut v: u128 = 0;
    for &b in &d[..bytes] {
        v = (v << 8) | b as u128;
    }
    v.max(1)
}

// ----- reading files -------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    Lines,
    Document,
}

struct Job {
    file: FileId,
    path: Arc<str>,
    format: Format,
    mode: Mode,
    /// The file offset of `data[0]`.
    base: u64,
    data: Vec<u8>,
    /// Bytes at the start not to parse (a byte order mark).
    skip: usize,
    /// Whether this is the file's last chunk.
    last: bool,
    reply: SyncSender<Chunk>,
}

/// A parsed chunk.
struct Chunk {
    out: Out,
    /// The offset after each line break.
    newlines: Vec<u32>,
    bytes: u64,
}

/// What a file's reader sends, in the file's order.
enum Msg {
    Format(Format),
    Problem(Issue, Problem),
    Chunk(Receiver<Chunk>),
    /// Bytes read and not parsed (a refused file).
    Bytes(u64),
}

/// How many leading bytes the format is looked for in.
const DETECT: usize = 1 << 20;

fn worker(jobs: Arc<Mutex<Receiver<Job>>>) {
    loop {
        let job = match jobs.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else { return };
        let reply = job.reply.clone();
        let _ = reply.send(parse_job(job));
    }
}

fn parse_job(job: Job) -> Chunk {
    let mut out = Out::default();
    let data = &job.data;
    let newlines: Vec<u32> = memchr::memchr_iter(b'\n', data)
        .map(|i| job.base + i as u64 + 1)
        .take_while(|&o| o <= u32::MAX as u64)
        .map(|o| o as u32)
        .collect();
    let body = data.get(job.skip..).unwrap_or(&[]);
    let base = body.as_ptr() as usize;
    let offset = job.base + job.skip as u64;
    let place = |line: bool, unterminated: bool| Place {
        file: job.file,
        path: &job.path,
        base,
        offset,
        line,
        unterminated,
    };
    let whole = std::str::from_utf8(body).ok();
    match job.mode {
        Mode::Document => match whole {
            Some(text) => parse_values(text, job.format, &place(false, false), &mut out),
            None => {
                let e = std::str::from_utf8(body).unwrap_err();
                let at = offset + e.valid_up_to() as u64;
                out.report(Issue::Json, || {
                    Problem::new(
                        span(job.file, at, at + 1),
                        &*job.path,
                        "this file is not UTF-8 text",
                    )
                    .help("export the traces as JSON (UTF-8)")
                });
            }
        },
        Mode::Lines => {
            let mut start = 0;
            while start < body.len() {
                let (end, next, terminated) = match memchr::memchr(b'\n', &body[start..]) {
                    Some(i) => (start + i, start + i + 1, true),
                    None => (body.len(), body.len(), false),
                };
                let raw = &body[start..end];
                let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
                if raw.iter().any(|b| !b.is_ascii_whitespace()) {
                    let line = match whole {
                        // a slice of the validated whole, so offsets hold
                        Some(t) => t.get(start..start + raw.len()),
                        None => std::str::from_utf8(raw).ok(),
                    };
                    match line {
                        Some(line) => parse_values(
                            line,
                            job.format,
                            &place(true, job.last && !terminated),
                            &mut out,
                        ),
                        None => {
                            let bad = std::str::from_utf8(raw).unwrap_err().valid_up_to();
                            let at = offset + (start + bad) as u64;
                            out.report(Issue::Json, || {
                                Problem::new(
                                    span(job.file, at, at + 1),
                                    &*job.path,
                                    "this line is not UTF-8 text",
                                )
                                .help("export the traces as JSON (UTF-8)")
                            });
                            out.skipped +=
                                memchr::memmem::find_iter(raw, reader_of(job.format).span_key)
                                    .count() as u64;
                        }
                    }
                }
                start = next;
            }
        }
    }
    Chunk {
        out,
        newlines,
        bytes: data.len() as u64,
    }
}

/// Reads into `buf` until it holds `want` bytes or the input ends. Returns whether it ended
/// (a read error ends it too, and is returned).
fn fill(r: &mut dyn Read, buf: &mut Vec<u8>, want: usize) -> (bool, Option<io::Error>) {
    let mut len = buf.len();
    if want <= len {
        return (false, None);
    }
    buf.resize(want, 0);
    let mut waits = 0;
    let result = loop {
        if len == want {
            break (false, None);
        }
        match r.read(&mut buf[len..]) {
            Ok(0) => break (true, None),
            Ok(n) => len += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock && waits < 100_000 => {
                waits += 1;
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            Err(e) => break (true, Some(e)),
        }
    };
    buf.truncate(len);
    result
}

/// A size for a message.
fn size(bytes: usize) -> String {
    if bytes >= 1 << 20 {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{bytes} bytes")
    }
}

/// Trace files of formats agentlock does not read, told by their leading bytes, so that the
/// message says what the file is instead of how it fails to be Langfuse (whose weakest mark,
/// `startTime`, they share): each is (what it is, how to get OTLP/JSON instead). None when a
/// mark of Langfuse's own is there too.
fn foreign(head: &[u8]) -> Option<(&'static str, &'static str)> {
    let has = |m: &str| memchr::memmem::find(head, m.as_bytes()).is_some();
    let no_ws: Vec<u8> = head
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let tight = |m: &str| memchr::memmem::find(&no_ws, m.as_bytes()).is_some();
    if [
        "\"observations\"",
        "\"parentObservationId\"",
        "\"htmlPath\"",
    ]
    .iter()
    .any(|m| has(m))
    {
        return None;
    }
    const OTLP: &str = "export OTLP/JSON: the OpenTelemetry Collector's file exporter writes it (one request a line), fed by an OTLP exporter in the application";
    if has("\"traceID\"") && has("\"spanID\"") {
        return Some((
            "a Jaeger trace export (`traceID`, `spanID`, `processes`), not OTLP/JSON",
            OTLP,
        ));
    }
    if tight("\"context\":{\"trace_id\"") && has("\"parent_id\"") {
        return Some((
            "the OpenTelemetry SDK's console exporter output (`context.trace_id`, `parent_id`), not OTLP/JSON",
            "replace the ConsoleSpanExporter with an OTLP exporter and write the spans with the OpenTelemetry Collector's file exporter (JSON, one request a line)",
        ));
    }
    if has("\"traceId\"") && has("\"spanId\"") && tight("\"startTime\":[") {
        return Some((
            "spans as the OpenTelemetry JS SDK holds them (`startTime` as `[seconds, nanoseconds]`), not OTLP/JSON",
            OTLP,
        ));
    }
    if has("\"localEndpoint\"") || has("\"remoteEndpoint\"") {
        return Some(("Zipkin JSON (`localEndpoint`), not OTLP/JSON", OTLP));
    }
    if has("\"resourceLogs\"") || has("\"resourceMetrics\"") || tight("\"hrTimeObserved\":") {
        return Some((
            "OpenTelemetry logs or metrics, not traces",
            "export the traces (spans) of the application: the OpenTelemetry Collector's file exporter writes them as OTLP/JSON",
        ));
    }
    None
}

/// Which format the leading bytes show: the first marker key met.
fn detect(head: &[u8]) -> Option<Format> {
    const MARKS: &[(&[u8], bool)] = &[
        (b"\"resourceSpans\"", true),
        (b"\"resource_spans\"", true),
        (b"\"instrumentationLibrarySpans\"", true),
        (b"\"scopeSpans\"", true),
        (b"\"observations\"", false),
        (b"\"parentObservationId\"", false),
        (b"\"startTime\"", false),
        (b"\"htmlPath\"", false),
    ];
    MARKS
        .iter()
        .filter_map(|(m, otlp)| memchr::memmem::find(head, m).map(|at| (at, *otlp)))
        .min()
        .map(|(_, otlp)| {
            if otlp {
                Format::OtlpJsonLines
            } else {
                Format::Langfuse
            }
        })
}

/// One file's reader thread: detects the format, then sends its chunks to the workers and
/// their replies, in order, to the grouper.
fn read_file(input: Input, limits: &Limits, jobs: SyncSender<Job>, order: SyncSender<Msg>) {
    let Input {
        file,
        path,
        mut reader,
    } = input;
    let path: Arc<str> = path.into();
    let refuse = |at: (u64, u64), message: String, help: &str, bytes: u64| {
        let p = Problem::new(span(file, at.0, at.1), &*path, message).help(help);
        let _ = order.send(Msg::Problem(Issue::File, p));
        let _ = order.send(Msg::Bytes(bytes));
    };
    let read_error = |e: &io::Error, at: u64| {
        let p = Problem::new(
            span(file, at, at),
            &*path,
            format!("reading stopped after {at} bytes: {e}"),
        )
        .help("the traces before this point are read; read the file again once it is whole");
        let _ = order.send(Msg::Problem(Issue::File, p));
    };
    // Enough to detect the format, and the whole first line.
    let mut buf = Vec::new();
    let first = limits.chunk.max(DETECT.min(limits.max_document));
    let (mut eof, mut err) = fill(&mut *reader, &mut buf, first);
    while !eof && memchr::memchr(b'\n', &buf).is_none() && buf.len() < limits.max_document {
        let want = (buf.len() * 2).min(limits.max_document);
        (eof, err) = fill(&mut *reader, &mut buf, want);
    }
    let bom = if buf.starts_with(b"\xef\xbb\xbf") {
        3
    } else {
        0
    };
    let lead = bom
        + buf[bom..]
            .iter()
            .take_while(|b| b.is_ascii_whitespace())
            .count();
    if crate::snapshot::lfs::is_pointer(&buf) {
        let message = format!("this trace file is {}", crate::snapshot::lfs::POINTER);
        refuse(
            (0, 0),
            message,
            crate::snapshot::lfs::HELP,
            buf.len() as u64,
        );
        return;
    }
    if buf.starts_with(b"\x1f\x8b") || buf.starts_with(b"\x28\xb5\x2f\xfd") {
        let (what, tool) = if buf[0] == 0x1f {
            ("gzip", "gzip -dc")
        } else {
            ("zstd", "zstd -dc")
        };
        refuse(
            (0, 4),
            format!("this trace file is compressed ({what})"),
            &format!("decompress it first: `{tool} FILE | agentlock traces -`"),
            buf.len() as u64,
        );
        return;
    }
    if lead == buf.len() {
        if let Some(e) = &err {
            read_error(e, buf.len() as u64);
        }
        refuse(
            (0, 0),
            "the trace file is empty".to_string(),
            "export traces with the OpenTelemetry Collector's file exporter, or download a Langfuse trace as JSON",
            buf.len() as u64,
        );
        return;
    }
    let head = &buf[..buf.len().min(DETECT)];
    let detected = detect(head);
    if detected != Some(Format::OtlpJsonLines)
        && let Some((what, help)) = foreign(head)
    {
        refuse(
            (lead as u64, lead as u64 + 1),
            format!("this file is {what}"),
            help,
            buf.len() as u64,
        );
        return;
    }
    let Some(mut format) = detected else {
        let end = lead + 1;
        refuse(
            (lead as u64, end as u64),
            "this file is neither OTLP/JSON traces nor a Langfuse trace export (no `resourceSpans` or `observations` key near its start)".to_string(),
            "export traces with the OpenTelemetry Collector's file exporter (JSON, one request a line), or download a Langfuse trace as JSON",
            buf.len() as u64,
        );
        return;
    };
    // JSON lines when the first line is a whole value (or nothing follows it). A first line
    // that is not JSON is one broken line of JSON lines, unless the line after it is indented:
    // then it is the start of a pretty-printed document (one with a stray character before
    // its `{`), and one finding at its first error says so, not one for every line of it.
    let nl = memchr::memchr(b'\n', &buf[lead..]).map(|i| lead + i);
    let mode = match nl {
        None => Mode::Lines,
        Some(nl) => match serde_json::from_slice::<de::IgnoredAny>(&buf[lead..nl]) {
            Ok(_) => Mode::Lines,
            Err(e) if e.is_eof() => Mode::Document,
            Err(_) if matches!(buf.get(nl + 1), Some(b' ' | b'\t')) => Mode::Document,
            Err(_) => Mode::Lines,
        },
    };
    if mode == Mode::Document && format == Format::OtlpJsonLines {
        format = Format::OtlpJson;
    }
    let _ = order.send(Msg::Format(format));
    let mut base: u64 = 0;
    let mut skip = bom;
    let send = |data: Vec<u8>, base: u64, skip: usize, last: bool| -> bool {
        let (tx, rx) = sync_channel(1);
        let job = Job {
            file,
            path: path.clone(),
            format,
            mode,
            base,
            data,
            skip,
            last,
            reply: tx,
        };
        jobs.send(job).is_ok() && order.send(Msg::Chunk(rx)).is_ok()
    };
    if mode == Mode::Document {
        while !eof && buf.len() <= limits.max_document {
            let want = (buf.len() * 2)
                .max(limits.chunk)
                .min(limits.max_document + 1);
            (eof, err) = fill(&mut *reader, &mut buf, want);
        }
        if buf.len() > limits.max_document {
            refuse(
                (lead as u64, lead as u64 + 1),
                format!(
                    "this trace file is one JSON document larger than {}",
                    size(limits.max_document)
                ),
                "export JSON lines instead: the Collector's file exporter writes one request a line (its default `format: json`)",
                buf.len() as u64,
            );
            return;
        }
        if let Some(e) = &err {
            read_error(e, buf.len() as u64);
        }
        send(buf, 0, skip, true);
        return;
    }
    // Chunks of about `limits.chunk` bytes, cut after a line break; `searched`: how much of
    // `buf` is known to hold none.
    let mut searched = 0;
    loop {
        let cut = if buf.len() >= limits.chunk || eof {
            let head = buf.len().min(limits.chunk);
            match memchr::memrchr(b'\n', &buf[..head]) {
                Some(i) => Some(i + 1),
                None => {
                    let from = searched.max(head);
                    let found = memchr::memchr(b'\n', &buf[from..]).map(|i| from + i + 1);
                    if found.is_none() {
                        searched = buf.len();
                    }
                    found
                }
            }
        } else {
            None
        };
        if let Some(cut) = cut {
            let rest = buf.split_off(cut);
            let last = eof && rest.is_empty();
            searched = 0;
            if !send(std::mem::replace(&mut buf, rest), base, skip, last) {
                return;
            }
            base += cut as u64;
            skip = 0;
            if last {
                break;
            }
            continue;
        }
        if eof {
            if !buf.is_empty() {
                send(std::mem::take(&mut buf), base, skip, true);
            }
            break;
        }
        if buf.len() >= limits.max_document {
            // One line too long to hold: skipped to its end.
            let at = base + skip as u64;
            let mut dropped = buf.len() as u64;
            buf.clear();
            loop {
                (eof, err) = fill(&mut *reader, &mut buf, limits.chunk);
                if let Some(i) = memchr::memchr(b'\n', &buf) {
                    buf.drain(..=i);
                    dropped += i as u64 + 1;
                    break;
                }
                dropped += buf.len() as u64;
                buf.clear();
                if eof {
                    break;
                }
            }
            let p = Problem::new(
                span(file, at, at + 1),
                &*path,
                format!(
                    "this line is longer than {}: it is not read",
                    size(limits.max_document)
                ),
            )
            .help("export smaller batches (the Collector's batch processor `send_batch_max_size`)");
            let _ = order.send(Msg::Problem(Issue::File, p));
            let _ = order.send(Msg::Bytes(dropped));
            base += dropped;
            skip = 0;
            searched = 0;
            continue;
        }
        let want = (buf.len() + limits.chunk).min(limits.max_document.max(buf.len() + 1));
        (eof, err) = fill(&mut *reader, &mut buf, want);
    }
    if let Some(e) = &err {
        read_error(e, base + buf.len() as u64);
    }
}

// ----- grouping ------------------------------------------------------------------------------

struct Open {
    spans: Vec<SpanRec>,
    root: bool,
    /// Late spans of a trace already handed on.
    fragment: bool,
    /// The chunk that held its last span.
    last: u64,
    /// When it was first seen.
    order: u64,
}

/// When a chunk was taken: its number, and the bytes and spans taken up to its end.
#[derive(Clone, Copy)]
struct Stamp {
    trace: u128,
    chunk: u64,
    bytes: u64,
    spans: u64,
}

struct Grouper<'l> {
    limits: &'l Limits,
    open: HashMap<u128, Open>,
    done: HashSet<u128>,
    queue: VecDeque<Stamp>,
    rootless: VecDeque<Stamp>,
    chunk: u64,
    bytes: u64,
    spans: u64,
    order: u64,
}

impl Grouper<'_> {
    fn take(
        &mut self,
        spans: Vec<SpanRec>,
        bytes: u64,
        on_trace: &mut dyn FnMut(Trace),
        o: &mut Outcome,
    ) {
        self.chunk += 1;
        self.bytes += bytes;
        self.spans += spans.len() as u64;
        o.bytes += bytes;
        o.spans += spans.len() as u64;
        let chunk = self.chunk;
        let stamp = |trace| Stamp {
            trace,
            chunk,
            bytes: self.bytes,
            spans: self.spans,
        };
        for s in spans {
            let id = s.trace;
            let root = s.parent.is_none();
            match self.open.get_mut(&id) {
                Some(t) => {
                    t.root |= root;
                    t.spans.push(s);
                    if t.fragment {
                        o.late += 1;
                    }
                    if t.last != chunk {
                        t.last = chunk;
                        self.queue.push_back(stamp(id));
                    }
                }
                None => {
                    let fragment = self.done.contains(&id);
                    if fragment {
                        o.late += 1;
                    }
                    self.order += 1;
                    self.open.insert(
                        id,
                        Open {
                            spans: vec![s],
                            root,
                            fragment,
                            last: chunk,
                            order: self.order,
                        },
                    );
                    self.queue.push_back(stamp(id));
                }
            }
        }
        self.expire(on_trace, o);
    }

    fn expire(&mut self, on_trace: &mut dyn FnMut(Trace), o: &mut Outcome) {
        let (gb, gs) = (self.limits.grace_bytes, self.limits.grace_spans);
        let passed = |s: &Stamp, bytes: u64, spans: u64, f: u64| {
            self.bytes - s.bytes >= bytes.saturating_mul(f)
                || self.spans - s.spans >= spans.saturating_mul(f)
        };
        let mut ready = Vec::new();
        while let Some(s) = self.queue.front().copied() {
            if !passed(&s, gb, gs, 1) {
                break;
            }
            self.queue.pop_front();
            match self.open.get(&s.trace) {
                Some(t) if t.last == s.chunk => {
                    if t.root || t.fragment {
                        ready.push(s.trace);
                    } else {
                        self.rootless.push_back(s);
                    }
                }
                _ => {}
            }
        }
        let f = self.limits.orphan_factor.max(1);
        while let Some(s) = self.rootless.front().copied() {
            if !passed(&s, gb, gs, f) {
                break;
            }
            self.rootless.pop_front();
            if self
                .open
                .get(&s.trace)
                .is_some_and(|t| t.last == s.chunk && !t.root)
            {
                ready.push(s.trace);
            }
        }
        for id in ready {
            self.hand_on(id, on_trace, o);
        }
    }

    fn hand_on(&mut self, id: u128, on_trace: &mut dyn FnMut(Trace), o: &mut Outcome) {
        if let Some(t) = self.open.remove(&id) {
            if !t.fragment {
                o.traces += 1;
                self.done.insert(id);
            }
            on_trace(Trace { id, spans: t.spans });
        }
    }

    fn finish(&mut self, on_trace: &mut dyn FnMut(Trace), o: &mut Outcome) {
        let mut rest: Vec<(u64, u128)> = self.open.iter().map(|(id, t)| (t.order, *id)).collect();
        rest.sort_unstable();
        for (_, id) in rest {
            self.hand_on(id, on_trace, o);
        }
        self.queue.clear();
        self.rootless.clear();
    }
}

/// One file being read.
struct Active {
    file: FileId,
    path: String,
    rx: Receiver<Msg>,
    lines: Vec<u32>,
    shown: [u32; ISSUES],
    more: [u64; ISSUES],
}

impl Active {
    fn problem(&mut self, issue: Issue, p: Problem, o: &mut Outcome) {
        let i = issue.index();
        if self.shown[i] < PER_KIND {
            self.shown[i] += 1;
            o.problems.push(p);
        } else {
            self.more[i] += 1;
        }
    }

    fn finish(mut self, o: &mut Outcome) {
        for issue in Issue::ALL {
            let n = self.more[issue.index()];
            if n > 0 {
                o.problems.push(
                    Problem::new(
                        Span::file_start(self.file),
                        &self.path,
                        format!("{n} more {} in this file", issue.plural()),
                    )
                    .help(format!(
                        "the first {PER_KIND} of each kind are shown; fix those and read the file again"
                    )),
                );
            }
        }
        self.lines.dedup();
        o.lines.push((self.file, self.lines));
    }
}

pub(crate) fn read_with(
    inputs: Vec<Input>,
    on_trace: &mut dyn FnMut(Trace),
    limits: &Limits,
) -> Outcome {
    let mut o = Outcome::default();
    let mut g = Grouper {
        limits,
        open: HashMap::new(),
        done: HashSet::new(),
        queue: VecDeque::new(),
        rootless: VecDeque::new(),
        chunk: 0,
        bytes: 0,
        spans: 0,
        order: 0,
    };
    std::thread::scope(|s| {
        let workers = limits.workers.max(1);
        let (job_tx, job_rx) = sync_channel::<Job>(workers * 2);
        let job_rx = Arc::new(Mutex::new(job_rx));
        for _ in 0..workers {
            let rx = Arc::clone(&job_rx);
            s.spawn(move || worker(rx));
        }
        let mut pending = inputs.into_iter();
        let mut job_tx = Some(job_tx);
        let mut active: VecDeque<Active> = VecDeque::new();
        let mut start = |active: &mut VecDeque<Active>, job_tx: &mut Option<SyncSender<Job>>| {
            while active.len() < limits.open_files.max(1) {
                let Some(input) = pending.next() else {
                    *job_tx = None; // the workers stop once the readers are done
                    return;
                };
                let Some(jobs) = job_tx.clone() else { return };
                let (tx, rx) = sync_channel(limits.depth.max(1));
                active.push_back(Active {
                    file: input.file,
                    path: input.path.clone(),
                    rx,
                    lines: vec![0],
                    shown: [0; ISSUES],
                    more: [0; ISSUES],
                });
                s.spawn(move || read_file(input, limits, jobs, tx));
            }
        };
        start(&mut active, &mut job_tx);
        while let Some(mut a) = active.pop_front() {
            match a.rx.recv() {
                Ok(Msg::Format(f)) => {
                    o.format.push((a.file, f));
                    active.push_front(a);
                    continue;
                }
                Ok(Msg::Problem(issue, p)) => a.problem(issue, p, &mut o),
                Ok(Msg::Bytes(n)) => {
                    g.take(Vec::new(), n, on_trace, &mut o);
                }
                Ok(Msg::Chunk(rx)) => {
                    if let Ok(chunk) = rx.recv() {
                        let Chunk {
                            out,
                            newlines,
                            bytes,
                        } = chunk;
                        a.lines.extend(newlines);
                        for (issue, p) in out.problems {
                            a.problem(issue, p, &mut o);
                        }
                        for (m, n) in a.more.iter_mut().zip(out.more) {
                            *m += n;
                        }
                        o.skipped += out.skipped;
                        g.take(out.spans, bytes, on_trace, &mut o);
                    }
                }
                Err(_) => {
                    a.finish(&mut o);
                    start(&mut active, &mut job_tx);
                    continue;
                }
            }
            active.push_back(a);
        }
        drop(job_tx);
    });
    g.finish(on_trace, &mut o);
    o
}

// ----- fuzzing -------------------------------------------------------------------------------

/// Reads byte strings as files `0, 1, …`, collecting the traces handed on.
fn read_bytes(files: &[&[u8]], limits: &Limits) -> (Vec<Trace>, Outcome) {
    let inputs = files
        .iter()
        .enumerate()
        .map(|(i, data)| Input {
            file: FileId(i as u32),
            path: format!("traces{i}.jsonl"),
            reader: Box::new(io::Cursor::new(data.to_vec())),
        })
        .collect();
    let mut got = Vec::new();
    let outcome = read_with(inputs, &mut |t| got.push(t), limits);
    (got, outcome)
}

/// Every span handed on: (trace, id, start, end), sorted.
fn span_keys(traces: &[Trace]) -> Vec<(u128, u64, u32, u32)> {
    let mut keys: Vec<_> = traces
        .iter()
        .flat_map(|t| {
            t.spans
                .iter()
                .map(|s| (s.trace, s.id, s.at.start, s.at.end))
        })
        .collect();
    keys.sort_unstable();
    keys
}

/// The invariants of a read of `files`: every span's place lies in its file and is an object
/// there, every span is in the trace of its id, every problem lies in its file, every file's
/// line starts begin at 0 and increase within it, and the counts add up.
fn check(files: &[&[u8]], traces: &[Trace], o: &Outcome) {
    let len = |f: FileId| {
        files
            .get(f.0 as usize)
            .map(|d| d.len())
            .expect("a known file")
    };
    let mut spans = 0;
    for t in traces {
        assert!(!t.spans.is_empty(), "an empty trace was handed on");
        for s in &t.spans {
            spans += 1;
            assert_eq!(s.trace, t.id, "a span in another trace");
            assert_ne!(s.id, 0, "a span id of 0");
            let (start, end) = (s.at.start as usize, s.at.end as usize);
            let data = files[s.at.file.0 as usize];
            assert!(
                start < end && end <= len(s.at.file),
                "a span at {start}..{end} of {}",
                data.len()
            );
            assert_eq!(
                data[start], b'{',
                "a span's place does not start its object"
            );
            assert_eq!(
                data[end - 1],
                b'}',
                "a span's place does not end its object"
            );
        }
    }
    assert_eq!(spans, o.spans, "spans read and spans handed on differ");
    assert!(o.traces as usize <= traces.len());
    for p in &o.problems {
        let n = len(p.span.file);
        assert!(
            p.span.start <= p.span.end && p.span.end as usize <= n,
            "a problem at {:?} of {n}",
            p.span
        );
        assert!(!p.message.is_empty() && p.help.is_some());
    }
    for (f, lines) in &o.lines {
        assert_eq!(lines.first(), Some(&0));
        assert!(
            lines.windows(2).all(|w| w[0] < w[1]),
            "line starts out of order"
        );
        assert!(*lines.last().unwrap() as usize <= len(*f));
    }
    assert!(o.bytes as usize <= files.iter().map(|f| f.len()).sum::<usize>());
}

/// A fuzz target's body: reads the bytes as one trace file (with the real limits, and with
/// tiny chunks and windows, which must give the same spans and problems), and split into two
/// files, checking the invariants of each read ([`check`]). Panics on a broken one.
#[doc(hidden)]
pub fn fuzz(data: &[u8]) {
    let small = Limits {
        chunk: 1 + data.first().map_or(0, |&b| b as usize % 48),
        grace_bytes: 96,
        grace_spans: 3,
        orphan_factor: 2,
        workers: 2,
        open_files: 2,
        depth: 2,
        ..Limits::default()
    };
    let (a, oa) = read_bytes(&[data], &Limits::default());
    check(&[data], &a, &oa);
    let (b, ob) = read_bytes(&[data], &small);
    check(&[data], &b, &ob);
    assert_eq!(
        span_keys(&a),
        span_keys(&b),
        "the spans read depend on the chunks"
    );
    assert_eq!(
        oa.skipped, ob.skipped,
        "the spans skipped depend on the chunks"
    );
    assert_eq!(
        oa.problems.len(),
        ob.problems.len(),
        "the problems depend on the chunks"
    );
    assert_eq!(oa.format, ob.format);
    assert_eq!(oa.bytes, ob.bytes);
    let mid = match memchr::memchr(b'\n', &data[data.len() / 2..]) {
        Some(i) => data.len() / 2 + i + 1,
        None => data.len() / 2,
    };
    let two = [&data[..mid], &data[mid..]];
    let (c, oc) = read_bytes(&two, &small);
    check(&two, &c, &oc);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::traces::Op;

    const OTLP: &str = include_str!("../../../tests/fixtures/traces/read/otlp.jsonl");
    const PRETTY: &str = include_str!("../../../tests/fixtures/traces/read/otlp_pretty.json");
    const LANGFUSE: &str = include_str!("../../../tests/fixtures/traces/read/langfuse_trace.json");
    const LANGFUSE_LIST: &str =
        include_str!("../../../tests/fixtures/traces/read/langfuse_list.json");
    const FIXTURES: [&str; 4] = [OTLP, PRETTY, LANGFUSE, LANGFUSE_LIST];

    /// An OTLP span (parent 0: a root) with the given attributes (JSON).
    pub(crate) fn sp(trace: u128, id: u64, parent: u64, attrs: &str) -> String {
        let parent = if parent == 0 {
            String::new()
        } else {
            format!("{parent:016x}")
        };
        format!(
            r#"{{"traceId":"{trace:032x}","spanId":"{id:016x}","parentSpanId":"{parent}","name":"s{id}","startTimeUnixNano":"1000","endTimeUnixNano":"2000","attributes":[{attrs}]}}"#
        )
    }

    /// One request line holding the spans.
    pub(crate) fn line(spans: &[String]) -> String {
        format!(
            "{{\"resourceSpans\":[{{\"resource\":{{\"attributes\":[]}},\"scopeSpans\":[{{\"spans\":[{}]}}]}}]}}\n",
            spans.join(",")
        )
    }

    /// Each line one chunk, and a window of `spans` spans.
    fn tiny(spans: u64) -> Limits {
        Limits {
            chunk: 1,
            grace_bytes: u64::MAX / 8,
            grace_spans: spans,
            orphan_factor: 3,
            workers: 2,
            open_files: 4,
            depth: 2,
            ..Limits::default()
        }
    }

    fn read_str(files: &[&str], limits: &Limits) -> (Vec<Trace>, Outcome) {
        let bytes: Vec<&[u8]> = files.iter().map(|f| f.as_bytes()).collect();
        let (t, o) = read_bytes(&bytes, limits);
        check(&bytes, &t, &o);
        (t, o)
    }

    /// (trace id, spans) of each trace handed on, in order.
    fn handed(traces: &[Trace]) -> Vec<(u128, usize)> {
        traces.iter().map(|t| (t.id, t.spans.len())).collect()
    }

    fn problem<'o>(o: &'o Outcome, text: &str) -> &'o Problem {
        o.problems
            .iter()
            .find(|p| p.message.contains(text))
            .unwrap_or_else(|| panic!("no problem saying {text:?} in {:#?}", o.problems))
    }

    fn at<'t>(text: &'t str, p: &Problem) -> &'t str {
        &text[p.span.start as usize..p.span.end as usize]
    }

    #[test]
    fn reads_each_fixture_as_its_format() {
        let (t, o) = read_str(&FIXTURES, &Limits::default());
        assert_eq!(
            o.format,
            vec![
                (FileId(0), Format::OtlpJsonLines),
                (FileId(1), Format::OtlpJson),
                (FileId(2), Format::Langfuse),
                (FileId(3), Format::Langfuse)
            ]
        );
        assert!(o.problems.is_empty(), "{:#?}", o.problems);
        assert_eq!((o.spans, o.skipped, o.late), (6 + 1 + 4 + 2, 0, 0));
        assert_eq!(o.traces, 5);
        assert_eq!(t.len(), 5);
        let total: usize = FIXTURES.iter().map(|f| f.len()).sum();
        assert_eq!(o.bytes, total as u64);
    }

    #[test]
    fn line_starts_are_every_line_of_every_file() {
        let (_, o) = read_str(&[OTLP, PRETTY], &Limits::default());
        for (f, text) in [(FileId(0), OTLP), (FileId(1), PRETTY)] {
            let want: Vec<u32> = std::iter::once(0)
                .chain(text.match_indices('\n').map(|(i, _)| i as u32 + 1))
                .collect();
            let got = &o.lines.iter().find(|(id, _)| *id == f).unwrap().1;
            assert_eq!(got, &want);
        }
    }

    #[test]
    fn spans_point_at_their_objects() {
        let (t, _) = read_str(&[OTLP], &Limits::default());
        let mut n = 0;
        for s in t.iter().flat_map(|t| &t.spans) {
            let text = &OTLP[s.at.start as usize..s.at.end as usize];
            assert!(
                text.starts_with("{\"traceId\"") && text.ends_with('}'),
                "{text}"
            );
            assert!(
                text.contains(&format!("\"spanId\":\"{:016x}\"", s.id)),
                "{text}"
            );
            serde_json::from_str::<serde::de::IgnoredAny>(text).unwrap();
            n += 1;
        }
        assert_eq!(n, 6);
    }

    #[test]
    fn a_trace_over_lines_and_two_files_in_either_order_is_one_trace() {
        let x = 0x51;
        let a = line(&[sp(x, 3, 2, "")]) + &line(&[sp(x, 2, 1, "")]);
        let b = line(&[sp(x, 1, 0, ""), sp(0x52, 9, 0, "")]);
        for files in [[a.as_str(), b.as_str()], [b.as_str(), a.as_str()]] {
            for limits in [Limits::default(), tiny(50)] {
                let (t, o) = read_str(&files, &limits);
                let x_trace = t.iter().find(|t| t.id == x).unwrap();
                assert_eq!(x_trace.spans.len(), 3);
                assert_eq!((o.traces, o.late, t.len()), (2, 0, 2));
            }
        }
    }

    #[test]
    fn a_trace_is_handed_on_only_when_complete() {
        let (x, y, z, w) = (1u128, 2, 3, 4);
        let file: String = [
            line(&[sp(x, 2, 1, "")]),   // x's child first
            line(&[sp(y, 10, 0, "")]),  // y's root
            line(&[sp(y, 11, 10, "")]), //
            line(&[sp(x, 1, 0, "")]),   // x's root
            line(&[sp(y, 12, 10, "")]), // y again
            line(&[sp(z, 20, 0, "")]),  // x's window passes here
            line(&[sp(z, 21, 20, "")]), // y's here
            line(&[sp(w, 30, 0, "")]),
        ]
        .concat();
        let (t, o) = read_str(&[&file], &tiny(2));
        assert_eq!(handed(&t), vec![(x, 2), (y, 3), (z, 2), (w, 1)]);
        assert_eq!((o.traces, o.late, o.spans), (4, 0, 8));
    }

    #[test]
    fn late_spans_are_handed_on_as_a_fragment() {
        let (x, y) = (7u128, 8);
        let file: String = [
            line(&[sp(x, 1, 0, "")]),
            line(&[sp(y, 10, 0, "")]),
            line(&[sp(y, 11, 10, "")]), // x is handed on here
            line(&[sp(y, 12, 10, "")]),
            line(&[sp(x, 2, 1, "")]), // late
        ]
        .concat();
        let (t, o) = read_str(&[&file], &tiny(2));
        assert_eq!(handed(&t), vec![(x, 1), (y, 3), (x, 1)]);
        assert_eq!(t[2].spans[0].id, 2);
        assert_eq!((o.traces, o.late), (2, 1));
    }

    #[test]
    fn a_trace_without_its_root_waits_the_longer_window() {
        let x = 0x99u128;
        let mut lines = vec![line(&[sp(x, 2, 1, "")])];
        for i in 0..8u64 {
            lines.push(line(&[sp(100 + i as u128, 50 + i, 0, "")]));
        }
        lines.push(line(&[sp(x, 1, 0, "")]));
        let (t, o) = read_str(&[&lines.concat()], &tiny(2));
        // grace 2 spans, rootless 3 windows: x (seen at span 1) goes at span 7
        let order: Vec<u128> = t.iter().map(|t| t.id).collect();
        let first_x = order.iter().position(|&id| id == x).unwrap();
        assert_eq!(first_x, 4, "{order:x?}");
        assert!(t[first_x].spans.iter().all(|s| s.parent.is_some()));
        assert_eq!(order.iter().filter(|&&id| id == x).count(), 2);
        assert_eq!(o.late, 1);
        // by default, everything waits for the end and x is one trace
        let (t, o) = read_str(&[&lines.concat()], &Limits::default());
        assert_eq!(t.iter().find(|t| t.id == x).unwrap().spans.len(), 2);
        assert_eq!(o.late, 0);
    }

    #[test]
    fn bad_input_is_a_problem_at_its_place_and_the_rest_is_read() {
        let good = sp(1, 1, 0, "");
        let bad_attr = sp(
            1,
            7,
            1,
            r#"{"key":"gen_ai.agent.name","value":{"fooValue":1}}"#,
        );
        let l3 = line(&[
            r#"{"spanId":"0000000000000002","startTimeUnixNano":"1","endTimeUnixNano":"2"}"#
                .to_string(),
            sp(1, 3, 1, "").replace("0000000000000003", "xyz"),
            sp(1, 4, 1, "").replace("\"0000000000000001\"", "\"12\""),
            sp(1, 5, 1, "").replace(r#""startTimeUnixNano":"1000","#, ""),
            sp(1, 6, 1, "").replace(r#""endTimeUnixNano":"2000""#, r#""endTimeUnixNano":"abc""#),
            sp(1, 8, 1, ""),
            bad_attr,
        ]);
        let l4 = line(&[sp(2, 9, 0, ""), sp(2, 10, 9, ""), sp(2, 11, 9, "")]);
        let cut = l4.find("\"spanId\":\"000000000000000b\"").unwrap() + 10;
        let file = format!("{}not json\n{l3}{}", line(&[good]), &l4[..cut]);
        let (t, o) = read_str(&[&file], &Limits::default());
        let l2 = file.find("not json").unwrap();
        let p = problem(&o, "this line is not valid JSON");
        assert!(
            (l2..l2 + 8).contains(&(p.span.start as usize)),
            "{:?}",
            p.span
        );
        let p = problem(&o, "has no `traceId`");
        assert!(at(&file, p).starts_with("{\"spanId\":\"0000000000000002\""));
        assert_eq!(at(&file, problem(&o, "`spanId` is not 16 hex")), "\"xyz\"");
        assert_eq!(at(&file, problem(&o, "`parentSpanId` is not")), "\"12\"");
        let p = problem(&o, "has no `startTimeUnixNano`");
        assert!(at(&file, p).contains("\"spanId\":\"0000000000000005\""));
        assert_eq!(
            at(&file, problem(&o, "`endTimeUnixNano` is not")),
            "\"abc\""
        );
        let p = problem(&o, "a type OTLP does not have (`fooValue`)");
        assert_eq!(at(&file, p), r#"{"fooValue":1}"#);
        let p = problem(&o, "cut off");
        assert_eq!(p.span.end as usize, file.len());
        assert!(o.problems.iter().all(|p| p.subject == "traces0.jsonl"));
        // read: the good span, 8 and 7 (its bad attribute ignored), 9 and 10 before the cut
        let mut ids: Vec<u64> = t
            .iter()
            .flat_map(|t| t.spans.iter().map(|s| s.id))
            .collect();
        ids.sort();
        assert_eq!(ids, vec![1, 7, 8, 9, 10]);
        // skipped: five bad spans, and the one cut off
        assert_eq!(o.skipped, 6);
        assert_eq!(o.problems.len(), 8, "{:#?}", o.problems);
    }

    #[test]
    fn a_pretty_document_with_a_stray_first_character_is_one_problem() {
        // `\{` then an indented document: one finding at its first error, not one a line.
        let broken = format!("\\{}", PRETTY.trim_start());
        assert!(broken.lines().nth(1).unwrap().starts_with(' '));
        let (t, o) = read_str(&[&broken], &Limits::default());
        assert!(t.is_empty());
        assert_eq!(o.problems.len(), 1, "{:#?}", o.problems);
        // A broken first line of JSON lines is still one broken line: the rest is read.
        let lines = format!("nope\n{}", line(&[sp(1, 1, 0, "")]));
        let (_, o) = read_str(&[&lines], &Limits::default());
        assert_eq!((o.spans, o.problems.len()), (1, 1), "{:#?}", o.problems);
    }

    #[test]
    fn problems_past_the_first_few_of_a_kind_are_counted() {
        let mut file = line(&[sp(1, 1, 0, "")]);
        for _ in 0..10 {
            file.push_str("nope\n");
        }
        for limits in [Limits::default(), tiny(5)] {
            let (_, o) = read_str(&[&file], &limits);
            assert_eq!(o.problems.len(), 4, "{:#?}", o.problems);
            assert_eq!(
                o.problems[3].message,
                "7 more lines or documents that are not valid JSON in this file"
            );
            assert_eq!(o.spans, 1);
        }
    }

    #[test]
    fn lines_that_are_not_utf8_are_problems() {
        let mut file = line(&[sp(1, 1, 0, "")]).into_bytes();
        let bad = file.len() + 4;
        file.extend_from_slice(b"{\"re\xffsourceSpans\":[]}\n");
        file.extend_from_slice(line(&[sp(2, 2, 0, "")]).as_bytes());
        let (t, o) = read_bytes(&[&file], &Limits::default());
        check(&[&file], &t, &o);
        assert_eq!(o.spans, 2);
        assert_eq!(o.problems.len(), 1);
        assert_eq!(o.problems[0].span.start as usize, bad);
        assert!(o.problems[0].message.contains("not UTF-8"));
    }

    #[test]
    fn files_that_are_not_traces_are_refused_with_what_to_do() {
        let gz: &[u8] = b"\x1f\x8b\x08\x00rest";
        let (_, o) = read_bytes(
            &[gz, b"{\"foo\": 1}\n", b"", b" \n\n", b"\xef\xbb\xbf"],
            &Limits::default(),
        );
        let says = |i: u32, text: &str| {
            let p = o
                .problems
                .iter()
                .find(|p| p.span.file == FileId(i))
                .unwrap();
            assert!(p.message.contains(text), "{}", p.message);
            assert!(p.help.is_some());
        };
        says(0, "compressed (gzip)");
        says(1, "neither OTLP/JSON traces nor a Langfuse");
        says(2, "empty");
        says(3, "empty");
        says(4, "empty");
        assert!(o.format.is_empty());
        assert_eq!(o.lines.len(), 5);
    }

    #[test]
    fn trace_files_of_other_formats_say_what_they_are() {
        // Shaped as public files: a Jaeger query API export, the Python console exporter's
        // pretty-printed spans, JS SDK spans a line each, JS SDK log records, Zipkin, and a
        // Git LFS pointer where the file was not fetched.
        let files: [(&[u8], &str); 7] = [
            (br#"{"data":[{"traceID":"31","spans":[{"traceID":"31","spanID":"62","operationName":"embed","references":[],"startTime":1782706637344294,"duration":5175}],"processes":{}}],"total":0}"#, "a Jaeger trace export"),
            (b"{\n    \"name\": \"workflow.build\",\n    \"context\": {\n        \"trace_id\": \"0xe0c0\",\n        \"span_id\": \"0xdf84\"\n    },\n    \"kind\": \"SpanKind.INTERNAL\",\n    \"parent_id\": null,\n    \"start_time\": \"2026-03-01T20:47:18.711501Z\"\n}\n", "console exporter"),
            (br#"{"name":"agent.modelInvocation","traceId":"9043","spanId":"2b56","startTime":[1765312067,869000000],"endTime":[1765312068,778491514],"attributes":{}}"#, "OpenTelemetry JS SDK"),
            (br#"{"hrTime":[1773851536,522000000],"hrTimeObserved":[1773851536,522000000],"resource":{"_rawAttributes":[]},"attributes":{"gen_ai.operation.name":"chat"}}"#, "logs or metrics"),
            (br#"[{"traceId":"5af7","id":"352b","kind":"CLIENT","name":"get","timestamp":1556604172355737,"duration":1431,"localEndpoint":{"serviceName":"backend"}}]"#, "Zipkin"),
            (br#"{"resourceLogs":[{"resource":{},"scopeLogs":[]}]}"#, "logs or metrics"),
            (b"version https://git-lfs.github.com/spec/v1\noid sha256:4d7a\nsize 126012495\n", "Git LFS pointer"),
        ];
        let bytes: Vec<&[u8]> = files.iter().map(|(b, _)| *b).collect();
        let (_, o) = read_bytes(&bytes, &Limits::default());
        for (i, (_, says)) in files.iter().enumerate() {
            let p: Vec<_> = o
                .problems
                .iter()
                .filter(|p| p.span.file == FileId(i as u32))
                .collect();
            assert_eq!(
                p.len(),
                1,
                "{i}: {:?}",
                p.iter().map(|p| &p.message).collect::<Vec<_>>()
            );
            assert!(p[0].message.contains(says), "{i}: {}", p[0].message);
            assert!(p[0].help.is_some());
        }
        // A Langfuse export keeps its own marks (here `observations`) and stays Langfuse, and
        // OTLP/JSON with a `traceId` stays OTLP.
        assert_eq!(
            foreign(br#"{"id":"t","observations":[{"id":"o","traceId":"t","spanId":"x","startTime":[1,2]}]}"#),
            None
        );
        assert_eq!(
            detect(
                br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"a","spanId":"b"}]}]}]}"#
            ),
            Some(Format::OtlpJsonLines)
        );
    }

    #[test]
    fn documents_and_lines_too_large_are_refused() {
        let limits = Limits {
            max_document: 300,
            ..tiny(10)
        };
        let (_, o) = read_str(&[PRETTY], &limits);
        problem(&o, "one JSON document larger than 300 bytes");
        let long = line(&[sp(2, 2, 0, ""), sp(2, 3, 2, "")]);
        assert!(long.len() > 300);
        let file = format!(
            "{}{long}{}",
            line(&[sp(1, 1, 0, "")]),
            line(&[sp(3, 4, 0, "")])
        );
        let (t, o) = read_str(&[&file], &limits);
        let p = problem(&o, "this line is longer than 300 bytes");
        assert_eq!(p.span.start as usize, file.find(&long).unwrap());
        assert_eq!(handed(&t), vec![(1, 1), (3, 1)]);
        assert_eq!(o.bytes as usize, file.len());
    }

    #[test]
    fn a_byte_order_mark_and_crlf_line_ends_are_read() {
        let a = line(&[sp(1, 1, 0, "")]).replace('\n', "\r\n");
        let b = line(&[sp(2, 2, 0, "")]);
        let file = format!("\u{feff}{a}{b}");
        let (t, o) = read_str(&[&file], &Limits::default());
        assert!(o.problems.is_empty(), "{:#?}", o.problems);
        assert_eq!(
            t[0].spans[0].at.start,
            3 + a.find("{\"traceId").unwrap() as u32
        );
        assert_eq!(o.lines[0].1, vec![0, 3 + a.len() as u32, file.len() as u32]);
    }

    #[test]
    fn documents_may_follow_each_other_or_be_arrays() {
        let one = line(&[sp(1, 1, 0, "")]);
        let two = line(&[sp(2, 2, 0, "")]);
        let pretty = format!(
            "{}\n{}",
            PRETTY.trim_end(),
            PRETTY.replace("00f067aa0ba902b7", "00f067aa0ba902b8")
        );
        let array = format!("[\n{},\n{}]\n", one.trim_end(), two.trim_end());
        let (t, o) = read_str(&[&pretty, &array], &Limits::default());
        assert!(o.problems.is_empty(), "{:#?}", o.problems);
        assert_eq!(
            o.format,
            vec![(FileId(0), Format::OtlpJson), (FileId(1), Format::OtlpJson)]
        );
        assert_eq!(o.spans, 4);
        assert_eq!(t.len(), 3);
    }

    /// Returns at most a few bytes each read, as a pipe may.
    struct Trickle(io::Cursor<Vec<u8>>, usize);

    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.1 = self.1 % 5 + 1;
            let n = buf.len().min(self.1);
            self.0.read(&mut buf[..n])
        }
    }

    #[test]
    fn short_reads_and_tiny_chunks_read_the_same() {
        let (a, _) = read_str(&[OTLP, LANGFUSE], &Limits::default());
        for limits in [Limits::default(), tiny(1)] {
            let inputs = [OTLP, LANGFUSE]
                .iter()
                .enumerate()
                .map(|(i, t)| Input {
                    file: FileId(i as u32),
                    path: format!("t{i}"),
                    reader: Box::new(Trickle(io::Cursor::new(t.as_bytes().to_vec()), 0)),
                })
                .collect();
            let mut b = Vec::new();
            let o = read_with(inputs, &mut |t| b.push(t), &limits);
            assert!(o.problems.is_empty());
            assert_eq!(span_keys(&a), span_keys(&b));
        }
    }

    #[test]
    fn many_files_are_read_a_few_at_a_time() {
        let files: Vec<String> = (0..9u64)
            .map(|i| line(&[sp(5, i + 1, if i == 0 { 0 } else { 1 }, "")]))
            .collect();
        let refs: Vec<&str> = files.iter().map(String::as_str).collect();
        let (t, o) = read_str(
            &refs,
            &Limits {
                open_files: 2,
                ..Limits::default()
            },
        );
        assert_eq!(handed(&t), vec![(5, 9)]);
        assert_eq!(o.lines.len(), 9);
    }

    #[test]
    fn ids_in_hex_and_base64() {
        assert_eq!(
            trace_id("5B8EFFF798038103D269B633813FC60C"),
            Some(0x5b8efff798038103d269b633813fc60c)
        );
        assert_eq!(
            trace_id("W47/95gDgQPSabYzgT/GDA=="),
            Some(0x5b8efff798038103d269b633813fc60c)
        );
        assert_eq!(span_id("AAAAAAAAAKM="), Some(0xa3));
        assert_eq!(trace_id("00000000000000000000000000000000"), None);
        assert_eq!(trace_id("+b8efff798038103d269b633813fc60c"), None);
        assert_eq!(span_id("xyz"), None);
        assert_eq!(hashed("00f067aa0ba902b7", 8), 0x00f067aa0ba902b7);
        assert_eq!(hashed("obs-1", 8), hashed("obs-1", 8));
        assert_ne!(hashed("obs-1", 8), hashed("obs-2", 8));
        assert!(hashed("obs-1", 8) <= u64::MAX as u128);
    }

    #[test]
    fn the_fuzz_invariants_hold_on_the_fixtures() {
        for text in FIXTURES {
            fuzz(text.as_bytes());
        }
        let (t, _) = read_str(&[OTLP], &Limits::default());
        assert!(t.iter().flat_map(|t| &t.spans).any(|s| s.op == Op::Tool));
    }

    /// Truncations, and single bytes replaced by JSON's delimiters, of every fixture.
    #[test]
    fn fuzz_smoke_on_the_fixtures() {
        for text in FIXTURES {
            let b = text.as_bytes();
            for cut in (0..b.len()).step_by(23) {
                fuzz(&b[..cut]);
            }
            let mut copy = b.to_vec();
            for i in (0..copy.len()).step_by(61) {
                let old = copy[i];
                for c in [b'"', b'{', b'}', b'[', b']', b',', b'\\', b'\n', b'0', 0xff] {
                    copy[i] = c;
                    fuzz(&copy);
                }
                copy[i] = old;
            }
        }
        for s in [
            "",
            "{",
            "[",
            "\n\n{\n",
            "{\"resourceSpans\":",
            "{\"observations\":[{}]}",
            "[[[[[[",
            "\u{feff}{",
        ] {
            fuzz(s.as_bytes());
        }
    }
}
