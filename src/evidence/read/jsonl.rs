//! agentlock's own results format, agentlock.eval/v1: JSON Lines, one observation a line.
//!
//! ```text
//! {"schema": "agentlock.eval/v1"}
//! {"dataset": "golden_happy_path", "case": "hp-001", "metric": "correctness", "pass": true, "score": 4.5, "latency_ms": 1800, "cost_usd": 0.02, "critical": false, "repeat": 0}
//! ```
//!
//! `dataset`, `case` (a string, or a number read as its JSON text) and `metric` are required,
//! and at least one of `pass` (a boolean) and `score` (a finite number); `latency_ms` and
//! `cost_usd` (finite, not negative), `critical` (a boolean) and `repeat` (a whole number from
//! 0) are optional. Any other key is an error that names it and the key it most likely means: a
//! misspelt key must not pass silently. Blank lines are skipped; a line `{"schema":
//! "agentlock.eval/v1"}` (the first, or the first of each file concatenated into this one) is
//! skipped, and a line naming another schema is an error. Each observation's offsets are its
//! line's, without the line break; each error's are its line's or the offending value's.

use super::{Doc, Entries, Help, Kind, error, key_shown, next_boundary, offset_of};
use crate::evidence::results::{Harness, Observation, ReadError, Results};
use serde_json::value::RawValue;

/// The schema a first line may name.
pub const SCHEMA: &str = "agentlock.eval/v1";

/// The keys of an observation line.
const KEYS: &[&str] = &[
    "dataset",
    "case",
    "metric",
    "pass",
    "score",
    "latency_ms",
    "cost_usd",
    "critical",
    "repeat",
];

/// Reads agentlock.eval/v1 JSONL.
pub fn read(text: &str) -> Result<Results, ReadError> {
    let doc = Doc::strict(text);
    let mut observations = Vec::new();
    let mut start = doc.bom();
    let mut n = 0usize;
    while let Some(rest) = text.get(start..).filter(|r| !r.is_empty()) {
        n += 1;
        let (raw_line, next) = match memchr::memchr(b'\n', rest.as_bytes()) {
            Some(i) => (rest.get(..i).unwrap_or(""), start + i + 1),
            None => (rest, text.len()),
        };
        let line = raw_line.strip_suffix('\r').unwrap_or(raw_line);
        let line_start = start;
        start = next;
        if line.trim().is_empty() {
            continue;
        }
        if let Some(o) = one(&doc, n, line_start, line)? {
            observations.push(o);
        }
    }
    Ok(Results {
        harness: Harness::Agentlock,
        observations,
        tests: Vec::new(),
    })
}

