//! OTLP/JSON: the proto3 JSON mapping of `ExportTraceServiceRequest`
//! (`opentelemetry/proto/collector/trace/v1`), as the Collector's file exporter writes it.
//!
//! `resourceSpans[].scopeSpans[].spans[]` (or the older `instrumentationLibrarySpans`; the
//! proto field names in snake case are read too). Ids are hex (base64, which some exporters
//! wrongly write, is read too); times are decimal strings of nanoseconds (or JSON numbers);
//! an attribute value is an `AnyValue` object (`stringValue`, `intValue` as a string or a
//! number, `doubleValue`, `boolValue`, `arrayValue`, `kvlistValue`, `bytesValue`); `status.code`
//! is 2 or `"STATUS_CODE_ERROR"` for an error. An empty `parentSpanId` is a root.
//!
//! A request is walked with borrowed values: each span is first taken as raw JSON (its bytes
//! are its place), then read on its own, so a bad span costs only itself, and a line cut off
//! mid-way still gives the spans before the cut. Only the attributes agentlock reads
//! ([`SpanRec`]'s) have their values looked at.

use super::{Issue, Out, Place, Str, blank, key_shown, number, span_id, text, trace_id, whole};
use crate::traces::{Op, SpanRec};
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

pub(super) const HELP: &str = "an OTLP/JSON line is one ExportTraceServiceRequest: \
{\"resourceSpans\": [{\"resource\": {\"attributes\": […]}, \"scopeSpans\": [{\"scope\": {…}, \
\"spans\": [{\"traceId\": …, \"spanId\": …, …}]}]}]} (the Collector's file exporter writes these)";

const SPAN_HELP: &str = "an OTLP span is {\"traceId\": \"32 hex digits\", \"spanId\": \"16 hex \
digits\", \"parentSpanId\": \"16 hex digits, or empty for a root\", \"name\": …, \
\"startTimeUnixNano\": \"nanoseconds\", \"endTimeUnixNano\": \"nanoseconds\", \"attributes\": \
[{\"key\": …, \"value\": {\"stringValue\": …}}], \"status\": {\"code\": 2}}";

const VALUE_HELP: &str = "an attribute's value is one of {\"stringValue\": …}, {\"intValue\": …}, \
{\"doubleValue\": …}, {\"boolValue\": …}, {\"arrayValue\": …}, {\"kvlistValue\": …}, \
{\"bytesValue\": …}; see the README's \"Instrumenting an agent system\" for the attributes \
agentlock reads";

/// The raw spans of a request and the resource each belongs to.
#[derive(Default)]
struct Sink<'a> {
    spans: Vec<(&'a RawValue, u32)>,
    resources: Vec<Option<&'a RawValue>>,
}

/// Reads one `ExportTraceServiceRequest` (or an array of them) from `de`.
pub(super) fn value<'a>(
    de: &mut serde_json::Deserializer<serde_json::de::StrRead<'a>>,
    place: &Place,
    out: &mut Out,
) -> Result<(), serde_json::Error> {
    let mut sink = Sink::default();
    let parsed = V {
        sink: &mut sink,
        r: 0,
        at: At::Request,
    }
    .deserialize(&mut *de);
    emit(sink, place, out);
    parsed
}

fn emit(sink: Sink<'_>, place: &Place, out: &mut Out) {
    let roots: Vec<Option<Box<str>>> = sink
        .resources
        .iter()
        .map(|r| r.and_then(|raw| resource_root(raw, place, out)))
        .collect();
    for (raw, r) in sink.spans {
        out.mark = place.offset_of(raw.get()) + raw.get().len() as u64;
        let root = roots.get(r as usize).and_then(|r| r.as_deref());
        match span(raw, root, place, out) {
            Some(s) => out.spans.push(s),
            None => out.skipped += 1,
        }
    }
}

#[derive(Clone, Copy)]
enum At {
    Request,
    Resources,
    Resource,
    Scopes,
    Scope,
    Spans,
}

/// Walks a request down to its spans, which it leaves raw in the sink.
struct V<'s, 'a> {
    sink: &'s mut Sink<'a>,
    /// The resource being read.
    r: u32,
    at: At,
}

impl<'a> V<'_, 'a> {
    fn to(&mut self, at: At) -> V<'_, 'a> {
        V {
            sink: &mut *self.sink,
            r: self.r,
            at,
        }
    }
}

