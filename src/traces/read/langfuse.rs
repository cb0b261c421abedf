//! Langfuse trace exports: a trace as the UI's "Download JSON" and the public API's
//! `GET /api/public/traces/{id}` give it (`{id, name, timestamp, metadata, …, observations:
//! [{id, traceId, type, name, startTime, endTime, parentObservationId, level, model,
//! promptName, promptVersion, usageDetails, costDetails, metadata, …}]}`), a list of traces,
//! the API's `{"data": [...]}` (of traces, or of observations as `GET /api/public/observations`
//! lists them), or JSON lines of any of these.
//!
//! An observation is a span: `type` AGENT is an agent span (the agent is its `name`), TOOL a
//! tool span (the tool is its `name`), GENERATION a chat span (its `model` the model that
//! answered), CHAIN a workflow; any other type is [`Op::Other`]. The one exception: the OpenAI
//! Agents SDK's trace, which OpenInference exports as an AGENT span with no `graph.node.id`
//! (named `Agent workflow` by default), is the workflow, not an agent. `promptName@promptVersion` is
//! the prompt, level ERROR an error. The metadata of the observation (and of the trace, for
//! the case and the release) may say `agentlock.case`, `agentlock.lock.root`,
//! `gen_ai.agent.name` and the other attributes agentlock reads, at its top level or, as
//! Langfuse keeps the attributes of a trace sent over OpenTelemetry, under `attributes` or
//! `resourceAttributes`.
//!
//! Ids are strings: each is hashed to a number ([`super::hashed`]), except that an id already
//! of 32 (trace) or 16 (observation) hex digits, as Langfuse keeps the ids of a trace sent over
//! OpenTelemetry, is read as that number, so such a trace matches its OTLP export. Times are
//! ISO 8601 ([`iso_nanos`]); an observation with no end (an EVENT) ends when it starts.

use super::{Issue, Out, Place, blank, hashed, key_shown, number, text, whole};
use crate::traces::{Op, SpanRec};
use serde::Deserialize;
use serde_json::value::RawValue;

pub(super) const HELP: &str = "a Langfuse export is a trace {\"id\": …, \"observations\": \
[{\"id\": …, \"type\": \"AGENT\", \"name\": …, \"startTime\": \"2025-01-01T00:00:00.000Z\", …}]} \
(the UI's \"Download JSON\", or GET /api/public/traces/{id}), a list of traces, or \
{\"data\": [ … ]}";

/// How deep lists of traces may nest (`{"data": [[…]]}`).
const MAX_DEPTH: usize = 3;

/// Reads one value: a trace, an observation, or a list of them.
pub(super) fn value<'a>(
    de: &mut serde_json::Deserializer<serde_json::de::StrRead<'a>>,
    place: &Place,
    out: &mut Out,
) -> Result<(), serde_json::Error> {
    let raw: &'a RawValue = Deserialize::deserialize(&mut *de)?;
    item(raw, None, 0, place, out);
    Ok(())
}

/// A trace or an observation: every key agentlock reads of either.
#[derive(Deserialize, Default)]
struct Obj<'a> {
    #[serde(borrow)]
    id: Option<&'a RawValue>,
    #[serde(borrow)]
    data: Option<&'a RawValue>,
    #[serde(borrow)]
    observations: Option<Vec<&'a RawValue>>,
    #[serde(borrow)]
    metadata: Option<&'a RawValue>,
    #[serde(borrow, rename = "traceId")]
    trace_id: Option<&'a RawValue>,
    #[serde(borrow, rename = "type")]
    kind: Option<&'a RawValue>,
    #[serde(borrow)]
    name: Option<&'a RawValue>,
    #[serde(borrow, rename = "startTime")]
    start: Option<&'a RawValue>,
    #[serde(borrow, rename = "endTime")]
    end: Option<&'a RawValue>,
    #[serde(borrow, rename = "parentObservationId")]
    parent: Option<&'a RawValue>,
    #[serde(borrow)]
    level: Option<&'a RawValue>,
    #[serde(borrow)]
    model: Option<&'a RawValue>,
    #[serde(borrow, rename = "promptName")]
    prompt_name: Option<&'a RawValue>,
    #[serde(borrow, rename = "promptVersion")]
    prompt_version: Option<&'a RawValue>,
    #[serde(borrow, rename = "usageDetails")]
    usage_details: Option<&'a RawValue>,
    #[serde(borrow)]
    usage: Option<&'a RawValue>,
    #[serde(borrow, rename = "costDetails")]
    cost_details: Option<&'a RawValue>,
    #[serde(borrow, rename = "calculatedTotalCost")]
    calculated_total_cost: Option<&'a RawValue>,
    #[serde(borrow, rename = "totalCost")]
    total_cost: Option<&'a RawValue>,
}

