//! Conversion rates: the Wilson score interval of one rate and the two-proportion z-test.

use crate::error::Error;
use crate::interval::{Interval, normal_critical_value};
use crate::special::normal::normal_cdf;

/// Checks a count of successes out of trials.
pub(crate) fn check_proportion(successes: u64, trials: u64) -> Result<(), Error> {
    if trials == 0 {
        Err(Error::NoTrials)
    } else if successes > trials {
        Err(Error::SuccessesExceedTrials { successes, trials })
    } else {
        Ok(())
    }
}

/// The Wilson score interval of the rate `successes / trials` at a two-sided `confidence`
/// (0.95 for 95%).
///
/// With `p = successes/trials`, `n = trials` and the normal critical value `z`:
/// `(p + z²/2n ± z·√(p(1-p)/n + z²/4n²)) / (1 + z²/n)`, clipped to [0, 1] as statsmodels
/// does (`proportion_confint(successes, trials, alpha=1 - confidence, method="wilson")`).
/// Unlike the normal approximation it stays inside [0, 1] and is not empty at 0 or all
/// successes.
///
/// # Errors
/// [`Error::NoTrials`], [`Error::SuccessesExceedTrials`], [`Error::InvalidConfidence`].
pub fn wilson_interval(successes: u64, trials: u64, confidence: f64) -> Result<Interval, Error> {
    check_proportion(successes, trials)?;
    let z = normal_critical_value(confidence)?;
    let n = trials as f64;
    let p = successes as f64 / n;
    let z2 = z * z;
    let denominator = 1.0 + z2 / n;
    let center = (p + z2 / (2.0 * n)) / denominator;
    let half_width = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denominator;
    Ok(Interval {
        low: (center - half_width).clamp(0.0, 1.0),
        high: (center + half_width).clamp(0.0, 1.0),
    })
}

/// The two-sided p-value of the pooled two-proportion z-test of `x_control / n_control`
/// against `x_variant / n_variant`.
///
/// `z = (p_c - p_v) / √(p(1-p)·(1/n_c + 1/n_v))` with the pooled rate
/// `p = (x_c + x_v)/(n_c + n_v)`, and the p-value is `2·P(Z > |z|)`: statsmodels'
/// `proportions_ztest([x_control, x_variant], [n_control, n_variant])`.
///
/// When neither arm has a success, or every trial is one, the pooled variance is 0 and both
/// rates are equal: the p-value is then 1.0 (statsmodels gives NaN).
///
/// # Errors
/// [`Error::NoTrials`], [`Error::SuccessesExceedTrials`].
pub fn two_proportion_z_test(
    x_control: u64,
    n_control: u64,
    x_variant: u64,
    n_variant: u64,
) -> Result<f64, Error> {
    check_proportion(x_control, n_control)?;
    check_proportion(x_variant, n_variant)?;
    let (n_c, n_v) = (n_control as f64, n_variant as f64);
    let difference = x_control as f64 / n_c - x_variant as f64 / n_v;
    let pooled = (u128::from(x_control) + u128::from(x_variant)) as f64
        / (u128::from(n_control) + u128::from(n_variant)) as f64;
    let variance = pooled * (1.0 - pooled) * (1.0 / n_c + 1.0 / n_v);
    if variance == 0.0 {
        return Ok(1.0);
    }
    let z = difference / variance.sqrt();
    // Φ(0) = ½ exactly, so this is at most 1.
    Ok(2.0 * normal_cdf(-z.abs()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_proportions() {
        assert_eq!(wilson_interval(0, 0, 0.95), Err(Error::NoTrials));
        assert_eq!(
            wilson_interval(3, 2, 0.95),
            Err(Error::SuccessesExceedTrials {
                successes: 3,
                trials: 2
            })
        );
        assert!(matches!(
            wilson_interval(1, 2, 1.0),
            Err(Error::InvalidConfidence(_))
        ));
        assert!(matches!(
            wilson_interval(1, 2, f64::NAN),
            Err(Error::InvalidConfidence(_))
        ));
        assert_eq!(two_proportion_z_test(1, 0, 1, 10), Err(Error::NoTrials));
        assert_eq!(two_proportion_z_test(1, 10, 1, 0), Err(Error::NoTrials));
        assert_eq!(
            two_proportion_z_test(1, 10, 11, 10),
            Err(Error::SuccessesExceedTrials {
                successes: 11,
                trials: 10
            })
        );
    }

    #[test]
    fn wilson_stays_in_0_1_at_the_extremes() {
        let none = wilson_interval(0, 20, 0.95).unwrap();
        assert_eq!(none.low, 0.0);
        assert!(none.high > 0.1 && none.high < 0.2, "{none:?}");
        let all = wilson_interval(20, 20, 0.95).unwrap();
        assert_eq!(all.high, 1.0);
        assert!((all.low - (1.0 - none.high)).abs() < 1e-15, "{all:?}");
        let huge = wilson_interval(u64::MAX / 2, u64::MAX, 0.95).unwrap();
        assert!(
            huge.contains(0.5) && huge.high - huge.low < 1e-9,
            "{huge:?}"
        );
    }

    #[test]
    fn no_variance_anywhere_gives_p_1() {
        assert_eq!(two_proportion_z_test(0, 100, 0, 5), Ok(1.0));
        assert_eq!(two_proportion_z_test(100, 100, 5, 5), Ok(1.0));
        assert_eq!(two_proportion_z_test(5, 10, 5, 10), Ok(1.0));
        assert_eq!(
            two_proportion_z_test(u64::MAX, u64::MAX, u64::MAX, u64::MAX),
            Ok(1.0)
        );
    }

    #[test]
    fn a_clear_difference_gives_a_small_p_value() {
        let p = two_proportion_z_test(100, 1000, 200, 1000).unwrap();
        assert!(p < 1e-9 && p > 0.0, "{p}");
        assert_eq!(two_proportion_z_test(200, 1000, 100, 1000), Ok(p));
    }
}
