//! Double-double arithmetic (an unevaluated sum `hi + lo` of two `f64`, about 32 significant
//! digits, after Dekker and Shewchuk as in Bailey's QD library), used for the logarithms of
//! factorials in the exact chance to beat: those run to 1.6e8 for 10 million trials and cancel
//! to a few units, so plain `f64` would leave an error of about 1e-8 in the result.

/// `hi + lo` with `|lo| <= ulp(hi) / 2`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct DoubleDouble {
    hi: f64,
    lo: f64,
}

/// ln 2 to double-double precision.
const LN_2: DoubleDouble = DoubleDouble {
    hi: std::f64::consts::LN_2,
    lo: 2.319_046_813_846_299_6e-17,
};

/// ½·ln(2π) to double-double precision.
const HALF_LN_2PI: DoubleDouble = DoubleDouble {
    hi: 0.918_938_533_204_672_8,
    lo: -3.878_294_158_067_241_4e-17,
};

/// `a + b` exactly, as a double-double (Knuth's TwoSum).
fn two_sum(a: f64, b: f64) -> DoubleDouble {
    let hi = a + b;
    let b_virtual = hi - a;
    let lo = (a - (hi - b_virtual)) + (b - b_virtual);
    DoubleDouble { hi, lo }
}

/// `a + b` exactly when `|a| >= |b|` (Dekker's FastTwoSum).
fn quick_two_sum(a: f64, b: f64) -> DoubleDouble {
    let hi = a + b;
    DoubleDouble {
        hi,
        lo: b - (hi - a),
    }
}

/// `a·b` exactly, with a fused multiply-add for the rounding error.
fn two_product(a: f64, b: f64) -> DoubleDouble {
    let hi = a * b;
    DoubleDouble {
        hi,
        lo: a.mul_add(b, -hi),
    }
}

impl DoubleDouble {
    /// The value `x`, exactly.
    pub(crate) const fn from_f64(x: f64) -> Self {
        DoubleDouble { hi: x, lo: 0.0 }
    }

    /// The nearest `f64`.
    pub(crate) fn to_f64(self) -> f64 {
        self.hi + self.lo
    }

    /// `self + other` (QD's IEEE-style addition, relative error about 2^-104).
    pub(crate) fn add(self, other: Self) -> Self {
        let s = two_sum(self.hi, other.hi);
        let t = two_sum(self.lo, other.lo);
        let s = quick_two_sum(s.hi, s.lo + t.hi);
        quick_two_sum(s.hi, s.lo + t.lo)
    }

    /// `-self`.
    pub(crate) fn neg(self) -> Self {
        DoubleDouble {
            hi: -self.hi,
            lo: -self.lo,
        }
    }

    /// `self - other`.
    pub(crate) fn sub(self, other: Self) -> Self {
        self.add(other.neg())
    }

    /// `self·other`.
    pub(crate) fn mul(self, other: Self) -> Self {
        let p = two_product(self.hi, other.hi);
        quick_two_sum(p.hi, p.lo + (self.hi * other.lo + self.lo * other.hi))
    }

    /// `self·x`.
    pub(crate) fn mul_f64(self, x: f64) -> Self {
        let p = two_product(self.hi, x);
        quick_two_sum(p.hi, p.lo + self.lo * x)
    }

    /// `self / other` (long division with three partial quotients).
    pub(crate) fn div(self, other: Self) -> Self {
        let q1 = self.hi / other.hi;
        let r = self.sub(other.mul_f64(q1));
        let q2 = r.hi / other.hi;
        let r = r.sub(other.mul_f64(q2));
        let q3 = r.hi / other.hi;
        quick_two_sum(q1, q2).add(DoubleDouble::from_f64(q3))
    }
}

/// `1/n` to double-double precision.
fn reciprocal(n: f64) -> DoubleDouble {
    DoubleDouble::from_f64(1.0).div(DoubleDouble::from_f64(n))
}

