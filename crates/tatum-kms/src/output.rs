//! Output as the original writes it: `JSON.stringify(x, null, 2)` plus a newline on stdout,
//! errors as `{"error": "..."}` the same way on stderr. Buffers that may hold secrets are
//! wiped after writing.

use std::io::Write;

use anyhow::{Context, Result};
use serde::Serialize;
use zeroize::Zeroizing;

pub fn print_pretty<T: Serialize + ?Sized>(value: &T) -> Result<()> {
    let mut buf = Zeroizing::new(Vec::with_capacity(4096));
    serde_json::to_writer_pretty(&mut *buf, value).context("cannot format output")?;
    buf.push(b'\n');
    write_stdout(&buf)
}

pub fn print_compact<T: Serialize + ?Sized>(value: &T) -> Result<()> {
    let mut buf = Zeroizing::new(Vec::with_capacity(256));
    serde_json::to_writer(&mut *buf, value).context("cannot format output")?;
    buf.push(b'\n');
    write_stdout(&buf)
}

pub fn write_stdout(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|_| out.flush())
        .context("cannot write to stdout")
}

/// `{"error": message}` pretty-printed on stderr.
pub fn print_error(message: &str) {
    let body = serde_json::json!({ "error": message });
    let text = serde_json::to_string_pretty(&body)
        .unwrap_or_else(|_| format!("{{\"error\": {message:?}}}"));
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}
