//! BCH pending transactions (spec §5.4), signed as the original's
//! `@tatumio/bitcoincashjs2-lib` 4.1.2 `TransactionBuilder` does it:
//!
//! - `serializedTransaction` is `<unsigned raw tx hex>:<JSON array of input amounts>`
//!   (JavaScript's `split(':')`, so the amounts end at a second `:` if there is one);
//! - the k-th key signs input k with `amounts[k]` (positional, no address check: quirk
//!   Q9); the input becomes P2PKH of that key;
//! - the digest is the BIP143 one with hash type SIGHASH_ALL|FORKID (0x41, fork id 0);
//! - the signature is the 2019 BCH Schnorr: RFC 6979 nonce with the extra data
//!   `Schnorr+SHA256␠␠`, k negated unless R.y is a quadratic residue (Jacobi symbol 1),
//!   r = R.x, e = SHA-256(r ‖ compressed P ‖ h) mod n, s = k + e·x, 64 bytes r ‖ s;
//! - scriptSig = push(r ‖ s ‖ 0x41) push(public key); `build()` refuses a transaction
//!   with an unsigned input, and one whose fee rate is over 2500 sat/byte.

use hmac::{Hmac, KeyInit, Mac};
use k256::elliptic_curve::bigint::{JacobiSymbol, Odd, U256};
use k256::elliptic_curve::ops::Reduce;
use k256::elliptic_curve::point::AffineCoordinates;
use k256::elliptic_curve::PrimeField;
use k256::{FieldBytes, ProjectivePoint, Scalar};
use kms_core::{Network, SecretString};
use serde_json::Value;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::signing::SignError;
use crate::utxo_raw::{p2pkh_script, push_data, Bip143Cache, RawTx};
use crate::utxo_tx::{SignedUtxo, UtxoKey};

/// SIGHASH_ALL | SIGHASH_BITCOINCASHBIP143 (fork id 0).
const HASH_TYPE: u8 = 0x41;
/// `TransactionBuilder.maximumFeeRate`, satoshis per byte.
const MAXIMUM_FEE_RATE: f64 = 2500.0;
/// bitcoinjs' `types.Satoshi`: at most 21 million coins.
const MAX_SATOSHI: u64 = 21 * 100_000_000_000_000;
/// The extra data of the Schnorr nonce (RFC 6979 §3.6 `k'`), two trailing spaces.
const NONCE_EXTRA: &[u8; 16] = b"Schnorr+SHA256  ";
/// The secp256k1 field prime.
const FIELD_PRIME: Odd<U256> =
    Odd::<U256>::from_be_hex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F");

/// The normal flow: key k (after de-duplication, spec §3.1) signs input k.
pub fn sign_with_keys(
    network: Network,
    serialized: &str,
    keys: &[SecretString],
) -> Result<SignedUtxo, SignError> {
    let keys: Vec<Option<&SecretString>> = keys.iter().map(Some).collect();
    sign_positional(network, serialized, &keys)
}

/// Signs input k with `keys[k]` where it is `Some` (the off-chain flow passes `None` for
/// the `vIn == "-1"` placeholders), then builds the transaction.
pub fn sign_positional(
    network: Network,
    serialized: &str,
    keys: &[Option<&SecretString>],
) -> Result<SignedUtxo, SignError> {
    let (mut tx, amounts) = parse(serialized)?;
    let cache = Bip143Cache::new(&tx);
    let mut values: Vec<Option<u64>> = vec![None; tx.inputs.len()];
    let wif_version = if network.is_testnet() { 0xef } else { 0x80 };
    for (k, key) in keys.iter().enumerate() {
        let Some(key) = key else { continue };
        let key = decode_wif(key.expose(), wif_version)
            .and_then(|(secret, compressed)| UtxoKey::from_secret(&secret, compressed))
            .map_err(|e| SignError::new(format!("BCH private key for input {k}: {e}")))?;
        if k >= tx.inputs.len() {
            return Err(SignError::new(format!(
                "Error: No input at index: {k} (BCH keys sign inputs by position: key {} has no input, the transaction has {} input(s))",
                k + 1,
                tx.inputs.len()
            )));
        }
        let amount = match amounts.get(k) {
            None => {
                return Err(SignError::new(format!(
                    "Error: Expected property \"2\" of type Number, got undefined (the input amounts after ':' have no entry {k}: a BCH signature needs the amount of the input it signs)"
                )))
            }
            Some(v) => satoshi(v).ok_or_else(|| {
                SignError::new(format!(
                    "TypeError: Expected Satoshi, got {v} (amount {k} of the amounts after ':')"
                ))
            })?,
        };
        let script_code = p2pkh_script(key.hash());
        let digest = cache.sighash(&tx, k, &script_code, amount, u32::from(HASH_TYPE));
        let signature = schnorr_sign(&key, &digest)?;
        let mut script_sig = Vec::with_capacity(67 + key.public().len());
        let mut with_type = signature.to_vec();
        with_type.push(HASH_TYPE);
        push_data(&mut script_sig, &with_type);
        push_data(&mut script_sig, key.public());
        tx.inputs[k].script_sig = script_sig;
        values[k] = Some(amount);
    }
    build(&tx, &values)?;
    Ok(SignedUtxo {
        hex: hex::encode(tx.encode(false)),
        notes: Vec::new(),
    })
}

