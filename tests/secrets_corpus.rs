//! The secret scanner against its labelled corpus (tests/fixtures/secrets, written by
//! generate.py): every planted FAKE token is found, by the right detector, on the right line,
//! with the exact secret bytes (compared by fingerprint), and nothing else is reported.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use agentlock::secrets::{self, DETECTORS};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/secrets")
}

/// (file, line, detector, fingerprint)
type Label = (String, usize, String, String);

fn labels() -> BTreeSet<Label> {
    let text = std::fs::read_to_string(corpus().join("labels.tsv")).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 4, "bad label line {l:?}");
            (
                f[0].to_string(),
                f[1].parse().unwrap(),
                f[2].to_string(),
                f[3].to_string(),
            )
        })
        .collect()
}

fn corpus_files() -> Vec<String> {
    let mut files = Vec::new();
    for sub in ["positives", "negatives"] {
        for e in std::fs::read_dir(corpus().join(sub)).unwrap() {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            files.push(format!("{sub}/{name}"));
        }
    }
    files.sort();
    files
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

#[test]
fn corpus_recall_is_complete_and_nothing_else_is_reported() {
    let want = labels();
    let mut got: BTreeSet<Label> = BTreeSet::new();
    for file in corpus_files() {
        let text = std::fs::read_to_string(corpus().join(&file)).unwrap();
        let hits = secrets::scan(&text);
        for w in hits.windows(2) {
            assert!(
                w[0].secret.end <= w[1].secret.start,
                "{file}: overlapping hits"
            );
        }
        for hit in hits {
            let secret = &text[hit.secret.clone()];
            got.insert((
                file.clone(),
                line_of(&text, hit.secret.start),
                hit.detector.id.to_string(),
                secrets::fingerprint(secret),
            ));
        }
    }

    // Per detector: labels, found, false positives (a hit whose file, line, detector and
    // fingerprint match no label).
    let mut table: BTreeMap<&str, (usize, usize, usize)> =
        DETECTORS.iter().map(|d| (d.id, (0, 0, 0))).collect();
    for l in &want {
        let row = table.get_mut(l.2.as_str()).expect("label names a detector");
        row.0 += 1;
        if got.contains(l) {
            row.1 += 1;
        }
    }
    let false_positives: Vec<&Label> = got.iter().filter(|h| !want.contains(*h)).collect();
    for h in &false_positives {
        table.get_mut(h.2.as_str()).unwrap().2 += 1;
    }
    println!(
        "{:<32} {:>6} {:>6} {:>8} {:>4}",
        "detector", "labels", "found", "recall", "fp"
    );
    for d in DETECTORS {
        let (n, found, fp) = table[d.id];
        let recall = if n == 0 {
            0.0
        } else {
            100.0 * found as f64 / n as f64
        };
        println!("{:<32} {n:>6} {found:>6} {recall:>7.1}% {fp:>4}", d.id);
    }
    let missed: Vec<&Label> = want.iter().filter(|l| !got.contains(*l)).collect();
    // Fingerprints only: the corpus tokens are fake, but the habit is never to print one.
    for m in &missed {
        println!("MISSED  {}:{} {} {}", m.0, m.1, m.2, m.3);
    }
    for h in &false_positives {
        println!("FALSE+  {}:{} {} {}", h.0, h.1, h.2, h.3);
    }
    assert!(
        missed.is_empty() && false_positives.is_empty(),
        "{} missed, {} false positives",
        missed.len(),
        false_positives.len()
    );
}

#[test]
fn every_detector_has_at_least_two_labelled_contexts() {
    let want = labels();
    for d in DETECTORS {
        let n = want.iter().filter(|l| l.2 == d.id).count();
        assert!(n >= 2, "{} has {n} labelled lines", d.id);
    }
}

#[test]
fn corpus_directory_is_not_a_fixture_repository() {
    assert!(!corpus().join("agentlock.toml").exists());
}

/// Masking the corpus leaves nothing for the scanner to find, and keeps every byte offset.
#[test]
fn masked_corpus_is_clean() {
    for file in corpus_files() {
        let text = std::fs::read_to_string(corpus().join(&file)).unwrap();
        let masked = secrets::mask(&text);
        assert_eq!(masked.len(), text.len(), "{file}");
        assert_eq!(masked.lines().count(), text.lines().count(), "{file}");
        assert!(secrets::scan(&masked).is_empty(), "{file}");
    }
}

/// Not a benchmark (DESIGN §6): prints the scan rate over ~4 MB of clean text, asserts nothing.
/// `cargo test --test secrets_corpus -- --ignored --nocapture`
#[test]
#[ignore]
fn clean_text_scan_rate() {
    let paragraph = "You are the billing agent. Answer questions about invoices in a calm, \
        precise tone. Use the lookup_invoice tool before quoting any amount, and cite the \
        invoice number. If the customer asks for a refund above the limit, hand the \
        conversation to the escalation agent with a short summary of the case.\n";
    let text = paragraph.repeat(4 * 1024 * 1024 / paragraph.len());
    let _ = secrets::scan("warm up");
    let start = std::time::Instant::now();
    let hits = secrets::scan(&text);
    let elapsed = start.elapsed();
    let mb = text.len() as f64 / 1e6;
    println!(
        "clean text: {mb:.1} MB in {elapsed:?} ({:.0} MB/s), {} hits",
        mb / elapsed.as_secs_f64(),
        hits.len()
    );
    let keywordy = "max_tokens: 4096\ntokenizer: cl100k\npassword_policy: strict\n".repeat(40_000);
    let start = std::time::Instant::now();
    let hits = secrets::scan(&keywordy);
    let elapsed = start.elapsed();
    let mb = keywordy.len() as f64 / 1e6;
    println!(
        "keyword-dense text: {mb:.1} MB in {elapsed:?} ({:.0} MB/s), {} hits",
        mb / elapsed.as_secs_f64(),
        hits.len()
    );
}
