//! Model ids: which ones are pinned snapshots, which float, and when providers retire them.
//!
//! Two sources of truth, in this order: the curated registry in `policy/models.toml` (embedded
//! in the binary, hashed into the lockfile), then each provider's naming rules. [`classify`] is
//! pure: no network, no clock; the rules compare registry dates with the policy's `today`.

use serde::Deserialize;
use std::collections::HashMap;
use std::sync::OnceLock;

const REGISTRY_TOML: &str = include_str!("../policy/models.toml");

/// SHA-256 (hex) of the embedded registry: the lockfile records which facts a check used.
pub fn registry_sha256() -> String {
    crate::digest::sha256_hex(REGISTRY_TOML.as_bytes())
}

/// The embedded registry, parsed once.
pub fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        Registry::parse(REGISTRY_TOML).unwrap_or_else(|e| {
            panic!("policy/models.toml is invalid (a unit test checks it): {e}")
        })
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Provider {
    OpenAi,
    Anthropic,
    /// The Gemini API (Google AI Studio).
    Google,
    /// Vertex AI on Google Cloud.
    Vertex,
    Bedrock,
    Azure,
}

impl Provider {
    /// The registry's name for the provider.
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::OpenAi => "openai",
            Provider::Anthropic => "anthropic",
            Provider::Google => "google",
            Provider::Vertex => "vertex",
            Provider::Bedrock => "bedrock",
            Provider::Azure => "azure",
        }
    }

    /// The name people know the provider by, for messages.
    pub fn display(self) -> &'static str {
        match self {
            Provider::OpenAi => "OpenAI",
            Provider::Anthropic => "Anthropic",
            Provider::Google => "Google",
            Provider::Vertex => "Vertex AI",
            Provider::Bedrock => "Amazon Bedrock",
            Provider::Azure => "Azure OpenAI",
        }
    }

    /// Reads a `provider:` value as written in models.yaml or a framework config.
    pub fn parse(s: &str) -> Option<Provider> {
        let key: String = s
            .trim()
            .chars()
            .filter(|c| !matches!(c, '-' | '_' | ' ' | '.'))
            .collect::<String>()
            .to_ascii_lowercase();
        Some(match key.as_str() {
            "openai" => Provider::OpenAi,
            "anthropic" | "claude" => Provider::Anthropic,
            "google" | "gemini" | "googleai" | "googlegenai" | "geminiapi" | "aistudio" => {
                Provider::Google
            }
            "vertex" | "vertexai" | "googlevertex" | "googlevertexai" | "gcp" => Provider::Vertex,
            "bedrock" | "awsbedrock" | "amazonbedrock" | "aws" => Provider::Bedrock,
            "azure" | "azureopenai" | "azureai" | "azurefoundry" => Provider::Azure,
            _ => return None,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Names one fixed model.
    Pinned,
    /// A name the provider re-points to newer snapshots.
    Alias,
    /// Fixed, but short-lived: retired at short notice.
    Preview,
}

/// One id in the registry.
#[derive(Clone, Debug)]
pub struct Entry {
    pub provider: Provider,
    pub id: String,
    pub status: Status,
    /// For an alias: the snapshot it points to today, when the provider says so.
    pub alias_of: Option<String>,
    /// The day the provider stops serving the id (days since 1970-01-01).
    pub retired: Option<i64>,
    /// The same date as written, `YYYY-MM-DD`.
    pub retired_text: Option<String>,
    pub source: String,
}

/// The curated registry of model ids.
#[derive(Debug)]
pub struct Registry {
    pub entries: Vec<Entry>,
    index: HashMap<(Provider, String), usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    as_of: toml::value::Datetime,
    #[serde(default)]
    model: Vec<RawEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    provider: String,
    id: String,
    status: String,
    alias_of: Option<String>,
    retired: Option<toml::value::Datetime>,
    source: String,
    /// For the file's readers only: read so that a typo in it is an error.
    #[serde(rename = "note")]
    _note: Option<String>,
}

/// A TOML value that must be a plain date: returns `YYYY-MM-DD` and its day number.
fn plain_date(d: &toml::value::Datetime) -> Option<(String, i64)> {
    if d.time.is_some() || d.offset.is_some() {
        return None;
    }
    let text = d.date?.to_string();
    let day = crate::date::parse_date(&text)?;
    Some((text, day))
}

impl Registry {
    /// Parses and checks a registry file. Errors name the entry at fault.
    pub fn parse(text: &str) -> Result<Registry, String> {
        let raw: RawFile = toml::from_str(text).map_err(|e| e.to_string())?;
        // The date the facts were last checked: validated, for the file's readers.
        plain_date(&raw.as_of).ok_or("`as_of` must be a date such as 2026-11-25")?;
        let mut entries = Vec::with_capacity(raw.model.len());
        let mut index = HashMap::new();
        for (n, r) in raw.model.into_iter().enumerate() {
            let at = format!("model #{} (`{}`)", n + 1, r.id);
            let provider = match r.provider.as_str() {
                "openai" => Provider::OpenAi,
                "anthropic" => Provider::Anthropic,
                "google" => Provider::Google,
                "vertex" => Provider::Vertex,
                "bedrock" => Provider::Bedrock,
                other => return Err(format!("{at}: unknown provider `{other}`")),
            };
            let status = match r.status.as_str() {
                "pinned" => Status::Pinned,
                "alias" => Status::Alias,
                "preview" => Status::Preview,
                other => return Err(format!("{at}: unknown status `{other}`")),
            };
            if r.id.is_empty() || r.id.chars().any(char::is_whitespace) || r.id.contains('/') {
                return Err(format!(
                    "{at}: the id must be the bare id the provider's API takes"
                ));
            }
            if r.alias_of.is_some() && status != Status::Alias {
                return Err(format!("{at}: only an alias has `alias_of`"));
            }
            if !r.source.starts_with("https://") {
                return Err(format!("{at}: `source` must be an https:// address"));
            }
            let (retired_text, retired) = match &r.retired {
                None => (None, None),
                Some(d) => {
                    let (text, day) = plain_date(d)
                        .ok_or(format!("{at}: `retired` must be a date such as 2026-06-15"))?;
                    (Some(text), Some(day))
                }
            };
            let key = (provider, r.id.to_ascii_lowercase());
            if index.insert(key, entries.len()).is_some() {
                return Err(format!("{at}: listed twice for {}", provider.as_str()));
            }
            entries.push(Entry {
                provider,
                id: r.id,
                status,
                alias_of: r.alias_of,
                retired,
                retired_text,
                source: r.source,
            });
        }
        Ok(Registry { entries, index })
    }

    /// The entry for an id at a provider. Vertex AI serves Google's models under the Gemini
    /// API's ids, so a Vertex lookup falls back to the Gemini API's entry.
    pub fn lookup(&self, provider: Provider, id: &str) -> Option<&Entry> {
        let id = id.to_ascii_lowercase();
        let find = |p: Provider| self.index.get(&(p, id.clone())).map(|&i| &self.entries[i]);
        find(provider).or_else(|| match provider {
            Provider::Vertex => find(Provider::Google),
            _ => None,
        })
    }

    /// Pinned snapshots of a family: entries of `provider` named `base` plus a version suffix
    /// made of digits and dashes (`gpt-4o` → `gpt-4o-2024-11-20`), newest first.
    pub fn snapshots_of(&self, provider: Provider, base: &str) -> Vec<&Entry> {
        let prefix = format!("{}-", base.to_ascii_lowercase());
        let mut out: Vec<&Entry> = self
            .entries
            .iter()
            .filter(|e| e.provider == provider && e.status == Status::Pinned)
            .filter(|e| {
                let id = e.id.to_ascii_lowercase();
                id.strip_prefix(&prefix).is_some_and(|rest| {
                    !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit() || c == '-')
                })
            })
            .collect();
        out.sort_by(|a, b| b.id.cmp(&a.id));
        out
    }
}

/// Whether an id names one fixed model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pinning {
    Pinned,
    /// An alias or unstable name: the model behind it can change. The string says why.
    Floating(String),
    /// Nothing in the id tells: an expression, an unknown provider or a deployment name.
    Unverifiable(String),
}

