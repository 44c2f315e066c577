//! The decrypted wallet map `{signatureId: entry}`, in the order the original keeps it.

use indexmap::IndexMap;
use kms_core::WalletEntry;
use serde_json::Value;
use zeroize::Zeroizing;

type SecretBytes = Zeroizing<Vec<u8>>;

/// Why a decrypted plaintext is not a wallet map.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlaintextError {
    #[error("the decrypted data is not UTF-8 text")]
    NotUtf8,
    #[error("the decrypted data is not a JSON object")]
    NotJsonObject,
}

/// All wallets of one store, in file order.
#[derive(Default, Debug)]
pub struct Wallets {
    entries: IndexMap<String, WalletEntry>,
}

impl Wallets {
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses the plaintext the original writes: `JSON.stringify(map)`.
    pub fn from_plaintext(plaintext: &[u8]) -> Result<Self, PlaintextError> {
        let text = std::str::from_utf8(plaintext).map_err(|_| PlaintextError::NotUtf8)?;
        let value: Value = serde_json::from_str(text).map_err(|_| PlaintextError::NotJsonObject)?;
        let Value::Object(map) = value else {
            return Err(PlaintextError::NotJsonObject);
        };
        let entries = map
            .into_iter()
            .map(|(id, entry)| (id, WalletEntry::from_json(entry)))
            .collect();
        Ok(Self { entries })
    }

    /// Serializes like `JSON.stringify(map)`: compact, keys in order.
    pub fn to_plaintext(&self) -> Zeroizing<Vec<u8>> {
        // Serialize each part into one pre-sized buffer so no partial copy of the secrets
        // is left behind by a reallocation.
        let mut parts: Vec<(SecretBytes, SecretBytes)> = Vec::new();
        let mut total = 2;
        for (id, entry) in &self.entries {
            let key = Zeroizing::new(serde_json::to_vec(id).unwrap_or_default());
            let value = Zeroizing::new(serde_json::to_vec(entry.as_json()).unwrap_or_default());
            total += key.len() + value.len() + 2;
            parts.push((key, value));
        }
        let mut out = Zeroizing::new(Vec::with_capacity(total));
        out.push(b'{');
        for (i, (key, value)) in parts.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(key);
            out.push(b':');
            out.extend_from_slice(value);
        }
        out.push(b'}');
        out
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn get(&self, signature_id: &str) -> Option<&WalletEntry> {
        self.entries.get(signature_id)
    }

    pub fn contains(&self, signature_id: &str) -> bool {
        self.entries.contains_key(signature_id)
    }

    /// Adds an entry in front of the others, as the original's `{...newEntry, ...existing}`.
    pub fn insert_first(&mut self, signature_id: String, entry: WalletEntry) {
        self.entries.shift_remove(&signature_id);
        self.entries.shift_insert(0, signature_id, entry);
    }

    /// Puts the entries in front, in order: the same map as `insert_first` for each in
    /// turn (the last one ends up first, a later duplicate wins), in one pass instead of
    /// one shift of the whole map per entry.
    pub fn insert_first_all(&mut self, entries: impl IntoIterator<Item = (String, WalletEntry)>) {
        let front: Vec<(String, WalletEntry)> = entries.into_iter().collect();
        let mut map = IndexMap::with_capacity(front.len() + self.entries.len());
        for (id, entry) in front.into_iter().rev() {
            map.entry(id).or_insert(entry);
        }
        for (id, entry) in self.entries.drain(..) {
            map.entry(id).or_insert(entry);
        }
        self.entries = map;
    }

    /// Appends an entry after the others (readers rebuilding a map in file order).
    pub(crate) fn push_back(&mut self, signature_id: String, entry: WalletEntry) {
        self.entries.shift_remove(&signature_id);
        self.entries.insert(signature_id, entry);
    }

    /// Removes an entry, keeping the order of the others.
    pub fn remove(&mut self, signature_id: &str) -> Option<WalletEntry> {
        self.entries.shift_remove(signature_id)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &WalletEntry)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }

    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }
}

/// Serializes as the `{signatureId: entry}` map, in order (what `export` prints).
impl serde::Serialize for Wallets {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.entries.len()))?;
        for (id, entry) in &self.entries {
            map.serialize_entry(id, entry.as_json())?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kms_core::Chain;

    #[test]
    fn plaintext_round_trip_keeps_order_and_bytes() {
        let text = r#"{"b":{"privateKey":"0xab","chain":"ETH","testnet":false},"a":{"mnemonic":"m \"q\" ü","xpub":"x","chain":"BTC","testnet":true}}"#;
        let wallets = Wallets::from_plaintext(text.as_bytes()).unwrap();
        assert_eq!(wallets.ids().collect::<Vec<_>>(), ["b", "a"]);
        assert_eq!(wallets.to_plaintext().as_slice(), text.as_bytes());
    }

    #[test]
    fn new_entries_go_first() {
        let mut wallets =
            Wallets::from_plaintext(br#"{"old":{"privateKey":"k","chain":"ETH","testnet":false}}"#)
                .unwrap();
        wallets.insert_first(
            "new".into(),
            WalletEntry::build([("privateKey", "p".to_string())], Chain::Btc, true),
        );
        assert_eq!(
            std::str::from_utf8(&wallets.to_plaintext()).unwrap(),
            r#"{"new":{"privateKey":"p","chain":"BTC","testnet":true},"old":{"privateKey":"k","chain":"ETH","testnet":false}}"#
        );
        assert!(wallets.remove("old").is_some());
        assert_eq!(wallets.len(), 1);
    }

    #[test]
    fn insert_first_all_is_repeated_insert_first() {
        let e = |k: &str| WalletEntry::build([("privateKey", k.to_string())], Chain::Eth, false);
        let start = || {
            let mut w = Wallets::new();
            w.push_back("x".into(), e("x0"));
            w.push_back("y".into(), e("y0"));
            w
        };
        let batch = [("a", "a1"), ("x", "x1"), ("b", "b1"), ("a", "a2")];
        let mut one_by_one = start();
        for (id, k) in batch {
            one_by_one.insert_first(id.into(), e(k));
        }
        let mut at_once = start();
        at_once.insert_first_all(batch.map(|(id, k)| (id.to_string(), e(k))));
        assert_eq!(at_once.to_plaintext(), one_by_one.to_plaintext());
        assert_eq!(at_once.ids().collect::<Vec<_>>(), ["a", "b", "x", "y"]);
    }

    #[test]
    fn rejects_non_objects() {
        assert_eq!(
            Wallets::from_plaintext(b"[1]").unwrap_err(),
            PlaintextError::NotJsonObject
        );
        assert_eq!(
            Wallets::from_plaintext(b"\xff\xfe").unwrap_err(),
            PlaintextError::NotUtf8
        );
        assert!(Wallets::from_plaintext(b"{}").unwrap().is_empty());
    }
}
