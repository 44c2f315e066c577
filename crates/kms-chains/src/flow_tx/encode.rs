//! Flow transaction encoding and the authorizer's signature.
//!
//! Encoding (the Flow spec, as `@onflow/sdk` 1.5.3 `src/encode/encode.ts` does it): the
//! message to sign is the domain tag `FLOW-V0.0-transaction` right-padded with zeros to 32
//! bytes, followed by the RLP of
//! - the payload `[script, [argument JSON…], reference block (32 bytes, left-padded),
//!   compute limit, proposer address (8 bytes), proposer key index, sequence number,
//!   payer address (8 bytes), [authorizer addresses (8 bytes)…]]`, or
//! - the envelope `[payload, [[signer index, key index, signature]…]]`, where the payload
//!   signatures are sorted by signer index, then key index; a signer's index is its
//!   position among the distinct addresses proposer, payer, authorizers (in that order).
//!
//! Numbers are minimal big-endian byte strings (0 is the empty string), as `@onflow/rlp`.
//!
//! Signature (`flowSign` of `@tatumio/tatum` v1): secp256k1 ECDSA with elliptic over
//! SHA3-256(message), nonce from RFC 6979 with HMAC-SHA256 (elliptic's HMAC-DRBG seeded with
//! the key and the digest reduced mod n), **no** low-S normalization, 64 bytes r ‖ s.
//! `k256`'s signer always normalizes s, so the signature is computed here from the same
//! nonce.

use alloy_rlp::{Encodable, Header};
use hmac::{Hmac, KeyInit, Mac};
use k256::elliptic_curve::ops::Reduce;
use k256::elliptic_curve::point::AffineCoordinates;
use k256::elliptic_curve::PrimeField;
use k256::{FieldBytes, ProjectivePoint, Scalar};
use sha2::Sha256;
use sha3::{Digest, Sha3_256};
use zeroize::Zeroizing;

/// `FLOW-V0.0-transaction`, zero-padded on the right to 32 bytes.
pub const TRANSACTION_DOMAIN_TAG: [u8; 32] = {
    let tag = b"FLOW-V0.0-transaction";
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < tag.len() {
        out[i] = tag[i];
        i += 1;
    }
    out
};

/// The fields of a transaction that are signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload {
    pub script: Vec<u8>,
    /// Each argument as the UTF-8 of its JSON-Cadence text.
    pub arguments: Vec<Vec<u8>>,
    pub reference_block: [u8; 32],
    pub compute_limit: u64,
    pub proposer: [u8; 8],
    pub proposer_key: u64,
    pub sequence_number: u64,
    pub payer: [u8; 8],
    pub authorizers: Vec<[u8; 8]>,
}

/// A payload signature: the signer's address, the key index, the signature bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayloadSig {
    pub address: [u8; 8],
    pub key: u64,
    pub sig: Vec<u8>,
}

/// RLP list of already encoded items.
fn list(items: &[Vec<u8>]) -> Vec<u8> {
    let payload_length = items.iter().map(Vec::len).sum();
    let mut out = Vec::with_capacity(payload_length + 9);
    Header {
        list: true,
        payload_length,
    }
    .encode(&mut out);
    for item in items {
        out.extend_from_slice(item);
    }
    out
}

fn bytes(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len() + 9);
    b.encode(&mut out);
    out
}

fn number(n: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(9);
    n.encode(&mut out);
    out
}

fn payload_rlp(p: &Payload) -> Vec<u8> {
    let args: Vec<Vec<u8>> = p.arguments.iter().map(|a| bytes(a)).collect();
    let auths: Vec<Vec<u8>> = p.authorizers.iter().map(|a| bytes(a)).collect();
    list(&[
        bytes(&p.script),
        list(&args),
        bytes(&p.reference_block),
        number(p.compute_limit),
        bytes(&p.proposer),
        number(p.proposer_key),
        number(p.sequence_number),
        bytes(&p.payer),
        list(&auths),
    ])
}

/// The domain-tagged payload message (what the proposer and authorizers sign).
pub fn payload_message(p: &Payload) -> Vec<u8> {
    let mut out = TRANSACTION_DOMAIN_TAG.to_vec();
    out.extend_from_slice(&payload_rlp(p));
    out
}

