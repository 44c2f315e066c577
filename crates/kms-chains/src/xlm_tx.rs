//! Signing XLM pending transactions as the original does (spec §6.14): v1
//! `signXlmKMSTransaction`, i.e. stellar-sdk `TransactionBuilder.fromXDR(tx, passphrase)`,
//! `transaction.sign(Keypair.fromSecret(secret))`, `toEnvelope().toXDR('base64')`.
//!
//! The pending `serializedTransaction` is a base64 `TransactionEnvelope`. The signature is
//! ed25519 over `sha256(sha256(passphrase) ‖ envelope type ‖ transaction XDR)` (a v0
//! transaction is hashed in its v1 form, which is its bytes behind a zero key type; a fee bump
//! with `ENVELOPE_TYPE_TX_FEE_BUMP`), and the envelope gets one more `DecoratedSignature`
//! `{hint: last 4 bytes of the public key, signature}`. The passphrase follows the daemon's
//! `--testnet` flag.
//!
//! Instead of the generated stellar-xdr crate, this walks the envelope with a small XDR
//! reader that knows every structure of the protocol the original's stellar-base reads
//! (all 24 operation types of protocol 19, v2 preconditions, muxed accounts), validating as
//! it goes (lengths, limits, unions, zero padding, no trailing bytes). Re-encoding what was
//! read gives back the same bytes, so the signed envelope is the input with the signature
//! count raised and the new signature appended, which is what stellar-sdk writes.

use base64::Engine as _;
use ed25519_dalek::{Signer as _, SigningKey};
use kms_core::{Network, PendingTransaction};
use sha2::{Digest, Sha256};

use crate::node::Broadcast;
use crate::signing::SignError;

const BROADCAST_PATH: &str = "/v3/xlm/broadcast";
pub const TESTNET_PASSPHRASE: &str = "Test SDF Network ; September 2015";
pub const PUBLIC_PASSPHRASE: &str = "Public Global Stellar Network ; September 2015";

const ENVELOPE_TYPE_TX_V0: u32 = 0;
const ENVELOPE_TYPE_TX: u32 = 2;
const ENVELOPE_TYPE_TX_FEE_BUMP: u32 = 5;
const MAX_SIGNATURES: u32 = 20;
/// Nesting limit for claim predicates (stellar-core allows depth 4).
const MAX_PREDICATE_DEPTH: u32 = 4;

fn err(message: impl Into<String>) -> SignError {
    SignError::new(message)
}

fn unsupported() -> SignError {
    err("Unsupported transaction type")
}

/// Signs one XLM pending transaction with the wallet's `S…` secret; `network` is the
/// daemon's flag. Returns `POST /v3/xlm/broadcast {txData: <base64 envelope>, signatureId}`.
pub fn sign_kms(
    tx: &PendingTransaction,
    secret: &str,
    network: Network,
) -> Result<Broadcast, SignError> {
    let key = crate::xlm::signing_key(secret)?;
    let passphrase = match network {
        Network::Testnet => TESTNET_PASSPHRASE,
        Network::Mainnet => PUBLIC_PASSPHRASE,
    };
    let signed = sign_envelope(&tx.serialized_transaction, &key, passphrase)?;
    Ok(Broadcast::tx_data(BROADCAST_PATH, signed, &tx.id))
}

/// Where the parts of an envelope are.
struct Layout {
    envelope_type: u32,
    /// The transaction (or fee-bump transaction) XDR.
    tx: std::ops::Range<usize>,
    /// Offset of the signature count.
    signatures_at: usize,
    signature_count: u32,
}

/// The signature base hash of an envelope (what gets signed).
fn signature_hash(bytes: &[u8], layout: &Layout, passphrase: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(Sha256::digest(passphrase.as_bytes()));
    let tagged_type = match layout.envelope_type {
        ENVELOPE_TYPE_TX_FEE_BUMP => ENVELOPE_TYPE_TX_FEE_BUMP,
        _ => ENVELOPE_TYPE_TX,
    };
    h.update(tagged_type.to_be_bytes());
    if layout.envelope_type == ENVELOPE_TYPE_TX_V0 {
        // The v1 form of a v0 transaction: PUBLIC_KEY_TYPE_ED25519 before its key.
        h.update([0u8; 4]);
    }
    h.update(&bytes[layout.tx.clone()]);
    h.finalize().into()
}

