//! EVAL: the release's evidence (golden results, tests, QA reviews) against the lock and the
//! last release (checklist section 2, the quality gates).

use super::{Context, Rule};
use crate::evidence::compare::{Comparison, Measure, Verdict};
use crate::finding::{Control, Finding, Meta, Need, Scope, Severity};
use crate::source::Span;

const EVIDENCE_WORKFLOW: &str = "run the harness, then `agentlock evidence add FILE`";

fn pct(v: f64) -> String {
    let p = v * 100.0;
    if (p - p.round()).abs() < 0.05 {
        format!("{p:.0}%")
    } else {
        format!("{p:.1}%")
    }
}

use crate::evidence::figures::num;

/// The case ids of some dataset items, a few of them, for a message.
fn case_names(ctx: &Context, dataset: usize, cases: &[usize]) -> String {
    let ds = &ctx.model.datasets[dataset];
    let mut names: Vec<String> = cases
        .iter()
        .take(5)
        .map(|&c| match &ds.cases[c].id {
            Some(id) => crate::secrets::clip(&crate::source::printable(id), 40, ""),
            None => format!("line {}", c + 2),
        })
        .collect();
    if cases.len() > 5 {
        names.push(format!("and {} more", cases.len() - 5));
    }
    names.join(", ")
}

/// Said, not blocking: there is nothing to compare with.
fn info(mut f: Finding) -> Finding {
    f.severity = Severity::Info;
    f
}

fn dataset_span(ctx: &Context, c: &Comparison) -> Span {
    Span::file_start(ctx.model.datasets[c.dataset_index].file)
}

pub static EVAL001: Rule = Rule {
    meta: Meta {
        code: "EVAL001",
        name: "golden-test-failed",
        severity: Severity::Error,
        summary: "Golden cases fail: a dataset's pass rate is under `min_pass_rate`.",
        checklist: Some("2.1"),
        needs: &[Need::Evidence],
        scope: Scope::Datasets,
        control: Control::Full,
        docs: r#"
For each golden dataset and each metric with pass/fail results, the share of its cases that
pass in the release's evidence (repeats of a case averaged: a case passes when at least half of
its repeats do) must be at least `[policy.limits] min_pass_rate` (default 1.0: every golden
case passes). Only fresh evidence counts (see EVAL005).

## Why
Checklist 2.1: "All golden tests pass". The golden set is the behaviour the team has promised;
a release that fails one of its cases ships a known regression.

## How to fix
Fix the prompt, model or tool change that broke the case, run the harness again and add the
new results (`agentlock evidence add`). If the case itself is wrong, change the dataset (a new
version), not the threshold.

## Example
```toml
[policy.limits]
min_pass_rate = 0.98   # 2% of golden cases may fail (default 1.0)
```
"#,
    },
    check: eval001,
};

fn eval001(ctx: &Context) -> Vec<Finding> {
    let Some(gate) = ctx.evidence else {
        return Vec::new();
    };
    gate.comparisons
        .iter()
        .filter(|c| c.measure == Measure::PassRate && c.candidate < gate.min_pass_rate)
        .filter_map(|c| {
            let at = c.failing.first().map(|f| f.1).or(c.at)?;
            let cases: Vec<usize> = c.failing.iter().map(|f| f.0).collect();
            let failed = c.failing.len();
            Some(
                Finding::new(
                    &EVAL001,
                    at,
                    c.dataset.clone(),
                    format!(
                        "{failed} of {} cases of {} fail `{}` (pass rate {}, under min_pass_rate {}): {}",
                        c.cases,
                        c.dataset,
                        c.metric,
                        pct(c.candidate),
                        pct(gate.min_pass_rate),
                        case_names(ctx, c.dataset_index, &cases)
                    ),
                )
                .label("the first failing case")
                .with_label(dataset_span(ctx, c), "the golden dataset")
                .help("fix what broke these cases and add the new results with `agentlock evidence add`"),
            )
        })
        .collect()
}

