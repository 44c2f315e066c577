//! SOL: `{"txData": "<hex of a legacy Message>", "mintPK"?}` (spec §6.12), read with the
//! signer's own message decoder. System `Transfer` instructions are native transfers; SPL
//! Token (and Token-2022) `Transfer` / `TransferChecked` are token transfers (their
//! receiver is the destination *token account*). Compute-budget, memo and
//! associated-token-account instructions are ignored; any other program makes the
//! transaction a `contractCall`. The fee is not in the message (it is `fee: null`).

use kms_core::{Chain, Network};
use serde_json::Value;

use super::{DecodedView, Kind, Recipient, Result, Token};
use crate::sol_tx::{Message, Pubkey};

const SYSTEM: &str = "11111111111111111111111111111111";
const TOKEN: &str = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA";
const TOKEN_2022: &str = "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb";
const IGNORED: [&str; 4] = [
    "ComputeBudget111111111111111111111111111111",
    "MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr",
    "Memo1UhkJRfHyvLMcVucJwxXeuD728EqVDDwQDxFMNo",
    "ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL",
];

fn b58(key: &Pubkey) -> String {
    bs58::encode(key).into_string()
}

fn u64_at(data: &[u8], at: usize) -> Option<u64> {
    data.get(at..at + 8)
        .and_then(|b| b.try_into().ok())
        .map(u64::from_le_bytes)
}

pub(super) fn decode(network: Network, text: &str) -> Result<DecodedView> {
    let tx = super::parse_json(text)?;
    let hex_text = tx
        .get("txData")
        .and_then(Value::as_str)
        .ok_or("txData is missing")?;
    let bytes = hex::decode(hex_text).map_err(|_| "txData is not hex".to_string())?;
    let message = Message::decode(&bytes).map_err(|e| e.0)?;
    let key = |i: u8| -> Result<String> {
        message
            .account_keys
            .get(usize::from(i))
            .map(b58)
            .ok_or_else(|| format!("account index {i} is out of range"))
    };
    let mut view = DecodedView::new(Chain::Sol, network, Kind::Transfer);
    if let Some(payer) = message.account_keys.first() {
        view.from.push(b58(payer));
    }
    let mut native: u128 = 0;
    let mut token: Option<(Option<String>, u128)> = None;
    let mut other_program = false;
    for ix in &message.instructions {
        let program = key(ix.program_id_index)?;
        let account = |n: usize| -> Result<String> {
            let i = ix
                .accounts
                .get(n)
                .ok_or_else(|| format!("instruction account {n} is missing"))?;
            key(*i)
        };
        if program == SYSTEM && ix.data.get(..4) == Some(&[2, 0, 0, 0]) && ix.data.len() == 12 {
            let lamports = u64_at(&ix.data, 4).ok_or("bad transfer data")?;
            let from = account(0)?;
            if !view.from.contains(&from) {
                view.from.push(from);
            }
            native += u128::from(lamports);
            view.to.push(Recipient {
                address: account(1)?,
                amount: lamports.to_string(),
                change: false,
            });
        } else if program == TOKEN || program == TOKEN_2022 {
            let (mint, dest, amount) = match ix.data.first() {
                Some(3) if ix.data.len() == 9 => (None, account(1)?, u64_at(&ix.data, 1)),
                Some(12) if ix.data.len() == 10 => {
                    (Some(account(1)?), account(2)?, u64_at(&ix.data, 1))
                }
                _ => {
                    other_program = true;
                    continue;
                }
            };
            let amount = amount.ok_or("bad token transfer data")?;
            token = match token {
                None => Some((mint, u128::from(amount))),
                Some((m, total)) if m == mint || m.is_none() || mint.is_none() => {
                    Some((m.or(mint), total + u128::from(amount)))
                }
                Some(_) => return Err("transfers of several different tokens".into()),
            };
            view.to.push(Recipient {
                address: dest,
                amount: amount.to_string(),
                change: false,
            });
        } else if !IGNORED.contains(&program.as_str()) {
            other_program = true;
        }
    }
    view.amount = native.to_string();
    if let Some((contract, amount)) = token {
        if native > 0 {
            return Err("native and token transfers in one transaction".into());
        }
        view.kind = Kind::TokenTransfer;
        view.token = Some(Token {
            contract,
            amount: amount.to_string(),
        });
    }
    if other_program {
        view.kind = Kind::ContractCall;
    } else if view.to.is_empty() {
        view.kind = Kind::Other;
    }
    Ok(view)
}
