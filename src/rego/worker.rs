//! Rego rules run in a child process: a policy is code a pull request can change, and no rule it
//! holds can take agentlock down.
//!
//! In the process a rule could: a built-in that allocates what its argument says
//! (`numbers.range(1, 4000000000)` asks for 96 GB at once, and the failed allocation aborts the
//! process, or, where the system grants it, fills memory for minutes without once checking the
//! time limit), a comprehension that grows until the machine swaps, a bug in the interpreter.
//! Every rule of a run is therefore evaluated by one worker, `agentlock` started again with
//! [`ARG`], which
//!
//! - caps its own memory ([`memory_limit`], `RLIMIT_AS` where there is one), so an allocation
//!   past the cap fails in the worker and the machine is never exhausted;
//! - is killed when a rule runs [`GRACE`] past regorus's own time limit, which a built-in
//!   looping inside itself never reaches;
//! - is killed when the rules of the run together have taken the run's time budget
//!   ([`super::BUDGET`], [`Evaluator::with_budget`]): a rule's limit bounds one rule, and a
//!   thousand rules that each loop to it would hold the run for hours. The rules not finished
//!   then are not run;
//! - tells the parent each rule it begins and each it finishes, so a worker that dies names
//!   its rule: the one rule still running, or, when several were, the one that dies again when
//!   the rest are run again one at a time in a new worker.
//!
//! A rule that cannot finish is a [`Failure`] of that rule, a POL002 finding at its head; every
//! other rule is evaluated and reported. The worker reads nothing but what the parent sends it:
//! the texts of the policy files and the input document.

use regorus::Value;
use serde::{Deserialize, Serialize};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The first argument that makes `agentlock` a worker (hidden: not a command).
pub const ARG: &str = "__agentlock-rego-worker";

/// How long past regorus's time limit a rule may run before its worker is killed.
pub const GRACE: Duration = Duration::from_secs(5);

/// The memory a worker may map: 4 GiB, or 64 bytes per byte of the input document when that is
/// more (a regorus value is a tree of reference-counted nodes: the large benchmark's 5.6 MB
/// document, with its 20 policies evaluated, peaks at 92 MB resident).
pub fn memory_limit(input_bytes: usize) -> u64 {
    (4u64 << 30).max(64 * input_bytes as u64)
}

static EXE: OnceLock<PathBuf> = OnceLock::new();

/// Rules evaluated in this process, through the same engines, events and reading back: for the
/// fuzz targets only, where a crash of the interpreter is the fuzzer's to find (and a worker
/// would be the fuzz binary itself).
static HERE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// See [`HERE`].
pub fn evaluate_here_for_fuzzing() {
    HERE.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// For the fuzzer: whether each of `jobs` has the same outcome when the worker is sent only
/// the sections of `input` that `files` read ([`super::reads`]) as when it is sent all of it.
pub fn same_outcomes_with_the_whole_input_for_fuzzing(
    files: &[File],
    input: &Value,
    jobs: &[Job],
) -> bool {
    let pruned = Evaluator::new(files, input);
    let mut whole = Evaluator::new(files, input);
    whole.setup = setup_text(files, input, None);
    let outcome = |e: &Evaluator| -> Vec<String> {
        e.run_here(jobs)
            .into_iter()
            .map(|(o, _)| format!("{o:?}"))
            .collect()
    };
    outcome(&pruned) == outcome(&whole)
}

/// The executable to start as the worker: this process's own, unless a library user (a test
/// harness) names the `agentlock` binary first.
pub fn use_executable(path: impl Into<PathBuf>) {
    let _ = EXE.set(path.into());
}

fn executable() -> std::io::Result<PathBuf> {
    match EXE.get() {
        Some(p) => Ok(p.clone()),
        None => std::env::current_exe(),
    }
}

/// A policy file as the worker compiles it.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct File {
    pub path: String,
    pub text: String,
    pub v0: bool,
    pub package: Option<String>,
}

/// One rule to evaluate: `data.<package>.<rule>`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Job {
    pub package: String,
    pub rule: String,
}

/// Why a rule gave no value.
#[derive(Clone, Debug, PartialEq)]
pub enum Failure {
    /// regorus's error (a failed built-in, its own time limit).
    Error(String),
    /// Ran [`GRACE`] past the time limit and was stopped.
    TooLong,
    /// Asked for more memory than the worker may have.
    OutOfMemory(u64),
    /// The worker ended while it ran, or never started: why.
    Crashed(String),
    /// Not finished when the run's time budget (`budget`) was spent: never begun, or stopped
    /// unfinished after running `ran`. `slowest`: the rules that had taken longest by then,
    /// slowest first (three at most).
    OverBudget {
        budget: Duration,
        ran: Option<Duration>,
        slowest: Vec<(Job, Duration)>,
    },
}

/// A rule's value (`Undefined` when it produced none) and how long it took.
pub type Outcome = (Result<Value, Failure>, Duration);

/// The first line the worker reads; then one line per section of the input document
/// (`[key, value]`), written and read in parallel.
#[derive(Serialize, Deserialize)]
struct Setup {
    files: Vec<File>,
    sections: usize,
}

#[derive(Serialize, Deserialize)]
struct Batch {
    serial: bool,
    jobs: Vec<Job>,
}