pub static EVAL002: Rule = Rule {
    meta: Meta {
        code: "EVAL002",
        name: "quality-regression",
        severity: Severity::Error,
        summary: "A significant regression against the last release's evidence.",
        checklist: Some("2.1"),
        needs: &[Need::Evidence, Need::History],
        scope: Scope::Datasets,
        control: Control::Full,
        docs: r#"
The baseline is the evidence recorded at the last release tag (the rollback target), read
from git. For each golden dataset and metric, cases are paired by id (or input) and compared:
the pass rate with an exact one-sided McNemar test on the discordant pairs, the mean score with
a one-sided Wilcoxon signed-rank test on the paired differences and a seeded paired-bootstrap
95% interval. p-values are adjusted with Holm's method across the dataset's tests. A comparison
regresses when its adjusted p-value is under `alpha` (default 0.05) and the drop is larger than
`max_score_drop` (scores; default 0). Without a release, or when the release holds no evidence,
the rule says so at info level. A release whose evidence cannot be read in full (a file that no
longer matches the SHA-256 its index recorded, an index that does not parse) is an error: the
comparison with it would be incomplete.

## Why
Checklist 2.1: "Results compared against last production baseline", "No statistically
significant regression". A mean that moved by noise should not block; a consistent drop over
the same cases should, even when every case still passes its threshold.

## How to fix
`agentlock gate` prints the table: which dataset and metric, how many cases moved, the interval.
Find the change that caused it (`agentlock diff`), fix it and add new results.

## Example
```toml
[policy.limits]
alpha = 0.01           # stricter evidence before a regression blocks
max_score_drop = 0.1   # a drop of up to 0.1 in a mean score is tolerated
```
"#,
    },
    check: eval002,
};

fn eval002(ctx: &Context) -> Vec<Finding> {
    let Some(gate) = ctx.evidence else {
        return Vec::new();
    };
    let first = gate.comparisons.iter().find_map(|c| c.at);
    let Some(base) = &gate.baseline else {
        return first
            .map(|at| {
                info(Finding::new(
                    &EVAL002,
                    at,
                    "baseline".to_string(),
                    "no release to compare the evidence with: no release tag is reachable from HEAD",
                )
                .help("the first release sets the baseline; tag it once the gate passes"))
            })
            .into_iter()
            .collect();
    };
    // A baseline that cannot be read in full is no baseline to pass against: a file that
    // fails its recorded SHA-256 would otherwise read as "no evidence", and the gate allow.
    if let Some(problem) = base.evidence.as_ref().and_then(|e| e.problems.first()) {
        let more = base.evidence.as_ref().map_or(0, |e| e.problems.len() - 1);
        return first
            .map(|at| {
                Finding::new(
                    &EVAL002,
                    at,
                    base.tag.clone(),
                    format!(
                        "the evidence of the last release {} cannot be read{}: {}, so the comparison with it is not complete",
                        crate::source::printable(&base.tag),
                        match more {
                            0 => String::new(),
                            n => format!(" ({n} more problems)"),
                        },
                        problem.message
                    ),
                )
                .help(format!(
                    "the release's evidence files must match the index it committed; `git show {}:<file>` shows what it holds, and a release whose evidence is lost needs a new, reviewed baseline release",
                    crate::source::printable(&base.tag)
                ))
            })
            .into_iter()
            .collect();
    }
    if base.evidence.as_ref().is_none_or(|e| e.stored.is_empty()) {
        return first
            .map(|at| {
                info(
                    Finding::new(
                        &EVAL002,
                        at,
                        base.tag.clone(),
                        format!(
                            "the last release {} holds no evidence: nothing to compare with",
                            crate::source::printable(&base.tag)
                        ),
                    )
                    .help("this release's evidence becomes the next one's baseline"),
                )
            })
            .into_iter()
            .collect();
    }
    gate.comparisons
        .iter()
        .filter(|c| c.verdict == Verdict::Regressed)
        .filter_map(|c| {
            let at = c.at?;
            let what = match c.measure {
                Measure::PassRate => {
                    let (b, i) = c.discordant.unwrap_or((0, 0));
                    format!(
                        "pass rate {} → {} ({b} cases pass→fail, {i} fail→pass)",
                        pct(c.baseline.unwrap_or(0.0)),
                        pct(c.candidate)
                    )
                }
                Measure::MeanScore => format!(
                    "mean score {} → {} (Δ {}, 95% CI [{}, {}])",
                    num(c.baseline.unwrap_or(0.0)),
                    num(c.candidate),
                    num(c.delta.unwrap_or(0.0)),
                    num(c.ci.map_or(0.0, |x| x.0)),
                    num(c.ci.map_or(0.0, |x| x.1))
                ),
            };
            Some(
                Finding::new(
                    &EVAL002,
                    at,
                    c.dataset.clone(),
                    format!(
                        "{} `{}` regressed against {}: {what}, {} p = {:.2e} (Holm-adjusted, alpha {}) over {} paired cases",
                        c.dataset,
                        c.metric,
                        crate::source::printable(&base.tag),
                        c.test,
                        c.p_adjusted.unwrap_or(1.0),
                        num(gate.alpha),
                        c.n
                    ),
                )
                .label(match c.measure {
                    Measure::PassRate => "a case that went from pass to fail",
                    Measure::MeanScore => "the case that dropped most",
                })
                .with_label(dataset_span(ctx, c), "the golden dataset")
                .help("`agentlock gate` shows the comparison; `agentlock diff` what changed since the release"),
            )
        })
        .collect()
}

