//! Evidence: the results of a release's evals and tests, held against its lock.
//!
//! `results.rs` is what a results file says whichever harness wrote it; `read/` reads each
//! harness's files; `store.rs` keeps them under `evidence/` with an index binding each to the
//! lock it tested; `qa.rs` reads human QA reviews; `stats.rs` holds the paired tests;
//! `compare.rs` compares a candidate's evidence with the last release's, the quality gate the
//! EVAL rules and `agentlock gate` report; `figures.rs` puts its numbers in a line each.

pub mod compare;
pub mod decision;
pub mod figures;
pub mod qa;
pub mod read;
pub mod results;
pub mod stats;
pub mod store;

pub use compare::{Gate, compare};
pub use store::Evidence;

use crate::git::{Commit, Git};
use crate::history::History;

/// The release compared with: the last release tag (the rollback target), and the evidence
/// its tree holds (read from git, with no checkout).
#[derive(Debug)]
pub struct Baseline {
    pub tag: String,
    pub commit: Commit,
    /// `None`: the release holds no evidence index.
    pub evidence: Option<Evidence>,
}

/// The baseline of a history: the evidence of the rollback target (the newest release HEAD
/// reaches that is not HEAD itself). Its files are read into a source
/// map of their own: findings point at the candidate's files; the baseline gives figures.
///
/// The evidence is read from the directory the release's own agentlock.toml names (`dir`, the
/// candidate's, only when the release has no manifest to say): a pull request that moves
/// `[paths] evidence` must not make the release's evidence disappear.
/// Where a revision keeps its evidence: the directory its own agentlock.toml names, else
/// `fallback` (the candidate's) when it has no manifest to say.
pub fn dir_at(revision: &dyn crate::snapshot::Snapshot, fallback: &str) -> String {
    crate::snapshot::ReadExt::read_str(
        revision,
        crate::load::config::MANIFEST,
        crate::snapshot::DEFAULT_MAX_FILE_SIZE,
    )
    .ok()
    .and_then(|bytes| crate::load::config::evidence_of(std::str::from_utf8(&bytes).ok()?))
    .unwrap_or_else(|| fallback.to_string())
}

pub fn baseline(git: &Git, history: &History, dir: &str) -> Option<Baseline> {
    let release = history.releases.rollback_target()?;
    let mut sources = crate::source::SourceMap::default();
    let evidence = git
        .tree(release.commit, &release.tag)
        .ok()
        .and_then(|tree| {
            let dir = dir_at(&tree, dir);
            store::load(&tree, &dir, &release.tag, &mut sources, false)
        });
    Some(Baseline {
        tag: release.tag.clone(),
        commit: release.commit,
        evidence,
    })
}
