//! Prometheus counters and a health endpoint on a loopback address (`--metrics-addr`).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex};

#[derive(Default)]
pub struct Metrics {
    counters: Mutex<BTreeMap<(&'static str, String), f64>>,
}

const HELP: [(&str, &str, &str); 7] = [
    (
        "tatum_kms_polls_total",
        "counter",
        "Polls of the pending-transactions endpoint.",
    ),
    (
        "tatum_kms_poll_errors_total",
        "counter",
        "Polls that failed (API unreachable, bad answer).",
    ),
    (
        "tatum_kms_poll_seconds_sum",
        "counter",
        "Total seconds spent waiting for pending-transaction polls.",
    ),
    (
        "tatum_kms_transactions_signed_total",
        "counter",
        "Pending transactions signed and broadcast.",
    ),
    (
        "tatum_kms_transactions_failed_total",
        "counter",
        "Pending transactions that failed and were reported.",
    ),
    (
        "tatum_kms_transactions_skipped_foureye_total",
        "counter",
        "Pending transactions the four-eye service did not approve.",
    ),
    (
        "tatum_kms_transactions_rebroadcast_total",
        "counter",
        "Already-signed transactions broadcast again from the journal.",
    ),
];

impl Metrics {
    pub fn add(&self, name: &'static str, chain: &str, value: f64) {
        let mut c = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        *c.entry((name, chain.to_string())).or_insert(0.0) += value;
    }

    pub fn render(&self) -> String {
        let c = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = String::new();
        for (name, kind, help) in HELP {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for ((n, chain), v) in c.iter() {
                if *n == name {
                    let _ = writeln!(out, "{name}{{chain=\"{chain}\"}} {v}");
                }
            }
        }
        out
    }

    /// Serves `/metrics` and `/healthz` on `addr` from a background thread.
    pub fn serve(self: &Arc<Self>, addr: &str) -> Result<std::net::SocketAddr, String> {
        let server =
            tiny_http::Server::http(addr).map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        let bound = server.server_addr().to_ip().ok_or("no IP address")?;
        let metrics = Arc::clone(self);
        std::thread::spawn(move || {
            for request in server.incoming_requests() {
                let (status, body) = match request.url() {
                    "/metrics" => (200, metrics.render()),
                    "/healthz" => (200, "ok\n".to_string()),
                    _ => (404, "not found\n".to_string()),
                };
                let _ = request
                    .respond(tiny_http::Response::from_string(body).with_status_code(status));
            }
        });
        Ok(bound)
    }
}
