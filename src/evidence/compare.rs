//! The comparison of a candidate's evidence with the last release's, per golden dataset and
//! metric, paired by case, and the KPIs of deploy.yaml measured on it.
//!
//! Observations are paired with dataset items by the item's `id`, else by the digest of its
//! canonical `input`; repeats of a case are averaged per case before any test. A case passes
//! when at least half of its repeats pass.
//!
//! - pass rate: exact one-sided McNemar on the discordant pairs (pass→fail against fail→pass);
//! - mean score: one-sided Wilcoxon signed-rank on the paired differences, and a seeded paired
//!   bootstrap 95% interval of the mean difference;
//! - Holm's correction across the tests of one dataset; a comparison regresses when its
//!   adjusted p-value is under `alpha` and (for a score) the mean drop exceeds `max_score_drop`.

use super::results::Observation;
use super::stats;
use super::store::{Evidence, Stored, behaviour_digest};
use crate::load::model::{Dataset, Model};
use crate::lock::Lock;
use crate::source::Span;
use std::collections::{BTreeMap, HashMap};

/// Default significance level.
pub const ALPHA: f64 = 0.05;
/// Default share of golden cases that must pass.
pub const MIN_PASS_RATE: f64 = 1.0;
/// The metric a harness's own verdict is recorded under.
pub const OVERALL: &str = "overall";

/// Dataset items by id and by input digest, for pairing.
pub struct CaseIndex {
    by_id: HashMap<(usize, String), usize>,
    by_input: HashMap<(usize, String), usize>,
    datasets: HashMap<String, usize>,
}

impl CaseIndex {
    pub fn of(model: &Model) -> CaseIndex {
        let mut by_id = HashMap::new();
        let mut by_input = HashMap::new();
        let mut datasets = HashMap::new();
        for (d, ds) in model.datasets.iter().enumerate() {
            datasets.entry(ds.name.value.clone()).or_insert(d);
            for (i, c) in ds.cases.iter().enumerate() {
                if let Some(id) = &c.id {
                    by_id.entry((d, id.clone())).or_insert(i);
                }
                if let Some(input) = &c.input {
                    by_input.entry((d, input.clone())).or_insert(i);
                }
            }
        }
        CaseIndex {
            by_id,
            by_input,
            datasets,
        }
    }

    /// The dataset an observation names (`name` or `name@version`).
    pub fn dataset(&self, o: &Observation) -> Option<usize> {
        let name = o.dataset.as_deref()?;
        let name = name.split_once('@').map_or(name, |(n, _)| n);
        self.datasets.get(name).copied()
    }

    /// The item of `ds` an observation is about.
    pub fn find(&self, ds: &Dataset, o: &Observation) -> Option<usize> {
        let d = *self.datasets.get(&ds.name.value)?;
        self.case(d, o)
    }

    fn case(&self, d: usize, o: &Observation) -> Option<usize> {
        if let Some(id) = &o.case {
            return self.by_id.get(&(d, id.clone())).copied();
        }
        let input = o.input.as_ref()?;
        let digest = crate::load::model::dataset::input_digest(input);
        self.by_input.get(&(d, digest)).copied()
    }
}

/// One case under one metric, its repeats averaged.
#[derive(Clone, Debug, Default)]
struct Agg {
    pass: (f64, u32),
    score: (f64, u32),
    critical: bool,
    /// The first observation of it.
    at: Option<Span>,
}

impl Agg {
    fn passed(&self) -> Option<bool> {
        (self.pass.1 > 0).then(|| self.pass.0 / f64::from(self.pass.1) >= 0.5)
    }
    fn score(&self) -> Option<f64> {
        (self.score.1 > 0).then(|| self.score.0 / f64::from(self.score.1))
    }
}

/// Every case of every (dataset, metric) of some evidence, by case index.
type Table = BTreeMap<(usize, String), BTreeMap<usize, Agg>>;

/// What one side's evidence says, per dataset and metric, and the per-request measures.
#[derive(Default)]
struct Side {
    table: Table,
    /// Per (file, dataset, case, repeat), once: latency, cost, error.
    requests: Vec<(Option<f64>, Option<f64>, bool)>,
}

