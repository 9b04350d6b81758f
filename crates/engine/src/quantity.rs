//! Resource quantities (`100m`, `1Gi`, `512Mi`, `2`, `1e3`) as apimachinery's
//! `resource.Quantity` parses, compares and prints them.
//!
//! Values are held exactly in thousandths (milli-units) of the base unit, rounded up the way
//! `Quantity.MilliValue()` rounds, which is all the scheduler and the PV controller need.
//! This module never panics on user text: a malformed quantity is an `Err` with the API
//! server's wording.

use std::cmp::Ordering;
use std::fmt;

/// The regular expression the API server quotes when a quantity does not parse.
pub const QUANTITY_ERROR: &str =
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

/// How a quantity is printed (`resource.Format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `Ki`, `Mi`, `Gi` ...
    BinarySI,
    /// `m`, `k`, `M`, `G` ...
    DecimalSI,
    /// `e3`, `e6` ...
    DecimalExponent,
}

/// An exact amount in milli-units plus the format it was written in.
#[derive(Clone, Copy, Debug)]
pub struct Quantity {
    milli: i128,
    pub format: Format,
}

impl PartialEq for Quantity {
    fn eq(&self, other: &Quantity) -> bool {
        self.milli == other.milli
    }
}

impl Eq for Quantity {}

impl PartialOrd for Quantity {
    fn partial_cmp(&self, other: &Quantity) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Quantity {
    fn cmp(&self, other: &Quantity) -> Ordering {
        self.milli.cmp(&other.milli)
    }
}

/// Caps a value so sums of user quantities can never overflow.
const LIMIT: i128 = 1i128 << 100;

impl Quantity {
    pub fn zero() -> Quantity {
        Quantity {
            milli: 0,
            format: Format::DecimalSI,
        }
    }

    pub fn from_milli(milli: i128, format: Format) -> Quantity {
        Quantity {
            milli: milli.clamp(-LIMIT, LIMIT),
            format,
        }
    }

    /// Parses a quantity string; errors carry the API server's message.
    pub fn parse(text: &str) -> Result<Quantity, String> {
        let s = text.trim();
        if s.is_empty() {
            return Err(QUANTITY_ERROR.to_string());
        }
        let (negative, body) = match s.as_bytes().first() {
            Some(b'-') => (true, &s[1..]),
            Some(b'+') => (false, &s[1..]),
            _ => (false, s),
        };
        let num_end = body
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(body.len());
        let (number, suffix) = body.split_at(num_end);
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return Err(QUANTITY_ERROR.to_string());
        }
        let (int_part, frac_part) = match number.split_once('.') {
            Some((i, f)) => (i, f),
            None => (number, ""),
        };
        // The number as an integer mantissa and a power of ten.
        let mut digits = format!("{int_part}{frac_part}");
        let mut exp10: i32 = -(frac_part.len() as i32);
        // Trim to keep the mantissa in range; very long inputs lose only insignificant digits.
        while digits.len() > 30 {
            digits.pop();
            exp10 += 1;
        }
        let mantissa: i128 = if digits.is_empty() {
            0
        } else {
            digits.parse().map_err(|_| QUANTITY_ERROR.to_string())?
        };
        let (base2, extra_exp10, format) = match suffix {
            "" => (0u32, 0i32, Format::DecimalSI),
            "Ki" => (10, 0, Format::BinarySI),
            "Mi" => (20, 0, Format::BinarySI),
            "Gi" => (30, 0, Format::BinarySI),
            "Ti" => (40, 0, Format::BinarySI),
            "Pi" => (50, 0, Format::BinarySI),
            "Ei" => (60, 0, Format::BinarySI),
            "n" => (0, -9, Format::DecimalSI),
            "u" => (0, -6, Format::DecimalSI),
            "m" => (0, -3, Format::DecimalSI),
            "k" => (0, 3, Format::DecimalSI),
            "M" => (0, 6, Format::DecimalSI),
            "G" => (0, 9, Format::DecimalSI),
            "T" => (0, 12, Format::DecimalSI),
            "P" => (0, 15, Format::DecimalSI),
            "E" => (0, 18, Format::DecimalSI),
            other => {
                let rest = other
                    .strip_prefix('e')
                    .or_else(|| other.strip_prefix('E'))
                    .ok_or_else(|| QUANTITY_ERROR.to_string())?;
                let e: i32 = rest.parse().map_err(|_| QUANTITY_ERROR.to_string())?;
                if !(-40..=40).contains(&e) {
                    return Err(QUANTITY_ERROR.to_string());
                }
                (0, e, Format::DecimalExponent)
            }
        };
        // milli = mantissa * 10^(exp10 + extra + 3) * 2^base2, rounded up.
        let e = exp10 + extra_exp10 + 3;
        let mut value = mantissa;
        if base2 > 0 {
            value = value.saturating_mul(1i128 << base2);
        }
        if e >= 0 {
            for _ in 0..e {
                value = value.saturating_mul(10).min(LIMIT);
            }
        } else {
            let mut div: i128 = 1;
            for _ in 0..(-e).min(38) {
                div = div.saturating_mul(10);
            }
            value = (value + div - 1) / div;
        }
        let milli = value.min(LIMIT);
        Ok(Quantity {
            milli: if negative { -milli } else { milli },
            format,
        })
    }