/// The natural logarithm of a positive normal `f64`, to double-double precision.
///
/// Method: `x = 2^e·m` with `m` in (√½, √2], then `ln x = e·ln 2 + 2·atanh(s)` with
/// `s = (m - 1)/(m + 1)`, `|s| <= 0.172`, and the series `atanh s = s·Σ s^(2k)/(2k + 1)`
/// summed to 24 terms (the first term left out is below 1e-36 of the sum).
pub(crate) fn ln(x: f64) -> DoubleDouble {
    const MANTISSA_BITS: u64 = (1 << 52) - 1;
    debug_assert!(x.is_normal() && x > 0.0, "ln of {x}");
    let bits = x.to_bits();
    let mut exponent = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let mut m = f64::from_bits((bits & MANTISSA_BITS) | (1023 << 52));
    if m > std::f64::consts::SQRT_2 {
        m /= 2.0;
        exponent += 1;
    }
    // m - 1 is exact (Sterbenz); m + 1 is kept exactly as a double-double.
    let s = DoubleDouble::from_f64(m - 1.0).div(two_sum(m, 1.0));
    let s2 = s.mul(s);
    let mut series = DoubleDouble::from_f64(0.0);
    for k in (0..24).rev() {
        series = series.mul(s2).add(reciprocal(f64::from(2 * k + 1)));
    }
    LN_2.mul_f64(exponent as f64)
        .add(s.mul(series).mul_f64(2.0))
}

/// The factorials 0! to 22!, all exact in `f64` (23! is not).
const FACTORIALS: [f64; 23] = {
    let mut table = [1.0; 23];
    let mut k = 1;
    while k < 23 {
        table[k] = table[k - 1] * k as f64;
        k += 1;
    }
    table
};

/// `ln Γ(k) = ln (k-1)!` for an integer `1 <= k < 2^53`, to about 1e-30 relative for
/// `k <= 23` and 1e-22 absolute above.
///
/// Method: the exact factorial's logarithm up to `k = 23`, then Stirling's series
/// `(k - ½)·ln k - k + ½·ln 2π + 1/(12k) + Σ_{j>1} B_2j / (2j(2j-1)·k^(2j-1))` with all but
/// the sum (below 2.5e-7) in double-double.
pub(crate) fn ln_gamma_integer(k: u64) -> DoubleDouble {
    debug_assert!(k >= 1, "ln Γ({k})");
    if let Some(&factorial) = FACTORIALS.get(k.saturating_sub(1) as usize) {
        return ln(factorial);
    }
    let z = k as f64;
    ln(z)
        .mul_f64(z - 0.5)
        .add(DoubleDouble::from_f64(-z))
        .add(HALF_LN_2PI)
        .add(reciprocal(12.0 * z))
        .add(DoubleDouble::from_f64(
            super::gamma::stirling_remainder_beyond_first(z),
        ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(got: DoubleDouble, hi: f64, lo: f64) {
        let error = got.sub(DoubleDouble { hi, lo }).to_f64().abs();
        assert!(
            error <= 1e-22 * hi.abs().max(1.0),
            "{got:?} vs {hi} + {lo}: {error:e}"
        );
    }

    // References from mpmath at 50 digits (of the f64 arguments), split as hi = float(v),
    // lo = float(v - hi).
    #[test]
    fn logarithms() {
        check(ln(1.0), 0.0, 0.0);
        check(ln(2.0), LN_2.hi, LN_2.lo);
        check(
            ln(10.0),
            std::f64::consts::LN_10,
            -2.170_756_223_382_249_4e-16,
        );
        check(
            ln(0.1),
            -2.302_585_092_994_045_5,
            -1.715_024_362_805_798_5e-16,
        );
        check(
            ln(1e300),
            690.775_527_898_213_7,
            2.374_766_002_880_024_3e-14,
        );
    }

    #[test]
    fn factorials() {
        check(ln_gamma_integer(1), 0.0, 0.0);
        check(ln_gamma_integer(2), 0.0, 0.0);
        check(
            ln_gamma_integer(23),
            48.471_181_351_835_23,
            -3.367_098_563_929_602_6e-15,
        );
        check(
            ln_gamma_integer(24),
            51.606_675_567_764_38,
            -3.351_340_204_062_319_8e-15,
        );
        check(
            ln_gamma_integer(10_000_001),
            151_180_965.487_569_57,
            -5.642_956_464_932_964e-9,
        );
    }
}
