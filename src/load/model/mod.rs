//! The Model: everything agentlock knows about a repository, with a span for every value.
//!
//! Built by [`crate::load`] from a snapshot; read by the rules, the lockfile and (later) the diff.

pub mod agent;
pub mod crewai;
pub mod dataset;
pub mod deploy;
pub mod launch;
pub mod llm;
pub mod mcp;
pub mod prompt;
pub mod tool;

use crate::load::codeowners::Codeowners;
use crate::load::config::Config;
use crate::problem::Problem;
use crate::source::{SourceMap, Span};

pub use agent::{Agent, Topology};
pub use dataset::Dataset;
pub use deploy::Deploy;
pub use llm::{DirectModel, ModelAlias, Models};
pub use prompt::Prompt;
pub use tool::{ToolDef, ToolServer};

/// A credential found in a file. Its value is not kept: [`crate::secrets::known`] holds it, to
/// scrub it from every output.
#[derive(Clone)]
pub struct Secret {
    pub span: Span,
    pub detector: &'static crate::secrets::Detector,
    /// First 16 hex digits of the SHA-256 of the value: how a policy allows a known one.
    pub fingerprint: String,
    /// What may be shown: a public prefix, `…`, at most the last 4 characters.
    pub redacted: String,
    /// Whether it is in the file's name (its path), not in its text: the span is then the
    /// start of the file.
    pub in_name: bool,
}

impl Secret {
    /// Records the value with [`crate::secrets::known`] too: from here on no output of this
    /// process can show it.
    pub fn new(span: Span, detector: &'static crate::secrets::Detector, value: &str) -> Self {
        let redacted = crate::secrets::redact(detector, value);
        crate::secrets::known::remember(value, &redacted);
        Secret {
            span,
            detector,
            fingerprint: crate::secrets::fingerprint(value),
            redacted,
            in_name: false,
        }
    }

    /// A credential in the path of a file.
    pub fn in_name(
        file: crate::source::FileId,
        detector: &'static crate::secrets::Detector,
        value: &str,
    ) -> Self {
        Secret {
            in_name: true,
            ..Secret::new(Span::file_start(file), detector, value)
        }
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Secret")
            .field("span", &self.span)
            .field("detector", &self.detector.id)
            .field("fingerprint", &self.fingerprint)
            .field("redacted", &self.redacted)
            .finish()
    }
}

pub use crate::source::Sp;

#[derive(Debug)]
pub struct Model {
    pub sources: SourceMap,
    pub config: Config,
    pub prompts: Vec<Prompt>,
    /// The agent topologies: agentlock's agents.yaml, or the crews a repository holds (each
    /// checked and locked on its own).
    pub topologies: Vec<Topology>,
    pub tools: Vec<ToolServer>,
    pub models: Option<Models>,
    pub deploy: Option<Deploy>,
    pub datasets: Vec<Dataset>,
    /// Credentials found in the model's files (SECRET001, SECRET002). Their bytes are masked
    /// in `sources`.
    pub secrets: Vec<Secret>,
    /// Inline `agentlock: allow CODE -- reason` comments, in file order.
    pub suppressions: Vec<crate::load::suppress::Suppression>,
    /// The CODEOWNERS file GitHub would use, if any (the first of `.github/`, root, `docs/`).
    pub codeowners: Option<Codeowners>,
    /// The Rego policy files `[policy] rego` names, in path order, with what each declares.
    pub rego: Vec<(crate::source::FileId, crate::load::rego::Declared)>,
    /// CONF001 findings from loading.
    pub problems: Vec<Problem>,
    /// Which kinds of file failed to load: rules that would report a missing reference into
    /// them stay quiet, since CONF001 already says what is wrong.
    pub incomplete: Incomplete,
    /// The globs the configuration sets that match no file (CONF002).
    pub unmatched: Vec<Unmatched>,
    /// Agents and tool servers by name, built on the first lookup ([`Model::agent`],
    /// [`Model::tool_server`]): rules look thousands of references up.
    names: std::sync::OnceLock<Names>,
}

/// A glob the configuration sets that matches no file in the repository.
#[derive(Clone, Debug)]
pub struct Unmatched {
    pub glob: crate::load::config::SetGlob,
    /// The directory it starts from, when nothing at all is below it (`Prompts/` where the
    /// repository has `prompts/`).
    pub empty_start: Option<String>,
}

/// Where each agent and tool server is, by name (the first of a name).
#[derive(Debug, Default)]
struct Names {
    /// (topology, agent) by agent name.
    agents: std::collections::HashMap<String, (usize, usize)>,
    agent_count: usize,
    tools: std::collections::HashMap<String, usize>,
    tool_count: usize,
    /// Prompts by `name@version` (or name), each id's in file order.
    prompts: std::collections::HashMap<String, Vec<usize>>,
    prompt_count: usize,
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
    /// A golden dataset file could not be read (which kind it held is not known).
    pub datasets: bool,
}

