//! Model aliases: `models.yaml`.

use super::Sp;
use crate::load::fields::{Table, Ty, f, passive, req};
use crate::load::read::Reader;
use crate::node::Node;
use crate::source::FileId;

#[derive(Clone, Debug)]
pub struct Models {
    pub file: FileId,
    pub aliases: Vec<ModelAlias>,
}

#[derive(Clone, Debug)]
pub struct ModelAlias {
    pub alias: Sp<String>,
    pub provider: Option<Sp<String>>,
    pub id: Option<Sp<String>>,
    pub fallback: Option<Sp<String>>,
    /// Azure OpenAI: the model version the deployment serves (`2024-08-06`).
    pub model_version: Option<Sp<String>>,
    /// Azure OpenAI: the deployment's version upgrade option (`NoAutoUpgrade`, …).
    pub version_upgrade: Option<Sp<String>>,
    pub canonical: String,
    /// The file that names it by id, for a model not defined in models.yaml (a Prompty file, a
    /// crew's agents.yaml).
    pub file: Option<FileId>,
}

/// A model named by its id where it is used (a dotprompt or Prompty front matter, a CrewAI
/// agent's `llm`) rather than through an alias of models.yaml. Loading gives each an alias of
/// its own, named after its user, so the model rules and the lockfile treat it like any other.
#[derive(Clone, Debug)]
pub struct DirectModel {
    pub id: Sp<String>,
    pub provider: Option<Sp<String>>,
}

impl DirectModel {
    /// The alias it becomes: `alias` naming it, the id and provider as written.
    pub fn into_alias(self, alias: String, file: FileId) -> ModelAlias {
        use crate::node::write_json_str;
        let mut canonical = String::from("{\"id\":");
        write_json_str(&self.id.value, &mut canonical);
        if let Some(p) = &self.provider {
            canonical.push_str(",\"provider\":");
            write_json_str(&p.value, &mut canonical);
        }
        canonical.push('}');
        ModelAlias {
            alias: Sp::new(alias, self.id.span),
            provider: self.provider,
            id: Some(self.id),
            fallback: None,
            model_version: None,
            version_upgrade: None,
            canonical,
            file: Some(file),
        }
    }
}

/// models.yaml.
pub const FILE: Table = Table::new(
    "models",
    "Model aliases, each pinned to a provider's model id.",
    &[req(
        "models",
        Ty::Map(&Ty::Object(&MODEL)),
        "The aliases agents and prompts name, each with the model it stands for.",
    )
    .or_null()],
);
const MODEL: Table = Table::new(
    "model",
    "One model alias.",
    &[
        f(
            "provider",
            Ty::Str,
            "The provider: anthropic, openai, azure, bedrock, vertex, …",
        ),
        req(
            "id",
            Ty::Str,
            "The provider's model id, pinned to a snapshot (`gpt-4o-mini-2024-07-18`), not an alias that moves.",
        ),
        f(
            "fallback",
            Ty::Str,
            "The alias used when this model fails; a chain of fallbacks must not loop.",
        ),
        passive("region", Ty::Str, "The provider region the model runs in."),
        passive("deployment", Ty::Str, "The deployment name (Azure OpenAI)."),
        passive(
            "params",
            Ty::Any,
            "Model parameters (temperature, …), kept in the lock with the model.",
        ),
        f(
            "model_version",
            Ty::Str,
            "Azure OpenAI: the model version the deployment serves (`2024-08-06`).",
        ),
        f(
            "version_upgrade",
            Ty::Str,
            "Azure OpenAI: the deployment's version upgrade option: NoAutoUpgrade, OnceNewDefaultVersionAvailable or OnceCurrentVersionExpired (case, `-` and `_` ignored).",
        ),
    ],
);

pub fn load(r: &mut Reader, root: &Node) -> Option<Models> {
    r.map(root, "models.yaml")?;
    r.check_keys(root, &FILE, "models.yaml");
    let mut aliases = Vec::new();
    let Some(list) = root.get("models") else {
        r.problem(root.span, "models.yaml has no `models:` mapping", None);
        return Some(Models {
            file: r.file,
            aliases,
        });
    };
    for (key, node) in r.map(list, "models").unwrap_or_default() {
        let what = format!("model `{}`", key.name);
        if r.map(node, &what).is_none() {
            continue;
        }
        r.check_keys(node, &MODEL, &what);
        let provider = r.opt_string(node, "provider", "provider");
        let id = r.opt_string(node, "id", "model id");
        if id.is_none() {
            r.problem(key.span, format!("{what} has no `id`"), Some("name the provider's model id, pinned to a snapshot, e.g. `id: gpt-4o-mini-2024-07-18`".into()));
        }
        let version_upgrade = r.opt_string(node, "version_upgrade", "version_upgrade");
        if let Some(v) = &version_upgrade
            && !crate::model_ids::is_azure_upgrade_option(&v.value)
        {
            r.problem(
                v.span,
                format!("unknown `version_upgrade` value `{}` in {what}", v.value),
                Some(format!(
                    "Azure's options are: {}",
                    crate::model_ids::AZURE_UPGRADE_OPTIONS.join(", ")
                )),
            );
        }
        aliases.push(ModelAlias {
            alias: Sp::new(key.name.clone(), key.span),
            provider,
            id,
            fallback: r.opt_string(node, "fallback", "fallback"),
            model_version: r.opt_string(node, "model_version", "model_version"),
            version_upgrade,
            canonical: node.canonical_json(),
            file: None,
        });
    }
    fallback_loops(r, &aliases);
    Some(Models {
        file: r.file,
        aliases,
    })
}

/// A chain of fallbacks that comes back to where it started (`a → b → a`, `a → a`): when the
/// first model fails, the chain never reaches one that is different. Reported once per loop,
/// at the fallback that closes it.
fn fallback_loops(r: &mut Reader, aliases: &[ModelAlias]) {
    let next = |name: &str| -> Option<&Sp<String>> {
        aliases
            .iter()
            .find(|a| a.alias.value == name)?
            .fallback
            .as_ref()
    };
    let mut reported: Vec<String> = Vec::new();
    for start in aliases {
        let mut chain = vec![start.alias.value.clone()];
        let mut at = start.alias.value.clone();
        while let Some(f) = next(&at) {
            if let Some(pos) = chain.iter().position(|c| *c == f.value) {
                let mut members: Vec<String> = chain[pos..].to_vec();
                members.sort();
                // the loop, named from its smallest member: one finding however it is entered
                if pos == 0 && !reported.contains(&members[0]) {
                    reported.push(members[0].clone());
                    let mut shown = chain[pos..].to_vec();
                    shown.push(f.value.clone());
                    r.problem(
                        f.span,
                        format!("the model fallbacks loop: {}", shown.join(" → ")),
                        Some("end the chain at a model with no fallback, so a failure reaches a different model".into()),
                    );
                }
                break;
            }
            chain.push(f.value.clone());
            at = f.value.clone();
        }
    }
}
