//! Signing Solana pending transactions as the original does (spec §6.12, quirk Q17):
//! `@tatumio/solana` 2.2.x `kms.sign` with `@solana/web3.js` 1.56.2.
//!
//! The pending `serializedTransaction` is `{"txData": "<hex of a legacy Message>",
//! "mintPK"?: "<secret key>"}`. The original
//! 1. decodes the message (`Message.from`) and turns it back into a `Transaction`
//!    (`Transaction.populate`): the fee payer is the first account when the message asks for
//!    signatures, and every instruction keeps its accounts with the signer and writable flags
//!    the header gives them; the blockhash is dropped;
//! 2. takes every wallet's private key, then `mintPK`, as signers (deduplicated by public key);
//! 3. asks the node for `getLatestBlockhash [{"commitment":"finalized"}]`;
//! 4. **recompiles** the message with web3.js's rules ([`compile`]): the accounts are
//!    deduplicated, sorted signers first, then writable ones, then by base58 text as
//!    `String.prototype.localeCompare` orders it; the fee payer goes first; a wallet key
//!    that is an account but not a signer is made one; a key that is no account at all is
//!    an error (`unknown signer: …`). So the signed bytes can differ from the ones received;
//! 5. signs the new message with every signer (ed25519), requires every signature the
//!    message asks for, and sends the wire transaction, base64, with
//!    `sendTransaction [tx, {"encoding":"base64","preflightCommitment":"confirmed"}]` through
//!    the Tatum node gateway; the answer is the transaction id (its first signature, base58);
//! 6. polls `getTransaction [txId, {"commitment":"confirmed"}]` up to [`CONFIRM_ATTEMPTS`]
//!    times; after the `n`-th miss it waits `n` seconds;
//! 7. then the KMS posts `{txData: txId, signatureId}` to `/v3/solana/broadcast` (the
//!    [`Broadcast`] returned here).
//!
//! Waiting: this code never sleeps. It asks the node for each wait with
//! [`Node::pause`], so the daemon sleeps between polls and tests do not. The original also
//! sleeps after the last miss before giving up; that useless last wait is left out.
//!
//! The blockhash: web3.js caches it per connection and polls until it changes; the SDK makes
//! a new connection for every transaction, so it is always exactly one `getLatestBlockhash`.
//!
//! The message codec is strict where web3.js is lenient: truncated input, trailing bytes,
//! non-canonical compact-u16 lengths and out-of-range account indices are refused instead of
//! being read as `undefined`.

use std::cmp::Ordering;

use base64::Engine;
use ed25519_dalek::{Signer as _, SigningKey, Verifier as _};
use kms_core::PendingTransaction;
use serde_json::{json, Value};

use crate::js::truthy;
use crate::node::{Broadcast, Node};
use crate::signing::{SignError, TxWallet};
use crate::sol;

/// The Tatum Solana node gateway (`{apiKey}` is filled by the daemon).
pub const SOL_RPC: &str = "/v3/blockchain/node/SOL/{apiKey}";
/// Where the KMS reports the transaction id after sending it.
pub const SOL_BROADCAST: &str = "/v3/solana/broadcast";
/// How many times `getTransaction` is asked before giving up (the SDK's `attempts`).
pub const CONFIRM_ATTEMPTS: u32 = 9;
/// web3.js `PACKET_DATA_SIZE`: the largest wire transaction.
pub const PACKET_DATA_SIZE: usize = 1232;

/// A 32-byte public key (or blockhash).
pub type Pubkey = [u8; 32];

fn b58(key: &Pubkey) -> String {
    bs58::encode(key).into_string()
}

// --- compact-u16 ("shortvec") ------------------------------------------------------------

