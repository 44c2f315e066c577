//! The signing policy: an ordered list of allow and deny rules over the decoded view of a
//! pending transaction (`kms_chains::decode`). Deny wins: any matching `deny` rule refuses
//! the transaction whatever its place; otherwise the first matching `allow` rule lets it
//! through; when no rule matches, it is refused (default deny). The format is specified in
//! `docs/POLICY.md`.
//!
//! Pure: the clock and the rolling totals of what was already signed are passed in
//! ([`Context::now`], [`Totals`]), so every decision can be replayed in a test.
#![forbid(unsafe_code)]

mod amount;

use std::path::Path;
use std::time::Duration;

use kms_chains::decode::{DecodedView, Kind};
use kms_core::Chain;
use serde::{Deserialize, Serialize};

pub use amount::Amount;

/// A policy file that cannot be used, with the place that is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PolicyError(pub String);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Allow,
    Deny,
}

/// A number in the file: a TOML integer or a decimal string.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
enum AmountText {
    Int(u64),
    Text(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
enum Scope {
    #[default]
    Wallet,
    Chain,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WindowFile {
    period: String,
    #[serde(default)]
    max: Option<AmountText>,
    #[serde(default)]
    over: Option<AmountText>,
    #[serde(default)]
    scope: Scope,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    name: String,
    action: Action,
    #[serde(default)]
    chains: Option<Vec<String>>,
    #[serde(default)]
    networks: Option<Vec<String>>,
    #[serde(default)]
    wallets: Option<Vec<String>>,
    #[serde(default)]
    kinds: Option<Vec<Kind>>,
    #[serde(default)]
    tokens: Option<Vec<String>>,
    #[serde(default)]
    to_only: Option<Vec<String>>,
    #[serde(default)]
    to_any: Option<Vec<String>>,
    #[serde(default)]
    max_amount: Option<AmountText>,
    #[serde(default)]
    over_amount: Option<AmountText>,
    #[serde(default)]
    max_token_amount: Option<AmountText>,
    #[serde(default)]
    over_token_amount: Option<AmountText>,
    #[serde(default)]
    window: Option<WindowFile>,
    #[serde(default)]
    hours: Option<String>,
    #[serde(default)]
    weekdays: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    #[serde(default)]
    version: Option<u32>,
    #[serde(default)]
    rule: Vec<RuleFile>,
}

#[derive(Clone, Debug)]
enum Bound {
    /// Holds when the value is at most this.
    Max(Amount),
    /// Holds when the value is more than this.
    Over(Amount),
}

impl Bound {
    fn holds(&self, v: &Amount) -> bool {
        match self {
            Bound::Max(m) => v <= m,
            Bound::Over(o) => v > o,
        }
    }
}

#[derive(Clone, Debug)]
struct Window {
    period: Duration,
    bound: Bound,
    scope: Scope,
}

/// One rule, checked: every condition given must hold for the rule to match.
#[derive(Clone, Debug)]
pub struct Rule {
    pub name: String,
    pub action: Action,
    chains: Option<Vec<String>>,
    networks: Option<Vec<String>>,
    wallets: Option<Vec<String>>,
    kinds: Option<Vec<Kind>>,
    tokens: Option<Vec<String>>,
    to_only: Option<Vec<String>>,
    to_any: Option<Vec<String>>,
    amount: Vec<Bound>,
    token_amount: Vec<Bound>,
    window: Option<Window>,
    /// Minutes after midnight UTC, `[start, end)`; wraps past midnight when end < start.
    hours: Option<(u32, u32)>,
    /// 0 = Sunday.
    weekdays: Option<Vec<u32>>,
}

/// A checked policy.
#[derive(Clone, Debug)]
pub struct Policy {
    pub rules: Vec<Rule>,
}

/// What the policy decided, and which rule decided it (`None`: no rule matched).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub allow: bool,
    pub rule: Option<String>,
    pub reason: String,
}

/// Everything a decision depends on besides the totals.
pub struct Context<'a> {
    pub view: &'a DecodedView,
    /// The wallet ids (signatureIds) of the transaction: `hashes`, then `signatures`.
    pub wallets: &'a [String],
    /// Seconds since the Unix epoch.
    pub now: u64,
}

/// The rolling totals of what was already signed.
pub trait Totals {
    /// The sum of `asset` amounts signed on `chain` at or after `since` (Unix seconds), by
    /// `wallet`, or by every wallet when `wallet` is `None`.
    fn total(&self, wallet: Option<&str>, chain: &str, asset: &str, since: u64) -> Amount;
}

/// One signed transaction's contribution to the totals.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Spend {
    pub wallets: Vec<String>,
    pub chain: String,
    pub asset: String,
    pub amount: String,
    /// Unix seconds.
    pub at: u64,
}

