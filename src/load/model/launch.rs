//! Launch commands of MCP client configs: where the code a `command` with `args` runs comes
//! from, as a [`Source`].
//!
//! - `npm`: `npx`, `pnpx`, `bunx`, `bun x`, `pnpm dlx`, `yarn dlx`, `npm exec`, `npm x`.
//! - `pypi`: `uvx`, `uv tool run`, `pipx run`, normalized to pip's syntax (`pkg==1.2.3`).
//! - `git`: a package spec that is a repository (`git+https://…`, npm's `github:org/repo`).
//! - `oci`: `docker run`, `docker container run`, `podman run`, `nerdctl run`.
//! - `go`: `go run MODULE@VERSION`.
//! - `nuget`: `dnx PKG@VERSION`, `dotnet dnx`.
//! - `url`: a script or package downloaded from an `http(s)://` URL.
//! - `local`: a program, script or project inside the repository (`./bin/server`,
//!   `node build/index.js`, `uv run`, `npm start`).
//! - `exec`: anything else: a program from the PATH, a path outside the repository, a module
//!   of the environment (`python -m pkg`), a runner given nothing to run.
//!
//! Wrappers are looked through: `cmd /c`, `powershell -Command`, `sh -c`, `env`, a `cd DIR &&`
//! before the command. A command written as one string (`"command": "npx -y pkg"`) is split.
//! Every source points at the word that names what runs: the place to edit to pin it.

use super::Sp;
use super::tool::Source;
use crate::source::Span;

/// How many wrappers (`cmd /c`, `bash -c`, `env`, …) are looked through before the command is
/// taken as it is.
const MAX_DEPTH: usize = 8;

/// Names clients give the folder a config belongs to, the repository (VS Code's workspace,
/// Claude Code's project, a plugin's root: `CLAUDE_PLUGIN_ROOT`, `CURSOR_PLUGIN_ROOT`, any
/// `…_PLUGIN_ROOT`; a Gemini CLI extension's folder, `extensionPath`): written `${NAME}`,
/// `$NAME` or, with a default, `${NAME:-.}`.
const WORKSPACE_VARS: &[&str] = &[
    "workspaceFolder",
    "workspaceRoot",
    "CLAUDE_PROJECT_DIR",
    "extensionPath",
];

/// The path separator as VS Code and Gemini CLI write it in a config (`${/}`,
/// `${pathSeparator}`): `${extensionPath}${/}dist${/}index.js` is `dist/index.js` of the
/// extension.
fn with_slashes(text: String) -> String {
    if text.contains("${/}") || text.contains("${pathSeparator}") {
        text.replace("${/}", "/").replace("${pathSeparator}", "/")
    } else {
        text
    }
}

fn is_workspace_var(name: &str) -> bool {
    WORKSPACE_VARS.contains(&name)
        || name
            .strip_suffix("_PLUGIN_ROOT")
            .is_some_and(|client| !client.is_empty())
}

/// The rest of a path that starts with a workspace variable, or `None`.
fn strip_workspace_var(path: &str) -> Option<&str> {
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_';
    if let Some(r) = path.strip_prefix("${") {
        let end = r.find(|c: char| !is_name(c)).unwrap_or(r.len());
        if !is_workspace_var(&r[..end]) {
            return None;
        }
        let rest = &r[end..];
        // `}` or `:-default}`
        if let Some(rest) = rest.strip_prefix('}') {
            return Some(rest);
        }
        if let Some(default) = rest.strip_prefix(":-")
            && let Some(close) = default.find('}')
        {
            return Some(&default[close + 1..]);
        }
        return None;
    }
    let r = path.strip_prefix('$')?;
    let end = r.find(|c: char| !is_name(c)).unwrap_or(r.len());
    is_workspace_var(&r[..end]).then(|| &r[end..])
}

/// Prefixes of npm specs that name a git repository.
const NPM_GIT_PREFIXES: &[&str] = &[
    "git+",
    "git://",
    "github:",
    "gitlab:",
    "bitbucket:",
    "gist:",
];

/// Flags with a value of the npm-family runners (`npx`, `bunx`, `pnpm dlx`, `yarn dlx`,
/// `npm exec`). `-p`/`--package` name the package.
const NPM_VALUE_FLAGS: &[&str] = &[
    "-p",
    "--package",
    "--call",
    "--registry",
    "--cache",
    "--userconfig",
    "--prefix",
    "-w",
    "--workspace",
    "--loglevel",
    "--node-options",
];

/// Flags with a value of `npm`, `pnpm` and `yarn` before their subcommand.
const PM_VALUE_FLAGS: &[&str] = &[
    "--prefix",
    "-C",
    "--dir",
    "--cwd",
    "--package",
    "-w",
    "--workspace",
    "--filter",
    "-F",
    "--registry",
    "--cache",
    "--userconfig",
    "--loglevel",
];

/// Flags of `npm`, `pnpm` and `yarn` that set the project's directory.
const PM_DIR_FLAGS: &[&str] = &["--prefix", "-C", "--dir", "--cwd"];

/// Flags with a value of `uv`, `uv run`, `uv tool run` and `uvx`. `--from` names the package.
const UV_VALUE_FLAGS: &[&str] = &[
    "--from",
    "--with",
    "--with-editable",
    "--with-requirements",
    "--python",
    "-p",
    "--python-preference",
    "--index",
    "--index-url",
    "-i",
    "--extra-index-url",
    "--default-index",
    "--find-links",
    "-f",
    "--index-strategy",
    "--keyring-provider",
    "--allow-insecure-host",
    "--directory",
    "--project",
    "--package",
    "--extra",
    "--group",
    "--only-group",
    "--no-group",
    "--constraints",
    "-c",
    "--overrides",
    "--build-constraints",
    "-b",
    "--config-setting",
    "-C",
    "--cache-dir",
    "--config-file",
    "--color",
    "--env-file",
    "--resolution",
    "--prerelease",
    "--exclude-newer",
    "--python-platform",
    "--refresh-package",
    "--reinstall-package",
    "--upgrade-package",
    "-P",
    "--link-mode",
];

/// Flags of `uv` and `uv run` that set the project's directory.
const UV_DIR_FLAGS: &[&str] = &["--directory", "--project"];

/// Flags with a value of `pipx run`. `--spec` names the package.
const PIPX_VALUE_FLAGS: &[&str] = &[
    "--spec",
    "--python",
    "--pip-args",
    "--index-url",
    "--backend",
];

/// Flags of `poetry` that set the project's directory (they all take a value).
const POETRY_DIR_FLAGS: &[&str] = &["-C", "--directory", "-P", "--project"];

/// Flags with a value of `docker`, `podman` and `nerdctl` before their subcommand.
const CONTAINER_GLOBAL_VALUE_FLAGS: &[&str] = &[
    "--context",
    "-c",
    "-H",
    "--host",
    "--config",
    "-l",
    "--log-level",
    "--tlscacert",
    "--tlscert",
    "--tlskey",
    "--connection",
    "--url",
    "--root",
    "--runroot",
    "--storage-driver",
    "--cgroup-manager",
    "-n",
    "--namespace",
];

/// Flags with a value of `docker run` (and `podman run`). The others are boolean.
const CONTAINER_RUN_VALUE_FLAGS: &[&str] = &[
    "-e",
    "--env",
    "--env-file",
    "-v",
    "--volume",
    "--mount",
    "-p",
    "--publish",
    "--name",
    "--network",
    "--net",
    "--network-alias",
    "-w",
    "--workdir",
    "-u",
    "--user",
    "--entrypoint",
    "--platform",
    "-l",
    "--label",
    "--label-file",
    "--add-host",
    "--annotation",
    "-a",
    "--attach",
    "-c",
    "--cpu-shares",
    "--cpus",
    "--cpuset-cpus",
    "--cpuset-mems",
    "-m",
    "--memory",
    "--memory-swap",
    "--memory-reservation",
    "--pull",
    "--cap-add",
    "--cap-drop",
    "--security-opt",
    "-h",
    "--hostname",
    "--domainname",
    "--runtime",
    "--gpus",
    "--shm-size",
    "--ulimit",
    "--device",
    "--tmpfs",
    "--ipc",
    "--pid",
    "--pids-limit",
    "--log-driver",
    "--log-opt",
    "--restart",
    "--dns",
    "--dns-option",
    "--dns-search",
    "--expose",
    "--group-add",
    "--health-cmd",
    "--mac-address",
    "--ip",
    "--ip6",
    "--stop-signal",
    "--stop-timeout",
    "--userns",
    "--uts",
    "--volumes-from",
    "--link",
    "--cidfile",
    "--cgroupns",
    "--cgroup-parent",
    "--detach-keys",
    "--isolation",
    "--storage-opt",
    "--sysctl",
    "--secret",
    "--arch",
    "--os",
];

/// Build flags with a value of `go run`.
const GO_VALUE_FLAGS: &[&str] = &[
    "-C",
    "-mod",
    "-modfile",
    "-tags",
    "-ldflags",
    "-gcflags",
    "-asmflags",
    "-o",
    "-p",
    "-exec",
    "-overlay",
    "-pkgdir",
    "-toolexec",
    "-compiler",
    "-gccgoflags",
    "-installsuffix",
    "-pgo",
    "-buildmode",
    "-coverpkg",
    "-covermode",
];

