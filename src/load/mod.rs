//! Load: snapshot → files → [`Model`].
//!
//! Files are read and hashed in parallel, then parsed in parallel; every problem with a file is a
//! problem at its location (CONF001 reports it), and loading carries on with the rest.
//!
//! The loaders live here: `read` (typed reading of a node tree), `codeowners`, `suppress`
//! (inline `agentlock: allow` comments), `config` (agentlock.toml, policy packs and files) and
//! `model` (every format a repository keeps), in that order: each uses only those before it.

pub(crate) mod codeowners;
pub mod config;
pub mod fields;
pub(crate) mod model;
pub(crate) mod read;
pub mod rego;
pub mod suppress;

use crate::digest::sha256_lf;
use crate::node::{self, Node};
use crate::problem::Problem;
use crate::snapshot::{BadName, EntryKind, ReadBudget, ReadError, ReadExt, RepoPath, Snapshot};
use crate::source::{FileId, SourceMap, Span};
use config::ConfigError;
use model::Model;
use rayon::prelude::*;
use read::Reader;
use suppress::{Suppression, Syntax};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Prompt,
    Agents,
    Tool,
    Models,
    Deploy,
    Dataset,
    // The formats of other tools, found through `[sources]` (see [`config::Sources`]).
    McpClient,
    McpRegistry,
    CrewAgents,
    CrewTasks,
    Prompty,
    Dotprompt,
    MarkdownAgent,
    Smithery,
    /// An organisation policy in Rego (`[policy] rego`).
    Rego,
}

/// A file as read from the snapshot, before parsing.
struct Raw {
    path: String,
    kind: Kind,
    /// The text and the LF-normalized SHA-256, or why there is none.
    content: Result<(crate::source::Text, String), Unread>,
    /// Whether it was left unread because the run's budget was spent.
    over_budget: bool,
}

/// A file to parse, with the id it is registered under.
type Job = (FileId, Raw);
/// What parsing a file gave, and its problems.
type Outcome = (Parsed, Vec<Problem>);

/// Why a file could not be read as text.
struct Unread {
    message: String,
    help: Option<String>,
    /// For a file over the size limit, its size.
    size: Option<u64>,
}

/// Where GitHub looks for CODEOWNERS, in its order: it uses the first file it finds.
pub const CODEOWNERS_PATHS: &[&str] = &[".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"];

/// Loads the repository a snapshot holds. Fails only when `agentlock.toml` is unusable, or
/// when there is none and no file of a format agentlock discovers. Its files draw on the run's
/// read budget ([`ReadBudget::run`]).
pub fn load(snapshot: &dyn Snapshot) -> Result<Model, ConfigError> {
    load_within(snapshot, ReadBudget::run())
}

/// [`load`], drawing on `budget`: the history's release trees share one of their own, since
/// each model is dropped once its lock is computed, and must not starve the run's.
pub fn load_within(snapshot: &dyn Snapshot, budget: &ReadBudget) -> Result<Model, ConfigError> {
    let mut sources = SourceMap::default();
    let mut problems = Vec::new();
    let mut config = config::load_or_discover(snapshot, &mut sources, &mut problems)?;
    let limit = config.paths.max_file_size;

    // 1. Which files.
    let (wanted, unmatched) = crate::timing::phase("load: list", || {
        select(snapshot, &config, &mut sources, &mut problems)
    })?;

    // 2. Read and hash, in parallel. A missing single file is absent; one agentlock.toml
    // names explicitly is a mistake, said at the value.
    init_threads();
    let raws: Vec<Option<Raw>> =
        crate::timing::phase("load: read", || read_all(snapshot, &wanted, limit, budget));
    let mut agents_missing = false;
    for ((path, kind), raw) in wanted.iter().zip(&raws) {
        let path = path.as_str();
        if raw.is_some() {
            continue;
        }
        let key = match kind {
            Kind::Agents => "agents",
            Kind::Models => "models",
            Kind::Deploy => "deploy",
            _ => continue,
        };
        agents_missing |= *kind == Kind::Agents;
        if let Some((_, span)) = config.paths.configured.iter().find(|(k, _)| *k == key) {
            let default = match key {
                "agents" => "agents.yaml",
                "models" => "models.yaml",
                _ => "deploy.yaml",
            };
            let exists = default != path
                && matches!(
                    snapshot.read_str(default, limit),
                    Ok(_) | Err(ReadError::TooLarge { .. })
                );
            let help = if exists {
                format!("did you mean `{default}`? It exists")
            } else {
                format!("create {path}, or point paths.{key} at the file that holds it")
            };
            problems.push(
                Problem::new(
                    *span,
                    config::MANIFEST,
                    format!("paths.{key} names `{path}`, which does not exist"),
                )
                .help(help),
            );
            if *kind == Kind::Agents {
                agents_missing = false; // said already
            }
        }
    }

    // 3. Register files (ids in a stable order), then parse in parallel.
    let mut jobs: Vec<Job> = Vec::new();
    let mut failed: Vec<Kind> = Vec::new();
    let mut unread: Vec<(String, FileId)> = Vec::new();
    for raw in raws.into_iter().flatten() {
        match &raw.content {
            Ok((text, _)) => {
                let id = sources.add(raw.path.clone(), Some(text.clone()));
                jobs.push((id, raw));
            }
            Err(p) => {
                failed.push(raw.kind);
                let id = sources.add(raw.path.clone(), None);
                unread.push((raw.path.clone(), id));
                let mut f = Problem::new(Span::file_start(id), raw.path.clone(), p.message.clone());
                f.help = p.help.clone();
                problems.push(f);
            }
        }
    }
    let parsed: Vec<Outcome> = crate::timing::phase("load: parse", || {
        jobs.par_iter().map(|(id, raw)| parse(*id, raw)).collect()
    });
    // A discovered file of another tool (a `server.json` that is not an MCP registry file) is
    // left alone: no findings, no secret scan, no lock entry.
    let mut left_alone: Vec<String> = Vec::new();
    let (jobs, parsed): (Vec<Job>, Vec<Outcome>) = jobs
        .into_iter()
        .zip(parsed)
        .filter(|((_, raw), (item, _))| {
            let ignored = matches!(item, Parsed::Ignored);
            if ignored {
                left_alone.push(raw.path.clone());
            }
            !ignored
        })
        .unzip();
    let suppressions: Vec<(Vec<Suppression>, Vec<Problem>)> = jobs
        .par_iter()
        .map(|(id, raw)| {
            let mut found = Vec::new();
            let syntax = match raw.kind {
                Kind::Prompt | Kind::Prompty | Kind::Dotprompt | Kind::MarkdownAgent => {
                    Some(Syntax::Prompt)
                }
                Kind::Dataset => None,
                _ if raw.path.ends_with(".json") => None,
                _ => Some(Syntax::of_path(&raw.path)),
            };
            let list = match (&raw.content, syntax) {
                (Ok((text, _)), Some(syntax)) => {
                    suppress::scan(*id, &raw.path, text, syntax, &mut found)
                }
                _ => Vec::new(),
            };
            (list, found)
        })
        .collect();
    for ((_, raw), (item, _)) in jobs.iter().zip(&parsed) {
        if matches!(item, Parsed::Nothing) {
            failed.push(raw.kind);
        }
    }
    if !config.project {
        // Repository-wide findings (no lockfile, say) point at the first file agentlock read.
        let first = jobs
            .iter()
            .map(|(id, raw)| (&raw.path, *id))
            .chain(unread.iter().map(|(p, id)| (p, *id)))
            .min();
        let Some((_, anchor)) = first else {
            return Err(nothing_to_read(snapshot, &left_alone));
        };
        config.file = anchor;
        config.name.span = Span::file_start(anchor);
    }

    let mut model = Model::new(sources, config);
    model.unmatched = unmatched;
    for raw in &failed {
        mark_incomplete(&mut model.incomplete, *raw);
    }
    let mut direct: Vec<(User, model::DirectModel)> = Vec::new();
    let mut crews: Vec<(FileId, Node)> = Vec::new();
    let mut topologies: Vec<model::Topology> = Vec::new();
    let mut discovered_prompts: Vec<usize> = Vec::new();
    for ((item, mut found), (_, raw)) in parsed.into_iter().zip(&jobs) {
        problems.append(&mut found);
        match item {
            Parsed::Prompt(p, d) => {
                if let Some(d) = d {
                    direct.push((User::Prompt(model.prompts.len()), d));
                }
                if raw.kind != Kind::Prompt {
                    discovered_prompts.push(model.prompts.len());
                }
                model.prompts.push(p);
            }
            Parsed::Agents(t) => topologies.push(t),
            Parsed::Tool(t) => model.tools.push(*t),
            Parsed::Client(c) => {
                model.tools.extend(c.servers);
                for (name, d) in c.models {
                    let user =
                        User::Config(format!("{}#{name}", raw.path), raw_file(&jobs, &raw.path));
                    direct.push((user, d));
                }
            }
            Parsed::Models(m) => model.models = Some(m),
            Parsed::Deploy(d) => model.deploy = Some(d),
            Parsed::Dataset(d) => model.datasets.push(d),
            Parsed::Crew(id, root) => crews.push((id, root)),
            Parsed::Rego(id, d) => model.rego.push((id, d)),
            Parsed::Nothing | Parsed::Ignored => {}
        }
    }
    for t in load_crews(&model.sources, &jobs, &crews, &mut problems) {
        for (i, a) in t.agents.iter().enumerate() {
            if let Some(m) = &a.model {
                let d = model::DirectModel {
                    id: m.clone(),
                    provider: None,
                };
                direct.push((User::Agent(topologies.len(), i), d));
            }
        }
        topologies.push(t);
    }
    // (A project that reads other tools' formats through `[sources]` may have no topology.)
    if agents_missing && topologies.is_empty() && model.config.sources.is_none() {
        let path = &model.config.paths.agents;
        problems.push(
            Problem::new(model.config.name.span,
                config::MANIFEST,
                format!("there is no {path}: an agentlock project declares its agent topology there"),
            )
            .help(format!(
                "write {path} (`agentlock init` in a new directory shows one), or set `[paths] agents` in {} to the file that holds it",
                config::MANIFEST
            )),
        );
        model.incomplete.agents = true;
    }
    // Several crews are several topologies, each checked and locked on its own.
    model.topologies = topologies;
    qualify_colliding_prompts(&mut model, &discovered_prompts);
    adopt_direct_models(&mut model, direct);
    rebase_nested_launches(&mut model);
    resolve_python_modules(snapshot, &mut model);
    // Suppressions in agentlock.toml and policy files, then in every other file.
    for id in policy_files(&model) {
        let file = model.sources.get(id);
        if let Some(text) = &file.text {
            model.suppressions.extend(suppress::scan(
                id,
                &file.path,
                text,
                Syntax::of_path(&file.path),
                &mut problems,
            ));
        }
    }
    for (mut list, mut found) in suppressions {
        model.suppressions.append(&mut list);
        problems.append(&mut found);
    }
    crate::timing::phase("load: secrets", || find_secrets(&mut model, &jobs));
    load_codeowners(snapshot, &mut model, limit, &mut problems);
    model.problems = problems;
    // A lookup while loading indexed a part of the model; the rules see all of it.
    model.reindex();
    Ok(model)
}