#[derive(Serialize, Deserialize, Debug)]
#[serde(rename_all = "snake_case")]
enum Event {
    Ready,
    /// Instead of `Ready` or a batch's events: what the worker could not read.
    Refused(String),
    Begin(usize),
    Value {
        job: usize,
        value: Value,
        micros: u64,
    },
    Undefined {
        job: usize,
        micros: u64,
    },
    Error {
        job: usize,
        message: String,
        micros: u64,
    },
    End,
}

/// Evaluates rules of one set of policy files over one input, in workers.
pub struct Evaluator {
    setup: String,
    limit: u64,
    running: Option<Running>,
    /// One rule at a time: after a worker died while several ran.
    serial: bool,
    /// How long the rules of every batch may take together, from the first batch on
    /// (`deadline`).
    budget: Duration,
    deadline: Option<Instant>,
    /// How long each rule that ran took (finished, failed or stopped): who spent the budget.
    spent: Vec<(Job, Duration)>,
}

struct Running {
    child: Child,
    stdin: ChildStdin,
    events: Receiver<Option<Event>>,
    stderr: std::thread::JoinHandle<String>,
}

impl Evaluator {
    pub fn new(files: &[File], input: &Value) -> Evaluator {
        let texts: Vec<&str> = files.iter().map(|f| f.text.as_str()).collect();
        let read = super::reads::sections(&texts);
        let setup = setup_text(files, input, read.as_ref());
        let limit = memory_limit(setup.len());
        Evaluator {
            setup,
            limit,
            running: None,
            serial: false,
            budget: super::BUDGET,
            deadline: None,
            spent: Vec::new(),
        }
    }

    /// The same, with another time budget for all its rules together than [`super::BUDGET`]
    /// (a test's few seconds).
    pub fn with_budget(mut self, budget: Duration) -> Evaluator {
        self.budget = budget;
        self
    }

    /// The rules that took longest so far, slowest first (those of less than 50 ms spent
    /// none of the budget worth naming).
    fn slowest(&self) -> Vec<(Job, Duration)> {
        let mut all = self.spent.clone();
        all.retain(|(_, took)| *took >= Duration::from_millis(50));
        all.sort_by_key(|(_, took)| std::cmp::Reverse(*took));
        all.truncate(3);
        all
    }

    /// The outcome of each job, in order.
    pub fn run(&mut self, jobs: &[Job]) -> Vec<Outcome> {
        if jobs.is_empty() {
            return Vec::new();
        }
        if HERE.load(std::sync::atomic::Ordering::Relaxed) {
            return self.run_here(jobs);
        }
        let deadline = *self
            .deadline
            .get_or_insert_with(|| Instant::now() + self.budget);
        let mut out: Vec<Option<Outcome>> = vec![None; jobs.len()];
        let mut pending: Vec<usize> = (0..jobs.len()).collect();
        // Once the budget is spent: the rules then running, and how long they had run.
        let mut over: Option<Vec<(usize, Duration)>> = None;
        while !pending.is_empty() {
            if Instant::now() >= deadline {
                over.get_or_insert_with(Vec::new);
                break;
            }
            let running = match self.running.take() {
                Some(r) => Ok(r),
                None => self.start(deadline),
            };
            let mut running = match running {
                Ok(r) => r,
                Err(_) if Instant::now() >= deadline => {
                    over = Some(Vec::new());
                    break;
                }
                Err(why) => {
                    for &i in &pending {
                        out[i] = Some((Err(Failure::Crashed(why.clone())), Duration::ZERO));
                    }
                    break;
                }
            };
            let batch = Batch {
                serial: self.serial,
                jobs: pending.iter().map(|&i| jobs[i].clone()).collect(),
            };
            let sent = serde_json::to_writer(&mut running.stdin, &batch).is_ok()
                && running.stdin.write_all(b"\n").is_ok()
                && running.stdin.flush().is_ok();
            let watched = if sent {
                watch(
                    &running.events,
                    &pending,
                    &mut out,
                    super::TIME_LIMIT + GRACE,
                    deadline,
                )
            } else {
                Watched::Died(Vec::new(), None)
            };
            // Unless the batch ended, the worker died or is killed: what ran then is the cause.
            let (failure, suspects) = match watched {
                Watched::Ended => {
                    self.running = Some(running);
                    break;
                }
                Watched::OverBudget(ran) => {
                    running.stop();
                    over = Some(ran.into_iter().map(|(j, d)| (pending[j], d)).collect());
                    break;
                }
                Watched::Late(late) => {
                    running.stop();
                    (Failure::TooLong, late)
                }
                Watched::Died(begun, Some(why)) => {
                    running.stop();
                    (Failure::Crashed(why), begun)
                }
                Watched::Died(begun, None) => {
                    let ended = running.stop();
                    if ended.contains("memory allocation of") {
                        (Failure::OutOfMemory(self.limit), begun)
                    } else {
                        (Failure::Crashed(ended), begun)
                    }
                }
            };
            let blamed: Vec<usize> = match suspects.len() {
                // Before any rule began (the worker could not read its input): all of them.
                0 => (0..pending.len()).collect(),
                1 => suspects,
                // Several: the rest again, one at a time, names the one.
                _ if failure != Failure::TooLong => {
                    self.serial = true;
                    Vec::new()
                }
                _ => suspects,
            };
            // (A rule stopped for its time ran that long: the budget counts it.)
            let took = match failure {
                Failure::TooLong => super::TIME_LIMIT + GRACE,
                _ => Duration::ZERO,
            };
            for &j in &blamed {
                out[pending[j]] = Some((Err(failure.clone()), took));
            }
            pending.retain(|&i| out[i].is_none());
        }
        for (i, o) in out.iter().enumerate() {
            if let Some((_, took)) = o
                && !took.is_zero()
            {
                self.spent.push((jobs[i].clone(), *took));
            }
        }
        if let Some(stopped) = over {
            self.spent
                .extend(stopped.iter().map(|&(i, d)| (jobs[i].clone(), d)));
            let slowest = self.slowest();
            for (i, o) in out.iter_mut().enumerate() {
                if o.is_none() {
                    let ran = stopped.iter().find(|(j, _)| *j == i).map(|(_, d)| *d);
                    let failure = Failure::OverBudget {
                        budget: self.budget,
                        ran,
                        slowest: slowest.clone(),
                    };
                    *o = Some((Err(failure), ran.unwrap_or_default()));
                }
            }
        }
        out.into_iter()
            .map(|o| o.unwrap_or((Ok(Value::Undefined), Duration::ZERO)))
            .collect()
    }
}

