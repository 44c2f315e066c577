//! `audit verify FILE`: checks the daemon's hash-chained audit log.

use anyhow::{anyhow, Context, Result};
use kms_daemon::audit::{verify, Verdict};

use crate::cli::AuditAction;
use crate::output;

pub fn run(action: &AuditAction) -> Result<()> {
    match action {
        AuditAction::Verify { path } => {
            match verify(path)
                .with_context(|| format!("cannot read audit log {}", path.display()))?
            {
                Verdict::Intact { lines } => {
                    output::print_pretty(&serde_json::json!({"intact": true, "lines": lines}))
                }
                Verdict::Broken { line, reason } => Err(anyhow!(
                    "audit log {} is broken at line {line}: {reason}",
                    path.display()
                )),
            }
        }
    }
}
