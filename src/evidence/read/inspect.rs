//! Inspect AI's evaluation log as JSON (`inspect eval --log-format=json`, or `inspect log convert
//! --to json` of a `.eval` log): `{version, status, eval {task, model, dataset {name, …}}, plan,
//! results {scores […]}, stats, samples [{id, epoch, input, target, messages, output, scores,
//! metadata, error, total_time, …}]}` (`EvalLog` in `inspect_ai/log/_log.py`).
//!
//! One observation per sample and scorer. The metric is the scorer's name, except that a log
//! whose samples were scored by exactly one scorer records it as `overall` (the harness's own
//! verdict). A score's value is read as Inspect's `value_to_float` reads it: `"C"` passes (1),
//! `"I"` fails (0), `"P"` is 0.5 with no verdict, `"N"` (no answer) fails (0); `"yes"`/`"true"`
//! pass and `"no"`/`"false"` fail (any case); a string of a number, or a number, is a score with
//! no verdict; `true`/`false` pass/fail (1/0). A `NaN` value (`Score.unscored`) and a `null`
//! give no observation, and so do list and dictionary values (several figures in one score:
//! nothing says which is the verdict); any other string is an error (Inspect would count it as
//! 0 with a warning).
//!
//! - dataset: `eval.dataset.name`; case: the sample's `id` (a number as its JSON text);
//! - repeat: `epoch` - 1; latency: `total_time` × 1000 (its seconds as milliseconds);
//! - error: the sample has an `error`; an errored sample with no scores still gives one
//!   `overall` observation with no pass and no score, so the error is counted.
//!
//! A log of any `status` is read (a cancelled or failed run holds the samples it finished); a
//! log without samples is refused. Logs of format versions 1 and 2 are read (a version-1
//! sample's single `score` is its `results.scores[0].name` scorer's).

use super::{Doc, Entries, Help, Kind, Num, RawList, error, path_key};
use crate::evidence::compare::OVERALL;
use crate::evidence::results::{Harness, Observation, ReadError, Results};
use serde::Deserialize;
use serde_json::value::RawValue;

#[derive(Deserialize)]
struct Log<'a> {
    #[serde(borrow)]
    version: Option<&'a RawValue>,
    #[serde(borrow)]
    eval: Option<&'a RawValue>,
    #[serde(borrow)]
    results: Option<&'a RawValue>,
    #[serde(borrow)]
    samples: Option<RawList<'a>>,
}

#[derive(Deserialize)]
struct Spec<'a> {
    #[serde(borrow)]
    dataset: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Named<'a> {
    #[serde(borrow)]
    name: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct EvalResults<'a> {
    #[serde(borrow)]
    scores: Option<Vec<&'a RawValue>>,
}

#[derive(Deserialize)]
struct Sample<'a> {
    #[serde(borrow)]
    id: Option<&'a RawValue>,
    #[serde(borrow)]
    epoch: Option<&'a RawValue>,
    #[serde(borrow)]
    scores: Option<&'a RawValue>,
    #[serde(borrow)]
    score: Option<&'a RawValue>,
    #[serde(borrow)]
    error: Option<&'a RawValue>,
    #[serde(borrow)]
    total_time: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Score<'a> {
    #[serde(borrow)]
    value: Option<&'a RawValue>,
}

const HELP: &str = "write the log as JSON with its samples: `inspect eval TASK --log-format=json` \
(samples are logged unless `--no-log-samples`), or `inspect log convert --to json LOG`";