/// Totals over a list of spends (the daemon fills it from its journal).
#[derive(Clone, Debug, Default)]
pub struct MemoryTotals {
    pub spends: Vec<Spend>,
}

impl Totals for MemoryTotals {
    fn total(&self, wallet: Option<&str>, chain: &str, asset: &str, since: u64) -> Amount {
        self.spends
            .iter()
            .filter(|s| s.chain == chain && s.asset == asset && s.at >= since)
            .filter(|s| wallet.is_none_or(|w| s.wallets.iter().any(|x| x == w)))
            .filter_map(|s| Amount::parse(&s.amount))
            .fold(Amount::zero(), |a, b| a.add(&b))
    }
}

/// The asset a view moves, as totals are kept: the token contract for a token transfer
/// (`token:unknown` when the transaction does not name it), else `native`.
pub fn asset_of(view: &DecodedView) -> String {
    match &view.token {
        Some(t) => t.contract.clone().unwrap_or_else(|| "token:unknown".into()),
        None => "native".into(),
    }
}

/// The amount a view adds to its asset's totals.
pub fn amount_of(view: &DecodedView) -> Amount {
    let text = view.token.as_ref().map_or(&view.amount, |t| &t.amount);
    Amount::parse(text).unwrap_or_default()
}

/// What a signed transaction adds to the totals.
pub fn spend_of(view: &DecodedView, wallets: &[String], at: u64) -> Spend {
    Spend {
        wallets: wallets.to_vec(),
        chain: view.chain.clone(),
        asset: asset_of(view),
        amount: amount_of(view).to_string(),
        at,
    }
}

fn same_address(a: &str, b: &str) -> bool {
    if a.starts_with("0x") || a.starts_with("xdc") {
        a.eq_ignore_ascii_case(b)
    } else {
        a == b
    }
}

fn listed(list: &[String], address: &str) -> bool {
    list.iter().any(|x| same_address(x, address))
}

