//! The Model: everything agentlock knows about a repository, with a span for every value.
//!
//! Built by [`crate::load`] from a snapshot; read by the rules, the lockfile and (later) the diff.

pub mod agent;
pub mod dataset;
pub mod deploy;
pub mod llm;
pub mod prompt;
pub mod read;
pub mod tool;

use crate::codeowners::Codeowners;
use crate::config::Config;
use crate::finding::Finding;
use crate::source::{SourceMap, Span};

pub use agent::{Agent, Handoff, Topology};
pub use dataset::Dataset;
pub use deploy::Deploy;
pub use llm::{ModelAlias, Models};
pub use prompt::Prompt;
pub use tool::{ToolDef, ToolServer};

/// A value with the span it was read from.
#[derive(Clone, Debug)]
pub struct Sp<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Sp<T> {
    pub fn new(value: T, span: Span) -> Self {
        Sp { value, span }
    }
}

#[derive(Debug)]
pub struct Model {
    pub sources: SourceMap,
    pub config: Config,
    pub prompts: Vec<Prompt>,
    pub topology: Option<Topology>,
    pub tools: Vec<ToolServer>,
    pub models: Option<Models>,
    pub deploy: Option<Deploy>,
    pub datasets: Vec<Dataset>,
    /// Inline `agentlock: allow CODE -- reason` comments, in file order.
    pub suppressions: Vec<crate::suppress::Suppression>,
    /// The CODEOWNERS file GitHub would use, if any (the first of `.github/`, root, `docs/`).
    pub codeowners: Option<Codeowners>,
    /// CONF001 findings from loading.
    pub problems: Vec<Finding>,
    /// Which kinds of file failed to load: rules that would report a missing reference into
    /// them stay quiet, since CONF001 already says what is wrong.
    pub incomplete: Incomplete,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct Incomplete {
    pub prompts: bool,
    pub agents: bool,
    pub tools: bool,
    pub models: bool,
    pub deploy: bool,
    /// The CODEOWNERS file exists but could not be read.
    pub codeowners: bool,
}

impl Model {
    /// The node at a dotted path of deploy.yaml, such as `runtime.kill_switch.flag`.
    pub fn deploy_value(&self, path: &str) -> Option<&crate::node::Node> {
        self.deploy.as_ref()?.get(path)
    }

    /// Where a finding about a deploy.yaml setting points: the value if it is there, else the
    /// key of its nearest ancestor that is, else the start of deploy.yaml, else the project name
    /// in agentlock.toml (there is no deploy.yaml).
    pub fn deploy_span(&self, path: &str) -> Span {
        let Some(d) = &self.deploy else {
            return self.config.name.span;
        };
        if let Some(n) = d.get(path) {
            return n.span;
        }
        let mut node = &d.root;
        let mut span = Span::file_start(d.file);
        for key in path.split('.') {
            match read::key_span(node, key) {
                Some(k) => {
                    span = k;
                    node = node.get(key).expect("the key exists");
                }
                None => break,
            }
        }
        span
    }

    pub fn agents(&self) -> &[Agent] {
        self.topology.as_ref().map_or(&[], |t| &t.agents)
    }

    pub fn agent(&self, name: &str) -> Option<&Agent> {
        self.agents().iter().find(|a| a.name.value == name)
    }

    pub fn model_alias(&self, alias: &str) -> Option<&ModelAlias> {
        self.models
            .as_ref()?
            .aliases
            .iter()
            .find(|m| m.alias.value == alias)
    }

    pub fn tool_server(&self, server: &str) -> Option<&ToolServer> {
        self.tools.iter().find(|t| t.server.value == server)
    }
}
