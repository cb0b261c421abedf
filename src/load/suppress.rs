//! Inline suppressions: `# agentlock: allow CODE -- reason` in YAML and TOML files, and
//! `<!-- agentlock: allow CODE -- reason -->` in prompts.
//!
//! A comment at the end of a line covers findings on that line; a comment alone on its line
//! covers the next line. A reason is required. The policy ([`crate::policy`]) applies them and
//! reports any that matched nothing (POL001).

use crate::problem::Problem;
use crate::source::{FileId, Span};

const MARKER: &str = "agentlock:";

/// How a suppression is written: the help of every problem with one.
pub const FORM: &str = "write it as `agentlock: allow CODE -- why this is acceptable`, e.g. `# agentlock: allow unreachable-agent -- kept for the Q1 migration, TICKET-9`";

/// One inline suppression.
#[derive(Clone, Debug)]
pub struct Suppression {
    pub file: FileId,
    /// The 1-based line whose findings it covers.
    pub line: usize,
    /// The rule codes (or names) it allows, as written.
    pub codes: Vec<String>,
    pub reason: String,
    /// The comment itself.
    pub span: Span,
}

/// How comments and strings are written in a file: a `#` inside a string (a quoted value, a
/// YAML block scalar, a TOML multi-line string, a Rego raw string) is the string's, not a
/// comment, so a suppression cannot hide in a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    /// YAML: `#` after whitespace; quotes open only where a scalar starts; `|`/`>` blocks.
    Yaml,
    /// TOML: `#` anywhere outside `"…"`, `'…'`, `"""…"""` and `'''…'''`.
    Toml,
    /// Rego: `#` anywhere outside `"…"` and `` `…` ``.
    Rego,
    /// A prompt: `#` in the front matter, `<!-- … -->` anywhere. Its body is prose, where an
    /// apostrophe opens nothing.
    Prompt,
}

impl Syntax {
    /// The syntax of a file with `#` comments, by its extension: YAML unless it says otherwise.
    pub fn of_path(path: &str) -> Syntax {
        if path.ends_with(".toml") {
            Syntax::Toml
        } else if path.ends_with(".rego") {
            Syntax::Rego
        } else {
            Syntax::Yaml
        }
    }
}

/// Finds the suppressions in one file, with the codes as written: the policy checks them
/// against the rules. Malformed ones (no code, no reason) are problems and are not returned.
pub fn scan(
    file: FileId,
    path: &str,
    text: &str,
    syntax: Syntax,
    problems: &mut Vec<Problem>,
) -> Vec<Suppression> {
    let mut out = Vec::new();
    if memchr::memmem::find(text.as_bytes(), MARKER.as_bytes()).is_none() {
        return out;
    }
    let comments = (syntax != Syntax::Prompt).then(|| comment_starts(text, syntax));
    let mut offset = 0;
    for (index, line) in text.split('\n').enumerate() {
        let start = offset;
        offset += line.len() + 1;
        let Some(at) = line.find(MARKER) else {
            continue;
        };
        let comment = comments.as_ref().map(|c| c[index]);
        let Some((opener, comment_start)) = comment_opener(line, at, comment) else {
            continue;
        };
        let rest = &line[at + MARKER.len()..];
        let rest = if opener == "<!--" {
            rest.split("-->").next().unwrap_or(rest)
        } else {
            rest
        };
        let span = Span::new(file, start + comment_start, start + line.trim_end().len());
        let alone = line[..comment_start].trim().is_empty();
        let target = if alone { index + 2 } else { index + 1 };
        match parse(rest) {
            Ok((codes, reason)) => out.push(Suppression {
                file,
                line: target,
                codes,
                reason,
                span,
            }),
            Err(why) => {
                problems.push(Problem::new(span, path, why).help(FORM));
            }
        }
    }
    out
}

/// Whether `agentlock:` at byte `at` sits in a comment; returns the opener and where it starts.
/// `comment` is where the line's `#` comment starts, for a file with `#` comments; a prompt
/// (`None`) takes a `#` that starts the line or follows whitespace, and `<!--`.
fn comment_opener(
    line: &str,
    at: usize,
    comment: Option<Option<usize>>,
) -> Option<(&'static str, usize)> {
    let trimmed = line[..at].trim_end();
    if let Some(stripped) = trimmed.strip_suffix('#') {
        let hash = stripped.len();
        let ok = match comment {
            Some(start) => start.is_some_and(|c| hash >= c),
            None => stripped.is_empty() || stripped.ends_with([' ', '\t']),
        };
        if ok {
            return Some(("#", start_of_comment(comment, hash)));
        }
    }
    if comment.is_none()
        && let Some(stripped) = trimmed.strip_suffix("<!--")
    {
        return Some(("<!--", stripped.len()));
    }
    None
}

