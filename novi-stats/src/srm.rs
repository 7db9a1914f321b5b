//! The sample ratio mismatch check: whether the units the arms received fit the traffic split.

use crate::error::Error;
use crate::special::gamma::chi_square_sf;

/// A p-value below this flags a sample ratio mismatch: the usual threshold, strict because the
/// check runs on every experiment, all the time.
pub const MISMATCH_P_VALUE: f64 = 0.001;

/// The outcome of [`srm`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Srm {
    /// Pearson's statistic `Σ (observed - expected)² / expected`.
    pub chi_square: f64,
    /// Its p-value with `k - 1` degrees of freedom for `k` arms.
    pub p_value: f64,
    /// `p_value < MISMATCH_P_VALUE`: the split is broken (assignment, logging or a redirect is
    /// losing units in some arm) and the experiment's results should not be trusted.
    pub mismatch: bool,
}

/// Pearson's chi-square goodness-of-fit test of the units each arm received against the
/// traffic split `weights` (any positive scale: `[50.0, 50.0]` and `[1.0, 1.0]` are the same):
/// expected counts `total·w/Σw`, `k - 1` degrees of freedom. scipy's
/// `chisquare(observed_units, expected)`.
///
/// With no units at all there is nothing to mismatch: the statistic is 0 and the p-value 1.
///
/// # Errors
/// [`Error::Empty`], [`Error::LengthMismatch`], [`Error::TooFewGroups`] for a single arm,
/// [`Error::InvalidWeight`] for a weight that is not a positive finite number, and
/// [`Error::DegenerateWeights`] when the weights' sum overflows or some arm's expected count
/// rounds to 0.
pub fn srm(observed_units: &[u64], weights: &[f64]) -> Result<Srm, Error> {
    if observed_units.is_empty() && weights.is_empty() {
        return Err(Error::Empty);
    }
    if observed_units.len() != weights.len() {
        return Err(Error::LengthMismatch {
            observed: observed_units.len(),
            weights: weights.len(),
        });
    }
    if observed_units.len() < 2 {
        return Err(Error::TooFewGroups);
    }
    if let Some((index, &value)) = weights
        .iter()
        .enumerate()
        .find(|(_, w)| !(w.is_finite() && **w > 0.0))
    {
        return Err(Error::InvalidWeight { index, value });
    }
    let total = observed_units
        .iter()
        .map(|&units| u128::from(units))
        .sum::<u128>() as f64;
    if total == 0.0 {
        return Ok(Srm {
            chi_square: 0.0,
            p_value: 1.0,
            mismatch: false,
        });
    }
    let weight: f64 = weights.iter().sum();
    let mut chi_square = 0.0;
    for (&units, &w) in observed_units.iter().zip(weights) {
        let expected = total * w / weight;
        if !(expected > 0.0 && expected.is_finite()) {
            return Err(Error::DegenerateWeights);
        }
        let difference = units as f64 - expected;
        chi_square += difference * difference / expected;
    }
    let p_value = chi_square_sf(chi_square, (observed_units.len() - 1) as f64);
    Ok(Srm {
        chi_square,
        p_value,
        mismatch: p_value < MISMATCH_P_VALUE,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_input() {
        assert_eq!(srm(&[], &[]), Err(Error::Empty));
        assert_eq!(
            srm(&[1, 2], &[1.0]),
            Err(Error::LengthMismatch {
                observed: 2,
                weights: 1
            })
        );
        assert_eq!(
            srm(&[], &[1.0]),
            Err(Error::LengthMismatch {
                observed: 0,
                weights: 1
            })
        );
        assert_eq!(srm(&[10], &[1.0]), Err(Error::TooFewGroups));
        assert_eq!(
            srm(&[1, 2], &[1.0, 0.0]),
            Err(Error::InvalidWeight {
                index: 1,
                value: 0.0
            })
        );
        assert_eq!(
            srm(&[1, 2], &[-1.0, 1.0]),
            Err(Error::InvalidWeight {
                index: 0,
                value: -1.0
            })
        );
        assert!(matches!(
            srm(&[1, 2], &[f64::NAN, 1.0]),
            Err(Error::InvalidWeight { index: 0, .. })
        ));
        assert_eq!(
            srm(&[1, 2], &[1.0, f64::INFINITY]),
            Err(Error::InvalidWeight {
                index: 1,
                value: f64::INFINITY
            })
        );
        assert_eq!(
            srm(&[1, 2], &[f64::MAX, f64::MAX]),
            Err(Error::DegenerateWeights)
        );
        assert_eq!(
            srm(&[1, 2], &[1e-300, 1e300]),
            Err(Error::DegenerateWeights)
        );
    }

    #[test]
    fn no_units_is_no_mismatch() {
        assert_eq!(
            srm(&[0, 0, 0], &[1.0, 1.0, 2.0]),
            Ok(Srm {
                chi_square: 0.0,
                p_value: 1.0,
                mismatch: false
            })
        );
    }

    #[test]
    fn exact_split_and_a_broken_one() {
        let fit = srm(&[100, 300], &[1.0, 3.0]).unwrap();
        assert_eq!(
            fit,
            Srm {
                chi_square: 0.0,
                p_value: 1.0,
                mismatch: false
            }
        );
        // 5,000,000 against 5,100,000: χ² = 2·50,000²/5,050,000.
        let broken = srm(&[5_000_000, 5_100_000], &[50.0, 50.0]).unwrap();
        assert!((broken.chi_square - 2.0 * 50_000.0_f64.powi(2) / 5_050_000.0).abs() < 1e-9);
        assert!(
            broken.mismatch && broken.p_value < 1e-200 && broken.p_value > 0.0,
            "{broken:?}"
        );
        let huge = srm(&[u64::MAX, u64::MAX], &[1.0, 1.0]).unwrap();
        assert!(!huge.mismatch, "{huge:?}");
    }
}
