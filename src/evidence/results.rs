//! What a results file says, whichever harness wrote it: observations of golden cases and the
//! outcomes of tests. The readers (`read/`) produce it; the store, the comparison and the EVAL
//! rules use nothing else of the file.

/// The harness that wrote a results file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Harness {
    /// `promptfoo eval -o results.json` (OutputFile, results version 3).
    Promptfoo,
    /// Inspect AI's EvalLog written with `--log-format=json`.
    Inspect,
    /// DeepEval's test-run JSON (`.deepeval/.latest_test_run.json`, camelCase).
    Deepeval,
    /// JUnit XML (pytest `--junitxml`, cargo2junit, jest-junit, …).
    Junit,
    /// agentlock's own `agentlock.eval/v1` JSONL: one observation a line.
    Agentlock,
}

impl Harness {
    pub fn as_str(self) -> &'static str {
        match self {
            Harness::Promptfoo => "promptfoo",
            Harness::Inspect => "inspect",
            Harness::Deepeval => "deepeval",
            Harness::Junit => "junit",
            Harness::Agentlock => "agentlock.eval/v1",
        }
    }

    pub fn parse(s: &str) -> Option<Harness> {
        [
            Harness::Promptfoo,
            Harness::Inspect,
            Harness::Deepeval,
            Harness::Junit,
            Harness::Agentlock,
        ]
        .into_iter()
        .find(|h| h.as_str() == s)
    }
}

/// One measurement of one golden case under one metric (one repeat of it).
#[derive(Clone, Debug, PartialEq)]
pub struct Observation {
    /// The golden dataset it belongs to, when the file says (agentlock JSONL `dataset`,
    /// promptfoo `testCase.metadata.dataset`, Inspect `eval.dataset.name`, DeepEval
    /// `additionalMetadata.dataset`); else the one `evidence add --dataset` names.
    pub dataset: Option<String>,
    /// The case's id as the dataset line has it (`id`; promptfoo `testCase.metadata.id`, else
    /// `testCase.vars.id`; Inspect `samples[].id`; DeepEval `additionalMetadata.id`, else
    /// `name`). Numbers are written as their JSON text (`7`, not `7.0`).
    pub case: Option<String>,
    /// The case's input as the file has it, when there is no id: pairing falls back to the hash
    /// of its canonical JSON.
    pub input: Option<serde_json::Value>,
    /// The metric: `overall` for a harness's own verdict (promptfoo `success`/`score`, an
    /// Inspect sample's only scorer), else the scorer's or the named score's name.
    pub metric: String,
    pub pass: Option<bool>,
    pub score: Option<f64>,
    pub latency_ms: Option<f64>,
    pub cost_usd: Option<f64>,
    /// A critical case (agentlock `critical`, promptfoo `testCase.metadata.critical`).
    pub critical: bool,
    /// Which repeat of the case (Inspect `epoch` - 1, promptfoo `repeatIndex`); 0 when once.
    pub repeat: u32,
    /// Whether the harness recorded an error (not a failed assertion) for it: promptfoo
    /// `failureReason == 2`, Inspect a sample `error`.
    pub error: bool,
    /// Byte offsets in the file of the value it was read from (a promptfoo result object, a
    /// JSONL line, an Inspect sample), for findings.
    pub start: usize,
    pub end: usize,
}

/// The outcome of one test case of a test report (JUnit).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    Failed,
    Errored,
    Skipped,
}

/// One test of a test report.
#[derive(Clone, Debug, PartialEq)]
pub struct TestCase {
    /// `classname.name` (or `name` when there is no class name).
    pub name: String,
    /// The suite it ran in.
    pub suite: String,
    pub outcome: Outcome,
    /// The failure's or error's `message` attribute (first line), when there is one.
    pub message: Option<String>,
    /// Byte offsets of the `<testcase` element.
    pub start: usize,
    pub end: usize,
}

/// A results file, read.
#[derive(Clone, Debug, PartialEq)]
pub struct Results {
    pub harness: Harness,
    pub observations: Vec<Observation>,
    pub tests: Vec<TestCase>,
}

/// Why a results file could not be read: what, and where (byte offsets in the file).
#[derive(Clone, Debug, PartialEq)]
pub struct ReadError {
    pub message: String,
    pub start: usize,
    pub end: usize,
    /// How to fix it, when there is something to say.
    pub help: Option<String>,
}