/// Where the comment holding the `#` at `hash` starts.
fn start_of_comment(comment: Option<Option<usize>>, hash: usize) -> usize {
    match comment {
        Some(Some(c)) => c.min(hash),
        _ => hash,
    }
}

/// For each line (split at `\n`), the byte where its `#` comment starts, if it has one: the
/// first `#` outside every string, block scalar and multi-line string, which the lexer follows
/// across lines.
fn comment_starts(text: &str, syntax: Syntax) -> Vec<Option<usize>> {
    let mut out = Vec::new();
    // An open string carried to the next line: its closing delimiter.
    let mut open: Option<&'static str> = None;
    // An open YAML block scalar: the column its content must be indented past.
    let mut block: Option<usize> = None;
    // How deep in YAML flow collections (`[…]`, `{…}`, which may span lines) the lexer is.
    let mut flow = 0usize;
    for line in text.split('\n') {
        if let Some(parent) = block {
            let indent = line.len() - line.trim_start_matches(' ').len();
            if line.trim().is_empty() || indent > parent {
                out.push(None);
                continue;
            }
            block = None;
        }
        let b = line.as_bytes();
        let mut i = 0;
        let mut found = None;
        // Whether a YAML scalar may start here: at the line's start or after an indicator.
        let mut scalar_start = true;
        // Whether only indentation and `- `/`? ` indicators precede.
        let mut leading = true;
        while i < b.len() {
            if let Some(close) = open {
                match close {
                    "\"" if b[i] == b'\\' => i += 2,
                    "'" if syntax == Syntax::Yaml && b[i..].starts_with(b"''") => i += 2,
                    _ if b[i..].starts_with(close.as_bytes()) => {
                        i += close.len();
                        open = None;
                        scalar_start = false;
                    }
                    "\"\"\"" if b[i] == b'\\' => i += 2,
                    _ => i += 1,
                }
                continue;
            }
            let c = b[i];
            match c {
                b'#' if syntax != Syntax::Yaml || i == 0 || matches!(b[i - 1], b' ' | b'\t') => {
                    found = Some(i);
                    break;
                }
                b'"' | b'\'' | b'`' => {
                    let opens = match syntax {
                        Syntax::Yaml => c != b'`' && scalar_start,
                        Syntax::Toml => c != b'`',
                        _ => c != b'\'',
                    };
                    if opens {
                        let triple = syntax == Syntax::Toml && b[i..].starts_with(&[c, c, c]);
                        open = Some(match (c, triple) {
                            (b'"', true) => "\"\"\"",
                            (b'\'', true) => "'''",
                            (b'"', false) => "\"",
                            (b'\'', false) => "'",
                            _ => "`",
                        });
                        i += if triple { 3 } else { 1 };
                        continue;
                    }
                    scalar_start = false;
                }
                b' ' | b'\t' => {}
                // `key: "…"`, `- '…'`, `[ "…", '…' ]`; `it's`, `a "b"` and `a - 'b'` open nothing.
                b':' | b'-' | b'?' => {
                    let indicator = i + 1 >= b.len() || matches!(b[i + 1], b' ' | b'\t');
                    scalar_start = indicator && (c == b':' || leading);
                    leading = leading && indicator && c != b':';
                    i += 1;
                    continue;
                }
                b'[' | b'{' if scalar_start => flow += 1,
                b',' if flow > 0 => {
                    i += 1;
                    continue;
                }
                b']' | b'}' if flow > 0 => {
                    flow -= 1;
                    scalar_start = false;
                }
                _ => scalar_start = false,
            }
            leading = false;
            i += 1;
        }
        // A quoted YAML or single-line TOML/Rego string does not run past its line in TOML
        // and Rego; YAML's quoted scalars and the multi-line forms do.
        if matches!(open, Some("\"" | "'")) && syntax != Syntax::Yaml {
            open = None;
        }
        if syntax == Syntax::Yaml && open.is_none() {
            let code = found.map_or(line, |f| &line[..f]).trim_end();
            if opens_block(code) {
                block = Some(parent_column(line));
            }
        }
        out.push(found);
    }
    out
}