/// Splits and decodes `<hex>:<amounts JSON>`, and applies `TransactionBuilder
/// .fromTransaction`'s own checks.
pub(crate) fn parse(serialized: &str) -> Result<(RawTx, Vec<Value>), SignError> {
    let malformed =
        |what: String| SignError::new(format!("malformed serializedTransaction: {what}"));
    let mut parts = serialized.split(':');
    let data = parts.next().unwrap_or_default();
    let amounts_text = parts.next().ok_or_else(|| {
        malformed("expected `<raw tx hex>:<JSON array of input amounts>`, found no ':'".into())
    })?;
    let bytes = hex::decode(data)
        .map_err(|e| malformed(format!("the raw transaction before ':' is not hex ({e})")))?;
    let tx = RawTx::decode(&bytes).map_err(|e| malformed(e.to_string()))?;
    if tx.has_witness() {
        return Err(malformed(
            "the raw transaction has segwit witnesses, which BCH does not have".into(),
        ));
    }
    let amounts: Value = serde_json::from_str(amounts_text)
        .map_err(|e| malformed(format!("the input amounts after ':' are not JSON ({e})")))?;
    // `amountsToSign[i]` of anything but an array is undefined.
    let amounts = match amounts {
        Value::Array(a) => a,
        _ => Vec::new(),
    };
    let mut seen = std::collections::HashSet::new();
    for (i, input) in tx.inputs.iter().enumerate() {
        if input.prev_hash == [0u8; 32] {
            return Err(SignError::new(format!(
                "Error: coinbase inputs not supported (input {i})"
            )));
        }
        if !seen.insert((input.prev_hash, input.prev_index)) {
            return Err(SignError::new(format!(
                "Error: Duplicate TxOut: {}:{} (input {i} spends the same output as an earlier input)",
                hex::encode(input.prev_hash),
                input.prev_index
            )));
        }
        if !input.script_sig.is_empty() {
            return Err(malformed(format!(
                "input {i} already has a scriptSig; the KMS signs unsigned BCH transactions only"
            )));
        }
    }
    Ok((tx, amounts))
}

/// A JSON amount as bitcoinjs' `types.Satoshi` accepts it.
pub(crate) fn satoshi(v: &Value) -> Option<u64> {
    let n = match v {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| *f >= 0.0 && f.fract() == 0.0 && *f <= MAX_SATOSHI as f64)
                .map(|f| f as u64)
        })?,
        _ => return None,
    };
    (n <= MAX_SATOSHI).then_some(n)
}

/// `TransactionBuilder#build()`'s checks on the signed transaction.
fn build(tx: &RawTx, values: &[Option<u64>]) -> Result<(), SignError> {
    if tx.inputs.is_empty() {
        return Err(SignError::new("Error: Transaction has no inputs"));
    }
    if tx.outputs.is_empty() {
        return Err(SignError::new("Error: Transaction has no outputs"));
    }
    if let Some(i) = values.iter().position(Option::is_none) {
        let keys = values.iter().filter(|v| v.is_some()).count();
        return Err(SignError::new(format!(
            "Error: Transaction is not complete (input {i} is not signed: BCH keys sign inputs by position, and {keys} of the {} inputs got one)",
            values.len()
        )));
    }
    // `__overMaximumFees`: input values are summed as `value >>> 0` (32-bit), outputs as
    // JavaScript numbers.
    let incoming: f64 = values.iter().flatten().map(|v| f64::from(*v as u32)).sum();
    let outgoing: f64 = tx.outputs.iter().map(|o| o.value as f64).sum();
    let bytes = tx.encode(false).len() as f64;
    let rate = (incoming - outgoing) / bytes;
    if rate > MAXIMUM_FEE_RATE {
        return Err(SignError::new(format!(
            "Error: Transaction has absurd fees ({rate:.0} satoshis per byte, over {MAXIMUM_FEE_RATE})"
        )));
    }
    Ok(())
}

