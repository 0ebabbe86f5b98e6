//! numeric: PostgreSQL's base-10000 digits, as text or as a scaled integer.

use super::{Decoded, Problem, int2, take};

/// PostgreSQL's binary numeric: base-10000 digits with a weight and scale.
pub struct Numeric<'a> {
    digits: &'a [u8],
    weight: i32,
    sign: u16,
    dscale: usize,
}

const NUMERIC_NAN: u16 = 0xC000;
const NUMERIC_POS_INF: u16 = 0xD000;
const NUMERIC_NEG_INF: u16 = 0xF000;
const NUMERIC_NEG: u16 = 0x4000;

pub fn numeric(raw: &[u8]) -> Decoded<Numeric<'_>> {
    let ndigits = usize::try_from(int2(raw)?).map_err(|_| Problem::from("bad numeric"))?;
    let weight = i32::from(i16::from_be_bytes(take(raw, 2)?));
    let sign = u16::from_be_bytes(take(raw, 4)?);
    let dscale = usize::from(u16::from_be_bytes(take(raw, 6)?));
    let digits = raw.get(8..8 + 2 * ndigits).ok_or(Problem::Truncated)?;
    Ok(Numeric { digits, weight, sign, dscale })
}

impl Numeric<'_> {
    fn digit(&self, k: i32) -> i16 {
        usize::try_from(k)
            .ok()
            .and_then(|k| self.digits.get(2 * k..2 * k + 2))
            .map_or(0, |d| i16::from_be_bytes([d[0], d[1]]))
    }

    /// NaN and the infinities have no digits.
    pub fn special(&self) -> Option<&'static str> {
        match self.sign {
            NUMERIC_NAN => Some("NaN"),
            NUMERIC_POS_INF => Some("Infinity"),
            NUMERIC_NEG_INF => Some("-Infinity"),
            _ => None,
        }
    }

    /// Decimal text, or "NaN" / "Infinity" / "-Infinity".
    pub fn to_text(&self) -> String {
        if let Some(special) = self.special() {
            return special.into();
        }
        let mut int_part = String::new();
        // Digit k is worth digit * 10000^(weight - k).
        for k in 0..=self.weight {
            let d = self.digit(k);
            if int_part.is_empty() {
                if d != 0 {
                    int_part = d.to_string();
                }
            } else {
                int_part.push_str(&format!("{d:04}"));
            }
        }
        if int_part.is_empty() {
            int_part.push('0');
        }
        let mut frac_part = String::new();
        let mut k = self.weight + 1;
        while frac_part.len() < self.dscale {
            frac_part.push_str(&format!("{:04}", self.digit(k)));
            k += 1;
        }
        frac_part.truncate(self.dscale);
        let mut out = String::with_capacity(int_part.len() + frac_part.len() + 2);
        if self.sign == NUMERIC_NEG {
            out.push('-');
        }
        out.push_str(&int_part);
        if self.dscale > 0 {
            out.push('.');
            out.push_str(&frac_part);
        }
        out
    }

    /// The value times 10^scale as an integer (digits past `scale` are
    /// truncated); None for NaN, the infinities, or beyond i128.
    pub fn scaled(&self, scale: u32) -> Option<i128> {
        if self.special().is_some() {
            return None;
        }
        let scale = i32::try_from(scale).ok()?;
        let mut acc: i128 = 0;
        for k in 0..i32::try_from(self.digits.len() / 2).ok()? {
            // Digit k times 10^scale is worth digit * 10^(4 * (weight - k) + scale).
            let e = 4 * (self.weight - k) + scale;
            let d = i128::from(self.digit(k));
            let term = match e {
                0.. => d.checked_mul(10_i128.checked_pow(e.unsigned_abs())?)?,
                -3..=-1 => d / 10_i128.pow(e.unsigned_abs()),
                _ => break,
            };
            acc = acc.checked_add(term)?;
        }
        Some(if self.sign == NUMERIC_NEG { -acc } else { acc })
    }
}
