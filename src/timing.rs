//! How long each phase of a run took (`--verbose`), and a progress line on standard error
//! when a run on a terminal takes longer than a second. Phases are named where the work is
//! (`timing::phase("load", || …)`); with neither on, a phase costs one relaxed atomic load.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, mpsc};
use std::time::{Duration, Instant};

static ON: AtomicBool = AtomicBool::new(false);
/// The phase running now, as an index into [`NAMES`] plus one (0: none).
static CURRENT: AtomicUsize = AtomicUsize::new(0);
static NAMES: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());
static PHASES: Mutex<Vec<(&'static str, Duration)>> = Mutex::new(Vec::new());
static RUN: Mutex<Option<Run>> = Mutex::new(None);

struct Run {
    started: Instant,
    /// Stops the progress thread; it clears its line before it ends.
    progress: Option<(mpsc::Sender<()>, std::thread::JoinHandle<()>)>,
}

/// Starts timing a run: phases are recorded when `verbose`, and a progress line is drawn
/// after a second when `progress`.
pub fn start(verbose: bool, progress: bool) {
    ON.store(verbose || progress, Ordering::Relaxed);
    PHASES.lock().map(|mut p| p.clear()).ok();
    let progress = progress.then(|| {
        let (tx, rx) = mpsc::channel::<()>();
        let handle = std::thread::spawn(move || draw(rx));
        (tx, handle)
    });
    *RUN.lock().unwrap_or_else(|e| e.into_inner()) = Some(Run {
        started: Instant::now(),
        progress,
    });
}

/// Redraws `agentlock: <phase>…` every 100 ms once a second has passed, until told to stop.
fn draw(stop: mpsc::Receiver<()>) {
    use std::io::Write;
    let started = Instant::now();
    let mut drawn = false;
    while let Err(mpsc::RecvTimeoutError::Timeout) = stop.recv_timeout(Duration::from_millis(100)) {
        if started.elapsed() < Duration::from_secs(1) {
            continue;
        }
        let phase = match CURRENT.load(Ordering::Relaxed) {
            0 => "working",
            i => NAMES
                .lock()
                .ok()
                .and_then(|n| n.get(i - 1).copied())
                .unwrap_or("working"),
        };
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r\x1b[2Kagentlock: {phase}… {:.1} s",
            started.elapsed().as_secs_f64()
        );
        let _ = err.flush();
        drawn = true;
    }
    if drawn {
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K");
        let _ = err.flush();
    }
}

/// Runs `f` as the phase `name`.
pub fn phase<T>(name: &'static str, f: impl FnOnce() -> T) -> T {
    if !ON.load(Ordering::Relaxed) {
        return f();
    }
    let index = {
        let mut names = NAMES.lock().unwrap_or_else(|e| e.into_inner());
        match names.iter().position(|n| *n == name) {
            Some(i) => i,
            None => {
                names.push(name);
                names.len() - 1
            }
        }
    };
    let outer = CURRENT.swap(index + 1, Ordering::Relaxed);
    let t = Instant::now();
    let out = f();
    let took = t.elapsed();
    CURRENT.store(outer, Ordering::Relaxed);
    let mut phases = PHASES.lock().unwrap_or_else(|e| e.into_inner());
    match phases.iter_mut().find(|(n, _)| *n == name) {
        Some((_, d)) => *d += took,
        None => phases.push((name, took)),
    }
    out
}

/// Ends the run: stops the progress line; each phase's time, and the whole run's last.
pub fn stop() -> Vec<(&'static str, Duration)> {
    ON.store(false, Ordering::Relaxed);
    let run = RUN.lock().unwrap_or_else(|e| e.into_inner()).take();
    let mut phases = std::mem::take(&mut *PHASES.lock().unwrap_or_else(|e| e.into_inner()));
    if let Some(run) = run {
        if let Some((tx, handle)) = run.progress {
            let _ = tx.send(());
            let _ = handle.join();
        }
        phases.push(("total", run.started.elapsed()));
    }
    phases
}

/// `load 12.1 ms, rules 3.0 ms, …, total 20.4 ms`.
pub fn describe(phases: &[(&'static str, Duration)]) -> String {
    phases
        .iter()
        .map(|(n, d)| format!("{n} {:.1} ms", d.as_secs_f64() * 1e3))
        .collect::<Vec<_>>()
        .join(", ")
}