#[derive(Deserialize, Default)]
struct MetaJ<'a> {
    #[serde(borrow, rename = "agentlock.case")]
    case: Option<&'a RawValue>,
    #[serde(borrow, rename = "agentlock.lock.root")]
    lock_root: Option<&'a RawValue>,
    #[serde(borrow, rename = "agentlock.prompt")]
    prompt: Option<&'a RawValue>,
    #[serde(borrow, rename = "gen_ai.agent.name")]
    agent: Option<&'a RawValue>,
    #[serde(borrow, rename = "gen_ai.tool.name")]
    tool: Option<&'a RawValue>,
    #[serde(borrow, rename = "gen_ai.tool.call.id")]
    call_id: Option<&'a RawValue>,
    #[serde(borrow, rename = "gen_ai.request.model")]
    request_model: Option<&'a RawValue>,
    #[serde(borrow, rename = "gen_ai.response.model")]
    response_model: Option<&'a RawValue>,
    #[serde(borrow, rename = "gen_ai.provider.name")]
    provider: Option<&'a RawValue>,
    /// OpenInference's name of an agent in its graph (set on each agent span).
    #[serde(borrow, rename = "graph.node.id")]
    graph_node: Option<&'a RawValue>,
    /// The instrumentation that made the span, as Langfuse keeps it for an OpenTelemetry trace.
    #[serde(borrow)]
    scope: Option<&'a RawValue>,
    #[serde(borrow)]
    attributes: Option<&'a RawValue>,
    #[serde(borrow, rename = "resourceAttributes")]
    resource_attributes: Option<&'a RawValue>,
}

/// What metadata says, owned.
#[derive(Clone, Default)]
struct Meta {
    case: Option<Box<str>>,
    lock_root: Option<Box<str>>,
    prompt: Option<Box<str>>,
    agent: Option<Box<str>>,
    tool: Option<Box<str>>,
    call_id: Option<Box<str>>,
    request_model: Option<Box<str>>,
    response_model: Option<Box<str>>,
    provider: Option<Box<str>>,
    graph_node: Option<Box<str>>,
    /// `scope.name`.
    scope: Option<Box<str>>,
}

/// The `name` of a metadata's `scope`.
#[derive(Deserialize)]
struct ScopeJ<'a> {
    #[serde(borrow)]
    name: Option<&'a RawValue>,
}

/// OpenInference's instrumentation of the OpenAI Agents SDK: it exports the SDK's trace (the
/// workflow, named `Agent workflow` unless the run names it) as a span of kind AGENT with no
/// `graph.node.id`, and each agent the run starts as an AGENT span whose `graph.node.id` is the
/// agent's name.
const OPENINFERENCE_OPENAI_AGENTS: &str = "openinference.instrumentation.openai_agents";

impl Meta {
    /// Fills what `self` lacks from `other`.
    fn or(mut self, other: Meta) -> Meta {
        let pick = |a: &mut Option<Box<str>>, b: Option<Box<str>>| {
            if a.is_none() {
                *a = b;
            }
        };
        pick(&mut self.case, other.case);
        pick(&mut self.lock_root, other.lock_root);
        pick(&mut self.prompt, other.prompt);
        pick(&mut self.agent, other.agent);
        pick(&mut self.tool, other.tool);
        pick(&mut self.call_id, other.call_id);
        pick(&mut self.request_model, other.request_model);
        pick(&mut self.response_model, other.response_model);
        pick(&mut self.provider, other.provider);
        pick(&mut self.graph_node, other.graph_node);
        pick(&mut self.scope, other.scope);
        self
    }
}