/// Flags with a value of `dnx` (NuGet's runner).
const DNX_VALUE_FLAGS: &[&str] = &[
    "--version",
    "--source",
    "--add-source",
    "--configfile",
    "--verbosity",
];

/// Flags with a value of `java`. `-jar` names the program, `-m` a module of the module path.
const JAVA_VALUE_FLAGS: &[&str] = &[
    "-jar",
    "-m",
    "--module",
    "-cp",
    "-classpath",
    "--class-path",
    "-p",
    "--module-path",
    "--upgrade-module-path",
    "--add-modules",
    "--add-opens",
    "--add-exports",
    "--add-reads",
];

/// Flags with a value of PowerShell (lowercased; PowerShell's flags ignore case).
const POWERSHELL_VALUE_FLAGS: &[&str] = &[
    "-executionpolicy",
    "-ep",
    "-ex",
    "-windowstyle",
    "-w",
    "-workingdirectory",
    "-wd",
    "-configurationname",
    "-config",
    "-outputformat",
    "-o",
    "-of",
    "-inputformat",
    "-inp",
    "-if",
    "-version",
    "-v",
    "-psconsolefile",
    "-settingsfile",
    "-settings",
    "-custompipename",
];

/// An interpreter that runs a script named by its first operand.
struct Interpreter {
    names: &'static [&'static str],
    /// Flags followed by a value that is not what runs (`node --require x`).
    value_flags: &'static [&'static str],
    /// Flags followed by the script (`php -f x.php`).
    script_flags: &'static [&'static str],
    /// Flags followed by a module of the environment (`python -m pkg`): `exec`, the module.
    module_flags: &'static [&'static str],
    /// Flags followed by inline code (`node -e …`): `exec`, the interpreter.
    code_flags: &'static [&'static str],
    /// Subcommands allowed before the script (`deno run`, `bun run`).
    subcommands: &'static [&'static str],
}

/// The interpreters known by name (shells and `java` have functions of their own).
const INTERPRETERS: &[Interpreter] = &[
    Interpreter {
        names: &["node", "nodejs"],
        value_flags: &[
            "-r",
            "--require",
            "--import",
            "--loader",
            "--experimental-loader",
            "-C",
            "--conditions",
            "--input-type",
            "--title",
            "--env-file",
            "--env-file-if-exists",
            "--disable-warning",
            "--redirect-warnings",
            "--watch-path",
        ],
        script_flags: &[],
        module_flags: &[],
        code_flags: &["-e", "--eval", "-p", "--print"],
        subcommands: &[],
    },
    Interpreter {
        names: &["python", "py"],
        value_flags: &["-W", "-X", "--check-hash-based-pycs"],
        script_flags: &[],
        module_flags: &["-m"],
        code_flags: &["-c"],
        subcommands: &[],
    },
    Interpreter {
        names: &["bun"],
        value_flags: &["-r", "--preload", "--cwd", "--env-file", "-c", "--config"],
        script_flags: &[],
        module_flags: &[],
        code_flags: &["-e", "--eval", "-p", "--print"],
        subcommands: &["run"],
    },
    Interpreter {
        names: &["deno"],
        value_flags: &[
            "-c",
            "--config",
            "--import-map",
            "--lock",
            "--location",
            "--seed",
            "--cert",
            "--ext",
        ],
        script_flags: &[],
        module_flags: &[],
        code_flags: &[],
        subcommands: &["run", "serve"],
    },
    Interpreter {
        names: &["tsx", "ts-node", "ts-node-esm"],
        value_flags: &[
            "--tsconfig",
            "-r",
            "--require",
            "--import",
            "-P",
            "--project",
            "-O",
            "--compiler-options",
        ],
        script_flags: &[],
        module_flags: &[],
        code_flags: &["-e", "--eval", "-p", "--print"],
        subcommands: &[],
    },
    Interpreter {
        names: &["ruby"],
        value_flags: &["-r", "-I", "-C", "-E", "--encoding"],
        script_flags: &[],
        module_flags: &[],
        code_flags: &["-e"],
        subcommands: &[],
    },
    Interpreter {
        names: &["php"],
        value_flags: &["-c", "-d", "-z"],
        script_flags: &["-f", "--file"],
        module_flags: &[],
        code_flags: &["-r"],
        subcommands: &[],
    },
    Interpreter {
        names: &["perl"],
        value_flags: &["-I", "-M", "-m"],
        script_flags: &[],
        module_flags: &[],
        code_flags: &["-e", "-E"],
        subcommands: &[],
    },
];

/// One word of a launch command and the span of the argument it was read from.
#[derive(Clone, Debug)]
struct Word {
    text: String,
    span: Span,
}

impl Word {
    fn new(text: impl Into<String>, span: Span) -> Self {
        Word {
            text: with_slashes(text.into()),
            span,
        }
    }
}

/// Where the code a launch command runs comes from.
///
/// `command` and `args` are an MCP client config's entry; a `command` with spaces and no
/// `args` is split into words. Both spans of the result are the span of the word naming the
/// package, image, script or program; `sha256` is always `None`.
pub fn source(command: &Sp<String>, args: &[Sp<String>]) -> Source {
    let cmd = Word::new(command.value.as_str(), command.span);
    if args.is_empty() {
        return line(&cmd, 0);
    }
    let args: Vec<Word> = args
        .iter()
        .map(|a| Word::new(a.value.as_str(), a.span))
        .collect();
    classify(&cmd, &args, 0)
}

/// A command line written as one string: its words all have its span. Of a list
/// (`cd DIR && cmd`), the last command is the one that runs, in the last `cd`'s directory.
fn line(w: &Word, depth: usize) -> Source {
    if is_script(&w.text) {
        return found(SHELL_SCRIPT, "a shell script", w.span);
    }
    let words: Vec<Word> = split_words(&w.text)
        .into_iter()
        .map(|t| Word::new(t, w.span))
        .collect();
    let segments: Vec<&[Word]> = words
        .split(|w| matches!(w.text.as_str(), "&&" | "||" | ";" | "&"))
        .filter(|s| !s.is_empty())
        .collect();
    let Some((last, before)) = segments.split_last() else {
        return exec(w);
    };
    let dir = before.iter().rev().find_map(|s| match s {
        [cd, .., target] if cd.text == "cd" => Some(target.clone()),
        [cd] if cd.text == "cd" => Some(Word::new("~", cd.span)),
        _ => None,
    });
    let src = match last {
        [cmd, args @ ..] => classify(cmd, args, depth),
        [] => exec(w),
    };
    match dir {
        Some(d) => in_dir(&d, src),
        None => src,
    }
}

/// The kind of a source that is a shell script whose program cannot be told from its text
/// (a loop, a command substitution, a program in a variable): TOOL001 says so, as a warning.
pub const SHELL_SCRIPT: &str = "shell";

/// Whether a command line is a script rather than a command: shell syntax outside quotes that
/// computes what runs (`$(…)`, backquotes, `{ …; }`, `while`/`for`/`if`/`case`), or a program
/// that is a variable (`"$DIR/bin/server"`).
fn is_script(text: &str) -> bool {
    let mut quote = None;
    let mut plain = String::with_capacity(text.len());
    for c in text.chars() {
        match quote {
            Some('\'') if c == '\'' => quote = None,
            Some('\'') => {}
            Some(q) if c == q => quote = None,
            // inside double quotes only substitutions matter
            Some(_) if c == '$' || c == '`' || c == '(' => plain.push(c),
            Some(_) => plain.push('_'),
            None if c == '"' || c == '\'' => quote = Some(c),
            None => plain.push(c),
        }
    }
    if plain.contains("$(") || plain.contains('`') {
        return true;
    }
    let words: Vec<&str> = plain
        .split(|c: char| c.is_whitespace() || c == ';')
        .filter(|w| !w.is_empty())
        .collect();
    if words.iter().any(|w| {
        matches!(
            *w,
            "{" | "}" | "while" | "for" | "if" | "case" | "until" | "do" | "then"
        )
    }) {
        return true;
    }
    // the program of the last simple command
    let last = text
        .rsplit(['&', '|', ';'])
        .next()
        .unwrap_or(text)
        .trim()
        .trim_start_matches("exec ")
        .trim_start_matches(['"', '\''])
        .trim_start();
    last.starts_with('$') && strip_workspace_var(last).is_none()
}

/// Splits a command line on whitespace; `'…'` and `"…"` quote a word with spaces.
fn split_words(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote = None;
    for c in s.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => word.push(c),
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                in_word = true;
            }
            None if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            None => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

