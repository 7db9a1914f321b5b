//! The standard normal distribution: its cdf and its quantile function.

use super::gamma::gamma_pq;

/// √(2π).
const SQRT_2PI: f64 = 2.506_628_274_631_000_7;

/// `Φ(x) = P(Z <= x)` for a standard normal Z, to about 1e-14 relative in both tails (so
/// `normal_cdf(-x)` is the survival function of `x`).
///
/// Method: `Φ(x) = ½·Q(½, x²/2)` for `x < 0` and `1 - ½·Q(½, x²/2)` otherwise, with the
/// regularized incomplete gamma function of [`gamma_pq`] (the error function is `P(½, x²)`).
pub(crate) fn normal_cdf(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    let (p, q) = gamma_pq(0.5, 0.5 * x * x);
    if x < 0.0 { 0.5 * q } else { 0.5 + 0.5 * p }
}

/// The quantile `x` with `Φ(x) = p`, for `0 < p < 1` (−∞ and ∞ at 0 and 1, NaN outside).
///
/// Method: Acklam's rational approximation (relative error below 1.15e-9), then two steps of
/// Halley's method on [`normal_cdf`], each of which triples the correct digits. An upper
/// quantile is found as minus the lower one, since `1 - p` is exact for `p >= ½`.
pub(crate) fn normal_ppf(p: f64) -> f64 {
    if !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p > 0.5 {
        return -normal_ppf(1.0 - p);
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    let mut x = acklam(p);
    for _ in 0..2 {
        // Φ(x) - p, formed without rounding Φ(x) to a number near ½ when x is near 0.
        let (half_p, half_q) = {
            let (p, q) = gamma_pq(0.5, 0.5 * x * x);
            (0.5 * p, 0.5 * q)
        };
        let error = if half_p < 0.25 {
            (0.5 - p) + half_p.copysign(x)
        } else if x < 0.0 {
            half_q - p
        } else {
            (1.0 - half_q) - p
        };
        let u = error * SQRT_2PI * (0.5 * x * x).exp();
        x -= u / (1.0 + 0.5 * x * u);
    }
    x
}

/// Peter Acklam's approximation of the normal quantile for `0 < p <= ½`.
fn acklam(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let horner = |coefficients: &[f64], x: f64| coefficients.iter().fold(0.0, |sum, c| sum * x + c);
    if p < 0.024_25 {
        let q = (-2.0 * p.ln()).sqrt();
        horner(&C, q) / (horner(&D, q) * q + 1.0)
    } else {
        let q = p - 0.5;
        let r = q * q;
        horner(&A, r) * q / (horner(&B, r) * r + 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn close(got: f64, want: f64, relative: f64) {
        assert!(
            (got - want).abs() <= relative * want.abs(),
            "{got} vs {want}"
        );
    }

    // References: scipy.stats.norm.
    #[test]
    fn cdf() {
        assert_eq!(normal_cdf(0.0), 0.5);
        close(normal_cdf(1.959_963_984_540_054), 0.975, 1e-15);
        close(normal_cdf(-1.0), 0.158_655_253_931_457_07, 1e-14);
        close(normal_cdf(-10.0), 7.619_853_024_160_47e-24, 1e-13);
        close(normal_cdf(-37.5), 4.605_353_009_581_954e-308, 1e-12);
        close(normal_cdf(0.3), 0.617_911_422_188_952_6, 1e-15);
        assert_eq!(normal_cdf(f64::INFINITY), 1.0);
        assert_eq!(normal_cdf(f64::NEG_INFINITY), 0.0);
        assert!(normal_cdf(f64::NAN).is_nan());
    }

    #[test]
    fn quantile() {
        close(normal_ppf(0.975), 1.959_963_984_540_054, 1e-15);
        close(normal_ppf(0.025), -1.959_963_984_540_054, 1e-15);
        close(normal_ppf(1e-300), -37.047_096_299_361_2, 1e-15);
        close(normal_ppf(0.5 + 1e-12), 2.506_572_823_701_860_7e-12, 1e-9);
        assert_eq!(normal_ppf(0.5), 0.0);
        assert_eq!(normal_ppf(0.0), f64::NEG_INFINITY);
        assert_eq!(normal_ppf(1.0), f64::INFINITY);
        assert!(normal_ppf(1.5).is_nan() && normal_ppf(f64::NAN).is_nan());
    }
}