/// What [`Pinning::name`] names each pinning, in order.
pub const PINNINGS: &[&str] = &["pinned", "floating", "unverifiable"];

impl Pinning {
    /// The pinning's name in the model document: `pinned`, `floating` or `unverifiable`.
    pub fn name(&self) -> &'static str {
        match self {
            Pinning::Pinned => PINNINGS[0],
            Pinning::Floating(_) => PINNINGS[1],
            Pinning::Unverifiable(_) => PINNINGS[2],
        }
    }
}

/// Which naming rules an id follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    OpenAi,
    Claude,
    Gemini,
    Bedrock,
    Azure,
    /// GitHub Copilot's model picker labels (`GPT-4.1`, `Claude Sonnet 4`).
    Copilot,
}

/// What [`classify`] found out about one id.
#[derive(Clone, Debug)]
pub struct Classification<'r> {
    pub pinning: Pinning,
    /// The registry entry, if the registry knows the id.
    pub entry: Option<&'r Entry>,
    /// The id without routing prefixes (`openai/`), Bedrock geo prefixes (`us.`) or ARN.
    pub normalized: String,
    /// The provider, as given or inferred from the id.
    pub provider: Option<Provider>,
    pub family: Option<Family>,
    /// The id is an expression (`${VAR}`, `{{x}}`, `=Env.X`) resolved at run time.
    pub expression: bool,
    /// Something worth knowing about a pinned id (a preview is short-lived).
    pub note: Option<String>,
}

/// Classifies a model id. `provider` is the alias's `provider:` value, if any.
///
/// Order: expressions are unverifiable; routing and geo prefixes are stripped; the registry
/// decides when it knows the id; otherwise the provider's naming rules do.
pub fn classify<'r>(
    provider: Option<&str>,
    id: &str,
    registry: &'r Registry,
) -> Classification<'r> {
    let given = provider.and_then(Provider::parse);
    let mut c = Classification {
        pinning: Pinning::Pinned,
        entry: None,
        normalized: id.trim().to_string(),
        provider: given,
        family: None,
        expression: false,
        note: None,
    };
    let raw = id.trim();
    if raw.is_empty() {
        c.pinning = Pinning::Unverifiable("the id is empty".into());
        return c;
    }
    // Claude Code's aliases for a model family: each release of Claude Code moves them
    if given == Some(Provider::Anthropic)
        && ["sonnet", "opus", "haiku", "opusplan"]
            .iter()
            .any(|a| raw.eq_ignore_ascii_case(a))
    {
        c.family = Some(Family::Claude);
        c.pinning = Pinning::Floating(format!(
            "`{raw}` is Claude Code's alias for the newest {raw} model, which moves with each release"
        ));
        return c;
    }
    if provider.is_some_and(|p| p.eq_ignore_ascii_case("copilot"))
        || raw.to_ascii_lowercase().ends_with("(copilot)")
    {
        c.family = Some(Family::Copilot);
        c.pinning = Pinning::Unverifiable(
            "it is a label of GitHub Copilot's model picker: Copilot decides which snapshot answers, and a custom agent cannot pin one"
                .into(),
        );
        return c;
    }
    if is_expression(raw) {
        c.expression = true;
        c.pinning = Pinning::Unverifiable(
            "it is an expression resolved at run time, so the model it names is not in the repository"
                .into(),
        );
        return c;
    }
    let stripped = match strip(raw) {
        Ok(s) => s,
        Err(why) => {
            c.provider = given.or(Some(Provider::Bedrock));
            c.family = Some(Family::Bedrock);
            c.pinning = Pinning::Unverifiable(why);
            return c;
        }
    };
    c.normalized = stripped.id.clone();
    let lower = stripped.id.to_ascii_lowercase();
    let family = family_of(given.or(stripped.provider), &lower);
    c.provider = given.or(stripped.provider).or(family.map(|f| match f {
        Family::OpenAi => Provider::OpenAi,
        Family::Claude if lower.contains('@') => Provider::Vertex,
        Family::Claude => Provider::Anthropic,
        Family::Gemini => Provider::Google,
        Family::Bedrock => Provider::Bedrock,
        Family::Azure | Family::Copilot => Provider::Azure,
    }));
    c.family = if c.provider == Some(Provider::Azure) {
        Some(Family::Azure)
    } else {
        family
    };

    // `ollama/llama3.1`, `groq/…`: a routing prefix (LiteLLM's, CrewAI's) names a provider
    // agentlock has no naming rules for
    let routed = raw
        .split_once('/')
        .map(|(p, _)| p.to_ascii_lowercase())
        .filter(|p| OTHER_PROVIDERS.contains(&p.as_str()));
    let Some(p) = c.provider else {
        c.pinning = Pinning::Unverifiable(match (provider, routed) {
            (Some(name), _) if !name.trim().is_empty() => {
                format!(
                    "agentlock has no naming rules for provider `{}`",
                    name.trim()
                )
            }
            (_, Some(routed)) => format!(
                "the `{routed}/` prefix names {routed} as the provider, and agentlock has no naming rules for its models"
            ),
            _ => "the provider cannot be told from the id; set `provider`".into(),
        });
        return c;
    };
    if p == Provider::Azure {
        c.pinning = Pinning::Unverifiable(
            "an Azure deployment name says nothing about the model version behind it".into(),
        );
        return c;
    }

    if let Some(e) = registry.lookup(p, &lower) {
        c.entry = Some(e);
        c.pinning = match e.status {
            Status::Pinned => Pinning::Pinned,
            Status::Preview => {
                c.note = Some(PREVIEW_NOTE.into());
                Pinning::Pinned
            }
            Status::Alias => Pinning::Floating(match &e.alias_of {
                Some(target) => format!(
                    "it is an alias: {} points it at `{target}` today and moves it to newer snapshots",
                    p.display()
                ),
                None => format!(
                    "it is an alias that {} moves to newer snapshots",
                    p.display()
                ),
            }),
        };
        return c;
    }

    if lower.contains("latest") {
        c.pinning = Pinning::Floating(
            "an id with `latest` in it names whatever the provider serves today".into(),
        );
        return c;
    }
    if is_experimental(&lower) {
        c.pinning =
            Pinning::Floating("experimental models change or are withdrawn without notice".into());
        return c;
    }
    c.pinning = match c.family {
        Some(Family::OpenAi) => openai_rule(&lower),
        Some(Family::Claude) => claude_rule(&lower),
        Some(Family::Gemini) => gemini_rule(&lower, &mut c.note),
        Some(Family::Bedrock) => bedrock_rule(&lower),
        Some(Family::Azure | Family::Copilot) | None => Pinning::Unverifiable(format!(
            "it is not a model id agentlock recognises for {}",
            p.display()
        )),
    };
    c
}

