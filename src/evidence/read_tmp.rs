// TEMPORARY placeholder until the readers land: agentlock.eval/v1 JSONL only.
use super::results::*;
pub fn is_zip(b: &[u8]) -> bool {
    b.starts_with(b"PK")
}
pub fn read(text: &str, _h: Option<Harness>) -> Result<Results, ReadError> {
    let mut obs = Vec::new();
    let mut off = 0;
    for line in text.split('\n') {
        let start = off;
        off += line.len() + 1;
        let t = line.trim();
        if t.is_empty() {
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(t).map_err(|e| ReadError {
            message: format!("not JSON: {e}"),
            start,
            end: start + line.len(),
            help: None,
        })?;
        let s = |k: &str| {
            v.get(k).and_then(|x| match x {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
        };
        obs.push(Observation {
            dataset: s("dataset"),
            case: s("case"),
            input: None,
            metric: s("metric").unwrap_or_default(),
            pass: v.get("pass").and_then(|x| x.as_bool()),
            score: v.get("score").and_then(|x| x.as_f64()),
            latency_ms: v.get("latency_ms").and_then(|x| x.as_f64()),
            cost_usd: v.get("cost_usd").and_then(|x| x.as_f64()),
            critical: v.get("critical").and_then(|x| x.as_bool()).unwrap_or(false),
            repeat: 0,
            error: false,
            start,
            end: start + line.len(),
        });
    }
    Ok(Results {
        harness: Harness::Agentlock,
        observations: obs,
        tests: Vec::new(),
    })
}
