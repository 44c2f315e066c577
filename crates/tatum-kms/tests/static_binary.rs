//! The static binary that `scripts/build-static` makes (and the Dockerfile ships on `scratch`):
//! it has no program interpreter and no shared-library dependency, it runs, and, in the image's
//! file system (`scripts/image-rootfs`: no libraries, no `/dev`, no shell) as uid 1000 with a
//! folder bind-mounted where the original's documented `docker run -v` puts it, it keeps the
//! wallet in that folder and talks to the API by host name.
//!
//! `scripts/test` builds the binary and passes it in `KMS_STATIC_BIN`; without it the test says
//! SKIPPED (a plain `cargo test` does not build a second copy of the workspace).

use std::path::{Path, PathBuf};
use std::process::Command;

use kms_emulator::{Emulator, Scenario};
use serde_json::{json, Value};

const PASSWORD: &str = "static-binary-pw";
const M0: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

fn static_bin() -> Option<PathBuf> {
    match std::env::var_os("KMS_STATIC_BIN") {
        Some(p) => Some(PathBuf::from(p)),
        None => {
            eprintln!("SKIPPED: KMS_STATIC_BIN is not set (scripts/test builds and sets it)");
            None
        }
    }
}

fn u16_at(b: &[u8], at: usize) -> usize {
    u16::from_le_bytes([b[at], b[at + 1]]) as usize
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

fn u64_at(b: &[u8], at: usize) -> usize {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap()) as usize
}