/// The base64 envelope with one more signature by `key`.
pub fn sign_envelope(
    envelope_b64: &str,
    key: &SigningKey,
    passphrase: &str,
) -> Result<String, SignError> {
    let engine = base64::engine::general_purpose::STANDARD;
    let bytes = engine
        .decode(envelope_b64.trim())
        .map_err(|_| unsupported())?;
    let layout = parse_envelope(&bytes).ok_or_else(unsupported)?;
    if layout.signature_count >= MAX_SIGNATURES {
        return Err(err(format!(
            "XDR Write Error: the envelope already has {MAX_SIGNATURES} signatures"
        )));
    }
    let hash = signature_hash(&bytes, &layout, passphrase);
    let signature = key.sign(&hash).to_bytes();
    let public = key.verifying_key().to_bytes();

    let mut out = Vec::with_capacity(bytes.len() + 72);
    out.extend_from_slice(&bytes[..layout.signatures_at]);
    out.extend_from_slice(&(layout.signature_count + 1).to_be_bytes());
    out.extend_from_slice(&bytes[layout.signatures_at + 4..]);
    out.extend_from_slice(&public[28..]);
    out.extend_from_slice(&64u32.to_be_bytes());
    out.extend_from_slice(&signature);
    Ok(engine.encode(out))
}

fn parse_envelope(bytes: &[u8]) -> Option<Layout> {
    let mut r = Xdr { buf: bytes, pos: 0 };
    let envelope_type = r.u32()?;
    let start = r.pos;
    match envelope_type {
        ENVELOPE_TYPE_TX_V0 => r.transaction_v0()?,
        ENVELOPE_TYPE_TX => r.transaction()?,
        ENVELOPE_TYPE_TX_FEE_BUMP => r.fee_bump_transaction()?,
        _ => return None,
    }
    let tx = start..r.pos;
    let signatures_at = r.pos;
    let signature_count = r.signatures()?;
    (r.pos == bytes.len()).then_some(Layout {
        envelope_type,
        tx,
        signatures_at,
        signature_count,
    })
}

/// A validating XDR reader; every method returns `None` on anything js-xdr would not read
/// back to the same bytes.
pub(crate) struct Xdr<'a> {
    pub(crate) buf: &'a [u8],
    pub(crate) pos: usize,
}