fn one(
    doc: &Doc,
    n: usize,
    line_start: usize,
    line: &str,
) -> Result<Option<Observation>, ReadError> {
    let span = (line_start, line_start + line.len());
    let lead = line.len() - line.trim_start().len();
    if !line.trim_start().starts_with('{') {
        let at = line_start + lead;
        return Err(error(
            format!(
                "line {n} is not a JSON object: each line of agentlock.eval/v1 is one observation"
            ),
            (at, next_boundary(doc.text(), at)),
        )
        .help(super::JSONL_HELP));
    }
    let entries: Entries = match serde_json::from_str(line) {
        Ok(e) => e,
        Err(e) => {
            let at = line_start + offset_of(line, e.line(), e.column());
            let what = if e.classify() == serde_json::error::Category::Eof {
                format!("line {n} ends before its JSON object does")
            } else {
                format!("line {n} is not valid JSON: {}", super::serde_message(&e))
            };
            return Err(error(what, (at, next_boundary(doc.text(), at))));
        }
    };
    let key_span = |key: &str| match line.find(&format!("\"{key}\"")) {
        Some(i) => (line_start + i, line_start + i + key.len() + 2),
        None => span,
    };
    let mut fields: [Option<&RawValue>; 9] = [None; 9];
    let mut schema = None;
    for (key, value) in &entries.0 {
        if key == "schema" {
            schema = Some(*value);
            continue;
        }
        let Some(k) = KEYS.iter().position(|k| k == key) else {
            let mut message = format!(
                "line {n}: {} is not a key of agentlock.eval/v1",
                key_shown(key)
            );
            let near = (key.len() <= 64)
                .then(|| crate::suggest::did_you_mean(key, KEYS.iter().copied()))
                .flatten();
            if let Some(near) = near {
                message.push_str(&format!("; did you mean `{near}`?"));
            }
            return Err(
                error(message, key_span(key)).help(format!("the keys are {}", KEYS.join(", ")))
            );
        };
        if fields.get(k).is_some_and(Option::is_some) {
            return Err(error(format!("line {n} has `{key}` twice"), key_span(key)));
        }
        if let Some(slot) = fields.get_mut(k) {
            *slot = Some(*value);
        }
    }
    if let Some(s) = schema {
        if Kind::of(s) != Kind::String || super::string(s).as_deref() != Some(SCHEMA) {
            return Err(error(
                format!(
                    "line {n} names the schema {}: agentlock reads {SCHEMA}",
                    doc.shown(s)
                ),
                doc.span(s),
            )
            .help(format!(
                "write {{\"schema\": \"{SCHEMA}\"}}, or no schema line"
            )));
        }
        if entries.0.len() > 1 {
            return Err(error(
                format!("line {n}: `schema` goes on a line of its own, before the observations"),
                key_span("schema"),
            ));
        }
        return Ok(None);
    }
    let [
        dataset,
        case,
        metric,
        pass,
        score,
        latency,
        cost,
        critical,
        repeat,
    ] = fields;
    let at = |key: &str| format!("line {n}: `{key}`");
    fn required<'r>(
        v: Option<&'r RawValue>,
        n: usize,
        key: &str,
        span: (usize, usize),
    ) -> Result<&'r RawValue, ReadError> {
        v.ok_or_else(|| {
            error(format!("line {n} has no `{key}`"), span)
                .help("each observation names its `dataset`, `case` and `metric`")
        })
    }
    let name = |v: &RawValue, key: &str| -> Result<String, ReadError> {
        match doc.opt_string(Some(v), &at(key))? {
            Some(s) if !s.is_empty() => Ok(s),
            _ => Err(doc.not_a_kind(v, &at(key), "a non-empty string")),
        }
    };
    let dataset = name(required(dataset, n, "dataset", span)?, "dataset")?;
    let case_raw = required(case, n, "case", span)?;
    let case = match doc.opt_case_id(Some(case_raw), &at("case"))? {
        Some(c) if !c.is_empty() => c,
        _ => return Err(doc.not_a_kind(case_raw, &at("case"), "a non-empty string or a number")),
    };
    let metric = name(required(metric, n, "metric", span)?, "metric")?;
    let pass = match pass {
        Some(p) if Kind::of(p) != Kind::Bool => {
            return Err(doc.not_a(p, &at("pass"), "true or false"));
        }
        p => doc.opt_bool(p, &at("pass"))?,
    };
    let number = |v: Option<&RawValue>, key: &str| -> Result<Option<f64>, ReadError> {
        match v {
            Some(r) if Kind::of(r) == Kind::Null => Err(doc.not_a(r, &at(key), "a number")),
            v => doc.opt_number(v, &at(key), false),
        }
    };
    let score = number(score, "score")?;
    if pass.is_none() && score.is_none() {
        return Err(
            error(format!("line {n} has neither `pass` nor `score`"), span)
                .help("an observation states a verdict (`pass`), a `score`, or both"),
        );
    }
    let not_negative = |v: Option<&RawValue>, key: &str| -> Result<Option<f64>, ReadError> {
        let x = number(v, key)?;
        match (x, v) {
            (Some(x), Some(r)) if x < 0.0 => {
                Err(error(format!("{} is negative", at(key)), doc.span(r)))
            }
            _ => Ok(x),
        }
    };
    let latency_ms = not_negative(latency, "latency_ms")?;
    let cost_usd = not_negative(cost, "cost_usd")?;
    let critical = match critical {
        Some(c) if Kind::of(c) != Kind::Bool => {
            return Err(doc.not_a(c, &at("critical"), "true or false"));
        }
        c => doc.opt_bool(c, &at("critical"))?.unwrap_or(false),
    };
    let repeat = match repeat {
        Some(r) if Kind::of(r) == Kind::Null => {
            return Err(doc.not_a(r, &at("repeat"), "a whole number from 0"));
        }
        r => doc.opt_count(r, &at("repeat"))?.unwrap_or(0),
    };
    Ok(Some(Observation {
        dataset: Some(dataset),
        case: Some(case),
        input: None,
        metric,
        pass,
        score,
        latency_ms,
        cost_usd,
        critical,
        repeat,
        error: false,
        start: span.0,
        end: span.1,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_fixture() {
        let text = include_str!("../../../tests/fixtures/evidence/results.jsonl");
        assert_eq!(super::super::detect(text), Some(Harness::Agentlock));
        let r = read(text).unwrap();
        assert_eq!(r.observations.len(), 7);
        assert_eq!(r.observations[4].repeat, 1);
        assert_eq!(r.observations[5].case.as_deref(), Some("1"));
        assert_eq!(r.observations[6].score, None);
        for o in &r.observations {
            assert!(text[o.start..o.end].starts_with('{') && text[o.start..o.end].ends_with('}'));
        }
    }

    const LINE: &str = r#"{"dataset": "golden_happy_path", "case": "hp-001", "metric": "correctness", "pass": true, "score": 4.5, "latency_ms": 1800, "cost_usd": 0.02, "critical": false, "repeat": 0}"#;

    #[test]
    fn lines_are_observations() {
        let text = format!(
            "{{\"schema\": \"agentlock.eval/v1\"}}\n{LINE}\r\n\n  \n{{\"dataset\": \"golden_edge_cases\", \"case\": 3, \"metric\": \"helpfulness\", \"score\": 2, \"critical\": true, \"repeat\": 2}}"
        );
        let r = read(&text).unwrap();
        assert_eq!(r.harness, Harness::Agentlock);
        assert_eq!(r.observations.len(), 2);
        let o = &r.observations[0];
        assert_eq!(&text[o.start..o.end], LINE);
        assert_eq!(o.case.as_deref(), Some("hp-001"));
        assert_eq!(
            (o.pass, o.score, o.latency_ms, o.cost_usd),
            (Some(true), Some(4.5), Some(1800.0), Some(0.02))
        );
        let o = &r.observations[1];
        assert_eq!(o.case.as_deref(), Some("3"));
        assert!(o.critical);
        assert_eq!(o.repeat, 2);
        assert_eq!(o.pass, None);
        assert!(read("").unwrap().observations.is_empty());
    }

    #[test]
    fn a_misspelt_key_is_named_with_the_likely_one() {
        let text = format!("{LINE}\n{}", LINE.replace("\"pass\"", "\"pas\""));
        let e = read(&text).unwrap_err();
        assert_eq!(
            e.message,
            "line 2: `pas` is not a key of agentlock.eval/v1; did you mean `pass`?"
        );
        assert_eq!(&text[e.start..e.end], "\"pas\"");
        let e = read(&LINE.replace("\"critical\"", "\"zzzzzz\"")).unwrap_err();
        assert_eq!(
            e.message,
            "line 1: `zzzzzz` is not a key of agentlock.eval/v1"
        );
        let e = read(&LINE.replace("\"repeat\": 0", "\"score\": 1")).unwrap_err();
        assert_eq!(e.message, "line 1 has `score` twice");
    }

    #[test]
    fn each_error_points_at_its_line() {
        let cases = [
            (
                LINE.replace("\"score\": 4.5", "\"score\": \"high\""),
                "line 2: `score` is \"high\", not a number",
                "\"high\"",
            ),
            (
                LINE.replace("\"case\": \"hp-001\", ", ""),
                "line 2 has no `case`",
                LINE_NO_CASE,
            ),
            (
                LINE.replace(", \"pass\": true, \"score\": 4.5", ""),
                "line 2 has neither `pass` nor `score`",
                "",
            ),
            (
                LINE.replace("1800", "-1"),
                "line 2: `latency_ms` is negative",
                "-1",
            ),
            (
                LINE.replace("\"repeat\": 0", "\"repeat\": 1.5"),
                "line 2: `repeat` is 1.5, not a whole number from 0",
                "1.5",
            ),
            (
                LINE.replace("\"hp-001\"", "{\"secret\": \"private value\"}"),
                "line 2: `case` is an object, not a string or a number",
                "",
            ),
            (
                LINE.replace("\"pass\": true", "\"pass\": \"yes\""),
                "line 2: `pass` is \"yes\", not true or false",
                "\"yes\"",
            ),
            (
                "{\"schema\": \"agentlock.eval/v2\"}".to_string(),
                "line 2 names the schema \"agentlock.eval/v2\": agentlock reads agentlock.eval/v1",
                "\"agentlock.eval/v2\"",
            ),
            (
                "[1, 2]".to_string(),
                "line 2 is not a JSON object: each line of agentlock.eval/v1 is one observation",
                "[",
            ),
            (
                "{\"dataset\": ".to_string(),
                "line 2 ends before its JSON object does",
                "",
            ),
        ];
        for (bad, message, at) in cases {
            let text = format!("{LINE}\n{bad}\n{LINE}");
            let e = read(&text).unwrap_err();
            assert_eq!(e.message, message);
            assert!(
                e.start > LINE.len() && e.end <= LINE.len() + 1 + bad.len(),
                "{message}: {}..{}",
                e.start,
                e.end
            );
            if !at.is_empty() {
                assert_eq!(&text[e.start..e.end], at, "{message}");
            }
        }
    }

    const LINE_NO_CASE: &str = r#"{"dataset": "golden_happy_path", "metric": "correctness", "pass": true, "score": 4.5, "latency_ms": 1800, "cost_usd": 0.02, "critical": false, "repeat": 0}"#;

    #[test]
    fn values_are_never_quoted_at_length() {
        let long = "x".repeat(60);
        let e =
            read(&LINE.replace("\"score\": 4.5", &format!("\"score\": \"{long}\""))).unwrap_err();
        assert_eq!(e.message, "line 1: `score` is a string, not a number");
        let e = read(&LINE.replace("\"critical\"", &format!("\"{long}\""))).unwrap_err();
        assert_eq!(e.message, "line 1: a key is not a key of agentlock.eval/v1");
    }

    #[test]
    fn fuzz_smoke_on_truncations_and_flips() {
        let text = format!("{{\"schema\": \"agentlock.eval/v1\"}}\n{LINE}\n{LINE}\n");
        super::super::fuzz_smoke(&text, 1, 3, b"\"\n{-}x");
    }
}