/// The largest event (a rule's value) read back from a worker: a rule may build a value as
/// large as the worker's memory, which agentlock's own process must not take in whole.
pub const VALUE_LIMIT: u64 = 256 << 20;

/// Sends each event a worker writes, one a line; a line longer than `limit`, or one that is
/// not an event (a value nested deeper than serde_json reads), is the worker's end, said as
/// `Refused`.
fn read_events(from: impl Read, tx: &mpsc::Sender<Option<Event>>, limit: u64) {
    let mut from = BufReader::new(from);
    let mut line = Vec::new();
    loop {
        line.clear();
        let read = (&mut from).take(limit + 1).read_until(b'\n', &mut line);
        let event = match read {
            Ok(0) | Err(_) => None,
            Ok(_) if line.len() as u64 > limit => Some(Event::Refused(format!(
                "its value is larger than the {} MiB agentlock reads back",
                limit >> 20
            ))),
            Ok(_) => Some(serde_json::from_slice::<Event>(&line).unwrap_or_else(|e| {
                Event::Refused(format!("what it wrote could not be read back ({e})"))
            })),
        };
        let last = matches!(event, None | Some(Event::Refused(_)));
        if tx.send(event).is_err() || last {
            return;
        }
    }
}

/// How a batch ended.
#[derive(Debug, PartialEq)]
enum Watched {
    /// Every rule's event was read.
    Ended,
    /// The worker died (or said why it stops) with these rules begun and not finished.
    Died(Vec<usize>, Option<String>),
    /// These rules ran past the limit; the worker still runs.
    Late(Vec<usize>),
    /// The run's time budget is spent, with these rules running for so long; the worker still
    /// runs.
    OverBudget(Vec<(usize, Duration)>),
}

/// Reads a worker's events for one batch into `out` until it ends the batch, dies, runs a
/// rule longer than `limit`, or `deadline` (the end of the run's budget) passes.
fn watch(
    events: &Receiver<Option<Event>>,
    pending: &[usize],
    out: &mut [Option<Outcome>],
    limit: Duration,
    deadline: Instant,
) -> Watched {
    let mut begun: Vec<(usize, Instant)> = Vec::new();
    let started = |begun: &[(usize, Instant)]| begun.iter().map(|(j, _)| *j).collect();
    let running = |begun: &[(usize, Instant)], now: Instant| {
        let ran = begun
            .iter()
            .map(|(j, t)| (*j, now.saturating_duration_since(*t)));
        Watched::OverBudget(ran.collect())
    };
    loop {
        let now = Instant::now();
        let wait = begun
            .iter()
            .map(|(_, t)| (*t + limit).saturating_duration_since(now))
            .min()
            .unwrap_or(limit)
            .min(deadline.saturating_duration_since(now));
        let event = match events.recv_timeout(wait) {
            Ok(Some(e)) => e,
            Ok(None) | Err(RecvTimeoutError::Disconnected) => {
                return Watched::Died(started(&begun), None);
            }
            Err(RecvTimeoutError::Timeout) => {
                let now = Instant::now();
                let late: Vec<usize> = begun
                    .iter()
                    .filter(|(_, t)| now >= *t + limit)
                    .map(|(j, _)| *j)
                    .collect();
                if !late.is_empty() {
                    return Watched::Late(late);
                }
                if now >= deadline {
                    return running(&begun, now);
                }
                if begun.is_empty() {
                    return Watched::Died(Vec::new(), None);
                }
                continue;
            }
        };
        let (j, result, micros) = match event {
            Event::Begin(j) => {
                let now = Instant::now();
                // (Checked here too: events of fast rules may never leave the wait idle.)
                if now >= deadline {
                    return running(&begun, now);
                }
                begun.push((j, now));
                continue;
            }
            Event::End => return Watched::Ended,
            Event::Ready => continue,
            // (From the worker, only before a batch; from `read_events`, a value too large.)
            Event::Refused(why) => return Watched::Died(started(&begun), Some(why)),
            Event::Value { job, value, micros } => (job, Ok(value), micros),
            Event::Undefined { job, micros } => (job, Ok(Value::Undefined), micros),
            Event::Error {
                job,
                message,
                micros,
            } => (job, Err(Failure::Error(message)), micros),
        };
        let Some(&i) = pending.get(j) else {
            return Watched::Died(started(&begun), None);
        };
        begun.retain(|(b, _)| *b != j);
        out[i] = Some((result, Duration::from_micros(micros)));
    }
}