/// The source of a command and its arguments, by the command's family.
fn classify(cmd: &Word, args: &[Word], depth: usize) -> Source {
    if depth > MAX_DEPTH {
        return program(cmd);
    }
    // `NAME=value` before a command sets its environment (`FOO=1 npx pkg`).
    if is_assignment(&cmd.text)
        && let Some((next, rest)) = args.split_first()
    {
        return classify(next, rest, depth);
    }
    let name = program_name(&cmd.text);
    match name.as_str() {
        "npx" | "pnpx" | "bunx" => npm_runner(cmd, args),
        "bun" if args.first().is_some_and(|a| a.text == "x") => npm_runner(cmd, &args[1..]),
        "npm" | "pnpm" | "yarn" => package_manager(&name, cmd, args),
        "uvx" => python_runner(cmd, args),
        "uv" => uv(cmd, args),
        "pipx" => pipx(cmd, args),
        "poetry" => poetry(cmd, args),
        "docker" | "podman" | "nerdctl" => container(cmd, args),
        "docker-compose" | "podman-compose" => compose(cmd, args),
        "cargo" => cargo(cmd, args),
        "mcp" | "fastmcp" => mcp_runner(cmd, args),
        "go" => go(cmd, args),
        "dnx" => nuget(cmd, args),
        "dotnet" => dotnet(cmd, args),
        "java" => java(cmd, args),
        "cmd" => windows_cmd(cmd, args, depth),
        "powershell" | "pwsh" => powershell(cmd, args, depth),
        "sh" | "bash" | "zsh" => shell(cmd, args, depth),
        "env" => env(cmd, args, depth),
        "exec" | "call" | "&" | "nohup" | "command" => rest(cmd, args, depth),
        _ => match INTERPRETERS
            .iter()
            .find(|i| i.names.contains(&name.as_str()))
        {
            Some(it) => interpreter(it, cmd, args, true),
            None => program(cmd),
        },
    }
}

/// A command's file name, lowercased, without directory and `.exe`/`.cmd`/`.bat`;
/// `python3.12` is `python`.
fn program_name(command: &str) -> String {
    let base = command
        .trim()
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let base = [".exe", ".cmd", ".bat"]
        .iter()
        .find_map(|e| base.strip_suffix(e))
        .unwrap_or(&base);
    let versioned_python = base
        .strip_prefix("python")
        .is_some_and(|v| v.chars().all(|c| c.is_ascii_digit() || c == '.'));
    if versioned_python {
        "python".to_string()
    } else {
        base.to_string()
    }
}

/// A command of no known family: a file inside the repository, or a program from the PATH or
/// elsewhere.
fn program(cmd: &Word) -> Source {
    let t = cmd.text.as_str();
    if t.contains(['/', '\\']) && in_repo(t) {
        found("local", t, cmd.span)
    } else {
        exec(cmd)
    }
}

/// What a wrapper runs: the words after its own flags, or the one string they form.
fn rest(wrapper: &Word, words: &[Word], depth: usize) -> Source {
    match words {
        [] => exec(wrapper),
        [one] if one.text.trim().contains(char::is_whitespace) => line(one, depth + 1),
        [cmd, args @ ..] => classify(cmd, args, depth + 1),
    }
}

/// `npx`, `bunx`, `pnpm dlx`, `yarn dlx`, `npm exec`: the package of `-p`/`--package`, else the
/// first operand.
fn npm_runner(cmd: &Word, args: &[Word]) -> Source {
    let s = scan(args, NPM_VALUE_FLAGS, false);
    // `--no` (`--no-install`, `--yes=false`): nothing is installed; the binary comes from the
    // project's own node_modules, which its lockfile pins.
    let no_install = s.flags.iter().any(|(n, v)| {
        matches!(n.as_str(), "--no" | "--no-install")
            || (n == "--yes" && v.as_ref().is_some_and(|v| v.text == "false"))
    });
    match s.named_or_operand(args, &["-p", "--package"]) {
        Some(pkg) if no_install && !looks_like_path(&pkg.text) => {
            found("local", &pkg.text, pkg.span)
        }
        Some(pkg) => npm_package(pkg),
        None => exec(cmd),
    }
}

/// `cargo run` builds and runs the repository's own crate (the package of `--manifest-path`
/// when it names one); other subcommands (`cargo install`, a plugin) run something else.
fn cargo(cmd: &Word, args: &[Word]) -> Source {
    let s = scan(args, CARGO_VALUE_FLAGS, false);
    let Some(k) = s.operand else {
        return exec(cmd);
    };
    if args[k].text != "run" {
        return exec(cmd);
    }
    let rest = scan(&args[k + 1..], CARGO_VALUE_FLAGS, false);
    match rest
        .value(&["--manifest-path"])
        .or(s.value(&["--manifest-path"]))
    {
        Some(m) => path(&m.text, m.span),
        None => project(cmd, None),
    }
}

/// Flags of `cargo` and `cargo run` with a value.
const CARGO_VALUE_FLAGS: &[&str] = &[
    "--manifest-path",
    "--bin",
    "--example",
    "-p",
    "--package",
    "--features",
    "-F",
    "--target",
    "--target-dir",
    "--profile",
    "--config",
    "-Z",
    "-j",
    "--jobs",
    "--color",
];

/// An npm package spec: a registry package as written, or a git repository, URL or path.
fn npm_package(w: &Word) -> Source {
    let t = w.text.trim();
    if NPM_GIT_PREFIXES.iter().any(|p| t.starts_with(p)) {
        return found("git", t, w.span);
    }
    if is_url(t) {
        return found("url", t, w.span);
    }
    if let Some(p) = t.strip_prefix("file:") {
        return path(p, w.span);
    }
    if looks_like_path(t) {
        return path(t, w.span);
    }
    // `org/repo` (not `@scope/name`) is npm's shorthand for a GitHub repository.
    if !t.starts_with('@') && t.contains('/') {
        return found("git", t, w.span);
    }
    found("npm", t, w.span)
}

/// `npm`, `pnpm`, `yarn`: a runner subcommand (`exec`, `x`, `dlx`), or a script of the
/// project (`start`, `run X`), which its lockfile pins.
fn package_manager(name: &str, cmd: &Word, args: &[Word]) -> Source {
    let s = scan(args, PM_VALUE_FLAGS, false);
    let Some(k) = s.operand else {
        return exec(cmd);
    };
    let rest = &args[k + 1..];
    match (name, args[k].text.as_str()) {
        ("npm", "exec" | "x") | (_, "dlx") => match s.value(&["--package"]) {
            Some(pkg) => npm_package(pkg),
            None => npm_runner(cmd, rest),
        },
        (_, "start" | "run" | "run-script" | "exec") => {
            let dir = s
                .value(PM_DIR_FLAGS)
                .cloned()
                .or_else(|| option(rest, PM_DIR_FLAGS));
            project(cmd, dir)
        }
        _ => exec(cmd),
    }
}

/// `uvx` and `uv tool run`: the package of `--from`, else the first operand.
fn python_runner(cmd: &Word, args: &[Word]) -> Source {
    let s = scan(args, UV_VALUE_FLAGS, false);
    match s.named_or_operand(args, &["--from"]) {
        Some(pkg) => python_package(pkg),
        None => exec(cmd),
    }
}

/// `uv run` (the project of `--directory`/`--project`, which `uv.lock` pins) and `uv tool run`.
fn uv(cmd: &Word, args: &[Word]) -> Source {
    let global = scan(args, UV_VALUE_FLAGS, false);
    let Some(k) = global.operand else {
        return exec(cmd);
    };
    let rest = &args[k + 1..];
    match args[k].text.as_str() {
        "run" => {
            let run = scan(rest, UV_VALUE_FLAGS, false);
            if let Some(target) = run.operand.map(|i| &rest[i]) {
                let t = target.text.as_str();
                if is_url(t) {
                    return found("url", t, target.span);
                }
                if looks_like_path(t) && !in_repo(t) {
                    return exec(target);
                }
            }
            let dir = run
                .value(UV_DIR_FLAGS)
                .or_else(|| global.value(UV_DIR_FLAGS));
            project(cmd, dir.cloned())
        }
        "tool" if rest.first().is_some_and(|w| w.text == "run") => python_runner(cmd, &rest[1..]),
        _ => exec(cmd),
    }
}

/// `pipx run`: the package of `--spec`, else the app.
fn pipx(cmd: &Word, args: &[Word]) -> Source {
    let global = scan(args, &[], false);
    let Some(k) = global.operand.filter(|&k| args[k].text == "run") else {
        return exec(cmd);
    };
    let rest = &args[k + 1..];
    let s = scan(rest, PIPX_VALUE_FLAGS, false);
    match s.named_or_operand(rest, &["--spec"]) {
        Some(pkg) => python_package(pkg),
        None => exec(cmd),
    }
}

/// `poetry run`: the project, which `poetry.lock` pins.
fn poetry(cmd: &Word, args: &[Word]) -> Source {
    let s = scan(args, POETRY_DIR_FLAGS, false);
    match s.operand {
        Some(k) if args[k].text == "run" => project(cmd, s.value(POETRY_DIR_FLAGS).cloned()),
        _ => exec(cmd),
    }
}

