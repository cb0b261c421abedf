//! The field tables of `agentlock.model/v1`, the document `agentlock model` prints and Rego
//! policies see as `input` (built in `rego/input.rs`): what `agentlock schema model` and the
//! README's table of its keys are generated from.
//!
//! Unlike the input formats, every key of the document is always there (`null`, `[]` or `{}`
//! where the repository declares nothing): each field is required, and a field that may hold
//! null says so. A table is closed unless it holds what the user wrote (deploy.yaml, a tool
//! definition, a lock entry's fields). A mapping keyed by names of the user's choice (agents,
//! prompts, …) is a [`Ty::Map`] of a table; the README writes its keys as that table's name in
//! capitals (`agents.AGENT`).

use crate::load::fields::{Field, Table, Ty, req};

/// The document's name, its `schema` key.
pub const SCHEMA: &str = "agentlock.model/v1";

/// A key the document always has, whose value is never null.
const fn key(name: &'static str, ty: Ty, doc: &'static str) -> Field {
    req(name, ty, doc)
}

/// A key the document always has, null where the repository declares nothing.
const fn or_null(name: &'static str, ty: Ty, doc: &'static str) -> Field {
    req(name, ty, doc).or_null()
}

/// A SHA-256 digest as hex, as agentlock computes it.
const HEX_DIGEST: Ty = Ty::Pattern("^[0-9a-f]{64}$");

/// A rate as the document writes it: the count per second, minute or hour (`10/s`).
const RATE: Ty = Ty::Pattern("^[1-9][0-9]*/[smh]$");

const STRINGS: Ty = Ty::List(&Ty::Text);

/// The whole document.
pub const FILE: Table = Table::new(
    "model",
    "The repository as the input of Rego policies (`input`). Every key is present: null, [] or {} where nothing is declared, so a rule never fails silently on an undefined field.",
    &[
        key(
            "schema",
            Ty::Enum(&[SCHEMA]),
            "The document's format: `agentlock.model/v1`.",
        ),
        key("project", Ty::Object(&PROJECT), "The project."),
        key(
            "agents",
            Ty::Map(&Ty::Object(&AGENT)),
            "Every agent of every topology (agents.yaml, a crew), by name.",
        ),
        key(
            "prompts",
            Ty::Map(&Ty::Object(&PROMPT)),
            "Every prompt, by name.",
        ),
        key(
            "tools",
            Ty::Map(&Ty::Object(&SERVER)),
            "Every MCP server (a manifest under tools/, or one discovered), by server name.",
        ),
        key(
            "models",
            Ty::Map(&Ty::Object(&ALIAS)),
            "Every model alias (models.yaml, or a model named by id where it is used), by alias.",
        ),
        or_null(
            "deploy",
            Ty::Map(&Ty::Any),
            "deploy.yaml as written (its keys are those of the `deploy` schema), or null when there is none.",
        ),
        key(
            "datasets",
            Ty::Map(&Ty::Object(&DATASET)),
            "Every golden dataset, by name.",
        ),
        key(
            "lock",
            Ty::Object(&LOCK),
            "The lock of the working tree as it is (what `agentlock lock` would write), not the lockfile on disk.",
        ),
        or_null(
            "release",
            Ty::Object(&RELEASE),
            "In git: the last release and what changed since; null outside git or before the first release.",
        ),
    ],
);

const PROJECT: Table = Table::new(
    "project",
    "The project, from agentlock.toml (or discovered).",
    &[
        key("name", Ty::Text, "The project's name."),
        key(
            "agentlock_project",
            Ty::Bool,
            "Whether the repository has an agentlock.toml: false when its files were discovered.",
        ),
        key(
            "policy_chain",
            STRINGS,
            "The policy layers in effect, base first: built-in packs and the policy files `extends` names.",
        ),
    ],
);

