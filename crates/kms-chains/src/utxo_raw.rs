//! The raw transaction format shared by BTC, LTC, DOGE and BCH: encoding and decoding
//! (legacy and BIP144 segwit serialization), the legacy and BIP143 signature hashes, and
//! the script pieces the signers build. Pure byte code, no chain rules.

use sha2::{Digest, Sha256};

use crate::hash::hash160;

/// One input: the previous output it spends, its scriptSig, sequence and witness stack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxIn {
    /// The previous transaction's id in internal byte order (the reverse of the hex a
    /// block explorer shows).
    pub prev_hash: [u8; 32],
    pub prev_index: u32,
    pub script_sig: Vec<u8>,
    pub sequence: u32,
    pub witness: Vec<Vec<u8>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxOut {
    pub value: u64,
    pub script: Vec<u8>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawTx {
    pub version: i32,
    pub inputs: Vec<TxIn>,
    pub outputs: Vec<TxOut>,
    pub lock_time: u32,
}

/// Why raw bytes are not a transaction.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a raw transaction: {0}")]
pub struct DecodeError(pub String);

impl RawTx {
    pub fn has_witness(&self) -> bool {
        self.inputs.iter().any(|i| !i.witness.is_empty())
    }

    /// The transaction's bytes; with `witness` and at least one input witness, the BIP144
    /// form (marker 0x00, flag 0x01, witnesses before the lock time).
    pub fn encode(&self, witness: bool) -> Vec<u8> {
        let segwit = witness && self.has_witness();
        let mut out = Vec::with_capacity(self.size_hint());
        out.extend_from_slice(&self.version.to_le_bytes());
        if segwit {
            out.extend_from_slice(&[0x00, 0x01]);
        }
        write_varint(&mut out, self.inputs.len() as u64);
        for input in &self.inputs {
            write_outpoint(&mut out, input);
            write_var_bytes(&mut out, &input.script_sig);
            out.extend_from_slice(&input.sequence.to_le_bytes());
        }
        write_varint(&mut out, self.outputs.len() as u64);
        for output in &self.outputs {
            write_output(&mut out, output);
        }
        if segwit {
            for input in &self.inputs {
                write_varint(&mut out, input.witness.len() as u64);
                for item in &input.witness {
                    write_var_bytes(&mut out, item);
                }
            }
        }
        out.extend_from_slice(&self.lock_time.to_le_bytes());
        out
    }

    fn size_hint(&self) -> usize {
        let inputs: usize = self
            .inputs
            .iter()
            .map(|i| 41 + i.script_sig.len() + i.witness.iter().map(|w| w.len() + 1).sum::<usize>())
            .sum();
        let outputs: usize = self.outputs.iter().map(|o| 9 + o.script.len()).sum();
        16 + inputs + outputs
    }

    /// The txid (double SHA-256 of the serialization without witnesses), as hex in the
    /// usual display order.
    pub fn txid_hex(&self) -> String {
        let mut h = sha256d(&self.encode(false));
        h.reverse();
        hex::encode(h)
    }

    /// Parses a serialized transaction (legacy or BIP144 segwit form). Trailing bytes are
    /// an error.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader { bytes, pos: 0 };
        let version = i32::from_le_bytes(r.array()?);
        let mut segwit = false;
        let mut input_count = r.varint()?;
        if input_count == 0 && r.peek() == Some(0x01) {
            r.pos += 1;
            segwit = true;
            input_count = r.varint()?;
        }
        let mut inputs = Vec::with_capacity(r.capacity(input_count, 41));
        for _ in 0..input_count {
            let prev_hash = r.array()?;
            let prev_index = u32::from_le_bytes(r.array()?);
            let script_sig = r.var_bytes()?;
            let sequence = u32::from_le_bytes(r.array()?);
            inputs.push(TxIn {
                prev_hash,
                prev_index,
                script_sig,
                sequence,
                witness: Vec::new(),
            });
        }
        let output_count = r.varint()?;
        let mut outputs = Vec::with_capacity(r.capacity(output_count, 9));
        for _ in 0..output_count {
            let value = u64::from_le_bytes(r.array()?);
            let script = r.var_bytes()?;
            outputs.push(TxOut { value, script });
        }
        if segwit {
            for input in &mut inputs {
                let items = r.varint()?;
                let mut witness = Vec::with_capacity(r.capacity(items, 1));
                for _ in 0..items {
                    witness.push(r.var_bytes()?);
                }
                input.witness = witness;
            }
            if !inputs.iter().any(|i| !i.witness.is_empty()) {
                return Err(DecodeError(
                    "segwit marker without any witness (superfluous witness record)".into(),
                ));
            }
        }
        let lock_time = u32::from_le_bytes(r.array()?);
        if r.pos != bytes.len() {
            return Err(DecodeError(format!(
                "{} unexpected bytes after the lock time",
                bytes.len() - r.pos
            )));
        }
        Ok(Self {
            version,
            inputs,
            outputs,
            lock_time,
        })
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], DecodeError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or_else(|| DecodeError(format!("truncated at byte {}", self.pos)))?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn varint(&mut self) -> Result<u64, DecodeError> {
        let first = self.array::<1>()?[0];
        Ok(match first {
            0xfd => u64::from(u16::from_le_bytes(self.array()?)),
            0xfe => u64::from(u32::from_le_bytes(self.array()?)),
            0xff => u64::from_le_bytes(self.array()?),
            n => u64::from(n),
        })
    }

    fn var_bytes(&mut self) -> Result<Vec<u8>, DecodeError> {
        let len = self.varint()?;
        let len = usize::try_from(len).map_err(|_| DecodeError("length too large".into()))?;
        Ok(self.take(len)?.to_vec())
    }

    /// A safe preallocation for `count` items of at least `min_size` bytes each.
    fn capacity(&self, count: u64, min_size: usize) -> usize {
        let left = (self.bytes.len() - self.pos) / min_size;
        usize::try_from(count).map_or(left, |c| c.min(left))
    }
}