/// What [`select`] finds: the files to load, with the format of each, and the globs the
/// configuration sets that match none.
type Selected = (Vec<(RepoPath, Kind)>, Vec<model::Unmatched>);

/// The files to load, with the format each is read as: the single files agentlock.toml names,
/// and whatever the globs match. A repository without agentlock.toml has only the formats it
/// discovers. What cannot be loaded (a symlink out of the repository) is a problem, and its
/// path joins `sources` so the problem can name it. Also: each glob the configuration sets
/// that matches no file.
fn select(
    snapshot: &dyn Snapshot,
    config: &config::Config,
    sources: &mut SourceMap,
    problems: &mut Vec<Problem>,
) -> Result<Selected, ConfigError> {
    let mut wanted: Vec<(RepoPath, Kind)> = Vec::new();
    let mut globs: Vec<(Vec<String>, Kind)> = Vec::new();
    if config.project {
        for (path, kind) in [
            (&config.paths.agents, Kind::Agents),
            (&config.paths.models, Kind::Models),
            (&config.paths.deploy, Kind::Deploy),
        ] {
            // One that is not a path inside the repository, or is its root, was reported
            // where it is set.
            if let Some(path) = RepoPath::parse(path).ok().filter(|p| !p.is_root()) {
                wanted.push((path, kind));
            }
        }
        globs.push((config.paths.prompts.clone(), Kind::Prompt));
        globs.push((config.paths.tools.clone(), Kind::Tool));
        globs.push((config.paths.datasets.clone(), Kind::Dataset));
    }
    if let Some(found) = &config.sources {
        globs.push((found.mcp_clients.clone(), Kind::McpClient));
        globs.push((found.mcp_registry.clone(), Kind::McpRegistry));
        globs.push((found.crewai.clone(), Kind::CrewAgents));
        globs.push((found.prompty.clone(), Kind::Prompty));
        globs.push((found.dotprompt.clone(), Kind::Dotprompt));
        globs.push((found.markdown_agents.clone(), Kind::MarkdownAgent));
        globs.push((found.smithery.clone(), Kind::Smithery));
    }
    globs.push((config.policy.rego(), Kind::Rego));
    // Every glob was checked to stay inside the repository when agentlock.toml was read; the
    // directories the walk starts from are repository paths all the same.
    let mut dirs: Vec<RepoPath> = globs
        .iter()
        .flat_map(|(g, _)| {
            g.iter().filter_map(|p| match literal_prefix(p).as_str() {
                "" => Some(RepoPath::root()),
                dir => RepoPath::parse(dir).ok(),
            })
        })
        .collect();
    dirs.sort();
    dirs.dedup();
    let listing = match snapshot.list(&dirs) {
        Ok(l) => l,
        Err(e) => {
            return Err(ConfigError {
                message: format!("cannot list the files of the {}: {e}", snapshot.describe()),
                help: Some(
                    "run agentlock at the root of the repository, or pass --repo DIR".into(),
                ),
                at: None,
            });
        }
    };
    // A path matched by several globs (or named as a single file too) is loaded once, as the
    // first kind that claims it: agentlock's own formats before the discovered ones.
    let mut taken: std::collections::HashSet<String> =
        wanted.iter().map(|(p, _)| p.to_string()).collect();
    // The patterns that matched an entry (or could have, where the listing could not look).
    let mut matched: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for (patterns, kind) in &globs {
        let set = match build_globset(patterns) {
            Ok(s) => s,
            Err(e) => {
                let at = Span::file_start(config.file);
                let table = if is_discovered(*kind) {
                    "[sources]"
                } else {
                    "[paths]"
                };
                problems.push(Problem::new(
                    at,
                    config::MANIFEST,
                    format!("invalid path pattern in {table}: {e}"),
                ));
                continue;
            }
        };
        let starts: Vec<String> = patterns.iter().map(|p| literal_prefix(p)).collect();
        // A file below none of the directories the patterns start from matches none of them
        // (10,000 prompts are not matched against the tool patterns), unless one starts at
        // the root.
        let anywhere = starts.iter().any(String::is_empty);
        let below = |path: &str| starts.iter().any(|s| is_below(path, s));
        // (Which pattern matched is asked only while one of them has not.)
        let mut open = patterns
            .iter()
            .filter(|p| !matched.contains(p.as_str()))
            .count();
        for entry in &listing {
            let path = entry.path.as_str();
            if entry.kind == EntryKind::File && !anywhere && !below(path) {
                continue;
            }
            let start = starts.iter().any(|p| p == path);
            // A directory a glob starts from that is a symlink out of the repository.
            if start && entry.kind == EntryKind::SymlinkOutside && taken.insert(path.to_string()) {
                let id = sources.add(path.to_string(), None);
                problems.push(outside_symlink(id, path));
                continue;
            }
            let listed = !matches!(
                entry.kind,
                EntryKind::Unnamed { .. } | EntryKind::Unlisted(_)
            );
            let is_match = listed && set.is_match(path);
            if is_match && open > 0 {
                for i in set.matches(path) {
                    if matched.insert(patterns[i].as_str()) {
                        open -= 1;
                    }
                }
            }
            if is_match && taken.insert(path.to_string()) {
                match &entry.kind {
                    EntryKind::File => {
                        wanted.push((entry.path.clone(), *kind));
                        // A crew's tasks are read with its agents.
                        if *kind == Kind::CrewAgents
                            && let Some(tasks) =
                                entry.path.parent().and_then(|d| d.join("tasks.yaml"))
                            && taken.insert(tasks.to_string())
                        {
                            wanted.push((tasks, Kind::CrewTasks));
                        }
                    }
                    EntryKind::SymlinkOutside => {
                        let id = sources.add(path.to_string(), None);
                        problems.push(outside_symlink(id, path));
                    }
                    EntryKind::NotAFile(what) => {
                        let id = sources.add(path.to_string(), None);
                        let mut p = Problem::new(
                            Span::file_start(id),
                            path,
                            format!("{path} is {what}, not a file; it was not read"),
                        );
                        if what.starts_with("a symlink") {
                            p = p.help(
                                "point the link at a file inside the repository, or remove it",
                            );
                        }
                        problems.push(p);
                    }
                    // Never matched as paths: handled below.
                    EntryKind::Unnamed { .. } | EntryKind::Unlisted(_) => {}
                }
                continue;
            }
            // What the listing could not name or enter, where these patterns would have looked:
            // a file the pattern matches (by its escaped name), or a directory that could hold
            // one. Keyed apart from real paths (a NUL is in none), so a file that is really
            // called like the escaped name is still loaded.
            let unseen = match &entry.kind {
                EntryKind::Unnamed { dir: false, .. } => {
                    let shown = entry.shown();
                    set.is_match(&shown).then_some(shown)
                }
                EntryKind::Unnamed { dir: true, .. } => {
                    let shown = entry.shown();
                    could_hold(patterns, &shown).then_some(shown)
                }
                EntryKind::Unlisted(_) => could_hold(patterns, path).then(|| path.to_string()),
                _ => None,
            };
            if unseen.is_some() {
                matched.extend(patterns.iter().map(String::as_str));
                open = 0;
            }
            if let Some(shown) = unseen
                && taken.insert(format!("\0{shown}"))
            {
                let id = sources.add(shown.clone(), None);
                problems.push(unseen_problem(id, &shown, &entry.kind));
            }
        }
    }
    // A set glob that matched nothing; and whether anything is below where it starts.
    let unmatched = config
        .set_globs()
        .filter(|g| !matched.contains(g.pattern.as_str()))
        .map(|g| {
            let start = literal_prefix(&g.pattern);
            let empty =
                !start.is_empty() && !listing.iter().any(|e| is_below(e.path.as_str(), &start));
            model::Unmatched {
                glob: g.clone(),
                empty_start: empty.then_some(start),
            }
        })
        .collect();
    Ok((wanted, unmatched))
}

