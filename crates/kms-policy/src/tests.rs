use super::*;
use proptest::prelude::*;
use serde_json::json;

const HOT: &str = "00000000-0000-4000-8000-000000000001";
const COLD: &str = "00000000-0000-4000-8000-000000000002";
const FRIEND: &str = "0x8cb76aed9c5e336ef961265c6079c14e9cd3d2ea";
const THIEF: &str = "0x000000000000000000000000000000000000dead";
/// 2024-01-03 (a Wednesday) 12:00 UTC.
const NOON: u64 = 1_704_283_200;

fn view(to: &str, amount: &str) -> DecodedView {
    serde_json::from_value(
        json!({"chain": "ETH", "network": "mainnet", "kind": "transfer",
        "from": [], "to": [{"address": to, "amount": amount}], "amount": amount}),
    )
    .unwrap()
}

fn decide(policy: &str, v: &DecodedView, wallets: &[&str], now: u64, t: &MemoryTotals) -> Decision {
    let p = Policy::parse(policy).unwrap();
    let wallets: Vec<String> = wallets.iter().map(|s| s.to_string()).collect();
    p.evaluate(
        &Context {
            view: v,
            wallets: &wallets,
            now,
        },
        t,
    )
}

const EXAMPLE: &str = r#"
version = 1

[[rule]]
name = "blocklist"
action = "deny"
to_any = ["0x000000000000000000000000000000000000dead"]

[[rule]]
name = "cold wallet never signs here"
action = "deny"
wallets = ["00000000-0000-4000-8000-000000000002"]

[[rule]]
name = "eth to known addresses, office hours, 1 ETH each, 2 ETH a day"
action = "allow"
chains = ["ETH"]
kinds = ["transfer"]
to_only = ["0x8CB76AED9C5E336EF961265C6079C14E9CD3D2EA"]
max_amount = "1000000000000000000"
window = { period = "24h", max = "2000000000000000000" }
hours = "08:00-18:00"
weekdays = ["mon", "tue", "wed", "thu", "fri"]
"#;

#[test]
fn the_example_policy() {
    let t = MemoryTotals::default();
    let one = "1000000000000000000";
    let d = decide(EXAMPLE, &view(FRIEND, one), &[HOT], NOON, &t);
    assert!(d.allow, "{d:?}");
    assert_eq!(
        d.rule.as_deref(),
        Some("eth to known addresses, office hours, 1 ETH each, 2 ETH a day")
    );
    // Over the per-transaction maximum: no allow rule matches.
    let d = decide(
        EXAMPLE,
        &view(FRIEND, "1000000000000000001"),
        &[HOT],
        NOON,
        &t,
    );
    assert_eq!((d.allow, d.rule), (false, None));
    // Unknown destination, and a blocklisted one.
    let d = decide(
        EXAMPLE,
        &view("0x1111111111111111111111111111111111111111", "1"),
        &[HOT],
        NOON,
        &t,
    );
    assert!(!d.allow);
    let d = decide(EXAMPLE, &view(THIEF, "1"), &[HOT], NOON, &t);
    assert_eq!(d.rule.as_deref(), Some("blocklist"));
    // The cold wallet is denied even for an otherwise allowed transfer.
    let d = decide(EXAMPLE, &view(FRIEND, "1"), &[HOT, COLD], NOON, &t);
    assert_eq!(d.rule.as_deref(), Some("cold wallet never signs here"));
    // Outside office hours (20:00) and on a Saturday (2024-01-06).
    assert!(!decide(EXAMPLE, &view(FRIEND, "1"), &[HOT], NOON + 8 * 3600, &t).allow);
    assert!(!decide(EXAMPLE, &view(FRIEND, "1"), &[HOT], NOON + 3 * 86_400, &t).allow);
}

#[test]
fn rolling_totals_count_the_window_only() {
    let one = "1000000000000000000";
    let spend = |at: u64, wallet: &str| Spend {
        wallets: vec![wallet.into()],
        chain: "ETH".into(),
        asset: "native".into(),
        amount: one.into(),
        at,
    };
    // 1 ETH an hour ago: a second one fits 2 ETH/24 h …
    let mut t = MemoryTotals {
        spends: vec![spend(NOON - 3600, HOT)],
    };
    assert!(decide(EXAMPLE, &view(FRIEND, one), &[HOT], NOON, &t).allow);
    // … a third does not; one of another wallet does not count; one from yesterday neither.
    t.spends.push(spend(NOON - 60, HOT));
    assert!(!decide(EXAMPLE, &view(FRIEND, one), &[HOT], NOON, &t).allow);
    assert!(decide(EXAMPLE, &view(FRIEND, one), &["other"], NOON, &t).allow);
    // A day after the first spend it has left the window: 1 + 1 fits again.
    assert!(
        !decide(
            EXAMPLE,
            &view(FRIEND, one),
            &[HOT],
            NOON + 86_400 - 3600,
            &t
        )
        .allow
    );
    assert!(
        decide(
            EXAMPLE,
            &view(FRIEND, one),
            &[HOT],
            NOON + 86_400 - 3600 + 1,
            &t
        )
        .allow
    );
    let t = MemoryTotals {
        spends: vec![spend(NOON - 86_401, HOT), spend(NOON - 86_401, HOT)],
    };
    assert!(decide(EXAMPLE, &view(FRIEND, one), &[HOT], NOON, &t).allow);
}