/// Azure OpenAI: a deployment is pinned only when models.yaml records the model version and
/// turns automatic upgrades off, matching the deployment.
pub fn azure_pinning(model_version: Option<&str>, version_upgrade: Option<&str>) -> Pinning {
    if let Some(up) = version_upgrade
        && upgrade_key(up) != "noautoupgrade"
    {
        return Pinning::Floating(format!(
            "`version_upgrade: {}` lets Azure move the deployment to a newer model version",
            up.trim()
        ));
    }
    match (model_version.map(str::trim).filter(|v| !v.is_empty()), version_upgrade) {
        (Some(_), Some(_)) => Pinning::Pinned,
        (None, _) => Pinning::Unverifiable(
            "an Azure deployment name says nothing about the model version behind it, and `model_version` is not set"
                .into(),
        ),
        (Some(_), None) => Pinning::Unverifiable(
            "`model_version` is set, but without `version_upgrade: NoAutoUpgrade` Azure may upgrade the deployment"
                .into(),
        ),
    }
}

/// The values Azure accepts for a deployment's version upgrade option, in models.yaml spelling.
pub const AZURE_UPGRADE_OPTIONS: &[&str] = &[
    "NoAutoUpgrade",
    "OnceNewDefaultVersionAvailable",
    "OnceCurrentVersionExpired",
];

/// Whether a `version_upgrade` value is one Azure knows (case, `-` and `_` ignored).
pub fn is_azure_upgrade_option(s: &str) -> bool {
    let key = upgrade_key(s);
    AZURE_UPGRADE_OPTIONS
        .iter()
        .any(|o| o.to_ascii_lowercase() == key)
}

fn upgrade_key(s: &str) -> String {
    s.trim()
        .chars()
        .filter(|c| !matches!(c, '-' | '_' | ' '))
        .collect::<String>()
        .to_ascii_lowercase()
}

const PREVIEW_NOTE: &str =
    "a preview snapshot is fixed but short-lived: providers retire previews at short notice";

/// Whether a value is an expression or a template placeholder filled in later (`${VAR}`,
/// `{{var}}`, `<<Version>>`, `=Env.X`): nothing agentlock can verify.
/// Providers a routing prefix may name whose model ids agentlock has no rules for.
const OTHER_PROVIDERS: &[&str] = &[
    "ollama",
    "ollama_chat",
    "groq",
    "together",
    "together_ai",
    "mistral",
    "fireworks",
    "fireworks_ai",
    "deepseek",
    "openrouter",
    "huggingface",
    "cohere",
    "perplexity",
    "xai",
    "lm_studio",
    "cerebras",
    "sambanova",
    "nvidia_nim",
    "watsonx",
    "replicate",
    "anyscale",
    "deepinfra",
    "ai21",
    "voyage",
    "databricks",
    "cloudflare",
    "hosted_vllm",
    "vllm",
];

pub fn is_expression(s: &str) -> bool {
    s.contains("${")
        || s.contains("{{")
        || s.contains("$(")
        || (s.contains("<<") && s.contains(">>"))
        || s.starts_with('=')
        || s.starts_with("os.environ/")
        || s.starts_with("%(")
        // `$VERSION`, whole or as a part: `image:$VERSION`, `pkg@$VERSION`, `azure/$DEPLOYMENT`
        || s.split([':', '@', '/', '=']).any(|part| {
            part.strip_prefix('$')
                .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_'))
        })
}

/// `-exp`, `-exp-0827`, `exp-1206` or `experimental` as a dash-separated segment.
fn is_experimental(s: &str) -> bool {
    s.split(['-', '@', ':']).any(|seg| {
        seg == "experimental"
            || seg
                .strip_prefix("exp")
                .is_some_and(|r| r.chars().all(|c| c.is_ascii_digit()))
    })
}