impl Rule {
    fn matches(&self, ctx: &Context<'_>, totals: &dyn Totals) -> bool {
        let v = ctx.view;
        let in_list = |list: &Option<Vec<String>>, value: &str| {
            list.as_ref()
                .is_none_or(|l| l.iter().any(|x| x.eq_ignore_ascii_case(value)))
        };
        if !in_list(&self.chains, &v.chain) || !in_list(&self.networks, &v.network) {
            return false;
        }
        if let Some(w) = &self.wallets {
            if !ctx.wallets.iter().any(|id| w.contains(id)) {
                return false;
            }
        }
        if let Some(k) = &self.kinds {
            if !k.contains(&v.kind) {
                return false;
            }
        }
        if let Some(t) = &self.tokens {
            let asset = asset_of(v);
            if !t.iter().any(|x| same_address(x, &asset)) {
                return false;
            }
        }
        let destinations: Vec<&str> =
            v.to.iter()
                .filter(|r| !r.change)
                .map(|r| r.address.as_str())
                .collect();
        if let Some(list) = &self.to_only {
            if !destinations.iter().all(|d| listed(list, d)) {
                return false;
            }
        }
        if let Some(list) = &self.to_any {
            if !destinations.iter().any(|d| listed(list, d)) {
                return false;
            }
        }
        let native = Amount::parse(&v.amount).unwrap_or_default();
        if !self.amount.iter().all(|b| b.holds(&native)) {
            return false;
        }
        if !self.token_amount.is_empty() {
            // Token bounds only concern token transfers.
            let Some(token) = &v.token else {
                return false;
            };
            let amount = Amount::parse(&token.amount).unwrap_or_default();
            if !self.token_amount.iter().all(|b| b.holds(&amount)) {
                return false;
            }
        }
        let seconds = ctx.now % 86_400;
        if let Some((start, end)) = self.hours {
            let minute = (seconds / 60) as u32;
            let inside = if start <= end {
                (start..end).contains(&minute)
            } else {
                minute >= start || minute < end
            };
            if !inside {
                return false;
            }
        }
        if let Some(days) = &self.weekdays {
            // 1970-01-01 was a Thursday (4).
            let weekday = ((ctx.now / 86_400 + 4) % 7) as u32;
            if !days.contains(&weekday) {
                return false;
            }
        }
        if let Some(w) = &self.window {
            let since = ctx.now.saturating_sub(w.period.as_secs());
            let asset = asset_of(v);
            let amount = amount_of(v);
            let after =
                |wallet: Option<&str>| totals.total(wallet, &v.chain, &asset, since).add(&amount);
            let holds = match (w.scope, &w.bound) {
                (Scope::Chain, b) => b.holds(&after(None)),
                // Every wallet of the transaction must stay within the maximum …
                (Scope::Wallet, b @ Bound::Max(_)) => {
                    ctx.wallets.iter().all(|id| b.holds(&after(Some(id))))
                }
                // … and one wallet over the threshold is enough.
                (Scope::Wallet, b @ Bound::Over(_)) => {
                    ctx.wallets.iter().any(|id| b.holds(&after(Some(id))))
                }
            };
            if !holds {
                return false;
            }
        }
        true
    }
}

impl Policy {
    pub fn load(path: &Path) -> Result<Self, PolicyError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| PolicyError(format!("policy file {}: {e}", path.display())))?;
        Self::parse(&text).map_err(|e| PolicyError(format!("policy file {}: {e}", path.display())))
    }

    pub fn parse(text: &str) -> Result<Self, PolicyError> {
        let file: PolicyFile = toml::from_str(text).map_err(|e| PolicyError(e.to_string()))?;
        if let Some(v) = file.version {
            if v != 1 {
                return Err(PolicyError(format!("version {v} is not supported (1 is)")));
            }
        }
        if file.rule.is_empty() {
            return Err(PolicyError(
                "the policy has no [[rule]]: it would refuse every transaction".into(),
            ));
        }
        let lines = rule_lines(text);
        let mut rules = Vec::with_capacity(file.rule.len());
        for (i, r) in file.rule.into_iter().enumerate() {
            let at = match lines.get(i) {
                Some(line) => format!("line {line}, rule {} ({:?})", i + 1, r.name),
                None => format!("rule {} ({:?})", i + 1, r.name),
            };
            if rules.iter().any(|x: &Rule| x.name == r.name) {
                return Err(PolicyError(format!("{at}: another rule has this name")));
            }
            rules.push(check_rule(r).map_err(|e| PolicyError(format!("{at}: {e}")))?);
        }
        Ok(Self { rules })
    }

    /// Deny wins; else the first matching allow; else default deny.
    pub fn evaluate(&self, ctx: &Context<'_>, totals: &dyn Totals) -> Decision {
        let mut allowed_by = None;
        for rule in &self.rules {
            if !rule.matches(ctx, totals) {
                continue;
            }
            match rule.action {
                Action::Deny => {
                    return Decision {
                        allow: false,
                        rule: Some(rule.name.clone()),
                        reason: format!("denied by rule {:?}", rule.name),
                    }
                }
                Action::Allow => {
                    allowed_by.get_or_insert_with(|| rule.name.clone());
                }
            }
        }
        match allowed_by {
            Some(name) => Decision {
                allow: true,
                reason: format!("allowed by rule {name:?}"),
                rule: Some(name),
            },
            None => Decision {
                allow: false,
                rule: None,
                reason: "no rule allows it (default deny)".into(),
            },
        }
    }

    /// The longest rolling window of any rule (how much history the totals need).
    pub fn longest_window(&self) -> Option<Duration> {
        self.rules
            .iter()
            .filter_map(|r| r.window.as_ref().map(|w| w.period))
            .max()
    }
}