/// Whether a YAML line's content (its comment cut off) ends in a block scalar's header:
/// `key: |`, `- >-`, `key: !tag |2`.
fn opens_block(code: &str) -> bool {
    let Some(last) = code.split_whitespace().next_back() else {
        return false;
    };
    let header = last.strip_prefix(['|', '>']).is_some_and(|rest| {
        rest.len() <= 2 && rest.bytes().all(|c| matches!(c, b'-' | b'+' | b'1'..=b'9'))
    });
    if !header {
        return false;
    }
    let before = code[..code.len() - last.len()].trim_end();
    let before = match before.rsplit_once(char::is_whitespace) {
        Some((head, tag)) if tag.starts_with('!') => head.trim_end(),
        None if before.starts_with('!') => "",
        _ => before,
    };
    before.is_empty() || before.ends_with(':') || before.ends_with('-') || before == "---"
}

/// The column a block scalar's content is indented past: its key's (after `- ` sequence
/// indicators), or the last `-` when the scalar is the item itself (`- |`).
fn parent_column(line: &str) -> usize {
    let b = line.as_bytes();
    let mut i = 0;
    let mut dash = None;
    loop {
        while i < b.len() && b[i] == b' ' {
            i += 1;
        }
        if i < b.len() && b[i] == b'-' && (i + 1 == b.len() || b[i + 1] == b' ') {
            dash = Some(i);
            i += 1;
            continue;
        }
        break;
    }
    if i < b.len() && matches!(b[i], b'|' | b'>') {
        return dash.unwrap_or(i);
    }
    i
}