/// A Python package spec in pip's syntax, or a git repository, URL or path.
fn python_package(w: &Word) -> Source {
    let t = w.text.trim();
    if t.starts_with("git+") {
        return found("git", t, w.span);
    }
    if is_url(t) {
        return found("url", t, w.span);
    }
    if looks_like_path(t) {
        return path(t, w.span);
    }
    // A PEP 508 direct reference: `name @ git+https://…`.
    if let Some((_, target)) = t.split_once('@') {
        let target = target.trim();
        if target.starts_with("git+") {
            return found("git", target, w.span);
        }
        if target.contains("://") {
            return found("url", target, w.span);
        }
    }
    found("pypi", &pip_spec(t), w.span)
}

/// uv's `pkg@1.2.3` as pip's `pkg==1.2.3`; `pkg@latest` stays as it is (it asks for the
/// newest, which a finding says) and a bare `pkg@` is `pkg`. Other specs stay as written.
fn pip_spec(spec: &str) -> String {
    match spec.split_once('@') {
        Some((name, version)) if !name.contains(['=', '<', '>', '!', '~']) => {
            let (name, version) = (name.trim(), version.trim());
            if version.is_empty() {
                name.to_string()
            } else if version.eq_ignore_ascii_case("latest") {
                format!("{name}@latest")
            } else {
                format!("{name}=={version}")
            }
        }
        _ => spec.to_string(),
    }
}

/// `docker run`, `docker container run` (and Podman's, nerdctl's): the image.
fn container(cmd: &Word, args: &[Word]) -> Source {
    let global = scan(args, CONTAINER_GLOBAL_VALUE_FLAGS, false);
    let Some(k) = global.operand else {
        return exec(cmd);
    };
    let mut rest = &args[k + 1..];
    match args[k].text.as_str() {
        "run" => {}
        "container" if rest.first().is_some_and(|w| w.text == "run") => rest = &rest[1..],
        "compose" => return compose(cmd, rest),
        _ => return exec(cmd),
    }
    let s = scan(rest, CONTAINER_RUN_VALUE_FLAGS, true);
    match s.operand.map(|i| &rest[i]) {
        Some(image) => found("oci", &image.text, image.span),
        None => exec(cmd),
    }
}

/// `docker compose run|exec SERVICE`: a service of the repository's compose file (`-f FILE`
/// names it), whose images the repository declares; a rule reads them there, not here.
fn compose(cmd: &Word, args: &[Word]) -> Source {
    let s = scan(
        args,
        &[
            "-f",
            "--file",
            "-p",
            "--project-name",
            "--project-directory",
            "--env-file",
            "--profile",
        ],
        false,
    );
    let Some(k) = s.operand else {
        return exec(cmd);
    };
    match args[k].text.as_str() {
        "run" | "exec" | "up" | "start" => match s.value(&["-f", "--file"]) {
            Some(f) => path(&f.text, f.span),
            None => project(cmd, s.value(&["--project-directory"]).cloned()),
        },
        _ => exec(cmd),
    }
}

/// `go run`: a module (`MODULE@VERSION`) or a package or file of the repository.
fn go(cmd: &Word, args: &[Word]) -> Source {
    let Some(rest) = args
        .split_first()
        .filter(|(sub, _)| sub.text == "run")
        .map(|(_, rest)| rest)
    else {
        return exec(cmd);
    };
    let s = scan(rest, GO_VALUE_FLAGS, false);
    let Some(pkg) = s.operand.map(|i| &rest[i]) else {
        return exec(cmd);
    };
    let t = pkg.text.as_str();
    let src = if looks_like_path(t) || t.ends_with(".go") {
        path(t, pkg.span)
    } else {
        found("go", t, pkg.span)
    };
    match s.value(&["-C"]) {
        Some(dir) => in_dir(dir, src),
        None => src,
    }
}

/// `dnx PKG@VERSION` (NuGet): the package, with the version of `--version` if it has none.
fn nuget(cmd: &Word, args: &[Word]) -> Source {
    let s = scan(args, DNX_VALUE_FLAGS, false);
    let Some(pkg) = s.operand.map(|i| &args[i]) else {
        return exec(cmd);
    };
    let t = pkg.text.trim();
    match option(args, &["--version"]) {
        Some(v) if !t.contains('@') => found("nuget", &format!("{t}@{}", v.text), pkg.span),
        _ => found("nuget", t, pkg.span),
    }
}

/// `dotnet run` (the project of `--project`), `dotnet dnx`, `dotnet FILE.dll`.
fn dotnet(cmd: &Word, args: &[Word]) -> Source {
    let s = scan(args, &[], false);
    let Some(k) = s.operand else {
        return exec(cmd);
    };
    let rest = &args[k + 1..];
    let t = args[k].text.as_str();
    match t {
        "run" => project(cmd, option(rest, &["--project"])),
        "dnx" => nuget(cmd, rest),
        _ if t.to_ascii_lowercase().ends_with(".dll") => script(&args[k]),
        _ => exec(cmd),
    }
}

/// `java -jar FILE`, `java -cp PATH Main`, `java -m MODULE`.
fn java(cmd: &Word, args: &[Word]) -> Source {
    let s = scan(args, JAVA_VALUE_FLAGS, false);
    for (name, value) in &s.flags {
        match name.as_str() {
            "-jar" => return value.as_ref().map_or_else(|| exec(cmd), script),
            "-m" | "--module" => return exec(value.as_ref().unwrap_or(cmd)),
            _ => {}
        }
    }
    if let Some(cp) = s.value(&["-cp", "-classpath", "--class-path"]) {
        return path(&cp.text, cp.span);
    }
    exec(s.operand.map_or(cmd, |i| &args[i]))
}

/// An interpreter (`node`, `python`, `deno run`, …): the script of its first operand.
fn interpreter(it: &Interpreter, cmd: &Word, args: &[Word], subcommand: bool) -> Source {
    let takes_value = [
        it.value_flags,
        it.script_flags,
        it.module_flags,
        it.code_flags,
    ]
    .concat();
    let s = scan(args, &takes_value, false);
    for (name, value) in &s.flags {
        let name = name.as_str();
        if it.script_flags.contains(&name) {
            return value.as_ref().map_or_else(|| exec(cmd), script);
        }
        if it.module_flags.contains(&name) {
            return match value {
                // the repository's own virtual environment runs what the repository pins
                Some(_) if cmd.text.contains(['/', '\\']) && in_repo(&cmd.text) => {
                    found("local", &cmd.text, cmd.span)
                }
                // a module: the repository's own package, or one installed in the
                // environment; loading tells which, by looking for the package
                Some(m) => found(PY_MODULE, m.text.trim(), m.span),
                None => exec(cmd),
            };
        }
        if it.code_flags.contains(&name) {
            return exec(cmd);
        }
    }
    let Some(k) = s.operand else {
        return exec(cmd);
    };
    if subcommand && it.subcommands.contains(&args[k].text.as_str()) {
        return interpreter(it, cmd, &args[k + 1..], false);
    }
    script(&args[k])
}

/// `mcp run server.py`, `fastmcp run server.py:app`, `mcp dev …`: the MCP SDKs' commands that
/// run a server file, the repository's own code as `python server.py` is (`:app` names an
/// object in it). Any other use of them is a program from the PATH.
fn mcp_runner(cmd: &Word, args: &[Word]) -> Source {
    let Some((sub, rest)) = args.split_first() else {
        return program(cmd);
    };
    if !matches!(sub.text.as_str(), "run" | "dev") {
        return program(cmd);
    }
    let Some(file) = rest.iter().find(|a| !is_flag(&a.text)) else {
        return exec(cmd);
    };
    let text = match file.text.rsplit_once(':') {
        Some((f, obj)) if f.ends_with(".py") && !obj.is_empty() && !obj.contains(['/', '\\']) => f,
        _ => file.text.as_str(),
    };
    script(&Word::new(text, file.span))
}

/// `sh -c '…'` runs a command line; `sh FILE` a script.
fn shell(cmd: &Word, args: &[Word], depth: usize) -> Source {
    let mut i = 0;
    while let Some(a) = args.get(i) {
        let t = a.text.as_str();
        if t == "--" {
            i += 1;
            break;
        }
        if !(is_flag(t) || (t.starts_with('+') && t.len() > 1)) {
            break;
        }
        i += 1;
        if matches!(t, "-o" | "+o" | "-O" | "+O" | "--rcfile" | "--init-file") {
            i += 1;
        } else if !t.starts_with("--") && t[1..].contains('c') {
            return match args.get(i) {
                Some(s) => line(s, depth + 1),
                None => exec(cmd),
            };
        }
    }
    match args.get(i) {
        Some(s) => script(s),
        None => exec(cmd),
    }
}

/// `cmd /c …`: what follows its switches.
fn windows_cmd(cmd: &Word, args: &[Word], depth: usize) -> Source {
    let mut i = 0;
    while let Some(a) = args.get(i) {
        let b = a.text.as_bytes();
        let switch = b.len() >= 2
            && b[0] == b'/'
            && b[1].is_ascii_alphabetic()
            && (b.len() == 2 || b[2] == b':');
        if !switch {
            break;
        }
        i += 1;
        if matches!(b[1].to_ascii_lowercase(), b'c' | b'k') && b.len() == 2 {
            break;
        }
    }
    rest(cmd, &args[i..], depth)
}

