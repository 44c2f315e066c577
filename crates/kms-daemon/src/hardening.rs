//! Process hardening for the long-running daemon, which holds decrypted keys in memory:
//! no core dumps, not ptrace-attachable by other processes of the same user, and no start on
//! a wallet file that other users can read.

use std::path::Path;

/// Disables core dumps (`RLIMIT_CORE` 0) and marks the process not dumpable
/// (`PR_SET_DUMPABLE` 0, which also stops same-user ptrace). Returns what could not be done.
pub fn disable_core_dumps() -> Vec<String> {
    let mut problems = Vec::new();
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{
            set_dumpable_behavior, setrlimit, DumpableBehavior, Resource, Rlimit,
        };
        if let Err(e) = setrlimit(
            Resource::Core,
            Rlimit {
                current: Some(0),
                maximum: Some(0),
            },
        ) {
            problems.push(format!("cannot set RLIMIT_CORE to 0: {e}"));
        }
        if let Err(e) = set_dumpable_behavior(DumpableBehavior::NotDumpable) {
            problems.push(format!("cannot clear PR_SET_DUMPABLE: {e}"));
        }
    }
    #[cfg(not(target_os = "linux"))]
    problems.push("core dumps are only disabled on Linux".to_string());
    problems
}

/// `Err` with a clear message when group or others can read or write the wallet file.
pub fn check_wallet_permissions(path: &Path) -> Result<(), String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(|e| format!("cannot read the wallet file {}: {e}", path.display()))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(format!(
                "the wallet file {} is accessible to other users (mode {:o}); run `chmod 600 {}`",
                path.display(),
                mode & 0o777,
                path.display()
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_or_world_access_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("wallet.dat");
        std::fs::write(&f, "x").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(check_wallet_permissions(&f).is_ok());
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = check_wallet_permissions(&f).unwrap_err();
        assert!(e.contains("mode 644") && e.contains("chmod 600"), "{e}");
    }

    #[test]
    fn core_dumps_can_be_disabled() {
        // In a test process this must work on Linux (it only lowers limits).
        assert!(disable_core_dumps().is_empty());
    }
}