fn tabulate<'a>(
    index: &CaseIndex,
    model: &Model,
    stored: impl Iterator<Item = &'a Stored>,
) -> Side {
    let mut side = Side::default();
    for (n, s) in stored.enumerate() {
        let mut seen = std::collections::HashSet::new();
        for o in &s.results.observations {
            let Some(d) = index.dataset(o) else { continue };
            let Some(c) = index.case(d, o) else { continue };
            if seen.insert((d, c, o.repeat)) {
                side.requests.push((o.latency_ms, o.cost_usd, o.error));
            }
            let agg = side
                .table
                .entry((d, o.metric.clone()))
                .or_default()
                .entry(c)
                .or_default();
            if let Some(p) = o.pass {
                agg.pass.0 += if p { 1.0 } else { 0.0 };
                agg.pass.1 += 1;
            }
            if let Some(v) = o.score.filter(|v| v.is_finite()) {
                agg.score.0 += v;
                agg.score.1 += 1;
            }
            agg.critical |= o.critical || model.datasets[d].cases[c].critical;
            agg.at.get_or_insert(Span::new(s.file, o.start, o.end));
        }
        let _ = n;
    }
    side
}

/// What is measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Measure {
    PassRate,
    MeanScore,
}

impl Measure {
    pub fn as_str(self) -> &'static str {
        match self {
            Measure::PassRate => "pass_rate",
            Measure::MeanScore => "mean_score",
        }
    }
}

/// The outcome of one comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// No significant regression.
    Ok,
    /// A significant regression beyond what is tolerated.
    Regressed,
    /// Nothing to compare with: no baseline, or no case in both.
    NoBaseline,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Regressed => "regressed",
            Verdict::NoBaseline => "no baseline",
        }
    }
}

/// One metric of one dataset, candidate against baseline.
#[derive(Clone, Debug)]
pub struct Comparison {
    pub dataset: String,
    /// Index into the model's datasets.
    pub dataset_index: usize,
    pub metric: String,
    pub measure: Measure,
    /// Cases measured in the candidate.
    pub cases: usize,
    /// Cases paired with the baseline.
    pub n: usize,
    pub baseline: Option<f64>,
    pub candidate: f64,
    pub delta: Option<f64>,
    pub ci: Option<(f64, f64)>,
    pub test: &'static str,
    pub p_value: Option<f64>,
    /// Holm-adjusted across the dataset's tests.
    pub p_adjusted: Option<f64>,
    pub verdict: Verdict,
    /// pass rate: cases that went pass→fail and fail→pass.
    pub discordant: Option<(u64, u64)>,
    /// The candidate cases that fail (pass rate) or the first observation (score).
    pub failing: Vec<(usize, Span)>,
    pub at: Option<Span>,
    /// The critical cases scoring under... (filled by the KPI pass).
    pub critical_scores: Vec<(usize, f64, Span)>,
}

/// A KPI of deploy.yaml measured on the candidate's evidence.
#[derive(Clone, Debug)]
pub struct Kpi {
    /// `latency_p95.sla`, `quality_score.min_mean`, …
    pub name: String,
    pub value: f64,
    pub threshold: f64,
    /// The threshold in deploy.yaml.
    pub threshold_at: Span,
    /// Where the evidence is (its first observation).
    pub at: Option<Span>,
    pub ok: bool,
    /// How the value is shown: `ms`, `usd`, a share, a score.
    pub unit: &'static str,
    /// For quality_score: the metric it was measured on.
    pub metric: Option<String>,
    /// For quality_score.min_critical: the case (its index in the dataset).
    pub case: Option<usize>,
}

/// The release's evidence against the last release's.
pub struct Gate {
    pub candidate: Evidence,
    /// The release compared with, and its evidence (None: the release holds none).
    pub baseline: Option<super::Baseline>,
    /// The behaviour digest of the current lock.
    pub behaviour: String,
    /// Indices into `candidate.stored` of the files recorded against another lock.
    pub stale: Vec<usize>,
    pub comparisons: Vec<Comparison>,
    pub kpis: Vec<Kpi>,
    /// For each golden dataset: how many of its cases the fresh evidence covers.
    pub coverage: Vec<(usize, usize, Vec<usize>)>,
    pub alpha: f64,
    pub min_pass_rate: f64,
    pub max_score_drop: f64,
    /// The exceptions of the policy that give no reason (rule, subject): the gate refuses them.
    pub unreasoned: Vec<(String, String)>,
}

