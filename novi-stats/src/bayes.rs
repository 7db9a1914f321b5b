//! Bayesian chance to beat the control: exact for conversion rates, a normal approximation for
//! means.

use crate::error::Error;
use crate::proportion::check_proportion;
use crate::special::double_double::{DoubleDouble, ln_gamma_integer};
use crate::special::normal::normal_cdf;
use crate::summary::Summary;

/// The most trials per arm [`chance_to_beat`] accepts: 10^12, where it takes about 60 ms
/// (its cost grows as the square root of the trials).
pub const MAX_TRIALS: u64 = 1_000_000_000_000;

/// The sum stops when the terms left (each no larger than the last one added) cannot add this
/// fraction of the sum.
const TRUNCATION: f64 = 1e-17;

/// The probability that the variant's conversion rate is above the control's, each given as
/// `(conversions, trials)`, with independent `Beta(1 + conversions, 1 + trials - conversions)`
/// posteriors (uniform `Beta(1, 1)` priors).
///
/// Computed exactly (to about 1e-14 relative, however small the probability), not sampled,
/// with Evan Miller's closed form: for `p_A ~ Beta(α_A, β_A)` and `p_B ~ Beta(α_B, β_B)`,
///
/// `P(p_B > p_A) = Σ_{i=0}^{α_B - 1} B(α_A + i, β_A + β_B) / ((β_B + i)·B(1 + i, β_B)·B(α_A, β_A))`.
///
/// The symmetries `p ↦ 1 - p` and `P(p_B > p_A) = 1 - P(p_A > p_B)` (ties have probability 0)
/// give the same sum over `β_A` terms, or 1 less a sum over `α_A` or `β_B` terms. The shorter
/// direct sum is used, or the shortest complement when it is shorter still and its result is at
/// least ½ (a complement would lose the relative accuracy of a small result). Consecutive terms have the ratio `(α_A + i)(β_B + i) / ((i + 1)(α_A + β_A +
/// β_B + i))`, which crosses 1 once, so the terms rise to a single peak that is found in closed
/// form. The largest term's logarithm is formed from log-gammas in double-double arithmetic
/// (they reach 1.6e8 at 10 million trials and cancel to a few units), and the sum runs outwards
/// from it by the ratio until the terms left cannot add 1e-17 of it.
///
/// Cost: some 9 double-double log-gammas, then one multiplication and one division per term,
/// for at most the length of the sum but in practice some 20·√trials terms, since the terms
/// fall off like a normal density around the peak. In an optimized build on a 2-core machine:
/// at most 0.25 ms for 10 million trials per arm (the worst of some 25,000 shapes of counts
/// from 1 to 10^7 trials; 10 µs when either arm has few conversions or few failures), 2 ms for
/// 10^9 and 60 ms for 10^12 trials.
///
/// # Errors
/// [`Error::NoTrials`], [`Error::SuccessesExceedTrials`], and [`Error::TooManyTrials`] beyond
/// [`MAX_TRIALS`].
pub fn chance_to_beat(control: (u64, u64), variant: (u64, u64)) -> Result<f64, Error> {
    for (conversions, trials) in [control, variant] {
        check_proportion(conversions, trials)?;
        if trials > MAX_TRIALS {
            return Err(Error::TooManyTrials {
                trials,
                max: MAX_TRIALS,
            });
        }
    }
    let (alpha_a, beta_a) = (1 + control.0, 1 + control.1 - control.0);
    let (alpha_b, beta_b) = (1 + variant.0, 1 + variant.1 - variant.0);
    // Summing 1 - P(p_A > p_B) costs fewer steps here, but loses the relative accuracy of a
    // small result: use it only when the result is not small.
    if alpha_a.min(beta_b) < alpha_b.min(beta_a) {
        let complement = if alpha_a <= beta_b {
            miller_sum(alpha_b, beta_b, alpha_a, beta_a)
        } else {
            miller_sum(beta_a, alpha_a, beta_b, alpha_b)
        };
        if complement <= 0.5 {
            return Ok(1.0 - complement);
        }
    }
    let p = if alpha_b <= beta_a {
        miller_sum(alpha_a, beta_a, alpha_b, beta_b)
    } else {
        miller_sum(beta_b, alpha_b, beta_a, alpha_a)
    };
    // A probability near 1 can round a few ulp above it.
    Ok(p.min(1.0))
}

