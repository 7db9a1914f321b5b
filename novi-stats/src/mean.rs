//! Numeric metrics (revenue per user, say): the t interval of one mean and Welch's t-test of
//! two, both from [`Summary`]s.

use crate::error::Error;
use crate::interval::{Interval, check_confidence};
use crate::special::student_t::{student_t_ppf, student_t_sf};
use crate::summary::Summary;

/// The t-based confidence interval of the mean at a two-sided `confidence`:
/// `mean ± t·s/√n` with `t` the `(1 + confidence)/2` quantile of Student's t with `n - 1`
/// degrees of freedom (scipy's `t.ppf`) and `s²` the sample variance.
///
/// A summary without variance gives the interval `[mean, mean]`.
///
/// # Errors
/// [`Error::InvalidConfidence`], and the summary's: [`Error::TooFewObservations`] (n < 2),
/// [`Error::NonFiniteSummary`], [`Error::InconsistentSummary`].
pub fn mean_interval(summary: Summary, confidence: f64) -> Result<Interval, Error> {
    let confidence = check_confidence(confidence)?;
    let (mean, variance_of_mean) = summary.mean_and_variance_of_mean()?;
    let t = student_t_ppf((1.0 + confidence) / 2.0, (summary.n - 1) as f64);
    let half_width = t * variance_of_mean.sqrt();
    Ok(Interval {
        low: mean - half_width,
        high: mean + half_width,
    })
}

/// The two-sided p-value of Welch's t-test (unequal variances) of the control's mean against
/// the variant's: scipy's `ttest_ind_from_stats(..., equal_var=False)`.
///
/// `t = (m_v - m_c) / √(v_c + v_v)` with `v = s²/n`, and Welch–Satterthwaite's degrees of
/// freedom `(v_c + v_v)² / (v_c²/(n_c - 1) + v_v²/(n_v - 1))` (computed from the shares
/// `v/(v_c + v_v)`, which neither overflow nor underflow).
///
/// When neither arm has any variance, the p-value is 1.0 for equal means and 0.0 for
/// different ones (each arm's mean is then known exactly; scipy gives NaN and 0.0).
///
/// # Errors
/// Each summary's: [`Error::TooFewObservations`] (n < 2), [`Error::NonFiniteSummary`],
/// [`Error::InconsistentSummary`].
pub fn welch_t_test(control: Summary, variant: Summary) -> Result<f64, Error> {
    let (_, v_c) = control.mean_and_variance_of_mean()?;
    let (_, v_v) = variant.mean_and_variance_of_mean()?;
    let difference = control.mean_difference(&variant);
    let total = v_c + v_v;
    if total == 0.0 {
        return Ok(if difference == 0.0 { 1.0 } else { 0.0 });
    }
    let (share_c, share_v) = (v_c / total, v_v / total);
    let df = 1.0
        / (share_c * share_c / (control.n - 1) as f64 + share_v * share_v / (variant.n - 1) as f64);
    let t = difference / total.sqrt();
    // sf(0) = ½ exactly, so this is at most 1.
    Ok(2.0 * student_t_sf(t.abs(), df))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(values: &[f64]) -> Summary {
        Summary::from_values(values.iter().copied())
    }

    #[test]
    fn invalid_input() {
        let one = summary(&[1.0]);
        let two = summary(&[1.0, 2.0]);
        assert_eq!(
            mean_interval(one, 0.95),
            Err(Error::TooFewObservations { n: 1, needed: 2 })
        );
        assert!(matches!(
            mean_interval(two, 0.0),
            Err(Error::InvalidConfidence(_))
        ));
        assert_eq!(
            welch_t_test(one, two),
            Err(Error::TooFewObservations { n: 1, needed: 2 })
        );
        assert_eq!(
            welch_t_test(two, one),
            Err(Error::TooFewObservations { n: 1, needed: 2 })
        );
        let nan = Summary {
            n: 5,
            sum: f64::NAN,
            sum_squares: 1.0,
        };
        assert_eq!(welch_t_test(two, nan), Err(Error::NonFiniteSummary));
    }

    #[test]
    fn no_variance() {
        let fives = summary(&[5.0, 5.0, 5.0]);
        let sixes = summary(&[6.0, 6.0]);
        assert_eq!(
            mean_interval(fives, 0.99),
            Ok(Interval {
                low: 5.0,
                high: 5.0
            })
        );
        assert_eq!(welch_t_test(fives, fives), Ok(1.0));
        assert_eq!(welch_t_test(fives, sixes), Ok(0.0));
        // One arm without variance: the degrees of freedom are the other arm's n - 1.
        let spread = summary(&[4.0, 6.0, 8.0]);
        let p = welch_t_test(fives, spread).unwrap();
        let t = 1.0 / (4.0_f64 / 3.0).sqrt();
        assert!((p - 2.0 * student_t_sf(t, 2.0)).abs() < 1e-15, "{p}");
    }

    #[test]
    fn interval_is_symmetric_about_the_mean_and_widens_with_confidence() {
        let metric = summary(&[1.0, 2.0, 3.0, 4.0, 10.0]);
        let narrow = mean_interval(metric, 0.8).unwrap();
        let wide = mean_interval(metric, 0.99).unwrap();
        assert!((narrow.low + narrow.high - 8.0).abs() < 1e-12, "{narrow:?}");
        assert!(wide.low < narrow.low && wide.high > narrow.high);
    }
}
