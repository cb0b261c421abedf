//! `--format junit`: one test case per rule that ran. A rule with an error finding fails, with
//! each finding in the failure; warnings and info are written to the case's output; rules the
//! policy turned off are skipped.

use super::{Place, Summary};
use crate::finding::{Finding, Severity};
use crate::rules::Rule;
use crate::source::SourceMap;
use std::fmt::Write as _;

/// Text for XML: the five entities escaped, characters XML 1.0 cannot hold dropped.
pub fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

fn line(f: &Finding, sources: &SourceMap) -> String {
    let p = Place::of(f, sources, "");
    format!(
        "{}:{}:{}: {} {}",
        p.path,
        p.line,
        p.column,
        f.severity.as_str(),
        f.message
    )
}

/// `rules`: every rule of the registry, with why it did not run (`None`: it ran).
pub fn render(
    findings: &[Finding],
    suppressed: usize,
    sources: &SourceMap,
    rules: &[(&Rule, Option<crate::pipeline::NotRun>)],
    suite: &str,
) -> String {
    let s = Summary::of(findings, suppressed);
    // The rules of the registry, then those only findings name (the organisation's, from
    // `[policy] rego`): a failing organisation rule fails the suite as any other.
    let mut cases: Vec<(&str, &str, Option<&str>)> = rules
        .iter()
        .map(|(r, why)| (r.code, r.name, why.as_ref().map(|w| w.as_str())))
        .collect();
    for f in findings {
        if !cases.iter().any(|(c, _, _)| *c == f.code()) {
            cases.push((f.code(), f.name(), None));
        }
    }
    let failing = |code: &str| {
        findings
            .iter()
            .any(|f| f.code() == code && f.severity == Severity::Error)
    };
    let failures = cases
        .iter()
        .filter(|(code, _, why)| why.is_none() && failing(code))
        .count();
    let skipped = cases.iter().filter(|(_, _, why)| why.is_some()).count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"agentlock\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">",
        cases.len()
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">",
        xml(suite),
        cases.len()
    );
    let _ = writeln!(
        out,
        "    <properties><property name=\"errors\" value=\"{}\"/><property name=\"warnings\" value=\"{}\"/><property name=\"info\" value=\"{}\"/><property name=\"suppressed\" value=\"{}\"/></properties>",
        s.error, s.warning, s.info, s.suppressed
    );
    for (i, (code, name, why)) in cases.iter().enumerate() {
        let org = i >= rules.len()
            && findings
                .iter()
                .any(|f| f.code() == *code && crate::load::rego::is_org_rule(f.rule));
        let class = if org {
            "organisation".to_string()
        } else {
            code.trim_end_matches(|c: char| c.is_ascii_digit())
                .to_ascii_lowercase()
        };
        let _ = write!(
            out,
            "    <testcase classname=\"agentlock.{}\" name=\"{} {}\"",
            xml(&class),
            xml(code),
            xml(name)
        );
        if let Some(why) = why {
            let _ = writeln!(
                out,
                ">
      <skipped message=\"{}\"/>
    </testcase>",
                xml(why)
            );
            continue;
        }
        let mine: Vec<&Finding> = findings.iter().filter(|f| f.code() == *code).collect();
        if mine.is_empty() {
            out.push_str("/>\n");
            continue;
        }
        out.push_str(">\n");
        let errors: Vec<&&Finding> = mine
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .collect();
        if let Some(first) = errors.first() {
            let body: Vec<String> = errors.iter().map(|f| line(f, sources)).collect();
            let _ = writeln!(
                out,
                "      <failure type=\"error\" message=\"{}\">{}</failure>",
                xml(&format!(
                    "{} finding(s); first: {}",
                    errors.len(),
                    first.message
                )),
                xml(&body.join("\n"))
            );
        }
        let others: Vec<String> = mine
            .iter()
            .filter(|f| f.severity != Severity::Error)
            .map(|f| line(f, sources))
            .collect();
        if !others.is_empty() {
            let _ = writeln!(
                out,
                "      <system-out>{}</system-out>",
                xml(&others.join("\n"))
            );
        }
        out.push_str("    </testcase>\n");
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn xml_escapes_and_drops_what_xml_cannot_hold() {
        assert_eq!(
            super::xml("a<b & \"c\" 'd'>"),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;"
        );
        assert_eq!(super::xml("x\u{1}y\u{1b}[0m\tz"), "xy[0m\tz");
    }
}
