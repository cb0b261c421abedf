use super::*;

pub(super) const SPEC: Spec = Spec {
    name: "rules",
    accepts: Accepts::Formats(&[Format::Human, Format::Json]),
    findings: false,
};

/// `agentlock rules`: every rule with its code, name and default severity.
pub(super) fn run(format: Format, out: &mut Sink<'_>) -> Result<i32, Fatal> {
    let catalog = crate::rules::catalog();
    let text = match format {
        Format::Json => report::catalog::json(catalog),
        _ => report::catalog::human(catalog),
    };
    let _ = out.write_all(text.as_bytes());
    Ok(EXIT_OK)
}
