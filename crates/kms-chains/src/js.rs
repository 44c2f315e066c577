//! The JavaScript value rules the original's libraries apply to the pending transaction JSON
//! (every chain family uses them):
//! truthiness, web3's `numberToHex`, `parseInt`, and an unsigned big integer to hold the
//! results. Keeping these rules in one place is what makes "a zero nonce counts as missing"
//! and similar quirks come out the same as in the original.

use serde_json::Value;

/// JavaScript truthiness of a property: `undefined`, `null`, `false`, `0` and `""` are falsy.
pub(crate) fn truthy(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(_)) | Some(Value::Object(_)) => true,
    }
}

/// web3's `isNot`: `undefined` or `null`.
pub(crate) fn is_not(v: Option<&Value>) -> bool {
    matches!(v, None | Some(Value::Null))
}

/// `String(v)` for messages.
pub(crate) fn js_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "null".into(),
        other => other.to_string(),
    }
}

/// A non-negative integer of any size, as minimal big-endian bytes (empty for zero).
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Uint(Vec<u8>);

impl Uint {
    pub(crate) fn from_be_bytes(bytes: &[u8]) -> Self {
        let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
        Self(bytes[start..].to_vec())
    }

    pub(crate) fn from_u128(n: u128) -> Self {
        Self::from_be_bytes(&n.to_be_bytes())
    }

    pub(crate) fn from_u64(n: u64) -> Self {
        Self::from_be_bytes(&n.to_be_bytes())
    }

    /// Hex digits without prefix; empty means zero. Odd lengths are fine.
    pub(crate) fn from_hex_digits(digits: &str) -> Option<Self> {
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let padded;
        let even = if digits.len() % 2 == 1 {
            padded = format!("0{digits}");
            padded.as_str()
        } else {
            digits
        };
        hex::decode(even).ok().map(|b| Self::from_be_bytes(&b))
    }

    /// Decimal digits only; empty means zero.
    pub(crate) fn from_dec_digits(digits: &str) -> Option<Self> {
        let mut out = Self::default();
        for b in digits.bytes() {
            if !b.is_ascii_digit() {
                return None;
            }
            out = out.mul_add_small(10, u32::from(b - b'0'));
        }
        Some(out)
    }

    /// `self * m + a`.
    pub(crate) fn mul_add_small(&self, m: u32, a: u32) -> Self {
        let mut out = vec![0u8; self.0.len() + 5];
        let mut carry = u64::from(a);
        let n = out.len();
        for (i, byte) in self.0.iter().rev().enumerate() {
            let v = u64::from(*byte) * u64::from(m) + carry;
            out[n - 1 - i] = (v & 0xff) as u8;
            carry = v >> 8;
        }
        let mut i = self.0.len();
        while carry > 0 && i < n {
            out[n - 1 - i] = (carry & 0xff) as u8;
            carry >>= 8;
            i += 1;
        }
        Self::from_be_bytes(&out)
    }

    pub(crate) fn add_u64(&self, a: u64) -> Self {
        let mut out = vec![0u8; self.0.len().max(8) + 1];
        let n = out.len();
        out[n - self.0.len()..].copy_from_slice(&self.0);
        let mut carry = u128::from(a);
        for byte in out.iter_mut().rev() {
            if carry == 0 {
                break;
            }
            let v = u128::from(*byte) + (carry & 0xff);
            *byte = (v & 0xff) as u8;
            carry = (carry >> 8) + (v >> 8);
        }
        Self::from_be_bytes(&out)
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        &self.0
    }

    pub(crate) fn to_u64(&self) -> Option<u64> {
        if self.0.len() > 8 {
            return None;
        }
        let mut buf = [0u8; 8];
        buf[8 - self.0.len()..].copy_from_slice(&self.0);
        Some(u64::from_be_bytes(buf))
    }

    /// JSON-RPC quantity: `0x0`, `0x1f`.
    pub(crate) fn to_quantity(&self) -> String {
        if self.0.is_empty() {
            return "0x0".into();
        }
        let h = hex::encode(&self.0);
        format!("0x{}", h.trim_start_matches('0'))
    }
}

/// The largest integer a JavaScript number holds exactly.
pub(crate) const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// A JSON number as the integer JavaScript would print with `String(n)` without exponent
/// (below 1e21), or `None` for fractions, negatives and huge values.
pub(crate) fn js_number_to_uint(n: &serde_json::Number) -> Option<Uint> {
    if let Some(u) = n.as_u64() {
        return Some(Uint::from_u64(u));
    }
    if n.as_i64().is_some() {
        return None; // negative
    }
    let f = n.as_f64()?;
    if f.is_finite() && f >= 0.0 && f.fract() == 0.0 && f < 1e21 {
        // Exact: an integral f64 below 2^70 fits u128.
        return Some(Uint::from_u128(f as u128));
    }
    None
}

/// web3-utils `numberToHex` (via `toBN` / number-to-bn): JSON numbers, decimal strings and
/// `0x` hex strings; the empty string and `0x` are zero.
pub(crate) fn web3_number(v: &Value) -> Result<Uint, String> {
    let bad = || format!("Given input \"{}\" is not a number.", js_string(v));
    match v {
        Value::Number(n) => js_number_to_uint(n).ok_or_else(bad),
        Value::String(s) => {
            let t = s.trim().to_ascii_lowercase();
            if let Some(h) = t.strip_prefix("0x") {
                Uint::from_hex_digits(h).ok_or_else(bad)
            } else {
                Uint::from_dec_digits(&t).ok_or_else(bad)
            }
        }
        _ => Err(bad()),
    }
}