struct Stripped {
    id: String,
    provider: Option<Provider>,
}

const ROUTING_PREFIXES: &[(&str, Option<Provider>)] = &[
    ("openai/", Some(Provider::OpenAi)),
    ("anthropic/", Some(Provider::Anthropic)),
    ("googleai/", Some(Provider::Google)),
    ("google_ai/", Some(Provider::Google)),
    ("google/", Some(Provider::Google)),
    ("gemini/", Some(Provider::Google)),
    ("vertex_ai/", Some(Provider::Vertex)),
    ("vertexai/", Some(Provider::Vertex)),
    ("vertex/", Some(Provider::Vertex)),
    ("bedrock/", Some(Provider::Bedrock)),
    ("azure/", Some(Provider::Azure)),
    ("azure_ai/", Some(Provider::Azure)),
    ("openrouter/", None),
    ("models/", None),
    ("converse/", None),
    ("invoke/", None),
];

const BEDROCK_GEO: &[&str] = &[
    "us.", "eu.", "apac.", "global.", "us-gov.", "jp.", "au.", "ca.",
];

const BEDROCK_VENDORS: &[&str] = &[
    "anthropic",
    "amazon",
    "meta",
    "mistral",
    "cohere",
    "ai21",
    "deepseek",
    "openai",
    "qwen",
    "writer",
    "stability",
    "twelvelabs",
    "luma",
    "nvidia",
    "minimax",
    "moonshot",
    "moonshotai",
    "google",
];

/// Removes routing prefixes, a Vertex resource path, a Bedrock ARN and a Bedrock geo prefix.
/// An ARN that names a deployment rather than a model is an error (the reason).
fn strip(raw: &str) -> Result<Stripped, String> {
    let mut id = raw.to_string();
    let mut provider = None;
    if id.to_ascii_lowercase().starts_with("arn:") {
        provider = Some(Provider::Bedrock);
        let lower = id.to_ascii_lowercase();
        let at = [":foundation-model/", ":inference-profile/"]
            .iter()
            .find_map(|k| lower.find(k).map(|i| i + k.len()));
        match at {
            Some(i) => id = id[i..].to_string(),
            None => {
                return Err(
                    "this Bedrock ARN names a deployment (a provisioned, custom or application profile), not a model version"
                        .into(),
                );
            }
        }
    }
    if let Some(i) = id.to_ascii_lowercase().find("publishers/") {
        // projects/P/locations/L/publishers/google/models/gemini-2.5-pro
        if let Some(j) = id[i..].to_ascii_lowercase().find("/models/") {
            id = id[i + j + "/models/".len()..].to_string();
            provider = Some(Provider::Vertex);
        }
    }
    loop {
        let lower = id.to_ascii_lowercase();
        let Some((prefix, p)) = ROUTING_PREFIXES
            .iter()
            .find(|(prefix, _)| lower.starts_with(prefix))
        else {
            break;
        };
        id = id[prefix.len()..].to_string();
        if provider.is_none() {
            provider = *p;
        }
    }
    let lower = id.to_ascii_lowercase();
    if let Some(geo) = BEDROCK_GEO.iter().find(|g| lower.starts_with(**g))
        && bedrock_vendor(&lower[geo.len()..]).is_some()
    {
        id = id[geo.len()..].to_string();
        provider = provider.or(Some(Provider::Bedrock));
    }
    Ok(Stripped { id, provider })
}

fn bedrock_vendor(lower: &str) -> Option<&'static str> {
    let (vendor, rest) = lower.split_once('.')?;
    if rest.is_empty() {
        return None;
    }
    BEDROCK_VENDORS.iter().copied().find(|v| *v == vendor)
}

fn looks_openai(s: &str) -> bool {
    let o_series = s.strip_prefix('o').is_some_and(|r| {
        let digits = r.chars().take_while(char::is_ascii_digit).count();
        digits > 0 && matches!(r[digits..].chars().next(), None | Some('-'))
    });
    o_series
        || [
            "gpt-",
            "chatgpt-",
            "ft:",
            "davinci",
            "babbage",
            "text-davinci",
            "codex-",
        ]
        .iter()
        .any(|p| s.starts_with(p))
}

fn family_of(provider: Option<Provider>, lower: &str) -> Option<Family> {
    if bedrock_vendor(lower).is_some() {
        return Some(Family::Bedrock);
    }
    if lower.starts_with("claude") {
        return Some(Family::Claude);
    }
    if lower.starts_with("gemini") {
        return Some(Family::Gemini);
    }
    if looks_openai(lower) {
        return Some(Family::OpenAi);
    }
    match provider? {
        Provider::OpenAi => Some(Family::OpenAi),
        Provider::Anthropic => Some(Family::Claude),
        Provider::Google | Provider::Vertex => Some(Family::Gemini),
        Provider::Bedrock => Some(Family::Bedrock),
        Provider::Azure => Some(Family::Azure),
    }
}

fn all_digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

/// `YYYYMMDD` that is a real date.
fn is_compact_date(s: &str) -> bool {
    all_digits(s, 8)
        && crate::date::parse_date(&format!("{}-{}-{}", &s[..4], &s[4..6], &s[6..])).is_some()
}

/// Ends in `-YYYY-MM-DD` that is a real date.
fn ends_with_iso_date(s: &str) -> bool {
    s.len() > 11
        && s.as_bytes()[s.len() - 11] == b'-'
        && crate::date::parse_date(&s[s.len() - 10..]).is_some()
}

/// Ends in `-MMDD` (OpenAI's legacy snapshot suffix) with a plausible month and day.
fn ends_with_mmdd(s: &str) -> bool {
    let Some((_, tail)) = s.rsplit_once('-') else {
        return false;
    };
    if !all_digits(tail, 4) {
        return false;
    }
    let month: u32 = tail[..2].parse().unwrap_or(0);
    let day: u32 = tail[2..].parse().unwrap_or(0);
    (1..=12).contains(&month) && (1..=31).contains(&day)
}

