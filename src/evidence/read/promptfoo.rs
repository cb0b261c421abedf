//! promptfoo's output file (`promptfoo eval -o results.json`: the `OutputFile` type of its
//! `src/types/index.ts`): `{evalId, results: {version, timestamp, results: EvaluateResult[],
//! prompts, stats}, config, metadata}`.
//!
//! Summaries of version 3 and of version 2 (the same `results` array beside a `table`) are read;
//! others are refused. Each result gives an `overall` observation (`pass` = `success`, `score`
//! = `score`) and one more for each `namedScores` entry (its name, its value, no pass).
//!
//! - case: `testCase.metadata.id`, else `testCase.vars.id` (a number as its JSON text); with
//!   neither, `input` is `testCase.vars`, the whole object (the result's own `vars` for results
//!   without a `testCase`);
//! - dataset: `testCase.metadata.dataset`; critical: `testCase.metadata.critical` is `true`;
//! - error: `failureReason` is 2 (an error, not a failed assertion);
//! - latency: `latencyMs`; cost: `cost` (US dollars; a cached response reports 0 for both);
//! - repeat: `repeatIndex` where a result has one; promptfoo's output carries none (`--repeat N`
//!   writes each test N times with the same test case), so otherwise a result is the n-th
//!   repeat when it is the n-th result with the same dataset, case (or vars), prompt and
//!   provider.
//!
//! A results file can be 100 MB: the result array is borrowed from the text unparsed, and each
//! result is parsed into the few fields read (the response, prompt and grading result are
//! skipped, never built).

use super::{Doc, Help, Kind, Num, RawList, error};
use crate::evidence::compare::OVERALL;
use crate::evidence::results::{Harness, Observation, ReadError, Results};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::HashMap;
use std::fmt;
use std::hash::{DefaultHasher, Hash, Hasher};

#[derive(Deserialize)]
struct File<'a> {
    #[serde(borrow)]
    results: Option<Summary<'a>>,
}

#[derive(Deserialize)]
struct Summary<'a> {
    #[serde(borrow)]
    version: Option<&'a RawValue>,
    #[serde(borrow)]
    results: Option<RawList<'a>>,
}

/// The fields of an `EvaluateResult` that are read; `response`, `prompt`, `gradingResult` and
/// the rest are skipped.
#[derive(Deserialize)]
struct Item<'a> {
    #[serde(borrow, rename = "testCase")]
    test_case: Option<&'a RawValue>,
    #[serde(borrow)]
    vars: Option<&'a RawValue>,
    #[serde(borrow)]
    success: Option<&'a RawValue>,
    #[serde(borrow)]
    score: Option<&'a RawValue>,
    #[serde(borrow, rename = "failureReason")]
    failure_reason: Option<&'a RawValue>,
    #[serde(borrow, rename = "namedScores")]
    named_scores: Option<&'a RawValue>,
    #[serde(borrow, rename = "latencyMs")]
    latency_ms: Option<&'a RawValue>,
    #[serde(borrow)]
    cost: Option<&'a RawValue>,
    #[serde(borrow, rename = "repeatIndex")]
    repeat_index: Option<&'a RawValue>,
    #[serde(borrow, rename = "promptIdx")]
    prompt_idx: Option<&'a RawValue>,
    #[serde(borrow)]
    provider: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct TestCase<'a> {
    #[serde(borrow)]
    vars: Option<&'a RawValue>,
    #[serde(borrow)]
    metadata: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Vars<'a> {
    #[serde(borrow)]
    id: Option<&'a RawValue>,
}

const HELP: &str = "write the file with `promptfoo eval -o results.json` (a current promptfoo \
writes results version 3)";

