//! agentlock: lockfile and policy-as-code checks for multi-agent LLM systems kept in git.
//!
//! One pipeline: [`snapshot`] → [`load`] → [`model`] → [`lock`] / [`rules`] → [`finding`] →
//! [`report`], run end to end by [`pipeline`]. The binary (`src/main.rs`) only parses arguments
//! and calls [`commands::run`].

pub mod agent_graph;
pub mod checklist;
pub mod cli;
pub mod codeowners;
pub mod commands;
pub mod config;
pub mod date;
pub mod diff;
pub mod digest;
pub mod finding;
pub mod fuzzing;
pub mod git;
pub mod graph;
pub mod history;
pub mod init;
pub mod load;
pub mod lock;
pub mod model;
pub mod model_ids;
pub mod node;
pub mod output;
pub mod pipeline;
pub mod policy;
pub mod problem;
pub mod read;
pub mod report;
pub mod rules;
pub mod secrets;
pub mod snapshot;
pub mod source;
pub mod suggest;
pub mod suppress;
pub mod units;

pub use pipeline::{Missing, NotRun, Scanned, Verified, check, scan_files, scan_model, verify};
