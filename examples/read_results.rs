//! What agentlock's readers take from eval-harness result files, one line per file: the
//! harness told from the content, and what it read (cases, observations, metrics, passes and
//! fails, scores, the datasets and ids it pairs by), or why it could not read it. Used to judge
//! the readers on public files (`bench/realworld/evidence.py`); it changes nothing.
//!
//!     cargo run --release --example read_results -- FILE…
//!
//! Output: tab-separated `file  harness|error  facts`. Facts are counts only: no name or value
//! from the file is printed (this bypasses agentlock's output sink, which redacts and escapes).

use agentlock::evidence::read;
use agentlock::evidence::results::Outcome;
use std::collections::BTreeSet;

fn main() {
    for path in std::env::args().skip(1) {
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => {
                println!("{path}\terror\tcannot read: {e}");
                continue;
            }
        };
        let Ok(text) = std::str::from_utf8(&bytes) else {
            println!("{path}\terror\tnot UTF-8");
            continue;
        };
        match read::read(text, None) {
            Err(e) => {
                let line = text[..e.start.min(text.len())].matches('\n').count() + 1;
                println!("{path}\terror\tline {line}: {}", e.message.escape_debug());
            }
            Ok(r) => {
                let o = &r.observations;
                let cases: BTreeSet<_> = o
                    .iter()
                    .map(|o| {
                        (
                            o.dataset.clone(),
                            o.case.clone(),
                            o.input.as_ref().map(|i| i.to_string()),
                        )
                    })
                    .collect();
                let metrics: BTreeSet<&str> = o.iter().map(|o| o.metric.as_str()).collect();
                let count = |f: &dyn Fn(&agentlock::evidence::results::Observation) -> bool| {
                    o.iter().filter(|x| f(x)).count()
                };
                let datasets: BTreeSet<Option<&str>> =
                    o.iter().map(|o| o.dataset.as_deref()).collect();
                let tests = |k: Outcome| r.tests.iter().filter(|t| t.outcome == k).count();
                println!(
                    "{path}\t{:?}\tobservations={} cases={} ids={} inputs={} metrics={} pass={} fail={} nopass={} scores={} latency={} cost={} critical={} datasets={} tests={} passed={} failed={} errored={} skipped={}",
                    r.harness,
                    o.len(),
                    cases.len(),
                    count(&|x| x.case.is_some()),
                    count(&|x| x.case.is_none() && x.input.is_some()),
                    metrics.len(),
                    count(&|x| x.pass == Some(true)),
                    count(&|x| x.pass == Some(false)),
                    count(&|x| x.pass.is_none()),
                    count(&|x| x.score.is_some()),
                    count(&|x| x.latency_ms.is_some()),
                    count(&|x| x.cost_usd.is_some()),
                    count(&|x| x.critical),
                    datasets.len(),
                    r.tests.len(),
                    tests(Outcome::Passed),
                    tests(Outcome::Failed),
                    tests(Outcome::Errored),
                    tests(Outcome::Skipped),
                );
            }
        }
    }
}
