//! `--format github`: GitHub Actions workflow commands, one annotation per finding, then the
//! full list as plain lines (a step shows only about ten annotations of each level).

use super::{Place, Summary};
use crate::finding::{Finding, Severity};
use crate::source::SourceMap;
use std::fmt::Write as _;

/// Escapes a command's message: `%`, CR and LF.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value: as the message, plus `:` and `,`.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn command(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    }
}

/// The annotations (workflow commands, every value in them escaped so that none can end the
/// line), and the plain list after them, which must not start a command: it is written as
/// text, where [`crate::output`] breaks any line that would.
pub fn render(
    findings: &[Finding],
    suppressed: usize,
    sources: &SourceMap,
    prefix: &str,
) -> (String, String) {
    let mut out = String::new();
    for f in findings {
        let p = Place::of(f, sources, prefix);
        let mut props = format!("file={},line={}", escape_property(&p.path), p.line);
        if let Some((end_line, end_col)) = p.end {
            let _ = write!(props, ",endLine={end_line}");
            // Columns only when the finding sits on one line.
            if p.one_line() {
                let _ = write!(props, ",col={},endColumn={end_col}", p.column);
            }
        } else {
            let _ = write!(props, ",col={}", p.column);
        }
        let _ = write!(
            props,
            ",title={}",
            escape_property(&format!("{} {}", f.code(), f.name()))
        );
        let mut message = f.message.clone();
        if let Some(h) = &f.help {
            message.push('\n');
            message.push_str(h);
        }
        let _ = writeln!(
            out,
            "::{} {props}::{}",
            command(f.severity),
            escape_data(&message)
        );
    }
    let commands = std::mem::take(&mut out);
    // The full list, for when the annotations are cut off.
    for f in findings {
        let p = Place::of(f, sources, prefix);
        let _ = writeln!(
            out,
            "{}:{}:{}: {} {}: {}",
            p.path,
            p.line,
            p.column,
            f.severity.as_str(),
            f.code(),
            f.message.replace('\n', " ")
        );
    }
    let _ = writeln!(
        out,
        "{}",
        super::human::summary_line(&Summary::of(findings, suppressed))
    );
    (commands, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(escape_data("50% done\r\nnext"), "50%25 done%0D%0Anext");
        assert_eq!(escape_data("a: b, c"), "a: b, c");
        assert_eq!(escape_property("a: b, c%"), "a%3A b%2C c%25");
        assert_eq!(escape_property("dir/x,y:z.yaml"), "dir/x%2Cy%3Az.yaml");
        assert_eq!(escape_property("line1\nline2"), "line1%0Aline2");
    }
}