/// Reads a promptfoo output file.
pub fn read(text: &str) -> Result<Results, ReadError> {
    let doc = Doc::strict(text);
    let body = doc.body();
    if !body.trim_start().starts_with('{') {
        return Err(not_an_object(&doc));
    }
    let file: File = match serde_json::from_str(body) {
        Ok(f) => f,
        Err(e) => return Err(shape_error(&doc, &e)),
    };
    let Some(summary) = file.results else {
        return Err(error(
            "the file has no `results`: it is not a promptfoo output file",
            doc.first_span(),
        )
        .help(HELP));
    };
    let version = summary.version.map(|v| v.get());
    if !matches!(version, Some("2" | "3")) {
        let (message, span) = match summary.version {
            Some(v) => (
                format!(
                    "results.version is {}: agentlock reads promptfoo results versions 2 and 3",
                    doc.shown(v)
                ),
                doc.span(v),
            ),
            None => (
                "results has no `version`: agentlock reads promptfoo results versions 2 and 3"
                    .to_string(),
                doc.first_span(),
            ),
        };
        return Err(error(message, span).help(HELP));
    }
    let items = match summary.results {
        Some(RawList::Array(items)) => items,
        Some(RawList::Not(kind)) => {
            return Err(error(
                format!(
                    "results.results is {}, not an array of results",
                    kind.article()
                ),
                results_span(&doc),
            ));
        }
        None => {
            return Err(error("results has no `results` array", doc.first_span()).help(HELP));
        }
    };
    let mut observations = Vec::with_capacity(items.len().saturating_mul(3));
    let mut repeats: HashMap<u64, u32> = HashMap::new();
    for (i, raw) in items.iter().enumerate() {
        one(&doc, i, raw, &mut repeats, &mut observations)?;
    }
    Ok(Results {
        harness: Harness::Promptfoo,
        observations,
        tests: Vec::new(),
    })
}

/// `results.results[i]`, for messages.
#[derive(Clone, Copy)]
struct Elem(usize);

impl fmt::Display for Elem {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "results.results[{}]", self.0)
    }
}

