//! From a pending transaction and the wallet store to a broadcast: key resolution exactly as
//! the original's `processTransaction` (spec §3.1), then the chain family's signer.
//!
//! Pure apart from the [`Node`] calls a family makes through the interface.

use kms_core::{Chain, DerivationIndex, Network, PendingTransaction, SecretString, WalletEntry};

use crate::keys;
use crate::node::{Broadcast, Node};

/// Why a pending transaction was not signed. The message is what gets reported to the
/// Tatum API's error batch, so it must tell a person what to fix, and never hold a secret.
///
/// The second field says whether the transaction may already be on its way to the network:
/// SOL and FLOW submit inside signing (quirk Q17), and an error after the submission (the
/// confirmation never came, the node stopped answering) leaves its fate unknown. Signing
/// such a transaction again would make a second, different transaction, so the daemon must
/// not retry it on its own.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SignError(pub String, bool);

impl SignError {
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into(), false)
    }

    /// An error after the signed transaction was submitted to the network, whose outcome is
    /// unknown.
    pub fn after_submit(message: impl Into<String>) -> Self {
        Self(message.into(), true)
    }

    /// This error, marked as happening after the submission.
    pub fn submitted(self) -> Self {
        Self(self.0, true)
    }

    /// Whether the transaction may have reached the network despite this error.
    pub fn maybe_submitted(&self) -> bool {
        self.1
    }
}

impl From<crate::ChainError> for SignError {
    fn from(e: crate::ChainError) -> Self {
        Self::new(e.to_string())
    }
}

impl From<crate::node::NodeError> for SignError {
    fn from(e: crate::node::NodeError) -> Self {
        Self::new(e.to_string())
    }
}

/// A wallet taking part in a transaction (spec §3.1 step 2).
pub struct TxWallet<'a> {
    pub id: &'a str,
    pub entry: &'a WalletEntry,
    /// For a mnemonic entry named in `signatures` with an index: the key at that index.
    pub derived_key: Option<SecretString>,
}

impl TxWallet<'_> {
    /// The wallet's private key: derived from `signatures`, else the stored `privateKey`.
    pub fn private_key(&self) -> Option<&str> {
        self.derived_key
            .as_ref()
            .map(SecretString::expose)
            .or_else(|| self.entry.private_key())
    }
}

/// `hashes` entries that exist, then `signatures` entries as the original resolves them:
/// a mnemonic with an index gets its derived key; without an index it is skipped (with a
/// note in `notes`); a private-key entry is used as is; anything else is skipped.
pub fn resolve_wallets<'a>(
    tx: &'a PendingTransaction,
    lookup: &dyn Fn(&str) -> Option<&'a WalletEntry>,
    notes: &mut Vec<String>,
) -> Result<Vec<TxWallet<'a>>, SignError> {
    let mut wallets = Vec::new();
    for id in &tx.hashes {
        if let Some(entry) = lookup(id) {
            wallets.push(TxWallet {
                id,
                entry,
                derived_key: None,
            });
        }
    }
    for signature in tx.signatures.iter().flatten() {
        let Some(entry) = lookup(&signature.id) else {
            continue;
        };
        if let Some(phrase) = entry.mnemonic() {
            let Some(index) = signature.index else {
                notes.push(format!(
                    "Wrong usage of mnemonic-based signature id. No index provided for {}.",
                    signature.id
                ));
                continue;
            };
            let chain = entry_chain(entry, &signature.id)?;
            let network = Network::from_testnet(entry.testnet().unwrap_or(false));
            let index = DerivationIndex::new(index).map_err(|e| SignError::new(e.to_string()))?;
            let key = keys::private_key_from_mnemonic(chain, network, phrase, index)?;
            wallets.push(TxWallet {
                id: &signature.id,
                entry,
                derived_key: Some(SecretString::new(key.to_string())),
            });
        } else if entry.private_key().is_some() {
            wallets.push(TxWallet {
                id: &signature.id,
                entry,
                derived_key: None,
            });
        }
    }
    Ok(wallets)
}

fn entry_chain(entry: &WalletEntry, id: &str) -> Result<Chain, SignError> {
    entry
        .chain()
        .ok_or_else(|| SignError::new(format!("wallet {id} has no valid chain field")))
}