/// Reads an Inspect evaluation log written as JSON.
pub fn read(text: &str) -> Result<Results, ReadError> {
    if super::is_zip(text.as_bytes()) {
        return Err(super::zip_error());
    }
    let doc = Doc::python(text);
    let body = doc.body();
    let first = doc.first_span();
    if !body.trim_start().starts_with('{') {
        return Err(error(
            "the file is not a JSON object: an Inspect log is one JSON object",
            first,
        )
        .help(HELP));
    }
    let log: Log = serde_json::from_str(body).map_err(|e| doc.json_error(&e, "the log"))?;
    if let Some(v) = log.version
        && !matches!(v.get(), "1" | "2")
    {
        return Err(error(
            format!(
                "version is {}: agentlock reads Inspect logs of versions 1 and 2",
                doc.shown(v)
            ),
            doc.span(v),
        ));
    }
    let Some(eval) = log.eval else {
        return Err(error("the file has no `eval`: it is not an Inspect log", first).help(HELP));
    };
    let spec: Spec = doc.object(eval, "eval")?;
    let dataset = match spec.dataset {
        Some(d) if Kind::of(d) != Kind::Null => {
            let d: Named = doc.object(d, "eval.dataset")?;
            doc.opt_string(d.name, "eval.dataset.name")?
        }
        _ => None,
    };
    let samples = match log.samples {
        Some(RawList::Array(samples)) => samples,
        Some(RawList::Not(kind)) => {
            return Err(error(
                format!("samples is {}, not an array of samples", kind.article()),
                doc.top_span("samples").unwrap_or(first),
            ));
        }
        None => {
            return Err(error(
                "the log holds no samples (it was written without them), so there is nothing to \
                 compare",
                first,
            )
            .help(HELP));
        }
    };
    // The scorer of version-1 samples' single `score`, looked up at the first such sample.
    let mut legacy: Option<Option<String>> = None;
    let mut observations = Vec::with_capacity(samples.len().saturating_mul(2));
    let mut scorers = Scorers::None;
    for (i, raw) in samples.iter().enumerate() {
        let mut legacy_scorer = || {
            legacy
                .get_or_insert_with(|| log.results.and_then(|r| legacy_scorer(&doc, r)))
                .clone()
        };
        sample(
            &doc,
            i,
            raw,
            &dataset,
            &mut legacy_scorer,
            &mut scorers,
            &mut observations,
        )?;
    }
    if let Scorers::One(only) = scorers {
        for o in &mut observations {
            if o.metric == only {
                o.metric = OVERALL.to_string();
            }
        }
    }
    Ok(Results {
        harness: Harness::Inspect,
        observations,
        tests: Vec::new(),
    })
}

/// The scorers that gave observations: whether exactly one did.
enum Scorers {
    None,
    One(String),
    Many,
}

impl Scorers {
    fn saw(&mut self, name: &str) {
        match self {
            Scorers::None => *self = Scorers::One(name.to_string()),
            Scorers::One(n) if n != name => *self = Scorers::Many,
            _ => {}
        }
    }
}

/// The scorer of a version-1 sample's `score`: `results.scores[0].name`.
fn legacy_scorer(doc: &Doc, results: &RawValue) -> Option<String> {
    let r: EvalResults = serde_json::from_str(results.get()).ok()?;
    let first = *r.scores?.first()?;
    let n: Named = serde_json::from_str(first.get()).ok()?;
    doc.opt_string(n.name, "").ok().flatten()
}

