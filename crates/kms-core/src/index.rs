use std::fmt;
use std::str::FromStr;

/// A non-hardened BIP32 child index: 0 ..= 2^31-1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DerivationIndex(u32);

impl DerivationIndex {
    pub const MAX: u32 = 0x7fff_ffff;

    pub fn new(value: u32) -> Result<Self, InvalidIndex> {
        if value > Self::MAX {
            return Err(InvalidIndex(value.to_string()));
        }
        Ok(Self(value))
    }

    pub fn value(self) -> u32 {
        self.0
    }
}

impl fmt::Display for DerivationIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid derivation index '{0}': expected a whole number from 0 to 2147483647")]
pub struct InvalidIndex(pub String);

impl FromStr for DerivationIndex {
    type Err = InvalidIndex;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(InvalidIndex(s.to_string()));
        }
        let value: u64 = t.parse().map_err(|_| InvalidIndex(s.to_string()))?;
        if value > u64::from(Self::MAX) {
            return Err(InvalidIndex(s.to_string()));
        }
        Ok(Self(value as u32))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_whole_non_hardened_range() {
        assert_eq!("0".parse::<DerivationIndex>().map(|i| i.value()), Ok(0));
        assert_eq!(
            "2147483647".parse::<DerivationIndex>().map(|i| i.value()),
            Ok(2147483647)
        );
    }

    #[test]
    fn rejects_negative_non_numeric_and_hardened() {
        for bad in [
            "-1",
            "abc",
            "",
            "1.5",
            "2147483648",
            "4294967296",
            "1e3",
            "0x10",
        ] {
            assert!(bad.parse::<DerivationIndex>().is_err(), "{bad} accepted");
        }
    }
}