#[test]
fn deny_rules_with_over_bounds_and_chain_scope() {
    let policy = r#"
[[rule]]
name = "big"
action = "deny"
over_amount = 100
[[rule]]
name = "chain-wide"
action = "deny"
window = { period = "1h", over = "150", scope = "chain" }
[[rule]]
name = "rest"
action = "allow"
"#;
    let t = MemoryTotals {
        spends: vec![Spend {
            wallets: vec!["someone else".into()],
            chain: "ETH".into(),
            asset: "native".into(),
            amount: "100".into(),
            at: NOON - 10,
        }],
    };
    assert_eq!(
        decide(policy, &view(FRIEND, "101"), &[HOT], NOON, &t)
            .rule
            .as_deref(),
        Some("big")
    );
    assert_eq!(
        decide(policy, &view(FRIEND, "51"), &[HOT], NOON, &t)
            .rule
            .as_deref(),
        Some("chain-wide")
    );
    assert_eq!(
        decide(policy, &view(FRIEND, "50"), &[HOT], NOON, &t)
            .rule
            .as_deref(),
        Some("rest")
    );
}

#[test]
fn token_conditions() {
    let policy = r#"
[[rule]]
name = "usdt up to 1000"
action = "allow"
kinds = ["tokenTransfer"]
tokens = ["0xdac17f958d2ee523a2206206994597c13d831ec7"]
max_token_amount = "1000000000"
"#;
    let mut v = view(FRIEND, "0");
    v.kind = Kind::TokenTransfer;
    v.token = Some(kms_chains::decode::Token {
        contract: Some("0xDAC17F958D2EE523A2206206994597C13D831EC7".into()),
        amount: "1000000000".into(),
    });
    let t = MemoryTotals::default();
    assert!(decide(policy, &v, &[HOT], NOON, &t).allow);
    v.token.as_mut().unwrap().amount = "1000000001".into();
    assert!(!decide(policy, &v, &[HOT], NOON, &t).allow);
    // A native transfer is not a token transfer.
    assert!(!decide(policy, &view(FRIEND, "1"), &[HOT], NOON, &t).allow);
}

#[test]
fn utxo_change_is_not_a_destination() {
    let policy = r#"
[[rule]]
name = "only friend"
action = "allow"
to_only = ["mkpZhYtJu2r87Js3pDiWJDmPte2NRZ8bJV"]
"#;
    let v: DecodedView = serde_json::from_value(
        json!({"chain": "BTC", "network": "testnet", "kind": "transfer",
        "from": ["x"], "to": [{"address": "mkpZhYtJu2r87Js3pDiWJDmPte2NRZ8bJV", "amount": "5"},
                              {"address": "x", "amount": "7", "change": true}], "amount": "5"}),
    )
    .unwrap();
    assert!(decide(policy, &v, &[HOT], NOON, &MemoryTotals::default()).allow);
    // Base58 addresses are compared exactly.
    let policy = policy.replace("mkpZ", "MKPZ");
    assert!(!decide(&policy, &v, &[HOT], NOON, &MemoryTotals::default()).allow);
}

#[test]
fn hours_wrap_past_midnight() {
    let policy = "[[rule]]\nname = \"night\"\naction = \"allow\"\nhours = \"22:00-06:00\"\n";
    let t = MemoryTotals::default();
    let midnight = NOON - 12 * 3600;
    assert!(decide(policy, &view(FRIEND, "1"), &[HOT], midnight + 23 * 3600, &t).allow);
    assert!(
        decide(
            policy,
            &view(FRIEND, "1"),
            &[HOT],
            midnight + 5 * 3600 + 59 * 60,
            &t
        )
        .allow
    );
    assert!(!decide(policy, &view(FRIEND, "1"), &[HOT], midnight + 6 * 3600, &t).allow);
    assert!(!decide(policy, &view(FRIEND, "1"), &[HOT], NOON, &t).allow);
}