/// Appends `len` as a compact-u16: 7 bits per byte, low bits first, high bit = more.
pub fn encode_length(out: &mut Vec<u8>, len: u16) {
    let mut rest = len;
    loop {
        let byte = (rest & 0x7f) as u8;
        rest >>= 7;
        if rest == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// Reads a canonical compact-u16 (at most 3 bytes, no redundant trailing zero byte).
fn decode_length(r: &mut Reader<'_>) -> Result<usize, SignError> {
    let mut value: u32 = 0;
    for i in 0..3 {
        let byte = r.byte()?;
        value |= u32::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            if i > 0 && byte == 0 {
                return Err(malformed(
                    "a compact-u16 length is not in its shortest form",
                ));
            }
            if value > u32::from(u16::MAX) {
                break;
            }
            return Ok(value as usize);
        }
    }
    Err(malformed("a compact-u16 length is too long"))
}

fn malformed(what: &str) -> SignError {
    SignError::new(format!("SOL txData is not a legacy message: {what}"))
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Result<u8, SignError> {
        let (&b, rest) = self
            .bytes
            .split_first()
            .ok_or_else(|| malformed("it ends too early"))?;
        self.bytes = rest;
        Ok(b)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], SignError> {
        if self.bytes.len() < n {
            return Err(malformed("it ends too early"));
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    fn key(&mut self) -> Result<Pubkey, SignError> {
        let mut k = [0u8; 32];
        k.copy_from_slice(self.take(32)?);
        Ok(k)
    }
}

// --- the legacy message ------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MessageHeader {
    pub num_required_signatures: u8,
    pub num_readonly_signed_accounts: u8,
    pub num_readonly_unsigned_accounts: u8,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompiledInstruction {
    pub program_id_index: u8,
    pub accounts: Vec<u8>,
    pub data: Vec<u8>,
}

/// A legacy (unversioned) Solana message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub header: MessageHeader,
    pub account_keys: Vec<Pubkey>,
    pub recent_blockhash: Pubkey,
    pub instructions: Vec<CompiledInstruction>,
}

impl Message {
    /// Parses the wire form: header, compact array of keys, blockhash, compact array of
    /// instructions (program index, compact array of account indices, compact array of data).
    pub fn decode(bytes: &[u8]) -> Result<Self, SignError> {
        let mut r = Reader { bytes };
        let num_required_signatures = r.byte()?;
        if num_required_signatures & 0x80 != 0 {
            // web3.js: `Message.from` refuses the versioned prefix.
            return Err(SignError::new(
                "Versioned messages must be deserialized with VersionedMessage.deserialize()",
            ));
        }
        let header = MessageHeader {
            num_required_signatures,
            num_readonly_signed_accounts: r.byte()?,
            num_readonly_unsigned_accounts: r.byte()?,
        };
        let n = decode_length(&mut r)?;
        let mut account_keys = Vec::with_capacity(n.min(64));
        for _ in 0..n {
            account_keys.push(r.key()?);
        }
        let recent_blockhash = r.key()?;
        let n = decode_length(&mut r)?;
        let mut instructions = Vec::with_capacity(n.min(64));
        for _ in 0..n {
            let program_id_index = r.byte()?;
            let count = decode_length(&mut r)?;
            let accounts = r.take(count)?.to_vec();
            let len = decode_length(&mut r)?;
            let data = r.take(len)?.to_vec();
            instructions.push(CompiledInstruction {
                program_id_index,
                accounts,
                data,
            });
        }
        if !r.bytes.is_empty() {
            return Err(malformed("bytes follow the last instruction"));
        }
        Ok(Self {
            header,
            account_keys,
            recent_blockhash,
            instructions,
        })
    }

    /// The wire form (web3.js `Message.serialize`). Fails only for arrays longer than a
    /// compact-u16 can count.
    pub fn encode(&self) -> Result<Vec<u8>, SignError> {
        let len = |n: usize| {
            u16::try_from(n).map_err(|_| SignError::new("SOL message: an array is too long"))
        };
        let mut out = vec![
            self.header.num_required_signatures,
            self.header.num_readonly_signed_accounts,
            self.header.num_readonly_unsigned_accounts,
        ];
        encode_length(&mut out, len(self.account_keys.len())?);
        for k in &self.account_keys {
            out.extend_from_slice(k);
        }
        out.extend_from_slice(&self.recent_blockhash);
        encode_length(&mut out, len(self.instructions.len())?);
        for ix in &self.instructions {
            out.push(ix.program_id_index);
            encode_length(&mut out, len(ix.accounts.len())?);
            out.extend_from_slice(&ix.accounts);
            encode_length(&mut out, len(ix.data.len())?);
            out.extend_from_slice(&ix.data);
        }
        Ok(out)
    }

    /// web3.js `isAccountSigner`.
    pub fn is_account_signer(&self, index: usize) -> bool {
        index < usize::from(self.header.num_required_signatures)
    }

    /// web3.js `isAccountWritable` (with its arithmetic, which may go negative).
    pub fn is_account_writable(&self, index: usize) -> bool {
        let i = index as i64;
        let required = i64::from(self.header.num_required_signatures);
        let ro_signed = i64::from(self.header.num_readonly_signed_accounts);
        let ro_unsigned = i64::from(self.header.num_readonly_unsigned_accounts);
        let len = self.account_keys.len() as i64;
        i < required - ro_signed || (i >= required && i < len - ro_unsigned)
    }
}

// --- the web3.js Transaction model -------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountMeta {
    pub pubkey: Pubkey,
    pub is_signer: bool,
    pub is_writable: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    pub program_id: Pubkey,
    pub keys: Vec<AccountMeta>,
    pub data: Vec<u8>,
}

/// What `Transaction.populate(message)` keeps once the blockhash is dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    pub fee_payer: Option<Pubkey>,
    pub instructions: Vec<Instruction>,
}