/// The distinct signer addresses in the order proposer, payer, authorizers.
fn signer_index(p: &Payload, address: &[u8; 8]) -> u64 {
    let mut seen: Vec<&[u8; 8]> = Vec::new();
    for a in std::iter::once(&p.proposer)
        .chain(std::iter::once(&p.payer))
        .chain(p.authorizers.iter())
    {
        if !seen.contains(&a) {
            seen.push(a);
        }
    }
    // The original maps an unknown address to "" (encoded like 0).
    seen.iter().position(|a| *a == address).unwrap_or(0) as u64
}

/// The domain-tagged envelope message (what the payer signs).
pub fn envelope_message(p: &Payload, sigs: &[PayloadSig]) -> Vec<u8> {
    let mut entries: Vec<(u64, u64, &[u8])> = sigs
        .iter()
        .map(|s| (signer_index(p, &s.address), s.key, s.sig.as_slice()))
        .collect();
    entries.sort_by_key(|e| (e.0, e.1));
    let encoded: Vec<Vec<u8>> = entries
        .iter()
        .map(|(i, k, s)| list(&[number(*i), number(*k), bytes(s)]))
        .collect();
    let mut out = TRANSACTION_DOMAIN_TAG.to_vec();
    out.extend_from_slice(&list(&[payload_rlp(p), list(&encoded)]));
    out
}

/// `@onflow/util-encode-key` `encodeKey(key, ECDSA_secp256k1, SHA3_256, weight)`:
/// RLP `[public key bytes, 3, 3, weight]` as hex.
pub fn encode_account_key(public_key: &[u8], weight: u64) -> String {
    hex::encode(list(&[
        bytes(public_key),
        number(3),
        number(3),
        number(weight),
    ]))
}

/// Node's `Buffer.from(text, "hex")`: pairs of hex digits up to the first pair that is not
/// one (an odd last digit is dropped).
pub fn node_hex(text: &str) -> Vec<u8> {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len() / 2);
    for pair in b.chunks_exact(2) {
        match (hex_value(pair[0]), hex_value(pair[1])) {
            (Some(h), Some(l)) => out.push(h << 4 | l),
            _ => break,
        }
    }
    out
}

fn hex_value(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// The authorizer's signature of a message: r ‖ s, s as computed (not normalized).
pub fn sign(secret: &Scalar, message: &[u8]) -> Result<[u8; 64], String> {
    let digest: [u8; 32] = Sha3_256::digest(message).into();
    let z = <Scalar as Reduce<FieldBytes>>::reduce(&FieldBytes::from(digest));
    let x_bytes = Zeroizing::new(<[u8; 32]>::from(secret.to_repr()));
    let z_bytes: [u8; 32] = z.to_repr().into();
    let mut drbg = Drbg::new(&x_bytes, &z_bytes)?;
    loop {
        let candidate = drbg.generate()?;
        let k: Option<Scalar> = Scalar::from_repr(FieldBytes::from(*candidate)).into();
        let Some(k) = k.filter(|k| !bool::from(k.is_zero())) else {
            continue;
        };
        let r_point = (ProjectivePoint::GENERATOR * k).to_affine();
        let r = <Scalar as Reduce<FieldBytes>>::reduce(&r_point.x());
        if bool::from(r.is_zero()) {
            continue;
        }
        let k_inv: Option<Scalar> = k.invert().into();
        let Some(k_inv) = k_inv else { continue };
        let s = k_inv * (z + r * secret);
        if bool::from(s.is_zero()) {
            continue;
        }
        let mut out = [0u8; 64];
        out[..32].copy_from_slice(&r.to_repr());
        out[32..].copy_from_slice(&s.to_repr());
        return Ok(out);
    }
}

/// elliptic's HMAC-DRBG (SHA-256) as ECDSA uses it: RFC 6979 §3.2.
struct Drbg {
    k: Zeroizing<[u8; 32]>,
    v: Zeroizing<[u8; 32]>,
    first: bool,
}

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], parts: &[&[u8]]) -> Result<Zeroizing<[u8; 32]>, String> {
    let mut mac =
        <HmacSha256 as KeyInit>::new_from_slice(key).map_err(|e| format!("HMAC-SHA256: {e}"))?;
    for p in parts {
        mac.update(p);
    }
    Ok(Zeroizing::new(mac.finalize().into_bytes().into()))
}