impl Evaluator {
    /// [`Evaluator::run`] in this process (see [`HERE`]): what the worker would read, its
    /// engines, and its events read back as from a pipe.
    fn run_here(&self, jobs: &[Job]) -> Vec<Outcome> {
        let mut lines = self.setup.lines();
        let setup: Option<Setup> = lines.next().and_then(|l| serde_json::from_str(l).ok());
        let sections: Vec<String> = lines.map(str::to_string).collect();
        let (Some(setup), Ok(input)) = (setup, read_sections(&sections)) else {
            let failed = Failure::Crashed("its input is not valid".into());
            return vec![(Err(failed), Duration::ZERO); jobs.len()];
        };
        let engines = Engines::new(setup.files, input);
        let mut written = Vec::new();
        {
            let written = Mutex::new(&mut written);
            let say = |e: &Event| {
                if let Ok(mut line) = serde_json::to_vec(e) {
                    line.push(b'\n');
                    written
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .extend(line);
                }
            };
            let batch = Batch {
                serial: true,
                jobs: jobs.to_vec(),
            };
            engines.run(&batch, &say);
            say(&Event::End);
        }
        let (tx, rx) = mpsc::channel();
        read_events(&written[..], &tx, VALUE_LIMIT);
        drop(tx);
        let mut out: Vec<Option<Outcome>> = vec![None; jobs.len()];
        let pending: Vec<usize> = (0..jobs.len()).collect();
        let hour = Duration::from_secs(3600);
        let watched = watch(&rx, &pending, &mut out, hour, Instant::now() + hour);
        out.into_iter()
            .map(|o| {
                o.unwrap_or_else(|| {
                    let why = format!("{watched:?}");
                    (Err(Failure::Crashed(why)), Duration::ZERO)
                })
            })
            .collect()
    }

    /// Starts a worker and waits for it to read its input (until `deadline` at most).
    fn start(&self, deadline: Instant) -> Result<Running, String> {
        let exe = executable().map_err(|e| format!("agentlock's executable is not known: {e}"))?;
        let mut child = Command::new(&exe)
            .arg(ARG)
            .arg(self.limit.to_string())
            .env("RUST_BACKTRACE", "0")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("the policy evaluator could not be started: {e}"))?;
        let (Some(mut stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            let _ = child.kill();
            return Err("the policy evaluator could not be started".into());
        };
        let (tx, events) = mpsc::channel();
        std::thread::spawn(move || read_events(stdout, &tx, VALUE_LIMIT));
        // Kept: the first 16 KiB (where an allocation failure says so); the rest is read and
        // dropped, so a rule that prints cannot block the worker on a full pipe.
        let stderr = std::thread::spawn(move || {
            let mut stderr = stderr;
            let mut text = Vec::new();
            let _ = (&mut stderr).take(16 * 1024).read_to_end(&mut text);
            let _ = std::io::copy(&mut stderr, &mut std::io::sink());
            String::from_utf8_lossy(&text).into_owned()
        });
        let setup_sent = stdin.write_all(self.setup.as_bytes()).is_ok()
            && stdin.write_all(b"\n").is_ok()
            && stdin.flush().is_ok();
        let running = Running {
            child,
            stdin,
            events,
            stderr,
        };
        let wait =
            (super::TIME_LIMIT + GRACE).min(deadline.saturating_duration_since(Instant::now()));
        let first = if setup_sent {
            running.events.recv_timeout(wait)
        } else {
            Ok(None)
        };
        if !matches!(first, Ok(Some(Event::Ready))) {
            let why = match first {
                Ok(Some(Event::Refused(why))) => {
                    drop(running.stop());
                    why
                }
                _ => running.stop(),
            };
            return Err(format!(
                "the policy evaluator ({}) did not start{}",
                exe.display(),
                if why.is_empty() {
                    String::new()
                } else {
                    format!(": {why}")
                }
            ));
        }
        Ok(running)
    }
}

impl Running {
    /// Kills the worker (if it still runs) and says how it ended.
    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let status = self.child.wait();
        drop(self.stdin);
        let stderr = self.stderr.join().unwrap_or_default();
        let lines: Vec<&str> = stderr
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        // A panic's message is the line after "thread … panicked at FILE:LINE:COL:".
        let said = lines
            .iter()
            .position(|l| l.contains("panicked at"))
            .and_then(|i| lines.get(i + 1).map(|m| format!("it panicked: {m}")))
            .or_else(|| {
                let oom = lines.iter().find(|l| l.contains("memory allocation of"));
                oom.or(lines.first()).map(|l| l.to_string())
            })
            .unwrap_or_default();
        match status {
            Ok(s) if !said.is_empty() => format!("{said} ({s})"),
            Ok(s) => s.to_string(),
            Err(e) => e.to_string(),
        }
    }
}

