//! DeepEval's test run as JSON (its `TestRun` model dumped by alias, camelCase): the
//! `.deepeval/.latest_run_full.json` every run writes, the `test_run_<time>.json` written under
//! `DEEPEVAL_RESULTS_FOLDER`, or `.deepeval/.latest_test_run.json` (the same run wrapped as
//! `{"testRunData": …}`): `{testFile, testCases: [{name, input, actualOutput, expectedOutput,
//! success, metricsData: [{name, threshold, success, score, reason, evaluationModel, error,
//! evaluationCost}], runDuration, evaluationCost, completionTime, tokenCost, order,
//! additionalMetadata}], conversationalTestCases, metricsScores, testPassed, testFailed, …}`.
//!
//! Each test case gives an `overall` observation (`pass` = its `success`; no score; `error` when
//! any of its metrics recorded an error), then one per `metricsData` entry (its `name`, `pass` =
//! `success`, `score` = `score`, `error` = a non-null `error`). Older runs' `metricsMetadata`
//! entries (named by `metric`) are read the same way. Conversational test cases are read like
//! the others, by their `additionalMetadata.id` or `name`.
//!
//! Newer runs name `additionalMetadata` `metadata`, and older runs name `completionTime`
//! `latency` and `tokenCost` `cost` (the names of the `LLMTestCase` fields): each is read when
//! the other is absent.
//!
//! - case: `additionalMetadata.id` (a number as its JSON text); else the `input` (as a JSON
//!   string, paired by its digest with a dataset line whose `input` is that string); else the
//!   `name` (often DeepEval's own `test_case_0`, which pairs with nothing);
//! - dataset: `additionalMetadata.dataset`; critical: `additionalMetadata.critical` is `true`;
//! - latency: `completionTime` × 1000 and cost: `tokenCost`, the system's own figures when the
//!   test case was given them. `runDuration` and `evaluationCost` are not read: DeepEval
//!   measures them around the metrics, so they are the judge's time and cost, not the system's;
//! - repeat: DeepEval records none (`deepeval test run --repeat N` writes each case N times), so
//!   a test case is the n-th repeat when it is the n-th with the same dataset and case.

use super::{Doc, Entries, Help, Kind, RawList, error};
use crate::evidence::compare::OVERALL;
use crate::evidence::results::{Harness, Observation, ReadError, Results};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::HashMap;

#[derive(Deserialize)]
struct Run<'a> {
    #[serde(borrow, rename = "testCases")]
    test_cases: Option<RawList<'a>>,
    #[serde(borrow, rename = "conversationalTestCases")]
    conversational: Option<RawList<'a>>,
    #[serde(borrow, rename = "testRunData")]
    wrapped: Option<&'a RawValue>,
    #[serde(borrow, rename = "testRunLink")]
    link: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Case<'a> {
    #[serde(borrow)]
    name: Option<&'a RawValue>,
    #[serde(borrow)]
    input: Option<&'a RawValue>,
    #[serde(borrow)]
    success: Option<&'a RawValue>,
    #[serde(borrow, rename = "metricsData")]
    metrics_data: Option<&'a RawValue>,
    #[serde(borrow, rename = "metricsMetadata")]
    metrics_metadata: Option<&'a RawValue>,
    #[serde(borrow, rename = "completionTime")]
    completion_time: Option<&'a RawValue>,
    #[serde(borrow, rename = "tokenCost")]
    token_cost: Option<&'a RawValue>,
    #[serde(borrow, rename = "additionalMetadata")]
    metadata: Option<&'a RawValue>,
    /// Newer runs' name for `additionalMetadata`.
    #[serde(borrow, rename = "metadata")]
    metadata_new: Option<&'a RawValue>,
    /// Older runs' names for `completionTime` (seconds) and `tokenCost`.
    #[serde(borrow)]
    latency: Option<&'a RawValue>,
    #[serde(borrow)]
    cost: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Metric<'a> {
    #[serde(borrow)]
    name: Option<&'a RawValue>,
    /// The name in older runs' `metricsMetadata`.
    #[serde(borrow)]
    metric: Option<&'a RawValue>,
    #[serde(borrow)]
    success: Option<&'a RawValue>,
    #[serde(borrow)]
    score: Option<&'a RawValue>,
    #[serde(borrow)]
    error: Option<&'a RawValue>,
}

const HELP: &str = "read the run DeepEval writes to `.deepeval/.latest_run_full.json` (or the \
`test_run_*.json` files it writes under `DEEPEVAL_RESULTS_FOLDER`)";