/// Whether `path` is below the directory `dir` (both from the root; `dir` not the root).
fn is_below(path: &str, dir: &str) -> bool {
    path.strip_prefix(dir)
        .is_some_and(|rest| rest.starts_with('/'))
}

/// Whether one of `patterns` could match a path below the directory `dir`: its components
/// up to `dir`'s depth (or up to a `**`) match `dir`. A pattern with braces (which may hold a
/// `/`) is taken to.
fn could_hold(patterns: &[String], dir: &str) -> bool {
    if dir.is_empty() {
        return true;
    }
    let depth = dir.split('/').count();
    patterns.iter().any(|pattern| {
        if pattern.contains('{') {
            return true;
        }
        let parts: Vec<&str> = pattern
            .split('/')
            .filter(|p| !p.is_empty() && *p != ".")
            .collect();
        let mut prefix: Vec<&str> = Vec::new();
        for part in &parts {
            if *part == "**" {
                prefix.push("**");
                return build_globset(&[prefix.join("/")]).is_ok_and(|g| g.is_match(dir));
            }
            if prefix.len() == depth {
                break;
            }
            prefix.push(part);
        }
        parts.len() > depth
            && prefix.len() == depth
            && build_globset(&[prefix.join("/")]).is_ok_and(|g| g.is_match(dir))
    })
}

/// The problem for an entry the listing could not name (not UTF-8) or could not enter.
fn unseen_problem(id: FileId, shown: &str, kind: &EntryKind) -> Problem {
    match kind {
        EntryKind::Unnamed { dir, why, .. } => {
            let what = if *dir { "directory" } else { "file" };
            let help = match why {
                BadName::NotUtf8 => "rename it to a UTF-8 name (`git mv`), or remove it",
                _ => "rename it (`git mv`), or remove it",
            };
            Problem::new(
                Span::file_start(id),
                shown,
                format!(
                    "the name of this {what} {}, so agentlock cannot name it and did not read \
                     it: whatever it holds is not checked",
                    why.describe()
                ),
            )
            .help(help)
        }
        EntryKind::Unlisted(why) => {
            let help = if why.starts_with("is nested") {
                "move its files to a shallower directory: git itself refuses trees this deep"
            } else if why.contains("too many open files") {
                "raise the limit on open files (`ulimit -n`) and run agentlock again"
            } else {
                "make the directory readable by agentlock, or remove it"
            };
            Problem::new(
                Span::file_start(id),
                shown,
                format!(
                    "this directory {why}; nothing below it was read, so files the configured \
                     paths would match there are not checked"
                ),
            )
            .help(help)
        }
        _ => Problem::new(Span::file_start(id), shown, "it was not read"),
    }
}

/// Prompts other tools keep are often named alike in different folders (each flow's `Chat
/// Prompt`): such a discovered prompt is named `PATH#NAME`, as servers are, instead of being
/// "defined twice". Two of agentlock's own prompts with one name@version still are.
fn qualify_colliding_prompts(model: &mut Model, discovered: &[usize]) {
    let mut count: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for p in &model.prompts {
        *count.entry(p.id()).or_default() += 1;
    }
    for &i in discovered {
        let p = &mut model.prompts[i];
        if count.get(&p.id()).is_some_and(|n| *n > 1) {
            p.name.value = format!("{}#{}", p.path, p.name.value);
        }
    }
}

/// The folder a client config below the root belongs to (`backend/.mcp.json`,
/// `web/.vscode/mcp.json`: the project a client opened there reads it), or `None` for a config
/// at the root or of a client that reads only the root's.
fn project_dir_of(config: &str) -> Option<&str> {
    [".mcp.json", ".vscode/mcp.json", ".cursor/mcp.json"]
        .iter()
        .find_map(|name| config.strip_suffix(name)?.strip_suffix('/'))
        .filter(|dir| !dir.is_empty())
}

