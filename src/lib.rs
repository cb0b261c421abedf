//! agentlock: lockfile and policy-as-code checks for multi-agent LLM systems kept in git.
//!
//! One pipeline: [`snapshot`] → [`load`] → [`model`] → [`lock`] / [`rules`] → [`finding`] →
//! [`report`]. The binary (`src/main.rs`) only parses arguments and calls [`app::run`].

pub mod app;
pub mod cli;
pub mod codeowners;
pub mod config;
pub mod date;
pub mod finding;
pub mod load;
pub mod lock;
pub mod model;
pub mod model_ids;
pub mod node;
pub mod policy;
pub mod report;
pub mod rules;
pub mod secrets;
pub mod snapshot;
pub mod source;
pub mod suggest;
pub mod suppress;
pub mod units;

use config::ConfigError;
use finding::Finding;
use model::Model;
use snapshot::Snapshot;

/// The result of `verify`: the model (with its sources, for rendering) and what the rules found.
pub struct Verified {
    pub model: Model,
    pub findings: Vec<Finding>,
    pub suppressed: usize,
}

/// Loads a snapshot, compares the lockfile (unless `lock_check` is off), runs every rule and
/// applies the policy. `today` (days since 1970-01-01) decides which exceptions have expired.
pub fn verify(
    snapshot: &dyn Snapshot,
    lock_check: bool,
    today: i64,
) -> Result<Verified, ConfigError> {
    let mut model = load::load(snapshot)?;
    let status = lock_check.then(|| lock::check(snapshot, &mut model));
    let policy = policy::Policy::new(&model.config, &model.suppressions, today);
    let ctx = rules::Context {
        model: &model,
        policy: &policy,
        lock: status.as_ref(),
    };
    let found = rules::run(&ctx);
    let outcome = policy.apply(found, &model.sources, lock_check);
    Ok(Verified {
        model,
        findings: outcome.findings,
        suppressed: outcome.suppressed,
    })
}