/// `ECPair.fromWIF(wif, network)` of bitcoinjs: base58check, the network's version, 33
/// bytes (uncompressed) or 34 ending in 0x01 (compressed).
fn decode_wif(text: &str, version: u8) -> Result<(Zeroizing<[u8; 32]>, bool), String> {
    let raw = Zeroizing::new(bs58::decode(text).with_check(None).into_vec().map_err(
        |e| match e {
            bs58::decode::Error::InvalidCharacter { .. } => {
                "Error: Non-base58 character".to_string()
            }
            _ => "Error: Invalid checksum (not a WIF private key)".to_string(),
        },
    )?);
    if raw.first() != Some(&version) {
        return Err(format!(
            "Error: Invalid network version (a BCH {} key has WIF version {version:#04x})",
            if version == 0xef {
                "testnet"
            } else {
                "mainnet"
            }
        ));
    }
    let compressed = match raw.len() {
        33 => false,
        34 if raw[33] == 0x01 => true,
        34 => return Err("Error: Invalid compression flag".into()),
        _ => return Err("Error: Invalid WIF length".into()),
    };
    let mut secret = Zeroizing::new([0u8; 32]);
    secret.copy_from_slice(&raw[1..33]);
    Ok((secret, compressed))
}

/// BCH 2019 Schnorr over the 32-byte digest `h`, with the original's RFC 6979 nonce.
fn schnorr_sign(key: &UtxoKey, h: &[u8; 32]) -> Result<[u8; 64], SignError> {
    let x: Scalar = **key.signing_key().as_nonzero_scalar();
    let x_bytes = Zeroizing::new(<[u8; 32]>::from(x.to_repr()));
    let k = rfc6979_nonce(&x_bytes, h, NONCE_EXTRA)?;
    let compressed_p = key.signing_key().verifying_key().to_sec1_point(true);
    Ok(schnorr_with_nonce(&x, *k, compressed_p.as_bytes(), h))
}

/// The signature for a given nonce `k` (exposed for the published test vectors, which use
/// a different nonce).
fn schnorr_with_nonce(x: &Scalar, mut k: Scalar, compressed_p: &[u8], h: &[u8; 32]) -> [u8; 64] {
    let r_point = (ProjectivePoint::GENERATOR * k).to_affine();
    let y = U256::from_be_slice(&r_point.y());
    if !matches!(y.jacobi_symbol_vartime(&FIELD_PRIME), JacobiSymbol::One) {
        k = -k;
    }
    let r = <Scalar as Reduce<FieldBytes>>::reduce(&r_point.x());
    let r_bytes = r.to_repr();
    let e_hash: [u8; 32] = Sha256::new()
        .chain_update(r_bytes)
        .chain_update(compressed_p)
        .chain_update(h)
        .finalize()
        .into();
    let e = <Scalar as Reduce<FieldBytes>>::reduce(&FieldBytes::from(e_hash));
    let s = k + e * x;
    let mut out = [0u8; 64];
    out[..32].copy_from_slice(&r_bytes);
    out[32..].copy_from_slice(&s.to_repr());
    out
}