/// web3-utils `hexToNumber` of a node answer: falsy values pass through, hex strings become
/// numbers (at most 53 bits), anything else is an error.
pub(crate) fn hex_to_number(v: &Value) -> Result<Value, String> {
    if !truthy(Some(v)) {
        return Ok(v.clone());
    }
    match v {
        Value::Number(_) => Ok(v.clone()),
        Value::String(s) => {
            let n = s
                .strip_prefix("0x")
                .or_else(|| s.strip_prefix("0X"))
                .and_then(Uint::from_hex_digits)
                .ok_or_else(|| format!("Given value \"{s}\" is not a valid hex string."))?;
            match n.to_u64().filter(|n| *n <= MAX_SAFE_INTEGER) {
                Some(n) => Ok(Value::from(n)),
                None => Err(format!("Number can only safely store up to 53 bits: {s}")),
            }
        }
        other => Err(format!(
            "Given value \"{}\" is not a valid hex string.",
            js_string(other)
        )),
    }
}

/// JavaScript `parseInt(String(v))` (no radix): optional sign, `0x` prefix for hex, then
/// as many digits as there are. `None` for NaN; the sign is dropped (callers take `abs`).
pub(crate) fn js_parse_int(v: &Value) -> Option<Uint> {
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    let t = text.trim_start();
    let t = t
        .strip_prefix('-')
        .or_else(|| t.strip_prefix('+'))
        .unwrap_or(t);
    let (digits, hex) = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(rest) => (rest, true),
        None => (t, false),
    };
    let end = digits
        .bytes()
        .position(|b| {
            if hex {
                !b.is_ascii_hexdigit()
            } else {
                !b.is_ascii_digit()
            }
        })
        .unwrap_or(digits.len());
    let digits = &digits[..end];
    if digits.is_empty() {
        return None;
    }
    if hex {
        Uint::from_hex_digits(digits)
    } else {
        Uint::from_dec_digits(digits)
    }
}

/// `0x`-prefixed hex (either case) to bytes; odd lengths are padded on the left.
pub(crate) fn hex_bytes_padded(s: &str) -> Option<Vec<u8>> {
    let digits = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X"))?;
    if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    if digits.len() % 2 == 1 {
        hex::decode(format!("0{digits}")).ok()
    } else {
        hex::decode(digits).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn truthiness_is_javascripts() {
        for v in [json!(null), json!(0), json!(0.0), json!(""), json!(false)] {
            assert!(!truthy(Some(&v)), "{v}");
        }
        assert!(!truthy(None));
        for v in [json!("0"), json!("0x0"), json!(1), json!([]), json!({})] {
            assert!(truthy(Some(&v)), "{v}");
        }
    }

    #[test]
    fn numbers_like_web3() {
        let q = |v: Value| web3_number(&v).map(|u| u.to_quantity());
        assert_eq!(q(json!(21000)).unwrap(), "0x5208");
        assert_eq!(q(json!("21000")).unwrap(), "0x5208");
        assert_eq!(q(json!("0x5208")).unwrap(), "0x5208");
        assert_eq!(q(json!("0X05208")).unwrap(), "0x5208");
        assert_eq!(q(json!("")).unwrap(), "0x0");
        assert_eq!(q(json!("0x")).unwrap(), "0x0");
        assert_eq!(q(json!(1e20)).unwrap(), "0x56bc75e2d63100000");
        assert_eq!(
            q(json!(
                "115792089237316195423570985008687907853269984665640564039457584007913129639935"
            ))
            .unwrap(),
            format!("0x{}", "f".repeat(64))
        );
        for bad in [
            json!("1.5"),
            json!(-1),
            json!("abc"),
            json!(true),
            json!(null),
            json!(1.5),
        ] {
            assert!(q(bad.clone()).is_err(), "{bad}");
        }
    }

    #[test]
    fn arithmetic() {
        assert_eq!(Uint::from_u64(255).add_u64(1).to_quantity(), "0x100");
        assert_eq!(
            Uint::from_u128(u128::MAX).add_u64(1).to_quantity(),
            "0x100000000000000000000000000000000"
        );
        assert_eq!(Uint::default().add_u64(100000).to_quantity(), "0x186a0");
        assert!(Uint::from_u64(0x1dcd6500) < Uint::from_u64(0x3b9aca00));
    }

    #[test]
    fn parse_int_like_javascript() {
        let p = |v: Value| js_parse_int(&v).and_then(|u| u.to_u64());
        assert_eq!(p(json!("0x27")), Some(39));
        assert_eq!(p(json!("12abc")), Some(12));
        assert_eq!(p(json!(" -7")), Some(7));
        assert_eq!(p(json!(1.9)), Some(1));
        assert_eq!(p(json!("abc")), None);
        assert_eq!(p(json!(null)), None);
    }

    #[test]
    fn hex_to_number_passes_falsy_values() {
        assert_eq!(hex_to_number(&json!("0x5208")).unwrap(), json!(21000));
        assert_eq!(hex_to_number(&json!(null)).unwrap(), json!(null));
        assert!(hex_to_number(&json!("5208")).is_err());
    }
}
