use super::*;

pub(super) const SPEC: Spec = Spec {
    name: "completions",
    accepts: Accepts::Ignored,
    findings: false,
};

/// `agentlock completions SHELL`: the completion script, generated from the clap definitions.
pub(super) fn run(shell: clap_complete::Shell, out: &mut dyn Write) -> Result<i32, Fatal> {
    let mut cmd = command();
    clap_complete::generate(shell, &mut cmd, "agentlock", out);
    Ok(EXIT_OK)
}