/// `powershell -Command …`, `pwsh -File …`: what follows its flags.
fn powershell(cmd: &Word, args: &[Word], depth: usize) -> Source {
    let mut i = 0;
    while let Some(a) = args.get(i) {
        let flag = a.text.to_ascii_lowercase();
        if !flag.starts_with('-') {
            break;
        }
        i += 1;
        match flag.as_str() {
            "-command" | "-c" | "-file" | "-f" => break,
            // Base64 code: nothing to read but PowerShell itself.
            "-encodedcommand" | "-e" | "-ec" | "-enc" => return exec(cmd),
            f if POWERSHELL_VALUE_FLAGS.contains(&f) => i += 1,
            _ => {}
        }
    }
    rest(cmd, args.get(i..).unwrap_or_default(), depth)
}

/// `env [-C DIR] [NAME=value…] cmd …`.
fn env(cmd: &Word, args: &[Word], depth: usize) -> Source {
    let mut dir = None;
    let mut i = 0;
    while let Some(a) = args.get(i) {
        let t = a.text.as_str();
        match t {
            "--" => {
                i += 1;
                break;
            }
            "-C" | "--chdir" => {
                dir = args.get(i + 1).cloned();
                i += 2;
            }
            "-u" | "--unset" => i += 2,
            _ if is_flag(t) || is_assignment(t) => i += 1,
            _ => break,
        }
    }
    let src = rest(cmd, args.get(i..).unwrap_or_default(), depth);
    match dir {
        Some(d) => in_dir(&d, src),
        None => src,
    }
}

/// A script given to an interpreter: a file (inside the repository or not), a URL, or
/// Deno's `npm:` package.
fn script(w: &Word) -> Source {
    let t = w.text.as_str();
    if is_url(t) {
        return found("url", t, w.span);
    }
    if let Some(pkg) = t.strip_prefix("npm:") {
        return found("npm", pkg, w.span);
    }
    path(t, w.span)
}

/// The kind of a `python -m MODULE` source until loading has looked for the module's package
/// in the repository: then `local` (the repository's code) or `exec` (the environment's).
pub const PY_MODULE: &str = "python-module";

/// The directories or files a Python module's top-level package would be in the repository:
/// `pkg/`, `src/pkg/`, `pkg.py` for `pkg.sub.mod`.
pub fn module_homes(module: &str) -> [String; 3] {
    let top = module.split('.').next().unwrap_or(module);
    [top.to_string(), format!("src/{top}"), format!("{top}.py")]
}

/// A file: `local` inside the repository, `exec` outside.
fn path(p: &str, span: Span) -> Source {
    found(if in_repo(p) { "local" } else { "exec" }, p, span)
}

/// A project run by its package manager, pinned by its lockfile: the directory `dir`, or
/// the current one (`.`, pointing at the command).
fn project(cmd: &Word, dir: Option<Word>) -> Source {
    let here = found("local", ".", cmd.span);
    match dir {
        Some(d) => in_dir(&d, here),
        None => here,
    }
}

/// A source found in directory `dir` (`cd DIR &&`, `--directory DIR`): a local file or
/// project is then in `dir`, and outside the repository if `dir` is.
fn in_dir(dir: &Word, src: Source) -> Source {
    if src.kind.value != "local" {
        return src;
    }
    let inner = src.value.value.as_str();
    let (value, span) = if inner == "." {
        (dir.text.clone(), dir.span)
    } else {
        let inner = inner.strip_prefix("./").unwrap_or(inner);
        let d = dir.text.as_str();
        let joined = if d.is_empty() || d == "." {
            inner.to_string()
        } else if d.ends_with(['/', '\\']) {
            format!("{d}{inner}")
        } else {
            format!("{d}/{inner}")
        };
        (joined, src.value.span)
    };
    path(&value, span)
}

/// The flags before a runner's first operand (its package, image, script or subcommand).
struct Scan {
    /// Each flag's name and value (`None` for a flag without one).
    flags: Vec<(String, Option<Word>)>,
    /// The index of the first operand in the scanned arguments.
    operand: Option<usize>,
}

impl Scan {
    /// The value of the first of the flags `names` given one.
    fn value(&self, names: &[&str]) -> Option<&Word> {
        self.flags
            .iter()
            .filter(|(n, _)| names.contains(&n.as_str()))
            .find_map(|(_, v)| v.as_ref())
    }

    /// The value of a flag of `names`, else the operand.
    fn named_or_operand<'a>(&'a self, args: &'a [Word], names: &[&str]) -> Option<&'a Word> {
        self.value(names).or_else(|| self.operand.map(|k| &args[k]))
    }
}

/// Reads flags up to the first operand; after `--`, the next argument is the operand.
/// `takes_value` lists the flags followed by a value (`--flag VALUE`, also `--flag=VALUE`; any
/// `--flag=…` has one). With `clusters`, single-dash flags combine as Docker's do: `-it`,
/// `-eNAME=value`.
fn scan(args: &[Word], takes_value: &[&str], clusters: bool) -> Scan {
    let mut flags = Vec::new();
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        let a = arg.text.as_str();
        if a == "--" {
            let operand = (i + 1 < args.len()).then_some(i + 1);
            return Scan { flags, operand };
        }
        if !is_flag(a) {
            return Scan {
                flags,
                operand: Some(i),
            };
        }
        i += 1;
        if takes_value.contains(&a) {
            flags.push((a.to_string(), args.get(i).cloned()));
            i += 1;
            continue;
        }
        if let Some((name, value)) = a.split_once('=')
            && (a.starts_with("--") || takes_value.contains(&name))
        {
            flags.push((name.to_string(), Some(Word::new(value, arg.span))));
            continue;
        }
        if clusters
            && !a.starts_with("--")
            && let Some((name, attached)) = clustered_value(a, takes_value)
        {
            let value = if attached.is_empty() {
                i += 1;
                args.get(i - 1).cloned()
            } else {
                Some(Word::new(attached, arg.span))
            };
            flags.push((name, value));
            continue;
        }
        flags.push((a.to_string(), None));
    }
    Scan {
        flags,
        operand: None,
    }
}

/// In a cluster of single-letter flags (`-it`, `-eNAME`), the first that takes a value and
/// what follows it in the word (empty when its value is the next argument).
fn clustered_value<'a>(a: &'a str, takes_value: &[&str]) -> Option<(String, &'a str)> {
    a.char_indices().skip(1).find_map(|(i, c)| {
        let name = format!("-{c}");
        takes_value
            .contains(&name.as_str())
            .then(|| (name, &a[i + c.len_utf8()..]))
    })
}

/// The value of the flag `names` anywhere before `--` (`--prefix DIR`, `--prefix=DIR`).
fn option(args: &[Word], names: &[&str]) -> Option<Word> {
    let end = args
        .iter()
        .position(|a| a.text == "--")
        .unwrap_or(args.len());
    let args = &args[..end];
    args.iter().enumerate().find_map(|(i, a)| {
        if names.contains(&a.text.as_str()) {
            return args.get(i + 1).cloned();
        }
        let (name, value) = a.text.split_once('=')?;
        names.contains(&name).then(|| Word::new(value, a.span))
    })
}

/// `-x`, `--xyz`: not a lone `-` (standard input).
fn is_flag(a: &str) -> bool {
    a.len() > 1 && a.starts_with('-')
}

