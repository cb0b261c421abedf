use super::*;

/// `agentlock traces FILE…`: exported traces held against the working tree's model.
pub(super) const SPEC: Spec = Spec {
    name: "traces",
    accepts: Accepts::Formats(ALL),
    findings: true,
};

pub(super) fn run(
    cli: &Cli,
    files: &[std::path::PathBuf],
    color: bool,
    out: &mut Sink<'_>,
    err: &mut Sink<'_>,
) -> Result<i32, Fatal> {
    let wt = worktree(cli)?;
    let model = load(&wt)?;
    let discovered = Git::discover(&cli.repo);
    let head = discovered
        .as_ref()
        .ok()
        .and_then(|g| g.head().ok().flatten());
    let history = load_history(discovered.as_ref().ok(), &model, head, err);
    let inputs = open(&wt, files)?;
    let t = crate::pipeline::traces(model, history.as_ref(), inputs, crate::date::today());
    let ctx = ReportCtx {
        title: "traces",
        prefix: discovered
            .as_ref()
            .map(|g| g.prefix().to_string())
            .unwrap_or_default(),
    };
    let mut t = t;
    select(cli, &mut t.findings, err)?;
    emit(cli, color, out, &|format, color, out| {
        // The summary joins the findings in human, JSON and Markdown; the other formats, and
        // `--statistics` and `--quiet`, are the findings alone.
        let text = match format {
            Format::Human if !cli.quiet && !cli.statistics => {
                let mut text = human::render(&t.findings, t.suppressed, &t.model.sources, color);
                text.push('\n');
                text.push_str(&report::traces::human(&t));
                text
            }
            Format::Json if !cli.statistics => report::traces::json(&t),
            Format::Markdown => report::traces::markdown(&t, &ctx.prefix),
            format => render_findings(
                format,
                &t.findings,
                t.suppressed,
                &t.model.sources,
                &t.rules,
                color,
                &ctx,
                Extras::of(cli),
                out,
            ),
        };
        let _ = out.write_all(text.as_bytes());
    })?;
    Ok(report::exit_code(&t.findings))
}

/// Opens the trace files the user named, anywhere: they are the user's, not the repository's
/// (production exports rarely live in it). `-` is standard input. A path inside the
/// repository `wt` is held to the repository's rule, as `scan` and `evidence add` hold it: a
/// committed symlink that leads out of it is not followed (name the target to read it).
pub(super) fn open(
    wt: &crate::snapshot::Worktree,
    files: &[std::path::PathBuf],
) -> Result<Vec<crate::pipeline::TraceInput>, Fatal> {
    let mut inputs = Vec::new();
    for f in files {
        let shown = f.to_string_lossy().into_owned();
        if crate::pipeline::leaves_through_a_link(wt, f) {
            return Err(fatal(
                format!(
                    "cannot read {}: it is in the repository, and a symlink on the way leads outside it; it was not followed",
                    crate::source::printable(&shown)
                ),
                Some("name the file the link points at, if you mean to read it"),
            ));
        }
        let reader = crate::snapshot::stream::open_named(f).map_err(|e| {
            fatal(
                format!("cannot read {}: {e}", crate::source::printable(&shown)),
                Some("name an exported trace file (OTLP/JSON or a Langfuse export), or `-` for standard input"),
            )
        })?;
        inputs.push((shown, reader));
    }
    Ok(inputs)
}
