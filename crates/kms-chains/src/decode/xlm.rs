//! XLM: a base64 TransactionEnvelope XDR (spec §6.14), read with the signer's XDR reader.
//! `createAccount` and `payment` operations are decoded (amounts in stroops; an asset
//! other than XLM is a token with contract `CODE:ISSUER`); other operations make the
//! transaction `other` (they are still listed by nothing, so a policy that allows only
//! transfers refuses them). Muxed accounts are shown as their `G…` account.

use base64::Engine as _;
use kms_core::{Chain, Network};

use super::{DecodedView, Kind, Recipient, Result, Token};
use crate::xlm::encode_public_key;
use crate::xlm_tx::Xdr;

const BAD: &str = "the envelope is not valid XDR";

fn key32(r: &mut Xdr<'_>) -> Option<String> {
    let k: [u8; 32] = r.take(32)?.try_into().ok()?;
    Some(encode_public_key(&k))
}

fn i64_(r: &mut Xdr<'_>) -> Option<i64> {
    Some(i64::from_be_bytes(r.take(8)?.try_into().ok()?))
}

fn account_id(r: &mut Xdr<'_>) -> Option<String> {
    (r.u32()? == 0).then_some(())?;
    key32(r)
}

fn muxed(r: &mut Xdr<'_>) -> Option<String> {
    match r.u32()? {
        0 => key32(r),
        0x100 => {
            r.take(8)?;
            key32(r)
        }
        _ => None,
    }
}

/// `None` for XLM itself, else `CODE:ISSUER`.
fn asset(r: &mut Xdr<'_>) -> Option<Option<String>> {
    let len = match r.u32()? {
        0 => return Some(None),
        1 => 4,
        2 => 12,
        _ => return None,
    };
    let code = r.take(len)?;
    let code: String = String::from_utf8_lossy(code)
        .trim_end_matches('\0')
        .to_string();
    Some(Some(format!("{code}:{}", account_id(r)?)))
}

struct Payments {
    native: u128,
    token: Option<(String, u128)>,
    other: bool,
}

fn operations(r: &mut Xdr<'_>, view: &mut DecodedView, p: &mut Payments) -> Result<()> {
    let n = r.u32().ok_or(BAD)?;
    if n > 100 {
        return Err(BAD.into());
    }
    for _ in 0..n {
        let start = r.pos;
        if r.bool().ok_or(BAD)? {
            let source = muxed(r).ok_or(BAD)?;
            if !view.from.contains(&source) {
                view.from.push(source);
            }
        }
        let (to, asset, amount) = match r.u32().ok_or(BAD)? {
            0 => {
                let to = account_id(r).ok_or(BAD)?;
                (to, None, i64_(r).ok_or(BAD)?)
            }
            1 => {
                let to = muxed(r).ok_or(BAD)?;
                let asset = asset(r).ok_or(BAD)?;
                (to, asset, i64_(r).ok_or(BAD)?)
            }
            _ => {
                r.pos = start;
                r.operation().ok_or(BAD)?;
                p.other = true;
                continue;
            }
        };
        let amount = u128::try_from(amount).map_err(|_| format!("negative amount {amount}"))?;
        match asset {
            None => p.native += amount,
            Some(code) => {
                p.token = match p.token.take() {
                    None => Some((code, amount)),
                    Some((c, total)) if c == code => Some((c, total + amount)),
                    Some(_) => return Err("payments of several different assets".into()),
                }
            }
        }
        view.to.push(Recipient {
            address: to,
            amount: amount.to_string(),
            change: false,
        });
    }
    Ok(())
}

fn transaction(r: &mut Xdr<'_>, view: &mut DecodedView, p: &mut Payments) -> Result<()> {
    view.from.push(muxed(r).ok_or(BAD)?);
    view.fee = Some(r.u32().ok_or(BAD)?.to_string());
    view.nonce = Some(i64_(r).ok_or(BAD)?.to_string());
    r.preconditions().ok_or(BAD)?;
    r.memo().ok_or(BAD)?;
    operations(r, view, p)
}

pub(super) fn decode(network: Network, text: &str) -> Result<DecodedView> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|_| "serializedTransaction is not base64".to_string())?;
    let mut r = Xdr {
        buf: &bytes,
        pos: 0,
    };
    let mut view = DecodedView::new(Chain::Xlm, network, Kind::Transfer);
    let mut p = Payments {
        native: 0,
        token: None,
        other: false,
    };
    match r.u32().ok_or(BAD)? {
        // ENVELOPE_TYPE_TX_V0
        0 => {
            view.from.push(key32(&mut r).ok_or(BAD)?);
            view.fee = Some(r.u32().ok_or(BAD)?.to_string());
            view.nonce = Some(i64_(&mut r).ok_or(BAD)?.to_string());
            r.optional(Xdr::time_bounds).ok_or(BAD)?;
            r.memo().ok_or(BAD)?;
            operations(&mut r, &mut view, &mut p)?;
        }
        // ENVELOPE_TYPE_TX
        2 => transaction(&mut r, &mut view, &mut p)?,
        // ENVELOPE_TYPE_TX_FEE_BUMP: the inner transaction, with the outer fee.
        5 => {
            muxed(&mut r).ok_or(BAD)?;
            let fee = i64_(&mut r).ok_or(BAD)?;
            (r.u32() == Some(2)).then_some(()).ok_or(BAD)?;
            transaction(&mut r, &mut view, &mut p)?;
            view.fee = Some(fee.to_string());
        }
        other => return Err(format!("envelope type {other} is not a transaction")),
    }
    view.amount = p.native.to_string();
    if let Some((contract, amount)) = p.token {
        if p.native > 0 {
            return Err("native and asset payments in one transaction".into());
        }
        view.kind = Kind::TokenTransfer;
        view.token = Some(Token {
            contract: Some(contract),
            amount: amount.to_string(),
        });
    }
    if p.other || view.to.is_empty() {
        view.kind = Kind::Other;
    }
    Ok(view)
}
