//! The structure the code must keep: rule codes are named only by their rules, and the module
//! graph has no edge pointing back up the pipeline.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn src_files() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let rel = p
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (rel, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

/// The string literals of Rust source (plain, byte and raw), with the line each starts on;
/// comments and char literals are skipped.
fn string_literals(text: &str) -> Vec<(usize, String)> {
    lex(text).0
}

/// Code with comments and string literals blanked out.
fn code_only(text: &str) -> String {
    lex(text).1
}

/// Splits Rust source into its string literals (with their lines) and the code around them
/// (comments and literals replaced by spaces, so offsets stay).
fn lex(text: &str) -> (Vec<(usize, String)>, String) {
    let b = text.as_bytes();
    let mut literals = Vec::new();
    let mut blanks: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    let line_of = |at: usize| text[..at].matches('\n').count() + 1;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                let start = i;
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                blanks.push((start, i));
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let start = i;
                let mut depth = 0;
                while i < b.len() {
                    if b[i..].starts_with(b"/*") {
                        depth += 1;
                        i += 2;
                    } else if b[i..].starts_with(b"*/") {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                blanks.push((start, i));
            }
            b'r' if (i == 0 || !is_ident(b[i - 1]))
                && matches!(b.get(i + 1), Some(b'#') | Some(b'"')) =>
            {
                let start = i;
                i += 1;
                let hashes = b[i..].iter().take_while(|&&c| c == b'#').count();
                i += hashes;
                if b.get(i) != Some(&b'"') {
                    continue;
                }
                i += 1;
                let close: Vec<u8> = std::iter::once(b'"')
                    .chain(std::iter::repeat_n(b'#', hashes))
                    .collect();
                let end = i + find(&b[i..], &close).expect("an unterminated raw string");
                literals.push((line_of(start), text[i..end].to_string()));
                i = end + close.len();
                blanks.push((start, i));
            }
            b'"' => {
                let start = i;
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                literals.push((line_of(start), text[start + 1..i.min(b.len())].to_string()));
                i += 1;
                blanks.push((start, i.min(b.len())));
            }
            b'\'' => {
                // A char literal ('"', '\''), or a lifetime ('a).
                if b.get(i + 1) == Some(&b'\\') {
                    i += 2;
                    while i < b.len() && b[i] != b'\'' {
                        i += 1;
                    }
                    i += 1;
                } else if b.get(i + 2) == Some(&b'\'') {
                    i += 3;
                } else {
                    i += 1;
                }
            }
            c if is_ident(c) => {
                while i < b.len() && is_ident(b[i]) {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    let mut code = text.as_bytes().to_vec();
    for (a, z) in blanks {
        for c in &mut code[a..z] {
            if *c != b'\n' {
                *c = b' ';
            }
        }
    }
    (literals, String::from_utf8_lossy(&code).into_owned())
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[test]
fn the_literal_scanner_sees_strings_and_skips_the_rest() {
    let text = "// \"no\"\nlet a = \"yes\"; /* \"no\" */ let c = '\"'; let d = r#\"raw \"q\"\"#;\nfn f<'a>(x: &'a str) { \"esc \\\" aped\" }";
    let found: Vec<String> = string_literals(text).into_iter().map(|(_, s)| s).collect();
    assert_eq!(found, ["yes", "raw \"q\"", "esc \\\" aped"]);
}

/// A rule code is a name its rule owns: every other file refers to the rule's static (so a
/// renamed or removed rule fails to compile rather than silently matching nothing).
#[test]
fn no_rule_code_is_a_string_outside_its_rule() {
    let codes: Vec<&str> = agentlock::rules::RULES.iter().map(|r| r.code).collect();
    let mut found = Vec::new();
    for (path, text) in src_files() {
        if path.starts_with("rules/") {
            continue;
        }
        for (line, literal) in string_literals(&text) {
            for code in &codes {
                let mut rest = literal.as_str();
                while let Some(at) = rest.find(code) {
                    let before = rest[..at].bytes().last();
                    let after = rest[at + code.len()..].bytes().next();
                    if !before.is_some_and(is_ident) && !after.is_some_and(is_ident) {
                        found.push(format!("src/{path}:{line}: {code}"));
                    }
                    rest = &rest[at + code.len()..];
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "rule codes as strings outside src/rules/ (name the rule's static instead):\n{}",
        found.join("\n")
    );
}

/// The pipeline, bottom up: a module may use only the modules before it. Within one module (a
/// folder such as `rules/` or `model/`) its files may use each other. A new module goes where it
/// belongs in this list; an import that does not fit is a design question, not a test to edit.
const LAYERS: &[&str] = &[
    // foundation: spans, dates, digests, the file seam, trees of values, findings
    "source",
    "date",
    "timing",
    "units",
    "suggest",
    "digest",
    "keywords",
    "known",
    "snapshot",
    "node",
    "problem",
    "finding",
    // load: read files into the model (problems, never findings)
    "load::fields",
    "load::read",
    "secrets",
    "model_ids",
    "load::codeowners",
    "load::suppress",
    "load::config",
    "load::rego",
    "load::model",
    "load",
    "agent_graph",
    // the policy, the lock and the release history
    "policy",
    "lock",
    "git",
    "history",
    // the release's evidence, against the last release's
    "evidence",
    // the JSON Schemas of the files, from the loaders' tables
    "schema",
    // production traces, read and shaped
    "traces",
    // the organisation's Rego policies, evaluated over the model
    "rego",
    // the rules, and the pipeline that runs them
    "rules",
    "pipeline",
    // views of a run, and rendering
    "select",
    "diff",
    "graph",
    "checklist",
    "report",
    "output",
    // commands and entry points
    "init",
    "cli",
    "commands",
    "fuzzing",
];

/// The modules a file refers to through `crate::`: the first two segments of every path
/// (`crate::load::config::Config` → `load::config`, `use crate::{a, b::{c, d}}` → `a`,
/// `b::c`, `b::d`).
fn uses(text: &str) -> BTreeSet<String> {
    let code = code_only(text);
    let mut out = BTreeSet::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        let chars: Vec<char> = rest.chars().take(2000).collect();
        let mut i = 0;
        for path in tree(&chars, &mut i, 2) {
            if !path.is_empty() {
                out.insert(path.join("::"));
            }
        }
    }
    out
}

/// Parses a use tree (`a::b::c`, `a::{b, c::d}`, `{a, b}`) at `chars[*i]`: the paths it names,
/// each cut to `depth` segments (`self` in a group names the path before it).
fn tree(chars: &[char], i: &mut usize, depth: usize) -> Vec<Vec<String>> {
    let skip_ws = |i: &mut usize| {
        while *i < chars.len() && chars[*i].is_whitespace() {
            *i += 1;
        }
    };
    skip_ws(i);
    if chars.get(*i) == Some(&'{') {
        *i += 1;
        let mut out = Vec::new();
        loop {
            skip_ws(i);
            match chars.get(*i) {
                Some('}') | None => {
                    *i += 1;
                    return out;
                }
                Some(',') => *i += 1,
                _ => {
                    let before = *i;
                    out.extend(tree(chars, i, depth));
                    if *i == before {
                        *i += 1;
                    }
                }
            }
        }
    }
    let mut word = String::new();
    while *i < chars.len() && chars[*i].is_ascii() && is_ident(chars[*i] as u8) {
        word.push(chars[*i]);
        *i += 1;
    }
    if word.is_empty() {
        return Vec::new();
    }
    if depth > 1 && chars.get(*i) == Some(&':') && chars.get(*i + 1) == Some(&':') {
        *i += 2;
        let tails = tree(chars, i, depth - 1);
        if !tails.is_empty() {
            return tails
                .into_iter()
                .map(|t| {
                    let mut path = vec![word.clone()];
                    if t.first().is_some_and(|s| s != "self") {
                        path.extend(t);
                    }
                    path
                })
                .collect();
        }
    }
    vec![vec![word]]
}

/// The module of `LAYERS` a path of `uses` names: `load::config` when listed, else `load`.
fn layer_of(path: &str) -> String {
    if LAYERS.contains(&path) {
        return path.to_string();
    }
    path.split("::").next().unwrap().to_string()
}

/// The module of `LAYERS` a file of src/ belongs to: its top-level module, or a folder's
/// submodule when LAYERS lists it (`load/config.rs` → `load::config`).
fn module_of(path: &str) -> String {
    let mut parts = path.split('/');
    let top = parts.next().unwrap().trim_end_matches(".rs");
    if let Some(sub) = parts.next() {
        let sub = format!("{top}::{}", sub.trim_end_matches(".rs"));
        if LAYERS.contains(&sub.as_str()) {
            return sub;
        }
    }
    top.to_string()
}

#[test]
fn the_module_graph_points_down_the_pipeline() {
    let modules: BTreeSet<String> = src_files()
        .iter()
        .map(|(path, _)| module_of(path))
        .filter(|m| m != "lib" && m != "main")
        .collect();
    let listed: BTreeSet<String> = LAYERS.iter().map(|s| s.to_string()).collect();
    assert_eq!(
        modules, listed,
        "every module of src/ has its place in LAYERS"
    );
    let rank = |m: &str| LAYERS.iter().position(|&l| l == m);
    let mut back = Vec::new();
    for (path, text) in src_files() {
        let module = module_of(&path);
        let module = module.as_str();
        let Some(own) = rank(module) else { continue };
        for used in uses(&text).iter().map(|u| layer_of(u)) {
            if used == module {
                continue;
            }
            match rank(&used) {
                Some(r) if r > own => back.push(format!("src/{path} ({module}) uses {used}")),
                // `crate::Item` re-exported by lib.rs is the pipeline's.
                None if module != "lib" => back.push(format!(
                    "src/{path} ({module}) uses crate::{used}: name the module it lives in"
                )),
                _ => {}
            }
        }
    }
    assert!(
        back.is_empty(),
        "imports against the pipeline (a module may use only those before it in LAYERS):\n{}",
        back.join("\n")
    );
}

#[test]
fn imports_are_read_from_code() {
    let text = "use crate::{a, b::{c, d}, e::f};\n// crate::nope\nlet s = \"crate::nope2\"; crate::g::h(); crate::load::config::Config; use crate::load::{self, model};";
    let found: Vec<String> = uses(text).into_iter().collect();
    assert_eq!(
        found,
        [
            "a",
            "b::c",
            "b::d",
            "e::f",
            "g::h",
            "load",
            "load::config",
            "load::model"
        ]
    );
    assert_eq!(layer_of("load::config"), "load::config");
    assert_eq!(layer_of("load::Model"), "load");
    assert_eq!(layer_of("rules::conf"), "rules");
}

/// The code of a file without its tests: a test module goes at the end of its file
/// (`#[cfg(test)] mod tests`), and a file called `tests.rs` is one.
fn non_test_code(path: &str, text: &str) -> String {
    if path.ends_with("tests.rs") {
        return String::new();
    }
    let code = code_only(text);
    match code.find("#[cfg(test)]") {
        Some(at) => code[..at].to_string(),
        None => code,
    }
}

/// Every byte read or written goes through the working tree (`src/snapshot/`: confined to the
/// repository) and every byte printed through the `Sink` (`src/output.rs`: redacted, escaped)
/// that main hands to the commands. So a new command or format has no way to read outside the
/// repository, or to print a credential: it is not remembered at each call site, it is the only
/// way there is. The exceptions are places outside any repository that the user names.
#[test]
fn all_io_goes_through_the_working_tree_and_the_sink() {
    const FORBIDDEN: &[&str] = &[
        "fs::",
        "File::",
        "OpenOptions",
        "println!",
        "print!",
        "eprintln!",
        "eprint!",
        "dbg!",
        "io::stdout",
        "io::stderr",
        "io::stdin",
        "Command::new",
    ];
    /// (file, the pattern as it appears, why)
    const ALLOWED: &[(&str, &str, &str)] = &[
        (
            "main.rs",
            "std::io::stdout()",
            "the stream main wraps in the Sink",
        ),
        (
            "main.rs",
            "std::io::stderr()",
            "the stream main wraps in the Sink",
        ),
        (
            "commands/mod.rs",
            "std::io::stdout().is_terminal()",
            "is colour on",
        ),
        (
            "commands/mod.rs",
            "std::io::stderr().is_terminal()",
            "is the progress line drawn",
        ),
        (
            "timing.rs",
            "std::io::stderr().lock()",
            "the progress line on a terminal: a phase's name and the time, never a value",
        ),
        (
            "init.rs",
            "std::fs::canonicalize(dir)",
            "the name of the directory init is given",
        ),
        (
            "init.rs",
            "std::fs::create_dir_all(dir)",
            "the directory init is given; its files go through the working tree",
        ),
        (
            "commands/man.rs",
            "std::fs::create_dir_all(dir)",
            "the man page directory the user names",
        ),
        (
            "rego/worker.rs",
            "std::io::stdin()",
            "the Rego worker's pipe from agentlock: policy texts and the input document",
        ),
        (
            "rego/worker.rs",
            "std::io::stdout()",
            "the Rego worker's pipe to agentlock: each rule's value",
        ),
        (
            "rego/worker.rs",
            "Command::new(&exe)",
            "agentlock's own executable, started as the Rego worker",
        ),
    ];
    let mut found = Vec::new();
    for (path, text) in src_files() {
        if path.starts_with("snapshot/") {
            continue;
        }
        let code = non_test_code(&path, &text);
        for pattern in FORBIDDEN {
            let mut from = 0;
            while let Some(at) = code[from..].find(pattern) {
                let at = from + at;
                from = at + pattern.len();
                if at > 0 && is_ident(code.as_bytes()[at - 1]) {
                    continue; // `writeln!`, `my_fs::`
                }
                let line_start = code[..at].rfind('\n').map_or(0, |i| i + 1);
                let line_end = code[at..].find('\n').map_or(code.len(), |i| at + i);
                let line = &code[line_start..line_end];
                let allowed = ALLOWED
                    .iter()
                    .any(|(file, what, _)| *file == path && line.contains(what));
                if !allowed {
                    let n = code[..at].matches('\n').count() + 1;
                    found.push(format!("src/{path}:{n}: {}", line.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "I/O outside src/snapshot/ and the Sink (read and write through Worktree, print \
         through the Sink the command was given):\n{}",
        found.join("\n")
    );
}
