use clap::Parser;

fn main() {
    let cli = agentlock::cli::Cli::parse();
    let mut stdout = std::io::stdout().lock();
    let mut stderr = std::io::stderr().lock();
    let code = agentlock::app::run(&cli, &mut stdout, &mut stderr);
    std::process::exit(code);
}
