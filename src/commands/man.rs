use super::*;

pub(super) const SPEC: Spec = Spec {
    name: "man",
    accepts: Accepts::Ignored,
    findings: false,
};

/// `agentlock man`: the man page (roff), generated from the clap definitions; with a
/// directory, one page per subcommand as well.
pub(super) fn run(dir: Option<&std::path::Path>, out: &mut dyn Write) -> Result<i32, Fatal> {
    let mut cmd = command().disable_help_subcommand(true);
    cmd.build();
    match dir {
        None => {
            let _ = clap_mangen::Man::new(cmd).render(out);
        }
        Some(dir) => {
            let io = |e: std::io::Error| {
                fatal(
                    format!("cannot write the man pages into {}: {e}", dir.display()),
                    None,
                )
            };
            let mut pages: Vec<String> = cmd
                .get_subcommands()
                .filter(|s| !s.is_hide_set())
                .map(|s| format!("agentlock-{}.1", s.get_name()))
                .chain(["agentlock.1".to_string()])
                .collect();
            pages.sort();
            std::fs::create_dir_all(dir).map_err(io)?;
            clap_mangen::generate_to(cmd, dir).map_err(io)?;
            let _ = writeln!(
                out,
                "wrote {} man pages into {}:",
                pages.len(),
                dir.display()
            );
            for p in pages {
                let _ = writeln!(out, "  {p}");
            }
        }
    }
    Ok(EXIT_OK)
}