/// `dir/rel` with `.` and `..` resolved, or `None` when it climbs above the root.
fn join_inside(dir: &str, rel: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in dir.split('/').chain(rel.split(['/', '\\'])) {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// A config below the root is the config of its folder: a client started there runs a
/// relative path (`dist/server.js`, `../tools/mcp/server.js`) from that folder. Such a path is
/// the repository file it names from there (`local`), or, when it climbs out of the
/// repository, stays outside it (`exec`).
fn rebase_nested_launches(model: &mut Model) {
    for server in &mut model.tools {
        let Some(dir) = project_dir_of(&server.path).map(str::to_string) else {
            continue;
        };
        for src in &mut server.sources {
            let v = src.value.value.as_str();
            let relative =
                !v.starts_with(['/', '~', '$', '%', '\\']) && v.get(1..2).is_none_or(|c| c != ":");
            // (a module or a program's name, `app.server`, `docs-server`, is no path)
            let path_like = v == "." || v.contains(['/', '\\']);
            if !relative || !path_like || !matches!(src.kind.value.as_str(), "local" | "exec") {
                continue;
            }
            if let Some(joined) = join_inside(&dir, v) {
                src.kind.value = "local".into();
                src.value.value = joined;
            }
        }
    }
}

/// `python -m pkg.mod` runs the repository's own code when the repository holds the package
/// (`pkg/`, `src/pkg/`, `pkg.py`): a `local` source; otherwise the environment's, `exec`.
fn resolve_python_modules(snapshot: &dyn Snapshot, model: &mut Model) {
    use model::launch::{PY_MODULE, module_homes};
    for server in &mut model.tools {
        for src in &mut server.sources {
            if src.kind.value != PY_MODULE {
                continue;
            }
            let here = module_homes(&src.value.value).iter().any(|home| {
                let Ok(p) = RepoPath::parse(home) else {
                    return false;
                };
                matches!(
                    snapshot.read(&p, 0),
                    Ok(_) | Err(ReadError::TooLarge { .. })
                ) || snapshot
                    .list(std::slice::from_ref(&p))
                    .is_ok_and(|l| !l.is_empty())
            });
            src.kind.value = if here { "local" } else { "exec" }.to_string();
        }
    }
}

/// The first CODEOWNERS file of [`CODEOWNERS_PATHS`] that exists, as GitHub picks it.
fn load_codeowners(
    snapshot: &dyn Snapshot,
    model: &mut Model,
    limit: u64,
    problems: &mut Vec<Problem>,
) {
    for path in CODEOWNERS_PATHS {
        let Some(content) = read_text(snapshot, &RepoPath::fixed(path), limit) else {
            continue;
        };
        match content {
            Ok((text, _)) => {
                use crate::load::codeowners::{Codeowners, GITHUB_MAX_SIZE, MATCH_BUDGET};
                let id = model.sources.add(path.to_string(), Some(text.clone()));
                if text.len() >= GITHUB_MAX_SIZE {
                    // GitHub does not load it: nobody is asked to review anything.
                    problems.push(
                        Problem::new(
                            Span::file_start(id),
                            *path,
                            format!(
                                "{path} is {} bytes: GitHub does not load a CODEOWNERS file of 3 MB ({GITHUB_MAX_SIZE} bytes) or more, so no change in the repository gets a code owner's review",
                                text.len()
                            ),
                        )
                        .label("over GitHub's limit")
                        .help("make it smaller: a wildcard pattern (`/prompts/` or `*.prompt`) can replace many lines"),
                    );
                    model.incomplete.codeowners = true;
                    return;
                }
                let (mut owners, mut found) = Codeowners::load(id, path, &text);
                problems.append(&mut found);
                let paths: Vec<&str> = model.prompts.iter().map(|p| p.path.as_str()).collect();
                let (undecided, distinct) = owners.decide(paths.iter().copied());
                if undecided > 0 {
                    problems.push(
                        Problem::new(
                            Span::file_start(id),
                            *path,
                            format!(
                                "the owners of {undecided} of the {} prompt files were not decided: matching them against the {} rules of {path} took more than agentlock's budget of {MATCH_BUDGET} steps",
                                distinct,
                                owners.rules.len()
                            ),
                        )
                        .label("too much matching")
                        .help("anchor patterns at a directory (`/prompts/`): a rule whose first directory is a plain name is only tried on paths below it, while `*x*` or `**/x` is tried on every path"),
                    );
                }
                model.codeowners = Some(owners);
            }
            Err(p) => {
                let id = model.sources.add(path.to_string(), None);
                let mut f = Problem::new(Span::file_start(id), *path, p.message);
                f.help = p.help;
                problems.push(f);
                model.incomplete.codeowners = true;
            }
        }
        return;
    }
}

/// agentlock.toml and the policy files it extends, as loaded.
fn policy_files(model: &Model) -> Vec<FileId> {
    model
        .sources
        .iter()
        .filter(|(_, f)| {
            f.text.is_some()
                && (f.path == config::MANIFEST
                    || model
                        .config
                        .policy
                        .layers
                        .iter()
                        .any(|l| l.origin == f.path))
        })
        .map(|(id, _)| id)
        .collect()
}

/// Scans every loaded file, agentlock.toml and the policy files for credentials, in parallel,
/// records them in the model and masks their bytes in the sources.
fn find_secrets(model: &mut Model, jobs: &[Job]) {
    let files: Vec<FileId> = jobs.iter().map(|(id, _)| *id).collect();
    scan_sources(model, files);
}

/// Scans the given files of the model's sources (and agentlock.toml and the policy files) for
/// credentials, records them and masks them.
pub fn scan_sources(model: &mut Model, mut files: Vec<FileId>) {
    files.extend(policy_files(model));
    let (mut found, escaped) = hits(model, &files);
    found.extend(server_credentials(model, &found));
    record(model, found, escaped);
}

/// Scans files added to the sources after loading (the evidence) for credentials, records
/// them and masks them, as [`scan_sources`] does the loaded ones.
pub fn scan_files(model: &mut Model, files: &[FileId]) {
    let (found, escaped) = hits(model, files);
    record(model, found, escaped);
}

/// A credential written with string escapes: the range it is written in, and its value.
type Escaped = (FileId, crate::secrets::Hit, String);

/// What the detectors find in each of `files`: in the text as it is, and, written with
/// escapes, in its values as JSON and YAML decode them ([`crate::secrets::scan_escaped`]).
fn hits(
    model: &Model,
    files: &[FileId],
) -> (Vec<(FileId, Vec<crate::secrets::Hit>)>, Vec<Escaped>) {
    let sources = &model.sources;
    type Each = (
        FileId,
        Vec<crate::secrets::Hit>,
        Vec<(crate::secrets::Hit, String)>,
    );
    let each: Vec<Each> = files
        .par_iter()
        .filter_map(|&id| {
            let text = sources.get(id).text.as_ref()?;
            let hits = crate::secrets::scan(text);
            let escaped = crate::secrets::scan_escaped(text, &hits);
            (!hits.is_empty() || !escaped.is_empty()).then_some((id, hits, escaped))
        })
        .collect();
    let mut found = Vec::new();
    let mut escaped = Vec::new();
    for (id, hits, esc) in each {
        if !hits.is_empty() {
            found.push((id, hits));
        }
        escaped.extend(esc.into_iter().map(|(h, v)| (id, h, v)));
    }
    (found, escaped)
}

/// Records the credentials found (and those in file names) and masks every occurrence of each
/// in every file, and the range each escaped one is written in.
fn record(
    model: &mut Model,
    found: Vec<(FileId, Vec<crate::secrets::Hit>)>,
    escaped: Vec<Escaped>,
) {
    // A credential can be a name too: a file called after a token is as public as its text.
    let named: Vec<(FileId, &str)> = model
        .sources
        .iter()
        .filter(|(_, f)| !f.path.starts_with("(built-in)") && !f.path.starts_with("(no "))
        .map(|(id, f)| (id, f.path.as_str()))
        .collect();
    let in_names: Vec<(FileId, &'static crate::secrets::Detector, String)> = named
        .par_iter()
        .flat_map_iter(|&(id, path)| name_secrets(path).into_iter().map(move |(d, v)| (id, d, v)))
        .collect();
    let mut values: Vec<String> = Vec::new();
    for (id, hits) in &found {
        let text = model.sources.get(*id).text.clone().unwrap_or_default();
        for h in hits {
            let span = Span::new(*id, h.secret.start, h.secret.end);
            let value = &text[h.secret.clone()];
            model
                .secrets
                .push(model::Secret::new(span, h.detector, value));
            values.push(value.to_string());
        }
    }
    for (id, h, value) in &escaped {
        let span = Span::new(*id, h.secret.start, h.secret.end);
        model
            .secrets
            .push(model::Secret::new(span, h.detector, value));
        values.push(value.clone());
    }
    for (id, detector, value) in in_names {
        if !model.secrets.iter().any(|s| s.in_name && s.span.file == id) {
            model
                .secrets
                .push(model::Secret::in_name(id, detector, &value));
        }
        values.push(value);
    }
    if values.is_empty() {
        return;
    }
    // Once a value is known to be a credential, every occurrence of it is masked, in every
    // file: the same token in a URL or a comment, where no detector would see it, is still it.
    values.sort();
    values.dedup();
    let Ok(finder) = aho_corasick::AhoCorasick::new(&values) else {
        return;
    };
    let ids: Vec<FileId> = model
        .sources
        .iter()
        .filter(|(_, f)| f.text.is_some())
        .map(|(id, _)| id)
        .collect();
    for id in ids {
        let Some(text) = model.sources.get(id).text.clone() else {
            continue;
        };
        let mut ranges: Vec<std::ops::Range<usize>> = finder
            .find_iter(text.as_bytes())
            .map(|m| m.range())
            .collect();
        ranges.extend(
            escaped
                .iter()
                .filter(|(f, _, _)| *f == id)
                .map(|(_, h, _)| h.secret.clone()),
        );
        if !ranges.is_empty() {
            model.sources.mask(id, &merged(ranges));
        }
    }
}

/// Ranges sorted and joined where they overlap or touch.
fn merged(mut ranges: Vec<std::ops::Range<usize>>) -> Vec<std::ops::Range<usize>> {
    ranges.sort_by_key(|r| (r.start, r.end));
    let mut out: Vec<std::ops::Range<usize>> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match out.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    out
}

/// The credentials in a path: in the whole path, and in each component without its extension
/// (a token right before `.prompt` touches a `.`, which a detector's boundary rejects).
fn name_secrets(path: &str) -> Vec<(&'static crate::secrets::Detector, String)> {
    let mut out: Vec<(&'static crate::secrets::Detector, String)> = Vec::new();
    let stems = path
        .split('/')
        .map(|c| c.rsplit_once('.').map_or(c, |(stem, _)| stem));
    for text in std::iter::once(path).chain(stems) {
        for h in crate::secrets::scan(text) {
            let value = text[h.secret].to_string();
            if !out.iter().any(|(_, v)| *v == value) {
                out.push((h.detector, value));
            }
        }
    }
    out
}

/// Credentials inline in a server's `env` or headers that no detector's pattern saw: a value
/// under a credential's name (`{"name": "X-API-Key", "value": "…"}` in a registry file, an
/// `API_KEY` of a format no detector knows).
fn server_credentials(
    model: &Model,
    scanned: &[(FileId, Vec<crate::secrets::Hit>)],
) -> Vec<(FileId, Vec<crate::secrets::Hit>)> {
    let Some(generic) = crate::secrets::detector("generic-secret") else {
        return Vec::new();
    };
    let mut out: Vec<(FileId, Vec<crate::secrets::Hit>)> = Vec::new();
    for server in &model.tools {
        let Some(text) = model.sources.get(server.file).text.as_ref() else {
            continue;
        };
        for (name, value) in &server.env {
            let Some(v) = value.as_str() else { continue };
            if !crate::secrets::is_credential_name(&name.value)
                || !crate::secrets::is_assigned_credential(v)
            {
                continue;
            }
            let token = v.trim().rsplit(' ').next().unwrap_or(v);
            let (start, end) = (value.span.start as usize, value.span.end as usize);
            let Some(at) = text.get(start..end).and_then(|t| t.find(token)) else {
                continue; // written with escapes: the scanner's business
            };
            let range = start + at..start + at + token.len();
            let seen = scanned.iter().chain(&out).any(|(f, hits)| {
                *f == server.file
                    && hits
                        .iter()
                        .any(|h| h.secret.start < range.end && range.start < h.secret.end)
            });
            if !seen {
                let hit = crate::secrets::Hit {
                    detector: generic,
                    secret: range,
                };
                out.push((server.file, vec![hit]));
            }
        }
    }
    out
}

/// Worker threads get a main-thread-sized stack, so that parsing a document at the nesting
/// limit cannot overflow a smaller worker stack.
fn init_threads() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rayon::ThreadPoolBuilder::new()
            .stack_size(8 << 20)
            .build_global();
    });
}

/// The target is not printed: it may name private places on this machine.
fn outside_symlink(id: FileId, path: &str) -> Problem {
    Problem::new(
        Span::file_start(id),
        path,
        "symlink leads outside the repository; it was not followed",
    )
    .help("replace the link with the file itself, or point it at a file inside the repository")
}

/// The directory part of a glob before its first wildcard: where to start walking.
fn literal_prefix(pattern: &str) -> String {
    let parts: Vec<&str> = pattern.split('/').collect();
    let mut lit = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        // (An escape too: `\x` matches `x`, so the directory is not named as written.)
        if p.contains(['*', '?', '[', '{', '\\']) || i == parts.len() - 1 {
            break;
        }
        lit.push(*p);
    }
    lit.join("/")
}

