//! Commands that only read the store.

use anyhow::{anyhow, Result};
use kms_chains::keys;
use kms_core::Chain;

use super::{entry_chain, parse_index, password, read_entry, read_store};
use crate::output;
use crate::settings::Settings;

pub fn get_private_key(settings: &Settings, id: &str, index: Option<&str>) -> Result<()> {
    let index = parse_index(index)?;
    let password = password(settings)?;
    let entry = &read_entry(settings, &password, id)?;
    let key = if let Some(secret) = entry.secret() {
        secret.to_string().into()
    } else if let Some(phrase) = entry.mnemonic() {
        let (chain, network) = entry_chain(entry, id)?;
        keys::private_key_from_mnemonic(chain, network, phrase, index)?
    } else if let Some(key) = entry.private_key() {
        // A private-key entry is its own key at every index.
        key.to_string().into()
    } else {
        return Err(anyhow!(
            "wallet {id} holds no mnemonic, private key or secret"
        ));
    };
    output::print_pretty(&serde_json::json!({ "privateKey": key.as_str() }))
}

pub fn get_address(settings: &Settings, id: &str, index: Option<&str>) -> Result<()> {
    let index = parse_index(index)?;
    let password = password(settings)?;
    let entry = &read_entry(settings, &password, id)?;
    let sol_mnemonic = entry
        .mnemonic()
        .filter(|_| entry.chain() == Some(Chain::Sol) && index.value() > 0);
    let address = if let Some(phrase) = sol_mnemonic {
        // A SOL wallet stores the address of key 0 only; the others come from its mnemonic
        // (m/44'/501'/0'/0'/i'), so that getaddress i and getprivatekey i name one account.
        let (chain, network) = entry_chain(entry, id)?;
        keys::address_from_mnemonic(chain, network, phrase, index)?
    } else if let Some(address) = entry.address() {
        address.to_string()
    } else {
        let (chain, network) = entry_chain(entry, id)?;
        if let Some(xpub) = entry.xpub() {
            keys::address_from_xpub(chain, network, xpub, index)?
        } else if let Some(phrase) = entry.mnemonic() {
            // Chains without an xpub (EGLD): the address of the key at that index.
            let key = keys::private_key_from_mnemonic(chain, network, phrase, index)?;
            keys::address_from_private_key(chain, network, &key)?
        } else if let Some(key) = entry.private_key() {
            keys::address_from_private_key(chain, network, key)?
        } else {
            return Err(anyhow!(
                "wallet {id} holds no address, xpub, mnemonic or private key"
            ));
        }
    };
    output::print_pretty(&serde_json::json!({ "address": address }))
}

pub fn get_managed_wallet(settings: &Settings, id: &str) -> Result<()> {
    let password = password(settings)?;
    let entry = &read_entry(settings, &password, id)?;
    output::print_pretty(entry.as_json())
}

pub fn export(settings: &Settings) -> Result<()> {
    let password = password(settings)?;
    let wallets = read_store(settings, &password)?;
    output::print_pretty(&wallets)
}