/// A string, or a number as written (case ids), or nothing.
fn scalar(raw: Option<&RawValue>) -> Option<Box<str>> {
    let raw = raw.filter(|r| !blank(r))?;
    match raw.get().as_bytes().first()? {
        b'"' => text(raw).map(|t| Box::from(t.as_ref())),
        b'-' | b'0'..=b'9' => Some(Box::from(raw.get())),
        _ => None,
    }
}

/// The keys agentlock reads in a metadata object (freeform: anything else reads as none).
fn meta(raw: Option<&RawValue>, depth: usize) -> Meta {
    let Some(raw) = raw.filter(|r| r.get().starts_with('{')) else {
        return Meta::default();
    };
    let Ok(m) = serde_json::from_str::<MetaJ>(raw.get()) else {
        return Meta::default();
    };
    let own = Meta {
        case: scalar(m.case),
        lock_root: scalar(m.lock_root),
        prompt: scalar(m.prompt),
        agent: scalar(m.agent),
        tool: scalar(m.tool),
        call_id: scalar(m.call_id),
        request_model: scalar(m.request_model),
        response_model: scalar(m.response_model),
        provider: scalar(m.provider),
        graph_node: scalar(m.graph_node),
        scope: m
            .scope
            .filter(|r| r.get().starts_with('{'))
            .and_then(|r| serde_json::from_str::<ScopeJ>(r.get()).ok())
            .and_then(|s| scalar(s.name)),
    };
    if depth > 0 {
        return own;
    }
    own.or(meta(m.attributes, depth + 1))
        .or(meta(m.resource_attributes, depth + 1))
}

/// The trace an observation is read within.
struct Ctx {
    id: Option<u128>,
    meta: Meta,
}

fn shape(raw: &RawValue, message: String, place: &Place, out: &mut Out) {
    out.report(Issue::Shape, || {
        place.problem(place.span(raw.get()), message, HELP)
    });
}

fn kind_of(raw: &RawValue) -> &'static str {
    match raw.get().as_bytes().first() {
        Some(b'{') => "an object",
        Some(b'[') => "an array",
        Some(b'"') => "a string",
        Some(b't' | b'f') => "a boolean",
        Some(b'n') => "null",
        _ => "a number",
    }
}

fn item(raw: &RawValue, ctx: Option<&Ctx>, depth: usize, place: &Place, out: &mut Out) {
    match raw.get().as_bytes().first() {
        Some(b'[') if depth < MAX_DEPTH => {
            let list: Vec<&RawValue> = serde_json::from_str(raw.get()).unwrap_or_default();
            for el in list {
                item(el, ctx, depth + 1, place, out);
            }
        }
        Some(b'{') => {
            let o: Obj = match serde_json::from_str(raw.get()) {
                Ok(o) => o,
                Err(e) => {
                    let at = super::offset_of(raw.get(), e.line(), e.column());
                    out.report(Issue::Shape, || {
                        place.problem(
                            place.point(raw.get(), at),
                            format!(
                                "a Langfuse trace or observation is not of the expected shape: {}",
                                super::serde_message(&e)
                            ),
                            HELP,
                        )
                    });
                    out.skipped += 1;
                    return;
                }
            };
            if let Some(observations) = &o.observations {
                trace(&o, observations, place, out);
            } else if let Some(data) = o.data.filter(|_| depth < MAX_DEPTH) {
                item(data, ctx, depth + 1, place, out);
            } else if o.start.is_some() || (o.trace_id.is_some() && o.kind.is_some()) {
                out.mark = place.offset_of(raw.get()) + raw.get().len() as u64;
                match observation(raw, &o, ctx, place, out) {
                    Some(s) => out.spans.push(s),
                    None => out.skipped += 1,
                }
            } else {
                shape(
                    raw,
                    "this is not a Langfuse trace or observation (it has no `observations`, `data` or `startTime`)"
                        .into(),
                    place,
                    out,
                );
            }
        }
        _ => shape(
            raw,
            format!("a Langfuse export holds traces, not {}", kind_of(raw)),
            place,
            out,
        ),
    }
}