fn build_globset(patterns: &[String]) -> Result<globset::GlobSet, globset::Error> {
    let mut b = globset::GlobSetBuilder::new();
    for p in patterns {
        b.add(
            globset::GlobBuilder::new(p)
                .literal_separator(true)
                .build()?,
        );
    }
    b.build()
}

/// Reads `wanted`, in parallel, at most `limit` bytes each, drawing on `budget`. When the
/// budget runs out, the files past it are the same on every run: what this call took is given
/// back and the read is done again, in order.
fn read_all(
    snapshot: &dyn Snapshot,
    wanted: &[(RepoPath, Kind)],
    limit: u64,
    budget: &ReadBudget,
) -> Vec<Option<Raw>> {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    let start = budget.left();
    let spent = AtomicBool::new(false);
    // What the files read took: two threads can each see room for their file and together
    // take more than there was, so this is checked too, not only a refusal.
    let taken = AtomicU64::new(0);
    let read = |path: &RepoPath, kind: Kind| {
        let raw = read_file(snapshot, path, kind, limit, budget);
        match raw.as_ref() {
            Some(r) if r.over_budget => spent.store(true, Ordering::Relaxed),
            Some(Raw {
                content: Ok((text, _)),
                ..
            }) => {
                taken.fetch_add(text.len() as u64, Ordering::Relaxed);
            }
            _ => {}
        }
        raw
    };
    let raws: Vec<Option<Raw>> = wanted.par_iter().map(|(p, k)| read(p, *k)).collect();
    if !spent.load(Ordering::Relaxed) && taken.load(Ordering::Relaxed) <= start {
        return raws;
    }
    drop(raws);
    budget.give_back(start.saturating_sub(budget.left()));
    wanted
        .iter()
        .map(|(path, kind)| read_file(snapshot, path, *kind, limit, budget))
        .collect()
}

/// One file, read within `limit` and what is left of the run's `budget` (taken from it).
fn read_file(
    snapshot: &dyn Snapshot,
    path: &RepoPath,
    kind: Kind,
    limit: u64,
    budget: &ReadBudget,
) -> Option<Raw> {
    let available = budget.left();
    let mut over_budget = false;
    let content = match read_text(snapshot, path, limit.min(available))? {
        Ok((text, hash)) => {
            budget.take(text.len() as u64);
            Ok((text, hash))
        }
        Err(Unread {
            size: Some(size), ..
        }) if size <= limit => {
            over_budget = true;
            Err(Unread {
                message: format!(
                    "file is {size} bytes and was not read: one run reads up to {} bytes of the repository's files in all, and the files before it took {} of them",
                    budget.total(),
                    budget.total() - available
                ),
                help: Some("agentlock reads the model's files, not bulk data: keep large files outside the configured paths".into()),
                size: None,
            })
        }
        // Over the file limit itself: said with that limit, not with what was left.
        Err(Unread {
            size: Some(size),
            help,
            ..
        }) => Err(Unread {
            message: ReadError::TooLarge { size, limit }.to_string(),
            help,
            size: Some(size),
        }),
        Err(e) => Err(e),
    };
    Some(Raw {
        path: path.to_string(),
        kind,
        content,
        over_budget,
    })
}

/// The text of a file and its LF-normalized hash, or why there is none; `None` when it does not
/// exist.
fn read_text(
    snapshot: &dyn Snapshot,
    path: &RepoPath,
    limit: u64,
) -> Option<Result<(crate::source::Text, String), Unread>> {
    let content = match snapshot.read(path, limit) {
        Ok(bytes) => decode(bytes),
        Err(ReadError::NotFound | ReadError::Invalid(_)) => return None,
        Err(e @ ReadError::TooLarge { size, .. }) => Err(Unread {
            message: e.to_string(),
            help: Some("raise `[paths] max_file_size` in agentlock.toml if the file is meant to be this large".into()),
            size: Some(size),
        }),
        Err(ReadError::SymlinkOutside) => Err(Unread {
            message: "symlink leads outside the repository; it was not followed".into(),
            help: Some("replace the link with the file itself, or point it at a file inside the repository".into()),
            size: None,
        }),
        Err(e @ ReadError::NotAFile(_)) => Err(Unread {
            message: format!("{} {e}", crate::source::shown_path(path.as_str())),
            help: Some("agentlock reads regular files only".into()),
            size: None,
        }),
        Err(e) => Err(Unread { message: e.to_string(), help: None, size: None }),
    };
    Some(content)
}