impl Model {
    /// An empty model over a configuration: what loading fills in.
    pub fn new(sources: SourceMap, config: Config) -> Model {
        Model {
            sources,
            config,
            prompts: Vec::new(),
            topologies: Vec::new(),
            tools: Vec::new(),
            models: None,
            deploy: None,
            datasets: Vec::new(),
            codeowners: None,
            suppressions: Vec::new(),
            secrets: Vec::new(),
            problems: Vec::new(),
            rego: Vec::new(),
            incomplete: Default::default(),
            unmatched: Vec::new(),
            names: Default::default(),
        }
    }

    /// The organisation rules of the Rego policies (`deny`, `warn`, `violation`).
    pub fn org_rules(&self) -> Vec<crate::load::rego::OrgRule<'_>> {
        crate::load::rego::rules(&self.rego, |f| self.sources.get(f).path.as_str(), false)
    }

    /// `builtin` (agentlock's rules) and every code the organisation rules declare: the rules a
    /// policy of this model may name.
    pub fn catalog(
        &self,
        builtin: &[&'static crate::finding::Meta],
    ) -> Vec<&'static crate::finding::Meta> {
        let mut out = builtin.to_vec();
        for r in self.org_rules() {
            for code in r.codes() {
                if !out.iter().any(|m| m.code.eq_ignore_ascii_case(&code)) {
                    out.push(r.meta(&code));
                }
            }
        }
        out
    }

    /// `text` with every credential found replaced by its redacted form (those of this model
    /// and any other this process loaded: a superset is never less safe).
    pub fn scrub_text(&self, text: &str) -> String {
        if self.secrets.is_empty() {
            return text.to_string();
        }
        crate::secrets::known::scrub(text).into_owned()
    }

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
            match crate::load::read::key_span(node, key) {
                Some(k) => {
                    span = k;
                    node = node.get(key).expect("the key exists");
                }
                None => break,
            }
        }
        span
    }

    /// Every agent of every topology.
    pub fn agents(&self) -> impl Iterator<Item = &Agent> {
        self.topologies.iter().flat_map(|t| &t.agents)
    }

    pub fn agent(&self, name: &str) -> Option<&Agent> {
        let n = self.names();
        if n.agent_count
            != self
                .topologies
                .iter()
                .map(|t| t.agents.len())
                .sum::<usize>()
        {
            // changed since the index was built (only a test does that): look it up by walking
            return self.agents().find(|a| a.name.value == name);
        }
        let &(t, a) = n.agents.get(name)?;
        Some(&self.topologies[t].agents[a])
    }

    /// The prompts of an id (`name@version`, or the name of an unversioned prompt), in file
    /// order.
    pub fn prompts_with_id<'m>(&'m self, id: &'m str) -> Box<dyn Iterator<Item = &'m Prompt> + 'm> {
        let n = self.names();
        if n.prompt_count != self.prompts.len() {
            return Box::new(self.prompts.iter().filter(move |p| p.id() == id));
        }
        let found = n.prompts.get(id).map_or(&[][..], Vec::as_slice);
        Box::new(found.iter().map(|&i| &self.prompts[i]))
    }

    /// Forgets the index of names (after agents, servers or prompts were added): the next lookup
    /// builds it again.
    pub fn reindex(&mut self) {
        self.names = std::sync::OnceLock::new();
    }

    /// The index of names, built once.
    fn names(&self) -> &Names {
        self.names.get_or_init(|| {
            let mut n = Names::default();
            for (t, topo) in self.topologies.iter().enumerate() {
                for (a, agent) in topo.agents.iter().enumerate() {
                    n.agents.entry(agent.name.value.clone()).or_insert((t, a));
                    n.agent_count += 1;
                }
            }
            for (i, s) in self.tools.iter().enumerate() {
                n.tools.entry(s.server.value.clone()).or_insert(i);
            }
            n.tool_count = self.tools.len();
            for (i, p) in self.prompts.iter().enumerate() {
                n.prompts.entry(p.id()).or_default().push(i);
            }
            n.prompt_count = self.prompts.len();
            n
        })
    }

    pub fn model_alias(&self, alias: &str) -> Option<&ModelAlias> {
        self.models
            .as_ref()?
            .aliases
            .iter()
            .find(|m| m.alias.value == alias)
    }

    pub fn tool_server(&self, server: &str) -> Option<&ToolServer> {
        let n = self.names();
        if n.tool_count != self.tools.len() {
            return self.tools.iter().find(|t| t.server.value == server);
        }
        n.tools.get(server).map(|&i| &self.tools[i])
    }
}
