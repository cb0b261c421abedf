fn main() {
    let cli = agentlock::commands::parse();
    let mut stdout = std::io::stdout().lock();
    let mut stderr = std::io::stderr().lock();
    let code = agentlock::commands::run(&cli, &mut stdout, &mut stderr);
    std::process::exit(code);
}