impl Transaction {
    /// `Transaction.populate(message)` with no signatures.
    pub fn populate(message: &Message) -> Result<Self, SignError> {
        let key = |i: usize| {
            message.account_keys.get(i).copied().ok_or_else(|| {
                malformed(&format!(
                    "account index {i} is out of range ({} accounts)",
                    message.account_keys.len()
                ))
            })
        };
        let fee_payer = if message.header.num_required_signatures > 0 {
            message.account_keys.first().copied()
        } else {
            None
        };
        let mut instructions = Vec::with_capacity(message.instructions.len());
        for ix in &message.instructions {
            let mut keys = Vec::with_capacity(ix.accounts.len());
            for &a in &ix.accounts {
                let a = usize::from(a);
                keys.push(AccountMeta {
                    pubkey: key(a)?,
                    is_signer: message.is_account_signer(a),
                    is_writable: message.is_account_writable(a),
                });
            }
            instructions.push(Instruction {
                program_id: key(usize::from(ix.program_id_index))?,
                keys,
                data: ix.data.clone(),
            });
        }
        Ok(Self {
            fee_payer,
            instructions,
        })
    }
}

/// `String.prototype.localeCompare` of two base58 strings in Node's default (ICU, `en`)
/// collation: digits before letters and letters alphabetical ignoring case first; then, at
/// the first position where only the case differs, lower case first.
pub fn locale_compare(a: &str, b: &str) -> Ordering {
    fn primary(c: u8) -> u16 {
        match c {
            b'0'..=b'9' => u16::from(c - b'0'),
            b'a'..=b'z' => 10 + u16::from(c - b'a'),
            b'A'..=b'Z' => 10 + u16::from(c - b'A'),
            // Not in base58; after everything else.
            other => 100 + u16::from(other),
        }
    }
    a.bytes()
        .map(primary)
        .cmp(b.bytes().map(primary))
        .then_with(|| {
            a.bytes()
                .map(|c| c.is_ascii_uppercase())
                .cmp(b.bytes().map(|c| c.is_ascii_uppercase()))
        })
}