impl Drop for Evaluator {
    fn drop(&mut self) {
        if let Some(r) = self.running.take() {
            // End of input: the worker returns. It is reaped off the run's path (its memory
            // unmapped meanwhile), or, if no thread can be had for that, here.
            drop(r.stdin);
            let mut child = r.child;
            let reaper = std::thread::Builder::new().name("rego-reap".into());
            let (tx, rx) = mpsc::channel::<Child>();
            if reaper
                .spawn(move || {
                    if let Ok(mut child) = rx.recv() {
                        let _ = child.wait();
                    }
                })
                .is_ok()
            {
                if let Err(mpsc::SendError(mut child)) = tx.send(child) {
                    let _ = child.wait();
                }
            } else {
                let _ = child.wait();
            }
        }
    }
}

/// The most entries of one section a line of the setup holds: a larger section (10,000
/// prompts) is sent in parts, so that writing it and reading it back are shared among the
/// threads, not one thread's work while the rest wait.
const PART: usize = 1024;

/// What the worker reads before its first batch: the files, then each section of `input`
/// they can read (`read`; all when `None`), an object section of more than [`PART`] entries
/// as several lines of at most that many.
fn setup_text(
    files: &[File],
    input: &Value,
    read: Option<&std::collections::BTreeSet<String>>,
) -> String {
    use rayon::prelude::*;
    let wanted = |k: &Value| match (read, k) {
        (Some(read), Value::String(k)) => read.contains(k.as_ref()),
        _ => true,
    };
    let sections: Vec<(&Value, &Value)> = match input {
        Value::Object(o) => o.iter().filter(|(k, _)| wanted(k)).collect(),
        _ => Vec::new(),
    };
    /// A section whole, or a run of at most PART of its entries.
    enum Part<'a> {
        Whole(&'a Value),
        Run(Vec<(&'a Value, &'a Value)>),
    }
    let mut parts: Vec<(&Value, Part)> = Vec::new();
    for &(k, v) in &sections {
        match v {
            Value::Object(o) if o.len() > PART => {
                let entries: Vec<(&Value, &Value)> = o.iter().collect();
                parts.extend(entries.chunks(PART).map(|c| (k, Part::Run(c.to_vec()))));
            }
            _ => parts.push((k, Part::Whole(v))),
        }
    }
    let head = Setup {
        files: files.to_vec(),
        sections: parts.len(),
    };
    let lines: Vec<String> = parts
        .par_iter()
        .map(|(k, part)| match part {
            Part::Whole(v) => serde_json::to_string(&(k, v)).unwrap_or_default(),
            Part::Run(entries) => {
                let run: std::collections::BTreeMap<Value, Value> = entries
                    .iter()
                    .map(|&(k, v)| (k.clone(), v.clone()))
                    .collect();
                serde_json::to_string(&(k, Value::from(run))).unwrap_or_default()
            }
        })
        .collect();
    let mut text = serde_json::to_string(&head).unwrap_or_default();
    for l in lines {
        text.push('\n');
        text.push_str(&l);
    }
    text
}

/// The input document from the lines [`setup_text`] wrote after the first: the parts of a
/// section joined again.
fn read_sections(lines: &[String]) -> Result<Value, serde_json::Error> {
    use rayon::prelude::*;
    use std::collections::BTreeMap;
    let pairs: Vec<(Value, Value)> = lines
        .par_iter()
        .map(|l| serde_json::from_str(l))
        .collect::<Result<_, _>>()?;
    let mut doc: BTreeMap<Value, Vec<Value>> = BTreeMap::new();
    for (k, v) in pairs {
        doc.entry(k).or_default().push(v);
    }
    Ok(Value::from(
        doc.into_iter()
            .map(|(k, mut parts)| {
                let v = if parts.len() == 1 {
                    parts.pop().unwrap_or(Value::Undefined)
                } else {
                    let mut joined: BTreeMap<Value, Value> = BTreeMap::new();
                    for p in parts {
                        if let Value::Object(o) = p {
                            joined.extend(o.iter().map(|(k, v)| (k.clone(), v.clone())));
                        }
                    }
                    Value::from(joined)
                };
                (k, v)
            })
            .collect::<BTreeMap<_, _>>(),
    ))
}

/// When this process was started as a worker, serves and returns its exit code.
pub fn serve_if_asked() -> Option<i32> {
    let mut args = std::env::args_os().skip(1);
    if args.next()? != ARG {
        return None;
    }
    let limit = args.next().and_then(|a| a.to_str()?.parse::<u64>().ok());
    Some(serve(limit))
}