const AGENT: Table = Table::new(
    "agent",
    "One agent, with its settings resolved (its own, else the defaults').",
    &[
        key("file", Ty::Text, "The file that declares the agent."),
        or_null("role", Ty::Text, "The agent's role."),
        or_null(
            "prompt",
            Ty::Text,
            "The prompt it runs, as written: `name@version`.",
        ),
        or_null("model", Ty::Text, "The model alias it uses."),
        or_null(
            "model_id",
            Ty::Text,
            "The model id the alias resolves to; the alias itself when no alias of that name has an id.",
        ),
        or_null("timeout_ms", Ty::Uint, "The timeout, in milliseconds."),
        key(
            "timeout_inherited",
            Ty::Bool,
            "Whether the timeout is the one `defaults` sets rather than the agent's own.",
        ),
        or_null("retries", Ty::Uint, "The retry limit."),
        or_null(
            "rate_limit",
            RATE,
            "The rate limit, as a count per second, minute or hour: `10/s`.",
        ),
        or_null(
            "max_tokens",
            Ty::Uint,
            "The most tokens one answer may take.",
        ),
        key(
            "tools",
            STRINGS,
            "The tools it may call, each `server.tool`.",
        ),
        key(
            "handoffs",
            Ty::List(&Ty::Object(&HANDOFF)),
            "The agents it hands off to, in order.",
        ),
    ],
);

const HANDOFF: Table = Table::new(
    "handoff",
    "One handoff of an agent.",
    &[
        key("to", Ty::Text, "The agent handed off to."),
        or_null(
            "max_iterations",
            Ty::Uint,
            "How many times the handoff may be taken in one run (the bound of a cycle through it).",
        ),
    ],
);

const PROMPT: Table = Table::new(
    "prompt",
    "One prompt.",
    &[
        or_null("version", Ty::Text, "Its version (`1.3.0`)."),
        or_null("model", Ty::Text, "The model its front matter names."),
        key("path", Ty::Text, "Its file."),
        key(
            "sha256",
            HEX_DIGEST,
            "The SHA-256 of the file (CRLF read as LF), as the lock pins it.",
        ),
        or_null(
            "owners",
            STRINGS,
            "The CODEOWNERS owners of its path (none when no rule matches); `null` when they were not decided (a CODEOWNERS whose matching ran past agentlock's budget: a finding at the file says so).",
        ),
    ],
);

const SERVER: Table = Table::new(
    "server",
    "One MCP server.",
    &[
        key("file", Ty::Text, "The file that declares the server."),
        or_null("version", Ty::Text, "The server's version."),
        key(
            "sources",
            Ty::List(&Ty::Object(&SOURCE)),
            "Where the server's code comes from: one source in a manifest; every package and remote in a registry entry.",
        ),
        key(
            "permissions",
            STRINGS,
            "The permissions it declares (`repo:read`).",
        ),
        or_null(
            "timeout_ms",
            Ty::Uint,
            "The timeout of a call, in milliseconds.",
        ),
        or_null(
            "rate_limit",
            RATE,
            "The rate limit, as a count per second, minute or hour: `5/s`.",
        ),
        or_null(
            "on_failure",
            Ty::Text,
            "What a failed call does, as written: `retry`, `fallback` or `abort`.",
        ),
        or_null(
            "fallback",
            Ty::Text,
            "The server or tool a failed call falls back to.",
        ),
        key(
            "tools",
            Ty::Map(&Ty::Object(&TOOL)),
            "Its tool definitions, by tool name, each as written: other keys than those here are the definition's own.",
        ),
    ],
);

const SOURCE: Table = Table::new(
    "source",
    "One place the server's code comes from.",
    &[
        key(
            "kind",
            Ty::Text,
            "npm, pypi, oci or url in a manifest; also git, go, nuget, remote, exec or local when read from a launch command or a registry entry.",
        ),
        key(
            "value",
            Ty::Text,
            "The package, image, URL, module or program.",
        ),
        or_null(
            "sha256",
            Ty::Text,
            "The digest that pins what a URL downloads, as written.",
        ),
    ],
);