/// web3.js 1.56.2 `Transaction.compileMessage` after `sign(...signers)` has set the
/// signatures to `signers` (unique public keys, in order).
pub fn compile(
    tx: &Transaction,
    recent_blockhash: Pubkey,
    signers: &[Pubkey],
) -> Result<Message, SignError> {
    let fee_payer = match (tx.fee_payer, signers.first()) {
        (Some(p), _) => p,
        (None, Some(s)) => *s,
        (None, None) => return Err(SignError::new("Transaction fee payer required")),
    };
    let mut program_ids: Vec<Pubkey> = Vec::new();
    let mut metas: Vec<AccountMeta> = Vec::new();
    for ix in &tx.instructions {
        metas.extend(ix.keys.iter().copied());
        if !program_ids.contains(&ix.program_id) {
            program_ids.push(ix.program_id);
        }
    }
    metas.extend(program_ids.iter().map(|&pubkey| AccountMeta {
        pubkey,
        is_signer: false,
        is_writable: false,
    }));
    // Cull duplicates, merging the flags.
    let mut unique: Vec<AccountMeta> = Vec::new();
    for m in metas {
        if let Some(u) = unique.iter_mut().find(|u| u.pubkey == m.pubkey) {
            u.is_writable |= m.is_writable;
            u.is_signer |= m.is_signer;
        } else {
            unique.push(m);
        }
    }
    // Signers, then writable, then by base58 text (a stable sort, as V8's).
    unique.sort_by(|x, y| {
        y.is_signer
            .cmp(&x.is_signer)
            .then(y.is_writable.cmp(&x.is_writable))
            .then_with(|| locale_compare(&b58(&x.pubkey), &b58(&y.pubkey)))
    });
    // The fee payer first.
    let payer = match unique.iter().position(|m| m.pubkey == fee_payer) {
        Some(i) => unique.remove(i),
        None => AccountMeta {
            pubkey: fee_payer,
            is_signer: true,
            is_writable: true,
        },
    };
    unique.insert(
        0,
        AccountMeta {
            is_signer: true,
            is_writable: true,
            ..payer
        },
    );
    // Every signer must be an account; one that is not a signer becomes one, in place.
    for s in signers {
        match unique.iter_mut().find(|m| m.pubkey == *s) {
            Some(m) => m.is_signer = true,
            None => return Err(SignError::new(format!("unknown signer: {}", b58(s)))),
        }
    }
    let mut header = MessageHeader::default();
    let mut signed = Vec::new();
    let mut unsigned = Vec::new();
    for m in &unique {
        if m.is_signer {
            signed.push(m.pubkey);
            header.num_required_signatures = count_up(header.num_required_signatures)?;
            if !m.is_writable {
                header.num_readonly_signed_accounts =
                    count_up(header.num_readonly_signed_accounts)?;
            }
        } else {
            unsigned.push(m.pubkey);
            if !m.is_writable {
                header.num_readonly_unsigned_accounts =
                    count_up(header.num_readonly_unsigned_accounts)?;
            }
        }
    }
    signed.extend(unsigned);
    let account_keys = signed;
    let index_of = |k: &Pubkey| {
        account_keys
            .iter()
            .position(|a| a == k)
            .and_then(|i| u8::try_from(i).ok())
            .ok_or_else(|| SignError::new("SOL message: more than 256 accounts"))
    };
    let mut instructions = Vec::with_capacity(tx.instructions.len());
    for ix in &tx.instructions {
        instructions.push(CompiledInstruction {
            program_id_index: index_of(&ix.program_id)?,
            accounts: ix
                .keys
                .iter()
                .map(|m| index_of(&m.pubkey))
                .collect::<Result<_, _>>()?,
            data: ix.data.clone(),
        });
    }
    Ok(Message {
        header,
        account_keys,
        recent_blockhash,
        instructions,
    })
}

fn count_up(n: u8) -> Result<u8, SignError> {
    n.checked_add(1)
        .ok_or_else(|| SignError::new("SOL message: more than 255 accounts of one kind"))
}

