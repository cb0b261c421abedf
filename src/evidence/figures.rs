//! The gate's figures, a line each, for what a checklist item rests on: "golden_happy_path
//! `correctness`: 4.52 → 4.55 against v1.2.0, p = 0.61". The EVAL rules report what fails; these
//! say what passed, so a ticked item shows its numbers rather than only "no findings".

use super::Gate;
use super::compare::{Comparison, Measure, Verdict};
use super::results::Outcome;
use crate::load::model::Model;
use crate::source::printable;

/// A number with at most three decimals and no trailing zeros (`4.5`, `0.333`, `0`); from a
/// million on, in scientific notation (`-8.5e307`, not three hundred digits).
pub fn num(v: f64) -> String {
    if v.abs() >= 1e6 {
        let s = format!("{v:.3e}");
        return match s.split_once('e') {
            Some((m, e)) if m.contains('.') => {
                format!("{}e{e}", m.trim_end_matches('0').trim_end_matches('.'))
            }
            _ => s,
        };
    }
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.to_string() }
}

/// A comparison's value as its measure is shown: a percentage or a score.
pub fn shown(c: &Comparison, v: f64) -> String {
    match c.measure {
        Measure::PassRate => format!("{:.1}%", v * 100.0),
        Measure::MeanScore => num(v),
    }
}

/// A p-value: three decimals, or scientific under 0.001; `-` when there is none.
pub fn p_value(v: Option<f64>) -> String {
    v.map_or("-".into(), |p| {
        if p >= 0.001 {
            format!("{p:.3}")
        } else {
            format!("{p:.1e}")
        }
    })
}

fn cases(n: usize) -> String {
    format!("{n} {}", if n == 1 { "case" } else { "cases" })
}

fn what(c: &Comparison) -> String {
    format!("{} `{}`", printable(&c.dataset), printable(&c.metric))
}

/// Which of the gate's figures: what one quality gate decides on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Figures {
    /// The candidate's pass rates (golden tests pass).
    PassRates,
    /// Each comparison with the baseline, with its p-value.
    Comparisons,
    /// The judge-score KPIs (`quality_score.*`).
    JudgeScores,
    /// The other KPIs of deploy.yaml.
    Kpis,
    /// How many results files are fresh.
    Freshness,
    /// How many cases of each golden dataset have results.
    Coverage,
    /// The test reports' outcomes.
    Tests,
    /// The QA reviews' issues.
    Reviews,
}

impl Gate {
    /// The figures of one kind, a line each.
    pub fn figures(&self, model: &Model, which: Figures) -> Vec<String> {
        match which {
            Figures::PassRates => self
                .comparisons
                .iter()
                .filter(|c| c.measure == Measure::PassRate)
                .map(|c| {
                    let passed = (c.candidate * c.cases as f64).round() as usize;
                    format!(
                        "{}: pass rate {} ({passed} of {})",
                        what(c),
                        shown(c, c.candidate),
                        cases(c.cases)
                    )
                })
                .collect(),
            Figures::Comparisons => {
                let tag = self
                    .baseline
                    .as_ref()
                    .map(|b| printable(&b.tag).into_owned());
                self.comparisons
                    .iter()
                    .map(|c| match (c.verdict, c.baseline, &tag) {
                        (Verdict::NoBaseline, _, _) | (_, None, _) | (_, _, None) => {
                            format!(
                                "{}: {} (no baseline to compare with)",
                                what(c),
                                shown(c, c.candidate)
                            )
                        }
                        (verdict, Some(b), Some(tag)) => format!(
                            "{}: {} → {} against {tag} over {} paired, p = {} ({})",
                            what(c),
                            shown(c, b),
                            shown(c, c.candidate),
                            cases(c.n),
                            p_value(c.p_adjusted),
                            verdict.as_str()
                        ),
                    })
                    .collect()
            }
            Figures::JudgeScores | Figures::Kpis => self
                .kpis
                .iter()
                .filter(|k| k.name.starts_with("quality_score") == (which == Figures::JudgeScores))
                .map(|k| {
                    let on = k
                        .metric
                        .as_ref()
                        .map(|m| format!(" on `{}`", printable(m)))
                        .unwrap_or_default();
                    format!(
                        "{}{on}: {} against {} ({})",
                        k.name,
                        num(k.value),
                        num(k.threshold),
                        if k.ok { "ok" } else { "failed" }
                    )
                })
                .collect(),
            Figures::Freshness => {
                let files = self.candidate.stored.len();
                vec![format!(
                    "{} of {files} results files recorded against the current lock",
                    files - self.stale.len()
                )]
            }
            Figures::Coverage => self
                .coverage
                .iter()
                .filter_map(|(d, covered, _)| {
                    let ds = model.datasets.get(*d)?;
                    Some(format!(
                        "{}: results for {covered} of {}",
                        printable(&ds.name.value),
                        cases(ds.cases.len())
                    ))
                })
                .collect(),
            Figures::Tests => {
                let fresh = self.fresh();
                let tests: Vec<Outcome> = fresh
                    .flat_map(|s| s.results.tests.iter().map(|t| t.outcome))
                    .collect();
                if tests.is_empty() {
                    return vec!["no test report (JUnit) among the fresh evidence".into()];
                }
                let count = |o: Outcome| tests.iter().filter(|&&t| t == o).count();
                vec![format!(
                    "{} tests: {} passed, {} failed, {} errors, {} skipped",
                    tests.len(),
                    count(Outcome::Passed),
                    count(Outcome::Failed),
                    count(Outcome::Errored),
                    count(Outcome::Skipped)
                )]
            }
            Figures::Reviews => {
                let reviews = &self.candidate.reviews;
                if reviews.is_empty() {
                    return vec!["no QA review among the evidence".into()];
                }
                let issues: Vec<_> = reviews.iter().flat_map(|r| &r.issues).collect();
                vec![format!(
                    "{} QA reviews, {} issues, {} open critical",
                    reviews.len(),
                    issues.len(),
                    issues.iter().filter(|i| i.blocks()).count()
                )]
            }
        }
    }

    /// The candidate's files recorded against the current lock.
    fn fresh(&self) -> impl Iterator<Item = &super::store::Stored> {
        self.candidate
            .stored
            .iter()
            .enumerate()
            .filter(|(i, _)| !self.stale.contains(i))
            .map(|(_, s)| s)
    }
}

#[cfg(test)]
mod tests {
    use super::num;

    #[test]
    fn numbers_are_short_at_any_magnitude() {
        assert_eq!(num(4.5), "4.5");
        assert_eq!(num(1.0 / 3.0), "0.333");
        assert_eq!(num(-0.0001), "0");
        assert_eq!(num(999_999.0), "999999");
        assert_eq!(num(-8.5e307), "-8.5e307");
        assert_eq!(num(1e6), "1e6");
        assert_eq!(num(1.2345e9), "1.234e9");
    }
}