fn trace(o: &Obj, observations: &[&RawValue], place: &Place, out: &mut Out) {
    let id =
        o.id.and_then(text)
            .filter(|t| !t.is_empty())
            .map(|t| hashed(&t, 16));
    let ctx = Ctx {
        id,
        meta: meta(o.metadata, 0),
    };
    let mut by_id = 0usize;
    for &raw in observations {
        out.mark = place.offset_of(raw.get()) + raw.get().len() as u64;
        if raw.get().starts_with('"') {
            by_id += 1;
            continue;
        }
        if !raw.get().starts_with('{') {
            shape(
                raw,
                format!("an observation is {}, not an object", kind_of(raw)),
                place,
                out,
            );
            out.skipped += 1;
            continue;
        }
        match serde_json::from_str::<Obj>(raw.get()) {
            Ok(obs) => match observation(raw, &obs, Some(&ctx), place, out) {
                Some(s) => out.spans.push(s),
                None => out.skipped += 1,
            },
            Err(e) => {
                let at = super::offset_of(raw.get(), e.line(), e.column());
                out.report(Issue::Shape, || {
                    place.problem(
                        place.point(raw.get(), at),
                        format!(
                            "an observation is not of the expected shape: {}",
                            super::serde_message(&e)
                        ),
                        HELP,
                    )
                });
                out.skipped += 1;
            }
        }
    }
    if by_id > 0 {
        out.skipped += by_id as u64;
        out.report(Issue::Shape, || {
            place.problem(
                place.span(o.observations_span().unwrap_or("")),
                format!("this trace lists its {by_id} observations by id only, as the API's list of traces does"),
                "fetch each trace whole (GET /api/public/traces/{id}, or \"Download JSON\" in the UI)",
            )
        });
    }
}

impl Obj<'_> {
    /// Nothing to point at but the trace's id, when its observations are ids.
    fn observations_span(&self) -> Option<&str> {
        self.id.map(RawValue::get)
    }
}

/// An ISO 8601 time (`2025-01-01T12:00:00.123456Z`, `…+02:00`, no zone read as UTC) as
/// nanoseconds since 1970.
pub(crate) fn iso_nanos(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() < 19 || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let days = crate::date::parse_date(s.get(..10)?)?;
    let two = |i: usize| -> Option<i64> {
        let (x, y) = (*b.get(i)?, *b.get(i + 1)?);
        (x.is_ascii_digit() && y.is_ascii_digit()).then(|| ((x - b'0') * 10 + (y - b'0')) as i64)
    };
    let (h, m, sec) = (two(11)?, two(14)?, two(17)?);
    if b[13] != b':' || b[16] != b':' || h > 23 || m > 59 || sec > 60 {
        return None;
    }
    let mut i = 19;
    let mut frac: u64 = 0;
    if matches!(b.get(i), Some(b'.' | b',')) {
        i += 1;
        let mut digits = 0;
        while let Some(d) = b.get(i).filter(|d| d.is_ascii_digit()) {
            if digits < 9 {
                frac = frac * 10 + (d - b'0') as u64;
                digits += 1;
            }
            i += 1;
        }
        if digits == 0 {
            return None;
        }
        frac *= 10u64.pow(9 - digits);
    }
    let offset: i64 = match b.get(i) {
        None => 0,
        Some(b'Z' | b'z') if i + 1 == b.len() => 0,
        Some(&c @ (b'+' | b'-')) => {
            let oh = two(i + 1)?;
            let rest = &b[i + 3..];
            let om = match rest {
                [] => 0,
                [b':', ..] if rest.len() == 3 => two(i + 4)?,
                _ if rest.len() == 2 => two(i + 3)?,
                _ => return None,
            };
            if oh > 23 || om > 59 {
                return None;
            }
            let o = oh * 3600 + om * 60;
            if c == b'+' { o } else { -o }
        }
        _ => return None,
    };
    let secs = days
        .checked_mul(86_400)?
        .checked_add(h * 3600 + m * 60 + sec - offset)?;
    u64::try_from(secs)
        .ok()?
        .checked_mul(1_000_000_000)?
        .checked_add(frac)
}

#[derive(Deserialize)]
struct UsageJ<'a> {
    #[serde(borrow)]
    input: Option<&'a RawValue>,
    #[serde(borrow)]
    output: Option<&'a RawValue>,
    #[serde(borrow, rename = "promptTokens")]
    prompt_tokens: Option<&'a RawValue>,
    #[serde(borrow, rename = "completionTokens")]
    completion_tokens: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct CostJ<'a> {
    #[serde(borrow)]
    total: Option<&'a RawValue>,
}