    /// Thousandths of the unit (`MilliValue`), e.g. `100m` → 100, `1` → 1000.
    pub fn milli_value(&self) -> i128 {
        self.milli
    }

    /// Whole units, rounded up (`Value`), e.g. `1Gi` → 1073741824, `100m` → 1.
    pub fn value(&self) -> i128 {
        if self.milli >= 0 {
            (self.milli + 999) / 1000
        } else {
            self.milli / 1000
        }
    }

    pub fn is_zero(&self) -> bool {
        self.milli == 0
    }

    pub fn add(&self, other: &Quantity) -> Quantity {
        Quantity::from_milli(self.milli.saturating_add(other.milli), self.format)
    }

    pub fn sub(&self, other: &Quantity) -> Quantity {
        Quantity::from_milli(self.milli.saturating_sub(other.milli), self.format)
    }

    /// The canonical form the API server prints (`1Gi`, `100m`, `1500Mi`, `2`).
    pub fn canonical(&self) -> String {
        let neg = self.milli < 0;
        let m = self.milli.abs();
        let sign = if neg { "-" } else { "" };
        if m == 0 {
            return "0".to_string();
        }
        if m % 1000 != 0 {
            return format!("{sign}{m}m");
        }
        let v = m / 1000;
        match self.format {
            Format::BinarySI => {
                const SUFFIXES: [&str; 6] = ["Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
                let mut best = (v, "");
                let mut unit: i128 = 1;
                for s in SUFFIXES {
                    unit *= 1024;
                    if v % unit == 0 {
                        best = (v / unit, s);
                    } else {
                        break;
                    }
                }
                // A binary quantity below 1Ki that is not a multiple prints as decimal.
                if best.1.is_empty() {
                    decimal(sign, v)
                } else {
                    format!("{sign}{}{}", best.0, best.1)
                }
            }
            Format::DecimalSI | Format::DecimalExponent => decimal(sign, v),
        }
    }
}

fn decimal(sign: &str, v: i128) -> String {
    const SUFFIXES: [&str; 6] = ["k", "M", "G", "T", "P", "E"];
    let mut best = (v, "");
    let mut unit: i128 = 1;
    for s in SUFFIXES {
        unit *= 1000;
        if v % unit == 0 {
            best = (v / unit, s);
        } else {
            break;
        }
    }
    format!("{sign}{}{}", best.0, best.1)
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.canonical())
    }
}

/// Parses a JSON value that holds a quantity (a string, or a bare number as YAML allows).
pub fn from_value(v: &serde_json::Value) -> Option<Quantity> {
    match v {
        serde_json::Value::String(s) => Quantity::parse(s).ok(),
        serde_json::Value::Number(n) => Quantity::parse(&n.to_string()).ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Quantity {
        Quantity::parse(s).unwrap()
    }

    #[test]
    fn parses_the_suffixes_kubernetes_accepts() {
        assert_eq!(q("100m").milli_value(), 100);
        assert_eq!(q("1").milli_value(), 1000);
        assert_eq!(q("0.5").milli_value(), 500);
        assert_eq!(q("1Gi").value(), 1 << 30);
        assert_eq!(q("512Mi").value(), 512 << 20);
        assert_eq!(q("1G").value(), 1_000_000_000);
        assert_eq!(q("1e3").value(), 1000);
        assert_eq!(q("1k").value(), 1000);
        assert_eq!(q("1n").milli_value(), 1, "rounds up to the next milli");
        assert_eq!(q("100m").value(), 1, "Value() rounds up");
        assert!(q("1Gi") > q("1G"));
        assert!(q("1024Mi") == q("1Gi"));
    }

    #[test]
    fn rejects_malformed_quantities_with_the_api_wording() {
        for bad in ["", "abc", "1.2.3", "1Gb", "Gi", "1e", "--1"] {
            assert_eq!(
                Quantity::parse(bad),
                Err(QUANTITY_ERROR.to_string()),
                "{bad}"
            );
        }
    }

    #[test]
    fn prints_the_canonical_form() {
        assert_eq!(q("1Gi").canonical(), "1Gi");
        assert_eq!(q("1024Mi").canonical(), "1Gi");
        assert_eq!(q("1536Mi").canonical(), "1536Mi");
        assert_eq!(q("1000m").canonical(), "1");
        assert_eq!(q("250m").add(&q("500m")).canonical(), "750m");
        assert_eq!(q("2000").canonical(), "2k");
        assert_eq!(q("0").canonical(), "0");
    }
}
