// mimalloc: see Cargo.toml; measured in bench/run.sh (the note of issue 19).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    // Started again to evaluate Rego rules (src/rego/worker.rs): serve and nothing else.
    if let Some(code) = agentlock::rego::worker::serve_if_asked() {
        std::process::exit(code);
    }
    let cli = agentlock::commands::parse();
    let mut stdout = std::io::stdout().lock();
    // Not locked for the run: the progress line is drawn from another thread.
    let mut stderr = std::io::stderr();
    let code = agentlock::commands::run(&cli, &mut stdout, &mut stderr);
    std::process::exit(code);
}