impl<'de: 'a, 'a> DeserializeSeed<'de> for V<'_, 'a> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de: 'a, 'a> Visitor<'de> for V<'_, 'a> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(match self.at {
            At::Request => "an ExportTraceServiceRequest object",
            At::Resources => "a list of resourceSpans",
            At::Resource => "a resourceSpans object",
            At::Scopes => "a list of scopeSpans",
            At::Scope => "a scopeSpans object",
            At::Spans => "a list of spans",
        })
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        if let At::Resource = self.at {
            self.r = self.sink.resources.len() as u32;
            self.sink.resources.push(None);
        }
        while let Some(Str(key)) = map.next_key::<Str<'de>>()? {
            match (self.at, key.as_ref()) {
                (At::Request, "resourceSpans" | "resource_spans") => {
                    map.next_value_seed(self.to(At::Resources))?
                }
                (At::Resource, "resource") => {
                    let raw: &'de RawValue = map.next_value()?;
                    if let Some(slot) = self.sink.resources.get_mut(self.r as usize) {
                        *slot = Some(raw);
                    }
                }
                (
                    At::Resource,
                    "scopeSpans"
                    | "scope_spans"
                    | "instrumentationLibrarySpans"
                    | "instrumentation_library_spans",
                ) => map.next_value_seed(self.to(At::Scopes))?,
                (At::Scope, "spans") => map.next_value_seed(self.to(At::Spans))?,
                (At::Request | At::Resource | At::Scope, _) => {
                    map.next_value::<IgnoredAny>()?;
                }
                _ => return Err(de::Error::invalid_type(de::Unexpected::Map, &self)),
            }
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        let inner = match self.at {
            At::Request => At::Request,
            At::Resources => At::Resource,
            At::Scopes => At::Scope,
            At::Spans => {
                while let Some(raw) = seq.next_element::<&'de RawValue>()? {
                    self.sink.spans.push((raw, self.r));
                }
                return Ok(());
            }
            At::Resource | At::Scope => {
                return Err(de::Error::invalid_type(de::Unexpected::Seq, &self));
            }
        };
        while seq.next_element_seed(self.to(inner))?.is_some() {}
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        match self.at {
            At::Resources | At::Scopes | At::Spans => Ok(()),
            _ => Err(E::invalid_type(de::Unexpected::Unit, &self)),
        }
    }
}

#[derive(Deserialize)]
struct KeyValue<'a> {
    #[serde(borrow)]
    key: Option<Str<'a>>,
    #[serde(borrow)]
    value: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct ResourceJ<'a> {
    #[serde(borrow)]
    attributes: Option<Vec<KeyValue<'a>>>,
}

#[derive(Deserialize)]
struct SpanJ<'a> {
    #[serde(borrow, rename = "traceId", alias = "trace_id")]
    trace_id: Option<&'a RawValue>,
    #[serde(borrow, rename = "spanId", alias = "span_id")]
    span_id: Option<&'a RawValue>,
    #[serde(borrow, rename = "parentSpanId", alias = "parent_span_id")]
    parent: Option<&'a RawValue>,
    #[serde(borrow)]
    name: Option<&'a RawValue>,
    #[serde(borrow, rename = "startTimeUnixNano", alias = "start_time_unix_nano")]
    start: Option<&'a RawValue>,
    #[serde(borrow, rename = "endTimeUnixNano", alias = "end_time_unix_nano")]
    end: Option<&'a RawValue>,
    #[serde(borrow)]
    attributes: Option<Vec<KeyValue<'a>>>,
    #[serde(borrow)]
    status: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct StatusJ<'a> {
    #[serde(borrow)]
    code: Option<&'a RawValue>,
}

/// An attribute's value.
enum Val<'a> {
    Str(Cow<'a, str>),
    Int(&'a RawValue),
    Double(&'a RawValue),
    Bool,
    /// An array, a key-value list or bytes: what it is.
    Other(&'static str),
    /// No value.
    Empty,
    /// A value type no version of OTLP has.
    Unknown(String),
    /// Not an AnyValue object at all.
    Bad,
}

impl Val<'_> {
    fn kind(&self) -> &'static str {
        match self {
            Val::Str(_) => "a string",
            Val::Int(_) => "an integer",
            Val::Double(_) => "a double",
            Val::Bool => "a boolean",
            Val::Other(what) => what,
            _ => "no value",
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Val<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Vis<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for Vis<'a> {
            type Value = Val<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an AnyValue object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Val<'a>, A::Error> {
                let mut v = Val::Empty;
                while let Some(Str(key)) = map.next_key::<Str<'de>>()? {
                    let next = match key.as_ref() {
                        "stringValue" | "string_value" => Val::Str(map.next_value::<Str<'de>>()?.0),
                        "intValue" | "int_value" => Val::Int(map.next_value()?),
                        "doubleValue" | "double_value" => Val::Double(map.next_value()?),
                        "boolValue" | "bool_value" => {
                            let raw: &'de RawValue = map.next_value()?;
                            match raw.get() {
                                "true" | "\"true\"" | "false" | "\"false\"" => Val::Bool,
                                _ => Val::Bad,
                            }
                        }
                        other => {
                            map.next_value::<IgnoredAny>()?;
                            match other {
                                "arrayValue" | "array_value" => Val::Other("an array"),
                                "kvlistValue" | "kvlist_value" => Val::Other("a key-value list"),
                                "bytesValue" | "bytes_value" => Val::Other("bytes"),
                                _ => Val::Unknown(key_shown(other)),
                            }
                        }
                    };
                    // A known type is never replaced by an unknown one.
                    if !matches!(next, Val::Unknown(_)) || matches!(v, Val::Empty) {
                        v = next;
                    }
                }
                Ok(v)
            }
        }
        d.deserialize_map(Vis(std::marker::PhantomData))
    }
}