fn serve(limit: Option<u64>) -> i32 {
    #[cfg(unix)]
    if let Some(limit) = limit {
        let cap = rustix::process::Rlimit {
            current: Some(limit),
            maximum: Some(limit),
        };
        let _ = rustix::process::setrlimit(rustix::process::Resource::As, cap);
    }
    #[cfg(not(unix))]
    let _ = limit;
    // A worker whose agentlock was stopped (Ctrl-C) stops too, mid-rule.
    #[cfg(target_os = "linux")]
    let _ = rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL));
    // A panic of the interpreter is caught and reported as the rule's error, not printed.
    std::panic::set_hook(Box::new(|_| {}));
    let stdout = Mutex::new(std::io::stdout());
    let say = |e: &Event| {
        let Ok(mut line) = serde_json::to_vec(e) else {
            return;
        };
        line.push(b'\n');
        let mut out = stdout.lock().unwrap_or_else(|p| p.into_inner());
        let _ = out.write_all(&line);
        let _ = out.flush();
    };
    let mut lines = std::io::stdin().lock().lines();
    let Some(Ok(first)) = lines.next() else {
        return 2;
    };
    let invalid = |e: &dyn std::fmt::Display| {
        say(&Event::Refused(format!("its input is not valid: {e}")));
        2
    };
    let setup: Setup = match serde_json::from_str(&first) {
        Ok(s) => s,
        Err(e) => return invalid(&e),
    };
    drop(first);
    let sections: Vec<String> = lines
        .by_ref()
        .take(setup.sections)
        .map_while(Result::ok)
        .collect();
    let input = match read_sections(&sections) {
        Ok(v) => v,
        Err(e) => return invalid(&e),
    };
    drop(sections);
    let engines = Engines::new(setup.files, input);
    say(&Event::Ready);
    for line in lines {
        let Ok(line) = line else { break };
        let batch = match serde_json::from_str::<Batch>(&line) {
            Ok(b) => b,
            Err(e) => return invalid(&e),
        };
        engines.run(&batch, &say);
        say(&Event::End);
    }
    // The parent has all it asked for: the input's tree of values (20 MB for 10,000 prompts)
    // is the system's to free when the process ends, not one value at a time first.
    std::mem::forget(engines);
    0
}

/// What a panic said.
fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a panic")
}

/// The worker's engines: one of every file, and one per package that reads only itself.
struct Engines {
    files: Vec<File>,
    whole: regorus::Engine,
    input: Value,
}

impl Engines {
    fn new(files: Vec<File>, input: Value) -> Engines {
        let mut whole = super::new_engine();
        for f in &files {
            whole.set_rego_v0(f.v0);
            // (The parent compiled each file; one that fails here is left out, as there.)
            let _ = whole.add_policy(f.path.clone(), f.text.clone());
        }
        whole.set_rego_v0(false);
        whole.set_input(input.clone());
        Engines {
            files,
            whole,
            input,
        }
    }

    /// The engine to evaluate `package` on: one of its own files when they read no other
    /// package (regorus prepares every module it holds on each query, so that twenty packages
    /// on one engine cost twenty times one), else a copy of the engine of every file.
    fn engine_for(&self, package: &str) -> regorus::Engine {
        let mine: Vec<&File> = self
            .files
            .iter()
            .filter(|f| f.package.as_deref() == Some(package))
            .collect();
        // `data.acme.tools.x` may be a rule of `acme.tools` or of a package `acme.tools.x`.
        let sub = format!("{package}.");
        let parent_of_another = self
            .files
            .iter()
            .any(|f| f.package.as_deref().is_some_and(|p| p.starts_with(&sub)));
        if !mine.is_empty()
            && !parent_of_another
            && mine.iter().all(|f| super::self_contained(&f.text, package))
        {
            let mut engine = super::new_engine();
            let ok = mine.iter().all(|f| {
                engine.set_rego_v0(f.v0);
                engine.add_policy(f.path.clone(), f.text.clone()).is_ok()
            });
            engine.set_rego_v0(false);
            if ok {
                engine.set_input(self.input.clone());
                return engine;
            }
        }
        self.whole.clone()
    }