pub(crate) fn write_varint(out: &mut Vec<u8>, n: u64) {
    match n {
        0..=0xfc => out.push(n as u8),
        0xfd..=0xffff => {
            out.push(0xfd);
            out.extend_from_slice(&(n as u16).to_le_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(0xfe);
            out.extend_from_slice(&(n as u32).to_le_bytes());
        }
        _ => {
            out.push(0xff);
            out.extend_from_slice(&n.to_le_bytes());
        }
    }
}

pub(crate) fn write_var_bytes(out: &mut Vec<u8>, data: &[u8]) {
    write_varint(out, data.len() as u64);
    out.extend_from_slice(data);
}

fn write_outpoint(out: &mut Vec<u8>, input: &TxIn) {
    out.extend_from_slice(&input.prev_hash);
    out.extend_from_slice(&input.prev_index.to_le_bytes());
}

fn write_output(out: &mut Vec<u8>, output: &TxOut) {
    out.extend_from_slice(&output.value.to_le_bytes());
    write_var_bytes(out, &output.script);
}

pub(crate) fn sha256d(data: &[u8]) -> [u8; 32] {
    Sha256::digest(Sha256::digest(data)).into()
}

/// A data push as bitcore's `Script#add(buffer)` and bitcoinjs' `script.compile` write it
/// for signatures, public keys and redeem scripts (never 1-byte values).
pub(crate) fn push_data(out: &mut Vec<u8>, data: &[u8]) {
    let len = data.len();
    if len < 0x4c {
        out.push(len as u8);
    } else if len <= 0xff {
        out.push(0x4c);
        out.push(len as u8);
    } else if len <= 0xffff {
        out.push(0x4d);
        out.extend_from_slice(&(len as u16).to_le_bytes());
    } else {
        out.push(0x4e);
        out.extend_from_slice(&(len as u32).to_le_bytes());
    }
    out.extend_from_slice(data);
}

/// `OP_DUP OP_HASH160 <hash> OP_EQUALVERIFY OP_CHECKSIG`.
pub(crate) fn p2pkh_script(hash: &[u8; 20]) -> Vec<u8> {
    let mut s = Vec::with_capacity(25);
    s.extend_from_slice(&[0x76, 0xa9, 0x14]);
    s.extend_from_slice(hash);
    s.extend_from_slice(&[0x88, 0xac]);
    s
}

/// `OP_0 <hash160(public key)>`, the P2WPKH program (and the P2SH-P2WPKH redeem script).
pub(crate) fn p2wpkh_script(public_key: &[u8]) -> Vec<u8> {
    let mut s = Vec::with_capacity(22);
    s.extend_from_slice(&[0x00, 0x14]);
    s.extend_from_slice(&hash160(public_key));
    s
}

/// `OP_HASH160 <hash160(script)> OP_EQUAL`.
pub(crate) fn p2sh_script(redeem: &[u8]) -> Vec<u8> {
    let mut s = Vec::with_capacity(23);
    s.extend_from_slice(&[0xa9, 0x14]);
    s.extend_from_slice(&hash160(redeem));
    s.push(0x87);
    s
}

/// The legacy (pre-segwit) signature hash with SIGHASH_ALL-style types: every other
/// input's scriptSig emptied, the signed input's replaced by `script_code`, no witnesses,
/// then the 4-byte hash type.
pub(crate) fn legacy_sighash(
    tx: &RawTx,
    index: usize,
    script_code: &[u8],
    hash_type: u32,
) -> [u8; 32] {
    let mut out = Vec::with_capacity(tx.size_hint() + script_code.len() + 4);
    out.extend_from_slice(&tx.version.to_le_bytes());
    write_varint(&mut out, tx.inputs.len() as u64);
    for (i, input) in tx.inputs.iter().enumerate() {
        write_outpoint(&mut out, input);
        if i == index {
            write_var_bytes(&mut out, script_code);
        } else {
            out.push(0);
        }
        out.extend_from_slice(&input.sequence.to_le_bytes());
    }
    write_varint(&mut out, tx.outputs.len() as u64);
    for output in &tx.outputs {
        write_output(&mut out, output);
    }
    out.extend_from_slice(&tx.lock_time.to_le_bytes());
    out.extend_from_slice(&hash_type.to_le_bytes());
    sha256d(&out)
}

/// The three whole-transaction hashes of BIP143 (for SIGHASH_ALL), computed once per
/// transaction: they cover outpoints, sequences and outputs, none of which signing
/// changes.
pub(crate) struct Bip143Cache {
    hash_prevouts: [u8; 32],
    hash_sequence: [u8; 32],
    hash_outputs: [u8; 32],
}

impl Bip143Cache {
    pub(crate) fn new(tx: &RawTx) -> Self {
        let mut prevouts = Vec::with_capacity(36 * tx.inputs.len());
        let mut sequences = Vec::with_capacity(4 * tx.inputs.len());
        for input in &tx.inputs {
            write_outpoint(&mut prevouts, input);
            sequences.extend_from_slice(&input.sequence.to_le_bytes());
        }
        let mut outputs = Vec::new();
        for output in &tx.outputs {
            write_output(&mut outputs, output);
        }
        Self {
            hash_prevouts: sha256d(&prevouts),
            hash_sequence: sha256d(&sequences),
            hash_outputs: sha256d(&outputs),
        }
    }

    /// The BIP143 digest of input `index` (SIGHASH_ALL family; BCH passes 0x41).
    pub(crate) fn sighash(
        &self,
        tx: &RawTx,
        index: usize,
        script_code: &[u8],
        amount: u64,
        hash_type: u32,
    ) -> [u8; 32] {
        let input = &tx.inputs[index];
        let mut out = Vec::with_capacity(160 + script_code.len());
        out.extend_from_slice(&tx.version.to_le_bytes());
        out.extend_from_slice(&self.hash_prevouts);
        out.extend_from_slice(&self.hash_sequence);
        write_outpoint(&mut out, input);
        write_var_bytes(&mut out, script_code);
        out.extend_from_slice(&amount.to_le_bytes());
        out.extend_from_slice(&input.sequence.to_le_bytes());
        out.extend_from_slice(&self.hash_outputs);
        out.extend_from_slice(&tx.lock_time.to_le_bytes());
        out.extend_from_slice(&hash_type.to_le_bytes());
        sha256d(&out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// BIP143's native P2WPKH example: the unsigned transaction, and the sighash of its
    /// second input (the P2WPKH one, 6 BTC, SIGHASH_ALL).
    #[test]
    fn bip143_native_p2wpkh_example() {
        let unsigned = hex::decode("0100000002fff7f7881a8099afa6940d42d1e7f6362bec38171ea3edf433541db4e4ad969f0000000000eeffffffef51e1b804cc89d182d279655c3aa89e815b1b309fe287d9b2b55d57b90ec68a0100000000ffffffff02202cb206000000001976a9148280b37df378db99f66f85c95a783a76ac7a6d5988ac9093510d000000001976a9143bde42dbee7e4dbe6a21b2d50ce2f0167faa815988ac11000000").unwrap();
        let tx = RawTx::decode(&unsigned).unwrap();
        assert_eq!(tx.encode(true), unsigned);
        let script_code =
            hex::decode("76a9141d0f172a0ecb48aee1be1f2687d2963ae33f71a188ac").unwrap();
        let cache = Bip143Cache::new(&tx);
        let h = cache.sighash(&tx, 1, &script_code, 600_000_000, 1);
        assert_eq!(
            hex::encode(h),
            "c37af31116d1b27caf68aae9e3ac82f1477929014d5b917657d0eb49478cb670"
        );
    }

    #[test]
    fn segwit_decoding_keeps_witnesses_and_the_txid_ignores_them() {
        // A signed 1-input P2WPKH spend (witness: signature, public key).
        let mut tx = RawTx {
            version: 2,
            inputs: vec![TxIn {
                prev_hash: [0x11; 32],
                prev_index: 3,
                script_sig: Vec::new(),
                sequence: 0xffff_fffd,
                witness: vec![vec![0x30; 71], vec![0x02; 33]],
            }],
            outputs: vec![TxOut {
                value: 12_345,
                script: p2pkh_script(&[7; 20]),
            }],
            lock_time: 99,
        };
        let bytes = tx.encode(true);
        assert_eq!(&bytes[4..6], &[0x00, 0x01]);
        assert_eq!(RawTx::decode(&bytes).unwrap(), tx);
        let txid = tx.txid_hex();
        tx.inputs[0].witness.clear();
        assert_eq!(tx.txid_hex(), txid);
        assert_eq!(tx.encode(true), tx.encode(false));
    }

    #[test]
    fn garbage_is_refused() {
        assert!(RawTx::decode(&[]).is_err());
        assert!(RawTx::decode(&[1, 0, 0, 0, 5]).is_err());
        let tx = RawTx {
            version: 1,
            inputs: vec![],
            outputs: vec![],
            lock_time: 0,
        };
        let mut bytes = tx.encode(true);
        bytes.push(0);
        assert!(RawTx::decode(&bytes).is_err());
    }

    fn arb_tx() -> impl Strategy<Value = RawTx> {
        let input = (
            any::<[u8; 32]>(),
            any::<u32>(),
            proptest::collection::vec(any::<u8>(), 0..120),
            any::<u32>(),
            proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..80), 0..3),
        )
            .prop_map(
                |(prev_hash, prev_index, script_sig, sequence, witness)| TxIn {
                    prev_hash,
                    prev_index,
                    script_sig,
                    sequence,
                    witness,
                },
            );
        let output = (any::<u64>(), proptest::collection::vec(any::<u8>(), 0..300))
            .prop_map(|(value, script)| TxOut { value, script });
        (
            any::<i32>(),
            proptest::collection::vec(input, 1..6),
            proptest::collection::vec(output, 0..6),
            any::<u32>(),
        )
            .prop_map(|(version, inputs, outputs, lock_time)| RawTx {
                version,
                inputs,
                outputs,
                lock_time,
            })
    }

    proptest! {
        #[test]
        fn encode_then_decode_is_the_identity(tx in arb_tx()) {
            let bytes = tx.encode(true);
            prop_assert_eq!(RawTx::decode(&bytes).unwrap(), tx.clone());
            let mut stripped = tx.clone();
            for i in &mut stripped.inputs {
                i.witness.clear();
            }
            prop_assert_eq!(RawTx::decode(&tx.encode(false)).unwrap(), stripped);
        }
    }
}