pub static EVAL003: Rule = Rule {
    meta: Meta {
        code: "EVAL003",
        name: "judge-score-below-threshold",
        severity: Severity::Error,
        summary: "A judge's mean score under `quality_score.min_mean`, or a critical case under `min_critical`.",
        checklist: Some("2.2"),
        needs: &[Need::Evidence],
        scope: Scope::Datasets,
        control: Control::Full,
        docs: r#"
deploy.yaml's `kpis.quality_score` sets `min_mean` (the mean score of each dataset's scored
metric must reach it) and `min_critical` (no critical case may score under it: a dataset line
with `"critical": true`, or a result marked critical). The KPI applies to `quality_score.metric`
when set, else to every scored metric but the harness's `overall`.

## Why
Checklist 2.2: "LLM-as-judge evaluation", and 2.4: the release is blocked "if LLM-judge score
drops below the baseline". A mean hides the worst case: a critical case that scores 1 of 5 is
an incident waiting to happen even when the mean is high.

## How to fix
Improve what the judge marks down, run the evals again, add the results.

## Example
```yaml
kpis:
  quality_score: { metric: correctness, baseline: 4.3, min_mean: 4.2, min_critical: 3 }
```
"#,
    },
    check: eval003,
};

fn kpi_findings(ctx: &Context, rule: &'static Rule, names: &[&str]) -> Vec<Finding> {
    let Some(gate) = ctx.evidence else {
        return Vec::new();
    };
    gate.kpis
        .iter()
        .filter(|k| !k.ok && names.iter().any(|n| k.name == *n))
        .filter_map(|k| {
            let at = k.at?;
            let shown = |v: f64| match k.unit {
                "ms" => format!("{} ms", num(v)),
                "usd" => format!("${}", num(v)),
                "share" => pct(v),
                _ => num(v),
            };
            let on = k.metric.as_ref().map(|m| format!(" on {m}")).unwrap_or_default();
            if k.name == "quality_score.min_critical" {
                let case = match (k.case, k.metric.as_ref()) {
                    (Some(c), Some(_)) => ctx
                        .model
                        .datasets
                        .iter()
                        .find(|d| k.metric.as_deref().is_some_and(|m| m.starts_with(&d.name.value)))
                        .and_then(|d| d.cases.get(c)?.id.clone())
                        .map(|id| format!(" {}", crate::source::printable(&id)))
                        .unwrap_or_default(),
                    _ => String::new(),
                };
                return Some(
                    Finding::new(
                        rule,
                        at,
                        k.name.clone(),
                        format!(
                            "the critical case{case} scores {}{on}, under kpis.quality_score.min_critical {}",
                            num(k.value),
                            num(k.threshold)
                        ),
                    )
                    .with_label(k.threshold_at, "the threshold")
                    .help("a critical case must never score under the minimum: fix it before the release"),
                );
            }
            let (what, cmp) = match k.name.as_str() {
                "quality_score.min_mean" => ("mean score", "under"),
                "latency_p95.sla" => ("p95 latency", "over"),
                "cost_per_request_usd.baseline" | "cost_per_request_usd.max" => {
                    ("mean cost per request", "over")
                }
                "task_success_rate.baseline" => ("task success rate", "under"),
                _ => ("tool failure rate", "over"),
            };
            Some(
                Finding::new(
                    rule,
                    at,
                    k.name.clone(),
                    format!(
                        "{what}{on} is {}, {cmp} kpis.{} {}",
                        shown(k.value),
                        k.name,
                        shown(k.threshold)
                    ),
                )
                .with_label(k.threshold_at, "the threshold")
                .help("fix the cause and add new results; change the threshold only with the KPI's owner"),
            )
        })
        .collect()
}

fn eval003(ctx: &Context) -> Vec<Finding> {
    kpi_findings(
        ctx,
        &EVAL003,
        &["quality_score.min_mean", "quality_score.min_critical"],
    )
}

