use std::fmt;

use serde_json::{Map, Value};
use zeroize::Zeroize;

use crate::Chain;

/// One value of the wallet map `{signatureId: entry}`.
///
/// Kept as the JSON the original wrote, field order included, because a legacy file we
/// rewrite must still read the same in the original (and `export` must print it the same).
/// Typed accessors read the fields the KMS cares about. The strings are wiped on drop and
/// `Debug` shows only the non-secret fields.
#[derive(Clone, PartialEq)]
pub struct WalletEntry(Value);

/// How the original's `report` classifies an entry (`validateWallet`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryKind {
    Mnemonic,
    PrivateKey,
    Secret,
    Other,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Mnemonic => "MNEMONIC",
            EntryKind::PrivateKey => "PRIVATE_KEY",
            EntryKind::Secret => "SECRET",
            EntryKind::Other => "OTHER",
        }
    }
}

impl WalletEntry {
    /// Wraps any JSON value read from a wallet file (the original never validated them).
    pub fn from_json(value: Value) -> Self {
        Self(value)
    }

    /// Builds an entry from fields in the given order; `chain` and `testnet` go last,
    /// as the original appends them after the SDK's wallet fields.
    pub fn build<I, K>(fields: I, chain: Chain, testnet: bool) -> Self
    where
        I: IntoIterator<Item = (K, String)>,
        K: Into<String>,
    {
        let mut map = Map::new();
        for (key, value) in fields {
            map.insert(key.into(), Value::String(value));
        }
        map.insert("chain".into(), Value::String(chain.code().into()));
        map.insert("testnet".into(), Value::Bool(testnet));
        Self(Value::Object(map))
    }

    pub fn as_json(&self) -> &Value {
        &self.0
    }

    pub fn is_object(&self) -> bool {
        self.0.is_object()
    }

    /// A string field, or `None` when absent, not a string, or empty (JS falsy).
    pub fn field(&self, name: &str) -> Option<&str> {
        match self.0.get(name) {
            Some(Value::String(s)) if !s.is_empty() => Some(s.as_str()),
            _ => None,
        }
    }

    /// A field's JSON type as JavaScript's `typeof` names it, for the `report` warnings.
    pub fn field_type(&self, name: &str) -> &'static str {
        match self.0.get(name) {
            None => "undefined",
            Some(Value::Null) => "object",
            Some(Value::Bool(_)) => "boolean",
            Some(Value::Number(_)) => "number",
            Some(Value::String(_)) => "string",
            Some(Value::Array(_)) | Some(Value::Object(_)) => "object",
        }
    }

    pub fn chain_code(&self) -> Option<&str> {
        self.field("chain")
    }

    /// The entry's chain, when its `chain` field is a known code.
    pub fn chain(&self) -> Option<Chain> {
        self.chain_code().and_then(|c| c.parse().ok())
    }

    /// The stored `testnet` flag, when it is a JSON boolean.
    pub fn testnet(&self) -> Option<bool> {
        self.0.get("testnet").and_then(Value::as_bool)
    }

    pub fn mnemonic(&self) -> Option<&str> {
        self.field("mnemonic")
    }

    pub fn xpub(&self) -> Option<&str> {
        self.field("xpub")
    }

    pub fn private_key(&self) -> Option<&str> {
        self.field("privateKey")
    }

    pub fn secret(&self) -> Option<&str> {
        self.field("secret")
    }

    pub fn address(&self) -> Option<&str> {
        self.field("address")
    }

    /// Classification by the first secret field present, in the original's order.
    pub fn kind(&self) -> EntryKind {
        if self.mnemonic().is_some() {
            EntryKind::Mnemonic
        } else if self.private_key().is_some() {
            EntryKind::PrivateKey
        } else if self.secret().is_some() {
            EntryKind::Secret
        } else {
            EntryKind::Other
        }
    }
}

fn wipe(value: &mut Value) {
    match value {
        Value::String(s) => s.zeroize(),
        Value::Array(items) => items.iter_mut().for_each(wipe),
        Value::Object(map) => map.values_mut().for_each(wipe),
        _ => {}
    }
}

impl Drop for WalletEntry {
    fn drop(&mut self) {
        wipe(&mut self.0);
    }
}

impl fmt::Debug for WalletEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fields: Vec<&str> = match &self.0 {
            Value::Object(map) => map.keys().map(String::as_str).collect(),
            _ => Vec::new(),
        };
        f.debug_struct("WalletEntry")
            .field("chain", &self.chain_code())
            .field("testnet", &self.testnet())
            .field("fields", &fields)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_keeps_field_order_and_appends_chain_and_testnet() {
        let e = WalletEntry::build(
            [("xpub", "X".to_string()), ("mnemonic", "M".to_string())],
            Chain::Eth,
            true,
        );
        assert_eq!(
            serde_json::to_string(e.as_json()).unwrap(),
            r#"{"xpub":"X","mnemonic":"M","chain":"ETH","testnet":true}"#
        );
        assert_eq!(e.chain(), Some(Chain::Eth));
        assert_eq!(e.kind(), EntryKind::Mnemonic);
    }

    #[test]
    fn debug_never_shows_secret_values() {
        let e = WalletEntry::build(
            [("mnemonic", "canary words".to_string())],
            Chain::Btc,
            false,
        );
        let shown = format!("{e:?}");
        assert!(!shown.contains("canary"), "{shown}");
        assert!(shown.contains("BTC"));
    }

    #[test]
    fn kind_follows_the_original_precedence() {
        let sol = WalletEntry::from_json(serde_json::json!({
            "mnemonic": "m", "address": "a", "privateKey": "p", "chain": "SOL", "testnet": false
        }));
        assert_eq!(sol.kind(), EntryKind::Mnemonic);
        let xrp = WalletEntry::from_json(serde_json::json!({"address": "r", "secret": "s"}));
        assert_eq!(xrp.kind(), EntryKind::Secret);
        let empty = WalletEntry::from_json(serde_json::json!({"privateKey": ""}));
        assert_eq!(empty.kind(), EntryKind::Other);
        assert_eq!(empty.field_type("privateKey"), "string");
        assert_eq!(empty.field_type("xpub"), "undefined");
    }
}
