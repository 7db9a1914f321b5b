//! Confidence intervals, and the checks and normal critical values they share.

use crate::error::Error;
use crate::special::normal::normal_ppf;

/// A two-sided confidence interval `[low, high]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    /// The lower bound.
    pub low: f64,
    /// The upper bound.
    pub high: f64,
}

impl Interval {
    /// Whether `value` lies in the interval, bounds included: a lift interval that contains 0
    /// does not tell the variant from the control at its confidence level.
    pub fn contains(&self, value: f64) -> bool {
        self.low <= value && value <= self.high
    }
}

/// Checks that `confidence` is strictly between 0 and 1.
pub(crate) fn check_confidence(confidence: f64) -> Result<f64, Error> {
    if confidence > 0.0 && confidence < 1.0 {
        Ok(confidence)
    } else {
        Err(Error::InvalidConfidence(confidence))
    }
}

/// The normal critical value `z` of a two-sided interval: `P(|Z| > z) = 1 - confidence`
/// (scipy's `norm.isf((1 - confidence) / 2)`).
pub(crate) fn normal_critical_value(confidence: f64) -> Result<f64, Error> {
    let alpha = 1.0 - check_confidence(confidence)?;
    Ok(-normal_ppf(alpha / 2.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confidence_is_strictly_between_0_and_1() {
        for bad in [0.0, 1.0, -0.5, 1.5, f64::NAN, f64::INFINITY] {
            assert!(
                matches!(normal_critical_value(bad), Err(Error::InvalidConfidence(_))),
                "{bad}"
            );
        }
        let z = normal_critical_value(0.95).unwrap();
        assert!((z - 1.959_963_984_540_054).abs() < 1e-14, "{z}");
    }

    #[test]
    fn contains_includes_the_bounds() {
        let interval = Interval {
            low: -0.5,
            high: 2.0,
        };
        assert!(interval.contains(-0.5) && interval.contains(0.0) && interval.contains(2.0));
        assert!(
            !interval.contains(-0.6) && !interval.contains(2.1) && !interval.contains(f64::NAN)
        );
    }
}
