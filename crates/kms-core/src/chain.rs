use std::fmt;
use std::str::FromStr;

/// A blockchain the original Tatum KMS knows, by its Tatum currency code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Chain {
    Btc,
    Ltc,
    Doge,
    Bch,
    Eth,
    Bsc,
    Matic,
    Celo,
    Klay,
    Xdc,
    One,
    Kcs,
    Vet,
    Tron,
    Sol,
    Xrp,
    Xlm,
    Algo,
    Ada,
    Flow,
    Egld,
    /// Binance Beacon Chain: shut down; entries stay readable, signing refuses.
    Bnb,
}

impl Chain {
    /// Every chain, in the order the original daemon polls them (spec §4.1).
    pub const ALL: [Chain; 22] = [
        Chain::Bch,
        Chain::Vet,
        Chain::Xrp,
        Chain::Xlm,
        Chain::Eth,
        Chain::Btc,
        Chain::Matic,
        Chain::Klay,
        Chain::Ltc,
        Chain::Doge,
        Chain::Celo,
        Chain::Bsc,
        Chain::Sol,
        Chain::Tron,
        Chain::Bnb,
        Chain::Flow,
        Chain::Xdc,
        Chain::Egld,
        Chain::One,
        Chain::Ada,
        Chain::Algo,
        Chain::Kcs,
    ];

    /// The Tatum currency code, as stored in `wallet.dat` entries.
    pub fn code(self) -> &'static str {
        match self {
            Chain::Btc => "BTC",
            Chain::Ltc => "LTC",
            Chain::Doge => "DOGE",
            Chain::Bch => "BCH",
            Chain::Eth => "ETH",
            Chain::Bsc => "BSC",
            Chain::Matic => "MATIC",
            Chain::Celo => "CELO",
            Chain::Klay => "KLAY",
            Chain::Xdc => "XDC",
            Chain::One => "ONE",
            Chain::Kcs => "KCS",
            Chain::Vet => "VET",
            Chain::Tron => "TRON",
            Chain::Sol => "SOL",
            Chain::Xrp => "XRP",
            Chain::Xlm => "XLM",
            Chain::Algo => "ALGO",
            Chain::Ada => "ADA",
            Chain::Flow => "FLOW",
            Chain::Egld => "EGLD",
            Chain::Bnb => "BNB",
        }
    }
}

impl fmt::Display for Chain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A chain code that tatum-kms does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown chain '{0}' (expected one of BTC, LTC, DOGE, BCH, ETH, BSC, MATIC, CELO, KLAY, XDC, ONE, KCS, VET, TRON, SOL, XRP, XLM, ALGO, ADA, FLOW, EGLD, BNB)")]
pub struct UnknownChain(pub String);

impl FromStr for Chain {
    type Err = UnknownChain;

    /// Accepts the Tatum code in any letter case (`btc`, `BTC`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let upper = s.trim().to_ascii_uppercase();
        Chain::ALL
            .iter()
            .copied()
            .find(|c| c.code() == upper)
            .ok_or_else(|| UnknownChain(s.to_string()))
    }
}

/// Mainnet or testnet: the `testnet` flag of a wallet entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Network {
    Mainnet,
    Testnet,
}

impl Network {
    pub fn from_testnet(testnet: bool) -> Self {
        if testnet {
            Network::Testnet
        } else {
            Network::Mainnet
        }
    }

    pub fn is_testnet(self) -> bool {
        self == Network::Testnet
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Network::Mainnet => "mainnet",
            Network::Testnet => "testnet",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for chain in Chain::ALL {
            assert_eq!(chain.code().parse::<Chain>(), Ok(chain));
            assert_eq!(chain.code().to_lowercase().parse::<Chain>(), Ok(chain));
        }
    }

    #[test]
    fn unknown_chain_is_an_error() {
        let err = "DOT".parse::<Chain>().unwrap_err();
        assert!(err.to_string().contains("unknown chain 'DOT'"));
    }
}