fn one<'a>(
    doc: &Doc<'a>,
    i: usize,
    raw: &'a RawValue,
    repeats: &mut HashMap<u64, u32>,
    out: &mut Vec<Observation>,
) -> Result<(), ReadError> {
    // Paths are formatted only for an error: a file can hold 100,000 results.
    let path = Elem(i);
    let span = doc.span(raw);
    let item: Item = doc.object(raw, &path)?;
    let test_case: Option<TestCase> = match item.test_case {
        Some(tc) if Kind::of(tc) != Kind::Null => {
            Some(doc.object(tc, &format_args!("{path}.testCase"))?)
        }
        _ => None,
    };
    let (vars, vars_path) = match test_case.as_ref().and_then(|t| t.vars) {
        Some(v) => (Some(v), ".testCase.vars"),
        None => (item.vars, ".vars"),
    };
    let vars_path = format_args!("{path}{vars_path}");
    let vars = vars.filter(|v| Kind::of(v) != Kind::Null);
    let metadata = doc.case_meta(
        test_case.as_ref().and_then(|t| t.metadata),
        &format_args!("{path}.testCase.metadata"),
    )?;
    let mut id_raw = metadata.as_ref().and_then(|m| m.id);
    let mut case = doc.opt_case_id(id_raw, &format_args!("{path}.testCase.metadata.id"))?;
    if case.is_none() {
        if let Some(v) = vars.filter(|v| Kind::of(v) == Kind::Object) {
            let vars_id: Vars = doc.object(v, &vars_path)?;
            id_raw = vars_id.id;
            case = doc.opt_case_id(vars_id.id, &format_args!("{vars_path}.id"))?;
        } else if let Some(v) = vars {
            return Err(doc.not_a_kind(v, &vars_path, "an object"));
        }
    }
    let input = match (&case, vars) {
        (None, Some(v)) => Some(
            serde_json::from_str::<serde_json::Value>(v.get())
                .map_err(|e| doc.json_error_in(v, &e, &vars_path))?,
        ),
        _ => None,
    };
    let dataset_raw = metadata.as_ref().and_then(|m| m.dataset);
    let dataset = doc.opt_string(
        dataset_raw,
        &format_args!("{path}.testCase.metadata.dataset"),
    )?;
    let critical = metadata.as_ref().and_then(|m| m.critical).map(|c| c.get()) == Some("true");
    let pass = doc.opt_bool(item.success, &format_args!("{path}.success"))?;
    let score = doc.opt_number(item.score, &format_args!("{path}.score"), false)?;
    let failure = doc.opt_number(
        item.failure_reason,
        &format_args!("{path}.failureReason"),
        false,
    )?;
    let latency_ms = doc.opt_number(item.latency_ms, &format_args!("{path}.latencyMs"), false)?;
    let cost_usd = doc.opt_number(item.cost, &format_args!("{path}.cost"), false)?;
    let repeat = match doc.opt_count(item.repeat_index, &format_args!("{path}.repeatIndex"))? {
        Some(n) => n,
        None => {
            // The digest of (dataset, case id or vars, prompt, provider) as the file writes them:
            // 12 bytes an entry where the texts would take 70.
            let mut h = DefaultHasher::new();
            (
                dataset_raw.map(RawValue::get),
                id_raw
                    .filter(|_| case.is_some())
                    .or(vars)
                    .map(RawValue::get),
                item.prompt_idx.map(RawValue::get),
                item.provider.map(RawValue::get),
            )
                .hash(&mut h);
            let n = repeats.entry(h.finish()).or_insert(0);
            let this = *n;
            *n = n.saturating_add(1);
            this
        }
    };
    let named = match item.named_scores {
        Some(n) if Kind::of(n) != Kind::Null => {
            let entries = doc.entries(n, &format_args!("{path}.namedScores"))?;
            let mut named = Vec::with_capacity(entries.0.len());
            for (name, value) in entries.0 {
                let at = || format!("{path}.namedScores{}", super::path_key(&name));
                match doc.num(value) {
                    Num::Finite(v) => named.push((name.into_owned(), v)),
                    Num::Not(_) => return Err(doc.not_a(value, &at(), "a number")),
                    _ => return Err(doc.not_a(value, &at(), "a finite number")),
                }
            }
            named
        }
        _ => Vec::new(),
    };
    let error = failure == Some(2.0);
    if pass.is_none() && score.is_none() && !error {
        return Err(super::error(
            format!("{path} has neither `success` nor `score`"),
            span,
        ));
    }
    let base = Observation {
        dataset,
        case,
        input,
        metric: OVERALL.to_string(),
        pass,
        score,
        latency_ms,
        cost_usd,
        critical,
        repeat,
        error,
        start: span.0,
        end: span.1,
    };
    // `overall` first: the per-request figures are taken from a case's first observation.
    let named: Vec<Observation> = named
        .into_iter()
        .map(|(metric, v)| Observation {
            metric,
            pass: None,
            score: Some(v),
            ..base.clone()
        })
        .collect();
    out.push(base);
    out.extend(named);
    Ok(())
}

fn not_an_object(doc: &Doc) -> ReadError {
    let what = if doc.body().trim().is_empty() {
        "empty"
    } else {
        "not a JSON object"
    };
    error(
        format!("the file is {what}: a promptfoo output file is one JSON object"),
        doc.first_span(),
    )
    .help(HELP)
}

/// The error for a file that parses as JSON but not as an output file: which part is wrong.
fn shape_error(doc: &Doc, e: &serde_json::Error) -> ReadError {
    if e.classify() == serde_json::error::Category::Data {
        #[derive(Deserialize)]
        struct Top<'a> {
            #[serde(borrow)]
            results: Option<&'a RawValue>,
        }
        if let Ok(top) = serde_json::from_str::<Top>(doc.body())
            && let Some(r) = top.results
            && Kind::of(r) != Kind::Object
        {
            return doc.not_a_kind(r, "results", "an object").help(HELP);
        }
    }
    doc.json_error(e, "the file")
}