/// Bytes → text and hash. Binary, UTF-16 and non-UTF-8 files are refused with the position of
/// the first offending byte (and a UTF-16 file is named as such).
fn decode(bytes: Vec<u8>) -> Result<(crate::source::Text, String), Unread> {
    if utf16(&bytes).is_some() {
        return Err(Unread {
            message: "UTF-16 text (it starts with a UTF-16 byte-order mark); agentlock reads UTF-8"
                .into(),
            help: Some("save the file as UTF-8".into()),
            size: None,
        });
    }
    if let Some(pos) = memchr_nul(&bytes) {
        let line = bytes[..pos].iter().filter(|&&b| b == b'\n').count() + 1;
        return Err(Unread {
            message: format!("binary file (a NUL byte on line {line}); expected UTF-8 text"),
            help: None,
            size: None,
        });
    }
    if crate::snapshot::lfs::is_pointer(&bytes) {
        return Err(Unread {
            message: crate::snapshot::lfs::POINTER.into(),
            help: Some(crate::snapshot::lfs::HELP.into()),
            size: None,
        });
    }
    let sha = sha256_lf(&bytes);
    match String::from_utf8(bytes) {
        Ok(s) => Ok((s.into(), sha)),
        Err(e) => {
            let pos = e.utf8_error().valid_up_to();
            let line = e.as_bytes()[..pos].iter().filter(|&&b| b == b'\n').count() + 1;
            Err(Unread {
                message: format!("not UTF-8 text (an invalid byte on line {line})"),
                help: Some("save the file as UTF-8".into()),
                size: None,
            })
        }
    }
}

/// The text of a UTF-16 file with a byte-order mark, decoded (unpaired surrogates replaced).
fn utf16(bytes: &[u8]) -> Option<String> {
    let little = match bytes {
        [0xFF, 0xFE, ..] => true,
        [0xFE, 0xFF, ..] => false,
        _ => return None,
    };
    let units = bytes[2..].chunks_exact(2).map(|c| {
        if little {
            u16::from_le_bytes([c[0], c[1]])
        } else {
            u16::from_be_bytes([c[0], c[1]])
        }
    });
    Some(
        char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect(),
    )
}

/// The text `scan FILE…` looks for secrets in: UTF-8 (what is not valid UTF-8 replaced, so a
/// credential in a Latin-1 file is still found), or UTF-16 with a byte-order mark, decoded.
/// `None` for a binary file.
pub fn decode_for_scan(bytes: &[u8]) -> Option<crate::source::Text> {
    if let Some(text) = utf16(bytes) {
        return Some(text.into());
    }
    if memchr_nul(bytes).is_some() {
        return None;
    }
    Some(String::from_utf8_lossy(bytes).into())
}

/// What a Git LFS pointer is, said of a file that is one.
fn memchr_nul(bytes: &[u8]) -> Option<usize> {
    memchr::memchr(0, bytes)
}

fn mark_incomplete(inc: &mut model::Incomplete, kind: Kind) {
    match kind {
        Kind::Prompt | Kind::Prompty | Kind::Dotprompt | Kind::MarkdownAgent => inc.prompts = true,
        Kind::Agents | Kind::CrewAgents | Kind::CrewTasks => inc.agents = true,
        Kind::Tool | Kind::McpClient | Kind::McpRegistry | Kind::Smithery => inc.tools = true,
        Kind::Models => inc.models = true,
        Kind::Deploy => inc.deploy = true,
        Kind::Dataset => inc.datasets = true,
        Kind::Rego => {}
    }
}

enum Parsed {
    /// A prompt, with its model when the file names a model id rather than an alias.
    Prompt(model::Prompt, Option<model::DirectModel>),
    Agents(model::Topology),
    Tool(Box<model::ToolServer>),
    /// The servers of an MCP client config, and the models it names.
    Client(model::mcp::Client),
    Models(model::Models),
    Deploy(model::Deploy),
    Dataset(model::Dataset),
    /// A CrewAI agents.yaml or tasks.yaml, put together once all are parsed.
    Crew(FileId, Node),
    /// A Rego policy and what it declares: compiled when it is evaluated, with the repository.
    Rego(FileId, rego::Declared),
    /// Nothing usable; CONF001 says why.
    Nothing,
    /// A discovered file that is not of the format after all.
    Ignored,
}

fn is_discovered(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::McpClient
            | Kind::McpRegistry
            | Kind::CrewAgents
            | Kind::CrewTasks
            | Kind::Prompty
            | Kind::Dotprompt
            | Kind::MarkdownAgent
            | Kind::Smithery
    )
}

fn parse(id: FileId, raw: &Raw) -> Outcome {
    let mut problems = Vec::new();
    let Ok((text, sha)) = &raw.content else {
        return (Parsed::Nothing, problems);
    };
    let mut r = Reader::new(id, &raw.path, text, &mut problems);
    let prompt = |p: Option<model::prompt::WithModel>| {
        p.map_or(Parsed::Nothing, |(p, d)| Parsed::Prompt(p, d))
    };
    let item = match raw.kind {
        Kind::Prompt => model::prompt::load(&mut r, sha.clone()).map(|p| Parsed::Prompt(p, None)),
        Kind::Dotprompt => Some(prompt(model::prompt::load_dotprompt(&mut r, sha.clone()))),
        Kind::Prompty => Some(prompt(model::prompt::load_prompty(&mut r, sha.clone()))),
        Kind::MarkdownAgent => Some(prompt(model::prompt::load_markdown_agent(
            &mut r,
            sha.clone(),
        ))),
        Kind::Dataset => Some(Parsed::Dataset(model::dataset::load(&mut r, sha.clone()))),
        Kind::Rego => Some(Parsed::Rego(id, rego::read(text))),
        kind => match parse_tree(&raw.path, kind, text, id) {
            Ok(root) => match kind {
                Kind::Agents => model::agent::load(&mut r, &root).map(Parsed::Agents),
                Kind::Tool => model::tool::load(&mut r, &root).map(|t| Parsed::Tool(Box::new(t))),
                Kind::Models => model::llm::load(&mut r, &root).map(Parsed::Models),
                Kind::Deploy => model::deploy::load(&mut r, &root).map(Parsed::Deploy),
                Kind::McpClient => Some(match model::mcp::load_client(&mut r, &root) {
                    model::mcp::Read::Found(c) => Parsed::Client(c),
                    model::mcp::Read::Failed => Parsed::Nothing,
                    model::mcp::Read::Other => Parsed::Ignored,
                }),
                Kind::McpRegistry => Some(match model::mcp::load_registry(&mut r, &root) {
                    model::mcp::Read::Found(t) => Parsed::Tool(Box::new(t)),
                    model::mcp::Read::Failed => Parsed::Nothing,
                    model::mcp::Read::Other => Parsed::Ignored,
                }),
                Kind::Smithery => Some(match model::mcp::load_smithery(&mut r, &root) {
                    model::mcp::Read::Found(t) => Parsed::Tool(Box::new(t)),
                    model::mcp::Read::Failed => Parsed::Nothing,
                    model::mcp::Read::Other => Parsed::Ignored,
                }),
                Kind::CrewAgents if !is_crew(&root) => Some(Parsed::Ignored),
                Kind::CrewAgents | Kind::CrewTasks => Some(Parsed::Crew(id, root)),
                Kind::Prompt
                | Kind::Dataset
                | Kind::Rego
                | Kind::Prompty
                | Kind::Dotprompt
                | Kind::MarkdownAgent => unreachable!("handled above"),
            },
            // A discovered file that does not parse may not be of the format at all (any
            // `server.json`): it is reported when its text says it is of the format, as the
            // parsed file would ([`marks_of`]), else left alone.
            Err(_)
                if matches!(raw.kind, Kind::McpRegistry | Kind::CrewAgents)
                    && !marks_of(raw.kind, text) =>
            {
                Some(Parsed::Ignored)
            }
            Err(e) => {
                let offset = match (e.offset, e.line_col) {
                    (Some(o), _) => o,
                    (None, Some((l, c))) => {
                        crate::source::SourceFile::new(String::new(), Some(text.clone()))
                            .offset_of(l, c)
                    }
                    _ => 0,
                };
                let what = if raw.path.ends_with(".json") {
                    "JSON"
                } else if raw.path.ends_with(".toml") {
                    "TOML"
                } else {
                    "YAML"
                };
                r.problem(
                    Span::new(id, offset, offset + 1),
                    format!("invalid {what}: {}", e.message),
                    None,
                );
                None
            }
        },
    };
    (item.unwrap_or(Parsed::Nothing), problems)
}

