//! SLIP-0010 key derivation for ed25519: hardened children only, as `ed25519-hd-key` does
//! for the original's SOL and EGLD keys. HMAC-SHA512 with the key `"ed25519 seed"` gives
//! the master key and chain code; each child is HMAC-SHA512(chain code,
//! `0x00 ‖ key ‖ ser32(index | 2^31)`).

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha512;
use zeroize::Zeroizing;

use crate::ChainError;

const HARDENED: u32 = 0x8000_0000;

/// One 64-byte HMAC-SHA512 output, split as (key, chain code).
fn hmac_sha512(key: &[u8], parts: &[&[u8]]) -> Result<Zeroizing<[u8; 64]>, ChainError> {
    let mut mac = <Hmac<Sha512> as KeyInit>::new_from_slice(key)
        .map_err(|e| ChainError::Derivation(e.to_string()))?;
    for part in parts {
        mac.update(part);
    }
    let mut out = Zeroizing::new([0u8; 64]);
    out.copy_from_slice(&mac.finalize().into_bytes());
    Ok(out)
}

/// The 32-byte ed25519 seed (private key) at `path` below a BIP39 seed. Every element of
/// `path` is an index below 2^31 and is used hardened (`44` means `44'`).
pub(crate) fn derive(seed: &[u8], path: &[u32]) -> Result<Zeroizing<[u8; 32]>, ChainError> {
    let mut node = hmac_sha512(b"ed25519 seed", &[seed])?;
    for &index in path {
        if index >= HARDENED {
            return Err(ChainError::Derivation(format!(
                "index {index} is out of range for a hardened ed25519 child"
            )));
        }
        let (key, chain_code) = node.split_at(32);
        let child = hmac_sha512(
            chain_code,
            &[&[0u8], key, &(index | HARDENED).to_be_bytes()],
        )?;
        node = child;
    }
    let mut key = Zeroizing::new([0u8; 32]);
    key.copy_from_slice(&node[..32]);
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn master_and_chain(seed: &[u8], path: &[u32]) -> (String, String) {
        // Chain codes are not returned by `derive`; recompute them here for the vector.
        let mut node = hmac_sha512(b"ed25519 seed", &[seed]).unwrap();
        for &index in path {
            let (key, cc) = node.split_at(32);
            node = hmac_sha512(cc, &[&[0u8], key, &(index | HARDENED).to_be_bytes()]).unwrap();
        }
        assert_eq!(&derive(seed, path).unwrap()[..], &node[..32]);
        (hex::encode(&node[32..]), hex::encode(&node[..32]))
    }

    /// SLIP-0010 "Test vector 1 for ed25519", seed 000102030405060708090a0b0c0d0e0f.
    #[test]
    fn slip10_test_vector_1_ed25519() {
        let seed = hex::decode("000102030405060708090a0b0c0d0e0f").unwrap();
        let cases: [(&[u32], &str, &str); 6] = [
            (
                &[],
                "90046a93de5380a72b5e45010748567d5ea02bbf6522f979e05c0d8d8ca9fffb",
                "2b4be7f19ee27bbf30c667b642d5f4aa69fd169872f8fc3059c08ebae2eb19e7",
            ),
            (
                &[0],
                "8b59aa11380b624e81507a27fedda59fea6d0b779a778918a2fd3590e16e9c69",
                "68e0fe46dfb67e368c75379acec591dad19df3cde26e63b93a8e704f1dade7a3",
            ),
            (
                &[0, 1],
                "a320425f77d1b5c2505a6b1b27382b37368ee640e3557c315416801243552f14",
                "b1d0bad404bf35da785a64ca1ac54b2617211d2777696fbffaf208f746ae84f2",
            ),
            (
                &[0, 1, 2],
                "2e69929e00b5ab250f49c3fb1c12f252de4fed2c1db88387094a0f8c4c9ccd6c",
                "92a5b23c0b8a99e37d07df3fb9966917f5d06e02ddbd909c7e184371463e9fc9",
            ),
            (
                &[0, 1, 2, 2],
                "8f6d87f93d750e0efccda017d662a1b31a266e4a6f5993b15f5c1f07f74dd5cc",
                "30d1dc7e5fc04c31219ab25a27ae00b50f6fd66622f6e9c913253d6511d1e662",
            ),
            (
                &[0, 1, 2, 2, 1_000_000_000],
                "68789923a0cac2cd5a29172a475fe9e0fb14cd6adb5ad98a3fa70333e7afa230",
                "8f94d394a8e8fd6b1bc2f3f49f5c47e385281d5c17e65324b0f62483e37e8793",
            ),
        ];
        for (path, chain_code, key) in cases {
            assert_eq!(
                master_and_chain(&seed, path),
                (chain_code.to_string(), key.to_string()),
                "path {path:?}"
            );
        }
    }

    #[test]
    fn public_key_of_slip10_vector_1_master() {
        let seed = hex::decode("000102030405060708090a0b0c0d0e0f").unwrap();
        let key = derive(&seed, &[]).unwrap();
        let public = ed25519_dalek::SigningKey::from_bytes(&key).verifying_key();
        assert_eq!(
            hex::encode(public.as_bytes()),
            "a4b2856bfec510abab89753fac1ac0e1112364e7d250545963f135f2a33188ed"
        );
    }

    #[test]
    fn rejects_indices_that_cannot_be_hardened() {
        assert!(derive(&[0u8; 64], &[HARDENED]).is_err());
    }
}
