//! Report: findings rendered for people (human) and machines (json).
//!
//! The exit code is computed from the findings ([`exit_code`]), never from a renderer.

pub mod human;
pub mod json;
pub mod release;

use crate::finding::{Finding, Severity};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub error: usize,
    pub warning: usize,
    pub info: usize,
    pub suppressed: usize,
}

impl Summary {
    pub fn of(findings: &[Finding], suppressed: usize) -> Summary {
        let count = |s| findings.iter().filter(|f| f.severity == s).count();
        Summary {
            error: count(Severity::Error),
            warning: count(Severity::Warning),
            info: count(Severity::Info),
            suppressed,
        }
    }
}

/// 1 when any finding is an error, else 0.
pub fn exit_code(findings: &[Finding]) -> i32 {
    i32::from(findings.iter().any(|f| f.severity == Severity::Error))
}
