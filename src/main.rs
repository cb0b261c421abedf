fn main() {
    let cli = agentlock::commands::parse();
    let mut stdout = std::io::stdout().lock();
    // Not locked for the run: the progress line is drawn from another thread.
    let mut stderr = std::io::stderr();
    let code = agentlock::commands::run(&cli, &mut stdout, &mut stderr);
    std::process::exit(code);
}