/// An attribute's value as written: an AnyValue object (or, leniently, a bare JSON scalar).
fn val(raw: &RawValue) -> Val<'_> {
    match raw.get().as_bytes().first() {
        Some(b'{') => serde_json::from_str(raw.get()).unwrap_or(Val::Bad),
        Some(b'"') => text(raw).map_or(Val::Bad, Val::Str),
        Some(b't' | b'f') => Val::Bool,
        Some(b'n') => Val::Empty,
        Some(b'[') => Val::Other("an array"),
        Some(_) if raw.get().contains(['.', 'e', 'E']) => Val::Double(raw),
        Some(_) => Val::Int(raw),
        None => Val::Empty,
    }
}

/// The attributes agentlock reads.
#[derive(Default)]
struct Attrs<'a> {
    op: Option<Cow<'a, str>>,
    agent: Option<Cow<'a, str>>,
    tool: Option<Cow<'a, str>>,
    mcp_tool: Option<Cow<'a, str>>,
    mcp_method: Option<Cow<'a, str>>,
    mcp_server: Option<Cow<'a, str>>,
    server_address: Option<Cow<'a, str>>,
    request_model: Option<Cow<'a, str>>,
    response_model: Option<Cow<'a, str>>,
    provider: Option<Cow<'a, str>>,
    system: Option<Cow<'a, str>>,
    prompt: Option<Cow<'a, str>>,
    case: Option<Cow<'a, str>>,
    call_id: Option<Cow<'a, str>>,
    lock_root: Option<Cow<'a, str>>,
    output_messages: Option<&'a RawValue>,
    error_type: bool,
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    prompt_tokens: Option<u64>,
    completion_tokens: Option<u64>,
    cost: Option<f64>,
}

enum Slot<'s, 'a> {
    Text(&'s mut Option<Cow<'a, str>>),
    Count(&'s mut Option<u64>),
    Cost,
    Error,
    /// Kept as written, read only for the spans that need it.
    Raw(&'s mut Option<&'a RawValue>),
}

impl<'a> Attrs<'a> {
    fn slot(&mut self, key: &str) -> Option<Slot<'_, 'a>> {
        Some(match key {
            "gen_ai.operation.name" => Slot::Text(&mut self.op),
            "gen_ai.agent.name" => Slot::Text(&mut self.agent),
            "gen_ai.tool.name" => Slot::Text(&mut self.tool),
            "mcp.tool.name" => Slot::Text(&mut self.mcp_tool),
            "mcp.method.name" => Slot::Text(&mut self.mcp_method),
            "mcp.server.name" => Slot::Text(&mut self.mcp_server),
            "server.address" => Slot::Text(&mut self.server_address),
            "gen_ai.request.model" => Slot::Text(&mut self.request_model),
            "gen_ai.response.model" => Slot::Text(&mut self.response_model),
            "gen_ai.provider.name" => Slot::Text(&mut self.provider),
            "gen_ai.system" => Slot::Text(&mut self.system),
            "agentlock.prompt" => Slot::Text(&mut self.prompt),
            "agentlock.case" => Slot::Text(&mut self.case),
            "gen_ai.tool.call.id" => Slot::Text(&mut self.call_id),
            "agentlock.lock.root" => Slot::Text(&mut self.lock_root),
            "gen_ai.usage.input_tokens" => Slot::Count(&mut self.input_tokens),
            "gen_ai.usage.output_tokens" => Slot::Count(&mut self.output_tokens),
            "gen_ai.usage.prompt_tokens" => Slot::Count(&mut self.prompt_tokens),
            "gen_ai.usage.completion_tokens" => Slot::Count(&mut self.completion_tokens),
            "gen_ai.usage.cost" => Slot::Cost,
            "error.type" => Slot::Error,
            "gen_ai.output.messages" => Slot::Raw(&mut self.output_messages),
            _ => return None,
        })
    }

