//! agentlock: lockfile and policy-as-code checks for multi-agent LLM systems kept in git.
//!
//! One pipeline: [`snapshot`] → [`load`] → [`model`] → [`lock`] / [`rules`] → [`finding`] →
//! [`report`], run end to end by [`pipeline`]. The binary (`src/main.rs`) only parses arguments
//! and calls [`commands::run`].

pub(crate) mod agent_graph;
pub mod checklist;
pub mod cli;
pub mod commands;
pub mod date;
pub(crate) mod diff;
pub(crate) mod digest;
pub mod evidence;
pub mod finding;
pub mod fuzzing;
pub(crate) mod git;
pub(crate) mod graph;
pub(crate) mod history;
pub(crate) mod init;
pub mod keywords;
pub mod known;
pub mod load;
pub mod lock;
pub(crate) mod model_ids;
pub mod node;
pub(crate) mod output;
pub mod pipeline;
pub mod policy;
pub(crate) mod problem;
pub mod rego;
pub mod report;
pub mod rules;
pub mod schema;
pub mod secrets;
pub mod select;
pub mod snapshot;
pub mod source;
pub(crate) mod suggest;
pub(crate) mod timing;
pub mod traces;
pub(crate) mod units;

pub use pipeline::{Missing, NotRun, Scanned, Verified, check, scan_files, scan_model, verify};
