//! Commands that create or change wallets. Every change to the file goes through
//! `WalletStore` under its lock, written once, atomically (one SQLite transaction for v2).

use anyhow::{anyhow, Result};
use kms_chains::{keys, mnemonic, ChainError, GeneratedWallet};
use kms_core::{Chain, DerivationIndex, Network, SecretString, WalletEntry};
use serde::ser::{Serialize, SerializeMap, Serializer};

use super::{entropy, new_signature_id, no_such_wallet, parse_chain, password};
use crate::output;
use crate::settings::Settings;

/// Serializes a generated wallet's fields in order, without copying the secrets.
struct Fields<'a>(&'a GeneratedWallet);

impl Serialize for Fields<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        for (name, value) in self.0.fields() {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

fn entry_of(wallet: &GeneratedWallet, chain: Chain, network: Network) -> WalletEntry {
    WalletEntry::build(
        wallet.fields().map(|(k, v)| (k, v.to_string())),
        chain,
        network.is_testnet(),
    )
}

/// What `storeWallet` prints: `{signatureId, address?, xpub?}`.
fn print_stored(id: &str, wallet: &GeneratedWallet) -> Result<()> {
    let mut out = serde_json::Map::new();
    out.insert("signatureId".into(), id.into());
    if let Some(address) = wallet.get("address") {
        out.insert("address".into(), address.into());
    }
    if let Some(xpub) = wallet.get("xpub") {
        out.insert("xpub".into(), xpub.into());
    }
    output::print_pretty(&out)
}

fn store_new(
    settings: &Settings,
    password: &SecretString,
    wallet: &GeneratedWallet,
    chain: Chain,
) -> Result<String> {
    let id = new_signature_id();
    let entry = entry_of(wallet, chain, settings.network);
    settings
        .store()
        .insert_first(password, [(id.clone(), entry)])?;
    Ok(id)
}

/// The chain of a command that creates or stores a wallet: known, and still taking new
/// wallets (BNB Beacon Chain is shut down).
fn parse_new_wallet_chain(chain: &str) -> Result<Chain> {
    let chain = parse_chain(chain)?;
    keys::ensure_accepts_new_wallets(chain)?;
    Ok(chain)
}

pub fn generate_wallet(settings: &Settings, chain: &str) -> Result<()> {
    let chain = parse_new_wallet_chain(chain)?;
    let wallet = keys::generate_wallet(chain, settings.network, &*entropy()?)?;
    output::print_pretty(&Fields(&wallet))
}

pub fn generate_managed_wallet(settings: &Settings, chain: &str) -> Result<()> {
    let chain = parse_new_wallet_chain(chain)?;
    let password = password(settings)?;
    let wallet = keys::generate_wallet(chain, settings.network, &*entropy()?)?;
    let id = store_new(settings, &password, &wallet, chain)?;
    print_stored(&id, &wallet)
}

pub fn store_managed_wallet(settings: &Settings, chain: &str) -> Result<()> {
    let chain = parse_new_wallet_chain(chain)?;
    // Same order as the original: password first, then the mnemonic.
    let password = password(settings)?;
    let typed = kms_secrets::read_secret("Enter mnemonic to store:", "mnemonic")?;
    let wallet = if chain == Chain::Algo {
        // Algorand wallets take a 25-word Algorand mnemonic, not BIP39; the chain checks it.
        keys::wallet_from_mnemonic(chain, settings.network, typed.expose())?
    } else {
        let canonical = mnemonic::validate(typed.expose())?;
        keys::wallet_from_mnemonic(chain, settings.network, &canonical)?
    };
    let id = store_new(settings, &password, &wallet, chain)?;
    print_stored(&id, &wallet)
}

pub fn store_managed_private_key(settings: &Settings, chain: &str) -> Result<()> {
    let chain = parse_new_wallet_chain(chain)?;
    // Same order as the original: the key first, then the password.
    let key = kms_secrets::read_secret("Enter private key to store:", "private key")?;
    // Valid, or a chain whose key format we cannot check: stored as typed, as the original does.
    if let Err(e @ ChainError::InvalidPrivateKey { .. }) =
        keys::address_from_private_key(chain, settings.network, key.expose())
    {
        return Err(e.into());
    }
    let password = password(settings)?;
    let id = new_signature_id();
    let entry = WalletEntry::build(
        [("privateKey", key.expose().to_string())],
        chain,
        settings.network.is_testnet(),
    );
    settings
        .store()
        .insert_first(&password, [(id.clone(), entry)])?;
    output::print_pretty(&serde_json::json!({ "signatureId": id }))
}

/// The largest batch accepted in one command.
const MAX_BATCH: u64 = 100_000;

pub fn generate_managed_private_key_batch(
    settings: &Settings,
    chain: &str,
    count: &str,
) -> Result<()> {
    let chain = parse_new_wallet_chain(chain)?;
    let count: u64 = count
        .trim()
        .parse()
        .ok()
        .filter(|n| (1..=MAX_BATCH).contains(n))
        .ok_or_else(|| {
            anyhow!("invalid count '{count}': expected a whole number from 1 to {MAX_BATCH}")
        })?;
    let password = password(settings)?;
    let network = settings.network;
    // The original derives index 1 of a fresh wallet for every key (quirk Q7).
    let index = DerivationIndex::new(1)?;
    let mut generated = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let wallet = keys::generate_wallet(chain, network, &*entropy()?)?;
        let private_key = match wallet.get("secret").or_else(|| wallet.get("privateKey")) {
            Some(secret) => SecretString::from(secret),
            None => {
                let phrase = wallet.get("mnemonic").ok_or_else(|| {
                    anyhow!("{chain} wallets have neither a secret nor a mnemonic")
                })?;
                SecretString::new(
                    keys::private_key_from_mnemonic(chain, network, phrase, index)?.to_string(),
                )
            }
        };
        let address = match (wallet.get("address"), wallet.get("xpub")) {
            (Some(address), _) => address.to_string(),
            (None, Some(xpub)) => keys::address_from_xpub(chain, network, xpub, index)?,
            (None, None) => keys::address_from_private_key(chain, network, private_key.expose())?,
        };
        generated.push((new_signature_id(), address, private_key));
    }
    // One write for the whole batch; ids are printed only once they are on disk.
    settings.store().insert_first(
        &password,
        generated.iter().map(|(id, _, key)| {
            let entry = WalletEntry::build(
                [("privateKey", key.expose().to_string())],
                chain,
                network.is_testnet(),
            );
            (id.clone(), entry)
        }),
    )?;
    for (id, address, _) in &generated {
        output::print_compact(&serde_json::json!({ "signatureId": id, "address": address }))?;
    }
    Ok(())
}

pub fn remove_wallet(settings: &Settings, id: &str) -> Result<()> {
    let password = password(settings)?;
    if !settings.store().exists() {
        return Err(anyhow!(
            "No such wallet file: no wallet file at {}",
            settings.wallet_path.display()
        ));
    }
    if settings.store().remove(&password, id)? {
        Ok(())
    } else {
        Err(no_such_wallet(id))
    }
}
