//! Non-negative decimal amounts as text (`"1500000"`, `"12.5"`), compared and added
//! digit by digit: base units of any size (uint256 token amounts) and XRP IOU fractions,
//! with no rounding.

use std::cmp::Ordering;

/// A non-negative decimal number: integer digits without leading zeros, fraction digits
/// without trailing zeros.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Amount {
    int: String,
    frac: String,
}

impl Amount {
    pub fn zero() -> Self {
        Self::default()
    }

    /// `"123"`, `"0.5"`, `"12."`; not signs, exponents or spaces.
    pub fn parse(text: &str) -> Option<Self> {
        let (int, frac) = text.split_once('.').unwrap_or((text, ""));
        if (int.is_empty() && frac.is_empty())
            || !int.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        Some(Self {
            int: int.trim_start_matches('0').to_string(),
            frac: frac.trim_end_matches('0').to_string(),
        })
    }

    pub fn add(&self, other: &Self) -> Self {
        let flen = self.frac.len().max(other.frac.len());
        let ilen = self.int.len().max(other.int.len());
        let digits = |a: &Self| -> Vec<u8> {
            let mut d = vec![0u8; ilen - a.int.len()];
            d.extend(a.int.bytes().map(|b| b - b'0'));
            d.extend(a.frac.bytes().map(|b| b - b'0'));
            d.resize(ilen + flen, 0);
            d
        };
        let (a, b) = (digits(self), digits(other));
        let mut out = vec![0u8; ilen + flen + 1];
        let mut carry = 0;
        for i in (0..ilen + flen).rev() {
            let s = a[i] + b[i] + carry;
            out[i + 1] = s % 10;
            carry = s / 10;
        }
        out[0] = carry;
        let text: String = out.iter().map(|d| char::from(b'0' + d)).collect();
        let (int, frac) = text.split_at(ilen + 1);
        Self {
            int: int.trim_start_matches('0').to_string(),
            frac: frac.trim_end_matches('0').to_string(),
        }
    }
}

impl Ord for Amount {
    fn cmp(&self, other: &Self) -> Ordering {
        self.int
            .len()
            .cmp(&other.int.len())
            .then_with(|| self.int.cmp(&other.int))
            .then_with(|| self.frac.cmp(&other.frac))
    }
}

impl PartialOrd for Amount {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl std::fmt::Display for Amount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let int = if self.int.is_empty() { "0" } else { &self.int };
        if self.frac.is_empty() {
            f.write_str(int)
        } else {
            write!(f, "{int}.{}", self.frac)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn a(s: &str) -> Amount {
        Amount::parse(s).unwrap()
    }

    #[test]
    fn parse_compare_add() {
        assert_eq!(a("007").to_string(), "7");
        assert_eq!(a("0.50").to_string(), "0.5");
        assert_eq!(a("0").to_string(), "0");
        assert!(a("10") > a("9.99"));
        assert!(a("0.1") < a("0.11"));
        assert_eq!(a("0.1"), a("0.10"));
        assert_eq!(a("99.95").add(&a("0.05")).to_string(), "100");
        assert_eq!(
            a("340282366920938463463374607431768211455")
                .add(&a("1"))
                .to_string(),
            "340282366920938463463374607431768211456"
        );
        for bad in ["", ".", "-1", "1e5", " 1", "1,0"] {
            assert!(Amount::parse(bad).is_none(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn agrees_with_u128(x in 0u64..u64::MAX, y in 0u64..u64::MAX) {
            let (ax, ay) = (a(&x.to_string()), a(&y.to_string()));
            prop_assert_eq!(ax.cmp(&ay), x.cmp(&y));
            prop_assert_eq!(ax.add(&ay).to_string(), (u128::from(x) + u128::from(y)).to_string());
        }
    }
}
