//! `--select` and `--ignore`: which rules one run reports, on top of the policy. The policy
//! (agentlock.toml) decides what the repository's rules are and is hashed into the lock; a
//! selection changes neither, it only leaves findings out of this run's report.

use crate::finding::{Control, Finding, Meta};

/// The rules a run reports.
#[derive(Debug, Default)]
pub struct Selection {
    /// Only these, when not empty.
    select: Vec<&'static Meta>,
    ignore: Vec<&'static Meta>,
    /// As given, for the note that says what was left out.
    pub described: String,
}

/// The rules a selector names: `ALL`, a code (`PRM004`), a code prefix (`PRM`, `TOPO00`) or a
/// name (`unbounded-cycle`), any case.
fn named(selector: &str, catalog: &[&'static Meta]) -> Vec<&'static Meta> {
    let upper = selector.trim().to_ascii_uppercase();
    if upper == "ALL" {
        return catalog.to_vec();
    }
    catalog
        .iter()
        .copied()
        .filter(|m| {
            m.code.starts_with(&upper) && !upper.is_empty()
                || m.name.eq_ignore_ascii_case(selector.trim())
        })
        .collect()
}

impl Selection {
    /// Reads `--select` and `--ignore`; a selector that names no rule is an error, with the
    /// closest code or name.
    pub fn parse(
        select: &[String],
        ignore: &[String],
        catalog: &[&'static Meta],
    ) -> Result<Selection, String> {
        let mut out = Selection::default();
        for (given, into) in [(select, &mut out.select), (ignore, &mut out.ignore)] {
            for s in given {
                let rules = named(s, catalog);
                if rules.is_empty() {
                    // the closest code, family (`PRM`) or name
                    let families = catalog
                        .iter()
                        .map(|m| m.code.trim_end_matches(|c: char| c.is_ascii_digit()));
                    let hint = crate::suggest::hint(
                        &s.to_ascii_uppercase(),
                        catalog
                            .iter()
                            .map(|m| m.code)
                            .chain(families)
                            .chain(catalog.iter().map(|m| m.name)),
                    );
                    return Err(format!(
                        "`{}` names no rule: give a rule's code, the letters its family's codes start with, or its name.{hint}",
                        crate::source::printable(s)
                    ));
                }
                into.extend(rules);
            }
        }
        let mut parts = Vec::new();
        if !select.is_empty() {
            parts.push(format!("--select {}", select.join(",")));
        }
        if !ignore.is_empty() {
            parts.push(format!("--ignore {}", ignore.join(",")));
        }
        out.described = parts.join(" ");
        Ok(out)
    }

    pub fn is_empty(&self) -> bool {
        self.select.is_empty() && self.ignore.is_empty()
    }

    /// Whether this run reports a finding of `rule`. What no policy controls (CONF001: a file
    /// that could not be read) is always reported: without it, the rest cannot be trusted.
    pub fn reports(&self, rule: &Meta) -> bool {
        rule.control == Control::Fixed
            || ((self.select.is_empty() || self.select.iter().any(|m| m.code == rule.code))
                && !self.ignore.iter().any(|m| m.code == rule.code))
    }

    /// Leaves out the findings this run does not report; how many were left out.
    pub fn apply(&self, findings: &mut Vec<Finding>) -> usize {
        let before = findings.len();
        findings.retain(|f| self.reports(f.rule));
        before - findings.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel(select: &[&str], ignore: &[&str]) -> Result<Selection, String> {
        let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        Selection::parse(&s(select), &s(ignore), crate::rules::catalog())
    }

    use crate::rules::conf::CONF001;
    use crate::rules::models::MODEL001;
    use crate::rules::prompts::{PRM001, PRM004};
    use crate::rules::secrets::SECRET001;
    use crate::rules::topology::{TOPO001, TOPO005};

    fn reports(s: &Selection, rule: &crate::rules::Rule) -> bool {
        s.reports(&rule.meta)
    }

    #[test]
    fn codes_prefixes_and_names_select_and_ignore() {
        let prm004 = PRM004.code.to_ascii_lowercase();
        let s = sel(&["TOPO", &prm004, SECRET001.name], &[TOPO005.code]).unwrap();
        assert!(reports(&s, &TOPO001) && reports(&s, &PRM004) && reports(&s, &SECRET001));
        assert!(!reports(&s, &TOPO005), "ignore wins over select");
        assert!(!reports(&s, &PRM001) && !reports(&s, &MODEL001));
        // a file that could not be read is always reported
        assert!(reports(&s, &CONF001));
        let all = sel(&["ALL"], &[CONF001.code]).unwrap();
        assert!(reports(&all, &CONF001) && reports(&all, &MODEL001));
        assert!(sel(&[], &[]).unwrap().is_empty());
        assert_eq!(
            sel(&["TOPO"], &["PRM"]).unwrap().described,
            "--select TOPO --ignore PRM"
        );
    }

    #[test]
    fn a_selector_that_names_no_rule_is_an_error_with_the_closest() {
        let p = sel(&["TOPO00"], &[]).unwrap();
        assert!(reports(&p, &TOPO001) && !reports(&p, &PRM001));
        let typo = PRM004.code.replace("PRM0", "PRM");
        let e = sel(&[], &[&typo]).unwrap_err();
        assert!(e.contains(&format!("`{typo}` names no rule")), "{e}");
        let swapped = PRM004.code.replace("PRM", "PMR");
        let e = sel(&[&swapped], &[]).unwrap_err();
        assert!(e.contains(PRM004.code), "the closest code: {e}");
        let e = sel(&["PMR"], &[]).unwrap_err();
        assert!(e.contains("`PRM`"), "the closest family: {e}");
    }
}
