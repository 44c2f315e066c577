//! BTC, LTC, DOGE (bitcore `toObject()` JSON, spec §5.1–5.3) and BCH (`<raw hex>:<amounts>`,
//! spec §5.4), read with the signers' own parsers.

use kms_core::{Chain, Network};

use super::{sum_to, DecodedView, Kind, Recipient, Result};
use crate::utxo::script_address;
use crate::utxo_tx::{BitcoreTx, Flavour};

fn address_or_script(chain: Chain, network: Network, script: &[u8]) -> String {
    script_address(chain, network, script)
        .unwrap_or_else(|| format!("script:{}", hex::encode(script)))
}

pub(super) fn bitcore(chain: Chain, network: Network, text: &str) -> Result<DecodedView> {
    let flavour = Flavour::of(chain).map_err(|e| e.0)?;
    let tx = BitcoreTx::from_json(flavour, text).map_err(|e| e.0)?;
    let mut view = DecodedView::new(chain, network, Kind::Transfer);
    let mut inputs_total: Option<u128> = Some(0);
    for prevout in tx.prevouts() {
        match prevout {
            Some((satoshis, script)) => {
                inputs_total = inputs_total.and_then(|t| t.checked_add(u128::from(satoshis)));
                let address = address_or_script(chain, network, script);
                if !view.from.contains(&address) {
                    view.from.push(address);
                }
            }
            None => inputs_total = None,
        }
    }
    let change_script = tx.change_script();
    let mut outputs_total: u128 = 0;
    for output in tx.outputs() {
        outputs_total += u128::from(output.value);
        let address = address_or_script(chain, network, &output.script);
        let change =
            change_script == Some(output.script.as_slice()) || view.from.contains(&address);
        view.to.push(Recipient {
            address,
            amount: output.value.to_string(),
            change,
        });
    }
    view.amount = sum_to(&view.to)?;
    view.fee = inputs_total
        .and_then(|i| i.checked_sub(outputs_total))
        .map(|f| f.to_string());
    Ok(view)
}

pub(super) fn bch(network: Network, text: &str) -> Result<DecodedView> {
    let (tx, amounts) = crate::bch_tx::parse(text).map_err(|e| e.0)?;
    let mut view = DecodedView::new(Chain::Bch, network, Kind::Transfer);
    let mut inputs_total: Option<u128> = (amounts.len() == tx.inputs.len()).then_some(0);
    for a in &amounts {
        inputs_total = match crate::bch_tx::satoshi(a) {
            Some(v) => inputs_total.and_then(|t| t.checked_add(u128::from(v))),
            None => None,
        };
    }
    let mut outputs_total: u128 = 0;
    for output in &tx.outputs {
        outputs_total += u128::from(output.value);
        view.to.push(Recipient {
            address: address_or_script(Chain::Bch, network, &output.script),
            amount: output.value.to_string(),
            change: false,
        });
    }
    view.amount = sum_to(&view.to)?;
    view.fee = inputs_total
        .and_then(|i| i.checked_sub(outputs_total))
        .map(|f| f.to_string());
    Ok(view)
}
