//! `policy check FILE` and `policy test FILE CASES.json` (docs/POLICY.md).
//!
//! A case is `{"name"?, "pendingTransaction" | "view", "network"?, "wallets"?, "now"?,
//! "totals"?, "expect"?}`: a pending transaction is decoded as the daemon decodes it
//! (`network`: "mainnet" or "testnet", default mainnet), `wallets` defaults to its
//! `hashes` and `signatures` ids, `now` is RFC 3339 or Unix seconds (default: now), and
//! `totals` lists earlier spends `{"wallets": [...], "chain", "asset", "amount", "at"}`.
//! With `expect` ("allow" / "deny") a different decision makes the command fail.

use std::time::SystemTime;

use anyhow::{anyhow, Context as _, Result};
use kms_chains::decode::{decode, DecodedView};
use kms_core::{Chain, Network, PendingTransaction};
use kms_policy::{Context, MemoryTotals, Policy, Spend};
use serde_json::{json, Value};

use crate::cli::PolicyAction;
use crate::output;

pub fn run(action: &PolicyAction) -> Result<()> {
    match action {
        PolicyAction::Check { path } => {
            let policy = Policy::load(path)?;
            let rules: Vec<Value> = policy
                .rules
                .iter()
                .map(|r| json!({"name": r.name, "action": r.action}))
                .collect();
            output::print_pretty(&json!({"valid": true, "rules": rules}))
        }
        PolicyAction::Test { path, cases } => test(&Policy::load(path)?, cases),
    }
}

fn unix(v: &Value, what: &str) -> Result<u64> {
    match v {
        Value::Number(n) => n
            .as_u64()
            .ok_or_else(|| anyhow!("{what}: {n} is not Unix seconds")),
        Value::String(s) => humantime::parse_rfc3339_weak(s)
            .map_err(|e| anyhow!("{what}: {s:?}: {e}"))?
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .map_err(|_| anyhow!("{what}: {s:?} is before 1970")),
        other => Err(anyhow!("{what}: {other} is not a time")),
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The view and default wallets of a case.
fn case_view(case: &Value) -> Result<(DecodedView, Vec<String>)> {
    if let Some(view) = case.get("view") {
        let view: DecodedView =
            serde_json::from_value(view.clone()).context("view is not a decoded view")?;
        return Ok((view, Vec::new()));
    }
    let raw = case
        .get("pendingTransaction")
        .ok_or_else(|| anyhow!("a case needs a pendingTransaction or a view"))?;
    let tx: PendingTransaction =
        serde_json::from_value(raw.clone()).context("pendingTransaction is malformed")?;
    let chain: Chain = tx.chain.parse()?;
    let network = match case.get("network").and_then(Value::as_str) {
        None | Some("mainnet") => Network::Mainnet,
        Some("testnet") => Network::Testnet,
        Some(other) => return Err(anyhow!("network {other:?} is neither mainnet nor testnet")),
    };
    let wallets = tx
        .hashes
        .iter()
        .cloned()
        .chain(tx.signatures.iter().flatten().map(|s| s.id.clone()))
        .collect();
    Ok((decode(chain, network, &tx)?, wallets))
}

fn test(policy: &Policy, cases_path: &std::path::Path) -> Result<()> {
    let text = std::fs::read_to_string(cases_path)
        .with_context(|| format!("cannot read {}", cases_path.display()))?;
    let cases: Vec<Value> = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a JSON array of cases", cases_path.display()))?;
    let mut unexpected = 0;
    let mut out = String::new();
    for (i, case) in cases.iter().enumerate() {
        let at = || format!("case {} of {}", i + 1, cases_path.display());
        let name = case.get("name").cloned().unwrap_or(Value::Null);
        let mut line = json!({"case": i + 1, "name": name});
        let (allow, rule, reason) = match case_view(case) {
            Ok((view, default_wallets)) => {
                let wallets: Vec<String> = match case.get("wallets") {
                    Some(w) => serde_json::from_value(w.clone())
                        .with_context(|| format!("{}: wallets is not a list of ids", at()))?,
                    None => default_wallets,
                };
                let now = match case.get("now") {
                    Some(v) => unix(v, &format!("{}: now", at()))?,
                    None => now(),
                };
                let mut totals = MemoryTotals::default();
                for t in case
                    .get("totals")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let mut t = t.clone();
                    let at_secs = match t.get("at") {
                        Some(v) => unix(v, &format!("{}: totals.at", at()))?,
                        None => now,
                    };
                    t["at"] = json!(at_secs);
                    let spend: Spend = serde_json::from_value(t).with_context(|| {
                        format!(
                            "{}: a totals entry needs wallets, chain, asset, amount",
                            at()
                        )
                    })?;
                    totals.spends.push(spend);
                }
                let d = policy.evaluate(
                    &Context {
                        view: &view,
                        wallets: &wallets,
                        now,
                    },
                    &totals,
                );
                if case.get("pendingTransaction").is_some() {
                    line["view"] = serde_json::to_value(&view)?;
                }
                (d.allow, d.rule, d.reason)
            }
            // What the daemon does with a transaction it cannot decode.
            Err(e) if case.get("pendingTransaction").is_some() => {
                (false, None, format!("not decoded: {e:#}"))
            }
            Err(e) => return Err(e.context(at())),
        };
        let decision = if allow { "allow" } else { "deny" };
        line["decision"] = json!(decision);
        line["rule"] = json!(rule);
        line["reason"] = json!(reason);
        if let Some(expect) = case.get("expect").and_then(Value::as_str) {
            line["expected"] = json!(expect == decision);
            if expect != decision {
                unexpected += 1;
            }
        }
        out.push_str(&serde_json::to_string(&line)?);
        out.push('\n');
    }
    output::write_stdout(out.as_bytes())?;
    if unexpected > 0 {
        return Err(anyhow!(
            "{unexpected} case(s) did not get the expected decision"
        ));
    }
    Ok(())
}