/// Compares the candidate's evidence (its fresh files only) with the baseline's.
pub fn compare(
    model: &Model,
    policy: &crate::policy::Policy,
    lock: &Lock,
    candidate: Evidence,
    baseline: Option<super::Baseline>,
) -> Gate {
    let limits = &policy.limits;
    let unreasoned = policy
        .exceptions
        .iter()
        .filter(|e| e.reason.value.trim().is_empty())
        .map(|e| (e.rule.value.clone(), e.subject.value.clone()))
        .collect();
    let alpha = limits.alpha.as_ref().map_or(ALPHA, |v| v.value);
    let min_pass_rate = limits
        .min_pass_rate
        .as_ref()
        .map_or(MIN_PASS_RATE, |v| v.value);
    let max_score_drop = limits.max_score_drop.as_ref().map_or(0.0, |v| v.value);
    let behaviour = behaviour_digest(lock);
    let stale: Vec<usize> = candidate
        .stored
        .iter()
        .enumerate()
        .filter(|(_, s)| s.behaviour.value != behaviour)
        .map(|(i, _)| i)
        .collect();
    let index = CaseIndex::of(model);
    let fresh = candidate
        .stored
        .iter()
        .enumerate()
        .filter(|(i, _)| !stale.contains(i))
        .map(|(_, s)| s);
    let cand = tabulate(&index, model, fresh);
    let base = baseline
        .as_ref()
        .and_then(|b| b.evidence.as_ref())
        .map(|e| tabulate(&index, model, e.stored.iter()));

    let mut comparisons = Vec::new();
    for ((d, metric), cases) in &cand.table {
        let base_cases = base
            .as_ref()
            .and_then(|b| b.table.get(&(*d, metric.clone())));
        let first = cases.values().find_map(|a| a.at);
        let name = model.datasets[*d].name.value.clone();
        let make = |measure, candidate: f64, cases_n: usize| Comparison {
            dataset: name.clone(),
            dataset_index: *d,
            metric: metric.clone(),
            measure,
            cases: cases_n,
            n: 0,
            baseline: None,
            candidate,
            delta: None,
            ci: None,
            test: match measure {
                Measure::PassRate => "mcnemar-exact",
                Measure::MeanScore => "wilcoxon-signed-rank",
            },
            p_value: None,
            p_adjusted: None,
            verdict: Verdict::NoBaseline,
            discordant: None,
            failing: Vec::new(),
            at: first,
            critical_scores: Vec::new(),
        };
        // pass rate
        let passes: Vec<(usize, bool, Span)> = cases
            .iter()
            .filter_map(|(c, a)| Some((*c, a.passed()?, a.at?)))
            .collect();
        if !passes.is_empty() {
            let rate = passes.iter().filter(|p| p.1).count() as f64 / passes.len() as f64;
            let mut cmp = make(Measure::PassRate, rate, passes.len());
            cmp.failing = passes.iter().filter(|p| !p.1).map(|p| (p.0, p.2)).collect();
            if let Some(bc) = base_cases {
                let paired: Vec<(bool, bool)> = passes
                    .iter()
                    .filter_map(|(c, p, _)| Some((bc.get(c)?.passed()?, *p)))
                    .collect();
                if !paired.is_empty() {
                    let regressed = paired.iter().filter(|(b, c)| *b && !*c).count() as u64;
                    let improved = paired.iter().filter(|(b, c)| !*b && *c).count() as u64;
                    let n = paired.len() as f64;
                    let b_rate = paired.iter().filter(|p| p.0).count() as f64 / n;
                    let c_rate = paired.iter().filter(|p| p.1).count() as f64 / n;
                    cmp.n = paired.len();
                    cmp.baseline = Some(b_rate);
                    cmp.delta = Some(c_rate - b_rate);
                    cmp.discordant = Some((regressed, improved));
                    cmp.p_value = Some(stats::mcnemar_exact(regressed, improved));
                    let diffs: Vec<f64> = paired
                        .iter()
                        .map(|(b, c)| f64::from(u8::from(*c)) - f64::from(u8::from(*b)))
                        .collect();
                    cmp.ci = Some(stats::bootstrap_mean_ci(
                        &diffs,
                        stats::BOOTSTRAP_SEED,
                        stats::BOOTSTRAP_RESAMPLES,
                        0.95,
                    ));
                    cmp.verdict = Verdict::Ok;
                }
            }
            comparisons.push(cmp);
        }
        // mean score
        let scores: Vec<(usize, f64, Span, bool)> = cases
            .iter()
            .filter_map(|(c, a)| Some((*c, a.score()?, a.at?, a.critical)))
            .collect();
        if !scores.is_empty() {
            let mean = scores.iter().map(|s| s.1).sum::<f64>() / scores.len() as f64;
            let mut cmp = make(Measure::MeanScore, mean, scores.len());
            cmp.critical_scores = scores
                .iter()
                .filter(|s| s.3)
                .map(|s| (s.0, s.1, s.2))
                .collect();
            if let Some(bc) = base_cases {
                let paired: Vec<(f64, f64, Span)> = scores
                    .iter()
                    .filter_map(|(c, v, at, _)| Some((bc.get(c)?.score()?, *v, *at)))
                    .collect();
                if !paired.is_empty() {
                    let n = paired.len() as f64;
                    let diffs: Vec<f64> = paired.iter().map(|(b, c, _)| c - b).collect();
                    let b_mean = paired.iter().map(|p| p.0).sum::<f64>() / n;
                    cmp.n = paired.len();
                    cmp.baseline = Some(b_mean);
                    cmp.delta = Some(diffs.iter().sum::<f64>() / n);
                    cmp.p_value = Some(stats::wilcoxon_less(&diffs).map_or(1.0, |w| w.p_value));
                    cmp.ci = Some(stats::bootstrap_mean_ci(
                        &diffs,
                        stats::BOOTSTRAP_SEED,
                        stats::BOOTSTRAP_RESAMPLES,
                        0.95,
                    ));
                    // the case that dropped most
                    cmp.at = paired
                        .iter()
                        .min_by(|a, b| (a.1 - a.0).total_cmp(&(b.1 - b.0)))
                        .map(|p| p.2)
                        .or(cmp.at);
                    cmp.verdict = Verdict::Ok;
                }
            }
            comparisons.push(cmp);
        }
    }
    // Holm across the tests of each dataset
    let datasets: std::collections::BTreeSet<usize> =
        comparisons.iter().map(|c| c.dataset_index).collect();
    for d in datasets {
        let idx: Vec<usize> = (0..comparisons.len())
            .filter(|&i| comparisons[i].dataset_index == d && comparisons[i].p_value.is_some())
            .collect();
        let ps: Vec<f64> = idx.iter().filter_map(|&i| comparisons[i].p_value).collect();
        let adjusted = stats::holm(&ps);
        for (&i, p) in idx.iter().zip(adjusted) {
            let c = &mut comparisons[i];
            c.p_adjusted = Some(p);
            let dropped = match c.measure {
                Measure::PassRate => c.delta.is_some_and(|d| d < 0.0),
                Measure::MeanScore => c.delta.is_some_and(|d| -d > max_score_drop),
            };
            if p < alpha && dropped {
                c.verdict = Verdict::Regressed;
            }
        }
    }
    let coverage = model
        .datasets
        .iter()
        .enumerate()
        .map(|(d, ds)| {
            let covered: std::collections::BTreeSet<usize> = cand
                .table
                .iter()
                .filter(|((dd, _), _)| *dd == d)
                .flat_map(|(_, cases)| cases.keys().copied())
                .collect();
            let missing = (0..ds.cases.len())
                .filter(|c| !covered.contains(c))
                .collect();
            (d, covered.len(), missing)
        })
        .collect();
    let kpis = kpis(model, &cand, &comparisons);
    Gate {
        candidate,
        baseline,
        behaviour,
        stale,
        comparisons,
        kpis,
        coverage,
        alpha,
        min_pass_rate,
        max_score_drop,
        unreasoned,
    }
}

