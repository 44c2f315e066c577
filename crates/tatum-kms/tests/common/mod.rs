//! Runs the real `tatum-kms` binary in a private temporary HOME and working directory,
//! with a clean environment (no TATUM_* variables leak in from the machine).
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_tatum-kms");

pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

pub struct Kms {
    pub home: tempfile::TempDir,
    pub password: Option<String>,
    pub env: Vec<(String, String)>,
}

pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn ok(&self) -> bool {
        self.code == Some(0)
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.stdout))
    }

    #[track_caller]
    pub fn assert_ok(&self) -> &Self {
        assert!(
            self.ok(),
            "expected success, got {:?}\nstdout: {}\nstderr: {}",
            self.code,
            self.stdout,
            self.stderr
        );
        self
    }

    #[track_caller]
    pub fn assert_error(&self, needle: &str) -> &Self {
        assert!(
            !self.ok(),
            "expected failure, got success\nstdout: {}",
            self.stdout
        );
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}:\n{}",
            self.stderr
        );
        self
    }
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Run {
            code: o.status.code(),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Kms {
    /// New v2 files get the tiny test Argon2id parameters (`TATUM_KMS_V2_KDF=test`), so
    /// the suite does not spend 0.3 s per command on key derivation.
    pub fn new(password: &str) -> Self {
        Kms {
            home: tempfile::tempdir().expect("tempdir"),
            password: Some(password.to_string()),
            env: vec![("TATUM_KMS_V2_KDF".into(), "test".into())],
        }
    }

    /// New wallet files in the original's format (`TATUM_KMS_NEW_FILE_FORMAT=legacy`).
    pub fn legacy(password: &str) -> Self {
        let mut kms = Kms::new(password);
        kms.env
            .push(("TATUM_KMS_NEW_FILE_FORMAT".into(), "legacy".into()));
        kms
    }

    pub fn home(&self) -> &Path {
        self.home.path()
    }

    /// The default wallet path under the temporary HOME.
    pub fn wallet(&self) -> PathBuf {
        self.home().join(".tatumrc").join("wallet.dat")
    }

    /// Copies a fixture wallet to the default path.
    pub fn with_wallet_fixture(self, rel: &str) -> Self {
        let dest = self.wallet();
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(fixture(rel), &dest).unwrap();
        self
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.home())
            .current_dir(self.home());
        if let Some(pw) = &self.password {
            cmd.env("TATUM_KMS_PASSWORD", pw);
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    /// Runs with stdin closed (as CI does).
    pub fn run(&self, args: &[&str]) -> Run {
        self.command(args)
            .stdin(Stdio::null())
            .output()
            .expect("run tatum-kms")
            .into()
    }

    /// Runs with `input` piped on stdin.
    pub fn run_with_stdin(&self, args: &[&str], input: &str) -> Run {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn tatum-kms");
        // A command that fails before reading its input (an unknown chain) closes the pipe
        // first; that is its answer, not an error of the test.
        match child.stdin.take().unwrap().write_all(input.as_bytes()) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
            other => other.unwrap(),
        }
        child.wait_with_output().expect("wait tatum-kms").into()
    }

    /// `export` parsed as JSON.
    pub fn export(&self) -> serde_json::Value {
        self.run(&["export"]).assert_ok().json()
    }
}