/// The tree of a structured file: JSON (with comments where the client allows them), TOML or
/// YAML, by its name.
fn parse_tree(path: &str, kind: Kind, text: &str, id: FileId) -> Result<Node, node::ParseError> {
    if path.ends_with(".toml") {
        node::parse_toml(text, id)
    } else if (path.ends_with(".json") || path.ends_with(".jsonc")) && kind == Kind::McpClient {
        node::parse_jsonc(text, id)
    } else if path.ends_with(".json") {
        node::parse_json(text, id)
    } else {
        node::parse_yaml(text, id)
    }
}

/// Who names a model by its id: a prompt (by index), an agent (topology, agent), or a
/// client config's model setting (`PATH#NAME`, the file).
enum User {
    Prompt(usize),
    Agent(usize, usize),
    Config(String, FileId),
}

/// The id a file was registered under.
fn raw_file(jobs: &[Job], path: &str) -> FileId {
    jobs.iter()
        .find(|(_, r)| r.path == path)
        .map_or(FileId(0), |(id, _)| *id)
}

/// Every crew's agents.yaml with the tasks.yaml beside it, as topologies, in path order.
fn load_crews(
    sources: &SourceMap,
    jobs: &[Job],
    crews: &[(FileId, Node)],
    problems: &mut Vec<Problem>,
) -> Vec<model::Topology> {
    let file = |id: FileId| -> Option<model::crewai::CrewFile<'_>> {
        let (_, raw) = jobs.iter().find(|(j, _)| *j == id)?;
        let root = &crews.iter().find(|(c, _)| *c == id)?.1;
        let text = raw.content.as_ref().ok()?.0.as_ref();
        Some(model::crewai::CrewFile {
            file: id,
            path: &raw.path,
            text,
            root,
        })
    };
    let kind_of = |id: FileId| jobs.iter().find(|(j, _)| *j == id).map(|(_, r)| r.kind);
    let mut out = Vec::new();
    for (id, _) in crews {
        if kind_of(*id) != Some(Kind::CrewAgents) {
            continue;
        }
        let path = &sources.get(*id).path;
        let tasks_path = match path.rsplit_once('/') {
            Some((dir, _)) => format!("{dir}/tasks.yaml"),
            None => "tasks.yaml".to_string(),
        };
        let tasks = crews
            .iter()
            .find(|(t, _)| sources.get(*t).path == tasks_path)
            .and_then(|(t, _)| file(*t));
        if let Some(agents) = file(*id)
            && let Some(t) = model::crewai::load(agents, tasks, problems)
        {
            out.push(t);
        }
    }
    out
}

/// Whether the text of a discovered file that does not parse carries the marks its parsed tree
/// is recognised by: the registry's `$schema` (as [`model::mcp::load_registry`] looks for it),
/// or a crew agent's `role:` key ([`is_crew`]). A broken file of the format is then CONF001
/// (and scanned for secrets), not left alone.
fn marks_of(kind: Kind, text: &str) -> bool {
    match kind {
        Kind::McpRegistry => {
            text.contains("modelcontextprotocol.io/schemas") || text.contains("server.schema.json")
        }
        Kind::CrewAgents => text.lines().any(|l| {
            let key = l.trim_start();
            l.len() > key.len()
                && key
                    .strip_prefix("role")
                    .is_some_and(|rest| rest.trim_start().starts_with(':'))
        }),
        _ => false,
    }
}

/// Whether a discovered `config/agents.yaml` is a CrewAI crew's: a mapping of agents, at
/// least one with a `role`. CrewAI requires a role of every agent (with a goal and a
/// backstory), so a file none of whose entries has one is not a crew CrewAI can load: another
/// program's own format under the same name (a `goal` and a `backstory` beside `name`,
/// `priority` and settings blocks read by the project's code), left alone. An empty file
/// counts.
fn is_crew(root: &Node) -> bool {
    match &root.value {
        node::Value::Null => true,
        node::Value::Map(entries) => entries.iter().any(|(_, a)| a.get("role").is_some()),
        _ => false,
    }
}

/// Gives each model named by its id an alias of its own, named after its user (the prompt's
/// `name@version`, the agent's name; `PATH#NAME` when that name is an alias already), unless
/// the id is itself an alias of models.yaml.
fn adopt_direct_models(model: &mut Model, direct: Vec<(User, model::DirectModel)>) {
    for (user, d) in direct {
        let (alias, span) = if model.model_alias(&d.id.value).is_some() {
            // it names an alias of models.yaml, as agentlock's own files do
            (d.id.value.clone(), d.id.span)
        } else {
            match adopt(model, &user, d) {
                Some(adopted) => adopted,
                None => continue,
            }
        };
        let reference = Some(crate::load::model::Sp::new(alias, span));
        match user {
            User::Prompt(i) => model.prompts[i].model = reference,
            User::Agent(t, a) => {
                if let Some(agent) = model
                    .topologies
                    .get_mut(t)
                    .and_then(|t| t.agents.get_mut(a))
                {
                    agent.model = reference;
                }
            }
            User::Config(..) => {}
        }
    }
}

/// Adds the alias of one model named by id; returns its name and where the id is written.
fn adopt(model: &mut Model, user: &User, d: model::DirectModel) -> Option<(String, Span)> {
    let (name, file) = match user {
        User::Prompt(i) => (model.prompts[*i].id(), model.prompts[*i].file),
        User::Agent(t, a) => {
            let topology = model.topologies.get(*t)?;
            (topology.agents.get(*a)?.name.value.clone(), topology.file)
        }
        User::Config(name, file) => (name.clone(), *file),
    };
    let alias = if model.model_alias(&name).is_some() {
        format!("{}#{name}", model.sources.get(file).path)
    } else {
        name
    };
    let span = d.id.span;
    let entry = d.into_alias(alias.clone(), file);
    model
        .models
        .get_or_insert_with(|| model::Models {
            file,
            aliases: Vec::new(),
        })
        .aliases
        .push(entry);
    Some((alias, span))
}

/// Why there is nothing to check: no agentlock.toml, and no file of a discovered format, or
/// only files by those names that hold nothing agentlock checks (`left_alone`: an
/// `opencode.json` without `mcp` or `model`, a `server.json` of another tool).
fn nothing_to_read(snapshot: &dyn Snapshot, left_alone: &[String]) -> ConfigError {
    const NAMED: usize = 3;
    const READS: &str = "MCP client configs (.mcp.json, .cursor/mcp.json, .vscode/mcp.json and others), MCP registry server.json, smithery.yaml, CrewAI crews, Prompty and dotprompt files, Claude Code subagents, Copilot agents";
    let message = if left_alone.is_empty() {
        format!(
            "no {} in the {}, and none of the files of other tools agentlock reads without one: {READS}",
            config::MANIFEST,
            snapshot.describe()
        )
    } else {
        // (Everything printed goes through `output::Sink`, which redacts and escapes.)
        let mut sorted: Vec<&String> = left_alone.iter().collect();
        sorted.sort();
        let mut names: Vec<String> = sorted.into_iter().take(NAMED).cloned().collect();
        if left_alone.len() > NAMED {
            names.push(format!("{} more", left_alone.len() - NAMED));
        }
        let names = crate::suggest::and_list(&names);
        format!(
            "no {} in the {}, and the files of other tools agentlock found declare nothing it checks (no MCP server, model, agent or prompt): {names}; without {} agentlock reads {READS}",
            config::MANIFEST,
            snapshot.describe(),
            config::MANIFEST,
        )
    };
    ConfigError {
        message,
        help: Some(format!(
            "run agentlock at the root of the repository (or pass --repo DIR), or start an agentlock project here with `agentlock init`, which writes {}",
            config::MANIFEST
        )),
        at: None,
    }
}