/// OpenAI's open-weight models (`gpt-oss-120b`, `openrouter/openai/gpt-oss-20b`): released once,
/// served by other hosts, not an API alias.
pub fn is_open_weights(id: &str) -> bool {
    id.rsplit('/')
        .next()
        .is_some_and(|n| n.to_ascii_lowercase().starts_with("gpt-oss"))
}

fn openai_rule(s: &str) -> Pinning {
    if s.starts_with("ft:") {
        return Pinning::Pinned; // a fine-tuned model is one trained artefact
    }
    if is_open_weights(s) {
        return Pinning::Unverifiable(
            "`gpt-oss` is OpenAI's open-weight family: the name is one release of the weights, not an alias, but which build and quantization a host serves is the host's to choose".into(),
        );
    }
    let undated_preview = s.strip_suffix("-preview").unwrap_or(s);
    if ends_with_iso_date(s) || ends_with_mmdd(undated_preview) {
        return Pinning::Pinned;
    }
    Pinning::Floating("an undated OpenAI name is an alias that moves to newer snapshots".into())
}

/// A Claude version: (major, minor), and whether the id is in the 4.6+ `claude-{name}-{major}`
/// form (name first).
fn claude_version(s: &str) -> Option<((u32, u32), bool)> {
    let rest = s.strip_prefix("claude-")?;
    let segs: Vec<&str> = rest.split('-').collect();
    let num = |x: &str| {
        x.parse::<u32>()
            .ok()
            .filter(|_| all_digits(x, x.len()) && x.len() <= 2)
    };
    // claude-{name}-{major}[-{minor}]
    if segs.len() >= 2
        && segs[0].chars().all(|c| c.is_ascii_lowercase())
        && let Some(major) = num(segs[1])
    {
        return match segs.len() {
            2 => Some(((major, 0), true)),
            3 => num(segs[2]).map(|minor| ((major, minor), true)),
            _ => None,
        };
    }
    // claude-{major}[-{minor}]-{name} (the Claude 3 naming)
    let major = num(segs.first().copied()?)?;
    let (minor, name_at) = match segs.get(1).copied().and_then(num) {
        Some(m) => (m, 2),
        None => (0, 1),
    };
    let name = segs.get(name_at)?;
    (segs.len() == name_at + 1 && name.chars().all(|c| c.is_ascii_lowercase()))
        .then_some(((major, minor), false))
}

fn claude_rule(s: &str) -> Pinning {
    if let Some((_, date)) = s.split_once('@') {
        return if is_compact_date(date) {
            Pinning::Pinned
        } else {
            Pinning::Unverifiable("the part after `@` is not a snapshot date".into())
        };
    }
    if let Some((_, tail)) = s.rsplit_once('-')
        && is_compact_date(tail)
    {
        return Pinning::Pinned;
    }
    // claude-2.1, claude-instant-1.2: the first generations had one fixed model per name
    if let Some(v) = s.rsplit('-').next()
        && v.contains('.')
        && v.split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    {
        return Pinning::Pinned;
    }
    match claude_version(s) {
        Some((v, true)) if v >= (4, 6) => Pinning::Pinned,
        Some(_) => Pinning::Floating(
            "before the Claude 4.6 generation a dateless id is an alias of the newest dated snapshot"
                .into(),
        ),
        None => Pinning::Unverifiable("it is not a Claude model id agentlock recognises".into()),
    }
}

fn gemini_rule(s: &str, note: &mut Option<String>) -> Pinning {
    if let Some((_, tail)) = s.rsplit_once('-')
        && all_digits(tail, 3)
    {
        return Pinning::Pinned;
    }
    if s.contains("-preview") {
        let segs: Vec<&str> = s.rsplit('-').take(2).collect();
        let dated = segs.len() == 2
            && segs[1].len() == 2
            && segs[1].bytes().all(|b| b.is_ascii_digit())
            && (all_digits(segs[0], 2) || all_digits(segs[0], 4));
        if dated {
            *note = Some(PREVIEW_NOTE.into());
            return Pinning::Pinned;
        }
        return Pinning::Unverifiable(
            "an undated preview says nothing about which version it serves, and previews are withdrawn at short notice"
                .into(),
        );
    }
    let version = s
        .strip_prefix("gemini-")
        .and_then(|r| r.split('-').next())
        .and_then(|v| {
            let (major, minor) = v.split_once('.').unwrap_or((v, "0"));
            Some((major.parse::<u32>().ok()?, minor.parse::<u32>().ok()?))
        });
    match version {
        Some(v) if v >= (2, 5) => Pinning::Pinned,
        Some(_) => Pinning::Floating(
            "a bare Gemini 1.x or 2.0 name is an auto-updated alias of the newest stable version"
                .into(),
        ),
        None => Pinning::Unverifiable("it is not a Gemini model id agentlock recognises".into()),
    }
}

/// Ends in `-vN` or `-vN:M`.
fn has_bedrock_version(s: &str) -> bool {
    let Some((_, tail)) = s.rsplit_once("-v") else {
        return false;
    };
    let (n, m) = tail.split_once(':').unwrap_or((tail, "0"));
    !n.is_empty()
        && !m.is_empty()
        && n.bytes().all(|b| b.is_ascii_digit())
        && m.bytes().all(|b| b.is_ascii_digit())
}