/// The 1-based line of each `[[rule]]` header, in order.
fn rule_lines(text: &str) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.trim_start().starts_with("[[rule]]"))
        .map(|(i, _)| i + 1)
        .collect()
}

fn amount(name: &str, v: Option<AmountText>) -> Result<Option<Amount>, String> {
    match v {
        None => Ok(None),
        Some(AmountText::Int(n)) => Ok(Some(Amount::parse(&n.to_string()).unwrap_or_default())),
        Some(AmountText::Text(t)) => Amount::parse(&t)
            .map(Some)
            .ok_or_else(|| format!("{name} {t:?} is not a non-negative decimal amount")),
    }
}

fn bounds(
    max_name: &str,
    max: Option<AmountText>,
    over_name: &str,
    over: Option<AmountText>,
) -> Result<Vec<Bound>, String> {
    let mut out = Vec::new();
    if let Some(m) = amount(max_name, max)? {
        out.push(Bound::Max(m));
    }
    if let Some(o) = amount(over_name, over)? {
        out.push(Bound::Over(o));
    }
    Ok(out)
}

fn hhmm(text: &str) -> Option<u32> {
    let (h, m) = text.trim().split_once(':')?;
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h <= 24 && m < 60 && h * 60 + m <= 1440).then_some(h * 60 + m)
}

fn check_rule(r: RuleFile) -> Result<Rule, String> {
    if r.name.trim().is_empty() {
        return Err("name is empty".into());
    }
    if let Some(chains) = &r.chains {
        for c in chains {
            c.parse::<Chain>()
                .map_err(|_| format!("chains: {c:?} is not a chain code"))?;
        }
    }
    if let Some(nets) = &r.networks {
        for n in nets {
            if n != "mainnet" && n != "testnet" {
                return Err(format!("networks: {n:?} is neither mainnet nor testnet"));
            }
        }
    }
    let hours = match &r.hours {
        None => None,
        Some(h) => {
            let (a, b) = h
                .split_once('-')
                .and_then(|(a, b)| Some((hhmm(a)?, hhmm(b)?)))
                .ok_or_else(|| format!("hours {h:?} is not HH:MM-HH:MM (UTC)"))?;
            if a == b {
                return Err(format!("hours {h:?} is an empty range"));
            }
            Some((a, b))
        }
    };
    let weekdays = match &r.weekdays {
        None => None,
        Some(days) => Some(
            days.iter()
                .map(|d| {
                    ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
                        .iter()
                        .position(|x| x.eq_ignore_ascii_case(d.trim()))
                        .map(|p| p as u32)
                        .ok_or_else(|| format!("weekdays: {d:?} is not mon, tue, … sun"))
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
    };
    let window = match r.window {
        None => None,
        Some(w) => {
            let period = humantime::parse_duration(&w.period)
                .map_err(|e| format!("window.period {:?}: {e}", w.period))?;
            if period.is_zero() {
                return Err("window.period is zero".into());
            }
            let mut b = bounds("window.max", w.max, "window.over", w.over)?;
            if b.len() != 1 {
                return Err("window needs exactly one of max or over".into());
            }
            Some(Window {
                period,
                bound: b.remove(0),
                scope: w.scope,
            })
        }
    };
    for (name, list) in [("to_only", &r.to_only), ("to_any", &r.to_any)] {
        if list.as_ref().is_some_and(|l| l.is_empty()) {
            return Err(format!("{name} is an empty list"));
        }
    }
    Ok(Rule {
        name: r.name,
        action: r.action,
        chains: r.chains,
        networks: r.networks,
        wallets: r.wallets,
        kinds: r.kinds,
        tokens: r.tokens,
        to_only: r.to_only,
        to_any: r.to_any,
        amount: bounds("max_amount", r.max_amount, "over_amount", r.over_amount)?,
        token_amount: bounds(
            "max_token_amount",
            r.max_token_amount,
            "over_token_amount",
            r.over_token_amount,
        )?,
        window,
        hours,
        weekdays,
    })
}

#[cfg(test)]
mod tests;