/// What the ELF headers say about dynamic linking: (has PT_INTERP, number of DT_NEEDED).
fn elf_linking(bytes: &[u8]) -> (bool, usize) {
    assert_eq!(&bytes[..4], b"\x7fELF", "not an ELF file");
    assert_eq!(bytes[4], 2, "not a 64-bit ELF");
    assert_eq!(bytes[5], 1, "not little-endian");
    let (phoff, phentsize, phnum) = (
        u64_at(bytes, 0x20),
        u16_at(bytes, 0x36),
        u16_at(bytes, 0x38),
    );
    let mut interp = false;
    let mut needed = 0;
    for i in 0..phnum {
        let ph = phoff + i * phentsize;
        match u32_at(bytes, ph) {
            3 => interp = true, // PT_INTERP
            2 => {
                // PT_DYNAMIC: 16-byte entries (d_tag, d_val) up to DT_NULL.
                let (offset, size) = (u64_at(bytes, ph + 8), u64_at(bytes, ph + 32));
                for entry in (offset..offset + size).step_by(16) {
                    match u64_at(bytes, entry) {
                        0 => break,
                        1 => needed += 1, // DT_NEEDED
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    (interp, needed)
}

#[test]
fn the_elf_check_tells_a_dynamic_binary_from_a_static_one() {
    // The test binary itself is linked dynamically: the check must see that.
    let me = std::env::current_exe().unwrap();
    let (interp, needed) = elf_linking(&std::fs::read(me).unwrap());
    assert!(
        interp && needed > 0,
        "a normal test binary should be dynamic"
    );
}

#[test]
fn static_binary_has_no_interpreter_and_no_shared_libraries() {
    let Some(bin) = static_bin() else { return };
    let bytes = std::fs::read(&bin).unwrap_or_else(|e| panic!("{}: {e}", bin.display()));
    let (interp, needed) = elf_linking(&bytes);
    assert!(!interp, "{} has a program interpreter", bin.display());
    assert_eq!(needed, 0, "{} needs shared libraries", bin.display());
    let out = Command::new(&bin).arg("--version").output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("tatum-kms "));
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Runs the binary as the image runs it: chrooted into the image's file system (built by
/// `scripts/image-rootfs`), as uid 1000, with `host` bind-mounted at `mount_at` in a private
/// mount namespace, as `docker run -v host:mount_at` does.
fn run_in_image(
    root: &Path,
    host: &Path,
    mount_at: &str,
    env: &[(&str, String)],
    args: &[&str],
    stdin: &str,
) -> (bool, String, String) {
    use std::io::Write;
    let script = r#"mount --bind "$1" "$2/$3" && root="$2" && shift 3 && exec chroot --userspec=1000:1000 "$root" /usr/local/bin/tatum-kms "$@""#;
    let mut cmd = Command::new("unshare");
    cmd.args(["-m", "/bin/sh", "-c", script, "sh"])
        .arg(host)
        .arg(root)
        .arg(mount_at.trim_start_matches('/'))
        .args(args)
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("unshare (util-linux)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The image's file system, with `/etc/hosts` naming the API host.
fn image_root(bin: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/image-rootfs");
    let status = Command::new(script)
        .arg(dir.path())
        .arg(bin)
        .status()
        .unwrap();
    assert!(status.success(), "scripts/image-rootfs failed");
    std::fs::write(dir.path().join("etc/hosts"), "127.0.0.1 tatum-api.test\n").unwrap();
    dir
}

#[test]
fn the_image_layout_keeps_the_wallet_in_the_mounted_folder_and_reaches_the_api_by_name() {
    use std::os::unix::fs::{chown, MetadataExt, PermissionsExt};
    let Some(bin) = static_bin() else { return };
    if !is_root() {
        eprintln!("SKIPPED: chroot and mount need root");
        return;
    }
    let namespaces = Command::new("unshare")
        .args(["-m", "true"])
        .status()
        .is_ok_and(|s| s.success());
    if !namespaces {
        eprintln!("SKIPPED: this machine does not allow a private mount namespace (unshare -m)");
        return;
    }
    let root = image_root(&bin);
    // The user's current folder, mounted into the container, writable by uid 1000.
    let host = tempfile::tempdir().unwrap();
    chown(host.path(), Some(1000), Some(1000)).unwrap();

    let emu = Emulator::start(
        "127.0.0.1:0",
        Scenario::default(),
        Some("static-key".into()),
    )
    .expect("emulator");
    let port = emu.url().rsplit(':').next().unwrap().to_string();
    let env = [
        ("HOME", "/home/node".to_string()),
        ("TATUM_KMS_PASSWORD", PASSWORD.to_string()),
        ("TATUM_KMS_V2_KDF", "test".to_string()),
        ("TATUM_API_KEY", "static-key".to_string()),
        ("TATUM_API_URL", format!("http://tatum-api.test:{port}")),
    ];

    // `docker run -v "$PWD":/root/.tatumrc IMAGE generatemanagedwallet BTC --testnet`: randomness
    // without /dev (getrandom(2)), the wallet written through the /root/.tatumrc symlink.
    let (ok, stdout, stderr) = run_in_image(
        root.path(),
        host.path(),
        "/root/.tatumrc",
        &env,
        &["generatemanagedwallet", "BTC", "--testnet"],
        "",
    );
    assert!(ok, "generatemanagedwallet failed: {stderr}");
    let generated: Value = serde_json::from_str(&stdout).unwrap();
    assert!(generated["xpub"].as_str().unwrap().starts_with("tpub"));
    let wallet = host.path().join("wallet.dat");
    let meta = std::fs::metadata(&wallet).expect("wallet.dat in the mounted folder");
    assert_eq!(
        (meta.uid(), meta.permissions().mode() & 0o777),
        (1000, 0o600)
    );
    assert!(
        std::fs::read_dir(root.path().join("home/node/.tatumrc"))
            .unwrap()
            .next()
            .is_none(),
        "nothing written into the image itself"
    );

    let (ok, stdout, stderr) = run_in_image(
        root.path(),
        host.path(),
        "/root/.tatumrc",
        &env,
        &["storemanagedwallet", "ETH", "--testnet"],
        &format!("{M0}\n"),
    );
    assert!(ok, "storemanagedwallet failed: {stderr}");
    let eth_id = serde_json::from_str::<Value>(&stdout).unwrap()["signatureId"]
        .as_str()
        .unwrap()
        .to_string();

    // The variant that mounts the original image's `node` home sees the same wallet.
    let (ok, stdout, stderr) = run_in_image(
        root.path(),
        host.path(),
        "/home/node/.tatumrc",
        &env,
        &["getmanagedwallet", &eth_id],
        "",
    );
    assert!(ok, "getmanagedwallet failed: {stderr}");
    assert_eq!(
        serde_json::from_str::<Value>(&stdout).unwrap()["mnemonic"],
        M0
    );

    // `daemon --testnet`: the API reached by host name (/etc/hosts through glibc's built-in NSS).
    let (ok, _stdout, stderr) = run_in_image(
        root.path(),
        host.path(),
        "/root/.tatumrc",
        &env,
        &["daemon", "--runOnce", "--testnet", "--chain=ETH"],
        "",
    );
    assert!(ok, "daemon failed: {stderr}");
    let polls: Vec<Value> = emu
        .requests()
        .into_iter()
        .filter(|r| r["path"] == "/v3/kms/pending/ETH")
        .collect();
    assert_eq!(polls.len(), 1, "the daemon did not reach the API: {stderr}");
    assert_eq!(
        serde_json::from_str::<Value>(polls[0]["body"].as_str().unwrap()).unwrap(),
        json!({"signatureIds": [eth_id]})
    );
    // The daemon's own files (journal, audit log) land beside the wallet, in the mounted folder.
    assert!(host.path().join("wallet.dat.journal").is_file());
    assert!(host.path().join("wallet.dat.audit.log").is_file());
}