const TOOL: Table = Table {
    open: true,
    ..Table::new(
        "tool",
        "One MCP tool definition as written (as `tools/list` returns it); its description, schemas and annotations are always present, null when it has none.",
        &[
            key("name", Ty::Any, "The tool's name, as written."),
            or_null(
                "description",
                Ty::Any,
                "What the tool does, as the model reads it; null when the definition has none.",
            ),
            or_null(
                "inputSchema",
                Ty::Any,
                "The JSON Schema of its arguments, as written; null when there is none.",
            ),
            or_null(
                "outputSchema",
                Ty::Any,
                "The JSON Schema of its result, as written; null when there is none.",
            ),
            or_null(
                "annotations",
                Ty::Any,
                "Its MCP annotations (readOnlyHint, destructiveHint, …), as written; null when there are none.",
            ),
        ],
    )
};

const ALIAS: Table = Table::new(
    "alias",
    "One model alias.",
    &[
        or_null("provider", Ty::Text, "The provider (`anthropic`)."),
        or_null("id", Ty::Text, "The model id the alias stands for."),
        or_null(
            "fallback",
            Ty::Text,
            "The alias used when this model fails.",
        ),
        or_null(
            "pinning",
            Ty::Enum(crate::model_ids::PINNINGS),
            "Whether the id names one fixed model, as the floating-model rule classifies it with the model registry; null when there is no id.",
        ),
        or_null(
            "retired",
            Ty::Text,
            "The date the provider retires the model, when the registry has one.",
        ),
    ],
);

const DATASET: Table = Table::new(
    "dataset",
    "One golden dataset.",
    &[
        or_null(
            "version",
            Ty::Text,
            "Its version, from its header or its file name (`name@version.jsonl`).",
        ),
        or_null(
            "kind",
            Ty::Text,
            "Its kind, from its header: `happy_path`, `edge_cases` or `failures`.",
        ),
        key("path", Ty::Text, "Its file."),
        key(
            "items",
            Ty::Uint,
            "The number of items (lines other than the header and blank lines).",
        ),
        key(
            "sha256",
            HEX_DIGEST,
            "The SHA-256 of the file (CRLF read as LF), as the lock pins it.",
        ),
    ],
);

const LOCK: Table = Table::new(
    "lock",
    "The lock of the working tree.",
    &[
        key(
            "root",
            Ty::Pattern("^sha256:[0-9a-f]{64}$"),
            "The root digest that names the lock: `sha256:…`.",
        ),
        key(
            "entries",
            Ty::List(&Ty::Object(&ENTRY)),
            "Its entries, in the lockfile's order: each with its kind, its key and its fields as the lockfile writes them.",
        ),
    ],
);

const ENTRY: Table = Table {
    open: true,
    ..Table::new(
        "entry",
        "One lock entry: its kind, its key and its fields as the lockfile writes them (a string, or a table of names to digests such as a tool's `definitions`).",
        &[
            key("kind", Ty::Enum(crate::lock::KIND_NAMES), "What it pins."),
            key(
                "key",
                Ty::Text,
                "Its identity within its kind (`planner@1.3.0`, `github`); empty for a kind with one entry.",
            ),
        ],
    )
};

const RELEASE: Table = Table::new(
    "release",
    "The last release tag and what changed since.",
    &[
        key("tag", Ty::Text, "The release tag (`v1.2.0`)."),
        key(
            "root",
            Ty::Text,
            "The root digest that names the release: as its lockfile records it, else computed from its tree.",
        ),
        key(
            "changed",
            Ty::List(&Ty::Object(&CHANGE)),
            "Each lock entry that differs from the release's.",
        ),
    ],
);

const CHANGE: Table = Table::new(
    "change",
    "One lock entry changed since the release.",
    &[
        key("kind", Ty::Enum(crate::lock::KIND_NAMES), "What it pins."),
        key("key", Ty::Text, "Its identity within its kind."),
        key("change", Ty::Enum(crate::lock::CHANGES), "How it changed."),
    ],
);