impl Xdr<'_> {
    pub(crate) fn take(&mut self, n: usize) -> Option<&[u8]> {
        let end = self.pos.checked_add(n)?;
        let s = self.buf.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }

    pub(crate) fn u32(&mut self) -> Option<u32> {
        let b = self.take(4)?;
        Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub(crate) fn skip(&mut self, n: usize) -> Option<()> {
        self.take(n).map(|_| ())
    }

    pub(crate) fn hyper(&mut self) -> Option<()> {
        self.skip(8)
    }

    pub(crate) fn bool(&mut self) -> Option<bool> {
        match self.u32()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }

    /// `opaque<N>` / `string<N>`: length, bytes, zero padding.
    pub(crate) fn var_opaque(&mut self, max: u32) -> Option<()> {
        let len = self.u32()?;
        if len > max {
            return None;
        }
        self.fixed_opaque(len as usize)
    }

    /// `opaque[n]` with zero padding to 4 bytes.
    pub(crate) fn fixed_opaque(&mut self, n: usize) -> Option<()> {
        self.skip(n)?;
        let pad = (4 - n % 4) % 4;
        self.take(pad)?.iter().all(|b| *b == 0).then_some(())
    }

    pub(crate) fn optional(&mut self, f: impl FnOnce(&mut Self) -> Option<()>) -> Option<()> {
        if self.bool()? {
            f(self)
        } else {
            Some(())
        }
    }

    pub(crate) fn array(
        &mut self,
        max: u32,
        mut f: impl FnMut(&mut Self) -> Option<()>,
    ) -> Option<u32> {
        let n = self.u32()?;
        if n > max {
            return None;
        }
        for _ in 0..n {
            f(self)?;
        }
        Some(n)
    }

    // --- types -------------------------------------------------------------------------

    pub(crate) fn account_id(&mut self) -> Option<()> {
        // PublicKey: only PUBLIC_KEY_TYPE_ED25519.
        (self.u32()? == 0).then_some(())?;
        self.skip(32)
    }

    pub(crate) fn muxed_account(&mut self) -> Option<()> {
        match self.u32()? {
            0 => self.skip(32),
            0x100 => {
                self.hyper()?;
                self.skip(32)
            }
            _ => None,
        }
    }

    pub(crate) fn asset(&mut self) -> Option<()> {
        match self.u32()? {
            0 => Some(()),
            1 => {
                self.skip(4)?;
                self.account_id()
            }
            2 => {
                self.skip(12)?;
                self.account_id()
            }
            _ => None,
        }
    }

    pub(crate) fn change_trust_asset(&mut self) -> Option<()> {
        let save = self.pos;
        if self.u32()? == 3 {
            // LiquidityPoolParameters: LIQUIDITY_POOL_CONSTANT_PRODUCT {assetA, assetB, fee}.
            (self.u32()? == 0).then_some(())?;
            self.asset()?;
            self.asset()?;
            return self.skip(4);
        }
        self.pos = save;
        self.asset()
    }

    pub(crate) fn trust_line_asset(&mut self) -> Option<()> {
        let save = self.pos;
        if self.u32()? == 3 {
            return self.skip(32);
        }
        self.pos = save;
        self.asset()
    }

    pub(crate) fn price(&mut self) -> Option<()> {
        self.skip(8)
    }

    pub(crate) fn signer_key(&mut self) -> Option<()> {
        match self.u32()? {
            0..=2 => self.skip(32),
            3 => {
                self.skip(32)?;
                self.var_opaque(64)
            }
            _ => None,
        }
    }

    pub(crate) fn claim_predicate(&mut self, depth: u32) -> Option<()> {
        if depth > MAX_PREDICATE_DEPTH {
            return None;
        }
        match self.u32()? {
            0 => Some(()),
            1 | 2 => self.array(2, |r| r.claim_predicate(depth + 1)).map(|_| ()),
            3 => self.optional(|r| r.claim_predicate(depth + 1)),
            4 | 5 => self.hyper(),
            _ => None,
        }
    }

    pub(crate) fn claimable_balance_id(&mut self) -> Option<()> {
        (self.u32()? == 0).then_some(())?;
        self.skip(32)
    }

    pub(crate) fn ledger_key(&mut self) -> Option<()> {
        match self.u32()? {
            0 => self.account_id(),
            1 => {
                self.account_id()?;
                self.trust_line_asset()
            }
            2 => {
                self.account_id()?;
                self.hyper()
            }
            3 => {
                self.account_id()?;
                self.var_opaque(64)
            }
            4 => self.claimable_balance_id(),
            5 => self.skip(32),
            _ => None,
        }
    }

    pub(crate) fn memo(&mut self) -> Option<()> {
        match self.u32()? {
            0 => Some(()),
            1 => self.var_opaque(28),
            2 => self.hyper(),
            3 | 4 => self.skip(32),
            _ => None,
        }
    }

    pub(crate) fn time_bounds(&mut self) -> Option<()> {
        self.skip(16)
    }

    pub(crate) fn preconditions(&mut self) -> Option<()> {
        match self.u32()? {
            0 => Some(()),
            1 => self.time_bounds(),
            2 => {
                self.optional(Self::time_bounds)?;
                self.optional(|r| r.skip(8))?; // LedgerBounds
                self.optional(Self::hyper)?; // minSeqNum
                self.hyper()?; // minSeqAge
                self.skip(4)?; // minSeqLedgerGap
                self.array(2, Self::signer_key).map(|_| ())
            }
            _ => None,
        }
    }

    pub(crate) fn operation(&mut self) -> Option<()> {
        self.optional(Self::muxed_account)?;
        match self.u32()? {
            // CREATE_ACCOUNT
            0 => {
                self.account_id()?;
                self.hyper()
            }
            // PAYMENT
            1 => {
                self.muxed_account()?;
                self.asset()?;
                self.hyper()
            }
            // PATH_PAYMENT_STRICT_RECEIVE, PATH_PAYMENT_STRICT_SEND
            2 | 13 => {
                self.asset()?;
                self.hyper()?;
                self.muxed_account()?;
                self.asset()?;
                self.hyper()?;
                self.array(5, Self::asset).map(|_| ())
            }
            // MANAGE_SELL_OFFER, MANAGE_BUY_OFFER
            3 | 12 => {
                self.asset()?;
                self.asset()?;
                self.hyper()?;
                self.price()?;
                self.hyper()
            }
            // CREATE_PASSIVE_SELL_OFFER
            4 => {
                self.asset()?;
                self.asset()?;
                self.hyper()?;
                self.price()
            }
            // SET_OPTIONS
            5 => {
                self.optional(Self::account_id)?;
                for _ in 0..6 {
                    self.optional(|r| r.skip(4))?;
                }
                self.optional(|r| r.var_opaque(32))?;
                self.optional(|r| {
                    r.signer_key()?;
                    r.skip(4)
                })
            }
            // CHANGE_TRUST
            6 => {
                self.change_trust_asset()?;
                self.hyper()
            }
            // ALLOW_TRUST
            7 => {
                self.account_id()?;
                match self.u32()? {
                    1 => self.skip(4)?,
                    2 => self.skip(12)?,
                    _ => return None,
                }
                self.skip(4)
            }
            // ACCOUNT_MERGE
            8 => self.muxed_account(),
            // INFLATION, END_SPONSORING_FUTURE_RESERVES
            9 | 17 => Some(()),
            // MANAGE_DATA
            10 => {
                self.var_opaque(64)?;
                self.optional(|r| r.var_opaque(64))
            }
            // BUMP_SEQUENCE
            11 => self.hyper(),
            // CREATE_CLAIMABLE_BALANCE
            14 => {
                self.asset()?;
                self.hyper()?;
                self.array(10, |r| {
                    (r.u32()? == 0).then_some(())?;
                    r.account_id()?;
                    r.claim_predicate(1)
                })
                .map(|_| ())
            }
            // CLAIM_CLAIMABLE_BALANCE, CLAWBACK_CLAIMABLE_BALANCE
            15 | 20 => self.claimable_balance_id(),
            // BEGIN_SPONSORING_FUTURE_RESERVES
            16 => self.account_id(),
            // REVOKE_SPONSORSHIP
            18 => match self.u32()? {
                0 => self.ledger_key(),
                1 => {
                    self.account_id()?;
                    self.signer_key()
                }
                _ => None,
            },
            // CLAWBACK
            19 => {
                self.asset()?;
                self.muxed_account()?;
                self.hyper()
            }
            // SET_TRUST_LINE_FLAGS
            21 => {
                self.account_id()?;
                self.asset()?;
                self.skip(8)
            }
            // LIQUIDITY_POOL_DEPOSIT
            22 => {
                self.skip(32)?;
                self.hyper()?;
                self.hyper()?;
                self.price()?;
                self.price()
            }
            // LIQUIDITY_POOL_WITHDRAW
            23 => {
                self.skip(32)?;
                self.hyper()?;
                self.hyper()?;
                self.hyper()
            }
            _ => None,
        }
    }

    pub(crate) fn operations(&mut self) -> Option<()> {
        self.array(100, Self::operation).map(|_| ())
    }

    pub(crate) fn ext_v0(&mut self) -> Option<()> {
        (self.u32()? == 0).then_some(())
    }

    pub(crate) fn transaction(&mut self) -> Option<()> {
        self.muxed_account()?;
        self.skip(4)?; // fee
        self.hyper()?; // seqNum
        self.preconditions()?;
        self.memo()?;
        self.operations()?;
        self.ext_v0()
    }

    pub(crate) fn transaction_v0(&mut self) -> Option<()> {
        self.skip(32)?; // sourceAccountEd25519
        self.skip(4)?;
        self.hyper()?;
        self.optional(Self::time_bounds)?;
        self.memo()?;
        self.operations()?;
        self.ext_v0()
    }

    pub(crate) fn fee_bump_transaction(&mut self) -> Option<()> {
        self.muxed_account()?;
        self.hyper()?; // fee
        (self.u32()? == ENVELOPE_TYPE_TX).then_some(())?;
        self.transaction()?;
        self.signatures()?;
        self.ext_v0()
    }

    /// `DecoratedSignature signatures<20>`; the count.
    pub(crate) fn signatures(&mut self) -> Option<u32> {
        self.array(MAX_SIGNATURES, |r| {
            r.skip(4)?;
            r.var_opaque(64)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signature, Verifier};

    /// The recorded xlm_testnet case (one payment, text memo).
    const UNSIGNED: &str = "AAAAAgAAAAB94KChgvsttSyyF6LiysjO9yPHwBcIzxPNlIgkQLKBNwAAAGQAAAAcvpkaFQAAAAEAAAAAAAAAAAAAAAAAAAAAAAAAAQAAAAprbXMtdmVjdG9yAAAAAAABAAAAAAAAAAEAAAAAU4dM3/Sev3xDpdHAZLSWR6Zzgm1r9L19dQyWVtaymh8AAAAAAAAAAAdzWUAAAAAAAAAAAA==";
    const SIGNED: &str = "AAAAAgAAAAB94KChgvsttSyyF6LiysjO9yPHwBcIzxPNlIgkQLKBNwAAAGQAAAAcvpkaFQAAAAEAAAAAAAAAAAAAAAAAAAAAAAAAAQAAAAprbXMtdmVjdG9yAAAAAAABAAAAAAAAAAEAAAAAU4dM3/Sev3xDpdHAZLSWR6Zzgm1r9L19dQyWVtaymh8AAAAAAAAAAAdzWUAAAAAAAAAAAUCygTcAAABA798GJ686fxGQhReM63gm7vrrPSKuEVi+f7wmpKfxth2VXTzg6HY+vrw87CTTqOHE+T/aQ1Rxwueexaq4P596Cw==";
    const SECRET: &str = "SC7YJQFYJG2FKIMEC4V4ZUKIOJL6ZRIHY47D5PFRW3R6B2AFJHUI4XMV";

    fn decode(s: &str) -> Vec<u8> {
        base64::engine::general_purpose::STANDARD.decode(s).unwrap()
    }

    #[test]
    fn recorded_vector() {
        let key = crate::xlm::signing_key(SECRET).unwrap();
        assert_eq!(
            sign_envelope(UNSIGNED, &key, TESTNET_PASSPHRASE).unwrap(),
            SIGNED
        );
    }

    /// The appended signature verifies over the signature base, computed here directly.
    #[test]
    fn signature_verifies_over_the_signature_base() {
        let key = crate::xlm::signing_key(SECRET).unwrap();
        let unsigned = decode(UNSIGNED);
        let signed = decode(SIGNED);
        // Unsigned v1 envelope: type ‖ tx ‖ 00000000.
        let tx = &unsigned[4..unsigned.len() - 4];
        let mut base = Sha256::digest(TESTNET_PASSPHRASE.as_bytes()).to_vec();
        base.extend_from_slice(&2u32.to_be_bytes());
        base.extend_from_slice(tx);
        let hash = Sha256::digest(&base);
        let sig = Signature::from_slice(&signed[signed.len() - 64..]).unwrap();
        key.verifying_key().verify(&hash, &sig).unwrap();
        assert_eq!(
            &signed[signed.len() - 72..signed.len() - 68],
            &key.verifying_key().to_bytes()[28..]
        );
        // The mainnet passphrase gives another signature.
        assert_ne!(
            sign_envelope(UNSIGNED, &key, PUBLIC_PASSPHRASE).unwrap(),
            SIGNED
        );
    }

    /// A v0 envelope signs the same transaction hash as its v1 form.
    #[test]
    fn v0_envelopes_hash_in_their_v1_form() {
        let key = crate::xlm::signing_key(SECRET).unwrap();
        let v1 = decode(UNSIGNED);
        // v1 tx: muxed(00000000 ‖ key) fee seq cond(PRECOND_NONE) memo ops ext.
        // v0 tx: key fee seq timeBounds*(absent = 0) memo ops ext: drop the key type.
        let mut v0 = vec![0, 0, 0, 0];
        v0.extend_from_slice(&v1[8..]);
        let b64 = base64::engine::general_purpose::STANDARD.encode(&v0);
        let signed = decode(&sign_envelope(&b64, &key, TESTNET_PASSPHRASE).unwrap());
        let signed_v1 = decode(SIGNED);
        assert_eq!(
            signed[signed.len() - 64..],
            signed_v1[signed_v1.len() - 64..]
        );
    }

    #[test]
    fn signing_twice_appends_a_second_signature() {
        let key = crate::xlm::signing_key(SECRET).unwrap();
        let twice = decode(&sign_envelope(SIGNED, &key, TESTNET_PASSPHRASE).unwrap());
        let once = decode(SIGNED);
        assert_eq!(twice.len(), once.len() + 72);
        let count_at = once.len() - 76;
        assert_eq!(&twice[count_at..count_at + 4], &2u32.to_be_bytes());
    }

    #[test]
    fn malformed_envelopes_are_refused() {
        let key = crate::xlm::signing_key(SECRET).unwrap();
        let bytes = decode(UNSIGNED);
        let enc = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
        // Trailing bytes, truncation, unknown envelope type, bad base64.
        let mut longer = bytes.clone();
        longer.extend_from_slice(&[0, 0, 0, 0]);
        for bad in [
            enc(&longer),
            enc(&bytes[..bytes.len() - 4]),
            enc(&[&[0, 0, 0, 9][..], &bytes[4..]].concat()),
            "not base64!".to_string(),
        ] {
            assert_eq!(
                sign_envelope(&bad, &key, TESTNET_PASSPHRASE).unwrap_err().0,
                "Unsupported transaction type"
            );
        }
        // Non-zero padding in the text memo ("kms-vector" is 10 bytes + 2 padding).
        let memo_at = bytes.windows(10).position(|w| w == b"kms-vector").unwrap();
        let mut padded = bytes.clone();
        padded[memo_at + 10] = 1;
        assert!(sign_envelope(&enc(&padded), &key, TESTNET_PASSPHRASE).is_err());
    }
}