pub static EVAL004: Rule = Rule {
    meta: Meta {
        code: "EVAL004",
        name: "kpi-threshold-exceeded",
        severity: Severity::Error,
        summary: "A KPI of deploy.yaml measured on the evidence is past its threshold.",
        checklist: Some("4.1"),
        needs: &[Need::Evidence],
        scope: Scope::Deploy,
        control: Control::Full,
        docs: r#"
Measured on the release's fresh evidence, once per case and repeat:
`latency_p95.sla` (the 95th percentile of `latency_ms`, linear interpolation),
`cost_per_request_usd.baseline` and `.max` (mean cost), `task_success_rate.baseline` (the share
of cases passing the harness's `overall` verdict, across the golden datasets), and
`tool_failure_rate.max` (the share of cases the harness recorded an error for).

## Why
Checklist 2.4: a release is blocked "if KPI regression exceeds threshold", and 4.1 asks for the
KPI regression checks before the rollout. The evidence already holds latency and cost per case.

## How to fix
Find the change that made the KPI worse (`agentlock diff`), fix it and add new results.

## Example
```yaml
kpis:
  latency_p95: { sla: 20s }
  cost_per_request_usd: { baseline: 0.02 }
```
"#,
    },
    check: eval004,
};

fn eval004(ctx: &Context) -> Vec<Finding> {
    kpi_findings(
        ctx,
        &EVAL004,
        &[
            "latency_p95.sla",
            "cost_per_request_usd.baseline",
            "cost_per_request_usd.max",
            "task_success_rate.baseline",
            "tool_failure_rate.max",
        ],
    )
}

pub static EVAL005: Rule = Rule {
    meta: Meta {
        code: "EVAL005",
        name: "stale-evidence",
        severity: Severity::Error,
        summary: "Evidence recorded against another lock: what decides behaviour changed since.",
        checklist: Some("2.1"),
        needs: &[Need::Evidence],
        scope: Scope::Datasets,
        control: Control::Full,
        docs: r#"
`evidence add` records, for each results file, the digest of the lock entries that decide
behaviour: prompts, models, agents, topology, tool surfaces (definitions, versions, sources)
and datasets. When the repository's digest differs, the file tested something else and is left
out of the gate. A deploy-only change (canary percent, a timeout in deploy.yaml) or a policy
change keeps the evidence fresh.

## Why
A prompt edit makes the old results say nothing about the new prompt. Without this binding a
release can pass its gate on the evals of the commit before.

## How to fix
Run the harness again on this revision and add the results; remove the stale file and its
index entry when it is no longer wanted.

## Example
```
$ promptfoo eval -o results.json && agentlock evidence add results.json
```
"#,
    },
    check: eval005,
};

fn eval005(ctx: &Context) -> Vec<Finding> {
    let Some(gate) = ctx.evidence else {
        return Vec::new();
    };
    gate.stale
        .iter()
        .map(|&i| {
            let s = &gate.candidate.stored[i];
            Finding::new(
                &EVAL005,
                s.behaviour.span,
                s.path.clone(),
                format!(
                    "{} was recorded against another lock: a prompt, model, agent, tool surface or dataset changed since, so it is left out of the gate",
                    crate::source::shown_path(&s.path)
                ),
            )
            .label("the behaviour digest it was added with")
            .with_label(Span::file_start(s.file), "the stale results")
            .help(EVIDENCE_WORKFLOW)
        })
        .collect()
}

pub static EVAL006: Rule = Rule {
    meta: Meta {
        code: "EVAL006",
        name: "missing-evidence",
        severity: Severity::Error,
        summary: "A golden dataset, or some of its cases, with no results in the evidence.",
        checklist: Some("2.1"),
        needs: &[Need::Evidence],
        scope: Scope::Datasets,
        control: Control::Full,
        docs: r#"
When the repository keeps evidence (an `evidence/index.toml`), every golden dataset and every
one of its items must have results in the fresh evidence.

## Why
A gate that passes because a dataset was not run says nothing. Cases left out of a run are the
ones most likely to have broken (a new edge case, a slow failure scenario).

## How to fix
Run the harness on the whole dataset and add the results.

## Example
```
$ promptfoo eval -c promptfooconfig.yaml -o results.json
$ agentlock evidence add --dataset golden_edge_cases results.json
```
"#,
    },
    check: eval006,
};

fn eval006(ctx: &Context) -> Vec<Finding> {
    let Some(gate) = ctx.evidence else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (d, covered, missing) in &gate.coverage {
        let ds = &ctx.model.datasets[*d];
        if missing.is_empty() || ds.cases.is_empty() {
            continue;
        }
        let f = if *covered == 0 {
            Finding::new(
                &EVAL006,
                ds.name.span,
                ds.name.value.clone(),
                format!(
                    "no fresh results for the golden dataset {} ({} cases)",
                    ds.name.value,
                    ds.cases.len()
                ),
            )
        } else {
            Finding::new(
                &EVAL006,
                ds.cases[missing[0]].span,
                ds.name.value.clone(),
                format!(
                    "{} of the {} cases of {} have no fresh results: {}",
                    missing.len(),
                    ds.cases.len(),
                    ds.name.value,
                    case_names(ctx, *d, missing)
                ),
            )
            .label("the first case with no results")
        };
        out.push(f.help(EVIDENCE_WORKFLOW));
    }
    out
}

pub static EVAL007: Rule = Rule {
    meta: Meta {
        code: "EVAL007",
        name: "tests-failed",
        severity: Severity::Error,
        summary: "A test report in the evidence has failures or errors.",
        checklist: Some("2.2"),
        needs: &[Need::Evidence],
        scope: Scope::Datasets,
        control: Control::Full,
        docs: r#"
JUnit XML reports added as evidence (unit tests of MCP tools, agent-level tests) must have no
failed and no errored test case; skipped ones are not failures.

## Why
Checklist 2.2: "Unit tests for MCP tools", "Agent-level tests". A tool whose contract test fails
breaks every agent that calls it.

## How to fix
Fix the test or the code; run the suite again and add the new report.

## Example
```
$ pytest tests/tools --junitxml=tool-tests.xml
$ agentlock evidence add tool-tests.xml
```
"#,
    },
    check: eval007,
};

fn eval007(ctx: &Context) -> Vec<Finding> {
    use crate::evidence::results::Outcome;
    let Some(gate) = ctx.evidence else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, s) in gate.candidate.stored.iter().enumerate() {
        if gate.stale.contains(&i) {
            continue;
        }
        for t in &s.results.tests {
            let what = match t.outcome {
                Outcome::Failed => "failed",
                Outcome::Errored => "errored",
                _ => continue,
            };
            let name = crate::secrets::clip(&crate::source::printable(&t.name), 80, "");
            out.push(
                Finding::new(
                    &EVAL007,
                    Span::new(s.file, t.start, t.end),
                    name.clone(),
                    format!("the test {name} {what}"),
                )
                .help("fix it, run the suite again and add the new report"),
            );
        }
    }
    out
}

