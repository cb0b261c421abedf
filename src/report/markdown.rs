//! `--format markdown` for `verify` and `scan`: a pull-request comment with the summary and a
//! table of findings (each with its place, rule and message, and the fix in a details block).

use super::{Place, Summary};
use crate::finding::{Finding, Severity};
use crate::source::SourceMap;
use std::fmt::Write as _;

/// GitHub's comment limit is 65,536 characters; the table stops well before.
const MAX_ROWS: usize = 200;

/// Text a repository wrote (a name, a message, a tag), as Markdown for a pull-request comment,
/// in a table cell or a line: the one escaper of every Markdown report. It renders as the text
/// it is and does nothing else. Pipes, backticks, HTML and line breaks cannot break the table,
/// a code span or the line. `[`, `]` and `!` cannot make a link or an image (a tracking
/// pixel). GitHub links `@name` and `@org/team`, which would notify them, and bare URLs after
/// rendering, so a zero-width space follows each `@` and each `://`. `&` is written `&amp;`,
/// so `&#64;` cannot become such an `@` either.
pub fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        rest = &rest[c.len_utf8()..];
        match c {
            '\\' | '|' | '[' | ']' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '`' => out.push('\''),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '@' => out.push_str("@&#8203;"),
            ':' if rest.starts_with("//") => out.push_str(":&#8203;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Text a repository wrote, inside a code span (`` `…` ``): nothing in a code span is a link,
/// a mention or HTML, so only what would end the span, the cell or the line is replaced.
pub fn code(s: &str) -> String {
    s.replace('`', "'")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

fn icon(s: Severity) -> &'static str {
    match s {
        Severity::Error => "❌ error",
        Severity::Warning => "⚠️ warning",
        Severity::Info => "ℹ️ info",
    }
}

pub fn render(
    findings: &[Finding],
    suppressed: usize,
    sources: &SourceMap,
    prefix: &str,
    title: &str,
) -> String {
    let s = Summary::of(findings, suppressed);
    let mut out = String::new();
    let verdict = if s.error > 0 { "failed" } else { "passed" };
    let _ = writeln!(out, "### agentlock {title}: {verdict}\n");
    let plural = |n: usize, w: &str| format!("**{n}** {w}{}", if n == 1 { "" } else { "s" });
    let _ = write!(
        out,
        "{}, {}",
        plural(s.error, "error"),
        plural(s.warning, "warning")
    );
    if s.info > 0 {
        let _ = write!(out, ", **{}** info", s.info);
    }
    if s.suppressed > 0 {
        let _ = write!(out, ", {} suppressed", s.suppressed);
    }
    out.push_str(".\n\n");
    if findings.is_empty() {
        out.push_str("No findings.\n");
        return out;
    }
    // Past the limit, the most severe are shown (errors first, each severity in report order):
    // warnings a pull request plants in front cannot push an error out of the comment.
    let mut shown: Vec<&Finding> = findings.iter().collect();
    if shown.len() > MAX_ROWS {
        shown.sort_by_key(|f| std::cmp::Reverse(f.severity));
        shown.truncate(MAX_ROWS);
    }
    out.push_str("| | Rule | Where | Finding |\n|---|---|---|---|\n");
    for f in shown.iter().copied() {
        let p = Place::of(f, sources, prefix);
        let _ = writeln!(
            out,
            "| {} | `{}` {} | `{}:{}` | {} |",
            icon(f.severity),
            f.code(),
            f.name(),
            code(&p.path),
            p.line,
            cell(&f.message)
        );
    }
    if findings.len() > MAX_ROWS {
        let _ = writeln!(
            out,
            "\n… and {} more; run `agentlock {title}` for all of them.",
            findings.len() - MAX_ROWS
        );
    }
    let helped: Vec<&Finding> = shown.into_iter().filter(|f| f.help.is_some()).collect();
    if !helped.is_empty() {
        out.push_str("\n<details><summary>How to fix</summary>\n\n");
        for f in helped {
            let p = Place::of(f, sources, prefix);
            let _ = writeln!(
                out,
                "- `{}` at `{}:{}`: {}",
                f.code(),
                code(&p.path),
                p.line,
                cell(f.help.as_deref().unwrap_or_default())
            );
        }
        out.push_str("\n</details>\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn a_hostile_name_renders_as_its_text_and_does_nothing_else() {
        // HTML, an image (a tracking pixel), a link, mentions (one spelt as an entity), a
        // bare URL, a pipe, a code span and a line break
        let hostile = "<img src=x>![p](https://t.example/p.png)[a](http://e.example) @acme/admins &#64;ops | `x`\nnext";
        assert_eq!(
            cell(hostile),
            "&lt;img src=x&gt;\\!\\[p\\](https:&#8203;//t.example/p.png)\\[a\\](http:&#8203;//e.example) @&#8203;acme/admins &amp;#64;ops \\| 'x' next"
        );
        assert_eq!(super::code("a`b|c@d\ne"), "a'b\\|c@d e");
        // what names are made of is left as it is
        assert_eq!(
            cell("gpt-4.1 writer_agent 1:2 a.b"),
            "gpt-4.1 writer_agent 1:2 a.b"
        );
    }
}