    /// Each package on its own engine, packages in parallel unless `serial`.
    fn run(&self, batch: &Batch, say: &(dyn Fn(&Event) + Sync)) {
        let mut packages: Vec<&str> = Vec::new();
        for j in &batch.jobs {
            if !packages.contains(&j.package.as_str()) {
                packages.push(&j.package);
            }
        }
        let package = |p: &str| {
            let mut engine = self.engine_for(p);
            for (i, j) in batch
                .jobs
                .iter()
                .enumerate()
                .filter(|(_, j)| j.package == p)
            {
                say(&Event::Begin(i));
                let start = Instant::now();
                let query = format!("data.{}.{}", j.package, j.rule);
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    engine.eval_rule(query)
                }));
                let micros = start.elapsed().as_micros() as u64;
                say(&match result {
                    Ok(Ok(Value::Undefined)) => Event::Undefined { job: i, micros },
                    Ok(Ok(value)) => Event::Value {
                        job: i,
                        value,
                        micros,
                    },
                    Ok(Err(e)) => Event::Error {
                        job: i,
                        message: e.to_string(),
                        micros,
                    },
                    Err(panic) => {
                        // An engine that panicked may hold half a rule: the next gets a new one.
                        engine = self.engine_for(p);
                        Event::Error {
                            job: i,
                            message: format!(
                                "the Rego interpreter failed on it (a bug in regorus): {}",
                                panic_text(&panic)
                            ),
                            micros,
                        }
                    }
                });
            }
        };
        if batch.serial {
            packages.iter().for_each(|p| package(p));
        } else {
            use rayon::prelude::*;
            packages.par_iter().for_each(|p| package(p));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_memory_limit_grows_with_a_large_input_only() {
        assert_eq!(memory_limit(0), 4 << 30);
        assert_eq!(memory_limit(1 << 20), 4 << 30);
        assert_eq!(memory_limit(1 << 30), 64 << 30);
    }

    #[test]
    fn a_worker_that_does_not_start_fails_each_rule_and_says_why() {
        // This test binary is not agentlock: started with ARG it prints libtest's lines, not
        // the worker's.
        let jobs = [
            Job {
                package: "a".into(),
                rule: "deny".into(),
            },
            Job {
                package: "b".into(),
                rule: "warn".into(),
            },
        ];
        let out = Evaluator::new(&[], &Value::Null).run(&jobs);
        assert_eq!(out.len(), 2);
        for (value, _) in out {
            match value {
                Err(Failure::Crashed(why)) => assert!(why.contains("did not start"), "{why}"),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn a_worker_that_dies_or_hangs_names_the_rules_it_was_running() {
        // Jobs 4 and 7 of the run are the batch's 0 and 1.
        let pending = [4, 7];
        let limit = Duration::from_millis(300);
        let far = Instant::now() + Duration::from_secs(3600);
        // Job 0 finished, job 1 began, then the worker died: job 1 is the suspect.
        let (tx, rx) = mpsc::channel();
        for e in [
            Event::Begin(0),
            Event::Begin(1),
            Event::Undefined { job: 0, micros: 9 },
        ] {
            tx.send(Some(e)).unwrap();
        }
        tx.send(None).unwrap();
        let mut out = vec![None; 8];
        assert_eq!(
            watch(&rx, &pending, &mut out, limit, far),
            Watched::Died(vec![1], None)
        );
        assert!(matches!(out[4], Some((Ok(Value::Undefined), _))));
        assert!(out[7].is_none());
        // Job 1 began and never finished, the worker still alive: past the limit, it is late.
        let (tx, rx) = mpsc::channel();
        tx.send(Some(Event::Begin(1))).unwrap();
        let start = Instant::now();
        let mut out = vec![None; 8];
        assert_eq!(
            watch(&rx, &pending, &mut out, limit, far),
            Watched::Late(vec![1])
        );
        assert!(start.elapsed() >= limit);
        drop(tx);
        // A batch that ends: every result read.
        let (tx, rx) = mpsc::channel();
        for e in [
            Event::Begin(0),
            Event::Error {
                job: 0,
                message: "boom".into(),
                micros: 1,
            },
            Event::End,
        ] {
            tx.send(Some(e)).unwrap();
        }
        let mut out = vec![None; 8];
        assert_eq!(
            watch(&rx, &pending[..1], &mut out, limit, far),
            Watched::Ended
        );
        assert!(matches!(&out[4], Some((Err(Failure::Error(m)), _)) if m == "boom"));
    }

    #[test]
    fn a_batch_past_the_run_deadline_stops_with_the_rules_then_running() {
        let pending = [4, 7, 9];
        let limit = Duration::from_secs(3600);
        // Job 0 finished, job 1 runs on past the deadline, job 2 never began.
        let (tx, rx) = mpsc::channel();
        for e in [
            Event::Begin(0),
            Event::Undefined { job: 0, micros: 9 },
            Event::Begin(1),
        ] {
            tx.send(Some(e)).unwrap();
        }
        let deadline = Instant::now() + Duration::from_millis(200);
        let mut out = vec![None; 10];
        let got = watch(&rx, &pending, &mut out, limit, deadline);
        assert!(Instant::now() >= deadline);
        match got {
            Watched::OverBudget(ran) => {
                assert_eq!(ran.len(), 1, "{ran:?}");
                assert_eq!(ran[0].0, 1);
                assert!(ran[0].1 >= Duration::from_millis(150), "{ran:?}");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(out[4], Some((Ok(Value::Undefined), _))));
        assert!(out[7].is_none() && out[9].is_none());
        // A rule that begins once the deadline has passed is not counted as running: it was
        // not begun within the budget (events of fast rules may keep the wait from timing out).
        let (tx, rx) = mpsc::channel();
        tx.send(Some(Event::Begin(2))).unwrap();
        let mut out = vec![None; 10];
        let got = watch(&rx, &pending, &mut out, limit, Instant::now());
        assert_eq!(got, Watched::OverBudget(Vec::new()));
        drop(tx);
    }

    #[test]
    fn a_value_larger_than_the_limit_is_not_read_back() {
        let small = serde_json::to_string(&Event::Value {
            job: 0,
            value: Value::from("x".repeat(10)),
            micros: 1,
        })
        .unwrap();
        let big = serde_json::to_string(&Event::Value {
            job: 1,
            value: Value::from("x".repeat(1000)),
            micros: 1,
        })
        .unwrap();
        let text = format!("\"ready\"\n{{\"begin\":0}}\n{small}\n{big}\n\"end\"\n");
        let (tx, rx) = mpsc::channel();
        read_events(text.as_bytes(), &tx, 100);
        let got: Vec<Option<Event>> = rx.try_iter().collect();
        assert_eq!(got.len(), 4, "{got:?}");
        assert!(matches!(got[2], Some(Event::Value { job: 0, .. })));
        assert!(
            matches!(&got[3], Some(Event::Refused(why)) if why.contains("larger than")),
            "{got:?}"
        );
        // A line that is not an event ends the reading too, and says so.
        let (tx, rx) = mpsc::channel();
        read_events("\"ready\"\nrunning 0 tests\n\"end\"\n".as_bytes(), &tx, 100);
        let got: Vec<Option<Event>> = rx.try_iter().collect();
        assert!(
            matches!(&got[..], [Some(Event::Ready), Some(Event::Refused(why))] if why.contains("could not be read back")),
            "{got:?}"
        );
        // The end of the stream is the worker's end.
        let (tx, rx) = mpsc::channel();
        read_events("\"ready\"\n".as_bytes(), &tx, 100);
        let got: Vec<Option<Event>> = rx.try_iter().collect();
        assert!(matches!(got[..], [Some(Event::Ready), None]), "{got:?}");
    }

    #[test]
    fn rules_evaluated_here_give_what_a_worker_gives() {
        // (`run_here` directly: setting HERE would move this process's other tests in.)
        let file = File {
            path: "policy/a.rego".into(),
            text: "package a\n\nimport rego.v1\n\ndeny contains \"big\" if { input.n > 1 }\n\nwarn contains x if { x := 1 / 0 }\n\np := 1 if { input.n > 5 }\n".into(),
            v0: false,
            package: Some("a".into()),
        };
        let input = Value::from_json_str(r#"{"n": 2, "s": {"k": [1, 2]}}"#).unwrap();
        let job = |rule: &str| Job {
            package: "a".into(),
            rule: rule.into(),
        };
        let out = Evaluator::new(&[file], &input).run_here(&[job("deny"), job("warn"), job("p")]);
        assert_eq!(out.len(), 3);
        match &out[0].0 {
            Ok(v) => assert_eq!(
                v.to_json_str().unwrap().replace(char::is_whitespace, ""),
                "[\"big\"]"
            ),
            other => panic!("{other:?}"),
        }
        assert!(
            matches!(&out[1].0, Err(Failure::Error(e)) if e.contains("divide by zero")),
            "{:?}",
            out[1]
        );
        assert!(matches!(out[2].0, Ok(Value::Undefined)), "{:?}", out[2]);
    }

    #[test]
    fn a_large_section_is_sent_in_parts_and_read_back_whole() {
        let prompts: String = (0..2 * PART + 5)
            .map(|i| format!(r#""p{i}": {{"n": {i}, "owners": ["@a"]}}"#))
            .collect::<Vec<_>>()
            .join(", ");
        let small: String = (0..PART)
            .map(|i| format!(r#""t{i}": {i}"#))
            .collect::<Vec<_>>()
            .join(", ");
        let input = Value::from_json_str(&format!(
            r#"{{"prompts": {{{prompts}}}, "tools": {{{small}}}, "agents": [1, 2]}}"#
        ))
        .unwrap();
        let text = setup_text(&[], &input, None);
        let lines: Vec<String> = text.lines().skip(1).map(str::to_string).collect();
        // Three parts of `prompts`, `tools` (exactly PART) whole, the list whole.
        assert_eq!(lines.len(), 3 + 1 + 1);
        let head: Setup = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        assert_eq!(head.sections, lines.len());
        assert_eq!(read_sections(&lines).unwrap(), input);
    }

    #[test]
    fn the_worker_is_sent_the_sections_its_policies_read_and_rules_see_the_same_values() {
        let input = Value::from_json_str(
            r#"{"agents": {"a": {"n": 1}}, "lock": {"root": "r00t"}, "tools": {"t": 2}}"#,
        )
        .unwrap();
        let file = |text: &str| File {
            path: "policy/a.rego".into(),
            text: format!("package a\n\nimport rego.v1\n\n{text}\n"),
            v0: false,
            package: Some("a".into()),
        };
        let job = Job {
            package: "a".into(),
            rule: "deny".into(),
        };
        let value = |text: &str| {
            let e = Evaluator::new(&[file(text)], &input);
            let out = e.run_here(std::slice::from_ref(&job));
            (
                e.setup.clone(),
                out[0].0.clone().map(|v| v.to_json_str().unwrap()),
            )
        };
        // Only `agents` is sent, and the rule's value is what it is with everything.
        let (setup, agents) = value("deny contains n if { some a in input.agents; n := a.n }");
        assert!(
            setup.contains("\"agents\"") && !setup.contains("r00t"),
            "{setup}"
        );
        assert!(!setup.contains("\"tools\""), "{setup}");
        assert_eq!(agents.unwrap().replace(char::is_whitespace, ""), "[1]");
        // A policy that reads the input whole is sent all of it.
        let (setup, whole) = value("deny contains k if { some k, _ in input }");
        assert!(
            setup.contains("r00t") && setup.contains("\"tools\""),
            "{setup}"
        );
        assert_eq!(
            whole.unwrap().replace(char::is_whitespace, ""),
            "[\"agents\",\"lock\",\"tools\"]"
        );
        // And one that reads `input["lock"]` is sent the lock.
        let (setup, lock) = value("deny contains r if { r := input[\"lock\"].root }");
        assert!(
            setup.contains("r00t") && !setup.contains("\"agents\""),
            "{setup}"
        );
        assert_eq!(lock.unwrap().replace(char::is_whitespace, ""), "[\"r00t\"]");
    }

    #[test]
    fn events_read_back_as_written() {
        for e in [
            Event::Ready,
            Event::Begin(3),
            Event::Undefined { job: 1, micros: 2 },
            Event::Error {
                job: 0,
                message: "x\ny".into(),
                micros: 5,
            },
            Event::End,
        ] {
            let line = serde_json::to_string(&e).unwrap();
            assert!(!line.contains('\n'), "{line}");
            let back: Event = serde_json::from_str(&line).unwrap();
            assert_eq!(format!("{back:?}"), format!("{e:?}"));
        }
    }
}