/// Reads a DeepEval test run.
pub fn read(text: &str) -> Result<Results, ReadError> {
    let doc = Doc::python(text);
    let body = doc.body();
    let first = doc.first_span();
    if !body.trim_start().starts_with('{') {
        return Err(error(
            "the file is not a JSON object: a DeepEval test run is one JSON object",
            first,
        )
        .help(HELP));
    }
    let mut run: Run = serde_json::from_str(body).map_err(|e| doc.json_error(&e, "the file"))?;
    let wrapper = run.wrapped.filter(|w| Kind::of(w) != Kind::Null);
    if let Some(w) = wrapper {
        run = doc.object(w, "testRunData")?;
    }
    let lists = [
        ("testCases", run.test_cases),
        ("conversationalTestCases", run.conversational),
    ];
    if lists.iter().all(|(_, l)| l.is_none()) {
        let message = if run.link.is_some() {
            "the file holds only a link to the run on Confident AI (`testRunLink`), no test cases"
        } else {
            "the file has no `testCases`: it is not a DeepEval test run"
        };
        return Err(error(message, first).help(HELP));
    }
    let mut observations = Vec::new();
    let mut repeats: HashMap<(Option<String>, String), u32> = HashMap::new();
    for (key, list) in lists {
        let items = match list {
            None => continue,
            Some(RawList::Array(items)) => items,
            Some(RawList::Not(Kind::Null)) => continue,
            Some(RawList::Not(kind)) => {
                let at = match wrapper {
                    Some(w) => doc
                        .object::<Entries>(w, "testRunData")
                        .ok()
                        .and_then(|e| e.0.iter().find(|(k, _)| k == key).map(|(_, v)| doc.span(v))),
                    None => doc.top_span(key),
                };
                return Err(error(
                    format!("{key} is {}, not an array of test cases", kind.article()),
                    at.unwrap_or(first),
                ));
            }
        };
        for (i, raw) in items.iter().enumerate() {
            one(
                &doc,
                &format!("{key}[{i}]"),
                raw,
                &mut repeats,
                &mut observations,
            )?;
        }
    }
    Ok(Results {
        harness: Harness::Deepeval,
        observations,
        tests: Vec::new(),
    })
}

/// A field under its current name, else under its other name (another DeepEval version's),
/// with the name it was found under; `null` is absent.
fn either<'a>(
    current: (Option<&'a RawValue>, &'static str),
    other: (Option<&'a RawValue>, &'static str),
) -> (Option<&'a RawValue>, &'static str) {
    let given = |v: Option<&'a RawValue>| v.filter(|v| Kind::of(v) != Kind::Null);
    match (given(current.0), given(other.0)) {
        (None, Some(v)) => (Some(v), other.1),
        (v, _) => (v, current.1),
    }
}