/// Parses `allow CODE[, CODE…] -- reason`. `base` is the byte offset of `rest` in the file.
fn parse(rest: &str) -> Result<(Vec<String>, String), String> {
    let body = rest.trim_start();
    let Some(after) = body.strip_prefix("allow") else {
        return Err("an `agentlock:` comment must say `allow CODE -- reason`".into());
    };
    let (codes_text, reason) = match after.find("--") {
        Some(i) => (&after[..i], after[i + 2..].trim()),
        None => (after, ""),
    };
    let mut codes = Vec::new();
    for piece in codes_text.split([',', ' ', '\t']).filter(|p| !p.is_empty()) {
        codes.push(piece.to_string());
    }
    if codes.is_empty() {
        return Err("a suppression must name the rule it allows".into());
    }
    if reason.is_empty() {
        return Err(format!(
            "a suppression of {} needs a reason after `--`; it is ignored until then",
            codes.join(", ")
        ));
    }
    Ok((codes, reason.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (line, codes, reason) of each suppression found.
    type Found = Vec<(usize, Vec<String>, String)>;

    fn run(text: &str, syntax: Syntax) -> (Found, Vec<String>) {
        let mut problems = Vec::new();
        let found = scan(FileId(0), "f", text, syntax, &mut problems)
            .into_iter()
            .map(|s| (s.line, s.codes, s.reason))
            .collect();
        (found, problems.into_iter().map(|p| p.message).collect())
    }

    #[test]
    fn same_line_and_next_line() {
        let text = "a: 1  # agentlock: allow X001 -- kept for Q1\n# agentlock: allow Y002, Z003 -- two reasons\nb: 2\n";
        let (found, problems) = run(text, Syntax::Yaml);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            found,
            vec![
                (1, vec!["X001".to_string()], "kept for Q1".to_string()),
                (3, vec!["Y002".into(), "Z003".into()], "two reasons".into()),
            ]
        );
    }

    #[test]
    fn html_comments_in_prompts_only() {
        let text = "body <!-- agentlock: allow Y002 -- demo prompt -->\n";
        assert_eq!(run(text, Syntax::Prompt).0.len(), 1);
        assert_eq!(run(text, Syntax::Yaml).0.len(), 0);
        assert_eq!(run(text, Syntax::Prompt).0[0].2, "demo prompt");
    }

    #[test]
    fn not_in_a_string_or_a_word() {
        let (found, problems) = run(
            "url: http://x#agentlock: allow X001 -- r\nname: agentlock: allow\n",
            Syntax::Yaml,
        );
        assert!(found.is_empty() && problems.is_empty());
        // inside a quoted value, the text is the value's
        for text in [
            "token: \"ghp_x # agentlock: allow X001 -- r\"\n",
            "token: 'it''s # agentlock: allow X001 -- r'\n",
            "token: \"a \\\" b # agentlock: allow X001 -- r\"\n",
        ] {
            let (found, problems) = run(text, Syntax::Yaml);
            assert!(found.is_empty() && problems.is_empty(), "{text}");
        }
        // after a closed string, a comment
        let (found, _) = run("token: \"x\" # agentlock: allow X001 -- r\n", Syntax::Yaml);
        assert_eq!(found.len(), 1);
    }

    #[test]
    fn not_in_a_multi_line_string() {
        let allow = "# agentlock: allow X001 -- r";
        // Red team round 3: a `#` inside a YAML block scalar was a comment.
        for (text, syntax) in [
            (
                format!("description: |\n  Deletes. {allow}\n  More.\n"),
                Syntax::Yaml,
            ),
            (format!("a:\n  b: >-\n    x\n\n    {allow}\n"), Syntax::Yaml),
            (format!("- |\n  {allow}\n"), Syntax::Yaml),
            (
                format!("- name: x\n  description: |2\n    {allow}\n"),
                Syntax::Yaml,
            ),
            (format!("k: \"first line\n  {allow}\"\n"), Syntax::Yaml),
            (format!("k: [\"a\",\n  \"b {allow}\"]\n"), Syntax::Yaml),
            (format!("d = \"\"\"\nx {allow}\n\"\"\"\n"), Syntax::Toml),
            (format!("d = '''\n{allow}\n'''\n"), Syntax::Toml),
            (format!("msg := `\n{allow}\n`\n"), Syntax::Rego),
        ] {
            let (found, problems) = run(&text, syntax);
            assert!(found.is_empty() && problems.is_empty(), "{text}");
        }
        // After the string or block ends, comments are comments again.
        for (text, syntax, line) in [
            (
                format!("description: |\n  Deletes.\nb: 1 {allow}\n"),
                Syntax::Yaml,
                3,
            ),
            (
                format!("- description: |\n    text\n  other: y {allow}\n"),
                Syntax::Yaml,
                3,
            ),
            (
                format!("description: |  {allow}\n  text\n"),
                Syntax::Yaml,
                1,
            ),
            (format!("k: \"a\n  b\"  {allow}\n"), Syntax::Yaml, 2),
            (format!("d = \"\"\"\nx\n\"\"\" {allow}\n"), Syntax::Toml, 3),
            (format!("msg := `x`\n{allow}\n"), Syntax::Rego, 3),
        ] {
            let (found, problems) = run(&text, syntax);
            assert!(problems.is_empty(), "{text}: {problems:?}");
            assert_eq!(
                found.iter().map(|f| f.0).collect::<Vec<_>>(),
                vec![line],
                "{text}"
            );
        }
    }

    #[test]
    fn an_apostrophe_in_a_plain_value_opens_nothing() {
        let allow = "# agentlock: allow X001 -- r";
        for text in [
            format!("description: Don't delete {allow}\n"),
            format!("- it's fine {allow}\n"),
            format!("k: a - 'b {allow}\n"),
            format!("k: say \"hi {allow}\n"),
            format!("k: a, 'b {allow}\n"),
        ] {
            let (found, _) = run(&text, Syntax::Yaml);
            assert_eq!(found.len(), 1, "{text}");
        }
        // TOML and Rego have no plain values: a quote always opens, and `#` needs no space.
        assert_eq!(run(&format!("a = 1{allow}\n"), Syntax::Toml).0.len(), 1);
        assert_eq!(
            run(&format!("x := \"it's\"{allow}\n"), Syntax::Rego)
                .0
                .len(),
            1
        );
        assert_eq!(
            run(&format!("x := \"a{allow}\"\n"), Syntax::Rego).0.len(),
            0
        );
    }

    #[test]
    fn malformed_ones_are_problems() {
        for (text, why) in [
            ("# agentlock: allow X001\n", "needs a reason"),
            ("# agentlock: allow X001 --   \n", "needs a reason"),
            ("# agentlock: allow -- r\n", "must name the rule"),
            ("# agentlock: ignore X001 -- r\n", "must say `allow"),
        ] {
            let (found, problems) = run(text, Syntax::Yaml);
            assert!(found.is_empty(), "{text}");
            assert!(
                problems.len() == 1 && problems[0].contains(why),
                "{text}: {problems:?}"
            );
        }
    }

    #[test]
    fn codes_are_kept_as_written() {
        // Names and unknown codes alike: the policy checks them against the rules.
        let (found, _) = run(
            "x: 1 # agentlock: allow unreachable-agent, NOPE1 -- r\n",
            Syntax::Yaml,
        );
        assert_eq!(found[0].1, vec!["unreachable-agent", "NOPE1"]);
    }
}