/// The KPIs of deploy.yaml that evidence can measure.
fn kpis(model: &Model, cand: &Side, comparisons: &[Comparison]) -> Vec<Kpi> {
    let Some(deploy) = &model.deploy else {
        return Vec::new();
    };
    let number = |path: &str| {
        deploy.get(path).and_then(|n| {
            let v = match &n.value {
                crate::node::Value::Float(f) => Some(*f),
                crate::node::Value::Int(i) => Some(*i as f64),
                _ => None,
            }?;
            Some((v, n.span))
        })
    };
    let first_at = comparisons.iter().find_map(|c| c.at);
    let mut out = Vec::new();
    // quality_score: on its `metric`, else on every scored metric but `overall`
    let metric = deploy
        .get("kpis.quality_score.metric")
        .and_then(|n| n.as_str())
        .map(str::to_string);
    let scored: Vec<&Comparison> = comparisons
        .iter()
        .filter(|c| c.measure == Measure::MeanScore)
        .filter(|c| match &metric {
            Some(m) => &c.metric == m,
            None => c.metric != OVERALL,
        })
        .collect();
    if let Some((min, span)) = number("kpis.quality_score.min_mean") {
        for c in &scored {
            out.push(Kpi {
                name: "quality_score.min_mean".into(),
                value: c.candidate,
                threshold: min,
                threshold_at: span,
                at: c.at,
                ok: c.candidate >= min,
                unit: "score",
                metric: Some(format!("{} {}", c.dataset, c.metric)),
                case: None,
            });
        }
    }
    if let Some((min, span)) = number("kpis.quality_score.min_critical") {
        for c in &scored {
            for (case, v, at) in &c.critical_scores {
                if *v < min {
                    out.push(Kpi {
                        name: "quality_score.min_critical".into(),
                        value: *v,
                        threshold: min,
                        threshold_at: span,
                        at: Some(*at),
                        ok: false,
                        unit: "score",
                        metric: Some(format!("{} {}", c.dataset, c.metric)),
                        case: Some(*case),
                    });
                }
            }
        }
    }
    if let Some(node) = deploy.get("kpis.latency_p95.sla")
        && let Some(sla) = node
            .as_str()
            .and_then(|s| crate::units::parse_duration(s).ok())
    {
        let lat: Vec<f64> = cand.requests.iter().filter_map(|r| r.0).collect();
        if let Some(p95) = stats::percentile(&lat, 95.0) {
            let ms = sla.millis() as f64;
            out.push(Kpi {
                name: "latency_p95.sla".into(),
                value: p95,
                threshold: ms,
                threshold_at: node.span,
                at: first_at,
                ok: p95 <= ms,
                unit: "ms",
                metric: None,
                case: None,
            });
        }
    }
    let cost: Vec<f64> = cand.requests.iter().filter_map(|r| r.1).collect();
    for key in ["baseline", "max"] {
        if let (Some((limit, span)), Some(mean)) = (
            number(&format!("kpis.cost_per_request_usd.{key}")),
            stats::mean(&cost),
        ) {
            out.push(Kpi {
                name: format!("cost_per_request_usd.{key}"),
                value: mean,
                threshold: limit,
                threshold_at: span,
                at: first_at,
                ok: mean <= limit,
                unit: "usd",
                metric: None,
                case: None,
            });
        }
    }
    if let Some((base, span)) = number("kpis.task_success_rate.baseline") {
        let overall: Vec<&Comparison> = comparisons
            .iter()
            .filter(|c| c.measure == Measure::PassRate && c.metric == OVERALL)
            .collect();
        let (pass, total) = overall.iter().fold((0.0, 0usize), |(p, t), c| {
            (p + c.candidate * c.cases as f64, t + c.cases)
        });
        if total > 0 {
            let rate = pass / total as f64;
            out.push(Kpi {
                name: "task_success_rate.baseline".into(),
                value: rate,
                threshold: base,
                threshold_at: span,
                at: first_at,
                ok: rate >= base,
                unit: "share",
                metric: None,
                case: None,
            });
        }
    }
    if let Some((max, span)) = number("kpis.tool_failure_rate.max")
        && !cand.requests.is_empty()
    {
        let errors = cand.requests.iter().filter(|r| r.2).count() as f64;
        let rate = errors / cand.requests.len() as f64;
        out.push(Kpi {
            name: "tool_failure_rate.max".into(),
            value: rate,
            threshold: max,
            threshold_at: span,
            at: first_at,
            ok: rate <= max,
            unit: "share",
            metric: None,
            case: None,
        });
    }
    out
}