#[test]
fn errors_name_the_line_and_the_rule() {
    let bad = |text: &str| Policy::parse(text).unwrap_err().0;
    let e = bad("[[rule]]\nname = \"a\"\naction = \"allow\"\n\n[[rule]]\nname = \"b\"\naction = \"allow\"\nmax_amount = \"1.2.3\"\n");
    assert!(e.starts_with("line 5, rule 2 (\"b\"): max_amount"), "{e}");
    let e = bad("[[rule]]\nname = \"a\"\naction = \"allow\"\nchains = [\"ETC\"]\n");
    assert!(e.contains("\"ETC\" is not a chain code"), "{e}");
    let e = bad("[[rule]]\nname = \"a\"\naction = \"maybe\"\n");
    assert!(e.contains("line 3"), "{e}");
    let e = bad("[[rule]]\nname = \"a\"\naction = \"allow\"\nmax_amout = 1\n");
    assert!(e.contains("max_amout"), "{e}");
    assert!(bad("version = 1\n").contains("no [[rule]]"));
    assert!(
        bad("[[rule]]\nname = \"a\"\naction = \"allow\"\nhours = \"8-18\"\n").contains("HH:MM")
    );
    assert!(
        bad("[[rule]]\nname = \"a\"\naction = \"allow\"\nwindow = { period = \"1d\" }\n")
            .contains("exactly one")
    );
    assert!(bad(
        "[[rule]]\nname = \"a\"\naction = \"allow\"\n[[rule]]\nname = \"a\"\naction = \"deny\"\n"
    )
    .contains("another rule"));
    assert!(
        bad("[[rule]]\nname = \"a\"\naction = \"allow\"\nkinds = [\"swap\"]\n").contains("line")
    );
}

// --- properties -------------------------------------------------------------------------

#[derive(Clone, Debug)]
struct GenRule {
    deny: bool,
    chain: Option<&'static str>,
    to_any: bool,
    max: Option<u64>,
}

fn gen_rule() -> impl Strategy<Value = GenRule> {
    (
        any::<bool>(),
        proptest::option::of(prop_oneof![Just("ETH"), Just("BTC")]),
        any::<bool>(),
        proptest::option::of(0u64..2000),
    )
        .prop_map(|(deny, chain, to_any, max)| GenRule {
            deny,
            chain,
            to_any,
            max,
        })
}

fn render(rules: &[GenRule]) -> String {
    let mut s = String::new();
    for (i, r) in rules.iter().enumerate() {
        s += &format!(
            "[[rule]]\nname = \"r{i}\"\naction = \"{}\"\n",
            if r.deny { "deny" } else { "allow" }
        );
        if let Some(c) = r.chain {
            s += &format!("chains = [\"{c}\"]\n");
        }
        if r.to_any {
            s += &format!("to_any = [\"{FRIEND}\"]\n");
        }
        if let Some(m) = r.max {
            s += &format!("max_amount = {m}\n");
        }
    }
    s
}

fn gen_view() -> impl Strategy<Value = DecodedView> {
    (
        prop_oneof![Just("ETH"), Just("BTC")],
        any::<bool>(),
        0u64..2000,
    )
        .prop_map(|(chain, friend, amount)| {
            let mut v = view(if friend { FRIEND } else { THIEF }, &amount.to_string());
            v.chain = chain.into();
            v
        })
}

proptest! {
    /// Any matching deny rule refuses, whatever the order of the rules.
    #[test]
    fn deny_wins_regardless_of_order(
        rules in proptest::collection::vec(gen_rule(), 1..8),
        v in gen_view(),
        seed in any::<u64>(),
    ) {
        let t = MemoryTotals::default();
        let policy = Policy::parse(&render(&rules)).unwrap();
        let ctx = Context { view: &v, wallets: &[], now: NOON };
        let d = policy.evaluate(&ctx, &t);
        let any_deny = policy.rules.iter().any(|r| r.action == Action::Deny && r.matches(&ctx, &t));
        let any_allow = policy.rules.iter().any(|r| r.action == Action::Allow && r.matches(&ctx, &t));
        prop_assert_eq!(d.allow, any_allow && !any_deny);
        // The same rules in another order give the same answer.
        let mut shuffled = rules.clone();
        let n = shuffled.len();
        for i in 0..n {
            shuffled.swap(i, (seed as usize).wrapping_add(i * 7) % n);
        }
        let d2 = Policy::parse(&render(&shuffled)).unwrap().evaluate(&ctx, &t);
        prop_assert_eq!(d.allow, d2.allow);
        if any_deny {
            let rule = d.rule.clone().unwrap();
            let decided = policy.rules.iter().find(|r| r.name == rule).unwrap();
            prop_assert_eq!(decided.action, Action::Deny);
        }
    }

    /// Without a matching allow rule, the answer is no (default deny).
    #[test]
    fn default_deny(
        rules in proptest::collection::vec(gen_rule().prop_map(|r| GenRule { deny: true, ..r }), 1..6),
        v in gen_view(),
    ) {
        let t = MemoryTotals::default();
        let d = Policy::parse(&render(&rules)).unwrap().evaluate(&Context { view: &v, wallets: &[], now: NOON }, &t);
        prop_assert!(!d.allow);
    }
}