/// A value that is there (not null or empty), and its text when it is a string.
fn string(r: Option<&RawValue>) -> Option<(&RawValue, Option<std::borrow::Cow<'_, str>>)> {
    r.filter(|r| !blank(r)).map(|r| (r, text(r)))
}

fn object<'a, T: Deserialize<'a>>(raw: Option<&'a RawValue>) -> Option<T> {
    raw.filter(|r| r.get().starts_with('{'))
        .and_then(|r| serde_json::from_str(r.get()).ok())
}

/// One observation as a span, or `None` (a problem said why) when it cannot be read.
fn observation(
    raw: &RawValue,
    o: &Obj,
    ctx: Option<&Ctx>,
    place: &Place,
    out: &mut Out,
) -> Option<SpanRec> {
    let at = place.span(raw.get());
    let problem = |issue: Issue, r: Option<&RawValue>, message: String, out: &mut Out| {
        let where_ = r.map_or(at, |r| place.span(r.get()));
        out.report(issue, || place.problem(where_, message, HELP));
    };
    let trace = match string(o.trace_id) {
        Some((_, Some(t))) => hashed(&t, 16),
        Some((r, None)) => {
            problem(
                Issue::Id,
                Some(r),
                "an observation's `traceId` is not a string".into(),
                out,
            );
            return None;
        }
        None => match ctx.and_then(|c| c.id) {
            Some(t) => t,
            None => {
                problem(
                    Issue::Id,
                    None,
                    "an observation has no `traceId`, nor a trace around it with an `id`".into(),
                    out,
                );
                return None;
            }
        },
    };
    let id = match string(o.id) {
        Some((_, Some(t))) => hashed(&t, 8) as u64,
        Some((r, None)) => {
            problem(
                Issue::Id,
                Some(r),
                "an observation's `id` is not a string".into(),
                out,
            );
            return None;
        }
        None => {
            problem(Issue::Id, None, "an observation has no `id`".into(), out);
            return None;
        }
    };
    let parent = match string(o.parent) {
        Some((_, Some(t))) => Some(hashed(&t, 8) as u64),
        Some((r, None)) => {
            problem(
                Issue::Id,
                Some(r),
                "an observation's `parentObservationId` is not a string".into(),
                out,
            );
            return None;
        }
        None => None,
    };
    let time = |r: &RawValue| text(r).and_then(|t| iso_nanos(&t));
    let start_ns = match o.start.filter(|r| !blank(r)) {
        Some(r) => match time(r) {
            Some(t) => t,
            None => {
                problem(
                    Issue::Time,
                    Some(r),
                    "an observation's `startTime` is not an ISO 8601 time".into(),
                    out,
                );
                return None;
            }
        },
        None => {
            problem(
                Issue::Time,
                None,
                "an observation has no `startTime`".into(),
                out,
            );
            return None;
        }
    };
    let end_ns = match o.end.filter(|r| !blank(r)) {
        Some(r) => match time(r) {
            Some(t) => t,
            None => {
                problem(
                    Issue::Time,
                    Some(r),
                    "an observation's `endTime` is not an ISO 8601 time".into(),
                    out,
                );
                return None;
            }
        },
        None => start_ns,
    };
    let name: Box<str> = scalar(o.name).unwrap_or_default();
    let kind = o.kind.and_then(text).unwrap_or_default();
    let op = match kind.to_ascii_uppercase().as_str() {
        "AGENT" => Op::Agent,
        "TOOL" => Op::Tool,
        "GENERATION" => Op::Chat,
        "CHAIN" => Op::Workflow,
        _ => Op::Other,
    };
    if o.kind.is_some_and(|k| !blank(k) && text(k).is_none()) {
        problem(
            Issue::Attribute,
            o.kind,
            format!("an observation's {} is not a string", key_shown("type")),
            out,
        );
    }
    let m = meta(o.metadata, 0);
    // The SDK's trace, exported as an AGENT span, is the workflow, not an agent.
    let op = if op == Op::Agent
        && m.graph_node.is_none()
        && m.scope.as_deref() == Some(OPENINFERENCE_OPENAI_AGENTS)
    {
        Op::Workflow
    } else {
        op
    };
    let trace_meta = ctx.map(|c| c.meta.clone()).unwrap_or_default();
    let named = |want: Op| (op == want && !name.is_empty()).then(|| name.clone());
    let prompt = m.prompt.clone().or_else(|| {
        let n = scalar(o.prompt_name)?;
        Some(match scalar(o.prompt_version) {
            Some(v) => format!("{n}@{v}").into(),
            None => n,
        })
    });
    let usage = object::<UsageJ>(o.usage_details).or_else(|| object(o.usage));
    let tokens = |a: Option<&RawValue>, b: Option<&RawValue>| {
        a.and_then(whole).or_else(|| b.and_then(whole))
    };
    let (input_tokens, output_tokens) = match &usage {
        Some(u) => (
            tokens(u.input, u.prompt_tokens),
            tokens(u.output, u.completion_tokens),
        ),
        None => (None, None),
    };
    let cost_usd = object::<CostJ>(o.cost_details)
        .and_then(|c| c.total)
        .and_then(number)
        .or_else(|| o.calculated_total_cost.and_then(number))
        .or_else(|| o.total_cost.and_then(number));
    let error = o
        .level
        .and_then(text)
        .is_some_and(|l| l.eq_ignore_ascii_case("ERROR"));
    Some(SpanRec {
        trace,
        id,
        parent,
        op,
        agent: m.agent.clone().or_else(|| named(Op::Agent)),
        tool: m.tool.clone().or_else(|| named(Op::Tool)),
        server: None,
        request_model: m.request_model.clone(),
        response_model: m.response_model.clone().or_else(|| {
            if op == Op::Chat {
                scalar(o.model)
            } else {
                None
            }
        }),
        provider: m.provider.clone(),
        prompt,
        case: m.case.clone().or(trace_meta.case),
        lock_root: m.lock_root.clone().or(trace_meta.lock_root),
        call_id: m.call_id.clone(),
        requested: Vec::new(),
        name,
        start_ns,
        end_ns,
        error,
        input_tokens,
        output_tokens,
        cost_usd,
        at,
    })
}