fn sample<'a>(
    doc: &Doc<'a>,
    i: usize,
    raw: &'a RawValue,
    dataset: &Option<String>,
    legacy_scorer: &mut dyn FnMut() -> Option<String>,
    scorers: &mut Scorers,
    out: &mut Vec<Observation>,
) -> Result<(), ReadError> {
    let path = format!("samples[{i}]");
    let span = doc.span(raw);
    let s: Sample = doc.object(raw, &path)?;
    let Some(case) = doc.opt_case_id(s.id, &format!("{path}.id"))? else {
        return Err(error(format!("{path} has no `id`"), span));
    };
    let repeat = match doc.opt_count(s.epoch, &format!("{path}.epoch"))? {
        None => 0,
        Some(0) => {
            let at = s.epoch.map_or(span, |e| doc.span(e));
            return Err(error(format!("{path}.epoch is 0: epochs count from 1"), at));
        }
        Some(n) => n - 1,
    };
    let total_time = doc.opt_number(s.total_time, &format!("{path}.total_time"), true)?;
    let latency_ms = super::millis(doc, total_time, s.total_time, &format!("{path}.total_time"))?;
    let errored = s.error.is_some_and(|e| Kind::of(e) != Kind::Null);
    let base = Observation {
        dataset: dataset.clone(),
        case: Some(case),
        input: None,
        metric: String::new(),
        pass: None,
        score: None,
        latency_ms,
        cost_usd: None,
        critical: false,
        repeat,
        error: errored,
        start: span.0,
        end: span.1,
    };
    let mut entries: Vec<(String, &'a RawValue)> = Vec::new();
    match (s.scores.filter(|v| Kind::of(v) != Kind::Null), s.score) {
        (Some(scores), None) => {
            let e: Entries = doc.entries(scores, &format!("{path}.scores"))?;
            entries.extend(e.0.into_iter().map(|(k, v)| (k.into_owned(), v)));
        }
        (None, Some(score)) if Kind::of(score) != Kind::Null => {
            let name = legacy_scorer().unwrap_or_else(|| OVERALL.to_string());
            entries.push((name, score));
        }
        (Some(_), Some(score)) => {
            return Err(error(
                format!("{path} has both `scores` and the old `score`"),
                doc.span(score),
            ));
        }
        _ => {}
    }
    let before = out.len();
    for (name, score) in entries {
        let at = format!("{path}.scores{}", path_key(&name));
        let score: Score = doc.object(score, &at)?;
        let Some(value) = score.value else {
            return Err(error(format!("{at} has no `value`"), span));
        };
        let Some((pass, v)) = value_of(doc, value, &format!("{at}.value"))? else {
            continue;
        };
        scorers.saw(&name);
        out.push(Observation {
            metric: name,
            pass,
            score: Some(v),
            ..base.clone()
        });
    }
    if out.len() == before && errored {
        out.push(Observation {
            metric: OVERALL.to_string(),
            ..base
        });
    }
    Ok(())
}

/// A score value as Inspect's `value_to_float` reads it, with the verdict it states; `None` for
/// the values that give no observation (`NaN`, `null`, lists, dictionaries).
fn value_of(
    doc: &Doc,
    value: &RawValue,
    path: &str,
) -> Result<Option<(Option<bool>, f64)>, ReadError> {
    let verdict = |pass: bool| Some((Some(pass), if pass { 1.0 } else { 0.0 }));
    match Kind::of(value) {
        Kind::Bool => Ok(verdict(value.get() == "true")),
        Kind::Number => match doc.num(value) {
            Num::Finite(v) => Ok(Some((None, v))),
            Num::NaN => Ok(None),
            _ => Err(error(
                format!("{path} is {}, not a finite number", doc.shown(value)),
                doc.span(value),
            )),
        },
        Kind::Null | Kind::Array | Kind::Object => Ok(None),
        Kind::String => {
            let s = super::string(value).unwrap_or_default();
            match &*s {
                "C" => return Ok(verdict(true)),
                "I" | "N" => return Ok(verdict(false)),
                "P" => return Ok(Some((None, 0.5))),
                _ => {}
            }
            let lower = s.to_ascii_lowercase();
            match lower.as_str() {
                "yes" | "true" => return Ok(verdict(true)),
                "no" | "false" => return Ok(verdict(false)),
                _ => {}
            }
            match lower.trim().parse::<f64>() {
                Ok(v) if v.is_finite() && lower.trim().bytes().any(|b| b.is_ascii_digit()) => {
                    Ok(Some((None, v)))
                }
                _ => Err(error(
                    format!(
                        "{path} is {}: agentlock reads C, I, P and N, yes/no, true/false and \
                         numbers",
                        doc.shown(value)
                    ),
                    doc.span(value),
                )
                .help(
                    "Inspect itself counts such a value as 0 (with a warning); score with one of \
                     those values, or report several figures as a dictionary (not read)",
                )),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_fixture() {
        let text = include_str!("../../../tests/fixtures/evidence/eval.json");
        assert_eq!(super::super::detect(text), Some(Harness::Inspect));
        let r = read(text).unwrap();
        let got: Vec<_> = r
            .observations
            .iter()
            .map(|o| {
                (
                    o.case.as_deref().unwrap(),
                    o.metric.as_str(),
                    o.repeat,
                    o.pass,
                    o.score,
                    o.error,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("hp-001", "correctness", 0, Some(true), Some(1.0), false),
                ("hp-001", "helpfulness", 0, None, Some(4.5), false),
                ("hp-001", "correctness", 1, Some(true), Some(1.0), false),
                ("hp-001", "helpfulness", 1, None, Some(4.0), false),
                ("hp-002", "correctness", 0, Some(false), Some(0.0), false),
                ("hp-002", "helpfulness", 0, None, Some(3.0), false),
                ("hp-002", "correctness", 1, None, Some(0.5), false),
                ("hp-003", "correctness", 0, Some(true), Some(1.0), false),
                ("hp-003", "helpfulness", 0, None, Some(4.0), false),
                ("hp-003", "overall", 1, None, None, true),
            ]
        );
        assert!(
            r.observations
                .iter()
                .all(|o| o.dataset.as_deref() == Some("golden_happy_path"))
        );
        assert_eq!(r.observations[0].latency_ms, Some(1840.0));
        let o = &r.observations[9];
        assert!(text[o.start..o.end].contains("RateLimitError"));
    }

    fn log(samples: &str) -> String {
        format!(
            r#"{{
  "version": 2,
  "status": "success",
  "eval": {{"run_id": "r1", "created": "2025-01-01T00:00:00+00:00", "task": "support", "task_id": "t1", "model": "openai/gpt-4o-mini", "dataset": {{"name": "golden_happy_path", "location": "golden_happy_path.jsonl", "samples": 2, "sample_ids": [1, 2]}}, "config": {{}}}},
  "plan": {{"name": "plan", "steps": []}},
  "results": {{"total_samples": 2, "completed_samples": 2, "scores": [{{"name": "match", "scorer": "match", "metrics": {{"accuracy": {{"name": "accuracy", "value": 0.5}}, "stderr": {{"name": "stderr", "value": NaN}}}}}}]}},
  "stats": {{"started_at": "", "completed_at": ""}},
  "samples": [{samples}]
}}"#
        )
    }

    const ONE: &str = r#"{"id": 1, "epoch": 1, "input": "Reset my password?", "target": "Use the link", "messages": [], "output": {"model": "gpt-4o-mini", "choices": []}, "scores": {"match": {"value": "C", "answer": "Use the link", "explanation": "matched"}}, "metadata": {}, "total_time": 1.25}"#;

    #[test]
    fn one_scorer_is_overall() {
        let text = log(&[
            ONE,
            &ONE.replace("\"id\": 1", "\"id\": 2")
                .replace("\"C\"", "\"I\""),
        ]
        .join(", "));
        let r = read(&text).unwrap();
        assert_eq!(r.observations.len(), 2);
        let o = &r.observations[0];
        assert_eq!(o.metric, "overall");
        assert_eq!((o.pass, o.score), (Some(true), Some(1.0)));
        assert_eq!(o.case.as_deref(), Some("1"));
        assert_eq!(o.dataset.as_deref(), Some("golden_happy_path"));
        assert_eq!(o.latency_ms, Some(1250.0));
        assert_eq!(&text[o.start..o.end], ONE);
        assert_eq!(r.observations[1].pass, Some(false));
    }

    #[test]
    fn several_scorers_keep_their_names_and_values_map_like_value_to_float() {
        let s = r#"{"id": "hp-001", "epoch": 3, "scores": {"correctness": {"value": "P"}, "helpfulness": {"value": 4.5}, "refusal": {"value": "N"}, "ok": {"value": false}, "said": {"value": "Yes"}, "num": {"value": "0.25"}, "multi": {"value": {"a": 1}}, "unscored": {"value": NaN}}}"#;
        let r = read(&log(s)).unwrap();
        let got: Vec<_> = r
            .observations
            .iter()
            .map(|o| (o.metric.as_str(), o.pass, o.score, o.repeat))
            .collect();
        assert_eq!(
            got,
            [
                ("correctness", None, Some(0.5), 2),
                ("helpfulness", None, Some(4.5), 2),
                ("refusal", Some(false), Some(0.0), 2),
                ("ok", Some(false), Some(0.0), 2),
                ("said", Some(true), Some(1.0), 2),
                ("num", None, Some(0.25), 2),
            ]
        );
    }

    #[test]
    fn an_errored_sample_counts_and_any_status_is_read() {
        let s = r#"{"id": 2, "epoch": 1, "error": {"message": "rate limited", "traceback": "", "traceback_ansi": ""}}"#;
        let text = log(s).replace("\"success\"", "\"error\"");
        let r = read(&text).unwrap();
        assert_eq!(r.observations.len(), 1);
        let o = &r.observations[0];
        assert!(o.error && o.pass.is_none() && o.score.is_none());
        assert_eq!(o.metric, "overall");
    }

    #[test]
    fn the_old_single_score_belongs_to_the_first_scorer() {
        let s = r#"{"id": 1, "epoch": 1, "score": {"value": "C"}}"#;
        let r = read(&log(s).replace("\"version\": 2", "\"version\": 1")).unwrap();
        assert_eq!(r.observations[0].metric, "overall");
        let two = format!(
            "{s}, {}",
            s.replace(
                "\"score\"",
                "\"scores\": {\"other\": {\"value\": 1}}, \"x\""
            )
        );
        let r = read(&log(&two)).unwrap();
        let metrics: Vec<&str> = r.observations.iter().map(|o| o.metric.as_str()).collect();
        assert_eq!(metrics, ["match", "other"]);
    }

    #[test]
    fn refusals_say_what_to_do() {
        let text = log(ONE);
        let no_samples = text.replace(&format!("\"samples\": [{ONE}]"), "\"reductions\": []");
        let e = read(&no_samples).unwrap_err();
        assert!(e.message.contains("no samples"), "{}", e.message);
        assert!(e.help.unwrap().contains("--log-format=json"));
        let e = read(&text.replace("\"version\": 2", "\"version\": 3")).unwrap_err();
        assert_eq!(
            e.message,
            "version is 3: agentlock reads Inspect logs of versions 1 and 2"
        );
        let e = read(&log(&ONE.replace("\"C\"", "\"B+\""))).unwrap_err();
        assert_eq!(
            e.message,
            "samples[0].scores.match.value is \"B+\": agentlock reads C, I, P and N, yes/no, true/false and numbers"
        );
        let e = read(&log(&ONE.replace("\"epoch\": 1", "\"epoch\": 0"))).unwrap_err();
        assert!(e.message.contains("epochs count from 1"));
        let e = read(&log(&ONE.replace("\"id\": 1, ", ""))).unwrap_err();
        assert_eq!(e.message, "samples[0] has no `id`");
        let e = read(&log(&ONE.replace("1.25", "Infinity"))).unwrap_err();
        assert_eq!(
            e.message,
            "samples[0].total_time is Infinity, not a finite number"
        );
        assert_eq!(&text[..0], "");
    }

    #[test]
    fn fuzz_smoke_on_truncations_and_flips() {
        let text = log(&[ONE, ONE].join(","));
        super::super::fuzz_smoke(&text, 5, 9, b"\"NI-}[");
    }
}
