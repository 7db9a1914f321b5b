//! Relative lift of a variant over the control, of a rate or a mean, with its delta-method
//! confidence interval.

use crate::error::Error;
use crate::interval::{Interval, normal_critical_value};
use crate::proportion::check_proportion;
use crate::summary::Summary;

/// An arm's estimate of a rate or a mean, with the variance of that estimate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    value: f64,
    /// The rounding error of `value` (`value + residual` is the quotient to about 32 digits),
    /// so that the difference of two close rates keeps its digits.
    residual: f64,
    variance: f64,
}

impl Estimate {
    /// An estimate and the variance of the estimate (not of the metric: `s²/n` for a mean).
    ///
    /// # Errors
    /// [`Error::InvalidEstimate`] when either is not finite or the variance is negative.
    pub fn new(value: f64, variance: f64) -> Result<Self, Error> {
        if value.is_finite() && variance.is_finite() && variance >= 0.0 {
            Ok(Estimate {
                value,
                residual: 0.0,
                variance,
            })
        } else {
            Err(Error::InvalidEstimate)
        }
    }

    /// The rate `p = successes/trials`, with variance `p(1-p)/trials` (with `1 - p` formed as
    /// `failures/trials`, exact to rounding even when `p` is near 1).
    ///
    /// # Errors
    /// [`Error::NoTrials`], [`Error::SuccessesExceedTrials`].
    pub fn rate(successes: u64, trials: u64) -> Result<Self, Error> {
        check_proportion(successes, trials)?;
        let n = trials as f64;
        let p = successes as f64 / n;
        let residual = (-p).mul_add(n, successes as f64) / n;
        let q = (trials - successes) as f64 / n;
        Ok(Estimate {
            value: p,
            residual,
            variance: p * q / n,
        })
    }

    /// The mean of a summary, with variance `s²/n`.
    ///
    /// # Errors
    /// The summary's: [`Error::TooFewObservations`] (n < 2), [`Error::NonFiniteSummary`],
    /// [`Error::InconsistentSummary`].
    pub fn mean(summary: &Summary) -> Result<Self, Error> {
        let (value, variance) = summary.mean_and_variance_of_mean()?;
        Ok(Estimate {
            value,
            residual: summary.mean_residual(),
            variance,
        })
    }

    /// The estimate.
    pub fn value(&self) -> f64 {
        self.value
    }

    /// The variance of the estimate.
    pub fn variance(&self) -> f64 {
        self.variance
    }
}

/// The relative lift `(variant - control) / control`: 0.1 when the variant is 10% above.
/// `None` when the control is 0, where no relative change is defined (or so near 0 that the
/// lift overflows).
///
/// The difference of two rates or means is formed with each one's rounding error, so that
/// rates of 0.9999990 and 0.9999995 give a lift of 5.000005e-7 to all its digits.
pub fn lift(control: &Estimate, variant: &Estimate) -> Option<f64> {
    if control.value == 0.0 {
        return None;
    }
    let difference = (variant.value - control.value) + (variant.residual - control.residual);
    Some(difference / control.value).filter(|lift| lift.is_finite())
}