/// Evan Miller's sum `Σ_{i<c} t_i`, `t_i = B(a+i, b+d) / ((d+i)·B(1+i, d)·B(a, b))`, which is
/// `P(X > Y)` for `Y ~ Beta(a, b)` and `X ~ Beta(c, d)`; all four are at least 1.
fn miller_sum(a: u64, b: u64, c: u64, d: u64) -> f64 {
    // t_{i+1} >= t_i exactly when (a+i)(d+i) >= (i+1)(a+b+d+i), that is when
    // i <= (ad - a - b - d)/(b + 1): the peak is the first i past that.
    let rising = i128::from(a) * i128::from(d) - i128::from(a) - i128::from(b) - i128::from(d);
    let peak = if rising < 0 {
        0
    } else {
        (rising / i128::from(b + 1) + 1).min(i128::from(c - 1))
    };
    let peak = u64::try_from(peak).expect("0 <= peak < c, a u64");

    // ln t_i = ln Γ(a+i) + ln Γ(b+d) - ln Γ(a+b+d+i) - ln Γ(1+i) - ln Γ(d) + ln Γ(d+i)
    //          - ln Γ(a) - ln Γ(b) + ln Γ(a+b)
    let ln_peak = [
        (a + peak, 1.0),
        (b + d, 1.0),
        (a + b + d + peak, -1.0),
        (1 + peak, -1.0),
        (d, -1.0),
        (d + peak, 1.0),
        (a, -1.0),
        (b, -1.0),
        (a + b, 1.0),
    ]
    .into_iter()
    .fold(DoubleDouble::from_f64(0.0), |sum, (k, sign)| {
        sum.add(ln_gamma_integer(k).mul_f64(sign))
    })
    .to_f64();

    let (a, b, d) = (a as f64, b as f64, d as f64);
    let numerator = |i: f64| (a + i) * (d + i);
    let denominator = |i: f64| (i + 1.0) * (a + b + d + i);
    // The terms relative to the peak's, summed with Neumaier's compensation.
    let mut sum = CompensatedSum::new(1.0);
    let mut term = 1.0;
    let mut i = peak;
    while i + 1 < c {
        term *= numerator(i as f64) / denominator(i as f64);
        i += 1;
        sum.add(term);
        if term * (c - 1 - i) as f64 <= TRUNCATION * sum.value() {
            break;
        }
    }
    term = 1.0;
    i = peak;
    while i > 0 {
        i -= 1;
        term *= denominator(i as f64) / numerator(i as f64);
        sum.add(term);
        if term * i as f64 <= TRUNCATION * sum.value() {
            break;
        }
    }
    (ln_peak + sum.value().ln()).exp()
}

/// Neumaier's compensated sum.
struct CompensatedSum {
    sum: f64,
    compensation: f64,
}

impl CompensatedSum {
    fn new(first: f64) -> Self {
        CompensatedSum {
            sum: first,
            compensation: 0.0,
        }
    }

    fn add(&mut self, x: f64) {
        let sum = self.sum + x;
        self.compensation += if self.sum.abs() >= x.abs() {
            (self.sum - sum) + x
        } else {
            (x - sum) + self.sum
        };
        self.sum = sum;
    }

    fn value(&self) -> f64 {
        self.sum + self.compensation
    }
}