/// UTXO chains: every distinct private key, in wallet order (spec §3.1 step 3).
pub fn utxo_private_keys(wallets: &[TxWallet<'_>]) -> Result<Vec<SecretString>, SignError> {
    let mut keys: Vec<SecretString> = Vec::new();
    for w in wallets {
        if let Some(key) = w.private_key() {
            if !keys.iter().any(|k| k.expose() == key) {
                keys.push(SecretString::from(key));
            }
        }
    }
    if keys.is_empty() {
        return Err(SignError::new(
            "Wallets with requested private keys were not found. Most likely mnemonic-based wallet was used without index parameter (see docs: https://apidoc.tatum.io/)",
        ));
    }
    Ok(keys)
}

/// Account chains: the key of `wallets[0]` (spec §3.1 step 4): derived with the wallet's
/// own chain and stored network when it has a mnemonic and the transaction an index,
/// else its stored private key; otherwise the original's two messages.
pub fn account_private_key(
    tx: &PendingTransaction,
    wallets: &[TxWallet<'_>],
) -> Result<SecretString, SignError> {
    let ids = || {
        tx.hashes
            .iter()
            .cloned()
            .chain(tx.signatures.iter().flatten().map(|s| s.id.clone()))
            .collect::<Vec<_>>()
            .join(",")
    };
    let first = wallets.first();
    if let Some(w) = first {
        if let (Some(phrase), Some(index)) = (w.entry.mnemonic(), tx.index) {
            let chain = entry_chain(w.entry, w.id)?;
            let network = Network::from_testnet(w.entry.testnet().unwrap_or(false));
            let index = DerivationIndex::new(index).map_err(|e| SignError::new(e.to_string()))?;
            let key = keys::private_key_from_mnemonic(chain, network, phrase, index)?;
            return Ok(SecretString::new(key.to_string()));
        }
        if let Some(key) = w.private_key() {
            return Ok(SecretString::from(key));
        }
    }
    if tx.index.is_some() {
        Err(SignError::new(format!(
            "Private key was not found. Wallet {} is private key based, but KMS transaction {} requires mnemonic based, since tx was requested with index param. Please use mnemonic based wallet and signatureId (see docs: https://apidoc.tatum.io/)",
            ids(),
            tx.id
        )))
    } else {
        Err(SignError::new(format!(
            "Private key was not found. Wallet {} is mnemonic based, but KMS transaction {} requires private key based, since tx was requested without index param. Please use another private key based wallet id or specify 'index' parameter for this mnemonic based wallet during request call (see docs: https://apidoc.tatum.io/)",
            ids(),
            tx.id
        )))
    }
}

/// XRP, XLM and ALGO (spec §3.1 step 5): `wallets[0].secret`, falling back to its
/// `privateKey` (what `generatemanagedprivatekeybatch` stores). These wallets hold one
/// account, so `tx.index` plays no part. Without a first wallet or with neither field, the
/// transaction cannot be signed (the original fails with a TypeError or in `fromSeed`).
pub fn account_secret(
    tx: &PendingTransaction,
    wallets: &[TxWallet<'_>],
) -> Result<SecretString, SignError> {
    let first = wallets.first();
    if let Some(secret) = first.and_then(|w| w.entry.secret().or_else(|| w.private_key())) {
        return Ok(SecretString::from(secret));
    }
    let ids = tx
        .hashes
        .iter()
        .cloned()
        .chain(tx.signatures.iter().flatten().map(|s| s.id.clone()))
        .collect::<Vec<_>>()
        .join(",");
    Err(SignError::new(match first {
        None => format!(
            "Wallet {ids} was not found: KMS transaction {} cannot be signed",
            tx.id
        ),
        Some(w) => format!(
            "Wallet {} has no secret or privateKey: KMS transaction {} cannot be signed",
            w.id, tx.id
        ),
    }))
}

/// Everything a chain signer gets.
pub struct SignContext<'a, 'w> {
    pub chain: Chain,
    /// The daemon's `--testnet` flag (what the original passes to the SDK signers).
    pub network: Network,
    pub tx: &'a PendingTransaction,
    pub wallets: &'a [TxWallet<'w>],
    pub node: &'a mut dyn Node,
}

/// Signs one pending transaction and returns what to broadcast.
pub fn sign_pending(ctx: SignContext<'_, '_>) -> Result<Broadcast, SignError> {
    match ctx.chain {
        Chain::Btc | Chain::Ltc | Chain::Doge | Chain::Bch => {
            crate::utxo_tx::sign_pending(ctx.chain, ctx.network, ctx.tx, ctx.wallets)
        }
        // KCS keys come from the ETH-like path (tatum-kcs); VET keys from the VET path,
        // where the original derives with BNB and fails (quirk Q1, see `evm_tx::vet`).
        Chain::Eth
        | Chain::Bsc
        | Chain::Matic
        | Chain::Celo
        | Chain::Klay
        | Chain::Xdc
        | Chain::One
        | Chain::Kcs
        | Chain::Vet => {
            let key = account_private_key(ctx.tx, ctx.wallets)?;
            crate::evm_tx::sign_kms(ctx.chain, ctx.network, ctx.tx, key.expose(), ctx.node)
        }
        // Every wallet's private key plus `mintPK` (spec §3.1 step 5); sent and confirmed
        // inside signing, then the id is reported (Q17).
        Chain::Sol => crate::sol_tx::sign_kms(ctx.tx, ctx.wallets, ctx.node),
        Chain::Egld => {
            let key = account_private_key(ctx.tx, ctx.wallets)?;
            crate::egld_tx::sign_kms(ctx.tx, key.expose(), ctx.node)
        }
        // FLOW: an account chain (§3.1 step 4); sent and sealed inside signing (Q17).
        Chain::Flow => {
            let key = account_private_key(ctx.tx, ctx.wallets)?;
            crate::flow_tx::sign_kms(ctx.tx, key.expose(), ctx.network, ctx.node)
        }
        // TRON is an account chain (§3.1 step 4); no network calls, the KMS broadcasts.
        Chain::Tron => {
            let key = account_private_key(ctx.tx, ctx.wallets)?;
            crate::tron_tx::sign_kms(ctx.tx, key.expose())
        }
        // XRP, XLM, ALGO sign with `wallets[0].secret`, else its `privateKey` (step 5).
        Chain::Xrp => {
            let secret = account_secret(ctx.tx, ctx.wallets)?;
            crate::xrp_tx::sign_kms(ctx.tx, secret.expose())
        }
        Chain::Xlm => {
            let secret = account_secret(ctx.tx, ctx.wallets)?;
            crate::xlm_tx::sign_kms(ctx.tx, secret.expose(), ctx.network)
        }
        Chain::Algo => {
            let secret = account_secret(ctx.tx, ctx.wallets)?;
            crate::algo_tx::sign_kms(ctx.tx, secret.expose())
        }
        // ADA: every wallet's private key (off-chain: `signatures` derived at their index),
        // addresses and payloads from Tatum's Cardano Rosetta gateway (spec §6.10).
        Chain::Ada => crate::ada_tx::sign_kms(ctx.tx, ctx.wallets, ctx.network, ctx.node),
        Chain::Bnb => Err(SignError::new(
            "BNB Beacon Chain has been shut down: its transactions can no longer be signed or broadcast",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kms_core::SignatureRef;
    use std::collections::HashMap;

    const M0: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

    fn tx(
        hashes: &[&str],
        index: Option<u32>,
        signatures: Option<Vec<SignatureRef>>,
    ) -> PendingTransaction {
        PendingTransaction {
            id: "65a1b2c3d4e5f60718293a4b".into(),
            chain: "ETH".into(),
            serialized_transaction: "{}".into(),
            hashes: hashes.iter().map(|s| s.to_string()).collect(),
            index,
            signatures,
            withdrawal_id: None,
            withdrawal_responses: None,
            tx_id: None,
            other: Default::default(),
        }
    }

    fn store() -> HashMap<String, WalletEntry> {
        let mut m = HashMap::new();
        m.insert(
            "mn".to_string(),
            WalletEntry::from_json(
                serde_json::json!({"mnemonic": M0, "xpub": "x", "chain": "ETH", "testnet": true}),
            ),
        );
        m.insert(
            "pk".to_string(),
            WalletEntry::from_json(
                serde_json::json!({"privateKey": "0x11", "chain": "ETH", "testnet": true}),
            ),
        );
        m
    }

    #[test]
    fn account_key_from_mnemonic_and_index_uses_the_stored_network() {
        let s = store();
        let t = tx(&["mn"], Some(0), None);
        let lookup = |id: &str| s.get(id);
        let mut notes = Vec::new();
        let wallets = resolve_wallets(&t, &lookup, &mut notes).unwrap();
        let key = account_private_key(&t, &wallets).unwrap();
        // EVM testnet key 0 of M0 (keys.json).
        assert_eq!(
            key.expose(),
            "0xe01fea8a48e2854fdd0255c12b1d704967d9401f11c3f4980006ced8977574dc"
        );
    }

    #[test]
    fn the_originals_messages_when_the_wallet_kind_does_not_fit() {
        let s = store();
        let lookup = |id: &str| s.get(id);
        let mut notes = Vec::new();
        let t = tx(&["mn"], None, None);
        let w = resolve_wallets(&t, &lookup, &mut notes).unwrap();
        let e = account_private_key(&t, &w).unwrap_err().0;
        assert!(
            e.starts_with("Private key was not found. Wallet mn is mnemonic based"),
            "{e}"
        );
        let t = tx(&["missing"], Some(1), None);
        let w = resolve_wallets(&t, &lookup, &mut notes).unwrap();
        let e = account_private_key(&t, &w).unwrap_err().0;
        assert!(
            e.starts_with("Private key was not found. Wallet missing is private key based"),
            "{e}"
        );
    }

    #[test]
    fn utxo_keys_are_deduplicated_in_order_and_mnemonics_without_index_are_skipped() {
        let s = store();
        let lookup = |id: &str| s.get(id);
        let mut notes = Vec::new();
        let sigs = vec![
            SignatureRef {
                id: "pk".into(),
                index: None,
            },
            SignatureRef {
                id: "mn".into(),
                index: None,
            },
            SignatureRef {
                id: "pk".into(),
                index: None,
            },
        ];
        let t = tx(&["mn"], None, Some(sigs));
        let w = resolve_wallets(&t, &lookup, &mut notes).unwrap();
        let keys = utxo_private_keys(&w).unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].expose(), "0x11");
        assert_eq!(
            notes,
            ["Wrong usage of mnemonic-based signature id. No index provided for mn."]
        );
        let t = tx(&["mn"], None, None);
        let w = resolve_wallets(&t, &lookup, &mut notes).unwrap();
        assert!(utxo_private_keys(&w)
            .unwrap_err()
            .0
            .starts_with("Wallets with requested private keys were not found"));
    }
}