#[cfg(test)]
mod tests {
    use super::super::{Format, Limits, Outcome, check, hashed, read_bytes};
    use super::iso_nanos;
    use crate::traces::{Op, SpanRec, Trace};

    const TRACE: &str = include_str!("../../../tests/fixtures/traces/read/langfuse_trace.json");
    const LIST: &str = include_str!("../../../tests/fixtures/traces/read/langfuse_list.json");

    fn read(text: &str) -> (Vec<Trace>, Outcome) {
        let (t, o) = read_bytes(&[text.as_bytes()], &Limits::default());
        check(&[text.as_bytes()], &t, &o);
        (t, o)
    }

    fn named<'t>(t: &'t [Trace], name: &str) -> &'t SpanRec {
        t.iter()
            .flat_map(|t| &t.spans)
            .find(|s| &*s.name == name)
            .unwrap()
    }

    fn secs(date: &str) -> u64 {
        crate::date::parse_date(date).unwrap() as u64 * 86_400 * 1_000_000_000
    }

    #[test]
    fn iso_8601_times() {
        assert_eq!(iso_nanos("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(iso_nanos("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(
            iso_nanos("1970-01-01T00:00:00-0130"),
            Some(5_400_000_000_000)
        );
        assert_eq!(iso_nanos("1970-01-01 00:00:01.5"), Some(1_500_000_000));
        assert_eq!(
            iso_nanos("1970-01-01T00:00:00.123456789123Z"),
            Some(123_456_789)
        );
        assert_eq!(
            iso_nanos("2025-03-01T10:00:00.250Z"),
            Some(secs("2025-03-01") + 36_000_250_000_000)
        );
        for bad in [
            "2025-03-01",
            "2025-13-01T00:00:00Z",
            "2025-02-30T00:00:00Z",
            "2025-03-01T24:00:00Z",
            "2025-03-01T10:00:00.Z",
            "2025-03-01T10:00:00Zjunk",
            "2025-03-01T10:00:00+1",
            "1969-12-31T23:59:59Z",
            "2025-03-01T1O:00:00Z",
            "2025-03-01T10:00:00ü",
        ] {
            assert_eq!(iso_nanos(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_openai_agents_sdk_trace_openinference_exports_as_an_agent_is_the_workflow() {
        let scope = r#""scope": {"name": "openinference.instrumentation.openai_agents", "version": "1.3.0"}"#;
        let text = format!(
            r#"{{"trace": {{"id": "t1", "name": "Agent workflow"}}, "observations": [
  {{"id": "e5a76f27f51ad40e", "traceId": "t1", "type": "AGENT", "name": "Agent workflow", "startTime": "2025-09-30T09:03:59.962Z", "endTime": "2025-09-30T09:04:02.000Z", "parentObservationId": null,
    "metadata": {{"attributes": {{"openinference.span.kind": "AGENT"}}, {scope}}}}},
  {{"id": "d950b668796240b5", "traceId": "t1", "type": "AGENT", "name": "Hello world", "startTime": "2025-09-30T09:04:00.000Z", "endTime": "2025-09-30T09:04:01.000Z", "parentObservationId": "e5a76f27f51ad40e",
    "metadata": {{"attributes": {{"graph.node.id": "Hello world", "openinference.span.kind": "AGENT"}}, {scope}}}}},
  {{"id": "5b99c3e3411ed17b", "traceId": "t1", "type": "AGENT", "name": "Other SDK", "startTime": "2025-09-30T09:04:00.000Z", "parentObservationId": "e5a76f27f51ad40e",
    "metadata": {{"attributes": {{"openinference.span.kind": "AGENT"}}, "scope": {{"name": "openinference.instrumentation.langchain"}}}}}}
]}}"#
        );
        let (t, o) = read(&text);
        assert!(o.problems.is_empty(), "{:#?}", o.problems);
        assert_eq!(named(&t, "Agent workflow").op, Op::Workflow);
        assert_eq!(named(&t, "Hello world").op, Op::Agent);
        // another instrumentation's agent span without a graph node is still an agent
        assert_eq!(named(&t, "Other SDK").op, Op::Agent);
    }

    #[test]
    fn a_downloaded_trace() {
        let (t, o) = read(TRACE);
        assert!(o.problems.is_empty(), "{:#?}", o.problems);
        assert_eq!(o.format[0].1, Format::Langfuse);
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].id, hashed("trace-7f3c", 16));
        let agent = named(&t, "writer");
        assert_eq!(
            (agent.op, agent.agent.as_deref(), agent.parent),
            (Op::Agent, Some("writer"), None)
        );
        assert_eq!(agent.id, hashed("obs-agent", 8) as u64);
        assert_eq!(agent.case.as_deref(), Some("hp-002"));
        assert_eq!(agent.lock_root.as_deref(), Some("sha256:3333"));
        assert_eq!(agent.duration_ms(), 2500.0);
        let generation = named(&t, "draft");
        assert_eq!(generation.op, Op::Chat);
        assert_eq!(generation.parent, Some(agent.id));
        assert_eq!(
            generation.response_model.as_deref(),
            Some("claude-sonnet-4-20250514")
        );
        assert_eq!(generation.prompt.as_deref(), Some("writer@3"));
        assert_eq!(
            (generation.input_tokens, generation.output_tokens),
            (Some(310), Some(95))
        );
        assert_eq!(generation.cost_usd, Some(0.003));
        assert!(!generation.error);
        let tool = named(&t, "search_docs");
        assert_eq!(
            (tool.op, tool.tool.as_deref()),
            (Op::Tool, Some("search_docs"))
        );
        assert!(tool.error, "level ERROR");
        assert_eq!(tool.call_id.as_deref(), Some("call_9"));
        assert_eq!(tool.start_ns, secs("2025-03-01") + 36_001_300_000_000);
        let event = named(&t, "handoff");
        assert_eq!((event.op, event.end_ns), (Op::Other, event.start_ns));
        let text = &TRACE[agent.at.start as usize..agent.at.end as usize];
        assert!(text.starts_with("{\n      \"id\": \"obs-agent\""), "{text}");
    }

    #[test]
    fn the_api_list_with_metadata_attributes() {
        let (t, o) = read(LIST);
        assert!(o.problems.is_empty(), "{:#?}", o.problems);
        assert_eq!(o.spans, 2);
        let chain = named(&t, "flow");
        assert_eq!((chain.op, chain.case.as_deref()), (Op::Workflow, Some("7")));
        let step = named(&t, "step");
        assert_eq!(
            (step.op, step.agent.as_deref()),
            (Op::Other, Some("router"))
        );
        assert_eq!(step.lock_root.as_deref(), Some("sha256:4444"));
        assert_eq!(step.duration_ms(), 500.0);
    }

    #[test]
    fn json_lines_and_arrays_of_traces_and_observations() {
        let one = TRACE.replace('\n', " ");
        let two = one.replace("trace-7f3c", "trace-other");
        let (t, o) = read(&format!("{one}\n{two}\n"));
        assert!(o.problems.is_empty(), "{:#?}", o.problems);
        assert_eq!((t.len(), o.spans), (2, 8));
        let array = format!("[{one}, {two}]");
        let (t, _) = read(&array);
        assert_eq!(t.len(), 2);
        // observations on their own, as GET /api/public/observations lists them
        let obs = r#"{"data": [{"id": "o1", "traceId": "t9", "type": "AGENT", "name": "a", "startTime": "2025-01-01T00:00:00Z", "parentObservationId": null}], "meta": {}}"#;
        let (t, o) = read(obs);
        assert!(o.problems.is_empty(), "{:#?}", o.problems);
        assert_eq!((t[0].id, t[0].spans[0].op), (hashed("t9", 16), Op::Agent));
    }

    #[test]
    fn otel_ids_are_kept() {
        let text = r#"{"id": "5b8efff798038103d269b633813fc60c", "observations": [{"id": "00f067aa0ba902b7", "type": "SPAN", "startTime": "2025-01-01T00:00:00Z"}]}"#;
        let (t, _) = read(text);
        assert_eq!(t[0].id, 0x5b8efff798038103d269b633813fc60c);
        assert_eq!(t[0].spans[0].id, 0x00f067aa0ba902b7);
    }

    #[test]
    fn bad_observations_are_problems_and_the_rest_is_read() {
        let text = r#"{"id": "t", "observations": [
  {"id": "ok", "type": "AGENT", "name": "a", "startTime": "2025-01-01T00:00:00Z"},
  {"type": "TOOL", "startTime": "2025-01-01T00:00:00Z"},
  {"id": "b", "startTime": "yesterday"},
  {"id": "c", "startTime": "2025-01-01T00:00:00Z", "endTime": 5},
  {"id": "d", "parentObservationId": 9, "startTime": "2025-01-01T00:00:00Z"},
  {"id": "e"},
  7,
  {"id": "f", "type": "GENERATION", "startTime": "2025-01-01T00:00:00Z", "name": "g", "model": "m"}
]}"#;
        let (t, o) = read(text);
        let names: Vec<&str> = t[0].spans.iter().map(|s| &*s.name).collect();
        assert_eq!(names, vec!["a", "g"]);
        assert_eq!(o.skipped, 6);
        let msg = |m: &str| {
            o.problems
                .iter()
                .find(|p| p.message.contains(m))
                .unwrap_or_else(|| panic!("{m}: {:#?}", o.problems))
        };
        let p = msg("has no `id`");
        assert!(text[p.span.start as usize..].starts_with("{\"type\": \"TOOL\""));
        let p = msg("`startTime` is not an ISO 8601 time");
        assert_eq!(
            &text[p.span.start as usize..p.span.end as usize],
            "\"yesterday\""
        );
        msg("`endTime` is not an ISO 8601 time");
        msg("`parentObservationId` is not a string");
        msg("has no `startTime`");
        msg("an observation is a number, not an object");
        assert_eq!(t[0].spans[1].response_model.as_deref(), Some("m"));
    }

    #[test]
    fn traces_listed_by_observation_ids_say_to_fetch_them_whole() {
        let text = r#"{"data": [{"id": "t1", "observations": ["o1", "o2"]}]}"#;
        let (t, o) = read(text);
        assert!(t.is_empty());
        assert_eq!(o.skipped, 2);
        assert!(
            o.problems[0].message.contains("by id only"),
            "{}",
            o.problems[0].message
        );
        assert!(
            o.problems[0]
                .help
                .as_deref()
                .unwrap()
                .contains("/api/public/traces/{id}")
        );
    }

    #[test]
    fn values_that_are_not_traces() {
        let (_, o) =
            read("{\"observations\": 3}\n[1, \"x\"]\n{\"name\": \"n\", \"startTime\": 1}\n");
        assert_eq!(o.problems.len(), 4, "{:#?}", o.problems);
    }
}