/// The probability that the variant's mean is above the control's, by a normal approximation
/// of each mean's posterior (flat priors, large samples): `Φ((m_v - m_c) / √(s_c²/n_c + s_v²/n_v))`.
///
/// Unlike [`chance_to_beat`] this is not exact: it is as good as the normal approximation of
/// the means (the central limit theorem), so take it with care for small or very skewed samples.
/// When neither arm has any variance it is 1.0, 0.0 or 0.5 as the variant's mean is above,
/// below or equal to the control's.
///
/// # Errors
/// Each summary's: [`Error::TooFewObservations`] (n < 2), [`Error::NonFiniteSummary`],
/// [`Error::InconsistentSummary`].
pub fn chance_to_beat_normal(control: Summary, variant: Summary) -> Result<f64, Error> {
    let (_, v_c) = control.mean_and_variance_of_mean()?;
    let (_, v_v) = variant.mean_and_variance_of_mean()?;
    let difference = control.mean_difference(&variant);
    let se = (v_c + v_v).sqrt();
    if se == 0.0 {
        return Ok(if difference > 0.0 {
            1.0
        } else if difference < 0.0 {
            0.0
        } else {
            0.5
        });
    }
    Ok(normal_cdf(difference / se))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_input() {
        assert_eq!(chance_to_beat((0, 0), (1, 2)), Err(Error::NoTrials));
        assert_eq!(chance_to_beat((1, 2), (0, 0)), Err(Error::NoTrials));
        assert_eq!(
            chance_to_beat((3, 2), (1, 2)),
            Err(Error::SuccessesExceedTrials {
                successes: 3,
                trials: 2
            })
        );
        assert_eq!(
            chance_to_beat((1, 2), (1, u64::MAX)),
            Err(Error::TooManyTrials {
                trials: u64::MAX,
                max: MAX_TRIALS
            })
        );
        let one = Summary {
            n: 1,
            sum: 1.0,
            sum_squares: 1.0,
        };
        let two = Summary {
            n: 2,
            sum: 1.0,
            sum_squares: 1.0,
        };
        assert_eq!(
            chance_to_beat_normal(one, two),
            Err(Error::TooFewObservations { n: 1, needed: 2 })
        );
    }

    #[test]
    fn closed_forms() {
        // Equal arms: 1/2 by symmetry, whatever the counts.
        for arm in [
            (0, 1),
            (0, 10),
            (7, 7),
            (3, 10),
            (0, 10_000_000),
            (5_000_000, 10_000_000),
        ] {
            let p = chance_to_beat(arm, arm).unwrap();
            assert!((p - 0.5).abs() < 1e-13, "{arm:?}: {p}");
        }
        // Beta(1, 2) against Beta(2, 1): 5/6; Beta(1, 1) against Beta(2, 1): 2/3.
        assert!((chance_to_beat((0, 1), (1, 1)).unwrap() - 5.0 / 6.0).abs() < 1e-15);
        assert!((chance_to_beat((1, 1), (0, 1)).unwrap() - 1.0 / 6.0).abs() < 1e-15);
        // Beta(1, 4) against Beta(4, 1): 1 - 1/C(8, 4) (the sum in exact fractions).
        assert!((chance_to_beat((0, 3), (3, 3)).unwrap() - 69.0 / 70.0).abs() < 1e-15);
    }

    #[test]
    fn complement_of_swapped_arms() {
        for (control, variant) in [
            ((3, 10), (5, 12)),
            ((500_000, 10_000_000), (501_000, 10_000_000)),
            ((2, 20), (3, 1_000_000)),
        ] {
            let forward = chance_to_beat(control, variant).unwrap();
            let backward = chance_to_beat(variant, control).unwrap();
            assert!(
                (forward + backward - 1.0).abs() < 1e-13,
                "{forward} + {backward}"
            );
        }
    }

    #[test]
    fn normal_without_variance() {
        let five = Summary {
            n: 2,
            sum: 10.0,
            sum_squares: 50.0,
        };
        let six = Summary {
            n: 3,
            sum: 18.0,
            sum_squares: 108.0,
        };
        assert_eq!(chance_to_beat_normal(five, six), Ok(1.0));
        assert_eq!(chance_to_beat_normal(six, five), Ok(0.0));
        assert_eq!(chance_to_beat_normal(five, five), Ok(0.5));
    }
}