/// `NAME=value`, as a shell sets a variable.
fn is_assignment(t: &str) -> bool {
    t.split_once('=').is_some_and(|(name, _)| {
        name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

fn is_url(t: &str) -> bool {
    ["http://", "https://"]
        .iter()
        .any(|p| t.get(..p.len()).is_some_and(|s| s.eq_ignore_ascii_case(p)))
}

/// Written as a path rather than a name: `./x`, `/x`, `~/x`, `C:\x`, `${workspaceFolder}/x`.
fn looks_like_path(t: &str) -> bool {
    let mut c = t.chars();
    t.starts_with(['.', '/', '\\', '~', '$', '%'])
        || (c.next().is_some_and(|d| d.is_ascii_alphabetic())
            && c.next() == Some(':')
            && matches!(c.next(), Some('/' | '\\')))
}

/// Whether a path names a file inside the repository: relative, with no `..`, not in the home
/// directory, not a URL or a drive. `${workspaceFolder}` (VS Code) is the repository root.
fn in_repo(path: &str) -> bool {
    let path = path.trim();
    if let Some(rest) = strip_workspace_var(path) {
        return match rest.strip_prefix(['/', '\\']) {
            Some(r) => r.is_empty() || relative_inside(r),
            None => rest.is_empty(),
        };
    }
    relative_inside(path)
}

/// A relative path that stays inside the directory it is relative to.
fn relative_inside(p: &str) -> bool {
    if p.is_empty() || p.starts_with(['/', '\\', '~', '$', '%']) {
        return false;
    }
    let first = p.split(['/', '\\']).next().unwrap_or_default();
    !first.contains(':') && !p.split(['/', '\\']).any(|c| c == "..")
}

/// `exec`: the word as written.
fn exec(w: &Word) -> Source {
    found("exec", &w.text, w.span)
}

/// A source of `kind` and `value`, both pointing at `span`.
fn found(kind: &str, value: &str, span: Span) -> Source {
    Source {
        kind: Sp::new(kind.to_string(), span),
        value: Sp::new(value.to_string(), span),
        sha256: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    /// Word `i` of a launch (0 the command, `n` the argument `n - 1`) starts at `i * 100`.
    fn word(text: &str, i: usize) -> Sp<String> {
        Sp::new(
            text.to_string(),
            Span::new(FileId(0), i * 100, i * 100 + text.len()),
        )
    }

    fn launch(command: &str, args: &[&str]) -> Source {
        let args: Vec<_> = args
            .iter()
            .enumerate()
            .map(|(i, a)| word(a, i + 1))
            .collect();
        source(&word(command, 0), &args)
    }

    /// The source of `command args` is `kind:value`, read from word `at`.
    #[track_caller]
    fn check(command: &str, args: &[&str], kind: &str, value: &str, at: usize) {
        let s = launch(command, args);
        assert_eq!(
            (s.kind.value.as_str(), s.value.value.as_str()),
            (kind, value),
            "`{command} {}`",
            args.join(" ")
        );
        assert_eq!(
            s.value.span.start as usize,
            at * 100,
            "`{command} {}` points at the wrong word",
            args.join(" ")
        );
        assert_eq!(s.kind.span, s.value.span);
        assert!(s.sha256.is_none());
    }

    #[test]
    fn examples() {
        check(
            "npx",
            &["-y", "@modelcontextprotocol/server-github@2025.4.8"],
            "npm",
            "@modelcontextprotocol/server-github@2025.4.8",
            2,
        );
        check("uvx", &["mcp-server-fetch"], "pypi", "mcp-server-fetch", 1);
        check(
            "docker",
            &[
                "run",
                "-i",
                "--rm",
                "-e",
                "GITHUB_PERSONAL_ACCESS_TOKEN",
                "ghcr.io/github/github-mcp-server",
            ],
            "oci",
            "ghcr.io/github/github-mcp-server",
            6,
        );
        check(
            "uvx",
            &[
                "--from",
                "git+https://github.com/oraios/serena",
                "serena",
                "start-mcp-server",
            ],
            "git",
            "git+https://github.com/oraios/serena",
            2,
        );
        check(
            "node",
            &["/ABSOLUTE/PATH/weather/build/index.js"],
            "exec",
            "/ABSOLUTE/PATH/weather/build/index.js",
            1,
        );
    }

    #[test]
    fn npm_runners() {
        check(
            "npx",
            &["-p", "@scope/pkg@1.0.0", "cmd"],
            "npm",
            "@scope/pkg@1.0.0",
            2,
        );
        check("npx", &["--package=pkg@2", "cmd", "x"], "npm", "pkg@2", 1);
        check("npx", &["--package", "pkg", "cmd"], "npm", "pkg", 2);
        check(
            "npx",
            &["-y", "--", "pkg@latest", "--flag"],
            "npm",
            "pkg@latest",
            3,
        );
        check(
            "npx",
            &["--yes", "-q", "--prefer-offline", "pkg"],
            "npm",
            "pkg",
            4,
        );
        check(
            "npx",
            &["-y", "mcp-remote", "https://example.com/mcp"],
            "npm",
            "mcp-remote",
            2,
        );
        check("bunx", &["--bun", "pkg@1.2.3"], "npm", "pkg@1.2.3", 2);
        check("bun", &["x", "pkg@1.2.3"], "npm", "pkg@1.2.3", 2);
        check("pnpx", &["pkg"], "npm", "pkg", 1);
        check(
            "pnpm",
            &["dlx", "@scope/pkg@1.0.0"],
            "npm",
            "@scope/pkg@1.0.0",
            2,
        );
        check(
            "pnpm",
            &["--package=pkg@1", "dlx", "cmd"],
            "npm",
            "pkg@1",
            1,
        );
        check("yarn", &["dlx", "-q", "pkg@1.0.0"], "npm", "pkg@1.0.0", 3);
        check("npm", &["exec", "--", "pkg@1.0.0"], "npm", "pkg@1.0.0", 3);
        check("npm", &["x", "-y", "pkg@1.0.0"], "npm", "pkg@1.0.0", 3);
        check(
            "npm",
            &["exec", "--yes", "--package=pkg@3", "--", "bin"],
            "npm",
            "pkg@3",
            3,
        );
    }

    #[test]
    fn npm_specs_that_are_not_registry_packages() {
        check(
            "npx",
            &["github:org/repo#v1"],
            "git",
            "github:org/repo#v1",
            1,
        );
        check(
            "npx",
            &["git+https://github.com/o/r.git"],
            "git",
            "git+https://github.com/o/r.git",
            1,
        );
        check("npx", &["org/repo"], "git", "org/repo", 1);
        check(
            "npx",
            &["https://x.test/p.tgz"],
            "url",
            "https://x.test/p.tgz",
            1,
        );
        check(
            "npx",
            &["./packages/server"],
            "local",
            "./packages/server",
            1,
        );
        check("npx", &["/opt/server"], "exec", "/opt/server", 1);
        check("npx", &["file:../server"], "exec", "../server", 1);
    }

    #[test]
    fn runners_without_a_package() {
        check("npx", &[], "exec", "npx", 0);
        check("npx", &["-y"], "exec", "npx", 0);
        check("npx", &["-p"], "exec", "npx", 0);
        check("uvx", &["--python", "3.12"], "exec", "uvx", 0);
        check("docker", &["run", "-i", "--rm"], "exec", "docker", 0);
        check("docker", &["ps"], "exec", "docker", 0);
        check("pipx", &["install", "pkg"], "exec", "pipx", 0);
        check("go", &["build"], "exec", "go", 0);
        check("node", &[], "exec", "node", 0);
    }

    #[test]
    fn python_runners() {
        check("uvx", &["pkg@1.2.3"], "pypi", "pkg==1.2.3", 1);
        check("uvx", &["pkg@latest"], "pypi", "pkg@latest", 1);
        check("uvx", &["pkg[cli]@1.0"], "pypi", "pkg[cli]==1.0", 1);
        check("uvx", &["--from", "pkg==1.0", "cmd"], "pypi", "pkg==1.0", 2);
        check("uvx", &["--from=pkg>=1", "cmd"], "pypi", "pkg>=1", 1);
        check(
            "uvx",
            &["--with", "x", "--python", "3.12", "pkg"],
            "pypi",
            "pkg",
            5,
        );
        check(
            "uvx",
            &["-p", "3.12", "--index-url", "https://i.test", "pkg"],
            "pypi",
            "pkg",
            5,
        );
        check(
            "uv",
            &["tool", "run", "--from", "pkg@2.0", "cmd"],
            "pypi",
            "pkg==2.0",
            4,
        );
        check("uv", &["tool", "run", "pkg"], "pypi", "pkg", 3);
        check(
            "pipx",
            &["run", "--spec", "pkg==1.0", "cmd"],
            "pypi",
            "pkg==1.0",
            3,
        );
        check("pipx", &["run", "--no-cache", "pkg"], "pypi", "pkg", 3);
        check(
            "uvx",
            &["--from", "git+https://github.com/o/r@v1.2", "r"],
            "git",
            "git+https://github.com/o/r@v1.2",
            2,
        );
        check(
            "uvx",
            &["--from", "git+ssh://git@github.com/o/r", "r"],
            "git",
            "git+ssh://git@github.com/o/r",
            2,
        );
        check(
            "uvx",
            &["--from", "r @ git+https://github.com/o/r", "r"],
            "git",
            "git+https://github.com/o/r",
            2,
        );
        check("uvx", &["--from", ".", "cmd"], "local", ".", 2);
        check("uvx", &["--from", "/opt/pkg", "cmd"], "exec", "/opt/pkg", 2);
    }

    #[test]
    fn containers() {
        check(
            "docker",
            &[
                "run",
                "-e",
                "NAME=value",
                "--env=X",
                "-v",
                "a:b",
                "--rm",
                "-i",
                "mcp/fetch:latest",
            ],
            "oci",
            "mcp/fetch:latest",
            9,
        );
        check(
            "docker",
            &["run", "-it", "--rm", "img@sha256:abc"],
            "oci",
            "img@sha256:abc",
            4,
        );
        check("docker", &["run", "-ieNAME=value", "img"], "oci", "img", 3);
        check("docker", &["run", "-ie", "NAME", "img"], "oci", "img", 4);
        check(
            "docker",
            &["run", "--pull", "always", "--init", "img"],
            "oci",
            "img",
            5,
        );
        check("podman", &["run", "-i", "--rm", "img:1"], "oci", "img:1", 4);
        check(
            "docker",
            &["container", "run", "-i", "img"],
            "oci",
            "img",
            4,
        );
        check(
            "docker",
            &["--context", "remote", "run", "img"],
            "oci",
            "img",
            4,
        );
        check("/usr/bin/docker", &["run", "img"], "oci", "img", 2);
    }

    #[test]
    fn go_run() {
        check(
            "go",
            &["run", "github.com/org/server/cmd/server@v1.2.3", "stdio"],
            "go",
            "github.com/org/server/cmd/server@v1.2.3",
            2,
        );
        check(
            "go",
            &["run", "-tags", "x", "example.com/m@latest"],
            "go",
            "example.com/m@latest",
            4,
        );
        check("go", &["run", "./cmd/server"], "local", "./cmd/server", 2);
        check("go", &["run", "."], "local", ".", 2);
        check("go", &["run", "main.go"], "local", "main.go", 2);
        check("go", &["run", "-C", "/abs", "."], "exec", "/abs", 3);
    }

    #[test]
    fn scripts_that_compute_their_program() {
        for script in [
            "_P=$(ls -d x | head -1); exec node \"$_P/server.js\"",
            "for d in a b; do [ -f $d/s ] && exec $d/s; done",
            "{ echo x; } && node server.js",
            "exec \"$HOME/bin/server\"",
            "node `which server`",
        ] {
            check("sh", &["-c", script], SHELL_SCRIPT, "a shell script", 2);
        }
        // plain command lines are still read
        check(
            "sh",
            &["-c", "cd server && npx -y pkg@1.2.3"],
            "npm",
            "pkg@1.2.3",
            2,
        );
        check(
            "bash",
            &["-c", "exec node \"${CLAUDE_PLUGIN_ROOT}/dist/index.js\""],
            "local",
            "${CLAUDE_PLUGIN_ROOT}/dist/index.js",
            2,
        );
        check(
            "sh",
            &["-c", "echo '$(not run)' ; npx -y pkg@1.2.3"],
            "npm",
            "pkg@1.2.3",
            2,
        );
    }

    #[test]
    fn project_runners_run_the_repositorys_code() {
        // the value of `--project` is the project, not the program
        check(
            "uv",
            &[
                "run",
                "--project",
                "${CLAUDE_PLUGIN_ROOT}",
                "python",
                "-m",
                "x.server",
            ],
            "local",
            "${CLAUDE_PLUGIN_ROOT}",
            3,
        );
        check(
            "uv",
            &["--directory", "/abs/path", "run", "server.py"],
            "exec",
            "/abs/path",
            2,
        );
        // `--no`: nothing is installed, node_modules runs
        check(
            "npm",
            &["exec", "--no", "--", "mcp-server"],
            "local",
            "mcp-server",
            4,
        );
        check(
            "npx",
            &["--no-install", "mcp-server"],
            "local",
            "mcp-server",
            2,
        );
        check(
            "npx",
            &["--yes=false", "mcp-server"],
            "local",
            "mcp-server",
            2,
        );
        check("npx", &["-y", "mcp-server"], "npm", "mcp-server", 2);
        // cargo run builds the repository's crate
        check(
            "cargo",
            &["run", "--release", "--bin", "server"],
            "local",
            ".",
            0,
        );
        check(
            "cargo",
            &["run", "--manifest-path", "mcp/Cargo.toml"],
            "local",
            "mcp/Cargo.toml",
            3,
        );
        check("cargo", &["install", "mcp-thing"], "exec", "cargo", 0);
        // docker compose runs a service of the repository's compose file
        check(
            "docker",
            &["compose", "run", "--rm", "-T", "mcp"],
            "local",
            ".",
            0,
        );
        check(
            "docker",
            &["compose", "-f", "ops/compose.yaml", "exec", "mcp", "sh"],
            "local",
            "ops/compose.yaml",
            3,
        );
        check("docker-compose", &["run", "--rm", "mcp"], "local", ".", 0);
        check("docker", &["compose", "ls"], "exec", "docker", 0);
    }

    #[test]
    fn local_and_exec_programs() {
        check("./bin/server", &["--stdio"], "local", "./bin/server", 0);
        check("bin/server", &[], "local", "bin/server", 0);
        check("scripts/run.sh", &[], "local", "scripts/run.sh", 0);
        check(".\\bin\\server.exe", &[], "local", ".\\bin\\server.exe", 0);
        check(
            "${workspaceFolder}/bin/server",
            &[],
            "local",
            "${workspaceFolder}/bin/server",
            0,
        );
        check(
            "github-mcp-server",
            &["stdio"],
            "exec",
            "github-mcp-server",
            0,
        );
        check("mcp-server-git", &[], "exec", "mcp-server-git", 0);
        check(
            "/usr/local/bin/server",
            &[],
            "exec",
            "/usr/local/bin/server",
            0,
        );
        check("~/bin/server", &[], "exec", "~/bin/server", 0);
        check("../other/server", &[], "exec", "../other/server", 0);
        check("bin/../../server", &[], "exec", "bin/../../server", 0);
        check(
            "C:\\tools\\server.exe",
            &[],
            "exec",
            "C:\\tools\\server.exe",
            0,
        );
    }

    #[test]
    fn interpreters() {
        check("node", &["build/index.js"], "local", "build/index.js", 1);
        check(
            "node",
            &["./build/index.js"],
            "local",
            "./build/index.js",
            1,
        );
        check("node", &["index.js"], "local", "index.js", 1);
        // The MCP SDKs' runners of a server file.
        check("mcp", &["run", "server.py"], "local", "server.py", 2);
        check(
            "fastmcp",
            &["run", "src/app.py:mcp", "--port", "8000"],
            "local",
            "src/app.py",
            2,
        );
        check("mcp", &["dev", "-v", "server.py"], "local", "server.py", 3);
        check("mcp", &["install", "server.py"], "exec", "mcp", 0);
        check("fastmcp", &["run"], "exec", "fastmcp", 0);
        check(
            "node",
            &["--require", "/abs/hook.js", "dist/main.js"],
            "local",
            "dist/main.js",
            3,
        );
        check(
            "node",
            &["../elsewhere/index.js"],
            "exec",
            "../elsewhere/index.js",
            1,
        );
        check("node", &["-e", "require('x')"], "exec", "node", 0);
        // a module: loading looks for its package in the repository
        check(
            "python",
            &["-m", "mcp_server_fetch"],
            PY_MODULE,
            "mcp_server_fetch",
            2,
        );
        // the repository's own virtual environment
        check(
            ".venv/bin/python",
            &["-m", "app.server"],
            "local",
            ".venv/bin/python",
            0,
        );
        check(
            "${workspaceFolder}/.venv/bin/python",
            &["-m", "app.server"],
            "local",
            "${workspaceFolder}/.venv/bin/python",
            0,
        );
        // a Gemini CLI extension's folder is the repository, `${/}` (also VS Code's) a `/`
        check(
            "node",
            &["${extensionPath}${/}dist${/}index.js"],
            "local",
            "${extensionPath}/dist/index.js",
            1,
        );
        check(
            "node",
            &["${extensionPath}${pathSeparator}../other/index.js"],
            "exec",
            "${extensionPath}/../other/index.js",
            1,
        );
        // Claude Code's project and plugin folders are the repository
        check(
            "node",
            &["${CLAUDE_PLUGIN_ROOT}/dist/index.js"],
            "local",
            "${CLAUDE_PLUGIN_ROOT}/dist/index.js",
            1,
        );
        check(
            "${CLAUDE_PROJECT_DIR:-.}/bin/server",
            &[],
            "local",
            "${CLAUDE_PROJECT_DIR:-.}/bin/server",
            0,
        );
        check(
            "bun",
            &["run", "$CLAUDE_PLUGIN_ROOT/src/mcp/server.ts"],
            "local",
            "$CLAUDE_PLUGIN_ROOT/src/mcp/server.ts",
            2,
        );
        check(
            "node",
            &["${CLAUDE_PLUGIN_ROOTX}/a.js"],
            "exec",
            "${CLAUDE_PLUGIN_ROOTX}/a.js",
            1,
        );
        // any client's plugin root is the plugin's repository (Cursor's, seen in the wild)
        check(
            "node",
            &["${CURSOR_PLUGIN_ROOT}/src/server.js"],
            "local",
            "${CURSOR_PLUGIN_ROOT}/src/server.js",
            1,
        );
        check(
            "node",
            &["${_PLUGIN_ROOT}/a.js"],
            "exec",
            "${_PLUGIN_ROOT}/a.js",
            1,
        );
        check("python3", &["-u", "server.py"], "local", "server.py", 2);
        check(
            "python3.12",
            &["/opt/server.py"],
            "exec",
            "/opt/server.py",
            1,
        );
        check("python", &["-c", "import x"], "exec", "python", 0);
        check(
            "deno",
            &["run", "-A", "--config", "deno.json", "main.ts"],
            "local",
            "main.ts",
            5,
        );
        check(
            "deno",
            &["run", "-A", "npm:pkg@1.0.0"],
            "npm",
            "pkg@1.0.0",
            3,
        );
        check(
            "deno",
            &["run", "https://x.test/mod.ts"],
            "url",
            "https://x.test/mod.ts",
            2,
        );
        check("bun", &["run", "src/index.ts"], "local", "src/index.ts", 2);
        check("bun", &["src/index.ts"], "local", "src/index.ts", 1);
        check("tsx", &["src/index.ts"], "local", "src/index.ts", 1);
        check(
            "ts-node",
            &["--project", "tsconfig.json", "src/index.ts"],
            "local",
            "src/index.ts",
            3,
        );
        check(
            "java",
            &["-Xmx1g", "-jar", "build/server.jar"],
            "local",
            "build/server.jar",
            3,
        );
        check(
            "java",
            &["-jar", "/opt/server.jar"],
            "exec",
            "/opt/server.jar",
            2,
        );
        check(
            "java",
            &["-cp", "lib/*", "com.example.Main"],
            "local",
            "lib/*",
            2,
        );
        check("java", &["com.example.Main"], "exec", "com.example.Main", 1);
        check("php", &["-f", "server.php"], "local", "server.php", 2);
        check(
            "ruby",
            &["-I", "lib", "bin/server"],
            "local",
            "bin/server",
            3,
        );
        check(
            "bash",
            &["scripts/start.sh"],
            "local",
            "scripts/start.sh",
            1,
        );
        check("sh", &["/opt/start.sh"], "exec", "/opt/start.sh", 1);
        check(
            "C:\\Program Files\\nodejs\\node.exe",
            &["dist/index.js"],
            "local",
            "dist/index.js",
            1,
        );
    }

    #[test]
    fn projects() {
        check("uv", &["run", "server.py"], "local", ".", 0);
        check(
            "uv",
            &["run", "--with", "mcp", "mcp", "run", "server.py"],
            "local",
            ".",
            0,
        );
        check(
            "uv",
            &["--directory", "servers/weather", "run", "weather.py"],
            "local",
            "servers/weather",
            2,
        );
        check(
            "uv",
            &["run", "--directory", "servers/weather", "weather.py"],
            "local",
            "servers/weather",
            3,
        );
        check(
            "uv",
            &["--directory", "/ABSOLUTE/PATH/weather", "run", "weather.py"],
            "exec",
            "/ABSOLUTE/PATH/weather",
            2,
        );
        check(
            "uv",
            &["--directory=../weather", "run", "x"],
            "exec",
            "../weather",
            1,
        );
        check(
            "uv",
            &["run", "/abs/server.py"],
            "exec",
            "/abs/server.py",
            2,
        );
        check("uv", &["pip", "install", "x"], "exec", "uv", 0);
        check("poetry", &["run", "python", "server.py"], "local", ".", 0);
        check(
            "poetry",
            &["-C", "server", "run", "serve"],
            "local",
            "server",
            2,
        );
        check("npm", &["start"], "local", ".", 0);
        check("npm", &["run", "mcp"], "local", ".", 0);
        check(
            "npm",
            &["--prefix", "server", "start"],
            "local",
            "server",
            2,
        );
        check(
            "npm",
            &["run", "mcp", "--prefix", "/abs/server"],
            "exec",
            "/abs/server",
            4,
        );
        check("pnpm", &["-C", "server", "start"], "local", "server", 2);
        check("yarn", &["start"], "local", ".", 0);
        check("npm", &["install"], "exec", "npm", 0);
        check(
            "dotnet",
            &["run", "--project", "src/Server"],
            "local",
            "src/Server",
            3,
        );
        check(
            "dotnet",
            &["run", "--project", "C:\\src\\Server"],
            "exec",
            "C:\\src\\Server",
            3,
        );
        check(
            "dotnet",
            &["build/Server.dll"],
            "local",
            "build/Server.dll",
            1,
        );
    }

    #[test]
    fn nuget() {
        check(
            "dnx",
            &["Contoso.Mcp@1.0.0", "--yes"],
            "nuget",
            "Contoso.Mcp@1.0.0",
            1,
        );
        check(
            "dnx",
            &["Contoso.Mcp", "--version", "1.0.0", "--yes"],
            "nuget",
            "Contoso.Mcp@1.0.0",
            1,
        );
        check(
            "dotnet",
            &["dnx", "Contoso.Mcp@2.0.0"],
            "nuget",
            "Contoso.Mcp@2.0.0",
            2,
        );
    }

    #[test]
    fn runner_names() {
        check(
            "/usr/local/bin/npx",
            &["-y", "pkg@1.0.0"],
            "npm",
            "pkg@1.0.0",
            2,
        );
        check("npx.cmd", &["-y", "pkg@1.0.0"], "npm", "pkg@1.0.0", 2);
        check(
            "C:\\Program Files\\nodejs\\NPX.EXE",
            &["pkg"],
            "npm",
            "pkg",
            1,
        );
        check("uvx.exe", &["pkg@1"], "pypi", "pkg==1", 1);
        check(
            "/home/me/.local/bin/uv",
            &["tool", "run", "pkg"],
            "pypi",
            "pkg",
            3,
        );
    }

    #[test]
    fn windows_wrappers() {
        check(
            "cmd",
            &["/c", "npx", "-y", "pkg@1.0.0"],
            "npm",
            "pkg@1.0.0",
            4,
        );
        check(
            "cmd.exe",
            &["/C", "npx", "-y", "pkg@1.0.0"],
            "npm",
            "pkg@1.0.0",
            4,
        );
        check("cmd", &["/s", "/c", "uvx", "pkg"], "pypi", "pkg", 4);
        check("cmd", &["/c", "npx -y pkg@1.0.0"], "npm", "pkg@1.0.0", 2);
        check("cmd", &["/c"], "exec", "cmd", 0);
        check(
            "powershell",
            &[
                "-NoProfile",
                "-ExecutionPolicy",
                "Bypass",
                "-Command",
                "npx",
                "-y",
                "pkg",
            ],
            "npm",
            "pkg",
            7,
        );
        check("pwsh", &["-c", "npx -y pkg"], "npm", "pkg", 2);
        check(
            "pwsh",
            &["-File", "scripts/run.ps1"],
            "local",
            "scripts/run.ps1",
            2,
        );
        check(
            "powershell",
            &["-EncodedCommand", "AAAA"],
            "exec",
            "powershell",
            0,
        );
    }

    #[test]
    fn shell_wrappers() {
        check("bash", &["-c", "npx -y pkg@1.0.0"], "npm", "pkg@1.0.0", 2);
        check("sh", &["-lc", "exec uvx pkg"], "pypi", "pkg", 2);
        check(
            "bash",
            &["-c", "cd servers/x && uv run server.py"],
            "local",
            "servers/x",
            2,
        );
        check(
            "bash",
            &["-c", "cd /opt/x && node index.js"],
            "exec",
            "/opt/x/index.js",
            2,
        );
        check("bash", &["-c", "cd /opt/x && npx -y pkg"], "npm", "pkg", 2);
        check("sh", &["-c"], "exec", "sh", 0);
        check("env", &["FOO=1", "npx", "-y", "pkg"], "npm", "pkg", 4);
        check(
            "env",
            &["-C", "/srv", "node", "index.js"],
            "exec",
            "/srv/index.js",
            4,
        );
        check(
            "/usr/bin/env",
            &["-u", "X", "uvx", "pkg@2"],
            "pypi",
            "pkg==2",
            4,
        );
    }

    #[test]
    fn one_string_commands() {
        check("npx -y pkg@1.0.0", &[], "npm", "pkg@1.0.0", 0);
        check("uvx --from 'pkg==1.0' cmd", &[], "pypi", "pkg==1.0", 0);
        check("docker run -i --rm img:1", &[], "oci", "img:1", 0);
        check("FOO=1 node ./server.js", &[], "local", "./server.js", 0);
        check("cd server && npm start", &[], "local", "server", 0);
        check("npx", &[], "exec", "npx", 0);
        // With arguments, a command is one program, spaces and all.
        check("my server", &["x"], "exec", "my server", 0);
    }

    #[test]
    fn empty_and_odd_input_does_not_panic() {
        check("", &[], "exec", "", 0);
        check("   ", &[], "exec", "   ", 0);
        check("", &["npx"], "exec", "", 0);
        check("npx", &[""], "npm", "", 1);
        check("npx", &["-", "--"], "npm", "-", 1);
        check("docker", &["run", "-é", "ü"], "oci", "ü", 3);
        check("docker", &["run", "-eé"], "exec", "docker", 0);
        check("uvx", &["@"], "pypi", "", 1);
        check("uvx", &["名前@1"], "pypi", "名前==1", 1);
        check("ノード", &["x"], "exec", "ノード", 0);
        check("cmd", &["/é"], "exec", "/é", 1);
        check("bash", &["-c", "''"], "exec", "", 2);
        check("env", &["-u"], "exec", "env", 0);
        check("pwsh", &["-ExecutionPolicy"], "exec", "pwsh", 0);
        check(
            "cmd /c cmd /c cmd /c cmd /c cmd /c cmd /c cmd /c cmd /c cmd /c cmd /c npx pkg",
            &[],
            "exec",
            "cmd",
            0,
        );
        for args in [
            &["-p"][..],
            &["--"],
            &["-="],
            &["=x"],
            &["--x="],
            &["-\u{0}"],
        ] {
            for cmd in [
                "npx", "uvx", "uv", "pipx", "docker", "go", "node", "java", "bash", "cmd", "pwsh",
                "env", "dnx", "dotnet", "npm", "poetry",
            ] {
                let _ = launch(cmd, args);
            }
        }
    }
}