/// For tests and tools: load from a directory on disk.
pub fn load_dir(dir: &std::path::Path) -> Result<Model, ConfigError> {
    let wt = crate::snapshot::Worktree::new(dir).map_err(|e| ConfigError {
        message: format!("cannot open {}: {e}", dir.display()),
        help: None,
        at: None,
    })?;
    load(&wt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nested_client_config_belongs_to_its_folder() {
        assert_eq!(project_dir_of("backend/.mcp.json"), Some("backend"));
        assert_eq!(project_dir_of("a/b/.vscode/mcp.json"), Some("a/b"));
        assert_eq!(project_dir_of("web/.cursor/mcp.json"), Some("web"));
        assert_eq!(project_dir_of(".mcp.json"), None);
        assert_eq!(project_dir_of(".vscode/mcp.json"), None);
        assert_eq!(project_dir_of("x/claude_desktop_config.json"), None);
        assert_eq!(project_dir_of("x/my.mcp.json"), None);
        assert_eq!(
            join_inside("backend", "../tools/s.js").as_deref(),
            Some("tools/s.js")
        );
        assert_eq!(
            join_inside("a/b", "./dist/s.js").as_deref(),
            Some("a/b/dist/s.js")
        );
        assert_eq!(join_inside("backend", "../../s.js"), None);
        assert_eq!(join_inside("backend", ".."), None);
    }

    /// The run's read budget leaves out the same files on every run, in the order they were
    /// wanted, and reads a later file that still fits.
    #[test]
    fn files_past_the_runs_read_budget_are_refused_unread_in_order() {
        let snapshot = crate::snapshot::MemorySnapshot::default()
            .with("a.prompt", "aaaaaa")
            .with("b.prompt", "bbbbbb")
            .with("c.prompt", "ccc")
            .with("d.prompt", "dddddddddddddddddddd");
        let wanted: Vec<(RepoPath, Kind)> = ["a.prompt", "b.prompt", "c.prompt", "d.prompt"]
            .iter()
            .map(|p| (RepoPath::fixed(p), Kind::Prompt))
            .collect();
        let outcome = |raws: Vec<Option<Raw>>| -> Vec<&'static str> {
            raws.iter()
                .map(|r| match &r.as_ref().unwrap().content {
                    Ok(_) => "read",
                    Err(u) if u.message.contains("in all") => "budget",
                    Err(u) if u.message.contains("over the limit of 16 bytes") => "too large",
                    Err(u) => panic!("{}", u.message),
                })
                .collect()
        };
        // Many times: two threads can each find room for their file at once.
        for _ in 0..500 {
            let budget = ReadBudget::new(10);
            let raws = read_all(&snapshot, &wanted, 16, &budget);
            assert_eq!(outcome(raws), ["read", "budget", "read", "too large"]);
            // A second load of the same run (a `--new-since` base) draws on what is left.
            let raws = read_all(&snapshot, &wanted[..3], 16, &budget);
            assert_eq!(outcome(raws), ["budget", "budget", "budget"]);
        }
    }

    /// The patterns of a kind are matched against the files below the directories they start
    /// from only; one with an escape, or starting at the root, against every file.
    #[test]
    fn each_kind_s_patterns_find_their_files_wherever_they_start() {
        let files = [
            "agents.yaml",
            "prompts/a.prompt",
            "prompts/sub/b.prompt",
            "extra/c.prompt",
            "top.prompt",
            "promptsx/d.prompt",
        ];
        let found = |patterns: &str| -> Vec<String> {
            let mut snap = crate::snapshot::MemorySnapshot::default().with(
                "agentlock.toml",
                format!("[project]\nname = \"x\"\n[paths]\nprompts = {patterns}\n"),
            );
            for f in files {
                snap = snap.with(f, "");
            }
            let mut sources = SourceMap::default();
            let mut problems = Vec::new();
            let config = config::load_or_discover(&snap, &mut sources, &mut problems).unwrap();
            assert!(problems.is_empty(), "{problems:?}");
            let (wanted, _) = select(&snap, &config, &mut sources, &mut problems).unwrap();
            let mut got: Vec<String> = wanted
                .iter()
                .filter(|(_, k)| *k == Kind::Prompt)
                .map(|(p, _)| p.to_string())
                .collect();
            got.sort();
            got
        };
        assert_eq!(
            found(r#"["prompts/**/*.prompt"]"#),
            ["prompts/a.prompt", "prompts/sub/b.prompt"]
        );
        assert_eq!(
            found(r#"["prompts/*.prompt", "extra/*.prompt"]"#),
            ["extra/c.prompt", "prompts/a.prompt"]
        );
        assert_eq!(
            found(r#"["**/*.prompt"]"#),
            [
                "extra/c.prompt",
                "prompts/a.prompt",
                "prompts/sub/b.prompt",
                "promptsx/d.prompt",
                "top.prompt"
            ]
        );
        // `\x` matches `x`: `e\xtra/` is `extra/`, so the walk starts at the root.
        assert_eq!(found(r#"["e\\xtra/*.prompt"]"#), ["extra/c.prompt"]);
    }

    #[test]
    fn a_git_lfs_pointer_is_said_to_be_one() {
        let pointer = b"version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n";
        let e = decode(pointer.to_vec()).err().unwrap();
        assert!(e.message.contains("Git LFS pointer"), "{}", e.message);
        assert!(e.help.unwrap().contains("git lfs pull"));
        // A text that only mentions the spec is text.
        assert!(decode(b"see version https://git-lfs.github.com/spec/v1\n".to_vec()).is_ok());
    }

    /// The loader's decoding and `scan FILE…`'s are one policy where a file is text: they
    /// differ only where the loader refuses and a credential scanner must still look (invalid
    /// UTF-8, UTF-16), and both refuse a binary file.
    #[test]
    fn the_two_decoders_agree_on_text_and_binary() {
        for text in ["", "a: 1\n", "prompt ünïcödé ✓\r\nline 2", "k: \u{200b}v\n"] {
            let Ok((strict, _)) = decode(text.as_bytes().to_vec()) else {
                panic!("{text:?} is text");
            };
            assert_eq!(decode_for_scan(text.as_bytes()).as_deref(), Some(&*strict));
        }
        let binary = b"PNG\0\x01\x02".to_vec();
        assert!(decode(binary.clone()).is_err() && decode_for_scan(&binary).is_none());
        let latin1 = b"token: caf\xe9 ghp_x".to_vec();
        assert!(decode(latin1.clone()).is_err());
        assert!(decode_for_scan(&latin1).unwrap().contains("ghp_x"));
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("ab".encode_utf16().flat_map(|u| u.to_le_bytes()))
            .collect();
        assert!(decode(utf16.clone()).is_err());
        assert_eq!(decode_for_scan(&utf16).as_deref(), Some("ab"));
    }

    #[test]
    fn prefixes() {
        assert_eq!(literal_prefix("prompts/**/*.prompt"), "prompts");
        assert_eq!(literal_prefix("tools/*.yaml"), "tools");
        assert_eq!(literal_prefix("*.prompt"), "");
        assert_eq!(literal_prefix("a/b/c.txt"), "a/b");
    }

    #[test]
    fn agents_and_servers_are_found_by_name_after_the_model_changes_too() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/clean");
        let mut model = load_dir(&dir).expect("the clean fixture loads");
        assert_eq!(
            model.agent("writer").map(|a| a.name.value.as_str()),
            Some("writer")
        );
        assert!(model.agent("nobody").is_none());
        assert!(model.tool_server("github").is_some());
        assert!(model.tool_server("gitlab").is_none());
        // A server added after the index was built is found (by walking) ...
        let mut gitlab = model.tools[0].clone();
        gitlab.server.value = "gitlab".into();
        model.tools.push(gitlab);
        assert!(model.tool_server("gitlab").is_some());
        // ... and through the index once it is rebuilt; the first of a name wins.
        model.reindex();
        assert_eq!(
            model.tool_server("gitlab").map(|s| s.server.value.as_str()),
            Some("gitlab")
        );
        let first = model.tool_server("github").map(|s| s.path.clone());
        let mut again = model.tools[0].clone();
        again.path = "tools/other.yaml".into();
        model.tools.push(again);
        model.reindex();
        assert_eq!(model.tool_server("github").map(|s| s.path.clone()), first);
    }
}