/// Signs `message` with every key and returns the wire transaction: compact count of
/// signatures, the signatures in the order of the message's signer accounts, the message.
/// Every signer account must have a key (web3.js: `Signature verification failed`).
pub fn sign_message(message: &Message, keys: &[SigningKey]) -> Result<Vec<u8>, SignError> {
    let bytes = message.encode()?;
    let required = usize::from(message.header.num_required_signatures);
    let signer_accounts = message
        .account_keys
        .get(..required)
        .ok_or_else(|| SignError::new("SOL message: more required signatures than accounts"))?;
    let mut signatures: Vec<Option<[u8; 64]>> = vec![None; signer_accounts.len()];
    for key in keys {
        let public = key.verifying_key();
        let slot = signer_accounts
            .iter()
            .position(|a| a == public.as_bytes())
            .ok_or_else(|| SignError::new(format!("unknown signer: {}", b58(public.as_bytes()))))?;
        let signature = key.sign(&bytes);
        public
            .verify(&bytes, &signature)
            .map_err(|_| SignError::new("Signature verification failed"))?;
        signatures[slot] = Some(signature.to_bytes());
    }
    let mut wire = Vec::with_capacity(1 + 64 * signatures.len() + bytes.len());
    let count = u16::try_from(signatures.len())
        .map_err(|_| SignError::new("SOL message: too many signatures"))?;
    encode_length(&mut wire, count);
    for s in signatures {
        wire.extend_from_slice(&s.ok_or_else(|| SignError::new("Signature verification failed"))?);
    }
    wire.extend_from_slice(&bytes);
    if wire.len() > PACKET_DATA_SIZE {
        return Err(SignError::new(format!(
            "Transaction too large: {} > {PACKET_DATA_SIZE}",
            wire.len()
        )));
    }
    Ok(wire)
}

// --- the KMS flow ------------------------------------------------------------------------

/// Parses a SOL secret key as the SDK's `generateKeyPair`: 128 hex digits, else base58.
fn keypair(text: &str, what: &str) -> Result<SigningKey, SignError> {
    sol::signing_key_from_private_key(text)
        .map_err(|e| SignError::new(format!("the SOL {what} is not a valid secret key: {e}")))
}