impl Drbg {
    fn new(x: &[u8; 32], h: &[u8; 32]) -> Result<Self, String> {
        let mut k = Zeroizing::new([0u8; 32]);
        let mut v = Zeroizing::new([1u8; 32]);
        k = hmac(&*k, &[&*v, &[0x00], x, h])?;
        v = hmac(&*k, &[&*v])?;
        k = hmac(&*k, &[&*v, &[0x01], x, h])?;
        v = hmac(&*k, &[&*v])?;
        Ok(Self { k, v, first: true })
    }

    /// The next 32-byte candidate (after a rejected one: K = HMAC(K, V‖0), V = HMAC(K, V)).
    fn generate(&mut self) -> Result<Zeroizing<[u8; 32]>, String> {
        if !self.first {
            self.k = hmac(&*self.k, &[&*self.v, &[0x00]])?;
            self.v = hmac(&*self.k, &[&*self.v])?;
        }
        self.first = false;
        self.v = hmac(&*self.k, &[&*self.v])?;
        Ok(Zeroizing::new(*self.v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(hex_text: &str) -> [u8; 8] {
        let mut out = [0u8; 8];
        let b = hex::decode(format!("{hex_text:0>16}")).unwrap();
        out.copy_from_slice(&b);
        out
    }

    /// `baseTx` of `@onflow/sdk` 1.5.3 `src/encode/encode.test.js`.
    fn base() -> (Payload, Vec<PayloadSig>) {
        let mut block = [0u8; 32];
        hex::decode_to_slice(
            "f0e4c2f76c58916ec258f246851bea091d14d4247a2fc3e18694461b1816e13b",
            &mut block,
        )
        .unwrap();
        (
            Payload {
                script: br#"transaction { execute { log("Hello, World!") } }"#.to_vec(),
                arguments: vec![],
                reference_block: block,
                compute_limit: 42,
                proposer: addr("01"),
                proposer_key: 4,
                sequence_number: 10,
                payer: addr("01"),
                authorizers: vec![addr("01")],
            },
            vec![PayloadSig {
                address: addr("01"),
                key: 4,
                sig: hex::decode(
                    "f7225388c1d69d57e6251c9fda50cbbf9e05131e5adb81e5aa0422402f048162",
                )
                .unwrap(),
            }],
        )
    }

    const TAG: &str = "464c4f572d56302e302d7472616e73616374696f6e0000000000000000000000";

    /// The published vectors of fcl-js (`encode.test.js`, "complete tx", "empty cadence",
    /// "zero computeLimit", "multiple authorizers", and the out-of-order envelope cases).
    #[test]
    fn fcl_published_payload_and_envelope_vectors() {
        let (p, sigs) = base();
        assert_eq!(
            hex::encode(payload_message(&p)),
            format!("{TAG}f872b07472616e73616374696f6e207b2065786563757465207b206c6f67282248656c6c6f2c20576f726c64212229207d207dc0a0f0e4c2f76c58916ec258f246851bea091d14d4247a2fc3e18694461b1816e13b2a880000000000000001040a880000000000000001c9880000000000000001")
        );
        assert_eq!(
            hex::encode(envelope_message(&p, &sigs)),
            format!("{TAG}f899f872b07472616e73616374696f6e207b2065786563757465207b206c6f67282248656c6c6f2c20576f726c64212229207d207dc0a0f0e4c2f76c58916ec258f246851bea091d14d4247a2fc3e18694461b1816e13b2a880000000000000001040a880000000000000001c9880000000000000001e4e38004a0f7225388c1d69d57e6251c9fda50cbbf9e05131e5adb81e5aa0422402f048162")
        );

        let mut empty = p.clone();
        empty.script.clear();
        assert_eq!(
            hex::encode(envelope_message(&empty, &sigs)),
            format!("{TAG}f869f84280c0a0f0e4c2f76c58916ec258f246851bea091d14d4247a2fc3e18694461b1816e13b2a880000000000000001040a880000000000000001c9880000000000000001e4e38004a0f7225388c1d69d57e6251c9fda50cbbf9e05131e5adb81e5aa0422402f048162")
        );

        let mut zero = p.clone();
        zero.compute_limit = 0;
        assert_eq!(
            hex::encode(payload_message(&zero)),
            format!("{TAG}f872b07472616e73616374696f6e207b2065786563757465207b206c6f67282248656c6c6f2c20576f726c64212229207d207dc0a0f0e4c2f76c58916ec258f246851bea091d14d4247a2fc3e18694461b1816e13b80880000000000000001040a880000000000000001c9880000000000000001")
        );

        let mut two = p.clone();
        two.authorizers = vec![addr("01"), addr("02")];
        assert_eq!(
            hex::encode(payload_message(&two)),
            format!("{TAG}f87bb07472616e73616374696f6e207b2065786563757465207b206c6f67282248656c6c6f2c20576f726c64212229207d207dc0a0f0e4c2f76c58916ec258f246851bea091d14d4247a2fc3e18694461b1816e13b2a880000000000000001040a880000000000000001d2880000000000000001880000000000000002")
        );

        // Out of order by signer; the vector's signatures "a", "b", "c" are Node hex
        // strings that decode to no bytes.
        let mut three = p.clone();
        three.authorizers = vec![addr("01"), addr("02"), addr("03")];
        let unordered = [("03", "c"), ("01", "a"), ("02", "b")]
            .iter()
            .map(|(a, s)| PayloadSig {
                address: addr(a),
                key: 0,
                sig: node_hex(s),
            })
            .collect::<Vec<_>>();
        assert_eq!(
            hex::encode(envelope_message(&three, &unordered)),
            format!("{TAG}f893f884b07472616e73616374696f6e207b2065786563757465207b206c6f67282248656c6c6f2c20576f726c64212229207d207dc0a0f0e4c2f76c58916ec258f246851bea091d14d4247a2fc3e18694461b1816e13b2a880000000000000001040a880000000000000001db880000000000000001880000000000000002880000000000000003ccc3808080c3018080c3028080")
        );
        // Out of order by key index.
        let by_key = [(2, "c"), (0, "a"), (1, "b")]
            .iter()
            .map(|(k, s)| PayloadSig {
                address: addr("01"),
                key: *k,
                sig: node_hex(s),
            })
            .collect::<Vec<_>>();
        assert_eq!(
            hex::encode(envelope_message(&p, &by_key)),
            format!("{TAG}f881f872b07472616e73616374696f6e207b2065786563757465207b206c6f67282248656c6c6f2c20576f726c64212229207d207dc0a0f0e4c2f76c58916ec258f246851bea091d14d4247a2fc3e18694461b1816e13b2a880000000000000001040a880000000000000001c9880000000000000001ccc3808080c3800180c3800280")
        );
    }

    /// `encodeKey(pub, ECDSA_secp256k1, SHA3_256, 1000 | 0)`, computed with `@onflow/rlp`
    /// 1.2.2 for the public key of the short test key below.
    #[test]
    fn account_key_encoding() {
        let key = hex::decode("fa3d562ebc47c75081522f0423aa05db73ef0dcbb4b1d800f2d9e7122620d62d7394423ee94a69bf084c9cdd9db11a2029e64382b3d0bf11f107a1408bbbf837").unwrap();
        assert_eq!(encode_account_key(&key, 1000), "f847b840fa3d562ebc47c75081522f0423aa05db73ef0dcbb4b1d800f2d9e7122620d62d7394423ee94a69bf084c9cdd9db11a2029e64382b3d0bf11f107a1408bbbf83703038203e8");
        assert_eq!(encode_account_key(&key, 0), "f845b840fa3d562ebc47c75081522f0423aa05db73ef0dcbb4b1d800f2d9e7122620d62d7394423ee94a69bf084c9cdd9db11a2029e64382b3d0bf11f107a1408bbbf837030380");
    }

    #[test]
    fn node_hex_stops_at_the_first_bad_pair() {
        assert_eq!(node_hex("0aFf"), vec![0x0a, 0xff]);
        assert_eq!(node_hex("0a1"), vec![0x0a]);
        assert_eq!(node_hex("0ax1ff"), vec![0x0a]);
        assert_eq!(node_hex("c"), Vec::<u8>::new());
    }
}