    /// Reads the attributes agentlock knows; a value of another type is a problem.
    fn read(&mut self, list: Vec<KeyValue<'a>>, place: &Place, out: &mut Out) {
        for kv in list {
            let (Some(Str(key)), Some(raw)) = (kv.key, kv.value) else {
                continue;
            };
            let mut cost = None;
            let mut error = false;
            let Some(slot) = self.slot(&key) else {
                continue;
            };
            if let Slot::Raw(to) = slot {
                *to = Some(raw);
                continue;
            }
            let v = val(raw);
            let wrong = |v: &Val, want: &str, out: &mut Out| {
                let message = match v {
                    Val::Unknown(t) => format!(
                        "attribute {} has a value of a type OTLP does not have ({t})",
                        key_shown(&key)
                    ),
                    Val::Bad => format!(
                        "attribute {} has a value that is not an AnyValue object",
                        key_shown(&key)
                    ),
                    _ => format!("attribute {} is {}, not {want}", key_shown(&key), v.kind()),
                };
                out.report(Issue::Attribute, || {
                    place.problem(place.span(raw.get()), message, VALUE_HELP)
                });
            };
            match slot {
                Slot::Text(to) => match v {
                    Val::Str(s) => *to = Some(s),
                    // ids and case numbers written as integers
                    Val::Int(r) => *to = Some(Cow::Borrowed(r.get().trim_matches('"'))),
                    Val::Empty => {}
                    other => wrong(&other, "a string", out),
                },
                Slot::Count(to) => {
                    let n = match &v {
                        Val::Int(r) | Val::Double(r) => whole(r),
                        Val::Str(s) => s.parse().ok(),
                        Val::Empty => continue,
                        _ => None,
                    };
                    match n {
                        Some(n) => *to = Some(n),
                        None => wrong(&v, "a whole number from 0", out),
                    }
                }
                Slot::Cost => {
                    let n = match &v {
                        Val::Int(r) | Val::Double(r) => number(r),
                        Val::Str(s) => s.parse::<f64>().ok().filter(|f| f.is_finite()),
                        Val::Empty => continue,
                        _ => None,
                    };
                    match n {
                        Some(n) => cost = Some(n),
                        None => wrong(&v, "a number", out),
                    }
                }
                Slot::Raw(_) => {}
                Slot::Error => {
                    error = match &v {
                        Val::Str(s) => !s.is_empty(),
                        Val::Empty => false,
                        _ => true,
                    }
                }
            }
            if cost.is_some() {
                self.cost = cost;
            }
            self.error_type |= error;
        }
    }
}

/// The tool calls a model call's `gen_ai.output.messages` asks for, in either form the
/// conventions allow: a JSON string (what most instrumentations write) or OTLP's structured
/// AnyValue arrays and key-value lists. Output cut short by an attribute length limit, or of
/// a shape not understood, asks for nothing: content capture is optional, so its absence is
/// not a fault.
fn requested(raw: &RawValue) -> Vec<crate::traces::Requested> {
    let value = match val(raw) {
        Val::Str(s) => serde_json::from_str(&s).ok(),
        Val::Other(_) => serde_json::from_str(raw.get()).ok().map(plain),
        _ => None,
    };
    let mut out = Vec::new();
    if let Some(v) = value {
        tool_calls(&v, &mut out);
    }
    out
}

/// An OTLP AnyValue as the plain JSON it stands for.
fn plain(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    let Value::Object(mut m) = v else {
        return v;
    };
    let values = |v: Option<Value>| match v {
        Some(Value::Object(mut o)) => match o.remove("values") {
            Some(Value::Array(a)) => a,
            _ => Vec::new(),
        },
        _ => Vec::new(),
    };
    if let Some(s) = m.remove("stringValue") {
        s
    } else if m.contains_key("arrayValue") {
        Value::Array(
            values(m.remove("arrayValue"))
                .into_iter()
                .map(plain)
                .collect(),
        )
    } else if m.contains_key("kvlistValue") {
        let mut o = serde_json::Map::new();
        for kv in values(m.remove("kvlistValue")) {
            if let Value::Object(mut kv) = kv
                && let Some(Value::String(k)) = kv.remove("key")
            {
                o.insert(k, kv.remove("value").map_or(Value::Null, plain));
            }
        }
        Value::Object(o)
    } else {
        m.into_iter().next().map_or(Value::Null, |(_, v)| v)
    }
}

/// Every `{"type": "tool_call", "name": …}` part under `v`.
fn tool_calls(v: &serde_json::Value, out: &mut Vec<crate::traces::Requested>) {
    use serde_json::Value;
    match v {
        Value::Array(a) => a.iter().for_each(|v| tool_calls(v, out)),
        Value::Object(o) => {
            if o.get("type").and_then(Value::as_str) == Some("tool_call") {
                if let Some(name) = o.get("name").and_then(Value::as_str) {
                    let id = match o.get("id") {
                        Some(Value::String(s)) => Some(s.as_str().into()),
                        Some(Value::Number(n)) => Some(n.to_string().into()),
                        _ => None,
                    };
                    out.push(crate::traces::Requested {
                        name: name.into(),
                        id,
                    });
                }
            } else {
                o.values().for_each(|v| tool_calls(v, out));
            }
        }
        _ => {}
    }
}

/// `agentlock.lock.root` of a resource.
fn resource_root(raw: &RawValue, place: &Place, out: &mut Out) -> Option<Box<str>> {
    if blank(raw) {
        return None;
    }
    let r: ResourceJ = match serde_json::from_str(raw.get()) {
        Ok(r) => r,
        Err(e) => {
            out.report(Issue::Shape, || {
                place.problem(
                    place.span(raw.get()),
                    format!(
                        "a resource is not of the expected shape: {}",
                        super::serde_message(&e)
                    ),
                    HELP,
                )
            });
            return None;
        }
    };
    let mut attrs = Attrs::default();
    attrs.read(r.attributes.unwrap_or_default(), place, out);
    attrs.lock_root.map(|s| s.into())
}

/// The op a span name starts with (`invoke_agent writer`), and the rest of the name.
fn op_of_name(name: &str) -> (Option<Op>, &str) {
    let (head, tail) = name.split_once(' ').unwrap_or((name, ""));
    (op_of(head), tail.trim())
}

fn op_of(operation: &str) -> Option<Op> {
    Some(match operation {
        "invoke_agent" | "create_agent" => Op::Agent,
        "execute_tool" => Op::Tool,
        "chat" | "text_completion" | "generate_content" => Op::Chat,
        "invoke_workflow" => Op::Workflow,
        _ => return None,
    })
}

fn boxed(s: Option<Cow<'_, str>>) -> Option<Box<str>> {
    s.map(|s| Box::from(s.as_ref()))
}

/// One span, or `None` (a problem said why) when it cannot be read.
fn span(
    raw: &RawValue,
    resource_root: Option<&str>,
    place: &Place,
    out: &mut Out,
) -> Option<SpanRec> {
    let at = place.span(raw.get());
    let s: SpanJ = match serde_json::from_str(raw.get()) {
        Ok(s) => s,
        Err(e) => {
            let point = super::offset_of(raw.get(), e.line(), e.column());
            out.report(Issue::Shape, || {
                place.problem(
                    place.point(raw.get(), point),
                    format!(
                        "a span is not of the expected shape: {}",
                        super::serde_message(&e)
                    ),
                    SPAN_HELP,
                )
            });
            return None;
        }
    };
    let id_problem = |raw_at: Option<&RawValue>, message: String, out: &mut Out| {
        let where_ = raw_at.map_or(at, |r| place.span(r.get()));
        out.report(Issue::Id, || place.problem(where_, message, SPAN_HELP));
    };
    // An id: absent (a problem when it is `required`), or what `parse` makes of it; a value
    // that does not parse is a problem at the value.
    fn id_field<T>(
        r: Option<&RawValue>,
        key: &str,
        required: bool,
        parse: fn(&str) -> Option<T>,
        wrong: &str,
        problem: &dyn Fn(Option<&RawValue>, String, &mut Out),
        out: &mut Out,
    ) -> Result<Option<T>, ()> {
        match r.filter(|r| !blank(r)) {
            None if required => {
                problem(None, format!("a span has no `{key}`"), out);
                Err(())
            }
            None => Ok(None),
            Some(r) => match text(r).and_then(|t| parse(&t)) {
                Some(v) => Ok(Some(v)),
                None => {
                    problem(Some(r), format!("a span's `{key}` is not {wrong}"), out);
                    Err(())
                }
            },
        }
    }
    let nonzero_span = |t: &str| span_id(t).filter(|&v| v != 0);
    let trace = id_field(
        s.trace_id,
        "traceId",
        true,
        trace_id,
        "32 hex digits (16 bytes, not all zero)",
        &id_problem,
        out,
    )
    .ok()??;
    let id = id_field(
        s.span_id,
        "spanId",
        true,
        nonzero_span,
        "16 hex digits (8 bytes, not all zero)",
        &id_problem,
        out,
    )
    .ok()??;
    // An all-zero parent is a root, as an empty one is.
    let parent = id_field(
        s.parent,
        "parentSpanId",
        false,
        span_id,
        "16 hex digits (or empty, for a root)",
        &id_problem,
        out,
    )
    .ok()?
    .filter(|&v| v != 0);
    let time = |r: Option<&RawValue>, key: &str, out: &mut Out| -> Option<u64> {
        let found = r.filter(|r| !blank(r));
        let value = found.and_then(whole);
        if value.is_none() {
            let (where_, message) = match found {
                None => (at, format!("a span has no `{key}`")),
                Some(r) => (
                    place.span(r.get()),
                    format!("a span's `{key}` is not a whole number of nanoseconds"),
                ),
            };
            out.report(Issue::Time, || place.problem(where_, message, SPAN_HELP));
        }
        value
    };
    let start_ns = time(s.start, "startTimeUnixNano", out)?;
    let end_ns = time(s.end, "endTimeUnixNano", out)?;
    let name: Cow<str> = match s.name {
        None => Cow::Borrowed(""),
        Some(r) if blank(r) => Cow::Borrowed(""),
        Some(r) => match text(r) {
            Some(t) => t,
            None => {
                out.report(Issue::Shape, || {
                    place.problem(
                        place.span(r.get()),
                        "a span's `name` is not a string",
                        SPAN_HELP,
                    )
                });
                Cow::Borrowed("")
            }
        },
    };
    let mut a = Attrs::default();
    if let Some(list) = s.attributes {
        a.read(list, place, out);
    }
    let status_error = s.status.is_some_and(|r| {
        r.get().starts_with('{')
            && serde_json::from_str::<StatusJ>(r.get())
                .ok()
                .and_then(|st| st.code)
                .is_some_and(|c| {
                    matches!(
                        c.get(),
                        "2" | "\"2\"" | "\"STATUS_CODE_ERROR\"" | "\"ERROR\""
                    )
                })
    });

    let (name_op, tail) = op_of_name(&name);
    let mut op = match a.op.as_deref() {
        Some(o) => op_of(o).unwrap_or(Op::Other),
        None => name_op.unwrap_or(Op::Other),
    };
    let mcp = a.mcp_method.is_some();
    let mut tool = a.tool.take();
    if a.mcp_method.as_deref() == Some("tools/call") {
        op = Op::Tool;
        tool = a.mcp_tool.take().or(tool).or_else(|| {
            name.strip_prefix("tools/call ")
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(|t| Cow::Owned(t.to_string()))
        });
    }
    // The name's rest says the agent, tool or model of a span of that op whose name starts
    // with the op (`invoke_agent writer`).
    let from_name = |want: Op| {
        (op == want && name_op == Some(want) && !tail.is_empty())
            .then(|| Cow::Owned(tail.to_string()))
    };
    let agent = a.agent.take().or_else(|| from_name(Op::Agent));
    let tool = tool.or_else(|| from_name(Op::Tool));
    let request_model = a.request_model.take().or_else(|| from_name(Op::Chat));
    let server = a
        .mcp_server
        .take()
        .or_else(|| if mcp { a.server_address.take() } else { None });
    Some(SpanRec {
        trace,
        id,
        parent,
        op,
        name: Box::from(name.as_ref()),
        agent: boxed(agent),
        tool: boxed(tool),
        server: boxed(server),
        request_model: boxed(request_model),
        response_model: boxed(a.response_model),
        provider: boxed(a.provider.or(a.system)),
        prompt: boxed(a.prompt),
        case: boxed(a.case),
        lock_root: boxed(a.lock_root).or_else(|| resource_root.map(Box::from)),
        call_id: boxed(a.call_id),
        requested: match (op, a.output_messages) {
            (Op::Chat, Some(raw)) => requested(raw),
            _ => Vec::new(),
        },
        start_ns,
        end_ns,
        error: status_error || a.error_type,
        input_tokens: a.input_tokens.or(a.prompt_tokens),
        output_tokens: a.output_tokens.or(a.completion_tokens),
        cost_usd: a.cost,
        at,
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::{line, sp};
    use super::super::{Limits, Outcome, check, read_bytes};
    use crate::traces::{Op, SpanRec, Trace};

    const OTLP: &str = include_str!("../../../tests/fixtures/traces/read/otlp.jsonl");
    const PRETTY: &str = include_str!("../../../tests/fixtures/traces/read/otlp_pretty.json");

    fn read(text: &str) -> (Vec<SpanRec>, Outcome) {
        let (t, o) = read_bytes(&[text.as_bytes()], &Limits::default());
        check(&[text.as_bytes()], &t, &o);
        (t.into_iter().flat_map(|t: Trace| t.spans).collect(), o)
    }

    fn by_id(spans: &[SpanRec], id: u64) -> &SpanRec {
        spans.iter().find(|s| s.id == id).unwrap()
    }

    #[test]
    fn gen_ai_attributes_map_to_the_span() {
        let (spans, o) = read(OTLP);
        assert!(o.problems.is_empty(), "{:#?}", o.problems);
        let chat = by_id(&spans, 0xa3);
        assert_eq!(chat.trace, 0x5b8efff798038103d269b633813fc60c);
        assert_eq!((chat.op, chat.parent), (Op::Chat, Some(0xa2)));
        assert_eq!(chat.request_model.as_deref(), Some("gpt-4o-2024-08-06"));
        assert_eq!(chat.response_model.as_deref(), Some("gpt-4o-2024-08-06"));
        assert_eq!(chat.provider.as_deref(), Some("openai"));
        assert_eq!(
            (chat.input_tokens, chat.output_tokens),
            (Some(120), Some(45))
        );
        assert_eq!(chat.cost_usd, Some(0.0123));
        assert_eq!(
            (chat.start_ns, chat.end_ns),
            (1_700_000_000_100_000_000, 1_700_000_000_900_000_000)
        );
        assert!(!chat.error);
        assert_eq!(chat.lock_root.as_deref(), Some("sha256:1111"));
        let tool = by_id(&spans, 0xa4);
        assert_eq!(
            (tool.op, tool.tool.as_deref()),
            (Op::Tool, Some("search_docs"))
        );
        assert_eq!(tool.call_id.as_deref(), Some("call_1"));
        assert!(tool.error, "status code 2");
        let planner = by_id(&spans, 0xa2);
        assert_eq!(
            (planner.op, planner.agent.as_deref()),
            (Op::Agent, Some("planner"))
        );
        assert_eq!(planner.prompt.as_deref(), Some("planner@1.2.0"));
        assert!(!planner.error);
        // no gen_ai.operation.name: the op and the agent from the span name
        let writer = by_id(&spans, 0xa5);
        assert_eq!(
            (writer.op, writer.agent.as_deref()),
            (Op::Agent, Some("writer"))
        );
        assert_eq!(writer.case.as_deref(), Some("hp-001"));
        let root = by_id(&spans, 0xa1);
        assert_eq!(
            (root.op, root.parent, &*root.name),
            (Op::Workflow, None, "support")
        );
        // MCP tools/call: the tool from the name, the server, error.type
        let mcp = by_id(&spans, 0xb7ad6b7169203331);
        assert_eq!(
            (mcp.op, mcp.tool.as_deref(), mcp.server.as_deref()),
            (Op::Tool, Some("lookup"), Some("crm"))
        );
        assert!(mcp.error);
        assert_eq!(mcp.parent, None);
        assert_eq!(
            mcp.start_ns, 1_700_000_005_000_000_000,
            "times as JSON numbers"
        );
    }

    #[test]
    fn older_keys_numeric_times_and_string_status_codes() {
        let (spans, o) = read(PRETTY);
        assert!(o.problems.is_empty(), "{:#?}", o.problems);
        let s = &spans[0];
        assert_eq!((s.op, s.agent.as_deref()), (Op::Agent, Some("triage")));
        assert!(s.error, "STATUS_CODE_ERROR");
        assert_eq!(
            s.lock_root.as_deref(),
            Some("sha256:2222"),
            "as a span attribute"
        );
        assert_eq!(s.end_ns - s.start_ns, 500_000_000);
        let snake = r#"{"resource_spans":[{"scope_spans":[{"spans":[{"trace_id":"0af7651916cd43dd8448eb211c80319c","span_id":"b7ad6b7169203331","start_time_unix_nano":"5","end_time_unix_nano":"6"}]}]}]}"#;
        let (spans, o) = read(snake);
        assert!(o.problems.is_empty(), "{:#?}", o.problems);
        assert_eq!(spans[0].end_ns, 6);
    }

    fn attr(key: &str, value: &str) -> String {
        format!(r#"{{"key":"{key}","value":{value}}}"#)
    }

    #[test]
    fn attribute_value_types() {
        let attrs = [
            attr("gen_ai.operation.name", r#"{"stringValue":"chat"}"#),
            attr("gen_ai.usage.input_tokens", r#"{"intValue":"17"}"#),
            attr("gen_ai.usage.output_tokens", r#"{"doubleValue":3.0}"#),
            attr("gen_ai.usage.cost", r#"{"intValue":2}"#),
            attr("agentlock.case", r#"{"intValue":42}"#),
            attr("gen_ai.system", r#""anthropic""#),
            attr("gen_ai.request.model", r#"{"stringValue":"claude\u002dx"}"#),
            attr("unknown.thing", r#"{"weirdValue":1}"#),
            attr("other", r#"{"arrayValue":{"values":[]}}"#),
            attr("error.type", r#"{}"#),
        ]
        .join(",");
        let (spans, o) = read(&line(&[sp(1, 1, 0, &attrs)]));
        assert!(o.problems.is_empty(), "{:#?}", o.problems);
        let s = &spans[0];
        assert_eq!(s.op, Op::Chat);
        assert_eq!(
            (s.input_tokens, s.output_tokens, s.cost_usd),
            (Some(17), Some(3), Some(2.0))
        );
        assert_eq!(s.case.as_deref(), Some("42"));
        assert_eq!(s.provider.as_deref(), Some("anthropic"));
        assert_eq!(s.request_model.as_deref(), Some("claude-x"));
        assert!(!s.error, "an empty error.type");
    }

    #[test]
    fn requested_tool_calls_in_both_forms_of_output_messages() {
        let string = r#"[{"role":"assistant","parts":[{"type":"text","content":"ok"},{"type":"tool_call","id":"call_1","name":"get_weather","arguments":{"city":"Paris"}},{"type":"tool_call","id":7,"name":"lookup"}],"finish_reason":"tool_call"}]"#;
        let structured = r#"{"arrayValue":{"values":[{"kvlistValue":{"values":[{"key":"role","value":{"stringValue":"assistant"}},{"key":"parts","value":{"arrayValue":{"values":[{"kvlistValue":{"values":[{"key":"type","value":{"stringValue":"tool_call"}},{"key":"name","value":{"stringValue":"search"}}]}}]}}}]}}]}}"#;
        let chat = attr("gen_ai.operation.name", r#"{"stringValue":"chat"}"#);
        let cases = [
            (
                attr(
                    "gen_ai.output.messages",
                    &serde_json::json!({ "stringValue": string }).to_string(),
                ),
                vec![("get_weather", Some("call_1")), ("lookup", Some("7"))],
            ),
            (
                attr("gen_ai.output.messages", structured),
                vec![("search", None)],
            ),
            // cut short by an attribute length limit: nothing asked, no problem
            (
                attr(
                    "gen_ai.output.messages",
                    &serde_json::json!({ "stringValue": &string[..40] }).to_string(),
                ),
                vec![],
            ),
        ];
        for (messages, want) in cases {
            let (spans, o) = read(&line(&[sp(1, 1, 0, &format!("{chat},{messages}"))]));
            assert!(o.problems.is_empty(), "{:#?}", o.problems);
            let got: Vec<(&str, Option<&str>)> = spans[0]
                .requested
                .iter()
                .map(|r| (&*r.name, r.id.as_deref()))
                .collect();
            assert_eq!(got, want);
        }
        // only a model call asks for tools: an agent span's output is its answer
        let agent = attr("gen_ai.operation.name", r#"{"stringValue":"invoke_agent"}"#);
        let messages = attr("gen_ai.output.messages", structured);
        let (spans, _) = read(&line(&[sp(1, 1, 0, &format!("{agent},{messages}"))]));
        assert!(spans[0].requested.is_empty());
    }

    #[test]
    fn attribute_values_of_the_wrong_type_are_problems_and_the_span_is_read() {
        let attrs = [
            attr("gen_ai.agent.name", r#"{"boolValue":true}"#),
            attr("gen_ai.usage.input_tokens", r#"{"stringValue":"many"}"#),
            attr("gen_ai.usage.cost", r#"{"kvlistValue":{"values":[]}}"#),
            attr("gen_ai.tool.name", r#"{"mysteryValue":"x"}"#),
            attr("gen_ai.operation.name", "[1]"),
            attr(
                "gen_ai.request.model",
                r#"{"stringValue":"m","sneakyValue":2}"#,
            ),
        ]
        .join(",");
        let text = line(&[sp(1, 1, 0, &attrs)]);
        let (spans, o) = read(&text);
        assert_eq!(spans.len(), 1);
        assert_eq!(spans[0].request_model.as_deref(), Some("m"));
        let messages: Vec<&str> = o.problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(
            messages,
            vec![
                "attribute `gen_ai.agent.name` is a boolean, not a string",
                "attribute `gen_ai.usage.input_tokens` is a string, not a whole number from 0",
                "attribute `gen_ai.usage.cost` is a key-value list, not a number",
                "2 more attributes holding a value of an unexpected type in this file",
            ],
            "the first three of a kind, then how many more"
        );
        let p = &o.problems[0];
        assert_eq!(
            &text[p.span.start as usize..p.span.end as usize],
            r#"{"boolValue":true}"#
        );
    }

    #[test]
    fn a_span_of_another_shape_costs_only_itself() {
        let text = line(&[
            sp(1, 1, 0, ""),
            "42".into(),
            sp(1, 2, 1, "").replace(r#""attributes":[]"#, r#""attributes":{"a":1}"#),
            sp(1, 3, 1, "").replace(r#""name":"s3""#, r#""name":7"#),
        ]);
        let (spans, o) = read(&text);
        let ids: Vec<u64> = spans.iter().map(|s| s.id).collect();
        assert_eq!(ids, vec![1, 3]);
        assert_eq!(o.skipped, 2);
        assert!(
            o.problems[0]
                .message
                .starts_with("a span is not of the expected shape"),
            "{}",
            o.problems[0].message
        );
        let at = text.find("42").unwrap();
        assert!((at..at + 2).contains(&(o.problems[0].span.start as usize)));
        assert!(
            o.problems
                .iter()
                .any(|p| p.message == "a span's `name` is not a string")
        );
        assert_eq!(&*spans[1].name, "");
    }

    #[test]
    fn a_request_of_another_shape_is_a_problem() {
        let text = "{\"resourceSpans\": 5}\n{\"resourceSpans\": [{\"scopeSpans\": {\"x\": 1}}]}\n{\"resourceSpans\": [{\"resource\": 3, \"scopeSpans\": [{\"spans\": null}]}]}\n";
        let (_, o) = read(text);
        assert_eq!(o.problems.len(), 3, "{:#?}", o.problems);
        assert!(
            o.problems[0]
                .message
                .contains("expected a list of resourceSpans"),
            "{}",
            o.problems[0].message
        );
        assert!(
            o.problems[1]
                .message
                .contains("expected a list of scopeSpans"),
            "{}",
            o.problems[1].message
        );
        assert!(
            o.problems[2]
                .message
                .starts_with("a resource is not of the expected shape")
        );
    }
}
