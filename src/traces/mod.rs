//! Traces: what a release's agents really did in production, held against what it declares.
//!
//! `read/` turns exported traces (OTLP/JSON as the Collector's file exporter writes it, one
//! `ExportTraceServiceRequest` a line or one document; Langfuse's trace export) into [`SpanRec`]s,
//! streaming, several files in parallel, and groups them into [`Trace`]s, each handed on as soon
//! as it is complete, so memory is bounded by the traces still open, not by the files.
//! `shape.rs` reads a trace's agent path (handoffs in both shapes real instrumentations write);
//! `summary.rs` accumulates the per-agent and per-tool figures. The TRACE rules
//! (`rules/traces.rs`) check each trace against the model.

pub mod read;
pub mod shape;
pub mod summary;

use crate::source::Span;

/// What a span does, from `gen_ai.operation.name` (or Langfuse's observation `type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// `invoke_agent`, `create_agent` (Langfuse: AGENT).
    Agent,
    /// `execute_tool`, or an MCP `tools/call` span (Langfuse: TOOL).
    Tool,
    /// `chat`, `text_completion`, `generate_content` (Langfuse: GENERATION).
    Chat,
    /// `invoke_workflow` (Langfuse: CHAIN).
    Workflow,
    /// Anything else (`embeddings`, `retrieval`, an HTTP span, …).
    Other,
}

/// One span, as agentlock reads it: the attributes the rules look at, nothing else.
#[derive(Clone, Debug, PartialEq)]
pub struct SpanRec {
    /// The trace id (OTLP: 16 bytes, hex; Langfuse: the trace id string hashed).
    pub trace: u128,
    /// The span id (OTLP: 8 bytes, hex; Langfuse: the observation id hashed). Never 0.
    pub id: u64,
    /// The parent span id; `None` for a root span.
    pub parent: Option<u64>,
    pub op: Op,
    /// The span's name.
    pub name: Box<str>,
    /// `gen_ai.agent.name` (Langfuse: an AGENT observation's `name`).
    pub agent: Option<Box<str>>,
    /// `gen_ai.tool.name` (or the MCP `tools/call` target; Langfuse: a TOOL observation's `name`).
    pub tool: Option<Box<str>>,
    /// The MCP server, when the span says it (`mcp.server.name`, `server.address` of an MCP
    /// span); tools are matched as `server.tool` or, when unique, by the bare name.
    pub server: Option<Box<str>>,
    /// `gen_ai.request.model`.
    pub request_model: Option<Box<str>>,
    /// `gen_ai.response.model` (Langfuse: a GENERATION's `model`).
    pub response_model: Option<Box<str>>,
    /// `gen_ai.provider.name` (or the deprecated `gen_ai.system`).
    pub provider: Option<Box<str>>,
    /// `agentlock.prompt` (`name@version`; Langfuse: `promptName@promptVersion`).
    pub prompt: Option<Box<str>>,
    /// `agentlock.case`: the golden case a test run of the trace was for (TRACE012).
    pub case: Option<Box<str>>,
    /// `agentlock.lock.root` of the span's resource: which release produced it (TRACE009).
    pub lock_root: Option<Box<str>>,
    /// `gen_ai.tool.call.id`: attempts of one call share it (TRACE007).
    pub call_id: Option<Box<str>>,
    /// The tool calls a model call asked for (the `tool_call` parts of its
    /// `gen_ai.output.messages`): each should be followed by a tool span (TRACE010).
    pub requested: Vec<Requested>,
    pub start_ns: u64,
    pub end_ns: u64,
    /// Status code ERROR (Langfuse: level ERROR), or an `error.type` attribute.
    pub error: bool,
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    /// Cost in US dollars, when the span says it (Langfuse `costDetails.total`).
    pub cost_usd: Option<f64>,
    /// Where the span is written: the trace file and the span object's bytes in it.
    pub at: Span,
}

/// A tool call a model asked for: a `tool_call` part of `gen_ai.output.messages`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requested {
    pub name: Box<str>,
    /// The call id, which the tool span's `gen_ai.tool.call.id` repeats.
    pub id: Option<Box<str>>,
}

impl SpanRec {
    /// The span's own time in milliseconds (0 when the end is before the start).
    pub fn duration_ms(&self) -> f64 {
        self.end_ns.saturating_sub(self.start_ns) as f64 / 1e6
    }
}

/// Every span of one trace, in the order they were read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Trace {
    pub id: u128,
    pub spans: Vec<SpanRec>,
}

impl Trace {
    /// The trace id as OTLP writes it: 32 hex digits.
    pub fn hex(&self) -> String {
        format!("{:032x}", self.id)
    }
}

/// Why a tool span names no declared tool.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ToolMiss {
    /// The span has no tool name.
    Unnamed,
    /// No manifest declares a tool of that name.
    Unknown(String),
    /// Several servers declare a tool of that bare name, and the span does not say which.
    Ambiguous(String, Vec<String>),
}

/// The declared tool a tool span called, as `server.tool`: from the span's server and tool,
/// a `server.tool` (or Claude Code's `mcp__server__tool`) name, or a bare name that exactly
/// one manifest declares.
pub fn resolve_tool(model: &crate::load::model::Model, s: &SpanRec) -> Result<String, ToolMiss> {
    let Some(tool) = s.tool.as_deref().filter(|t| !t.is_empty()) else {
        return Err(ToolMiss::Unnamed);
    };
    let declares = |server: &str, tool: &str| {
        model
            .tool_server(server)
            .is_some_and(|m| m.tools.iter().any(|d| d.name.value == tool))
    };
    if let Some(server) = s.server.as_deref()
        && declares(server, tool)
    {
        return Ok(format!("{server}.{tool}"));
    }
    let split = tool
        .strip_prefix("mcp__")
        .and_then(|t| t.split_once("__"))
        .or_else(|| tool.split_once('.'));
    if let Some((server, name)) = split
        && declares(server, name)
    {
        return Ok(format!("{server}.{name}"));
    }
    let servers: Vec<String> = model
        .tools
        .iter()
        .filter(|m| m.tools.iter().any(|d| d.name.value == tool))
        .map(|m| m.server.value.clone())
        .collect();
    match servers.as_slice() {
        [one] => Ok(format!("{one}.{tool}")),
        [] => Err(ToolMiss::Unknown(tool.to_string())),
        _ => Err(ToolMiss::Ambiguous(tool.to_string(), servers)),
    }
}

/// One trace as the TRACE rules see it.
pub struct View<'a> {
    pub shape: shape::Shape<'a>,
    /// The root digest of the current lock.
    pub current_root: &'a str,
}

/// Whether a lock root is a `sha256:` digest. `agentlock.lock.root` is free text and could hold
/// anything: only a digest is ever quoted.
pub fn is_digest(root: &str) -> bool {
    root.strip_prefix("sha256:")
        .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}
