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

/// How comments are written in a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    /// `#` comments: YAML, TOML, and a prompt's front matter.
    Hash,
    /// A prompt: `#` in the front matter, `<!-- … -->` anywhere.
    Prompt,
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
    let mut offset = 0;
    for (index, line) in text.split('\n').enumerate() {
        let start = offset;
        offset += line.len() + 1;
        let Some(at) = line.find(MARKER) else {
            continue;
        };
        let Some((opener, comment_start)) = comment_opener(line, at, syntax) else {
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
fn comment_opener(line: &str, at: usize, syntax: Syntax) -> Option<(&'static str, usize)> {
    let before = &line[..at];
    let trimmed = before.trim_end();
    if let Some(stripped) = trimmed.strip_suffix('#') {
        // YAML: a comment starts a line or follows whitespace, outside a quoted string
        // (`token: "… # agentlock: allow …"` is the value, not a comment).
        // (A prompt's body is prose, where an apostrophe opens nothing.)
        let quoted = syntax == Syntax::Hash && in_quotes(stripped);
        if (stripped.is_empty() || stripped.ends_with([' ', '\t'])) && !quoted {
            return Some(("#", stripped.len()));
        }
    }
    if syntax == Syntax::Prompt
        && let Some(stripped) = trimmed.strip_suffix("<!--")
    {
        return Some(("<!--", stripped.len()));
    }
    None
}

/// Whether the end of `before` (the start of a line) is inside a `"…"` (with `\` escapes) or
/// `'…'` (with `''`) string, as YAML and TOML write them on one line.
fn in_quotes(before: &str) -> bool {
    let mut quote: Option<char> = None;
    let mut chars = before.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some('"'), '\\') => {
                chars.next();
            }
            (Some('\''), '\'') if chars.peek() == Some(&'\'') => {
                chars.next();
            }
            (Some(q), c) if c == q => quote = None,
            _ => {}
        }
    }
    quote.is_some()
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
        let (found, problems) = run(text, Syntax::Hash);
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
        assert_eq!(run(text, Syntax::Hash).0.len(), 0);
        assert_eq!(run(text, Syntax::Prompt).0[0].2, "demo prompt");
    }

    #[test]
    fn not_in_a_string_or_a_word() {
        let (found, problems) = run(
            "url: http://x#agentlock: allow X001 -- r\nname: agentlock: allow\n",
            Syntax::Hash,
        );
        assert!(found.is_empty() && problems.is_empty());
        // inside a quoted value, the text is the value's
        for text in [
            "token: \"ghp_x # agentlock: allow X001 -- r\"\n",
            "token: 'it''s # agentlock: allow X001 -- r'\n",
            "token: \"a \\\" b # agentlock: allow X001 -- r\"\n",
        ] {
            let (found, problems) = run(text, Syntax::Hash);
            assert!(found.is_empty() && problems.is_empty(), "{text}");
        }
        // after a closed string, a comment
        let (found, _) = run("token: \"x\" # agentlock: allow X001 -- r\n", Syntax::Hash);
        assert_eq!(found.len(), 1);
    }

    #[test]
    fn malformed_ones_are_problems() {
        for (text, why) in [
            ("# agentlock: allow X001\n", "needs a reason"),
            ("# agentlock: allow X001 --   \n", "needs a reason"),
            ("# agentlock: allow -- r\n", "must name the rule"),
            ("# agentlock: ignore X001 -- r\n", "must say `allow"),
        ] {
            let (found, problems) = run(text, Syntax::Hash);
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
            Syntax::Hash,
        );
        assert_eq!(found[0].1, vec!["unreachable-agent", "NOPE1"]);
    }
}
