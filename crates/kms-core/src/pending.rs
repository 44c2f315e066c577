//! The pending transaction the Tatum API hands the KMS (`TransactionKMS`, spec §3).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A pending transaction as `POST /v3/kms/pending/{chain}` returns it. Unknown fields are
/// kept (the four-eye POST sends the object back as received).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PendingTransaction {
    /// The pending id (a 24-hex Mongo id); the `signatureId` of every broadcast.
    pub id: String,
    pub chain: String,
    pub serialized_transaction: String,
    /// Wallet signature ids to sign with; order matters for UTXO chains.
    #[serde(default)]
    pub hashes: Vec<String>,
    /// Derivation index for a mnemonic wallet in `hashes` (account chains).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<u32>,
    /// Extra wallets: a mnemonic with its index, or a private-key entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signatures: Option<Vec<SignatureRef>>,
    /// Set for virtual-account (off-chain) withdrawals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawal_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawal_responses: Option<Vec<WithdrawalResponse>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tx_id: Option<String>,
    #[serde(flatten)]
    pub other: serde_json::Map<String, Value>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct SignatureRef {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<u32>,
}

/// One off-chain input (spec §3): `vIn == "-1"` marks the pool-output placeholder.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct WithdrawalResponse {
    pub address: WithdrawalAddress,
    #[serde(default)]
    pub amount: Value,
    #[serde(default)]
    pub v_in: String,
    #[serde(default)]
    pub v_in_index: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub script_pub_key: Option<String>,
    #[serde(flatten)]
    pub other: serde_json::Map<String, Value>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct WithdrawalAddress {
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub derivation_key: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub xpub: Option<String>,
    #[serde(flatten)]
    pub other: serde_json::Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_api_shape() {
        let tx: PendingTransaction = serde_json::from_str(
            r#"{"id":"65a1b2c3d4e5f60718293a4b","chain":"BTC","serializedTransaction":"{}",
                "hashes":["00000000-0000-4000-8000-000000000001"],
                "signatures":[{"id":"00000000-0000-4000-8000-000000000002","index":0}],
                "withdrawalId":"w1","withdrawalResponses":[{"address":{"address":"a","currency":"BTC","derivationKey":3},
                "amount":0.1,"vIn":"abc","vInIndex":0}],"extra":1}"#,
        )
        .unwrap();
        assert_eq!(tx.hashes.len(), 1);
        assert_eq!(tx.signatures.as_ref().unwrap()[0].index, Some(0));
        assert_eq!(
            tx.withdrawal_responses.as_ref().unwrap()[0]
                .address
                .derivation_key,
            Some(3)
        );
        assert_eq!(tx.other["extra"], 1);
    }
}