fn bedrock_rule(s: &str) -> Pinning {
    if has_bedrock_version(s) {
        return Pinning::Pinned;
    }
    if let Some(model) = s.strip_prefix("anthropic.")
        && model.starts_with("claude")
    {
        // From Claude Sonnet 4.6 on, Bedrock ids drop the `-v1` suffix.
        return claude_rule(model);
    }
    Pinning::Unverifiable("a Bedrock id without a `-vN` version suffix".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions_are_told_whole_or_as_a_part() {
        for e in [
            "${VERSION}",
            "$VERSION",
            "docker.io/a/b:$VERSION",
            "pkg@$VERSION",
            "azure/$DEPLOYMENT",
            "$(cat VERSION)",
            "{{ model }}",
            "<<version>>",
            "os.environ/MODEL",
        ] {
            assert!(is_expression(e), "{e}");
        }
        for v in [
            "1.0.2",
            "docker.io/a/b:1.2",
            "gpt-4.1",
            "pkg@1.0.0",
            "a$b",
            "$1.00",
            "$",
        ] {
            assert!(!is_expression(v), "{v}");
        }
    }

    #[test]
    fn the_embedded_registry_is_valid_and_sourced() {
        let r = registry();
        assert!((40..=80).contains(&r.entries.len()), "{}", r.entries.len());
        for e in &r.entries {
            assert!(e.source.starts_with("https://"), "{}", e.id);
            if let Some(target) = &e.alias_of {
                assert!(
                    r.lookup(e.provider, target).is_some(),
                    "{} points at {target}, which the registry does not list",
                    e.id
                );
            }
        }
        assert_eq!(registry_sha256().len(), 64);
        assert!(REGISTRY_TOML.contains("[[model]]"));
    }

    #[test]
    fn registry_errors_name_the_entry() {
        let bad = [
            (
                "as_of = 2026-11-25\n[[model]]\nprovider = \"mistral\"\nid = \"x\"\nstatus = \"pinned\"\nsource = \"https://a\"\n",
                "unknown provider",
            ),
            (
                "as_of = 2026-11-25\n[[model]]\nprovider = \"openai\"\nid = \"x\"\nstatus = \"stable\"\nsource = \"https://a\"\n",
                "unknown status",
            ),
            (
                "as_of = 2026-11-25\n[[model]]\nprovider = \"openai\"\nid = \"x\"\nstatus = \"pinned\"\nalias_of = \"y\"\nsource = \"https://a\"\n",
                "only an alias",
            ),
            (
                "as_of = 2026-11-25\n[[model]]\nprovider = \"openai\"\nid = \"x\"\nstatus = \"pinned\"\nsource = \"somewhere\"\n",
                "https://",
            ),
            (
                "as_of = 2026-11-25\n[[model]]\nprovider = \"openai\"\nid = \"x\"\nstatus = \"pinned\"\nretired = 2026-02-30\nsource = \"https://a\"\n",
                "date",
            ),
            (
                "as_of = 2026-11-25\n[[model]]\nprovider = \"openai\"\nid = \"openai/x\"\nstatus = \"pinned\"\nsource = \"https://a\"\n",
                "bare id",
            ),
            (
                "as_of = 2026-11-25\n[[model]]\nprovider = \"openai\"\nid = \"x\"\nstatus = \"pinned\"\nsource = \"https://a\"\n[[model]]\nprovider = \"openai\"\nid = \"X\"\nstatus = \"pinned\"\nsource = \"https://a\"\n",
                "twice",
            ),
            (
                "as_of = 2026-11-25\n[[model]]\nprovider = \"openai\"\nid = \"x\"\nstatus = \"pinned\"\nsource = \"https://a\"\ncolour = \"red\"\n",
                "colour",
            ),
        ];
        for (text, want) in bad {
            let err = Registry::parse(text).unwrap_err();
            assert!(err.contains(want), "{want}: {err}");
        }
    }

    #[derive(Debug, PartialEq)]
    enum P {
        Pin,
        Float,
        Unver,
    }

    #[test]
    fn a_routing_prefix_names_its_provider() {
        let r = registry();
        for id in ["ollama/llama3.1", "groq/llama-3.1-70b-versatile"] {
            match classify(None, id, r).pinning {
                Pinning::Unverifiable(why) => {
                    let p = id.split('/').next().unwrap();
                    assert!(why.contains(&format!("`{p}/` prefix names {p}")), "{why}");
                }
                other => panic!("{id}: {other:?}"),
            }
        }
        assert!(
            matches!(classify(None, "llama3.1", r).pinning, Pinning::Unverifiable(w) if w.contains("set `provider`"))
        );
    }

    #[test]
    fn classifies_ids() {
        // (provider, id, expected, normalized id, registry entry expected)
        let cases: &[(Option<&str>, &str, P, &str, bool)] = &[
            // expressions
            (
                Some("openai"),
                "${MODEL_ID}",
                P::Unver,
                "${MODEL_ID}",
                false,
            ),
            (
                None,
                "${MODEL_ID:-gpt-4o-mini-2024-07-18}",
                P::Unver,
                "${MODEL_ID:-gpt-4o-mini-2024-07-18}",
                false,
            ),
            (None, "{{ model }}", P::Unver, "{{ model }}", false),
            (None, "=Env.MODEL", P::Unver, "=Env.MODEL", false),
            (None, "$MODEL", P::Unver, "$MODEL", false),
            (
                None,
                "os.environ/AZURE_MODEL",
                P::Unver,
                "os.environ/AZURE_MODEL",
                false,
            ),
            (None, "  ", P::Unver, "", false),
            // registry: pinned, alias, preview, provider-aware
            (
                Some("anthropic"),
                "claude-sonnet-4-5-20250929",
                P::Pin,
                "claude-sonnet-4-5-20250929",
                true,
            ),
            (
                Some("openai"),
                "gpt-4o-mini-2024-07-18",
                P::Pin,
                "gpt-4o-mini-2024-07-18",
                true,
            ),
            (Some("openai"), "gpt-4o", P::Float, "gpt-4o", true),
            // open weights: one release, not an alias, whoever serves it
            (
                Some("openai"),
                "gpt-oss-120b",
                P::Unver,
                "gpt-oss-120b",
                false,
            ),
            (
                None,
                "openrouter/openai/gpt-oss-20b",
                P::Unver,
                "gpt-oss-20b",
                false,
            ),
            (Some("openai"), "o3-mini", P::Float, "o3-mini", true),
            (
                Some("anthropic"),
                "claude-haiku-4-5",
                P::Float,
                "claude-haiku-4-5",
                true,
            ),
            (
                Some("google"),
                "gemini-2.5-pro-preview-06-05",
                P::Pin,
                "gemini-2.5-pro-preview-06-05",
                true,
            ),
            (
                Some("vertex"),
                "gemini-2.0-flash-001",
                P::Pin,
                "gemini-2.0-flash-001",
                true,
            ), // falls back to the Gemini API entry
            (Some("OpenAI"), "GPT-4O", P::Float, "GPT-4O", true),
            // routing prefixes and Bedrock geo prefixes
            (
                None,
                "openai/gpt-4o-2024-08-06",
                P::Pin,
                "gpt-4o-2024-08-06",
                true,
            ),
            (
                Some("openrouter"),
                "anthropic/claude-3-5-sonnet-latest",
                P::Float,
                "claude-3-5-sonnet-latest",
                false,
            ),
            (
                None,
                "models/gemini-1.5-pro-002",
                P::Pin,
                "gemini-1.5-pro-002",
                false,
            ),
            (
                None,
                "vertex_ai/gemini-2.5-flash",
                P::Pin,
                "gemini-2.5-flash",
                true,
            ),
            (
                None,
                "bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0",
                P::Pin,
                "anthropic.claude-sonnet-4-5-20250929-v1:0",
                true,
            ),
            (
                Some("bedrock"),
                "global.anthropic.claude-sonnet-4-6",
                P::Pin,
                "anthropic.claude-sonnet-4-6",
                true,
            ),
            (
                None,
                "eu.amazon.nova-pro-v1:0",
                P::Pin,
                "amazon.nova-pro-v1:0",
                false,
            ),
            (
                None,
                "projects/p/locations/us-central1/publishers/google/models/gemini-2.0-flash",
                P::Float,
                "gemini-2.0-flash",
                true,
            ),
            // latest and experimental
            (
                None,
                "claude-3-5-sonnet-latest",
                P::Float,
                "claude-3-5-sonnet-latest",
                false,
            ),
            (
                None,
                "gpt-5.1-chat-latest",
                P::Float,
                "gpt-5.1-chat-latest",
                false,
            ),
            (
                None,
                "gemini-2.0-flash-exp",
                P::Float,
                "gemini-2.0-flash-exp",
                false,
            ),
            (None, "gemini-exp-1206", P::Float, "gemini-exp-1206", false),
            (
                Some("google"),
                "gemini-2.0-flash-thinking-exp-01-21",
                P::Float,
                "gemini-2.0-flash-thinking-exp-01-21",
                false,
            ),
            // OpenAI rules
            (
                None,
                "gpt-4.1-mini-2025-04-14",
                P::Pin,
                "gpt-4.1-mini-2025-04-14",
                true,
            ),
            (
                None,
                "gpt-5.2-2025-12-11",
                P::Pin,
                "gpt-5.2-2025-12-11",
                false,
            ),
            (
                None,
                "gpt-3.5-turbo-16k-0613",
                P::Pin,
                "gpt-3.5-turbo-16k-0613",
                false,
            ),
            (
                None,
                "gpt-4-1106-preview",
                P::Pin,
                "gpt-4-1106-preview",
                false,
            ),
            (None, "o3-pro", P::Float, "o3-pro", false),
            (None, "gpt-5.2", P::Float, "gpt-5.2", false),
            (None, "o3-2025-04-16", P::Pin, "o3-2025-04-16", false),
            (
                Some("openai"),
                "gpt-4o-2024-13-45",
                P::Float,
                "gpt-4o-2024-13-45",
                false,
            ),
            (
                None,
                "ft:gpt-4o-mini-2024-07-18:acme::9abc",
                P::Pin,
                "ft:gpt-4o-mini-2024-07-18:acme::9abc",
                false,
            ),
            // Anthropic rules
            (
                None,
                "claude-3-5-haiku-20241022",
                P::Pin,
                "claude-3-5-haiku-20241022",
                true,
            ),
            (
                None,
                "claude-opus-4-1-20250805",
                P::Pin,
                "claude-opus-4-1-20250805",
                true,
            ),
            (None, "claude-opus-4-1", P::Float, "claude-opus-4-1", false),
            (
                None,
                "claude-sonnet-4-0",
                P::Float,
                "claude-sonnet-4-0",
                false,
            ),
            (None, "claude-3-opus", P::Float, "claude-3-opus", false),
            (None, "claude-opus-4-9", P::Pin, "claude-opus-4-9", false),
            (None, "claude-haiku-5", P::Pin, "claude-haiku-5", false),
            (None, "claude-sonnet-4-6", P::Pin, "claude-sonnet-4-6", true),
            (
                None,
                "claude-instant-1.2",
                P::Pin,
                "claude-instant-1.2",
                false,
            ),
            (
                None,
                "claude-3-5-sonnet-v2@20241022",
                P::Pin,
                "claude-3-5-sonnet-v2@20241022",
                false,
            ),
            (
                Some("vertex_ai"),
                "claude-opus-4-1@2025",
                P::Unver,
                "claude-opus-4-1@2025",
                false,
            ),
            (
                None,
                "claude-mythos-preview",
                P::Unver,
                "claude-mythos-preview",
                false,
            ),
            // Gemini rules
            (
                None,
                "gemini-1.5-flash-002",
                P::Pin,
                "gemini-1.5-flash-002",
                false,
            ),
            (
                None,
                "gemini-1.5-flash",
                P::Float,
                "gemini-1.5-flash",
                false,
            ),
            (
                Some("google"),
                "gemini-2.0-flash",
                P::Float,
                "gemini-2.0-flash",
                true,
            ),
            (
                None,
                "gemini-2.5-flash-image",
                P::Pin,
                "gemini-2.5-flash-image",
                false,
            ),
            (None, "gemini-3-flash", P::Pin, "gemini-3-flash", false),
            (
                None,
                "gemini-2.5-flash-preview-09-2025",
                P::Pin,
                "gemini-2.5-flash-preview-09-2025",
                false,
            ),
            (
                None,
                "gemini-2.5-flash-preview-04-17",
                P::Pin,
                "gemini-2.5-flash-preview-04-17",
                false,
            ),
            (
                None,
                "gemini-3-flash-preview",
                P::Unver,
                "gemini-3-flash-preview",
                false,
            ),
            (None, "gemini-pro", P::Unver, "gemini-pro", false),
            // Bedrock rules
            (
                None,
                "anthropic.claude-3-5-sonnet-20240620-v1:0",
                P::Pin,
                "anthropic.claude-3-5-sonnet-20240620-v1:0",
                false,
            ),
            (
                None,
                "anthropic.claude-v2",
                P::Pin,
                "anthropic.claude-v2",
                false,
            ),
            (
                Some("bedrock"),
                "anthropic.claude-opus-4-8",
                P::Pin,
                "anthropic.claude-opus-4-8",
                false,
            ),
            (
                Some("bedrock"),
                "anthropic.claude-3-5-sonnet",
                P::Float,
                "anthropic.claude-3-5-sonnet",
                false,
            ),
            (
                Some("aws"),
                "meta.llama3-1-70b-instruct-v1:0",
                P::Pin,
                "meta.llama3-1-70b-instruct-v1:0",
                false,
            ),
            (
                Some("bedrock"),
                "amazon.titan-tg1-large",
                P::Unver,
                "amazon.titan-tg1-large",
                false,
            ),
            (
                None,
                "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
                P::Pin,
                "anthropic.claude-3-haiku-20240307-v1:0",
                false,
            ),
            (
                None,
                "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3",
                P::Unver,
                "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3",
                false,
            ),
            // Azure: the deployment name says nothing
            (
                Some("azure"),
                "gpt-4o-2024-08-06",
                P::Unver,
                "gpt-4o-2024-08-06",
                false,
            ),
            (
                None,
                "azure/my-gpt4o-deployment",
                P::Unver,
                "my-gpt4o-deployment",
                false,
            ),
            // unknown provider or id
            (
                Some("mistral"),
                "mistral-large-2411",
                P::Unver,
                "mistral-large-2411",
                false,
            ),
            (None, "llama-3.3-70b", P::Unver, "llama-3.3-70b", false),
            // Claude Code's family alias
            (Some("anthropic"), "sonnet", P::Float, "sonnet", false),
        ];
        let r = registry();
        let mut failures = Vec::new();
        for (provider, id, want, normalized, in_registry) in cases {
            let c = classify(*provider, id, r);
            let got = match c.pinning {
                Pinning::Pinned => P::Pin,
                Pinning::Floating(_) => P::Float,
                Pinning::Unverifiable(_) => P::Unver,
            };
            if got != *want || c.normalized != *normalized || c.entry.is_some() != *in_registry {
                failures.push(format!(
                    "{provider:?} {id}: want {want:?} `{normalized}` registry={in_registry}, got {:?} `{}` registry={}",
                    c.pinning,
                    c.normalized,
                    c.entry.is_some()
                ));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn infers_the_provider_and_notes_previews() {
        let r = registry();
        let cases = [
            (None, "gpt-4o", Some(Provider::OpenAi)),
            (None, "o4-mini-2025-04-16", Some(Provider::OpenAi)),
            (None, "claude-sonnet-4-6", Some(Provider::Anthropic)),
            (None, "claude-haiku-4-5@20251001", Some(Provider::Vertex)),
            (None, "gemini-2.5-pro", Some(Provider::Google)),
            (
                None,
                "us.anthropic.claude-opus-4-7",
                Some(Provider::Bedrock),
            ),
            (None, "vertex_ai/gemini-2.5-pro", Some(Provider::Vertex)),
            (Some("Azure-OpenAI"), "prod-chat", Some(Provider::Azure)),
            (None, "llama-3.3-70b", None),
        ];
        for (p, id, want) in cases {
            assert_eq!(classify(p, id, r).provider, want, "{id}");
        }
        // Vertex has its own retirement date for gemini-2.5-pro; the Gemini API entry has none.
        let v = classify(Some("vertex"), "gemini-2.5-pro", r);
        assert_eq!(v.entry.unwrap().retired_text.as_deref(), Some("2026-10-16"));
        let g = classify(Some("google"), "gemini-2.5-pro", r);
        assert_eq!(g.entry.unwrap().retired, None);
        // a preview is pinned, with a note
        let p = classify(None, "gemini-2.5-flash-preview-04-17", r);
        assert_eq!(p.pinning, Pinning::Pinned);
        assert!(p.note.is_some());
        assert!(
            classify(None, "gemini-2.5-pro-preview-06-05", r)
                .note
                .is_some()
        );
        assert!(classify(None, "${X}", r).expression);
        // the help names the snapshot an alias points at
        let a = classify(None, "o1", r);
        assert!(
            matches!(&a.pinning, Pinning::Floating(w) if w.contains("o1-2024-12-17")),
            "{:?}",
            a.pinning
        );
    }

    #[test]
    fn azure_is_pinned_only_with_a_version_and_no_auto_upgrade() {
        assert_eq!(
            azure_pinning(Some("2024-08-06"), Some("NoAutoUpgrade")),
            Pinning::Pinned
        );
        assert_eq!(
            azure_pinning(Some("2024-08-06"), Some("no-auto-upgrade")),
            Pinning::Pinned
        );
        assert!(matches!(
            azure_pinning(Some("2024-08-06"), Some("OnceNewDefaultVersionAvailable")),
            Pinning::Floating(_)
        ));
        assert!(matches!(
            azure_pinning(None, Some("OnceCurrentVersionExpired")),
            Pinning::Floating(_)
        ));
        assert!(matches!(
            azure_pinning(None, Some("NoAutoUpgrade")),
            Pinning::Unverifiable(_)
        ));
        assert!(matches!(
            azure_pinning(Some("2024-08-06"), None),
            Pinning::Unverifiable(_)
        ));
        assert!(matches!(
            azure_pinning(None, None),
            Pinning::Unverifiable(_)
        ));
        assert!(is_azure_upgrade_option("noautoupgrade"));
        assert!(is_azure_upgrade_option("Once_Current_Version_Expired"));
        assert!(!is_azure_upgrade_option("never"));
    }

    #[test]
    fn snapshots_of_a_family() {
        let r = registry();
        let ids: Vec<&str> = r
            .snapshots_of(Provider::OpenAi, "gpt-4o")
            .iter()
            .map(|e| e.id.as_str())
            .collect();
        assert_eq!(
            ids,
            [
                "gpt-4o-2024-11-20",
                "gpt-4o-2024-08-06",
                "gpt-4o-2024-05-13"
            ]
        );
        let ids: Vec<&str> = r
            .snapshots_of(Provider::OpenAi, "gpt-4")
            .iter()
            .map(|e| e.id.as_str())
            .collect();
        assert_eq!(ids, ["gpt-4-0613", "gpt-4-0314"]);
        assert!(
            r.snapshots_of(Provider::Anthropic, "claude-3-5-sonnet")
                .len()
                == 2
        );
    }
}