/// bitcoinjs' `deterministicGenerateK(hash, x, checkSig, algo16)`: RFC 6979 with
/// HMAC-SHA256, the hash used as is (no reduction mod n), `algo16` appended after the
/// hash in both K steps.
fn rfc6979_nonce(
    x: &[u8; 32],
    hash: &[u8; 32],
    extra: &[u8; 16],
) -> Result<Zeroizing<Scalar>, SignError> {
    type HmacSha256 = Hmac<Sha256>;
    let hmac = |key: &[u8], parts: &[&[u8]]| -> Result<Zeroizing<[u8; 32]>, SignError> {
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(key)
            .map_err(|e| SignError::new(format!("HMAC-SHA256: {e}")))?;
        for p in parts {
            mac.update(p);
        }
        Ok(Zeroizing::new(mac.finalize().into_bytes().into()))
    };
    let mut k = Zeroizing::new([0u8; 32]);
    let mut v = Zeroizing::new([1u8; 32]);
    k = hmac(&*k, &[&*v, &[0x00], x, hash, extra])?;
    v = hmac(&*k, &[&*v])?;
    k = hmac(&*k, &[&*v, &[0x01], x, hash, extra])?;
    v = hmac(&*k, &[&*v])?;
    v = hmac(&*k, &[&*v])?;
    loop {
        let candidate: Option<Scalar> = Scalar::from_repr(FieldBytes::from(*v)).into();
        if let Some(t) = candidate.filter(|t| !bool::from(t.is_zero())) {
            return Ok(Zeroizing::new(t));
        }
        k = hmac(&*k, &[&*v, &[0x00]])?;
        v = hmac(&*k, &[&*v])?;
        v = hmac(&*k, &[&*v])?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BCH_TEST_PK0: &str = "cQTZyJqQjdp8HoW3NAw7dguRxReGgXfjBBXp7s7ozSr2fETqFkvK";
    const SPEC_UNSIGNED: &str = "020000000133333333333333333333333333333333333333333333333333333333333333330000000000ffffffff01905f0100000000001976a914d7a392c96ff17d9a75b48d44b4441a5d8ce74b3d88ac00000000";

    /// Spec §10.3: BCH testnet pk0 signs one input of 100 000 satoshis.
    #[test]
    fn spec_bch_vector_is_byte_identical() {
        let signed = sign_with_keys(
            Network::Testnet,
            &format!("{SPEC_UNSIGNED}:[100000]"),
            &[SecretString::from(BCH_TEST_PK0)],
        )
        .unwrap();
        assert_eq!(signed.hex, "020000000133333333333333333333333333333333333333333333333333333333333333330000000064416fb4d14af5c1cfb3dccaf219d2aa2b6fb59d3e144249909e6a41a3328344feaf6e1bb54d95ec19f1026bfbc2a238592d237b8d862b0cef5e2ab2c58e30ccc973412102cd17a7a563def7aefb5249639e4d531cfc9c4e5badea1e59e2fcbe179fe49bcfffffffff01905f0100000000001976a914d7a392c96ff17d9a75b48d44b4441a5d8ce74b3d88ac00000000");
    }

    /// BCH Schnorr verification (2019-05-15 spec): s·G − e·P must be R with x = r and a
    /// quadratic-residue Y.
    fn verify(sig: &[u8; 64], compressed_p: &[u8], h: &[u8; 32]) -> bool {
        let p = match k256::PublicKey::from_sec1_bytes(compressed_p) {
            Ok(p) => p.to_projective(),
            Err(_) => return false,
        };
        let Some(s) = Option::<Scalar>::from(Scalar::from_repr(FieldBytes::from(
            <[u8; 32]>::try_from(&sig[32..]).unwrap(),
        ))) else {
            return false;
        };
        let e_hash: [u8; 32] = Sha256::new()
            .chain_update(&sig[..32])
            .chain_update(compressed_p)
            .chain_update(h)
            .finalize()
            .into();
        let e = <Scalar as Reduce<FieldBytes>>::reduce(&FieldBytes::from(e_hash));
        let r_point = ProjectivePoint::GENERATOR * s - p * e;
        if bool::from(k256::elliptic_curve::Group::is_identity(&r_point)) {
            return false;
        }
        let r_point = r_point.to_affine();
        let y = U256::from_be_slice(&r_point.y());
        r_point.x().as_slice() == &sig[..32]
            && matches!(y.jacobi_symbol_vartime(&FIELD_PRIME), JacobiSymbol::One)
    }

    fn h32(s: &str) -> [u8; 32] {
        hex::decode(s).unwrap().try_into().unwrap()
    }

    /// The published BCH Schnorr test vectors (the 2018 bip-schnorr vectors the BCH spec
    /// adopts): they verify, and signing with their nonce rule (k = SHA-256(x ‖ m) mod n)
    /// reproduces them byte for byte.
    #[test]
    fn published_schnorr_vectors() {
        let vectors = [
            (
                "0000000000000000000000000000000000000000000000000000000000000001",
                "0279BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798",
                "0000000000000000000000000000000000000000000000000000000000000000",
                "787A848E71043D280C50470E8E1532B2DD5D20EE912A45DBDD2BD1DFBF187EF67031A98831859DC34DFFEEDDA86831842CCD0079E1F92AF177F7F22CC1DCED05",
            ),
            (
                "B7E151628AED2A6ABF7158809CF4F3C762E7160F38B4DA56A784D9045190CFEF",
                "02DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659",
                "243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89",
                "2A298DACAE57395A15D0795DDBFD1DCB564DA82B0F269BC70A74F8220429BA1D1E51A22CCEC35599B8F266912281F8365FFC2D035A230434A1A64DC59F7013FD",
            ),
            (
                "C90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B14E5C7",
                "03FAC2114C2FBB091527EB7C64ECB11F8021CB45E8E7809D3C0938E4B8C0E5F84B",
                "5E2D58D8B3BCDF1ABADEC7829054F90DDA9805AAB56C77333024B9D0A508B75C",
                "00DA9B08172A9B6F0466A2DEFD817F2D7AB437E0D253CB5395A963866B3574BE00880371D01766935B92D2AB4CD5C8A2A5837EC57FED7660773A05F0DE142380",
            ),
        ];
        for (sk, pk, msg, sig) in vectors {
            let sk = h32(sk);
            let pk = hex::decode(pk).unwrap();
            let msg = h32(msg);
            let sig: [u8; 64] = hex::decode(sig).unwrap().try_into().unwrap();
            assert!(verify(&sig, &pk, &msg), "published signature verifies");
            let x = Option::<Scalar>::from(Scalar::from_repr(FieldBytes::from(sk))).unwrap();
            let k_hash: [u8; 32] = Sha256::new()
                .chain_update(sk)
                .chain_update(msg)
                .finalize()
                .into();
            let k = <Scalar as Reduce<FieldBytes>>::reduce(&FieldBytes::from(k_hash));
            assert_eq!(schnorr_with_nonce(&x, k, &pk, &msg), sig);
            let mut bad = sig;
            bad[63] ^= 1;
            assert!(!verify(&bad, &pk, &msg));
        }
    }

    #[test]
    fn our_signatures_verify_for_random_keys() {
        for i in 1u8..20 {
            let mut secret = [i; 32];
            secret[0] = 0x42;
            let key = UtxoKey::from_secret(&secret, i % 2 == 0).unwrap();
            let h = crate::utxo_raw::sha256d(&[i]);
            let sig = schnorr_sign(&key, &h).unwrap();
            let p = key.signing_key().verifying_key().to_sec1_point(true);
            assert!(verify(&sig, p.as_bytes(), &h));
        }
    }

    #[test]
    fn positional_mapping_and_build_errors() {
        let two_inputs = "020000000233333333333333333333333333333333333333333333333333333333333333330000000000ffffffff44444444444444444444444444444444444444444444444444444444444444440100000000ffffffff01905f0100000000001976a914d7a392c96ff17d9a75b48d44b4441a5d8ce74b3d88ac00000000";
        let keys = [SecretString::from(BCH_TEST_PK0)];
        let e = sign_with_keys(
            Network::Testnet,
            &format!("{two_inputs}:[60000,50000]"),
            &keys,
        )
        .unwrap_err()
        .0;
        assert!(
            e.starts_with("Error: Transaction is not complete (input 1"),
            "{e}"
        );
        let three = [
            SecretString::from(BCH_TEST_PK0),
            SecretString::from(BCH_TEST_PK0),
            SecretString::from(BCH_TEST_PK0),
        ];
        let e = sign_with_keys(
            Network::Testnet,
            &format!("{two_inputs}:[60000,50000]"),
            &three,
        )
        .unwrap_err()
        .0;
        assert!(e.starts_with("Error: No input at index: 2"), "{e}");
        let e = sign_with_keys(Network::Testnet, &format!("{SPEC_UNSIGNED}:[]"), &keys)
            .unwrap_err()
            .0;
        assert!(
            e.starts_with("Error: Expected property \"2\" of type Number, got undefined"),
            "{e}"
        );
        let e = sign_with_keys(
            Network::Mainnet,
            &format!("{SPEC_UNSIGNED}:[100000]"),
            &keys,
        )
        .unwrap_err()
        .0;
        assert!(e.contains("Invalid network version"), "{e}");
        let e = sign_with_keys(Network::Testnet, SPEC_UNSIGNED, &keys)
            .unwrap_err()
            .0;
        assert!(e.starts_with("malformed serializedTransaction"), "{e}");
        let e = sign_with_keys(Network::Testnet, &format!("{SPEC_UNSIGNED}:[1"), &keys)
            .unwrap_err()
            .0;
        assert!(e.contains("not JSON"), "{e}");
        // 1 BCH in, 100 000 sat out: far above 2500 sat/byte.
        let e = sign_with_keys(
            Network::Testnet,
            &format!("{SPEC_UNSIGNED}:[100000000]"),
            &keys,
        )
        .unwrap_err()
        .0;
        assert!(e.starts_with("Error: Transaction has absurd fees"), "{e}");
        // Positional None entries (off-chain "-1") leave their input unsigned.
        let e = sign_positional(
            Network::Testnet,
            &format!("{SPEC_UNSIGNED}:[100000]"),
            &[None],
        )
        .unwrap_err()
        .0;
        assert!(e.starts_with("Error: Transaction is not complete"), "{e}");
    }
}