pub static EVAL008: Rule = Rule {
    meta: Meta {
        code: "EVAL008",
        name: "qa-blocker",
        severity: Severity::Error,
        summary: "A human QA review marks a critical issue open.",
        checklist: Some("2.3"),
        needs: &[Need::Evidence],
        scope: Scope::Datasets,
        control: Control::Full,
        docs: r#"
A QA review is a small YAML file added as evidence (`agentlock evidence add qa-review.yaml`):
`schema: agentlock.qa/v1`, `reviewer`, `reviewed`, and `issues`, each with `id`, `severity`
(`critical`, `major`, `minor`), `status` (`open`, `resolved`, `accepted`) and `summary`. Any
issue that is critical and open blocks the release.

## Why
Checklist 2.3 (human QA review) and 2.4: the release is blocked "if critical human QA issues
are found".

## How to fix
Fix the issue and set its status to `resolved` in a new review, or, when the team accepts the
risk, `accepted`, with the reason in the summary.

## Example
```yaml
schema: agentlock.qa/v1
reviewer: dana@example.com
reviewed: 2026-11-28
issues:
  - { id: QA-17, severity: critical, status: resolved, summary: Refund limit restated }
```
"#,
    },
    check: eval008,
};

fn eval008(ctx: &Context) -> Vec<Finding> {
    let Some(gate) = ctx.evidence else {
        return Vec::new();
    };
    gate.candidate
        .reviews
        .iter()
        .flat_map(|r| r.issues.iter())
        .filter(|i| i.blocks())
        .map(|i| {
            let id = crate::secrets::clip(&crate::source::printable(&i.id), 40, "");
            Finding::new(
                &EVAL008,
                i.span,
                id.clone(),
                format!("the QA issue {id} is critical and open"),
            )
            .help("resolve it (status: resolved) or record that it is accepted (status: accepted)")
        })
        .collect()
}