/// The relative lift and its two-sided confidence interval (0.95 for 95%), by the delta method
/// on the ratio `R = b/a` of the variant's estimate `b` to the control's `a`.
///
/// To first order, `Var(R) = R²·(Var(b)/b² + Var(a)/a²)`, so the standard error is
/// `se = R·√(Var(b)/b² + Var(a)/a²)`, computed as `√(Var(b) + R²·Var(a)) / |a|` (the same
/// value, also defined when `b = 0`). The interval is `(R - 1) ± z·se` with `z` the normal
/// critical value: symmetric about the lift, and reliable when both estimates are many
/// standard errors away from 0 (it ignores the skew of a ratio).
///
/// `Ok(None)` when the control is 0 (or so near 0 that the ratio overflows): the relative lift
/// is undefined there, rather than infinite or NaN.
///
/// # Errors
/// [`Error::InvalidConfidence`].
pub fn lift_ci(
    control: &Estimate,
    variant: &Estimate,
    confidence: f64,
) -> Result<Option<Interval>, Error> {
    let z = normal_critical_value(confidence)?;
    let Some(center) = lift(control, variant) else {
        return Ok(None);
    };
    let ratio = variant.value / control.value;
    let se = (variant.variance + ratio * ratio * control.variance).sqrt() / control.value.abs();
    let half_width = z * se;
    if !half_width.is_finite() {
        return Ok(None);
    }
    Ok(Some(Interval {
        low: center - half_width,
        high: center + half_width,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_estimates() {
        assert_eq!(Estimate::new(f64::NAN, 1.0), Err(Error::InvalidEstimate));
        assert_eq!(Estimate::new(1.0, -1.0), Err(Error::InvalidEstimate));
        assert_eq!(
            Estimate::new(1.0, f64::INFINITY),
            Err(Error::InvalidEstimate)
        );
        assert_eq!(Estimate::rate(1, 0), Err(Error::NoTrials));
        assert_eq!(
            Estimate::mean(&Summary {
                n: 1,
                sum: 1.0,
                sum_squares: 1.0
            }),
            Err(Error::TooFewObservations { n: 1, needed: 2 })
        );
        let a = Estimate::rate(10, 100).unwrap();
        assert!(matches!(
            lift_ci(&a, &a, 1.5),
            Err(Error::InvalidConfidence(_))
        ));
    }

    #[test]
    fn zero_control_has_no_lift() {
        let zero = Estimate::rate(0, 100).unwrap();
        let some = Estimate::rate(5, 100).unwrap();
        assert_eq!(lift(&zero, &some), None);
        assert_eq!(lift_ci(&zero, &some, 0.95), Ok(None));
        let tiny = Estimate::new(1e-300, 1.0).unwrap();
        assert_eq!(lift(&tiny, &some), Some((0.05 - 1e-300) / 1e-300));
        assert_eq!(lift_ci(&tiny, &some, 0.95), Ok(None));
    }

    #[test]
    fn zero_variant_has_lift_minus_1() {
        let control = Estimate::rate(10, 100).unwrap();
        let zero = Estimate::rate(0, 100).unwrap();
        assert_eq!(lift(&control, &zero), Some(-1.0));
        let interval = lift_ci(&control, &zero, 0.95).unwrap().unwrap();
        assert_eq!(
            interval,
            Interval {
                low: -1.0,
                high: -1.0
            }
        );
    }

    #[test]
    fn close_rates_keep_their_digits() {
        let control = Estimate::rate(9_999_990, 10_000_000).unwrap();
        let variant = Estimate::rate(9_999_995, 10_000_000).unwrap();
        // 5/9,999,990 exactly, rounded.
        let want = 5.0 / 9_999_990.0;
        let got = lift(&control, &variant).unwrap();
        assert!((got - want).abs() <= 1e-15 * want, "{got} vs {want}");
    }

    #[test]
    fn known_lift() {
        let control = Estimate::new(10.0, 1.0).unwrap();
        let variant = Estimate::new(12.0, 1.0).unwrap();
        assert_eq!(lift(&control, &variant), Some(0.2));
        let interval = lift_ci(&control, &variant, 0.95).unwrap().unwrap();
        // se = √(1 + 1.44)/10
        let half_width = 1.959_963_984_540_054 * 2.44_f64.sqrt() / 10.0;
        assert!(
            (interval.low - (0.2 - half_width)).abs() < 1e-15,
            "{interval:?}"
        );
        assert!(
            (interval.high - (0.2 + half_width)).abs() < 1e-15,
            "{interval:?}"
        );
        assert_eq!(control.value(), 10.0);
        assert_eq!(control.variance(), 1.0);
    }
}
