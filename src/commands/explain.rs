use super::*;

pub(super) const SPEC: Spec = Spec {
    name: "explain",
    accepts: Accepts::Ignored,
};

pub(super) fn run(code: &str, out: &mut Sink<'_>) -> Result<i32, Fatal> {
    match crate::rules::find(code) {
        Some(rule) => {
            let _ = out.write_all(crate::rules::explain(rule).as_bytes());
            Ok(EXIT_OK)
        }
        None => {
            let hint = crate::suggest::hint(
                &code.to_ascii_uppercase(),
                crate::rules::RULES.iter().map(|r| r.code),
            );
            Err(fatal(
                format!("no rule `{code}`.{hint}"),
                Some("`agentlock rules` lists every rule"),
            ))
        }
    }
}