/// The offsets of `results.results` (for an error about it; parsed again, on that path only).
fn results_span(doc: &Doc) -> (usize, usize) {
    #[derive(Deserialize)]
    struct Top<'a> {
        #[serde(borrow)]
        results: Option<Inner<'a>>,
    }
    #[derive(Deserialize)]
    struct Inner<'a> {
        #[serde(borrow)]
        results: Option<&'a RawValue>,
    }
    serde_json::from_str::<Top>(doc.body())
        .ok()
        .and_then(|t| t.results)
        .and_then(|r| r.results)
        .map_or((0, 0), |r| doc.span(r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_fixture() {
        let text = include_str!("../../../tests/fixtures/evidence/results.json");
        assert_eq!(super::super::detect(text), Some(Harness::Promptfoo));
        let r = read(text).unwrap();
        let got: Vec<_> = r
            .observations
            .iter()
            .map(|o| {
                (
                    o.dataset.as_deref(),
                    o.case.as_deref(),
                    o.metric.as_str(),
                    o.pass,
                    o.score,
                    o.error,
                )
            })
            .collect();
        let hp = Some("golden_happy_path");
        assert_eq!(
            got,
            [
                (hp, Some("hp-001"), "overall", Some(true), Some(0.95), false),
                (hp, Some("hp-001"), "correctness", None, Some(1.0), false),
                (hp, Some("hp-001"), "helpfulness", None, Some(0.9), false),
                (
                    hp,
                    Some("hp-002"),
                    "overall",
                    Some(false),
                    Some(0.45),
                    false
                ),
                (hp, Some("hp-002"), "correctness", None, Some(0.4), false),
                (hp, Some("hp-002"), "helpfulness", None, Some(0.6), false),
                (
                    Some("golden_edge_cases"),
                    Some("3"),
                    "overall",
                    Some(false),
                    Some(0.0),
                    true
                ),
            ]
        );
        assert!(r.observations[0].critical && !r.observations[3].critical);
        assert_eq!(r.observations[3].latency_ms, Some(1655.0));
        for o in &r.observations {
            assert!(text[o.start..o.end].starts_with('{') && text[o.start..o.end].ends_with('}'));
        }
    }

    fn file(results: &str) -> String {
        format!(
            r#"{{"evalId": "eval-2024", "results": {{"version": 3, "timestamp": "2025-01-01T00:00:00Z", "results": [{results}], "prompts": [], "stats": {{"successes": 1, "failures": 0, "errors": 0}}}}, "config": {{}}, "metadata": {{}}}}"#
        )
    }

    const ONE: &str = r#"{"id": "r1", "promptIdx": 0, "testIdx": 0, "testCase": {"vars": {"question": "Reset my password?"}, "assert": [{"type": "llm-rubric", "value": "polite"}], "metadata": {"id": "hp-001", "dataset": "golden_happy_path", "critical": true}}, "provider": {"id": "openai:gpt-4o-mini", "label": ""}, "response": {"output": "Sure: …", "tokenUsage": {"total": 10}}, "success": true, "score": 0.75, "failureReason": 0, "namedScores": {"correctness": 1, "helpfulness": 0.5}, "gradingResult": {"pass": true, "score": 0.75, "reason": "ok", "componentResults": []}, "latencyMs": 812, "cost": 0.0004}"#;

    /// Every reader's observations pass one check (`read::checked`): promptfoo's own reader
    /// took these, agentlock's JSONL refused the negatives already.
    #[test]
    fn negative_latency_an_unnamed_score_and_huge_values_are_refused_for_every_harness() {
        let all = |one: &str| super::super::read(&file(one), Some(Harness::Promptfoo));
        assert!(all(ONE).is_ok());
        for (edit, says) in [
            (
                ONE.replace("\"latencyMs\": 812", "\"latencyMs\": -5"),
                "latency of case hp-001 (overall) is negative",
            ),
            (
                ONE.replace("\"cost\": 0.0004}", "\"cost\": -1}"),
                "is negative",
            ),
            (
                ONE.replace("\"helpfulness\": 0.5", "\"\": 0.5"),
                "empty metric name",
            ),
            (
                ONE.replace("\"helpfulness\": 0.5", "\"helpfulness\": 1e308"),
                "too large",
            ),
        ] {
            let e = all(&edit).unwrap_err();
            assert!(e.message.contains(says), "{says}: {}", e.message);
        }
        let jsonl = "{\"schema\": \"agentlock.eval/v1\"}\n{\"dataset\": \"d\", \"case\": \"c\", \"metric\": \"m\", \"score\": -1.7e308}\n";
        let e = super::super::read(jsonl, None).unwrap_err();
        assert!(
            e.message.contains("the score of case c (m) is too large"),
            "{}",
            e.message
        );
    }

    #[test]
    fn a_result_gives_overall_and_its_named_scores() {
        let text = file(ONE);
        let r = read(&text).unwrap();
        assert_eq!(r.harness, Harness::Promptfoo);
        let metrics: Vec<&str> = r.observations.iter().map(|o| o.metric.as_str()).collect();
        assert_eq!(metrics, ["overall", "correctness", "helpfulness"]);
        let o = &r.observations[0];
        assert_eq!(o.case.as_deref(), Some("hp-001"));
        assert_eq!(o.dataset.as_deref(), Some("golden_happy_path"));
        assert_eq!((o.pass, o.score), (Some(true), Some(0.75)));
        assert_eq!((o.latency_ms, o.cost_usd), (Some(812.0), Some(0.0004)));
        assert!(o.critical && !o.error);
        assert_eq!(o.input, None);
        assert_eq!(&text[o.start..o.end], ONE);
        let h = &r.observations[2];
        assert_eq!((h.pass, h.score), (None, Some(0.5)));
        assert_eq!((h.start, h.end), (o.start, o.end));
    }

    #[test]
    fn case_from_vars_id_then_the_vars_themselves() {
        let text = file(concat!(
            r#"{"testCase": {"vars": {"id": 7, "q": "a"}}, "success": false, "score": 0, "failureReason": 1},"#,
            r#"{"testCase": {"vars": {"q": "b"}}, "success": false, "score": 0, "failureReason": 2, "error": "timeout"}"#
        ));
        let r = read(&text).unwrap();
        assert_eq!(r.observations[0].case.as_deref(), Some("7"));
        assert!(!r.observations[0].error);
        let o = &r.observations[1];
        assert_eq!(o.case, None);
        assert_eq!(o.input, Some(serde_json::json!({"q": "b"})));
        assert!(o.error);
    }

    #[test]
    fn repeats_are_counted_per_case_prompt_and_provider() {
        let one = r#"{"promptIdx": 0, "provider": {"id": "p"}, "testCase": {"vars": {"id": "a"}}, "success": true, "score": 1}"#;
        let other = r#"{"promptIdx": 0, "provider": {"id": "q"}, "testCase": {"vars": {"id": "a"}}, "success": true, "score": 1}"#;
        let given =
            r#"{"repeatIndex": 4, "testCase": {"vars": {"id": "a"}}, "success": true, "score": 1}"#;
        let text = file(&[one, one, other, one, given].join(","));
        let r = read(&text).unwrap();
        let repeats: Vec<u32> = r.observations.iter().map(|o| o.repeat).collect();
        assert_eq!(repeats, [0, 1, 0, 2, 4]);
    }

    #[test]
    fn version_2_is_read_and_others_are_not() {
        let v2 = file(ONE)
            .replace("\"version\": 3", "\"version\": 2")
            .replace("\"prompts\": []", "\"table\": {\"head\": {}, \"body\": []}");
        assert_eq!(read(&v2).unwrap().observations.len(), 3);
        let v4 = file(ONE).replace("\"version\": 3", "\"version\": 4");
        let e = read(&v4).unwrap_err();
        assert_eq!(
            e.message,
            "results.version is 4: agentlock reads promptfoo results versions 2 and 3"
        );
        assert_eq!(&v4[e.start..e.end], "4");
        assert!(e.help.is_some());
        let e = read(r#"{"evalId": "x", "config": {}}"#).unwrap_err();
        assert!(e.message.contains("no `results`"), "{}", e.message);
        let e = read(r#"{"results": [1]}"#).unwrap_err();
        assert_eq!(e.message, "results is an array, not an object");
    }

    #[test]
    fn wrong_values_are_named_by_path_not_quoted_at_length() {
        let text = file(&[ONE, &ONE.replace("\"score\": 0.75", "\"score\": \"high\"")].join(","));
        let e = read(&text).unwrap_err();
        assert_eq!(
            e.message,
            r#"results.results[1].score is "high", not a number"#
        );
        assert_eq!(&text[e.start..e.end], "\"high\"");
        let secret = "a customer case identifier that is long and private";
        let text = file(&ONE.replace("\"hp-001\"", &format!("{{\"key\": \"{secret}\"}}")));
        let e = read(&text).unwrap_err();
        assert_eq!(
            e.message,
            "results.results[0].testCase.metadata.id is an object, not a string or a number"
        );
        assert!(!e.message.contains(secret));
        let text = file(&ONE.replace("\"helpfulness\": 0.5", "\"helpfulness\": [1]"));
        let e = read(&text).unwrap_err();
        assert_eq!(
            e.message,
            "results.results[0].namedScores.helpfulness is an array, not a number"
        );
        let text = file(&ONE.replace("\"score\": 0.75", "\"score\": 1e999"));
        assert!(
            read(&text)
                .unwrap_err()
                .message
                .ends_with("not a finite number")
        );
    }

    #[test]
    fn broken_json_points_where_it_stops() {
        let text = file(ONE);
        let cut = &text[..text.len() / 2];
        let e = read(cut).unwrap_err();
        assert!(e.start <= cut.len());
        let text = "{\"results\": {\"version\": 3, \"results\": [}";
        let e = read(text).unwrap_err();
        assert!(e.message.contains("not valid JSON"), "{}", e.message);
        assert_eq!(&text[e.start..e.end], "}");
    }

    #[test]
    fn fuzz_smoke_on_truncations_and_flips() {
        let text = file(&[ONE, ONE].join(","));
        super::super::fuzz_smoke(&text, 7, 11, b"\"{9-}n");
    }

    /// Generates a results file of `n` results (about 1 KB each, the size of a short answer).
    pub(crate) fn large(n: usize) -> String {
        let mut s = String::with_capacity(n * 1100 + 200);
        s.push_str(r#"{"evalId": "eval-large", "results": {"version": 3, "timestamp": "2025-01-01T00:00:00Z", "results": ["#);
        for i in 0..n {
            if i > 0 {
                s.push(',');
            }
            let answer =
                "The refund window is thirty days from delivery; start it from Orders. ".repeat(6);
            s.push_str(&format!(
                r#"{{"id": "r{i}", "promptIdx": 0, "testIdx": {i}, "promptId": "abc", "testCase": {{"vars": {{"question": "Question number {i}?"}}, "assert": [{{"type": "llm-rubric", "value": "correct and polite", "metric": "correctness"}}], "metadata": {{"id": "hp-{i:06}", "dataset": "golden_happy_path"}}}}, "prompt": {{"raw": "Answer: Question number {i}?", "label": "main"}}, "provider": {{"id": "openai:gpt-4o-mini", "label": ""}}, "vars": {{"question": "Question number {i}?"}}, "response": {{"output": "{answer}", "tokenUsage": {{"total": 120, "prompt": 40, "completion": 80}}, "cost": 0.0003}}, "success": {}, "score": {}, "failureReason": 0, "namedScores": {{"correctness": {}, "helpfulness": 0.8}}, "gradingResult": {{"pass": true, "score": 1, "reason": "The answer is correct.", "componentResults": [{{"pass": true, "score": 1, "reason": "ok"}}]}}, "latencyMs": {}, "cost": 0.0003}}"#,
                i % 7 != 0,
                if i % 7 == 0 { 0.0 } else { 1.0 },
                if i % 7 == 0 { 0.2 } else { 0.9 },
                400 + i % 900,
            ));
        }
        s.push_str(r#"], "prompts": [], "stats": {"successes": 0, "failures": 0, "errors": 0}}, "config": {}, "metadata": {}}"#);
        s
    }

    #[test]
    fn a_generated_file_reads() {
        let text = large(50);
        let r = read(&text).unwrap();
        assert_eq!(r.observations.len(), 150);
        assert_eq!(r.observations[3].case.as_deref(), Some("hp-000001"));
    }
}