/// Signs and sends one SOL pending transaction with every wallet's private key (plus
/// `mintPK`), waits for its confirmation, and returns the broadcast of its id.
pub fn sign_kms(
    tx: &PendingTransaction,
    wallets: &[TxWallet<'_>],
    node: &mut dyn Node,
) -> Result<Broadcast, SignError> {
    let serialized: Value = serde_json::from_str(&tx.serialized_transaction)
        .map_err(|e| SignError::new(format!("serializedTransaction is not valid JSON: {e}")))?;
    let tx_data = serialized
        .get("txData")
        .and_then(Value::as_str)
        .ok_or_else(|| SignError::new("SOL serializedTransaction has no txData string"))?;
    let message_bytes = hex::decode(tx_data)
        .map_err(|_| SignError::new("SOL txData is not hex (a serialized legacy message)"))?;
    let transaction = Transaction::populate(&Message::decode(&message_bytes)?)?;

    let mut keys: Vec<SigningKey> = Vec::new();
    for w in wallets {
        let text = w
            .private_key()
            .ok_or_else(|| SignError::new(format!("wallet {} has no privateKey", w.id)))?;
        keys.push(keypair(text, "private key")?);
    }
    match serialized.get("mintPK") {
        None | Some(Value::Null) | Some(Value::Bool(false)) => {}
        Some(Value::String(s)) if s.is_empty() => {}
        Some(Value::String(s)) => keys.push(keypair(s, "mintPK")?),
        Some(_) => return Err(SignError::new("SOL mintPK is not a string")),
    }
    // `sign` dedupes its signers by public key, keeping the first.
    let mut unique: Vec<SigningKey> = Vec::new();
    for k in keys {
        if !unique
            .iter()
            .any(|u| u.verifying_key() == k.verifying_key())
        {
            unique.push(k);
        }
    }

    let latest = node.rpc(
        SOL_RPC,
        "getLatestBlockhash",
        json!([{"commitment": "finalized"}]),
    )?;
    let blockhash = latest
        .pointer("/value/blockhash")
        .and_then(Value::as_str)
        .ok_or_else(|| SignError::new("getLatestBlockhash: the answer has no value.blockhash"))?;
    let mut recent = [0u8; 32];
    match bs58::decode(blockhash).onto(&mut recent[..]) {
        Ok(32) => {}
        _ => {
            return Err(SignError::new(format!(
                "getLatestBlockhash: {blockhash} is not a 32-byte base58 hash"
            )))
        }
    }
    if unique.is_empty() {
        return Err(SignError::new("No signers"));
    }
    let signer_keys: Vec<Pubkey> = unique
        .iter()
        .map(|k| k.verifying_key().to_bytes())
        .collect();
    let message = compile(&transaction, recent, &signer_keys)?;
    let wire = sign_message(&message, &unique)?;
    drop(unique);

    let encoded = base64::engine::general_purpose::STANDARD.encode(&wire);
    let sent = node.rpc(
        SOL_RPC,
        "sendTransaction",
        json!([encoded, {"encoding": "base64", "preflightCommitment": "confirmed"}]),
    )?;
    let tx_id = sent
        .as_str()
        .ok_or_else(|| SignError::new("sendTransaction: the answer is not a signature string"))?
        .to_string();

    confirm(&tx_id, node)?;
    Ok(Broadcast::tx_data(SOL_BROADCAST, tx_id, &tx.id))
}

/// Whether a confirmation error leaves the transaction's fate unknown: everything but a
/// transaction found on chain with an error.
fn unknown_outcome(e: SignError, failed_on_chain: bool) -> SignError {
    if failed_on_chain {
        e
    } else {
        e.submitted()
    }
}

/// The SDK's `sendTransactionWithConfirm` loop: up to [`CONFIRM_ATTEMPTS`] `getTransaction`
/// calls; found without `meta.err` is success; after the `n`-th miss (not found, or found
/// with an error, which it keeps polling) it waits `n` seconds, except after the last.
fn confirm(tx_id: &str, node: &mut dyn Node) -> Result<(), SignError> {
    let mut last = Value::Null;
    for attempt in 1..=CONFIRM_ATTEMPTS {
        last = node
            .rpc(
                SOL_RPC,
                "getTransaction",
                json!([tx_id, {"commitment": "confirmed"}]),
            )
            .map_err(|e| unknown_outcome(e.into(), false))?;
        if !last.is_null() && !truthy(last.pointer("/meta/err")) {
            return Ok(());
        }
        if attempt < CONFIRM_ATTEMPTS {
            node.pause(u64::from(attempt) * 1000);
        }
    }
    if let Some(err) = last.pointer("/meta/err").filter(|e| truthy(Some(e))) {
        return Err(unknown_outcome(
            SignError::new(format!(
                "Transaction {tx_id} failed with error: {}",
                js_template(err)
            )),
            true,
        ));
    }
    Err(SignError::after_submit(format!(
        "Transaction {tx_id} has not been confirmed yet. The transaction could still be accepted by the Solana network. We advise to manually check if the transaction has been dropped or accepted before you try to send the transaction again."
    )))
}

/// `${v}` in JavaScript: objects print as `[object Object]`, arrays join their items.
fn js_template(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::String(s) => s.clone(),
        Value::Object(_) => "[object Object]".into(),
        Value::Array(items) => items
            .iter()
            .map(|i| match i {
                Value::Null => String::new(),
                other => js_template(other),
            })
            .collect::<Vec<_>>()
            .join(","),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key(b: u8) -> Pubkey {
        [b; 32]
    }

    #[test]
    fn compact_u16_known_values() {
        for (n, bytes) in [
            (0u16, vec![0x00]),
            (0x7f, vec![0x7f]),
            (0x80, vec![0x80, 0x01]),
            (0xff, vec![0xff, 0x01]),
            (0x100, vec![0x80, 0x02]),
            (0x3fff, vec![0xff, 0x7f]),
            (0x4000, vec![0x80, 0x80, 0x01]),
            (0xffff, vec![0xff, 0xff, 0x03]),
        ] {
            let mut out = Vec::new();
            encode_length(&mut out, n);
            assert_eq!(out, bytes, "{n}");
            let mut r = Reader { bytes: &bytes };
            assert_eq!(decode_length(&mut r).unwrap(), usize::from(n));
            assert!(r.bytes.is_empty());
        }
        for bad in [
            &[0x80, 0x00][..],
            &[0x80, 0x80, 0x00],
            &[0xff, 0xff, 0x04],
            &[0x80, 0x80, 0x80, 0x01],
            &[0x80],
        ] {
            assert!(
                decode_length(&mut Reader { bytes: bad }).is_err(),
                "{bad:?}"
            );
        }
    }

    /// The sol_testnet message: a system transfer from the fee payer.
    const TRANSFER: &str = "0100010396da9c08f0703f749fd14e630a2b81d9109a9a8f17b7ade18952e82eb2b5e431feb7eb85839f4ff6c5de89c88439fbb75bfbbac5eb4f11af7274b46dfcfab2d50000000000000000000000000000000000000000000000000000000000000000c49ae77603782054f17a9decea43b444eba0edb12c6f1d31c6e0e4a84bf052eb01020200010c0200000087d6120000000000";

    #[test]
    fn decodes_and_reencodes_a_transfer() {
        let bytes = hex::decode(TRANSFER).unwrap();
        let m = Message::decode(&bytes).unwrap();
        assert_eq!(m.header.num_required_signatures, 1);
        assert_eq!(m.header.num_readonly_unsigned_accounts, 1);
        assert_eq!(m.account_keys.len(), 3);
        assert_eq!(m.instructions.len(), 1);
        assert_eq!(m.instructions[0].program_id_index, 2);
        assert_eq!(m.instructions[0].accounts, [0, 1]);
        assert_eq!(m.instructions[0].data.len(), 12);
        assert_eq!(m.encode().unwrap(), bytes);
        // Populate: payer signer+writable, recipient writable, program read-only.
        let t = Transaction::populate(&m).unwrap();
        assert_eq!(t.fee_payer, Some(m.account_keys[0]));
        let flags: Vec<(bool, bool)> = t.instructions[0]
            .keys
            .iter()
            .map(|k| (k.is_signer, k.is_writable))
            .collect();
        assert_eq!(flags, [(true, true), (false, true)]);
        // Recompiling with the same blockhash and the payer as signer gives the same bytes.
        let again = compile(&t, m.recent_blockhash, &[m.account_keys[0]]).unwrap();
        assert_eq!(again, m);
    }

    #[test]
    fn refuses_malformed_messages() {
        let bytes = hex::decode(TRANSFER).unwrap();
        for cut in [0, 2, 3, 40, 100, bytes.len() - 1] {
            assert!(Message::decode(&bytes[..cut]).is_err(), "{cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(Message::decode(&longer).is_err());
        let mut versioned = bytes.clone();
        versioned[0] = 0x80;
        assert!(Message::decode(&versioned)
            .unwrap_err()
            .0
            .starts_with("Versioned messages"));
        let mut out_of_range = bytes.clone();
        let at = bytes.len() - 17; // the program id index of the one instruction
        assert_eq!(out_of_range[at], 2);
        out_of_range[at] = 3;
        let m = Message::decode(&out_of_range).unwrap();
        assert!(Transaction::populate(&m).is_err());
    }

    #[test]
    fn locale_compare_is_case_insensitive_first_then_lower_case_first() {
        use Ordering::*;
        assert_eq!(locale_compare("1", "a"), Less);
        assert_eq!(locale_compare("9", "A"), Less);
        assert_eq!(locale_compare("a", "B"), Less);
        assert_eq!(locale_compare("B", "a"), Greater);
        assert_eq!(locale_compare("a", "A"), Less);
        assert_eq!(locale_compare("Ab", "aC"), Less);
        assert_eq!(locale_compare("aB", "Ab"), Less);
        assert_eq!(locale_compare("ab", "abc"), Less);
        assert_eq!(locale_compare("Zz", "zz"), Greater);
        assert_eq!(locale_compare("x", "x"), Equal);
    }

    #[test]
    fn compile_orders_signers_writable_then_text_and_puts_the_payer_first() {
        // Keys whose base58 texts start differently.
        let ro = key(9);
        let w1 = key(200);
        let w2 = key(3);
        let payer = key(7);
        let program = key(0);
        let tx = Transaction {
            fee_payer: Some(payer),
            instructions: vec![Instruction {
                program_id: program,
                keys: vec![
                    AccountMeta {
                        pubkey: ro,
                        is_signer: false,
                        is_writable: false,
                    },
                    AccountMeta {
                        pubkey: w1,
                        is_signer: false,
                        is_writable: true,
                    },
                    AccountMeta {
                        pubkey: w2,
                        is_signer: false,
                        is_writable: true,
                    },
                    AccountMeta {
                        pubkey: payer,
                        is_signer: true,
                        is_writable: true,
                    },
                ],
                data: vec![1, 2, 3],
            }],
        };
        let m = compile(&tx, key(1), &[payer]).unwrap();
        let mut writable = [w1, w2];
        writable.sort_by(|a, b| locale_compare(&b58(a), &b58(b)));
        let mut readonly = [ro, program];
        readonly.sort_by(|a, b| locale_compare(&b58(a), &b58(b)));
        assert_eq!(
            m.account_keys,
            [payer, writable[0], writable[1], readonly[0], readonly[1]]
        );
        assert_eq!(
            m.header,
            MessageHeader {
                num_required_signatures: 1,
                num_readonly_signed_accounts: 0,
                num_readonly_unsigned_accounts: 2,
            }
        );
        // A wallet key that is a non-signer account becomes a signer where it stands.
        let m = compile(&tx, key(1), &[payer, ro]).unwrap();
        assert_eq!(m.header.num_required_signatures, 2);
        assert_eq!(m.header.num_readonly_signed_accounts, 1);
        assert_eq!(m.account_keys[1], ro);
        // One that is no account at all is refused.
        let e = compile(&tx, key(1), &[payer, key(42)]).unwrap_err();
        assert_eq!(e.0, format!("unknown signer: {}", b58(&key(42))));
    }

    #[test]
    fn a_missing_signature_fails_verification() {
        let a = SigningKey::from_bytes(&[1; 32]);
        let b = SigningKey::from_bytes(&[2; 32]);
        let m = Message {
            header: MessageHeader {
                num_required_signatures: 2,
                ..Default::default()
            },
            account_keys: vec![
                a.verifying_key().to_bytes(),
                b.verifying_key().to_bytes(),
                key(0),
            ],
            recent_blockhash: key(5),
            instructions: vec![],
        };
        assert_eq!(
            sign_message(&m, std::slice::from_ref(&a)).unwrap_err().0,
            "Signature verification failed"
        );
        let wire = sign_message(&m, &[b, a]).unwrap();
        assert_eq!(wire[0], 2);
        let bytes = m.encode().unwrap();
        assert_eq!(&wire[129..], &bytes[..]);
    }

    #[test]
    fn js_template_strings() {
        assert_eq!(
            js_template(&json!({"InstructionError": [0, "x"]})),
            "[object Object]"
        );
        assert_eq!(js_template(&json!("AccountInUse")), "AccountInUse");
        assert_eq!(js_template(&json!([0, null, "a"])), "0,,a");
    }

    fn arb_message() -> impl Strategy<Value = Message> {
        let ix = (
            any::<u8>(),
            prop::collection::vec(any::<u8>(), 0..20),
            prop::collection::vec(any::<u8>(), 0..300),
        )
            .prop_map(|(program_id_index, accounts, data)| CompiledInstruction {
                program_id_index,
                accounts,
                data,
            });
        (
            0u8..0x80,
            any::<u8>(),
            any::<u8>(),
            prop::collection::vec(any::<[u8; 32]>(), 0..140),
            any::<[u8; 32]>(),
            prop::collection::vec(ix, 0..6),
        )
            .prop_map(
                |(req, ros, rou, account_keys, recent_blockhash, instructions)| Message {
                    header: MessageHeader {
                        num_required_signatures: req,
                        num_readonly_signed_accounts: ros,
                        num_readonly_unsigned_accounts: rou,
                    },
                    account_keys,
                    recent_blockhash,
                    instructions,
                },
            )
    }

    proptest! {
        #[test]
        fn message_codec_round_trips(m in arb_message()) {
            let bytes = m.encode().unwrap();
            prop_assert_eq!(Message::decode(&bytes).unwrap(), m);
        }

        #[test]
        fn compact_u16_round_trips(n in any::<u16>()) {
            let mut out = Vec::new();
            encode_length(&mut out, n);
            let mut r = Reader { bytes: &out };
            prop_assert_eq!(decode_length(&mut r).unwrap(), usize::from(n));
            prop_assert!(r.bytes.is_empty());
        }

        #[test]
        fn decode_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
            let _ = Message::decode(&bytes);
        }
    }
}
