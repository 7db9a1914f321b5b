//! The summary of a numeric metric that SQL can aggregate, and its mean and sample variance.

use crate::error::Error;
use crate::special::double_double::DoubleDouble;

/// A negative `Σx² - (Σx)²/n` down to this fraction of `Σx²` is taken for rounding in the
/// sums (a constant metric summed in floating point) and read as a variance of 0; below it the
/// summary is [`Error::InconsistentSummary`].
pub const ROUNDING_TOLERANCE: f64 = 1e-8;

/// What `SELECT COUNT(x), SUM(x), SUM(x * x)` gives for a numeric metric of one arm.
///
/// The mean is `sum / n` and the sample variance `(sum_squares - sum²/n) / (n - 1)`. That
/// difference is computed in double-double arithmetic, so it loses nothing beyond what the
/// summary already lost when it was summed; a summary summed in `f64` still loses about
/// `(mean/sd)²·1e-16` of its variance, so metrics with a mean far above their spread (a
/// timestamp, say) are best summed after subtracting a typical value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// The number of observations.
    pub n: u64,
    /// Their sum.
    pub sum: f64,
    /// The sum of their squares.
    pub sum_squares: f64,
}

impl Summary {
    /// The summary of some values, summed in order.
    pub fn from_values(values: impl IntoIterator<Item = f64>) -> Self {
        values.into_iter().fold(
            Summary {
                n: 0,
                sum: 0.0,
                sum_squares: 0.0,
            },
            |summary, x| Summary {
                n: summary.n + 1,
                sum: summary.sum + x,
                sum_squares: summary.sum_squares + x * x,
            },
        )
    }

    /// The mean, `sum / n`.
    ///
    /// # Errors
    /// [`Error::TooFewObservations`] when `n` is 0, [`Error::NonFiniteSummary`] when a sum is
    /// not finite.
    pub fn mean(&self) -> Result<f64, Error> {
        self.check(1)?;
        Ok(self.sum / self.n as f64)
    }

    /// The sample variance `(sum_squares - sum²/n) / (n - 1)`.
    ///
    /// # Errors
    /// [`Error::TooFewObservations`] when `n < 2`, [`Error::NonFiniteSummary`] when a sum is
    /// not finite, [`Error::InconsistentSummary`] when `sum_squares` is less than `sum²/n`
    /// by more than [`ROUNDING_TOLERANCE`] of itself.
    pub fn variance(&self) -> Result<f64, Error> {
        self.check(2)?;
        let n = self.n as f64;
        // Σx² - (Σx/n)·Σx, with (Σx/n)·Σx kept to about 32 digits.
        let square_over_n = DoubleDouble::from_f64(self.sum)
            .div(DoubleDouble::from_f64(n))
            .mul_f64(self.sum);
        let deviations = DoubleDouble::from_f64(self.sum_squares)
            .sub(square_over_n)
            .to_f64();
        if deviations >= 0.0 {
            Ok(deviations / (n - 1.0))
        } else if deviations >= -ROUNDING_TOLERANCE * self.sum_squares {
            Ok(0.0)
        } else {
            Err(Error::InconsistentSummary {
                sum_squares: self.sum_squares,
            })
        }
    }

    /// The mean and the variance of the mean, `s²/n`.
    pub(crate) fn mean_and_variance_of_mean(&self) -> Result<(f64, f64), Error> {
        Ok((self.mean()?, self.variance()? / self.n as f64))
    }

    /// The rounding error of [`mean`](Self::mean): `sum/n - mean`, to about 32 digits.
    pub(crate) fn mean_residual(&self) -> f64 {
        let n = self.n as f64;
        let mean = self.sum / n;
        (-mean).mul_add(n, self.sum) / n
    }

    /// `other.mean - self.mean`, formed with both means' rounding errors so that close means
    /// keep the digits of their difference. Both summaries must be valid.
    pub(crate) fn mean_difference(&self, other: &Summary) -> f64 {
        let rounded = other.sum / other.n as f64 - self.sum / self.n as f64;
        rounded + (other.mean_residual() - self.mean_residual())
    }

    fn check(&self, needed: u64) -> Result<(), Error> {
        if self.n < needed {
            return Err(Error::TooFewObservations { n: self.n, needed });
        }
        if !self.sum.is_finite() || !self.sum_squares.is_finite() {
            return Err(Error::NonFiniteSummary);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_and_variance_of_values() {
        let summary = Summary::from_values([2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]);
        assert_eq!(
            summary,
            Summary {
                n: 8,
                sum: 40.0,
                sum_squares: 232.0
            }
        );
        assert_eq!(summary.mean(), Ok(5.0));
        assert_eq!(summary.variance(), Ok(32.0 / 7.0));
    }

    #[test]
    fn variance_survives_a_mean_far_above_the_spread() {
        // 1e6 + {0, 1, 3}: Σx²/n and (Σx)²/n² agree to 12 digits; 7/3 remains.
        let summary = Summary::from_values([1e6, 1e6 + 1.0, 1e6 + 3.0]);
        assert_eq!(summary.variance(), Ok(7.0 / 3.0));
    }

    #[test]
    fn a_constant_metric_has_variance_0_despite_rounding() {
        // Summed in f64, 1000 times 3.3 gives Σx² 3.6e-10 below (Σx)²/n.
        let summary = Summary::from_values(std::iter::repeat_n(3.3, 1000));
        assert!(summary.sum_squares < summary.sum * summary.sum / 1000.0);
        assert_eq!(summary.variance(), Ok(0.0));
    }

    #[test]
    fn invalid_summaries() {
        let empty = Summary::from_values([]);
        assert_eq!(
            empty.mean(),
            Err(Error::TooFewObservations { n: 0, needed: 1 })
        );
        let one = Summary::from_values([3.0]);
        assert_eq!(one.mean(), Ok(3.0));
        assert_eq!(
            one.variance(),
            Err(Error::TooFewObservations { n: 1, needed: 2 })
        );
        let nan = Summary {
            n: 3,
            sum: f64::NAN,
            sum_squares: 1.0,
        };
        assert_eq!(nan.mean(), Err(Error::NonFiniteSummary));
        let infinite = Summary {
            n: 3,
            sum: 1.0,
            sum_squares: f64::INFINITY,
        };
        assert_eq!(infinite.variance(), Err(Error::NonFiniteSummary));
        let impossible = Summary {
            n: 2,
            sum: 10.0,
            sum_squares: 1.0,
        };
        assert_eq!(
            impossible.variance(),
            Err(Error::InconsistentSummary { sum_squares: 1.0 })
        );
        let negative = Summary {
            n: 2,
            sum: 0.0,
            sum_squares: -1.0,
        };
        assert_eq!(
            negative.variance(),
            Err(Error::InconsistentSummary { sum_squares: -1.0 })
        );
    }
}
