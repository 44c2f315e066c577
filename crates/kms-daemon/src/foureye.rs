//! The signed four-eye exchange (docs/FOUR-EYE.md). With `TATUM_KMS_FOUR_EYE_SECRET` the
//! request carries `X-Tatum-KMS-Timestamp: <unix seconds>` and
//! `X-Tatum-KMS-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + payload)>`,
//! where the payload is the POST body, or the request path (with query) for GET. With
//! `TATUM_KMS_FOUR_EYE_REQUIRE_SIGNED_ANSWER=true` a 2xx answer approves only when it
//! carries `X-Tatum-KMS-Approval: <hex HMAC-SHA256(secret, pending id + "." +
//! sha256hex(body))>` (the body sent; empty for GET), compared in constant time.

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

pub const TIMESTAMP_HEADER: &str = "X-Tatum-KMS-Timestamp";
pub const SIGNATURE_HEADER: &str = "X-Tatum-KMS-Signature";
pub const APPROVAL_HEADER: &str = "X-Tatum-KMS-Approval";

fn mac(secret: &[u8]) -> Hmac<Sha256> {
    // HMAC takes a key of any length; this cannot fail.
    match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC accepts keys of every length"),
    }
}

/// `sha256=<hex HMAC(secret, timestamp "." payload)>`.
pub fn request_signature(secret: &[u8], timestamp: u64, payload: &[u8]) -> String {
    let mut m = mac(secret);
    m.update(timestamp.to_string().as_bytes());
    m.update(b".");
    m.update(payload);
    format!("sha256={}", hex::encode(m.finalize().into_bytes()))
}

fn approval_mac(secret: &[u8], pending_id: &str, body: &[u8]) -> Hmac<Sha256> {
    let mut m = mac(secret);
    m.update(pending_id.as_bytes());
    m.update(b".");
    m.update(hex::encode(Sha256::digest(body)).as_bytes());
    m
}

/// The approval an approver answers with: hex HMAC(secret, id "." sha256hex(body)).
pub fn approval(secret: &[u8], pending_id: &str, body: &[u8]) -> String {
    hex::encode(
        approval_mac(secret, pending_id, body)
            .finalize()
            .into_bytes(),
    )
}

/// Whether `header` is the approval for this id and body (constant-time comparison).
pub fn verify_approval(secret: &[u8], pending_id: &str, body: &[u8], header: &str) -> bool {
    match hex::decode(header.trim()) {
        Ok(tag) => approval_mac(secret, pending_id, body)
            .verify_slice(&tag)
            .is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4231_case_2_and_the_formats() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let mut m = mac(b"Jefe");
        m.update(b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(m.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // The signed text is `<timestamp>.<payload>`.
        let mut m = mac(b"k");
        m.update(b"1700000000.{}");
        assert_eq!(
            request_signature(b"k", 1_700_000_000, b"{}"),
            format!("sha256={}", hex::encode(m.finalize().into_bytes()))
        );
        let a = approval(b"k", "id1", b"{}");
        assert!(verify_approval(b"k", "id1", b"{}", &a));
        assert!(verify_approval(b"k", "id1", b"{}", &a.to_uppercase()));
        assert!(!verify_approval(b"k", "id2", b"{}", &a));
        assert!(!verify_approval(b"k", "id1", b"{ }", &a));
        assert!(!verify_approval(b"other", "id1", b"{}", &a));
        assert!(!verify_approval(b"k", "id1", b"{}", "zz"));
        assert!(!verify_approval(b"k", "id1", b"{}", ""));
    }

    /// The worked example of docs/FOUR-EYE.md (computed there with Python's hmac).
    #[test]
    fn the_documented_example() {
        let body = br#"{"id":"65a1b2c3d4e5f60718293a4b"}"#;
        assert_eq!(
            request_signature(b"example-secret", 1_700_000_000, body),
            "sha256=97cabfe6b5907f40157b4ebbd4b2ea30e6475a64af9b5eed6871c1479bb3fcb5"
        );
        assert_eq!(
            approval(b"example-secret", "65a1b2c3d4e5f60718293a4b", body),
            "c8aef79e4f456a492051c7e5a9f4381b594fb0774d5d81f8483b283ed82dc9e9"
        );
    }
}