fn one<'a>(
    doc: &Doc<'a>,
    path: &str,
    raw: &'a RawValue,
    repeats: &mut HashMap<(Option<String>, String), u32>,
    out: &mut Vec<Observation>,
) -> Result<(), ReadError> {
    let span = doc.span(raw);
    let c: Case = doc.object(raw, path)?;
    let (meta_raw, meta_key) = either(
        (c.metadata, "additionalMetadata"),
        (c.metadata_new, "metadata"),
    );
    let meta_path = format!("{path}.{meta_key}");
    let meta = doc.case_meta(meta_raw, &meta_path)?;
    let dataset = doc.opt_string(
        meta.as_ref().and_then(|m| m.dataset),
        &format!("{meta_path}.dataset"),
    )?;
    let critical = meta.as_ref().and_then(|m| m.critical).map(RawValue::get) == Some("true");
    let mut case = doc.opt_case_id(meta.as_ref().and_then(|m| m.id), &format!("{meta_path}.id"))?;
    let mut input = None;
    if case.is_none() {
        match c.input.filter(|v| Kind::of(v) != Kind::Null) {
            Some(v) if Kind::of(v) == Kind::String => {
                input = super::string(v).map(|s| serde_json::Value::String(s.into_owned()));
            }
            Some(v) => return Err(doc.not_a_kind(v, &format!("{path}.input"), "a string")),
            None => case = doc.opt_string(c.name, &format!("{path}.name"))?,
        }
    }
    let key = (
        dataset.clone(),
        case.clone()
            .or_else(|| input.as_ref().map(|i| i.to_string()))
            .unwrap_or_default(),
    );
    let n = repeats.entry(key).or_insert(0);
    let repeat = *n;
    *n = n.saturating_add(1);
    let pass = doc.opt_bool(c.success, &format!("{path}.success"))?;
    let (time, time_key) = either(
        (c.completion_time, "completionTime"),
        (c.latency, "latency"),
    );
    let at = format!("{path}.{time_key}");
    let seconds = doc.opt_number(time, &at, true)?;
    let latency_ms = super::millis(doc, seconds, time, &at)?;
    let (cost, cost_key) = either((c.token_cost, "tokenCost"), (c.cost, "cost"));
    let cost_usd = doc.opt_number(cost, &format!("{path}.{cost_key}"), true)?;
    let base = Observation {
        dataset,
        case,
        input,
        metric: OVERALL.to_string(),
        pass,
        score: None,
        latency_ms,
        cost_usd,
        critical,
        repeat,
        error: false,
        start: span.0,
        end: span.1,
    };
    let (list, list_path) = match (c.metrics_data, c.metrics_metadata) {
        (Some(m), _) if Kind::of(m) != Kind::Null => (Some(m), format!("{path}.metricsData")),
        (_, Some(m)) if Kind::of(m) != Kind::Null => (Some(m), format!("{path}.metricsMetadata")),
        _ => (None, String::new()),
    };
    let metrics: Vec<&RawValue> = match list {
        Some(m) if Kind::of(m) == Kind::Array => {
            serde_json::from_str(m.get()).map_err(|e| doc.json_error_in(m, &e, &list_path))?
        }
        Some(m) => return Err(doc.not_a_kind(m, &list_path, "an array")),
        None => Vec::new(),
    };
    let mut read = Vec::with_capacity(metrics.len());
    for (j, m) in metrics.into_iter().enumerate() {
        let at = format!("{list_path}[{j}]");
        let metric: Metric = doc.object(m, &at)?;
        let name_raw = metric.name.or(metric.metric);
        let Some(name) = doc.opt_string(name_raw, &format!("{at}.name"))? else {
            return Err(error(format!("{at} has no `name`"), doc.span(m)));
        };
        let pass = doc.opt_bool(metric.success, &format!("{at}.success"))?;
        let score = doc.opt_number(metric.score, &format!("{at}.score"), true)?;
        let errored = metric.error.is_some_and(|e| Kind::of(e) != Kind::Null);
        if pass.is_none() && score.is_none() && !errored {
            continue;
        }
        read.push((name, pass, score, errored));
    }
    let any_error = read.iter().any(|r| r.3);
    let mut named = Vec::with_capacity(read.len());
    for (name, pass, score, errored) in read {
        named.push(Observation {
            metric: name,
            pass,
            score,
            error: errored,
            ..base.clone()
        });
    }
    out.push(Observation {
        error: any_error,
        ..base
    });
    out.extend(named);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_fixture() {
        let text = include_str!("../../../tests/fixtures/evidence/test_run.json");
        assert_eq!(super::super::detect(text), Some(Harness::Deepeval));
        let r = read(text).unwrap();
        let got: Vec<_> = r
            .observations
            .iter()
            .map(|o| {
                (
                    o.case.as_deref().unwrap(),
                    o.metric.as_str(),
                    o.pass,
                    o.score,
                    o.error,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("hp-001", "overall", Some(true), None, false),
                ("hp-001", "correctness", Some(true), Some(0.92), false),
                ("hp-001", "helpfulness", Some(true), Some(0.81), false),
                ("hp-002", "overall", Some(false), None, false),
                ("hp-002", "correctness", Some(false), Some(0.12), false),
                ("hp-002", "helpfulness", Some(true), Some(0.66), false),
                ("1", "overall", Some(false), None, true),
                ("1", "correctness", Some(true), Some(0.88), false),
                ("1", "helpfulness", Some(false), None, true),
            ]
        );
        let o = &r.observations[0];
        assert!(o.critical);
        assert_eq!((o.latency_ms, o.cost_usd), (Some(1420.0), Some(0.000151)));
        assert_eq!(
            r.observations[6].dataset.as_deref(),
            Some("golden_edge_cases")
        );
        assert_eq!(r.observations[6].latency_ms, None);
    }

    const CASE: &str = r#"{"name": "test_case_0", "input": "How do I reset my password?", "actualOutput": "Use the reset link.", "expectedOutput": "Send the reset link.", "success": true, "metricsData": [{"name": "Correctness (GEval)", "threshold": 0.5, "success": true, "score": 0.9, "reason": "matches", "strictMode": false, "evaluationModel": "gpt-4.1", "evaluationCost": 0.0012, "verboseLogs": "…"}], "runDuration": 3.2, "evaluationCost": 0.0012, "order": 0, "additionalMetadata": {"id": "hp-001", "dataset": "golden_happy_path"}}"#;

    fn run(cases: &str) -> String {
        format!(
            r#"{{"testFile": "test_support.py", "testCases": [{cases}], "conversationalTestCases": [], "metricsScores": [], "testPassed": 1, "testFailed": 0, "runDuration": 3.5, "evaluationCost": 0.0012}}"#
        )
    }

    #[test]
    fn a_case_gives_overall_then_its_metrics() {
        let text = run(CASE);
        let r = read(&text).unwrap();
        assert_eq!(r.harness, Harness::Deepeval);
        let got: Vec<_> = r
            .observations
            .iter()
            .map(|o| (o.metric.as_str(), o.pass, o.score))
            .collect();
        assert_eq!(
            got,
            [
                ("overall", Some(true), None),
                ("Correctness (GEval)", Some(true), Some(0.9))
            ]
        );
        let o = &r.observations[0];
        assert_eq!(o.case.as_deref(), Some("hp-001"));
        assert_eq!(o.dataset.as_deref(), Some("golden_happy_path"));
        // runDuration and evaluationCost are the judge's.
        assert_eq!((o.latency_ms, o.cost_usd), (None, None));
        assert_eq!(&text[o.start..o.end], CASE);
    }

    #[test]
    fn without_an_id_the_input_pairs_and_repeats_are_counted() {
        let plain = CASE.replace(
            r#""additionalMetadata": {"id": "hp-001", "dataset": "golden_happy_path"}"#,
            r#""completionTime": 1.5, "tokenCost": 0.002"#,
        );
        let text = run(&[plain.as_str(), plain.as_str()].join(","));
        let r = read(&text).unwrap();
        let o = &r.observations[0];
        assert_eq!(o.case, None);
        assert_eq!(
            o.input,
            Some(serde_json::json!("How do I reset my password?"))
        );
        assert_eq!((o.latency_ms, o.cost_usd), (Some(1500.0), Some(0.002)));
        assert_eq!(r.observations[2].repeat, 1);
    }

    #[test]
    fn newer_metadata_and_older_latency_and_cost_are_read() {
        // DeepEval 3 writes the case's metadata as `metadata` (here with an integer id).
        let newer = CASE.replace(
            r#""additionalMetadata": {"id": "hp-001", "dataset": "golden_happy_path"}"#,
            r#""metadata": {"id": 1, "dataset": "golden_happy_path", "embedding_model": "m"}"#,
        );
        let r = read(&run(&newer)).unwrap();
        assert_eq!(r.observations[0].case.as_deref(), Some("1"));
        assert_eq!(
            r.observations[0].dataset.as_deref(),
            Some("golden_happy_path")
        );
        // Older runs: `latency` (seconds) and `cost` on the case.
        let older = CASE.replace(
            r#""order": 0"#,
            r#""order": 0, "latency": 8.3, "cost": 0.02"#,
        );
        let r = read(&run(&older)).unwrap();
        assert_eq!(r.observations[0].latency_ms, Some(8300.0));
        assert_eq!(r.observations[0].cost_usd, Some(0.02));
        // Both present: the current names win.
        let both = newer.replace(
            r#""metadata": {"#,
            r#""additionalMetadata": {"id": "hp-002"}, "metadata": {"#,
        );
        let r = read(&run(&both)).unwrap();
        assert_eq!(r.observations[0].case.as_deref(), Some("hp-002"));
    }

    #[test]
    fn the_wrapped_latest_run_and_old_metrics_metadata_are_read() {
        let old = CASE
            .replace("metricsData", "metricsMetadata")
            .replace("\"name\": \"Correctness", "\"metric\": \"Correctness");
        let text = format!(r#"{{"testRunData": {}}}"#, run(&old));
        let r = read(&text).unwrap();
        assert_eq!(r.observations[1].metric, "Correctness (GEval)");
        let e = read(r#"{"testRunLink": "https://app.confident-ai.com/x"}"#).unwrap_err();
        assert!(e.message.contains("only a link"), "{}", e.message);
    }

    #[test]
    fn metric_errors_and_bad_values() {
        let errored = CASE.replace(
            r#""success": true, "score": 0.9"#,
            r#""success": false, "score": null, "error": "judge timed out""#,
        );
        let r = read(&run(&errored)).unwrap();
        assert!(r.observations[0].error && r.observations[1].error);
        assert_eq!(r.observations[1].score, None);
        let e = read(&run(&CASE.replace("\"score\": 0.9", "\"score\": \"0.9\""))).unwrap_err();
        assert_eq!(
            e.message,
            r#"testCases[0].metricsData[0].score is "0.9", not a number"#
        );
        let e = read(&run(&CASE
            .replace(
                "\"input\": \"How do I reset my password?\"",
                "\"input\": [1]",
            )
            .replace(r#""id": "hp-001", "#, "")))
        .unwrap_err();
        assert_eq!(e.message, "testCases[0].input is an array, not a string");
    }

    #[test]
    fn fuzz_smoke_on_truncations_and_flips() {
        let text = run(&[CASE, CASE].join(","));
        super::super::fuzz_smoke(&text, 5, 7, b"\"N{-]0");
    }
}
